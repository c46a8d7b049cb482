"""Univariate iid families: information, score, Hessian and fits against independent truths.

Independent references: numerical integration (``scipy.integrate.quad`` against the
``scipy.stats`` density, or exact sums over the support for count data), closed forms from
the literature, finite differences of the log-likelihood, Monte Carlo within ``N_SE``
standard errors, ``Model.from_logpdf`` wrappers of the ``scipy.stats`` densities, and
``scipy.stats`` fits.
"""

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

import fisherstat as fs
from fisherstat import FitError, _numdiff
from fisherstat.models import Binomial, Gamma, Model, Normal, Poisson, StudentT, Weibull

# name -> (model factory, scipy frozen distribution from theta, support)
FAMILIES = {
    "Normal": (Normal, lambda t: stats.norm(t[0], np.sqrt(t[1])), "real"),
    "Gamma": (Gamma, lambda t: stats.gamma(t[0], scale=t[1]), "positive"),
    "Weibull": (Weibull, lambda t: stats.weibull_min(t[0], scale=t[1]), "positive"),
    "StudentT": (StudentT, lambda t: stats.t(t[2], t[0], t[1]), "real"),
    "Poisson": (Poisson, lambda t: stats.poisson(t[0]), "counts"),
    "Binomial": (Binomial, lambda t: stats.binom(10, t[0]), "counts"),
    "Binomial25": (lambda: Binomial(25), lambda t: stats.binom(25, t[0]), "counts"),
}

# (family, theta): include shapes < 1 (density unbounded at 0), heavy tails (df < 2, where
# the variance is infinite but the information finite) and nearly normal t (df = 60).
CASES = [
    ("Normal", [0.3, 2.0]),
    ("Normal", [-1.0, 0.25]),
    ("Gamma", [0.7, 2.0]),
    ("Gamma", [3.0, 0.5]),
    ("Weibull", [0.6, 2.0]),
    ("Weibull", [2.5, 0.7]),
    ("StudentT", [0.5, 2.0, 1.5]),
    ("StudentT", [-1.0, 0.5, 4.0]),
    ("StudentT", [0.0, 1.0, 60.0]),
    ("Poisson", [0.3]),
    ("Poisson", [12.0]),
    ("Binomial", [0.3]),
    ("Binomial25", [0.9]),
]
CASE_IDS = [f"{f}-{'-'.join(f'{v:g}' for v in t)}" for f, t in CASES]
MODELS = [Normal, Gamma, Weibull, StudentT, Poisson, Binomial]


def _case(family, theta):
    make, dist, support = FAMILIES[family]
    return make(), np.array(theta, dtype=float), dist(theta), support


def _expectation(func, dist, support, epsabs=1e-14):
    """``E[func(X)]`` under ``dist`` by adaptive quadrature or by summing the pmf.

    ``func`` maps an (n,) array of points to (n, ...) values. Continuous families use
    ``scipy.integrate.quad_vec`` (adaptive Gauss-Kronrod, the vector-valued ``quad``: every
    entry of ``func`` is integrated on the same nodes, so one density evaluation serves all
    of them) against the ``scipy.stats`` density. Positive support is integrated in
    ``t = log x`` between the 1e-20 and 1 - 1e-20 quantiles (ignored mass 2e-20); the real
    line over (-inf, median) and (median, inf). Count data sum the pmf over the support.
    """
    if support == "counts":
        hi = dist.support()[1]
        if not np.isfinite(hi):  # Poisson: truncate where the tail mass is < 1e-25
            hi = np.ceil(dist.mean() + 40 * dist.std() + 60)
            assert dist.sf(hi) < 1e-25
        x = np.arange(0.0, hi + 1)
        return np.tensordot(dist.pmf(x), func(x), axes=(0, 0))
    if support == "real":
        f = lambda x: dist.pdf(x) * func(np.array([x]))[0]  # noqa: E731
        m = dist.median()
        pieces = [(-np.inf, m), (m, np.inf)]
    else:
        f = lambda t: dist.pdf(np.exp(t)) * np.exp(t) * func(np.array([np.exp(t)]))[0]  # noqa: E731
        hi = dist.isf(1e-20)
        if not np.isfinite(hi) and dist.dist.name == "weibull_min":
            # SciPy < 1.11 returns inf here (its generic isf rounds 1 - 1e-20 to 1); the
            # Weibull quantile has the closed form scale * (-log q)^(1/c)
            c, scale = dist.args[0], dist.kwds["scale"]
            hi = scale * (-np.log(1e-20)) ** (1.0 / c)
        a, m, b = np.log([dist.ppf(1e-20), dist.median(), hi])
        pieces = [(a, m), (m, b)]
    return sum(integrate.quad_vec(f, lo, hi, epsabs=epsabs, epsrel=1e-12, limit=2000)[0]
               for lo, hi in pieces)


