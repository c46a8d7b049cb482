"""Optimal-design benchmarks: time to a D-efficiency bound of 1 - 1e-6, REX vs its peers.

Problems (issue 5):

(a) full quadratic model in 3 factors on a 21^3 grid (n = 9261, m = 10);
(b) n = 10^5 standard Gaussian candidate regressors, m = 10 (linear model);
(c) n = 10^6 standard Gaussian candidate regressors, m = 5.

REX runs with its defaults (Harman-Pronzato deletion on); the multiplicative algorithm
both in its classical form (Silvey, Titterington & Torsney 1978, no deletion) and with the
deletion, Fedorov-Wynn with the deletion. The slow ones are capped (60 s; 10 s in
``--quick``) and then reported with the bound they reached. Memory is the ``tracemalloc``
peak of a separate (untimed) REX run, next to the size of the candidate matrix itself: the
algorithms never build (n, m, m) arrays.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from _table import Table, best_time

from fisherstat import design, models

GOALS = [
    "Time to a D-efficiency bound >= 1 - 1e-6 with ``rex``, ``multiplicative`` and "
    "``fedorov_wynn`` on (a) the full quadratic model in 3 factors on a 21^3 grid "
    "(n = 9261, m = 10), (b) n = 10^5 Gaussian candidates, m = 10, (c) n = 10^6, m = 5: REX "
    "under 2 s on (b) and under 5 s on (c) on the 2-core machine, and at least 10x faster "
    "than the multiplicative algorithm on (b); slow algorithms capped at 60 s. Memory: "
    "``tracemalloc`` peak of REX, no (n, m, m) arrays.",
]

TOL = 1e-6


def _problems(quick: bool):
    q3 = design.polynomial(3, degree=2)
    Xa = q3.grid(21)
    rng = np.random.default_rng(20200101)
    nb, nc = (10**4, 10**5) if quick else (10**5, 10**6)
    Xb = rng.standard_normal((nb, 10))
    Xc = rng.standard_normal((nc, 5))
    return [
        (f"(a) quadratic, 3 factors, 21^3 grid (n={Xa.shape[0]}, m=10)", q3.model(),
         None, Xa, q3.expand(Xa).nbytes),
        (f"(b) Gaussian n={nb:.0e}, m=10", models.LinearRegression(10),
         np.append(np.zeros(10), 1.0), Xb, Xb.nbytes),
        (f"(c) Gaussian n={nc:.0e}, m=5", models.LinearRegression(5),
         np.append(np.zeros(5), 1.0), Xc, Xc.nbytes),
    ]


def _run(model, theta, X, alg, cap, prune=True):
    t0 = time.perf_counter()
    res = design.optimal_design(model, theta, X, "D", alg, TOL, max_time=cap, prune=prune,
                                rng=0)
    return time.perf_counter() - t0, res


def _peak_mb(model, theta, X) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    design.optimal_design(model, theta, X, "D", "rex", TOL, rng=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _fmt(t, res, cap):
    if res.converged:
        return f"{t:.3g} s ({res.iterations} it.)"
    return (f"did not reach within {cap:g} s (bound {res.efficiency_bound:.7f} after "
            f"{res.iterations} it.)")


PEERS = [
    ("multiplicative", False, "multiplicative (classical, no deletion)"),
    ("multiplicative", True, "multiplicative + Harman-Pronzato deletion"),
    ("fedorov_wynn", True, "fedorov_wynn + deletion"),
]


def run(table: Table, quick: bool) -> None:
    cap = 10.0 if quick else 60.0
    for label, model, theta, X, nbytes in _problems(quick):
        t_rex = best_time(lambda m=model, th=theta, x=X: _run(m, th, x, "rex", cap), repeat=3)
        _, res = _run(model, theta, X, "rex", cap)
        peak = _peak_mb(model, theta, X)
        ours = (f"rex {t_rex:.3g} s ({res.iterations} it., bound {res.efficiency_bound:.8f}, "
                f"{res.design.n_points} support pts, {res.n_deleted} deleted); tracemalloc "
                f"peak {peak:.0f} MB (candidates {nbytes / 2**20:.0f} MB)")
        for alg, prune, name in PEERS:
            t, r = _run(model, theta, X, alg, cap, prune)
            ratio = (f"{t / t_rex:.1f}x faster" if r.converged
                     else f">= {cap / t_rex:.0f}x faster (peer capped)")
            table.add(f"D-optimal {label}", ours, name, _fmt(t, r, cap), ratio)
            ours = f"rex {t_rex:.3g} s"
