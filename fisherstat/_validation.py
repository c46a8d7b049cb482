"""Shared input validation (the one place where arguments are checked).

Every public function and model method funnels its arguments through these helpers, so
that bad input always raises a ``ValueError`` or ``TypeError`` whose message names the
argument and the allowed range.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

#: NumPy < 1.24 turns a ragged list into an object array with this warning (later versions
#: raise ValueError); ``as_float_array`` makes both the same TypeError.
_VisibleDeprecationWarning = getattr(np, "exceptions", np).VisibleDeprecationWarning
_RAGGED_WARNS = tuple(int(v) for v in np.__version__.split(".")[:2]) < (1, 24)

__all__ = [
    "check_random_state",
    "as_float_array",
    "check_int",
    "check_scalar",
    "check_weights",
    "check_square_matrix",
    "check_in_interval",
    "check_bool",
    "check_names",
    "check_instance",
    "check_finite_result",
    "validate_theta",
    "overflow_as_error",
    "check_choice",
    "readonly",
    "EPS",
]

#: Machine epsilon of float64, the unit of every rounding-error bound in the package.
EPS = float(np.finfo(np.float64).eps)


_INT64_MAX = int(np.iinfo(np.int64).max)


def check_random_state(rng) -> np.random.Generator:
    """Turn ``rng`` into a ``np.random.Generator``.

    Parameters
    ----------
    rng : None, int, np.random.SeedSequence or np.random.Generator
        ``None`` gives fresh OS entropy; an int or ``SeedSequence`` seeds a PCG64 generator;
        a ``Generator`` is returned unchanged (so that callers can share one stream).

    Returns
    -------
    np.random.Generator

    Examples
    --------
    >>> from fisherstat._validation import check_random_state
    >>> check_random_state(1).standard_normal() == check_random_state(1).standard_normal()
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be None, an int seed, a SeedSequence or a np.random.Generator, "
        f"got {type(rng).__name__}"
    )


def as_float_array(
    value,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: tuple | None = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a float64 array and check it.

    Parameters
    ----------
    value : array_like
        The input.
    name : str
        Argument name used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    shape : tuple, optional
        Required shape; ``None`` entries are free.
    finite : bool
        Reject NaN and infinity.
    allow_empty : bool
        Accept arrays with zero elements.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    TypeError
        If ``value`` is not numeric.
    ValueError
        On wrong dimension or shape, non-finite entries or emptiness.

    Examples
    --------
    >>> from fisherstat._validation import as_float_array
    >>> as_float_array([1, 2], "theta", shape=(2,))
    array([1., 2.])
    >>> as_float_array([1, float("nan")], "theta")
    Traceback (most recent call last):
    ...
    ValueError: theta must be finite (no NaN or inf); got NaN at index 1
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be numeric array_like, got {type(value).__name__}")
    try:
        if _RAGGED_WARNS and isinstance(value, (list, tuple)):
            with warnings.catch_warnings():  # NumPy < 1.24: an object array and a warning
                warnings.simplefilter("error", _VisibleDeprecationWarning)
                raw = np.asarray(value)
        else:
            raw = np.asarray(value)
        if raw.dtype.kind == "c":  # the cast to float64 would drop the imaginary part
            if np.any(raw.imag != 0):
                raise TypeError(f"{name} must be real, got complex values")
            raw = raw.real
        arr = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError, _VisibleDeprecationWarning) as exc:
        if "must be real" in str(exc):
            raise
        raise TypeError(f"{name} must be numeric array_like ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape, strict=True)
        )
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if finite and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = int(bad[0]) if bad.size == 1 else tuple(int(b) for b in bad)
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        raise ValueError(f"{name} must be finite (no NaN or inf); got {kind} at index {where}")
    return arr


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[low, high]``.

    Examples
    --------
    >>> from fisherstat._validation import check_int
    >>> check_int(3, "n", low=1)
    3
    >>> check_int(0, "n", low=1)
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, (numbers.Integral, np.integer)):
        # an integral float is accepted, up to 2**53 (beyond it floats skip integers)
        if (isinstance(value, numbers.Real) and float(value).is_integer()
                and abs(float(value)) <= 2.0**53):
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        rng = (
            f">= {low}" if high is None else f"<= {high}" if low is None else f"in [{low}, {high}]"
        )
        raise ValueError(f"{name} must be an integer {rng}, got {value}")
    if abs(value) > _INT64_MAX:  # beyond any array size or NumPy integer
        raise ValueError(f"{name} must be an integer of at most 2**63 - 1 in magnitude, got "
                         f"{value:.3g}")
    return value


