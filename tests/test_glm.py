"""Regression families of generalized-linear type (fisherstat.models.glm).

References: statsmodels (GLM expected information, discrete-model score/Hessian and fits,
OLS), closed forms (X^T X / sigma2), finite differences, Monte Carlo within N_SE standard
errors, asymptotic tail expansions of the normal cdf.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from statsmodels.genmod.families import links

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.models import (
    LinearRegression,
    LogisticRegression,
    PoissonRegression,
    ProbitRegression,
)

GLMS = {
    "logit": (LogisticRegression, sm.Logit, lambda: sm.families.Binomial()),
    "probit": (ProbitRegression, sm.Probit,
               lambda: sm.families.Binomial(link=links.Probit())),
    "poisson": (PoissonRegression, sm.Poisson, lambda: sm.families.Poisson()),
}
ALL = [LinearRegression, LogisticRegression, ProbitRegression, PoissonRegression]
SEEDS = st.integers(0, 2**32 - 1)


def design(n, k, rng):
    """Intercept plus k - 1 standard-normal covariates."""
    rng = np.random.default_rng(rng)
    return np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])


def theta_for(model, rng):
    """A valid parameter with moderate linear predictors for ``design``."""
    rng = np.random.default_rng(rng)
    beta = rng.uniform(-0.8, 0.8, model.k)
    return np.append(beta, rng.uniform(0.3, 2.0)) if isinstance(model, LinearRegression) else beta


# --------------------------------------------------------------- closed forms
def test_linear_regression_information_is_xtx_over_sigma2():
    X = design(40, 3, 0)
    s2 = 0.7
    theta = [0.5, -1.0, 2.0, s2]
    info = LinearRegression(3).fisher(theta, x=X)
    expected = np.zeros((4, 4))
    expected[:3, :3] = X.T @ X / s2
    expected[3, 3] = 40 / (2 * s2**2)
    # sums of n = 40 products: two summation orders (BLAS kernels) differ by at most
    # 2 gamma_n |X|^T |X| / s2 entrywise (Higham 2002, eq. 3.5), + 2 eps for the division
    bound = np.zeros((4, 4))
    bound[:3, :3] = 2 * (40 + 2) * np.finfo(float).eps * np.abs(X).T @ np.abs(X) / s2
    bound[3, 3] = 4 * np.finfo(float).eps * expected[3, 3]
    assert np.all(np.abs(info - expected) <= bound)


def test_linear_regression_point_factor_has_rank_two_and_reproduces_information():
    m = LinearRegression(2)
    X = m.example_x()
    F = m.point_factor([1.0, 0.5, 2.0], X)
    assert F.shape == (X.shape[0], 3, 2)
    M = m.point_information([1.0, 0.5, 2.0], X)
    np.testing.assert_allclose(M[:, :2, :2], np.einsum("ni,nj->nij", X, X) / 2.0, rtol=1e-15)
    np.testing.assert_allclose(M[:, 2, 2], 1 / (2 * 2.0**2), rtol=1e-15)
    np.testing.assert_array_equal(M[:, :2, 2], 0.0)


@pytest.mark.parametrize("name", sorted(GLMS))
def test_glm_information_matches_statsmodels_expected_information(name):
    cls, _, family = GLMS[name]
    X = design(300, 3, 1)
    beta = np.array([0.3, -0.8, 0.5])
    y = cls(3).sample(beta, x=X, rng=2)
    info = cls(3).fisher(beta, x=X)
    # GLM.hessian(observed=False) is the expected Hessian (GLM.information has the same
    # matrix with the opposite sign convention, statsmodels issue #3548)
    reference = -sm.GLM(y, X, family=family()).hessian(beta, scale=1.0, observed=False)
    np.testing.assert_allclose(info, reference, rtol=1e-10)
    assert info.shape == (3, 3)
    assert cls(3).point_factor(beta, X).shape == (300, 3, 1)


@pytest.mark.parametrize("name", ["logit", "poisson"])
def test_canonical_link_observed_information_equals_expected_for_any_response(name):
    cls, sm_cls, _ = GLMS[name]
    X = design(200, 3, 3)
    beta = np.array([0.2, 0.6, -0.4])
    m = cls(3)
    for seed in (4, 5):
        y = m.sample(beta, x=X, rng=seed)
        np.testing.assert_allclose(-m.hessian(beta, y, x=X), m.fisher(beta, x=X), rtol=1e-12)
        np.testing.assert_allclose(-sm_cls(y, X).hessian(beta), m.fisher(beta, x=X),
                                   rtol=1e-10)


def test_probit_information_is_expectation_of_statsmodels_observed_hessian():
    """E[-H] over y ~ Bernoulli(Phi(eta)), from statsmodels' per-observation Hessian factors."""
    X = design(150, 3, 6)
    beta = np.array([0.4, -1.1, 0.7])
    n = X.shape[0]
    h1 = sm.Probit(np.ones(n), X).hessian_factor(beta)  # d2 loglik / d eta2 at y = 1
    h0 = sm.Probit(np.zeros(n), X).hessian_factor(beta)
    p = stats.norm.cdf(X @ beta)
    expected = -(X.T * (p * h1 + (1 - p) * h0)) @ X
    m = ProbitRegression(3)
    np.testing.assert_allclose(m.fisher(beta, x=X), expected, rtol=1e-10)
    # the observed information is not the expected one for the probit link
    y = m.sample(beta, x=X, rng=7)
    observed = -m.hessian(beta, y, x=X)
    assert np.max(np.abs(observed - expected)) > 1e-3 * np.max(np.abs(expected))


