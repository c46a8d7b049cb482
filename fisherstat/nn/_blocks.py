r"""The blocks of the network Fisher operators (shared by :mod:`.operators`, :mod:`.fisher`
and :mod:`.spectrum`; private to ``fisherstat.nn``).

A :class:`~fisherstat.nn.operators.FisherOperator` is a block-diagonal arrangement of
blocks, each a symmetric positive semi-definite matrix in one of five storages:

==================  =====================================================================
block               storage
==================  =====================================================================
:class:`DenseBlock`      the (n, n) matrix
:class:`RowFactorBlock`  the per-sample factor ``s B^T B + c I``, ``B`` never formed
:class:`DiagBlock`       the diagonal
:class:`KronBlock`       the Kronecker product ``G (x) A`` (K-FAC)
:class:`EigenKronBlock`  ``(Q_G (x) Q_A) diag(vec S) (Q_G (x) Q_A)^T`` (EKFAC, damped K-FAC)
==================  =====================================================================

Every block offers ``matvec``, ``damped``, ``solve``, ``trace``, ``diagonal``,
``to_dense``, ``eigvalsh`` and ``logdet`` on (n, k) arrays, computed from its own structure.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from .._validation import EPS
from ..exceptions import SingularFisherWarning

__all__ = ["DenseBlock", "RowFactorBlock", "DiagBlock", "EigenKronBlock", "KronBlock",
           "BLOCKS", "unit_scale", "inverse_values", "logdet_values", "warn_singular"]


def warn_singular(rank, n, tol):
    warnings.warn(
        f"the information matrix is singular: numerical rank {rank} < {n} (tolerance "
        f"{tol:.3g}); solve() returns the minimum-norm (pseudo-inverse) solution; pass "
        "damping > 0 to regularise",
        SingularFisherWarning,
        stacklevel=4,
    )


def unit_scale(v):
    """``(v / s, s)`` with ``s`` a power of two bringing huge ``v`` to order one (else 1).

    Products and solves are linear in ``v``; scaling by a power of two is exact, so entries
    near the largest float cannot overflow in the intermediate steps (e.g. ``B v`` of the
    factor storage) -- only, if at all, in the final result.
    """
    big = float(np.max(np.abs(v), initial=0.0))
    if big <= 2.0**500:
        return v, 1.0
    scale = float(2.0 ** np.frexp(big)[1])
    return v / scale, scale


def inverse_values(lam):
    """``1 / lam`` with eigenvalues ``<= max|lam| n eps`` mapped to 0 (pseudo-inverse)."""
    tol = np.max(np.abs(lam), initial=0.0) * lam.size * EPS
    keep = lam > tol
    if not keep.all():
        warn_singular(int(keep.sum()), lam.size, tol)
    return np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)


def logdet_values(lam) -> float:
    """``sum(log lam)`` of a PSD spectrum; ``-inf`` when an eigenvalue is ``<= max|lam| n eps``.

    The same rank tolerance as :func:`inverse_values` (the pseudo-inverse of the solves):
    an operator is singular for ``logdet`` exactly when ``solve`` warns.
    """
    lam = np.asarray(lam, dtype=float).ravel()
    tol = np.max(np.abs(lam), initial=0.0) * lam.size * EPS
    if lam.size and np.min(lam) <= tol:
        return float("-inf")
    return float(np.sum(np.log(lam)))


def pinv_apply(w, Q, X, damping):
    """``(Q diag(w) Q^T + d I)^+ X``."""
    return Q @ (inverse_values(w + damping)[:, None] * (Q.T @ X))



# ------------------------------------------------------------------------- blocks
class DenseBlock:
    """``M`` given as a (n, n) matrix."""

    def __init__(self, matrix):
        self.matrix = matrix
        self.n = matrix.shape[0]
        self._chol = None  # (damping, factorisation)
        self._eig = None

    def matvec(self, X):
        return self.matrix @ X

    def damped(self, damping):
        return DenseBlock(self.matrix + damping * np.eye(self.n))

    def solve(self, X, damping):
        if self._chol is None or self._chol[0] != damping:
            try:
                self._chol = (damping, linalg.cho_factor(self.matrix + damping * np.eye(self.n)))
            except linalg.LinAlgError:
                w, Q = self._eigh()
                return pinv_apply(w, Q, X, damping)
        return linalg.cho_solve(self._chol[1], X)

    def _eigh(self):
        if self._eig is None:
            self._eig = np.linalg.eigh(self.matrix)
        return self._eig

    def trace(self):
        return float(np.trace(self.matrix))

    def diagonal(self):
        return np.diag(self.matrix).copy()

    def to_dense(self):
        return self.matrix.copy()

    def eigvalsh(self):
        if self._eig is not None:
            return self._eig[0].copy()
        return np.linalg.eigvalsh(self.matrix)

    def logdet(self, damping):
        """Cholesky of ``M + d I`` (eigenvalues when it fails or is undamped, for the rank)."""
        if damping > 0:
            try:
                c = linalg.cholesky(self.matrix + damping * np.eye(self.n), lower=True)
                return float(2.0 * np.sum(np.log(np.diag(c))))
            except linalg.LinAlgError:
                pass
        return logdet_values(np.clip(self._eigh()[0], 0.0, None) + damping)


class RowFactorBlock:
    r"""``M = s B^T B + c I`` with the rows ``B_{(n,r)} = (delta^l_{nr} (x) a_bar^l_n)_l``.

    ``B`` (N R, P) is never formed: with per-layer signals ``delta_l`` (N, R, out_l) and
    augmented inputs ``a_l`` (N, cols_l),

    * ``B x`` is :math:`\sum_l \delta^l_{nr} \cdot (V^l_x \bar a^l_n)` -- O(N R P / cols);
    * ``B^T y`` is :math:`\sum_{n,r} y_{nr}\, \delta^l_{nr} {\bar a^l_n}^T` per layer;
    * the Gram matrix :math:`B B^T = \sum_l (\Delta_l \Delta_l^T) \odot
      (A_l A_l^T \otimes 1_{R \times R})` costs :math:`O((NR)^2 \sum_l n_l)` instead of
      :math:`O((NR)^2 P)` (the layer-wise neural-tangent-kernel sum).

    Damped solves use the Woodbury identity on the (N R, N R) Gram matrix (Ren & Goldfarb
    2019, "Efficient subsampled Gauss-Newton and natural gradient methods for training
    neural networks", arXiv:1906.02353, section 3).
    """

    def __init__(self, deltas, acts, slices, scale, shift=0.0):
        self.deltas, self.acts, self.slices = deltas, acts, slices
        self.scale, self.shift = float(scale), float(shift)
        self.N, self.R = deltas[0].shape[:2]
        self.shapes = [(d.shape[2], a.shape[1]) for d, a in zip(deltas, acts, strict=True)]
        self.n = int(sum(o * c for o, c in self.shapes))
        self._K = None
        self._chol = None
        self._keig = None

    def _rows(self, X):
        """``B X`` for X (n, k): (N R, k)."""
        N, R, k = self.N, self.R, X.shape[1]
        out = np.zeros((N, R, k))
        for s, d, a, (o, c) in zip(self.slices, self.deltas, self.acts, self.shapes,
                                   strict=True):
            V = X[s].T.reshape(k, o, c)
            T = np.tensordot(a, V, axes=([1], [2]))  # (N, k, o): V a_bar
            out += np.matmul(d, np.swapaxes(T, 1, 2))
        return out.reshape(N * R, k)

    def _cols(self, Y):
        """``B^T Y`` for Y (N R, k): (n, k)."""
        k = Y.shape[1]
        Y3 = Y.reshape(self.N, self.R, k)
        out = np.empty((self.n, k))
        for s, d, a, (o, c) in zip(self.slices, self.deltas, self.acts, self.shapes,
                                   strict=True):
            E = np.matmul(np.swapaxes(d, 1, 2), Y3)  # (N, o, k)
            out[s] = np.tensordot(E, a, axes=([0], [0])).transpose(0, 2, 1).reshape(o * c, k)
        return out

    def gram(self):
        """``B B^T`` (N R, N R), layer by layer."""
        if self._K is None:
            NR = self.N * self.R
            K = np.zeros((NR, NR))
            for d, a in zip(self.deltas, self.acts, strict=True):
                d2 = d.reshape(NR, -1)
                A = np.repeat(np.repeat(a @ a.T, self.R, axis=0), self.R, axis=1)
                K += (d2 @ d2.T) * A
            self._K = 0.5 * (K + K.T)
        return self._K

    def matvec(self, X):
        return self.scale * self._cols(self._rows(X)) + self.shift * X

    def damped(self, damping):
        op = RowFactorBlock(self.deltas, self.acts, self.slices, self.scale,
                             self.shift + damping)
        op._K, op._keig = self._K, self._keig
        return op

    def solve(self, X, damping):
        lam = damping + self.shift
        if lam > 0:  # Woodbury: (s B^T B + l I)^-1 = (I - s B^T (l I + s B B^T)^-1 B) / l
            if self._chol is None or self._chol[0] != lam:
                K = self.scale * self.gram()
                K[np.diag_indices_from(K)] += lam
                self._chol = (lam, linalg.cho_factor(K))
            Y = linalg.cho_solve(self._chol[1], self._rows(X))
            return (X - self.scale * self._cols(Y)) / lam
        # minimum-norm solution: (s B^T B)^+ = B^T (B B^T)^{+2} B / s
        if self._keig is None:
            self._keig = np.linalg.eigh(self.gram())
        w, U = self._keig
        inv = inverse_values(np.concatenate([w, np.zeros(self.n - w.size)])
                              if w.size < self.n else w)[: w.size]
        return self._cols(U @ ((inv**2)[:, None] * (U.T @ self._rows(X)))) / self.scale

    def trace(self):
        t = sum(float(np.sum(np.sum(d * d, axis=1) * np.sum(a * a, axis=1)[:, None]))
                for d, a in zip(self.deltas, self.acts, strict=True))
        return self.scale * t + self.shift * self.n

    def diagonal(self):
        return self.scale * np.concatenate([
            (np.sum(d * d, axis=1).T @ (a * a)).ravel()
            for d, a in zip(self.deltas, self.acts, strict=True)]) + self.shift

    def to_dense(self):
        B = self._cols(np.eye(self.N * self.R)).T  # (N R, n): the rows, formed explicitly
        M = self.scale * (B.T @ B)
        return 0.5 * (M + M.T) + self.shift * np.eye(self.n)

    def eigvalsh(self):
        w = np.clip(np.linalg.eigvalsh(self.gram()), 0.0, None) * self.scale
        if w.size < self.n:
            w = np.concatenate([np.zeros(self.n - w.size), w])
        else:  # more rows than weights: the Gram has N R - n extra zeros
            w = w[w.size - self.n:]
        return w + self.shift

    def logdet(self, damping):
        r"""Sylvester's identity on the Gram matrix: :math:`\log\det(s B^T B + \lambda I) =
        n \log\lambda + \log\det(I + s B B^T / \lambda)` for :math:`\lambda > 0`."""
        lam = damping + self.shift
        if lam > 0:
            w = np.clip(np.linalg.eigvalsh(self.gram()), 0.0, None) * self.scale
            return float(self.n * np.log(lam) + np.sum(np.log1p(w / lam)))
        return logdet_values(self.eigvalsh())


class DiagBlock:
    """``M = diag(d)``."""

    def __init__(self, d):
        self.d = d
        self.n = d.size

    def matvec(self, X):
        return self.d[:, None] * X

    def damped(self, damping):
        return DiagBlock(self.d + damping)

    def solve(self, X, damping):
        return inverse_values(self.d + damping)[:, None] * X

    def trace(self):
        return float(self.d.sum())

    def diagonal(self):
        return self.d.copy()

    def to_dense(self):
        return np.diag(self.d)

    def eigvalsh(self):
        return np.sort(self.d)

    def logdet(self, damping):
        return logdet_values(self.d + damping)


class EigenKronBlock:
    r"""``M = (Q_G (x) Q_A) diag(vec S) (Q_G (x) Q_A)^T`` on unit-major ``vec V`` (out, cols)."""

    def __init__(self, QG, QA, S):
        self.QG, self.QA, self.S = QG, QA, S
        self.shape = S.shape
        self.n = S.size

    def _apply(self, X, scale):
        k = X.shape[1]
        V = X.T.reshape((k,) + self.shape)
        R = self.QG.T @ V @ self.QA
        R = scale * R
        return (self.QG @ R @ self.QA.T).reshape(k, self.n).T

    def matvec(self, X):
        return self._apply(X, self.S)

    def damped(self, damping):
        return EigenKronBlock(self.QG, self.QA, self.S + damping)

    def solve(self, X, damping):
        return self._apply(X, inverse_values(self.S + damping))

    def trace(self):
        return float(self.S.sum())

    def diagonal(self):
        return ((self.QG**2) @ self.S @ (self.QA**2).T).ravel()

    def to_dense(self):
        K = np.kron(self.QG, self.QA)
        M = (K * self.S.ravel()) @ K.T
        return 0.5 * (M + M.T)

    def eigvalsh(self):
        return np.sort(self.S.ravel())

    def logdet(self, damping):
        return logdet_values(self.S + damping)


class KronBlock:
    r"""``M = G (x) A`` on unit-major ``vec V``: ``M vec V = vec(G V A)``."""

    def __init__(self, G, A, pi_damping=True):
        self.G, self.A, self.pi_damping = G, A, pi_damping
        self.shape = (G.shape[0], A.shape[0])
        self.n = G.shape[0] * A.shape[0]
        self._eig = None
        self._chol = None

    def _eigs(self):
        if self._eig is None:
            wG, QG = np.linalg.eigh(self.G)
            wA, QA = np.linalg.eigh(self.A)
            self._eig = (np.clip(wG, 0.0, None), QG, np.clip(wA, 0.0, None), QA)
        return self._eig

    @property
    def pi(self) -> float:
        """Martens & Grosse's ``pi`` (1 when a factor vanishes)."""
        a = np.trace(self.A) / self.A.shape[0]
        g = np.trace(self.G) / self.G.shape[0]
        return float(np.sqrt(a / g)) if a > 0 and g > 0 else 1.0

    def matvec(self, X):
        k = X.shape[1]
        V = X.T.reshape((k,) + self.shape)
        return (self.G @ V @ self.A).reshape(k, self.n).T

    def damped(self, damping):
        wG, QG, wA, QA = self._eigs()
        if self.pi_damping and damping > 0:
            pi, r = self.pi, np.sqrt(damping)
            return EigenKronBlock(QG, QA, np.outer(wG + r / pi, wA + r * pi))
        return EigenKronBlock(QG, QA, np.outer(wG, wA) + damping)

    def solve(self, X, damping):
        if not (self.pi_damping and damping > 0):
            return self.damped(damping).solve(X, 0.0)
        # factored damping: two Cholesky solves, (G + r/pi I)^-1 V (A + r pi I)^-1
        if self._chol is None or self._chol[0] != damping:
            pi, r = self.pi, np.sqrt(damping)
            self._chol = (damping,
                          linalg.cho_factor(self.G + (r / pi) * np.eye(self.shape[0])),
                          linalg.cho_factor(self.A + (r * pi) * np.eye(self.shape[1])))
        _, cG, cA = self._chol
        k = X.shape[1]
        V = X.T.reshape((k,) + self.shape)
        Y = np.stack([linalg.cho_solve(cA, linalg.cho_solve(cG, v).T).T for v in V])
        return Y.reshape(k, self.n).T

    def trace(self):
        return float(np.trace(self.G) * np.trace(self.A))

    def diagonal(self):
        return np.outer(np.diag(self.G), np.diag(self.A)).ravel()

    def to_dense(self):
        return np.kron(self.G, self.A)

    def eigvalsh(self):
        wG, _, wA, _ = self._eigs()
        return np.sort(np.outer(wG, wA).ravel())

    def logdet(self, damping):
        r"""From the factors' eigenvalues: :math:`\log\det(G \otimes A) = \dim A
        \log\det G + \dim G \log\det A`; damped, of :meth:`damped` (factored with ``pi``)."""
        wG, _, wA, _ = self._eigs()
        nG, nA = self.shape
        if self.pi_damping and damping > 0:
            pi, r = self.pi, np.sqrt(damping)
            return float(nA * np.sum(np.log(wG + r / pi)) + nG * np.sum(np.log(wA + r * pi)))
        if damping > 0:
            return float(np.sum(np.log(np.outer(wG, wA) + damping)))
        if logdet_values(np.outer(wG, wA)) == float("-inf"):
            return float("-inf")
        return float(nA * np.sum(np.log(wG)) + nG * np.sum(np.log(wA)))


BLOCKS = (DenseBlock, RowFactorBlock, DiagBlock, EigenKronBlock, KronBlock)
