r"""The statistics of :func:`fisherstat.check_asymptotics`: intervals, normality tests, flags.

Pure functions of the simulated estimates of one sample size: Clopper-Pearson intervals for
coverages, Bonett's interval for a variance, Anderson-Darling and Mardia tests of normality,
and :func:`analyse`, which combines them (with a Bonferroni level) into the statistics and
the flags of an :class:`~fisherstat.AsymptoticReport`.
"""

from __future__ import annotations

import re

import numpy as np

from .._fitting import SE_METHODS
from ..information import pinv_psd

__all__ = ["clopper_pearson", "bonett_variance_ci", "anderson_darling", "mardia", "analyse",
           "group_reasons", "flags"]


def clopper_pearson(k, m, conf):
    """Exact binomial interval (Clopper & Pearson 1934, Biometrika 26, 404-413)."""
    from scipy import stats  # lazy: scipy.stats costs ~0.5 s to import

    k, m = np.asarray(k, float), np.asarray(m, float)
    a = 1.0 - conf
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a / 2, k, m - k + 1), 0.0)
        hi = np.where(k < m, stats.beta.ppf(1 - a / 2, k + 1, m - k), 1.0)
    bad = m <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def bonett_variance_ci(z, conf):
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


def anderson_darling(Z):
    r"""Anderson-Darling tests of normality (estimated mean and variance) of the columns of Z.

    Returns (p, 2): ``A^2`` and its p-value from the modified statistic
    ``A^2 (1 + 0.75/m + 2.25/m^2)`` (D'Agostino & Stephens, *Goodness-of-Fit Techniques*,
    1986, Table 4.9), via statsmodels' ``normal_ad``; NaN for fewer than 8 rows, and
    ``(inf, 0)`` for a constant column.

    The last piece of that table, :math:`p = \exp(1.2937 - 5.709 a + 0.0186 a^2)` for
    :math:`a \ge 0.6`, is a parabola whose minimum is at :math:`a^* = 5.709 / 0.0372
    \approx 153.5` (p about 1e-190); beyond it the formula would *increase* again (and
    overflow to inf/NaN with a RuntimeWarning for a huge or infinite statistic), so the
    p-value is held at its minimum for :math:`a > a^*` and is 0 for :math:`A^2 = \infty`.
    """
    from statsmodels.stats.diagnostic import normal_ad

    m, p = Z.shape
    out = np.full((p, 2), np.nan)
    if m < 8:
        return out
    const = ~(np.std(Z, axis=0) > 0)
    out[const] = (np.inf, 0.0)
    if not const.all():
        with np.errstate(all="ignore"):  # huge A^2: the p-value is replaced below
            a2, pv = normal_ad(Z[:, ~const], axis=0)
        a2a = a2 * (1.0 + 0.75 / m + 2.25 / m**2)
        pv = np.where(a2a > _AD_VERTEX, _AD_P_MIN, pv)
        pv = np.where(np.isinf(a2), 0.0, pv)
        out[~const] = np.column_stack([a2, pv])
    return out


#: Where exp(1.2937 - 5.709 a + 0.0186 a^2) (D'Agostino & Stephens 1986, Table 4.9) is least
_AD_VERTEX = 5.709 / (2 * 0.0186)
_AD_P_MIN = float(np.exp(1.2937 - 5.709 * _AD_VERTEX + 0.0186 * _AD_VERTEX**2))


def mardia(Z):
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


def analyse(theta, se, fails, n, theta0, V, rank, level, names, boundary=(), V_model=None):
    """All statistics and flags of one sample size (see :class:`AsymptoticReport`).

    ``V`` is the theory's covariance of ``sqrt(n)(theta_hat - theta0)`` (per observation),
    ``V_model`` the model-based inverse information when it differs (a misspecification
    study: ``V`` is then the sandwich); ``boundary`` the ``(replicate, reason)`` pairs of the
    estimates on the boundary of the parameter space (finite rows of ``theta`` without
    standard errors: they count in every statistic but the coverages).
    """
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
            ci = bonett_variance_ci(Z, conf) / ref_var[:, None]
    out["variance_ratio_ci"] = ci
    # ---- the same variances against the model-based I^-1 (reported, not a check)
    if V_model is None:
        V_model = V
    model_var = np.diag(V_model)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["model_based_variance_ratio"] = np.diag(out["covariance"]) / model_var
        out["model_based_variance_ratio_ci"] = ci * (ref_var / model_var)[:, None]
    out["model_based_cov"] = V_model
    # ---- coverage of the Wald intervals
    covered = (np.abs(theta - theta0)[:, None, :] <= z_w * se) & valid
    k_cov = covered.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["coverage"] = np.where(n_cov > 0, k_cov / n_cov, np.nan)
    lo, hi = clopper_pearson(k_cov, n_cov, conf)
    out["coverage_ci"] = np.stack([lo, hi], axis=-1)
    out["coverage_count"] = n_cov
    # ---- normality
    ad = anderson_darling(Z)
    out["normality_statistic"], out["normality_pvalue"] = ad[:, 0], ad[:, 1]
    if has_joint:
        Vinv = pinv_psd(V, what="asymptotic covariance")[0] if rank == p else np.linalg.pinv(V)
        d2 = np.einsum("ia,ab,ib->i", Z, Vinv, Z)
        ks = stats.kstest(d2, stats.chi2(rank).cdf)
        out["mahalanobis_statistic"], out["mahalanobis_pvalue"] = float(ks.statistic), \
            float(ks.pvalue)
        b1, p1, b2, p2 = mardia(Z)
    else:
        out["mahalanobis_statistic"] = out["mahalanobis_pvalue"] = np.nan
        b1 = p1 = b2 = p2 = np.nan
    out.update(mardia_skewness=b1, mardia_skewness_pvalue=p1, mardia_kurtosis=b2,
               mardia_kurtosis_pvalue=p2)
    out["flags"] = tuple(flags(out, fails, reps, p, rank, level, conf, names, boundary))
    return out


NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def group_reasons(failures) -> list[tuple[str, int]]:
    """Failure reasons grouped by their text with the numbers masked, most common first.

    Returns ``(example message, count)`` pairs: "separated along b = [0.6, -1.0]" and
    "separated along b = [0.2, -3.1]" are one reason.
    """
    groups: dict[str, list] = {}
    for _, msg in failures:
        groups.setdefault(NUMBER.sub("#", msg), []).append(msg)
    return sorted(((v[0], len(v)) for v in groups.values()), key=lambda t: -t[1])


def flags(r, fails, reps, p, rank, level, conf, names, boundary=()):
    a = 1.0 - conf
    if rank < p:
        yield (f"the information at theta0 is singular (rank {rank} < {p}): "
               "sqrt(n)(theta_hat - theta0) has no N(0, I^-1) limit")
    if fails:
        common = group_reasons(fails)[0]
        yield (f"{len(fails)} of {reps} fits failed ({100 * len(fails) / reps:.3g}%); the "
               f"statistics describe the {r['m']} estimates that exist only; most common "
               f"reason ({common[1]}x): {common[0]}")
    if boundary:
        common = group_reasons(boundary)[0]
        yield (f"{len(boundary)} of {reps} estimates lie on the boundary of the parameter "
               f"space ({100 * len(boundary) / reps:.3g}%): valid MLEs, kept in the "
               "statistics but without Wald intervals; the limit law there is not normal "
               f"(Self & Liang 1987); most common ({common[1]}x): {common[0]}")
    if r["m"] < 2:
        yield "fewer than 2 estimates: nothing to compare with the theory"
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
