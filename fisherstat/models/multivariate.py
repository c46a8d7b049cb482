"""Multivariate iid families with analytic score, Hessian, Fisher information and MLE."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from .._validation import EPS, check_int, check_random_state
from ..exceptions import FitError
from .base import Model

__all__ = ["MultivariateNormal"]


class MultivariateNormal(Model):
    r"""Multivariate normal :math:`N_d(\mu, \Sigma)` with unrestricted mean and covariance.

    Parameters
    ----------
    dim : int, default 2
        Dimension ``d`` of one observation; data have shape (n, d).

    Notes
    -----
    **Parameter order.** ``theta = (mu_1, ..., mu_d, vech(Sigma))`` where
    :math:`\operatorname{vech}` stacks the lower triangle row by row:
    :math:`\sigma_{11}, \sigma_{21}, \sigma_{22}, \sigma_{31}, \sigma_{32}, \sigma_{33},
    \dots`, named ``'mu1', ..., 'sigma11', 'sigma21', 'sigma22', ...`` (with an underscore,
    ``'sigma10_1'``, once ``d >= 10``). There are ``p = d + d(d+1)/2`` parameters; each
    off-diagonal parameter is *both* symmetric entries :math:`\sigma_{ij} = \sigma_{ji}`.
    ``theta`` is valid when the diagonal is > 0 and :math:`\Sigma` is positive definite.

    With :math:`r = x - \mu`, :math:`P = \Sigma^{-1}`, :math:`a = P r` and
    :math:`E_\alpha = \partial\Sigma/\partial\sigma_\alpha` (symmetric: :math:`e_i e_j^T +
    e_j e_i^T` for :math:`\sigma_{ij}, i > j`, :math:`e_i e_i^T` on the diagonal),

    .. math::

        \log p(x) = -\tfrac d2\log 2\pi - \tfrac12\log|\Sigma| - \tfrac12 r^T P r,

    .. math::

        s_\mu = a, \qquad s_{\sigma_\alpha} = \operatorname{tr}(G E_\alpha),\quad
        G = \tfrac12(a a^T - P),

    i.e. :math:`s_{\mathrm{vech}} = D^T \operatorname{vec} G` with :math:`D` the duplication
    matrix (off-diagonal entries count twice). The Hessian is

    .. math::

        H_{\mu\mu} = -P, \quad H_{\mu\sigma_\alpha} = -P E_\alpha a, \quad
        H_{\sigma_\alpha\sigma_\beta} = \tfrac12\operatorname{tr}(P E_\alpha P E_\beta)
            - a^T E_\alpha P E_\beta a,

    and the expected information of one observation is block diagonal,

    .. math::

        I = \begin{pmatrix} P & 0 \\ 0 & \tfrac12 D^T (P \otimes P) D \end{pmatrix},
        \qquad \big(\tfrac12 D^T (P\otimes P) D\big)_{\alpha\beta}
            = \tfrac12 \operatorname{tr}(P E_\alpha P E_\beta)

    (Magnus & Neudecker, *Matrix Differential Calculus with Applications in Statistics and
    Econometrics*, 3rd ed., 2019, ch. 15, the multivariate normal distribution). All
    inverses go through the Cholesky factor of :math:`\Sigma`. The score costs O(n p) memory
    (no per-observation matrices); the per-observation Hessian is (n, p, p) by contract.

    The MLE is the sample mean and the covariance with divisor ``n``; a singular sample
    covariance (e.g. ``n <= d``) raises :class:`~fisherstat.FitError`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.MultivariateNormal(dim=2)
    >>> m.param_names
    ('mu1', 'mu2', 'sigma11', 'sigma21', 'sigma22')
    >>> theta = [0.0, 0.0, 2.0, 0.0, 1.0]
    >>> np.round(m.fisher(theta), 6)
    array([[0.5  , 0.   , 0.   , 0.   , 0.   ],
           [0.   , 1.   , 0.   , 0.   , 0.   ],
           [0.   , 0.   , 0.125, 0.   , 0.   ],
           [0.   , 0.   , 0.   , 0.5  , 0.   ],
           [0.   , 0.   , 0.   , 0.   , 0.5  ]])
    >>> x = m.sample([1.0, -1.0, 1.0, 0.5, 1.0], 50_000, rng=0)
    >>> np.round(m.fit(x), 1)
    array([ 1. , -1. ,  1. ,  0.5,  1. ])
    """

    has_analytic_fisher = True
    iid_draws = True

    def __init__(self, dim: int = 2):
        d = check_int(dim, "dim", low=1)
        self.dim = d
        rows, cols = np.tril_indices(d)  # row-major lower triangle = vech order above
        self._rows, self._cols = rows, cols
        sep = "" if d < 10 else "_"
        names = [f"mu{i + 1}" for i in range(d)] + [
            f"sigma{i + 1}{sep}{j + 1}" for i, j in zip(rows, cols, strict=True)
        ]
        m = rows.size
        diag = rows == cols
        bounds = [(-np.inf, np.inf)] * d + [
            (0.0, np.inf) if dg else (-np.inf, np.inf) for dg in diag
        ]
        super().__init__(names, bounds)
        # E_alpha = d Sigma / d vech_alpha, (m, d, d), and the score weights 1/2 or 1.
        E = np.zeros((m, d, d))
        E[np.arange(m), rows, cols] = 1.0
        E[np.arange(m), cols, rows] = 1.0
        E.flags.writeable = False
        self._E = E
        self._half = np.where(diag, 0.5, 1.0)

    def __repr__(self) -> str:
        return f"MultivariateNormal(dim={self.dim})"

    # ------------------------------------------------------------- helpers
    def _unpack(self, theta):
        """Return ``mu`` (d,) and the symmetric ``Sigma`` (d, d)."""
        d = self.dim
        S = np.zeros((d, d))
        S[self._rows, self._cols] = theta[d:]
        S[self._cols, self._rows] = theta[d:]
        return theta[:d], S

    def _chol(self, theta):
        """``mu``, lower Cholesky factor ``L`` of ``Sigma`` and ``P = Sigma^-1``."""
        mu, S = self._unpack(theta)
        L = linalg.cholesky(S, lower=True, check_finite=False)
        P = linalg.cho_solve((L, True), np.eye(self.dim), check_finite=False)
        return mu, L, 0.5 * (P + P.T)

    def _check_theta(self, theta):
        _, S = self._unpack(theta)
        try:
            linalg.cholesky(S, lower=True, check_finite=False)
        except linalg.LinAlgError:
            raise ValueError(
                "theta: the covariance matrix given by the sigma entries "
                f"{self.param_names[self.dim:]} is not positive definite"
            ) from None

    def _check_data(self, data):
        d = self.dim
        if data.ndim == 1 and d == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != d:
            raise ValueError(f"data must have shape (n, {d}), got {data.shape}")
        return data

    def _example_theta(self):
        d = self.dim
        S = 0.5 * (np.eye(d) + np.ones((d, d)))  # unit variances, correlation 1/2
        return np.concatenate([np.zeros(d), S[self._rows, self._cols]])

    def random_theta(self, rng=None) -> np.ndarray:
        """Draw a mean in ``[-1, 1]^d`` and a well-conditioned positive definite covariance.

        The covariance is ``diag(s) R diag(s)`` with standard deviations
        ``s = exp(U(-0.7, 0.7))`` and ``R`` the correlation matrix of
        ``W W^T / (d + 2) + I / 2`` for a standard normal ``W`` (d, d + 2).

        Examples
        --------
        >>> import fisherstat as fs
        >>> m = fs.models.MultivariateNormal(dim=3)
        >>> m.random_theta(0).shape
        (9,)
        """
        rng = check_random_state(rng)
        d = self.dim
        W = rng.standard_normal((d, d + 2))
        C = W @ W.T / (d + 2) + 0.5 * np.eye(d)
        c = np.sqrt(np.diag(C))
        s = np.exp(rng.uniform(-0.7, 0.7, d))
        S = (s / c)[:, None] * C * (s / c)[None, :]
        mu = rng.uniform(-1.0, 1.0, d)
        return self.validate(np.concatenate([mu, S[self._rows, self._cols]]))

    # ---------------------------------------------------------- likelihood
    def _loglik(self, theta, data, x):
        mu, L, _ = self._chol(theta)
        z = linalg.solve_triangular(L, (data - mu).T, lower=True, check_finite=False)
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        return -0.5 * (self.dim * np.log(2 * np.pi) + logdet + np.sum(z * z, axis=0))

    def _score(self, theta, data, x):
        mu, L, P = self._chol(theta)
        d, i, j = self.dim, self._rows, self._cols
        # Work observation-last ((d, n) rows are contiguous), return the (n, p) view.
        out = np.empty((self.n_params, data.shape[0]))
        a = out[:d]
        a[...] = linalg.cho_solve((L, True), (data - mu).T, check_finite=False)
        for q in range(i.size):  # loop over the d(d+1)/2 parameters, vectorised over n
            row = out[d + q]
            np.multiply(a[i[q]], a[j[q]], out=row)
            row -= P[i[q], j[q]]
            row *= self._half[q]
        return out.T

    def _trace_term(self, P):
        """``T[a, b] = tr(P E_a P E_b)``, (m, m)."""
        PE = np.einsum("ij,ajk->aik", P, self._E)
        return np.einsum("aij,bji->ab", PE, PE)

    def _hessian(self, theta, data, x):
        d = self.dim
        mu, L, P = self._chol(theta)
        a = linalg.cho_solve((L, True), (data - mu).T, check_finite=False).T  # (n, d)
        V = np.einsum("ajk,nk->naj", self._E, a)  # E_alpha a, (n, m, d)
        PV = V @ P  # rows: (P E_alpha a)^T
        n, p = data.shape[0], self.n_params
        H = np.empty((n, p, p))
        H[:, :d, :d] = -P
        H[:, :d, d:] = -np.swapaxes(PV, 1, 2)
        H[:, d:, :d] = -PV
        H[:, d:, d:] = 0.5 * self._trace_term(P) - np.einsum("naj,nbj->nab", PV, V)
        return H

    def _fisher(self, theta):
        d = self.dim
        _, _, P = self._chol(theta)
        info = np.zeros((self.n_params, self.n_params))
        info[:d, :d] = P
        info[d:, d:] = 0.5 * self._trace_term(P)
        return info

    def _sample(self, theta, n, rng, x):
        mu, L, _ = self._chol(theta)
        return mu + rng.standard_normal((n, self.dim)) @ L.T

    def _fit(self, data, x, start):
        n, d = data.shape
        if n <= d:
            raise FitError(
                f"MultivariateNormal(dim={d}) needs more than {d} observations for a "
                f"non-singular covariance MLE, got {n}"
            )
        mu = data.mean(axis=0)
        r = data - mu
        S = r.T @ r / n
        S = 0.5 * (S + S.T)
        w = np.linalg.eigvalsh(S)
        if not w[0] > d * EPS * max(w[-1], np.finfo(float).tiny):
            raise FitError(
                "MultivariateNormal fit: the sample covariance is singular (the data lie in "
                f"a lower-dimensional subspace; smallest eigenvalue {w[0]:.3g})"
            )
        return np.concatenate([mu, S[self._rows, self._cols]])

    def _fit_batch(self, data, x, start):
        if data.ndim == 2 and self.dim == 1:
            data = data[..., None]
        c, n, d = data.shape
        mu = data.mean(axis=1)
        R = data - mu[:, None, :]
        S = np.einsum("cni,cnj->cij", R, R) / n
        S = 0.5 * (S + np.swapaxes(S, 1, 2))
        w = np.linalg.eigvalsh(S)
        # the singular-covariance rule of ``_fit`` (refitted replicates raise its FitError)
        bad = ~(w[:, 0] > d * EPS * np.maximum(w[:, -1], np.finfo(float).tiny))
        return np.column_stack([mu, S[:, self._rows, self._cols]]), bad