def test_probit_is_stable_far_in_the_tails():
    m = ProbitRegression(1)
    z = np.array([30.0, 40.0])
    # 1 - Phi(z) = phi(z)/z (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...) (Abramowitz & Stegun 26.2.12)
    series = 1 - 1 / z**2 + 3 / z**4 - 15 / z**6 + 105 / z**8
    log_tail = -0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(z) + np.log(series)
    np.testing.assert_allclose(m.loglik([1.0], [1.0, 1.0], x=-z), log_tail, rtol=1e-12)
    # score of y = 1 at eta = -z is the Mills ratio phi(z) / Phi(-z) = z / series
    np.testing.assert_allclose(m.score([1.0], [1.0, 1.0], x=-z)[:, 0], -z * z / series,
                               rtol=1e-10)
    # information weight phi^2 / (Phi (1 - Phi)) ~ z phi(z) / series at eta = 30
    w = m.point_information([30.0], x=[1.0])[0, 0, 0]
    np.testing.assert_allclose(w, 30 * stats.norm.pdf(30.0) / series[0], rtol=1e-9)
    assert np.all(np.isfinite(m.hessian([1.0], [1.0, 0.0], x=-z, individual=True)))


def test_logistic_loglik_is_stable_for_large_linear_predictor():
    m = LogisticRegression(1)
    eta = np.array([800.0, -800.0, 30.0])
    ll = m.loglik([1.0], [0.0, 1.0, 1.0], x=eta)
    np.testing.assert_allclose(ll, [-800.0, -800.0, -np.log1p(np.exp(-30.0))], rtol=1e-15)


def test_linear_regression_loglik_matches_scipy_normal():
    X = design(20, 2, 8)
    theta = np.array([0.5, -1.0, 1.7])
    m = LinearRegression(2)
    y = m.sample(theta, x=X, rng=9)
    ref = stats.norm.logpdf(y, X @ theta[:2], np.sqrt(theta[2]))
    np.testing.assert_allclose(m.loglik(theta, y, x=X), ref, rtol=1e-13)


