"""Fit results a statistician expects: estimates, standard errors, Wald intervals, a table.

:func:`fit` runs the maximum-likelihood fit of a model and wraps it in a :class:`FitResult`
whose standard errors come from a chosen information (``'expected'``, ``'observed'``,
``'opg'`` or ``'sandwich'``); the :class:`~fisherstat.FisherInfo` behind them is kept.
Nothing is re-derived here: the informations come from :mod:`fisherstat.information`, the
log-likelihood and the criteria from :func:`fisherstat.selection.information_criteria`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ._fisherinfo import FisherInfo, pinv_psd
from ._validation import (
    as_float_array,
    check_choice,
    check_instance,
    check_int,
    check_random_state,
    check_scalar,
    readonly,
)
from .information import (
    empirical_fisher,
    fisher,
    observed_information,
    sandwich_covariance,
)
from .models import Model
from .selection import information_criteria

__all__ = ["COV_TYPES", "FitComparison", "FitResult", "fit"]

#: The informations :func:`fit` can take its standard errors from, with their description.
COV_TYPES = {
    "expected": "expected Fisher information",
    "observed": "observed information (-Hessian)",
    "opg": "outer product of gradients (empirical Fisher)",
    "sandwich": "sandwich (Godambe) information, robust",
}


def _sample_information(model, theta, data, x, n, cov_type, rng, n_samples) -> FisherInfo:
    """The information of the whole sample (``n_obs = n``) that the standard errors use."""
    if cov_type == "observed":
        return observed_information(model, theta, data, x=x) * n
    if cov_type == "opg":
        return empirical_fisher(model, theta, data, x=x) * n
    if cov_type == "sandwich":
        # Godambe information A B^-1 A (n obs), the inverse of the sandwich covariance
        # A^-1 B A^-1 / n (Godambe 1960, Ann. Math. Statist. 31, 1208-1211; White 1982).
        V = sandwich_covariance(model, theta, data, x=x)
        G = pinv_psd(0.5 * (V + V.T), what="sandwich covariance")[0]
        return FisherInfo(0.5 * (G + G.T), model.param_names, float(n), "combined")
    # expected: the closed form where the model has one, else Monte Carlo
    if model.is_regression:  # information of the observed covariates: n_obs = n already
        return fisher(model, theta, x=x, rng=rng, n_samples=n_samples)
    if "x" in model.fisher_context:  # e.g. ARMAX: exact, the n rows of its regressors
        return fisher(model, theta, x=x)
    if "n" in model.fisher_context and model.has_analytic_fisher:  # e.g. ARMA: exact, n obs
        return fisher(model, theta, n=n)
    return fisher(model, theta, rng=rng, n_samples=n_samples) * n


def _sample_span(labels) -> str | None:
    """``"first - last"`` of pandas row labels (dates as ISO ``YYYY-MM-DD``), else ``None``.

    Plain arrays (no labels) and empty indexes print nothing; a ``DatetimeIndex`` whose
    stamps are all midnight prints dates only (statsmodels' ``Sample:`` line prints the
    same dates as ``MM-DD-YYYY``).
    """
    if labels is None or not hasattr(labels, "is_unique") or len(labels) == 0:
        return None
    first, last = labels[0], labels[-1]
    if hasattr(labels, "normalize") and (labels == labels.normalize()).all():
        first, last = first.date(), last.date()  # DatetimeIndex at midnight: dates only
    return f"{first} - {last}"


def _design_names(model):
    """The names of the columns of ``x`` a regression model expects, or ``None``.

    Design-matrix models (``k`` coefficients, one per column) expect their first ``k``
    parameter names; a model built by ``from_formula`` records its covariates'.
    """
    names = getattr(model, "covariate_names", None)
    if names is not None:
        return tuple(names)
    k = getattr(model, "k", None)
    if isinstance(k, int) and not isinstance(k, bool):
        return tuple(model.param_names[:k])
    return None


def _unpack_data(model, data, x):
    """``(data, x, formula, n_dropped, row_labels)`` for :func:`fit`.

    One mechanism for labelled data: a :class:`~fisherstat.models.formula.FormulaData`
    gives ``y``, ``x``, the formula, the dropped-row count and its row labels; anything
    else with a pandas ``.index`` (``Series``, ``DataFrame``) keeps that index and is
    passed to the model as a float64 array (so is a pandas ``x``).
    """
    from .models.formula import FormulaData

    if isinstance(data, FormulaData):
        if x is not None:
            raise ValueError("x must be None when data is a FormulaData (the design matrix "
                             "is data.x)")
        if not model.has_covariates:
            raise ValueError(f"data is a FormulaData (y and a design matrix x), but "
                             f"{type(model).__name__} takes no covariates: pass its "
                             "data as an array or pandas Series")
        expected = _design_names(model)
        if expected is not None and expected != tuple(data.param_names):
            raise ValueError(
                f"the FormulaData's design columns {list(data.param_names)} (k = {data.k}) "
                f"do not match the model's {list(expected)} (k = {len(expected)}): build the "
                f"model with the same formula's from_formula, or pass "
                f"param_names=data.param_names"
            )
        return data.y, data.x, data.formula, int(data.n_dropped), data.index
    labels = getattr(data, "index", None)
    if labels is not None and hasattr(data, "to_numpy"):
        # the model validates the labelled data first, so that its errors can name a
        # column or a date (e.g. GaussianMixture's NaN and non-numeric column messages)
        model.check_data(data, x)
        data = as_float_array(data.to_numpy(), "data", finite=False)
    else:
        labels = None
    if x is not None and hasattr(x, "index") and hasattr(x, "to_numpy"):
        if labels is None:
            labels = x.index
        x = as_float_array(x.to_numpy(), "x", finite=False)
    return data, x, None, 0, labels


@dataclass(frozen=True, eq=False, repr=False)
class FitResult:
    r"""A maximum-likelihood fit with standard errors from a chosen information.

    The result of :func:`fit`.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    params : ndarray, shape (p,)
        The MLE (read-only).
    param_names : tuple of str
    cov_type : str
        The information behind the standard errors (a key of :data:`COV_TYPES`).
    info : FisherInfo
        That information, of the whole sample (``info.n_obs`` is ``nobs`` plus the
        conditioning observations of :attr:`~fisherstat.Model.n_conditioning`, e.g.
        ARIMA's ``d``: the information of all ``n`` values); its method says
        whether an expected information is the closed form (``'analytic'``) or a Monte Carlo
        estimate (``'monte_carlo'``, with ``info.stderr``).
    llf : float
        Log-likelihood at ``params``.
    nobs : int
        Number of observations.
    aic, bic : float
        :math:`-2\ell + 2p` and :math:`-2\ell + p\log n` (all ``p`` parameters counted).
    formula : str or None
        The formula the data came from (a :class:`~fisherstat.models.formula.FormulaData`
        passed to :func:`fit`), else ``None``.
    n_dropped : int
        Rows dropped for missing values (``missing="drop"`` of the formula); 0 otherwise.
    row_labels : pandas.Index or ndarray or None
        The labels of the ``nobs`` rows used: the index of a pandas ``Series`` /
        ``DataFrame`` passed as data (kept as the pandas object, e.g. a ``DatetimeIndex``)
        or of the formula's data; ``None`` for plain arrays. Also :attr:`index`.
    """

    model: str
    params: np.ndarray
    param_names: tuple
    cov_type: str
    info: FisherInfo
    llf: float
    nobs: int
    aic: float
    bic: float
    formula: str | None = None
    n_dropped: int = 0
    row_labels: object = field(default=None)

    @property
    def index(self):
        """The row labels (:attr:`row_labels`), as statsmodels' ``model.data.row_labels``."""
        return self.row_labels

    def cov_params(self) -> np.ndarray:
        """Covariance of ``params``: the (pseudo-)inverse of :attr:`info`, shape (p, p)."""
        return self.info.covariance()

    @property
    def bse(self) -> np.ndarray:
        """Standard errors; ``inf`` for parameters a singular information does not identify
        (with a :class:`~fisherstat.SingularFisherWarning`)."""
        return self.info.standard_errors()

    @property
    def tvalues(self) -> np.ndarray:
        """Wald z statistics ``params / bse``."""
        return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided normal p-values of :attr:`tvalues`: ``2 (1 - Phi(|z|))``."""
        return 2.0 * stats.norm.sf(np.abs(self.tvalues))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Wald intervals ``params -/+ z_{1-alpha/2} bse``, shape (p, 2).

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> y = np.array([0.5, -1.0, 2.0, 1.5, 0.0])
        >>> r = fs.fit(fs.models.Normal(), y)
        >>> bool(np.allclose(r.conf_int()[:, 1], r.params + 1.959963984540054 * r.bse))
        True
        """
        alpha = check_scalar(alpha, "alpha", low=0, high=1)
        z = stats.norm.isf(alpha / 2.0)
        bse = self.bse
        return np.column_stack([self.params - z * bse, self.params + z * bse])

    def __repr__(self) -> str:
        return (f"FitResult({self.model}, cov_type={self.cov_type!r}, llf={self.llf:.6g}, "
                f"nobs={self.nobs})")

    def summary(self, alpha: float = 0.05) -> str:
        """A table laid out like statsmodels' results summary.

        Columns: coef, std err, z, P>|z| and the Wald interval; the header names the
        information the standard errors come from.
        """
        ci = self.conf_int(alpha)
        lo, hi = f"[{alpha / 2:.3g}", f"{1 - alpha / 2:.3g}]"
        how = COV_TYPES[self.cov_type]
        if self.cov_type == "expected":
            how += " (closed form)" if self.info.method == "analytic" else " (Monte Carlo)"
        w = max(12, *(len(n) for n in self.param_names))
        rule = "=" * (w + 62)
        lines = [rule, f"{'Model:':<16}{self.model}",
                 f"{'No. Obs.:':<16}{self.nobs:<18d}{'Log-Likelihood:':<16}{self.llf:.6g}",
                 f"{'AIC:':<16}{self.aic:<18.6g}{'BIC:':<16}{self.bic:.6g}"]
        if self.formula is not None:
            lines.append(f"{'Formula:':<16}{self.formula}")
        if self.n_dropped:
            lines.append(f"{'Dropped (missing):':<19}{self.n_dropped} rows")
        sample = _sample_span(self.row_labels)
        if sample is not None:
            lines.append(f"{'Sample:':<16}{sample}")
        lines += [f"{'Covariance:':<16}{self.cov_type} -- {how}", rule,
                 f"{'':<{w}}{'coef':>10}{'std err':>11}{'z':>10}{'P>|z|':>9}{lo:>11}{hi:>11}",
                 "-" * (w + 62)]
        for row in zip(self.param_names, self.params, self.bse, self.tvalues, self.pvalues,
                       ci[:, 0], ci[:, 1], strict=True):
            lines.append(f"{row[0]:<{w}}{row[1]:>10.4f}{row[2]:>11.4f}{row[3]:>10.3f}"
                         f"{row[4]:>9.3f}{row[5]:>11.4f}{row[6]:>11.4f}")
        lines.append(rule)
        return "\n".join(lines)

    def compare(self, other) -> FitComparison:
        """Side-by-side parameters and standard errors with another fit.

        Parameters
        ----------
        other : FitResult or statsmodels results
            Anything with ``params`` and ``bse``. When ``other`` names its parameters (a
            statsmodels formula fit, whose ``params`` is a ``pandas.Series``, or another
            :class:`FitResult`) and every name is one of :attr:`param_names`, they are
            matched by name: e.g. ``smf.ols`` has no ``sigma2``, so only the coefficients
            are compared. Otherwise they are matched by position (same length required).

        Returns
        -------
        FitComparison
            Over the compared parameters, in the order of :attr:`param_names`.

        Examples
        --------
        >>> import statsmodels.api as sm
        >>> import statsmodels.formula.api as smf
        >>> import fisherstat as fs
        >>> df = sm.datasets.spector.load_pandas().data
        >>> m, d = fs.models.LinearRegression.from_formula("GRADE ~ GPA + PSI", df)
        >>> c = fs.fit(m, d).compare(smf.ols("GRADE ~ GPA + PSI", df).fit())
        >>> c.param_names  # sigma2 is not a parameter of statsmodels' OLS
        ('Intercept', 'GPA', 'PSI')
        >>> bool(c.params_rel_diff.max() < 1e-8)
        True
        """
        if not (hasattr(other, "params") and hasattr(other, "bse")):
            raise TypeError("other must be a FitResult or a statsmodels results object (with "
                            f"params and bse), got {type(other).__name__}")
        p, b = (np.asarray(getattr(other, a), dtype=float).ravel() for a in ("params", "bse"))
        names = getattr(other, "param_names", None)
        if names is None and hasattr(other.params, "index"):
            names = list(other.params.index)
        if names is not None and len(names) == p.size and set(names) <= set(self.param_names)\
                and len(set(names)) == p.size:
            pos = {n: i for i, n in enumerate(names)}
            keep = [j for j, n in enumerate(self.param_names) if n in pos]
            order = [pos[self.param_names[j]] for j in keep]
            return FitComparison(tuple(self.param_names[j] for j in keep),
                                 readonly(self.params[keep]), readonly(p[order]),
                                 readonly(self.bse[keep]), readonly(b[order]))
        if p.shape != self.params.shape or b.shape != self.params.shape:
            raise ValueError(f"other must have {self.params.size} params and bse (or name "
                             f"a subset of {list(self.param_names)}), got {p.size} and "
                             f"{b.size}")
        return FitComparison(self.param_names, self.params, readonly(p), self.bse,
                             readonly(b))


def _rel(a, b) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a - b) / np.abs(b)