def check_scalar(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = True,
) -> float:
    """Check that ``value`` is a finite real number in the given interval.

    Examples
    --------
    >>> from fisherstat._validation import check_scalar
    >>> check_scalar(0.5, "p", low=0, high=1)
    0.5
    >>> check_scalar(0.0, "sigma2", low=0)
    Traceback (most recent call last):
    ...
    ValueError: sigma2 must be > 0, got 0.0
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    _check_interval(np.array([value]), name, low, high, low_open, high_open, scalar=True)
    return value


def _check_interval(arr, name, low, high, low_open, high_open, *, scalar=False, labels=None):
    """Raise ``ValueError`` naming the first entry of ``arr`` outside the interval."""
    bad = np.zeros(arr.shape, dtype=bool)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if not bad.any():
        return
    lo_s = f"{'>' if low_open else '>='} {low:g}" if low is not None else ""
    hi_s = f"{'<' if high_open else '<='} {high:g}" if high is not None else ""
    if low is not None and high is not None:
        lb, rb = "(" if low_open else "[", ")" if high_open else "]"
        want = f"in {lb}{low:g}, {high:g}{rb}"
    else:
        want = lo_s or hi_s
    idx = np.flatnonzero(bad.ravel())[0]
    got = float(arr.ravel()[idx])
    if scalar:
        raise ValueError(f"{name} must be {want}, got {got!r}")
    label = labels[idx] if labels is not None else f"entry {idx}"
    raise ValueError(f"{name}: {label} must be {want}, got {got!r}")


def check_in_interval(
    arr: np.ndarray,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = True,
    labels: Sequence[str] | None = None,
) -> np.ndarray:
    """Check that every entry of ``arr`` lies in the interval; return ``arr``.

    ``labels`` (one per entry, e.g. parameter names) makes the message name the offending entry.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._validation import check_in_interval
    >>> check_in_interval(np.array([1.0, -2.0]), "theta", low=0, labels=["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: theta: b must be > 0, got -2.0
    """
    _check_interval(np.asarray(arr, dtype=float), name, low, high, low_open, high_open,
                    labels=labels)
    return arr


def check_weights(weights, name: str, k: int) -> np.ndarray:
    """Check non-negative finite weights of length ``k`` (not all zero).

    Examples
    --------
    >>> from fisherstat._validation import check_weights
    >>> check_weights([0.5, 0.5], "weights", 2)
    array([0.5, 0.5])
    """
    w = as_float_array(weights, name, shape=(k,))
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative; entry {int(np.argmin(w))} is {w.min()!r}")
    if not np.any(w > 0):
        raise ValueError(f"{name} must have at least one positive entry")
    with np.errstate(over="ignore"):
        total = np.sum(w)
    if not np.isfinite(total):
        raise ValueError(f"{name} must have a finite sum (entries up to about 1e308 / {k}), "
                         f"got entries as large as {w.max()!r}")
    return w


def check_square_matrix(value, name: str, *, symmetric: bool = True, p: int | None = None,
                        rtol: float = 1e-8) -> np.ndarray:
    """Check a finite square (optionally symmetric) float64 matrix.

    Examples
    --------
    >>> from fisherstat._validation import check_square_matrix
    >>> check_square_matrix([[1, 2], [3, 4]], "matrix")
    Traceback (most recent call last):
    ...
    ValueError: matrix must be symmetric (max |A - A^T| = 1, relative tolerance 1e-08)
    """
    m = as_float_array(value, name, ndim=2)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be square, got shape {m.shape}")
    if p is not None and m.shape[0] != p:
        raise ValueError(f"{name} must have shape ({p}, {p}), got {m.shape}")
    if symmetric:
        # halves first: A - A^T and A + A^T overflow for entries near the largest float
        half, half_t = 0.5 * m, 0.5 * m.T
        asym = 2.0 * np.max(np.abs(half - half_t), initial=0.0)
        scale = max(np.max(np.abs(m), initial=0.0), np.finfo(float).tiny)
        if asym > rtol * scale:
            raise ValueError(
                f"{name} must be symmetric (max |A - A^T| = {asym:g}, relative tolerance {rtol:g})"
            )
        m = half + half_t
    return m


def check_bool(value, name: str) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (a Python or NumPy bool).

    Examples
    --------
    >>> from fisherstat._validation import check_bool
    >>> check_bool("yes", "polish")
    Traceback (most recent call last):
    ...
    TypeError: polish must be True or False, got 'yes'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_names(names, name: str, *, n: int | None = None) -> tuple[str, ...]:
    """Check a sequence of distinct non-empty strings (of length ``n`` if given).

    Examples
    --------
    >>> from fisherstat._validation import check_names
    >>> check_names(["a", "b"], "param_names", n=2)
    ('a', 'b')
    >>> check_names("ab", "param_names")
    Traceback (most recent call last):
    ...
    TypeError: param_names must be a sequence of str, not one str ('ab')
    """
    if isinstance(names, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of str, not one str ({names!r})")
    try:
        names = tuple(names)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of str, got {type(names).__name__}") from None
    if not all(isinstance(v, str) for v in names):
        raise TypeError(f"{name} must be a sequence of str, got {names!r}")
    if n is not None and len(names) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(names)}: {names!r}")
    if not all(names):
        raise ValueError(f"{name} must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{name} must be distinct, got {names!r}")
    return names


def check_instance(value, name: str, types, what: str):
    """Check ``isinstance(value, types)``; ``what`` describes the allowed types.

    Examples
    --------
    >>> from fisherstat._validation import check_instance
    >>> check_instance(3, "model", str, "a string")
    Traceback (most recent call last):
    ...
    TypeError: model must be a string, got int
    """
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def check_finite_result(value, name: str, what: str = "the result"):
    """Raise ``ValueError`` naming ``name`` when ``value`` (a computed array) is not finite.

    Compute ``value`` under ``np.errstate(over="ignore", invalid="ignore")``; this turns an
    overflow caused by the argument ``name`` into an error that names it.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._validation import check_finite_result
    >>> check_finite_result(np.array([1.0, np.inf]), "delta", "1/2 d^T I d")
    Traceback (most recent call last):
    ...
    ValueError: delta is too extreme: 1/2 d^T I d overflows (the result must stay finite, \
below about 1e308)
    """
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} is too extreme: {what} overflows "
                         "(the result must stay finite, below about 1e308)")
    return value


def validate_theta(model, theta, name: str = "theta") -> np.ndarray:
    """``model.validate(theta)``, with errors naming the argument ``name`` (e.g. ``start``).

    Examples
    --------
    >>> from fisherstat.models import Normal
    >>> from fisherstat._validation import validate_theta
    >>> validate_theta(Normal(), [0.0, -1.0], "start")
    Traceback (most recent call last):
    ...
    ValueError: start: theta: sigma2 must be > 0, got -1.0
    """
    if name == "theta":
        return model.validate(theta)
    try:
        return model.validate(theta)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None


@contextlib.contextmanager
def overflow_as_error(name: str, what: str):
    """Turn a floating-point overflow (or invalid operation) inside the block into a
    ``ValueError`` naming the argument ``name`` that caused it, instead of a warning and an
    inf/NaN result.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._validation import overflow_as_error
    >>> with overflow_as_error("data", "the log-likelihood"):
    ...     np.array([1e308]) ** 2
    Traceback (most recent call last):
    ...
    ValueError: data (or theta) too large: the log-likelihood overflows (overflow encountered in \
square); entries must stay well below 1e308
    """
    try:
        with np.errstate(over="raise", invalid="raise"):
            yield
    except FloatingPointError as exc:
        raise ValueError(f"{name} (or theta) too large: {what} overflows ({exc}); entries must "
                         "stay well below 1e308") from None


def check_choice(value, name: str, choices, *, what: str | None = None):
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` naming ``name``.

    Parameters
    ----------
    value : object
        The argument to check (compared with ``==``; an unhashable value is simply not a
        choice).
    name : str
        The argument's name, for the message.
    choices : sequence or mapping
        The allowed values; they are listed in the message as given (a tuple, a list or the
        keys of a dict).
    what : str, optional
        Text appended to the list of choices in the message (e.g. ``"or a callable"``).

    Examples
    --------
    >>> from fisherstat._validation import check_choice
    >>> check_choice("score", "estimator", ("score", "hessian"))
    'score'
    >>> check_choice("sum", "estimator", ("score", "hessian"))
    Traceback (most recent call last):
    ...
    ValueError: estimator must be one of ('score', 'hessian'), got 'sum'
    """
    try:
        ok = value in choices and not isinstance(value, (bool, np.bool_))
    except TypeError:  # unhashable value against a dict or set of choices
        ok = False
    if not ok:
        listed = list(choices) if isinstance(choices, dict) else choices
        extra = f" {what}" if what else ""
        raise ValueError(f"{name} must be one of {listed}{extra}, got {value!r}")
    return value


def check_operand(v, name: str, n: int, what: str) -> np.ndarray:
    """A float64 vector (n,) or matrix (n, k) for an operator of size ``n`` (``matvec``,
    ``solve``); ``what`` says what a row is, for the message.

    Examples
    --------
    >>> from fisherstat._validation import check_operand
    >>> check_operand([1, 2], "v", 2, "one per parameter").shape
    (2,)
    >>> check_operand([1, 2], "v", 3, "one per parameter")
    Traceback (most recent call last):
    ...
    ValueError: v must have 3 rows (one per parameter), got shape (2,)
    """
    v = as_float_array(v, name, ndim=(1, 2))
    if v.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows ({what}), got shape {v.shape}")
    return v


def readonly(a, dtype=np.float64) -> np.ndarray:
    """A read-only copy of ``a`` (as ``dtype``; ``dtype=None`` keeps the array's own).

    Results are immutable objects: their arrays are copies with the writeable flag off, so
    that neither the caller's input nor a later in-place edit can change a stored result.

    Examples
    --------
    >>> from fisherstat._validation import readonly
    >>> a = readonly([1, 2])
    >>> a.dtype, a.flags.writeable
    (dtype('float64'), False)
    """
    a = np.array(a, dtype=dtype, copy=True)
    a.flags.writeable = False
    return a
