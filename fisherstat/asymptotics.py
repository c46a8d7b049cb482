r"""Does :math:`\sqrt n(\hat\theta - \theta_0) \to N(0, I(\theta_0)^{-1})` hold at my ``n``?

:func:`check_asymptotics` simulates ``reps`` data sets of ``n`` observations at a known
parameter :math:`\theta_0`, fits every one of them by maximum likelihood and compares the
distribution of the estimates with the asymptotic theory (Cramér 1946, *Mathematical
Methods of Statistics*, section 33.3; Lehmann & Casella, *Theory of Point Estimation*, 2nd
ed., 1998, Theorem 6.3.10): bias, variance against the Cramér-Rao bound, coverage of Wald
intervals built from four estimates of the information, and normality, marginal and joint.
It returns an immutable :class:`AsymptoticReport` whose summary says in plain words whether
the approximation visibly fails.

The replicates run serially, on processes or on a Dask cluster (:mod:`fisherstat.parallel`)
with the same result, bit for bit, and long studies can be checkpointed and resumed.
"""

from __future__ import annotations

import hashlib
import numbers
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._fitting import SE_METHODS, fit_replicates, sample_replicates, standard_errors
from ._validation import as_float_array, check_int, check_scalar, validate_theta
from .exceptions import SingularFisherWarning
from .information import FisherInfo, fisher, pinv_psd
from .models.base import Model
from .parallel import (
    Progress,
    as_seed_sequence,
    check_count,
    check_executor,
    default_chunk_size,
    map_chunks,
    pin_worker_blas,
    split_replicates,
)

__all__ = ["check_asymptotics", "AsymptoticReport", "COVERAGE_METHODS"]

#: Covariance estimators behind the Wald intervals, in the order of the coverage arrays.
COVERAGE_METHODS = SE_METHODS

_METHOD_LABELS = {
    "expected": "expected I(theta_hat)",
    "observed": "observed -H/n",
    "opg": "OPG (empirical Fisher)",
    "sandwich": "sandwich",
}
_CHECKPOINT_VERSION = "fisherstat-check-1"


# ============================================================================ the study
@dataclass(frozen=True)
class _Task:
    """One chunk of replicates: everything a worker needs (picklable)."""

    model: Model
    theta0: np.ndarray
    n: int
    x: np.ndarray | None
    seed: np.random.SeedSequence
    count: int
    key: tuple[int, int]  # (size index, chunk index)


def _run_chunk(task: _Task) -> dict:
    """Simulate, fit and assess one chunk; a pure function of the task (and its seed)."""
    pin_worker_blas()
    rng = np.random.default_rng(task.seed)
    data = sample_replicates(task.model, task.theta0, task.n, task.count, rng, task.x)
    theta, reasons = fit_replicates(task.model, data, task.x, start=task.theta0)
    se = standard_errors(task.model, theta, data, task.x, task.n)
    idx = np.array(sorted(reasons), dtype=np.int64)
    msg = np.array([reasons[i] for i in idx], dtype=str) if idx.size else np.array([], "U1")
    return {"theta": theta, "se": se, "fail_idx": idx, "fail_msg": msg}


def _check_sizes(n, p: int) -> tuple[tuple[int, ...], bool]:
    scalar = isinstance(n, (numbers.Integral, np.integer)) or (
        isinstance(n, numbers.Real) and not isinstance(n, bool))
    values = [n] if scalar else n
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"n must be an integer or a list of integers, got {type(n).__name__}")
    if len(values) == 0:
        raise ValueError("n must not be an empty list")
    sizes = []
    for v in values:
        v = check_int(v, "n", low=1)
        if v < p:
            raise ValueError(
                f"n must be >= {p} (the number of parameters) for every replicate to be "
                f"fittable, got n = {v}"
            )
        sizes.append(v)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"n must not repeat a sample size, got {sizes}")
    return tuple(sizes), scalar


def _design(model: Model, x, n: int) -> np.ndarray:
    """The fixed design of ``n`` rows: the rows of ``x`` cycled (``x[i % len(x)]``)."""
    return x[np.arange(n) % x.shape[0]]


def _reference(model, theta0, information, n, X, seed):
    """Per-observation asymptotic covariance ``V`` of sqrt(n)(theta_hat - theta0), its label,
    the numerical rank of the information and a Monte Carlo note."""
    p = model.n_params
    if isinstance(information, str):
        if information != "expected":
            raise ValueError(
                "information must be 'expected', a FisherInfo or a (p, p) array (the "
                f"information of one observation), got {information!r}"
            )
        ctx = {"x": X} if model.is_regression else {}
        info = fisher(model, theta0, rng=seed, **ctx)
        label = f"expected information ({info.method}"
        label += (f", {info.n_samples} Monte Carlo draws)" if info.method == "monte_carlo"
                  else ")")
        if model.is_regression:
            label += " of the n-row design"
    elif isinstance(information, FisherInfo):
        if information.param_names != model.param_names:
            raise ValueError(
                f"information has parameters {information.param_names}, the model "
                f"{model.param_names}: information must have the model's parameters"
            )
        info, label = information, f"given information ({information.method})"
    else:
        m = as_float_array(information, "information", shape=(p, p))
        info = FisherInfo(m, model.param_names, 1.0, "numeric")
        label = "given information of one observation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFisherWarning)  # reported as a flag instead
        inv, rank = pinv_psd(info.matrix)
    return inv * info.n_obs, label, rank


