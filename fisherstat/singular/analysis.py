r"""Spectrum, numerical rank and (near-)null directions of a Fisher information.

:func:`analyze` turns any :class:`~fisherstat.FisherInfo` (analytic, Monte Carlo, empirical,
observed) or plain symmetric matrix into a :class:`SpectrumReport`: the eigenvalues, a
numerical rank that does not depend on the units of the parameters and, for Monte Carlo
information, accounts for the simulation error, the condition number, the null and near-null
directions as combinations of the parameter names, the effective dimension and the spectrum
moments of Karakida, Akaho & Amari (2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._figures import axes_or_new
from .._validation import (
    EPS,
    check_choice,
    check_names,
    check_scalar,
    check_square_matrix,
    readonly,
)
from ..information import FisherInfo
from ._directions import _direction, _echelon, _quadratic_form_se

__all__ = ["analyze", "SpectrumReport", "RANK_TOL_FACTOR", "CONDITION_INDEX"]

#: Default rank tolerance, in units of ``p * eps * lambda_max`` (see :func:`analyze`).
RANK_TOL_FACTOR = 100.0
#: Condition index above which a direction counts as near-null (Belsley, Kuh & Welsch 1980).
CONDITION_INDEX = 30.0


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
        ax = axes_or_new(ax)
        p = self.n_params
        k = np.arange(1, p + 1)
        floor = self.tol if self.tol > 0 else EPS
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
    check_choice(scaling, "scaling", ("correlation", "none"))
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
        info_free = ad <= (RANK_TOL_FACTOR * p * EPS) ** 2 * np.max(ad, initial=0.0)
        s = np.where(info_free, 1.0, np.sqrt(np.where(info_free, 1.0, ad)))
        M[info_free, :] = 0.0
        M[:, info_free] = 0.0
    C = M / np.outer(s, s)
    C = 0.5 * (C + C.T)
    mu, U = np.linalg.eigh(C)
    mu_max = float(np.max(np.abs(mu), initial=0.0))
    if tol is None:
        tol = RANK_TOL_FACTOR * p * EPS * mu_max
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
        eigenvalues=readonly(lam), eigenvectors=readonly(V),
        eigenvalue_stderr=None if lam_se is None else readonly(lam_se),
        scaling=readonly(s), scaled_eigenvalues=readonly(mu),
        scaled_eigenvalue_stderr=None if mu_se is None else readonly(mu_se),
        tol=float(tol), n_se=n_se, rank=rank, numerical_rank=int(p - zero_num.sum()),
        n_negative=n_negative,
        condition_number=cond, scaled_condition_number=scond,
        null_directions=null_dirs, near_null_directions=near_dirs,
        condition_index=condition_index, gamma=gamma,
        effective_dimension=float(np.sum(lam_c / (lam_c + gamma))),
        mean_eigenvalue=mean_lam, second_moment=second,
        max_eigenvalue=float(lam[-1]), scaling_method=scaling,
    )
