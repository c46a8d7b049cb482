"""Asymptotic variance of the ARMA(1,1) maximum-likelihood estimator: Box-Jenkins vs simulation.

Box & Jenkins give the large-sample covariance of the MLE of an ARMA(1,1) (Box, Jenkins,
Reinsel & Ljung 2015, *Time Series Analysis*, 5th ed., ch. 7, large-sample information
matrices; written here with statsmodels' MA sign, y_t = phi y_{t-1} + e_t + theta e_{t-1}):

    n Var(phi_hat)   ~ (1 - phi^2) (1 + phi theta)^2 / (phi + theta)^2
    n Var(theta_hat) ~ (1 - theta^2) (1 + phi theta)^2 / (phi + theta)^2
    Corr(phi_hat, theta_hat) ~ -sqrt((1 - phi^2)(1 - theta^2)) / (1 + phi theta)

i.e. the inverse of the information matrix [[1/(1-phi^2), 1/(1+phi theta)],
[1/(1+phi theta), 1/(1-theta^2)]]. The factor 1/(phi + theta)^2 makes the variances blow
up near the common-root line phi = -theta, where the AR and MA factors cancel and the
information is singular.

This script simulates ``reps`` series of length ``n`` for a few (phi, theta), fits each by
exact maximum likelihood (``ARMA.fit``), and prints, for each parameter, n times the
simulated variance with its Monte Carlo standard error, the Box-Jenkins value, the same
value from ``ARMA(1, 1).fisher`` (the general-(p, q) algorithm; equal to rounding), the
exact finite-sample Cramer-Rao bound n [I_n^{-1}] from ``fisher(theta, n=n)``, and
z = (simulated - Box-Jenkins) / standard error. The exact and the asymptotic bound differ
by O(1/n) (the edge effect of the first observations).

Run::

    python examples/arma_information.py                   # table (20-40 s)
    python examples/arma_information.py --reps 1000 --n 1000
    python examples/arma_information.py --plot arma.png   # also save a figure
"""

from __future__ import annotations

import argparse

import numpy as np

from fisherstat import FitError
from fisherstat.models.arma import ARMA

SETTINGS = ((0.5, 0.3), (0.8, -0.4), (-0.6, 0.2))


def box_jenkins(phi: float, theta: float) -> np.ndarray:
    """n times the asymptotic covariance of (phi_hat, theta_hat) (Box & Jenkins, ch. 7)."""
    f = (1 + phi * theta) ** 2 / (phi + theta) ** 2
    a, b = 1 - phi**2, 1 - theta**2
    return f * np.array([[a, -a * b / (1 + phi * theta)], [-a * b / (1 + phi * theta), b]])


def simulate(phi: float, theta: float, n: int, reps: int, seed: int) -> dict:
    """Fit ``reps`` simulated ARMA(1,1) series; return estimates and reference values."""
    model = ARMA(1, 1)
    truth = np.array([phi, theta, 1.0])
    Y = model.sample_paths(truth, n, reps, rng=seed)
    est, failed = [], 0
    for y in Y:
        try:
            est.append(model.fit(y)[:2])
        except FitError:
            failed += 1
    est = np.array(est)
    asym = np.linalg.inv(model.fisher(truth))[:2, :2]  # per observation, sigma2 decoupled
    exact = n * np.linalg.inv(model.fisher(truth, n=n))[:2, :2]
    return dict(phi=phi, theta=theta, est=est, failed=failed, bj=box_jenkins(phi, theta),
                asym=asym, exact=exact, n=n)


def variance_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance and its standard error sqrt((m4 - var^2 (r-3)/(r-1)) / r)."""
    r = x.size
    var = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    return var, np.sqrt(max(m4 - var**2 * (r - 3) / (r - 1), 0.0) / r)


def print_table(results) -> None:
    head = (f"{'phi':>5} {'theta':>6} {'param':>6} {'n*Var sim':>10} {'(s.e.)':>8} "
            f"{'Box-Jenk.':>10} {'fisherstat':>10} {'exact n':>9} {'z':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        for i, name in enumerate(("phi", "theta")):
            var, se = variance_se(r["est"][:, i])
            n = r["n"]
            print(f"{r['phi']:>5.2f} {r['theta']:>6.2f} {name:>6} {n * var:>10.4f} "
                  f"{n * se:>8.4f} {r['bj'][i, i]:>10.4f} {r['asym'][i, i]:>10.4f} "
                  f"{r['exact'][i, i]:>9.4f} {(n * var - r['bj'][i, i]) / (n * se):>6.2f}")
        c = np.corrcoef(r["est"].T)[0, 1]
        bj = r["bj"][0, 1] / np.sqrt(r["bj"][0, 0] * r["bj"][1, 1])
        print(f"{'':>13} corr {c:>10.4f} {'':>8} {bj:>10.4f}   ({r['failed']} failed fits)")
    print("\nfisherstat: inverse of ARMA(1,1).fisher(theta) (general p, q algorithm);"
          "\nexact n: n times the inverse of the exact information of n observations;"
          "\nz = (simulated - Box-Jenkins) / s.e.: within about +/-3 when they agree.")


def plot(results, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.6))
    t = np.linspace(0, 2 * np.pi, 200)
    for ax, r in zip(np.atleast_1d(axes), results, strict=True):
        n = r["n"]
        d = np.sqrt(n) * (r["est"] - [r["phi"], r["theta"]])
        ax.plot(d[:, 0], d[:, 1], ".", ms=3, alpha=0.5)
        L = np.linalg.cholesky(r["bj"])
        ell = 2.0 * L @ np.vstack([np.cos(t), np.sin(t)])  # ~86% ellipse
        ax.plot(ell[0], ell[1], "k-", label="Box-Jenkins, 2 s.d.")
        ax.set_title(f"phi = {r['phi']}, theta = {r['theta']}, n = {n}")
        ax.set_xlabel(r"$\sqrt{n}(\hat\phi - \phi)$")
        ax.set_ylabel(r"$\sqrt{n}(\hat\theta - \theta)$")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="series length (default 400)")
    parser.add_argument("--reps", type=int, default=200, help="replicates (default 200)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--plot", metavar="PATH", help="save a figure to PATH")
    args = parser.parse_args(argv)
    results = [simulate(phi, theta, args.n, args.reps, args.seed + i)
               for i, (phi, theta) in enumerate(SETTINGS)]
    print_table(results)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
