"""fisherstat.selection: information criteria and the likelihood-ratio test.

Checked against statsmodels' AIC/BIC (with their parameter-count conventions stated),
closed forms (Normal; the likelihood ratio of a Normal mean with known variance; nested
linear regressions, whose statistic is a monotone function of the F statistic, so that
the bootstrap p-value estimates the exact F-test p-value), and, for the singular location
mixture, against the model's own likelihood-ratio statistic and the closed-form maximum on
the boundary ``v = 1``.
"""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pytest
import statsmodels.api as sm
from conftest import N_SE
from scipy import stats

import fisherstat as fs
from fisherstat.models import LinearRegression, LocationMixture, Normal, PoissonRegression
from fisherstat.selection import aic, aicc, bic, information_criteria, likelihood_ratio_test


def known_variance_normal(fail_beyond=None):
    """N(mu, 1) with the closed-form MLE ybar; optionally failing when |ybar| > fail_beyond."""

    def fit(y):
        if fail_beyond is not None and abs(y.mean()) > fail_beyond:
            raise fs.FitError(f"|ybar| = {abs(y.mean()):.3f} beyond {fail_beyond}")
        return np.array([y.mean()])

    return fs.Model.from_logpdf(
        lambda th, y: -0.5 * np.log(2 * np.pi) - 0.5 * (y - th[0]) ** 2,
        lambda th, n, rng: th[0] + rng.standard_normal(n), ["mu"], fit=fit)


def regression_data(n=60, seed=0, slope=0.0):
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.standard_normal(n))
    y = 1.0 + slope * X[:, 1] + 0.7 * rng.standard_normal(n)
    return X, y


# ======================================================================== criteria
def test_criteria_of_normal_match_closed_form():
    # MLE (ybar, s2 = mean squared deviation): loglik = -n/2 (log(2 pi s2) + 1)
    y = Normal().sample([1.0, 2.0], 30, rng=3)
    n, s2 = y.size, y.var()
    ll = -0.5 * n * (np.log(2 * np.pi * s2) + 1)
    ic = information_criteria(Normal(), y)
    # one sum of n = 30 terms of size ~2 in each evaluation: rounding ~ n * eps * 2 ~ 1e-14
    # relative to |ll| ~ 60; 1e-12 leaves a margin for the closed form's own rounding
    np.testing.assert_allclose(ic.loglik, ll, rtol=1e-12)
    np.testing.assert_allclose(ic.aic, -2 * ll + 4, rtol=1e-12)
    np.testing.assert_allclose(ic.bic, -2 * ll + 2 * np.log(n), rtol=1e-12)
    np.testing.assert_allclose(ic.aicc, -2 * ll + 4 + 2 * 2 * 3 / (n - 3), rtol=1e-12)
    assert (ic.k, ic.n_obs, ic.note) == (2, n, "")
    np.testing.assert_allclose(ic.theta, [y.mean(), s2], rtol=1e-12)


def test_criteria_at_given_theta_with_fixed_parameters():
    # theta given and k = 0: the log-likelihood of N(0, 1), no penalty
    y = np.array([0.5, -1.0, 2.0])
    ic = information_criteria(Normal(), y, theta=[0.0, 1.0], k=0)
    ll = np.sum(stats.norm.logpdf(y))
    np.testing.assert_allclose([ic.loglik, ic.aic, ic.bic], [ll, -2 * ll, -2 * ll], rtol=1e-13)


def test_ols_criteria_match_statsmodels_with_its_parameter_count():
    # statsmodels' OLS llf is the Gaussian log-likelihood at (beta_hat, RSS/n), like ours,
    # but its aic/bic count the k_exog coefficients only (df_model + k_constant), not the
    # variance: so ours with k = n_params = k_exog + 1 is statsmodels' + 2 (AIC) and
    # + log n (BIC), and ours with k = k_exog equals statsmodels'.
    X, y = regression_data(slope=0.4)
    res = sm.OLS(y, X).fit()
    m = LinearRegression(2)
    ic = information_criteria(m, y, x=X)
    ic_sm = information_criteria(m, y, x=X, k=2)
    # both closed-form least squares; llf ~ 60 is a sum of 60 terms: rounding ~ 1e-13
    np.testing.assert_allclose(ic.loglik, res.llf, rtol=1e-10)
    np.testing.assert_allclose([ic_sm.aic, ic_sm.bic], [res.aic, res.bic], rtol=1e-10)
    np.testing.assert_allclose([ic.aic - 2, ic.bic - np.log(y.size)], [res.aic, res.bic],
                               rtol=1e-10)


