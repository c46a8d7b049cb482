"""ARMA benchmarks: analytic vs statsmodels' numerical information; exact finite-N information."""

from __future__ import annotations

import warnings

import numpy as np
from _table import Table, best_time
from scipy import linalg

from fisherstat.models.arma import ARMA

GOALS = [
    "ARMA(2,2) per-observation information: the analytic value at least 100x faster than "
    "n times the inverse of statsmodels' numerically computed covariance (``cov_type='oim'`` "
    "and ``'approx'``) on a series of 10^4, and the size of their error against it.",
    "Exact finite-sample ARMA(1,1) information of N = 500, 2000, 5000 observations in "
    "milliseconds (linear in N), against the dense formula "
    "``1/2 tr(G^-1 dG G^-1 dG)`` (cubic in N).",
]


def _rel(a, b) -> float:
    """Largest entry of |a - b| in the correlation scale of b (sqrt(b_ii b_jj))."""
    d = np.sqrt(np.diag(b))
    return float(np.max(np.abs(a - b) / np.outer(d, d)))


def statsmodels_covariance(table: Table, n: int) -> None:
    """Analytic ARMA(2,2) information vs n * inv(statsmodels cov_params) at the same MLE."""
    from statsmodels.tsa.arima.model import ARIMA

    model = ARMA(2, 2)
    theta0 = model.example_theta()
    y = model.sample(theta0, n, rng=0)
    est = model.fit(y)
    ours = model.fisher(est)
    t_ours = best_time(lambda: model.fisher(est), repeat=20)
    mod = ARIMA(y, order=(2, 0, 2), trend="n")
    for cov_type in ("oim", "approx"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def peer(ct=cov_type):
                return mod.filter(est, cov_type=ct).cov_params()

            cov = peer()
            t_sm = best_time(peer, repeat=1)
        err = _rel(np.linalg.inv(cov) / n, ours)
        table.add(f"ARMA(2,2) information per obs., series n={n:.0e}",
                  f"{t_ours * 1e3:.3f} ms (analytic)",
                  f"statsmodels ARIMA filter + cov_type='{cov_type}'",
                  f"{t_sm:.2f} s; n*inv(cov) differs by {err:.1e}",
                  f"{t_sm / t_ours:.0f}x faster")


def _dense_exact(model, theta, N):
    """Dense I_N = 1/2 tr(G^-1 G_a G^-1 G_b), G_a by complex step of the autocovariances."""
    from statsmodels.tsa.arima_process import arma_acovf

    k = model.n_params

    def g(t):
        return arma_acovf(np.r_[1.0, -t[:1]], np.r_[1.0, t[1:2]], N, sigma2=t[2])

    c = linalg.cho_factor(linalg.toeplitz(g(theta)))
    X = []
    for a in range(k):
        t = theta.astype(complex)
        t[a] += 1e-30j
        d = g(t).imag / 1e-30
        X.append(linalg.cho_solve(c, linalg.toeplitz(d)))
    return np.array([[0.5 * np.sum(X[a] * X[b].T) for b in range(k)] for a in range(k)])


def exact_information(table: Table, sizes, dense_max: int) -> None:
    """Exact finite-N ARMA(1,1) information: O(N) structured formula vs the dense one."""
    model = ARMA(1, 1)
    theta = np.array([0.6, 0.3, 1.0])
    rows = []
    for N in sizes:
        t_ours = best_time(lambda: model.fisher(theta, n=N), repeat=5)  # noqa: B023
        ours = model.fisher(theta, n=N)
        if N <= dense_max:
            dense = _dense_exact(model, theta, N)
            t_dense = best_time(lambda: _dense_exact(model, theta, N), repeat=1)  # noqa: B023
            err = np.max(np.abs(ours - dense)) / np.max(np.abs(dense))
        else:
            t_dense, err = np.nan, np.nan
        rows.append((N, t_ours, t_dense))
        gap = np.max(np.abs(ours - N * model.fisher(theta)))
        peer = (f"{t_dense:.2f} s (rel. diff {err:.1e})" if np.isfinite(t_dense)
                else f"not run (N > {dense_max})")
        note = (f"{t_dense / t_ours:.0f}x faster" if np.isfinite(t_dense) else "") + \
            f"; max|I_N - N I| = {gap:.3f}"
        table.add(f"exact ARMA(1,1) information, N={N}", f"{t_ours * 1e3:.2f} ms",
                  "dense tr(G^-1 dG G^-1 dG) (Cholesky)", peer, note.lstrip("; "))
    (n0, a0, d0), (n1, a1, _) = rows[0], rows[-1]
    slope = np.log(a1 / a0) / np.log(n1 / n0)
    nd, dd = max((r[0], r[2]) for r in rows if np.isfinite(r[2]))
    dslope = np.log(dd / d0) / np.log(nd / n0) if nd > n0 else np.nan
    table.add(f"time scaling, N={n0}..{n1} (log-log slope)", f"{slope:.2f}",
              f"dense formula, N={n0}..{nd}", f"{dslope:.2f}", "time ~ N^slope")


def run(table: Table, quick: bool) -> None:
    statsmodels_covariance(table, 2000 if quick else 10_000)
    if quick:
        exact_information(table, (500, 1000, 2000), dense_max=1000)
    else:
        exact_information(table, (500, 2000, 5000), dense_max=5000)
