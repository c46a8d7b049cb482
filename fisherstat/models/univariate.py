"""Univariate iid families with analytic score, Hessian, Fisher information and MLE."""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize, special

from .._batch import gram
from .._validation import EPS, check_in_interval, check_int
from ..exceptions import BoundaryEstimateError, FitError
from .base import Model
from .glm import check_poisson_mean, poisson_logpmf

__all__ = ["Normal", "Gamma", "Weibull", "StudentT", "Poisson", "Binomial"]

_POS = (0.0, np.inf)
_FREE = (-np.inf, np.inf)


class Normal(Model):
    r"""Normal distribution :math:`N(\mu, \sigma^2)`, parameters ``(mu, sigma2)``.

    Notes
    -----
    .. math::

        \log p(x) = -\tfrac12 \log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2}, \qquad
        s = \Big(\frac{r}{\sigma^2},\ \frac{r^2 - \sigma^2}{2\sigma^4}\Big),\ r = x - \mu,

    .. math::

        I(\mu, \sigma^2) = \operatorname{diag}\Big(\frac{1}{\sigma^2}, \frac{1}{2\sigma^4}\Big)

    (e.g. Lehmann & Casella, *Theory of Point Estimation*, 2nd ed., Example 2.6.3). The MLE
    is the sample mean and the (biased) sample variance.

    Examples
    --------
    >>> import fisherstat as fs
    >>> m = fs.models.Normal()
    >>> m.fisher([1.0, 4.0])
    array([[0.25   , 0.     ],
           [0.     , 0.03125]])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self):
        super().__init__(("mu", "sigma2"), (_FREE, _POS))

    def _example_theta(self):
        return [0.0, 1.0]

    def _loglik(self, theta, data, x):
        mu, s2 = theta
        return -0.5 * np.log(2 * np.pi * s2) - (data - mu) ** 2 / (2 * s2)

    def _score(self, theta, data, x):
        mu, s2 = theta
        r = data - mu
        return np.column_stack([r / s2, (r * r - s2) / (2 * s2 * s2)])

    def _hessian(self, theta, data, x):
        mu, s2 = theta
        r = data - mu
        H = np.empty((data.shape[0], 2, 2))
        H[:, 0, 0] = -1.0 / s2
        H[:, 0, 1] = H[:, 1, 0] = -r / s2**2
        H[:, 1, 1] = 0.5 / s2**2 - r * r / s2**3
        return H

    def _fisher(self, theta):
        s2 = theta[1]
        return np.diag([1.0 / s2, 0.5 / s2**2])

    def _sample(self, theta, n, rng, x):
        return theta[0] + np.sqrt(theta[1]) * rng.standard_normal(n)

    def _fit(self, data, x, start):
        if data.shape[0] < 2:
            raise FitError("Normal needs at least 2 observations to estimate sigma2")
        mu = data.mean()
        s2 = np.mean((data - mu) ** 2)
        if s2 <= 0:
            raise FitError("all observations are equal: the MLE of sigma2 is 0 (boundary)")
        return np.array([mu, s2])

    def _fit_batch(self, data, x, start):
        mu = data.mean(axis=1)
        s2 = np.mean((data - mu[:, None]) ** 2, axis=1)
        return np.column_stack([mu, s2]), ~(s2 > 0)

    def _information_batch(self, theta, data, x):
        """The score, Hessian and information above, summed per replicate, all at once."""
        n = data.shape[1]
        mu, s2 = theta[:, 0], theta[:, 1]
        r = data - mu[:, None]
        S = np.stack([r / s2[:, None], (r * r - s2[:, None]) / (2 * s2**2)[:, None]], axis=-1)
        A = np.empty((theta.shape[0], 2, 2))
        A[:, 0, 0] = n / s2
        A[:, 0, 1] = A[:, 1, 0] = r.sum(axis=1) / s2**2
        A[:, 1, 1] = -n / (2 * s2**2) + np.sum(r * r, axis=1) / s2**3
        E = np.zeros_like(A)
        E[:, 0, 0], E[:, 1, 1] = n / s2, n / (2 * s2**2)
        return E, A, gram(S)


def _check_positive_data(data: np.ndarray) -> np.ndarray:
    """1-d data with every entry > 0 (support of the positive continuous families)."""
    if data.ndim != 1:
        raise ValueError(f"data must be 1-dimensional (n,), got shape {data.shape}")
    return check_in_interval(data, "data", low=0)


def _check_counts(data: np.ndarray, high: int | None = None) -> np.ndarray:
    """1-d data of integers in ``[0, high]`` (support of the count families)."""
    if data.ndim != 1:
        raise ValueError(f"data must be 1-dimensional (n,), got shape {data.shape}")
    check_in_interval(data, "data", low=0, high=high, low_open=False, high_open=False)
    frac = data != np.round(data)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise ValueError(f"data must be integer counts; entry {i} is {data[i]!r}")
    return data


def _log_minus_digamma(k: float) -> float:
    """``log k - psi(k)`` without cancellation for large ``k``.

    For ``k >= 100`` the asymptotic series ``1/(2k) + sum_j B_2j / (2j k^2j)`` (Abramowitz &
    Stegun 6.3.18) truncated after ``k^-8`` has relative error below 1e-19.
    """
    if k < 100:
        return float(np.log(k) - special.digamma(k))
    r = 1.0 / (k * k)
    return 0.5 / k + r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r / 240)))


# ---------------------------------------------------------------------------- Gamma
class Gamma(Model):
    r"""Gamma distribution with parameters ``(shape, scale)`` = :math:`(k, \theta)`.

    The same family as ``scipy.stats.gamma(a=shape, scale=scale)``; the data must be > 0.

    Notes
    -----
    .. math::

        \log p(x) = -\log\Gamma(k) - k\log\theta + (k-1)\log x - x/\theta,

    .. math::

        s = \big(\log x - \log\theta - \psi(k),\ (x - k\theta)/\theta^2\big), \qquad
        I(k, \theta) = \begin{pmatrix} \psi_1(k) & 1/\theta \\ 1/\theta & k/\theta^2
        \end{pmatrix},

    with :math:`\psi` the digamma and :math:`\psi_1` the trigamma function (e.g. Johnson,
    Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 1, 2nd ed., 1994,
    ch. 17, on maximum-likelihood estimation). The Hessian is non-random except for
    :math:`\partial^2/\partial\theta^2 = k/\theta^2 - 2x/\theta^3`.

    The MLE of the shape solves :math:`\log k - \psi(k) = \log\bar x - \overline{\log x}`
    (the right side is > 0 unless all observations are equal) and then
    :math:`\hat\theta = \bar x / \hat k`. The root is bracketed by
    :math:`1/(2k) < \log k - \psi(k) < 1/k` (Alzer 1997, Math. Comp. 66, 373-389) and
    located with Brent's method; Minka (2002, "Estimating a Gamma distribution") gives
    the same equation and a Newton scheme.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.Gamma()
    >>> m.param_names
    ('shape', 'scale')
    >>> np.round(m.fisher([2.0, 0.5]), 6)
    array([[0.644934, 2.      ],
           [2.      , 8.      ]])
    >>> x = m.sample([2.0, 0.5], 20_000, rng=0)
    >>> np.round(m.fit(x), 1)
    array([2. , 0.5])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self):
        super().__init__(("shape", "scale"), (_POS, _POS))

    def _example_theta(self):
        return [2.0, 1.5]

    def _check_data(self, data):
        return _check_positive_data(data)

    def _loglik(self, theta, data, x):
        k, sc = theta
        return -special.gammaln(k) - k * np.log(sc) + (k - 1) * np.log(data) - data / sc

    def _score(self, theta, data, x):
        k, sc = theta
        return np.column_stack([
            np.log(data) - np.log(sc) - special.digamma(k),
            (data - k * sc) / sc**2,
        ])

    def _hessian(self, theta, data, x):
        k, sc = theta
        H = np.empty((data.shape[0], 2, 2))
        H[:, 0, 0] = -special.polygamma(1, k)
        H[:, 0, 1] = H[:, 1, 0] = -1.0 / sc
        H[:, 1, 1] = k / sc**2 - 2 * data / sc**3
        return H

    def _fisher(self, theta):
        k, sc = theta
        return np.array([[special.polygamma(1, k), 1.0 / sc], [1.0 / sc, k / sc**2]])

    def _sample(self, theta, n, rng, x):
        return rng.gamma(theta[0], theta[1], n)

    def _fit(self, data, x, start):
        mean = data.mean()
        # s = log(mean) - mean(log x) = log(mean(x / geometric mean)), without cancellation
        y = np.log(data)
        s = np.log1p(np.mean(np.expm1(y - y.mean())))
        if not s > 0:
            raise FitError(
                "Gamma fit: all observations are equal, the shape MLE is infinite (boundary)"
            )

        def f(k):
            return _log_minus_digamma(k) - s

        # 1/(2k) < log k - psi(k) < 1/k (Alzer 1997) brackets the root in [1/(2s), 1/s].
        lo, hi = 0.5 / s, 1.0 / s
        if not f(lo) > 0 > f(hi):
            raise FitError(f"Gamma fit: could not bracket the shape MLE (s = {s:g})")
        k = optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * EPS)
        return np.array([k, mean / k])


