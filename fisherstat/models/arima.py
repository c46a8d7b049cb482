r"""ARIMA(p, d, q): a Gaussian ARMA(p, q) model of the d-times differenced series.

.. math::

    w_t = (1 - B)^d y_t, \qquad \phi(B)(w_t - \mu) = \theta(B) e_t, \qquad
    e_t \overset{iid}{\sim} N(0, \sigma^2),

with :class:`~fisherstat.models.arma.ARMA`'s sign convention and parameters
``(mu, phi1..phip, theta1..thetaq, sigma2)`` (``mu`` only with ``mean=True``). Differencing
is a convenience on top of :class:`~fisherstat.models.arma.ARMA`: the likelihood is the
exact Gaussian ARMA likelihood of the ``n - d`` differences, *conditional on the first d
observations* -- the model of statsmodels' ``SARIMAX(y, order=(p, d, q),
simple_differencing=True)``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_random_state
from ..exceptions import FitError
from .arma import ARMA
from .base import Model, Singularity

__all__ = ["ARIMA"]


class ARIMA(Model):
    r"""Gaussian ARIMA(p, d, q): an ARMA(p, q) of the ``d``-times differenced series.

    Data: ONE series of levels :math:`y_1, \dots, y_n` (shape (n,), ``n > d``). Its
    differences :math:`w = \operatorname{diff}(y, d)` (``n - d`` values) are a stationary,
    invertible Gaussian ARMA(p, q) series with mean ``mu`` (``mean=True``) or zero; the
    parameters and their names are exactly those of
    :class:`ARMA(p, q, mean) <fisherstat.models.arma.ARMA>`. ``d = 0`` is ARMA itself.

    Parameters
    ----------
    p, d, q : int
        AR order, order of differencing and MA order (each ``>= 0``).
    mean : bool, default False
        Estimate the mean ``mu`` of the *differenced* series: for ``d = 1`` a drift (a
        linear trend ``mu t`` of the levels), for ``d = 2`` a quadratic trend. This is
        statsmodels' ``SARIMAX(order=(p, d, q), simple_differencing=True, trend="c")``
        with its intercept ``c = mu (1 - phi1 - ... - phip)`` (the state intercept of the
        differenced series, not its mean).

    Notes
    -----
    **Likelihood.** Conditional on the first ``d`` observations (which fix the levels
    that the differences integrate from and carry no information about the parameters
    under this model), the log-likelihood of the series is the exact Gaussian ARMA
    log-likelihood of its ``n - d`` differences (Box, Jenkins, Reinsel & Ljung 2015, *Time
    Series Analysis*, 5th ed., section 7.1.5; Brockwell & Davis 2002, *Introduction to
    Time Series and Forecasting*, 2nd ed., section 6.4). :meth:`loglik` returns ``n``
    terms: the first ``d`` are **0** (the conditioning observations), then ARMA's
    prediction-error terms of :math:`w`; :meth:`score` and per-observation Hessians have
    zero rows there. It equals statsmodels' ``SARIMAX(..., simple_differencing=True)``
    log-likelihood (to about 1e-11 relative, the tolerance of its Kalman filter; tests).

    R's ``arima(order = c(p, d, q))`` instead keeps the ``d`` unit roots in the state and
    gives them a diffuse prior; its log-likelihood is that of the differences too, up to
    a different treatment of the first ``d`` observations, so its ``loglik`` and
    estimates are close to but not identical with these (not compared here).

    **Information** (:meth:`fisher`): the information of the ``n - d`` differences,
    i.e. of the ``n`` observations conditional on the first ``d``: ``n=None`` gives ARMA's
    asymptotic information per observation of the differenced series, ``n=N`` ARMA's
    exact information of ``N - d`` consecutive differences.

    **Fit.** ARMA's exact MLE of the differenced series.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.models import ARIMA
    >>> m = ARIMA(1, 1, 1)
    >>> m, m.param_names
    (ARIMA(p=1, d=1, q=1, mean=False), ('phi1', 'theta1', 'sigma2'))
    >>> y = m.sample([0.5, 0.3, 1.0], 200, rng=0)
    >>> ll = m.loglik([0.5, 0.3, 1.0], y)
    >>> ll.shape, float(ll[0])  # n terms, the first d = 1 is the conditioning one
    ((200,), 0.0)
    >>> from fisherstat.models import ARMA
    >>> bool(np.isclose(ll.sum(), ARMA(1, 1).loglik([0.5, 0.3, 1.0], np.diff(y)).sum()))
    True
    """

    has_analytic_fisher = True
    #: Context keys :meth:`fisher` accepts (``n``: exact information of ``n`` observations
    #: conditional on the first ``d``), for :func:`fisherstat.fisher` to pass through.
    fisher_context = ("n",)

    def __init__(self, p: int, d: int, q: int, mean: bool = False):
        self._arma = ARMA(p, q, mean=mean)
        self.p, self.q, self.mean = self._arma.p, self._arma.q, self._arma.mean
        self.d = check_int(d, "d", low=0)
        super().__init__(self._arma.param_names,
                         list(zip(self._arma.lower, self._arma.upper, strict=True)))

    @property
    def n_conditioning(self) -> int:
        """``d``: the first ``d`` observations are conditioned on (zero log-likelihood
        terms, not counted in ``nobs``, as statsmodels' ``simple_differencing=True``).

        Examples
        --------
        >>> from fisherstat.models import ARIMA
        >>> ARIMA(1, 2, 0).n_conditioning
        2
        """
        return self.d

    def __repr__(self) -> str:
        return f"ARIMA(p={self.p}, d={self.d}, q={self.q}, mean={self.mean})"

    # ---------------------------------------------------------------- parameters
    def _check_theta(self, theta):
        self._arma._check_theta(theta)

    def _example_theta(self):
        return self._arma._example_theta()

    def random_theta(self, rng=None) -> np.ndarray:
        """ARMA's draw (:meth:`fisherstat.models.arma.ARMA.random_theta`): stationary and
        invertible, every root outside the circle of radius 1/0.9.

        Examples
        --------
        >>> from fisherstat.models import ARIMA
        >>> ARIMA(2, 1, 1, mean=True).random_theta(0).shape
        (5,)
        """
        return self.validate(self._arma.random_theta(check_random_state(rng)))

    def singularities(self, theta) -> list[Singularity]:
        """ARMA's (common AR/MA roots, AR and MA unit roots of the differenced series; see
        :meth:`fisherstat.models.arma.ARMA.singularities`).

        Examples
        --------
        >>> from fisherstat.models import ARIMA
        >>> [s.name for s in ARIMA(1, 1, 0).singularities([0.5, 1.0])]
        ['AR unit root']
        """
        return self._arma.singularities(self.validate(theta))

    # ------------------------------------------------------------- likelihood
    def _check_data(self, data):
        data = self._arma._check_data(data)
        if data.shape[0] <= self.d:
            raise ValueError(f"data must have more than d = {self.d} observations (the first "
                             f"d condition the differences), got {data.shape[0]}")
        return data

    def _padded(self, terms):
        """``terms`` of the ``n - d`` differences preceded by ``d`` zero rows."""
        return np.concatenate([np.zeros((self.d,) + terms.shape[1:]), terms])

    def _loglik(self, theta, data, x):
        return self._padded(self._arma._loglik(theta, np.diff(data, self.d), None))

    def _score(self, theta, data, x):
        return self._padded(self._arma._score(theta, np.diff(data, self.d), None))

    def _hessian(self, theta, data, x):
        return self._padded(self._arma._hessian(theta, np.diff(data, self.d), None))

    @property
    def has_analytic_hessian(self) -> bool:
        """False: ARMA's Hessian is a Richardson difference of its exact score."""
        return self._arma.has_analytic_hessian

    # ------------------------------------------------------------- information
    def fisher(self, theta, n: int | None = None) -> np.ndarray:
        """Fisher information of the differenced series (ARMA's, see :meth:`ARMA.fisher
        <fisherstat.models.arma.ARMA.fisher>`).

        Parameters
        ----------
        theta : array_like
        n : int, optional
            ``None`` (default): ARMA's asymptotic information *per observation* of the
            differenced series. An integer ``N >= d + 1``: the exact information of ``N``
            observations conditional on the first ``d``, i.e. ARMA's exact information of
            the ``N - d`` differences (not divided by ``N``).

        Returns
        -------
        ndarray, shape (p, p)

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import ARIMA, ARMA
        >>> theta = [0.5, 1.0]
        >>> bool(np.array_equal(ARIMA(1, 2, 0).fisher(theta, n=100),
        ...                     ARMA(1, 0).fisher(theta, n=98)))
        True
        """
        theta = self.validate(theta)
        if n is None:
            return self._arma._fisher(theta)
        n = check_int(n, "n", low=self.d + 1)
        return self._arma._fisher_exact(theta, n - self.d)

    # ---------------------------------------------------------------- sampling
    def _sample(self, theta, n, rng, x):
        if n <= self.d:
            raise ValueError(f"n must be an integer >= d + 1 = {self.d + 1} (at least one "
                             f"difference), got {n}")
        u = self._arma.sample_paths(theta, n, 1, rng)[0]
        for _ in range(self.d):  # (1 - B)^d y_t = u_t, t = 1..n, with y_t = 0 for t <= 0
            u = np.cumsum(u)
        return u

    def sample(self, theta, n: int, rng=None, x=None):
        """``n`` levels whose ``d``-th difference is a stationary ARMA(p, q) series.

        ``n`` stationary ARMA values :math:`u_1..u_n` are integrated ``d`` times from
        zero levels before the sample: :math:`(1-B)^d y_t = u_t` for ``t = 1..n`` with
        :math:`y_t = 0` for ``t <= 0`` (``y = cumsum(u)`` for ``d = 1``), so
        ``diff(y, d)`` equals :math:`u_{d+1}..u_n`. ``n >= d + 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import ARIMA, ARMA
        >>> y = ARIMA(1, 1, 0).sample([0.5, 1.0], 5, rng=0)
        >>> u = ARMA(1, 0).sample([0.5, 1.0], 5, rng=0)
        >>> bool(np.allclose(y, np.cumsum(u)) and np.allclose(np.diff(y), u[1:]))
        True
        """
        return super().sample(theta, n, rng=rng, x=x)

    # --------------------------------------------------------------------- fit
    def _fit(self, data, x, start):
        n, k = data.shape[0], self.n_params
        if n <= self.d + k:
            raise FitError(f"{self!r} fit needs n > d + n_params = {self.d + k} observations "
                           f"(at least n_params + 1 differences), got n = {n}")
        return self._arma._fit(np.diff(data, self.d), None, start)
