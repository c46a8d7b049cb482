r"""Fisher information of a network as an operator: one interface, five structures.

Every structure returned by :func:`fisherstat.nn.fisher` is a :class:`FisherOperator`
with the same methods, so that callers (optimizers, EWC, spectra) never branch on the
type (the design of nngeometry's ``PMat`` representations, George 2021). It implements
the protocol :class:`fisherstat.InformationOperator`; it is the *mean* over its
``n_inputs = N`` rows, the information of one example, so ``n_obs = 1``:

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
``logdet(d)``      :math:`\log\det` of ``damped(d)``, from each block's structure
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

import numpy as np

from .._validation import as_float_array, check_choice, check_int, check_operand, check_scalar
from ..information import FisherInfo
from ._blocks import BLOCKS, KronBlock, RowFactorBlock, logdet_values, unit_scale
from ._checks import finite_result
from ._signals import KINDS
from .mlp import MLP, ForwardPass

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



# ---------------------------------------------------------------------- operators


def _check_blocks(blocks, slices):
    """The blocks of an operator and their slices: consecutive, covering 0..P."""
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise TypeError(f"blocks must be a sequence of operator blocks (operators are built "
                        f"by fisherstat.nn.fisher), got {type(blocks).__name__}")
    blocks = list(blocks)
    for i, b in enumerate(blocks):
        if not isinstance(b, BLOCKS):
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
    return check_choice(kind, "kind", KINDS)


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
        Always 1: the operator is the *mean* over its ``N`` inputs, i.e. the information
        of one example drawn from them (the meaning of ``n_obs`` of
        :class:`~fisherstat.InformationOperator` and :class:`~fisherstat.FisherInfo`), so
        ``to_info().covariance(n)`` is the Cramer-Rao bound for ``n`` such examples.
    n_inputs : int
        ``N``, the number of inputs averaged over.

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
    #: The operator is the information of one example (the mean over ``n_inputs`` rows).
    n_obs = 1

    def __init__(self, blocks, slices, *, kind, param_names, n_inputs):
        self._blocks, self._slices = _check_blocks(blocks, slices)
        self.n_params = int(sum(b.n for b in self._blocks))
        self.shape = (self.n_params, self.n_params)
        self.kind = _check_kind(kind)
        self.n_inputs = check_int(n_inputs, "n_inputs", low=1)
        self.param_names = _check_names(param_names, self.n_params)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(P={self.n_params}, kind={self.kind!r}, "
                f"n_inputs={self.n_inputs})")

    def _vec(self, v, name="v"):
        return check_operand(v, name, self.n_params, "one per weight")

    def _blockwise(self, v, f):
        v = self._vec(v)
        v, scale = unit_scale(v)
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
                                param_names=self.param_names, n_inputs=self.n_inputs)
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

    def logdet(self, damping: float = 0.0) -> float:
        r"""``log det`` of :meth:`damped` ``(damping)`` (:math:`M + d I` except pi-damped K-FAC).

        Computed block by block from each block's structure: Kronecker blocks from the
        eigenvalues of their two factors (:math:`\log\det(G \otimes A) = \dim A \log\det G
        + \dim G \log\det A`), the factor storage from its Gram matrix (Sylvester's
        identity), dense blocks by Cholesky. ``-inf`` when singular and undamped (an
        eigenvalue below ``max|lambda| P eps``, the rank tolerance of :meth:`solve`).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP, fisher
        >>> net = MLP([2, 3, 2], output="softmax")
        >>> t, X = net.init(rng=0), np.random.default_rng(0).standard_normal((20, 2))
        >>> K = fisher(net, t, X, "exact", "kfac", pi_damping=False)
        >>> d = 0.1
        >>> bool(np.isclose(K.logdet(d), np.linalg.slogdet(K.to_dense() + d * np.eye(17))[1]))
        True
        >>> K.logdet()                      # the softmax logit shift: singular
        -inf
        """
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        return float(sum(b.logdet(damping) for b in self._blocks))

    def to_info(self) -> FisherInfo:
        """The dense matrix as a :class:`~fisherstat.FisherInfo` (information of one example).

        ``n_obs = 1`` (the operator is the mean over its ``n_inputs`` rows), so
        ``to_info().covariance(n)`` is the Cramer-Rao bound for ``n`` examples, the same as
        ``fisherstat.fisher(net, theta, x=X).covariance(n)`` (the sum over the ``N`` rows,
        with ``n_obs = N``).

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
        return isinstance(self._blocks[0], RowFactorBlock)

    def gram(self) -> np.ndarray:
        r"""The Gram (weighted NTK) matrix :math:`B B^T / N`, (N R, N R) (factor storage).

        Its non-zero eigenvalues are those of :math:`M = B^T B / N`; it is summed layer by
        layer, :math:`\sum_l (\Delta_l\Delta_l^T) \odot (A_l A_l^T \otimes 1)`, without
        forming ``B``. For ``kind='exact'`` and a Gaussian output with ``sigma2 = 1`` it is
        the empirical neural tangent kernel :math:`J J^T / N` (Jacot, Gabriel & Hongler
        2018).
        """
        b = self._blocks[0]
        if not isinstance(b, RowFactorBlock):
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
        if not all(isinstance(b, KronBlock) for b in self._blocks):
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
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
        theta = net.validate(theta)
        if not isinstance(cache, ForwardPass):
            raise TypeError("cache must be the forward pass of net at theta (a "
                            f"fisherstat.nn.ForwardPass), got {type(cache).__name__}")
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
        self.kind, self.n_inputs = _check_kind(kind), N
        self.param_names = _check_names(param_names, self.n_params)
        self.last_iterations = 0
        self._diag = None

    def _mv(self, x):
        net, c, U = self._net, self._cache, self._U
        Jv = net.tangent(c, x)  # (N, C)
        w = np.einsum("nrc,nc->nr", U, Jv)
        back = np.einsum("nrc,nr->nc", U, w) / self.n_inputs
        out = net.weight_gradient(c, net.backward_pass(c, back))
        return out + self._damping * x

    @finite_result("v", what="product M v")
    def matvec(self, v):
        v, scale = unit_scale(self._vec(v))
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
        v, scale = unit_scale(self._vec(v))
        if v.ndim == 1:
            return self._cg(v, damping) * scale
        return np.column_stack([self._cg(v[:, j], damping)
                                for j in range(v.shape[1])]) * scale

    def _rows(self):
        net, c = self._net, self._cache
        B = net.signal_gradients(c, net.backward_pass(c, self._U))
        return B.reshape(-1, self.n_params)

    def diagonal(self):
        if self._diag is None:
            net, c = self._net, self._cache
            deltas = net.backward_pass(c, self._U)
            self._diag = np.concatenate([
                ((np.sum(d * d, axis=1)).T @ (a**2)).ravel()
                for d, a in zip(deltas, net.layer_inputs(c), strict=True)
            ]) / self.n_inputs
        return self._diag + self._damping

    def trace(self):
        return float(self.diagonal().sum())

    def to_dense(self):
        B = self._rows()
        M = (B.T @ B) / self.n_inputs
        return 0.5 * (M + M.T) + self._damping * np.eye(self.n_params)

    def logdet(self, damping=0.0):
        """``log det(M + d I)`` from :meth:`eigvalsh` (forms the factor: small networks)."""
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        return logdet_values(np.clip(self.eigvalsh() - self._damping, 0.0, None)
                             + self._damping + damping)

    def eigvalsh(self):
        B = self._rows()
        if B.shape[0] < self.n_params:
            w = np.clip(np.linalg.eigvalsh((B @ B.T) / self.n_inputs), 0.0, None)
            w = np.concatenate([np.zeros(self.n_params - w.size), w])
            return w + self._damping
        return np.linalg.eigvalsh(self.to_dense())
