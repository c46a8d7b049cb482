"""fisherstat benchmarks: one command, one table, the peer timed in the same run.

Usage::

    python benchmarks/run.py                 # print the table
    python benchmarks/run.py --quick         # smaller sizes (smoke run)
    python benchmarks/run.py --output docs/performance.rst   # also write the docs page

Times are the best of several repeats (``time.perf_counter``), so they measure the code,
not the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np

import fisherstat as fs
from fisherstat import models


def best_time(f: Callable[[], object], repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


class Table:
    def __init__(self):
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells):
        self.rows.append(tuple(str(c) for c in cells))

    def render(self) -> str:
        head = ("benchmark", "fisherstat", "peer", "peer result", "ratio / note")
        rows = [head, *self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        rule = "  ".join("=" * w for w in widths)
        fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))  # noqa
        return "\n".join([rule, fmt(head), rule, *map(fmt, self.rows), rule])


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


SECTIONS = [glm_information, mvn_monte_carlo, numeric_fallback]


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--output", help="write the docs page (RST) to this path")
    args = parser.parse_args(argv)
    table = Table()
    glm_information(table, 10**4 if args.quick else 10**6)
    mvn_monte_carlo(table, 10**4 if args.quick else 10**6)
    numeric_fallback(table)
    text = table.render()
    print(text)
    if args.output:
        write_page(args.output, text)
    return text


def write_page(path: str, text: str) -> None:
    import os

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    page = f"""Performance
===========

Produced by ``python benchmarks/run.py --output docs/performance.rst`` on {machine}
({time.strftime('%Y-%m-%d')}). Each line times fisherstat and its peer in the same run
(best of several repeats); ratios above 1 mean fisherstat is faster.

.. code-block:: text

{chr(10).join('   ' + line for line in text.splitlines())}

Goals (Foundation issue): GLM information at least as fast as statsmodels; Monte Carlo
information at least 50x a per-draw Python loop; the numeric fallback's accuracy and cost
reported next to statsmodels' ``approx_hess3``.
"""
    with open(path, "w") as fh:
        fh.write(page)


if __name__ == "__main__":
    main()