# -------------------------------------------------------------------------- Weibull
_EULER = np.euler_gamma


class Weibull(Model):
    r"""Weibull distribution with parameters ``(shape, scale)`` = :math:`(k, \lambda)`.

    The same family as ``scipy.stats.weibull_min(c=shape, scale=scale)``; data must be > 0.

    Notes
    -----
    With :math:`z = \log(x/\lambda)` and :math:`u = (x/\lambda)^k = e^{kz}`
    (so that :math:`u \sim \mathrm{Exp}(1)`),

    .. math::

        \log p(x) = \log k - \log\lambda + (k-1) z - u, \qquad
        s = \Big(\frac1k + z - z u,\ \frac{k}{\lambda}(u - 1)\Big),

    .. math::

        I(k, \lambda) = \begin{pmatrix}
            \big((1-\gamma)^2 + \pi^2/6\big)/k^2 & -(1-\gamma)/\lambda \\
            -(1-\gamma)/\lambda & k^2/\lambda^2 \end{pmatrix},

    with :math:`\gamma` Euler's constant (Cohen 1965, Technometrics 7, 579-588; Gupta &
    Kundu 2006, "On the comparison of Fisher information of the Weibull and GE
    distributions", J. Statist. Plann. Inference 136). The entries follow from
    :math:`E[u \log u] = \psi(2) = 1-\gamma` and
    :math:`E[u \log^2 u] = \psi_1(2) + \psi(2)^2`. The off-diagonal entry is negative, so
    the estimators of ``k`` and :math:`\lambda` are positively correlated.

    The MLE of ``k`` solves the profile equation
    :math:`1/k + \overline{\log x} - \sum_i w_i \log x_i = 0` with
    :math:`w = \operatorname{softmax}(k \log x)` (strictly decreasing in ``k``, so the
    root is unique), and :math:`\hat\lambda = (\overline{x^k})^{1/k}`, evaluated as
    :math:`\exp\{(\operatorname{logsumexp}(k\log x) - \log n)/k\}` so that ``x**k``
    never overflows (the profile equation is Cohen's 1965 likelihood equation for ``k``).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.Weibull()
    >>> np.round(m.fisher([1.0, 1.0]), 6)
    array([[ 1.823681, -0.422784],
           [-0.422784,  1.      ]])
    >>> x = m.sample([1.5, 2.0], 20_000, rng=0)
    >>> np.round(m.fit(x), 1)
    array([1.5, 2. ])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self):
        super().__init__(("shape", "scale"), (_POS, _POS))

    def _example_theta(self):
        return [1.5, 2.0]

    def _check_data(self, data):
        return _check_positive_data(data)

    @staticmethod
    def _zu(theta, data):
        k, lam = theta
        z = np.log(data) - np.log(lam)
        return z, np.exp(k * z)

    def _loglik(self, theta, data, x):
        k, lam = theta
        z, u = self._zu(theta, data)
        return np.log(k) - np.log(lam) + (k - 1) * z - u

    def _score(self, theta, data, x):
        k, lam = theta
        z, u = self._zu(theta, data)
        return np.column_stack([1.0 / k + z - z * u, k / lam * (u - 1.0)])

    def _hessian(self, theta, data, x):
        k, lam = theta
        z, u = self._zu(theta, data)
        H = np.empty((data.shape[0], 2, 2))
        H[:, 0, 0] = -1.0 / k**2 - z * z * u
        H[:, 0, 1] = H[:, 1, 0] = (u - 1.0 + k * z * u) / lam
        H[:, 1, 1] = k * (1.0 - (k + 1.0) * u) / lam**2
        return H

    def _fisher(self, theta):
        k, lam = theta
        c = 1.0 - _EULER
        return np.array([
            [(c * c + np.pi**2 / 6) / k**2, -c / lam],
            [-c / lam, k * k / lam**2],
        ])

    def _sample(self, theta, n, rng, x):
        return theta[1] * rng.weibull(theta[0], n)

    def _fit(self, data, x, start):
        n = data.shape[0]
        lx = np.log(data)
        sd = lx.std()
        if not sd > 0:
            raise FitError(
                "Weibull fit: all observations are equal, the shape MLE is infinite (boundary)"
            )
        lc = lx - lx.max()  # shift: the profile equation is invariant, exp(k lc) <= 1
        mean_lc = lc.mean()

        def f(k):
            w = special.softmax(k * lc)
            return 1.0 / k + mean_lc - w @ lc

        # f decreases from +inf (k -> 0) to mean(lc) - max(lc) < 0 (k -> inf); bracket the
        # root around the log-Gumbel moment estimate sd(log x) = pi / (k sqrt 6).
        k0 = np.pi / (np.sqrt(6.0) * sd)
        lo, hi = k0, k0
        for _ in range(200):
            if f(lo) > 0:
                break
            lo /= 2
        for _ in range(200):
            if f(hi) < 0:
                break
            hi *= 2
        if not (f(lo) > 0 > f(hi)):
            raise FitError("Weibull fit: could not bracket the shape MLE")
        k = optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * EPS)
        log_lam = (special.logsumexp(k * lx) - np.log(n)) / k
        return np.array([k, np.exp(log_lam)])


# ------------------------------------------------------------------------- StudentT
class StudentT(Model):
    r"""Student-t location-scale family with parameters ``(loc, scale, df)``.

    The same family as ``scipy.stats.t(df, loc, scale)``, written
    :math:`(\mu, \sigma, \nu)` below.

    Notes
    -----
    With :math:`z = (x - \mu)/\sigma`, :math:`D = \nu + z^2` and
    :math:`w = (\nu+1)/D`,

    .. math::

        \log p(x) = \log\Gamma\big(\tfrac{\nu+1}2\big) - \log\Gamma\big(\tfrac\nu2\big)
            - \tfrac12\log(\nu\pi) - \log\sigma - \tfrac{\nu+1}2\log(1 + z^2/\nu),

    .. math::

        s_\mu = \frac{w z}{\sigma},\quad s_\sigma = \frac{w z^2 - 1}{\sigma},\quad
        s_\nu = \tfrac12\Big[\psi\big(\tfrac{\nu+1}2\big) - \psi\big(\tfrac\nu2\big)
            - \frac1\nu - \log\big(1+\tfrac{z^2}\nu\big) + \frac{(\nu+1) z^2}{\nu D}\Big].

    The expected information of one observation (Lange, Little & Taylor 1989, JASA 84,
    881-896; written here for the scale :math:`\sigma`) is

    .. math::

        I_{\mu\mu} = \frac{\nu+1}{(\nu+3)\sigma^2},\quad
        I_{\sigma\sigma} = \frac{2\nu}{(\nu+3)\sigma^2},\quad
        I_{\sigma\nu} = -\frac{2}{\sigma(\nu+1)(\nu+3)},\quad
        I_{\mu\sigma} = I_{\mu\nu} = 0,

    .. math::

        I_{\nu\nu} = \tfrac14\Big[\psi_1\big(\tfrac\nu2\big)
            - \psi_1\big(\tfrac{\nu+1}2\big)\Big] - \frac{\nu+5}{2\nu(\nu+1)(\nu+3)}.

    The MLE is computed numerically (BFGS in ``(loc, log scale, log df)``) from the
    median, the normalised median absolute deviation and ``df = 5``; as ``df -> inf`` the
    family tends to the normal, so nearly normal data can push ``df`` to large values.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.StudentT()
    >>> m.param_names
    ('loc', 'scale', 'df')
    >>> np.round(m.fisher([0.0, 1.0, 5.0]), 6)
    array([[ 0.75    ,  0.      ,  0.      ],
           [ 0.      ,  1.25    , -0.041667],
           [ 0.      , -0.041667,  0.003023]])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self):
        super().__init__(("loc", "scale", "df"), (_FREE, _POS, _POS))

    def _example_theta(self):
        return [0.0, 1.0, 5.0]

    def _loglik(self, theta, data, x):
        mu, sig, nu = theta
        z = (data - mu) / sig
        c = (special.gammaln(0.5 * (nu + 1)) - special.gammaln(0.5 * nu)
             - 0.5 * np.log(nu * np.pi) - np.log(sig))
        return c - 0.5 * (nu + 1) * np.log1p(z * z / nu)

    def _score(self, theta, data, x):
        mu, sig, nu = theta
        z = (data - mu) / sig
        z2 = z * z
        D = nu + z2
        w = (nu + 1) / D
        s_nu = 0.5 * (
            special.digamma(0.5 * (nu + 1)) - special.digamma(0.5 * nu) - 1.0 / nu
            - np.log1p(z2 / nu) + w * z2 / nu
        )
        return np.column_stack([w * z / sig, (w * z2 - 1.0) / sig, s_nu])

    def _hessian(self, theta, data, x):
        mu, sig, nu = theta
        z = (data - mu) / sig
        z2 = z * z
        D = nu + z2
        D2 = D * D
        H = np.empty((data.shape[0], 3, 3))
        H[:, 0, 0] = -(nu + 1) * (nu - z2) / (sig**2 * D2)
        H[:, 0, 1] = H[:, 1, 0] = -2 * nu * (nu + 1) * z / (sig**2 * D2)
        H[:, 0, 2] = H[:, 2, 0] = z * (z2 - 1) / (sig * D2)
        H[:, 1, 1] = (1.0 - (nu + 1) * z2 * (3 * nu + z2) / D2) / sig**2
        H[:, 1, 2] = H[:, 2, 1] = z2 * (z2 - 1) / (sig * D2)
        H[:, 2, 2] = (
            0.25 * (special.polygamma(1, 0.5 * (nu + 1)) - special.polygamma(1, 0.5 * nu))
            + 0.5 / nu**2 + z2 * ((nu - 1) * z2 - 2 * nu) / (2 * nu**2 * D2)
        )
        return H

    def _fisher(self, theta):
        mu, sig, nu = theta
        info = np.zeros((3, 3))
        info[0, 0] = (nu + 1) / ((nu + 3) * sig**2)
        info[1, 1] = 2 * nu / ((nu + 3) * sig**2)
        info[1, 2] = info[2, 1] = -2.0 / (sig * (nu + 1) * (nu + 3))
        info[2, 2] = (
            0.25 * (special.polygamma(1, 0.5 * nu) - special.polygamma(1, 0.5 * (nu + 1)))
            - (nu + 5) / (2 * nu * (nu + 1) * (nu + 3))
        )
        return info

    def _sample(self, theta, n, rng, x):
        return theta[0] + theta[1] * rng.standard_t(theta[2], n)

    def _start(self, data, x):
        med = np.median(data)
        mad = 1.4826 * np.median(np.abs(data - med))
        if not mad > 0:
            mad = data.std()
        if not mad > 0:
            raise FitError("StudentT fit: all observations are equal (scale MLE is 0)")
        return [med, mad, 5.0]

    def _fit(self, data, x, start):
        if data.shape[0] < 3:
            raise FitError("StudentT needs at least 3 observations to estimate 3 parameters")
        # Fit the standardised data z = (x - m0) / s0 (location-scale equivariance makes the
        # optimiser's job independent of the units), then map back.
        m0, s0, _ = self._start(data, x)
        z = (data - m0) / s0
        tz = [0.0, 1.0, 5.0] if start is None else [(start[0] - m0) / s0, start[1] / s0, start[2]]
        tz = self._newton_polish(self._fit_numeric(z, None, self.validate(tz)), z)
        return np.array([m0 + s0 * tz[0], s0 * tz[1], tz[2]])

    def _newton_polish(self, theta, data, steps: int = 5):
        """A few Newton steps with the analytic Hessian, kept only while they help."""
        ll = self._loglik(theta, data, None).sum()
        for _ in range(steps):
            g = self._score(theta, data, None).sum(axis=0)
            H = self._hessian(theta, data, None).sum(axis=0)
            try:
                c = linalg.cho_factor(-H)
            except linalg.LinAlgError:
                break
            new = theta + linalg.cho_solve(c, g)
            if not (np.all(new > self.lower) and np.all(new < self.upper)):
                break
            ll_new = self._loglik(new, data, None).sum()
            if not ll_new >= ll:
                break
            theta, ll = new, ll_new
        return theta


