"""Cramer-Rao bound of the Normal model against the simulated variance of its MLE.

For ``n`` observations from N(mu, sigma2) the Fisher information of one observation is
``I = diag(1 / sigma2, 1 / (2 sigma2^2))``, so no unbiased estimator can have a variance
below ``1 / (n I)`` (the Cramer-Rao bound), and the maximum-likelihood estimate reaches it
as ``n`` grows. This script simulates ``reps`` data sets of each size at once, as one
``(reps, n)`` array, computes the closed-form MLE (sample mean and variance with divisor
``n``) of every replicate, and prints

* the simulated variance of each MLE with its Monte Carlo standard error,
* the Cramer-Rao bound from :func:`fisherstat.fisher`,
* their ratio, and the exact finite-sample variance for comparison: ``sigma2 / n`` for the
  mean (the bound is attained at every n) and ``2 sigma2^2 (n - 1) / n^2`` for the biased
  variance estimate (below the bound, which only covers unbiased estimators; the ratio
  tends to 1), with ``z`` = (simulated - exact) / standard error.

Run::

    python examples/crlb_normal.py                 # table only (numpy + fisherstat)
    python examples/crlb_normal.py --plot crlb.png # also save a figure (needs matplotlib)
"""

from __future__ import annotations

import argparse

import numpy as np

import fisherstat as fs


def simulate(mu: float, sigma2: float, sizes, reps: int, seed: int):
    """Simulated variances of the Normal MLE for each sample size, with standard errors.

    Returns a list of dicts, one per ``n``.
    """
    model = fs.models.Normal()
    info = fs.fisher(model, [mu, sigma2])  # analytic: diag(1/sigma2, 1/(2 sigma2^2))
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        x = mu + np.sqrt(sigma2) * rng.standard_normal((reps, n))
        mu_hat = x.mean(axis=1)
        s2_hat = np.mean((x - mu_hat[:, None]) ** 2, axis=1)  # MLE: divisor n
        crlb = np.diag(info.covariance(n))
        for name, est, bound, exact in (
            ("mu", mu_hat, crlb[0], sigma2 / n),
            ("sigma2", s2_hat, crlb[1], 2 * sigma2**2 * (n - 1) / n**2),
        ):
            var = est.var(ddof=1)
            # standard error of a sample variance: sqrt((m4 - var^2 (reps-3)/(reps-1)) / reps)
            c = est - est.mean()
            m4 = np.mean(c**4)
            se = np.sqrt(max(m4 - var**2 * (reps - 3) / (reps - 1), 0.0) / reps)
            rows.append(dict(n=n, param=name, var=var, se=se, crlb=bound, exact=exact))
    return rows


def print_table(rows) -> None:
    head = (f"{'n':>6} {'param':>7} {'simulated var':>14} {'(MC s.e.)':>11} {'CRLB':>11}"
            f" {'var/CRLB':>9} {'exact var':>11} {'z':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['n']:>6d} {r['param']:>7} {r['var']:>14.6g} {r['se']:>11.2g} "
              f"{r['crlb']:>11.6g} {r['var'] / r['crlb']:>9.4f} {r['exact']:>11.6g} "
              f"{(r['var'] - r['exact']) / r['se']:>6.2f}")
    print("\nz = (simulated - exact) / s.e.: within about +/-3 when the simulation agrees.")


def plot(rows, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, name in zip(axes, ("mu", "sigma2"), strict=True):
        sub = [r for r in rows if r["param"] == name]
        n = np.array([r["n"] for r in sub])
        ax.errorbar(n, [r["var"] for r in sub], yerr=[2 * r["se"] for r in sub], fmt="o",
                    label="simulated var of MLE (+/- 2 s.e.)")
        ax.plot(n, [r["crlb"] for r in sub], "-", label="Cramer-Rao bound")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_title(name)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mu", type=float, default=1.0)
    parser.add_argument("--sigma2", type=float, default=4.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 50, 100, 500])
    parser.add_argument("--reps", type=int, default=20_000, help="replicates per size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.sigma2 <= 0:
        parser.error(f"--sigma2 must be > 0, got {args.sigma2}")
    if args.reps < 10 or any(n < 2 for n in args.sizes):
        parser.error("--reps must be >= 10 and every size >= 2")
    print(f"Normal(mu={args.mu:g}, sigma2={args.sigma2:g}): variance of the MLE over "
          f"{args.reps} replicates vs the Cramer-Rao bound 1/(n I)\n")
    rows = simulate(args.mu, args.sigma2, args.sizes, args.reps, args.seed)
    print_table(rows)
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
