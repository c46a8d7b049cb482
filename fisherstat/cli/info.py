"""``fisherstat info``: information matrix, Cramer-Rao bound and eigenvalues of a model."""

from __future__ import annotations

import numpy as np

from ._common import UsageError, add_model_arguments, build_model

NAME = "info"
HELP = "information matrix, Cramer-Rao bound and eigenvalues of a model"
DEFAULT_MODEL = "LogisticRegression"


def register(sub) -> None:
    p = sub.add_parser(
        NAME, help=HELP,
        description="Print the Fisher information of a built-in model at theta, its inverse "
        "(the Cramer-Rao bound for n observations) and its eigenvalues.",
    )
    add_model_arguments(p, DEFAULT_MODEL)
    p.add_argument("--n", type=float, default=1.0,
                   help="number of observations for the Cramer-Rao bound (default 1; for "
                   "regression models, replicates of the covariate set)")
    p.add_argument("--method", choices=["auto", "analytic", "monte_carlo"], default="auto")
    p.add_argument("--samples", type=int, default=100_000, help="Monte Carlo draws")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")


def run(args, out) -> None:
    from ..information import fisher

    model, theta, context = build_model(args)
    if args.n <= 0 or not np.isfinite(args.n):
        raise UsageError(f"--n must be > 0, got {args.n}")
    if args.samples < 2:
        raise UsageError(f"--samples must be >= 2, got {args.samples}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    info = fisher(model, theta, method=args.method, n_samples=args.samples, rng=args.seed,
                  **context)
    print(f"model: {model!r}", file=out)
    print("theta: " + ", ".join(f"{n} = {v:.6g}"
                                for n, v in zip(info.param_names, theta, strict=True)), file=out)
    if model.is_regression:
        print(f"covariates: {context['x'].shape[0]} rows", file=out)
    print(info.summary(), file=out)
    with np.printoptions(precision=6, linewidth=120):
        what = (f"{args.n:g} replicate(s) of the {context['x'].shape[0]} covariate rows"
                if model.is_regression else f"n = {args.n:g} observations")
        print(f"\nCramer-Rao bound (inverse information) for {what}:", file=out)
        print(info.covariance(args.n * info.n_obs), file=out)
