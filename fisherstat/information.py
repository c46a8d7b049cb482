r"""Fisher information: the :class:`FisherInfo` result and its estimators.

The (expected) Fisher information of one observation is

.. math::

    I(\theta) = E_\theta[s(\theta; X) s(\theta; X)^T]
               = -E_\theta[\nabla^2 \log p(X; \theta)],

with :math:`s = \nabla_\theta \log p` the score. Estimators:

* :func:`fisher` -- the model's closed form (``method='analytic'``), or Monte Carlo
  (``'monte_carlo'``) with either the *score* estimator :math:`\frac1N\sum s_i s_i^T` or the
  *Hessian* estimator :math:`-\frac1N \sum \nabla^2 \log p(x_i)`, each with entrywise
  standard errors;
* :func:`empirical_fisher` -- the outer product of gradients (OPG) on data;
* :func:`observed_information` -- minus the mean Hessian on data;
* :func:`sandwich_covariance` -- the robust covariance :math:`A^{-1} B A^{-1} / n`.

The result type :class:`FisherInfo` (with :class:`InformationOperator` and
:func:`pinv_psd`) is defined in the leaf module :mod:`fisherstat._fisherinfo`, so that the
models below this layer can return one too, and re-exported here. The estimators only call
the public :class:`~fisherstat.Model` API (``sample``, ``score``, ``hessian``, ``fisher``
and, for variance-reduced Monte Carlo, ``strata``; see :mod:`fisherstat._montecarlo`).

Which Monte Carlo estimator has lower variance depends on the model and the parameter
(Soen & Sun 2021, "On the variance of the Fisher information for deep learning", NeurIPS):
for exponential families in their natural parameters the Hessian is non-random, so the
Hessian estimator has zero variance; for location parameters of heavy-tailed families
the score estimator's fourth moments can be large; neither dominates in general. The
standard errors returned with every Monte Carlo estimate make the choice measurable.
"""

from __future__ import annotations

import numpy as np

from . import _montecarlo
from ._fisherinfo import (  # the result type, a leaf module: re-exported here
    METHODS,  # noqa: F401
    FisherInfo,
    InformationOperator,
    default_rank_tol,  # noqa: F401
    pinv_psd,
)
from ._validation import (
    check_choice,
    check_instance,
    check_int,
    check_random_state,
    check_weights,
)
from .models.base import Model

__all__ = [
    "FisherInfo",
    "InformationOperator",
    "fisher",
    "empirical_fisher",
    "observed_information",
    "sandwich_covariance",
]


# ----------------------------------------------------------------- estimators
def _check_model(model):
    return check_instance(model, "model", Model, "a fisherstat Model (see fisherstat.models)")


def _context_x(model, context):
    """Split context into validated ``(x, weights, n_obs, extra)``.

    ``extra`` holds the keys the model declares in ``Model.fisher_context`` (e.g. ``n``, the
    exact information of ``n`` consecutive observations of a time series, or ``x``, the
    regressors of ONE series, e.g. :class:`~fisherstat.models.ARMAX`, whose information is
    that of its ``len(x)`` observations); they are passed to ``model.fisher``.
    """
    x, weights = context.pop("x", None), context.pop("weights", None)
    extra = {k: context.pop(k) for k in model.fisher_context if k in context}
    if context:
        raise TypeError(f"unexpected arguments {sorted(context)}")
    n_obs = 1.0 if extra.get("n") is None else float(check_int(extra["n"], "n", low=1))
    if "x" in model.fisher_context:  # ONE series with its regressors (e.g. ARMAX): the
        # exact information of its len(x) dependent observations, which have no weights
        if weights is not None:
            raise TypeError(f"{type(model).__name__} takes no weights: its observations "
                            "are one dependent series")
        extra["x"] = model.check_x(x)
        return None, None, float(extra["x"].shape[0]), extra
    if not model.is_regression:
        if x is not None or weights is not None:
            raise TypeError(f"{type(model).__name__} takes no covariates (x/weights)")
        return None, None, n_obs, extra
    x = model.check_x(x)
    w = np.ones(x.shape[0]) if weights is None else check_weights(weights, "weights", x.shape[0])
    return x, w, float(w.sum()), extra


