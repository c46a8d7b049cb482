"""Argument checks shared by the ``nn`` modules (on top of :mod:`fisherstat._validation`)."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .._validation import check_bool

__all__ = ["check_bool", "finite_result", "overflow_error", "NonFiniteError"]


def _finite(value) -> bool:
    """Whether every number in ``value`` (array, number, or tuple/list of them) is finite."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.all(np.isfinite(value)))
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    if callable(getattr(value, "trace", None)) and callable(getattr(value, "matvec", None)):
        # a Fisher operator: PSD, so a finite trace bounds every entry
        return bool(np.isfinite(value.trace()))
    return True


def _largest(value) -> str:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return "?"
    return f"{np.max(np.abs(a), initial=0.0):.3g}"


class NonFiniteError(ValueError):
    """Finite arguments whose computation overflows float64 (bad input, never a silent NaN)."""


def overflow_error(names: dict, what: str = "the result") -> NonFiniteError:
    """The ``ValueError`` for arguments whose computation overflows float64."""
    args = ", ".join(f"max |{k}| = {_largest(v)}" for k, v in names.items())
    return NonFiniteError(
        f"{' and '.join(names)} give a non-finite {what} (float64 overflow; {args}): "
        "the arguments must keep the pre-activations, gradients and products within "
        "float64 range (rescale them)")


def finite_result(*argnames: str, what: str = "result"):
    """Decorator: run under ``errstate(ignore)``; a non-finite result is a ``ValueError``.

    The message names the arguments ``argnames`` (those passed) and their largest entries:
    finite input that overflows inside (e.g. entries near 1e308) is bad input, never a
    silent NaN or inf.
    """

    def deco(f):
        sig = inspect.signature(f)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                out = f(*args, **kwargs)
                ok = _finite(out)
            if not ok:
                bound = sig.bind(*args, **kwargs)
                names = {k: bound.arguments[k] for k in argnames
                         if bound.arguments.get(k) is not None}
                raise overflow_error(names, what)
            return out

        return wrapper

    return deco
