"""GaussianMixture: analytic derivatives, quadrature and Monte Carlo information, EM, Louis'
identity, label switching and the singular sets (issue 3)."""

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat._optimize import maximize
from fisherstat.models import MultivariateNormal, Normal
from fisherstat.models.mixture import GaussianMixture

SEEDS = st.integers(0, 2**32 - 1)
CONFIGS = [(2, 1, "full"), (3, 1, "full"), (3, 1, "equal"), (3, 2, "full"), (2, 2, "diag"),
           (2, 3, "spherical"), (3, 2, "equal")]
ONE_D = [c for c in CONFIGS if c[1] == 1]
MULTI_D = [c for c in CONFIGS if c[1] > 1]


def ids(configs):
    return ["-".join(map(str, c)) for c in configs]


def assert_zero_within_se(terms, what):
    """Entrywise: the mean of iid ``terms`` is within N_SE standard errors of zero."""
    mean = terms.mean(axis=0)
    se = terms.std(axis=0, ddof=1) / np.sqrt(terms.shape[0])
    bad = np.abs(mean) > N_SE * se + 1e-12 * np.max(np.abs(terms), axis=0)
    assert not bad.any(), f"{what}: |mean| / se = {np.abs(mean) / np.maximum(se, 1e-300)}"


# ------------------------------------------------------------------ parametrisation
def test_parameter_names_follow_the_documented_order():
    assert GaussianMixture(2).param_names == ("w1", "mu1", "mu2", "sigma2_1", "sigma2_2")
    assert GaussianMixture(3, covariance="equal").param_names == (
        "w1", "w2", "mu1", "mu2", "mu3", "sigma2")
    assert GaussianMixture(2, dim=2).param_names == (
        "w1", "mu1_1", "mu1_2", "mu2_1", "mu2_2",
        "sigma1_11", "sigma1_21", "sigma1_22", "sigma2_11", "sigma2_21", "sigma2_22")
    assert GaussianMixture(2, dim=2, covariance="diag").param_names[-4:] == (
        "sigma1_11", "sigma1_22", "sigma2_11", "sigma2_22")
    assert GaussianMixture(2, dim=3, covariance="spherical").param_names[-2:] == (
        "sigma2_1", "sigma2_2")
    assert GaussianMixture(2, dim=2, covariance="equal").param_names[-3:] == (
        "sigma11", "sigma21", "sigma22")
    assert GaussianMixture(1, dim=12).param_names[-1] == "sigma1_12_12"


@pytest.mark.parametrize("config", CONFIGS, ids=ids(CONFIGS))
def test_theta_round_trips_through_component_arrays(config):
    m = GaussianMixture(*config)
    theta = m.random_theta(0)
    pi, mu, cov = m._arrays(theta)
    assert np.isclose(pi.sum(), 1.0) and mu.shape == (m.k, m.dim)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    np.testing.assert_array_equal(m._pack(pi, mu, cov), theta)


@pytest.mark.parametrize("config", CONFIGS, ids=ids(CONFIGS))
@given(seed=SEEDS)
@settings(max_examples=5)
def test_random_theta_is_valid_separated_and_in_canonical_order(config, seed):
    m = GaussianMixture(*config)
    theta = m.random_theta(seed)
    np.testing.assert_array_equal(m.validate(theta), theta)
    np.testing.assert_array_equal(m.sort_components(theta), theta)
    if m.k > 1:
        assert m.singularities(theta)[0].distance >= 3.0


