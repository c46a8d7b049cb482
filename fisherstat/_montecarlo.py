r"""Monte Carlo estimators of the Fisher information of one observation.

The engine behind :func:`fisherstat.fisher` (``method='monte_carlo'``). It asks the model
only for what it needs: its sampler (``model.sample``), its score or Hessian, and, for
variance reduction, its :meth:`~fisherstat.Model.strata` (stratum probabilities and a map
from standard normal inputs to draws of a stratum). Each function returns the estimate
(symmetrised), its entrywise standard errors and the number of draws used; the caller
wraps them into a :class:`~fisherstat.FisherInfo`.

* :func:`plain` -- the mean of iid terms ``T = s s^T`` (or ``-H``) with standard error
  ``sd(T) / sqrt(N)``;
* :func:`stratified` -- :math:`\sum_j \pi_j \bar T_j` with ``n_j = n pi_j`` draws from
  stratum ``j`` (proportional allocation: it removes the between-strata part of the
  variance and never increases it; Cochran, *Sampling Techniques*, 3rd ed., 1977,
  sec. 5.6);
* :func:`quasi` -- stratified, and within each stratum a scrambled Sobol' point set mapped
  by the normal inverse CDF, repeated ``R`` times independently; the spread of the ``R``
  unbiased estimates gives the standard error (Owen 1997, Ann. Statist. 25, 1541-1562;
  Owen, *Practical Quasi-Monte Carlo Integration*, 2023, ch. 17).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._moments import Moments, rounding_zero
from ._validation import EPS

__all__ = ["VARIANCE_REDUCTIONS", "plain", "stratified", "quasi"]

#: Variance reductions available for models that define strata.
VARIANCE_REDUCTIONS = ("stratified", "qmc")
#: Rows per chunk of stratified draws: chunks of ~2^14 rows stay in cache (2-4x faster per
#: draw than chunks of 10^5+ rows, measured on GaussianMixture).
_CHUNK = 2**14
#: Bound on the entries of one chunk's terms (memory).
_CHUNK_ENTRIES = 4_000_000


def plain(model, theta, x, w, N, rng, estimator):
    """Score or Hessian estimator from ``N`` iid draws (replicated responses at ``x``).

    Each term ``T_r`` is one draw's ``s s^T`` (or ``-H``); for regression models one term
    is a whole replicated response vector at the covariates, ``sum_i w_i s_ri s_ri^T``.
    Accumulated in chunks of bounded memory. Returns ``(mean, stderr, N)``.
    """
    p = model.n_params
    k = 1 if x is None else x.shape[0]
    per_term = k * (p * p if (estimator == "hessian" or x is not None) else p)
    chunk = int(max(1, min(N, _CHUNK_ENTRIES // per_term)))
    acc = Moments(p)
    done = 0
    while done < N:
        c = min(chunk, N - done)
        if x is None:
            data = model.sample(theta, c, rng=rng)
            if estimator == "score":
                acc.add_scores(model.score(theta, data))
            else:
                acc.add_terms(-model.hessian(theta, data, individual=True))
        else:
            xr = np.tile(x, (c,) + (1,) * (x.ndim - 1))
            y = model.sample(theta, rng=rng, x=xr)
            if estimator == "score":
                s = model.score(theta, y, x=xr).reshape(c, k, p)
                acc.add_terms(np.einsum("rka,k,rkb->rab", s, w, s))
            else:
                H = model.hessian(theta, y, x=xr, individual=True).reshape(c, k, p, p)
                acc.add_terms(-np.einsum("rkab,k->rab", H, w))
        done += c
    return 0.5 * (acc.mean + acc.mean.T), acc.stderr(), N


def _add_draws(model, theta, X, estimator, acc):
    """Add the terms of the draws ``X`` to ``acc``, in chunks that stay in cache."""
    p = model.n_params
    chunk = max(1, min(_CHUNK, _CHUNK_ENTRIES // (p * p if estimator == "hessian" else p)))
    for start in range(0, X.shape[0], chunk):
        Xc = X[start:start + chunk]
        if estimator == "score":
            acc.add_scores_einsum(model.score(theta, Xc))
        else:
            acc.add_terms(-model.hessian(theta, Xc, individual=True))


def stratified(model, theta, strata, n, rng, estimator):
    """Stratified estimator with proportional allocation; returns ``(mean, stderr, n_used)``.

    ``n_j`` = ``n pi_j`` rounded by largest remainders, at least 2 per stratum.
    """
    pi = np.asarray(strata.probabilities, dtype=float)
    k, p = pi.size, model.n_params
    if n < 2 * k:
        raise ValueError(f"n_samples must be >= 2k = {2 * k} (2 draws in each of the {k} "
                         f"strata) for stratification, got {n}")
    exact = n * pi
    nj = np.floor(exact).astype(int)
    nj[np.argsort(nj - exact)[: n - nj.sum()]] += 1  # largest remainders
    nj = np.maximum(nj, 2)
    mean, var = np.zeros((p, p)), np.zeros((p, p))
    for j in range(k):
        acc = Moments(p)
        done = 0
        while done < nj[j]:  # draw in chunks too: bounded memory
            c = int(min(nj[j] - done, _CHUNK))
            X = strata.transform(j, rng.standard_normal((c, strata.dim)))
            _add_draws(model, theta, X, estimator, acc)
            done += c
        mean += pi[j] * acc.mean
        var += pi[j] ** 2 * acc.stderr() ** 2
    return 0.5 * (mean + mean.T), np.sqrt(var), int(nj.sum())


def quasi(model, theta, strata, n, rng, estimator, R):
    """Randomized quasi-Monte Carlo, stratified; returns ``(mean, stderr, n_used)``.

    Stratum ``j`` gets ``2^m_j`` Sobol' points per scramble, ``m_j`` the rounded
    ``log2(n pi_j / R)`` (at least 1).
    """
    from scipy.stats import qmc  # imported on use: scipy.stats costs ~0.3 s to import

    pi = np.asarray(strata.probabilities, dtype=float)
    k, p, d = pi.size, model.n_params, strata.dim
    per = np.maximum(n * pi / R, 2.0)
    mj = np.maximum(np.round(np.log2(per)).astype(int), 1)
    est = np.empty((R, p, p))
    for r in range(R):
        total = np.zeros((p, p))
        for j in range(k):
            # ``seed=`` (not SciPy 1.15's ``rng=``) so that SciPy 1.10-1.14 work too; both
            # draw from the same Generator, so the stream is the same
            sob = qmc.Sobol(d, scramble=True, seed=rng)
            u = np.clip(sob.random_base2(int(mj[j])), EPS, 1.0 - EPS)
            X = strata.transform(j, special.ndtri(u))
            acc = Moments(p)
            _add_draws(model, theta, X, estimator, acc)
            total += pi[j] * acc.mean
        est[r] = total
    mean = est.mean(axis=0)
    se = rounding_zero(est.std(axis=0, ddof=1), mean) / np.sqrt(R)
    return 0.5 * (mean + mean.T), 0.5 * (se + se.T), int(R * np.sum(2 ** mj))


def estimate(model, theta, *, x=None, w=None, n_samples, rng, estimator="score",
             variance_reduction=None, n_scrambles=16):
    """Dispatch to :func:`plain`, :func:`stratified` or :func:`quasi` (arguments checked).

    Returns ``(mean, stderr, n_used)``. A ``variance_reduction`` needs the model's
    :meth:`~fisherstat.Model.strata`; a model without them raises ``ValueError``.
    """
    if variance_reduction is None:
        return plain(model, theta, x, w, n_samples, rng, estimator)
    strata = model.strata(theta)
    if strata is None or x is not None:
        raise ValueError(f"{type(model).__name__} offers no variance_reduction (it defines no "
                         "strata); use variance_reduction=None")
    if variance_reduction == "stratified":
        return stratified(model, theta, strata, n_samples, rng, estimator)
    return quasi(model, theta, strata, n_samples, rng, estimator, n_scrambles)
