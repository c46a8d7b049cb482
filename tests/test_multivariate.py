"""MultivariateNormal: vech parametrisation, derivatives, information and fit.

Independent references: ``scipy.stats.multivariate_normal``, the duplication-matrix form
``1/2 D^T (P kron P) D`` of Magnus & Neudecker built here from its definition, finite
differences, Monte Carlo within ``N_SE`` standard errors, the univariate ``Normal`` (d = 1)
and ``numpy.cov``.
"""

import numpy as np
import pytest
from conftest import N_SE, sum_atol
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fisherstat as fs
from fisherstat import FitError, _numdiff
from fisherstat.models import Model, MultivariateNormal, Normal


def _sigma(theta, d):
    """Covariance from theta by the documented order: vech row by row (s11, s21, s22, ...)."""
    S = np.empty((d, d))
    k = d
    for i in range(d):
        for j in range(i + 1):
            S[i, j] = S[j, i] = theta[k]
            k += 1
    return theta[:d], S


def _duplication(d):
    """Duplication matrix D (d^2, d(d+1)/2) with vec(S) = D vech(S), vech row by row."""
    m = d * (d + 1) // 2
    D = np.zeros((d * d, m))
    a = 0
    for i in range(d):
        for j in range(i + 1):
            D[i * d + j, a] = D[j * d + i, a] = 1.0  # vec of a symmetric matrix
            a += 1
    return D


THETAS = {
    1: [0.5, 2.0],
    2: [1.0, -1.0, 2.0, 0.6, 0.5],
    3: [0.0, 1.0, 2.0, 1.0, 0.3, 2.0, -0.2, 0.4, 0.7],
}


# ------------------------------------------------------------------ parametrisation
def test_parameter_names_follow_documented_vech_order():
    assert MultivariateNormal(3).param_names == (
        "mu1", "mu2", "mu3", "sigma11", "sigma21", "sigma22", "sigma31", "sigma32", "sigma33")
    assert MultivariateNormal().param_names == ("mu1", "mu2", "sigma11", "sigma21", "sigma22")
    names = MultivariateNormal(11).param_names
    assert "sigma10_1" in names and "sigma11_11" in names and len(set(names)) == len(names)
    assert len(names) == 11 + 66


@pytest.mark.parametrize("d", [1, 2, 3])
def test_loglik_matches_scipy_multivariate_normal(d):
    m = MultivariateNormal(d)
    theta = np.array(THETAS[d])
    mu, S = _sigma(theta, d)
    x = m.sample(theta, 300, rng=1)
    np.testing.assert_allclose(m.loglik(theta, x),
                               stats.multivariate_normal(mu, S).logpdf(x).reshape(-1),
                               rtol=1e-12)


@pytest.mark.parametrize("d", [2, 3])
def test_sample_moments_follow_the_vech_order(d):
    m = MultivariateNormal(d)
    theta = np.array(THETAS[d])
    mu, S = _sigma(theta, d)
    x = m.sample(theta, 200_000, rng=2)
    emp = np.cov(x, rowvar=False)
    se = np.sqrt((S**2 + np.outer(np.diag(S), np.diag(S))) / x.shape[0])  # Var of S_ij
    assert np.all(np.abs(emp - S) <= N_SE * se)
    assert np.all(np.abs(x.mean(axis=0) - mu) <= N_SE * np.sqrt(np.diag(S) / x.shape[0]))


# ---------------------------------------------------------------- derivatives
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_analytic_score_and_hessian_match_finite_differences(d):
    m = MultivariateNormal(d)
    theta = m.random_theta(d)
    x = m.sample(theta, 50, rng=3)
    s = m.score(theta, x)
    s_num = _numdiff.jacobian(lambda t: m.loglik(t, x), theta, m.lower, m.upper)
    np.testing.assert_allclose(s, s_num, rtol=1e-6, atol=1e-9 * np.abs(s).max())
    H = m.hessian(theta, x, individual=True)
    H_num = _numdiff.jacobian(lambda t: m.score(t, x), theta, m.lower, m.upper)
    np.testing.assert_allclose(H, H_num, rtol=1e-6, atol=1e-9 * np.abs(H).max())
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), rtol=0, atol=1e-13 * np.abs(H).max())


