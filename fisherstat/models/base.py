"""The ``Model`` base class: the contract between models and everything that consumes them.

A model is a parametric family ``p(data | theta)`` with a flat float64 parameter vector and
named parameters. Public methods validate their arguments once (here) and call small
hooks that subclasses implement:

==================  ========================================================================
hook                what a subclass provides
==================  ========================================================================
``_loglik``         per-observation log-likelihood, shape (n,) -- required
``_score``          per-observation score (n, p) -- optional, numeric fallback
``_hessian``        per-observation Hessians (n, p, p) -- optional, numeric fallback
``_hessian_sum``    the summed Hessian (p, p) without the (n, p, p) stack (e.g.
                    ``x^T diag(l'') x``) -- optional (default: ``_hessian`` summed)
``_fisher``         expected information of one observation -- optional (closed form)
``_sample``         draws from the model -- required for Monte Carlo
``_fit``            maximum-likelihood estimate -- optional, numeric fallback from ``start``
``_max_loglik``     supremum of the total log-likelihood, boundary maxima included --
                    optional (default: the log-likelihood at ``fit``); see
                    :meth:`Model.max_loglik`
``_check_data``     support checks of the data -- optional
``_fit_batch``      estimates of a stack of replicates at once -- optional (default: ``fit``
                    per replicate); see :meth:`Model.fit_batch`
``_information_     expected, observed and OPG information of a stack of replicates --
batch``             optional (default: ``fisher``/``hessian``/``score`` per replicate)
``_strata``         strata for stratified / quasi-Monte Carlo information -- optional
                    (see :class:`Strata` and :func:`fisherstat.fisher`)
==================  ========================================================================

Class attributes declare what consumers may assume: ``has_analytic_fisher``,
``is_regression``, ``fisher_context`` and ``iid_draws`` (``c n`` draws are ``c`` replicates
of ``n``). No consumer branches on a model's class: what a simulation study, an estimator or
a design algorithm needs to know about a model, the model says through these hooks.

Regression models (``y | x``) derive from :class:`RegressionModel` and describe the
information of one observation at covariate ``x`` by a factor ``F(x)`` with
``M(x) = F(x) F(x)^T``; :meth:`RegressionModel.point_information` and
:meth:`RegressionModel.fisher` are built on it. They may declare their mean parameters
(:attr:`RegressionModel.mean_param_names`) and a Gaussian linear mean
(:meth:`RegressionModel.linear_mean_scale`, hook ``_linear_mean_scale``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import _numdiff
from .._optimize import maximize
from .._validation import (
    as_float_array,
    check_bool,
    check_finite_result,
    check_in_interval,
    check_int,
    check_names,
    check_random_state,
    check_weights,
    overflow_as_error,
    validate_theta,
)
from ..exceptions import BoundaryEstimateError, FitError, NumericalDerivativeWarning

__all__ = ["Parametric", "Model", "RegressionModel", "Singularity", "Strata"]

#: Exceptions of one replicate's fit or information that leave it NaN in a batch.
_BATCH_ERRORS = (FitError, ValueError, ArithmeticError, np.linalg.LinAlgError)


#: Estimated relative error of a numerical score or Hessian above which it warns: about the
#: accuracy of a ``sqrt(eps)`` forward difference, far above what the extrapolated central
#: differences reach at a good step (``eps^(4/5)`` and ``eps^(2/3)``, 3e-13 and 4e-11).
DERIVATIVE_RTOL = 1e-6


def _check_derivative(model, what, value, err, unit):
    """Warn (:class:`~fisherstat.NumericalDerivativeWarning`) when the estimated error of a
    numerical derivative is large: per entry, the root mean square over observations of the
    error estimate relative to that of the derivative, or to ``unit`` (the typical size of
    one observation's derivative, ``1 / s_j`` or ``1 / (s_i s_j)``) if that is larger."""
    rms = lambda a: np.sqrt(np.mean(a**2, axis=0))  # noqa: E731
    with np.errstate(all="ignore"):
        rel = rms(err) / np.maximum(rms(value), unit)
    if not np.all(rel <= DERIVATIVE_RTOL):
        idx = np.unravel_index(np.nanargmax(np.where(np.isfinite(rel), rel, np.inf)), rel.shape)
        names = "', '".join(model.param_names[i] for i in idx)
        warnings.warn(
            f"the numerical {what} of {type(model).__name__} (entry '{names}') has an "
            f"estimated relative error of {float(rel[idx]):.1e} (> {DERIVATIVE_RTOL:g}): the "
            "log-density is not smooth at the scale of the steps; pass typical_scale= (the "
            "change of each parameter over which one observation's log-density changes by "
            "about one) or give the model an analytic score",
            NumericalDerivativeWarning, stacklevel=4)


def _definer(cls: type, name: str) -> type:
    """The class of ``cls.__mro__`` whose body defines ``name``."""
    return next(k for k in cls.__mro__ if name in vars(k))


def _batch_hook_current(model, hook: str, *sources: str) -> bool:
    """True when ``model`` has its own batch ``hook`` and no subclass redefined one of the
    per-observation ``sources`` the hook vectorises (a subclass with its own ``_fit``
    is fitted by its ``_fit``, not by an inherited ``_fit_batch``)."""
    owner = _definer(type(model), hook)
    return owner is not Model and all(
        issubclass(owner, _definer(type(model), src)) for src in sources
        if hasattr(type(model), src))


def _finite(value, what: str):
    """``value`` if finite, else a ValueError: never an inf/NaN log-likelihood or derivative."""
    if not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(np.asarray(value)))[0]
        raise ValueError(f"data (or theta) too large or outside the support: {what} is not "
                         f"finite (entry {tuple(int(b) for b in bad)}); entries must stay well "
                         "below 1e308")
    return value

#: Rows per block when summing point information: keeps each block's factor in cache
#: (about 2.5x faster than one pass over 10^6 rows; see docs/performance.rst).
_BLOCK_ROWS = 8192


