r"""Singular and ill-conditioned Fisher information: spectra, ranks, diagnoses.

:func:`analyze` turns any :class:`~fisherstat.FisherInfo` (analytic, Monte Carlo, empirical,
observed) into a :class:`SpectrumReport`: the eigenvalues, a numerical rank that does not
depend on the units of the parameters and, for Monte Carlo information, accounts for the
simulation error, the condition number, the **null and near-null directions written as
readable combinations of the parameter names** (``"mu1 - mu2"``), the effective dimension
and the spectrum moments. :func:`diagnose` combines this with the singular sets that a
model knows about (``model.singularities``) and says in words which one is near and how
far.

Amari, Park & Ozeki (2006, *Neural Computation* 18, 1007-1065) show that the information
of multilayer perceptrons, Gaussian mixtures and ARMA models degenerates on whole subsets
of the parameter space; there the maximum-likelihood estimate is not asymptotically
normal, the likelihood-ratio statistic is not chi-square and AIC/BIC lose their
justification. Two of their toy models are included here as ready-made models:

* :class:`TwoUnitNetwork` -- the regression network
  :math:`f(x) = v_1\tanh(w_1x) + v_2\tanh(w_2 x)`, singular at :math:`v_i = 0`,
  :math:`w_i = 0` and :math:`w_1 = \pm w_2`;
* :class:`LocationMixture` -- :math:`(1 - v) N(0, 1) + v N(w, 1)`, singular at
  :math:`v = 0` and :math:`w = 0`, with a fast profile-likelihood fit and the
  likelihood-ratio statistic of one against two components (:meth:`LocationMixture.lrt`).

See the user guide page *Singular information* for the mathematics and the simulation
studies (``examples/singularities.py``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._validation import (
    as_float_array,
    check_int,
    check_names,
    check_random_state,
    check_scalar,
    check_square_matrix,
)
from .exceptions import FitError
from .information import FisherInfo, fisher
from .models.base import Model, Singularity
from .models.nonlinear import NonlinearRegression

__all__ = [
    "analyze",
    "diagnose",
    "SpectrumReport",
    "Direction",
    "Diagnosis",
    "TwoUnitNetwork",
    "LocationMixture",
    "RANK_TOL_FACTOR",
    "CONDITION_INDEX",
    "lrt_limit_sample",
]

_EPS = np.finfo(np.float64).eps

#: Default rank tolerance, in units of ``p * eps * lambda_max`` (see :func:`analyze`).
RANK_TOL_FACTOR = 100.0
#: Condition index above which a direction counts as near-null (Belsley, Kuh & Welsch 1980).
CONDITION_INDEX = 30.0


def _readonly(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


# ================================================================ directions
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
    return Direction(_format_combination(shown, names), _readonly(coef), lam, se,
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


# ================================================================== report
@dataclass(frozen=True, eq=False, repr=False)
class SpectrumReport:
    r"""Spectrum, numerical rank and (near-)null directions of a Fisher information.

    Returned by :func:`analyze`; immutable, arrays read-only.

    Attributes
    ----------
    param_names : tuple of str
    method : str
        ``method`` of the analysed :class:`~fisherstat.FisherInfo`.
    n_obs : float
        How many observations the matrix is the information of.
    eigenvalues : ndarray, shape (p,)
        Eigenvalues of the information, ascending.
    eigenvectors : ndarray, shape (p, p)
        The corresponding orthonormal eigenvectors (columns).
    eigenvalue_stderr : ndarray or None
        Monte Carlo standard errors of ``eigenvalues`` (first order; see :func:`analyze`).
    scaling : ndarray, shape (p,)
        :math:`s_j = \sqrt{|I_{jj}|}` (1 for a parameter without information); the rank is
        decided on :math:`C = S^{-1} I S^{-1}` (all ones for ``scaling='none'``).
    scaled_eigenvalues : ndarray, shape (p,)
        Eigenvalues of :math:`C`, ascending; ``scaled_eigenvalue_stderr`` their standard
        errors (Monte Carlo information) or None.
    tol : float
        Eigenvalues of :math:`C` with :math:`|\mu| \le` ``tol`` count as zero.
    n_se : float
        With Monte Carlo errors, eigenvalues within ``n_se`` standard errors of zero also
        count as zero.
    rank : int
        Rank: the number of eigenvalues of :math:`C` that are neither within ``tol`` nor
        (Monte Carlo information) within ``n_se`` standard errors of zero.
    numerical_rank : int
        The rank with the rounding tolerance ``tol`` only (equal to ``rank`` without
        Monte Carlo errors).
    n_negative : int
        Eigenvalues of :math:`C` below ``-max(tol, n_se * stderr)``: the matrix is not
        positive semi-definite (an observed information away from a maximum, or an
        unstable estimate); they count towards the rank.
    condition_number : float
        :math:`\lambda_{\max}/\lambda_{\min}` of the information (``inf`` when rank deficient
        or not positive definite). Depends on the units of the parameters.
    scaled_condition_number : float
        The same for :math:`C` (unit-free).
    null_directions : tuple of Direction
        A sparse basis of the numerical null space.
    near_null_directions : tuple of Direction
        Eigenvectors of :math:`C` with condition index
        :math:`\sqrt{\mu_{\max}/\mu} >` ``condition_index`` (but above the rank tolerance).
    condition_index : float
        The threshold used for near-null directions.
    gamma : float
        Regulariser of ``effective_dimension``.
    effective_dimension : float
        :math:`\sum_i \lambda_i / (\lambda_i + \gamma)` over the eigenvalues of the
        information (negative ones clipped to 0).
    mean_eigenvalue, second_moment, max_eigenvalue : float
        :math:`m_1 = \operatorname{tr} I / p`, :math:`m_2 = \operatorname{tr} I^2 / p` and
        :math:`\lambda_{\max}` (Karakida, Akaho & Amari 2019).
    scaling_method : str
        ``'correlation'`` or ``'none'`` (the ``scaling`` argument of :func:`analyze`).
    """

    param_names: tuple
    method: str
    n_obs: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    eigenvalue_stderr: np.ndarray | None
    scaling: np.ndarray
    scaled_eigenvalues: np.ndarray
    scaled_eigenvalue_stderr: np.ndarray | None
    tol: float
    n_se: float
    rank: int
    numerical_rank: int
    n_negative: int
    condition_number: float
    scaled_condition_number: float
    null_directions: tuple
    near_null_directions: tuple
    condition_index: float
    gamma: float
    effective_dimension: float
    mean_eigenvalue: float
    second_moment: float
    max_eigenvalue: float
    scaling_method: str = "correlation"

    @property
    def n_params(self) -> int:
        """Number of parameters ``p``."""
        return len(self.param_names)

    @property
    def is_singular(self) -> bool:
        """True when the numerical rank is below ``p``."""
        return self.rank < self.n_params

    @property
    def rank_deficiency(self) -> int:
        """``p - rank``."""
        return self.n_params - self.rank

    def effective_dim(self, gamma: float) -> float:
        r"""Effective dimension :math:`\sum_i \lambda_i/(\lambda_i + \gamma)` at another ``gamma``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.singular import analyze
        >>> r = analyze(np.diag([100.0, 1.0, 0.01]))
        >>> round(r.effective_dim(1.0), 4)  # 100/101 + 1/2 + 0.01/1.01
        1.5000
        """
        gamma = check_scalar(gamma, "gamma", low=0)
        lam = np.clip(self.eigenvalues, 0.0, None)
        return float(np.sum(lam / (lam + gamma)))

    def summary(self) -> str:
        """A text summary: rank decision, condition, directions, effective dimension, moments.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import FisherInfo
        >>> from fisherstat.singular import analyze
        >>> info = FisherInfo(np.array([[1.0, 1.0], [1.0, 1.0]]), ("a", "b"))
        >>> print(analyze(info).summary())  # doctest: +ELLIPSIS
        Spectrum of the Fisher information (analytic), p = 2, n_obs = 1
        rank 1 of 2 ...
        null directions (1): a - b
        ...
        """
        p = self.n_params
        lines = [f"Spectrum of the Fisher information ({self.method}), p = {p}, "
                 f"n_obs = {self.n_obs:g}"]
        how = ("correlation-scaled matrix" if self.scaling_method == "correlation"
               else "unscaled matrix")
        rule = f"|mu| <= {self.tol:.3g}"
        if self.scaled_eigenvalue_stderr is not None:
            rule += f" or within {self.n_se:g} Monte Carlo standard errors of 0"
        lines.append(f"rank {self.rank} of {p} (decided on the {how}: {rule})")
        if self.numerical_rank != self.rank:
            lines.append(f"  ({self.numerical_rank} of {p} with the rounding tolerance alone; "
                         f"{self.numerical_rank - self.rank} eigenvalue(s) are within the "
                         "Monte Carlo error of 0)")
        if self.n_negative:
            lines.append(f"WARNING: {self.n_negative} clearly negative eigenvalue(s): the "
                         "matrix is not positive semi-definite")
        lines.append(f"condition number {self.condition_number:.4g} (scaled: "
                     f"{self.scaled_condition_number:.4g})")
        head = f"{'k':>4} {'lambda_k(I)':>12} {'mu_k(C)':>12}"
        if self.scaled_eigenvalue_stderr is not None:
            head += f" {'(MC s.e.)':>11}"
        lines.append(head)
        for i in range(p - 1, -1, -1):
            row = f"{p - i:>4} {self.eigenvalues[i]:>12.5g} {self.scaled_eigenvalues[i]:>12.5g}"
            if self.scaled_eigenvalue_stderr is not None:
                row += f" {self.scaled_eigenvalue_stderr[i]:>11.2g}"
            lines.append(row)
        if self.null_directions:
            lines.append(f"null directions ({len(self.null_directions)}): "
                         + "; ".join(d.expression + (" [within MC error]" if d.within_mc_error
                                                     else "")
                                     for d in self.null_directions))
        else:
            lines.append("null directions: none")
        if self.near_null_directions:
            lines.append(f"near-null directions (condition index > {self.condition_index:g}): "
                         + "; ".join(f"{d.expression} [scaled eigenvalue {d.eigenvalue:.3g}]"
                                     for d in self.near_null_directions))
        lines.append(f"effective dimension (gamma = {self.gamma:g}): "
                     f"{self.effective_dimension:.4g} of {p}")
        lines.append(f"spectrum moments: mean {self.mean_eigenvalue:.4g}, second moment "
                     f"{self.second_moment:.4g}, largest {self.max_eigenvalue:.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"SpectrumReport(p={self.n_params}, rank={self.rank}, "
                f"null={[d.expression for d in self.null_directions]}, "
                f"near_null={[d.expression for d in self.near_null_directions]})")

    def plot(self, ax=None):
        """Plot the spectrum: eigenvalues and scaled eigenvalues (log scale), the tolerance.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn into a new figure when omitted (matplotlib is imported only here).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.singular import analyze
        >>> ax = analyze(np.diag([4.0, 1.0, 1e-6])).plot()
        >>> ax.get_yscale()
        'log'
        """
        from .plot import check_axes, require_matplotlib

        if check_axes(ax) is None:
            _, ax = require_matplotlib().subplots()
        p = self.n_params
        k = np.arange(1, p + 1)
        floor = self.tol if self.tol > 0 else _EPS
        raw = np.abs(self.eigenvalues[::-1])
        sc = np.abs(self.scaled_eigenvalues[::-1])
        ax.plot(k, np.maximum(raw, floor * 1e-3), "o-", label="eigenvalues of I")
        if self.scaled_eigenvalue_stderr is not None:
            ax.errorbar(k, np.maximum(sc, floor * 1e-3),
                        yerr=self.n_se * self.scaled_eigenvalue_stderr[::-1], fmt="s--",
                        capsize=3, label=f"scaled (C), {self.n_se:g} MC s.e.")
        else:
            ax.plot(k, np.maximum(sc, floor * 1e-3), "s--", label="scaled (C)")
        ax.axhline(floor, color="grey", lw=0.8, label="rank tolerance (C)")
        ax.axhline(sc.max() / self.condition_index**2, color="grey", lw=0.8, ls=":",
                   label=f"condition index {self.condition_index:g}")
        ax.set_yscale("log")
        ax.set_xlabel("index (descending)")
        ax.set_ylabel("eigenvalue")
        ax.set_title(f"rank {self.rank} of {p}")
        ax.legend(fontsize=8)
        return ax


def _as_info(info, param_names) -> FisherInfo:
    if isinstance(info, FisherInfo):
        if param_names is not None:
            raise TypeError("param_names is only for a plain matrix; a FisherInfo has its own")
        return info
    if isinstance(info, (str, bytes)) or info is None:
        raise TypeError(f"info must be a FisherInfo or a square array, got "
                        f"{type(info).__name__}")
    m = check_square_matrix(info, "info", rtol=1e-6)
    if param_names is None:
        names = tuple(f"theta{j + 1}" for j in range(m.shape[0]))
    else:
        if isinstance(param_names, str):
            raise TypeError("param_names must be a sequence of str, not one str")
        names = check_names(param_names, "param_names")
        if len(names) != m.shape[0]:
            raise ValueError(f"param_names must be {m.shape[0]} strings (one per row of "
                             f"info), got {names!r}")
    return FisherInfo(m, names, 1.0, "numeric")


def analyze(
    info,
    tol: float | None = None,
    *,
    n_se: float = 4.0,
    scaling: str = "correlation",
    condition_index: float = CONDITION_INDEX,
    gamma: float = 1.0,
    coef_tol: float = 0.01,
    param_names: Sequence[str] | None = None,
) -> SpectrumReport:
    r"""Spectrum, numerical rank and (near-)null directions of a Fisher information.

    Parameters
    ----------
    info : FisherInfo or array_like, shape (p, p)
        The information; a plain symmetric matrix is accepted too (``param_names`` then
        names its rows, default ``theta1..thetap``).
    tol : float, optional
        Rank tolerance on the eigenvalues of the correlation-scaled matrix :math:`C`
        (unit-free: :math:`1 \le \mu_{\max} \le p`). Default
        ``RANK_TOL_FACTOR * p * eps * mu_max`` (see Notes).
    n_se : float, default 4
        Monte Carlo information only: eigenvalues within ``n_se`` standard errors of 0 count
        as zero.
    scaling : {'correlation', 'none'}
        Decide the rank on :math:`C = S^{-1} I S^{-1}`, :math:`S = \operatorname{diag}
        \sqrt{I_{jj}}` (default; invariant under rescaling of the parameters), or on the
        information itself (as ``numpy.linalg.matrix_rank``; not invariant).
    condition_index : float, default 30
        Eigenvectors of :math:`C` with :math:`\sqrt{\mu_{\max}/\mu}` above it (and
        :math:`\mu` above the rank tolerance) are reported as near-null directions.
    gamma : float, default 1
        Regulariser of the effective dimension, in the units of the information (a prior
        precision; see Notes).
    coef_tol : float, default 0.01
        In the text of a direction, coefficients below ``coef_tol`` times the largest
        (measured in correlation-scaled units) are left out; ``Direction.vector`` keeps all.
    param_names : sequence of str, optional
        Names of the rows when ``info`` is a plain matrix.

    Returns
    -------
    SpectrumReport

    Raises
    ------
    ValueError
        A matrix that is not square, not symmetric (relative tolerance 1e-6) or not finite;
        an option out of range.
    TypeError
        ``info`` neither a FisherInfo nor numeric.

    Notes
    -----
    **Rank decision.** The rank is decided on the correlation-scaled matrix
    :math:`C = S^{-1} I S^{-1}`, :math:`S = \operatorname{diag}(s_j)`,
    :math:`s_j = \sqrt{|I_{jj}|}`; a parameter with
    :math:`|I_{jj}| \le (100\, p\, \varepsilon)^2 \max_k |I_{kk}|` (no information up to
    rounding: its score is below :math:`100 p \varepsilon` of the others') gets
    :math:`s_j = 1` and an exact zero row and column. A change of units
    :math:`\theta = D\eta` (diagonal :math:`D > 0`) turns :math:`I` into :math:`DID`
    and leaves :math:`C` unchanged, so the decided rank (and the null directions, mapped by
    :math:`D^{-1}`) do not depend on the units (for any :math:`D` whose entries differ by less
    than a factor :math:`1/(100 p \varepsilon) \approx 10^{13}/p`); unit diagonal scaling is
    also within a factor ``p`` of the best-conditioned diagonal scaling (van der Sluis 1969,
    *Numer. Math.* 14,
    14-23) -- the scaling of collinearity diagnostics (Belsley, Kuh & Welsch 1980,
    *Regression Diagnostics*, Wiley, ch. 3). An eigenvalue :math:`\mu` of :math:`C` is zero
    when :math:`|\mu| \le \text{tol}` with default
    :math:`\text{tol} = 100\, p\, \varepsilon\, \mu_{\max}`: ``numpy.linalg.matrix_rank``'s
    :math:`p \varepsilon \mu_{\max}` (the backward error of the eigen-decomposition; Golub &
    Van Loan 2013, *Matrix Computations*, 4th ed., sec. 5.4.1 and 8.1) times 100 for the
    rounding of the information itself, usually a sum of :math:`N` terms with error growing
    like :math:`\sqrt N \varepsilon` (here :math:`N \le 10^4`). A consequence of the scaling:
    a parameter whose information tends to zero *alone* (e.g. :math:`w` in
    :math:`(1 - v)N(0, 1) + vN(w, 1)` as :math:`v \to 0`) is indistinguishable from one
    measured in large units until its information is exactly 0 -- :func:`diagnose` adds the
    model's own distance to such sets.

    **Monte Carlo information.** With entrywise standard errors :math:`\sigma_{ij}` an
    eigenvalue :math:`\mu` with unit eigenvector :math:`u` moves to first order by
    :math:`u^T \delta C u` (Stewart & Sun 1990, *Matrix Perturbation Theory*, ch. IV, or
    Golub & Van Loan 2013, sec. 8.1.2), whose standard error, treating the upper-triangle
    entries as independent, is

    .. math::

        \operatorname{se}(\mu) = \Big(\sum_i u_i^4 \tilde\sigma_{ii}^2
            + 4\sum_{i<j} u_i^2 u_j^2 \tilde\sigma_{ij}^2\Big)^{1/2},
        \qquad \tilde\sigma_{ij} = \sigma_{ij}/(s_i s_j)

    (the scaling taken as fixed). An eigenvalue counts as zero when
    :math:`|\mu| \le \max(\text{tol},\ n_{se}\operatorname{se}(\mu))`; ``numerical_rank``
    keeps the rounding tolerance alone. Independence is an assumption, not a bound. For
    the Hessian estimator, whose terms do not vanish along a null direction but only
    average to zero, it gives the right order of magnitude (within a factor of 2 of the
    spread over independent replicates in the checks of the user guide), and the
    statistical rule is the one that matters. For the score estimator
    :math:`\frac1N\sum s s^T` it is very conservative: along a null direction
    :math:`u^T s = 0` for every draw, so the estimate is singular exactly, and a positive
    eigenvalue has a *relative* error of order :math:`\sqrt{2/N}`; there
    ``numerical_rank`` (or ``n_se=0``) is the sharper decision.

    **Directions.** A basis of the numerical null space of :math:`C` (and, separately, of the
    span of the eigenvectors within Monte Carlo error of zero) is brought to reduced row
    echelon form (Gauss-Jordan with complete pivoting), which makes it as sparse as the
    space allows, and mapped back by :math:`\delta = S^{-1} u` (since :math:`Cu = 0 \iff
    I S^{-1} u = 0`). Each is normalised so that its dominant coefficient is :math:`\pm 1`
    and the first written term positive, and printed with 3 significant digits, e.g.
    ``"mu1 - mu2"`` for two coinciding mixture components of equal weight.

    **Effective dimension.** :math:`d_\gamma = \sum_i \lambda_i / (\lambda_i + \gamma)`:
    the number of parameter directions determined by the data more precisely than by a
    :math:`N(0, \gamma^{-1} I)` prior -- MacKay's (1992, "Bayesian interpolation",
    *Neural Computation* 4, 415-447) number of well-determined parameters with
    :math:`\gamma` the prior precision and :math:`\lambda_i` the eigenvalues of the
    information of the ``n_obs`` observations. Unlike the rank it depends on the units.

    **Spectrum moments.** :math:`m_1 = \frac1p\sum\lambda_i`, :math:`m_2 =
    \frac1p\sum\lambda_i^2` and :math:`\lambda_{\max}`, the statistics that Karakida, Akaho
    & Amari (2019, "Universal statistics of Fisher information in deep neural networks:
    mean field approach", AISTATS, PMLR 89, 1032-1041) derive for wide networks, where
    :math:`m_1 \to 0` while :math:`\lambda_{\max}` stays large (a "pathological" spectrum).

    Examples
    --------
    Two components of a Gaussian mixture that coincide (the weight no longer matters, and
    only the average of the means does):

    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.singular import analyze
    >>> I = np.array([[1.0, 0.0, 0.0], [0.0, 0.25, 0.25], [0.0, 0.25, 0.25]])
    >>> r = analyze(I, param_names=["sigma2", "mu1", "mu2"])
    >>> r.rank, [str(d) for d in r.null_directions]
    (2, ['mu1 - mu2'])

    The decision does not depend on units (the raw matrix has a condition number of 1e16):

    >>> D = np.diag([1e-8, 1.0])
    >>> analyze(D @ np.eye(2) @ D).rank, analyze(D @ np.eye(2) @ D, scaling="none").rank
    (2, 1)
    """
    info = _as_info(info, param_names)
    if tol is not None:
        tol = check_scalar(tol, "tol", low=0, low_open=False)
    n_se = check_scalar(n_se, "n_se", low=0, low_open=False)
    if scaling not in ("correlation", "none"):
        raise ValueError(f"scaling must be 'correlation' or 'none', got {scaling!r}")
    condition_index = check_scalar(condition_index, "condition_index", low=1)
    gamma = check_scalar(gamma, "gamma", low=0)
    coef_tol = check_scalar(coef_tol, "coef_tol", low=0, high=1, low_open=False)

    M = np.array(info.matrix)
    M_info = info.matrix
    p = M.shape[0]
    names = info.param_names
    lam, V = info.eigh()
    d = np.diag(M)
    s = np.ones(p)
    if scaling == "correlation":
        ad = np.abs(d)
        info_free = ad <= (RANK_TOL_FACTOR * p * _EPS) ** 2 * np.max(ad, initial=0.0)
        s = np.where(info_free, 1.0, np.sqrt(np.where(info_free, 1.0, ad)))
        M[info_free, :] = 0.0
        M[:, info_free] = 0.0
    C = M / np.outer(s, s)
    C = 0.5 * (C + C.T)
    mu, U = np.linalg.eigh(C)
    mu_max = float(np.max(np.abs(mu), initial=0.0))
    if tol is None:
        tol = RANK_TOL_FACTOR * p * _EPS * mu_max
    se = info.stderr
    C_se = None if se is None else se / np.outer(s, s)
    if C_se is not None:
        mu_se = np.array([_quadratic_form_se(U[:, i], C_se) for i in range(p)])
        lam_se = np.array([_quadratic_form_se(V[:, i], se) for i in range(p)])
        thresh = np.maximum(tol, n_se * mu_se)
    else:
        mu_se = lam_se = None
        thresh = np.full(p, tol)
    zero_num = np.abs(mu) <= tol
    zero = np.abs(mu) <= thresh
    rank = int(p - zero.sum())
    n_negative = int(np.sum(mu < -thresh))

    lam_min = float(lam[0]) if p else 0.0
    cond = float(lam[-1] / lam_min) if (rank == p and lam_min > 0 and n_negative == 0) \
        else float("inf")
    scond = float(mu[-1] / mu[0]) if (rank == p and mu[0] > 0) else float("inf")

    null_dirs: tuple = ()
    if zero_num.any():
        rows = _echelon(U[:, zero_num])
        null_dirs = tuple(_direction(r, s, C, M_info, C_se, names, coef_tol, True, False)
                          for r in rows)
    if (zero & ~zero_num).any():  # within Monte Carlo error: a sparse basis of their span
        rows = _echelon(U[:, zero & ~zero_num])
        null_dirs += tuple(_direction(r, s, C, M_info, C_se, names, coef_tol, True, True)
                           for r in rows)
    near = (~zero) & (mu > 0) & (mu_max / np.where(mu > 0, mu, 1.0) > condition_index**2)
    near_dirs = tuple(_direction(U[:, i], s, C, M_info, C_se, names, coef_tol, False, False)
                      for i in np.flatnonzero(near))
    lam_c = np.clip(lam, 0.0, None)
    with np.errstate(over="ignore"):  # eigenvalues near 1e308: see below
        mean_lam, second = float(np.mean(lam)), float(np.mean(lam**2))
    if not np.isfinite(mean_lam):  # the sum overflowed; the mean itself is representable
        top = float(np.max(np.abs(lam)))
        mean_lam = float(np.mean(lam / top)) * top
    # second_moment is inf when it exceeds the largest float (eigenvalues above ~1e154)
    return SpectrumReport(
        param_names=names, method=info.method, n_obs=info.n_obs,
        eigenvalues=_readonly(lam), eigenvectors=_readonly(V),
        eigenvalue_stderr=None if lam_se is None else _readonly(lam_se),
        scaling=_readonly(s), scaled_eigenvalues=_readonly(mu),
        scaled_eigenvalue_stderr=None if mu_se is None else _readonly(mu_se),
        tol=float(tol), n_se=n_se, rank=rank, numerical_rank=int(p - zero_num.sum()),
        n_negative=n_negative,
        condition_number=cond, scaled_condition_number=scond,
        null_directions=null_dirs, near_null_directions=near_dirs,
        condition_index=condition_index, gamma=gamma,
        effective_dimension=float(np.sum(lam_c / (lam_c + gamma))),
        mean_eigenvalue=mean_lam, second_moment=second,
        max_eigenvalue=float(lam[-1]), scaling_method=scaling,
    )


# =================================================================== diagnose
@dataclass(frozen=True, eq=False, repr=False)
class Diagnosis:
    """Result of :func:`diagnose`: the model's singular sets next to the numerical analysis.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    theta : ndarray, shape (p,)
    singularities : tuple of Singularity
        The model's named singular sets, nearest first.
    nearest : Singularity or None
        The nearest set on which the information loses rank (``rank_drop > 0``).
    analysis : SpectrumReport
        :func:`analyze` of the information at ``theta``.
    message : str
        The diagnosis in words.
    """

    model: str
    theta: np.ndarray
    singularities: tuple
    nearest: Singularity | None
    analysis: SpectrumReport
    message: str

    def summary(self) -> str:
        """The message, the list of singular sets and the spectrum summary."""
        lines = [self.message, ""]
        if self.singularities:
            lines.append("singular sets of the model (distance in the model's own terms):")
            for s in self.singularities:
                drop = (f"rank drop {s.rank_drop}" if s.rank_drop
                        else "information unbounded, no rank drop")
                lines.append(f"  {s.name}: distance {s.distance:.4g} ({drop}) -- "
                             f"{s.description}")
            lines.append("")
        lines.append(self.analysis.summary())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        near = None if self.nearest is None else (self.nearest.name, self.nearest.distance)
        return f"Diagnosis(model={self.model}, nearest={near}, rank={self.analysis.rank})"


def _theta_text(names, theta) -> str:
    return "(" + ", ".join(f"{n}={v:.4g}" for n, v in zip(names, theta, strict=True)) + ")"


def _diagnosis_message(model_repr, names, theta, sings, a: SpectrumReport) -> tuple:
    p = len(names)
    degenerate = [s for s in sings if s.rank_drop > 0]
    nearest = degenerate[0] if degenerate else None
    deficit, n_near = a.rank_deficiency, len(a.near_null_directions)
    parts = [f"{model_repr} at theta = {_theta_text(names, theta)}:"]
    if nearest is None:
        parts.append("the model declares no set on which its information loses rank"
                     + (" (it knows sets where the information is unbounded: "
                        + ", ".join(f"'{s.name}' at distance {s.distance:.3g}" for s in sings)
                        + ")" if sings else "") + ".")
    elif nearest.distance == 0:
        parts.append(f"theta lies ON the singular set '{nearest.name}' (distance 0; the "
                     f"information loses rank {nearest.rank_drop} there).")
    else:
        parts.append(f"the nearest singular set is '{nearest.name}' at distance "
                     f"{nearest.distance:.3g} (in the model's own terms; rank drop "
                     f"{nearest.rank_drop} on the set).")
    num = f"Numerically the information has rank {a.rank} of {p}"
    if deficit:
        num += (f"; null direction{'s' if deficit > 1 else ''}: "
                + "; ".join(d.expression for d in a.null_directions))
    if n_near:
        num += (f"; near-null direction{'s' if n_near > 1 else ''} (condition index > "
                f"{a.condition_index:g}): "
                + "; ".join(d.expression for d in a.near_null_directions))
    if not deficit and not n_near:
        num += (f" and is well conditioned (scaled condition number "
                f"{a.scaled_condition_number:.3g})")
    parts.append(num + ".")
    if nearest is not None:
        if nearest.distance == 0 and deficit >= nearest.rank_drop:
            parts.append("The numerical rank deficit agrees with the singular set.")
        elif nearest.distance == 0:
            parts.append(f"The numerical rank deficit ({deficit}) is smaller than the set's "
                         f"rank drop ({nearest.rank_drop}): the tolerance is too small for "
                         "the accuracy of this information, or the set is reached only in "
                         "a limit.")
        elif deficit + n_near:
            k = deficit + n_near
            parts.append(f"{k} (near-)null direction{'s' if k > 1 else ''} (the set's rank "
                         f"drop is {nearest.rank_drop}): theta is close to '{nearest.name}'; "
                         "standard errors along these directions are inflated, and the "
                         "normal approximation of the MLE, Wald intervals and AIC/BIC are "
                         "unreliable at practical sample sizes.")
        else:
            parts.append("At this distance the information is regular (no near-null "
                         "direction). The unit-free spectrum cannot see the information of "
                         "one parameter alone fading away (as on a zero-weight set): watch "
                         f"the distance to '{nearest.name}' itself.")
    if deficit and (nearest is None or nearest.distance > 0):
        parts.append("The information is singular although theta is on none of the model's "
                     "named singular sets: another non-identifiability (or too few "
                     "covariate values), or a tolerance too large for this matrix.")
    return nearest, " ".join(parts)


def diagnose(
    model: Model,
    theta,
    info: FisherInfo | None = None,
    *,
    x=None,
    weights=None,
    tol: float | None = None,
    n_se: float = 4.0,
    condition_index: float = CONDITION_INDEX,
    n_samples: int | None = None,
    rng=None,
) -> Diagnosis:
    """Which singular set of the model is ``theta`` near, how far, and what the information shows.

    Parameters
    ----------
    model : Model
    theta : array_like, shape (p,)
    info : FisherInfo, optional
        The information at ``theta``; default ``fisherstat.fisher(model, theta, x=x,
        weights=weights)`` (closed form when available, else Monte Carlo with
        ``n_samples`` and ``rng``).
    x, weights : array_like, optional
        Covariates (required for regression models when ``info`` is not given).
    tol, n_se, condition_index
        Passed to :func:`analyze`.
    n_samples : int, optional
    rng : int or Generator, optional
        For a Monte Carlo information.

    Returns
    -------
    Diagnosis

    Notes
    -----
    ``model.singularities(theta)`` lists the model's named singular sets with the distance
    of ``theta`` to each, in the model's own terms (root distance for ARMA models, weight or
    component separation for mixtures, output weight or unit separation for
    :class:`TwoUnitNetwork`). The nearest set with a rank drop is compared with the numerical
    rank and (near-)null directions of :func:`analyze`: on the set the rank deficit should
    match the rank drop, near it the near-null directions should point along the set's
    degenerate directions (Amari, Park & Ozeki 2006, sec. 2).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.singular import TwoUnitNetwork, diagnose
    >>> net = TwoUnitNetwork()
    >>> d = diagnose(net, [1.0, 1.0, 0.0, 2.0, 0.1], x=np.linspace(-3, 3, 31))
    >>> d.nearest.name, d.analysis.rank, [str(v) for v in d.analysis.null_directions]
    ('zero output weight', 4, ['w2'])
    >>> print(d)  # doctest: +ELLIPSIS
    TwoUnitNetwork(...) at theta = (v1=1, w1=1, v2=0, w2=2, sigma2=0.1): theta lies ON ...
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a fisherstat Model, got {type(model).__name__}")
    theta = model.validate(theta)
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", low=2)
    check_random_state(rng)  # validates rng (the draws use rng itself)
    if info is None:
        ctx = {}
        if x is not None:
            ctx["x"] = x
        if weights is not None:
            ctx["weights"] = weights
        if model.is_regression and x is None:
            raise TypeError(f"{type(model).__name__} is a regression model: pass x (the "
                            "covariates) or info")
        info = fisher(model, theta, n_samples=n_samples, rng=rng, **ctx)
    elif not isinstance(info, FisherInfo):
        raise TypeError(f"info must be a FisherInfo or None, got {type(info).__name__}")
    if info.param_names != model.param_names:
        raise ValueError(f"info has parameters {info.param_names}, the model "
                         f"{model.param_names}: info must have the model's parameters")
    analysis = analyze(info, tol, n_se=n_se, condition_index=condition_index)
    sings = model.singularities(theta)
    for s in sings:
        if not isinstance(s, Singularity):
            raise TypeError(f"{type(model).__name__}.singularities must return Singularity "
                            f"records, got {type(s).__name__}")
    sings = tuple(sorted(sings, key=lambda s: (s.distance, -s.rank_drop)))
    nearest, message = _diagnosis_message(repr(model), model.param_names, theta, sings,
                                          analysis)
    return Diagnosis(repr(model), _readonly(theta), sings, nearest, analysis, message)