# --------------------------------------------------------------- reductions, k = 1
def test_one_component_reduces_to_normal():
    m, normal = GaussianMixture(1), Normal()
    theta = np.array([0.7, 2.5])
    x = normal.sample(theta, 50, rng=0)
    np.testing.assert_allclose(m.loglik(theta, x), normal.loglik(theta, x), rtol=1e-13)
    np.testing.assert_allclose(m.score(theta, x), normal.score(theta, x), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(m.hessian(theta, x, individual=True),
                               normal.hessian(theta, x, individual=True), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(m.fisher(theta), normal.fisher(theta), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m.complete_information(theta), normal.fisher(theta), rtol=1e-14)


def test_one_component_reduces_to_multivariate_normal():
    m, mvn = GaussianMixture(1, dim=3), MultivariateNormal(dim=3)
    assert m.param_names[3:] == ("sigma1_11", "sigma1_21", "sigma1_22", "sigma1_31",
                                 "sigma1_32", "sigma1_33")
    theta = mvn.random_theta(4)
    x = mvn.sample(theta, 40, rng=1)
    np.testing.assert_allclose(m.loglik(theta, x), mvn.loglik(theta, x), rtol=1e-12)
    np.testing.assert_allclose(m.score(theta, x), mvn.score(theta, x), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(m.hessian(theta, x), mvn.hessian(theta, x), rtol=1e-10,
                               atol=1e-10)
    np.testing.assert_allclose(m.complete_information(theta), mvn.fisher(theta), rtol=1e-12,
                               atol=1e-15)
    mc = m.fisher_monte_carlo(theta, 40_000, rng=2, variance_reduction="qmc")
    assert np.all(np.abs(mc.matrix - mvn.fisher(theta)) <= N_SE * mc.stderr + 1e-12)


# ------------------------------------------------------------- score and Hessian
@pytest.mark.parametrize("config", CONFIGS, ids=ids(CONFIGS))
@given(seed=SEEDS)
@settings(max_examples=4)
def test_analytic_score_and_hessian_equal_finite_differences(config, seed):
    m = GaussianMixture(*config)
    theta = m.random_theta(seed)
    x = m.sample(theta, 25, rng=seed)
    fd = _numdiff.jacobian(lambda t: m.loglik(t, x), theta, m.lower, m.upper)
    s = m.score(theta, x)
    assert np.max(np.abs(s - fd)) < 1e-7 * (np.max(np.abs(fd)) + 1e-8)
    fdh = _numdiff.jacobian(lambda t: m.score(t, x), theta, m.lower, m.upper)
    H = m.hessian(theta, x, individual=True)
    assert np.max(np.abs(H - fdh)) < 1e-7 * (np.max(np.abs(fdh)) + 1e-8)
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), rtol=0, atol=1e-12 * np.abs(H).max())


@pytest.mark.parametrize("config", MULTI_D, ids=ids(MULTI_D))
@given(seed=SEEDS)
@settings(max_examples=2)
def test_score_has_mean_zero_and_outer_product_equals_minus_hessian(config, seed):
    """Monte Carlo within N_SE standard errors. The terms s s^T + H are products of up to
    fourth powers of normals (heavy-tailed), so the standard errors need a large sample to be
    reliable: 10^5 draws, in chunks of bounded memory."""
    m = GaussianMixture(*config)
    theta = m.random_theta(seed)
    rng = np.random.default_rng(seed)
    n, chunk, p = 100_000, 20_000, m.n_params
    sums = np.zeros((2, p + p * p))
    for _ in range(n // chunk):
        x = m.sample(theta, chunk, rng=rng)
        s = m.score(theta, x)
        T = np.concatenate([s, (s[:, :, None] * s[:, None, :]
                                + m.hessian(theta, x, individual=True)).reshape(chunk, -1)],
                           axis=1)
        sums += [T.sum(axis=0), (T * T).sum(axis=0)]
    mean = sums[0] / n
    se = np.sqrt(np.clip(sums[1] / n - mean**2, 0, None) / (n - 1))
    z = np.abs(mean) / np.maximum(se, 1e-300)
    assert np.all(z[:p] <= N_SE), f"mean score: |mean| / se = {z[:p]}"
    assert np.all(z[p:] <= N_SE), f"E[ss^T] + E[H]: |mean| / se = {z[p:].reshape(p, p)}"


# ------------------------------------------------------------ quadrature (d = 1)
@pytest.mark.parametrize("config", ONE_D, ids=ids(ONE_D))
@given(seed=SEEDS)
@settings(max_examples=5)
def test_quadrature_information_agrees_with_a_much_finer_rule(config, seed):
    m = GaussianMixture(*config)
    theta = m.random_theta(seed)
    coarse = m.fisher(theta)
    fine = m._fisher(theta, half_width=22.0, step=0.125, order=40)
    assert np.max(np.abs(coarse - fine)) <= 1e-8 * np.max(np.abs(fine))


HARD_THETAS = [
    [0.5, 0.0, 0.0, 1.0, 1.0],  # coinciding components
    [0.5, 0.0, 0.0, 1.0, 1e-4],  # same mean, variances 10^4 apart
    [0.5, 0.0, 30.0, 1.0, 1.0],  # far apart
    [0.01, 0.0, 0.3, 1.0, 2.0],  # small weight, overlapping
    [0.3, -2.0, 2.0, 1.0, 1.0],
]


@pytest.mark.parametrize("theta", HARD_THETAS)
def test_quadrature_information_matches_adaptive_quad_vec(theta):
    """Independent check: scipy's adaptive Gauss-Kronrod over the whole real line."""
    m = GaussianMixture(2)

    def integrand(x):
        X = np.array([x])
        s = m.score(theta, X)[0]
        return np.outer(s, s) * np.exp(m.loglik(theta, X)[0])

    ref = integrate.quad_vec(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-11)[0]
    assert np.max(np.abs(m.fisher(theta) - ref)) <= 1e-8 * np.max(np.abs(ref))


@pytest.mark.parametrize("config", ONE_D, ids=ids(ONE_D))
def test_quadrature_integrates_density_score_and_information_identity_exactly(config):
    """int p = 1, E[s] = 0 and E[s s^T] = -E[H] by the same rule, to 1e-10."""
    m = GaussianMixture(*config)
    theta = m.random_theta(11)
    X, c = m._quadrature(theta)
    assert abs(c.sum() - 1.0) < 1e-13
    s = m.score(theta, X)
    scale = np.sqrt(np.max(np.diag(m.fisher(theta))))
    assert np.max(np.abs(c @ s)) < 1e-10 * scale
    minus_h = -np.einsum("n,nab->ab", c, m.hessian(theta, X, individual=True))
    np.testing.assert_allclose(minus_h, m.fisher(theta), rtol=0,
                               atol=1e-10 * np.max(np.abs(minus_h)))


@pytest.mark.parametrize("estimator", ["score", "hessian"])
def test_quadrature_information_matches_monte_carlo_within_standard_errors(estimator):
    m = GaussianMixture(3)
    theta = m.example_theta()
    exact = fs.fisher(m, theta)
    assert exact.method == "analytic"
    mc = fs.fisher(m, theta, method="monte_carlo", n_samples=40_000, rng=5, estimator=estimator)
    assert np.all(np.abs(mc.matrix - exact.matrix) <= N_SE * mc.stderr + 1e-12)


# ------------------------------------------------------- Monte Carlo (any dim)
@pytest.mark.parametrize("vr", ["stratified", "qmc"])
@pytest.mark.parametrize("estimator", ["score", "hessian"])
def test_variance_reduced_monte_carlo_matches_quadrature_within_standard_errors(vr, estimator):
    m = GaussianMixture(2)
    theta = np.array([0.3, -1.0, 1.5, 1.0, 0.6])
    exact = m.fisher(theta)
    mc = m.fisher_monte_carlo(theta, 40_000, rng=3, variance_reduction=vr, estimator=estimator)
    assert mc.method == "monte_carlo" and mc.stderr is not None
    assert np.all(np.abs(mc.matrix - exact) <= N_SE * mc.stderr + 1e-12)


@pytest.mark.parametrize("config", MULTI_D, ids=ids(MULTI_D))
def test_variance_reduced_monte_carlo_agrees_with_plain_monte_carlo(config):
    m = GaussianMixture(*config)
    theta = m.example_theta()
    plain = m.fisher_monte_carlo(theta, 30_000, rng=1)
    for vr in ("stratified", "qmc"):
        red = m.fisher_monte_carlo(theta, 30_000, rng=2, variance_reduction=vr)
        both = np.hypot(plain.stderr, red.stderr)
        assert np.all(np.abs(red.matrix - plain.matrix) <= N_SE * both + 1e-12), vr


def test_qmc_standard_errors_are_smaller_than_plain_monte_carlo():
    """The measured gain of randomized QMC (k = 3, d = 2): median SE at least 3x smaller at
    the same number of draws (measured: ~8x; see benchmarks/bench_mixture.py)."""
    m = GaussianMixture(3, dim=2)
    theta = m.example_theta()
    plain = m.fisher_monte_carlo(theta, 2**15, rng=0)
    rqmc = m.fisher_monte_carlo(theta, 2**15, rng=0, variance_reduction="qmc")
    assert rqmc.n_samples <= 2 * plain.n_samples
    # margin of the factor 3 against the gain of ~8: the SEs are themselves estimates; each
    # RQMC SE comes from R = 16 independent scrambles, relative sd 1/sqrt(2 (R - 1)) = 0.18,
    # the plain one from 2^15 draws (~1 %); log(8 / 3) = 0.98 is 5 such sds for a single
    # entry, and the median over the 153 entries is steadier still. Not BLAS-dependent: the
    # draws are seeded, rounding moves the SEs by ~1e-13 relative
    assert np.median(rqmc.stderr) * 3 < np.median(plain.stderr)


def test_dim_above_one_has_no_analytic_information_and_falls_back_to_monte_carlo():
    m = GaussianMixture(2, dim=2)
    assert not m.has_analytic_fisher and GaussianMixture(2).has_analytic_fisher
    with pytest.raises(NotImplementedError, match="monte_carlo"):
        m.fisher(m.example_theta())
    info = fs.fisher(m, m.example_theta(), n_samples=2000, rng=0)
    assert info.method == "monte_carlo" and info.stderr is not None


def test_complete_information_dominates_and_equals_information_when_far_apart():
    m = GaussianMixture(2)
    near = [0.4, 0.0, 1.5, 1.0, 0.7]
    gap = m.complete_information(near) - m.fisher(near)  # expected missing information
    assert np.linalg.eigvalsh(gap)[0] > -1e-12
    far = [0.4, 0.0, 60.0, 1.0, 0.7]  # labels are (numerically) observed: nothing missing
    np.testing.assert_allclose(m.fisher(far), m.complete_information(far), rtol=1e-10,
                               atol=1e-12)
    pi = np.array([0.4, 0.6])  # multinomial information of the free weight
    assert np.isclose(m.complete_information(far)[0, 0], 1 / pi[0] + 1 / pi[1])


def test_samples_have_the_mixture_mean_and_component_frequencies():
    m = GaussianMixture(3, dim=2)
    theta = m.example_theta()
    pi, mu, _ = m._arrays(theta)
    x = m.sample(theta, 20_000, rng=0)
    assert x.shape == (20_000, 2) and GaussianMixture(2).sample([0.5, 0, 1, 1, 1], 7).shape == (7,)
    se = x.std(axis=0, ddof=1) / np.sqrt(len(x))
    assert np.all(np.abs(x.mean(axis=0) - pi @ mu) < N_SE * se)
    # each observation's first coordinate is within 1.5 of its component's mean w.p. ~0.86:
    # chi-square goodness of fit of the nearest-mean classification is not needed, the
    # Kolmogorov-Smirnov test of the first coordinate against the mixture CDF is exact.
    sd = np.sqrt(m._arrays(theta)[2][:, 0, 0])

    def cdf(t):
        return np.sum(pi * stats.norm.cdf((t[:, None] - mu[:, 0]) / sd), axis=1)

    assert stats.kstest(x[:, 0], cdf).pvalue > 1e-3


# --------------------------------------------------------------------------- EM
FIT_CASES = [((2, 1, "full"), 3000), ((3, 1, "equal"), 3000), ((3, 2, "full"), 3000),
             ((2, 2, "diag"), 2000), ((2, 3, "spherical"), 2000)]


@pytest.mark.parametrize("config, n", FIT_CASES, ids=ids([c for c, _ in FIT_CASES]))
def test_em_recovers_parameters_on_well_separated_data(config, n):
    m = GaussianMixture(*config)
    theta = m.random_theta(21)
    x = m.sample(theta, n, rng=22)
    res = m.fit_em(x, rng=0)
    assert res.converged and res.failures == () and m.last_fit_ is res
    if m.dim == 1:
        info = fs.FisherInfo(m.fisher(theta), m.param_names)
    else:
        info = m.fisher_monte_carlo(theta, 2**14, rng=0, variance_reduction="qmc")
    se = info.standard_errors(n)
    assert np.all(np.abs(res.theta - theta) < 4.5 * se), (res.theta - theta) / se
    assert np.all(np.diff(res.loglik_path) > -1e-9 * abs(res.loglik))  # EM is monotone
    if m.dim == 1:
        np.testing.assert_allclose(m.fit(x), res.theta)  # fit is deterministic and the same


@pytest.mark.parametrize("config", [(2, 1, "full"), (3, 2, "full"), (3, 2, "equal")],
                         ids=["2-1-full", "3-2-full", "3-2-equal"])
def test_em_solution_is_a_maximum_that_direct_numeric_maximisation_cannot_improve(config):
    """Reference without sklearn: the score at the EM estimate is ~0 and a quasi-Newton
    maximisation of the log-likelihood started there neither gains nor moves."""
    m = GaussianMixture(*config)
    theta = m.random_theta(5)
    x = m.sample(theta, 1500, rng=6)
    res = m.fit_em(x, rng=0)
    n = len(x)
    g = m.score(res.theta, x).sum(axis=0)
    J = -m.hessian(res.theta, x)
    assert np.linalg.eigvalsh(J)[0] > 0  # a strict local maximum
    step = np.linalg.solve(J, g)
    assert abs(g @ step) < 1e-9 * n  # Newton decrement: the log-likelihood is maximal

    def ll(t):
        try:
            return m.loglik(t, x).sum()
        except ValueError:
            return -np.inf

    other = maximize(ll, res.theta, m.lower, m.upper,
                     gradient=lambda t: m.score(t, x).sum(axis=0))
    assert ll(other) <= res.loglik + 1e-8 * abs(res.loglik)
    se = fs.FisherInfo(J / n, m.param_names).standard_errors(n)
    assert np.all(np.abs(other - res.theta) < 1e-3 * se)


def test_fit_is_invariant_to_label_switching():
    m = GaussianMixture(3)
    theta = np.array([0.2, 0.5, -3.0, 0.0, 4.0, 1.0, 0.5, 2.0])
    x = m.sample(theta, 2000, rng=1)
    perm = [2, 0, 1]
    pi, mu, cov = m._arrays(theta)
    permuted = m._pack(pi[perm], mu[perm], cov[perm])
    np.testing.assert_array_equal(m.sort_components(permuted), m.sort_components(theta))
    a = m.fit_em(x, start=theta, n_init=0, rng=0).theta
    b = m.fit_em(x, start=permuted, n_init=0, rng=0).theta
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert np.all(np.diff(a[2:5]) > 0)  # canonical: means increasing


def test_canonical_order_breaks_mean_ties_by_weight():
    m = GaussianMixture(2, dim=2)
    theta = m._pack(np.array([0.7, 0.3]), np.array([[0.0, 1.0], [0.0, -1.0]]),
                    np.stack([np.eye(2), 2 * np.eye(2)]))
    out = m.sort_components(theta)
    assert out[0] == pytest.approx(0.3) and out[2] == -1.0


def test_fit_raises_fit_error_when_em_does_not_converge():
    m = GaussianMixture(2)
    x = m.sample([0.5, 0.0, 1.0, 1.0, 1.0], 500, rng=0)  # heavily overlapping: slow EM
    with pytest.raises(fs.FitError, match="did not converge in 3 iterations"):
        m.fit_em(x, rng=0, max_iter=3)
    res = m.fit_em(x, rng=0, max_iter=3, strict=False, polish=False)  # diagnostics instead
    assert not res.converged and res.n_iter == 3 and np.all(np.isnan(res.start_logliks))


def test_fit_raises_fit_error_when_a_component_collapses():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(200), np.full(6, 8.0)])
    m = GaussianMixture(2)
    with pytest.raises(fs.FitError, match="collapsed"):
        m.fit_em(x, start=[0.9, 0.0, 8.0, 1.0, 0.5], n_init=0, rng=0)