# ---------------------------------------------------------- information: quadrature
@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_information_matches_quadrature_of_score_outer_product(family, theta):
    model, theta, dist, support = _case(family, theta)
    info = model.fisher(theta)
    ess = _expectation(
        lambda x: np.einsum("na,nb->nab", model.score(theta, x), model.score(theta, x)),
        dist, support)
    np.testing.assert_allclose(ess, info, rtol=1e-8, atol=1e-12 * np.abs(info).max())


@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_information_matches_quadrature_of_minus_hessian(family, theta):
    model, theta, dist, support = _case(family, theta)
    info = model.fisher(theta)
    eh = _expectation(lambda x: model.hessian(theta, x, individual=True), dist, support)
    np.testing.assert_allclose(-eh, info, rtol=1e-8, atol=1e-12 * np.abs(info).max())


@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_score_has_mean_zero_by_quadrature(family, theta):
    model, theta, dist, support = _case(family, theta)
    scale = np.sqrt(np.diag(model.fisher(theta)))
    es = _expectation(lambda x: model.score(theta, x), dist, support, epsabs=1e-12 * scale.min())
    assert np.all(np.abs(es) <= 1e-9 * scale)


@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_loglik_matches_scipy_logpdf(family, theta):
    model, theta, dist, _ = _case(family, theta)
    x = model.sample(theta, 200, rng=5)
    ref = dist.logpmf(x) if hasattr(dist, "logpmf") else dist.logpdf(x)
    np.testing.assert_allclose(model.loglik(theta, x), ref, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------- information: closed forms
def test_normal_information_is_diag_inverse_variance_and_half_inverse_variance_squared():
    # Lehmann & Casella (1998), Example 2.6.3.
    assert np.array_equal(Normal().fisher([1.0, 4.0]), np.diag([1 / 4, 1 / 32]))


@pytest.mark.parametrize("lam", [0.01, 1.0, 7.5, 1e4])
def test_poisson_information_is_inverse_mean(lam):
    assert Poisson().fisher([lam])[0, 0] == pytest.approx(1 / lam, rel=1e-15)


@pytest.mark.parametrize(("n", "p"), [(1, 0.5), (10, 0.3), (40, 0.01)])
def test_binomial_information_is_n_over_p_one_minus_p(n, p):
    assert Binomial(n).fisher([p])[0, 0] == pytest.approx(n / (p * (1 - p)), rel=1e-15)


def test_gamma_with_shape_one_is_exponential_information():
    # shape 1: exponential with scale theta, I_scale = 1 / theta^2; psi1(1) = pi^2 / 6.
    info = Gamma().fisher([1.0, 2.0])
    np.testing.assert_allclose(info, [[np.pi**2 / 6, 0.5], [0.5, 0.25]], rtol=1e-14)


def test_weibull_information_matches_cohen_closed_form_at_shape_one():
    # Cohen (1965): I_kk = ((1 - g)^2 + pi^2 / 6) / k^2, I_kl = -(1 - g) / lam,
    # I_ll = k^2 / lam^2; at k = 1 the scale block is the exponential's 1 / lam^2.
    g = np.euler_gamma
    info = Weibull().fisher([1.0, 3.0])
    np.testing.assert_allclose(
        info, [[(1 - g) ** 2 + np.pi**2 / 6, -(1 - g) / 3], [-(1 - g) / 3, 1 / 9]], rtol=1e-14)
    assert info[0, 1] < 0


def test_student_t_with_one_df_has_cauchy_location_information():
    # df = 1 is the Cauchy distribution: I_loc = 1 / (2 scale^2) and I_scale = 1 / (2 scale^2).
    info = StudentT().fisher([0.0, 3.0, 1.0])
    assert info[0, 0] == pytest.approx(1 / 18, rel=1e-14)
    assert info[1, 1] == pytest.approx(1 / 18, rel=1e-14)


def test_student_t_location_information_tends_to_normal_as_df_grows():
    info = StudentT().fisher([0.0, 2.0, 1e8])
    np.testing.assert_allclose(np.diag(info)[:2], [1 / 4, 2 / 4], rtol=1e-7)


# --------------------------------------------------------- derivatives vs differences
@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_analytic_score_matches_finite_differences_of_loglik(family, theta):
    model, theta, _, _ = _case(family, theta)
    x = model.sample(theta, 60, rng=11)
    s = model.score(theta, x)
    num = _numdiff.jacobian(lambda t: model.loglik(t, x), theta, model.lower, model.upper)
    np.testing.assert_allclose(s, num, rtol=1e-6, atol=1e-9 * np.abs(s).max())


@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_analytic_hessian_matches_finite_differences_of_score(family, theta):
    model, theta, _, _ = _case(family, theta)
    x = model.sample(theta, 60, rng=12)
    H = model.hessian(theta, x, individual=True)
    num = _numdiff.jacobian(lambda t: model.score(t, x), theta, model.lower, model.upper)
    np.testing.assert_allclose(H, num, rtol=1e-6, atol=1e-9 * np.abs(H).max())
    np.testing.assert_array_equal(H, np.swapaxes(H, 1, 2))


@pytest.mark.parametrize(("family", "theta"), CASES, ids=CASE_IDS)
def test_from_logpdf_model_reproduces_score_and_observed_information(family, theta):
    model, theta, _, _ = _case(family, theta)
    dist = FAMILIES[family][1]
    discrete = FAMILIES[family][2] == "counts"
    wrapped = Model.from_logpdf(
        lambda t, x: dist(t).logpmf(x) if discrete else dist(t).logpdf(x),
        None, model.param_names,
        bounds=np.column_stack([model.lower, model.upper]))
    x = model.sample(theta, 80, rng=13)
    s, s_num = model.score(theta, x), wrapped.score(theta, x)
    np.testing.assert_allclose(s_num, s, rtol=1e-6, atol=1e-9 * np.abs(s).max())
    obs = fs.observed_information(model, theta, x).matrix
    obs_num = fs.observed_information(wrapped, theta, x).matrix
    np.testing.assert_allclose(obs_num, obs, rtol=1e-6, atol=1e-9 * np.abs(obs).max())


# -------------------------------------------------------- properties over random_theta
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_information_is_psd_and_equals_monte_carlo_score_and_hessian(cls, seed):
    model = cls()
    theta = model.random_theta(seed)
    info = model.fisher(theta)
    np.testing.assert_array_equal(info, info.T)
    assert np.linalg.eigvalsh(info)[0] > 0
    tiny = 1e-12 * np.abs(info).max()
    by_score = fs.fisher(model, theta, method="monte_carlo", estimator="score",
                         n_samples=20_000, rng=seed)
    by_hess = fs.fisher(model, theta, method="monte_carlo", estimator="hessian",
                        n_samples=20_000, rng=seed + 1)
    assert np.all(np.abs(by_score.matrix - info) <= N_SE * by_score.stderr + tiny)
    assert np.all(np.abs(by_hess.matrix - info) <= N_SE * by_hess.stderr + tiny)
    se = np.hypot(by_score.stderr, by_hess.stderr)
    assert np.all(np.abs(by_score.matrix - by_hess.matrix) <= N_SE * se + tiny)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_monte_carlo_mean_score_is_zero(cls, seed):
    model = cls()
    theta = model.random_theta(seed)
    s = model.score(theta, model.sample(theta, 20_000, rng=seed))
    se = s.std(axis=0, ddof=1) / np.sqrt(s.shape[0])
    assert np.all(np.abs(s.mean(axis=0)) <= N_SE * se)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_default_constructor_and_example_theta_are_valid(cls):
    model = cls()
    theta = model.example_theta()
    assert theta.shape == (model.n_params,) == (len(model.param_names),)
    assert model.has_analytic_fisher and model.has_analytic_score and model.has_analytic_hessian
    x = model.sample(theta, 5, rng=0)
    assert model.loglik(theta, x).shape == (5,)
    assert model.score(theta, x).shape == (5, model.n_params)


# ------------------------------------------------------------------ reparametrisation
def test_normal_log_sigma_information_matches_jacobian_transform_and_monte_carlo():
    mu, s2 = 0.5, 2.5
    info = fs.fisher(Normal(), [mu, s2])
    # eta = (mu, log sigma): d sigma2 / d log sigma = 2 sigma2.
    eta_info = info.reparametrize(np.diag([1.0, 2 * s2]), ["mu", "log_sigma"]).matrix
    np.testing.assert_allclose(eta_info, np.diag([1 / s2, 2.0]), rtol=1e-14)  # known form
    direct = Model.from_logpdf(
        lambda e, x: stats.norm.logpdf(x, e[0], np.exp(e[1])),
        lambda e, n, rng: rng.normal(e[0], np.exp(e[1]), n), ["mu", "log_sigma"])
    mc = fs.fisher(direct, [mu, 0.5 * np.log(s2)], method="monte_carlo",
                   estimator="hessian", n_samples=50_000, rng=2)
    assert np.all(np.abs(mc.matrix - eta_info) <= N_SE * mc.stderr + 1e-9)


def test_gamma_rate_information_matches_jacobian_transform_exactly():
    k, rate = 2.5, 4.0
    info = fs.fisher(Gamma(), [k, 1 / rate])
    # scale = 1 / rate: d scale / d rate = -1 / rate^2.
    eta_info = info.reparametrize(np.diag([1.0, -1 / rate**2]), ["shape", "rate"]).matrix
    direct = Model.from_logpdf(lambda e, x: stats.gamma.logpdf(x, e[0], scale=1 / e[1]), None,
                               ["shape", "rate"], bounds=[(0, np.inf), (0, np.inf)])
    # In (shape, rate) the Gamma is an exponential family in its natural parameters: the
    # Hessian does not depend on the data, so the observed information IS the expected one.
    x = Gamma().sample([k, 1 / rate], 50, rng=3)
    obs = fs.observed_information(direct, [k, rate], x).matrix
    np.testing.assert_allclose(obs, eta_info, rtol=1e-6)
    np.testing.assert_allclose(eta_info, [[special.polygamma(1, k), -1 / rate],
                                          [-1 / rate, k / rate**2]], rtol=1e-14)


def test_student_t_log_scale_log_df_information_matches_monte_carlo_score():
    loc, scale, df = 1.0, 2.0, 4.0
    info = fs.fisher(StudentT(), [loc, scale, df])
    eta_info = info.reparametrize(np.diag([1.0, scale, df]), ["loc", "log_scale", "log_df"])
    direct = Model.from_logpdf(
        lambda e, x: stats.t.logpdf(x, np.exp(e[2]), e[0], np.exp(e[1])),
        lambda e, n, rng: e[0] + np.exp(e[1]) * rng.standard_t(np.exp(e[2]), n),
        ["loc", "log_scale", "log_df"])
    mc = fs.fisher(direct, [loc, np.log(scale), np.log(df)], method="monte_carlo",
                   estimator="score", n_samples=50_000, rng=4)
    assert np.all(np.abs(mc.matrix - eta_info.matrix) <= N_SE * mc.stderr + 1e-12)


# ------------------------------------------------------------------------------- fits
def test_gamma_fit_equals_scipy_and_solves_the_score_equations():
    x = Gamma().sample([0.7, 2.0], 2000, rng=4)
    fit = Gamma().fit(x)
    a, loc, scale = stats.gamma.fit(x, floc=0)
    np.testing.assert_allclose(fit, [a, scale], rtol=1e-8)
    g = Gamma().score(fit, x).sum(axis=0)
    assert np.all(np.abs(g) < 1e-8 * np.sqrt(x.size))


def test_weibull_fit_beats_scipy_loglik_and_solves_the_score_equations():
    for theta in ([0.6, 2.0], [3.5, 2.0]):
        m = Weibull()
        x = m.sample(theta, 2000, rng=4)
        fit = m.fit(x)
        c, loc, scale = stats.weibull_min.fit(x, floc=0)
        np.testing.assert_allclose(fit, [c, scale], rtol=1e-4)
        assert m.loglik(fit, x).sum() >= m.loglik([c, scale], x).sum()
        assert np.all(np.abs(m.score(fit, x).sum(axis=0)) < 1e-8 * np.sqrt(x.size))


def test_student_t_fit_beats_scipy_loglik_and_solves_the_score_equations():
    m = StudentT()
    x = m.sample([0.5, 2.0, 3.0], 2000, rng=4)
    fit = m.fit(x)
    df, loc, scale = stats.t.fit(x)
    np.testing.assert_allclose(fit, [loc, scale, df], rtol=1e-3)
    assert m.loglik(fit, x).sum() >= m.loglik([loc, scale, df], x).sum()
    assert np.all(np.abs(m.score(fit, x).sum(axis=0)) < 1e-8 * np.sqrt(x.size))


def test_log_minus_digamma_is_accurate_on_both_sides_of_the_series_switch():
    from fisherstat.models.univariate import _log_minus_digamma

    for k in [0.01, 1.0, 99.0, 100.0, 300.0, 1e3, 1e4]:  # direct form accurate here
        direct = np.log(k) - special.digamma(k)
        assert _log_minus_digamma(k) == pytest.approx(direct, rel=1e-11)
    for k in [1e6, 1e10, 1e15]:  # asymptotic series: 1/(2k) + 1/(12k^2) - O(k^-4)
        assert abs(_log_minus_digamma(k) - (0.5 / k + 1 / (12 * k * k))) <= 1 / (120 * k**4)


@pytest.mark.parametrize("k", [1e3, 1e8, 1e12])
def test_gamma_fit_recovers_huge_shapes_within_cramer_rao_error(k):
    # For large k, Var(k_hat) ~ 2 k^2 / n (inverse of the information); the naive
    # log(mean) - mean(log x) and log k - psi(k) lose all digits here.
    n = 4000
    x = Gamma().sample([k, 1 / k], n, rng=10)
    k_hat, scale_hat = Gamma().fit(x)
    assert abs(k_hat / k - 1) < N_SE * np.sqrt(2 / n)
    assert k_hat * scale_hat == pytest.approx(x.mean(), rel=1e-12)


@pytest.mark.parametrize("cls", [Gamma, Weibull, StudentT], ids=lambda c: c.__name__)
def test_fit_is_scale_equivariant_even_at_extreme_scales(cls):
    m = cls()
    x = m.sample(m.example_theta(), 500, rng=6)
    fit = m.fit(x)
    c = 1e250 if cls is not StudentT else 1e150  # x**k would overflow without logs
    big = m.fit(x * c)
    expect = fit.copy()
    expect[m.param_names.index("scale")] *= c
    if cls is StudentT:
        expect[0] *= c
    np.testing.assert_allclose(big, expect, rtol=1e-7)


def test_poisson_and_binomial_fits_are_the_closed_form_means():
    y = Poisson().sample([3.0], 500, rng=7)
    assert Poisson().fit(y)[0] == pytest.approx(y.mean(), rel=1e-15)
    b = Binomial(12)
    z = b.sample([0.4], 500, rng=8)
    assert b.fit(z)[0] == pytest.approx(z.mean() / 12, rel=1e-15)


def test_fit_start_is_honoured_for_student_t():
    m = StudentT()
    x = m.sample([0.0, 1.0, 5.0], 500, rng=9)
    np.testing.assert_allclose(m.fit(x, start=[0.3, 2.0, 20.0]), m.fit(x), rtol=1e-6)


@pytest.mark.parametrize(
    ("model", "data", "reason"),
    [
        (Gamma(), [2.0, 2.0, 2.0], "all observations are equal"),
        (Weibull(), [1.5, 1.5], "all observations are equal"),
        (StudentT(), [1.0, 1.0, 1.0, 1.0], "all observations are equal"),
        (StudentT(), [1.0, 2.0], "at least 3"),
        (Poisson(), [0, 0, 0], "boundary"),
        (Binomial(5), [0, 0], "boundary"),
        (Binomial(5), [5, 5, 5], "boundary"),
    ],
    ids=["gamma-equal", "weibull-equal", "t-equal", "t-short", "poisson-0", "binom-0",
         "binom-1"],
)
def test_fit_on_the_boundary_raises_fit_error_with_the_reason(model, data, reason):
    with pytest.raises(FitError, match=reason):
        model.fit(data)


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("model", "theta", "match"),
    [
        (Gamma(), [np.nan, 1.0], "theta must be finite"),
        (Weibull(), [1.0, np.inf], "theta must be finite"),
        (StudentT(), [0.0, 1.0], "theta must have length 3"),
        (Poisson(), [1.0, 2.0], "theta must have length 1"),
        (Normal(), [0.0, 0.0], "sigma2 must be > 0"),
        (Gamma(), [-1.0, 1.0], "shape must be > 0"),
        (Gamma(), [1.0, 0.0], "scale must be > 0"),
        (Weibull(), [0.0, 1.0], "shape must be > 0"),
        (StudentT(), [0.0, -1.0, 3.0], "scale must be > 0"),
        (StudentT(), [0.0, 1.0, 0.0], "df must be > 0"),
        (StudentT(), [0.0, 1.0, -2.0], "df must be > 0"),
        (Poisson(), [0.0], "lam must be > 0"),
        (Binomial(), [0.0], r"p must be in \(0, 1\)"),
        (Binomial(), [1.2], r"p must be in \(0, 1\)"),
    ],
)
def test_bad_theta_raises_value_error_naming_theta(model, theta, match):
    with pytest.raises(ValueError, match="theta") as exc:
        model.fisher(theta)
    assert exc.match(match)