# ================================================================= toy models
class TwoUnitNetwork(NonlinearRegression):
    r"""Two-hidden-unit regression network :math:`f(x) = v_1\tanh(w_1x) + v_2\tanh(w_2x)`.

    Parameters ``(v1, w1, v2, w2)`` and the error parameters of ``error`` (default
    additive: ``sigma2``); ``x`` is the (n,) input. The toy model of Amari, Park & Ozeki
    (2006, sec. 2 and 5) for the singularities of multilayer perceptrons.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`~fisherstat.models.NonlinearRegression`).

    Notes
    -----
    Mean and Jacobian (:math:`t_i = \tanh(w_i x)`):

    .. math::

        \frac{\partial f}{\partial v_i} = t_i, \qquad
        \frac{\partial f}{\partial w_i} = v_i\, x\, (1 - t_i^2),

    and the information of a design is :math:`J^T J / \sigma^2` (plus the error block). It
    loses rank on the *critical sets* (Fukumizu & Amari 2000, *Neural Networks* 13,
    317-327; Amari, Park & Ozeki 2006):

    * ``v_i = 0`` (``'zero output weight'``): unit ``i`` is switched off, ``w_i`` does not
      enter ``f`` -- rank drop 1, null direction ``w_i``;
    * ``w_i = 0`` (``'zero input weight'``): :math:`\tanh(0) = 0`, ``v_i`` does not enter --
      rank drop 1;
    * ``w_1 = w_2`` (``'coinciding units'``): :math:`f = (v_1 + v_2)\tanh(wx)`, only
      :math:`v_1 + v_2` and :math:`w` are identified -- rank drop 2, null directions
      :math:`v_1 - v_2` and :math:`v_2 w_1 - v_1 w_2`;
    * ``w_1 = -w_2`` (``'opposite units'``): :math:`\tanh` is odd, so
      :math:`f = (v_1 - v_2)\tanh(w_1x)` -- rank drop 2, null directions
      :math:`v_1 + v_2` and :math:`v_2 w_1 - v_1 w_2`.

    :meth:`singularities` reports the distances :math:`\min_i |v_i|`, :math:`\min_i |w_i|`,
    :math:`|w_1 - w_2|` and :math:`|w_1 + w_2|`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.singular import TwoUnitNetwork, analyze
    >>> net = TwoUnitNetwork()
    >>> x = np.linspace(-3, 3, 31)
    >>> r = analyze(fs.fisher(net, [1.0, 1.5, 1.0, 1.5, 0.1], x=x))  # w1 = w2
    >>> r.rank, [str(d) for d in r.null_directions]
    (3, ['v1 - v2', 'w1 - w2'])
    """

    def __init__(self, error: str = "additive"):
        super().__init__(self._f, self._jac, error, param_names=("v1", "w1", "v2", "w2"),
                         example_theta=None, example_x=np.linspace(-3.0, 3.0, 31))
        q = self.n_params - 4
        self._example_theta_value = np.array([1.0, 1.0, -1.0, 2.5] + [0.1] * q)

    def __repr__(self) -> str:
        return f"TwoUnitNetwork(error={self.error!r})"

    def _check_x(self, x):
        if x.ndim == 2:
            if x.shape[1] != 1:
                raise ValueError(f"x must have shape (n,) or (n, 1) for TwoUnitNetwork (one "
                                 f"input), got shape {x.shape}")
            x = x[:, 0]
        return x

    @staticmethod
    def _f(x, b):
        return b[0] * np.tanh(b[1] * x) + b[2] * np.tanh(b[3] * x)

    @staticmethod
    def _jac(x, b):
        t1, t2 = np.tanh(b[1] * x), np.tanh(b[3] * x)
        return np.column_stack([t1, b[0] * x * (1 - t1 * t1), t2, b[2] * x * (1 - t2 * t2)])

    def singularities(self, theta) -> list[Singularity]:
        """Distances to the four critical sets (see Notes).

        Examples
        --------
        >>> from fisherstat.singular import TwoUnitNetwork
        >>> for s in TwoUnitNetwork().singularities([1.0, 1.0, 0.5, 1.1, 0.1]):
        ...     print(s.name, round(s.distance, 3), s.rank_drop)
        zero output weight 0.5 1
        zero input weight 1.0 1
        coinciding units 0.1 2
        opposite units 2.1 2
        """
        v1, w1, v2, w2 = self.validate(theta)[:4]
        iv, iw = int(np.argmin(np.abs([v1, v2]))), int(np.argmin(np.abs([w1, w2])))
        return [
            Singularity("zero output weight",
                        f"v{iv + 1} = 0: unit {iv + 1} is switched off and w{iv + 1} does not "
                        f"enter the mean (null direction w{iv + 1}); distance min |v_i|",
                        float(min(abs(v1), abs(v2))), 1),
            Singularity("zero input weight",
                        f"w{iw + 1} = 0: tanh(0 x) = 0, so v{iw + 1} does not enter the mean "
                        f"(null direction v{iw + 1}); distance min |w_i|",
                        float(min(abs(w1), abs(w2))), 1),
            Singularity("coinciding units",
                        "w1 = w2: f = (v1 + v2) tanh(w x), only v1 + v2 and w are identified "
                        "(null directions v1 - v2 and v2 w1 - v1 w2); distance |w1 - w2|",
                        float(abs(w1 - w2)), 2),
            Singularity("opposite units",
                        "w1 = -w2: tanh is odd, f = (v1 - v2) tanh(w1 x) (null directions "
                        "v1 + v2 and v2 w1 - v1 w2); distance |w1 + w2|",
                        float(abs(w1 + w2)), 2),
        ]