def test_poisson_criteria_match_statsmodels():
    # sm.Poisson: aic = -2 llf + 2 k, bic = -2 llf + k log n, k = number of coefficients,
    # the same convention as ours. Both fits are Newton iterations converged to ~1e-8 in
    # the parameters; the log-likelihood is stationary there, so its error is quadratic
    # (~ n * 1e-16), far below the 1e-9 relative tolerance.
    rng = np.random.default_rng(5)
    X = sm.add_constant(rng.standard_normal((200, 2)))
    m = PoissonRegression(3)
    y = m.sample([0.2, 0.5, -0.3], x=X, rng=6)
    res = sm.Poisson(y, X).fit(disp=0, tol=1e-12)
    ic = information_criteria(m, y, x=X)
    np.testing.assert_allclose([ic.loglik, ic.aic, ic.bic], [res.llf, res.aic, res.bic],
                               rtol=1e-9)


def test_formulas_vectorised_and_aicc_infinite_without_room():
    ll = np.array([-10.0, -12.0])
    np.testing.assert_array_equal(aic(ll, 3), [26.0, 30.0])
    np.testing.assert_allclose(bic(ll, 3, 50), 2 * 10 * np.array([1, 1.2]) + 3 * np.log(50))
    np.testing.assert_allclose(aicc(ll, 3, 10), [26 + 24 / 6, 30 + 24 / 6])
    assert aicc(-1.0, 3, 4) == np.inf  # n = k + 1: the correction diverges


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: aic(-1.0, -1), ValueError, "k must be an integer >= 0"),
    (lambda: aic(-1.0, True), TypeError, "k must be an integer"),
    (lambda: aic(np.nan, 1), ValueError, "loglik"),
    (lambda: bic(-1.0, 1, 0), ValueError, "n must be an integer >= 1"),
    (lambda: aicc(-1.0, 1, 2.5), TypeError, "n must be an integer"),
    (lambda: information_criteria("Normal", [1.0, 2.0]), TypeError, "model must be"),
    (lambda: information_criteria(Normal(), [1.0, 2.0], theta=[0.0, -1.0]), ValueError,
     "sigma2 must be > 0"),
    (lambda: information_criteria(Normal(), [1.0, 2.0], k=-2), ValueError, "k must be"),
    (lambda: information_criteria(Normal(), [1.0, 2.0], x=np.ones((2, 1))), TypeError,
     "takes no covariates"),
])
def test_criteria_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ====================================================================== the LRT
def test_lrt_known_variance_mean_closed_form():
    # H0: N(mu0, 1) against N(mu, 1): T = n (ybar - mu0)^2 / sigma^2, exactly chi2(1)
    m = known_variance_normal()
    y = m.sample([0.25], 50, rng=11)
    r = likelihood_ratio_test((m, [0.1]), m, y)
    # T is a difference of two sums of 50 terms of size ~1.4: rounding ~ 50 * eps * 70
    # ~ 1e-12 absolute
    np.testing.assert_allclose(r.statistic, 50 * (y.mean() - 0.1) ** 2, atol=1e-10)
    assert (r.df, r.k_null, r.k_alt, r.n_obs, r.n_boot) == (1, 0, 1, 50, 0)
    np.testing.assert_allclose(r.pvalue_chi2, stats.chi2(1).sf(r.statistic), rtol=1e-12)
    assert np.isnan(r.pvalue_boot) and r.null_sample.shape == (0,)
    assert "n_boot = 0" in r.summary()


def test_lrt_bootstrap_of_exact_chi2_agrees_with_chi2():
    # T is exactly chi2(1) under the simple null, so the bootstrap p-value is a binomial
    # estimate of pvalue_chi2: E = (1 + B p) / (1 + B) (bias <= 1 / (B + 1)), s.e.
    # sqrt(p (1 - p) / B); and the chi-square test rejects a binomial fraction of the
    # simulated null with mean exactly 0.05 (s.e. sqrt(0.05 * 0.95 / B)).
    m = known_variance_normal()
    y = m.sample([0.3], 40, rng=2)
    B = 1000
    r = likelihood_ratio_test((m, [0.0]), m, y, n_boot=B, rng=3)
    p = r.pvalue_chi2
    assert 0.02 < p < 0.9  # a p-value the comparison can resolve
    assert abs(r.pvalue_boot - p) <= N_SE * np.sqrt(p * (1 - p) / B) + 1 / (B + 1)
    np.testing.assert_allclose(r.pvalue_boot_se, np.sqrt(r.pvalue_boot * (1 - r.pvalue_boot)
                                                         / B), rtol=1e-12)
    rate, se, nominal = r.rejection_rates(0.05)["chi2"]
    assert nominal == pytest.approx(0.05, rel=1e-12)
    assert abs(rate - 0.05) <= N_SE * np.sqrt(0.05 * 0.95 / B)
    assert r.pvalue_boot_bounds == (r.pvalue_boot, r.pvalue_boot)  # no failures