# -------------------------------------------------------------------------- Poisson
class Poisson(Model):
    r"""Poisson distribution with mean ``lam``; data are non-negative integers.

    Notes
    -----
    .. math::

        \log p(x) = x\log\lambda - \lambda - \log x!, \qquad s = x/\lambda - 1, \qquad
        H = -x/\lambda^2, \qquad I(\lambda) = 1/\lambda

    (Lehmann & Casella, *Theory of Point Estimation*, 2nd ed., 1998, Section 2.5, the
    information inequality). The MLE is the sample mean; a zero mean is on the boundary and raises
    :class:`~fisherstat.BoundaryEstimateError` (a :class:`~fisherstat.FitError` carrying the
    estimate ``lam = 0``).

    Examples
    --------
    >>> import fisherstat as fs
    >>> m = fs.models.Poisson()
    >>> m.fisher([4.0])
    array([[0.25]])
    >>> m.fit([0, 2, 3, 3])
    array([2.])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self):
        super().__init__(("lam",), (_POS,))

    def _example_theta(self):
        return [3.0]

    def _check_data(self, data):
        return _check_counts(data)

    def _loglik(self, theta, data, x):
        return poisson_logpmf(data, theta[0], None)  # stable at large counts (Loader 2000)

    def _score(self, theta, data, x):
        return (data / theta[0] - 1.0)[:, None]

    def _hessian(self, theta, data, x):
        return (-data / theta[0] ** 2)[:, None, None]

    def _fisher(self, theta):
        return np.array([[1.0 / theta[0]]])

    def _sample(self, theta, n, rng, x):
        check_poisson_mean(theta[0], "lam")
        return rng.poisson(theta[0], n).astype(float)

    def _fit(self, data, x, start):
        mean = data.mean()
        if not mean > 0:
            raise BoundaryEstimateError(
                "Poisson fit: all counts are 0, the MLE lam = 0 is on the boundary", [0.0])
        return np.array([mean])

    def _fit_batch(self, data, x, start):
        lam = data.mean(axis=1)
        return lam[:, None], ~(lam > 0)

    def _information_batch(self, theta, data, x):
        n, lam = data.shape[1], theta[:, 0]
        s = data / lam[:, None] - 1.0
        A = (data.sum(axis=1) / lam**2)[:, None, None]
        return (n / lam)[:, None, None], A, np.sum(s * s, axis=1)[:, None, None]


# ------------------------------------------------------------------------- Binomial
class Binomial(Model):
    r"""Binomial distribution with a known number of trials and success probability ``p``.

    Parameters
    ----------
    n_trials : int, default 10
        Number of trials of each observation (a positive integer, not estimated).

    Notes
    -----
    With :math:`N` = ``n_trials`` and data :math:`x \in \{0, \dots, N\}`,

    .. math::

        \log p(x) = \log\binom{N}{x} + x\log p + (N - x)\log(1-p), \qquad
        s = \frac{x}{p} - \frac{N-x}{1-p},

    .. math::

        H = -\frac{x}{p^2} - \frac{N-x}{(1-p)^2}, \qquad I(p) = \frac{N}{p(1-p)}

    (Lehmann & Casella, *Theory of Point Estimation*, 2nd ed., 1998, Section 2.5). The MLE is
    :math:`\bar x / N`; the boundary values 0 and 1 raise
    :class:`~fisherstat.BoundaryEstimateError` (a :class:`~fisherstat.FitError` carrying the
    estimate).

    Examples
    --------
    >>> import fisherstat as fs
    >>> m = fs.models.Binomial(n_trials=20)
    >>> m.fisher([0.5])
    array([[80.]])
    >>> m.fit([4, 6, 5])
    array([0.25])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self, n_trials: int = 10):
        self.n_trials = check_int(n_trials, "n_trials", low=1)
        super().__init__(("p",), ((0.0, 1.0),))

    def __repr__(self) -> str:
        return f"Binomial(n_trials={self.n_trials})"

    def _example_theta(self):
        return [0.3]

    def _check_data(self, data):
        return _check_counts(data, high=self.n_trials)

    def _loglik(self, theta, data, x):
        p, N = theta[0], self.n_trials
        log_binom = (special.gammaln(N + 1) - special.gammaln(data + 1)
                     - special.gammaln(N - data + 1))
        return log_binom + special.xlogy(data, p) + special.xlog1py(N - data, -p)

    def _score(self, theta, data, x):
        p, N = theta[0], self.n_trials
        return (data / p - (N - data) / (1 - p))[:, None]

    def _hessian(self, theta, data, x):
        p, N = theta[0], self.n_trials
        return (-data / p**2 - (N - data) / (1 - p) ** 2)[:, None, None]

    def _fisher(self, theta):
        p = theta[0]
        return np.array([[self.n_trials / (p * (1 - p))]])

    def _sample(self, theta, n, rng, x):
        return rng.binomial(self.n_trials, theta[0], n).astype(float)

    def _fit(self, data, x, start):
        p = data.mean() / self.n_trials
        if not 0 < p < 1:
            raise BoundaryEstimateError(
                f"Binomial fit: the MLE p = {p:g} is on the boundary of (0, 1) "
                "(all failures or all successes)", [p])
        return np.array([p])

    def _fit_batch(self, data, x, start):
        p = data.mean(axis=1) / self.n_trials
        return p[:, None], ~((p > 0) & (p < 1))

    def _information_batch(self, theta, data, x):
        n, N, q = data.shape[1], self.n_trials, theta[:, 0]
        s = data / q[:, None] - (N - data) / (1 - q)[:, None]
        A = np.sum(data / (q**2)[:, None] + (N - data) / ((1 - q) ** 2)[:, None], axis=1)
        E = n * N / (q * (1 - q))
        return E[:, None, None], A[:, None, None], np.sum(s * s, axis=1)[:, None, None]
