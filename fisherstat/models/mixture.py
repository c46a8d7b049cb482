r"""Finite Gaussian mixtures: analytic score and Hessian, exact (1-d) and Monte Carlo information,
EM fitting, Louis' observed information and the singular sets of the mixture family."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import linalg, special

from .._moments import Moments as _Moments
from .._validation import (
    check_bool,
    check_int,
    check_random_state,
    check_scalar,
    validate_theta,
)
from ..exceptions import FitError
from ..information import FisherInfo
from ..information import fisher as _fisher_estimator
from .base import Model, Singularity

__all__ = ["GaussianMixture", "EMResult", "MissingInformation"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "equal")
_LOG_2PI = np.log(2.0 * np.pi)
_CHUNK = 2**14  # rows per chunk of Monte Carlo draws


def _tall_matmul(A, M):
    """``A @ M`` for a tall ``A`` (..., d) and a small ``M`` (d, q), computed as
    ``(M^T A^T)^T``: OpenBLAS handles the wide product consistently fast, while the tall one
    can be ~30x slower when its threads compete for cores."""
    flat = A.reshape(-1, A.shape[-1])
    return (M.T @ flat.T).T.reshape(A.shape[:-1] + (M.shape[1],))


class _Parts(NamedTuple):
    """Component quantities at one parameter value (all arrays over the k components)."""

    pi: np.ndarray  # (k,)  weights, pi_k = 1 - sum of the free ones
    mu: np.ndarray  # (k, d)
    cov: np.ndarray  # (k, d, d)
    linv: np.ndarray  # (k, d, d)  inverse of the lower Cholesky factor
    prec: np.ndarray  # (k, d, d)  Sigma_j^{-1}
    logdet: np.ndarray  # (k,)


@dataclass(frozen=True)
class EMResult:
    """Diagnostics of an EM fit of a :class:`GaussianMixture` (see :meth:`GaussianMixture.fit_em`).

    Attributes
    ----------
    theta : ndarray, shape (p,)
        The estimate, in canonical component order (see
        :meth:`GaussianMixture.sort_components`).
    loglik : float
        Total log-likelihood at ``theta``.
    converged : bool
        True when the best start met the convergence criterion (always, unless
        ``fit_em(..., strict=False)`` returned the best unfinished start).
    n_iter : int
        EM iterations of the best start.
    n_newton : int
        Accepted Newton-Raphson polishing steps after EM.
    loglik_path : ndarray
        Total log-likelihood at every EM iteration of the best start (non-decreasing up to
        rounding; Dempster, Laird & Rubin 1977, Theorem 1).
    start_logliks : ndarray
        Final log-likelihood of every start (NaN for starts that did not converge).
    failures : tuple of str
        Why each failed start failed (collapsed component, no convergence).
    """

    theta: np.ndarray
    loglik: float
    converged: bool
    n_iter: int
    n_newton: int
    loglik_path: np.ndarray
    start_logliks: np.ndarray
    failures: tuple


@dataclass(frozen=True)
class MissingInformation:
    r"""Louis' (1982) decomposition of the observed information of a mixture, per observation.

    Attributes
    ----------
    complete : ndarray, shape (p, p)
        :math:`\frac1n\sum_i E[-\nabla^2 \log p(y_i, z_i) \mid y_i]`, the conditional expected
        complete-data information (the labels ``z`` are the missing data).
    missing : ndarray, shape (p, p)
        :math:`\frac1n\sum_i \operatorname{Cov}[\nabla \log p(y_i, z_i) \mid y_i]`, the
        missing information.
    param_names : tuple of str

    Notes
    -----
    ``observed = complete - missing`` is minus the Hessian of the observed log-likelihood
    per observation (Louis 1982, JRSS-B 44, eq. 3.1). At the MLE, the eigenvalues of
    ``complete^{-1} missing`` are the rates of the EM iteration in its eigen-directions; the
    largest is its linear rate of convergence (Dempster, Laird & Rubin 1977, JRSS-B 39,
    sec. 3; Meng & Rubin 1991, JASA 86, 899-909, eq. 2.2.1).
    """

    complete: np.ndarray
    missing: np.ndarray
    param_names: tuple

    @property
    def observed(self) -> FisherInfo:
        """Observed information per observation, ``complete - missing``."""
        m = self.complete - self.missing
        return FisherInfo(0.5 * (m + m.T), self.param_names, 1.0, "observed")

    def fraction_missing(self) -> np.ndarray:
        """Eigenvalues of ``complete^{-1} missing``, in decreasing order."""
        lam = linalg.eigvals(self.missing, self.complete)
        return np.sort(lam.real)[::-1]

    @property
    def em_rate(self) -> float:
        """Largest fraction of missing information: the linear rate of EM at the MLE."""
        return float(self.fraction_missing()[0])


class GaussianMixture(Model):
    r"""Mixture of ``k`` Gaussian components in ``dim`` dimensions.

    .. math::

        p(x) = \sum_{j=1}^k \pi_j\, \phi(x; \mu_j, \Sigma_j), \qquad
        \pi_k = 1 - \sum_{j<k} \pi_j.

    Parameters
    ----------
    k : int, default 2
        Number of components (``k = 1`` is the (multivariate) normal).
    dim : int, default 1
        Dimension ``d`` of one observation; data are (n,) for ``d = 1`` and (n, d) otherwise.
    covariance : {'full', 'diag', 'spherical', 'equal'}
        ``'full'``: one unrestricted covariance per component; ``'diag'``: diagonal ones;
        ``'spherical'``: :math:`\sigma_j^2 I`; ``'equal'``: one unrestricted covariance shared
        by all components (scikit-learn's ``'tied'``). For ``d = 1`` the first three coincide
        (one variance per component) and ``'equal'`` has one common variance.

    Notes
    -----
    **Parameter order.** ``theta`` = free weights ``w1, ..., w(k-1)``; means
    ``mu_1, ..., mu_k`` (component after component); covariance entries, component after
    component (once for ``'equal'``). Names: ``d = 1``: ``w1, mu1, mu2, sigma2_1,
    sigma2_2`` (``sigma2`` for ``'equal'``); ``d > 1``: ``mu1_1, mu1_2`` (component 1,
    coordinates 1 and 2); ``'full'``: the lower triangle row by row of each
    :math:`\Sigma_j`, ``sigma1_11, sigma1_21, sigma1_22, ...`` (as
    :class:`~fisherstat.models.MultivariateNormal`, with the component in front);
    ``'diag'``: ``sigma1_11, sigma1_22, ...``; ``'spherical'``: ``sigma2_1, sigma2_2, ...``
    (the variances :math:`\sigma_j^2`); ``'equal'``: ``sigma11, sigma21, sigma22, ...``.
    Indices get an underscore separator once ``d >= 10``. ``theta`` is valid when the weights
    lie in the open simplex (each > 0 and their sum < 1) and every covariance is positive
    definite.

    **Score and Hessian** (the derivation of Boldea & Magnus 2009, JBES 27, 111-121,
    Theorems 1-2, written for any covariance restriction). Let
    :math:`\ell_j = \log \pi_j + \log\phi(x;\mu_j,\Sigma_j)`, the responsibilities
    :math:`\tau_j = e^{\ell_j} / p(x)`, and :math:`A_j = \nabla_\theta \ell_j`,
    :math:`B_j = \nabla^2_\theta \ell_j` the complete-data score and Hessian of component
    :math:`j`. Since :math:`\nabla p = \sum_j e^{\ell_j} A_j` and
    :math:`\nabla^2 p = \sum_j e^{\ell_j}(B_j + A_j A_j^T)`,

    .. math::

        s = \sum_j \tau_j A_j, \qquad
        H = \sum_j \tau_j (B_j + A_j A_j^T) - s s^T.

    With :math:`r = x - \mu_j`, :math:`P = \Sigma_j^{-1}`, :math:`a = P r` and
    :math:`E_\alpha = \partial \Sigma_j / \partial \sigma_\alpha` (:math:`e_i e_l^T +
    e_l e_i^T` for an off-diagonal entry, :math:`e_i e_i^T` for a diagonal one, :math:`I` for
    a spherical variance), the non-zero parts of :math:`A_j` are
    :math:`\partial_{w_l}\ell_j = \delta_{jl}/\pi_j` (:math:`-1/\pi_k` for :math:`j = k`),
    :math:`\partial_{\mu_j}\ell_j = a` and
    :math:`\partial_{\sigma_\alpha}\ell_j = \tfrac12(a^T E_\alpha a -
    \operatorname{tr} P E_\alpha)`; those of :math:`B_j` are
    :math:`B_{ww} = -A_{j,w} A_{j,w}^T` (so the weight block of :math:`H` is
    :math:`-s_w s_w^T`), :math:`B_{\mu\mu} = -P`, :math:`B_{\mu\sigma_\alpha} = -P E_\alpha a`
    and :math:`B_{\sigma_\alpha\sigma_\beta} = \tfrac12\operatorname{tr}(P E_\alpha P E_\beta)
    - a^T E_\alpha P E_\beta a` (Magnus & Neudecker 2019, ch. 15). Everything is vectorised
    over the observations; only the ``k`` components are looped over.

    **Information.** No closed form exists. For ``d = 1``, :meth:`fisher` integrates
    :math:`s s^T p` by composite Gauss-Legendre quadrature on panels of half a standard
    deviation of every component (16 nodes each) over :math:`\mu_j \pm 14\sigma_j`; it agrees
    with a rule four times finer and with adaptive quadrature to 1e-15 (relative), and
    ``has_analytic_fisher`` is True. For
    ``d > 1`` ``has_analytic_fisher`` is False and :func:`fisherstat.fisher` uses plain Monte
    Carlo; :meth:`fisher_monte_carlo` adds stratification by component and randomized
    quasi-Monte Carlo. :meth:`complete_information` is the (closed-form) information of the
    complete data (observations and labels).

    **Fit.** :meth:`fit_em` (EM from several k-means++ starts, Newton polishing, canonical
    component order; ``fit`` returns its ``theta`` and keeps the :class:`EMResult` as
    ``model.last_fit_``); :meth:`observed_information_louis` and :meth:`missing_information`
    give Louis' decomposition at a fit. :meth:`singularities` reports the distances to the
    sets where the information degenerates (coinciding components, zero weights) or diverges
    (singular covariances).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.models.mixture import GaussianMixture
    >>> m = GaussianMixture(2)
    >>> m.param_names
    ('w1', 'mu1', 'mu2', 'sigma2_1', 'sigma2_2')
    >>> theta = [0.3, -2.0, 2.0, 1.0, 1.0]
    >>> np.round(m.fisher(theta)[:3, :3], 4)  # (w1, mu1, mu2) block, by quadrature
    array([[ 4.4109, -0.1367, -0.1581],
           [-0.1367,  0.2418, -0.0567],
           [-0.1581, -0.0567,  0.6239]])
    >>> x = m.sample(theta, 20_000, rng=0)
    >>> np.round(m.fit(x), 1)
    array([ 0.3, -2. ,  2. ,  1. ,  1. ])
    >>> GaussianMixture(3, dim=2, covariance="spherical").param_names[:6]
    ('w1', 'w2', 'mu1_1', 'mu1_2', 'mu2_1', 'mu2_2')
    """

    def __init__(self, k: int = 2, dim: int = 1, covariance: str = "full"):
        k = check_int(k, "k", low=1)
        d = check_int(dim, "dim", low=1)
        if not isinstance(covariance, str) or covariance not in COVARIANCE_TYPES:
            raise ValueError(f"covariance must be one of {COVARIANCE_TYPES}, got {covariance!r}")
        self.k, self.dim, self.covariance = k, d, covariance
        #: Quadrature (``d = 1``) is deterministic and accurate to ~1e-15: analytic.
        self.has_analytic_fisher = d == 1
        # d Sigma / d (covariance parameter alpha): E (m, d, d); pack indices Sigma[rows, cols].
        if covariance in ("full", "equal"):
            rows, cols = np.tril_indices(d)
        elif covariance == "diag":
            rows = cols = np.arange(d)
        else:
            rows = cols = np.zeros(1, dtype=int)
        m = rows.size
        E = np.zeros((m, d, d))
        if covariance == "spherical":
            E[0] = np.eye(d)
        else:
            E[np.arange(m), rows, cols] = 1.0
            E[np.arange(m), cols, rows] = 1.0
        E.flags.writeable = False
        self._E, self._rows, self._cols, self._m = E, rows, cols, m
        self._mult = np.where(rows == cols, 1.0, 2.0)
        shared = covariance == "equal"
        n_cov = m if shared else k * m
        base_mu, base_cov = k - 1, k - 1 + k * d
        self._mu_slice = slice(base_mu, base_cov)
        self._cov_slice = slice(base_cov, base_cov + n_cov)
        self._w_idx = np.arange(k - 1)
        self._loc_idx = [
            np.concatenate([base_mu + j * d + np.arange(d),
                            base_cov + (0 if shared else j * m) + np.arange(m)])
            for j in range(k)
        ]
        super().__init__(*self._names_and_bounds())

    def _names_and_bounds(self):
        k, d, cov = self.k, self.dim, self.covariance
        sep = "" if d < 10 else "_"
        names = [f"w{j + 1}" for j in range(k - 1)]
        names += [f"mu{j + 1}" if d == 1 else f"mu{j + 1}_{i + 1}"
                  for j in range(k) for i in range(d)]
        diag = self._rows == self._cols
        if d == 1 or cov == "spherical":
            cov_names = ["sigma2"] if cov == "equal" else [f"sigma2_{j + 1}" for j in range(k)]
        elif cov == "equal":
            cov_names = [f"sigma{r + 1}{sep}{c + 1}" for r, c in zip(self._rows, self._cols,
                                                                      strict=True)]
        else:
            cov_names = [f"sigma{j + 1}_{r + 1}{sep}{c + 1}" for j in range(k)
                         for r, c in zip(self._rows, self._cols, strict=True)]
        reps = 1 if cov == "equal" else k
        bounds = [(0.0, 1.0)] * (k - 1) + [(-np.inf, np.inf)] * (k * d)
        bounds += [(0.0, np.inf) if dg else (-np.inf, np.inf) for dg in np.tile(diag, reps)]
        return names + cov_names, bounds

    def __repr__(self) -> str:
        return f"GaussianMixture(k={self.k}, dim={self.dim}, covariance={self.covariance!r})"

    # ------------------------------------------------------------------ layout
    def _arrays(self, theta):
        """``(pi, mu, cov)`` of shapes (k,), (k, d), (k, d, d) from ``theta``."""
        k, d = self.k, self.dim
        w = theta[: k - 1]
        pi = np.append(w, 1.0 - w.sum())
        mu = theta[self._mu_slice].reshape(k, d)
        c = theta[self._cov_slice].reshape(-1, self._m)
        cov = np.einsum("ja,ail->jil", c, self._E)
        if cov.shape[0] == 1:
            cov = np.broadcast_to(cov, (k, d, d))
        return pi, mu, cov

    def _pack(self, pi, mu, cov):
        """Inverse of :meth:`_arrays` (``cov`` already of the model's covariance type)."""
        c = cov[:1] if self.covariance == "equal" else cov
        return np.concatenate([pi[:-1], mu.ravel(), c[:, self._rows, self._cols].ravel()])

    def _parts_of(self, pi, mu, cov) -> _Parts:
        """Cholesky-based component quantities; raises ``LinAlgError`` if a Sigma is not PD."""
        L = np.linalg.cholesky(cov)  # batched over the components
        linv = np.empty_like(L)
        for j in range(self.k):
            linv[j], info = linalg.lapack.dtrtri(L[j], lower=1)
            if info != 0:
                raise linalg.LinAlgError(f"covariance of component {j + 1} is singular")
        logdet = 2.0 * np.sum(np.log(np.einsum("jii->ji", L)), axis=1)
        prec = np.einsum("jai,jal->jil", linv, linv)
        return _Parts(pi, mu, np.asarray(cov), linv, prec, logdet)

    def _parts(self, theta) -> _Parts:
        return self._parts_of(*self._arrays(theta))

    def _check_theta(self, theta):
        k = self.k
        if k > 1:
            total = float(np.sum(theta[: k - 1]))
            if not total < 1.0:
                names = self.param_names[: k - 1]
                raise ValueError(
                    f"theta: the weights ({', '.join(names)}) must lie in the open simplex: "
                    f"each in (0, 1) and {' + '.join(names)} < 1 (so that w{k} = 1 - sum > 0), "
                    f"got sum {total!r}")
        if self.covariance in ("full", "equal") and self.dim > 1:
            _, _, cov = self._arrays(theta)
            per = self._m if self.covariance == "full" else 0
            names = self.param_names[self._cov_slice]
            for j in range(1 if self.covariance == "equal" else k):
                try:
                    np.linalg.cholesky(cov[j])
                except np.linalg.LinAlgError:
                    which = names[j * per: j * per + self._m]
                    comp = "" if self.covariance == "equal" else f" of component {j + 1}"
                    raise ValueError(
                        f"theta: the covariance matrix{comp} given by {which} is not positive "
                        "definite") from None

    def _check_data(self, data):
        d = self.dim
        if d == 1 and data.ndim == 1:
            return data[:, None]
        if data.ndim != 2 or data.shape[1] != d:
            want = "(n,)" if d == 1 else f"(n, {d})"
            raise ValueError(f"data must have shape {want} for dim={d}, got {data.shape}")
        return data

    # --------------------------------------------------------------- examples
    def _example_theta(self):
        k, d = self.k, self.dim
        pi = np.arange(1, k + 1, dtype=float) + 1.0
        pi /= pi.sum()
        mu = np.zeros((k, d))
        mu[:, 0] = 3.0 * np.arange(k) - 1.5 * (k - 1)
        if d > 1:
            mu[:, 1] = 0.5 * (-1.0) ** np.arange(k)
        cov = np.empty((k, d, d))
        for j in range(k):
            rho = 0.3 * (-1.0) ** j
            s = np.sqrt(1.0 + 0.25 * j) * np.ones(d)
            cov[j] = np.outer(s, s) * (rho + (1 - rho) * np.eye(d))
        return self._pack(pi, mu, self._project(cov, pi))

    def _project(self, cov, weights):
        """Restrict full covariances (k, d, d) to the model's covariance type."""
        d = self.dim
        if self.covariance == "diag":
            return np.einsum("jii->ji", cov)[:, :, None] * np.eye(d)
        if self.covariance == "spherical":
            return (np.einsum("jii->j", cov) / d)[:, None, None] * np.eye(d)
        if self.covariance == "equal":
            shared = np.einsum("j,jab->ab", weights / weights.sum(), cov)
            return np.broadcast_to(shared, cov.shape).copy()
        return cov

    def random_theta(self, rng=None) -> np.ndarray:
        """A valid parameter with well separated components, in canonical order.

        Weights ``0.5/k + 0.5 Dirichlet(3, ..., 3)``; covariances with standard deviations
        ``exp(U(-0.5, 0.5))`` and the correlation of ``W W^T / (d + 2) + I / 2``
        (``W`` standard normal, restricted to the covariance type); means drawn uniformly
        in a box until every pair is at least 3 apart in the Mahalanobis distance of their
        average covariance (then placed on a line if that fails).

        Examples
        --------
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> GaussianMixture(3, dim=2).random_theta(0).shape
        (17,)
        """
        rng = check_random_state(rng)
        k, d = self.k, self.dim
        pi = 0.5 / k + 0.5 * rng.dirichlet(np.full(k, 3.0))
        cov = np.empty((k, d, d))
        for j in range(k):
            W = rng.standard_normal((d, d + 2))
            C = W @ W.T / (d + 2) + 0.5 * np.eye(d)
            c = np.sqrt(np.diag(C))
            s = np.exp(rng.uniform(-0.5, 0.5, d))
            cov[j] = (s / c)[:, None] * C * (s / c)[None, :]
        cov = self._project(cov, pi)
        half = 2.5 * k ** (1.0 / d) * np.sqrt(np.max(np.linalg.eigvalsh(cov)))
        mu = np.empty((k, d))
        for _ in range(200):
            mu = rng.uniform(-half, half, (k, d))
            if self._min_separation(mu, cov)[0] >= 3.0:
                break
        else:
            mu = np.zeros((k, d))
            mu[:, 0] = 4.0 * np.sqrt(np.max(np.linalg.eigvalsh(cov))) * np.arange(k)
        return self.sort_components(self._pack(pi, mu, cov))

    @staticmethod
    def _min_separation(mu, cov, with_cov=False):
        """Smallest pairwise Mahalanobis separation of the means (optionally also of the
        covariances) in the scale of the pair's average covariance; returns (dist, i, j)."""
        best = (np.inf, -1, -1)
        k = mu.shape[0]
        for i in range(k):
            for j in range(i + 1, k):
                avg = 0.5 * (cov[i] + cov[j])
                L = linalg.cholesky(avg, lower=True)
                z = linalg.solve_triangular(L, mu[i] - mu[j], lower=True)
                dist2 = float(z @ z)
                if with_cov:
                    D = linalg.solve_triangular(L, cov[i] - cov[j], lower=True)
                    D = linalg.solve_triangular(L, D.T, lower=True)
                    dist2 += float(np.sum(D * D))
                if np.sqrt(dist2) < best[0]:
                    best = (np.sqrt(dist2), i, j)
        return best

    def sort_components(self, theta) -> np.ndarray:
        """``theta`` with the components in canonical order (against label switching).

        Components are sorted by the first coordinate of the mean, ties by the weight
        (then by the remaining mean coordinates). The mixture density is unchanged; fits
        and replicates become comparable.

        Examples
        --------
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> GaussianMixture(2).sort_components([0.3, 2.0, -1.0, 1.0, 4.0])
        array([ 0.7, -1. ,  2. ,  4. ,  1. ])
        """
        theta = self.validate(theta)
        pi, mu, cov = self._arrays(theta)
        keys = [mu[:, i] for i in range(self.dim - 1, 0, -1)] + [pi, mu[:, 0]]
        order = np.lexsort(keys)
        return self._pack(pi[order], mu[order], np.asarray(cov)[order])

    # ---------------------------------------------------------------- density
    def _e_step(self, pt: _Parts, X):
        """E step, observation-last (rows contiguous over the n observations).

        Returns ``a = P (x - mu_j)`` (k, d, n), ``log p`` (n,) and the responsibilities
        ``tau`` (k, n), by log-sum-exp over the components.
        """
        k, n, d = self.k, X.shape[0], self.dim
        Xt = np.ascontiguousarray(X.T)
        a = np.empty((k, d, n))
        logp = np.empty((k, n))
        const = np.log(pt.pi) - 0.5 * (d * _LOG_2PI + pt.logdet)
        for j in range(k):
            z = pt.linv[j] @ (Xt - pt.mu[j][:, None])  # L^-1 r, (d, n)
            a[j] = pt.linv[j].T @ z  # L^-T L^-1 r = P r
            logp[j] = const[j] - 0.5 * np.einsum("in,in->n", z, z)
        top = logp.max(axis=0)
        tau = np.exp(logp - top)
        total = tau.sum(axis=0)
        tau /= total
        return a, top + np.log(total), tau

    def _loglik(self, theta, data, x):
        return self._e_step(self._parts(theta), data)[1]

    def _local_scores(self, pt: _Parts, a):
        """Complete-data scores of each component in its own (mean, covariance) parameters,
        (k, d + m, n): ``a`` and ``(a^T E_alpha a - tr(P E_alpha)) / 2``."""
        k, d, n = a.shape
        loc = np.empty((k, d + self._m, n))
        loc[:, :d] = a
        if self.covariance == "spherical":  # E = I
            loc[:, d] = 0.5 * (np.einsum("jin,jin->jn", a, a)
                               - np.einsum("jii->j", pt.prec)[:, None])
        else:  # E_alpha has ones at (r, c) and (c, r): a^T E a = (2 - [r = c]) a_r a_c
            for q, (r, c) in enumerate(zip(self._rows, self._cols, strict=True)):
                loc[:, d + q] = (0.5 * self._mult[q]) * (a[:, r] * a[:, c]
                                                        - pt.prec[:, r, c][:, None])
        return loc

    def _weight_scores(self, pi):
        """``G[j]`` = complete-data weight score of component ``j``, (k, k - 1)."""
        k = self.k
        G = np.zeros((k, k - 1))
        G[np.arange(k - 1), np.arange(k - 1)] = 1.0 / pi[:-1]
        G[k - 1] = -1.0 / pi[-1]
        return G

    def _score_parts(self, theta, X):
        """Component quantities, ``a``, ``tau``, local scores and the score ``s`` (p, n)."""
        pt = self._parts(theta)
        a, _, tau = self._e_step(pt, X)
        loc = self._local_scores(pt, a)
        s = np.zeros((self.n_params, X.shape[0]))
        if self.k > 1:
            s[self._w_idx] = self._weight_scores(pt.pi).T @ tau
        for j in range(self.k):
            s[self._loc_idx[j]] += tau[j] * loc[j]
        return pt, a, tau, loc, s

    def _score(self, theta, data, x):
        return self._score_parts(theta, data)[4].T  # (n, p) view of contiguous rows

    def _times_E(self, a):
        """``E_alpha a`` for every covariance parameter: (n, d) -> (n, m, d)."""
        d, m = self.dim, self._m
        Et = self._E.transpose(1, 0, 2).reshape(d, m * d)
        return _tall_matmul(a, Et).reshape(a.shape[:-1] + (m, d))

    def _local_hessian(self, pt: _Parts, j, a_j):
        """Per-observation complete-data Hessian of component ``j`` in its local parameters,
        (n, d + m, d + m); ``a_j`` is (n, d)."""
        d = self.dim
        P = pt.prec[j]
        Ea = self._times_E(a_j)  # E_alpha a, (n, m, d)
        PEa = _tall_matmul(Ea, P)  # (P E_alpha a)^T
        PE = np.einsum("iq,aql->ail", P, self._E)
        T = np.einsum("ail,bli->ab", PE, PE)  # tr(P E_a P E_b)
        n, q = a_j.shape[0], d + self._m
        B = np.empty((n, q, q))
        B[:, :d, :d] = -P
        B[:, :d, d:] = -np.swapaxes(PEa, 1, 2)
        B[:, d:, :d] = -PEa
        B[:, d:, d:] = 0.5 * T - PEa @ np.swapaxes(Ea, 1, 2)
        return B

    def _hessian(self, theta, data, x):
        pt, a, tau, loc, s = self._score_parts(theta, data)
        s = s.T
        H = -(s[:, :, None] * s[:, None, :])
        G = self._weight_scores(pt.pi) if self.k > 1 else None
        w = self._w_idx
        for j in range(self.k):
            idx = self._loc_idx[j]
            t = tau[j][:, None, None]
            lj = loc[j].T  # (n, d + m)
            H[:, idx[:, None], idx[None, :]] += t * (
                self._local_hessian(pt, j, a[j].T) + lj[:, :, None] * lj[:, None, :])
            if G is not None:
                cross = t * G[j][None, :, None] * lj[:, None, :]
                H[:, w[:, None], idx[None, :]] += cross
                H[:, idx[:, None], w[None, :]] += np.swapaxes(cross, 1, 2)
        return H

    # ------------------------------------------------------------ information
    def _quadrature(self, theta, *, half_width=14.0, step=0.5, order=16):
        """Nodes ``x`` and weights ``c`` with ``int g(x) p(x) dx ~ sum_i c_i g(x_i)`` (d = 1).

        Composite Gauss-Legendre of ``order`` nodes on the panels between the break points
        ``mu_j + sigma_j t``, ``t = -half_width, ..., half_width`` in steps of ``step``
        (merged over the components); ``c_i`` includes the mixture density.
        """
        pi, mu, cov = self._arrays(theta)
        sd = np.sqrt(cov[:, 0, 0])
        t = np.arange(-half_width, half_width + 0.5 * step, step)
        brk = np.unique((mu[:, 0, None] + sd[:, None] * t[None, :]).ravel())
        g, gw = np.polynomial.legendre.leggauss(order)
        lo, hi = brk[:-1, None], brk[1:, None]
        x = (0.5 * (lo + hi) + 0.5 * (hi - lo) * g).ravel()
        c = (0.5 * (hi - lo) * gw).ravel()
        X = x[:, None]
        return X, c * np.exp(self._loglik(theta, X, None))

    def _fisher(self, theta, **rule):
        X, c = self._quadrature(theta, **rule)
        s = self._score(theta, X, None)
        info = (s * c[:, None]).T @ s
        return 0.5 * (info + info.T)

    def complete_information(self, theta) -> np.ndarray:
        r"""Expected information of one *complete* observation (x and its component label).

        .. math::

            I_c = \operatorname{blockdiag}\Big(\operatorname{diag}(1/\pi_j)_{j<k}
            + \tfrac{1}{\pi_k}\mathbf 1\mathbf 1^T,\ \ \pi_j \Sigma_j^{-1},\ \
            \pi_j\,\tfrac12\operatorname{tr}(P_j E_\alpha P_j E_\beta)\Big)

        (the multinomial information of the weights and, per component, ``pi_j`` times the
        normal information; Magnus & Neudecker 2019, ch. 15). The eigenvalues of
        :math:`I_c^{-1}(I_c - I)` are the asymptotic rates of EM (Dempster, Laird & Rubin
        1977, sec. 3).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> np.round(GaussianMixture(2).complete_information([0.25, 0.0, 3.0, 1.0, 2.0]), 4)
        array([[5.3333, 0.    , 0.    , 0.    , 0.    ],
               [0.    , 0.25  , 0.    , 0.    , 0.    ],
               [0.    , 0.    , 0.375 , 0.    , 0.    ],
               [0.    , 0.    , 0.    , 0.125 , 0.    ],
               [0.    , 0.    , 0.    , 0.    , 0.0938]])
        """
        theta = self.validate(theta)
        pt = self._parts(theta)
        d = self.dim
        info = np.zeros((self.n_params, self.n_params))
        if self.k > 1:
            G = self._weight_scores(pt.pi)
            info[:self.k - 1, :self.k - 1] = np.einsum("j,ja,jb->ab", pt.pi, G, G)
        for j in range(self.k):
            idx = self._loc_idx[j]
            PE = np.einsum("iq,aql->ail", pt.prec[j], self._E)
            block = np.zeros((d + self._m, d + self._m))
            block[:d, :d] = pt.prec[j]
            block[d:, d:] = 0.5 * np.einsum("ail,bli->ab", PE, PE)
            info[idx[:, None], idx[None, :]] += pt.pi[j] * block
        return info

    def fisher_monte_carlo(self, theta, n_samples: int = 100_000, rng=None, *,
                           variance_reduction: str | None = None, estimator: str = "score",
                           n_scrambles: int = 16) -> FisherInfo:
        r"""Monte Carlo information of one observation, optionally variance-reduced.

        Parameters
        ----------
        theta : array_like, shape (p,)
        n_samples : int
            Number of draws (``'qmc'`` rounds each component's share per scramble to a
            power of two; the number used is ``result.n_samples``).
        rng : int or np.random.Generator, optional
        variance_reduction : {None, 'stratified', 'qmc'}
            ``None``: plain Monte Carlo (:func:`fisherstat.fisher`). ``'stratified'``:
            ``n_j = n pi_j`` draws from each component (proportional allocation; largest
            remainders, at least 2 each). ``'qmc'``: stratified as well, and within each
            component a scrambled Sobol' point set mapped by the normal inverse CDF and the
            Cholesky factor, repeated ``n_scrambles`` times independently.
        estimator : {'score', 'hessian'}
            Average ``s s^T`` or ``-H``.
        n_scrambles : int
            Independent scrambles of ``'qmc'`` (at least 2); they give its standard errors.

        Returns
        -------
        FisherInfo
            ``method='monte_carlo'`` with entrywise standard errors.

        Notes
        -----
        Stratification estimates :math:`I = \sum_j \pi_j E_j[T]` (:math:`E_j` over component
        ``j``, :math:`T = s s^T` or :math:`-H`) by :math:`\sum_j \pi_j \bar T_j` with
        variance :math:`\sum_j \pi_j^2 \operatorname{Var}_j(T)/n_j`; with proportional
        allocation it removes the between-component part of :math:`\operatorname{Var}(T)`
        and never increases the variance (Cochran, *Sampling Techniques*, 3rd ed., 1977,
        sec. 5.6). Randomized QMC (Owen 1997, "Scrambled net variance for integrals of
        smooth functions", Ann. Statist. 25, 1541-1562) gives unbiased estimates per scramble
        whose spread gives the standard error (Owen, *Practical Quasi-Monte Carlo
        Integration*, 2023, ch. 17).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2, dim=2)
        >>> theta = m.example_theta()
        >>> plain = m.fisher_monte_carlo(theta, 20_000, rng=0)
        >>> strat = m.fisher_monte_carlo(theta, 20_000, rng=0, variance_reduction="stratified")
        >>> bool(np.all(np.abs(plain.matrix - strat.matrix)
        ...             <= 4 * np.hypot(plain.stderr, strat.stderr) + 1e-12))
        True
        """
        theta = self.validate(theta)
        if variance_reduction is not None and (not isinstance(variance_reduction, str) or
                                               variance_reduction not in ("stratified", "qmc")):
            raise ValueError("variance_reduction must be None, 'stratified' or 'qmc', got "
                             f"{variance_reduction!r}")
        if not isinstance(estimator, str) or estimator not in ("score", "hessian"):
            raise ValueError(f"estimator must be 'score' or 'hessian', got {estimator!r}")
        n_samples = check_int(n_samples, "n_samples", low=2)
        n_scrambles = check_int(n_scrambles, "n_scrambles", low=2)
        rng = check_random_state(rng)
        if variance_reduction is None:
            return _fisher_estimator(self, theta, method="monte_carlo", n_samples=n_samples,
                                     rng=rng, estimator=estimator)
        pt = self._parts(theta)
        if variance_reduction == "stratified":
            return self._stratified(theta, pt, n_samples, rng, estimator)
        R = check_int(n_scrambles, "n_scrambles", low=2)
        return self._qmc(theta, pt, n_samples, rng, estimator, R)

    def _terms_moments(self, theta, X, estimator, acc):
        """Add the terms of ``X`` to the accumulator, in chunks that stay in cache (~2^14
        rows: 2-4x faster per draw than chunks of 10^5+ rows, measured)."""
        p = self.n_params
        chunk = max(1, min(_CHUNK, 4_000_000 // (p * p if estimator == "hessian" else p)))
        for start in range(0, X.shape[0], chunk):
            Xc = X[start:start + chunk]
            if estimator == "score":  # as _Moments.add_scores, by einsum: no BLAS threads
                sc = self._score(theta, Xc, None)
                c = sc.shape[0]
                mean = np.einsum("na,nb->ab", sc, sc) / c
                s2 = sc * sc
                acc.add(c, mean, np.clip(np.einsum("na,nb->ab", s2, s2) - c * mean**2, 0, None))
            else:
                acc.add_terms(-self._hessian(theta, Xc, None))

    def _draw_component(self, pt, j, z):
        """Map standard normal ``z`` (n, d) to component ``j``."""
        return pt.mu[j] + _tall_matmul(z, np.linalg.cholesky(pt.cov[j]).T)

    def _stratified(self, theta, pt, n, rng, estimator):
        k, p = self.k, self.n_params
        if n < 2 * k:
            raise ValueError(f"n_samples must be >= 2k = {2 * k} for stratification, got {n}")
        exact = n * pt.pi
        nj = np.floor(exact).astype(int)
        nj[np.argsort(nj - exact)[: n - nj.sum()]] += 1  # largest remainders
        nj = np.maximum(nj, 2)
        mean, var = np.zeros((p, p)), np.zeros((p, p))
        for j in range(k):
            acc = _Moments(p)
            done = 0
            while done < nj[j]:  # draw in chunks too: bounded memory
                c = int(min(nj[j] - done, _CHUNK))
                X = self._draw_component(pt, j, rng.standard_normal((c, self.dim)))
                self._terms_moments(theta, X, estimator, acc)
                done += c
            mean += pt.pi[j] * acc.mean
            var += pt.pi[j] ** 2 * acc.stderr() ** 2
        mean = 0.5 * (mean + mean.T)
        return FisherInfo(mean, self.param_names, 1.0, "monte_carlo", np.sqrt(var),
                          int(nj.sum()))

    def _qmc(self, theta, pt, n, rng, estimator, R):
        from scipy.stats import qmc  # imported on use: scipy.stats costs ~0.3 s to import

        k, p, d = self.k, self.n_params, self.dim
        per = np.maximum(n * pt.pi / R, 2.0)
        mj = np.maximum(np.round(np.log2(per)).astype(int), 1)
        est = np.empty((R, p, p))
        tiny = np.finfo(float).eps
        for r in range(R):
            total = np.zeros((p, p))
            for j in range(k):
                # ``seed=`` (not SciPy 1.15's ``rng=``) so that SciPy 1.10-1.14 work too; both
                # draw from the same Generator, so the stream is the same
                sob = qmc.Sobol(d, scramble=True, seed=rng)
                u = np.clip(sob.random_base2(int(mj[j])), tiny, 1.0 - tiny)
                X = self._draw_component(pt, j, special.ndtri(u))
                acc = _Moments(p)
                self._terms_moments(theta, X, estimator, acc)
                total += pt.pi[j] * acc.mean
            est[r] = total
        mean = est.mean(axis=0)
        se = est.std(axis=0, ddof=1) / np.sqrt(R)
        return FisherInfo(0.5 * (mean + mean.T), self.param_names, 1.0, "monte_carlo",
                          0.5 * (se + se.T), int(R * np.sum(2 ** mj)))

    # ---------------------------------------------------------------- sampling
    def _sample(self, theta, n, rng, x):
        pt = self._parts(theta)
        labels = rng.choice(self.k, size=n, p=pt.pi)
        z = rng.standard_normal((n, self.dim))
        X = np.empty((n, self.dim))
        for j in range(self.k):
            sel = labels == j
            X[sel] = self._draw_component(pt, j, z[sel])
        return X[:, 0] if self.dim == 1 else X

    # ----------------------------------------------------------- Louis / EM
    def _louis_sums(self, theta, X):
        """Summed complete information ``sum_i E[-B_z | y_i]``, summed ``E[A_z A_z^T | y_i]``,
        ``sum_i s_i s_i^T`` and the summed score (no per-observation (p, p) arrays)."""
        pt, a, tau, loc, s = self._score_parts(theta, X)
        p, d = self.n_params, self.dim
        Ic, AA = np.zeros((p, p)), np.zeros((p, p))
        w = self._w_idx
        G = self._weight_scores(pt.pi) if self.k > 1 else None
        for j in range(self.k):
            idx = self._loc_idx[j]
            t = tau[j]
            T = t.sum()
            P = pt.prec[j]
            Ea = self._times_E(a[j].T)  # (n, m, d)
            PEa = _tall_matmul(Ea, P)
            PE = np.einsum("iq,aql->ail", P, self._E)
            blk = np.empty((d + self._m, d + self._m))
            blk[:d, :d] = T * P
            blk[d:, :d] = np.tensordot(t, PEa, axes=(0, 0))
            blk[:d, d:] = blk[d:, :d].T
            blk[d:, d:] = (np.tensordot(t[:, None, None] * PEa, Ea, axes=([0, 2], [0, 2]))
                           - 0.5 * T * np.einsum("ail,bli->ab", PE, PE))
            Ic[idx[:, None], idx[None, :]] += blk
            lj = loc[j]  # (d + m, n)
            AA[idx[:, None], idx[None, :]] += np.einsum("an,bn->ab", lj * t, lj)
            if G is not None:
                gg = T * np.outer(G[j], G[j])
                Ic[w[:, None], w[None, :]] += gg
                AA[w[:, None], w[None, :]] += gg
                cross = np.outer(G[j], lj @ t)
                AA[w[:, None], idx[None, :]] += cross
                AA[idx[:, None], w[None, :]] += cross.T
        return Ic, AA, np.einsum("an,bn->ab", s, s), s.sum(axis=1)

    def missing_information(self, theta, data) -> MissingInformation:
        r"""Louis' decomposition observed = complete - missing, per observation.

        With the component labels :math:`z` as missing data, the complete-data score is
        :math:`A_{z}` and its Hessian :math:`B_{z}` (see the class Notes), so
        :math:`E[-B_z \mid y] = -\sum_j \tau_j B_j` and
        :math:`\operatorname{Cov}[A_z \mid y] = \sum_j \tau_j A_j A_j^T - s s^T`
        (Louis 1982, JRSS-B 44, 226-233, eq. 3.1). They are accumulated as sums over the
        observations (no per-observation (p, p) arrays).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2)
        >>> x = m.sample([0.5, 0.0, 3.0, 1.0, 1.0], 2000, rng=1)
        >>> res = m.missing_information(m.fit(x), x)
        >>> round(res.em_rate, 2)  # EM gains ~7% of the remaining distance per iteration
        0.93
        """
        theta = self.validate(theta)
        X, _ = self.check_data(data)
        Ic, AA, SS, _ = self._louis_sums(theta, X)
        n = X.shape[0]
        Im = AA - SS
        return MissingInformation(0.5 * (Ic + Ic.T) / n, 0.5 * (Im + Im.T) / n,
                                  self.param_names)

    def observed_information_louis(self, theta, data) -> FisherInfo:
        """Observed information per observation by Louis' (1982) missing-information identity.

        Equal to :func:`fisherstat.observed_information` (minus the mean Hessian) computed
        as ``complete - missing`` from the posterior responsibilities; see
        :meth:`missing_information`.

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2)
        >>> x = m.sample(m.example_theta(), 500, rng=2)
        >>> th = m.fit(x)
        >>> bool(np.allclose(m.observed_information_louis(th, x).matrix,
        ...                  fs.observed_information(m, th, x).matrix, rtol=1e-10, atol=1e-12))
        True
        """
        return self.missing_information(theta, data).observed

    def _kmeanspp_start(self, X, rng):
        """k-means++ seeding (Arthur & Vassilvitskii 2007) on standardised data, then the
        moments of the nearest-centre partition."""
        n, d = X.shape
        k = self.k
        Z = (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), np.finfo(float).tiny)
        centres = [int(rng.integers(n))]
        D2 = np.sum((Z - Z[centres[0]]) ** 2, axis=1)
        for _ in range(1, k):
            total = D2.sum()
            i = int(rng.choice(n, p=D2 / total)) if total > 0 else int(rng.integers(n))
            centres.append(i)
            D2 = np.minimum(D2, np.sum((Z - Z[i]) ** 2, axis=1))
        dist = np.stack([np.sum((Z - Z[c]) ** 2, axis=1) for c in centres])
        resp = np.zeros((k, n))
        resp[np.argmin(dist, axis=0), np.arange(n)] = 1.0
        return 0.9 * resp + 0.1 / k  # soft: no empty cluster

    def _m_step(self, X, resp):
        """M step from responsibilities ``resp`` (k, n)."""
        n, d = X.shape
        N = resp.sum(axis=1)
        pi = N / n
        mu = np.einsum("jn,nd->jd", resp, X) / N[:, None]
        cov = np.empty((self.k, d, d))
        for j in range(self.k):
            rt = X.T - mu[j][:, None]  # (d, n)
            cov[j] = np.einsum("in,ln->il", rt * resp[j], rt) / N[j]
        return pi, mu, self._project(0.5 * (cov + np.swapaxes(cov, 1, 2)), pi)

    def _em_run(self, X, pi, mu, cov, max_iter, tol, scale):
        """EM from (pi, mu, cov); returns (pi, mu, cov, path, status, reason) with status
        'converged', 'max_iter' or 'collapsed'."""
        path = []
        for _ in range(max_iter):
            if np.min(pi) < 1e-8:
                return pi, mu, cov, path, "collapsed", (
                    f"a weight collapsed to {np.min(pi):.3g}")
            ev = np.linalg.eigvalsh(cov)
            if np.min(ev[:, 0]) < 1e-10 * scale:
                j = int(np.argmin(ev[:, 0]))
                return pi, mu, cov, path, "collapsed", (
                    f"component {j + 1} collapsed (covariance eigenvalue {ev[j, 0]:.3g})")
            try:
                pt = self._parts_of(pi, mu, cov)
            except linalg.LinAlgError:
                return pi, mu, cov, path, "collapsed", "a covariance became singular"
            _, logf, tau = self._e_step(pt, X)
            ll = float(logf.sum())
            path.append(ll)
            if len(path) > 1 and abs(path[-1] - path[-2]) <= tol * max(abs(ll), 1.0):
                return pi, mu, cov, path, "converged", ""
            pi, mu, cov = self._m_step(X, tau)
        return pi, mu, cov, path, "max_iter", f"EM did not converge in {max_iter} iterations"

    def _newton_polish(self, theta, X, max_steps=20):
        """Newton-Raphson on the observed log-likelihood (analytic Hessian, via Louis sums),
        accepting only steps that stay valid and do not decrease it."""
        ll = float(self._loglik(theta, X, None).sum())
        taken = 0
        for _ in range(max_steps):
            Ic, AA, SS, g = self._louis_sums(theta, X)
            J = Ic - AA + SS  # observed information (total)
            try:
                c = linalg.cho_factor(0.5 * (J + J.T))
            except linalg.LinAlgError:
                break
            step = linalg.cho_solve(c, g)
            decrement = float(g @ step)
            if not decrement > 1e-14 * max(abs(ll), 1.0):
                break
            t, accepted = 1.0, False
            while t > 1e-3:
                cand = theta + t * step
                try:
                    cand = self.validate(cand)
                except ValueError:
                    t *= 0.5
                    continue
                ll_c = float(self._loglik(cand, X, None).sum())
                if ll_c >= ll - 1e-12 * max(abs(ll), 1.0):
                    theta, ll, accepted = cand, ll_c, True
                    break
                t *= 0.5
            if not accepted:
                break
            taken += 1
        return theta, ll, taken

    def fit_em(self, data, start=None, *, n_init: int = 5, max_iter: int = 5000,
               tol: float = 1e-10, rng=0, polish: bool = True,
               strict: bool = True) -> EMResult:
        r"""Maximum likelihood by EM from several starts, with diagnostics.

        Parameters
        ----------
        data : array_like, (n,) or (n, dim)
        start : array_like, optional
            A starting ``theta`` (tried in addition to the k-means++ starts).
        n_init : int
            Number of k-means++ starts (Arthur & Vassilvitskii 2007, "k-means++: the
            advantages of careful seeding", SODA).
        max_iter : int
            EM iterations per start.
        tol : float
            Convergence when the log-likelihood changes by at most
            ``tol * max(|loglik|, 1)`` in one iteration.
        rng : int or np.random.Generator
            Seeds the starts (default 0: ``fit`` is deterministic).
        polish : bool
            Finish with Newton-Raphson steps on the observed log-likelihood (analytic
            Hessian), each accepted only if it keeps ``theta`` valid and does not decrease the
            likelihood; EM's linear convergence leaves a score of order ``tol`` otherwise.
        strict : bool
            If False and no start converged, return the best start that ran out of
            iterations (``converged=False``) instead of raising.

        Returns
        -------
        EMResult

        Raises
        ------
        FitError
            When no start converges (and ``strict``, or every start collapsed); the message
            lists why each start failed (a collapsed component, i.e. a weight or a covariance
            eigenvalue tending to 0, or no convergence in ``max_iter`` iterations).

        Notes
        -----
        E step: :math:`\tau_{ij} \propto \pi_j \phi(x_i; \mu_j, \Sigma_j)` by log-sum-exp.
        M step: :math:`N_j = \sum_i \tau_{ij}`, :math:`\pi_j = N_j / n`,
        :math:`\mu_j = \sum_i \tau_{ij} x_i / N_j`, :math:`S_j = \sum_i \tau_{ij} r_{ij}
        r_{ij}^T / N_j` restricted to the covariance type (diagonal, :math:`\operatorname{tr}
        S_j / d \cdot I`, or the pooled :math:`\sum_j N_j S_j / n` for ``'equal'``)
        (Dempster, Laird & Rubin 1977, sec. 4.3; McLachlan & Peel, *Finite Mixture Models*,
        2000, sec. 3.2). The likelihood is unbounded at singular covariances (a component on
        one point), so a start stops as failed when a covariance eigenvalue falls below
        1e-10 times the data variance or a weight below 1e-8. The best converged start wins;
        its components are put in canonical order (:meth:`sort_components`).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2)
        >>> x = m.sample([0.4, -2.0, 2.0, 1.0, 0.5], 3000, rng=0)
        >>> res = m.fit_em(x)
        >>> res.converged, np.round(res.theta, 1)
        (True, array([ 0.4, -2. ,  2. ,  1. ,  0.5]))
        >>> bool(np.all(np.diff(res.loglik_path) > -1e-8))  # EM never decreases the likelihood
        True
        """
        X, _ = self.check_data(data)
        n, d = X.shape
        n_init = check_int(n_init, "n_init", low=0 if start is not None else 1)
        max_iter = check_int(max_iter, "max_iter", low=1)
        tol = check_scalar(tol, "tol", low=0)
        rng = check_random_state(rng)
        polish, strict = check_bool(polish, "polish"), check_bool(strict, "strict")
        if start is not None:
            start = validate_theta(self, start, "start")
        if n < self.k * (d + 1):
            raise FitError(f"{self!r} needs at least k (dim + 1) = {self.k * (d + 1)} "
                           f"observations, got {n}")
        scale = float(np.max(np.var(X, axis=0)))
        if not scale > 0:
            raise FitError("all observations are equal: the mixture likelihood is unbounded")
        starts = []
        if start is not None:
            starts.append(self._arrays(self.validate(start)))
        for _ in range(n_init):
            starts.append(self._m_step(X, self._kmeanspp_start(X, rng)))
        best, unfinished, lls, failures = None, None, [], []
        for i, (pi, mu, cov) in enumerate(starts):
            cov = np.array(cov)
            pi, mu, cov, path, status, why = self._em_run(X, pi, mu, cov, max_iter, tol, scale)
            if status != "converged":
                lls.append(np.nan)
                failures.append(f"start {i + 1}: {why}")
                if status == "max_iter" and (unfinished is None
                                             or path[-1] > unfinished[1][-1]):
                    unfinished = ((pi, mu, cov), path)
                continue
            lls.append(path[-1])
            if best is None or path[-1] > best[1][-1]:
                best = ((pi, mu, cov), path)
        converged = best is not None
        if not converged:
            if strict or unfinished is None:
                raise FitError(f"{self!r}: EM failed from every start: " + "; ".join(failures))
            best = unfinished
        (pi, mu, cov), path = best
        try:
            theta = self.validate(self._pack(pi, mu, cov))
        except ValueError as exc:
            raise FitError(f"EM left the parameter space: {exc}") from None
        n_newton = 0
        ll = path[-1]
        if polish:
            theta, ll, n_newton = self._newton_polish(theta, X)
        result = EMResult(self.sort_components(theta), float(ll), converged, len(path),
                          n_newton, np.array(path), np.array(lls), tuple(failures))
        self.last_fit_ = result
        return result

    def _fit(self, data, x, start):
        return self.fit_em(data, start).theta

    # ---------------------------------------------------------- singularities
    def singularities(self, theta) -> list[Singularity]:
        r"""Distances of ``theta`` to the singular sets of the mixture family.

        * ``'coinciding components'`` (``k >= 2``): the closest pair ``(i, j)`` by
          :math:`\big(\delta^T \bar\Sigma^{-1} \delta + \|\bar\Sigma^{-1/2}(\Sigma_i -
          \Sigma_j)\bar\Sigma^{-1/2}\|_F^2\big)^{1/2}`, :math:`\delta = \mu_i - \mu_j`,
          :math:`\bar\Sigma = (\Sigma_i + \Sigma_j)/2` (the Mahalanobis separation of the
          means, plus the relative difference of the covariances; zero exactly when the two
          components coincide). There the weight score vanishes and the mean (and
          covariance) scores of the two components are proportional: rank drop
          ``1 + d + m`` (``m`` covariance parameters per component, 0 for ``'equal'``).
        * ``'zero weight'`` (``k >= 2``): the smallest weight :math:`\min_j \pi_j`. As it
          tends to 0 the parameters of that component stop entering the density: rank drop
          ``d + m``.
        * ``'singular covariance'``: :math:`\min_j \lambda_{\min}(\Sigma_j) /
          \lambda_{\max}(\Sigma_j)`. A boundary where the likelihood is unbounded and the
          information of the covariance parameters diverges (like :math:`1/\lambda^2`):
          rank drop 0, but the information becomes arbitrarily ill-conditioned.

        Examples
        --------
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> for s in GaussianMixture(2).singularities([0.5, 0.0, 0.0, 1.0, 1.0]):
        ...     print(s.name, round(s.distance, 3), s.rank_drop)
        coinciding components 0.0 3
        zero weight 0.5 2
        singular covariance 1.0 0
        """
        theta = self.validate(theta)
        pi, mu, cov = self._arrays(theta)
        d = self.dim
        m_own = 0 if self.covariance == "equal" else self._m
        out = []
        if self.k > 1:
            dist, i, j = self._min_separation(mu, cov, with_cov=True)
            out.append(Singularity(
                "coinciding components",
                f"components {i + 1} and {j + 1} are the closest (distance = Mahalanobis "
                "separation of the means and relative difference of the covariances); where "
                "two components coincide the weight score vanishes and their mean/covariance "
                f"scores are proportional: the information loses rank {1 + d + m_own}",
                float(dist), 1 + d + m_own))
            jmin = int(np.argmin(pi))
            out.append(Singularity(
                "zero weight",
                f"component {jmin + 1} has the smallest weight; at weight 0 its {d + m_own} "
                "mean/covariance parameters leave the density and the information loses "
                f"rank {d + m_own}",
                float(pi[jmin]), d + m_own))
        ev = np.linalg.eigvalsh(cov)
        ratio = ev[:, 0] / ev[:, -1]
        jc = int(np.argmin(ratio))
        out.append(Singularity(
            "singular covariance",
            f"component {jc + 1} has the worst-conditioned covariance (distance = smallest / "
            "largest eigenvalue); at a singular covariance the likelihood is unbounded and the "
            "information of the covariance parameters diverges (no rank drop, unbounded "
            "condition number)",
            float(ratio[jc]), 0))
        return out