# ========================================================================= statistics
def _clopper_pearson(k, m, conf):
    """Exact binomial interval (Clopper & Pearson 1934, Biometrika 26, 404-413)."""
    from scipy import stats  # lazy: scipy.stats costs ~0.5 s to import

    k, m = np.asarray(k, float), np.asarray(m, float)
    a = 1.0 - conf
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a / 2, k, m - k + 1), 0.0)
        hi = np.where(k < m, stats.beta.ppf(1 - a / 2, k + 1, m - k), 1.0)
    bad = m <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _bonett_variance_ci(z, conf):
    """Confidence interval for a variance without assuming normality (Bonett 2006).

    ``exp(log(c s^2) +/- z_a se)`` with ``c = m / (m - z_a)``,
    ``se = c sqrt((g4 - (m - 3)/m) / (m - 1))`` and the kurtosis ``g4`` taken about a trimmed
    mean (trim ``1 / (2 sqrt(m - 4))``, as ``scipy.stats.trim_mean``); D. G. Bonett (2006),
    "Approximate confidence interval for standard deviation of nonnormal distributions",
    *Comput. Stat. Data Anal.* 50, 775-782, eq. 3. For normal data it is close to the
    chi-square interval. ``z`` is one sample (m,) -> ``(lo, hi)``, or the columns of an
    (m, p) array -> (p, 2).
    """
    from scipy import special

    z = np.asarray(z, dtype=float)
    Z = z[:, None] if z.ndim == 1 else z
    m = Z.shape[0]
    out = np.full((Z.shape[1], 2), np.nan)
    if m > 5:
        za = special.ndtri(0.5 + conf / 2)
        s2 = Z.var(axis=0, ddof=1)
        cut = int(min(1.0 / (2.0 * np.sqrt(m - 4)), 0.49) * m)
        center = np.sort(Z, axis=0)[cut: m - cut].mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g4 = m * np.sum((Z - center) ** 4, axis=0) \
                / np.sum((Z - Z.mean(axis=0)) ** 2, axis=0) ** 2
            c = m / (m - za)
            se = c * np.sqrt(np.maximum(g4 - (m - 3) / m, 0.0) / (m - 1))
            log_s2 = np.log(c * s2)
            out = np.exp(np.stack([log_s2 - za * se, log_s2 + za * se], axis=-1))
        out[~(s2 > 0)] = 0.0
    return (float(out[0, 0]), float(out[0, 1])) if z.ndim == 1 else out


def _anderson_darling_p(Z):
    """Anderson-Darling tests of normality (estimated mean and variance) of the columns of Z.

    Returns (p, 2): ``A^2`` and its p-value from the modified statistic
    ``A^2 (1 + 0.75/m + 2.25/m^2)`` (D'Agostino & Stephens, *Goodness-of-Fit Techniques*,
    1986, Table 4.9), via statsmodels' ``normal_ad``; NaN for fewer than 8 rows, and
    ``(inf, 0)`` for a constant column.
    """
    from statsmodels.stats.diagnostic import normal_ad

    m, p = Z.shape
    out = np.full((p, 2), np.nan)
    if m < 8:
        return out
    const = ~(np.std(Z, axis=0) > 0)
    out[const] = (np.inf, 0.0)
    if not const.all():
        a2, pv = normal_ad(Z[:, ~const], axis=0)
        out[~const] = np.column_stack([a2, pv])
    return out


def _mardia(Z):
    """Mardia's (1970) multivariate skewness and kurtosis with their p-values.

    With ``y_i = S^{-1/2}(z_i - zbar)`` (``S`` the covariance with divisor ``m``):
    ``b1 = m^-2 sum_ij (y_i.y_j)^3``, computed as ``m^-2 sum_abc (sum_i y_ia y_ib y_ic)^2``
    without the m x m matrix; ``m b1 / 6 ~ chi2(p(p+1)(p+2)/6)``. ``b2 = m^-1 sum_i |y_i|^4``;
    ``(b2 - p(p+2)) / sqrt(8 p (p+2) / m) ~ N(0, 1)`` (K. V. Mardia 1970, "Measures of
    multivariate skewness and kurtosis with applications", *Biometrika* 57, 519-530).
    """
    from scipy import stats  # lazy: scipy.stats costs ~0.5 s to import

    m, p = Z.shape
    nan4 = (np.nan,) * 4
    if m <= p + 1:
        return nan4
    C = Z - Z.mean(axis=0)
    S = C.T @ C / m
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return nan4
    Y = np.linalg.solve(L, C.T).T
    T = np.einsum("ia,ib,ic->abc", Y, Y, Y)
    b1 = float(np.sum(T * T) / m**2)
    b2 = float(np.mean(np.sum(Y * Y, axis=1) ** 2))
    df = p * (p + 1) * (p + 2) / 6
    p_skew = float(stats.chi2.sf(m * b1 / 6, df))
    zk = (b2 - p * (p + 2)) / np.sqrt(8 * p * (p + 2) / m)
    p_kurt = float(2 * stats.norm.sf(abs(zk)))
    return b1, p_skew, b2, p_kurt


