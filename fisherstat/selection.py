r"""Model comparison: information criteria and the likelihood-ratio test, with simulation.

* :func:`information_criteria` -- AIC, AICc and BIC of a fit of any model
  (:class:`InformationCriteria`); :func:`aic`, :func:`aicc` and :func:`bic` are the same
  formulas on arrays of maximised log-likelihoods (e.g. one per simulated data set).
* :func:`likelihood_ratio_test` -- the statistic of two nested models, its chi-square
  p-value and a parametric-bootstrap null distribution simulated from the fitted null
  (:class:`LikelihoodRatioTest`), which also reports how often the chi-square test, AIC
  and BIC would pick the larger model if the null were true.

All three criteria and the chi-square reference rest on the regular asymptotic theory:
a non-singular Fisher information at the true parameter, which lies inside the parameter
space. At a singularity (a mixture with a vanishing component, an ARMA model with a
common root; Amari, Park & Ozeki 2006) the penalties ``2k`` and ``k log n`` and the
``chi2(df)`` law are wrong, and only the simulated null distribution is trustworthy
(see the documentation page "Model selection at singularities").

The bootstrap replicates run through :func:`fisherstat.parallel.map_replicates` (any
executor, results independent of it) and are fitted with the models' batch fits where
they have one (:meth:`fisherstat.Model.fit_batch`); failed fits are counted with their
reasons, never dropped silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._asymptotics.statistics import group_reasons
from ._figures import axes_or_new
from ._fitting import FIT_ERRORS, fit_replicates, sample_replicates
from ._validation import (
    as_float_array,
    check_finite_result,
    check_int,
    check_scalar,
    readonly,
    validate_theta,
)
from .exceptions import FitError
from .models.base import Model
from .parallel import map_replicates

__all__ = ["aic", "aicc", "bic", "information_criteria", "InformationCriteria",
           "likelihood_ratio_test", "LikelihoodRatioTest"]


# =========================================================================== formulas
def _loglik_array(loglik) -> np.ndarray:
    return as_float_array(loglik, "loglik", ndim=(0, 1))


def _criterion(ll, penalty):
    """``-2 ll + penalty``, refusing a log-likelihood so extreme that it overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = -2.0 * ll + penalty
    if not np.isinf(penalty):
        check_finite_result(out, "loglik", "-2 loglik")
    return float(out) if out.ndim == 0 else out


def aic(loglik, k: int):
    r"""Akaike's information criterion :math:`\mathrm{AIC} = -2\ell + 2k`.

    Parameters
    ----------
    loglik : float or array_like, shape () or (m,)
        Maximised total log-likelihood(s) :math:`\ell` (finite).
    k : int
        Number of estimated parameters (>= 0).

    Returns
    -------
    float or ndarray
        The shape of ``loglik``.

    Notes
    -----
    Akaike (1974, *IEEE Trans. Automatic Control* 19, 716-723): :math:`-\mathrm{AIC}/2`
    estimates the expected log-likelihood of new data at the MLE, the penalty being the
    optimism of the maximised log-likelihood, :math:`E[\ell(\hat\theta) - n\,E_Y\log
    p(Y\mid\hat\theta)] \approx \operatorname{tr}(I^{-1}J) = k` for a correct model with
    a non-singular information (Takeuchi 1976). At a singularity it is not ``k``.

    Examples
    --------
    >>> from fisherstat.selection import aic
    >>> aic(-10.0, 2)
    24.0
    >>> aic([-10.0, -12.0], 2)
    array([24., 28.])
    """
    ll = _loglik_array(loglik)
    k = check_int(k, "k", low=0)
    return _criterion(ll, 2.0 * k)