@pytest.mark.parametrize(
    ("model", "data", "match"),
    [
        (Poisson(), [1.0, 2.5], "data must be integer counts; entry 1"),
        (Poisson(), [1.0, -1.0], "data: entry 1 must be >= 0"),
        (Binomial(4), [1.0, 5.0], r"data: entry 1 must be in \[0, 4\]"),
        (Binomial(4), [0.5], "data must be integer counts"),
        (Gamma(), [1.0, 0.0], "data: entry 1 must be > 0"),
        (Weibull(), [-1.0], "data: entry 0 must be > 0"),
        (Normal(), [], "data must not be empty"),
        (Poisson(), [], "data must not be empty"),
        (Gamma(), [1.0, np.nan], "data must be finite"),
        (StudentT(), [[1.0, 2.0]], "data must be 1-dimensional"),
        (Gamma(), [[1.0, 2.0]], "data must be 1-dimensional"),
    ],
)
def test_bad_data_raises_value_error_naming_data(model, data, match):
    with pytest.raises(ValueError, match=match):
        model.score(model.example_theta(), data)


@pytest.mark.parametrize(("n_trials", "exc", "match"), [
    (0, ValueError, "n_trials must be an integer >= 1"),
    (-3, ValueError, "n_trials must be an integer >= 1"),
    (2.5, TypeError, "n_trials must be an integer"),
    ("10", TypeError, "n_trials must be an integer"),
])
def test_binomial_rejects_invalid_n_trials(n_trials, exc, match):
    with pytest.raises(exc, match=match):
        Binomial(n_trials)