def test_fit_needs_enough_distinct_observations():
    m = GaussianMixture(3, dim=2)
    with pytest.raises(fs.FitError, match="at least"):
        m.fit(np.zeros((5, 2)))
    with pytest.raises(fs.FitError, match="equal"):
        GaussianMixture(2).fit(np.ones(50))


# ----------------------------------------------------------------------- Louis
@pytest.mark.parametrize("config", [(2, 1, "full"), (3, 1, "equal"), (2, 2, "full"),
                                    (2, 2, "equal"), (2, 2, "spherical")],
                         ids=["2-1-full", "3-1-equal", "2-2-full", "2-2-equal", "2-2-sph"])
def test_louis_observed_information_equals_numeric_and_analytic_hessian(config):
    m = GaussianMixture(*config)
    theta = m.random_theta(3)
    x = m.sample(theta, 400, rng=4)
    th = m.fit(x)
    louis = m.observed_information_louis(th, x)
    assert louis.method == "observed"
    analytic = fs.observed_information(m, th, x).matrix
    np.testing.assert_allclose(louis.matrix, analytic, rtol=1e-10,
                               atol=1e-12 * np.abs(analytic).max())
    numeric = -_numdiff.hessian(lambda t: m.loglik(t, x).sum(), th, m.lower, m.upper)[0] / 400
    np.testing.assert_allclose(louis.matrix, numeric, rtol=0,
                               atol=1e-6 * np.abs(numeric).max())
    parts = m.missing_information(th, x)
    assert np.linalg.eigvalsh(parts.missing)[0] > -1e-10  # a conditional covariance
    assert np.linalg.eigvalsh(parts.complete)[0] > 0