def _analyse(theta, se, fails, n, theta0, V, rank, level, names):
    """All statistics and flags of one sample size (see :class:`AsymptoticReport`)."""
    from scipy import stats  # lazy: scipy.stats costs ~0.5 s to import

    reps, p = theta.shape
    ok = np.all(np.isfinite(theta), axis=1)
    m = int(ok.sum())
    D = theta[ok] - theta0
    Z = np.sqrt(n) * D
    out = {"n": n, "m": m}
    nanp = np.full(p, np.nan)
    # ---- which checks exist (their number sets the Bonferroni level)
    z_w = stats.norm.ppf(0.5 + level / 2)  # the Wald intervals' quantile
    valid = np.isfinite(se) & ok[:, None, None]
    n_cov = valid.sum(axis=0)  # (4, p)
    has_var = m > 5
    has_ad = m >= 8
    has_joint = m > p + 1
    K = (p if has_var else 0) + int(np.sum(n_cov > 0)) + (p if has_ad else 0) \
        + (3 if has_joint else 0)
    alpha = 1.0 - level
    conf = 1.0 - alpha / max(K, 1)
    out.update(n_checks=K, simultaneous_level=conf)
    # ---- bias and variance
    if m >= 2:
        out["bias"] = D.mean(axis=0)
        out["bias_se"] = D.std(axis=0, ddof=1) / np.sqrt(m)
        out["covariance"] = np.atleast_2d(np.cov(Z, rowvar=False, ddof=1))
    else:
        out["bias"], out["bias_se"] = nanp.copy(), nanp.copy()
        out["covariance"] = np.full((p, p), np.nan)
    ref_var = np.diag(V)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["variance_ratio"] = np.diag(out["covariance"]) / ref_var
    ci = np.full((p, 2), np.nan)
    if has_var:
        with np.errstate(divide="ignore", invalid="ignore"):
            ci = _bonett_variance_ci(Z, conf) / ref_var[:, None]
    out["variance_ratio_ci"] = ci
    # ---- coverage of the Wald intervals
    covered = (np.abs(theta - theta0)[:, None, :] <= z_w * se) & valid
    k_cov = covered.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["coverage"] = np.where(n_cov > 0, k_cov / n_cov, np.nan)
    lo, hi = _clopper_pearson(k_cov, n_cov, conf)
    out["coverage_ci"] = np.stack([lo, hi], axis=-1)
    out["coverage_count"] = n_cov
    # ---- normality
    ad = _anderson_darling_p(Z)
    out["normality_statistic"], out["normality_pvalue"] = ad[:, 0], ad[:, 1]
    if has_joint:
        Vinv = pinv_psd(V, what="asymptotic covariance")[0] if rank == p else np.linalg.pinv(V)
        d2 = np.einsum("ia,ab,ib->i", Z, Vinv, Z)
        ks = stats.kstest(d2, stats.chi2(rank).cdf)
        out["mahalanobis_statistic"], out["mahalanobis_pvalue"] = float(ks.statistic), \
            float(ks.pvalue)
        b1, p1, b2, p2 = _mardia(Z)
    else:
        out["mahalanobis_statistic"] = out["mahalanobis_pvalue"] = np.nan
        b1 = p1 = b2 = p2 = np.nan
    out.update(mardia_skewness=b1, mardia_skewness_pvalue=p1, mardia_kurtosis=b2,
               mardia_kurtosis_pvalue=p2)
    out["flags"] = tuple(_flags(out, fails, reps, p, rank, level, conf, names))
    return out


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def group_reasons(failures) -> list[tuple[str, int]]:
    """Failure reasons grouped by their text with the numbers masked, most common first.

    Returns ``(example message, count)`` pairs: "separated along b = [0.6, -1.0]" and
    "separated along b = [0.2, -3.1]" are one reason.
    """
    groups: dict[str, list] = {}
    for _, msg in failures:
        groups.setdefault(_NUMBER.sub("#", msg), []).append(msg)
    return sorted(((v[0], len(v)) for v in groups.values()), key=lambda t: -t[1])


def _flags(r, fails, reps, p, rank, level, conf, names):
    a = 1.0 - conf
    if rank < p:
        yield (f"the information at theta0 is singular (rank {rank} < {p}): "
               "sqrt(n)(theta_hat - theta0) has no N(0, I^-1) limit")
    if fails:
        common = group_reasons(fails)[0]
        yield (f"{len(fails)} of {reps} fits failed ({100 * len(fails) / reps:.3g}%); the "
               f"statistics describe the {r['m']} successful fits only; most common reason "
               f"({common[1]}x): {common[0]}")
    if r["m"] < 2:
        yield "fewer than 2 successful fits: nothing to compare with the theory"
        return
    for j, name in enumerate(names):
        lo, hi = r["variance_ratio_ci"][j]
        if np.isfinite(lo) and not lo <= 1.0 <= hi:
            yield (f"variance ratio of {name} = {r['variance_ratio'][j]:.3g}, CI "
                   f"[{lo:.3g}, {hi:.3g}] excludes 1")
    for k, method in enumerate(SE_METHODS):
        for j, name in enumerate(names):
            lo, hi = r["coverage_ci"][k, j]
            if np.isfinite(lo) and not lo <= level <= hi:
                yield (f"coverage of {level:.0%} Wald intervals for {name} ({method}) = "
                       f"{r['coverage'][k, j]:.4f}, CI [{lo:.4f}, {hi:.4f}] excludes {level:g}")
    for j, name in enumerate(names):
        pv = r["normality_pvalue"][j]
        if np.isfinite(pv) and pv < a:
            yield f"normality of {name} rejected (Anderson-Darling p = {pv:.2g} < {a:.2g})"
    for key, what in (("mahalanobis_pvalue", f"Mahalanobis distances are not chi2({rank})"),
                      ("mardia_skewness_pvalue", "Mardia skewness is not 0"),
                      ("mardia_kurtosis_pvalue",
                       f"Mardia kurtosis is not p(p+2) = {p * (p + 2)}")):
        pv = r[key]
        if np.isfinite(pv) and pv < a:
            yield f"joint normality rejected: {what} (p = {pv:.2g} < {a:.2g})"


# ============================================================================ report
def _readonly(a):
    a = np.array(a, copy=True)
    if a.dtype.kind == "f" or a.dtype.kind in "iub":
        a.flags.writeable = False
    return a


class _PerSize:
    """A statistic of every sample size: the array for a single n, stacked for a list."""

    def __init__(self, key: str, doc: str):
        self.key, self.__doc__ = key, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        values = [r[self.key] for r in obj._results]
        if obj._scalar:
            return values[0]
        if isinstance(values[0], tuple):
            return tuple(values)
        out = np.stack([np.asarray(v) for v in values])
        out.flags.writeable = False
        return out


