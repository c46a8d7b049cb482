"""Weibull maximum likelihood: Cohen's (1965) asymptotic covariance, checked by simulation.

For the Weibull distribution with shape ``k`` and scale ``lam`` the inverse Fisher
information of one observation gives the classical large-sample results (A. C. Cohen 1965,
"Maximum likelihood estimation in the Weibull distribution based on complete and on
censored samples", Technometrics 7, 579-588; also J. F. Lawless, *Statistical Models and
Methods for Lifetime Data*, 2nd ed., 2003, section 5.2):

    n Var(k_hat)   -> 6 k^2 / pi^2            = 0.6079 k^2
    n Var(lam_hat) -> (1 + 6 (1 - g)^2 / pi^2) lam^2 / k^2 = 1.1087 lam^2 / k^2
    corr(k_hat, lam_hat) -> 0.3131            (g = Euler's constant)

This script checks them with :func:`fisherstat.asymptotics.check_asymptotics`: it simulates
``reps`` samples of each size, fits the MLE of every one, and prints the simulated values of
the three constants next to Cohen's, the variance ratio to the Cramer-Rao bound with its
confidence interval, the coverage of 95% Wald intervals and the report's verdict. At small
n the shape estimate is biased upwards and its variance exceeds the bound (Thoman, Bain &
Antle 1969, Technometrics 11, 445-460, tabulate the same bias); the constants are reached
as n grows.

Run::

    python examples/crlb_asymptotic_normality.py                   # table (~30 s)
    python examples/crlb_asymptotic_normality.py --reps 5000 --workers 2
    python examples/crlb_asymptotic_normality.py --plot weibull.png  # also the figure
"""

from __future__ import annotations

import argparse

import numpy as np

import fisherstat as fs
from fisherstat.asymptotics import check_asymptotics

EULER = np.euler_gamma
COHEN = {
    "n var(k)/k^2": 6 / np.pi**2,
    "n var(lam) k^2/lam^2": 1 + 6 * (1 - EULER) ** 2 / np.pi**2,
    "corr(k, lam)": 6 * (1 - EULER) / np.pi**2
    / np.sqrt(6 / np.pi**2 * (1 + 6 * (1 - EULER) ** 2 / np.pi**2)),
}


def study(k: float, lam: float, sizes, reps: int, seed: int, workers):
    return check_asymptotics(fs.models.Weibull(), [k, lam], n=list(sizes), reps=reps,
                             rng=seed, executor=workers, progress=True)


def print_table(report, k: float, lam: float) -> None:
    print(f"Weibull(shape k = {k:g}, scale lam = {lam:g}), {report.reps} replicates per n\n")
    head = (f"{'n':>6} {'n var(k)/k^2':>13} {'n var(lam)k^2/lam^2':>20} {'corr':>7} "
            f"{'bias(k)/k':>10} {'ratio k [CI]':>22} {'cover k':>8} {'cover lam':>9}  verdict")
    print(head)
    print("-" * len(head))
    for n in report.n:
        r = report.at(n)
        C = r.covariance
        lo, hi = r.variance_ratio_ci[0]
        print(f"{n:>6} {C[0, 0] / k**2:>13.4f} {C[1, 1] * k**2 / lam**2:>20.4f} "
              f"{C[0, 1] / np.sqrt(C[0, 0] * C[1, 1]):>7.3f} {r.bias[0] / k:>10.4f} "
              f"{f'{r.variance_ratio[0]:.3f} [{lo:.2f}, {hi:.2f}]':>22} "
              f"{r.coverage[0, 0]:>8.3f} {r.coverage[0, 1]:>9.3f}  "
              f"{'consistent' if r.ok else f'{len(r.flags)} flag(s)'}")
    print(f"{'Cohen':>6} " + f"{COHEN['n var(k)/k^2']:>13.4f} "
          f"{COHEN['n var(lam) k^2/lam^2']:>20.4f} {COHEN['corr(k, lam)']:>7.3f}")
    print("\ncover = coverage of 95% Wald intervals with the expected information at the "
          "estimate;\nratio = simulated variance of k_hat over the Cramer-Rao bound "
          "6 k^2 / (pi^2 n).")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=float, default=1.5)
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--n", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1965)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--plot", metavar="PATH", help="save the convergence figure")
    args = parser.parse_args(argv)
    report = study(args.shape, args.scale, args.n, args.reps, args.seed, args.workers)
    print_table(report, args.shape, args.scale)
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError as exc:
            raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
        report.plot().savefig(args.plot, dpi=120)
        print(f"figure saved to {args.plot}")


if __name__ == "__main__":
    main()