def test_largest_fraction_of_missing_information_is_the_em_convergence_rate():
    """Dempster, Laird & Rubin (1977): EM converges linearly with rate lambda_max(Ic^-1 Im);
    the log-likelihood increments then shrink by its square per iteration."""
    m = GaussianMixture(2)
    x = m.sample([0.4, 0.0, 3.0, 1.0, 0.5], 5000, rng=3)
    res = m.fit_em(x, rng=0, tol=1e-15, n_init=1)
    inc = np.diff(res.loglik_path)
    window = (inc > 1e-11 * abs(res.loglik)) & (inc < 1e-4 * abs(res.loglik))
    ratios = (inc[1:] / inc[:-1])[window[1:] & window[:-1]]
    assert ratios.size >= 10
    rate = m.missing_information(res.theta, x).em_rate
    assert 0 < rate < 1
    assert abs(np.sqrt(np.median(ratios)) - rate) < 0.01


# --------------------------------------------------------------- singularities
def test_information_of_weight_and_means_has_rank_one_at_two_equal_components():
    """At 1/2 N(0,1) + 1/2 N(0,1) with the variances known, the information of (w, mu1, mu2)
    -- the principal sub-block of the full information (variances fixed, not the Schur
    complement) -- has rank 1: s_w = 0 and s_mu1 = s_mu2 = x/2."""
    m = GaussianMixture(2)
    theta = [0.5, 0.0, 0.0, 1.0, 1.0]
    full = fs.fisher(m, theta)
    sub = fs.FisherInfo(full.matrix[:3, :3], m.param_names[:3])
    assert sub.rank == 1
    np.testing.assert_allclose(sub.matrix, [[0, 0, 0], [0, 0.25, 0.25], [0, 0.25, 0.25]],
                               atol=1e-14)
    coinciding = m.singularities(theta)[0]
    assert coinciding.name == "coinciding components" and coinciding.distance == 0.0
    assert full.rank == m.n_params - coinciding.rank_drop == 2


