"""Linear algebra on stacks of small matrices, shared by the models' batch hooks.

A simulation study fits and assesses many replicated data sets at once (see
:meth:`fisherstat.Model.fit_batch` and :meth:`fisherstat.Model.information_batch`); these
helpers keep one replicate's numerical trouble (a matrix that is not positive definite)
from aborting the whole stack.
"""

from __future__ import annotations

import numpy as np

__all__ = ["errstate", "outer_rows", "weighted_gram", "gram", "is_pd", "solve_pd", "inv_stack",
           "inverse_diag"]


def errstate():
    """Silence floating-point warnings: the callers flag non-finite results themselves."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def outer_rows(X):
    """``x_i x_i^T`` flattened, shape (n, k*k): ``v @ outer_rows(X)`` is ``X^T diag(v) X``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._batch import outer_rows
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> (np.array([1.0, 3.0]) @ outer_rows(X)).reshape(2, 2)
    array([[1., 2.],
           [2., 7.]])
    """
    n, k = X.shape
    return (X[:, :, None] * X[:, None, :]).reshape(n, k * k)


#: Floats per block of :func:`weighted_gram` (1 MiB): the block ``x_b * w_b`` stays in cache
#: for the product that reads it, ~3x faster than one pass at 10^6 x 7 (a memory-bound
#: temporary of n k floats), with ~n / block Python iterations over blocks, not rows.
_GRAM_BLOCK = 1 << 17


def weighted_gram(X, w):
    """``X^T diag(w) X`` of an (n, k) matrix and weights (n,), exactly symmetric.

    Summed over blocks of rows (no (n, k) temporary; weights of any sign).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._batch import weighted_gram
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> weighted_gram(X, np.array([1.0, 3.0]))
    array([[1., 2.],
           [2., 7.]])
    """
    n, k = X.shape
    rows = max(1, _GRAM_BLOCK // max(k, 1))
    A = np.zeros((k, k))
    for lo in range(0, n, rows):
        xb = X[lo:lo + rows]
        A += (xb * w[lo:lo + rows, None]).T @ xb
    return 0.5 * (A + A.T)


def gram(S):
    """``sum_i s_i s_i^T`` of per-observation scores (m, n, p), one small product each."""
    return np.swapaxes(S, 1, 2) @ S


def is_pd(A):
    """Which matrices of a symmetric stack (m, k, k) are positive definite.

    The criterion of the models' own Newton iterations: a Cholesky factorisation exists.
    One batched factorisation settles the usual case where all do; otherwise each matrix is
    factorised on its own.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._batch import is_pd
    >>> is_pd(np.stack([np.eye(2), -np.eye(2)]))
    array([ True, False])
    """
    ok = np.all(np.isfinite(A), axis=(-2, -1))
    if ok.all():
        try:
            np.linalg.cholesky(A)
            return ok
        except np.linalg.LinAlgError:
            pass
    for i in np.flatnonzero(ok):
        try:
            np.linalg.cholesky(A[i])
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def solve_pd(A, b):
    """Solve ``A_r s_r = b_r`` for a stack of symmetric matrices; ``ok`` marks the PD ones."""
    A = 0.5 * (A + np.swapaxes(A, -1, -2))
    ok = is_pd(A) & np.all(np.isfinite(b), axis=-1)
    s = np.full(b.shape, np.nan)
    if ok.any():
        try:
            s[ok] = np.linalg.solve(A[ok], b[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:  # a matrix at rounding level passed is_pd: one by one
            for r in np.flatnonzero(ok):  # rare fallback, as in inv_stack
                try:
                    s[r] = np.linalg.solve(A[r], b[r])
                except np.linalg.LinAlgError:
                    ok[r] = False
    return s, ok


def inv_stack(M):
    """Inverses of a stack of matrices; a matrix that is numerically singular gets NaN.

    The batched ``inv`` is tried first; only if one matrix of the stack defeats it (an
    eigenvalue at rounding level that passed the positive-definiteness check) is the stack
    inverted one matrix at a time, so that one replicate cannot abort a whole study.
    """
    try:
        return np.linalg.inv(M)
    except np.linalg.LinAlgError:
        out = np.full_like(M, np.nan)
        for i in range(M.shape[0]):  # rare fallback over the failed stack only
            try:
                out[i] = np.linalg.inv(M[i])
            except np.linalg.LinAlgError:
                pass
        return out


def inverse_diag(M):
    """Diagonal of the inverse of each symmetric matrix in a stack; NaN unless PD.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._batch import inverse_diag
    >>> inverse_diag(np.stack([2 * np.eye(2), np.ones((2, 2))]))
    array([[0.5, 0.5],
           [nan, nan]])
    """
    M = 0.5 * (M + np.swapaxes(M, -1, -2))
    out = np.full(M.shape[:-1], np.nan)
    ok = is_pd(M)
    if ok.any():
        out[ok] = np.diagonal(inv_stack(M[ok]), axis1=-2, axis2=-1)
    return out
