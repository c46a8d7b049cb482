r"""Nonlinear regression with Gaussian errors whose variance may depend on the mean.

The model of one observation at covariate :math:`x` is

.. math::

    y = f(x, \beta) + \varepsilon, \qquad \varepsilon \sim N\big(0, v(f(x, \beta), \eta)\big),

with parameter vector :math:`\theta = (\beta, \eta)`: the mean parameters followed by the
error parameters. The variance is written in **PopED's variance convention** (the error
parameters are *variances*, Nyberg et al. 2012):

==================  =====================================  ==============================
``error``           variance :math:`v`                     error parameters :math:`\eta`
==================  =====================================  ==============================
``'additive'``      :math:`\sigma^2`                       ``sigma2``
``'proportional'``  :math:`\sigma^2_p f^2`                 ``sigma2_prop``
``'combined'``      :math:`\sigma^2_a + \sigma^2_p f^2`    ``sigma2_add``, ``sigma2_prop``
==================  =====================================  ==============================

The error models are the :class:`~fisherstat.models.errors.ResidualError` objects shared with
the population models (:mod:`fisherstat.models.errors`); ``error=`` takes one of the names of
:data:`ERROR_MODELS` or any such object, e.g. PFIM's standard-deviation convention
``Combined(a, b, convention='sd')`` (its values are unused; ``theta`` carries them).

The information of one observation at :math:`x` (a Gaussian with parametrised mean and
variance) is

.. math::

    M(x, \theta) = \frac{1}{v} \nabla f \nabla f^T + \frac{1}{2 v^2} \nabla v \nabla v^T
                 = F F^T, \qquad F = \Big[\frac{\nabla f}{\sqrt v},\
                   \frac{\nabla v}{\sqrt2\, v}\Big],

with gradients over the full :math:`\theta` (:math:`\nabla f = (\partial f/\partial\beta, 0)`,
:math:`\nabla v = (\partial v/\partial f\ \partial f / \partial\beta,\
\partial v/\partial\eta)`); this is the scalar case of the Gaussian information
:math:`\mu_i^T \Sigma^{-1} \mu_j + \tfrac12 \operatorname{tr}(\Sigma^{-1}\Sigma_i
\Sigma^{-1}\Sigma_j)` (Kay 1993, *Fundamentals of Statistical Signal Processing:
Estimation Theory*, eq. 3.31), the individual information with a mean-dependent variance
of Retout & Mentré (2003, *J. Biopharm. Stat.* 13, 209-227).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from .. import _numdiff
from .._optimize import maximize
from .._validation import as_float_array, check_choice, readonly, validate_theta
from ..exceptions import FitError
from .base import RegressionModel
from .errors import Additive, Combined, Proportional, ResidualError

__all__ = [
    "ERROR_MODELS",
    "NonlinearRegression",
]

_POS = (0.0, np.inf)
_FREE = (-np.inf, np.inf)
_LOG_2PI = np.log(2 * np.pi)


# ------------------------------------------------------------------ error models
#: The residual-variance models by name (PopED's variance convention), as
#: :class:`~fisherstat.models.errors.ResidualError` templates: their parameter names are
#: those of the model, their values are unused (the model's ``theta`` carries them).
ERROR_MODELS = {
    "additive": Additive(1.0, name="sigma2"),
    "proportional": Proportional(1.0, name="sigma2_prop"),
    "combined": Combined(1.0, 1.0, names=("sigma2_add", "sigma2_prop")),
}


# --------------------------------------------------------------- the model class
class NonlinearRegression(RegressionModel):
    r"""Nonlinear regression :math:`y_i = f(x_i, \beta) + \varepsilon_i`, Gaussian errors.

    Parameters
    ----------
    mean : callable
        ``mean(x, beta)`` returning the (n,) mean at the rows of ``x``, vectorised over rows.
    jacobian : callable, optional
        ``jacobian(x, beta)`` returning the (n, p_beta) matrix ``d f(x_i) / d beta_j``.
        Without it the Jacobian is computed by Richardson-extrapolated central differences
        that stay inside the ``beta`` bounds (:func:`fisherstat._numdiff.jacobian`).
    error : {'additive', 'proportional', 'combined'} or ResidualError
        Residual-variance model: a name (PopED's variance convention, see Notes) or a
        :class:`~fisherstat.models.errors.ResidualError` (any convention; its parameter
        names are appended to ``param_names``, its values are not used).
    param_names : sequence of str
        Names of the mean parameters ``beta``; the error parameters' names are appended.
    bounds : sequence of (float, float), optional
        Open interval of each mean parameter (default: the real line). Error parameters
        are variances, bounded by ``(0, inf)``.
    example_theta : array_like, optional
        A typical full parameter ``(beta..., error parameters...)``.
    example_x : array_like, optional
        Typical covariates.

    Notes
    -----
    Parameters :math:`\theta = (\beta, \eta)`. Variance models (PopED's convention: the
    error parameters are variances; Nyberg et al. 2012, *Comput. Methods Programs Biomed.*
    108, 789-805):

    .. math::

        v = \sigma^2 \ (\texttt{additive}), \qquad
        v = \sigma^2_{prop} f^2 \ (\texttt{proportional}), \qquad
        v = \sigma^2_{add} + \sigma^2_{prop} f^2 \ (\texttt{combined}).

    Log-likelihood and score of one observation, :math:`r = y - f`:

    .. math::

        \ell = -\tfrac12 \log(2\pi v) - \frac{r^2}{2v}, \qquad
        s = \frac{r}{v} \nabla f + \frac{r^2/v - 1}{2v} \nabla v,

    information :math:`M = \frac1v \nabla f \nabla f^T + \frac{1}{2v^2}\nabla v \nabla v^T
    = F F^T` with the two-column factor :math:`F = [\nabla f / \sqrt v,\
    \nabla v / (\sqrt 2 v)]` (Kay 1993, eq. 3.31; Retout & Mentré 2003, *J. Biopharm.
    Stat.* 13, 209-227). With additive error it is block diagonal,
    :math:`\operatorname{diag}(J^T J / \sigma^2, n / (2\sigma^4))` for a design of ``n``
    points (Seber & Wild 1989, *Nonlinear Regression*, Wiley, chapter 2). The Hessian is the
    numeric Jacobian of the analytic score.

    Fitting: with additive error the MLE of ``beta`` is the least-squares estimate
    (``scipy.optimize.least_squares`` with the Jacobian, from ``start``'s ``beta``), and
    :math:`\hat\sigma^2 = RSS / n`. Otherwise the full log-likelihood is maximised from
    ``start``, or, without ``start``, from the least-squares ``beta`` and the error
    parameters regressed (non-negative least squares) from the squared residuals.
    ``start`` is a full parameter vector; it is required unless the model has a starting
    heuristic (the catalogue models do).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.NonlinearRegression(
    ...     lambda x, b: b[0] * np.exp(-b[1] * x),
    ...     lambda x, b: np.column_stack([np.exp(-b[1] * x), -b[0] * x * np.exp(-b[1] * x)]),
    ...     error="proportional", param_names=["A", "k"], bounds=[(0, np.inf), (0, np.inf)])
    >>> m.param_names
    ('A', 'k', 'sigma2_prop')
    >>> x = np.array([0.5, 1.0, 2.0, 4.0])
    >>> info = fs.fisher(m, [10.0, 0.5, 0.01], x=x)
    >>> np.round(info.standard_errors(), 4)  # of (A, k, sigma2_prop) from these 4 points
    array([0.8541, 0.0369, 0.0071])
    >>> y = m.sample([10.0, 0.5, 0.01], x=np.repeat(x, 500), rng=0)
    >>> np.round(m.fit(y, x=np.repeat(x, 500), start=[8.0, 0.4, 0.02]), 3)
    array([9.976, 0.5  , 0.01 ])
    """

    def __init__(
        self,
        mean: Callable,
        jacobian: Callable | None = None,
        error: str = "additive",
        *,
        param_names: Sequence[str],
        bounds: Sequence[tuple] | None = None,
        example_theta=None,
        example_x=None,
    ):
        if not callable(mean):
            raise TypeError(f"mean must be callable: mean(x, beta) -> (n,), got {mean!r}")
        if jacobian is not None and not callable(jacobian):
            raise TypeError(
                f"jacobian must be callable (jacobian(x, beta) -> (n, p_beta)) or None, "
                f"got {jacobian!r}"
            )
        if not isinstance(error, ResidualError):
            check_choice(error, "error", tuple(ERROR_MODELS), what="or a ResidualError")
        if isinstance(param_names, str) or not np.iterable(param_names):
            raise TypeError("param_names must be a sequence of str (the mean parameters), got "
                            f"{param_names!r}")
        beta_names = tuple(param_names)
        self.error = error
        #: The residual-error model (a :class:`~fisherstat.models.errors.ResidualError`).
        self.residual_error = res = error if isinstance(error, ResidualError) \
            else ERROR_MODELS[error]
        # the additive variance of PopED's convention has the closed-form MLE RSS / n
        self._rss_mle = isinstance(res, Additive) and res.convention == "variance"
        self.n_beta = len(beta_names)
        if self.n_beta == 0:
            raise TypeError("param_names must name at least one mean parameter")
        if bounds is None:
            bounds = [_FREE] * self.n_beta
        elif np.shape(bounds) != (self.n_beta, 2):
            raise ValueError(
                f"bounds must have shape ({self.n_beta}, 2) (one interval per mean "
                f"parameter), got {np.shape(bounds)}"
            )
        names = beta_names + res.param_names
        super().__init__(names, list(bounds) + [_POS] * len(res.param_names))
        self._mean_fn, self._jac_fn = mean, jacobian
        if example_theta is not None:
            example_theta = validate_theta(
                self, as_float_array(example_theta, "example_theta", shape=(self.n_params,)),
                "example_theta")
        if example_x is not None:
            example_x = as_float_array(example_x, "example_x", ndim=(1, 2))
        self._example_theta_value, self._example_x_value = example_theta, example_x
        self.covariate_names = None  # set by from_formula

    @classmethod
    def from_formula(cls, formula: str, data, *, missing: str = "raise", eval_env: int = 0,
                     **kwargs):
        r"""The model of a formula on a DataFrame, and the response and covariates it builds.

        The design for R's ``nls`` users: the formula's left-hand side is the response,
        its right-hand side **names the covariate columns** handed to ``mean(x, beta)``,
        in order; no intercept column is ever added (a constant is a parameter of
        ``mean``). With one covariate ``x`` is that column, shape (n,), as for NumPy
        users; with several it is (n, m), ``x[:, j]`` the ``j``-th term. Terms may be
        transforms (``np.log(income)``); categorical terms expand to their indicator
        columns as in any patsy formula. The parameter names are the user's
        ``param_names`` (plus the error parameters), as in the constructor; R's
        ``nls(foodexp ~ a * income^b, start = list(a = 1, b = 1))`` is
        ``from_formula("foodexp ~ income", df, mean=lambda x, b: b[0] * x ** b[1],
        param_names=["a", "b"])`` fitted with ``start=``.

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2"``: response and covariate columns (patsy's language).
        data : pandas.DataFrame or mapping of str to array
            The variables.
        missing : {"raise", "drop"}, default "raise"
            Rows with missing values in the formula's columns raise ``ValueError`` naming
            the columns, or with ``"drop"`` are dropped and counted in
            ``FormulaData.n_dropped``.
        eval_env : int, default 0
            Namespace of the formula's functions: 0 is the caller's (``np`` is numpy).
        **kwargs
            The constructor's arguments (``mean=``, ``jacobian=``, ``error=``,
            ``param_names=``, ``bounds=``, ... for :class:`NonlinearRegression`; those of
            a catalogue subclass, e.g. ``error=`` of :class:`~fisherstat.models.Emax`).

        Returns
        -------
        model : the model class
            Its ``covariate_names`` are the covariate columns.
        data : FormulaData
            ``data.y``, ``data.x`` (read-only float64; (n,) for one covariate),
            ``data.param_names`` (the covariate columns): fit with
            ``fs.fit(model, data, start=...)``.

        Raises
        ------
        ValueError
            A formula name that is not a column of ``data`` (named in the message), missing
            values with ``missing="raise"``, a formula without covariates.

        Notes
        -----
        With additive error the MLE is the least-squares :math:`\hat\beta` and
        :math:`\hat\sigma^2 = RSS/n`, so the expected information's covariance of
        :math:`\hat\beta`, :math:`\hat\sigma^2 (J^T J)^{-1}`, is ``nls``' / ``curve_fit``'s
        :math:`s^2 (J^T J)^{-1}` (:math:`s^2 = RSS/(n-p)`) times :math:`(n-p)/n` (Bates &
        Watts 1988, *Nonlinear Regression Analysis and Its Applications*, Wiley, sec.
        2.3; the MLE's variance, not the unbiased one).

        Examples
        --------
        >>> import numpy as np
        >>> import statsmodels.api as sm
        >>> import fisherstat as fs
        >>> df = sm.datasets.engel.load_pandas().data  # Engel's food expenditure, n = 235
        >>> m, d = fs.models.NonlinearRegression.from_formula(
        ...     "foodexp ~ income", df, mean=lambda x, b: b[0] * x ** b[1],
        ...     param_names=["a", "b"], bounds=[(0, np.inf), (-5, 5)])
        >>> m.param_names, m.covariate_names, d.x.shape
        (('a', 'b', 'sigma2'), ('income',), (235,))
        >>> r = fs.fit(m, d, start=[1.0, 1.0, 1.0], cov_type="expected")
        >>> r.params[:2].round(4)
        array([2.751 , 0.7906])
        """
        from .._validation import check_int
        from .formula import check_formula, design_from_formula

        eval_env = check_int(eval_env, "eval_env", low=0)
        lhs, rhs = check_formula(formula)
        if not rhs.strip():
            raise ValueError(f"formula {formula!r} names no covariate column on the right")
        fd = design_from_formula(f"{lhs}~ ({rhs}) - 1", data, missing=missing,
                                 eval_env=eval_env + 1)
        if fd.k == 0:
            raise ValueError(f"formula {formula!r} names no covariate column on the right")
        x = fd.x[:, 0] if fd.k == 1 else fd.x
        fd = dataclasses.replace(fd, formula=formula, x=readonly(np.ascontiguousarray(x)))
        model = cls(**kwargs)
        #: The covariate columns of a model built by :meth:`from_formula` (else ``None``).
        model.covariate_names = fd.param_names
        return model, fd

    # ------------------------------------------------------------ examples
    def _example_theta(self):
        if self._example_theta_value is None:
            raise NotImplementedError("pass example_theta= to NonlinearRegression")
        return self._example_theta_value

    def _example_x(self):
        if self._example_x_value is None:
            raise NotImplementedError("pass example_x= to NonlinearRegression")
        return self._example_x_value

    @property
    def mean_param_names(self) -> tuple[str, ...]:
        """The mean parameters ``beta`` (the error parameters follow them in ``theta``).

        Examples
        --------
        >>> import fisherstat as fs
        >>> fs.models.Emax(error="combined").mean_param_names
        ('E0', 'Emax', 'ED50')
        """
        return self.param_names[: self.n_beta]

    # ---------------------------------------------------------- mean, variance
    def _eval_mean(self, x, beta):
        f = np.asarray(self._mean_fn(x, beta), dtype=float)
        if f.shape != (x.shape[0],):
            raise ValueError(
                f"mean(x, beta) must return shape ({x.shape[0]},) (one value per row of x), "
                f"got {f.shape}"
            )
        return f

    def _eval_jacobian(self, x, beta):
        pb = self.n_beta
        if self._jac_fn is None:
            return _numdiff.jacobian(lambda b: self._eval_mean(x, b), beta,
                                     self.lower[:pb], self.upper[:pb])
        J = np.asarray(self._jac_fn(x, beta), dtype=float)
        if J.shape != (x.shape[0], pb):
            raise ValueError(
                f"jacobian(x, beta) must return shape ({x.shape[0]}, {pb}), got {J.shape}"
            )
        return J

    def _mean_var(self, theta, x, *, check=True):
        """Mean ``f`` (n,), variance ``v`` (n,), ``dv/df`` (n,) and ``dv/deta`` (n, q)."""
        beta, eta = theta[: self.n_beta], theta[self.n_beta :]
        f = self._eval_mean(x, beta)
        v, dv_df, dv_deta = self.residual_error.variance(f, eta, validate=False)
        if check:
            bad = ~np.isfinite(f)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"mean(x, beta) is not finite at row {i} of x: {f[i]} (theta = "
                                 f"{theta.tolist()}); theta must be within the range where the "
                                 "mean can be evaluated")
            bad = ~(v > 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"the residual variance must be > 0 at every row of x; with "
                    f"error={self.error!r} it is {v[i]!r} at row {i} of x (f = {f[i]!r})"
                )
        return f, v, dv_df, dv_deta

    def _gradients(self, theta, x, *, check=True):
        """``f``, ``v`` and the full-theta gradients ``grad f``, ``grad v``, each (n, p)."""
        f, v, dv_df, dv_deta = self._mean_var(theta, x, check=check)
        J = self._eval_jacobian(x, theta[: self.n_beta])
        grad_f = np.hstack([J, np.zeros_like(dv_deta)])
        grad_v = np.hstack([dv_df[:, None] * J, dv_deta])
        return f, v, grad_f, grad_v

    def predict(self, theta, x) -> np.ndarray:
        """Mean response ``f(x_i, beta)`` at the rows of ``x``, shape (n,).

        Examples
        --------
        >>> import fisherstat as fs
        >>> fs.models.Emax().predict([0.0, 1.0, 10.0, 0.5], [0.0, 10.0, 90.0])
        array([0. , 0.5, 0.9])
        """
        theta, x = self.validate(theta), self.check_x(x)
        return self._mean_var(theta, x)[0]

    def variance(self, theta, x) -> np.ndarray:
        """Residual variance ``v(f(x_i, beta), eta)`` at the rows of ``x``, shape (n,).

        Examples
        --------
        >>> import fisherstat as fs
        >>> m = fs.models.Emax(error="combined")
        >>> m.variance([0.0, 1.0, 10.0, 0.1, 0.04], [10.0, 90.0])
        array([0.11  , 0.1324])
        """
        theta, x = self.validate(theta), self.check_x(x)
        return self._mean_var(theta, x)[1]

    def mean_jacobian(self, theta, x) -> np.ndarray:
        """Jacobian ``d f(x_i, beta) / d beta_j`` of the mean, shape (n, p_beta).

        Examples
        --------
        >>> import fisherstat as fs
        >>> fs.models.MichaelisMenten().mean_jacobian([2.0, 1.0, 0.1], [1.0, 3.0])
        array([[ 0.5  , -0.5  ],
               [ 0.75 , -0.375]])
        """
        theta, x = self.validate(theta), self.check_x(x)
        return self._eval_jacobian(x, theta[: self.n_beta])

    # ------------------------------------------------------------- likelihood
    def _loglik(self, theta, data, x, *, check=True):
        f, v, _, _ = self._mean_var(theta, x, check=check)
        r = data - f
        return -0.5 * (_LOG_2PI + np.log(v) + r * r / v)

    def _score(self, theta, data, x, *, check=True):
        f, v, grad_f, grad_v = self._gradients(theta, x, check=check)
        r = data - f
        return grad_f * (r / v)[:, None] + grad_v * ((r * r / v - 1) / (2 * v))[:, None]

    def _hessian(self, theta, data, x):
        # Product rule on the score, with only the (noise-free) gradients of f and v
        # differenced: with r = y - f and subscripts a, b for d/dtheta,
        #   l_ab = -f_a f_b / v - r (f_a v_b + v_a f_b) / v^2 + r f_ab / v
        #          + v_a v_b (1 / (2 v^2) - r^2 / v^3) + (r^2 / v^2 - 1 / v) v_ab / 2.
        # Differencing the score itself instead mixes the size of r (the noise) with the
        # step of beta, and loses relative accuracy as sigma2 -> 0 or inf.
        f, v, gf, gv = self._gradients(theta, x)
        n, p = gf.shape

        def grads(t):
            _, _, a, b = self._gradients(t, x, check=False)
            return np.stack([a, b])

        D = _numdiff.jacobian(grads, theta, self.lower, self.upper)  # (2, n, p, p)
        D = 0.5 * (D + np.swapaxes(D, -1, -2))
        r = (data - f)[:, None, None]
        v3 = v[:, None, None]
        fa, va = gf[:, :, None], gv[:, :, None]
        fb, vb = gf[:, None, :], gv[:, None, :]
        return (-fa * fb / v3 - r * (fa * vb + va * fb) / v3**2 + r * D[0] / v3
                + va * vb * (0.5 / v3**2 - r * r / v3**3) + 0.5 * (r * r / v3 - 1.0) / v3 * D[1])

    @property
    def has_analytic_hessian(self) -> bool:
        """False: the second derivatives of the mean and variance are differenced."""
        return False

    def _point_factor(self, theta, x):
        _, v, grad_f, grad_v = self._gradients(theta, x)
        return np.stack(
            [grad_f / np.sqrt(v)[:, None], grad_v / (np.sqrt(2.0) * v)[:, None]], axis=-1
        )

    def _sample(self, theta, n, rng, x):
        f, v, _, _ = self._mean_var(theta, x)
        return f + np.sqrt(v) * rng.standard_normal(n)

    # -------------------------------------------------------------------- fit
    def _start_beta(self, y, x):
        """Starting value of ``beta`` for fits without ``start`` (subclass heuristic)."""
        raise ValueError(
            f"start is required to fit {type(self).__name__} (no default starting value): "
            f"pass start=(beta..., error parameters...) of length {self.n_params}"
        )

    def _fit(self, data, x, start):
        pb = self.n_beta
        if data.shape[0] <= pb:
            raise FitError(
                f"need more observations ({data.shape[0]}) than mean parameters ({pb})"
            )
        if start is not None and not self._rss_mle:
            return self._fit_mle(data, x, start)
        beta0 = self._start_beta(data, x) if start is None else start[:pb]
        beta = self._least_squares(data, x, np.asarray(beta0, dtype=float))
        f = self._eval_mean(x, beta)
        r2 = (data - f) ** 2
        if self._rss_mle:
            s2 = r2.mean()
            if not s2 > 0:
                raise FitError("the mean fits the data exactly (RSS = 0): the MLE of sigma2 "
                               "is 0, on the boundary")
            return np.append(beta, s2)
        return self._fit_mle(data, x, np.concatenate([beta, self._error_start(f, r2)]))

    def _least_squares(self, y, x, beta0):
        """Least-squares ``beta`` (the additive-error MLE), strictly inside the bounds."""
        pb = self.n_beta
        lo, hi = self.lower[:pb], self.upper[:pb]
        if not np.all((beta0 > lo) & (beta0 < hi)):
            raise FitError(f"starting beta {beta0} is outside the bounds of the mean parameters")
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(self._eval_mean(x, beta0))):
                raise FitError(f"mean(x, beta) is not finite at the starting beta {beta0}")
            res = optimize.least_squares(
                lambda b: self._eval_mean(x, b) - y, beta0,
                jac=lambda b: self._eval_jacobian(x, b), bounds=(lo, hi), method="trf",
                x_scale="jac", ftol=1e-14, xtol=1e-14, gtol=1e-14, max_nfev=1000 * pb,
            )
        beta = res.x
        if not res.success or not np.all(np.isfinite(beta)):
            raise FitError(f"least-squares fit of the mean did not converge: {res.message}")
        out = ~((beta > lo) & (beta < hi))
        if out.any():
            j = int(np.flatnonzero(out)[0])
            raise FitError(
                f"least-squares fit reached the boundary of {self.param_names[j]} "
                f"({beta[j]!r} not in ({lo[j]:g}, {hi[j]:g})): the MLE does not exist inside "
                f"the parameter space"
            )
        return beta

    def _error_start(self, f, r2):
        """Error parameters from squared residuals: NNLS of ``r^2`` on ``dv/deta``."""
        q = len(self.residual_error.param_names)
        D = self.residual_error.variance(f, np.ones(q), validate=False)[2]
        scale = D.mean(axis=0)
        if not np.all(scale > 0):
            raise FitError("cannot start the error parameters: the variance does not depend "
                           "on them at these covariates (e.g. f = 0 with proportional error)")
        eta = optimize.nnls(D / scale, r2)[0] / scale
        floor = 1e-3 * r2.mean() / scale
        return np.maximum(eta, np.where(floor > 0, floor, 1e-8))

    def _fit_mle(self, y, x, theta0):
        def ll(t):  # maximize() evaluates it under np.errstate(all="ignore")
            terms = self._loglik(t, y, x, check=False)
            return float(terms.sum()) if np.all(np.isfinite(terms)) else -np.inf

        def grad(t):
            return self._score(t, y, x, check=False).sum(axis=0)

        return maximize(ll, theta0, self.lower, self.upper, gradient=grad)