def bic(loglik, k: int, n: int):
    r"""Schwarz's Bayesian information criterion :math:`\mathrm{BIC} = -2\ell + k\log n`.

    Parameters
    ----------
    loglik : float or array_like
        Maximised total log-likelihood(s) (finite).
    k : int
        Number of estimated parameters (>= 0).
    n : int
        Number of observations (>= 1).

    Returns
    -------
    float or ndarray

    Notes
    -----
    Schwarz (1978, *Ann. Statist.* 6, 461-464): :math:`-\mathrm{BIC}/2` is the Laplace
    approximation of the log marginal likelihood up to :math:`O(1)`, which needs a
    non-singular information at the maximum. In singular models the marginal likelihood
    grows like :math:`\ell - \lambda\log n` with the real log canonical threshold
    :math:`\lambda \le k/2` (Watanabe 2009, *Algebraic Geometry and Statistical Learning
    Theory*, ch. 6), so BIC over-penalises.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.selection import bic
    >>> bool(np.isclose(bic(-10.0, 2, 100), 20 + 2 * np.log(100)))
    True
    """
    ll = _loglik_array(loglik)
    k = check_int(k, "k", low=0)
    n = check_int(n, "n", low=1)
    return _criterion(ll, k * np.log(n))


def aicc(loglik, k: int, n: int):
    r"""AIC with the small-sample correction, :math:`\mathrm{AIC} + 2k(k+1)/(n-k-1)`.

    Parameters
    ----------
    loglik : float or array_like
        Maximised total log-likelihood(s) (finite).
    k : int
        Number of estimated parameters (>= 0).
    n : int
        Number of observations (>= 1).

    Returns
    -------
    float or ndarray
        ``inf`` when ``n <= k + 1`` (the correction diverges: too many parameters for
        ``n`` observations).

    Notes
    -----
    Hurvich & Tsai (1989, *Biometrika* 76, 297-307), exact for the Gaussian linear model
    (Sugiura 1978) and used as a rule of thumb elsewhere (Burnham & Anderson 2002,
    *Model Selection and Multimodel Inference*, 2nd ed., sec. 2.4).

    Examples
    --------
    >>> from fisherstat.selection import aicc
    >>> aicc(-10.0, 2, 13)  # 24 + 12 / 10
    25.2
    >>> aicc(-10.0, 2, 3)
    inf
    """
    ll = _loglik_array(loglik)
    k = check_int(k, "k", low=0)
    n = check_int(n, "n", low=1)
    extra = 2.0 * k * (k + 1) / (n - k - 1) if n > k + 1 else np.inf
    return _criterion(ll, 2.0 * k + extra)


# ============================================================================ fitting
def _check_model(model, name: str) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"{name} must be a fisherstat Model, got {type(model).__name__}")
    return model


def _maximum(model: Model, data, x):
    """``(theta_hat or None, maximised log-likelihood, note)`` of one data set.

    The MLE from ``model.fit``; where it raises and the model locates its boundary
    maxima itself (:attr:`Model.has_max_loglik`), the supremum from ``model.max_loglik``
    with ``theta_hat = None`` and the fit's reason as the note.
    """
    try:
        theta = model.fit(data, x=x)
    except FitError as exc:
        if not model.has_max_loglik:
            raise
        return None, model.max_loglik(data, x=x), f"maximum on the boundary ({exc})"
    return theta, float(np.sum(model.loglik(theta, data, x=x))), ""


def _n_obs(model: Model, data, x) -> int:
    """Number of observations: the log-likelihood terms but the conditioning ones
    (:attr:`Model.n_conditioning`, e.g. ARIMA's first ``d``)."""
    data, _ = model.check_data(data, x)
    return int(data.shape[0]) - model.n_conditioning


def _fmt_theta(names, theta) -> str:
    if theta is None:
        return "-"
    return ", ".join(f"{n} = {t:.5g}" for n, t in zip(names, theta, strict=True))


