r"""Simulate, fit and assess many replicated data sets of one model at once.

The one place where a simulation study decides how to treat a model. A registry keyed by
the model's exact class says

* whether ``c`` replicates of ``n`` observations can be drawn in one call (``c n`` iid
  draws reshaped to ``(c, n, ...)``; always true for regression models, whose responses
  are independent given the covariates);
* a vectorised fit of all replicates: closed forms for ``Normal``, ``Poisson``,
  ``Binomial``, ``MultivariateNormal`` and ``LinearRegression``, and Newton-Raphson run on
  all replicates at once (with per-replicate convergence masks and step halving) for the
  logistic, probit and Poisson GLMs;
* vectorised standard errors from the four information estimators (the GLMs, the linear
  regression and the Normal, Poisson and Binomial models).

Everything else falls back to one ``model.fit`` call per replicate, and to one call of
each of ``model.fisher``, ``model.hessian`` and ``model.score`` -- the ingredients of
:func:`~fisherstat.fisher`, :func:`~fisherstat.observed_information`,
:func:`~fisherstat.empirical_fisher` and :func:`~fisherstat.sandwich_covariance`, combined
with the same formulas (tested equal) -- with the four matrix inversions batched over the
replicates. Replicates that a vectorised fit cannot settle (an all-zero Poisson sample,
separated logistic data, a Newton iteration that does not converge) are refitted with
``model.fit``, so that a failure carries the model's own :class:`~fisherstat.FitError`
reason. Vectorised fits agree with ``model.fit`` to about 1e-12 (tested to 1e-8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .exceptions import FitError
from .models.glm import (
    LinearRegression,
    LogisticRegression,
    PoissonRegression,
    ProbitRegression,
)
from .models.multivariate import MultivariateNormal
from .models.univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = ["SE_METHODS", "sample_replicates", "fit_replicates", "standard_errors",
           "FIT_ERRORS", "register", "is_vectorised"]

#: The four covariance estimators of ``theta_hat`` behind the Wald intervals.
SE_METHODS = ("expected", "observed", "opg", "sandwich")

#: Exceptions of a fit that count as a failed replicate (recorded with the reason).
FIT_ERRORS = (FitError, ValueError, ArithmeticError, np.linalg.LinAlgError)

_EPS = np.finfo(np.float64).eps
_MAX_ITER = 100  # the same limits and tolerance as the models' own Newton-Raphson
_STEP_TOL = 1e-10


@dataclass(frozen=True)
class _Entry:
    fit: Callable | None = None  # fit(model, Y, X, start) -> (theta (c, p), unsettled (c,) bool)
    se: Callable | None = None  # se(model, theta, Y, X) -> (c, 4, p)
    iid: bool = True  # c replicates of n observations = c * n iid draws


_REGISTRY: dict[type, _Entry] = {}


def register(cls: type, *, fit=None, se=None, iid: bool = True) -> None:
    """Register vectorised replicate handling for models of exactly class ``cls``."""
    _REGISTRY[cls] = _Entry(fit, se, iid)


def _entry(model) -> _Entry | None:
    return _REGISTRY.get(type(model))


def is_vectorised(model) -> bool:
    """True when the replicates of ``model`` are fitted together (no ``model.fit`` loop)."""
    e = _entry(model)
    return e is not None and e.fit is not None


def _errstate():
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ------------------------------------------------------------------------- sampling
def sample_replicates(model, theta, n: int, count: int, rng, X=None):
    """``count`` data sets of ``n`` observations: an array (count, n, ...) or a list.

    Regression models draw one response vector per replicate at the fixed design ``X``
    (n rows); registered iid models draw ``count * n`` values in one call; any other model
    (e.g. a time series, whose observations are not independent) calls ``model.sample``
    once per replicate.
    """
    if model.is_regression:
        y = model.sample(theta, rng=rng, x=np.concatenate([X] * count))
        return y.reshape(count, n)
    e = _entry(model)
    if e is not None and e.iid:
        d = model.sample(theta, count * n, rng=rng)
        return d.reshape((count, n) + d.shape[1:])
    return [model.sample(theta, n, rng=rng) for _ in range(count)]


# ---------------------------------------------------------------------------- fits
def _fit_one(model, data, X):
    """``model.fit`` of one replicate: ``(theta, None)`` or ``(None, reason)``."""
    try:
        return model.fit(data, x=X), None
    except FIT_ERRORS as exc:
        return None, f"{type(exc).__name__}: {exc}"


def fit_replicates(model, data, X=None, start=None) -> tuple[np.ndarray, dict[int, str]]:
    """Maximum-likelihood estimates of every replicate.

    ``start`` (e.g. the true parameter of a simulation study) is used only by the
    vectorised Newton iteration of the GLMs, whose concave log-likelihoods have one
    maximum; ``model.fit`` always uses the model's own starting value.

    Returns
    -------
    theta : ndarray, shape (count, p)
        NaN rows for failed fits.
    reasons : dict
        Replicate index -> reason of its failure.
    """
    count, p = len(data), model.n_params
    theta = np.full((count, p), np.nan)
    reasons: dict[int, str] = {}
    e = _entry(model)
    if e is not None and e.fit is not None:
        with _errstate():
            est, unsettled = e.fit(model, data, X, start)
        unsettled = unsettled | ~np.all(np.isfinite(est), axis=1)
        theta[~unsettled] = est[~unsettled]
        redo = np.flatnonzero(unsettled)
    else:
        redo = range(count)
    for r in redo:
        t, why = _fit_one(model, data[r], X)
        if why is None:
            theta[r] = t
        else:
            reasons[int(r)] = why
    return theta, reasons


def _fit_normal(model, Y, X, start=None):
    mu = Y.mean(axis=1)
    s2 = np.mean((Y - mu[:, None]) ** 2, axis=1)
    return np.column_stack([mu, s2]), ~(s2 > 0)


def _fit_poisson(model, Y, X, start=None):
    lam = Y.mean(axis=1)
    return lam[:, None], ~(lam > 0)


def _fit_binomial(model, Y, X, start=None):
    p = Y.mean(axis=1) / model.n_trials
    return p[:, None], ~((p > 0) & (p < 1))


def _fit_mvn(model, Y, X, start=None):
    c, n, d = Y.shape
    mu = Y.mean(axis=1)
    R = Y - mu[:, None, :]
    S = np.einsum("cni,cnj->cij", R, R) / n
    S = 0.5 * (S + np.swapaxes(S, 1, 2))
    w = np.linalg.eigvalsh(S)
    bad = ~(w[:, 0] > d * _EPS * np.maximum(w[:, -1], np.finfo(float).tiny))
    return np.column_stack([mu, S[:, model._rows, model._cols]]), bad


def _fit_linear(model, Y, X, start=None):
    c, n = Y.shape
    beta = np.linalg.lstsq(X, Y.T, rcond=None)[0].T  # one solve, c right-hand sides
    R = Y - beta @ X.T
    s2 = np.sum(R * R, axis=1) / n
    # the model's own zero-residual rule (boundary sigma2 = 0): refit, which raises
    tiny = np.sqrt(n * s2) <= 1e3 * _EPS * np.linalg.norm(Y, axis=1)
    return np.column_stack([beta, s2]), tiny | (n <= model.k)


def _outer_rows(X):
    """``x_i x_i^T`` flattened, shape (n, k*k): ``v @ _outer_rows(X)`` is ``X^T diag(v) X``."""
    n, k = X.shape
    return (X[:, :, None] * X[:, None, :]).reshape(n, k * k)


def _is_pd(A):
    """Which matrices of a symmetric stack (m, k, k) are positive definite.

    The criterion of the models' own Newton iteration: a Cholesky factorisation exists. One
    batched factorisation settles the usual case where all do; otherwise each matrix is
    factorised on its own.
    """
    ok = np.all(np.isfinite(A), axis=(-2, -1))
    if ok.all():
        try:
            np.linalg.cholesky(A)
            return ok
        except np.linalg.LinAlgError:
            pass
    for i in np.flatnonzero(ok):
        try:
            np.linalg.cholesky(A[i])
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def _solve_pd(A, b):
    """Solve ``A_r s_r = b_r`` for a stack of symmetric matrices; ``ok`` marks the PD ones."""
    A = 0.5 * (A + np.swapaxes(A, -1, -2))
    ok = _is_pd(A) & np.all(np.isfinite(b), axis=-1)
    s = np.full(b.shape, np.nan)
    if ok.any():
        s[ok] = np.linalg.solve(A[ok], b[ok][..., None])[..., 0]
    return s, ok


def _fit_single_index(model, Y, X, start=None):
    """Newton-Raphson on all replicates at once, from ``start`` (default: the model's own).

    The log-likelihoods of the logistic, probit and log-link Poisson models are concave in
    the coefficients (McCullagh & Nelder 1989, section 2.5; Pratt 1981, JASA 76, 103-106,
    for the probit), so a stationary point is the unique maximum and the estimate does not
    depend on the start or the path. The iteration is the model's own Newton step and
    stopping rule (full step below ``1e-10`` relative to the coefficients, then one more
    step), run on a stack of replicates sharing the design ``X``: the linear predictors are
    one matrix product ``B X^T`` and the Hessians one product of the curvature weights with
    the rows' outer products. A simulation study starts at the true parameter, close to
    every estimate, so that no line search is needed; replicates that do not converge
    (singular Hessian, separated data, no convergence in 100 steps) are returned unsettled
    and refitted by ``model.fit`` (with its step halving and its diagnosis of why the
    estimate does not exist).
    """
    c, n = Y.shape
    k = X.shape[1]
    XX = _outer_rows(X)
    if start is None:
        eta0 = np.stack([model._start_eta(y) for y in Y])
        w0 = model._weight(eta0)
        beta, ok = _solve_pd((w0 @ XX).reshape(c, k, k), (w0 * eta0) @ X)
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
        grad = model._d1(eta, y) @ X
        curv = -model._d2(eta, y)
        step, ok = _solve_pd((curv @ XX).reshape(-1, k, k), grad)
        conv = ok & (np.max(np.abs(step), axis=1)
                     <= _STEP_TOL * (1.0 + np.max(np.abs(b), axis=1)))
        new = b + step
        beta[idx[ok]] = new[ok]
        stop = ~ok | conv | ~np.all(np.isfinite(new), axis=1)
        unsettled[idx[stop & ~conv]] = True
        active[idx[stop]] = False
    unsettled |= active  # no convergence within _MAX_ITER iterations
    return beta, unsettled


# ------------------------------------------------------------------ standard errors
def _inv_stack(M):
    """Inverses of a stack of matrices; a matrix that is numerically singular gets NaN.

    The batched ``inv`` is tried first; only if one matrix of the stack defeats it (an
    eigenvalue at rounding level that passed the positive-definiteness check) is the stack
    inverted one matrix at a time, so that one replicate cannot abort a whole study.
    """
    try:
        return np.linalg.inv(M)
    except np.linalg.LinAlgError:
        out = np.full_like(M, np.nan)
        for i in range(M.shape[0]):  # rare fallback over the failed stack only
            try:
                out[i] = np.linalg.inv(M[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _inverse_diag(M):
    """Diagonal of the inverse of each symmetric matrix in a stack; NaN unless PD."""
    M = 0.5 * (M + np.swapaxes(M, -1, -2))
    out = np.full(M.shape[:-1], np.nan)
    ok = _is_pd(M)
    if ok.any():
        out[ok] = np.diagonal(_inv_stack(M[ok]), axis1=-2, axis2=-1)
    return out


def _se_from_matrices(E, A, B):
    """Standard errors (m, 4, p) from stacks of total expected ``E``, observed ``A`` and OPG
    ``B`` information matrices (m, p, p): ``E^-1``, ``A^-1``, ``B^-1``, ``A^-1 B A^-1``.

    These are the covariances of :func:`~fisherstat.fisher` (times ``n``),
    :func:`~fisherstat.observed_information` and :func:`~fisherstat.empirical_fisher`
    (per observation, times ``n``) and :func:`~fisherstat.sandwich_covariance`
    (``A^-1 B A^-1 / n`` with per-observation ``A`` and ``B``, the same matrix).
    NaN where a matrix is not positive definite (or not available).
    """
    m, p, _ = A.shape
    var = np.empty((m, 4, p))
    for j, M in enumerate((E, A, B)):
        var[:, j] = _inverse_diag(M)
    A = 0.5 * (A + np.swapaxes(A, 1, 2))
    good = _is_pd(A)
    var[:, 3] = np.nan
    if good.any():
        Ai = _inv_stack(A[good])
        var[good, 3] = np.diagonal(Ai @ B[good] @ Ai, axis1=1, axis2=2)
    with _errstate():
        return np.sqrt(np.where(var > 0, var, np.nan))


def _se_single_index(model, theta, Y, X):
    """The four standard errors of a single-index GLM, for all replicates at once.

    Total matrices ``I = X^T diag(w) X`` (expected), ``A = X^T diag(-l'') X`` (observed)
    and ``B = X^T diag(l'^2) X`` (OPG), each one matrix product for all replicates.
    """
    c, k = theta.shape
    se = np.full((c, 4, k), np.nan)
    ok = np.all(np.isfinite(theta), axis=1)
    if not ok.any():
        return se
    y = Y[ok]
    eta = theta[ok] @ X.T
    d1 = model._d1(eta, y)
    V = np.stack([model._weight(eta), -model._d2(eta, y), d1 * d1])  # (3, m, n)
    M = (V @ _outer_rows(X)).reshape(3, -1, k, k)
    se[ok] = _se_from_matrices(M[0], M[1], M[2])
    return se


def _ok_rows(theta):
    return np.all(np.isfinite(theta), axis=1)


def _with_matrices(func):
    """Turn ``func(model, theta_ok, Y_ok, X) -> (E, A, B)`` into a standard-error hook."""

    def se(model, theta, Y, X):
        c, p = theta.shape
        out = np.full((c, 4, p), np.nan)
        ok = _ok_rows(theta)
        if ok.any():
            out[ok] = _se_from_matrices(*func(model, theta[ok], Y[ok], X))
        return out

    return se


def _gram(S):
    """``sum_i s_i s_i^T`` of per-observation scores (m, n, p), one small product each."""
    return np.swapaxes(S, 1, 2) @ S


@_with_matrices
def _matrices_normal(model, theta, Y, X):
    """Normal: the model's score, Hessian and information (see ``Normal``), all replicates."""
    n = Y.shape[1]
    mu, s2 = theta[:, 0], theta[:, 1]
    r = Y - mu[:, None]
    S = np.stack([r / s2[:, None], (r * r - s2[:, None]) / (2 * s2**2)[:, None]], axis=-1)
    A = np.empty((theta.shape[0], 2, 2))
    A[:, 0, 0] = n / s2
    A[:, 0, 1] = A[:, 1, 0] = r.sum(axis=1) / s2**2
    A[:, 1, 1] = -n / (2 * s2**2) + np.sum(r * r, axis=1) / s2**3
    E = np.zeros_like(A)
    E[:, 0, 0], E[:, 1, 1] = n / s2, n / (2 * s2**2)
    return E, A, _gram(S)


@_with_matrices
def _matrices_poisson(model, theta, Y, X):
    n, lam = Y.shape[1], theta[:, 0]
    s = Y / lam[:, None] - 1.0
    A = (Y.sum(axis=1) / lam**2)[:, None, None]
    return (n / lam)[:, None, None], A, np.sum(s * s, axis=1)[:, None, None]


@_with_matrices
def _matrices_binomial(model, theta, Y, X):
    n, N, q = Y.shape[1], model.n_trials, theta[:, 0]
    s = Y / q[:, None] - (N - Y) / (1 - q)[:, None]
    A = np.sum(Y / (q**2)[:, None] + (N - Y) / ((1 - q) ** 2)[:, None], axis=1)
    E = n * N / (q * (1 - q))
    return E[:, None, None], A[:, None, None], np.sum(s * s, axis=1)[:, None, None]


@_with_matrices
def _matrices_linear(model, theta, Y, X):
    """LinearRegression: the model's score, Hessian and information, all replicates."""
    n, k = X.shape
    beta, s2 = theta[:, :k], theta[:, k]
    r = Y - beta @ X.T
    S = np.concatenate([X[None] * (r / s2[:, None])[..., None],
                        ((r * r - s2[:, None]) / (2 * s2**2)[:, None])[..., None]], axis=-1)
    XtX = X.T @ X
    m = theta.shape[0]
    E = np.zeros((m, k + 1, k + 1))
    E[:, :k, :k] = XtX / s2[:, None, None]
    E[:, k, k] = n / (2 * s2**2)
    A = E.copy()
    A[:, :k, k] = A[:, k, :k] = (r @ X) / (s2**2)[:, None]
    A[:, k, k] = -n / (2 * s2**2) + np.sum(r * r, axis=1) / s2**3
    return E, A, _gram(S)


def _generic_matrices(model, theta, data, X, n):
    """Total expected, observed and OPG information of one replicate (3, p, p); NaN if n/a.

    Uses the model's public ``fisher``, ``hessian`` and ``score`` -- what
    :mod:`fisherstat.information` builds its estimators from -- once each.
    """
    p = theta.size
    out = np.full((3, p, p), np.nan)
    if model.has_analytic_fisher:
        try:
            out[0] = model.fisher(theta, x=X) if model.is_regression else n * model.fisher(theta)
        except (*FIT_ERRORS, NotImplementedError):
            pass
    try:
        out[1] = -model.hessian(theta, data, x=X)
    except FIT_ERRORS:
        pass
    try:
        S = model.score(theta, data, x=X)
        out[2] = S.T @ S
    except FIT_ERRORS:
        pass
    return out


def standard_errors(model, theta, data, X, n: int) -> np.ndarray:
    """Standard errors of every replicate's estimate by each of :data:`SE_METHODS`.

    Returns
    -------
    ndarray, shape (count, 4, p)
        NaN for failed fits and where an estimator's matrix is not positive definite
        (``expected`` is NaN for models without a closed-form information).
    """
    count, p = theta.shape
    e = _entry(model)
    with _errstate():
        if e is not None and e.se is not None:
            return e.se(model, theta, data, X)
        se = np.full((count, 4, p), np.nan)
        ok = np.flatnonzero(np.all(np.isfinite(theta), axis=1))
        if ok.size:
            M = np.stack([_generic_matrices(model, theta[r], data[r], X, n) for r in ok])
            se[ok] = _se_from_matrices(M[:, 0], M[:, 1], M[:, 2])
    return se


register(Normal, fit=_fit_normal, se=_matrices_normal)
register(Poisson, fit=_fit_poisson, se=_matrices_poisson)
register(Binomial, fit=_fit_binomial, se=_matrices_binomial)
register(MultivariateNormal, fit=_fit_mvn)
register(LinearRegression, fit=_fit_linear, se=_matrices_linear)
for _cls in (LogisticRegression, ProbitRegression, PoissonRegression):
    register(_cls, fit=_fit_single_index, se=_se_single_index)
for _cls in (Gamma, Weibull, StudentT):
    register(_cls)  # iid: replicates drawn in one call; fitted one by one