def fisher(model, theta, method: str = "auto", *, n_samples: int | None = None, rng=None,
           estimator: str = "score", variance_reduction: str | None = None,
           n_scrambles: int = 16, **context) -> FisherInfo:
    r"""Expected Fisher information of a model at ``theta``.

    Parameters
    ----------
    model : Model
    theta : array_like, shape (p,)
    method : {'auto', 'analytic', 'monte_carlo'}
        ``'auto'`` uses the closed form when ``model.has_analytic_fisher``, else Monte Carlo.
    n_samples : int, optional
        Monte Carlo draws (default 100000); for regression models, replicated response
        vectors at the covariates.
    rng : int or np.random.Generator, optional
    estimator : {'score', 'hessian'}
        Monte Carlo estimator: ``E[s s^T]`` or ``-E[H]``.
    variance_reduction : {None, 'stratified', 'qmc'}
        Variance-reduced Monte Carlo for models that define
        :meth:`~fisherstat.Model.strata` (e.g. the components of a
        :class:`~fisherstat.models.GaussianMixture`); implies ``method='monte_carlo'``.
        ``'stratified'``: ``n pi_j`` draws from stratum ``j`` (proportional allocation;
        largest remainders, at least 2 each). ``'qmc'``: stratified as well, and within
        each stratum a scrambled Sobol' point set mapped by the normal inverse CDF,
        repeated ``n_scrambles`` times independently (each stratum's share per scramble
        rounded to a power of two; the number used is ``result.n_samples``).
    n_scrambles : int, default 16
        Independent scrambles of ``'qmc'`` (at least 2); their spread gives the standard
        errors.
    **context
        ``x`` (covariates, required for regression models) and ``weights`` (per row of
        ``x``; default ones); and any key the model declares in ``fisher_context`` (e.g.
        ``n`` for the exact information of ``n`` consecutive observations of an ``ARMA``).

    Returns
    -------
    FisherInfo
        Of one observation for iid models (``n_obs = 1``); of the covariate set for
        regression models (``n_obs = sum(weights)``).

    Notes
    -----
    The Monte Carlo estimators (:mod:`fisherstat._montecarlo`) ask the model only for its
    sampler, its score or Hessian and, for ``variance_reduction``, its strata.
    Stratification estimates :math:`I = \sum_j \pi_j E_j[T]` (:math:`E_j` over stratum
    ``j``, :math:`T = s s^T` or :math:`-H`) by :math:`\sum_j \pi_j \bar T_j`, with
    variance :math:`\sum_j \pi_j^2 \operatorname{Var}_j(T)/n_j`; with proportional
    allocation it removes the between-strata part of :math:`\operatorname{Var}(T)` and
    never increases the variance (Cochran, *Sampling Techniques*, 3rd ed., 1977, sec. 5.6).
    Randomized QMC (Owen 1997, "Scrambled net variance for integrals of smooth
    functions", Ann. Statist. 25, 1541-1562) gives unbiased estimates per scramble whose
    spread gives the standard error (Owen, *Practical Quasi-Monte Carlo Integration*,
    2023, ch. 17).

    Examples
    --------
    >>> import fisherstat as fs
    >>> fs.fisher(fs.models.Normal(), [0.0, 2.0]).matrix
    array([[0.5  , 0.   ],
           [0.   , 0.125]])
    >>> mc = fs.fisher(fs.models.Normal(), [0.0, 2.0], method="monte_carlo",
    ...                n_samples=200_000, rng=1)
    >>> bool(abs(mc.matrix[0, 0] - 0.5) < 4 * mc.stderr[0, 0])
    True
    """
    _check_model(model)
    check_choice(method, "method", ("auto", "analytic", "monte_carlo"))
    check_choice(estimator, "estimator", ("score", "hessian"))
    if variance_reduction is not None:
        check_choice(variance_reduction, "variance_reduction", _montecarlo.VARIANCE_REDUCTIONS,
                     what="or None")
    n_scrambles = check_int(n_scrambles, "n_scrambles", low=2)
    if n_samples is not None:  # checked even when the closed form makes them unused
        n_samples = check_int(n_samples, "n_samples", low=2)
    check_random_state(rng)
    if variance_reduction is not None and method == "analytic":
        raise ValueError("variance_reduction needs method='monte_carlo' (or 'auto'), got "
                         f"method='analytic' with variance_reduction={variance_reduction!r}")
    theta = model.validate(theta)
    x, w, n_obs, extra = _context_x(model, dict(context))
    if method == "auto":
        analytic = model.has_analytic_fisher and variance_reduction is None
        method = "analytic" if analytic else "monte_carlo"
    if method == "analytic":
        if not model.has_analytic_fisher:
            raise ValueError(f"{type(model).__name__} has no analytic information; "
                             "use method='monte_carlo'")
        m = model.fisher(theta, **extra) if x is None else model.fisher(theta, x=x, weights=w)
        return FisherInfo(m, model.param_names, n_obs, "analytic")
    if extra:
        raise ValueError(f"{sorted(extra)} requires method='analytic' for {type(model).__name__}")
    n_samples = 100_000 if n_samples is None else check_int(n_samples, "n_samples", low=2)
    return _monte_carlo(model, theta, x, w, n_obs, n_samples, check_random_state(rng),
                        estimator, variance_reduction, n_scrambles)