@dataclass(frozen=True)
class Singularity:
    """A named singular set of a model and how far ``theta`` is from it.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"common AR/MA root"`` or ``"zero weight"``.
    description : str
        What the set is and what it does to the information (e.g. the rank drop).
    distance : float
        Distance of ``theta`` from the set, in the model's own terms (documented per model).
    rank_drop : int
        How many dimensions the information loses on the set.
    """

    name: str
    description: str
    distance: float
    rank_drop: int = 1


@dataclass(frozen=True)
class Strata:
    r"""A partition of a model's sample space for variance-reduced Monte Carlo.

    The model is the mixture :math:`p = \sum_j \pi_j p_j` of ``J`` strata, and a draw from
    stratum ``j`` is ``transform(j, z)`` of a standard normal vector ``z`` of ``dim``
    entries. :func:`fisherstat.fisher` uses it for ``variance_reduction='stratified'``
    (``n pi_j`` pseudo-random draws per stratum) and ``'qmc'`` (``z`` from scrambled
    Sobol' points mapped by the normal inverse CDF); see :meth:`Model.strata`.

    Attributes
    ----------
    probabilities : ndarray, shape (J,)
        The stratum probabilities :math:`\pi_j` (positive, summing to one).
    dim : int
        Number of standard normal inputs of one draw.
    transform : callable
        ``transform(j, z)`` maps ``z`` of shape (n, dim) to ``n`` draws from stratum ``j``
        (data in the layout of :meth:`Model.sample`).
    """

    probabilities: np.ndarray
    dim: int
    transform: Callable


class Parametric:
    """Named parameters in an open box: the part of the contract that every parametric
    object of the package shares (:class:`Model`, and the structural PK/PD models of
    :mod:`fisherstat.models.structural` that regression and population models build on).

    Parameters
    ----------
    param_names : sequence of str
        Distinct, non-empty names of the parameters, in the order of ``theta``.
    bounds : sequence of (float, float), optional
        Open interval of each parameter (``-inf``/``inf`` for none; default: the real
        line).

    Examples
    --------
    >>> from fisherstat.models.base import Parametric
    >>> Parametric(["mu", "sigma2"], [(-float("inf"), float("inf")), (0, float("inf"))]
    ...            ).validate([0.0, -1.0])
    Traceback (most recent call last):
    ...
    ValueError: theta: sigma2 must be > 0, got -1.0
    """

    def __init__(self, param_names: Sequence[str], bounds: Sequence[tuple] | None = None):
        if isinstance(param_names, (str, bytes)) or not np.iterable(param_names):
            raise TypeError("param_names must be a non-empty sequence of non-empty strings, "
                            f"got {param_names!r}")
        names = tuple(param_names)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise TypeError("param_names must be a non-empty sequence of non-empty strings")
        if len(set(names)) != len(names):
            raise ValueError(f"param_names must be unique, got {names}")
        self.param_names = names = check_names(names, "param_names")
        p = len(names)
        if bounds is None:
            lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
        else:
            b = as_float_array(bounds, "bounds", finite=False)
            if b.shape != (p, 2):
                raise ValueError(f"bounds must have shape ({p}, 2), got {b.shape}")
            if np.any(np.isnan(b)) or np.any(b[:, 0] >= b[:, 1]):
                raise ValueError("bounds must be intervals (low, high) with low < high")
            lower, upper = b[:, 0].copy(), b[:, 1].copy()
        lower.flags.writeable = upper.flags.writeable = False
        self.lower, self.upper = lower, upper

    # ------------------------------------------------------------------ basics
    @property
    def n_params(self) -> int:
        """Number of parameters ``p``."""
        return len(self.param_names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.param_names)})"

    def validate(self, theta) -> np.ndarray:
        """Check ``theta`` and return it as a float64 array of shape (p,).

        Raises
        ------
        ValueError
            Naming the offending parameter and its allowed range.

        Examples
        --------
        >>> from fisherstat.models import Normal
        >>> Normal().validate([0.0, -1.0])
        Traceback (most recent call last):
        ...
        ValueError: theta: sigma2 must be > 0, got -1.0
        """
        theta = as_float_array(theta, "theta", ndim=1)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have length {self.n_params} {self.param_names}, got {theta.size}"
            )
        for j in range(self.n_params):
            lo, hi = self.lower[j], self.upper[j]
            check_in_interval(
                theta[j : j + 1], "theta",
                low=None if np.isinf(lo) else lo, high=None if np.isinf(hi) else hi,
                labels=[self.param_names[j]],
            )
        self._check_theta(theta)
        return theta

    def _check_theta(self, theta: np.ndarray) -> None:
        """Joint constraints beyond the box bounds (e.g. positive definiteness)."""