@pytest.mark.parametrize("d", [2, 3])
def test_from_logpdf_model_reproduces_score_and_observed_information(d):
    m = MultivariateNormal(d)
    theta = np.array(THETAS[d])

    def logpdf(t, x):
        mu, S = _sigma(t, d)
        return np.atleast_1d(stats.multivariate_normal(mu, S).logpdf(x))

    wrapped = Model.from_logpdf(logpdf, None, m.param_names,
                                bounds=np.column_stack([m.lower, m.upper]))
    x = m.sample(theta, 80, rng=4)
    s = m.score(theta, x)
    np.testing.assert_allclose(wrapped.score(theta, x), s, rtol=1e-6,
                               atol=1e-9 * np.abs(s).max())
    obs = fs.observed_information(m, theta, x).matrix
    np.testing.assert_allclose(fs.observed_information(wrapped, theta, x).matrix, obs,
                               rtol=1e-6, atol=1e-9 * np.abs(obs).max())


# ---------------------------------------------------------------- information
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_information_is_magnus_neudecker_duplication_form(d):
    m = MultivariateNormal(d)
    theta = m.random_theta(10 + d)
    _, S = _sigma(theta, d)
    P = np.linalg.inv(S)  # the test's independent route
    D = _duplication(d)
    expected = np.zeros((m.n_params, m.n_params))
    expected[:d, :d] = P
    expected[d:, d:] = 0.5 * D.T @ np.kron(P, P) @ D
    np.testing.assert_allclose(m.fisher(theta), expected, rtol=1e-10,
                               atol=1e-12 * np.abs(expected).max())


def test_dimension_one_equals_univariate_normal():
    m, n = MultivariateNormal(1), Normal()
    theta = [0.3, 1.7]
    x = n.sample(theta, 100, rng=5)
    X = x[:, None]
    np.testing.assert_allclose(m.fisher(theta), n.fisher(theta), rtol=1e-14)
    np.testing.assert_allclose(m.loglik(theta, X), n.loglik(theta, x), rtol=1e-13)
    np.testing.assert_allclose(m.score(theta, X), n.score(theta, x), rtol=1e-12)
    np.testing.assert_allclose(m.hessian(theta, X), n.hessian(theta, x), rtol=1e-12)
    np.testing.assert_allclose(m.fit(X), n.fit(x), rtol=1e-13)
    np.testing.assert_allclose(m.score(theta, x), n.score(theta, x), rtol=1e-12)  # (n,) ok


@pytest.mark.parametrize("d", [1, 2, 3])
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_information_is_pd_and_equals_monte_carlo_score_and_hessian(d, seed):
    m = MultivariateNormal(d)
    theta = m.random_theta(seed)
    info = m.fisher(theta)
    np.testing.assert_array_equal(info, info.T)
    assert np.linalg.eigvalsh(info)[0] > 0
    tiny = 1e-12 * np.abs(info).max()
    by_score = fs.fisher(m, theta, method="monte_carlo", estimator="score",
                         n_samples=20_000, rng=seed)
    by_hess = fs.fisher(m, theta, method="monte_carlo", estimator="hessian",
                        n_samples=20_000, rng=seed + 1)
    assert np.all(np.abs(by_score.matrix - info) <= N_SE * by_score.stderr + tiny)
    assert np.all(np.abs(by_hess.matrix - info) <= N_SE * by_hess.stderr + tiny)
    se = np.hypot(by_score.stderr, by_hess.stderr)
    assert np.all(np.abs(by_score.matrix - by_hess.matrix) <= N_SE * se + tiny)
    s = m.score(theta, m.sample(theta, 20_000, rng=seed + 2))
    assert np.all(np.abs(s.mean(axis=0)) <= N_SE * s.std(axis=0, ddof=1) / np.sqrt(20_000))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6))
def test_random_theta_draws_valid_positive_definite_covariances(seed, d):
    m = MultivariateNormal(d)
    theta = m.random_theta(seed)
    _, S = _sigma(theta, d)
    w = np.linalg.eigvalsh(S)
    assert w[0] > 0 and w[-1] / w[0] < 1e3
    np.testing.assert_array_equal(m.validate(theta), theta)