def _monte_carlo(model, theta, x, w, n_obs, N, rng, estimator, variance_reduction=None,
                 n_scrambles=16):
    """Score or Hessian Monte Carlo estimator with entrywise standard errors.

    Plain (``sd(T_r) / sqrt(N)`` standard errors of the iid terms ``T_r``), stratified or
    quasi-Monte Carlo; see :mod:`fisherstat._montecarlo`.
    """
    mean, se, used = _montecarlo.estimate(
        model, theta, x=x, w=w, n_samples=N, rng=rng, estimator=estimator,
        variance_reduction=variance_reduction, n_scrambles=n_scrambles)
    return FisherInfo(mean, model.param_names, n_obs, "monte_carlo", se, used)


def empirical_fisher(model, theta, data, x=None) -> FisherInfo:
    """Empirical Fisher information (outer product of gradients, OPG) on data.

    ``(1/n) sum_i s_i s_i^T`` with ``s_i`` the score of observation ``i`` at ``theta``; the
    information of one average observation (``n_obs = 1``).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.Poisson()
    >>> y = m.sample([3.0], 100_000, rng=0)
    >>> float(np.round(fs.empirical_fisher(m, [3.0], y).matrix[0, 0], 2))  # 1/lambda
    0.33
    """
    s = _check_model(model).score(theta, data, x=x)
    return FisherInfo(s.T @ s / s.shape[0], model.param_names, 1.0, "empirical")


def observed_information(model, theta, data, x=None) -> FisherInfo:
    """Observed information per observation, ``-(1/n) sum_i H_i``, on data.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> fs.observed_information(fs.models.Normal(), [1.5, 1.0], y).matrix
    array([[1.        , 0.5       ],
           [0.5       , 0.41666667]])
    """
    data, x = _check_model(model).check_data(data, x)
    # the summed Hessian, which a model may form without the (n, p, p) stack of
    # per-observation Hessians (``Model._hessian_sum``, e.g. x' diag(l'') x for the GLMs)
    H = model.hessian(theta, data, x=x)
    return FisherInfo(-0.5 * (H + H.T) / data.shape[0], model.param_names, 1.0, "observed")


def sandwich_covariance(model, theta, data, x=None) -> np.ndarray:
    """Robust (sandwich) covariance of ``theta_hat``: ``A^{-1} B A^{-1} / n``.

    ``A`` is the observed information per observation, ``B`` the empirical Fisher (OPG);
    valid under misspecification (Huber 1967; White 1982, Econometrica 50, eq. 2.6).
    Returns the (p, p) covariance of the estimator itself (not of ``sqrt(n)`` times it).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.Normal()
    >>> y = m.sample([0.0, 1.0], 2000, rng=3)
    >>> V = fs.sandwich_covariance(m, m.fit(y), y)
    >>> bool(abs(V[0, 0] * 2000 - 1.0) < 0.1)
    True
    """
    s = _check_model(model).score(theta, data, x=x)
    n = s.shape[0]
    A = -model.hessian(theta, data, x=x) / n
    B = s.T @ s / n
    A_inv = pinv_psd(0.5 * (A + A.T), what="observed information")[0]
    V = A_inv @ B @ A_inv / n
    return 0.5 * (V + V.T)
