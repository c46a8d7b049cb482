"""Null and near-null directions of an information, written in the parameter names.

Private helpers of :mod:`fisherstat.singular`: :class:`Direction` (re-exported there), the
text of a combination of parameters, the Monte Carlo standard error of a quadratic form and
a sparse, BLAS-independent basis of a null space (reduced row echelon form of its
projector).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import readonly

__all__ = ["Direction"]


@dataclass(frozen=True, eq=False)
class Direction:
    r"""A null or near-null direction of the information, in the model's parameters.

    Attributes
    ----------
    expression : str
        The direction as a combination of the parameter names, e.g. ``"mu1 - mu2"``: moving
        :math:`\theta` along it changes the distribution of the data not at all (null) or
        very little (near-null). Coefficients that are small in correlation-scaled units are
        left out (see :func:`analyze`, ``coef_tol``).
    vector : ndarray, shape (p,)
        The full direction :math:`\delta` in the parameters, normalised as ``expression``
        (the coefficient of the dominant parameter is :math:`\pm 1`, the first written term
        is positive).
    eigenvalue : float
        :math:`u^T C u` for the unit vector :math:`u \propto S\delta` in correlation-scaled
        coordinates (an eigenvalue of :math:`C` for near-null directions).
    stderr : float or None
        Monte Carlo standard error of ``eigenvalue`` (first-order perturbation), or None.
    curvature : float
        :math:`\delta^T I \delta` with the information ``I`` as given: moving ``t`` along
        ``vector`` changes the Kullback-Leibler divergence by about
        :math:`t^2 \delta^T I\delta / 2`.
    null : bool
        True for a null direction, False for a near-null one.
    within_mc_error : bool
        True for a null direction whose eigenvalue is above the rounding tolerance but within
        ``n_se`` Monte Carlo standard errors of zero.
    """

    expression: str
    vector: np.ndarray
    eigenvalue: float
    stderr: float | None
    curvature: float
    null: bool
    within_mc_error: bool = False

    def __str__(self) -> str:
        return self.expression


def _format_combination(coef: np.ndarray, names: Sequence[str], digits: int = 3) -> str:
    """``"a - 0.5 b"`` from coefficients (zeros skipped, unit coefficients written bare)."""
    out = ""
    for c, name in zip(coef, names, strict=True):
        if c == 0:
            continue
        mag = f"{abs(c):.{digits}g}"
        body = name if mag == "1" else f"{mag} {name}"
        if not out:
            out = ("-" if c < 0 else "") + body
        else:
            out += (" - " if c < 0 else " + ") + body
    return out or "0"


def _direction(u, s, C, M, C_se, names, coef_tol, null, mc) -> Direction:
    """A :class:`Direction` from a correlation-scaled vector ``u`` (any norm)."""
    u = u / np.linalg.norm(u)
    lam = float(u @ C @ u)
    se = None if C_se is None else _quadratic_form_se(u, C_se)
    delta = u / s  # C u = 0  <=>  M (u / s) = 0
    big = np.abs(u) >= coef_tol * np.max(np.abs(u))
    j = _first_max(np.abs(u))  # ties (u = (1, -1) / sqrt 2) broken the same on every BLAS
    coef = delta / abs(delta[j])
    first = int(np.flatnonzero(big)[0])
    if coef[first] < 0:
        coef = -coef
    shown = np.where(big, coef, 0.0)
    return Direction(_format_combination(shown, names), readonly(coef), lam, se,
                     float(coef @ M @ coef), null, mc)


def _quadratic_form_se(u: np.ndarray, se: np.ndarray) -> float:
    r"""Standard error of :math:`u^T \hat A u` from entrywise standard errors of ``A``.

    First order, the upper-triangle entries independent:
    :math:`\sum_i u_i^4 s_{ii}^2 + 4\sum_{i<j} u_i^2 u_j^2 s_{ij}^2`.
    """
    w = np.outer(u * u, u * u) * se**2
    return float(np.sqrt(np.trace(w) + 2.0 * (w.sum() - np.trace(w))))


#: Relative tolerance under which two pivot candidates count as tied (see ``_echelon``):
#: far above rounding (~1e-15 in the projector's entries), far below any real difference
#: between the coefficients of a null direction.
_PIVOT_TIE = 1e-6


def _first_max(a: np.ndarray) -> int:
    """Index of the first entry of ``a`` within a relative ``_PIVOT_TIE`` of its maximum.

    ``argmax`` among entries equal in exact arithmetic is decided by rounding, which depends
    on the BLAS kernel; this choice does not.
    """
    return int(np.flatnonzero(a >= (1.0 - _PIVOT_TIE) * np.max(a))[0])


def _echelon(U: np.ndarray) -> np.ndarray:
    """Rows spanning the column space of ``U`` (p, k), in reduced row echelon form.

    Gauss-Jordan elimination with complete pivoting: each row has a 1 in its pivot column
    and 0 in the other rows' pivot columns, which makes a basis of a null space as sparse
    as the space allows. Rows are returned ordered by their first coefficient above rounding
    level (then by pivot column).

    The result must not depend on the BLAS. An eigen-solver returns an arbitrary orthonormal
    basis ``U`` of a multiple eigenvalue's space (it changes with the kernel's rounding), so
    the elimination runs on the rows of the orthogonal projector ``U U^T``, which is the same
    for every orthonormal basis of the span. Entries equal in exact arithmetic (a symmetry
    such as ``w1 = w2``) still differ by rounding, so the pivot is the first column whose
    largest entry is within a relative ``_PIVOT_TIE`` of the largest: as stable as the
    largest (multipliers below ``1 / (1 - _PIVOT_TIE)``), and the same on every machine.
    """
    k = U.shape[1]
    A = U @ U.T
    pivots = []
    for r in range(k):
        sub = np.abs(A[r:])
        sub[:, pivots] = -1.0
        c = _first_max(sub.max(axis=0))
        i = r + int(np.argmax(sub[:, c]))
        A[[r, i]] = A[[i, r]]
        A[r] /= A[r, c]
        others = np.arange(A.shape[0]) != r
        A[others] -= np.outer(A[others, c], A[r])
        A[others, c] = 0.0
        pivots.append(c)
    A = A[:k][np.argsort(pivots)]
    first = np.argmax(np.abs(A) > 1e-8 * np.max(np.abs(A), axis=1, keepdims=True), axis=1)
    return A[np.argsort(first, kind="stable")]
