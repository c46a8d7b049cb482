r"""Output distributions of the MLP: the likelihood of ``y`` given the network output ``f``.

Each is an exponential family in its natural parameter ``f`` (the last affine layer's
output), so that (Martens 2020, "New insights and perspectives on the natural gradient
method", JMLR 21, section 9.2):

* the gradient of the negative log-likelihood in ``f`` is the *residual*
  :math:`\partial(-\log p)/\partial f = E[T(y)] - T(y)` (``p - onehot(y)``, ``p - y``,
  ``(f - y) / sigma2``);
* the Fisher information of ``f`` (the "output-space Fisher") is
  :math:`\Lambda(f) = \operatorname{Cov}[T(y)]`, which does not depend on ``y``; the
  Fisher of the weights is :math:`J^T \Lambda J` with :math:`J = \partial f/\partial w`
  (and equals the generalised Gauss-Newton matrix of the loss).

Each unit supplies ``loglik``, ``residual``, a factor ``L`` with :math:`L L^T = \Lambda`,
the product :math:`\Lambda u`, ``sample`` and the Kullback-Leibler divergence.

**The softmax factor.** :math:`\Lambda = \operatorname{diag}(p) - p p^T` has rank
:math:`C - 1` (null vector :math:`\mathbf 1`). With :math:`s = \sqrt p`,
:math:`\Lambda = D^{1/2} (I - s s^T) D^{1/2}`, :math:`D = \operatorname{diag}(p)`, and
:math:`I - s s^T` (a projector, as :math:`\|s\| = 1`) equals :math:`Q Q^T` for any
orthonormal basis :math:`Q` (C x (C-1)) of :math:`s^\perp`. The Householder reflection
:math:`H = I - u u^T / (1 + s_C)`, :math:`u = s + e_C`, maps :math:`s` to :math:`-e_C`
(Golub & Van Loan, *Matrix Computations*, 4th ed., section 5.1.2); its first ``C - 1``
columns are such a ``Q``, so

.. math::

    L = D^{1/2} H_{:, 1:C-1}, \qquad L_{ak} = \sqrt{p_a}\Big(\delta_{ak}
        - \frac{u_a u_k}{1 + \sqrt{p_C}}\Big), \qquad L L^T = \operatorname{diag}(p) - p p^T,

with a denominator :math:`\geq 1` (no cancellation for any ``p``). The C-column factor
:math:`\operatorname{diag}(\sqrt p) - p \sqrt p^T` (:math:`= D^{1/2}(I - s s^T)`) is also
exact; the often quoted :math:`\operatorname{diag}(\sqrt p) - \sqrt p\, p^T` is its
transpose and is *not* a factor (:math:`(I - s s^T) D (I - s s^T) \neq \Lambda`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["Gaussian", "Categorical", "Bernoulli"]

_LOG_2PI = np.log(2.0 * np.pi)


class Gaussian:
    r""":math:`y \sim N(f, \sigma^2 I_C)`.

    Residual :math:`(f - y)/\sigma^2`, output Fisher :math:`I/\sigma^2`;
    ``sigma2`` is the noise variance (fixed, or the model's estimated parameter).
    """

    name = "linear"

    def __init__(self, sigma2: float):
        self.sigma2 = float(sigma2)

    def factor_rank(self, C):
        return C

    def mean(self, f):
        return f

    def loglik(self, f, y):
        r = y - f
        C = f.shape[1]
        return -0.5 * C * (_LOG_2PI + np.log(self.sigma2)) - 0.5 * np.sum(r * r, 1) / self.sigma2

    def residual(self, f, y):
        return (f - y) / self.sigma2

    def factor(self, f):
        N, C = f.shape
        return np.broadcast_to(np.eye(C) / np.sqrt(self.sigma2), (N, C, C))

    def lambda_matvec(self, f, u):
        return u / self.sigma2

    def sample(self, f, rng, S=None):
        shape = f.shape if S is None else (S,) + f.shape
        return f + np.sqrt(self.sigma2) * rng.standard_normal(shape)

    def sampled_residuals(self, f, rng, S):
        """Residuals of ``S`` draws per row, shape (N, S, C) (no need to draw ``y``)."""
        return rng.standard_normal((f.shape[0], S, f.shape[1])) / np.sqrt(self.sigma2)

    def kl(self, f1, f2):
        d = f1 - f2
        return 0.5 * np.sum(d * d, 1) / self.sigma2


class Categorical:
    r""":math:`y \sim \operatorname{Cat}(\operatorname{softmax} f)`, labels ``0..C-1``."""

    name = "softmax"

    @staticmethod
    def log_probs(f):
        # log-softmax by the max shift (stable); 10x faster than scipy.special.logsumexp
        # on the small batches of a training step
        z = f - np.max(f, axis=1, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))

    def factor_rank(self, C):
        return C - 1

    def mean(self, f):
        return special.softmax(f, axis=1)

    def loglik(self, f, y):
        return self.log_probs(f)[np.arange(f.shape[0]), y]

    def residual(self, f, y):
        r = special.softmax(f, axis=1)
        r[np.arange(f.shape[0]), y] -= 1.0
        return r

    def factor(self, f):
        p = special.softmax(f, axis=1)
        s = np.sqrt(p)
        u = s.copy()
        u[:, -1] += 1.0
        H = -u[:, :, None] * (u[:, None, :-1] / (1.0 + s[:, -1])[:, None, None])
        H[:, np.arange(f.shape[1] - 1), np.arange(f.shape[1] - 1)] += 1.0
        return s[:, :, None] * H

    def lambda_matvec(self, f, u):
        p = special.softmax(f, axis=1)
        return p * u - p * np.sum(p * u, axis=1, keepdims=True)

    def sample(self, f, rng, S=None):
        p = special.softmax(f, axis=1)
        cdf = np.cumsum(p, axis=1)
        shape = (f.shape[0],) if S is None else (S, f.shape[0])
        u = rng.random(shape)[..., None]
        return np.minimum(np.sum(cdf < u * cdf[:, -1:], axis=-1), f.shape[1] - 1)

    def sampled_residuals(self, f, rng, S):
        y = self.sample(f, rng, S)  # (S, N)
        r = np.repeat(special.softmax(f, axis=1)[:, None, :], S, axis=1)
        r[np.arange(f.shape[0])[:, None], np.arange(S)[None, :], y.T] -= 1.0
        return r

    def kl(self, f1, f2):
        lp1, lp2 = self.log_probs(f1), self.log_probs(f2)
        return np.sum(np.exp(lp1) * (lp1 - lp2), axis=1)


class Bernoulli:
    r"""Independent :math:`y_c \sim \operatorname{Bernoulli}(\sigma(f_c))`, ``y`` in {0, 1}."""

    name = "sigmoid"

    def factor_rank(self, C):
        return C

    def mean(self, f):
        return special.expit(f)

    def loglik(self, f, y):
        # y log p + (1 - y) log(1 - p) = y f - log(1 + e^f)
        return np.sum(y * f - np.logaddexp(0.0, f), axis=1)

    def residual(self, f, y):
        return special.expit(f) - y

    def factor(self, f):
        p = special.expit(f)
        N, C = f.shape
        L = np.zeros((N, C, C))
        L[:, np.arange(C), np.arange(C)] = np.sqrt(p * (1.0 - p))
        return L

    def lambda_matvec(self, f, u):
        p = special.expit(f)
        return p * (1.0 - p) * u

    def sample(self, f, rng, S=None):
        shape = f.shape if S is None else (S,) + f.shape
        return (rng.random(shape) < special.expit(f)).astype(float)

    def sampled_residuals(self, f, rng, S):
        y = self.sample(f, rng, S)  # (S, N, C)
        return special.expit(f)[:, None, :] - np.moveaxis(y, 0, 1)

    def kl(self, f1, f2):
        # log p = -log(1 + e^-f), log(1 - p) = -log(1 + e^f)
        lp1, lq1 = -np.logaddexp(0.0, -f1), -np.logaddexp(0.0, f1)
        lp2, lq2 = -np.logaddexp(0.0, -f2), -np.logaddexp(0.0, f2)
        return np.sum(np.exp(lp1) * (lp1 - lp2) + np.exp(lq1) * (lq1 - lq2), axis=1)