@dataclass(frozen=True, eq=False, repr=False)
class AsymptoticReport:
    r"""Result of :func:`check_asymptotics`: estimates and their comparison with the theory.

    For a single ``n`` every statistic is an array over the parameters (``(p,)``,
    ``(4, p)`` for coverages, ...); for a list of sample sizes the arrays get a leading axis
    over ``n``, and :meth:`at` picks one size. Arrays are read-only.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    param_names : tuple of str
    theta0 : ndarray, shape (p,)
        The true parameter of the simulation.
    n : int or tuple of int
        Observations per replicate.
    reps : int
        Replicates per sample size (failed fits included).
    level : float
        Nominal level of the Wald intervals, and the family-wise confidence of the checks.
    reference : str
        Which information the theory uses (and how it was obtained).
    estimates : ndarray, shape (reps, p)
        The maximum-likelihood estimates; NaN rows for failed fits.
    failures : tuple of (int, str)
        ``(replicate, reason)`` of every failed fit.
    n_failed : int
    bias : ndarray, shape (p,)
        Mean of ``theta_hat - theta0`` over the successful fits; ``bias_se`` its standard
        error.
    covariance : ndarray, shape (p, p)
        Empirical covariance of ``sqrt(n)(theta_hat - theta0)``.
    asymptotic_covariance : ndarray, shape (p, p)
        ``I(theta0)^{-1}`` per observation (for regression: ``n`` times the inverse
        information of the n-row design), the theory's value of ``covariance``.
    variance_ratio : ndarray, shape (p,)
        ``diag(covariance) / diag(asymptotic_covariance)``: 1 when the Cramér-Rao bound is
        attained; ``variance_ratio_ci`` (p, 2) its simultaneous confidence interval.
    coverage : ndarray, shape (4, p)
        Fraction of Wald intervals ``theta_hat +/- z se`` containing ``theta0``, for the
        standard errors of :data:`COVERAGE_METHODS`; ``coverage_ci`` (4, p, 2) simultaneous
        Clopper-Pearson intervals; ``coverage_count`` how many replicates had a standard
        error (NaN where an estimator's matrix was not positive definite).
    normality_statistic, normality_pvalue : ndarray, shape (p,)
        Anderson-Darling test of normality of each parameter's estimates.
    mahalanobis_statistic, mahalanobis_pvalue : float
        Kolmogorov-Smirnov test of the Mahalanobis distances against chi-square(p).
    mardia_skewness, mardia_skewness_pvalue, mardia_kurtosis, mardia_kurtosis_pvalue : float
        Mardia's multivariate skewness (0 under normality) and kurtosis (``p(p+2)``).
    n_checks : int
        Number of checks behind the verdict; ``simultaneous_level`` the confidence of each
        interval (Bonferroni, so that all hold together with probability ``level``).
    flags : tuple of str
        Every check that fails, in words; empty when the theory is consistent with the
        simulation. ``ok`` is ``not flags``.
    """

    model: str
    param_names: tuple
    theta0: np.ndarray
    sizes: tuple
    reps: int
    level: float
    reference: str
    design_rows: int | None
    _results: tuple
    _scalar: bool = True

    estimates = _PerSize("estimates", "Maximum-likelihood estimates (reps, p); NaN rows failed.")
    failures = _PerSize("failures", "(replicate, reason) of every failed fit.")
    n_failed = _PerSize("n_failed", "Number of failed fits.")
    bias = _PerSize("bias", "Mean of theta_hat - theta0 over the successful fits.")
    bias_se = _PerSize("bias_se", "Monte Carlo standard error of ``bias``.")
    covariance = _PerSize("covariance", "Empirical covariance of sqrt(n)(theta_hat - theta0).")
    asymptotic_covariance = _PerSize("reference_cov", "Inverse information per observation.")
    variance_ratio = _PerSize("variance_ratio", "Empirical over asymptotic variance.")
    variance_ratio_ci = _PerSize("variance_ratio_ci", "Simultaneous CI of ``variance_ratio``.")
    coverage = _PerSize("coverage", "Coverage (4, p) of the Wald intervals.")
    coverage_ci = _PerSize("coverage_ci", "Simultaneous Clopper-Pearson CI of ``coverage``.")
    coverage_count = _PerSize("coverage_count", "Replicates with a standard error (4, p).")
    normality_statistic = _PerSize("normality_statistic", "Anderson-Darling A^2 per parameter.")
    normality_pvalue = _PerSize("normality_pvalue", "Anderson-Darling p-value per parameter.")
    mahalanobis_statistic = _PerSize("mahalanobis_statistic", "KS distance to chi2(p).")
    mahalanobis_pvalue = _PerSize("mahalanobis_pvalue", "KS p-value against chi2(p).")
    mardia_skewness = _PerSize("mardia_skewness", "Mardia's b_{1,p}.")
    mardia_skewness_pvalue = _PerSize("mardia_skewness_pvalue", "p-value of Mardia's skewness.")
    mardia_kurtosis = _PerSize("mardia_kurtosis", "Mardia's b_{2,p}.")
    mardia_kurtosis_pvalue = _PerSize("mardia_kurtosis_pvalue", "p-value of Mardia's kurtosis.")
    n_checks = _PerSize("n_checks", "Number of checks behind the verdict.")
    simultaneous_level = _PerSize("simultaneous_level", "Confidence of each interval.")
    flags = _PerSize("flags", "Failed checks, in words.")

    # ----------------------------------------------------------------- access
    @property
    def n(self):
        """Observations per replicate (an int, or a tuple for a convergence study)."""
        return self.sizes[0] if self._scalar else self.sizes

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def ok(self):
        """True when no check fails (a tuple of bools for a list of sample sizes)."""
        oks = tuple(not r["flags"] for r in self._results)
        return oks[0] if self._scalar else oks

    def at(self, n: int) -> AsymptoticReport:
        """The report of one sample size of a convergence study."""
        n = check_int(n, "n", low=1)
        if n not in self.sizes:
            raise ValueError(f"n must be one of the study's sample sizes {self.sizes}, got {n}")
        i = self.sizes.index(n)
        return AsymptoticReport(self.model, self.param_names, self.theta0, (n,), self.reps,
                                self.level, self.reference, self.design_rows,
                                (self._results[i],), True)

    # ----------------------------------------------------------------- output
    def summary(self) -> str:
        """A text report: per-parameter table, coverage table, joint tests and the verdict.

        Examples
        --------
        >>> import fisherstat as fs
        >>> from fisherstat.asymptotics import check_asymptotics
        >>> rep = check_asymptotics(fs.models.Poisson(), [4.0], n=50, reps=200, rng=0)
        >>> print(rep.summary())  # doctest: +ELLIPSIS
        Asymptotic normality check: Poisson(lam)
        ...
        verdict at n = 50: CONSISTENT ...
        """
        if not self._scalar:
            return self._summary_convergence()
        r = self._results[0]
        return "\n".join(self._header(r) + self._tables(r) + self._verdict(r))

    def _header(self, r):
        th = ", ".join(f"{nm} = {v:.6g}" for nm, v in zip(self.param_names, self.theta0,
                                                          strict=True))
        design = (f" (the {self.design_rows} covariate rows cycled to n rows, a fixed design)"
                  if self.design_rows else "")
        return [
            f"Asymptotic normality check: {self.model}",
            f"theta0: {th}",
            f"n = {r['n']} observations per replicate{design}; {self.reps} replicates; "
            f"{r['n_failed']} failed fits",
            f"theory: sqrt(n)(theta_hat - theta0) ~ N(0, I^-1), I = {self.reference}",
            f"intervals [lo, hi]: simultaneous {self.level:.0%} over {r['n_checks']} checks "
            f"(Bonferroni: each at {100 * r['simultaneous_level']:.2f}%)",
        ]

    def _tables(self, r):
        names = self.param_names
        w = max(9, *(len(s) for s in names)) + 1
        sd = np.sqrt(np.diag(r["covariance"]))
        sd_ref = np.sqrt(np.diag(r["reference_cov"]))
        lines = ["", f"{'parameter':<{w}}{'theta0':>10}{'bias':>11}{'(s.e.)':>10}"
                 f"{'sd':>10}{'sd CRLB':>10}  {'var ratio [CI]':<24}{'AD p':>8}"]
        for j, nm in enumerate(names):
            lo, hi = r["variance_ratio_ci"][j]
            ratio = f"{r['variance_ratio'][j]:.3f} [{lo:.3f}, {hi:.3f}]"
            lines.append(f"{nm:<{w}}{self.theta0[j]:>10.4g}{r['bias'][j]:>11.3g}"
                         f"{r['bias_se'][j]:>10.2g}{sd[j]:>10.4g}{sd_ref[j]:>10.4g}  "
                         f"{ratio:<24}{r['normality_pvalue'][j]:>8.3g}")
        if 1 < len(names) <= 6:
            lines += ["", "covariance of sqrt(n)(theta_hat - theta0): simulated | theory I^-1"]
            cwid = 10
            head = "".join(f"{nm[:cwid - 1]:>{cwid}}" for nm in names)
            lines.append(f"{'':<{w}}{head}   |{head}")
            for i, nm in enumerate(names):
                sim = "".join(f"{v:>{cwid}.4g}" for v in r["covariance"][i])
                ref = "".join(f"{v:>{cwid}.4g}" for v in r["reference_cov"][i])
                lines.append(f"{nm:<{w}}{sim}   |{ref}")
        lines += ["", f"coverage of {self.level:.0%} Wald intervals, by the information "
                  "behind the standard error [CI]:"]
        cw = 23
        lines.append(f"{'parameter':<{w}}" + "".join(f"{m:>{cw}}" for m in SE_METHODS))
        for j, nm in enumerate(names):
            cells = []
            for k in range(4):
                c = r["coverage"][k, j]
                lo, hi = r["coverage_ci"][k, j]
                cells.append("n/a" if not np.isfinite(c) else f"{c:.3f} [{lo:.3f}, {hi:.3f}]")
            lines.append(f"{nm:<{w}}" + "".join(f"{c:>{cw}}" for c in cells))
        missing = [f"{m}: {r['m'] - int(r['coverage_count'][k].min())}"
                   for k, m in enumerate(SE_METHODS)
                   if r["m"] and r["coverage_count"][k].min() < r["m"]]
        if missing:
            lines.append("replicates without a standard error (matrix not positive definite "
                         "or no closed form): " + ", ".join(missing))
        p = self.n_params
        lines += ["", f"joint normality (p = {p}): Mahalanobis d^2 vs chi2({p}): KS D = "
                  f"{r['mahalanobis_statistic']:.3g}, p = {r['mahalanobis_pvalue']:.3g}; "
                  f"Mardia skewness b1 = {r['mardia_skewness']:.3g} (p = "
                  f"{r['mardia_skewness_pvalue']:.3g}); kurtosis b2 = "
                  f"{r['mardia_kurtosis']:.4g} (theory {p * (p + 2)}, p = "
                  f"{r['mardia_kurtosis_pvalue']:.3g})"]
        if r["failures"]:
            lines += ["", "failed fits by reason:"]
            for msg, cnt in group_reasons(r["failures"])[:5]:
                lines.append(f"  {cnt:>6} x {msg}")
        return lines

    def _verdict(self, r):
        if not r["flags"]:
            weak = (f"; with only {r['m']} replicates the checks have little power"
                    if r["m"] < 100 else "")
            return ["", f"verdict at n = {r['n']}: CONSISTENT with sqrt(n)(theta_hat - theta0) "
                    f"~ N(0, I^-1) (none of {r['n_checks']} checks fails{weak})"]
        return ["", f"verdict at n = {r['n']}: the asymptotic approximation FAILS "
                f"({len(r['flags'])} flag{'s' if len(r['flags']) > 1 else ''}):"] + [
                    f"  - {f}" for f in r["flags"]]

    def _summary_convergence(self):
        r0 = self._results[0]
        lines = self._header(r0)[:2] + [
            f"sample sizes n = {', '.join(map(str, self.sizes))}; {self.reps} replicates each"
            + (f" (the {self.design_rows} covariate rows cycled to n rows)"
               if self.design_rows else ""),
            f"theory: sqrt(n)(theta_hat - theta0) ~ N(0, I^-1), I = {self.reference}",
            "", "convergence (var ratio = empirical / inverse-information variance; coverage "
            f"of {self.level:.0%} Wald intervals):",
        ]
        w = max(9, *(len(s) for s in self.param_names)) + 1
        lines.append(f"{'n':>7} {'parameter':<{w}}{'var ratio [CI]':<25}"
                     + "".join(f"{m:>10}" for m in SE_METHODS) + f"{'AD p':>9}{'failed':>8}")
        for r in self._results:
            for j, nm in enumerate(self.param_names):
                lo, hi = r["variance_ratio_ci"][j]
                ratio = f"{r['variance_ratio'][j]:.3f} [{lo:.3f}, {hi:.3f}]"
                cov = "".join(f"{c:>10.3f}" for c in r["coverage"][:, j])
                lines.append(f"{r['n']:>7} {nm:<{w}}{ratio:<25}{cov}"
                             f"{r['normality_pvalue'][j]:>9.3g}"
                             f"{r['n_failed'] if j == 0 else '':>8}")
        lines.append("")
        for r in self._results:
            if r["flags"]:
                lines.append(f"verdict at n = {r['n']}: FAILS ({len(r['flags'])} "
                             f"flag{'s' if len(r['flags']) > 1 else ''}):")
                lines += [f"  - {f}" for f in r["flags"]]
            else:
                lines.append(f"verdict at n = {r['n']}: CONSISTENT (none of {r['n_checks']} "
                             "checks fails)")
        lines.append("(report.at(n).summary() gives the full report of one sample size)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"AsymptoticReport(model={self.model}, n={self.n}, reps={self.reps}, "
                f"ok={self.ok})")

    def to_frame(self):
        """The per-parameter statistics as a ``pandas.DataFrame`` indexed by (n, parameter).

        Examples
        --------
        >>> import fisherstat as fs
        >>> from fisherstat.asymptotics import check_asymptotics
        >>> rep = check_asymptotics(fs.models.Normal(), [0.0, 1.0], n=[20, 80], reps=100,
        ...                         rng=1)
        >>> df = rep.to_frame()
        >>> df.shape[0], "variance_ratio" in df.columns
        (4, True)
        """
        import pandas as pd

        rows, index = [], []
        for r in self._results:
            sd_ref = np.sqrt(np.diag(r["reference_cov"]))
            for j, nm in enumerate(self.param_names):
                row = {
                    "theta0": self.theta0[j], "bias": r["bias"][j], "bias_se": r["bias_se"][j],
                    "sd": float(np.sqrt(r["covariance"][j, j])), "sd_crlb": sd_ref[j],
                    "variance_ratio": r["variance_ratio"][j],
                    "variance_ratio_lo": r["variance_ratio_ci"][j, 0],
                    "variance_ratio_hi": r["variance_ratio_ci"][j, 1],
                }
                for k, m in enumerate(SE_METHODS):
                    row[f"coverage_{m}"] = r["coverage"][k, j]
                    row[f"coverage_{m}_lo"] = r["coverage_ci"][k, j, 0]
                    row[f"coverage_{m}_hi"] = r["coverage_ci"][k, j, 1]
                row.update(normality_pvalue=r["normality_pvalue"][j],
                           n_failed=r["n_failed"], ok=not r["flags"])
                rows.append(row)
                index.append((r["n"], nm))
        return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index,
                                                                  names=["n", "parameter"]))

    def plot(self, n: int | None = None, *, fig=None):
        """Figure of the study (needs matplotlib, the ``[plot]`` extra).

        One sample size: histograms of ``sqrt(n)(theta_hat - theta0)`` with the
        ``N(0, I^-1)`` density, normal QQ plots of the estimates standardised by the
        theory's standard deviation (points on the diagonal when the theory holds), the
        coverage of the Wald intervals with their confidence intervals, and a chi-square QQ
        plot of the Mahalanobis distances. A list of sample sizes: how the variance ratio
        and the coverage converge with ``n`` (``n=`` picks one size instead).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from . import plot as _plot

        if n is not None:
            return _plot.plot_study(self.at(n), fig=fig)
        if self._scalar:
            return _plot.plot_study(self, fig=fig)
        return _plot.plot_convergence(self, fig=fig)


# ========================================================================= checkpoints
def _signature(model, theta0, sizes, reps, chunk_sizes, seed, designs) -> str:
    """Hash of everything that determines the chunks' results (see ``checkpoint``)."""
    h = hashlib.sha256()
    h.update(f"{_CHECKPOINT_VERSION}|{type(model).__module__}.{type(model).__qualname__}|"
             f"{model!r}|{model.param_names}|{sizes}|{reps}|{chunk_sizes}|"
             f"{seed.entropy!r}|{seed.spawn_key!r}".encode())
    for a in (model.lower, model.upper, theta0):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    for X in designs:
        if X is not None:
            h.update(repr(X.shape).encode() + np.ascontiguousarray(X).tobytes())
    return h.hexdigest()