def test_lrt_nested_regressions_bootstrap_estimates_the_exact_f_test():
    # Intercept-only against intercept + slope, both with sigma2: T = n log(RSS0 / RSS1)
    # = n log(1 + F / (n - 2)), a monotone function of F ~ F(1, n - 2) under the null
    # whatever the null's parameters, so the parametric bootstrap p-value estimates the
    # exact F-test p-value: within N_SE binomial s.e. plus the 1/(B + 1) offset.
    X, y = regression_data(n=60, seed=4, slope=0.2)
    n = y.size
    rss1 = np.sum(sm.OLS(y, X).fit().resid ** 2)
    rss0 = np.sum((y - y.mean()) ** 2)
    B = 800
    r = likelihood_ratio_test(LinearRegression(1), LinearRegression(2), y, x=X,
                              x_null=X[:, :1], n_boot=B, rng=5)
    # two sums of 60 terms of size ~1: rounding ~ 1e-13; 1e-9 covers the closed forms
    np.testing.assert_allclose(r.statistic, n * np.log(rss0 / rss1), atol=1e-9)
    F = (rss0 - rss1) / (rss1 / (n - 2))
    p_exact = stats.f(1, n - 2).sf(F)
    assert 0.02 < p_exact < 0.9
    assert r.df == 1 and r.n_failed == 0
    assert abs(r.pvalue_boot - p_exact) <= N_SE * np.sqrt(p_exact * (1 - p_exact) / B) \
        + 1 / (B + 1)


def test_lrt_failed_replicates_are_counted_not_dropped():
    # The alternative's fit fails when |ybar| > 0.2 (about 21% of replicates of 40 N(0, 1)
    # draws: P(|Z| > 0.2 sqrt(40)) = 0.206); each failure is a NaN in null_sample with its
    # reason, and the p-value bounds open by exactly f / (1 + m + f).
    m0, m1 = known_variance_normal(), known_variance_normal(fail_beyond=0.2)
    y = m0.sample([0.0], 40, rng=8)
    assert abs(y.mean()) <= 0.2  # the observed data can be fitted
    r = likelihood_ratio_test((m0, [0.0]), m1, y, n_boot=300, rng=9)
    nan = np.flatnonzero(np.isnan(r.null_sample))
    assert r.n_failed == nan.size > 0
    assert [i for i, _ in r.failures] == list(nan)
    assert all(msg.startswith("alternative fit: FitError: |ybar|") for _, msg in r.failures)
    lo, hi = r.pvalue_boot_bounds
    m, f = 300 - r.n_failed, r.n_failed
    assert lo <= r.pvalue_boot <= hi
    np.testing.assert_allclose(hi - lo, f / (1 + m + f), rtol=1e-12)
    assert f"{f} of 300 replicates failed" in r.summary()


def test_lrt_observed_fit_failure_raises():
    m0, m1 = known_variance_normal(), known_variance_normal(fail_beyond=0.0)
    with pytest.raises(fs.FitError, match="beyond"):
        likelihood_ratio_test((m0, [0.0]), m1, np.array([0.5, 1.0, 2.0]))


def test_lrt_results_do_not_depend_on_the_executor():
    m = known_variance_normal()
    y = m.sample([0.1], 30, rng=1)
    a = likelihood_ratio_test((m, [0.0]), m, y, n_boot=64, rng=7, chunk_size=8)
    with cf.ThreadPoolExecutor(2) as ex:
        b = likelihood_ratio_test((m, [0.0]), m, y, n_boot=64, rng=7, chunk_size=8,
                                  executor=ex)
    np.testing.assert_array_equal(a.null_sample, b.null_sample)


def test_lrt_warns_when_the_alternative_fits_worse():
    # an "alternative" whose fit is off by 1: not the maximum, T < 0
    bad = fs.Model.from_logpdf(
        lambda th, y: -0.5 * np.log(2 * np.pi) - 0.5 * (y - th[0]) ** 2, None, ["mu"],
        fit=lambda y: np.array([y.mean() + 1.0]))
    y = np.array([0.1, -0.3, 0.4, 0.0])
    with pytest.warns(RuntimeWarning, match="below the null's"):
        r = likelihood_ratio_test((bad, [0.0]), bad, y)
    assert r.statistic < 0