def test_rank_drop_of_coinciding_components_in_two_dimensions():
    m = GaussianMixture(2, dim=2, covariance="equal")
    theta = m._pack(np.array([0.4, 0.6]), np.zeros((2, 2)),
                    np.broadcast_to([[1.0, 0.3], [0.3, 2.0]], (2, 2, 2)))
    info = m.fisher_monte_carlo(theta, 20_000, rng=0)
    w = np.linalg.eigvalsh(info.matrix)
    drop = m.singularities(theta)[0].rank_drop
    assert drop == 3 and np.all(w[:drop] < 1e-12 * w[-1]) and w[drop] > 1e-3 * w[-1]


def test_singularity_distances_follow_their_definitions():
    m = GaussianMixture(3, dim=2, covariance="full")
    pi = np.array([0.1, 0.3, 0.6])
    mu = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    cov = np.stack([np.eye(2), np.eye(2), np.diag([4.0, 1e-3])])
    coinc, zero, sing = m.singularities(m._pack(pi, mu, cov))
    assert coinc.distance == pytest.approx(2.0) and "1 and 2" in coinc.description
    assert coinc.rank_drop == 1 + 2 + 3
    assert zero.distance == pytest.approx(0.1) and zero.rank_drop == 5
    assert sing.distance == pytest.approx(1e-3 / 4.0) and sing.rank_drop == 0
    assert [s.name for s in GaussianMixture(1).singularities([0.0, 1.0])] == [
        "singular covariance"]


