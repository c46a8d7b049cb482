r"""Optimality criteria: value, gradient and sensitivity function of the information matrix.

A criterion is a function of the (normalised) information matrix :math:`M(\xi)` of an
approximate design :math:`\xi`. Every criterion here is described by three things:

* its **value** (``log det``, a trace of the inverse, the smallest eigenvalue, ...);
* its **gradient** with respect to :math:`M` (a subgradient for ``E``);
* its **sensitivity function** :math:`d(x) = \operatorname{tr}\{A\, M(x)\}` with
  :math:`A` the normalised gradient, and the **bound** :math:`b = \operatorname{tr}\{A\,
  M(\xi)\}`. The general equivalence theorem (Kiefer 1974) says that :math:`\xi` is optimal
  if and only if :math:`d(x) \le b` on the whole design region, and for every design

  .. math::

      \text{efficiency}(\xi) \ \ge\ \frac{b}{\max_x d(x)},

  because each criterion is a concave, positively homogeneous *information function*
  :math:`\phi` of :math:`M` (Pukelsheim 1993, *Optimal Design of Experiments*, Wiley,
  chapters 5-7): :math:`\phi(M^*) \le \operatorname{tr}\{\nabla\phi(M) M^*\}
  \le \max_x \operatorname{tr}\{\nabla\phi(M) M(x)\}` and Euler's identity
  :math:`\operatorname{tr}\{\nabla\phi(M) M\} = \phi(M)`.

==========  ===========================  ==========================  =======================
criterion   value                        sensitivity :math:`d(x)`    bound :math:`b`
==========  ===========================  ==========================  =======================
``D``       :math:`\log\det M`           :math:`\operatorname{tr}     :math:`m`
                                         M^{-1}M(x)`
``A``       :math:`\operatorname{tr}     :math:`\operatorname{tr}     :math:`\operatorname{tr}
            M^{-1}`                      M^{-2}M(x)`                 M^{-1}`
``L``       :math:`\operatorname{tr}     :math:`\operatorname{tr}     :math:`\operatorname{tr}
            L M^{-1}`                    M^{-1}LM^{-1}M(x)`          LM^{-1}`
``I``       ``L`` with :math:`L =        as ``L``                    as ``L``
            \int M(x)\,d\mu`
``c``       :math:`c^T M^- c`            :math:`\|F(x)^T h\|^2`,     :math:`c^T M^- c`
                                         :math:`h = M^- c`
``E``       :math:`\lambda_{\min}(M)`    :math:`\operatorname{tr}     :math:`\lambda_{\min}`
                                         E\,M(x)`, :math:`E` in the
                                         subdifferential
``G``       :math:`\max_x                (that of ``D``)             :math:`m`
            \operatorname{tr}M^{-1}M(x)`
``Ds``      :math:`\log\det` of the      :math:`\operatorname{tr}     :math:`s`
            Schur complement             C^{-1}K^TM(x)K`
==========  ===========================  ==========================  =======================

**Nuisance parameters.** A criterion acts on the information of the parameters of interest
(the *target*, :math:`s` of them) with the others as nuisance: the Schur complement
:math:`C = M_{TT} - M_{TN} M_{NN}^{-} M_{NT} = K^T M K`, :math:`K = (I, -M_{NN}^{-}M_{NT})^T`
(the inverse of :math:`C` is the target block of :math:`M^{-1}`). The chain rule gives
the gradient :math:`K\, \nabla_C \Phi\, K^T` with respect to :math:`M`, so the sensitivity
is :math:`\operatorname{tr}\{\nabla_C\Phi\, K^T M(x) K\}`; for ``D`` this is the
:math:`D_s` sensitivity :math:`f^T M^{-1} f - f_N^T M_{NN}^{-1} f_N` (Atkinson, Donev &
Tobias 2007, *Optimum Experimental Designs, with SAS*, OUP, chapter 10).

**Singular information.** ``D`` is :math:`-\infty` and ``A``, ``L``, ``I`` are
:math:`+\infty` at a singular target information. ``c`` only needs :math:`c` in the range of
:math:`M` (then :math:`c^T M^- c` does not depend on the generalised inverse); its
equivalence theorem asks for *some* generalised inverse :math:`G` with
:math:`(c^T G f(x))^2 \le c^T M^- c` (Pukelsheim 1993, chapter 2; Silvey 1980,
*Optimal Design*, Chapman & Hall, chapter 3), which :func:`~fisherstat.design.check_equivalence`
searches over :math:`h = M^+ c + N z`, :math:`N` a basis of the null space.

**E with a multiple smallest eigenvalue.** The subdifferential of :math:`\lambda_{\min}` is
:math:`\{V A V^T: A \succeq 0, \operatorname{tr} A = 1\}` with :math:`V` the eigenvectors of
:math:`\lambda_{\min}`; the equivalence theorem needs *some* element with
:math:`\operatorname{tr}\{E M(x)\} \le \lambda_{\min}` (Pukelsheim 1993, chapters 7 and 9).
:meth:`Criterion.sensitivity` picks the element that minimises the maximum of the
sensitivity over the given points (a small semidefinite program, see
:mod:`fisherstat.design._sdp`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence

import numpy as np
from scipy import linalg

from .._validation import EPS, as_float_array, check_square_matrix, check_weights
from ..information import FisherInfo
from ._linalg import check_psd, pinv_sym, quad_rows, schur, sqrt_psd
from ._linalg import chol_pd as _chol
from ._linalg import eigh_psd as _eigh_psd
from ._linalg import inv_pd as _inv_pd
from ._linalg import sym as _sym
from ._sdp import e_subgradient

__all__ = ["Criterion", "D", "A", "E", "c", "L", "I", "G", "Ds", "as_criterion"]

# re-exported: the matrix helpers used to live here
_REEXPORTED = (check_psd, pinv_sym, quad_rows, schur, sqrt_psd)


def _pd(w: np.ndarray) -> np.ndarray:
    """Whether each matrix of a stack with ascending eigenvalues ``w`` (B, s) is positive
    definite (the rank tolerance of :func:`~fisherstat.design._linalg.chol_pd`)."""
    return w[:, 0] > np.maximum(w[:, -1], np.finfo(float).tiny) * w.shape[-1] * EPS * 10


def _finite_float(method):
    """Public criterion methods: float64 overflow of the result is a ValueError naming ``M``
    (not an inf that would read as 'singular', nor a RuntimeWarning)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        msg = (f"M: the {self.name}-criterion overflows float64 at this information matrix "
               "(entries too large or too small); rescale M (the criteria are equivariant "
               "under M -> s M)")
        # invalid too: an inf from overflow times a zero (BLAS kernels differ on where it
        # appears) is the same overflow
        with np.errstate(over="raise", invalid="raise"):
            try:
                out = method(self, *args, **kwargs)
            except FloatingPointError:
                raise ValueError(msg) from None
        if np.any(np.isnan(out)):
            raise ValueError(msg)
        return out
    return wrapper