def _checkpoint_path(checkpoint) -> str:
    """The checkpoint's path as a str, refused early if it is no path or cannot be written."""
    if isinstance(checkpoint, bytes) or not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"checkpoint must be None or a file path (str or os.PathLike), got "
            f"{type(checkpoint).__name__}")
    path = os.fspath(checkpoint)
    if not path or os.path.basename(path) == "":
        raise ValueError(f"checkpoint must be a file path, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"checkpoint {path!r}: the directory {folder!r} does not exist")
    return path


class _Checkpoint:
    """Finished chunks in one ``.npz`` file, rewritten atomically after every chunk.

    Each write goes to ``PATH.tmp``, is flushed to disk and then renamed over ``PATH``
    (``os.replace``, atomic on POSIX and Windows), so a study killed at any moment leaves
    either the previous or the new checkpoint, never a half-written one (a left-over
    ``PATH.tmp`` is ignored and overwritten). A file damaged otherwise is refused with a
    ``ValueError`` rather than trusted.
    """

    _ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)

    def __init__(self, path, signature: str):
        self.path, self.signature = _checkpoint_path(path), signature
        self.arrays: dict[str, np.ndarray] = {}
        self.done: dict[tuple[int, int], dict] = {}
        if os.path.exists(self.path):
            self._load()

    def check_writable(self):
        """Refuse a path this process cannot write now, not after the first chunk."""
        try:
            with open(self.path + ".tmp", "wb"):
                pass
            os.remove(self.path + ".tmp")
        except OSError as exc:
            raise ValueError(f"checkpoint {self.path!r} cannot be written ({exc}); choose "
                             "another path") from None

    def _load(self):
        try:
            with np.load(self.path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except self._ERRORS as exc:
            raise ValueError(
                f"checkpoint {self.path!r} exists but is not a readable .npz file "
                f"({type(exc).__name__}: {exc}); it may be damaged: remove it or choose "
                "another path"
            ) from None
        if str(arrays.get("signature", np.array(""))) != self.signature:
            raise ValueError(
                f"checkpoint {self.path!r} was written by a study with different arguments "
                "(model, theta0, n, reps, rng, x or chunk_size); remove it or choose another "
                "path"
            )
        try:
            done = arrays["done"].reshape(-1, 2)
            chunks = {(int(i), int(j)): {k: arrays[f"{k}_{i}_{j}"]
                                         for k in ("theta", "se", "fail_idx", "fail_msg")}
                      for i, j in done}
        except self._ERRORS as exc:
            raise ValueError(
                f"checkpoint {self.path!r} is incomplete ({type(exc).__name__}: {exc}); it "
                "may be damaged: remove it or choose another path"
            ) from None
        self.arrays, self.done = arrays, chunks

    def add(self, key, result):
        i, j = key
        self.done[key] = result
        for k, v in result.items():
            self.arrays[f"{k}_{i}_{j}"] = v
        self.arrays["signature"] = np.array(self.signature)
        self.arrays["done"] = np.array(sorted(self.done), dtype=np.int64).reshape(-1, 2)
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, **self.arrays)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename (a crash, not only a kill)
        os.replace(tmp, self.path)