class Model(Parametric):
    """Base class of parametric models ``p(data | theta)``.

    Parameters
    ----------
    param_names : sequence of str
        Names of the parameters, in the order of ``theta``.
    bounds : sequence of (float, float), optional
        Open interval of each parameter (``-inf``/``inf`` for none). Used by ``validate``,
        by the numeric derivatives (which never step outside) and by numeric fits.

    Notes
    -----
    Shapes: ``theta`` is (p,); data has the observations on the first axis; ``loglik``
    returns (n,), ``score`` (n, p), ``hessian`` the summed (p, p) (or (n, p, p) with
    ``individual=True``), ``fisher`` the (p, p) expected information of ONE observation.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.models import Normal
    >>> m = Normal()
    >>> m.param_names
    ('mu', 'sigma2')
    >>> m.fisher([0.0, 2.0])
    array([[0.5  , 0.   ],
           [0.   , 0.125]])
    """

    #: True when :meth:`fisher` has a closed form or exact quadrature.
    has_analytic_fisher: bool = False
    #: True for models of ``y | x`` that need covariates ``x``.
    is_regression: bool = False
    #: Extra keyword arguments of :meth:`fisher` that :func:`fisherstat.fisher` passes
    #: through (e.g. ``("n",)`` for the exact information of a time series of length n).
    fisher_context: tuple[str, ...] = ()
    @property
    def n_conditioning(self) -> int:
        """Leading observations the likelihood conditions on (0 for most models).

        Their :meth:`loglik` terms are 0 and they are not counted as observations by the
        information criteria and :func:`fisherstat.fit` (``nobs``): ARIMA's ``d``, as
        statsmodels' ``nobs`` with ``simple_differencing=True``.
        """
        return 0

    @property
    def has_covariates(self) -> bool:
        """True when the observations come with covariates ``x``.

        Regression models (independent ``y | x``) and models whose :meth:`fisher` takes
        ``x`` (declared in :attr:`fisher_context`), e.g. a series with its regressors
        (:class:`~fisherstat.models.ARMAX`).
        """
        return self.is_regression or "x" in self.fisher_context

    #: True when ``sample(theta, n)`` returns ``n`` independent, identically distributed
    #: observations, so that ``c`` replicates of ``n`` observations are one draw of ``c n``
    #: reshaped to ``(c, n, ...)`` (how :func:`fisherstat.check_asymptotics` draws them).
    iid_draws: bool = False

    def check_data(self, data, x=None):
        """Validate data (and covariates); return them as float64 arrays.

        Returns
        -------
        data : ndarray
        x : ndarray or None
        """
        if x is not None and not self.is_regression:
            raise TypeError(f"{type(self).__name__} takes no covariates; got x")
        data = as_float_array(data, "data")
        data = self._check_data(data)
        return data, None

    def _check_data(self, data: np.ndarray) -> np.ndarray:
        if data.ndim != 1:
            raise ValueError(f"data must be 1-dimensional (n,), got shape {data.shape}")
        return data

    def example_theta(self) -> np.ndarray:
        """A typical valid parameter vector (used by examples, the CLI and tests)."""
        return self.validate(self._example_theta())

    def _example_theta(self):
        raise NotImplementedError(f"{type(self).__name__} defines no example parameter")

    def random_theta(self, rng=None) -> np.ndarray:
        """Draw a valid parameter vector from a typical region (for property-based tests).

        The default draws ``example_theta`` perturbed by up to a factor of two.
        """
        rng = check_random_state(rng)
        t0 = self.example_theta()
        for _ in range(100):
            t = t0 * np.exp(rng.uniform(-0.7, 0.7, t0.size)) + rng.uniform(-0.5, 0.5, t0.size) * (
                np.isinf(self.lower) & np.isinf(self.upper)
            )
            try:
                return self.validate(t)
            except ValueError:
                continue
        return t0

    # ------------------------------------------------------------ likelihood
    def loglik(self, theta, data, x=None) -> np.ndarray:
        """Per-observation log-likelihood, shape (n,)."""
        theta = self.validate(theta)
        data, x = self.check_data(data, x)
        with overflow_as_error("data", "the log-likelihood"):
            return _finite(self._loglik(theta, data, x), "the log-likelihood")

    def score(self, theta, data, x=None) -> np.ndarray:
        """Per-observation score ``d log p / d theta``, shape (n, p).

        Analytic where the model derives it, else Richardson-extrapolated central
        differences of :meth:`loglik` that stay inside the parameter domain.
        """
        theta = self.validate(theta)
        data, x = self.check_data(data, x)
        with overflow_as_error("data", "the score"):
            return _finite(self._score(theta, data, x), "the score")

    def hessian(self, theta, data, x=None, *, individual: bool = False) -> np.ndarray:
        """Hessian of the log-likelihood: summed (p, p), or (n, p, p) if ``individual``."""
        theta = self.validate(theta)
        data, x = self.check_data(data, x)
        individual = check_bool(individual, "individual")
        with overflow_as_error("data", "the Hessian"):
            if not individual and type(self)._hessian_sum is not Model._hessian_sum:
                return _finite(self._hessian_sum(theta, data, x), "the summed Hessian")
            H = _finite(self._hessian(theta, data, x), "the Hessian")
            return H if individual else _finite(H.sum(axis=0), "the summed Hessian")

    def _loglik(self, theta, data, x):
        raise NotImplementedError

    def _score(self, theta, data, x):
        f = lambda t: self._loglik(t, data, x)  # noqa: E731
        scale = self._derivative_scales(theta, f, order=0)
        J, err = _numdiff.jacobian_with_error(f, theta, self.lower, self.upper, scale=scale)
        _check_derivative(self, "score", J, err, 1.0 / scale)
        return J

    def _hessian_sum(self, theta, data, x):
        """The summed Hessian (p, p); a model overrides it when it can form the sum
        without the per-observation stack (the default sums :meth:`_hessian`)."""
        return self._hessian(theta, data, x).sum(axis=0)

    def _hessian(self, theta, data, x):
        if self.has_analytic_score:
            f = lambda t: self._score(t, data, x)  # noqa: E731
            scale = self._derivative_scales(theta, f, order=1)
            H, err = _numdiff.jacobian_with_error(f, theta, self.lower, self.upper,
                                                  scale=scale)
            H, err = 0.5 * (H + np.swapaxes(H, -1, -2)), np.maximum(err, np.swapaxes(err, -1, -2))
        else:
            f = lambda t: self._loglik(t, data, x)  # noqa: E731
            scale = self._derivative_scales(theta, f, order=0)
            H, err = _numdiff.hessian_with_error(f, theta, self.lower, self.upper, scale=scale)
        _check_derivative(self, "Hessian", H, err, 1.0 / np.outer(scale, scale))
        return H

    def typical_scale(self, theta, data, x=None) -> np.ndarray:
        r"""Typical scale of each parameter, the unit of the numerical derivatives' steps.

        The change of :math:`\theta_j` over which one observation's log-density changes by
        about one: :math:`s_j = (\overline{|\partial^2 \log p(y_i \mid \theta) /
        \partial\theta_j^2|})^{-1/2}`, one over the square root of one observation's
        observed information, found by a fixed-point search on second differences
        (:func:`fisherstat._numdiff.information_scales`) unless the model knows it (hook
        ``_typical_scale(theta)``, e.g. ``typical_scale=`` of :meth:`from_logpdf`). The
        numerical score and Hessian of models without analytic ones use steps
        ``eps^(1/5) s_j`` and ``eps^(1/6) s_j`` (capped by the distance to the bounds), so
        they do not depend on the units of the parameters; they warn
        (:class:`~fisherstat.NumericalDerivativeWarning`) when their estimated error is
        large.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import Normal
        >>> y = Normal().sample([1e5, 4e-12], 1000, rng=0)  # sd 2e-6
        >>> s = Normal().typical_scale([1e5, 4e-12], y)
        >>> float(np.round(s[0] / 2e-6, 2)), float(np.round(s[1] / 4e-12, 1))  # sd, ~variance
        (1.0, 1.1)
        """
        theta = self.validate(theta)
        data, x = self.check_data(data, x)
        with overflow_as_error("data", "the log-likelihood"):
            return self._derivative_scales(theta, lambda t: self._loglik(t, data, x), 0)

    def _typical_scale(self, theta) -> np.ndarray | None:
        return None

    def _derivative_scales(self, theta, f, order):
        scale = self._typical_scale(theta)
        if scale is None:
            scale = _numdiff.information_scales(f, theta, self.lower, self.upper, order=order)
        return scale

    @property
    def has_analytic_score(self) -> bool:
        """True when the model derives its score (rather than differencing ``loglik``)."""
        return type(self)._score is not Model._score

    @property
    def has_analytic_hessian(self) -> bool:
        """True when the model derives its Hessian."""
        return type(self)._hessian is not Model._hessian

    # ----------------------------------------------------------- information
    def fisher(self, theta, **context) -> np.ndarray:
        """Expected Fisher information of one observation, shape (p, p).

        Only available when ``has_analytic_fisher``; otherwise use
        :func:`fisherstat.fisher`, which falls back to Monte Carlo.
        """
        theta = self.validate(theta)
        if not self.has_analytic_fisher:
            raise NotImplementedError(
                f"{type(self).__name__} has no closed-form information; use "
                "fisherstat.fisher(model, theta, method='monte_carlo')"
            )
        if context:
            raise TypeError(
                f"{type(self).__name__}.fisher() got unexpected arguments {sorted(context)}"
            )
        return self._fisher(theta)

    def _fisher(self, theta):
        raise NotImplementedError

    # ---------------------------------------------------------- simulation
    def sample(self, theta, n: int, rng=None, x=None):
        """Draw ``n`` independent observations at ``theta``."""
        theta = self.validate(theta)
        if x is not None:
            raise TypeError(f"{type(self).__name__} takes no covariates; got x")
        n = check_int(n, "n", low=1)
        return self._sample(theta, n, check_random_state(rng), None)

    def _sample(self, theta, n, rng, x):
        raise NotImplementedError(f"{type(self).__name__} cannot sample")

    # ------------------------------------------------------------------ fit
    def fit(self, data, x=None, start=None) -> np.ndarray:
        """Maximum-likelihood estimate ``theta_hat``.

        Raises
        ------
        FitError
            With the reason, when the fit fails.
        """
        data, x = self.check_data(data, x)
        if start is not None:
            start = validate_theta(self, start, "start")
        theta = self._fit(data, x, start)
        try:
            return self.validate(theta)
        except ValueError as exc:
            raise FitError(f"fit left the parameter space: {exc}") from None

    def _fit(self, data, x, start):
        return self._fit_numeric(data, x, start)

    def _start(self, data, x):
        raise ValueError(
            f"start is required to fit {type(self).__name__} (no default starting value)"
        )

    def _fit_numeric(self, data, x, start):
        """Maximise the log-likelihood numerically from ``start`` (or ``self._start``)."""
        if start is None:
            start = self.validate(self._start(data, x))

        def ll(t):
            try:
                self._check_theta(t)
            except ValueError:
                return -np.inf
            return self._loglik(t, data, x).sum()

        if self.has_analytic_score:
            grad = lambda t: self._score(t, data, x).sum(axis=0)  # noqa: E731
            return maximize(ll, start, self.lower, self.upper, gradient=grad)
        # numerical gradient with the steps of the parameters' typical scales at the start
        # (found once), and BFGS in units of those scales: neither depends on the units of
        # the parameters (a location of 1e5, a scale of 1e-8)
        f = lambda t: self._loglik(t, data, x)  # noqa: E731
        try:
            scale = self._derivative_scales(start, f, order=0)
        except _BATCH_ERRORS:
            scale = None

        def grad(t):
            return _numdiff.jacobian(f, t, self.lower, self.upper, scale=scale).sum(axis=0)

        return maximize(ll, start, self.lower, self.upper, gradient=grad, typical=scale)

    def max_loglik(self, data, x=None) -> float:
        r"""The maximised total log-likelihood :math:`\sup_\theta \sum_i \log p(y_i\mid\theta)`.

        The quantity behind a likelihood-ratio statistic and the information criteria
        (:mod:`fisherstat.selection`). The supremum is over the closure of the parameter
        space: a maximum on its boundary (a mixture weight of 0 or 1) is a valid maximum
        of the likelihood, even where :meth:`fit`, which returns interior estimates only,
        raises :class:`~fisherstat.FitError`. The default is the log-likelihood at
        :meth:`fit`, or at the estimate of its
        :class:`~fisherstat.BoundaryEstimateError` when that is finite (an ARMA moving
        average with a unit root), else raising the ``FitError``; a model that can locate
        all its boundary maxima implements the hook ``_max_loglik(data, x)``
        (:attr:`has_max_loglik`), as :class:`~fisherstat.models.LocationMixture` does.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import Normal
        >>> y = np.array([-1.0, 0.0, 1.0])  # MLE (0, 2/3)
        >>> bool(np.isclose(Normal().max_loglik(y), -1.5 * (np.log(2 * np.pi * 2 / 3) + 1)))
        True
        """
        data, x = self.check_data(data, x)
        with overflow_as_error("data", "the log-likelihood"):
            return float(_finite(self._max_loglik(data, x), "the maximised log-likelihood"))

    def _max_loglik(self, data, x):
        try:
            theta = self.fit(data, x=x)
        except BoundaryEstimateError as exc:  # the log-likelihood at the boundary maximum
            est = exc.estimate
            with np.errstate(all="ignore"):
                ll = (float(np.sum(self._loglik(est, data, x)))
                      if est.shape == (self.n_params,) and np.all(np.isfinite(est)) else np.nan)
            if not np.isfinite(ll):
                raise
            return ll
        return float(np.sum(self._loglik(theta, data, x)))

    @property
    def has_max_loglik(self) -> bool:
        """True when the model computes :meth:`max_loglik` itself (boundary maxima
        included), not as the log-likelihood at :meth:`fit`."""
        return _definer(type(self), "_max_loglik") is not Model

    def singularities(self, theta) -> list[Singularity]:
        """Named singular sets of the model near ``theta`` (empty for regular models)."""
        self.validate(theta)
        return []

    # ----------------------------------------------- batches of replicates
    @property
    def has_batch_fit(self) -> bool:
        """True when :meth:`fit_batch` fits all replicates together (not one by one).

        False as well for a subclass that redefines ``_fit`` but not ``_fit_batch``: its
        own estimator wins.
        """
        return _batch_hook_current(self, "_fit_batch", "_fit")

    @property
    def has_batch_information(self) -> bool:
        """True when :meth:`information_batch` is vectorised over the replicates (the model's
        closed forms, not one ``fisher``/``hessian``/``score`` call per replicate)."""
        return _batch_hook_current(self, "_information_batch", "_loglik", "_score",
                                   "_hessian", "_fisher", "_point_factor")

    def _check_batch(self, data, x):
        """Validate a stack of replicates (c, n, ...) sharing the covariates ``x``."""
        data = as_float_array(data, "data", ndim=None)
        if data.ndim < 2:
            raise ValueError(f"data must be a stack of replicates (c, n, ...), got shape "
                             f"{data.shape}")
        if self.is_regression:
            x = self.check_x(x)
            if data.ndim != 2 or data.shape[1] != x.shape[0]:
                raise ValueError(f"data must have shape (c, {x.shape[0]}) (one response per "
                                 f"row of x per replicate), got {data.shape}")
        elif x is not None:
            raise TypeError(f"{type(self).__name__} takes no covariates; got x")
        self._check_data(data.reshape((-1,) + data.shape[2:]))
        return data, x

    def fit_batch(self, data, x=None, start=None) -> np.ndarray:
        """Maximum-likelihood estimates of ``c`` replicate data sets at once.

        The batch hook of simulation studies (:func:`fisherstat.check_asymptotics`).
        Models with a closed-form estimate (``Normal``, ``Poisson``, ``Binomial``,
        ``MultivariateNormal``, ``LinearRegression``) or a concave log-likelihood (the
        single-index GLMs, by Newton-Raphson on all replicates at once) implement the hook
        ``_fit_batch(data, x, start) -> (theta, unsettled)``; the default calls :meth:`fit`
        once per replicate (see :attr:`has_batch_fit`).

        Parameters
        ----------
        data : array_like, shape (c, n, ...)
            ``c`` data sets of ``n`` observations each; for regression models ``c``
            response vectors at the same covariates ``x``.
        x : array_like, optional
            The covariates (``n`` rows) shared by the replicates (regression models).
        start : array_like, shape (p,), optional
            A starting value for iterative batch fits (e.g. the true parameter of a
            simulation study); closed forms ignore it.

        Returns
        -------
        theta : ndarray, shape (c, p)
            NaN rows for replicates the batch fit could not settle (an estimate on the
            boundary, separated data, no convergence): :meth:`fit` of such a replicate
            raises :class:`~fisherstat.FitError` with the reason. Settled rows agree with
            :meth:`fit` to about 1e-12.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import Poisson
        >>> m = Poisson()
        >>> Y = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
        >>> m.fit_batch(Y)  # the second MLE, lambda = 0, is on the boundary
        array([[ 2.],
               [nan]])
        """
        data, x = self._check_batch(data, x)
        if start is not None:
            start = validate_theta(self, start, "start")
        fit = self._fit_batch if self.has_batch_fit else partial(Model._fit_batch, self)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            est, unsettled = fit(data, x, start)
            theta = np.array(est, dtype=np.float64)
            theta[np.asarray(unsettled, dtype=bool) | ~np.all(np.isfinite(theta), axis=1)] = np.nan
        return theta

    def _fit_batch(self, data, x, start):
        theta = np.full((len(data), self.n_params), np.nan)
        for r, d in enumerate(data):
            try:
                theta[r] = self.fit(d, x=x)
            except _BATCH_ERRORS:
                pass
        return theta, ~np.all(np.isfinite(theta), axis=1)

    def information_batch(self, theta, data, x=None) -> np.ndarray:
        """Total expected, observed and OPG information of ``c`` replicates at once.

        For replicate ``r`` with parameter ``theta[r]`` (e.g. its estimate) and ``n``
        observations: ``n I(theta_r)`` (for regression models ``sum_i M(x_i, theta_r)``),
        the observed information ``-sum_i H_i`` and the outer product of the scores
        ``sum_i s_i s_i^T`` -- the ingredients of :func:`~fisherstat.fisher`,
        :func:`~fisherstat.observed_information`, :func:`~fisherstat.empirical_fisher` and
        :func:`~fisherstat.sandwich_covariance` (times ``n``). Models with closed forms
        vectorise it over the replicates (hook ``_information_batch(theta, data, x)``
        returning the three stacks); the default calls :meth:`fisher`, :meth:`hessian`
        and :meth:`score` once per replicate.

        Parameters
        ----------
        theta : array_like, shape (c, p)
        data : array_like, shape (c, n, ...), or a sequence of ``c`` data sets
        x : array_like, optional
            Covariates shared by the replicates (regression models).

        Returns
        -------
        ndarray, shape (3, c, p, p)
            Expected, observed and OPG information; NaN where one is not available (the
            expected information of a model without a closed form, a failed evaluation).

        Raises
        ------
        ValueError
            For an invalid ``theta`` row or data set (naming the argument).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import Poisson
        >>> E, A, B = Poisson().information_batch([[2.0]], [[1.0, 2.0, 3.0]])
        >>> float(E[0, 0, 0]), float(A[0, 0, 0]), float(B[0, 0, 0])  # n/lam, sum y/lam^2
        (1.5, 1.5, 0.5)
        """
        theta = as_float_array(theta, "theta", ndim=2)
        if theta.shape[1] != self.n_params:
            raise ValueError(f"theta must have shape (c, {self.n_params}), got {theta.shape}")
        if data is None or isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
            raise TypeError(f"data must be a sequence of {theta.shape[0]} data sets (one per "
                            f"row of theta), got {type(data).__name__}")
        if len(data) != theta.shape[0]:
            raise ValueError(f"data must hold one data set per row of theta "
                             f"({theta.shape[0]}), got {len(data)}")
        if not self.has_batch_information:
            for t, d in zip(theta, data, strict=True):  # bad input raises; failures are NaN
                self.validate(t)
                self.check_data(d, x)
            return Model._information_batch(self, theta, data, x)
        lo, hi = self.lower, self.upper
        bad = ~np.all((theta > lo) & (theta < hi), axis=1)
        if bad.any():
            self.validate(theta[np.flatnonzero(bad)[0]])  # raises, naming the parameter
        if type(self)._check_theta is not Model._check_theta:
            for t in theta:
                self._check_theta(t)
        data, x = self._check_batch(data, x)
        return np.stack(self._information_batch(theta, data, x))

    def _information_batch(self, theta, data, x):
        c, p = theta.shape
        out = np.full((3, c, p, p), np.nan)
        for r in range(c):
            t, d = theta[r], data[r]
            if self.has_analytic_fisher:
                try:
                    out[0, r] = (self.fisher(t, x=x) if self.is_regression
                                 else len(d) * self.fisher(t))
                except (*_BATCH_ERRORS, NotImplementedError):
                    pass
            try:
                out[1, r] = -self.hessian(t, d, x=x)
            except _BATCH_ERRORS:
                pass
            try:
                S = self.score(t, d, x=x)
                out[2, r] = S.T @ S
            except _BATCH_ERRORS:
                pass
        return out

    # ------------------------------------------------ variance-reduced Monte Carlo
    def strata(self, theta) -> Strata | None:
        """Strata of the sample space for stratified and quasi-Monte Carlo information.

        A model that is a finite mixture of distributions that are easy to draw from
        (e.g. :class:`~fisherstat.models.GaussianMixture`: one stratum per component)
        implements the hook ``_strata(theta)`` returning a :class:`Strata`;
        :func:`fisherstat.fisher` then offers ``variance_reduction='stratified'`` and
        ``'qmc'``. The default returns None (plain Monte Carlo only).

        Examples
        --------
        >>> from fisherstat.models import GaussianMixture, Normal
        >>> Normal().strata([0.0, 1.0]) is None
        True
        >>> s = GaussianMixture(2).strata([0.3, -2.0, 2.0, 1.0, 1.0])
        >>> s.probabilities, s.dim
        (array([0.3, 0.7]), 1)
        """
        return self._strata(self.validate(theta))

    def _strata(self, theta) -> Strata | None:
        return None

    # ------------------------------------------------------------- factory
    @classmethod
    def from_logpdf(
        cls,
        logpdf: Callable,
        sample: Callable | None,
        param_names: Sequence[str],
        fit: Callable | None = None,
        bounds: Sequence[tuple] | None = None,
        *,
        example_theta=None,
        typical_scale=None,
        covariates: bool = False,
        example_x=None,
    ) -> Model:
        """Wrap a user's log-density into a model with numeric derivatives.

        Parameters
        ----------
        logpdf : callable
            ``logpdf(theta, data)`` returning the (n,) per-observation log-density,
            vectorised over the observations on the first axis of ``data``; with
            ``covariates=True``, ``logpdf(theta, y, x)`` for responses ``y`` (n,) at the rows
            of ``x``.
        sample : callable or None
            ``sample(theta, n, rng)`` returning ``n`` draws (needed for Monte Carlo); with
            ``covariates=True``, ``sample(theta, x, rng)`` returning one response per row.
        param_names : sequence of str
        fit : callable, optional
            ``fit(data)`` (``fit(y, x)`` with covariates) returning the MLE; without it,
            :meth:`fit` maximises the log-likelihood numerically, from ``start`` if given,
            else from the best point of a grid (see Notes).
        bounds : sequence of (low, high), optional
            Open interval of each parameter.
        example_theta : array_like, optional
            A typical parameter (for :meth:`example_theta`).
        typical_scale : array_like, shape (p,), optional
            The change of each parameter over which one observation's log-density changes
            by about one (e.g. the scale of a location parameter); the steps of the
            numerical derivatives are ``eps^(1/5)`` and ``eps^(1/6)`` times it. Default:
            estimated at each ``theta`` from the curvature (:meth:`Model.typical_scale`).
        covariates : bool, default False
            A regression model ``y | x`` (:class:`RegressionModel`; its expected
            information is by Monte Carlo, ``fisherstat.fisher(model, theta, x=x)``).
        example_x : array_like, optional
            Typical covariates (for :meth:`RegressionModel.example_x`; ``covariates=True``).

        Returns
        -------
        Model

        Notes
        -----
        Numerical score and Hessian: Richardson-extrapolated central differences with
        steps relative to each parameter's typical scale, an error estimate from a third
        step, and a :class:`~fisherstat.NumericalDerivativeWarning` when it is large
        (:mod:`fisherstat._numdiff`). They hold to about ``1e-12`` (score) and ``3e-9``
        (Hessian) relative at parameter scales from ``1e-8`` to ``1e8``.

        Start of a fit without ``start``: the total log-likelihood is evaluated on a grid
        of each parameter's domain placed by the data (responses) median ``m`` and robust
        spread ``d`` (1.4826 MAD, else the standard deviation, else 1): ``m + d k`` for
        ``k = -2..2`` and ``-1, 0, 1`` for a free parameter, ``d^{+-1}`` and 1 times
        ``0.1, 1, 10`` from a finite bound, five interior points of a bounded interval,
        and ``example_theta``; the product grid (or 512 of its points, a fixed selection,
        beyond 512) is searched and the best point starts the optimisation.

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> expo = fs.Model.from_logpdf(
        ...     lambda th, x: np.log(th[0]) - th[0] * x,
        ...     lambda th, n, rng: rng.exponential(1 / th[0], n),
        ...     ["rate"], bounds=[(0, np.inf)])
        >>> x = expo.sample([2.0], 5, rng=0)
        >>> float(np.round(-expo.hessian([2.0], x)[0, 0] / 5, 8))  # 1 / rate^2
        0.25
        >>> bool(np.isclose(expo.fit(x)[0], 1 / x.mean()))  # no start needed
        True

        A Poisson regression from its log-density (covariates):

        >>> from scipy import stats
        >>> pois = fs.Model.from_logpdf(
        ...     lambda b, y, x: stats.poisson.logpmf(y, np.exp(x @ b)),
        ...     lambda b, x, rng: rng.poisson(np.exp(x @ b)), ["b0", "b1"],
        ...     covariates=True)
        >>> X = np.column_stack([np.ones(50), np.linspace(-1, 1, 50)])
        >>> y = pois.sample([0.5, 1.0], x=X, rng=1)
        >>> ref = fs.models.PoissonRegression(2)
        >>> bool(np.allclose(pois.fit(y, x=X), ref.fit(y, x=X), atol=1e-6))
        True
        """
        if not isinstance(covariates, (bool, np.bool_)):
            raise TypeError(f"covariates must be True or False, got {covariates!r}")
        if covariates:
            return LogpdfRegression(logpdf, sample, param_names, fit, bounds, example_theta,
                                    typical_scale, example_x)
        if example_x is not None:
            raise TypeError("example_x needs covariates=True")
        return LogpdfModel(logpdf, sample, param_names, fit, bounds, example_theta,
                           typical_scale)


