"""Monitoring the mini-batch Fisher during training (Liao et al. 2020; Jastrzebski et al. 2021).

An MLP [10, 32, 32, 3] (tanh, softmax) learns a fixed nonlinear 3-class rule on Gaussian
inputs (512 training, 2000 test points) by plain SGD with several (batch size, learning
rate) settings from the same initialisation. A
:class:`fisherstat.nn.monitor.FisherMonitor` records at every step, from one extra
forward/backward pass of the batch, the trace of the batch's empirical Fisher (the mean
squared per-sample gradient norm), the trace of its exact Fisher, Liao et al.'s
condition number of the per-sample gradients and their learning-rate-weighted energy
:math:`L_K`, with moving averages.

What it reproduces, qualitatively (the published experiments are ResNets/DenseNets on
CIFAR; this is a small stand-in):

* Jastrzebski et al. (2021, "Catastrophic Fisher explosion: early phase Fisher matrix
  impacts generalization", ICML): with a small learning rate (or a large batch) the trace
  of the Fisher grows early in training; a large learning rate (or a small batch) keeps it
  low. Column "tr F @ loss": the monitor's moving average of the exact Fisher trace when
  the training loss first reaches 0.3 -- clearly smaller for lr 1.0 than for lr 0.1 and
  for batch 8 than for batch 128 (ratios 0.65 and 0.71 here; 0.57-0.73 over 8 seeds on
  the smaller case tested in tests/test_nn_monitor.py). Their second finding, that the
  smaller trace goes with a better test accuracy, is NOT reproduced on this small
  problem: every setting ends within about one point of test accuracy (see the table).
* Liao, Drummond, Reid & Carneiro (2020, "Approximate Fisher information matrix to
  characterize the training of deep neural networks", IEEE TPAMI 42(1)): the running
  average of the empirical Fisher trace and their measurements C_K (running average of
  the truncated condition number) and L_K, per setting. L_K is larger for small batches
  and large learning rates, by construction; C_K here is dominated by the well-fitted
  rows, whose gradients vanish (it grows with the learning rate and the batch size), and
  says nothing about the test accuracy on this problem.

Run::

    python examples/training_monitor.py                # table (~1 min on one core)
    python examples/training_monitor.py --plot tm.png  # also save a figure
    python examples/training_monitor.py --quick        # smoke run (a few seconds)
"""

from __future__ import annotations

import argparse
import os
import time

# Small matrices: BLAS threads only add overhead (and contend on a shared machine). An
# explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from fisherstat.nn import MLP, SGD, train  # noqa: E402
from fisherstat.nn.monitor import FisherMonitor  # noqa: E402

SETTINGS = [(32, 0.03), (32, 0.1), (32, 0.3), (32, 1.0), (8, 0.3), (128, 0.3)]
QUICK_SETTINGS = [(32, 0.1), (32, 1.0), (8, 0.3), (128, 0.3)]


