r"""Regression with Gaussian ARMA(p, q) errors (ARMAX): exact likelihood and information.

.. math::

    y_t = x_t^T\beta + u_t, \qquad \phi(B) u_t = \theta(B) e_t, \qquad
    e_t \overset{iid}{\sim} N(0, \sigma^2),

the model of R's ``arima(xreg=)`` and statsmodels' ``SARIMAX(exog=, trend="n")``, with
:class:`~fisherstat.models.arma.ARMA`'s sign convention and parameters
``(beta_1..beta_k, phi1..phip, theta1..thetaq, sigma2)`` (statsmodels' order).
"""

from __future__ import annotations

import numpy as np

from .. import _numdiff
from .._validation import as_float_array, check_int, check_names, check_random_state
from ..exceptions import FitError
from ._arma_filters import _innovations, _polys, _signal
from .arma import ARMA
from .base import Model, Singularity

__all__ = ["ARMAX"]

def _check_consecutive(fd, data) -> None:
    """Refuse a series from which :func:`design_from_formula` dropped inner rows."""
    import pandas as pd

    n = fd.n_obs + fd.n_dropped
    rows = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    if not rows.is_unique:
        raise ValueError("data must have a unique index to drop rows of a time series "
                         "(missing='drop')")
    kept = rows.get_indexer(fd.index)
    if kept.size == 0 or kept[-1] - kept[0] != kept.size - 1:
        gaps = np.setdiff1d(np.arange(kept.min(initial=0), kept.max(initial=0) + 1), kept)
        raise ValueError(
            f"data has missing values inside the series (row(s) {list(rows[gaps][:5])}"
            f"{', ...' if gaps.size > 5 else ''}): a time series cannot skip observations, "
            "so the rows dropped (missing='drop') must be at its start or end; fill or "
            "interpolate the inner ones"
        )


#: failures of one replicate that a batch hook reports as NaN (those of Model's batch hooks)
_BATCH_ERRORS = (FitError, ValueError, ArithmeticError, np.linalg.LinAlgError)