#: Number of grid points searched for the start of a fit of a user's log-density.
_START_POINTS = 512


def _grid_start(model, data, x, extra):
    """The best point of a grid placed by the data (see :meth:`Model.from_logpdf`)."""
    y = np.asarray(data, dtype=float).ravel()
    y = y[np.isfinite(y)]
    m = float(np.median(y)) if y.size else 0.0
    d = 1.4826 * float(np.median(np.abs(y - m))) if y.size else 0.0
    if not d > 0:
        d = float(np.std(y)) if y.size > 1 else 0.0
    if not (d > 0 and np.isfinite(d)):
        d = 1.0
    axes = []
    for lo, hi in zip(model.lower, model.upper, strict=True):
        up = np.unique(np.outer([d, 1.0 / d, 1.0], [0.1, 1.0, 10.0]))
        if np.isfinite(lo) and np.isfinite(hi):
            axes.append(lo + (hi - lo) * np.array([0.1, 0.3, 0.5, 0.7, 0.9]))
        elif np.isfinite(lo):
            axes.append(lo + up)
        elif np.isfinite(hi):
            axes.append(hi - up)
        else:
            axes.append(np.unique(np.concatenate([m + d * np.arange(-2, 3), [-1.0, 0.0, 1.0]])))
    size = int(np.prod([a.size for a in axes]))
    if size <= _START_POINTS:
        idx = np.indices([a.size for a in axes]).reshape(len(axes), -1).T
    else:  # a fixed selection of the product grid
        pick = np.random.default_rng(0).choice(size, _START_POINTS, replace=False)
        idx = np.array(np.unravel_index(np.sort(pick), [a.size for a in axes])).T
    grid = np.array([[a[i] for a, i in zip(axes, row, strict=True)] for row in idx])
    if extra is not None:
        grid = np.vstack([extra, grid])
    best, best_ll = None, -np.inf
    for t in grid:  # one vectorised log-likelihood per grid point
        try:
            model._check_theta(t)
            with np.errstate(all="ignore"):
                v = float(np.sum(model._loglik(t, data, x)))
        except _BATCH_ERRORS:
            continue
        if v > best_ll:
            best, best_ll = t, v
    if best is None:
        raise FitError("no point of the start grid has a finite log-likelihood: pass start=")
    return best