# ------------------------------------------------------------ batches of replicates
@pytest.mark.parametrize("model", [Normal(), Poisson(), Binomial(n_trials=4)],
                         ids=lambda m: type(m).__name__)
def test_fit_batch_equals_fit_and_marks_boundary_estimates(model):
    rng = np.random.default_rng(1)
    Y = model.sample(model.example_theta(), 5 * 30, rng=rng).reshape(5, 30)
    # a replicate whose MLE is on the boundary: sigma2 = 0, lam = 0, p = 0
    Y[2] = 1.0 if isinstance(model, Normal) else 0.0
    est = model.fit_batch(Y)
    assert model.has_batch_fit and est.shape == (5, model.n_params)
    for r in range(5):
        if r == 2:
            assert np.all(np.isnan(est[r]))
            with pytest.raises(FitError):
                model.fit(Y[r])
        else:
            np.testing.assert_allclose(est[r], model.fit(Y[r]), rtol=1e-12)


@pytest.mark.parametrize("model", [Normal(), Poisson(), Binomial(n_trials=4), Gamma()],
                         ids=lambda m: type(m).__name__)
def test_information_batch_equals_fisher_hessian_and_score(model):
    rng = np.random.default_rng(2)
    n = 25
    Y = model.sample(model.example_theta(), 3 * n, rng=rng).reshape(3, n)
    theta = np.stack([model.random_theta(rng) for _ in range(3)])
    E, A, B = model.information_batch(theta, Y)
    for r in range(3):
        S = model.score(theta[r], Y[r])
        np.testing.assert_allclose(E[r], n * model.fisher(theta[r]), rtol=1e-12)
        np.testing.assert_allclose(A[r], -model.hessian(theta[r], Y[r]), rtol=1e-10,
                                   atol=1e-12 * np.abs(A[r]).max())
        np.testing.assert_allclose(B[r], S.T @ S, rtol=1e-12)


def test_a_subclass_with_its_own_fit_is_not_fitted_by_the_inherited_batch_fit():
    class Shifted(Normal):
        def _fit(self, data, x, start):
            return super()._fit(data, x, start) + [1.0, 0.0]

    m = Shifted()
    assert Normal().has_batch_fit and not m.has_batch_fit
    Y = m.sample([0.0, 1.0], 40, rng=0).reshape(2, 20)
    np.testing.assert_allclose(m.fit_batch(Y), [m.fit(Y[0]), m.fit(Y[1])], rtol=1e-15)


def test_iid_draws_reshape_into_replicates():
    m = Normal()
    assert m.iid_draws and not fs.models.GaussianMixture().iid_draws
    with pytest.raises(ValueError, match="stack of replicates"):
        m.fit_batch([1.0, 2.0, 3.0])