class ARMAX(Model):
    r"""Linear regression with stationary, invertible Gaussian ARMA(p, q) errors.

    :math:`y = X\beta + u`, :math:`u` a zero-mean ARMA(p, q) series (see
    :class:`~fisherstat.models.arma.ARMA` for the convention). Data: ONE series ``y`` of
    shape (n,) and its regressors ``x`` of shape (n, k), passed as ``x=``. Include a
    column of ones in ``x`` for an intercept (``trend="c"`` of statsmodels is that column).

    Parameters
    ----------
    p, q : int
        AR and MA orders of the errors (``>= 0``).
    k : int
        Number of regressors (columns of ``x``, ``>= 1``).
    exog_names : sequence of str, optional
        Names of the regression coefficients (default ``beta1..betak``).

    Notes
    -----
    **Exact likelihood.** :math:`y \sim N(X\beta, G)`, :math:`G` the ARMA autocovariance
    matrix, so :math:`\log p(y) = \log p_{\mathrm{ARMA}}(y - X\beta)`: the
    prediction-error terms of :class:`~fisherstat.models.arma.ARMA` of the residual
    series (Brockwell & Davis 2002, *Introduction to Time Series and Forecasting*, 2nd
    ed., section 6.6). The innovations are linear in the series, so the score of
    :math:`\beta` is :math:`\partial\ell_t/\partial\beta = \epsilon_t E_t / v_t` with
    :math:`E_t` the innovations of the columns of ``X`` (analytic); the ARMA parameters'
    score is ARMA's exact (complex-step) score of the residuals.

    **Exact information of the n observations** (``fisher(theta, x=X)``). For
    :math:`y \sim N(X\beta, G(\psi))` the information is block diagonal,

    .. math::

        I_{\beta\beta} = X^T G^{-1} X = \sum_t E_t E_t^T / v_t, \qquad
        I_{\beta\psi} = 0, \qquad
        I_{\psi\psi} = \tfrac12\operatorname{tr}(G^{-1}G_a G^{-1}G_b),

    (Gaussian mean/covariance orthogonality, e.g. Porat & Friedlander 1986, IEEE Trans.
    ASSP 34, 118-130; Brockwell & Davis 2002, section 6.6, for the GLS covariance
    :math:`\sigma^2 (X^T\Gamma^{-1}X)^{-1}` of :math:`\hat\beta`). :math:`X^TG^{-1}X` is
    computed from the prediction-error (innovations) factorisation of :math:`G`, without
    an ``n x n`` matrix; :math:`I_{\psi\psi}` is ARMA's exact information of ``n``
    observations. White-noise errors (``p = q = 0``): :math:`I_{\beta\beta} =
    X^TX/\sigma^2`.

    **Fit.** Exact MLE: given the ARMA coefficients, :math:`\beta` is the GLS estimate and
    :math:`\sigma^2` the mean squared standardised innovation; the profile likelihood is
    maximised with ARMA's optimiser (same reparametrisation, starts from the OLS
    residuals).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.models.armax import ARMAX
    >>> m = ARMAX(1, 0, k=2, exog_names=["const", "x"])
    >>> m.param_names
    ('const', 'x', 'phi1', 'sigma2')
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> bool(np.allclose(ARMAX(0, 0, k=2).fisher([1.0, 2.0, 4.0], x=X)[:2, :2], X.T @ X / 4))
    True
    """

    has_analytic_fisher = True
    #: Context keys :meth:`fisher` accepts (``x``: the regressors of the observed series).
    fisher_context = ("x", "exact")

    def __init__(self, p: int, q: int, k: int, exog_names=None):
        self._arma = ARMA(p, q)
        self.p, self.q = self._arma.p, self._arma.q
        self.k = check_int(k, "k", low=1)
        if exog_names is None:
            exog_names = tuple(f"beta{i}" for i in range(1, self.k + 1))
        exog_names = check_names(exog_names, "exog_names", n=self.k)
        clash = set(exog_names) & set(self._arma.param_names)
        if clash:
            raise ValueError(f"exog_names must differ from the ARMA parameter names, got "
                             f"{sorted(clash)}")
        names = exog_names + self._arma.param_names
        bounds = [(-np.inf, np.inf)] * self.k + list(zip(self._arma.lower, self._arma.upper,
                                                         strict=True))
        super().__init__(names, bounds)

    def __repr__(self) -> str:
        return f"ARMAX(p={self.p}, q={self.q}, k={self.k})"

    @classmethod
    def from_formula(cls, formula: str, data, p: int, q: int, *, missing: str = "raise",
                     eval_env: int = 0):
        """The ARMAX(p, q) of a formula on a DataFrame, and the series and regressors it builds.

        R's ``arima(y, order = c(p, 0, q), xreg = ...)`` and statsmodels'
        ``SARIMAX(y, exog=X, order=(p, 0, q))`` with the regressors of a formula: ``k`` and
        the coefficient names come from the design-matrix columns (``"Intercept"`` unless
        the formula says ``- 1``; see :func:`~fisherstat.models.formula.design_from_formula`,
        which builds them). The rows are the consecutive observations of ONE series, in the
        order of ``data``.

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2"``: the series on the left, its regressors on the right.
        data : pandas.DataFrame or mapping of str to array
            The variables, one row per time point (a ``DatetimeIndex`` is kept as the
            ``FormulaData.index`` and printed by :func:`fisherstat.fit`).
        p, q : int
            AR and MA orders of the errors.
        missing : {"raise", "drop"}, default "raise"
            Rows with a missing value in the formula's columns raise ``ValueError``, or with
            ``"drop"`` are dropped and counted, but only at the start or the end of the
            series (e.g. the first rows of a lagged regressor): a series cannot skip
            observations, so a missing value inside it is a ``ValueError`` either way.
        eval_env : int, default 0
            Namespace of the formula's functions: 0 is the caller's (``np`` is numpy).

        Returns
        -------
        model : ARMAX
        data : FormulaData
            ``data.y`` the series, ``data.x`` its regressors: ``fisherstat.fit(model, data)``.

        Examples
        --------
        >>> import statsmodels.api as sm
        >>> import fisherstat as fs
        >>> md = sm.datasets.macrodata.load_pandas().data
        >>> m, d = fs.models.ARMAX.from_formula("infl ~ unemp + tbilrate", md, p=1, q=1)
        >>> m.param_names
        ('Intercept', 'unemp', 'tbilrate', 'phi1', 'theta1', 'sigma2')
        >>> fs.fit(m, d).params.round(3)  # statsmodels SARIMAX(exog=): 1.994, -0.293, ...
        array([ 1.994, -0.293,  0.698,  0.929, -0.672,  4.324])
        """
        from .formula import design_from_formula

        eval_env = check_int(eval_env, "eval_env", low=0)
        fd = design_from_formula(formula, data, missing=missing, eval_env=eval_env + 1)
        if fd.n_dropped:
            _check_consecutive(fd, data)
        return cls(p, q, k=fd.k, exog_names=fd.param_names), fd

    # ---------------------------------------------------------------- parameters
    def _check_theta(self, theta):
        self._arma._check_theta(theta[self.k:])

    def _example_theta(self):
        return np.concatenate([np.linspace(1.0, 0.5, self.k), self._arma._example_theta()])

    def random_theta(self, rng=None) -> np.ndarray:
        """Regression coefficients uniform on ``(-1, 1)``, then
        :meth:`fisherstat.models.arma.ARMA.random_theta` (stationary, invertible).

        Examples
        --------
        >>> from fisherstat.models.armax import ARMAX
        >>> ARMAX(2, 1, k=3).random_theta(0).shape
        (7,)
        """
        rng = check_random_state(rng)
        beta = rng.uniform(-1.0, 1.0, self.k)
        return self.validate(np.concatenate([beta, self._arma.random_theta(rng)]))

    def singularities(self, theta) -> list[Singularity]:
        """Those of the ARMA errors (common AR/MA roots, unit roots; see
        :meth:`fisherstat.models.arma.ARMA.singularities`); a rank-deficient ``x`` is
        refused by :meth:`fit`.

        Examples
        --------
        >>> from fisherstat.models.armax import ARMAX
        >>> [s.name for s in ARMAX(1, 0, k=1).singularities([0.0, 0.5, 1.0])]
        ['AR unit root']
        """
        theta = self.validate(theta)
        return self._arma.singularities(theta[self.k:])

    def check_data(self, data, x=None):
        """Validate the series and its regressors; returns float64 ``(y, X)``, X (n, k)."""
        y = as_float_array(data, "data", ndim=1)
        X = self._check_x(x, y.shape[0])
        return y, X

    def check_x(self, x) -> np.ndarray:
        """Validate regressors: a float64 array of shape (n, k), one row per observation.

        Examples
        --------
        >>> from fisherstat.models.armax import ARMAX
        >>> ARMAX(1, 0, k=1).check_x([1.0, 1.0, 1.0]).shape
        (3, 1)
        """
        return self._check_x(x)

    def _check_x(self, x, n=None):
        if x is None:
            raise TypeError(f"{self!r} needs the regressors x, shape (n, {self.k})")
        X = as_float_array(x, "x", ndim=(1, 2))
        if X.ndim == 1:
            X = X[:, None]
        if n is not None and X.shape != (n, self.k):
            raise ValueError(f"x must have shape (n, k) = ({n}, {self.k}) (one row per "
                             f"observation of data, {self.k} columns), got {X.shape}")
        if X.shape[1] != self.k or X.shape[0] < 1:
            raise ValueError(f"x must have shape (n, k) with n >= 1 and k = {self.k} "
                             f"columns, got {X.shape}")
        return X

    def example_x(self, n: int = 20) -> np.ndarray:
        r"""Typical regressors of a series of ``n`` observations (examples, CLI, tests).

        A column of ones (the intercept), then the cosines
        :math:`\cos(\pi j (t + 1/2) / n)`, ``j = 1 .. k - 1``, ``t = 0 .. n - 1`` (the
        DCT-II basis: orthogonal columns of equal norm, so ``x`` is well conditioned for
        any ``k <= n``).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.armax import ARMAX
        >>> X = ARMAX(1, 1, k=3).example_x(8)
        >>> X.shape, bool(np.allclose(X.T @ X, np.diag([8.0, 4.0, 4.0])))
        ((8, 3), True)
        """
        n = check_int(n, "n", low=self.k)
        t = (np.arange(n) + 0.5) / n
        return np.cos(np.pi * np.outer(t, np.arange(self.k)))

    # ------------------------------------------------------------- likelihood
    def _residuals(self, theta, y, X):
        return y - X @ theta[: self.k]

    def innovations(self, theta, data, x=None) -> tuple[np.ndarray, np.ndarray]:
        """One-step prediction errors and their variances of the residuals ``y - X beta``
        (see :meth:`fisherstat.models.arma.ARMA.innovations`).

        Examples
        --------
        >>> from fisherstat.models.armax import ARMAX
        >>> e, v = ARMAX(1, 0, k=1).innovations([2.0, 0.5, 1.0], [3.0, 6.0], x=[1.0, 2.0])
        >>> e  # residuals (1, 2): 1, then 2 - 0.5 * 1
        array([1. , 1.5])
        """
        theta = self.validate(theta)
        y, X = self.check_data(data, x)
        return self._arma.innovations(theta[self.k:], self._residuals(theta, y, X))

    def _loglik(self, theta, data, x):
        return self._arma._loglik(theta[self.k:], self._residuals(theta, data, x), None)

    def _beta_score(self, t, r, x):
        """Score of the coefficients ``eps_t E_t / v_t`` (n, k) at the ARMA part ``t`` for
        the residuals ``r``."""
        _, phi, th, s2 = self._arma._split(t)
        e, w = _innovations(*_polys(phi, th), np.column_stack([r, x]))
        return e[:, :1] * e[:, 1:] / (s2 * w)[:, None]

    def _score(self, theta, data, x):
        k, t = self.k, theta[self.k:]
        r = self._residuals(theta, data, x)
        out = np.empty((data.shape[0], self.n_params))
        out[:, :k] = self._beta_score(t, r, x)
        out[:, k:] = self._arma._score(t, r, None)
        return out

    def _hessian(self, theta, data, x):
        # By blocks. beta: analytic -- the innovations are linear in y - X beta with
        # d eps_t / d beta = -E_t, so d^2 l_t / d beta^2 = -E_t E_t^T / v_t whatever y (the
        # mean's information). ARMA part: ARMA's Hessian of the residual series (Richardson
        # differences of its exact score inside the stationary/invertible region). Cross
        # block: Richardson differences of the (cheap, real) coefficient score over the
        # ARMA part, with the same step bounds; r = y - X beta does not depend on it.
        k, t = self.k, theta[self.k:]
        r = self._residuals(theta, data, x)
        n, p = data.shape[0], self.n_params
        H = np.empty((n, p, p))
        _, phi, th, s2 = self._arma._split(t)
        E, w = _innovations(*_polys(phi, th), x)
        H[:, :k, :k] = -E[:, :, None] * E[:, None, :] / (s2 * w)[:, None, None]
        H[:, k:, k:] = self._arma._hessian(t, r, None)
        C = _numdiff.jacobian(lambda u: self._beta_score(u, r, x), t,
                              *self._arma._step_bounds(t))  # (n, k, p - k)
        H[:, :k, k:] = C
        H[:, k:, :k] = np.swapaxes(C, 1, 2)
        return H

    @property
    def has_analytic_hessian(self) -> bool:
        """False: the Hessian is a Richardson difference of the exact score (but for the
        block of the regression coefficients, ``-E_t E_t^T / v_t``, analytic)."""
        return False

    # ------------------------------------------------------------- information
    def fisher(self, theta, x=None, exact: bool = True) -> np.ndarray:
        r"""Fisher information of the ``n`` observations with regressors ``x`` (n, k).

        Parameters
        ----------
        theta : array_like
        x : array_like, shape (n, k)
            The regressors of the series.
        exact : bool, default True
            ``True``: the exact information, block diagonal with ``X' G^-1 X`` for
            ``beta`` and ARMA's exact information of ``n`` observations for
            ``(phi, theta, sigma2)`` (Notes of :class:`ARMAX`). ``False``: its large-sample
            form, which drops the start-up terms: :math:`A^{\mathsf T}A/\sigma^2` for
            ``beta`` with :math:`A = (\phi(B)/	heta(B)) X` filtered from a zero
            pre-sample state (the information of the conditional, sum-of-squares
            likelihood; Box, Jenkins, Reinsel & Ljung 2015, *Time Series Analysis*, 5th
            ed., section 7.1.2) and ``n`` times ARMA's asymptotic information per
            observation for the rest. The two differ by a matrix that stays bounded as
            ``n`` grows (for regressors bounded in ``t``), so they agree to ``O(1/n)``
            relative.

        Returns
        -------
        ndarray, shape (p, p)
            Not divided by ``n``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.armax import ARMAX
        >>> X = np.ones((3, 1))  # a mean with AR(1) errors
        >>> I = ARMAX(1, 0, k=1).fisher([0.0, 0.5, 1.0], x=X)
        >>> round(float(I[0, 0]), 10)  # (1 - phi^2 + (n - 1)(1 - phi)^2) / sigma2
        1.25
        >>> A = ARMAX(1, 0, k=1).fisher([0.0, 0.5, 1.0], x=X, exact=False)
        >>> round(float(A[0, 0]), 10)  # 1 + (n - 1)(1 - phi)^2
        1.5
        """
        theta = self.validate(theta)
        if x is None:
            raise TypeError(f"{self!r}.fisher needs the regressors x (the information of a "
                            "regression with ARMA errors depends on them)")
        if not isinstance(exact, (bool, np.bool_)):
            raise TypeError(f"exact must be True or False, got {exact!r}")
        X = self.check_x(x)
        n, k = X.shape[0], self.k
        t = theta[k:]
        _, phi, th, s2 = self._arma._split(t)
        out = np.zeros((self.n_params, self.n_params))
        if exact:
            E, w = _innovations(*_polys(phi, th), X)
            out[:k, :k] = (E.T / (s2 * w)) @ E
            out[k:, k:] = self._arma._fisher_exact(t, n)
        else:
            A = _signal().lfilter(*_polys(phi, th), X, axis=0)
            out[:k, :k] = A.T @ A / s2
            out[k:, k:] = n * self._arma._fisher(t)
        return out

    # ---------------------------------------------------------------- sampling
    def sample(self, theta, n: int | None = None, rng=None, x=None):
        """A series ``X beta + u`` with stationary ARMA errors ``u`` at the rows of ``x``.

        ``n``, if given, must equal the number of rows of ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.armax import ARMAX
        >>> ARMAX(1, 1, k=1).sample([1.0, 0.5, 0.3, 1.0], x=np.ones(5), rng=0).shape
        (5,)
        """
        theta = self.validate(theta)
        if x is None:
            raise TypeError(f"{self!r}.sample needs the regressors x")
        X = self.check_x(x)
        if n is not None and check_int(n, "n", low=1) != X.shape[0]:
            raise ValueError(f"n must equal the number of rows of x ({X.shape[0]}), got {n}")
        u = self._arma.sample_paths(theta[self.k:], X.shape[0], 1, check_random_state(rng))[0]
        return X @ theta[: self.k] + u

    # ------------------------------------------------------------------ batches
    def _check_batch(self, data, x):
        data = as_float_array(data, "data", ndim=2)
        return data, self._check_x(x, data.shape[1])

    def _information_batch(self, theta, data, x):
        # one exact fisher/hessian/score per replicate (as Model's default, with x)
        c, p = theta.shape
        out = np.full((3, c, p, p), np.nan)
        parts = (lambda t, d: self.fisher(t, x=x), lambda t, d: -self.hessian(t, d, x=x),
                 lambda t, d: (lambda S: S.T @ S)(self.score(t, d, x=x)))
        for r in range(c):
            for j, f in enumerate(parts):
                try:
                    out[j, r] = f(theta[r], data[r])
                except _BATCH_ERRORS:
                    pass
        return out

    # --------------------------------------------------------------------- fit
    def _fit(self, data, x, start):
        n, d = data.shape[0], self.n_params
        if n < d + 1:
            raise FitError(f"{self!r} fit needs at least {d + 1} observations, got {n}")
        if np.linalg.matrix_rank(x) < self.k:
            raise FitError(f"x has rank {np.linalg.matrix_rank(x)} < k = {self.k}: the "
                             "regression coefficients are not identified")
        ols = np.linalg.lstsq(x, data, rcond=None)[0]
        resid = data - x @ ols
        if np.max(np.abs(resid)) <= 1e-12 * np.max(np.abs(data), initial=1.0):
            raise FitError("y is an exact linear combination of x: sigma2 has no "
                             "positive MLE")
        if start is not None:
            _, phi0, th0, _ = self._arma._split(start[self.k:])
            start = (phi0, th0)
        beta, phi, th, s2 = self._arma._fit_profile(data, x, start, resid)
        return np.concatenate([beta, phi, th, [s2]])