class LogpdfModel(Model):
    """A model defined by a user's log-density; see :meth:`Model.from_logpdf`."""

    def __init__(self, logpdf, sample, param_names, fit=None, bounds=None, example_theta=None,
                 typical_scale=None):
        if not callable(logpdf):
            raise TypeError(f"logpdf must be callable: {self._signature}")
        for name, f in (("sample", sample), ("fit", fit)):
            if f is not None and not callable(f):
                raise TypeError(f"{name} must be callable or None")
        super().__init__(param_names, bounds)
        self._logpdf, self._sampler, self._user_fit = logpdf, sample, fit
        self._example = (None if example_theta is None
                         else validate_theta(self, example_theta, "example_theta"))
        self._scale = None
        if typical_scale is not None:
            self._scale = as_float_array(typical_scale, "typical_scale", shape=(self.n_params,))
            if not np.all((self._scale > 0) & np.isfinite(self._scale)):
                raise ValueError("typical_scale must hold finite positive numbers (one per "
                                 f"parameter), got {self._scale}")

    _signature = "logpdf(theta, data) -> (n,)"

    def _check_data(self, data):
        return data

    def _call_logpdf(self, theta, data, x):
        return self._logpdf(theta, data)

    def _loglik(self, theta, data, x):
        ll = np.asarray(self._call_logpdf(theta, data, x), dtype=float)
        if ll.shape != (data.shape[0],):
            raise ValueError(
                f"logpdf must return one value per observation, shape ({data.shape[0]},), "
                f"got {ll.shape}"
            )
        return ll

    def _typical_scale(self, theta):
        return self._scale

    def _sample(self, theta, n, rng, x):
        if self._sampler is None:
            raise NotImplementedError("this model was built without a sampler")
        return np.asarray(self._sampler(theta, n, rng), dtype=float)

    def _fit(self, data, x, start):
        if self._user_fit is not None:
            return np.asarray(self._user_fit(data), dtype=float)
        return self._fit_numeric(data, x, start)

    def _start(self, data, x):
        return _grid_start(self, data, x, self._example)

    def _example_theta(self):
        if self._example is None:
            raise NotImplementedError("pass example_theta= to from_logpdf")
        return self._example