# ============================================================================= entry
def check_asymptotics(
    model: Model,
    theta0,
    n,
    reps: int,
    *,
    rng,
    executor=None,
    x=None,
    information="expected",
    progress: bool = False,
    checkpoint=None,
    level: float = 0.95,
    chunk_size: int | None = None,
) -> AsymptoticReport:
    r"""Simulate the sampling distribution of the MLE and compare it with the asymptotic theory.

    Draws ``reps`` data sets of ``n`` observations at ``theta0``, fits each by maximum
    likelihood and checks :math:`\sqrt n(\hat\theta - \theta_0) \approx N(0, I^{-1})`.

    Parameters
    ----------
    model : Model
        Any model that can ``sample`` and ``fit``.
    theta0 : array_like, shape (p,)
        The true parameter (must be valid for the model).
    n : int or sequence of int
        Observations per replicate (>= p); a list runs a convergence study with one report
        per size.
    reps : int
        Replicates per sample size (>= 2; a few hundred for the checks to have power).
    rng : int, SeedSequence or Generator
        Root seed. Each chunk of replicates is seeded with a child of
        ``np.random.SeedSequence(rng)``, so the result does not depend on ``executor``.
        ``None`` draws fresh entropy (not reproducible; refused with ``checkpoint``).
    executor : None, int or Executor, optional
        ``None`` serial; an int ``k``: ``k`` processes; or any
        :class:`concurrent.futures.Executor`, e.g. ``distributed.Client(...).get_executor()``
        (see :mod:`fisherstat.parallel`).
    x : array_like, optional
        Regression models only (required for them): the covariate rows of the design. Each
        replicate uses the same fixed design of ``n`` rows, the rows of ``x`` cycled
        (``x[i % len(x)]``; ``x`` repeated ``n / len(x)`` times when ``n`` is a multiple),
        with a fresh response vector; the theory is the information of that design.
    information : 'expected', FisherInfo or array_like, default 'expected'
        The information whose inverse the theory predicts: ``'expected'`` is
        ``fisher(model, theta0)`` (closed form, else Monte Carlo); a :class:`FisherInfo` is
        taken per ``n_obs`` observations, an array as the information of one observation
        (e.g. a time-series model's asymptotic information).
    progress : bool, default False
        Progress bar on stderr (tqdm if installed, plain text otherwise).
    checkpoint : str or path, optional
        A ``.npz`` file where finished chunks are saved as the study runs; a second call with
        the same arguments resumes from it and returns the same report as an uninterrupted
        run. A checkpoint written with other arguments is refused (``ValueError``). Writes
        are atomic (a temporary file renamed over the old one), so a study killed at any
        moment resumes from the chunks finished before.
    level : float, default 0.95
        Nominal level of the Wald intervals and family-wise confidence of the checks.
    chunk_size : int, optional
        Replicates per chunk (default about ``reps / 16``); part of the random stream, so
        keep it when resuming.

    Returns
    -------
    AsymptoticReport

    Raises
    ------
    ValueError
        ``reps < 2``, ``n`` smaller than the number of parameters or a design that cannot
        identify the parameters, ``theta0`` outside the parameter space, a checkpoint from
        other arguments, damaged, in a missing directory or not writable.
    TypeError
        A non-model, ``x`` missing for (or given to) a model, an executor without ``submit``
        or ``map``.

    Notes
    -----
    Under the usual regularity conditions the MLE from :math:`n` observations satisfies
    :math:`\sqrt n(\hat\theta_n - \theta_0) \to N(0, I(\theta_0)^{-1})`, with :math:`I` the
    information of one observation (Lehmann & Casella 1998, Theorem 6.3.10); for a fixed
    regression design :math:`I = I_n / n` with :math:`I_n = \sum_i M(x_i)` (Fahrmeir &
    Kaufmann 1985, *Ann. Statist.* 13, 342-368). The report checks, over the successful
    fits :math:`\hat\theta_r`, :math:`r = 1..m`:

    * variance: the ratio of the empirical variance of
      :math:`z_r = \sqrt n(\hat\theta_{rj} - \theta_{0j})` to :math:`(I^{-1})_{jj}`, with
      Bonett's (2006) interval, valid without normality;
    * Wald coverage: the fraction of :math:`\hat\theta_{rj} \pm z_{0.975}\,\widehat{se}_{rj}`
      containing :math:`\theta_{0j}` with :math:`\widehat{se}` from the expected information
      at :math:`\hat\theta`, the observed information :math:`-\sum_i H_i`, the outer
      product of the scores (OPG) and the sandwich :math:`A^{-1} B A^{-1}` (Huber 1967;
      White 1982), each with a Clopper-Pearson interval;
    * normality: Anderson-Darling per parameter (D'Agostino & Stephens 1986), the
      Mahalanobis distances :math:`z_r^T I z_r` against :math:`\chi^2_p` (Kolmogorov-Smirnov),
      Mardia's (1970) multivariate skewness and kurtosis.

    All intervals are simultaneous: with :math:`K` checks each is at level
    :math:`1 - (1 - \text{level})/K` (Bonferroni), so that a correct theory raises no flag
    with probability at least ``level``. More replicates detect smaller deviations; the
    report shows their size. Failed fits (:class:`~fisherstat.FitError` and other
    numerical errors) are counted with their reasons and raise a flag: the statistics then
    describe the estimator conditional on its existence.

    Examples
    --------
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Normal(), [0.0, 1.0], n=100, reps=400, rng=0)
    >>> rep.estimates.shape, rep.n_failed
    ((400, 2), 0)
    >>> bool(rep.variance_ratio_ci[0, 0] < 1 < rep.variance_ratio_ci[0, 1])
    True
    >>> rep.ok
    True
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a fisherstat Model, got {type(model).__name__}")
    theta0 = validate_theta(model, theta0, "theta0")
    p = model.n_params
    sizes, scalar = _check_sizes(n, p)
    reps = check_int(reps, "reps", low=2)
    level = check_scalar(level, "level", low=0, high=1)
    executor = check_executor(executor)
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if checkpoint is not None:
        checkpoint = _checkpoint_path(checkpoint)
    if rng is None and checkpoint is not None:
        raise ValueError("checkpoint needs a reproducible rng (an int seed or a SeedSequence), "
                         "got rng=None")
    seed = as_seed_sequence(rng)
    if model.is_regression:
        if x is None:
            raise TypeError(
                f"{type(model).__name__} is a regression model: pass x, the covariate rows of "
                "the design (cycled to n rows per replicate)"
            )
        base = model.check_x(x)
        designs = [_design(model, base, k) for k in sizes]
        design_rows = base.shape[0]
    else:
        if x is not None:
            raise TypeError(f"{type(model).__name__} takes no covariates; got x")
        designs, design_rows = [None] * len(sizes), None
    size_seeds = seed.spawn(len(sizes) + 1)  # the last one seeds a Monte Carlo information
    refs = []
    for k, X in zip(sizes, designs, strict=True):
        V, label, rank = _reference(model, theta0, information, k, X, size_seeds[-1])
        if model.is_regression and rank < p:
            raise ValueError(
                f"the information of the design of n = {k} rows (x cycled) is singular (rank "
                f"{rank} < {p}): too few distinct rows to fit the model; increase n or change x"
            )
        refs.append((V, label, rank))
    cs = (default_chunk_size(reps, max(sizes) * p) if chunk_size is None
          else check_count(chunk_size, "chunk_size"))
    counts = split_replicates(reps, cs)
    tasks = []
    for i, (k, X) in enumerate(zip(sizes, designs, strict=True)):
        for j, (s, c) in enumerate(zip(size_seeds[i].spawn(len(counts)), counts, strict=True)):
            tasks.append(_Task(model, theta0, k, X, s, c, (i, j)))

    store = None
    if checkpoint is not None:
        store = _Checkpoint(checkpoint, _signature(model, theta0, sizes, reps, counts, seed,
                                                   designs))
    done = {} if store is None else dict(store.done)
    pending = [t for t in tasks if t.key not in done]
    if store is not None and pending:
        store.check_writable()  # a finished checkpoint may be read-only
    bar = Progress(reps * len(sizes), f"check {type(model).__name__}", enabled=bool(progress))
    bar.update(sum(t.count for t in tasks if t.key in done))
    try:
        results = map_chunks(
            _run_chunk, pending, executor,
            on_result=(None if store is None
                       else lambda i, res: store.add(pending[i].key, res)),
            progress=bar, weights=[t.count for t in pending],
        )
    finally:
        bar.close()
    for t, res in zip(pending, results, strict=True):
        done[t.key] = res

    per_size = []
    for i, k in enumerate(sizes):
        chunks = [done[(i, j)] for j in range(len(counts))]
        theta = np.concatenate([c["theta"] for c in chunks])
        se = np.concatenate([c["se"] for c in chunks])
        offsets = np.cumsum([0] + counts[:-1])
        fails = tuple(
            (int(off + r), str(msg))
            for off, c in zip(offsets, chunks, strict=True)
            for r, msg in zip(c["fail_idx"], c["fail_msg"], strict=True)
        )
        V, label, rank = refs[i]
        res = _analyse(theta, se, fails, k, theta0, V, rank, level, model.param_names)
        res.update(estimates=theta, failures=fails, n_failed=len(fails), reference_cov=V)
        per_size.append({key: (_readonly(v) if isinstance(v, np.ndarray) else v)
                         for key, v in res.items()})
    return AsymptoticReport(repr(model), model.param_names, _readonly(theta0), sizes, reps,
                            level, refs[0][1], design_rows, tuple(per_size), scalar)