# =========================================================================== criteria
@dataclass(frozen=True, eq=False, repr=False)
class InformationCriteria:
    r"""AIC, AICc and BIC of one fit; the result of :func:`information_criteria`.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    param_names : tuple of str
    theta : ndarray or None
        The estimate (read-only); ``None`` for a maximum on the boundary of the parameter
        space (see ``note``).
    loglik : float
        Total log-likelihood at ``theta`` (the maximum, unless ``theta`` was given).
    n_obs : int
        Number of observations ``n``.
    k : int
        Number of estimated parameters of the penalties.
    note : str
        How the log-likelihood was obtained when not at an interior MLE ('' otherwise).
    """

    model: str
    param_names: tuple
    theta: np.ndarray | None
    loglik: float
    n_obs: int
    k: int
    note: str = ""

    @property
    def aic(self) -> float:
        """:math:`-2\\ell + 2k` (:func:`aic`)."""
        return aic(self.loglik, self.k)

    @property
    def aicc(self) -> float:
        """AIC plus :math:`2k(k+1)/(n-k-1)` (:func:`aicc`; ``inf`` for ``n <= k + 1``)."""
        return aicc(self.loglik, self.k, self.n_obs)

    @property
    def bic(self) -> float:
        """:math:`-2\\ell + k\\log n` (:func:`bic`)."""
        return bic(self.loglik, self.k, self.n_obs)

    def __repr__(self) -> str:
        return (f"InformationCriteria({self.model}, loglik={self.loglik:.6g}, k={self.k}, "
                f"n_obs={self.n_obs}, aic={self.aic:.6g}, bic={self.bic:.6g})")

    def summary(self) -> str:
        """A few lines: the fit, the log-likelihood and the three criteria."""
        lines = [f"Information criteria of {self.model}, n = {self.n_obs}",
                 f"  estimate: {_fmt_theta(self.param_names, self.theta)}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        lines += [f"  log-likelihood {self.loglik:.6g}, k = {self.k} parameters",
                  f"  AIC  {self.aic:.6g}", f"  AICc {self.aicc:.6g}",
                  f"  BIC  {self.bic:.6g}",
                  "  (penalties of the regular theory: at a singular information they are "
                  "not the bias they correct)"]
        return "\n".join(lines)


def information_criteria(model: Model, data, x=None, theta=None, *,
                         k: int | None = None) -> InformationCriteria:
    r"""AIC, AICc and BIC of the maximum-likelihood fit of ``model`` to ``data``.

    Parameters
    ----------
    model : Model
        Any fisherstat model, including ``Model.from_logpdf`` models.
    data : array_like
        The data, as ``model.fit`` takes them.
    x : array_like, optional
        Covariates (regression models).
    theta : array_like, optional
        Evaluate at this parameter instead of fitting (e.g. an estimate computed
        elsewhere, or a parameter with some entries known; then pass ``k``, the number
        of estimated ones).
    k : int, optional
        Number of estimated parameters; default ``model.n_params``.

    Returns
    -------
    InformationCriteria

    Raises
    ------
    FitError
        The fit failed (a model that locates its boundary maxima,
        :attr:`Model.has_max_loglik`, returns the supremum there instead, with
        ``theta = None``).
    TypeError, ValueError
        A non-model, bad data, ``theta`` outside the parameter space, ``k`` not an integer
        >= 0.

    Notes
    -----
    :math:`\mathrm{AIC} = -2\ell + 2k` (Akaike 1974), :math:`\mathrm{AICc} = \mathrm{AIC}
    + 2k(k+1)/(n-k-1)` (Hurvich & Tsai 1989), :math:`\mathrm{BIC} = -2\ell + k\log n`
    (Schwarz 1978), with :math:`\ell` the maximised log-likelihood, including every
    normalising constant, and ``k`` the number of parameters, all of them:
    statsmodels' OLS counts the regression coefficients only, so its AIC is ours minus 2
    for ``LinearRegression`` (which also estimates ``sigma2``).

    **What k means at a singularity.** Both penalties count ``k`` free directions, each
    costing one chi-square degree of freedom (AIC) or :math:`\tfrac12\log n` of
    marginal likelihood (BIC). Where the Fisher information is singular, e.g. a mixture
    whose extra component has weight 0 or coincides with another, some of those
    directions are not identified and the parameter count is exactly the wrong penalty:
    the likelihood-ratio statistic between the nested models is not
    :math:`\chi^2_{\Delta k}` (Hartigan 1985; Liu & Shao 2003), and the Bayesian penalty
    is :math:`\lambda\log n` with :math:`\lambda < k/2` (Watanabe 2009). Simulate with
    :func:`likelihood_ratio_test` to see what AIC and BIC actually do there.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> y = np.array([0.5, -1.0, 2.0, 1.5, 0.0])
    >>> ic = fs.selection.information_criteria(fs.models.Normal(), y)
    >>> s2 = y.var()  # the MLE of sigma2
    >>> bool(np.isclose(ic.aic, 5 * (np.log(2 * np.pi * s2) + 1) + 4))
    True
    >>> ic.k, ic.n_obs
    (2, 5)
    >>> bool(np.isclose(ic.bic - ic.aic, 2 * np.log(5) - 4))
    True
    """
    _check_model(model, "model")
    if k is not None:
        k = check_int(k, "k", low=0)
    if theta is None:
        est, ll, note = _maximum(model, data, x)
    else:
        est = validate_theta(model, theta, "theta")
        ll, note = float(np.sum(model.loglik(est, data, x=x))), ""
    k = model.n_params if k is None else k
    return InformationCriteria(repr(model), model.param_names,
                               None if est is None else readonly(est), float(ll),
                               _n_obs(model, data, x), k, note)


