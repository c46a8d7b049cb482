r"""Linear algebra of symmetric positive semi-definite matrices shared by the design module.

The lowest layer of :mod:`fisherstat.design`: the criteria (:mod:`.criteria`), the
semidefinite solvers (:mod:`._sdp`) and the algorithms all build on these, and this module
imports nothing from the design package.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from .._validation import EPS, check_square_matrix

__all__ = ["sym", "eigh_psd", "pinv_sym", "schur", "chol_pd", "inv_pd", "check_psd", "quad_rows",
           "sqrt_psd"]


def sym(a: np.ndarray) -> np.ndarray:
    # halves first: the same result (scaling by 2 is exact) without overflow near 1e308
    return 0.5 * a + 0.5 * a.T


def eigh_psd(M: np.ndarray):
    """Eigen-decomposition and the default rank tolerance ``max|lambda| * p * eps``."""
    w, V = np.linalg.eigh(sym(M))
    tol = max(float(np.max(np.abs(w), initial=0.0)), np.finfo(float).tiny) * w.size * EPS * 10
    return w, V, tol


def pinv_sym(M: np.ndarray) -> np.ndarray:
    """Moore-Penrose inverse of a symmetric positive semi-definite matrix (no warning)."""
    w, V, tol = eigh_psd(M)
    keep = w > tol
    return sym((V[:, keep] / w[keep]) @ V[:, keep].T)


def schur(M: np.ndarray, T: np.ndarray, N: np.ndarray):
    r"""Target information ``C = K^T M K`` and ``K`` (p, s) for targets ``T``, nuisance ``N``.

    ``K`` has the identity in the rows ``T`` and :math:`-M_{NN}^{+} M_{NT}` in the rows ``N``.
    """
    p, s = M.shape[0], T.size
    K = np.zeros((p, s))
    K[T, np.arange(s)] = 1.0
    if N.size == 0:
        return sym(M[np.ix_(T, T)]), K
    B = pinv_sym(M[np.ix_(N, N)]) @ M[np.ix_(N, T)]
    K[N] = -B
    return sym(M[np.ix_(T, T)] - M[np.ix_(T, N)] @ B), K


def chol_pd(C: np.ndarray):
    """Cholesky factor of a positive definite matrix, or ``None`` when it is not (numerically)."""
    w = np.linalg.eigvalsh(C)
    if not w[0] > max(w[-1], np.finfo(float).tiny) * C.shape[0] * EPS * 10:
        return None
    try:
        return linalg.cho_factor(C, lower=True)
    except linalg.LinAlgError:
        return None


def inv_pd(C: np.ndarray):
    """Inverse of a positive definite matrix (``None`` when singular)."""
    cf = chol_pd(C)
    if cf is None:
        return None
    return sym(linalg.cho_solve(cf, np.eye(C.shape[0])))


def check_psd(M, name: str = "M") -> np.ndarray:
    """A symmetric positive semi-definite matrix (negative eigenvalues only from rounding).

    The tolerance ``1e-8 max|lambda|`` is far above the rounding of an information matrix
    computed as a sum of outer products (about ``p eps max|lambda|``).
    """
    M = check_square_matrix(M, name, rtol=1e-6)
    w = np.linalg.eigvalsh(M)
    if w.size and w[0] < -1e-8 * max(float(np.max(np.abs(w))), np.finfo(float).tiny):
        raise ValueError(f"{name} must be positive semi-definite (an information matrix); "
                         f"smallest eigenvalue {w[0]:.3g}")
    return M


def quad_rows(F: np.ndarray, B: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """``||F_i^T B||_F^2`` for every row block ``F_i`` of ``F`` ((n, q) or (n, q, r)).

    Computed in chunks of rows (no (n, q, q) intermediate).
    """
    n = F.shape[0]
    out = np.empty(n)
    for lo in range(0, n, chunk):
        f = F[lo : lo + chunk]
        if f.ndim == 2:
            y = f @ B
            out[lo : lo + chunk] = np.einsum("ij,ij->i", y, y)
        else:
            y = np.einsum("nqr,qk->nkr", f, B)
            out[lo : lo + chunk] = np.einsum("nkr,nkr->n", y, y)
    return out


def sqrt_psd(A: np.ndarray) -> np.ndarray:
    """A factor ``B`` with ``B B^T = A`` for a symmetric PSD ``A`` (negative parts clipped)."""
    w, V = np.linalg.eigh(sym(A))
    keep = w > 0
    return V[:, keep] * np.sqrt(w[keep])
