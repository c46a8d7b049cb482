"""``fisherstat info``: information matrix, Cramer-Rao bound and eigenvalues of a model."""

from __future__ import annotations

import numpy as np

from ._common import UsageError, add_model_arguments, build_entry_model

NAME = "info"
HELP = "information matrix, Cramer-Rao bound and eigenvalues of a model"
DEFAULT_MODEL = "LogisticRegression"


def register(sub) -> None:
    p = sub.add_parser(
        NAME, help=HELP,
        description="Print the Fisher information of a built-in model at theta, its inverse "
        "(the Cramer-Rao bound for n observations) and its eigenvalues. Every model of "
        "`fisherstat models` is accepted: regression and network models at their example "
        "covariates (or --x), time-series models (e.g. ARMA --option p=1 --option q=1) "
        "with the asymptotic information per observation, population models with the "
        "information of their example design.",
    )
    add_model_arguments(p, DEFAULT_MODEL)
    p.add_argument("--n", type=float, default=1.0,
                   help="number of observations for the Cramer-Rao bound (default 1; for "
                   "regression models, replicates of the covariate set)")
    p.add_argument("--method", choices=["auto", "analytic", "monte_carlo"], default="auto")
    p.add_argument("--samples", type=int, default=100_000, help="Monte Carlo draws")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")


def run(args, out) -> None:
    from ..registry import information

    entry, model, theta, context = build_entry_model(args)
    if args.n <= 0 or not np.isfinite(args.n):
        raise UsageError(f"--n must be > 0, got {args.n}")
    if args.samples < 2:
        raise UsageError(f"--samples must be >= 2, got {args.samples}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if entry.information is not None and args.method == "monte_carlo":
        raise UsageError(f"--method monte_carlo is not available for the {entry.kind} model "
                         f"{entry.name} (its information is computed in closed form)")
    info = information(entry, model, theta, method=args.method, n_samples=args.samples,
                       rng=args.seed, **context)
    print(f"model: {model!r}", file=out)
    print("theta: " + ", ".join(f"{n} = {v:.6g}"
                                for n, v in zip(info.param_names, theta, strict=True)), file=out)
    if "x" in context:
        print(f"covariates: {context['x'].shape[0]} rows", file=out)
    if "design" in context:
        print(f"design: {context['design']!r}", file=out)
    print(info.summary(), file=out)
    with np.printoptions(precision=6, linewidth=120):
        if "x" in context:
            what = f"{args.n:g} replicate(s) of the {context['x'].shape[0]} covariate rows"
        elif "design" in context:
            what = f"{args.n:g} replicate(s) of the design ({info.n_obs:g} subjects)"
        else:
            what = f"n = {args.n:g} observations"
        print(f"\nCramer-Rao bound (inverse information) for {what}:", file=out)
        print(info.covariance(args.n * info.n_obs), file=out)