@pytest.mark.parametrize("name", sorted(GLMS))
def test_loglik_score_and_hessian_match_statsmodels(name):
    cls, sm_cls, _ = GLMS[name]
    X = design(120, 3, 10)
    beta = np.array([0.1, 0.9, -0.5])
    y = cls(3).sample(beta, x=X, rng=11)
    m, ref = cls(3), sm_cls(y, X)
    np.testing.assert_allclose(m.loglik(beta, y, x=X), ref.loglikeobs(beta), rtol=1e-12)
    np.testing.assert_allclose(m.score(beta, y, x=X), ref.score_obs(beta), rtol=1e-10,
                               atol=1e-13)
    np.testing.assert_allclose(m.hessian(beta, y, x=X), ref.hessian(beta), rtol=1e-10)


@pytest.mark.parametrize("cls", ALL)
def test_analytic_score_and_hessian_match_finite_differences(cls):
    m = cls(3)
    X = design(50, 3, 12)
    theta = theta_for(m, 13)
    y = m.sample(theta, x=X, rng=14)
    num_s = _numdiff.jacobian(lambda t: m.loglik(t, y, x=X), theta, m.lower, m.upper)
    np.testing.assert_allclose(m.score(theta, y, x=X), num_s, rtol=1e-7, atol=1e-9)
    num_h = _numdiff.jacobian(lambda t: m.score(t, y, x=X), theta, m.lower, m.upper)
    np.testing.assert_allclose(m.hessian(theta, y, x=X, individual=True), num_h,
                               rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------- fits
@pytest.mark.parametrize("name", sorted(GLMS))
def test_fit_matches_statsmodels(name):
    cls, sm_cls, _ = GLMS[name]
    X = design(400, 3, 15)
    beta = np.array([0.3, -0.7, 0.4])
    y = cls(3).sample(beta, x=X, rng=16)
    ref = sm_cls(y, X).fit(disp=0)
    np.testing.assert_allclose(cls(3).fit(y, x=X), ref.params, rtol=1e-8, atol=1e-10)


def test_linear_regression_fit_matches_statsmodels_ols():
    X = design(60, 4, 17)
    m = LinearRegression(4)
    theta = np.array([1.0, -0.5, 0.25, 2.0, 0.8])
    y = m.sample(theta, x=X, rng=18)
    ref = sm.OLS(y, X).fit()
    fit = m.fit(y, x=X)
    np.testing.assert_allclose(fit[:4], ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit[4], ref.ssr / 60, rtol=1e-10)  # MLE, not ref.scale


def test_poisson_fit_is_accurate_when_large_means_make_loglik_terms_cancel():
    """Means up to 1e11: y eta and exp(eta) cancel in the log-likelihood, whose rounding
    error then exceeds late Newton improvements; the fit must still reach the MLE."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(300), 5 * rng.standard_normal((300, 3))])
    m = PoissonRegression(4)
    y = m.sample([0.3, 0.3, 1.0, 1.8], x=X, rng=1)
    assert y.max() > 1e10
    ref = sm.Poisson(y, X).fit(disp=0, tol=1e-13, maxiter=100)
    np.testing.assert_allclose(m.fit(y, x=X), ref.params, rtol=1e-10, atol=1e-12)


def test_logistic_fit_of_all_ones_with_intercept_only_reports_nonexistence():
    # expit(eta) rounds to 1 long before the Newton iterations stop growing eta
    with pytest.raises(fs.FitError, match="all 27 responses are 1"):
        LogisticRegression(1).fit(np.ones(27), x=np.ones(27))


@pytest.mark.parametrize("name", sorted(GLMS))
def test_fit_from_a_given_start_reaches_the_same_estimate(name):
    cls, _, _ = GLMS[name]
    X = design(300, 2, 19)
    y = cls(2).sample([0.2, 0.5], x=X, rng=20)
    np.testing.assert_allclose(cls(2).fit(y, x=X, start=[-1.0, 1.5]), cls(2).fit(y, x=X),
                               rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("cls", [LogisticRegression, ProbitRegression])
def test_fit_reports_complete_separation(cls):
    X = np.column_stack([np.ones(6), [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]])
    with pytest.raises(fs.FitError, match="does not exist.*completely separated"):
        cls().fit([0, 0, 0, 1, 1, 1], x=X)


def test_logistic_fit_reports_quasi_complete_separation():
    X = np.column_stack([np.ones(6), [-3.0, -2.0, 0.0, 0.0, 2.0, 3.0]])
    with pytest.raises(fs.FitError, match="quasi-completely separated"):
        LogisticRegression().fit([0, 0, 0, 1, 1, 1], x=X)


def test_logistic_fit_without_separation_but_all_ones_and_no_intercept_exists():
    # y all 1 and x of both signs without intercept: the MLE is finite
    beta = LogisticRegression(1).fit([1.0, 1.0, 1.0], x=[-1.0, 0.5, 1.0])
    score = LogisticRegression(1).score(beta, [1.0, 1.0, 1.0], x=[-1.0, 0.5, 1.0]).sum()
    assert abs(score) < 1e-10


def test_poisson_fit_reports_zeros_that_push_the_mean_to_zero():
    X = np.column_stack([np.ones(6), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
    with pytest.raises(fs.FitError, match="does not exist.*y = 0"):
        PoissonRegression().fit([0, 0, 0, 1, 2, 3], x=X)


@pytest.mark.parametrize("cls", ALL)
def test_fit_reports_rank_deficient_design(cls):
    X = design(30, 2, 21)
    X = np.column_stack([X, 2 * X[:, 1]])
    y = cls(2).sample(theta_for(cls(2), 22), x=X[:, :2], rng=23)
    with pytest.raises(fs.FitError, match="rank 2 < 3"):
        cls(3).fit(y, x=X)


def test_linear_regression_fit_reports_exact_fit():
    X = design(3, 3, 24)
    with pytest.raises(fs.FitError, match="sigma2 is 0"):
        LinearRegression(3).fit([1.0, 2.0, 3.0], x=X)


# ---------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("estimator", ["score", "hessian"])
def test_monte_carlo_information_within_standard_errors(cls, estimator):
    m = cls(2)
    X = m.example_x()
    theta = m.example_theta()
    exact = m.fisher(theta, x=X)
    mc = fs.fisher(m, theta, method="monte_carlo", x=X, n_samples=20_000, rng=25,
                   estimator=estimator)
    assert mc.method == "monte_carlo" and mc.n_obs == X.shape[0]
    # entries of -H that do not depend on y: all of them for the canonical links, the
    # coefficient block for the linear model; their estimator has no variance
    fixed = np.zeros(exact.shape, dtype=bool)
    if estimator == "hessian" and cls in (LogisticRegression, PoissonRegression):
        fixed[:] = True
    elif estimator == "hessian" and cls is LinearRegression:
        fixed[:2, :2] = True
    np.testing.assert_allclose(mc.matrix[fixed], exact[fixed], rtol=1e-12,
                               atol=1e-14 * np.abs(exact).max())
    # their reported standard error is at the rounding floor of the one-pass variance
    # formula, sqrt(eps) * |I| (worst case), instead of exactly 0
    assert np.all(mc.stderr[fixed] <= np.sqrt(np.finfo(float).eps) * np.abs(exact).max())
    assert np.all(mc.stderr[~fixed] > 0)
    z = np.abs(mc.matrix - exact)[~fixed] / mc.stderr[~fixed]
    assert np.all(z < N_SE), z


# ------------------------------------------------------------ properties
@pytest.mark.parametrize("cls", ALL)
@given(seed=SEEDS)
@settings(max_examples=15)
def test_information_properties_over_random_parameters(cls, seed):
    m = cls(3)
    rng = np.random.default_rng(seed)
    theta = m.random_theta(rng)
    X = design(int(rng.integers(3, 30)), 3, rng)
    w = rng.uniform(0.0, 2.0, X.shape[0])
    info = m.fisher(theta, x=X, weights=w)
    # symmetric positive semi-definite
    np.testing.assert_allclose(info, info.T, rtol=0, atol=1e-14 * np.abs(info).max())
    ev = np.linalg.eigvalsh(info)
    assert ev[0] >= -1e-12 * ev[-1]
    # point information sums (with the weights) to the information
    M = m.point_information(theta, X)
    assert M.shape == (X.shape[0], m.n_params, m.n_params)
    np.testing.assert_allclose(np.einsum("n,nij->ij", w, M), info, rtol=1e-12,
                               atol=1e-14 * np.abs(info).max())
    # linear in the weights
    c = float(rng.uniform(0.1, 10.0))
    np.testing.assert_allclose(m.fisher(theta, x=X, weights=c * w), c * info, rtol=1e-12,
                               atol=1e-14 * c * np.abs(info).max())
    w2 = rng.uniform(0.0, 1.0, X.shape[0])
    np.testing.assert_allclose(m.fisher(theta, x=X, weights=w + w2),
                               info + m.fisher(theta, x=X, weights=w2), rtol=1e-12,
                               atol=1e-14 * np.abs(info).max())


@pytest.mark.parametrize("cls", [LogisticRegression, ProbitRegression, PoissonRegression])
@given(seed=SEEDS)
@settings(max_examples=15)
def test_glm_information_is_weighted_gram_matrix_over_random_parameters(cls, seed):
    """M = X^T diag(w) X, w = (d mu / d eta)^2 / V(mu) (McCullagh & Nelder 1989, sec. 2.5)."""
    m = cls(3)
    rng = np.random.default_rng(seed)
    beta = m.random_theta(rng)
    X = design(25, 3, rng)
    eta = X @ beta
    # mu (1 - mu) as F(eta) F(-eta): 1 - mu cancels (to 0 for eta > 8.3 in the probit case,
    # which made the reference 0/0) where F(-eta) is accurate
    if cls is LogisticRegression:
        v = special.expit(eta) * special.expit(-eta)
        w = v**2 / v
    elif cls is ProbitRegression:
        w = stats.norm.pdf(eta) ** 2 / (stats.norm.cdf(eta) * stats.norm.cdf(-eta))
    else:
        w = np.exp(eta) ** 2 / np.exp(eta)
    np.testing.assert_allclose(m.fisher(beta, x=X), (X.T * w) @ X, rtol=1e-10)


# ----------------------------------------------------------- construction
@pytest.mark.parametrize("cls", ALL)
def test_zero_argument_constructor_and_examples(cls):
    m = cls()
    assert m.k == 2 and m.is_regression and m.has_analytic_fisher
    assert m.param_names[:2] == ("beta_1", "beta_2")
    X = m.example_x()
    assert X.shape == (11, 2)
    np.testing.assert_array_equal(X[:, 0], 1.0)
    np.testing.assert_allclose(X[:, 1], np.linspace(-1, 1, 11))
    ev = np.linalg.eigvalsh(m.fisher(m.example_theta(), x=X))
    assert ev[0] > 0


def test_param_names_name_the_coefficients():
    assert LinearRegression(2, param_names=["const", "x"]).param_names == ("const", "x",
                                                                           "sigma2")
    assert PoissonRegression(1, ["b"]).param_names == ("b",)


@pytest.mark.parametrize("cls", ALL)
def test_one_dimensional_x_is_a_single_column(cls):
    m = cls(1)
    x = np.linspace(-1, 1, 7)
    theta = m.example_theta()
    np.testing.assert_array_equal(m.fisher(theta, x=x), m.fisher(theta, x=x[:, None]))


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", ALL)
def test_bad_covariates_are_rejected_naming_x(cls):
    m = cls(2)
    theta = m.example_theta()
    X = m.example_x()
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^x must be finite"):
        m.fisher(theta, x=bad)
    with pytest.raises(ValueError, match=r"^x must have k = 2 columns"):
        m.fisher(theta, x=np.column_stack([X, X[:, 1]]))
    with pytest.raises(ValueError, match=r"^x must have 1 or 2 dimension"):
        m.fisher(theta, x=X[None])
    with pytest.raises(TypeError, match="needs covariates x"):
        m.fisher(theta)


@pytest.mark.parametrize("cls", ALL)
def test_theta_of_wrong_length_is_rejected(cls):
    m = cls(2)
    with pytest.raises(ValueError, match=r"^theta must have length"):
        m.fisher(np.zeros(m.n_params + 1), x=m.example_x())


@pytest.mark.parametrize(
    ("cls", "y"),
    [(LogisticRegression, 2.0), (LogisticRegression, 0.5), (ProbitRegression, -1.0),
     (PoissonRegression, -1.0), (PoissonRegression, 1.5), (LinearRegression, np.nan)],
)
def test_responses_outside_the_support_are_rejected_naming_data(cls, y):
    m = cls(2)
    X = m.example_x()
    data = np.zeros(X.shape[0])
    data[4] = y
    with pytest.raises(ValueError, match=r"^data must"):
        m.loglik(m.example_theta(), data, x=X)
    with pytest.raises(ValueError, match=r"^data must"):
        m.fit(data, x=X)


@pytest.mark.parametrize("cls", ALL)
def test_mismatched_lengths_and_negative_weights_are_rejected(cls):
    m = cls(2)
    X = m.example_x()
    theta = m.example_theta()
    with pytest.raises(ValueError, match=r"^data and x must have the same number of rows"):
        m.score(theta, np.zeros(X.shape[0] - 1), x=X)
    w = np.ones(X.shape[0])
    w[2] = -0.5
    with pytest.raises(ValueError, match=r"^weights must be non-negative"):
        m.fisher(theta, x=X, weights=w)
    with pytest.raises(ValueError, match=r"^weights must have shape"):
        m.fisher(theta, x=X, weights=w[:-1])


def test_bad_constructor_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"^k must be an integer >= 1"):
        LogisticRegression(0)
    with pytest.raises(TypeError, match=r"^k must be an integer"):
        LinearRegression(2.5)
    with pytest.raises(ValueError, match=r"^param_names must name the k = 2"):
        ProbitRegression(2, ["a"])
    with pytest.raises(TypeError, match=r"^param_names must be a sequence"):
        PoissonRegression(1, "a")


def test_nonpositive_variance_is_rejected_naming_sigma2():
    with pytest.raises(ValueError, match="sigma2 must be > 0"):
        LinearRegression(2).fisher([0.0, 1.0, 0.0], x=[[1.0, 0.0]])


# ------------------------------------------------------------ batches of replicates
@pytest.mark.parametrize("model", [LinearRegression(3), LogisticRegression(3),
                                   ProbitRegression(3), PoissonRegression(3)],
                         ids=lambda m: type(m).__name__)
def test_fit_batch_and_information_batch_agree_with_fit_and_the_estimators(model):
    rng = np.random.default_rng(4)
    n = 80
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2)) / 2])
    theta0 = model.example_theta()
    Y = model.sample(theta0, rng=rng, x=np.concatenate([X] * 6)).reshape(6, n)
    est = model.fit_batch(Y, x=X)
    assert model.has_batch_fit and model.has_batch_information
    for r in range(6):
        np.testing.assert_allclose(est[r], model.fit(Y[r], x=X), rtol=1e-8, atol=1e-10)
    E, A, B = model.information_batch(est, Y, x=X)
    for r in range(6):
        S = model.score(est[r], Y[r], x=X)
        np.testing.assert_allclose(E[r], model.fisher(est[r], x=X), rtol=1e-10)
        np.testing.assert_allclose(A[r], -model.hessian(est[r], Y[r], x=X), rtol=1e-10,
                                   atol=1e-10 * np.abs(A[r]).max())
        np.testing.assert_allclose(B[r], S.T @ S, rtol=1e-10, atol=1e-12 * np.abs(B[r]).max())


def test_linear_regression_declares_a_gaussian_linear_mean():
    m = LinearRegression(2)
    theta = [1.0, 2.0, 0.25]
    assert m.mean_param_names == ("beta_1", "beta_2")
    s = m.linear_mean_scale(theta)
    X = m.example_x()
    # the coefficient block of the information is s X^T X, orthogonal to sigma2
    M = m.fisher(theta, x=X)
    np.testing.assert_allclose(M[:2, :2], s * X.T @ X, rtol=1e-14)
    np.testing.assert_array_equal(M[:2, 2], 0.0)
    assert LogisticRegression(2).linear_mean_scale([0.0, 1.0]) is None
    assert LogisticRegression(2).mean_param_names == ("beta_1", "beta_2")


# ------------------------------------------------- summed Hessian without the (n, p, p) stack
@pytest.mark.parametrize("cls", ALL)
def test_summed_hessian_is_formed_without_the_per_observation_stack(cls, monkeypatch):
    import fisherstat._batch

    m = cls(3)
    X = design(3001, 3, 21)
    theta = theta_for(m, 22)
    y = m.sample(theta, x=X, rng=23)
    Hi = m.hessian(theta, y, x=X, individual=True)
    # blocks of 21 rows (142 full blocks and a remainder of 19) instead of 43690
    monkeypatch.setattr(fisherstat._batch, "_GRAM_BLOCK", 64)
    H = m.hessian(theta, y, x=X)
    # two orders of summation of the same 3001 terms: each differs from the exact sum by at
    # most n eps sum|t_i| (recursive summation, Higham 2002, eq. 4.4), n eps = 3.3e-13
    np.testing.assert_array_less(np.abs(H - Hi.sum(axis=0)), 1e-12 * np.abs(Hi).sum(axis=0)
                                 + 1e-300)
    assert np.array_equal(H, H.T)
    ref = fs.fit(m, y, x=X)

    def no_stack(*args):
        raise AssertionError("the (n, p, p) Hessians were built")

    monkeypatch.setattr(m, "_hessian", no_stack)  # old code: hessian() summed this stack
    np.testing.assert_array_equal(m.hessian(theta, y, x=X), H)
    r = fs.fit(m, y, x=X)  # cov_type="observed": n times the observed information
    obs = fs.observed_information(cls(3), r.params, y, x=X) * X.shape[0]
    terms = np.abs(cls(3).hessian(r.params, y, x=X, individual=True)).sum(axis=0)
    # as above (entrywise: at the MLE the sigma2 cross terms x^T r cancel to ~1e-13)
    np.testing.assert_array_less(np.abs(r.info.matrix - obs.matrix), 1e-12 * terms + 1e-300)
    assert r.info.n_obs == obs.n_obs and r.info.method == obs.method == "observed"
    np.testing.assert_array_equal(r.params, ref.params)


def test_weighted_gram_of_weights_of_any_sign_in_blocks(monkeypatch):
    import fisherstat._batch
    from fisherstat._batch import weighted_gram

    rng = np.random.default_rng(5)
    X, w = rng.standard_normal((1000, 4)), rng.standard_normal(1000)
    ref = np.einsum("ni,n,nj->ij", X, w, X)
    for block in (1 << 17, 12, 4, 1):  # one block; blocks of 3 rows; of 1 row; k > block
        monkeypatch.setattr(fisherstat._batch, "_GRAM_BLOCK", block)
        A = weighted_gram(X, w)
        # n eps sum|t_i| as above (n = 1000: 1.1e-13)
        np.testing.assert_array_less(np.abs(A - ref),
                                     2e-13 * np.einsum("ni,n,nj->ij", np.abs(X), np.abs(w),
                                                       np.abs(X)))
        assert np.array_equal(A, A.T)
    assert weighted_gram(X[:0], w[:0]).shape == (4, 4)
