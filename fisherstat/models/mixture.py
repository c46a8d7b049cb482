r"""Finite Gaussian mixtures: the model (layout, analytic score and Hessian, exact 1-d
information, strata for variance-reduced Monte Carlo) and its singular sets.

EM fitting lives in :mod:`._mixture_em` (:class:`EMResult`) and Louis' observed
information in :mod:`._mixture_louis` (:class:`MissingInformation`); both are mixed into
:class:`GaussianMixture` and re-exported here.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import linalg

from .. import _montecarlo
from .._fisherinfo import FisherInfo
from .._montecarlo import VARIANCE_REDUCTIONS
from .._validation import as_float_array, check_choice, check_int, check_random_state
from ._mixture_em import EMFitting, EMResult
from ._mixture_louis import LouisInformation, MissingInformation
from ._mixture_parts import _LOG_2PI, _Parts, _tall_matmul
from .base import Model, Singularity, Strata

__all__ = ["GaussianMixture", "EMResult", "MissingInformation"]


def _pandas_frame(data):
    """``data`` as a DataFrame if it is a pandas Series or DataFrame, else None (pandas is
    never imported here: a pandas object implies pandas is loaded)."""
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else 0)
    if isinstance(data, pd.DataFrame):
        return data
    return None

COVARIANCE_TYPES = ("full", "diag", "spherical", "equal")


class GaussianMixture(EMFitting, LouisInformation, Model):
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
        check_choice(covariance, "covariance", COVARIANCE_TYPES)
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

    def check_data(self, data, x=None):
        """Validate the observations; return them as a float64 array (n, dim).

        ``data`` may be an array (n,) or (n, dim), a pandas ``Series`` (``dim = 1``) or a
        ``DataFrame`` with ``dim`` numeric columns (one column for ``dim = 1``): no
        ``.to_numpy()`` needed. Non-numeric columns, NaN or infinite values and a number of
        columns other than ``dim`` are refused with a ``ValueError`` naming the columns and
        counting the rows concerned; nothing is dropped silently (select or clean the rows
        first, e.g. ``df.dropna()``).

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> df = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [0.0, 1.0, 2.0]})
        >>> GaussianMixture(2, dim=2).check_data(df)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: data: column 'a' has 1 of 3 rows NaN or infinite (row labels 2); ...
        >>> GaussianMixture(2).check_data(df["b"])[0].shape
        (3, 1)
        """
        if x is not None:
            raise TypeError(f"{type(self).__name__} takes no covariates; got x")
        frame = _pandas_frame(data)
        if frame is None:
            arr = as_float_array(data, "data", finite=False)
            return self._check_data(arr), None
        d = self.dim
        cols = list(frame.columns)
        if len(cols) != d:
            shown = ", ".join(repr(c) for c in cols)
            raise ValueError(
                f"data has {len(cols)} column(s) ({shown}) but the model has "
                f"dim={d}; select {d} column(s) (e.g. df[[...]]) or use "
                f"GaussianMixture({self.k}, dim={len(cols)})")
        import pandas as pd  # only reached with pandas data, so pandas is imported

        for c in cols:
            col = frame[c]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                raise ValueError(
                    f"data: column {c!r} is not numeric (dtype {col.dtype}); a "
                    "GaussianMixture needs real-valued columns")
        arr = np.ascontiguousarray(frame.to_numpy(dtype=np.float64, na_value=np.nan))
        bad_rows = ~np.all(np.isfinite(arr), axis=1)
        if bad_rows.any():
            c = cols[int(np.argmax(~np.all(np.isfinite(arr[bad_rows]), axis=0)))]
            bad_c = ~np.isfinite(arr[:, cols.index(c)])
            labels = ", ".join(str(i) for i in frame.index[bad_c][:5])
            more = ", ..." if bad_c.sum() > 5 else ""
            raise ValueError(
                f"data: column {c!r} has {int(bad_c.sum())} of {arr.shape[0]} rows NaN or "
                f"infinite (row labels {labels}{more}); drop or impute them first "
                "(e.g. data.dropna())")
        return self._check_data(arr[:, 0] if d == 1 else arr), None

    def _check_data(self, data):
        d = self.dim
        if data.size == 0:
            raise ValueError("data must not be empty")
        if d == 1 and data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != d:
            want = "(n,)" if d == 1 else f"(n, {d})"
            hint = (f" (a 2-D array with {data.shape[1]} columns is GaussianMixture"
                    f"({self.k}, dim={data.shape[1]}))" if data.ndim == 2 else "")
            raise ValueError(f"data must have shape {want} for dim={d}, got {data.shape}{hint}")
        bad = ~np.all(np.isfinite(data), axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            shown = ", ".join(str(i) for i in rows[:5]) + (", ..." if rows.size > 5 else "")
            raise ValueError(
                f"data must be finite: {rows.size} of {data.shape[0]} rows contain NaN or inf "
                f"(rows {shown}); drop or impute them first")
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
        """Monte Carlo information of one observation, optionally variance-reduced.

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
        The same estimate (for the same ``rng``) as ``fisherstat.fisher(model, theta,
        method='monte_carlo', n_samples=..., variance_reduction=...)``, which drives the
        stratified and quasi-Monte Carlo estimators through :meth:`strata` (one stratum per
        component); see :func:`fisherstat.fisher` for the estimators and their references.

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
        if variance_reduction is not None:
            check_choice(variance_reduction, "variance_reduction", VARIANCE_REDUCTIONS,
                         what="or None")
        check_choice(estimator, "estimator", ("score", "hessian"))
        n_samples = check_int(n_samples, "n_samples", low=2)
        n_scrambles = check_int(n_scrambles, "n_scrambles", low=2)
        mean, se, used = _montecarlo.estimate(
            self, theta, n_samples=n_samples, rng=check_random_state(rng), estimator=estimator,
            variance_reduction=variance_reduction, n_scrambles=n_scrambles)
        return FisherInfo(mean, self.param_names, 1.0, "monte_carlo", se, used)

    def _strata(self, theta) -> Strata:
        """The components: stratum ``j`` has probability ``pi_j`` and draws
        ``mu_j + L_j z`` (``L_j`` the Cholesky factor of ``Sigma_j``)."""
        pt = self._parts(theta)
        return Strata(pt.pi, self.dim, lambda j, z: self._draw_component(pt, j, z))

    def _draw_component(self, pt, j, z):
        """Map standard normal ``z`` (n, d) to component ``j``."""
        return pt.mu[j] + _tall_matmul(z, np.linalg.cholesky(pt.cov[j]).T)

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
