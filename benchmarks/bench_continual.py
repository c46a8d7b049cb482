"""Continual learning: wall time of the documented EWC experiment, and its Fisher step."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
from _table import Table, best_time

import fisherstat.nn.continual as continual
from fisherstat.nn import MLP, make_permuted_tasks

GOALS = [
    "Continual learning (EWC): the documented default run of examples/continual_learning.py "
    "(5 permuted tasks, MLP [48, 100, 10], 1000 SGD steps per task, SGD / L2 / EWC / online "
    "EWC) finishes in minutes on 2 cores (goal: under 3 minutes). Peer: the same run with "
    "every EWC Fisher diagonal computed by a per-example Python loop (J_n (C, P) by "
    "back-propagation, then diag J_n^T Lambda_n J_n), as a naive implementation does; the "
    "accuracy matrices must agree. The Fisher diagonal alone (one backward pass of the "
    "C - 1 factor rows for all examples, per-layer squared sums) is timed against the same "
    "loop on one task's training set (goal: at least 20x; the loop pays Python and call "
    "overhead per example, fisherstat one memory-bound (N, C - 1, width) array per layer).",
]

_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "continual_learning.py"


def _example():
    spec = importlib.util.spec_from_file_location("_continual_example", _EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def naive_fisher_diagonal(net, theta, X, y=None, *, kind=None, rng=None, n_samples=1):
    """The peer: one example at a time, diag(J_n^T Lambda_n J_n) (kind='exact' only)."""
    if kind != "exact":
        raise ValueError("the naive peer implements kind='exact' only")
    d = np.zeros(net.n_weights)
    for n in range(X.shape[0]):
        x = X[n: n + 1]
        J = net.jacobian(theta, x)[0]  # (C, P)
        p = net.predict(theta, x)[0]
        d += p @ (J * J) - (p @ J) ** 2  # diag of J^T (diag p - p p^T) J
    d /= X.shape[0]
    return np.append(d, 0.0) if net.estimate_sigma2 else d


def fisher_step(table: Table, quick: bool) -> None:
    ex = _example()
    cfg = ex.QUICK if quick else ex.DEFAULT
    tasks = make_permuted_tasks(1, n_train=cfg["n_train"], n_test=10, rng=0)
    net = MLP([tasks[0].n_features, cfg["hidden"], 10], "tanh", "softmax")
    theta = net.init(rng=0)
    X = tasks[0].X_train
    t_ours = best_time(lambda: continual.fisher_diagonal(net, theta, X, kind="exact"),
                       repeat=3)
    t0 = time.perf_counter()
    d_loop = naive_fisher_diagonal(net, theta, X, kind="exact")
    t_loop = time.perf_counter() - t0
    d_ours = continual.fisher_diagonal(net, theta, X, kind="exact")
    rel = np.max(np.abs(d_ours - d_loop)) / np.max(np.abs(d_loop))
    table.add(f"EWC Fisher diagonal (exact), MLP {list(net.sizes)} (P={net.n_weights}), "
              f"N={X.shape[0]}", f"{t_ours * 1e3:.1f} ms", "per-example loop",
              f"{t_loop * 1e3:.0f} ms (max rel diff {rel:.1e})",
              f"{t_loop / t_ours:.0f}x faster")


def _timed(f, clock):
    """``f`` that adds its wall time to ``clock[0]``."""
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            clock[0] += time.perf_counter() - t0
    return wrapper


def _run_with(ex, quick, fisher_fn):
    """The example's run with ``fisher_fn`` as the Fisher diagonal: (result, total s,
    seconds inside the Fisher diagonal)."""
    original, clock = continual.fisher_diagonal, [0.0]
    continual.fisher_diagonal = _timed(fisher_fn, clock)
    try:
        t0 = time.perf_counter()
        _, net, result = ex.run(quick)
        total = time.perf_counter() - t0
    finally:
        continual.fisher_diagonal = original
    return net, result, total, clock[0]


def experiment(table: Table, quick: bool) -> None:
    ex = _example()
    label = "--quick" if quick else "default"
    net, ours, t_ours, f_ours = _run_with(ex, quick, continual.fisher_diagonal)
    _, peer, t_peer, f_peer = _run_with(ex, quick, naive_fisher_diagonal)
    diff = max(float(np.max(np.abs(ours.accuracy[m] - peer.accuracy[m])))
               for m in ours.methods)
    A = ours.accuracy
    table.add(f"EWC experiment ({label}: {ours.n_tasks} tasks, MLP {list(net.sizes)}, "
              f"{len(ours.methods)} methods)",
              f"{t_ours:.1f} s, of which Fisher {f_ours:.2f} s (EWC task 1: "
              f"{A['ewc'][0, 0]:.3f} -> {A['ewc'][-1, 0]:.3f}; SGD -> {A['sgd'][-1, 0]:.3f})",
              "same run, Fisher by per-example loop",
              f"{t_peer:.1f} s, of which Fisher {f_peer:.2f} s (max |diff| of accuracies "
              f"{diff:.1g})",
              f"{t_peer / t_ours:.2f}x faster in total, {f_peer / f_ours:.0f}x in the Fisher")


def run(table: Table, quick: bool) -> None:
    fisher_step(table, quick)
    experiment(table, quick)


if __name__ == "__main__":
    import sys

    t = Table()
    run(t, "--quick" in sys.argv)
    print(t.render())
