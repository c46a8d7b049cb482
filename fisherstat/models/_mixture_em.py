r"""Maximum likelihood for Gaussian mixtures: EM from k-means++ starts, Newton polishing.

The :class:`EMFitting` methods of :class:`~fisherstat.models.GaussianMixture` and their
result, :class:`EMResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .._validation import check_bool, check_int, check_random_state, check_scalar, validate_theta
from ..exceptions import FitError

__all__ = ["EMResult", "EMFitting"]


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


class EMFitting:
    """EM fitting of :class:`~fisherstat.models.GaussianMixture` (a mixin: it uses the
    mixture's parameter layout, E step and Louis sums)."""

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
               tol: float = 1e-10, rng=None, polish: bool = True,
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
        rng : int or np.random.Generator, optional
            Seeds the k-means++ starts (default None: fresh entropy; :meth:`fit` passes
            ``rng=0``, so that ``fit`` is deterministic).
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
        >>> res = m.fit_em(x, rng=0)
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
        return self.fit_em(data, start, rng=0).theta  # deterministic: seeded starts
