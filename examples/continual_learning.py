"""Elastic weight consolidation on permuted tasks: Kirkpatrick et al. (2017), Fig. 2A.

Kirkpatrick, Pascanu, Rabinowitz, Veness, Desjardins, Rusu, Milan, Quan, Ramalho,
Grabska-Barwinska, Hassabis, Clopath, Kumaran & Hadsell (2017, "Overcoming catastrophic
forgetting in neural networks", PNAS 114, 3521-3526, Fig. 2A) train one network on a
sequence of permuted-MNIST tasks: with plain SGD the accuracy on the first task falls as
new tasks are learned; an L2 penalty towards the old weights protects it only by also
hindering the new tasks; EWC, whose penalty weighs each weight by its Fisher information
for the old tasks, keeps the first task near its original accuracy and still learns the
new ones.

Here, without downloads: ``make_permuted_tasks`` builds a 10-class problem on 48 inputs
(Gaussian class prototypes through a fixed random nonlinear map; see its docstring) and
4 permuted copies of it; an MLP [48, 100, 10] (tanh, softmax) is trained on the 5 tasks
in sequence, 1000 steps of plain SGD (learning rate 0.05, batches of 32) per task, with

* SGD: no penalty;
* L2 anchoring: lam/2 ||theta - theta*_s||^2 for every earlier task s (lam = 0.01);
* EWC: lam/2 sum_i F_si (theta_i - theta*_si)^2 for every earlier task s, F the diagonal
  of the exact Fisher of task s (lam = 30; the loss is the *mean* NLL, see
  ``fisherstat.nn.continual``);
* online EWC (Schwarz et al. 2018; Huszar 2018): one penalty anchored at the latest
  parameters with the running sum of the Fishers (gamma = 1), lam = 30.

All four start from the same weights and see the same mini-batches. The script prints
the accuracy matrices (test accuracy on task j after training on task i), the accuracy
on task 1 against the number of tasks seen, and the average accuracy and forgetting of
Chaudhry et al. (2018). ``--kinds`` also compares the Fisher kinds of EWC (exact,
Monte Carlo labels as in Kirkpatrick et al., empirical).

Run::

    python examples/continual_learning.py                 # the documented run (~1-2 min)
    python examples/continual_learning.py --plot ewc.png  # also save the figure
    python examples/continual_learning.py --quick         # 3 small tasks (~10 s)
    python examples/continual_learning.py --kinds         # + EWC with each Fisher kind
"""

from __future__ import annotations

import argparse
import time

from fisherstat.nn import MLP, SGD, continual_learning, fisher_diagonal, make_permuted_tasks

#: The documented default run (``--quick``: the setting of the tests).
DEFAULT = dict(n_tasks=5, n_train=2000, n_test=1000, hidden=100, n_steps=1000, lr=0.05)
QUICK = dict(n_tasks=3, n_train=500, n_test=500, hidden=32, n_steps=300, lr=0.1)
LAM = {"l2": 0.01, "ewc": 30.0, "online_ewc": 30.0}


def run(quick: bool = False, seed: int = 0, kind: str = "exact",
        methods=("sgd", "l2", "ewc", "online_ewc")):
    """The experiment of the docstring; returns (tasks, net, ContinualResult)."""
    cfg = QUICK if quick else DEFAULT
    tasks = make_permuted_tasks(cfg["n_tasks"], n_train=cfg["n_train"],
                                n_test=cfg["n_test"], rng=seed)
    net = MLP([tasks[0].n_features, cfg["hidden"], 10], "tanh", "softmax")
    result = continual_learning(net, tasks, methods=methods, kind=kind, lam=LAM,
                                optimizer=SGD(lr=cfg["lr"]), n_steps=cfg["n_steps"],
                                batch_size=32, rng=seed)
    return tasks, net, result


def first_task_table(result) -> str:
    T = result.n_tasks
    lines = [f"{'accuracy on task 1 after task':<30}" + "".join(f"{k:>7d}"
                                                               for k in range(1, T + 1))]
    for m in result.methods:
        lines.append(f"{m:<30}" + "".join(f"{a:>7.3f}" for a in result.first_task(m)))
    return "\n".join(lines)


def kinds_table(quick: bool, seed: int) -> str:
    lines = [f"{'EWC Fisher kind':<16}{'sum F':>9}{'task 1 last':>12}{'new task last':>14}"
             f"{'avg acc A_T':>12}{'forgetting F_T':>15}"]
    for kind in ("exact", "monte_carlo", "empirical"):
        tasks, net, r = run(quick, seed, kind, methods=("online_ewc",))
        F = fisher_diagonal(net, r.thetas["online_ewc"][0], tasks[0].X_train,
                            tasks[0].y_train, kind=kind, rng=0)
        A = r.accuracy["online_ewc"]
        lines.append(f"{kind:<16}{F.sum():>9.3f}{A[-1, 0]:>12.3f}{A[-1, -1]:>14.3f}"
                     f"{r.average_accuracy('online_ewc')[-1]:>12.3f}"
                     f"{r.forgetting('online_ewc')[-1]:>15.3f}")
    return "\n".join(lines)


def plot(path, result):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    M = len(result.methods)
    fig = plt.figure(figsize=(4.2 + 2.3 * M, 3.8))
    gs = fig.add_gridspec(1, M + 1, width_ratios=[1.8] + [1] * M)
    result.plot(fig.add_subplot(gs[0]))
    names = {"sgd": "SGD", "l2": "L2 anchoring", "ewc": "EWC", "online_ewc": "online EWC"}
    for k, m in enumerate(result.methods):
        ax = fig.add_subplot(gs[k + 1])
        A = result.accuracy[m]
        ax.imshow(A, vmin=0, vmax=1, cmap="viridis")
        T = A.shape[0]
        for i in range(T):
            for j in range(T):
                ax.text(j, i, f"{100 * A[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="w" if A[i, j] < 0.6 else "k")
        ax.set_xticks(range(T), [str(t + 1) for t in range(T)])
        ax.set_yticks(range(T), [str(t + 1) for t in range(T)])
        ax.set_xlabel("test on task")
        if k == 0:
            ax.set_ylabel("after training on task")
        ax.set_title(names[m], fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    parser.add_argument("--quick", action="store_true", help="3 small tasks (smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", default="exact", choices=("exact", "monte_carlo",
                                                             "empirical"),
                        help="Fisher of the EWC penalties (default: exact)")
    parser.add_argument("--kinds", action="store_true",
                        help="also compare online EWC with each Fisher kind")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    tasks, net, result = run(args.quick, args.seed, args.kind)
    cfg = QUICK if args.quick else DEFAULT
    print(f"{result.n_tasks} permuted tasks, {cfg['n_train']} training / {cfg['n_test']} test "
          f"examples each; MLP {list(net.sizes)} (P = {net.n_weights}); {cfg['n_steps']} "
          f"SGD steps per task (lr {cfg['lr']}, batch 32); EWC with the {args.kind} "
          f"Fisher\n")
    print(result.summary())
    print()
    print(first_task_table(result))
    if args.kinds:
        print()
        print(kinds_table(args.quick, args.seed))
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if args.plot:
        plot(args.plot, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