def _unpack_info(M, param_names, name: str):
    """A :class:`~fisherstat.FisherInfo` gives its matrix and its parameter names.

    Criteria are positively homogeneous, so whether the information is per observation or
    the total of ``n_obs`` observations changes values by known constants only (``D``:
    ``p log n``) and no optimum, efficiency or sensitivity ratio.
    """
    if not isinstance(M, FisherInfo):
        return M, param_names
    if param_names is not None and (isinstance(param_names, str)
                                    or tuple(param_names) != M.param_names):
        raise ValueError(f"param_names must be None or the names of the FisherInfo "
                         f"{name}, {M.param_names}; got {param_names!r}")
    return M.matrix, M.param_names


def _point_matrices(information, factor, p: int) -> np.ndarray:
    """Per-point information (k, p, p) from ``information`` or ``factor`` (k, p, r)."""
    if (information is None) == (factor is None):
        raise TypeError("pass exactly one of information (k, p, p) or factor (k, p, r)")
    if factor is not None:
        F = as_float_array(factor, "factor", ndim=(2, 3))
        if F.ndim == 2:
            F = F[:, :, None]
        if F.shape[1] != p:
            raise ValueError(f"factor must have shape (k, {p}, r), got {F.shape}")
        return F
    Mx = as_float_array(information, "information", ndim=3)
    if Mx.shape[1:] != (p, p):
        raise ValueError(f"information must have shape (k, {p}, {p}), got {Mx.shape}")
    # a factor of each PSD point matrix: eigen-decomposition (k small in this public path)
    w, V = np.linalg.eigh(0.5 * (Mx + np.swapaxes(Mx, 1, 2)))
    return V * np.sqrt(np.clip(w, 0.0, None))[:, None, :]


