r"""Regression families of generalized-linear type: linear, logistic, probit and Poisson.

All four models take the design matrix ``x`` exactly as statsmodels takes ``exog``: shape
(n, k), one row per observation, the intercept column (if any) added by the user; a 1-D
``x`` is one column. The linear predictor is :math:`\eta_i = x_i^T\beta`.

For the single-index families (logistic, probit, Poisson) with log-likelihood
:math:`\ell_i = \ell(\eta_i; y_i)` the score, Hessian and information of one observation are

.. math::

    s_i = \ell'(\eta_i; y_i)\, x_i, \qquad H_i = \ell''(\eta_i; y_i)\, x_i x_i^T, \qquad
    M(x_i) = w(\eta_i)\, x_i x_i^T, \quad w(\eta) = \frac{\mu'(\eta)^2}{V(\mu(\eta))},

with mean :math:`\mu`, variance function :math:`V` and the information weight :math:`w`
(McCullagh & Nelder, *Generalized Linear Models*, 2nd ed., 1989, section 2.5, the IRLS weights).
For canonical links (logit, log) :math:`\ell'' = -w` does not depend on :math:`y`, so observed
and expected information coincide; for the probit link they differ. The per-point factor is
:math:`F(x_i) = \sqrt{w(\eta_i)}\, x_i` (rank one), so :math:`M = F F^T` costs O(k p).

Fits are Newton-Raphson with step halving, vectorised over the observations (for the
canonical links Newton-Raphson is iteratively reweighted least squares). When it fails, a
linear program decides whether the maximum-likelihood estimate exists (separation in binary
models, Albert & Anderson 1984, *Biometrika* 71, 1-10; zeros that a direction of the
coefficients can push to minus infinity in Poisson models, Santos Silva & Tenreyro 2010,
*Economics Letters* 107, 310-312), so that :class:`~fisherstat.FitError` states the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg, optimize, special

from .._batch import gram, outer_rows, solve_pd, weighted_gram
from .._validation import EPS, check_int
from ..exceptions import FitError
from .base import RegressionModel

__all__ = ["LinearRegression", "LogisticRegression", "ProbitRegression", "PoissonRegression"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
#: The probit score and Hessian use the continued fraction below z = -4 (see _mills_tail).
_MILLS_CF_FROM = 4.0
_MAX_ITER = 100
_MAX_HALVINGS = 40
_STEP_TOL = 1e-10


def _coefficient_names(k, param_names) -> tuple[int, tuple[str, ...]]:
    """Validate ``k`` and the coefficient names (default ``beta_1 .. beta_k``)."""
    k = check_int(k, "k", low=1)
    if param_names is None:
        return k, tuple(f"beta_{j}" for j in range(1, k + 1))
    if isinstance(param_names, str):
        raise TypeError("param_names must be a sequence of str (one per column of x), got a str")
    if not np.iterable(param_names):
        raise TypeError("param_names must be a sequence of str (one per column of x), got "
                        f"{type(param_names).__name__}")
    names = tuple(param_names)
    if len(names) != k:
        raise ValueError(
            f"param_names must name the k = {k} coefficients (columns of x), got {names!r}"
        )
    return k, names


def _fmt(b: np.ndarray) -> list:
    """A direction rounded for error messages (no negative zeros)."""
    return (np.round(b, 4) + 0.0).tolist()


def _mills_tail(a):
    r"""``c(a) = phi(a) / Phi(-a) - a`` for ``a >= 4``, without cancellation.

    Laplace's continued fraction :math:`\Phi(-a)/\phi(a) = 1/(a + 1/(a + 2/(a + 3/(a +
    \dots))))` (Abramowitz & Stegun 26.2.14) gives :math:`c = 1/(a + 2/(a + 3/(a + \dots)))`,
    evaluated backwards from 50 terms: for ``a >= 4`` the truncation error is below 1e-16
    relative (40 terms already agree with 5000 to the last bit), and the recurrence has no
    cancellation. ``c ~ 1/a`` as ``a -> inf``: the inverse Mills ratio minus its argument.
    """
    t = np.zeros_like(a)
    for k in range(50, 1, -1):
        t = k / (a + t)
    return 1.0 / (a + t)


#: Stirling-series coefficients of stirlerr(n) = log n! - (n + 1/2) log n + n - log sqrt(2 pi)
_STIRLERR = (1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188)
#: Counts from which the Poisson log-pmf is evaluated in Loader's form (see poisson_logpmf).
_LOADER_FROM = 15.0


#: numpy's largest Poisson mean (``INT64_MAX - 10 sqrt(INT64_MAX)``, numpy.random._common).
POISSON_MEAN_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)


def check_poisson_mean(mu, what: str) -> None:
    """``ValueError`` naming ``what`` when a mean exceeds what numpy can sample (9.2e18)."""
    big = np.asarray(mu) > POISSON_MEAN_MAX
    if np.any(big):
        i = int(np.flatnonzero(big.ravel())[0])
        raise ValueError(
            f"cannot sample Poisson counts with {what} = {float(np.ravel(mu)[i]):.4g} "
            f"(entry {i}): numpy samples means up to {POISSON_MEAN_MAX:.4g} (counts must fit "
            "in int64); the log-likelihood, score and information remain available"
        )


def poisson_logpmf(y, mu, log_mu):
    r"""Poisson log-pmf :math:`y\log\mu - \mu - \log y!` without cancellation at large counts.

    For ``y >= 15`` it is Loader's (2000, "Fast and accurate computation of binomial
    probabilities") form :math:`-\operatorname{stirlerr}(y) - \operatorname{bd0}(y, \mu)
    - 	frac12\log(2\pi y)`, with the deviance term :math:`\operatorname{bd0}(y, \mu) =
    y\log(y/\mu) + \mu - y \ge 0` summed as a series in :math:`v = (y-\mu)/(y+\mu)` when
    :math:`|v| < 0.1` (ten terms: error below :math:`10^{-20}` relative) and the
    Stirling series of :math:`\operatorname{stirlerr}` to :math:`y^{-9}` (error below
    :math:`10^{-16}` for ``y >= 15``). The direct sum cancels terms of size
    :math:`y\log y` down to :math:`O(\log y)` (all accuracy lost at ``y ~ 1e20``). Below
    15 the direct sum (``log_mu`` times ``y`` and ``gammaln``) is exact enough and is kept.
    """
    y = np.asarray(y, dtype=float)
    out = special.xlogy(y, mu) if log_mu is None else y * log_mu
    out = out - mu - special.gammaln(y + 1.0)
    big = y >= _LOADER_FROM
    if np.any(big):
        yb, mb = np.broadcast_arrays(y, mu)
        yb, mb = yb[big], mb[big]
        lb = np.broadcast_to(np.log(mu) if log_mu is None else log_mu, y.shape)[big]
        r = 1.0 / yb
        r2 = r * r  # (not y^2, which overflows for y > 1e154)
        c = _STIRLERR
        stirlerr = (c[0] - (c[1] - (c[2] - (c[3] - c[4] * r2) * r2) * r2) * r2) * r
        d = yb - mb
        near = np.abs(d) < 0.1 * (yb + mb)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ratio = np.log(yb / mb)
            ratio = np.where(np.isfinite(ratio), ratio, np.log(yb) - lb)
            bd0 = np.where(near, 0.0, yb * ratio + mb - yb)
            v = np.where(near, d / (yb + mb), 0.0)
        s_ = d * v
        ej = 2.0 * yb * v
        v2 = v * v
        for j in range(1, 11):
            ej = ej * v2
            s_ = s_ + ej / (2 * j + 1)
        bd0 = np.where(near, s_, bd0)
        out = np.array(out, dtype=float)
        out[big] = -stirlerr - bd0 - 0.5 * np.log(2.0 * np.pi * yb)
    return out


def _example_coefficients(k: int) -> np.ndarray:
    """``(0.5, -1, 1/2, -1/3, ...)``: an intercept and alternating slopes."""
    j = np.arange(k)
    return np.where(j == 0, 0.5, (-1.0) ** j / np.maximum(j, 1))


class _LinearPredictorModel(RegressionModel):
    """Shared plumbing: ``k`` columns of ``x``, coefficient names, example design, formulas."""

    @classmethod
    def from_formula(cls, formula: str, data, *, missing: str = "raise", eval_env: int = 0,
                     **kwargs):
        """The model of a formula on a DataFrame, and the response and design matrix it builds.

        ``k`` and the coefficient names come from the columns of the design matrix
        (``"Intercept"``, ``"age"``, ``"C(g)[T.b]"``, ...), built by patsy as in
        statsmodels' ``smf.glm`` / ``smf.logit`` (see :mod:`fisherstat.models.formula`).

        Parameters
        ----------
        formula : str
            An R-style formula, ``"y ~ x1 + C(g)"``; the intercept is implicit (``- 1``
            removes it).
        data : pandas.DataFrame or mapping of str to array
            The variables.
        missing : {"raise", "drop"}, default "raise"
            Rows with missing values in the formula's columns raise ``ValueError`` naming the
            columns, or with ``"drop"`` are dropped and counted in ``FormulaData.n_dropped``.
        eval_env : int, default 0
            Namespace of the formula's functions: 0 is the caller's (``np`` is numpy).
        **kwargs
            Further arguments of the model's constructor.

        Returns
        -------
        model : the model class
            With ``k`` and ``param_names`` from the design matrix.
        data : FormulaData
            ``data.y``, ``data.x`` (read-only float64), ``data.param_names``,
            ``data.n_dropped``: fit with ``model.fit(data.y, x=data.x)``.

        Raises
        ------
        ValueError
            A formula name that is not a column of ``data`` (named in the message), missing
            values with ``missing="raise"``, a response that is not one numeric column.

        Examples
        --------
        >>> import statsmodels.api as sm
        >>> import fisherstat as fs
        >>> df = sm.datasets.spector.load_pandas().data
        >>> m, d = fs.models.LogisticRegression.from_formula("GRADE ~ GPA + TUCE + PSI", df)
        >>> m.param_names
        ('Intercept', 'GPA', 'TUCE', 'PSI')
        >>> beta = m.fit(d.y, x=d.x)
        >>> info = fs.fisher(m, beta, x=d.x)  # the mean information of the 32 rows
        >>> info.standard_errors(d.n_obs).round(3)  # statsmodels: smf.logit(...).fit().bse
        array([4.931, 1.263, 0.142, 1.064])
        """
        from .formula import design_from_formula

        eval_env = check_int(eval_env, "eval_env", low=0)
        fd = design_from_formula(formula, data, missing=missing, eval_env=eval_env + 1)
        return cls(fd.k, param_names=fd.param_names, **kwargs), fd

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[1] != self.k:
            raise ValueError(
                f"x must have k = {self.k} columns (one per coefficient "
                f"{', '.join(self.param_names[:self.k])}; a 1-D x is one column), "
                f"got shape {x.shape}"
            )
        return x

    def _example_x(self):
        """Intercept and powers of an 11-point grid on [-1, 1]: columns ``t**0 .. t**(k-1)``."""
        t = np.linspace(-1.0, 1.0, 11)
        return t[:, None] ** np.arange(self.k)

    def _check_rank(self, x: np.ndarray) -> None:
        rank = int(np.linalg.matrix_rank(x))
        if rank < self.k:
            raise FitError(
                f"x has rank {rank} < {self.k} columns (n = {x.shape[0]} rows): the coefficients "
                "are not identified (collinear columns or too few rows)"
            )


class LinearRegression(_LinearPredictorModel):
    r"""Gaussian linear regression :math:`y \mid x \sim N(x^T\beta, \sigma^2)`.

    Parameters ``theta = (beta_1, ..., beta_k, sigma2)``.

    Parameters
    ----------
    k : int, default 2
        Number of columns of the design matrix ``x`` (statsmodels' ``exog``; add the
        intercept column yourself).
    param_names : sequence of str, optional
        Names of the ``k`` coefficients (default ``beta_1 .. beta_k``); the variance is
        always ``sigma2``.

    Notes
    -----
    With :math:`r = y - x^T\beta`,

    .. math::

        \log p(y \mid x) = -\tfrac12\log(2\pi\sigma^2) - \frac{r^2}{2\sigma^2}, \qquad
        s = \Big(\frac{r\,x}{\sigma^2},\ \frac{r^2-\sigma^2}{2\sigma^4}\Big),

    .. math::

        H = \begin{pmatrix} -x x^T/\sigma^2 & -r\,x/\sigma^4 \\
                            -r\,x^T/\sigma^4 & 1/(2\sigma^4) - r^2/\sigma^6 \end{pmatrix},
        \qquad
        M(x) = \operatorname{blockdiag}\Big(\frac{x x^T}{\sigma^2}, \frac{1}{2\sigma^4}\Big),

    with the rank-two factor :math:`F(x) = [(x/\sigma, 0), (0, 1/(\sqrt2\sigma^2))]`
    (e.g. Greene, *Econometric Analysis*, 7th ed., 2012, section 14.9.1). The MLE is the
    least-squares :math:`\hat\beta` and :math:`\hat\sigma^2 = \mathrm{RSS}/n` (not the
    unbiased ``RSS/(n-k)`` that statsmodels reports as ``scale``).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.LinearRegression(2)
    >>> X = np.column_stack([np.ones(3), [-1.0, 0.0, 1.0]])
    >>> m.fisher([1.0, 2.0, 0.5], x=X)  # X^T X / sigma2 and n / (2 sigma2^2)
    array([[6., 0., 0.],
           [0., 4., 0.],
           [0., 0., 6.]])
    >>> y = X @ [1.0, 2.0] + [0.1, -0.2, 0.1]
    >>> np.round(m.fit(y, x=X), 6)
    array([1.  , 2.  , 0.02])
    """

    def __init__(self, k: int = 2, param_names: Sequence[str] | None = None):
        self.k, names = _coefficient_names(k, param_names)
        bounds = [(-np.inf, np.inf)] * self.k + [(0.0, np.inf)]
        super().__init__(names + ("sigma2",), bounds)

    def _example_theta(self):
        return np.append(_example_coefficients(self.k), 0.5)

    def _loglik(self, theta, data, x):
        s2 = theta[-1]
        r = data - x @ theta[:-1]
        return -0.5 * np.log(2.0 * np.pi * s2) - r * r / (2.0 * s2)

    def _score(self, theta, data, x):
        s2 = theta[-1]
        r = data - x @ theta[:-1]
        return np.column_stack([x * (r / s2)[:, None], (r * r - s2) / (2.0 * s2 * s2)])

    def _hessian(self, theta, data, x):
        s2 = theta[-1]
        r = data - x @ theta[:-1]
        n, k = x.shape
        H = np.empty((n, k + 1, k + 1))
        H[:, :k, :k] = -np.einsum("ni,nj->nij", x, x) / s2
        H[:, :k, k] = H[:, k, :k] = -x * (r / s2**2)[:, None]
        H[:, k, k] = 0.5 / s2**2 - r * r / s2**3
        return H

    def _hessian_sum(self, theta, data, x):
        s2 = theta[-1]
        r = data - x @ theta[:-1]
        n, k = x.shape
        H = np.empty((k + 1, k + 1))
        H[:k, :k] = -(x.T @ x) / s2
        H[:k, k] = H[k, :k] = -(r @ x) / s2**2
        H[k, k] = 0.5 * n / s2**2 - (r @ r) / s2**3
        return H

    def _point_factor(self, theta, x):
        s2 = theta[-1]
        n, k = x.shape
        F = np.zeros((n, k + 1, 2))
        F[:, :k, 0] = x / np.sqrt(s2)
        F[:, k, 1] = 1.0 / (np.sqrt(2.0) * s2)
        return F

    def _sample(self, theta, n, rng, x):
        return x @ theta[:-1] + np.sqrt(theta[-1]) * rng.standard_normal(n)

    def _fit(self, data, x, start):
        n = x.shape[0]
        beta, _, rank, _ = np.linalg.lstsq(x, data, rcond=None)
        if rank < self.k:
            self._check_rank(x)  # raises with the reason
        r = data - x @ beta
        s2 = float(r @ r) / n
        # residuals at the rounding level of the least-squares solve count as zero
        if n <= self.k or np.sqrt(n * s2) <= 1e3 * EPS * np.linalg.norm(data):
            raise FitError(
                f"the residuals are all zero (n = {n}, k = {self.k}): the MLE of sigma2 is 0, "
                "on the boundary of the parameter space"
            )
        return np.append(beta, s2)

    @property
    def mean_param_names(self) -> tuple[str, ...]:
        return self.param_names[: self.k]

    def _linear_mean_scale(self, theta):
        return 1.0 / float(theta[-1])  # M_beta(x) = x x^T / sigma2, orthogonal to sigma2

    def _fit_batch(self, data, x, start):
        """Least squares of all replicates: one solve with ``c`` right-hand sides."""
        c, n = data.shape
        beta = np.linalg.lstsq(x, data.T, rcond=None)[0].T
        R = data - beta @ x.T
        s2 = np.sum(R * R, axis=1) / n
        # the zero-residual rule of ``_fit`` (boundary sigma2 = 0): refitted, which raises
        tiny = np.sqrt(n * s2) <= 1e3 * EPS * np.linalg.norm(data, axis=1)
        return np.column_stack([beta, s2]), tiny | (n <= self.k)

    def _information_batch(self, theta, data, x):
        """The score, Hessian and information above, summed per replicate, all at once."""
        n, k = x.shape
        beta, s2 = theta[:, :k], theta[:, k]
        r = data - beta @ x.T
        S = np.concatenate([x[None] * (r / s2[:, None])[..., None],
                            ((r * r - s2[:, None]) / (2 * s2**2)[:, None])[..., None]],
                           axis=-1)
        XtX = x.T @ x
        m = theta.shape[0]
        E = np.zeros((m, k + 1, k + 1))
        E[:, :k, :k] = XtX / s2[:, None, None]
        E[:, k, k] = n / (2 * s2**2)
        A = E.copy()
        A[:, :k, k] = A[:, k, :k] = (r @ x) / (s2**2)[:, None]
        A[:, k, k] = -n / (2 * s2**2) + np.sum(r * r, axis=1) / s2**3
        return E, A, gram(S)


class _SingleIndexGLM(_LinearPredictorModel):
    """Single-index GLM: hooks in terms of ``eta = x @ beta``, the rest shared.

    Subclasses define ``_ll_eta(eta, y)``, ``_d1(eta, y)``, ``_d2(eta, y)`` (first and second
    derivative of the log-likelihood in ``eta``), ``_weight(eta)`` (expected information
    weight), ``_draw(eta, rng)``, ``_start_eta(y)`` (working start for the linear predictor)
    and ``_separation(y, x)`` (the linear program deciding existence of the MLE).
    """

    def __init__(self, k: int = 2, param_names: Sequence[str] | None = None):
        self.k, names = _coefficient_names(k, param_names)
        super().__init__(names)

    def _example_theta(self):
        return _example_coefficients(self.k)

    # -------------------------------------------------------- likelihood hooks
    def _loglik(self, theta, data, x):
        return self._ll_eta(x @ theta, data)

    def _score(self, theta, data, x):
        return x * self._d1(x @ theta, data)[:, None]

    def _hessian(self, theta, data, x):
        return self._d2(x @ theta, data)[:, None, None] * np.einsum("ni,nj->nij", x, x)

    def _hessian_sum(self, theta, data, x):
        return weighted_gram(x, self._d2(x @ theta, data))

    def _point_factor(self, theta, x):
        return (x * np.sqrt(self._weight(x @ theta))[:, None])[:, :, None]

    def _sample(self, theta, n, rng, x):
        return self._draw(x @ theta, rng)

    # -------------------------------------------------------------------- fit
    def _fit(self, data, x, start):
        y = data
        self._check_rank(x)
        if start is None:  # weighted least squares of the working start on x, as in
            eta0 = self._start_eta(y)  # _fit_batch: normal equations (x has full rank)
            w0 = self._weight(eta0)
            try:
                beta = linalg.cho_solve(linalg.cho_factor(weighted_gram(x, w0)),
                                        x.T @ (w0 * eta0))
            except (linalg.LinAlgError, ValueError):  # ill-conditioned: the SVD solution
                sw = np.sqrt(w0)
                beta = np.linalg.lstsq(x * sw[:, None], eta0 * sw, rcond=None)[0]
        else:
            beta = np.array(start, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._newton(y, x, beta)

    def _total_ll(self, beta, y, x):
        """Summed log-likelihood, its rounding level (``-inf``, ``inf`` when not finite)
        and the linear predictor ``x @ beta``."""
        eta = x @ beta
        terms = self._ll_eta(eta, y)
        ll = float(np.sum(terms))
        if not np.isfinite(ll):
            return -np.inf, np.inf, eta
        return ll, 1e-12 * (1.0 + float(np.sum(self._ll_magnitude(eta, y, terms)))), eta

    def _ll_magnitude(self, eta, y, terms):
        """Size of the terms summed in ``_ll_eta`` (sets the rounding level of comparisons);
        ``terms`` are those terms."""
        return np.abs(terms)

    def _newton(self, y, x, beta):
        """Newton-Raphson with step halving.

        Converged when the full Newton step is below ``1e-10`` relative to the coefficients
        (quadratic convergence then leaves an error far below that). A trial step is accepted
        when it does not decrease the log-likelihood by more than its rounding level.
        """
        ll, slack, eta = self._total_ll(beta, y, x)
        if not np.isfinite(ll):
            raise FitError("the log-likelihood is not finite at the starting value")
        for it in range(1, _MAX_ITER + 1):
            grad = x.T @ self._d1(eta, y)
            A = weighted_gram(x, -self._d2(eta, y))
            try:
                step = linalg.cho_solve(linalg.cho_factor(A), grad)
            except (linalg.LinAlgError, ValueError):
                self._no_mle(y, x, f"the Hessian is singular at Newton iteration {it}")
            if np.max(np.abs(step)) <= _STEP_TOL * (1.0 + np.max(np.abs(beta))):
                return beta + step
            t = 1.0
            for _ in range(_MAX_HALVINGS):
                new = beta + t * step
                ll_new, slack_new, eta_new = self._total_ll(new, y, x)
                if ll_new >= ll - max(slack, slack_new):
                    break
                t *= 0.5
            else:
                self._no_mle(y, x, f"step halving found no ascent at Newton iteration {it}")
            beta, ll, slack, eta = new, ll_new, slack_new, eta_new
        self._no_mle(y, x, f"Newton-Raphson did not converge in {_MAX_ITER} iterations")

    def _fit_batch(self, data, x, start):
        """Newton-Raphson on all replicates at once, from ``start`` (default: ``_fit``'s own).

        The log-likelihoods of the logistic, probit and log-link Poisson models are concave
        in the coefficients (McCullagh & Nelder 1989, section 2.5; Pratt 1981, JASA 76,
        103-106, for the probit), so a stationary point is the unique maximum and the
        estimate does not depend on the start or the path. The iteration is the Newton step
        and stopping rule of :meth:`_newton` (full step below ``1e-10`` relative to the
        coefficients, then one more step), run on a stack of replicates sharing the design
        ``x``: the linear predictors are one matrix product ``B x^T`` and the Hessians one
        product of the curvature weights with the rows' outer products. A simulation study
        starts at the true parameter, close to every estimate, so that no line search is
        needed; replicates that do not converge (singular Hessian, separated data, no
        convergence in 100 steps) are returned unsettled, for :meth:`fit` (with its step
        halving and its diagnosis of why the estimate does not exist).
        """
        Y, X = data, x
        c, n = Y.shape
        k = X.shape[1]
        XX = outer_rows(X)
        if start is None:
            eta0 = np.stack([self._start_eta(y) for y in Y])
            w0 = self._weight(eta0)
            beta, ok = solve_pd((w0 @ XX).reshape(c, k, k), (w0 * eta0) @ X)
            beta[~ok] = 0.0
        else:
            beta = np.tile(np.asarray(start, dtype=float), (c, 1))
        unsettled = np.zeros(c, dtype=bool)
        active = np.ones(c, dtype=bool)
        for _ in range(_MAX_ITER):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            b, y = beta[idx], Y[idx]
            eta = b @ X.T
            grad = self._d1(eta, y) @ X
            curv = -self._d2(eta, y)
            step, ok = solve_pd((curv @ XX).reshape(-1, k, k), grad)
            conv = ok & (np.max(np.abs(step), axis=1)
                         <= _STEP_TOL * (1.0 + np.max(np.abs(b), axis=1)))
            new = b + step
            beta[idx[ok]] = new[ok]
            stop = ~ok | conv | ~np.all(np.isfinite(new), axis=1)
            unsettled[idx[stop & ~conv]] = True
            active[idx[stop]] = False
        unsettled |= active  # no convergence within _MAX_ITER iterations
        return beta, unsettled

    def _information_batch(self, theta, data, x):
        """Total ``I = x^T diag(w) x`` (expected), ``A = x^T diag(-l'') x`` (observed) and
        ``B = x^T diag(l'^2) x`` (OPG), each one matrix product for all replicates."""
        k = theta.shape[1]
        eta = theta @ x.T
        d1 = self._d1(eta, data)
        V = np.stack([self._weight(eta), -self._d2(eta, data), d1 * d1])  # (3, m, n)
        return (V @ outer_rows(x)).reshape(3, -1, k, k)

    def _no_mle(self, y, x, reason: str):
        """Raise :class:`FitError`: say whether the MLE does not exist, else give ``reason``."""
        why = self._separation(y, x)
        if why:
            raise FitError(f"{reason}: the maximum-likelihood estimate does not exist: {why}")
        raise FitError(reason)

    @staticmethod
    def _lp_direction(c, A_ub, A_eq, k, scale):
        """Maximise ``c @ b`` over ``A_ub b <= 0``, ``A_eq b = 0``, ``|b_j| <= 1``.

        Returns ``b`` when the optimum exceeds ``1e-7 * scale`` (a direction along which the
        log-likelihood increases without bound), else ``None``.
        """
        res = optimize.linprog(
            -c, A_ub=A_ub, b_ub=None if A_ub is None else np.zeros(A_ub.shape[0]),
            A_eq=A_eq, b_eq=None if A_eq is None else np.zeros(A_eq.shape[0]),
            bounds=[(-1.0, 1.0)] * k, method="highs",
        )
        if res.status == 0 and -res.fun > 1e-7 * scale:
            return res.x
        return None


class _BinaryGLM(_SingleIndexGLM):
    """Binary responses ``y in {0, 1}``."""

    def _check_data(self, data):
        bad = (data != 0.0) & (data != 1.0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"data must be 0 or 1 for {type(self).__name__}, got {float(data[i])!r} "
                f"at index {i}"
            )
        return data

    def _draw(self, eta, rng):
        return (rng.random(eta.shape[0]) < self._mean(eta)).astype(float)

    def _start_eta(self, y):
        return self._link((y + 0.5) / 2.0)

    def _separation(self, y, x):
        n, k = x.shape
        qx = x * (2.0 * y - 1.0)[:, None]
        scale = max(1.0, np.abs(x).max())
        # complete separation: max t subject to q_i x_i^T b >= t, |b_j| <= 1, t <= 1
        res = optimize.linprog(
            np.append(np.zeros(k), -1.0), A_ub=np.column_stack([-qx, np.ones(n)]),
            b_ub=np.zeros(n), bounds=[(-1.0, 1.0)] * k + [(None, 1.0)], method="highs",
        )
        if res.status == 0 and -res.fun > 1e-7 * scale:
            b, kind = res.x[:k], "completely"
        else:
            b, kind = self._lp_direction(qx.sum(axis=0), -qx, None, k, scale), "quasi-completely"
        if b is None:
            return ""
        sep = int(np.sum(qx @ b > 1e-9 * scale))
        same = f"; all {n} responses are {y[0]:g}" if np.all(y == y[0]) else ""
        return (
            f"the data are {kind} separated{same} ({sep} of {n} observations are predicted "
            f"perfectly along the direction b = {_fmt(b)}; Albert & Anderson 1984)"
        )


class LogisticRegression(_BinaryGLM):
    r"""Logistic regression: :math:`P(y_i = 1 \mid x_i) = \operatorname{expit}(x_i^T\beta)`.

    Parameters ``theta = (beta_1, ..., beta_k)``.

    Parameters
    ----------
    k : int, default 2
        Number of columns of the design matrix ``x`` (add the intercept column yourself).
    param_names : sequence of str, optional
        Names of the coefficients (default ``beta_1 .. beta_k``).

    Notes
    -----
    With :math:`\eta = x^T\beta` and :math:`p = \operatorname{expit}(\eta)`,

    .. math::

        \log p(y \mid x) = y\eta - \log(1 + e^\eta) = -\log(1 + e^{-q\eta}), \qquad
        s = (y - p)\,x, \qquad
        H = -p(1-p)\,x x^T = -M(x),

    the canonical-link case in which observed and expected information coincide
    (McCullagh & Nelder 1989, chapter 4); :math:`q = 2y - 1`. The log-likelihood is
    evaluated as ``-logaddexp(0, -q eta)``, accurate to full relative precision also for
    well-predicted observations (where it is close to 0). Data outside {0, 1} raise
    ``ValueError``; separated data make the fit raise :class:`~fisherstat.FitError` (the
    MLE does not exist).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.LogisticRegression(2)
    >>> X = np.column_stack([np.ones(2), [-1.0, 1.0]])
    >>> m.fisher([0.0, 0.0], x=X)  # p(1-p) = 1/4 at each point
    array([[0.5, 0. ],
           [0. , 0.5]])
    >>> X = np.repeat(m.example_x(), 2000, axis=0)  # 22000 rows
    >>> y = m.sample(m.example_theta(), x=X, rng=0)
    >>> m.fit(y, x=X).round(1)
    array([ 0.5, -1. ])
    """

    def _mean(self, eta):
        return special.expit(eta)

    def _link(self, mu):
        return special.logit(mu)

    def _ll_eta(self, eta, y):
        return -np.logaddexp(0.0, (1.0 - 2.0 * y) * eta)  # log expit(q eta), q = 2y - 1

    def _d1(self, eta, y):
        q = 2.0 * y - 1.0
        return q * special.expit(-q * eta)  # y - expit(eta) without cancellation

    def _d2(self, eta, y):
        return -self._weight(eta)

    def _weight(self, eta):
        # p (1 - p) = e / (1 + e)^2 with e = exp(-|eta|): one exponential, no cancellation
        e = np.exp(-np.abs(eta))
        return e / (1.0 + e) ** 2


class ProbitRegression(_BinaryGLM):
    r"""Probit regression: :math:`P(y_i = 1 \mid x_i) = \Phi(x_i^T\beta)`.

    Parameters ``theta = (beta_1, ..., beta_k)``.

    Parameters
    ----------
    k : int, default 2
        Number of columns of the design matrix ``x`` (add the intercept column yourself).
    param_names : sequence of str, optional
        Names of the coefficients (default ``beta_1 .. beta_k``).

    Notes
    -----
    With :math:`\eta = x^T\beta`, :math:`q = 2y - 1` and the signed inverse Mills ratio
    :math:`\lambda = q\,\phi(q\eta)/\Phi(q\eta)`,

    .. math::

        \log p(y \mid x) = \log\Phi(q\eta), \qquad s = \lambda\,x, \qquad
        H = -\lambda(\lambda + \eta)\,x x^T

    (Greene, *Econometric Analysis*, 7th ed., 2012, section 17.3, the probit Hessian; it
    follows from :math:`(\log\Phi)''(z) = -m(z)(z + m(z))`, :math:`m = \phi/\Phi`). The
    Hessian depends on ``y``; its expectation gives the information

    .. math::

        M(x) = \frac{\phi(\eta)^2}{\Phi(\eta)\,(1 - \Phi(\eta))}\, x x^T

    (McCullagh & Nelder 1989, section 2.5, with :math:`d\mu/d\eta = \phi`,
    :math:`V = \mu(1-\mu)`), evaluated in log space with ``log_ndtr`` so that it stays
    accurate (and decays smoothly to 0) for large :math:`|\eta|`. The probit log-likelihood
    is concave, so Newton-Raphson uses the observed Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.ProbitRegression(1)
    >>> float(m.fisher([0.0], x=[1.0])[0, 0])  # phi(0)^2 / (1/4) = 2 / pi
    0.6366197723675814
    >>> float(m.fisher([30.0], x=[1.0])[0, 0])  # ~ eta phi(eta) far in the tail, no 0/0
    4.4258397e-195
    """

    def _mean(self, eta):
        return special.ndtr(eta)

    def _link(self, mu):
        return special.ndtri(mu)

    def _ll_eta(self, eta, y):
        return special.log_ndtr((2.0 * y - 1.0) * eta)

    def _mills(self, eta, y):
        q = 2.0 * y - 1.0
        z = q * eta
        m = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - special.log_ndtr(z))
        tail = z < -_MILLS_CF_FROM
        if tail.any():  # m = a + c(a), a = -z: exact in the far tail, see _mills_tail
            a = -z[tail]
            m[tail] = a + _mills_tail(a)
        return q * m

    def _d1(self, eta, y):
        return self._mills(eta, y)

    def _d2(self, eta, y):
        # (log Phi)''(z) = -m(z) (z + m(z)), z = q eta; z + m(z) -> 0 as z -> -inf, where
        # the difference cancels (relative error ~ z^2 eps): there z + m = c(-z) exactly.
        z = (2.0 * y - 1.0) * eta
        m = np.abs(self._mills(eta, y))
        zm = z + m
        tail = z < -_MILLS_CF_FROM
        if tail.any():
            zm[tail] = _mills_tail(-z[tail])
        return -m * zm

    def _weight(self, eta):
        log_phi = -0.5 * eta * eta - _LOG_SQRT_2PI
        return np.exp(2.0 * log_phi - special.log_ndtr(eta) - special.log_ndtr(-eta))


class PoissonRegression(_SingleIndexGLM):
    r"""Poisson regression with log link: :math:`y_i \sim \mathrm{Poisson}(e^{x_i^T\beta})`.

    Parameters ``theta = (beta_1, ..., beta_k)``.

    Parameters
    ----------
    k : int, default 2
        Number of columns of the design matrix ``x`` (add the intercept column yourself).
    param_names : sequence of str, optional
        Names of the coefficients (default ``beta_1 .. beta_k``).

    Notes
    -----
    With :math:`\mu = e^{\eta}`, :math:`\eta = x^T\beta`,

    .. math::

        \log p(y \mid x) = y\eta - \mu - \log y!, \qquad s = (y - \mu)\,x, \qquad
        H = -\mu\,x x^T = -M(x)

    (canonical link; McCullagh & Nelder 1989, chapter 6). Data must be non-negative
    integers. The MLE does not exist when a direction :math:`b` has :math:`x_i^T b \le 0`
    for all :math:`i`, with equality wherever :math:`y_i > 0` and strict inequality
    somewhere (Santos Silva & Tenreyro 2010); the fit then raises
    :class:`~fisherstat.FitError`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.PoissonRegression(2)
    >>> X = np.column_stack([np.ones(2), [0.0, 1.0]])
    >>> m.fisher([0.0, np.log(2.0)], x=X)  # sum_i mu_i x_i x_i^T with mu = (1, 2)
    array([[3., 2.],
           [2., 2.]])
    """

    def _check_data(self, data):
        bad = (data < 0) | (data != np.floor(data))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"data must be non-negative integers (counts) for PoissonRegression, "
                f"got {float(data[i])!r} at index {i}"
            )
        return data

    def _ll_eta(self, eta, y):
        return poisson_logpmf(y, np.exp(eta), eta)

    def _ll_magnitude(self, eta, y, terms):
        # the three terms cancel when the mean is large
        return np.abs(y * eta) + np.exp(eta) + special.gammaln(y + 1.0)

    def _d1(self, eta, y):
        return y - np.exp(eta)

    def _d2(self, eta, y):
        return -np.exp(eta)

    def _weight(self, eta):
        return np.exp(eta)

    def _draw(self, eta, rng):
        mu = np.exp(eta)
        check_poisson_mean(mu, "the mean exp(x @ beta)")
        return rng.poisson(mu).astype(float)

    def _start_eta(self, y):
        return np.log(np.maximum(0.5 * (y + y.mean()), 0.1))

    def _separation(self, y, x):
        zero = y == 0
        if not zero.any():
            return ""
        xz, xp = x[zero], x[~zero]
        scale = max(1.0, np.abs(x).max())
        b = self._lp_direction(-xz.sum(axis=0), xz, xp if xp.shape[0] else None, x.shape[1],
                               scale)
        if b is None:
            return ""
        m = int(np.sum(xz @ b < -1e-9 * scale))
        return (
            f"{m} of the {xz.shape[0]} observations with y = 0 can have their mean pushed to 0 "
            f"along the direction b = {_fmt(b)} without changing the others "
            "(Santos Silva & Tenreyro 2010)"
        )