class RegressionModel(Model):
    """Base class of models of ``y | x`` with independent observations.

    Subclasses provide ``_point_factor(theta, x)`` of shape (k, p, r) with
    ``M(x_i) = F_i F_i^T`` the information of one observation at ``x_i``; the information
    of a design is ``sum_i w_i M(x_i)``. A low-rank factor (r = 1 for GLMs, r = 2 for
    Gaussian models with a parametrised variance) keeps variance functions cheap.
    """

    is_regression = True
    has_analytic_fisher = True

    def check_x(self, x) -> np.ndarray:
        """Validate covariates; returns a float64 array with rows = observations."""
        if x is None:
            raise TypeError(f"{type(self).__name__} needs covariates x")
        return self._check_x(as_float_array(x, "x", ndim=(1, 2)))

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        return x

    def check_data(self, data, x=None):
        y = as_float_array(data, "data", ndim=1)
        x = self.check_x(x)
        if y.shape[0] != x.shape[0]:
            raise ValueError(
                f"data and x must have the same number of rows, got {y.shape[0]} and {x.shape[0]}"
            )
        return self._check_data(y), x

    @property
    def mean_param_names(self) -> tuple[str, ...]:
        """The parameters of the mean function (the default parameters of interest of a
        design): all of them unless a model has separate error parameters.

        Examples
        --------
        >>> from fisherstat.models import LinearRegression, LogisticRegression
        >>> LinearRegression(2).mean_param_names  # sigma2 is an error parameter
        ('beta_1', 'beta_2')
        >>> LogisticRegression(2).mean_param_names
        ('beta_1', 'beta_2')
        """
        return self.param_names

    def linear_mean_scale(self, theta) -> float | None:
        r"""Declare a Gaussian linear mean: the scale :math:`s` of :math:`M_\beta(x) = s x x^T`.

        None (the default) unless the model's mean is :math:`x^T\beta` in the parameters
        :attr:`mean_param_names` (the first ``k``), with ``x`` the rows of
        :meth:`check_x`, their information at ``x`` is :math:`s\,x x^T` with a scalar
        :math:`s` that does not depend on ``x``, and the remaining (error) parameters are
        orthogonal to them. The design module then works on the rows of ``x`` directly
        (the classical regression matrix) instead of the information factor.

        Examples
        --------
        >>> from fisherstat.models import LinearRegression, LogisticRegression
        >>> LinearRegression(2).linear_mean_scale([1.0, 2.0, 0.5])  # 1 / sigma2
        2.0
        >>> LogisticRegression(2).linear_mean_scale([1.0, 2.0]) is None
        True
        """
        return self._linear_mean_scale(self.validate(theta))

    def _linear_mean_scale(self, theta) -> float | None:
        return None

    def point_factor(self, theta, x) -> np.ndarray:
        """Factor ``F`` (k, p, r) of the per-point information ``M(x_i) = F_i F_i^T``."""
        return self._point_factor(self.validate(theta), self.check_x(x))

    def point_information(self, theta, x) -> np.ndarray:
        """Information of one observation at each row of ``x``, shape (k, p, p)."""
        F = self.point_factor(theta, x)
        return np.einsum("kpr,kqr->kpq", F, F)

    def fisher(self, theta, x=None, weights=None) -> np.ndarray:
        """Information ``sum_i w_i M(x_i, theta)`` of covariates ``x`` (unit weights default).

        With ``weights`` summing to one this is the normalised information matrix of the
        approximate design ``{x_i, w_i}``.
        """
        theta, x = self.validate(theta), self.check_x(x)
        k, p = x.shape[0], self.n_params
        sw = None if weights is None else np.sqrt(check_weights(weights, "weights", k))
        M = np.zeros((p, p))
        for start in range(0, k, _BLOCK_ROWS):  # cache-sized blocks of rows
            F = self._point_factor(theta, x[start:start + _BLOCK_ROWS])
            if sw is not None:
                F = F * sw[start:start + _BLOCK_ROWS, None, None]
            G = F.transpose(0, 2, 1).reshape(-1, p)
            with np.errstate(over="ignore", invalid="ignore"):
                M += G.T @ G
        check_finite_result(M, "x" if weights is None else "weights",
                            "the information sum_i w_i M(x_i)")
        return 0.5 * (M + M.T)

    def _point_factor(self, theta, x):
        raise NotImplementedError

    def sample(self, theta, n: int | None = None, rng=None, x=None):
        """Draw one response per row of ``x`` (``n``, if given, must equal ``len(x)``)."""
        theta = self.validate(theta)
        x = self.check_x(x)
        if n is not None and check_int(n, "n", low=1) != x.shape[0]:
            raise ValueError(f"n must equal the number of rows of x ({x.shape[0]}), got {n}")
        return self._sample(theta, x.shape[0], check_random_state(rng), x)

    def example_x(self) -> np.ndarray:
        """Typical covariates for examples, the CLI and tests."""
        return self.check_x(self._example_x())

    def _example_x(self):
        raise NotImplementedError


