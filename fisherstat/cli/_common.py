"""Shared pieces of the command line: one-line usage errors and model arguments."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["UsageError", "Parser", "add_model_arguments", "build_model", "build_entry_model"]


class UsageError(Exception):
    """A bad command-line argument (reported in one line, exit status 2)."""


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` whose errors are one line (raised, then printed by ``main``)."""

    def error(self, message):
        raise UsageError(message)


def parse_floats(tokens: Sequence[str], name: str) -> np.ndarray:
    """Numbers given space- or comma-separated (``--theta 0 1`` or ``--theta 0,1``)."""
    vals = []
    for tok in tokens:
        for part in tok.replace(";", ",").split(","):
            if part.strip():
                try:
                    vals.append(float(part))
                except ValueError:
                    raise UsageError(f"{name} must be numbers, got {part!r}") from None
    return np.array(vals)


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")


def check_output_path(path: str | None, option: str) -> None:
    """Refuse an output file in a directory that does not exist, before any work is done."""
    if path is None:
        return
    if not path.strip():
        raise UsageError(f"{option} needs a file name, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder):
        what = "is a directory" if os.path.isdir(path) else f"needs an existing directory " \
            f"({folder!r} does not exist)"
        raise UsageError(f"{option} {path!r} {what}")


def renamed(exc: Exception, names: dict[str, str]) -> Exception:
    """``exc`` as a :class:`UsageError` naming the command-line option of the library
    argument its message starts with (``executor must be ...`` -> ``--workers: ...``)."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for arg, option in names.items():
        if re.match(rf"{re.escape(arg)}\b(?!-)", msg):
            return UsageError(f"{option}: {msg}")
    return exc


def parse_x(text: str) -> np.ndarray:
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
        except OSError as exc:  # a directory, no permission, ...
            raise UsageError(f"--x file {text!r} cannot be read ({exc.strerror or exc})") \
                from None
    if os.sep in text or "/" in text or os.path.splitext(text)[1].lower() in _TABLE_SUFFIXES:
        raise UsageError(f"--x file {text!r} does not exist")
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


def parse_options(items: Sequence[str]) -> dict:
    """Constructor options ``NAME=VALUE`` as strings (each model's entry parses its own)."""
    opts = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--option must look like NAME=VALUE, got {item!r}")
        opts[key] = value
    return opts


def add_model_arguments(p: argparse.ArgumentParser, default_model: str) -> None:
    """Add ``MODEL``, ``--theta``, ``--x`` and ``--option`` to a sub-command."""
    p.add_argument("model", nargs="?", default=default_model,
                   help=f"model name (default {default_model}; see `fisherstat models`)")
    p.add_argument("--theta", nargs="+", metavar="V",
                   help="parameter values (space or comma separated; default: the model's "
                   "example parameter)")
    p.add_argument("--x", metavar="FILE_OR_LIST",
                   help="covariates of a regression model: a file, or '1,0;1,0.5' (rows ';')")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="model constructor option, e.g. k=3, n_trials=20, dim=3 (repeatable)")


def build_entry_model(args) -> tuple:
    """Return ``(entry, model, theta, context)`` from the arguments of
    :func:`add_model_arguments`.

    ``entry`` is the model's :class:`~fisherstat.models.registry.ModelEntry` in
    :data:`fisherstat.registry.REGISTRY`; ``context`` its default context (``x`` for
    regression and network models -- the model's example covariates unless ``--x`` is
    given --, the design of a population model).
    """
    from ..registry import get_entry

    entry = get_entry(args.model)
    strings = parse_options(args.option)
    try:
        options = entry.parse_options(strings)
    except TypeError as exc:  # an option the constructor does not take
        bad = next(k for k in strings if k not in entry.options)
        raise UsageError(f"--option {bad}: {exc}") from None
    except ValueError as exc:  # "option p must be an integer, got 'x'"
        raise UsageError(f"--{exc}") from None
    model = entry.build(**options)
    theta = entry.default_theta(model) if args.theta is None \
        else parse_floats(args.theta, "--theta")
    if hasattr(model, "validate"):
        theta = model.validate(theta)
    context = entry.default_context(model)
    if entry.has_covariates:
        if args.x is not None:
            context["x"] = model.check_x(parse_x(args.x))
    elif args.x is not None:
        raise UsageError(f"{type(model).__name__} takes no covariates (--x)")
    return entry, model, theta, context


def build_model(args) -> tuple:
    """Return ``(model, theta, context)`` (see :func:`build_entry_model`)."""
    return build_entry_model(args)[1:]