# ========================================================================== LRT
def _covariates(model: Model, x, name: str):
    """The checked covariates of a regression ``model``; ``None`` (and no ``x``) otherwise."""
    if model.is_regression:
        if x is None:
            raise TypeError(f"{type(model).__name__} is a regression model: pass {name}")
        return model.check_x(x)
    if x is not None:
        raise TypeError(f"{type(model).__name__} takes no covariates; got {name}")
    return None


def _chunk_statistics(rng, count, null, theta0, simple, alt, n, X0, X, start_alt):
    """One chunk of the bootstrap: simulate from the fitted null, refit both, statistics.

    ``X0`` and ``X`` are the covariates of the null and of the alternative. Returns the
    statistics (NaN for failed replicates) and the failures' indices and reasons (within
    the chunk).
    """
    data = sample_replicates(null, theta0, n, count, rng, X0)
    reasons: dict[int, str] = {}
    if simple:
        t0 = np.tile(theta0, (count, 1))
    else:
        t0, why, edge = fit_replicates(null, data, X0, start=theta0)
        reasons.update({r: f"null fit: {m}" for r, m in {**edge, **why}.items()})
    t1, why, edge = fit_replicates(alt, data, X, start=start_alt)
    t1[list(edge)] = np.nan  # the log-likelihood of a boundary maximum is max_loglik's
    ll1 = np.full(count, np.nan)
    for r, m in {**edge, **why}.items():
        if alt.has_max_loglik or r in edge:  # a boundary maximum is a valid maximum
            try:
                ll1[r] = alt.max_loglik(data[r], x=X)
                continue
            except FIT_ERRORS as exc:
                m = f"{type(exc).__name__}: {exc}"
        reasons.setdefault(r, f"alternative fit: {m}")
    T = np.full(count, np.nan)
    for r in range(count):  # one vectorised log-likelihood per replicate
        if r in reasons:
            continue
        l0 = np.sum(null.loglik(t0[r], data[r], x=X0))
        l1 = ll1[r] if np.isnan(t1[r]).any() else np.sum(alt.loglik(t1[r], data[r], x=X))
        T[r] = 2.0 * (l1 - l0)
    idx = np.array(sorted(reasons), dtype=np.int64)
    msg = np.array([reasons[i] for i in idx], dtype=str) if idx.size else np.array([], "U1")
    return {"T": T, "fail_idx": idx, "fail_msg": msg}