# --------------------------------------------------------------------- criteria
class Criterion:
    """Base class of optimality criteria (see the module documentation for the maths).

    Subclasses define the value, the normalised gradient (the matrix of the sensitivity
    function) and the information function on the target information ``C``. The public
    methods take a plain information matrix ``M`` of all parameters; :class:`Ds` (and
    the ``params`` argument of :func:`~fisherstat.design.optimal_design`) choose a subset
    with the other parameters as nuisance.
    """

    #: short name, e.g. ``"D"``
    name: str = "?"
    #: ``'D'`` (log-determinant), ``'L'`` (trace of a weighted inverse), ``'E'``, ``'c'``,
    #: ``'G'``: selects the algorithms' update formulas
    family: str = "?"
    #: True when larger values are better (``D``, ``E``)
    larger_is_better: bool = False
    #: True when the value is differentiable at non-singular information matrices
    differentiable: bool = True

    # ------------------------------------------------------------ internals
    def _check(self, s: int, names: Sequence[str]) -> None:
        """Validate constants (``c``, ``L``) against ``s`` target parameters ``names``."""

    def _value(self, C: np.ndarray) -> float:
        raise NotImplementedError

    def _weight(self, C: np.ndarray):
        """``(A, b)``: sensitivity matrix on the target and bound, or ``None`` if singular."""
        raise NotImplementedError

    def _phi(self, C: np.ndarray) -> float:
        """Concave, positively homogeneous information function (0 when singular)."""
        raise NotImplementedError

    def _targets(self, p: int, param_names):
        T = np.arange(p)
        return T, np.array([], dtype=int)

    def _check_names(self, param_names, p: int, name: str):
        if param_names is not None:
            if isinstance(param_names, str) or not isinstance(param_names, Sequence) \
                    or not all(isinstance(n, str) for n in param_names):
                raise TypeError(f"param_names must be a sequence of {p} strings (the names "
                                f"of the rows of {name}), got {param_names!r}")
            if len(param_names) != p:
                raise ValueError(f"param_names must name the {p} rows of {name}, got "
                                 f"{param_names!r}")
        T, N = self._targets(p, param_names)
        names = None if param_names is None else [tuple(param_names)[i] for i in T]
        self._check(T.size, names if names is not None else [f"#{i}" for i in T])
        return T, N

    def _split(self, M, param_names=None, name: str = "M"):
        M, param_names = _unpack_info(M, param_names, name)
        M = check_psd(M, name)
        T, N = self._check_names(param_names, M.shape[0], name)
        C, K = schur(M, T, N)
        return M, C, K

    def _values(self, C: np.ndarray, w: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Values of a stack of target informations ``C`` (B, s, s) with eigenvalues ``w``
        and eigenvectors ``V``; subclasses vectorise."""
        return np.array([self._value(Cb) for Cb in C], dtype=float)

    # ------------------------------------------------------------ public API
    @_finite_float
    def value(self, M, param_names=None) -> float:
        """Criterion value at the information matrix ``M`` (see the table in the module docs).

        Parameters
        ----------
        M : array_like, shape (p, p), or FisherInfo
            Information matrix (symmetric, positive semi-definite). A
            :class:`~fisherstat.FisherInfo` brings its parameter names.
        param_names : sequence of str, optional
            Names of the rows of ``M`` (needed when :class:`Ds` names its parameters).

        Returns
        -------
        float
            ``-inf`` (``D``) or ``inf`` (``A``, ``L``, ``c``) when the information of the
            parameters of interest is singular (``c``: when ``c`` is not in its range).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> M = np.array([[1.0, 0.0, 2 / 3], [0.0, 2 / 3, 0.0], [2 / 3, 0.0, 2 / 3]])
        >>> round(float(np.exp(design.D().value(M))), 6)  # det M = 4/27
        0.148148
        """
        _, C, _ = self._split(M, param_names)
        return float(self._value(C))

    @_finite_float
    def gradient(self, M, param_names=None) -> np.ndarray:
        r"""Derivative of :meth:`value` with respect to ``M`` (symmetric, (p, p)).

        ``D``: :math:`K C^{-1} K^T`; ``A``/``L``/``I``: :math:`-K C^{-1}LC^{-1}K^T`;
        ``c``: :math:`-K hh^T K^T`; ``E``: :math:`K vv^T K^T` (a subgradient when the
        smallest eigenvalue is multiple). Raises ``ValueError`` at singular information.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> design.A().gradient(np.diag([1.0, 2.0]))  # -M^-2
        array([[-1.  , -0.  ],
               [-0.  , -0.25]])
        """
        M, C, K = self._split(M, param_names)
        wb = self._weight(C)
        if wb is None:
            raise ValueError(f"{self.name}-criterion: the information of the parameters of "
                             "interest is singular; the value is not differentiable there")
        sign = 1.0 if self.larger_is_better else -1.0
        return _sym(sign * (K @ wb[0] @ K.T))

    def values(self, Ms, param_names=None) -> np.ndarray:
        r"""Criterion values of a stack of information matrices, vectorised.

        The same criterion as :meth:`value` for many matrices at once (an optimiser's
        batch of candidate designs): the Schur complements and eigen-decompositions are
        computed for the whole stack. A matrix that is not positive definite on the
        parameters of interest gets the value of a singular design (``-inf`` for ``D``,
        ``Ds``; ``inf`` for ``A``, ``L``, ``I``; ``c`` stays finite when ``c`` is in the
        range). For ``D`` and ``Ds`` the value is the log-determinant itself (PopED's
        ``ofv`` for a population FIM).

        Parameters
        ----------
        Ms : array_like, shape (B, p, p)
            Symmetric positive semi-definite information matrices.
        param_names : sequence of str, optional
            Names of the rows (needed when :class:`Ds` names its parameters).

        Returns
        -------
        ndarray, shape (B,)

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> Ms = np.array([np.diag([1.0, 0.25]), np.diag([1.0, 0.0])])
        >>> design.D().values(Ms), design.A().values(Ms)
        (array([-1.38629436,        -inf]), array([ 5., inf]))
        """
        Ms = as_float_array(Ms, "Ms", ndim=3)
        if Ms.shape[1] != Ms.shape[2] or not Ms.shape[1]:
            raise ValueError(f"Ms must have shape (B, p, p) with p >= 1, got {Ms.shape}")
        scale = np.maximum(np.max(np.abs(Ms), axis=(1, 2)), np.finfo(float).tiny)
        asym = np.max(np.abs(Ms - np.swapaxes(Ms, 1, 2)), axis=(1, 2)) > 1e-6 * scale
        if asym.any():
            raise ValueError(f"Ms must be symmetric matrices; matrix {int(np.argmax(asym))} "
                             "is not")
        T, N = self._check_names(param_names, Ms.shape[1], "Ms")
        Ms = 0.5 * Ms + 0.5 * np.swapaxes(Ms, 1, 2)
        C = Ms[:, T[:, None], T[None, :]]
        low = []
        if N.size:
            wn, Vn = np.linalg.eigh(Ms[:, N[:, None], N[None, :]])
            low.append(wn[:, 0] / np.maximum(np.abs(wn[:, -1]), np.finfo(float).tiny))
            tol = np.maximum(np.abs(wn[:, -1:]), np.finfo(float).tiny) * N.size * EPS * 10
            wi = np.where(wn > tol, 1.0 / np.where(wn > tol, wn, 1.0), 0.0)
            VB = np.swapaxes(Vn, 1, 2) @ Ms[:, N[:, None], T[None, :]]
            C = C - np.swapaxes(VB, 1, 2) @ (wi[:, :, None] * VB)
            C = 0.5 * C + 0.5 * np.swapaxes(C, 1, 2)
        w, V = np.linalg.eigh(C)
        low.append(w[:, 0] / np.maximum(np.abs(w).max(axis=1), np.finfo(float).tiny))
        notpsd = np.min(low, axis=0) < -1e-8
        if notpsd.any():  # M is PSD iff M_NN and its Schur complement are
            raise ValueError(f"Ms must be positive semi-definite (information matrices); "
                             f"matrix {int(np.argmax(notpsd))} is not")
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return self._values(C, w, V)

    def derivative(self, M, dM, param_names=None) -> np.ndarray:
        r"""Derivatives of :meth:`value` along directions ``dM``.

        :math:`\operatorname{tr}\{\nabla\Phi(M)\, \partial M/\partial x_v\}` for each
        direction :math:`v`.

        The chain rule for design variables :math:`x` (sampling times, doses, ...): given
        the derivatives of the information :math:`\partial M/\partial x_v` (e.g. by
        finite differences), this is the gradient of the criterion over :math:`x`.

        Parameters
        ----------
        M : array_like, shape (p, p), or FisherInfo
        dM : array_like, shape (v, p, p)
        param_names : sequence of str, optional

        Returns
        -------
        ndarray, shape (v,)

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> dM = np.array([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])
        >>> design.D().derivative(np.diag([2.0, 4.0]), dM)  # d log det / d M_ii = 1 / M_ii
        array([0.5 , 0.25])
        """
        G = self.gradient(M, param_names)
        dM = as_float_array(dM, "dM", ndim=3)
        if dM.shape[1:] != G.shape:
            raise ValueError(f"dM must have shape (v, {G.shape[0]}, {G.shape[0]}), got "
                             f"{dM.shape}")
        return np.einsum("ij,vij->v", G, dM)

    @_finite_float
    def sensitivity(self, M, information=None, *, factor=None, param_names=None) -> np.ndarray:
        r"""Sensitivity function :math:`d(x) = \operatorname{tr}\{A M(x)\}` at given points.

        Parameters
        ----------
        M : array_like, shape (p, p)
            Information matrix of the design.
        information : array_like, shape (k, p, p), optional
            Information of one observation at each point (``model.point_information``).
        factor : array_like, shape (k, p, r), optional
            Instead of ``information``: factors ``F`` with ``M(x) = F F^T``
            (``model.point_factor``), cheaper for large ``k``.
        param_names : sequence of str, optional
            Names of the rows of ``M`` (for :class:`Ds`).

        Returns
        -------
        ndarray, shape (k,)
            Compare with :meth:`bound`: the design is optimal iff ``d <= bound`` everywhere.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> t = np.linspace(-1, 1, 5)
        >>> F = np.column_stack([np.ones(5), t])[:, :, None]
        >>> design.D().sensitivity(np.eye(2), factor=F)  # 1 + t^2 <= 2 = bound
        array([2.  , 1.25, 1.  , 1.25, 2.  ])
        """
        M, C, K = self._split(M, param_names)
        Fx = _point_matrices(information, factor, M.shape[0])
        Fk = np.einsum("nqr,qs->nsr", Fx, K)
        if self.family == "E":
            Aw = e_subgradient(C, Fk)
        else:
            wb = self._weight(C)
            if wb is None:
                raise ValueError(f"{self.name}-criterion: singular information of the "
                                 "parameters of interest; no sensitivity function")
            Aw = wb[0]
        with np.errstate(over="ignore", invalid="ignore"):
            d = quad_rows(Fk, sqrt_psd(Aw))
        if d.size and not np.isfinite(d.max()):  # one pass: NaN and inf propagate to max
            raise ValueError("information/factor: the sensitivity overflows float64 at point "
                             f"{int(np.flatnonzero(~np.isfinite(d))[0])}; the point "
                             "information must be rescaled together with M")
        return d

    @_finite_float
    def bound(self, M, param_names=None) -> float:
        """Bound of the sensitivity function in the equivalence theorem (``m`` for ``D``).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> design.D().bound(np.eye(3)), design.A().bound(np.diag([1.0, 0.5]))
        (3.0, 3.0)
        """
        _, C, _ = self._split(M, param_names)
        wb = self._weight(C)
        return float("nan") if wb is None else float(wb[1])

    @_finite_float
    def information_function(self, M, param_names=None, *, _name: str = "M") -> float:
        r"""The concave, positively homogeneous :math:`\phi(M)` behind efficiencies.

        ``D``: :math:`\det(C)^{1/s}`; ``A``/``L``/``I``/``c``: the reciprocal of the value;
        ``E``: :math:`\lambda_{\min}`; ``G``: :math:`m / \max_x d(x)` over the
        criterion's points. Zero at singular information.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> design.D().information_function(np.diag([4.0, 1.0]))
        2.0
        """
        _, C, _ = self._split(M, param_names, _name)
        return float(self._phi(C))

    @_finite_float
    def efficiency(self, M, reference, param_names=None) -> float:
        r"""Efficiency :math:`\phi(M) / \phi(M_{ref})` of ``M`` relative to ``reference``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import design
        >>> design.D().efficiency(np.diag([1.0, 1.0]), np.diag([4.0, 1.0]))
        0.5
        """
        ref = self.information_function(reference, param_names, _name="reference")
        if not ref > 0:
            raise ValueError(f"reference: the {self.name}-information function of the "
                             "reference is 0 (singular information); no efficiency")
        return self.information_function(M, param_names) / ref

    def __repr__(self) -> str:
        return f"{self.name}()"

    def _bind(self, **constants) -> Criterion:
        """A copy with constants computed for one problem (e.g. the ``L`` of ``I``)."""
        new = copy.copy(self)
        for k, v in constants.items():
            setattr(new, k, v)
        return new


class D(Criterion):
    r"""D-optimality: maximise :math:`\log\det M` (the volume of confidence ellipsoids).

    Sensitivity :math:`d(x) = \operatorname{tr}\{M^{-1} M(x)\}` (for a linear model
    :math:`f(x)^T M^{-1} f(x)`, the standardised prediction variance), bound :math:`m`
    (Kiefer & Wolfowitz 1960, *Canad. J. Math.* 12, 363-366). Efficiency
    :math:`(\det M / \det M^*)^{1/m} \ge m / \max_x d(x)` (Atwood 1969, *Ann. Math.
    Statist.* 40, 1570-1602).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> M = np.diag([1.0, 0.25])
    >>> design.D().value(M), design.D().bound(M)
    (-1.3862943611198906, 2.0)
    """

    name, family, larger_is_better = "D", "D", True

    def _value(self, C):
        cf = _chol(C)
        if cf is None:
            return -np.inf
        return 2.0 * float(np.sum(np.log(np.diag(cf[0]))))

    def _weight(self, C):
        Ci = _inv_pd(C)
        return None if Ci is None else (Ci, float(C.shape[0]))

    def _values(self, C, w, V):
        ok = _pd(w)
        return np.where(ok, np.sum(np.log(np.where(ok[:, None], w, 1.0)), axis=-1), -np.inf)

    def _phi(self, C):
        v = self._value(C)
        return 0.0 if v == -np.inf else float(np.exp(v / C.shape[0]))


class Ds(D):
    r"""Ds-optimality: D-optimality for a subset of the parameters, the rest nuisance.

    Maximises :math:`\log\det C` with :math:`C = M_{ss} - M_{sn}M_{nn}^{-1}M_{ns}` the Schur
    complement (the inverse of the ``ss`` block of :math:`M^{-1}`). Sensitivity
    :math:`f^TM^{-1}f - f_n^TM_{nn}^{-1}f_n` for linear models, bound :math:`s`
    (Atkinson, Donev & Tobias 2007, chapter 10; Karlin & Studden 1966, *Ann. Math.
    Statist.* 37, 783-815).

    Parameters
    ----------
    params : sequence of str or int
        Names (or row indices) of the parameters of interest.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> M = np.array([[2.0, 1.0], [1.0, 1.0]])
    >>> float(np.exp(design.Ds(["b"]).value(M, param_names=["a", "b"])))  # 1 - 1/2
    0.5
    """

    name = "Ds"

    def __init__(self, params):
        if isinstance(params, (str, int, np.integer)) and not isinstance(params, bool):
            params = [params]
        if not isinstance(params, Sequence) and not isinstance(params, np.ndarray):
            raise TypeError(f"params must be a name, an index or a sequence of them, got "
                            f"{params!r}")
        params = tuple(params)
        for q in params:
            if isinstance(q, bool) or not isinstance(q, (str, int, np.integer)):
                raise TypeError(f"params must be parameter names (str) or row indices (int), "
                                f"got {q!r}")
        if not params:
            raise ValueError("params must name at least one parameter")
        if len(set(params)) != len(params):
            raise ValueError(f"params must be distinct, got {params}")
        self.params = params

    def _targets(self, p, param_names):
        idx = []
        for q in self.params:
            if isinstance(q, str):
                if param_names is None:
                    raise TypeError(f"Ds({list(self.params)}) names parameters: pass "
                                    "param_names (the names of the rows of M)")
                names = tuple(param_names)
                if q not in names:
                    raise ValueError(f"params: unknown parameter {q!r}; expected one of {names}")
                idx.append(names.index(q))
            else:
                if not 0 <= int(q) < p:
                    raise ValueError(f"params: index {q} out of range for {p} parameters")
                idx.append(int(q))
        T = np.array(idx, dtype=int)
        return T, np.setdiff1d(np.arange(p), T)

    def __repr__(self):
        return f"Ds({list(self.params)})"


class _LType(Criterion):
    """Criteria ``tr(L C^{-1})`` (A, L, I; c when non-singular)."""

    family = "L"

    def _Lmat(self, s):
        return np.eye(s)

    def _value(self, C):
        Ci = _inv_pd(C)
        if Ci is None:
            return np.inf
        return float(np.sum(self._Lmat(C.shape[0]) * Ci))

    def _weight(self, C):
        Ci = _inv_pd(C)
        if Ci is None:
            return None
        A = _sym(Ci @ self._Lmat(C.shape[0]) @ Ci)
        return A, float(np.sum(self._Lmat(C.shape[0]) * Ci))

    def _phi(self, C):
        v = self._value(C)
        return 0.0 if not np.isfinite(v) or v <= 0 else 1.0 / v

    def _values(self, C, w, V):
        ok = _pd(w)
        wi = 1.0 / np.where(ok[:, None], w, 1.0)
        Lm = self._Lmat(C.shape[1])
        val = np.einsum("ij,bik,bk,bjk->b", Lm, V, wi, V)
        return np.where(ok, val, np.inf)


class A(_LType):
    r"""A-optimality: minimise :math:`\operatorname{tr} M^{-1}` (the sum of the variances).

    Sensitivity :math:`\operatorname{tr}\{M^{-2}M(x)\}`, bound :math:`\operatorname{tr}
    M^{-1}` (Fedorov 1972, *Theory of Optimal Experiments*, Academic Press, chapter 2).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> design.A().value(np.diag([1.0, 0.5]))
    3.0
    """

    name = "A"


class L(_LType):
    r"""Linear optimality: minimise :math:`\operatorname{tr}(L M^{-1})` for a PSD ``L``.

    With :math:`L = \sum_j c_j c_j^T` it is the sum of the variances of the
    :math:`c_j^T\hat\theta`. Sensitivity :math:`\operatorname{tr}\{M^{-1}LM^{-1}M(x)\}`,
    bound :math:`\operatorname{tr}(LM^{-1})` (Fedorov 1972, chapter 2).

    Parameters
    ----------
    matrix : array_like, shape (s, s)
        Symmetric positive semi-definite weight matrix (``s`` parameters of interest).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> design.L(np.diag([1.0, 0.0])).value(np.diag([2.0, 1.0]))
    0.5
    """

    name = "L"

    def __init__(self, matrix):
        Lm = check_square_matrix(matrix, "matrix")
        if np.linalg.eigvalsh(Lm)[0] < -1e-10 * max(1.0, np.abs(Lm).max()):
            raise ValueError("matrix must be positive semi-definite")
        self.matrix = Lm

    def _check(self, s, names):
        if self.matrix.shape != (s, s):
            raise ValueError(f"matrix must have shape ({s}, {s}) (parameters of interest "
                             f"{list(names)}), got {self.matrix.shape}")

    def _Lmat(self, s):
        return self.matrix

    def __repr__(self):
        return f"L(matrix of shape {self.matrix.shape})"


class I(L):  # noqa: E742  (the conventional name of the criterion)
    r"""I-optimality (integrated variance): :math:`\operatorname{tr}(LM^{-1})`, :math:`L =
    \int M(x)\,\mu(dx)`.

    For a linear model :math:`L = \int f f^T d\mu` and the value is the average of the
    standardised prediction variance :math:`f(x)^TM^{-1}f(x)` over :math:`\mu` (also called
    V- or Q-optimality; Atkinson, Donev & Tobias 2007, chapter 10). For other models the
    same formula with the information :math:`M(x)` of one observation (restricted to the
    parameters of interest) averages :math:`\operatorname{tr}\{M^{-1}M(x)\}`.

    Parameters
    ----------
    points : array_like, optional
        Points of ``mu`` (rows of covariates ``x``); default: the candidate set of
        :func:`~fisherstat.design.optimal_design`, uniformly weighted.
    weights : array_like, optional
        Weights of ``points`` (normalised; default uniform).
    matrix : array_like, optional
        ``L`` itself, instead of points (for :meth:`value` on a plain matrix).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> design.I(matrix=np.eye(2)).value(np.diag([1.0, 0.5]))  # = A when L = I
    3.0
    """

    name = "I"

    def __init__(self, points=None, weights=None, *, matrix=None):
        self.points = None if points is None else as_float_array(points, "points", ndim=(1, 2))
        self.weights = weights
        if weights is not None:
            if self.points is None:
                raise TypeError("weights need points")
            w = check_weights(weights, "weights", self.points.shape[0])
            self.weights = w / w.sum()
        self.matrix = None if matrix is None else L(matrix).matrix

    def _check(self, s, names):
        if self.matrix is None:
            raise ValueError("I-criterion: pass matrix=..., or use it in optimal_design "
                             "(which integrates over points or the candidates)")
        super()._check(s, names)

    def __repr__(self):
        return "I()" if self.points is None else f"I({self.points.shape[0]} points)"


class c(_LType):  # noqa: N801  (the conventional name of the criterion)
    r"""c-optimality: minimise the variance :math:`c^T M^- c` of :math:`c^T\hat\theta`.

    Singular designs are allowed: the value is finite iff :math:`c` lies in the range of
    :math:`M`. Sensitivity :math:`\|F(x)^Th\|^2 = (f(x)^Th)^2` with :math:`h = M^- c`,
    bound :math:`c^TM^-c`; at a singular design, the equivalence theorem holds for *some*
    generalised inverse (Silvey 1980, chapter 3; Pukelsheim 1993, chapter 2), and by
    Elfving's theorem (Elfving 1952, *Ann. Math. Statist.* 23, 255-262) the optimal
    design solves the linear program :math:`\min \sum|u_i|` s.t. :math:`\sum u_i f(x_i) = c`
    when the information of a point has rank one.

    Parameters
    ----------
    vector : array_like, shape (s,)
        The coefficients ``c`` (one per parameter of interest).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> M = np.array([[1.0, 0.0], [0.0, 0.0]])  # singular, but c = e_1 is estimable
    >>> design.c([1.0, 0.0]).value(M), design.c([0.0, 1.0]).value(M)
    (1.0, inf)
    """

    name = "c"
    family = "c"

    def __init__(self, vector):
        v = as_float_array(vector, "vector", ndim=1)
        if not np.any(v != 0):
            raise ValueError("vector must not be zero")
        self.vector = v

    def _check(self, s, names):
        if self.vector.shape != (s,):
            raise ValueError(f"vector must have length {s} (parameters of interest "
                             f"{list(names)}), got {self.vector.size}")

    def _Lmat(self, s):
        return np.outer(self.vector, self.vector)

    def _h(self, C):
        """``h = C^+ c`` and ``c^T h``, or ``None`` when ``c`` is not in the range of ``C``."""
        cv = self.vector
        cf = _chol(C)
        if cf is not None:  # non-singular: a Cholesky solve, accurate to cond(C) eps
            h = linalg.cho_solve(cf, cv)
            return h, float(cv @ h)
        w, V, tol = _eigh_psd(C)
        keep = w > tol
        coef = V.T @ cv
        resid = np.linalg.norm(coef[~keep])
        if resid > 1e-7 * np.linalg.norm(cv):
            return None
        h = V[:, keep] @ (coef[keep] / w[keep])
        return h, float(cv @ h)

    def _value(self, C):
        r = self._h(C)
        return np.inf if r is None else r[1]

    def _values(self, C, w, V):
        ok = _pd(w)
        proj = np.einsum("bij,i->bj", V, self.vector)
        val = np.sum(proj**2 / np.where(ok[:, None], w, 1.0), axis=-1)
        for b in np.flatnonzero(~ok):  # singular: finite when c is in the range
            val[b] = self._value(C[b])
        return val

    def _weight(self, C):
        r = self._h(C)
        if r is None:
            return None
        return np.outer(r[0], r[0]), r[1]

    def __repr__(self):
        return f"c({np.array2string(self.vector, precision=4, separator=', ')})"


class E(Criterion):
    r"""E-optimality: maximise the smallest eigenvalue :math:`\lambda_{\min}(M)`.

    Minimises the largest variance of :math:`c^T\hat\theta` over unit vectors ``c``. Not
    differentiable where :math:`\lambda_{\min}` is multiple; the sensitivity
    :math:`\operatorname{tr}\{E M(x)\}` uses the element :math:`E` of the subdifferential
    chosen as in the module documentation, bound :math:`\lambda_{\min}` (Pukelsheim 1993,
    chapter 9). Optimal designs are computed as a semidefinite program, not by the
    first-order algorithms (see :func:`~fisherstat.design.optimal_design`).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> M = np.array([[1.0, 0.0, 0.4], [0.0, 0.4, 0.0], [0.4, 0.0, 0.4]])
    >>> round(design.E().value(M), 12)  # quadratic regression, weights 1/5, 3/5, 1/5
    0.2
    """

    name, family, larger_is_better, differentiable = "E", "E", True, False

    def _value(self, C):
        return float(np.linalg.eigvalsh(C)[0])

    def _weight(self, C):
        w, V = np.linalg.eigh(C)
        v = V[:, 0]
        return np.outer(v, v), float(w[0])

    def _phi(self, C):
        return max(float(np.linalg.eigvalsh(C)[0]), 0.0)

    def _values(self, C, w, V):
        return w[:, 0].copy()


class G(D):
    r"""G-optimality: minimise the largest standardised variance :math:`\max_x
    \operatorname{tr}\{M^{-1}M(x)\}` over the design region.

    By the Kiefer-Wolfowitz equivalence theorem (Kiefer & Wolfowitz 1960) the G-optimal
    approximate design on a region is the D-optimal design on it, and the minimal value is
    :math:`m`; :func:`~fisherstat.design.optimal_design` therefore computes the D-optimal
    design on the candidates (which are the region) and reports the G-value. The
    G-efficiency of a design is :math:`m / \max_x d(x)`.

    Parameters
    ----------
    points : array_like, optional
        The region (rows of covariates); default: the candidates.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> F = np.array([[1.0, -1.0], [1.0, 0.0], [1.0, 1.0]])[:, :, None]
    >>> design.G().value(np.eye(2), factor=F)
    2.0
    """

    name, family, larger_is_better, differentiable = "G", "D", False, False

    def __init__(self, points=None):
        self.points = None if points is None else as_float_array(points, "points", ndim=(1, 2))

    @_finite_float
    def value(self, M, information=None, *, factor=None, param_names=None) -> float:
        """``max_x tr(M^-1 M(x))`` over the given points (``inf`` when ``M`` is singular)."""
        _, C, _ = self._split(M, param_names)
        if _chol(C) is None:
            return np.inf
        return float(np.max(D.sensitivity(self, M, information, factor=factor,
                                          param_names=param_names)))

    @_finite_float
    def information_function(self, M, information=None, *, factor=None,
                             param_names=None) -> float:
        """G-efficiency ``m / max_x d(x)`` (0 when singular), ``m = tr(M^-1 M) = dim M``."""
        v = self.value(M, information, factor=factor, param_names=param_names)
        return 0.0 if not np.isfinite(v) else float(np.shape(M)[0]) / v

    @_finite_float
    def efficiency(self, M, reference, information=None, *, factor=None,
                   param_names=None) -> float:
        """Relative G-efficiency ``max d_ref / max d``."""
        check_psd(reference, "reference")
        a = self.value(M, information, factor=factor, param_names=param_names)
        b = self.value(reference, information, factor=factor, param_names=param_names)
        return b / a

    def values(self, Ms, param_names=None):
        """Not available for ``G`` (its value needs the points of the region)."""
        raise TypeError("G-criterion: values of a stack need the region's points; use "
                        "value(M, information) per matrix")

    def __repr__(self):
        return "G()" if self.points is None else f"G({self.points.shape[0]} points)"


_BY_NAME = {"D": D, "A": A, "E": E, "G": G, "I": I}


def as_criterion(spec) -> Criterion:
    """A criterion from an instance or a name (``'D'``, ``'A'``, ``'E'``, ``'G'``, ``'I'``).

    Examples
    --------
    >>> from fisherstat.design import as_criterion
    >>> as_criterion("d")
    D()
    """
    if isinstance(spec, Criterion):
        return spec
    if isinstance(spec, str) and spec.upper() in _BY_NAME:
        return _BY_NAME[spec.upper()]()
    raise ValueError(
        f"criterion must be a Criterion (D(), A(), E(), G(), I(...), c(vector), L(matrix), "
        f"Ds(params)) or one of {sorted(_BY_NAME)}, got {spec!r}"
    )