@dataclass(frozen=True, eq=False, repr=False)
class FitComparison:
    """Parameters and standard errors of two fits side by side (:meth:`FitResult.compare`)."""

    param_names: tuple
    params: np.ndarray
    other_params: np.ndarray
    bse: np.ndarray
    other_bse: np.ndarray

    @property
    def params_rel_diff(self) -> np.ndarray:
        """``|params - other| / |other|`` entrywise."""
        return _rel(self.params, self.other_params)

    @property
    def bse_rel_diff(self) -> np.ndarray:
        """``|bse - other| / |other|`` entrywise."""
        return _rel(self.bse, self.other_bse)

    def __repr__(self) -> str:
        return (f"FitComparison(max params rel diff {np.max(self.params_rel_diff):.3g}, "
                f"max bse rel diff {np.max(self.bse_rel_diff):.3g})")

    def summary(self) -> str:
        """A table: params and bse of both fits with their relative differences."""
        w = max(12, *(len(n) for n in self.param_names))
        head = (f"{'':<{w}}{'coef':>12}{'other':>12}{'rel diff':>10}"
                f"{'std err':>12}{'other':>12}{'rel diff':>10}")
        lines = [head, "-" * len(head)]
        for row in zip(self.param_names, self.params, self.other_params, self.params_rel_diff,
                       self.bse, self.other_bse, self.bse_rel_diff, strict=True):
            lines.append(f"{row[0]:<{w}}{row[1]:>12.6g}{row[2]:>12.6g}{row[3]:>10.2e}"
                         f"{row[4]:>12.6g}{row[5]:>12.6g}{row[6]:>10.2e}")
        return "\n".join(lines)