@dataclass(frozen=True, eq=False, repr=False)
class LikelihoodRatioTest:
    r"""Result of :func:`likelihood_ratio_test`.

    Attributes
    ----------
    null, alternative : str
        ``repr`` of the two models (the null with ``'(simple)'`` for a fixed parameter).
    statistic : float
        :math:`T = 2(\ell_1 - \ell_0)` on the data.
    df : int
        Degrees of freedom of the chi-square reference.
    pvalue_chi2 : float
        :math:`P(\chi^2_{df} \ge T)`.
    theta_null, theta_alt : ndarray or None
        The estimates (``theta_alt`` is ``None`` for a maximum on the boundary).
    loglik_null, loglik_alt : float
        The maximised log-likelihoods :math:`\ell_0, \ell_1`.
    k_null, k_alt : int
        Estimated parameters of each model (0 for a simple null).
    n_obs : int
    n_boot : int
        Bootstrap replicates simulated (failed ones included).
    null_sample : ndarray, shape (n_boot,)
        The statistic on each replicate simulated from the fitted null (read-only); NaN
        where a fit failed.
    failures : tuple of (int, str)
        ``(replicate, reason)`` of every failed replicate.
    note : str
        How the alternative's maximum was obtained when it is not an interior MLE.
    """

    null: str
    alternative: str
    statistic: float
    df: int
    pvalue_chi2: float
    theta_null: np.ndarray | None
    theta_alt: np.ndarray | None
    loglik_null: float
    loglik_alt: float
    k_null: int
    k_alt: int
    n_obs: int
    n_boot: int
    null_sample: np.ndarray
    failures: tuple
    note: str = ""

    # ---------------------------------------------------------- bootstrap numbers
    @property
    def n_failed(self) -> int:
        """Bootstrap replicates whose statistic is missing (a failed fit)."""
        return len(self.failures)

    def _finite(self) -> np.ndarray:
        return self.null_sample[np.isfinite(self.null_sample)]

    @property
    def pvalue_boot(self) -> float:
        r"""Parametric-bootstrap p-value :math:`(1 + \#\{T_b \ge T\})/(1 + m)` over the
        ``m`` successful replicates (Davison & Hinkley 1997, *Bootstrap Methods and their
        Application*, eq. 4.11); NaN without replicates."""
        t = self._finite()
        return float((1 + np.sum(t >= self.statistic)) / (1 + t.size)) if t.size else np.nan

    @property
    def pvalue_boot_se(self) -> float:
        r"""Monte Carlo standard error of :attr:`pvalue_boot`, :math:`\sqrt{p(1-p)/m}`
        (binomial count of ``m`` replicates)."""
        m, p = self._finite().size, self.pvalue_boot
        return float(np.sqrt(p * (1 - p) / m)) if m else np.nan

    @property
    def pvalue_boot_bounds(self) -> tuple[float, float]:
        """The bootstrap p-value if every failed replicate had had a statistic below /
        above the observed one: the range the failures leave open (equal without them)."""
        t, f = self._finite(), self.n_failed
        if t.size + f == 0:
            return (np.nan, np.nan)
        b = np.sum(t >= self.statistic)
        return (float((1 + b) / (1 + t.size + f)), float((1 + b + f) / (1 + t.size + f)))

    def null_quantile(self, q: float) -> float:
        """Quantile ``q`` (in [0, 1]) of the simulated null distribution (successful
        replicates).

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> m = fs.models.Normal()
        >>> y = m.sample([0.0, 1.0], 50, rng=1)
        >>> r = fs.selection.likelihood_ratio_test((m, [0.0, 1.0]), m, y, n_boot=400, rng=2)
        >>> bool(abs(r.null_quantile(0.5) - 1.386) < 0.4)  # chi2(2) median 1.386
        True
        """
        q = check_scalar(q, "q", low=0, high=1, low_open=False, high_open=False)
        t = self._finite()
        if not t.size:
            raise ValueError("no simulated null distribution: run with n_boot > 0")
        return float(np.quantile(t, q))

    def rejection_rates(self, level: float = 0.05) -> dict:
        r"""How often the rules of the regular theory pick the alternative under the null.

        Over the simulated null replicates (successful ones): the chi-square test at
        nominal ``level`` (``T > chi2_df quantile``), AIC (:math:`T > 2\Delta k`) and BIC
        (:math:`T > \Delta k\log n`), each with its Monte Carlo standard error
        :math:`\sqrt{r(1-r)/m}`, and what the regular theory (:math:`T \sim \chi^2_{df}`)
        predicts for it.

        Returns
        -------
        dict
            ``{'chi2': (rate, se, nominal), 'aic': (...), 'bic': (...)}``.
        """
        level = check_scalar(level, "level", low=0, high=1)
        t = self._finite()
        if not t.size:
            raise ValueError("no simulated null distribution: run with n_boot > 0")
        dk = self.k_alt - self.k_null
        ref = stats.chi2(self.df)
        cut = {"chi2": ref.isf(level), "aic": 2.0 * dk, "bic": dk * np.log(self.n_obs)}
        out = {}
        for key, c in cut.items():
            r = float(np.mean(t > c))
            out[key] = (r, float(np.sqrt(r * (1 - r) / t.size)), float(ref.sf(c)))
        return out

    # ---------------------------------------------------------------- output
    def __repr__(self) -> str:
        return (f"LikelihoodRatioTest(statistic={self.statistic:.6g}, df={self.df}, "
                f"pvalue_chi2={self.pvalue_chi2:.4g}, pvalue_boot={self.pvalue_boot:.4g}, "
                f"n_boot={self.n_boot}, n_failed={self.n_failed})")

    def summary(self, level: float = 0.05) -> str:
        """The test in words: statistic, both p-values, the simulated null against the
        chi-square law and how the chi-square test, AIC and BIC behave under it
        (``level``: nominal level of the chi-square test, in (0, 1))."""
        level = check_scalar(level, "level", low=0, high=1)
        lines = [
            f"Likelihood-ratio test, n = {self.n_obs}",
            f"  null        {self.null}: k = {self.k_null}, log-likelihood "
            f"{self.loglik_null:.6g}",
            f"  alternative {self.alternative}: k = {self.k_alt}, log-likelihood "
            f"{self.loglik_alt:.6g}",
            f"  statistic T = 2 (l_alt - l_null) = {self.statistic:.4g}",
            f"  chi-square reference, df = {self.df}: p = {self.pvalue_chi2:.4g}",
        ]
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.n_boot == 0:
            lines.append("  no simulated null distribution (n_boot = 0): the chi-square "
                         "p-value assumes a regular model (non-singular information, "
                         "interior null)")
            return "\n".join(lines)
        m = self._finite().size
        lines.append(f"  parametric bootstrap, {m} replicates from the fitted null: p = "
                     f"{self.pvalue_boot:.4g} (Monte Carlo s.e. {self.pvalue_boot_se:.2g})")
        if self.n_failed:
            lo, hi = self.pvalue_boot_bounds
            reason, c = group_reasons(self.failures)[0]
            lines.append(f"  {self.n_failed} of {self.n_boot} replicates failed and are not "
                         f"in that p-value; counting them below / above T it lies in "
                         f"[{lo:.4g}, {hi:.4g}]; most common reason ({c}x): {reason}")
        if m:
            ref = stats.chi2(self.df)
            rates = self.rejection_rates(level)
            q = 1 - level
            lines.append(f"  simulated null: {100 * q:g}% quantile {self.null_quantile(q):.4g} "
                         f"(chi2_{self.df}: {ref.ppf(q):.4g}), mean {self._finite().mean():.4g}"
                         f" (chi2_{self.df}: {self.df})")
            for key, label in (("chi2", f"the chi-square test at nominal {100 * level:g}% "
                                        "rejects the null"),
                               ("aic", "AIC picks the alternative"),
                               ("bic", "BIC picks the alternative")):
                r, se, nom = rates[key]
                lines.append(f"  under the simulated null {label} in {r:.3g} (s.e. {se:.2g}) "
                             f"of the replicates; chi-square theory: {nom:.3g}")
        return "\n".join(lines)

    def plot(self, ax=None, *, bins: int = 40):
        """Histogram of the simulated null distribution against the chi-square density.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        bins : int
            Number of histogram bins (>= 1).

        Returns
        -------
        matplotlib Axes
        """
        bins = check_int(bins, "bins", low=1)
        t = self._finite()
        if not t.size:
            raise ValueError("plot needs the simulated null distribution: run with n_boot > 0")
        ax = axes_or_new(ax)
        ax.hist(t, bins=bins, density=True, color="C0", alpha=0.5,
                label=f"simulated null ({t.size} replicates)")
        ref = stats.chi2(self.df)
        hi = max(float(np.max(t)), float(ref.ppf(0.999)), self.statistic)
        grid = np.linspace(0, hi, 400)[1:]
        ax.plot(grid, ref.pdf(grid), "k-", lw=1.2, label=rf"$\chi^2_{{{self.df}}}$ density")
        ax.axvline(ref.ppf(0.95), color="k", ls=":", lw=1,
                   label=rf"$\chi^2_{{{self.df}}}$ 95% quantile")
        ax.axvline(float(np.quantile(t, 0.95)), color="C0", ls="--", lw=1,
                   label="simulated 95% quantile")
        ax.axvline(self.statistic, color="C3", lw=1.5, label=f"observed T = {self.statistic:.3g}")
        ax.set(xlabel="likelihood-ratio statistic T", ylabel="density",
               ylim=(0, None))
        ax.legend(fontsize=7)
        return ax


