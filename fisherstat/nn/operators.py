r"""Fisher information of a network as an operator: one interface, five structures.

Every structure returned by :func:`fisherstat.nn.fisher` is a :class:`FisherOperator`
with the same methods, so that callers (optimizers, EWC, spectra) never branch on the
type (the design of nngeometry's ``PMat`` representations, George 2021):

==================  =====================================================================
method              meaning
==================  =====================================================================
``matvec(v)``       :math:`M v` for ``v`` of shape (P,) or (P, k)
``solve(v, d)``     :math:`M_d^{-1} v` with :math:`M_d` = ``damped(d)`` (pseudo-inverse,
                    with a :class:`~fisherstat.SingularFisherWarning`, when ``d = 0`` and
                    :math:`M` is singular)
``damped(d)``       the damped operator: :math:`M + d I`, except K-FAC with
                    ``pi_damping`` (factored Tikhonov damping, below)
``trace()``         :math:`\operatorname{tr} M`
``diagonal()``      :math:`\operatorname{diag} M`
``to_dense()``      the (P, P) matrix
``eigvalsh()``      all P eigenvalues, ascending
``vTMv(v)``         :math:`v^T M v`
``to_info()``       a :class:`~fisherstat.FisherInfo` (dense), for ``fisherstat.singular``
==================  =====================================================================

Structures (``P`` weights, layers :math:`l` with blocks :math:`M_{ll}`):

* :class:`DenseOperator` -- the full matrix; when ``m = N R < P`` stored as the factor
  :math:`M = B^T B / N` whose m rows :math:`(\delta^l_{nr} \otimes \bar a^l_n)_l` are
  never formed (then ``eigvalsh`` works on the m x m Gram matrix :math:`B B^T / N`,
  summed layer by layer, whose non-zero eigenvalues are those of :math:`M`, and ``solve``
  uses the Woodbury identity).
* :class:`BlockDiagonalOperator` -- the exact diagonal blocks :math:`M_{ll}`, zero between
  layers.
* :class:`DiagonalOperator` -- :math:`\operatorname{diag} M`.
* :class:`KFACOperator` -- :math:`M_{ll} \approx G_l \otimes A_l` with
  :math:`A_l = E[\bar a \bar a^T]` and :math:`G_l = E[\delta\delta^T]` (Martens & Grosse
  2015, "Optimizing neural networks with Kronecker-factored approximate curvature", ICML,
  eq. 1 and section 3). Products use :math:`(G \otimes A)\operatorname{vec} V =
  \operatorname{vec}(G V A)` in the unit-major layout of :mod:`fisherstat.nn.layers`.
  With ``pi_damping`` the damped operator is
  :math:`(G + \tfrac{\sqrt d}{\pi} I) \otimes (A + \pi\sqrt d\, I)`,
  :math:`\pi^2 = \frac{\operatorname{tr}(A)/\dim A}{\operatorname{tr}(G)/\dim G}`
  (their section 6.3, eq. for "factored Tikhonov damping"); without it, exactly
  :math:`G \otimes A + d I` through the eigendecompositions of the factors.
* :class:`EKFACOperator` -- the K-FAC eigenbasis :math:`Q = Q_G \otimes Q_A` with the
  diagonal re-fitted to the second moments of the per-sample gradients in that basis,
  :math:`s = E[(Q^T g)^2]` (George, Laurent, Bouthillier, Ballas & Vincent 2018, "Fast
  approximate natural gradient descent in a Kronecker-factored eigenbasis", NeurIPS,
  eq. 8): the best diagonal in that basis in Frobenius norm, so
  :math:`\|M_{ll} - \text{EKFAC}\|_F \leq \|M_{ll} - \text{K-FAC}\|_F` and
  :math:`\operatorname{tr}(\text{EKFAC}) = \operatorname{tr} M_{ll}`.
* :class:`ImplicitOperator` -- the full matrix, never formed: ``matvec`` is a
  Jacobian-vector product followed by a vector-Jacobian product
  (:math:`J^T \Lambda J v`, Schraudolph 2002, "Fast curvature matrix-vector products for
  second-order gradient descent", Neural Computation 14), ``solve`` is conjugate gradients.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from .._validation import as_float_array, check_int, check_scalar
from ..exceptions import SingularFisherWarning
from ..information import FisherInfo
from ._checks import finite_result

__all__ = [
    "FisherOperator",
    "DenseOperator",
    "DiagonalOperator",
    "BlockDiagonalOperator",
    "KFACOperator",
    "EKFACOperator",
    "ImplicitOperator",
    "conjugate_gradient",
]

_EPS = np.finfo(float).eps
#: The kinds of Fisher (also ``fisherstat.nn.KINDS``).
_KINDS = ("exact", "monte_carlo", "empirical")


def _warn_singular(rank, n, tol):
    warnings.warn(
        f"the information matrix is singular: numerical rank {rank} < {n} (tolerance "
        f"{tol:.3g}); solve() returns the minimum-norm (pseudo-inverse) solution; pass "
        "damping > 0 to regularise",
        SingularFisherWarning,
        stacklevel=4,
    )


def _unit_scale(v):
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


def _inverse_values(lam):
    """``1 / lam`` with eigenvalues ``<= max|lam| n eps`` mapped to 0 (pseudo-inverse)."""
    tol = np.max(np.abs(lam), initial=0.0) * lam.size * _EPS
    keep = lam > tol
    if not keep.all():
        _warn_singular(int(keep.sum()), lam.size, tol)
    return np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)


def _pinv_apply(w, Q, X, damping):
    """``(Q diag(w) Q^T + d I)^+ X``."""
    return Q @ (_inverse_values(w + damping)[:, None] * (Q.T @ X))


def conjugate_gradient(matvec, b, rtol=1e-10, maxiter=None):
    """Conjugate gradients (Hestenes & Stiefel 1952) for ``A x = b``, ``A`` symmetric PSD.

    Starts from ``x = 0`` and stops when ``||r|| <= rtol ||b||`` or after ``maxiter``
    iterations (default ``10 len(b)``). Returns ``(x, iterations)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.operators import conjugate_gradient
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x, it = conjugate_gradient(lambda v: A @ v, np.array([1.0, 2.0]))
    >>> np.round(x, 6), it
    (array([0.090909, 0.636364]), 2)
    """
    maxiter = 10 * b.size if maxiter is None else int(maxiter)
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(r @ r)
    stop = (rtol * np.linalg.norm(b)) ** 2
    it = 0
    while rr > stop and it < maxiter:
        Ap = matvec(p)
        pAp = float(p @ Ap)
        if pAp <= 0:  # direction of zero curvature: b is (numerically) solved in the range
            break
        alpha = rr / pAp
        x += alpha * p
        r -= alpha * Ap
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
        it += 1
    return x, it


# ------------------------------------------------------------------------- blocks
class _DenseBlock:
    """``M`` given as a (n, n) matrix."""

    def __init__(self, matrix):
        self.matrix = matrix
        self.n = matrix.shape[0]
        self._chol = None  # (damping, factorisation)
        self._eig = None

    def matvec(self, X):
        return self.matrix @ X

    def damped(self, damping):
        return _DenseBlock(self.matrix + damping * np.eye(self.n))

    def solve(self, X, damping):
        if self._chol is None or self._chol[0] != damping:
            try:
                self._chol = (damping, linalg.cho_factor(self.matrix + damping * np.eye(self.n)))
            except linalg.LinAlgError:
                w, Q = self._eigh()
                return _pinv_apply(w, Q, X, damping)
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


class _RowFactorBlock:
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
        op = _RowFactorBlock(self.deltas, self.acts, self.slices, self.scale,
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
        inv = _inverse_values(np.concatenate([w, np.zeros(self.n - w.size)])
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


class _DiagBlock:
    """``M = diag(d)``."""

    def __init__(self, d):
        self.d = d
        self.n = d.size

    def matvec(self, X):
        return self.d[:, None] * X

    def damped(self, damping):
        return _DiagBlock(self.d + damping)

    def solve(self, X, damping):
        return _inverse_values(self.d + damping)[:, None] * X

    def trace(self):
        return float(self.d.sum())

    def diagonal(self):
        return self.d.copy()

    def to_dense(self):
        return np.diag(self.d)

    def eigvalsh(self):
        return np.sort(self.d)


class _EigenKronBlock:
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
        return _EigenKronBlock(self.QG, self.QA, self.S + damping)

    def solve(self, X, damping):
        return self._apply(X, _inverse_values(self.S + damping))

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


class _KronBlock:
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
            return _EigenKronBlock(QG, QA, np.outer(wG + r / pi, wA + r * pi))
        return _EigenKronBlock(QG, QA, np.outer(wG, wA) + damping)

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


# ---------------------------------------------------------------------- operators
_BLOCKS = (_DenseBlock, _RowFactorBlock, _DiagBlock, _EigenKronBlock, _KronBlock)


def _check_blocks(blocks, slices):
    """The blocks of an operator and their slices: consecutive, covering 0..P."""
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise TypeError(f"blocks must be a sequence of operator blocks (operators are built "
                        f"by fisherstat.nn.fisher), got {type(blocks).__name__}")
    blocks = list(blocks)
    for i, b in enumerate(blocks):
        if not isinstance(b, _BLOCKS):
            raise TypeError(f"blocks[{i}] must be a block of fisherstat.nn.operators "
                            f"(operators are built by fisherstat.nn.fisher), got "
                            f"{type(b).__name__}")
    if isinstance(slices, (str, bytes)) or not hasattr(slices, "__iter__"):
        raise TypeError(f"slices must be a sequence of slice objects, got "
                        f"{type(slices).__name__}")
    slices = list(slices)
    if not blocks or len(slices) != len(blocks):
        raise ValueError(f"slices must give one slice per block ({len(blocks)} blocks), got "
                         f"{len(slices)}")
    start = 0
    for i, (s, b) in enumerate(zip(slices, blocks, strict=True)):
        if not isinstance(s, slice):
            raise TypeError(f"slices[{i}] must be a slice, got {type(s).__name__}")
        if s.start != start or s.stop != start + b.n or s.step not in (None, 1):
            raise ValueError(f"slices[{i}] must be slice({start}, {start + b.n}) (consecutive "
                             f"slices of the blocks' sizes), got {s}")
        start = s.stop
    return blocks, slices


def _check_kind(kind):
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    return kind


def _check_names(param_names, n):
    if isinstance(param_names, (str, bytes)) or not hasattr(param_names, "__iter__"):
        raise TypeError(f"param_names must be a sequence of {n} str, got "
                        f"{type(param_names).__name__}")
    names = tuple(param_names)
    if len(names) != n or not all(isinstance(p, str) for p in names):
        raise ValueError(f"param_names must be {n} str (one per weight), got {len(names)} "
                         "entries")
    if len(set(names)) != n:
        raise ValueError("param_names must be distinct")
    return names


class FisherOperator:
    """A symmetric positive semi-definite (P, P) curvature matrix of a network's weights.

    Built by :func:`fisherstat.nn.fisher`; subclasses differ only in their blocks (one
    block spanning all weights, or one per layer). All methods accept ``v`` of shape (P,)
    or (P, k).

    Attributes
    ----------
    n_params : int
        ``P``, the number of network weights.
    kind : str
        ``'exact'``, ``'monte_carlo'`` or ``'empirical'``.
    structure : str
        ``'dense'``, ``'block'``, ``'diag'``, ``'kfac'``, ``'ekfac'`` or ``'implicit'``.
    param_names : tuple of str
        Names of the ``P`` weights.
    n_obs : int
        Number of inputs ``N`` averaged over (the operator is the mean over rows).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, STRUCTURES, fisher
    >>> net = MLP([2, 3, 2], output="softmax")
    >>> t, X = net.init(rng=0), np.random.default_rng(0).standard_normal((20, 2))
    >>> g = np.ones(net.n_weights)
    >>> for s in STRUCTURES:          # one interface: no branching on the structure
    ...     F = fisher(net, t, X, "exact", s)
    ...     x = F.solve(g, damping=0.1)
    ...     assert np.allclose(F.damped(0.1).matvec(x), g)
    """

    structure = ""

    def __init__(self, blocks, slices, *, kind, param_names, n_obs):
        self._blocks, self._slices = _check_blocks(blocks, slices)
        self.n_params = int(sum(b.n for b in self._blocks))
        self.shape = (self.n_params, self.n_params)
        self.kind = _check_kind(kind)
        self.n_obs = check_int(n_obs, "n_obs", low=1)
        self.param_names = _check_names(param_names, self.n_params)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(P={self.n_params}, kind={self.kind!r}, "
                f"n_obs={self.n_obs})")

    def _vec(self, v, name="v"):
        v = as_float_array(v, name, ndim=(1, 2))
        if v.shape[0] != self.n_params:
            raise ValueError(f"{name} must have {self.n_params} rows (one per weight), "
                             f"got shape {v.shape}")
        return v

    def _blockwise(self, v, f):
        v = self._vec(v)
        v, scale = _unit_scale(v)
        X = v if v.ndim == 2 else v[:, None]
        out = np.empty_like(X)
        for s, b in zip(self._slices, self._blocks, strict=True):
            out[s] = f(b, X[s])
        if scale != 1.0:
            out *= scale
        return out if v.ndim == 2 else out[:, 0]

    def _like(self, blocks):
        op = object.__new__(type(self))
        FisherOperator.__init__(op, blocks, self._slices, kind=self.kind,
                                param_names=self.param_names, n_obs=self.n_obs)
        return op

    @finite_result("v", what="product M v")
    def matvec(self, v) -> np.ndarray:
        """``M v``."""
        return self._blockwise(v, lambda b, X: b.matvec(X))

    @finite_result("v", what="quadratic form")
    def vTMv(self, v) -> float:  # noqa: N802 (nngeometry's name)
        """``v^T M v`` for ``v`` of shape (P,)."""
        v = self._vec(v)
        if v.ndim != 1:
            raise ValueError(f"v must be 1-dimensional (P,), got shape {v.shape}")
        return float(v @ self.matvec(v))

    def damped(self, damping: float) -> FisherOperator:
        """The damped operator (``M + d I``, or factored damping for K-FAC with pi)."""
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        return self._like([b.damped(damping) for b in self._blocks])

    @finite_result("v", "damping", what="solution")
    def solve(self, v, damping: float = 0.0) -> np.ndarray:
        """Solve ``damped(damping) x = v``; the minimum-norm solution when singular."""
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        return self._blockwise(v, lambda b, X: b.solve(X, damping))

    def trace(self) -> float:
        """``tr M``."""
        return float(sum(b.trace() for b in self._blocks))

    def diagonal(self) -> np.ndarray:
        """``diag M``, shape (P,)."""
        return np.concatenate([b.diagonal() for b in self._blocks])

    def to_dense(self) -> np.ndarray:
        """The (P, P) matrix (zero between the blocks of block structures)."""
        M = np.zeros(self.shape)
        for s, b in zip(self._slices, self._blocks, strict=True):
            M[s, s] = b.to_dense()
        return M

    def eigvalsh(self) -> np.ndarray:
        """All ``P`` eigenvalues in ascending order (blocks: the union of their spectra)."""
        return np.sort(np.concatenate([b.eigvalsh() for b in self._blocks]))

    def to_info(self) -> FisherInfo:
        """The dense matrix as a :class:`~fisherstat.FisherInfo` (information of one row).

        ``method`` is ``'analytic'`` for ``kind='exact'``, else ``'monte_carlo'`` or
        ``'empirical'``.
        """
        method = {"exact": "analytic"}.get(self.kind, self.kind)
        return FisherInfo(self.to_dense(), self.param_names, 1.0, method,
                          getattr(self, "stderr", None))


class DenseOperator(FisherOperator):
    r"""The full matrix :math:`M`, stored densely or as a factor :math:`M = B^T B / N`.

    The factor storage keeps the per-layer back-propagated signals and inputs; memory
    O(N R width), never (P, P) or (N R, P).


    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([3, 8, 2], output="softmax")
    >>> X = np.random.default_rng(0).standard_normal((4, 3))
    >>> F = fisher(net, net.init(rng=0), X, "exact")     # P = 50 > N (C - 1) = 4: factor form
    >>> F.eigvalsh().shape, int(np.sum(F.eigvalsh() > 1e-12))
    ((50,), 4)
    >>> v = np.ones(50)
    >>> bool(np.allclose(F.solve(F.matvec(v), 1e-3), np.linalg.solve(
    ...     F.to_dense() + 1e-3 * np.eye(50), F.matvec(v))))
    True
    """

    structure = "dense"
    _stderr_fn = None
    _stderr = None

    @property
    def stderr(self) -> np.ndarray | None:
        """Entrywise Monte Carlo standard errors (``kind='monte_carlo'``, matrix storage).

        Pooled over the ``N S`` terms :math:`g g^T`, which adds the spread between rows
        (not random given ``X``): conservative. Computed on first access (one more
        (P, P) product). None for the other kinds.
        """
        if self._stderr is None and self._stderr_fn is not None:
            self._stderr = self._stderr_fn()
        return self._stderr

    @property
    def is_factored(self) -> bool:
        """True when stored as per-sample factors (then ``gram()`` is available)."""
        return isinstance(self._blocks[0], _RowFactorBlock)

    def gram(self) -> np.ndarray:
        r"""The Gram (weighted NTK) matrix :math:`B B^T / N`, (N R, N R) (factor storage).

        Its non-zero eigenvalues are those of :math:`M = B^T B / N`; it is summed layer by
        layer, :math:`\sum_l (\Delta_l\Delta_l^T) \odot (A_l A_l^T \otimes 1)`, without
        forming ``B``. For ``kind='exact'`` and a Gaussian output with ``sigma2 = 1`` it is
        the empirical neural tangent kernel :math:`J J^T / N` (Jacot, Gabriel & Hongler
        2018).
        """
        b = self._blocks[0]
        if not isinstance(b, _RowFactorBlock):
            raise ValueError("gram() needs the factor storage (N R < P, or factor='always')")
        return b.gram() * b.scale


class DiagonalOperator(FisherOperator):
    """The diagonal of the Fisher, :math:`\\operatorname{diag} M` (e.g. for EWC, Adam).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([2, 4, 1])
    >>> X = np.random.default_rng(0).standard_normal((10, 2))
    >>> t = net.init(rng=0)
    >>> D = fisher(net, t, X, "exact", "diag")
    >>> bool(np.allclose(D.diagonal(), np.diag(fisher(net, t, X, "exact").to_dense())))
    True
    """

    structure = "diag"


class BlockDiagonalOperator(FisherOperator):
    """The exact per-layer diagonal blocks of the Fisher.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([2, 4, 1])
    >>> X = np.random.default_rng(0).standard_normal((10, 2))
    >>> t = net.init(rng=0)
    >>> Bk, F = fisher(net, t, X, "exact", "block"), fisher(net, t, X, "exact").to_dense()
    >>> s = net.slices[1]
    >>> bool(np.allclose(Bk.to_dense()[s, s], F[s, s]))
    True
    """

    structure = "block"


class KFACOperator(FisherOperator):
    r"""Kronecker-factored blocks :math:`G_l \otimes A_l` (Martens & Grosse 2015).

    Attributes
    ----------
    factors : list of (G, A)
        Per layer: :math:`G_l` (n_out, n_out) and :math:`A_l` (n_cols, n_cols).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([2, 5, 3, 2], activation="linear")     # deep linear, Gaussian output
    >>> X = np.random.default_rng(0).standard_normal((30, 2))
    >>> t = net.init(rng=0)
    >>> K = fisher(net, t, X, "exact", "kfac")
    >>> bool(np.allclose(K.to_dense(), fisher(net, t, X, "exact", "block").to_dense()))
    True
    """

    structure = "kfac"

    @property
    def factors(self) -> list:
        """Per layer ``(G, A)`` (not available on a ``damped`` operator)."""
        if not all(isinstance(b, _KronBlock) for b in self._blocks):
            raise ValueError("a damped K-FAC operator is stored in its eigenbasis and has no "
                             "(G, A) factors; take them from the undamped operator")
        return [(b.G, b.A) for b in self._blocks]


class EKFACOperator(FisherOperator):
    r"""K-FAC's eigenbasis with re-fitted eigenvalues (George et al. 2018).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([2, 5, 2], output="softmax")
    >>> X = np.random.default_rng(0).standard_normal((30, 2))
    >>> t = net.init(rng=0)
    >>> E, Bk = fisher(net, t, X, "exact", "ekfac"), fisher(net, t, X, "exact", "block")
    >>> bool(np.isclose(E.trace(), Bk.trace()))
    True
    """

    structure = "ekfac"


class ImplicitOperator(FisherOperator):
    r"""The full Fisher as matrix-free products :math:`\frac1N \sum_n J_n^T U_n^T U_n J_n v`.

    ``matvec`` costs one forward-mode and one backward pass over the ``N`` rows and never
    forms a (P, P) or (N, C, P) array; ``solve`` runs conjugate gradients (Hestenes &
    Stiefel 1952) on ``M + d I`` to relative residual ``rtol`` (at most ``maxiter``
    iterations; ``last_iterations`` records the count). ``to_dense`` and ``eigvalsh`` form
    the per-sample factor and are meant for small networks.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([3, 6, 2], output="softmax")
    >>> X = np.random.default_rng(0).standard_normal((20, 3))
    >>> t = net.init(rng=0)
    >>> F, M = fisher(net, t, X, "exact", "implicit"), fisher(net, t, X, "exact").to_dense()
    >>> v = np.arange(F.n_params, dtype=float)
    >>> bool(np.allclose(F.matvec(v), M @ v))
    True
    >>> bool(np.allclose(F.solve(v, 0.1), np.linalg.solve(M + 0.1 * np.eye(F.n_params), v)))
    True
    """

    structure = "implicit"

    def __init__(self, net, theta, cache, U, *, kind, param_names, rtol=1e-10, maxiter=None):
        from .mlp import MLP, Cache  # the network module does not import the operators

        if not isinstance(net, MLP):
            raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
        theta = net.validate(theta)
        if not isinstance(cache, Cache):
            raise TypeError("cache must be the forward pass of net at theta (a "
                            f"fisherstat.nn.mlp.Cache), got {type(cache).__name__}")
        N = cache.f.shape[0]
        U = as_float_array(U, "U", ndim=3)
        if U.shape[0] != N or U.shape[2] != net.n_outputs:
            raise ValueError(f"U must have shape ({N}, R, {net.n_outputs}) (N rows of the "
                             f"cache, R signals, C outputs), got {U.shape}")
        self._net, self._theta, self._cache, self._U = net, theta, cache, U
        self._damping = 0.0
        self.rtol = check_scalar(rtol, "rtol", low=0)
        self.n_params = net.n_weights
        self.maxiter = (10 * self.n_params if maxiter is None
                        else check_int(maxiter, "maxiter", low=1))
        self.shape = (self.n_params, self.n_params)
        self.kind, self.n_obs = _check_kind(kind), N
        self.param_names = _check_names(param_names, self.n_params)
        self.last_iterations = 0
        self._diag = None

    def _mv(self, x):
        net, c, U = self._net, self._cache, self._U
        Jv = net._tangent(self._theta, c, x)  # (N, C)
        w = np.einsum("nrc,nc->nr", U, Jv)
        back = np.einsum("nrc,nr->nc", U, w) / self.n_obs
        out = net._gradient(c, net._backward(self._theta, c, back))
        return out + self._damping * x

    @finite_result("v", what="product M v")
    def matvec(self, v):
        v, scale = _unit_scale(self._vec(v))
        if v.ndim == 1:
            return self._mv(v) * scale
        return np.column_stack([self._mv(v[:, j]) for j in range(v.shape[1])]) * scale

    def damped(self, damping):
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        op = ImplicitOperator(self._net, self._theta, self._cache, self._U, kind=self.kind,
                              param_names=self.param_names, rtol=self.rtol,
                              maxiter=self.maxiter)
        op._damping = self._damping + damping
        return op

    def _cg(self, b, damping):
        x, self.last_iterations = conjugate_gradient(
            lambda p: self._mv(p) + damping * p, b, self.rtol, self.maxiter)
        return x

    @finite_result("v", "damping", what="solution")
    def solve(self, v, damping=0.0):
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        v, scale = _unit_scale(self._vec(v))
        if v.ndim == 1:
            return self._cg(v, damping) * scale
        return np.column_stack([self._cg(v[:, j], damping)
                                for j in range(v.shape[1])]) * scale

    def _rows(self):
        net, c = self._net, self._cache
        B = net._rows(c, net._backward(self._theta, c, self._U))
        return B.reshape(-1, self.n_params)

    def diagonal(self):
        if self._diag is None:
            net, c = self._net, self._cache
            deltas = net._backward(self._theta, c, self._U)
            self._diag = np.concatenate([
                ((np.sum(d * d, axis=1)).T @ (layer._augment(c.inputs[li]) ** 2)).ravel()
                for li, (d, layer) in enumerate(zip(deltas, net.layers, strict=True))
            ]) / self.n_obs
        return self._diag + self._damping

    def trace(self):
        return float(self.diagonal().sum())

    def to_dense(self):
        B = self._rows()
        M = (B.T @ B) / self.n_obs
        return 0.5 * (M + M.T) + self._damping * np.eye(self.n_params)

    def eigvalsh(self):
        B = self._rows()
        if B.shape[0] < self.n_params:
            w = np.clip(np.linalg.eigvalsh((B @ B.T) / self.n_obs), 0.0, None)
            w = np.concatenate([np.zeros(self.n_params - w.size), w])
            return w + self._damping
        return np.linalg.eigvalsh(self.to_dense())