def test_five_dimensional_score_on_many_draws_matches_information():
    # The Monte Carlo benchmark's setting (d = 5, many draws), at 2e5 draws.
    m = MultivariateNormal(5)
    theta = m.example_theta()
    mc = fs.fisher(m, theta, method="monte_carlo", n_samples=200_000, rng=6)
    assert np.all(np.abs(mc.matrix - m.fisher(theta)) <= N_SE * mc.stderr + 1e-12)


# ------------------------------------------------------------------------ fit
@pytest.mark.parametrize("d", [1, 2, 3])
def test_fit_is_sample_mean_and_biased_sample_covariance(d):
    m = MultivariateNormal(d)
    x = m.sample(THETAS[d], 500, rng=7)
    fit = m.fit(x)
    mu, S = _sigma(fit, d)
    # means of 500 rows, possibly summed in another order (conftest.sum_atol)
    np.testing.assert_allclose(mu, x.mean(axis=0), rtol=1e-13,
                               atol=sum_atol(np.abs(x).mean(axis=0), 500))
    np.testing.assert_allclose(S, np.atleast_2d(np.cov(x, rowvar=False, bias=True)),
                               rtol=1e-12)
    assert np.all(np.abs(m.score(fit, x).sum(axis=0)) < 1e-9 * x.shape[0])


def test_fit_with_singular_sample_covariance_raises_fit_error():
    m = MultivariateNormal(3)
    with pytest.raises(FitError, match="more than 3 observations"):
        m.fit(np.arange(9.0).reshape(3, 3) ** 2)
    z = np.random.default_rng(0).standard_normal((50, 2))
    collinear = np.column_stack([z, z[:, 0] - 2 * z[:, 1]])
    with pytest.raises(FitError, match="singular"):
        m.fit(collinear)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("theta", "match"), [
    ([0.0, 0.0, 1.0, 2.0, 1.0], "covariance .* not positive definite"),
    ([0.0, 0.0, 1.0, 1.0, 1.0], "covariance .* not positive definite"),
    ([0.0, 0.0, -1.0, 0.0, 1.0], "sigma11 must be > 0"),
    ([0.0, 0.0, 1.0, 0.0, 0.0], "sigma22 must be > 0"),
    ([np.nan, 0.0, 1.0, 0.0, 1.0], "theta must be finite"),
    ([0.0, 0.0, 1.0, 0.0], "theta must have length 5"),
])
def test_bad_theta_raises_value_error_naming_theta(theta, match):
    with pytest.raises(ValueError, match="theta") as exc:
        MultivariateNormal(2).fisher(theta)
    assert exc.match(match)


@pytest.mark.parametrize(("data", "match"), [
    (np.ones((4, 3)), r"data must have shape \(n, 2\)"),
    (np.ones(4), r"data must have shape \(n, 2\)"),
    (np.empty((0, 2)), "data must not be empty"),
    ([[1.0, np.inf]], "data must be finite"),
])
def test_bad_data_raises_value_error_naming_data(data, match):
    m = MultivariateNormal(2)
    with pytest.raises(ValueError, match=match):
        m.score(m.example_theta(), data)


@pytest.mark.parametrize(("dim", "exc"), [(0, ValueError), (-2, ValueError), (1.5, TypeError)])
def test_invalid_dimension_is_rejected_naming_dim(dim, exc):
    with pytest.raises(exc, match="dim must be an integer"):
        MultivariateNormal(dim)


def test_fit_batch_equals_fit_and_marks_singular_covariances():
    m = MultivariateNormal(2)
    Y = m.sample(m.example_theta(), 3 * 40, rng=3).reshape(3, 40, 2)
    Y[1, :, 1] = 2.0 * Y[1, :, 0]  # data on a line: singular sample covariance
    est = m.fit_batch(Y)
    np.testing.assert_allclose(est[0], m.fit(Y[0]), rtol=1e-12)
    np.testing.assert_allclose(est[2], m.fit(Y[2]), rtol=1e-12)
    assert np.all(np.isnan(est[1]))
    with pytest.raises(FitError, match="singular"):
        m.fit(Y[1])