class LocationMixture(Model):
    r"""The mixture :math:`(1 - v)\,N(0, 1) + v\,N(w, 1)`, parameters ``(v, w)``.

    The two-parameter Gaussian mixture of Amari, Park & Ozeki (2006, sec. 4): one known
    component and one of unknown weight and location.

    Parameters
    ----------
    w_max : float, default inf
        Bound of the location: :math:`|w| < w_{\max}`. The limit law of the likelihood-ratio
        statistic exists only for a bounded location (see :meth:`lrt`).

    Notes
    -----
    With :math:`r = \phi(x - w)/\phi(x) = e^{wx - w^2/2}` and the responsibility
    :math:`\tau = v r / (1 - v + v r)` of the second component,

    .. math::

        \ell = \log\phi(x) + \log(1 - v + v r), \qquad
        s_v = \frac{r - 1}{1 - v + vr} = \frac{\tau}{v} - \frac{1-\tau}{1-v}, \qquad
        s_w = \tau (x - w),

    and :math:`\partial^2_{vv}\ell = -s_v^2`, :math:`\partial^2_{vw}\ell = \tau(x-w)/v -
    s_v s_w`, :math:`\partial^2_{ww}\ell = \tau((x - w)^2 - 1) - s_w^2` (the general rule
    :math:`\nabla^2 \log p = \nabla^2 p / p - s s^T`). The information
    :math:`E[s s^T]` is computed by composite Gauss-Legendre quadrature over each component
    (16 nodes per panel of width :math:`\min(0.5, 0.5/|w|)`, :math:`\pm 13` standard
    deviations). It degenerates on two sets:

    * ``w = 0`` (``'coinciding components'``): the density is :math:`N(0, 1)` for every
      ``v``, :math:`s_v \equiv 0` -- rank 1, null direction ``v``. Near it
      (Hermite expansion :math:`r = 1 + wH_1 + w^2H_2/2 + \dots`, :math:`H_k` the
      probabilists' Hermite polynomials), :math:`s_v \approx wH_1` and
      :math:`s_w \approx vH_1`: the efficient informations are
      :math:`I_{v\cdot w} \approx w^4/2` and :math:`I_{w\cdot v} \approx v^2w^2/2`, so
      :math:`\operatorname{sd}(\hat v) \approx \sqrt{2/n}/w^2` and
      :math:`\operatorname{sd}(\hat w) \approx \sqrt{2/n}/(v|w|)`.
    * ``v = 0`` (``'zero weight'``, on the boundary): :math:`s_w = O(v)` while
      :math:`I_{vv} \to e^{w^2} - 1` (the :math:`\chi^2` divergence of :math:`N(w, 1)` from
      :math:`N(0, 1)`): :math:`I_{ww} \sim v^2 e^{w^2}(1 + w^2)` and
      :math:`\operatorname{sd}(\hat w) \propto 1/v`.

    Fit: the log-likelihood ratio against :math:`N(0, 1)`, :math:`\sum_i \log(1 + v(r_i -
    1))`, is concave in ``v``. It is maximised over ``v`` for all ``w`` of a grid (spacing
    0.05 over the range of the data, where the MLE of ``w`` lies) at once, by Newton's method
    safeguarded by bisection; the best grid point is polished by Newton-Raphson steps in
    ``(v, w)`` and compared with the closed-form maximum on the edge ``v = 1``
    (:math:`w = \bar x`).
    :meth:`fit` raises :class:`~fisherstat.FitError` when the maximum lies on the boundary
    (``v = 0``, ``v = 1`` or ``|w| = w_max``), which under the singular null happens with
    positive probability.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.singular import LocationMixture, analyze
    >>> m = LocationMixture()
    >>> np.round(m.fisher([0.3, 2.0]), 4)
    array([[2.5097, 0.3917],
           [0.3917, 0.1724]])
    >>> r = analyze(fs.fisher(m, [0.3, 0.0]))  # w = 0: N(0, 1) whatever v is
    >>> r.rank, [str(d) for d in r.null_directions]
    (1, ['v'])
    >>> y = m.sample([0.3, 2.0], 2000, rng=0)
    >>> np.round(m.fit(y), 2)
    array([0.3 , 1.97])
    """

    has_analytic_fisher = True

    def __init__(self, w_max: float = np.inf):
        if isinstance(w_max, bool) or not isinstance(w_max, numbers.Real):
            raise TypeError(f"w_max must be a positive number (or inf), got {w_max!r}")
        if not w_max > 0:  # also NaN
            raise ValueError(f"w_max must be a positive number > 0 (or inf), got {w_max!r}")
        self.w_max = float(w_max)
        super().__init__(("v", "w"), [(0.0, 1.0), (-self.w_max, self.w_max)])

    def __repr__(self) -> str:
        return "LocationMixture()" if np.isinf(self.w_max) else \
            f"LocationMixture(w_max={self.w_max:g})"

    def _example_theta(self):
        return np.array([0.3, min(2.0, 0.5 * self.w_max)])

    # -------------------------------------------------------------- likelihood
    def _loglik(self, theta, data, x):
        v, w = theta
        return (-0.5 * np.log(2 * np.pi) - 0.5 * data**2
                + np.logaddexp(np.log1p(-v), np.log(v) + w * data - 0.5 * w * w))

    def _parts(self, theta, data):
        v, w = theta
        a = w * data - 0.5 * w * w  # log r
        tau = special.expit(np.log(v) - np.log1p(-v) + a)
        R = np.expm1(np.minimum(a, 700.0))  # r - 1: exactly 0 at w = 0
        s_v = R / (1.0 + v * R)
        s_w = tau * (data - w)
        return tau, s_v, s_w

    def _score(self, theta, data, x):
        _, s_v, s_w = self._parts(theta, data)
        return np.column_stack([s_v, s_w])

    def _hessian(self, theta, data, x):
        v, w = theta
        tau, s_v, s_w = self._parts(theta, data)
        r = data - w
        H = np.empty((data.shape[0], 2, 2))
        H[:, 0, 0] = -s_v * s_v
        H[:, 0, 1] = H[:, 1, 0] = tau * r / v - s_v * s_w
        H[:, 1, 1] = tau * (r * r - 1) - s_w * s_w
        return H

    def _fisher(self, theta):
        v, w = theta
        step = min(0.5, 0.5 / max(abs(w), 1e-300))
        brk = np.arange(-13.0, 13.0 + 0.5 * step, step)
        g, gw = np.polynomial.legendre.leggauss(16)
        lo, hi = brk[:-1, None], brk[1:, None]
        z = (0.5 * (hi - lo) * g + 0.5 * (hi + lo)).ravel()
        c = (0.5 * (hi - lo) * gw).ravel() * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        out = np.zeros((2, 2))
        for weight, centre in ((1.0 - v, 0.0), (v, w)):
            S = self._score(theta, z + centre, None)
            out += weight * (S.T * c) @ S
        return 0.5 * (out + out.T)

    def _sample(self, theta, n, rng, x):
        v, w = theta
        return rng.standard_normal(n) + w * (rng.random(n) < v)

    # -------------------------------------------------------------------- fit
    @staticmethod
    def _profile_v(R):
        """Maximiser over ``v`` in [0, 1] of ``sum_i log(1 + v R_gi)`` for every grid row g.

        ``R`` (m, n) holds ``r_i - 1 > -1``. The objective is concave in ``v``; its
        derivative is decreasing, and a Newton step that leaves the bracket is replaced
        by bisection. Stops when the Newton decrement ``g^2 / (2|g'|)`` (the predicted gain)
        is below 1e-13. Returns ``(v, value)`` of shape (m,).
        """
        m = R.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            g0 = R.sum(axis=1)  # derivative at v = 0
            g1 = np.sum(R / (1 + R), axis=1)  # at v = 1 (-inf if some r_i = 0)
            v = np.where(g0 <= 0, 0.0, np.where(g1 >= 0, 1.0, 0.0))
            active = (g0 > 0) & (g1 < 0)
            lo, hi = np.zeros(m), np.ones(m)
            # start at the one-step estimate from v = 0, inside the bracket
            v = np.where(active, np.clip(g0 / np.sum(R * R, axis=1), 1e-8, 0.99), v)
            for _ in range(100):
                q = R / (1 + v[:, None] * R)
                g = q.sum(axis=1)
                dg = -np.sum(q * q, axis=1)
                # Newton decrement: the step would raise the objective by g^2 / (2|g'|)
                active &= g * g > -2e-13 * dg
                if not active.any():
                    break
                lo = np.where(active & (g > 0), v, lo)
                hi = np.where(active & (g <= 0), v, hi)
                step = v - g / dg
                step = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
                v = np.where(active, step, v)
            value = np.sum(np.log1p(v[:, None] * R), axis=1)
        return v, value

    def _ratio_minus_one(self, w, data):
        w = np.atleast_1d(w)[:, None]
        return np.expm1(w * data[None, :] - 0.5 * w * w)

    def _grid(self, data, spacing):
        lo = max(float(np.min(data)), -self.w_max)
        hi = min(float(np.max(data)), self.w_max)
        if not lo < hi:
            raise FitError("the data do not span an interval of locations inside the bounds")
        return np.linspace(lo, hi, max(int(np.ceil((hi - lo) / spacing)) + 1, 3))

    def profile(self, data, w) -> tuple[np.ndarray, np.ndarray]:
        r"""Profile log-likelihood ratio against :math:`N(0, 1)` at the locations ``w``.

        Parameters
        ----------
        data : array_like, shape (n,)
        w : array_like, shape (m,)

        Returns
        -------
        v_hat : ndarray, shape (m,)
            :math:`\arg\max_{v \in [0, 1]} \sum_i \log(1 + v(r_i(w) - 1))`.
        value : ndarray, shape (m,)
            The maximum (``>= 0``; 0 where ``v_hat = 0``).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.singular import LocationMixture
        >>> m = LocationMixture()
        >>> y = m.sample([0.5, 3.0], 400, rng=1)
        >>> v, val = m.profile(y, [0.0, 3.0])
        >>> round(float(v[1]), 2), bool(val[1] > val[0])
        (0.47, True)
        """
        data, _ = self.check_data(data)
        w = as_float_array(w, "w", ndim=1)
        return self._profile_v(self._ratio_minus_one(w, data))

    def _llr(self, theta, data):
        """Log-likelihood ratio against N(0, 1): ``sum_i log(1 - v + v r_i)``."""
        v, w = theta
        return float(np.sum(np.logaddexp(np.log1p(-v), np.log(v) + w * data - 0.5 * w * w)))

    def _maximise(self, data, spacing=0.05):
        """``(v, w, 2 * max log-likelihood ratio)`` over ``v in [0, 1]``, ``w`` in range.

        Profile over a grid of ``w`` with the given spacing, then Newton-Raphson in
        ``(v, w)`` from the best grid point, compared with the closed-form maximum on the
        edge ``v = 1`` (the model ``N(w, 1)``, maximal at ``w = mean(data)``).
        """
        grid = self._grid(data, spacing)
        v, val = self._profile_v(self._ratio_minus_one(grid, data))
        k = int(np.argmax(val))
        best = np.array([v[k], grid[k]])
        best_val = max(float(val[k]), 0.0)
        if 0 < v[k] < 1:
            theta = best.copy()
            for _ in range(50):
                g = self._score(theta, data, None).sum(axis=0)
                H = self._hessian(theta, data, None).sum(axis=0)
                if not np.all(np.isfinite(H)) or np.linalg.eigvalsh(H)[-1] >= 0:
                    break  # not locally concave: keep the grid point
                step, t = np.linalg.solve(H, -g), 1.0
                while t > 1e-4:
                    cand = theta + t * step
                    if 0 < cand[0] < 1 and abs(cand[1]) <= self.w_max and \
                            self._llr(cand, data) >= self._llr(theta, data):
                        break
                    t *= 0.5
                else:
                    break
                theta = cand
                if np.max(np.abs(t * step)) < 1e-12 * (1 + np.max(np.abs(theta))):
                    break
            cand_val = self._llr(theta, data)
            if cand_val >= best_val:
                best, best_val = theta, cand_val
        # the edge v = 1 (the model N(w, 1)): maximum n (w xbar - w^2/2) at w = xbar
        w1 = float(np.clip(np.mean(data), -self.w_max, self.w_max))
        edge = data.shape[0] * (w1 * np.mean(data) - 0.5 * w1 * w1)
        if edge >= best_val:
            best, best_val = np.array([1.0, w1]), float(edge)
        return float(best[0]), float(best[1]), float(2.0 * best_val)

    def lrt(self, data) -> float:
        r"""Likelihood-ratio statistic of :math:`N(0, 1)` against the mixture.

        :math:`2\big(\max_{v \in [0,1],\,|w| \le w_{\max}} \ell(v, w) - \ell_0\big)` with
        :math:`\ell_0` the log-likelihood of :math:`N(0, 1)` (``v = 0`` or ``w = 0``).

        Notes
        -----
        Under the null the parameter ``w`` is not identified, and the statistic is not
        :math:`\chi^2_2` (nor :math:`\chi^2_1`): for :math:`|w| \le W` it converges to
        :math:`\sup_{0 < |w| \le W} \max(Z(w), 0)^2` with :math:`Z` the centred Gaussian
        process of covariance :math:`(e^{w w'} - 1)/\sqrt{(e^{w^2}-1)(e^{w'^2}-1)}`
        (Ghosh & Sen 1985; Dacunha-Castelle & Gassiat 1999, *Ann. Statist.* 27, 1178-1209),
        and without a bound on ``w`` it diverges, slowly (Hartigan 1985; like
        :math:`\log\log n`, Bickel & Chernoff 1993). See :func:`lrt_limit_sample`.

        Examples
        --------
        >>> from fisherstat.singular import LocationMixture
        >>> m = LocationMixture(w_max=3.0)
        >>> y = m.sample([0.5, 0.0], 300, rng=2)  # the null: w = 0
        >>> round(m.lrt(y), 4) >= 0
        True
        """
        data, _ = self.check_data(data)
        return self._maximise(data)[2]

    def _fit(self, data, x, start):
        if data.shape[0] < 3:
            raise FitError(f"need at least 3 observations, got {data.shape[0]}")
        v, w, _ = self._maximise(data)
        if v <= 0:
            raise FitError("the MLE lies on the boundary v = 0 (no second component): no "
                           "interior maximum")
        if v >= 1:
            raise FitError("the MLE lies on the boundary v = 1 (one component N(w, 1) fits "
                           "best): no interior maximum")
        if not abs(w) < self.w_max:
            raise FitError("the MLE lies on the boundary |w| = w_max: no interior maximum")
        return np.array([v, w])

    def singularities(self, theta) -> list[Singularity]:
        """``'coinciding components'`` at distance ``|w|`` and ``'zero weight'`` at ``v``.

        Examples
        --------
        >>> from fisherstat.singular import LocationMixture
        >>> [(s.name, s.distance) for s in LocationMixture().singularities([0.1, 0.5])]
        [('coinciding components', 0.5), ('zero weight', 0.1)]
        """
        v, w = self.validate(theta)
        return [
            Singularity("coinciding components",
                        "w = 0: both components are N(0, 1), v does not enter the density "
                        "(null direction v); distance |w| (separation in standard deviations)",
                        float(abs(w)), 1),
            Singularity("zero weight",
                        "v = 0 (boundary): the second component vanishes and w leaves the "
                        "density (null direction w); distance v",
                        float(v), 1),
        ]


