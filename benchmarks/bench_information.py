"""Foundation benchmarks: analytic GLM information, Monte Carlo information, numeric fallback."""

from __future__ import annotations

import numpy as np
from _table import Table, best_time

import fisherstat as fs
from fisherstat import models

GOALS = [
    "GLM (logistic, Poisson) information on 10^6 rows, p = 10: at least as fast as "
    "statsmodels' ``GLM.information``.",
    "Monte Carlo information of ``MultivariateNormal(d=5)``, score estimator, 10^6 draws: "
    "at least 50x a per-draw Python loop.",
    "Numeric fallback (``Model.from_logpdf``): accuracy and cost in function evaluations, "
    "next to statsmodels' ``approx_hess3`` on the same function.",
]

def glm_information(table: Table, n: int, p: int = 10) -> None:
    """Analytic GLM information on n rows vs statsmodels' GLM.information."""
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1)) / np.sqrt(p)])
    beta = rng.uniform(-0.5, 0.5, p)
    for name, model, family in (
        ("Logistic", models.LogisticRegression(p), sm.families.Binomial()),
        ("Poisson", models.PoissonRegression(p), sm.families.Poisson()),
    ):
        y = model.sample(beta, rng=1, x=X)
        glm = sm.GLM(y, X, family=family)
        ours = model.fisher(beta, x=X)
        theirs = -glm.information(beta)  # statsmodels returns the expected Hessian (= -I)
        rel = np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
        t_ours = best_time(lambda: model.fisher(beta, x=X))  # noqa: B023
        t_sm = best_time(lambda: glm.information(beta))  # noqa: B023
        table.add(f"{name} information, n={n:.0e}, p={p}", f"{t_ours * 1e3:.1f} ms",
                  "statsmodels GLM.information", f"{t_sm * 1e3:.1f} ms (max rel diff {rel:.1e})",
                  f"{t_sm / t_ours:.2f}x faster")


def mvn_monte_carlo(table: Table, n_draws: int, d: int = 5) -> None:
    """Monte Carlo information (score estimator) of MultivariateNormal(d) vs a per-draw loop."""
    model = models.MultivariateNormal(d)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d))
    cov = A @ A.T + d * np.eye(d)
    theta = np.concatenate([rng.standard_normal(d), cov[np.tril_indices(d)]])
    t_ours = best_time(lambda: fs.fisher(model, theta, method="monte_carlo",
                                         n_samples=n_draws, rng=1), repeat=2)

    def naive(n):  # one draw at a time: sample, score by solves, accumulate s s^T
        g = np.random.default_rng(2)
        mu, S = theta[:d], cov
        rows, cols = np.tril_indices(d)
        acc = np.zeros((theta.size, theta.size))
        for _ in range(n):
            x = g.multivariate_normal(mu, S)
            r = x - mu
            a = np.linalg.solve(S, r)
            Sinv = np.linalg.inv(S)
            G = 0.5 * (np.outer(a, a) - Sinv)
            G = 2 * G - np.diag(np.diag(G))  # vech derivative: off-diagonals count twice
            s = np.concatenate([a, G[rows, cols]])
            acc += np.outer(s, s)
        return acc / n

    n_naive = max(2000, n_draws // 100)
    t_naive = best_time(lambda: naive(n_naive), repeat=1)
    rate_ours, rate_naive = n_draws / t_ours, n_naive / t_naive
    table.add(f"MVN(d={d}) Monte Carlo information, {n_draws:.0e} draws",
              f"{rate_ours:.3g} draws/s", "per-draw Python loop",
              f"{rate_naive:.3g} draws/s", f"{rate_ours / rate_naive:.0f}x faster")


def numeric_fallback(table: Table, n: int = 1000) -> None:
    """Numeric Hessian of a from_logpdf Gamma model vs analytic and statsmodels approx_hess3."""
    from scipy import special
    from statsmodels.tools.numdiff import approx_hess3

    gamma = models.Gamma()
    theta = np.array([2.5, 1.5])
    data = gamma.sample(theta, n, rng=0)
    calls = {"n": 0}

    def logpdf(t, x):
        calls["n"] += 1
        k, s = t
        return (k - 1) * np.log(x) - x / s - special.gammaln(k) - k * np.log(s)

    custom = fs.Model.from_logpdf(logpdf, None, ["shape", "scale"],
                                  bounds=[(0, np.inf), (0, np.inf)])
    exact = gamma.hessian(theta, data)
    scale = np.max(np.abs(exact))
    calls["n"] = 0
    H_fs = custom.hessian(theta, data)
    n_fs = calls["n"]
    calls["n"] = 0
    H_sm = approx_hess3(theta, lambda t: logpdf(t, data).sum())
    n_sm = calls["n"]
    t_an = best_time(lambda: gamma.hessian(theta, data))
    t_fs = best_time(lambda: custom.hessian(theta, data))
    t_sm = best_time(lambda: approx_hess3(theta, lambda t: logpdf(t, data).sum()))
    e_fs = np.max(np.abs(H_fs - exact)) / scale
    e_sm = np.max(np.abs(H_sm - exact)) / scale
    table.add(f"numeric Hessian (Gamma, n={n}), vs analytic",
              f"rel err {e_fs:.1e}, {n_fs} evals, {t_fs * 1e3:.2f} ms",
              "statsmodels approx_hess3",
              f"rel err {e_sm:.1e}, {n_sm} evals, {t_sm * 1e3:.2f} ms",
              f"analytic {t_an * 1e3:.3f} ms; error ratio {e_sm / max(e_fs, 1e-300):.0f}x")


def run(table: Table, quick: bool) -> None:
    glm_information(table, 10**4 if quick else 10**6)
    mvn_monte_carlo(table, 10**4 if quick else 10**6)
    numeric_fallback(table)
