"""``fisherstat design``: optimal (approximate or exact) design of a regression model."""

from __future__ import annotations

import re

import numpy as np

from ._common import (
    UsageError,
    add_model_arguments,
    build_entry_model,
    check_output_path,
    parse_floats,
)

NAME = "design"
HELP = "optimal design of a regression model on a region (D, A, E, G, I, c, Ds)"
DEFAULT_MODEL = "Emax"
_LINEAR_PREDICTOR = ("LinearRegression", "LogisticRegression", "ProbitRegression",
                     "PoissonRegression")
_FAMILY = {"LinearRegression": "linear", "LogisticRegression": "logistic",
           "ProbitRegression": "probit", "PoissonRegression": "poisson"}


def register(sub) -> None:
    p = sub.add_parser(
        NAME, help=HELP,
        description="Compute a locally optimal approximate design of a built-in regression "
        "model at theta on a region (or on the covariates given with --x), print the design, "
        "its criterion value and the equivalence-theorem efficiency bound; with --runs, also "
        "an exact design of N runs. For LinearRegression and the GLMs (k coefficients) the "
        "region is that of a covariate t with x = (1, t, ..., t^(k-1)).",
    )
    # "-1:1" must be read as a value, not as an option
    p._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[\d.eE+-]*:[\d.eE+-]*$")
    add_model_arguments(p, DEFAULT_MODEL)
    p.add_argument("--region", action="append", metavar="LOW:HIGH",
                   help="design region of a covariate (repeat for each column of x); default: "
                   "the range of the model's example covariates")
    p.add_argument("--criterion", default="D",
                   help="D, A, E, G, I, c:V1,V2,... (coefficients) or Ds:NAME1,NAME2 "
                   "(default D)")
    p.add_argument("--algorithm", choices=["rex", "multiplicative", "fedorov_wynn"],
                   default="rex")
    p.add_argument("--levels", type=int, default=None,
                   help="grid points per covariate (default 201 for one, 41 for two)")
    p.add_argument("--runs", type=int, default=None, metavar="N",
                   help="also an exact design of N runs (efficient rounding + exchange)")
    p.add_argument("--tol", type=float, default=1e-6,
                   help="stop at efficiency bound >= 1 - tol (default 1e-6)")
    p.add_argument("--no-refine", action="store_true",
                   help="keep the grid design (no local optimisation of the points)")
    p.add_argument("--plot", metavar="PNG", help="save the sensitivity function to this file")


def _criterion(text: str):
    from .. import design

    t = text.strip()
    if ":" in t:
        kind, _, rest = t.partition(":")
        if kind == "c":
            return design.c(parse_floats([rest], "--criterion c"))
        if kind == "Ds":
            names = [s.strip() for s in rest.split(",") if s.strip()]
            if not names:
                raise UsageError("--criterion Ds:NAME1,NAME2 needs parameter names")
            return design.Ds(names)
        raise UsageError(f"--criterion must be D, A, E, G, I, c:... or Ds:..., got {text!r}")
    if t.upper() not in ("D", "A", "E", "G", "I"):
        raise UsageError(f"--criterion must be D, A, E, G, I, c:... or Ds:..., got {text!r}")
    return t.upper()


def _regions(items, model, x):
    """Bounds (d, 2) from ``--region`` or the example covariates' range."""
    if items:
        X = x[:, None] if x.ndim == 1 else x
        if len(items) != X.shape[1]:
            raise UsageError(
                f"--region given {len(items)} times, but {type(model).__name__} has "
                f"{X.shape[1]} covariate column(s): give one LOW:HIGH per column")
        rows = []
        for it in items:
            lo, sep, hi = it.partition(":")
            try:
                rows.append((float(lo), float(hi)))
            except ValueError:
                raise UsageError(f"--region must look like LOW:HIGH, got {it!r}") from None
            if not sep or not rows[-1][0] < rows[-1][1]:
                raise UsageError(f"--region must be LOW:HIGH with LOW < HIGH, got {it!r}")
        return np.array(rows)
    X = x[:, None] if x.ndim == 1 else x
    return np.column_stack([X.min(axis=0), X.max(axis=0)])


def run(args, out) -> None:
    from .. import design

    entry, model, theta, context = build_entry_model(args)
    check_output_path(args.plot, "--plot")
    if entry.kind == "population":
        raise UsageError(f"{entry.name} is a population model: design its sampling times "
                         "with fisherstat.pkpd.optimize_design")
    if entry.kind == "time series regression":
        raise UsageError(f"{entry.name}'s observations are one dependent series: the "
                         "approximate designs of fisherstat.design need independent "
                         "observations at the design points")
    if not entry.has_covariates:
        raise UsageError(f"{type(model).__name__} has no covariates to design; choose a "
                         "regression model (see `fisherstat models`)")
    crit = _criterion(args.criterion)
    name = type(model).__name__
    x = context["x"]
    if name in _LINEAR_PREDICTOR and (args.region or args.x is None):
        k = model.k
        poly = design.polynomial(["t"], degree=k - 1)
        model = poly.model(_FAMILY[name])
        x = np.linspace(-1.0, 1.0, 11)
    if args.region or args.x is None:
        bounds = _regions(args.region, model, x)
        X = None
        const = bounds[:, 0] == bounds[:, 1]
        if np.any(const):  # e.g. a fixed dose column of the example covariates
            j = int(np.flatnonzero(const)[0])
            raise UsageError(
                f"covariate column {j} is constant in the example covariates (e.g. a dose): "
                "give --region LOW:HIGH for every column, or fix it with --option "
                "(e.g. --option dose=70)")
    else:
        bounds, X = None, x
    if args.levels is not None and args.levels < 2:
        raise UsageError(f"--levels must be >= 2, got {args.levels}")
    if bounds is not None:
        from ..design.optimal import box_grid

        grid = box_grid(bounds, args.levels)[1]
        if bounds.shape[0] == 1 and x.ndim == 2 and x.shape[1] == 1:
            grid = grid[:, None]
    else:
        grid = X
    if not 0 < args.tol < 1:
        raise UsageError(f"--tol must be in (0, 1), got {args.tol}")
    res = design.optimal_design(model, theta, grid, crit, args.algorithm, args.tol,
                                None if (bounds is None or args.no_refine) else bounds, rng=0)
    print(res.summary(), file=out)
    if args.runs is not None:
        if args.runs < 1:
            raise UsageError(f"--runs must be >= 1, got {args.runs}")
        ex = design.exact_design(model, theta, grid, args.runs, crit, approximate=res,
                                 rng=0)
        print("", file=out)
        print(ex.summary(), file=out)
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise UsageError("--plot needs matplotlib: python -m pip install "
                             "'fisherstat[plot]'") from None
        ax = res.plot()
        ax.figure.tight_layout()
        ax.figure.savefig(args.plot)
        plt.close(ax.figure)
        print(f"\nsensitivity function saved to {args.plot}", file=out)