def lrt_limit_sample(w_max: float, size: int, rng=None, *, grid: int = 400) -> np.ndarray:
    r"""Draws from the limit law of :meth:`LocationMixture.lrt` under the null, :math:`|w| \le W`.

    :math:`\sup_{0 < |w| \le W} \max(Z(w), 0)^2` with
    :math:`Z(w) = \sum_{k \ge 1} \frac{w^k}{\sqrt{k!}}\,\xi_k \big/ \sqrt{e^{w^2} - 1}`,
    :math:`\xi_k` iid :math:`N(0, 1)`: the normalised score of ``v`` at fixed ``w``, expanded
    in Hermite polynomials (:math:`e^{wx - w^2/2} - 1 = \sum_{k\ge1} w^k H_k(x)/k!`,
    :math:`E H_k^2 = k!`), whose covariance is :math:`(e^{ww'} - 1)/\sqrt{\cdots}` (Ghosh &
    Sen 1985; Dacunha-Castelle & Gassiat 1999). The series is truncated when its terms fall
    below ``1e-17`` of the first; the supremum is taken over ``grid`` points per side.

    Parameters
    ----------
    w_max : float
        The bound ``W`` of the location.
    size : int
        Number of draws.
    rng : int or Generator, optional
    grid : int, default 400

    Returns
    -------
    ndarray, shape (size,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.singular import lrt_limit_sample
    >>> t = lrt_limit_sample(3.0, 20000, rng=0)
    >>> bool(np.mean(t > 3.84) > 0.05)  # stochastically larger than chi2(1)
    True
    """
    w_max = check_scalar(w_max, "w_max", low=0)
    size = check_int(size, "size", low=1)
    grid = check_int(grid, "grid", low=2)
    rng = check_random_state(rng)
    kk = np.arange(1, 2001)
    logt = kk * np.log(w_max) - 0.5 * special.gammaln(kk + 1)  # log w^k / sqrt(k!)
    K = int(np.flatnonzero(logt > logt.max() + np.log(1e-17))[-1]) + 1
    w = np.linspace(w_max / grid, w_max, grid)
    k = np.arange(1, K + 1)
    logc = k[None, :] * np.log(w[:, None]) - 0.5 * special.gammaln(k + 1)[None, :] \
        - 0.5 * np.log(np.expm1(w * w))[:, None]
    A = np.exp(logc)  # (grid, K): Z(w) = A xi; Z(-w) = A (xi * (-1)^k)
    sign = np.where(k % 2 == 1, -1.0, 1.0)
    out = np.empty(size)
    chunk = max(1, 2_000_000 // (grid * 2))
    for start in range(0, size, chunk):
        c = min(chunk, size - start)
        xi = rng.standard_normal((K, c))
        zp = A @ xi
        zm = A @ (xi * sign[:, None])
        out[start:start + c] = np.maximum(np.maximum(zp.max(axis=0), zm.max(axis=0)), 0.0) ** 2
    return out