def likelihood_ratio_test(null, alt: Model, data, *, x=None, x_null=None,
                          df: int | None = None, n_boot: int = 0, rng=None, executor=None,
                          chunk_size: int | None = None,
                          progress: bool = False) -> LikelihoodRatioTest:
    r"""Likelihood-ratio test of a null model nested in an alternative, with a simulated null.

    Fits both models to ``data``, computes :math:`T = 2(\ell_1 - \ell_0)` and its p-value
    under :math:`\chi^2_{df}`, and (``n_boot > 0``) simulates ``n_boot`` data sets from the
    fitted null, refits both models on each and returns the simulated null distribution
    of :math:`T` (the parametric bootstrap).

    Parameters
    ----------
    null : Model or (Model, theta)
        The null hypothesis: a model fitted to the data, or a model with a fixed
        parameter (a simple null, no parameter estimated). Its densities must be densities
        of ``alt`` (nesting is the caller's statement; a statistic below zero beyond
        rounding raises a warning).
    alt : Model
        The alternative.
    data : array_like
        The data (the same for both models).
    x : array_like, optional
        Covariates of the alternative (regression models), kept by every replicate; also
        those of the null unless ``x_null`` is given.
    x_null : array_like, optional
        Covariates of a regression null with a design of its own (e.g. ``x`` without the
        column whose coefficient the test is about); same rows as ``x``.
    df : int, optional
        Degrees of freedom of the chi-square reference; default ``k_alt - k_null`` (the
        textbook count, wrong at a singularity).
    n_boot : int, default 0
        Bootstrap replicates (a few hundred for a p-value to about 0.02).
    rng : None, int, SeedSequence or Generator, default None
        Root seed of the replicates (:func:`fisherstat.parallel.map_replicates`; the
        result does not depend on ``executor``). ``None``: fresh entropy.
    executor : None, int or Executor, optional
        Where the replicate chunks run (see :mod:`fisherstat.parallel`).
    chunk_size : int, optional
        Replicates per chunk (part of the random stream).
    progress : bool, default False
        Progress bar on stderr (tqdm if installed).

    Returns
    -------
    LikelihoodRatioTest

    Raises
    ------
    FitError
        A fit of the observed data failed (the null must be fitted to be simulated from).
    TypeError, ValueError
        Non-models, covariates for only one of the models, a simple null outside its
        parameter space, ``df`` < 1, ``n_boot`` < 0.

    Notes
    -----
    Under a regular null (the true parameter inside the parameter space, non-singular
    information) :math:`T \to \chi^2_{df}` with :math:`df = k_1 - k_0` (Wilks 1938, *Ann.
    Math. Statist.* 9, 60-62). At a singularity this fails: for a two-component mixture
    against one component the parameters of the extra component are not identified under
    the null and :math:`T` tends to the supremum of a squared Gaussian process, or grows
    without bound (Hartigan 1985; Liu & Shao 2003, *Ann. Statist.* 31, 807-832); for an
    ARMA(1,1) against white noise the line :math:`\phi = -\theta` is one null model
    (Amari, Park & Ozeki 2006, *Neural Comput.* 18, 1007-1065). The parametric bootstrap
    (simulate from the fitted null, refit both models; Davison & Hinkley 1997, sec. 4.2;
    McLachlan 1987, *Appl. Statist.* 36, 318-324, for the number of mixture components)
    does not need the limit law. Its p-value :math:`(1 + \#\{T_b \ge T\})/(1 + m)` has
    Monte Carlo standard error :math:`\sqrt{p(1-p)/m}`.

    Each replicate fits the models as :func:`~fisherstat.check_asymptotics` does (batched
    where the model has a batch fit). A maximum on the boundary of the alternative's
    parameter space is a valid maximum of the likelihood: models that locate it
    (:attr:`Model.has_max_loglik`, e.g. :class:`~fisherstat.models.LocationMixture`)
    contribute it; any other failed fit is counted with its reason, left out of the
    p-value and reported, with the range of p-values the failures leave open.

    Examples
    --------
    Normal mean with known variance: :math:`T = n(\bar y - \mu_0)^2/\sigma^2`.

    >>> import numpy as np
    >>> import fisherstat as fs
    >>> known = fs.Model.from_logpdf(
    ...     lambda th, y: -0.5 * np.log(2 * np.pi) - 0.5 * (y - th[0]) ** 2,
    ...     lambda th, n, rng: th[0] + rng.standard_normal(n), ["mu"],
    ...     fit=lambda y: np.array([y.mean()]))
    >>> y = known.sample([0.3], 40, rng=0)
    >>> r = fs.selection.likelihood_ratio_test((known, [0.0]), known, y, n_boot=200, rng=1)
    >>> bool(np.isclose(r.statistic, 40 * y.mean() ** 2)), r.df
    (True, 1)
    >>> r.null_sample.shape, r.n_failed
    ((200,), 0)
    >>> bool(abs(r.pvalue_boot - r.pvalue_chi2) < 4 * r.pvalue_boot_se + 0.01)
    True
    """
    simple = isinstance(null, tuple)
    if simple:
        if len(null) != 2:
            raise TypeError("null must be a Model or a pair (Model, theta) for a simple null, "
                            f"got a tuple of length {len(null)}")
        null_model = _check_model(null[0], "null[0]")
        theta0 = validate_theta(null_model, null[1], "null[1] (the null's parameter)")
    else:
        null_model = _check_model(null, "null")
    _check_model(alt, "alt")
    X = _covariates(alt, x, "x")
    if x_null is not None:
        X0 = _covariates(null_model, x_null, "x_null")
    else:  # the null shares the alternative's covariates, if it takes covariates
        X0 = _covariates(null_model, x if null_model.is_regression else None, "x or x_null")
    n_boot = check_int(n_boot, "n_boot", low=0)
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    k0 = 0 if simple else null_model.n_params
    k1 = alt.n_params
    if df is None:
        if k1 <= k0:
            raise ValueError(f"the alternative must have more parameters than the null to be "
                             f"a larger model: got k_alt = {k1}, k_null = {k0}; pass df")
        df = k1 - k0
    elif isinstance(df, (bool, np.bool_)):
        raise TypeError(f"df must be an integer >= 1, got {df!r}")
    df = check_int(df, "df", low=1)
    if not simple:
        theta0 = null_model.fit(data, x=X0)
    l0 = float(np.sum(null_model.loglik(theta0, data, x=X0)))
    theta1, l1, note = _maximum(alt, data, X)
    T = 2.0 * (l1 - l0)
    if T < -1e-8 * max(1.0, abs(l0)):  # beyond rounding of the two sums
        warnings.warn(
            f"the alternative's maximised log-likelihood is below the null's (T = {T:.4g}): "
            "is the null nested in the alternative, and did the alternative's fit find its "
            "global maximum?", RuntimeWarning, stacklevel=2)
    n = _n_obs(alt, data, X)
    sample = np.empty(0)
    fails: tuple = ()
    if n_boot:
        parts = map_replicates(
            _chunk_statistics, n_boot, rng=rng, executor=executor, chunk_size=chunk_size,
            args=(null_model, theta0, simple, alt, n, X0, X, theta1), progress=bool(progress))
        sample = np.concatenate([c["T"] for c in parts])
        offsets = np.cumsum([0] + [c["T"].size for c in parts[:-1]])
        fails = tuple((int(o + i), str(msg)) for o, c in zip(offsets, parts, strict=True)
                      for i, msg in zip(c["fail_idx"], c["fail_msg"], strict=True))
    null_name = repr(null_model) + (f" at {_fmt_theta(null_model.param_names, theta0)}"
                                    if simple else "")
    return LikelihoodRatioTest(
        null_name, repr(alt), float(T), df, float(stats.chi2(df).sf(T)), readonly(theta0),
        None if theta1 is None else readonly(theta1), l0, float(l1), k0, k1, n, n_boot,
        readonly(sample), fails, note)