# ------------------------------------------------- the singular location mixture
def test_mixture_lrt_uses_the_boundary_maximum():
    # Data whose mixture MLE lies on the boundary v = 1: fit raises, but the supremum is
    # the closed-form maximum of N(w, 1), at w = ybar: sum log phi(y - ybar); the test
    # statistic is LocationMixture.lrt's.
    m = LocationMixture(w_max=1.0)
    y = np.random.default_rng(1).standard_normal(200)
    with pytest.raises(fs.FitError, match="v = 1"):
        m.fit(y)
    assert m.has_max_loglik and not Normal().has_max_loglik
    # sums of 200 terms of size ~1.4: rounding ~ 1e-13 relative to ~270
    np.testing.assert_allclose(m.max_loglik(y), np.sum(stats.norm.logpdf(y - y.mean())),
                               rtol=1e-12)
    r = likelihood_ratio_test((Normal(), [0.0, 1.0]), m, y, n_boot=100, rng=2)
    np.testing.assert_allclose(r.statistic, m.lrt(y), atol=1e-9)
    assert r.theta_alt is None and "boundary v = 1" in r.note
    assert r.n_failed == 0 and np.all(np.isfinite(r.null_sample))  # boundary maxima count
    assert np.all(r.null_sample >= -1e-9)  # T >= 0: the null is inside the closed model
    ic = information_criteria(m, y)
    assert ic.theta is None and "boundary" in ic.note
    np.testing.assert_allclose(ic.loglik, m.max_loglik(y), rtol=1e-15)


def test_max_loglik_default_is_loglik_at_fit():
    y = np.array([-1.0, 0.0, 1.0, 2.0])
    s2 = y.var()
    np.testing.assert_allclose(Normal().max_loglik(y), -2 * (np.log(2 * np.pi * s2) + 1),
                               rtol=1e-13)


# ---------------------------------------------------------------- output, input
def test_lrt_summary_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = known_variance_normal()
    y = m.sample([0.2], 30, rng=3)
    r = likelihood_ratio_test((m, [0.0]), m, y, n_boot=200, rng=4)
    text = r.summary()
    for part in ("statistic T", "chi-square reference, df = 1", "parametric bootstrap",
                 "95% quantile", "rejects the null", "AIC picks", "BIC picks"):
        assert part in text
    ax = r.plot(bins=20)
    assert len(ax.patches) == 20 and ax.get_xlabel() == "likelihood-ratio statistic T"
    plt.close("all")
    with pytest.raises(ValueError, match="n_boot > 0"):
        likelihood_ratio_test((m, [0.0]), m, y).plot()


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(null="x"), TypeError, "null must be a fisherstat Model"),
    (dict(null=(Normal(),)), TypeError, r"pair \(Model, theta\)"),
    (dict(null=(Normal(), [0.0, -1.0])), ValueError, "sigma2 must be > 0"),
    (dict(alt=3), TypeError, "alt must be a fisherstat Model"),
    (dict(null=Normal(), alt=Normal()), ValueError, "more parameters than the null"),
    (dict(df=0), ValueError, "df must be an integer >= 1"),
    (dict(df=True), TypeError, "df must be an integer"),
    (dict(n_boot=-1), ValueError, "n_boot must be an integer >= 0"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
    (dict(x=np.ones((20, 1))), TypeError, "takes no covariates; got x"),
    (dict(null=LinearRegression(1), alt=LinearRegression(2)), TypeError, "pass x"),
    (dict(rng=-1, n_boot=2), ValueError, "rng must be a non-negative"),
])
def test_lrt_bad_input(kwargs, exc, match):
    args = dict(null=(Normal(), [0.0, 1.0]), alt=Normal(), data=np.linspace(-1, 1, 20))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        likelihood_ratio_test(args.pop("null"), args.pop("alt"), args.pop("data"), **args)


def test_lrt_result_methods_bad_input():
    m = known_variance_normal()
    r = likelihood_ratio_test((m, [0.0]), m, m.sample([0.0], 20, rng=0), n_boot=20, rng=1)
    with pytest.raises(ValueError, match="q must be"):
        r.null_quantile(1.5)
    with pytest.raises(ValueError, match="level must be"):
        r.rejection_rates(1.0)
    with pytest.raises(ValueError, match="bins must be"):
        r.plot(bins=0)
