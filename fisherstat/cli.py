"""The ``fisherstat`` command line.

``fisherstat info [MODEL]`` prints the Fisher information of a built-in model, its inverse
(the Cramer-Rao bound) and its eigenvalues; ``fisherstat models`` lists the models. Bad
arguments give a one-line error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["main"]

DEFAULT_MODEL = "LogisticRegression"


class UsageError(Exception):
    """A bad command-line argument (reported in one line, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage + error otherwise)
        raise UsageError(message)


def _floats(tokens: Sequence[str], name: str) -> np.ndarray:
    vals = []
    for tok in tokens:
        for part in tok.replace(";", ",").split(","):
            if part.strip():
                try:
                    vals.append(float(part))
                except ValueError:
                    raise UsageError(f"{name} must be numbers, got {part!r}") from None
    return np.array(vals)


def _parse_x(text: str) -> np.ndarray:
    """Covariates from a file (``np.loadtxt``, comma or whitespace separated) or inline.

    Inline: rows separated by ``;``, columns by ``,`` (``"1,0;1,0.5"``); a plain comma list
    ``"0.5,1,2"`` is one covariate column.
    """
    if os.path.exists(text):
        try:
            with open(text) as fh:
                first = fh.readline()
            return np.loadtxt(text, delimiter="," if "," in first else None, ndmin=1)
        except ValueError as exc:
            raise UsageError(f"--x file {text!r} is not a numeric table ({exc})") from None
    rows = [r for r in text.split(";") if r.strip()]
    try:
        table = [[float(v) for v in r.split(",") if v.strip()] for r in rows]
    except ValueError:
        raise UsageError(f"--x must be a file or numbers like '1,0;1,0.5', got {text!r}") from None
    if len(rows) == 1:
        return np.array(table[0])
    if len({len(r) for r in table}) != 1:
        raise UsageError("--x rows must all have the same number of columns")
    return np.array(table)


def _parse_options(items: Sequence[str]) -> dict:
    opts = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--option must look like NAME=VALUE, got {item!r}")
        try:
            opts[key] = int(value)
        except ValueError:
            try:
                opts[key] = float(value)
            except ValueError:
                opts[key] = value
    return opts


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="fisherstat",
        description="Fisher information, Cramer-Rao bounds and their checks.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser(
        "info",
        help="information matrix, Cramer-Rao bound and eigenvalues of a model",
        description="Print the Fisher information of a built-in model at theta, its inverse "
        "(the Cramer-Rao bound for n observations) and its eigenvalues.",
    )
    p.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                   help=f"model name (default {DEFAULT_MODEL}; see `fisherstat models`)")
    p.add_argument("--theta", nargs="+", metavar="V",
                   help="parameter values (space or comma separated; default: the model's "
                   "example parameter)")
    p.add_argument("--x", metavar="FILE_OR_LIST",
                   help="covariates of a regression model: a file, or '1,0;1,0.5' (rows ';')")
    p.add_argument("--n", type=float, default=1.0,
                   help="number of observations for the Cramer-Rao bound (default 1; for "
                   "regression models, replicates of the covariate set)")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="model constructor option, e.g. k=3, n_trials=20, dim=3 (repeatable)")
    p.add_argument("--method", choices=["auto", "analytic", "monte_carlo"], default="auto")
    p.add_argument("--samples", type=int, default=100_000, help="Monte Carlo draws")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")
    sub.add_parser("models", help="list the built-in models and their parameters")
    return parser


def _cmd_models(out) -> None:
    from .models.registry import REGISTRY

    for name, cls in REGISTRY.items():
        m = cls()
        kind = "regression" if m.is_regression else "iid"
        print(f"{name:<22}{kind:<12}{', '.join(m.param_names)}", file=out)


def _cmd_info(args, out) -> None:
    from .information import fisher
    from .models.registry import get_model

    model = get_model(args.model, **_parse_options(args.option))
    theta = model.example_theta() if args.theta is None else _floats(args.theta, "--theta")
    context = {}
    if model.is_regression:
        context["x"] = model.example_x() if args.x is None else _parse_x(args.x)
    elif args.x is not None:
        raise UsageError(f"{type(model).__name__} takes no covariates (--x)")
    if args.n <= 0 or not np.isfinite(args.n):
        raise UsageError(f"--n must be > 0, got {args.n}")
    info = fisher(model, theta, method=args.method, n_samples=args.samples, rng=args.seed,
                  **context)
    names = info.param_names
    print(f"model: {model!r}", file=out)
    print("theta: " + ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, theta, strict=True)),
          file=out)
    if model.is_regression:
        print(f"covariates: {context['x'].shape[0]} rows", file=out)
    print(info.summary(), file=out)
    with np.printoptions(precision=6, suppress=False, linewidth=120):
        print(f"\nCramer-Rao bound (inverse information) for n = {args.n:g}:", file=out)
        print(info.covariance(args.n * info.n_obs), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fisherstat`` console script; returns the exit status.

    Examples
    --------
    >>> from fisherstat.cli import main
    >>> main(["info", "Poisson", "--theta", "2"])  # doctest: +ELLIPSIS
    model: Poisson(lam)
    ...
    0
    """
    out = sys.stdout
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from . import __version__

            print(f"fisherstat {__version__}", file=out)
            return 0
        if args.command is None:
            parser.print_help(out)
            return 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if args.command == "info":
                _cmd_info(args, out)
            elif args.command == "models":
                _cmd_models(out)
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
    except UsageError as exc:
        print(f"fisherstat: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, NotImplementedError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"fisherstat: error: {msg}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