class LogpdfRegression(LogpdfModel, RegressionModel):
    """A regression model ``y | x`` defined by a user's log-density; see
    :meth:`Model.from_logpdf` (``covariates=True``). Its expected information is by Monte
    Carlo over the responses at the covariates."""

    has_analytic_fisher = False
    _signature = "logpdf(theta, y, x) -> (n,)"

    def __init__(self, logpdf, sample, param_names, fit=None, bounds=None, example_theta=None,
                 typical_scale=None, example_x=None):
        super().__init__(logpdf, sample, param_names, fit, bounds, example_theta,
                         typical_scale)
        self._example_rows = None if example_x is None else self.check_x(example_x)

    def _call_logpdf(self, theta, data, x):
        return self._logpdf(theta, data, x)

    def _sample(self, theta, n, rng, x):
        if self._sampler is None:
            raise NotImplementedError("this model was built without a sampler")
        return np.asarray(self._sampler(theta, x, rng), dtype=float)

    def _fit(self, data, x, start):
        if self._user_fit is not None:
            return np.asarray(self._user_fit(data, x), dtype=float)
        return self._fit_numeric(data, x, start)

    def fisher(self, theta, x=None, weights=None) -> np.ndarray:
        """Not available in closed form: use ``fisherstat.fisher(model, theta, x=x)``."""
        raise NotImplementedError(
            f"{type(self).__name__} has no closed-form information; use "
            "fisherstat.fisher(model, theta, x=x) (Monte Carlo over the responses)")

    def _example_x(self):
        if self._example_rows is None:
            raise NotImplementedError("pass example_x= to from_logpdf")
        return self._example_rows
