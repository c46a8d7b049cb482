"""Univariate iid families with analytic score, Hessian, Fisher information and MLE."""

from __future__ import annotations

import numpy as np

from .base import Model

__all__ = ["Normal"]

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
        from ..exceptions import FitError

        if data.shape[0] < 2:
            raise FitError("Normal needs at least 2 observations to estimate sigma2")
        mu = data.mean()
        s2 = np.mean((data - mu) ** 2)
        if s2 <= 0:
            raise FitError("all observations are equal: the MLE of sigma2 is 0 (boundary)")
        return np.array([mu, s2])