def test_information_about_the_separation_vanishes_as_components_merge():
    """(1-v) N(0,1) + v N(w,1): det I(v, w) = v^2 w^4 / 2 (1 + O(w)) as w -> 0 (Hermite
    expansion; the degeneration studied by Amari, Park & Ozeki 2006)."""
    m = GaussianMixture(2)
    v = 0.5
    ratios = []
    for w in (0.1, 0.03, 0.01):
        info = m.fisher([1 - v, 0.0, w, 1.0, 1.0])[np.ix_([0, 2], [0, 2])]
        ratios.append(np.linalg.det(info) / (v**2 * w**4 / 2))
    assert abs(ratios[-1] - 1) < 0.02 and abs(ratios[-1] - 1) < abs(ratios[0] - 1)


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(k=0), ValueError, "k"),
    (dict(k=2.5), TypeError, "k"),
    (dict(k=2, dim=0), ValueError, "dim"),
    (dict(k=2, covariance="tied"), ValueError, "covariance"),
    (dict(k=2, covariance=None), ValueError, "covariance"),
])
def test_constructor_rejects_bad_arguments_naming_them(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        GaussianMixture(**kwargs)


def test_weights_off_the_simplex_are_rejected_naming_the_weights():
    m = GaussianMixture(3)
    with pytest.raises(ValueError, match=r"w1, w2.*simplex"):
        m.validate([0.6, 0.5, 0.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="w2"):
        m.validate([0.6, -0.1, 0.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="w1"):
        m.validate([1.0, 0.1, 0.0, 1.0, 2.0, 1.0, 1.0, 1.0])


def test_bad_covariances_are_rejected_naming_the_parameters():
    with pytest.raises(ValueError, match="sigma2_2"):
        GaussianMixture(2).validate([0.5, 0.0, 1.0, 1.0, -1.0])
    m = GaussianMixture(2, dim=2)
    theta = m.example_theta()
    theta[m.param_names.index("sigma2_21")] = 5.0  # |rho| > 1
    with pytest.raises(ValueError, match=r"component 2.*sigma2_11.*not positive definite"):
        m.validate(theta)
    e = GaussianMixture(2, dim=2, covariance="equal")
    bad = e.example_theta()
    bad[e.param_names.index("sigma21")] = 9.0
    with pytest.raises(ValueError, match="sigma11.*not positive definite"):
        e.loglik(bad, np.zeros((3, 2)))


def test_data_of_the_wrong_dimension_is_rejected_naming_data():
    with pytest.raises(ValueError, match=r"data must have shape \(n, 2\)"):
        GaussianMixture(2, dim=2).loglik(GaussianMixture(2, dim=2).example_theta(),
                                         np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"data must have shape \(n,\)"):
        GaussianMixture(2).score([0.5, 0.0, 1.0, 1.0, 1.0], np.zeros((4, 2)))
    with pytest.raises(ValueError, match="data"):
        GaussianMixture(2).fit(np.array([1.0, np.nan, 2.0]))


def test_monte_carlo_and_fit_options_are_checked_naming_them():
    m = GaussianMixture(2, dim=2)
    theta = m.example_theta()
    for kwargs, exc, word in [
        (dict(variance_reduction="antithetic"), ValueError, "variance_reduction"),
        (dict(estimator="opg"), ValueError, "estimator"),
        (dict(n_samples=1), ValueError, "n_samples"),
        (dict(variance_reduction="qmc", n_scrambles=1), ValueError, "n_scrambles"),
        (dict(variance_reduction="stratified", n_samples=3), ValueError, "n_samples"),
    ]:
        with pytest.raises(exc, match=word):
            m.fisher_monte_carlo(theta, **{"n_samples": 100, **kwargs})
    x = m.sample(theta, 50, rng=0)
    with pytest.raises(ValueError, match="n_init"):
        m.fit_em(x, n_init=0, rng=0)
    with pytest.raises(ValueError, match="tol"):
        m.fit_em(x, tol=-1.0, rng=0)