def problem(n, seed, d=10, C=3):
    """Gaussian inputs, labels from a fixed rule argmax(3 tanh(X W) + 0.3 X[:, :C]^2)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.random.default_rng(123).standard_normal((d, C))
    return X, np.argmax(3.0 * np.tanh(X @ W) + 0.3 * X[:, :C] ** 2, axis=1)


def run(settings, n_steps, seed=1, target=0.3, n_train=512, record_every=20):
    X, y = problem(n_train, 0)
    Xt, yt = problem(2000, 1)
    net = MLP([10, 32, 32, 3], "tanh", "softmax")
    theta0 = net.init(rng=seed)
    out = []
    for B, lr in settings:
        mon = FisherMonitor(net, exact=True, spectrum=True, lr=lr, halflife=20)
        t0 = time.perf_counter()
        r = train(net, theta0, X, y, SGD(lr=lr), n_steps=n_steps, batch_size=B, rng=seed,
                  X_test=Xt, y_test=yt, record_every=record_every, callback=mon)
        rec = mon.record
        ex = rec.ema("exact_trace")
        hit = np.nonzero(r.loss <= target)[0]
        at = float(ex[np.searchsorted(rec.steps, r.steps[hit[0]])]) if hit.size else np.nan
        out.append(dict(B=B, lr=lr, result=r, record=rec, seconds=time.perf_counter() - t0,
                        reached=int(r.steps[hit[0]]) if hit.size else None, trace_at=at))
    return out


def table(runs, target):
    head = (f"{'B':>4} {'lr':>5} {'steps to':>9} {'tr F @':>7} {'peak':>7} {'peak':>8} "
            f"{'final':>8} {'mean':>8} {'C_K':>9} {'L_K':>7} {'train':>7} {'test':>6}")
    sub = (f"{'':>4} {'':>5} {f'loss {target}':>9} {'loss':>7} {'tr F':>7} {'tr F_emp':>8} "
           f"{'tr F_emp':>8} {'tr F_emp':>8} {'(Liao)':>9} {'(Liao)':>7} {'loss':>7} "
           f"{'acc':>6}")
    lines = [head, sub, "-" * len(head)]
    for d in runs:
        rec, r = d["record"], d["result"]
        reached = d["reached"] if d["reached"] is not None else "-"
        lines.append(
            f"{d['B']:>4d} {d['lr']:>5g} {reached!s:>9} {d['trace_at']:>7.2f} "
            f"{rec.peak('exact_trace')[1]:>7.2f} {rec.peak('trace')[1]:>8.2f} "
            f"{rec.trace_ema[-1]:>8.4f} {rec.trace_average[-1]:>8.3f} "
            f"{rec.condition_average[-1]:>9.3g} {rec.energy[-1]:>7.1f} {r.loss[-1]:>7.4f} "
            f"{r.test_accuracy[-1]:>6.3f}")
    return "\n".join(lines)


def plot(path, runs):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    a, b, c, d = axes.ravel()
    for run_ in runs:
        rec, r = run_["record"], run_["result"]
        name = f"B={run_['B']}, lr={run_['lr']:g}"
        (line,) = a.plot(rec.steps, rec.trace_ema, lw=1.5, label=name)
        col = line.get_color()
        a.plot(rec.steps, rec.trace_average, color=col, lw=0.9, ls="--")
        ex = rec.ema("exact_trace")
        b.plot(rec.steps, ex, color=col, lw=1.5, label=name)
        loss_at = np.interp(rec.steps, r.steps, r.loss)
        c.plot(loss_at, ex, color=col, lw=1.5, label=name)
        d.plot(r.steps, r.test_accuracy, color=col, lw=1.5, label=name)
    a.set_yscale("log")
    a.set_title("tr of the batch empirical Fisher: EMA (solid), running mean (dashed)",
                fontsize=9)
    b.set_title("tr of the batch Fisher (exact), EMA", fontsize=9)
    c.set_xscale("log")
    c.invert_xaxis()
    c.set_xlabel("training loss")
    c.set_title("tr F (exact, EMA) against the training loss", fontsize=9)
    d.set_title("test accuracy", fontsize=9)
    for ax in (a, b, d):
        ax.set_xlabel("step")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    parser.add_argument("--quick", action="store_true", help="fewer settings and steps")
    parser.add_argument("--seed", type=int, default=1, help="initialisation and batches")
    args = parser.parse_args(argv)
    settings, n_steps, target = ((QUICK_SETTINGS, 200, 0.5) if args.quick
                                 else (SETTINGS, 1500, 0.3))
    t0 = time.perf_counter()
    runs = run(settings, n_steps, seed=args.seed, target=target)
    print(f"MLP [10, 32, 32, 3], 512 training points, SGD for {n_steps} steps, seed "
          f"{args.seed}; trace columns are moving averages (half-life 20 steps) of the "
          "monitor's batch values\n")
    print(table(runs, target))
    print(f"\n{time.perf_counter() - t0:.1f} s")
    if args.plot:
        plot(args.plot, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
