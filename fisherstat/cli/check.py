"""``fisherstat check``: does the MLE of a model follow N(theta0, I^-1 / n) at this n?

Without arguments it runs the default convergence study -- logistic regression with an
intercept and a slope on 11 equally spaced covariate values in [-1, 1] (cycled to n rows),
theta0 = (0.5, -1), n = 25, 100, 400 and 1600, 1000 replicates each -- and prints the report
of :func:`fisherstat.asymptotics.check_asymptotics`: at n = 25 the variance exceeds the
Cramer-Rao bound and the estimates are skewed, from n = 400 on the theory holds.
"""

from __future__ import annotations

from .._figures import require_matplotlib
from ._common import (
    UsageError,
    add_model_arguments,
    build_entry_model,
    check_output_path,
    renamed,
)

NAME = "check"
HELP = "simulate the MLE and check asymptotic normality, the Cramer-Rao bound and Wald coverage"
DEFAULT_MODEL = "LogisticRegression"
DEFAULT_N = (25, 100, 400, 1600)
#: check_asymptotics' arguments -> the options that set them (named in error messages)
_OPTIONS = {"executor": "--workers", "rng": "--seed", "checkpoint": "--checkpoint",
            "reps": "--reps", "n": "--n", "level": "--level"}


def register(sub) -> None:
    p = sub.add_parser(
        NAME, help=HELP,
        description="Simulate REPS data sets of N observations at theta, fit each by maximum "
        "likelihood and compare the estimates with the asymptotic theory "
        "sqrt(n)(theta_hat - theta) ~ N(0, I^-1): bias, variance against the Cramer-Rao "
        "bound, coverage of 95% Wald intervals (expected, observed, OPG and sandwich "
        "information), normality tests and a verdict. For regression models the covariate "
        "rows (--x, default the model's example design) are cycled to N rows.",
    )
    add_model_arguments(p, DEFAULT_MODEL)
    p.add_argument("--n", nargs="+", type=int, default=list(DEFAULT_N), metavar="N",
                   help="observations per replicate; several values run a convergence study "
                   f"(default {' '.join(map(str, DEFAULT_N))})")
    p.add_argument("--reps", type=int, default=1000, help="replicates (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="root random seed (default 0)")
    p.add_argument("--workers", type=int, default=None,
                   help="number of worker processes (default: run in this process)")
    p.add_argument("--plot", metavar="PATH", help="save the figure to PATH (needs matplotlib)")
    p.add_argument("--checkpoint", metavar="PATH.npz",
                   help="save finished chunks to this file and resume from it")
    p.add_argument("--level", type=float, default=0.95,
                   help="Wald interval level and family-wise confidence (default 0.95)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args, out) -> None:
    from ..asymptotics import check_asymptotics

    entry, model, theta, context = build_entry_model(args)
    if entry.kind == "time series regression":
        raise UsageError(f"{entry.name} is one series with regressors: `fisherstat check` "
                         "simulates iid, regression, time-series or network models (see "
                         "`fisherstat models`)")
    if entry.kind == "population":
        raise UsageError(f"{entry.name} is a {entry.kind} model without a likelihood to "
                         "simulate and fit; `fisherstat check` needs an iid, regression, "
                         "time-series or network model (see `fisherstat models`)")
    check_output_path(args.plot, "--plot")
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")  # files only, no display
            require_matplotlib()
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'fisherstat[plot]'") from None
    sizes = args.n[0] if len(args.n) == 1 else args.n
    try:
        report = check_asymptotics(
            model, theta, sizes, args.reps, rng=args.seed, executor=args.workers,
            x=context.get("x"), progress=not args.quiet, checkpoint=args.checkpoint,
            level=args.level,
        )
    except (ValueError, TypeError) as exc:
        raise renamed(exc, _OPTIONS) from None
    print(report.summary(), file=out)
    if args.plot:
        report.plot().savefig(args.plot, dpi=120)
        print(f"\nfigure saved to {args.plot}", file=out)