def fit(model, data, x=None, *, start=None, cov_type: str = "observed", rng=None,
        n_samples: int | None = None) -> FitResult:
    r"""Maximum-likelihood fit with standard errors, intervals and a summary table.

    Parameters
    ----------
    model : Model
    data : array_like, pandas.Series or DataFrame, or FormulaData
        The data, as ``model.fit`` takes them; a pandas object is passed to the model as a
        float64 array and its index kept as :attr:`FitResult.row_labels` (printed as
        ``Sample:`` in the summary). A :class:`~fisherstat.models.formula.FormulaData`
        (the second result of a model's ``from_formula``) gives the response and the
        design matrix, and its formula, dropped-row count and row labels go into the
        result; its columns must be the model's (``ValueError`` otherwise).
    x : array_like or pandas.DataFrame, optional
        Covariates (regression models; include the intercept column yourself). ``None``
        with a ``FormulaData``.
    start : array_like, optional
        Starting value of the fit.
    cov_type : {'observed', 'expected', 'opg', 'sandwich'}
        The information behind the standard errors: the observed information
        (:func:`~fisherstat.observed_information`), the expected one
        (:func:`~fisherstat.fisher`: at the observed covariates for regression models; the
        closed form where the model has one, else Monte Carlo, as ``info.method`` states),
        the outer product of gradients (:func:`~fisherstat.empirical_fisher`) or the
        robust sandwich (:func:`~fisherstat.sandwich_covariance`).
    rng : int or np.random.Generator, optional
        For the Monte Carlo fallback of ``cov_type='expected'``.
    n_samples : int, optional
        Monte Carlo draws of that fallback (default that of :func:`~fisherstat.fisher`).

    Returns
    -------
    FitResult

    Raises
    ------
    FitError
        The fit failed.
    TypeError, ValueError
        A non-model, bad data, ``cov_type`` not one of the four, or a ``FormulaData``
        whose columns are not those of the model (or given with ``x``).

    Notes
    -----
    All informations are of the whole sample, :math:`n` times the per-observation ones,
    so ``cov_params()`` is the (pseudo-)inverse of ``info.matrix``. The sandwich's
    information is Godambe's :math:`A B^{-1} A` (:math:`A` observed, :math:`B` OPG), the
    inverse of :math:`A^{-1} B A^{-1}` (Huber 1967; White 1982, eq. 2.6). Wald intervals
    and z tests use the standard normal (Wald 1943). At the MLE the observed information
    of a canonical-link GLM equals the expected one, and both equal statsmodels'
    ``cov_params()`` of ``Logit`` / ``Poisson``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> y = np.array([0.5, -1.0, 2.0, 1.5, 0.0])
    >>> r = fs.fit(fs.models.Normal(), y, cov_type="expected")
    >>> bool(np.isclose(r.bse[0], y.std() / np.sqrt(5)))  # sigma_hat / sqrt(n)
    True
    >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
    ==========================================================================
    Model:          Normal(mu, sigma2)
    No. Obs.:       5                 Log-Likelihood: -7.42226
    AIC:            18.8445           BIC:            18.0634
    Covariance:     expected -- expected Fisher information (closed form)
    ==========================================================================
                      coef    std err         z    P>|z|     [0.025     0.975]
    --------------------------------------------------------------------------
    mu              0.6000     0.4775     1.257    0.209    -0.3359     1.5359
    sigma2          1.1400     0.7210     1.581    0.114    -0.2731     2.5531
    ==========================================================================

    From a formula on a DataFrame (Spector & Mazzeo's data, shipped by statsmodels):

    >>> import statsmodels.api as sm
    >>> df = sm.datasets.spector.load_pandas().data
    >>> m, d = fs.models.LogisticRegression.from_formula("GRADE ~ GPA + TUCE + PSI", df)
    >>> r = fs.fit(m, d)
    >>> r.param_names, r.formula, r.n_dropped
    (('Intercept', 'GPA', 'TUCE', 'PSI'), 'GRADE ~ GPA + TUCE + PSI', 0)
    >>> r.bse.round(3)  # statsmodels: smf.logit("GRADE ~ GPA + TUCE + PSI", df).fit().bse
    array([4.931, 1.263, 0.142, 1.064])
    """
    check_instance(model, "model", Model, "a fisherstat Model (see fisherstat.models)")
    check_choice(cov_type, "cov_type", tuple(COV_TYPES))
    check_random_state(rng)
    if n_samples is not None:  # checked even when the chosen information does not use it
        check_int(n_samples, "n_samples", low=2)
    data, x, formula, n_dropped, labels = _unpack_data(model, data, x)
    theta = model.fit(data, x=x, start=start)
    n = int(model.check_data(data, x)[0].shape[0])  # observations (log-likelihood terms)
    ic = information_criteria(model, data, x=x, theta=theta)
    info = _sample_information(model, theta, data, x, n, cov_type, rng, n_samples)
    if labels is not None and len(labels) != n:  # e.g. a model that differences its data
        labels = None
    return FitResult(repr(model), readonly(theta), model.param_names, cov_type, info,
                     ic.loglik, ic.n_obs, ic.aic, ic.bic, formula, n_dropped, labels)
