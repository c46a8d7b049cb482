"""FisherInfo algebra and the estimators fisher / empirical / observed / sandwich."""

import warnings

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

import fisherstat as fs
from fisherstat import FisherInfo, SingularFisherWarning
from fisherstat.models import Normal


def random_spd(p, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((p, p))
    return A @ A.T + p * np.eye(p)


# ------------------------------------------------------------------ FisherInfo
def test_fisherinfo_is_immutable():
    info = FisherInfo(np.eye(2), ("a", "b"))
    with pytest.raises(ValueError):
        info.matrix[0, 0] = 5.0
    with pytest.raises(AttributeError):
        info.n_obs = 3


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_inverse_times_matrix_is_identity_and_covariance_scales_as_one_over_n(p, seed):
    M = random_spd(p, seed)
    info = FisherInfo(M, tuple(f"t{i}" for i in range(p)))
    np.testing.assert_allclose(info.inverse() @ M, np.eye(p), atol=1e-10)
    np.testing.assert_allclose(info.covariance(50), info.inverse() / 50, rtol=1e-12)
    np.testing.assert_allclose(info.standard_errors(4), np.sqrt(np.diag(info.inverse())) / 2)
    assert info.rank == p and not info.is_singular
    w = np.linalg.eigvalsh(M)
    assert info.condition_number == pytest.approx(w[-1] / w[0], rel=1e-10)


def test_covariance_of_information_of_many_observations_uses_n_obs():
    one = FisherInfo(np.diag([2.0, 4.0]), ("a", "b"))
    ten = one * 10
    assert ten.n_obs == 10
    np.testing.assert_allclose(ten.covariance(), one.covariance(10))
    np.testing.assert_allclose(ten.covariance(20), one.covariance(20))


def test_singular_inverse_warns_reports_rank_and_is_the_pseudo_inverse():
    v = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    M = 3.0 * np.outer(v, v) + 2.0 * np.outer([0, 0, 1.0], [0, 0, 1.0])
    info = FisherInfo(M, ("mu1", "mu2", "s"))
    assert info.rank == 2 and info.is_singular and info.condition_number == np.inf
    with pytest.warns(SingularFisherWarning, match="rank 2 < 3"):
        inv = info.inverse()
    np.testing.assert_allclose(inv, np.linalg.pinv(M), atol=1e-12)


def test_explicit_tolerance_decides_the_rank_of_the_pseudo_inverse():
    info = FisherInfo(np.diag([1.0, 1e-9]), ("a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(info.inverse(), np.diag([1.0, 1e9]))
    with pytest.warns(SingularFisherWarning, match="rank 1 < 2"):
        np.testing.assert_allclose(info.inverse(tol=1e-6), np.diag([1.0, 0.0]))


@given(st.integers(2, 6), st.integers(0, 2**32 - 1), st.data())
@settings(max_examples=25)
def test_marginal_information_is_inverse_of_block_of_inverse(p, seed, data):
    M = random_spd(p, seed)
    names = tuple(f"t{i}" for i in range(p))
    keep = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=p - 1, unique=True))
    info = FisherInfo(M, names)
    idx = [names.index(k) for k in keep]
    expected = np.linalg.inv(np.linalg.inv(M)[np.ix_(idx, idx)])
    marg = info.marginal(keep)
    assert marg.param_names == tuple(keep)
    np.testing.assert_allclose(marg.matrix, expected, rtol=1e-9, atol=1e-12)


@given(st.floats(-3, 3), st.floats(0.1, 10))
@settings(max_examples=30)
def test_reparametrization_to_log_sigma_obeys_jacobian_rule(mu, sigma2):
    """I_eta = J^T I_theta J with eta = (mu, log sigma): I_eta = diag(1/sigma2, 2)."""
    info = fs.fisher(Normal(), [mu, sigma2])
    eta_info = info.reparametrize(np.diag([1.0, 2 * sigma2]), ["mu", "log_sigma"])
    np.testing.assert_allclose(eta_info.matrix, np.diag([1 / sigma2, 2.0]), rtol=1e-12)


def test_kl_quadratic_approximates_exact_normal_kl_to_second_order():
    theta = np.array([0.5, 2.0])
    info = fs.fisher(Normal(), theta)

    def kl(d):  # KL(N(mu, s2) || N(mu + d0, s2 + d1)), closed form
        s2, t2 = theta[1], theta[1] + d[1]
        return 0.5 * (np.log(t2 / s2) + (s2 + d[0] ** 2) / t2 - 1)

    direction = np.array([0.6, -0.8])
    for eps in (1e-2, 1e-3, 1e-4):
        ratio = kl(eps * direction) / info.kl_quadratic(eps * direction)
        assert abs(ratio - 1) < 5 * eps  # the error of the quadratic form is O(|d|)
    q = info.kl_quadratic(np.vstack([direction, 2 * direction]))
    np.testing.assert_allclose(q[1] / q[0], 4.0)


def test_information_of_independent_data_adds():
    a = FisherInfo(np.diag([1.0, 2.0]), ("a", "b"), 1, "monte_carlo",
                   np.full((2, 2), 0.3), 1000)
    b = FisherInfo(np.diag([3.0, 1.0]), ("a", "b"), 2, "analytic")
    c = a + b
    np.testing.assert_allclose(c.matrix, np.diag([4.0, 3.0]))
    assert c.n_obs == 3 and c.method == "combined"
    np.testing.assert_allclose(c.stderr, np.full((2, 2), 0.3))
    with pytest.raises(ValueError, match="cannot add"):
        a + FisherInfo(np.eye(2), ("x", "y"))


def test_summary_names_every_parameter_and_reports_rank():
    info = fs.fisher(Normal(), [0.0, 1.0])
    text = info.summary()
    assert "mu" in text and "sigma2" in text and "rank 2 of 2" in text
    assert "analytic" in repr(info)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(matrix=[[1.0, 2.0], [0.0, 1.0]], param_names=("a", "b")), "symmetric"),
        (dict(matrix=[[1.0, np.nan], [np.nan, 1.0]], param_names=("a", "b")), "finite"),
        (dict(matrix=np.eye(2), param_names=("a",)), "param_names"),
        (dict(matrix=np.ones(3), param_names=("a",)), "dimension"),
        (dict(matrix=np.eye(2), param_names=("a", "b"), n_obs=-1), "n_obs"),
        (dict(matrix=np.eye(2), param_names=("a", "b"), method="magic"), "method"),
        (dict(matrix=np.eye(2), param_names=("a", "b"), stderr=np.ones(2)), "stderr"),
    ],
)
def test_fisherinfo_rejects_bad_input_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FisherInfo(**kwargs)


# ------------------------------------------------------------------ estimators
@pytest.mark.parametrize("estimator", ["score", "hessian"])
def test_monte_carlo_information_agrees_with_closed_form_within_standard_errors(estimator):
    theta = [1.0, 3.0]
    exact = Normal().fisher(theta)
    mc = fs.fisher(Normal(), theta, method="monte_carlo", estimator=estimator,
                   n_samples=200_000, rng=11)
    assert mc.method == "monte_carlo" and mc.n_samples == 200_000
    z = np.abs(mc.matrix - exact) / np.where(mc.stderr > 0, mc.stderr, np.inf)
    assert np.all(z < N_SE)
    # the Hessian estimator is exact for the mu-mu entry (the Hessian is constant there)
    if estimator == "hessian":
        assert mc.stderr[0, 0] == 0 and mc.matrix[0, 0] == pytest.approx(exact[0, 0])


class _RoundingNormal(Normal):
    """Normal whose per-draw Hessians carry a different rounding in every draw (as with a
    BLAS whose summation order depends on alignment): each entry times (1 + k eps), k a
    fixed pseudo-random integer in [-4, 4], so the mu-mu entry -1/sigma2 is still constant
    up to rounding."""

    def _hessian(self, theta, data, x):
        H = super()._hessian(theta, data, x)
        k = np.random.default_rng(0).integers(-4, 5, size=H.shape)
        return H * (1.0 + k * np.finfo(float).eps)


# one chunk; two merged chunks (plain Monte Carlo draws in chunks of 4e6 / p^2 = 10^6)
@pytest.mark.parametrize("n_samples", [5000, 1_200_000])
def test_monte_carlo_standard_error_is_zero_when_the_terms_vary_only_by_rounding(n_samples):
    """A Hessian term that is constant up to a few ulp has no Monte Carlo error: its
    standard error is exactly 0 (not ~1e-17, whose ratio to another standard error would
    read 1e13), its estimate is 1/sigma2 to 8 eps (the terms' 4 eps plus the rounding of
    their mean); the random sigma2-sigma2 entry keeps its standard error."""
    theta = [1.0, 3.0]
    mc = fs.fisher(_RoundingNormal(), theta, method="monte_carlo", estimator="hessian",
                   n_samples=n_samples, rng=3)
    assert mc.stderr[0, 0] == 0.0
    assert mc.matrix[0, 0] == pytest.approx(1.0 / 3.0, rel=8 * np.finfo(float).eps)
    assert mc.stderr[1, 1] > 1e-6 * mc.matrix[1, 1]
    assert "0: the terms did not vary over the draws" in mc.summary()


def test_monte_carlo_standard_error_matches_spread_over_repeated_runs():
    runs = [fs.fisher(Normal(), [0.0, 1.0], method="monte_carlo", n_samples=2000, rng=s)
            for s in range(200)]
    spread = np.std([r.matrix for r in runs], axis=0, ddof=1)
    reported = np.mean([r.stderr for r in runs], axis=0)
    # The ratio of the sample sd over R = 200 runs to the mean reported se is 1 within N_SE
    # of its standard error: relative sd of a sample sd sqrt((2 + excess kurtosis) /
    # (4 (R - 1))) (about 0.05; excess kurtosis of a mean of 2000 terms <= 0.18 here), and
    # of the mean of R reported ses sd(se) / (mean(se) sqrt(R)) (about 0.015). A fixed
    # rtol = 0.15 was only 3 such SEs.
    est = np.array([r.matrix for r in runs])
    R = len(runs)
    kurt = stats.kurtosis(est, axis=0)  # excess
    ses = np.array([r.stderr for r in runs])
    rel_se = np.sqrt((2 + kurt) / (4 * (R - 1))
                     + (ses.std(axis=0, ddof=1) / ses.mean(axis=0)) ** 2 / R)
    assert np.all(np.abs(spread / reported - 1) <= N_SE * rel_se), (spread / reported, rel_se)


def test_monte_carlo_is_reproducible_for_a_seed():
    a = fs.fisher(Normal(), [0.0, 1.0], method="monte_carlo", n_samples=1000, rng=5)
    b = fs.fisher(Normal(), [0.0, 1.0], method="monte_carlo", n_samples=1000,
                  rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.matrix, b.matrix)


def test_estimator_arguments_are_checked():
    with pytest.raises(ValueError, match="method"):
        fs.fisher(Normal(), [0.0, 1.0], method="exact")
    with pytest.raises(ValueError, match="estimator"):
        fs.fisher(Normal(), [0.0, 1.0], estimator="opg")
    with pytest.raises(ValueError, match="n_samples"):
        fs.fisher(Normal(), [0.0, 1.0], method="monte_carlo", n_samples=1)
    with pytest.raises(TypeError, match="covariates"):
        fs.fisher(Normal(), [0.0, 1.0], x=np.ones(3))


def test_empirical_and_observed_information_converge_to_expected():
    m, theta = Normal(), np.array([2.0, 0.5])
    y = m.sample(theta, 400_000, rng=2)
    exact = m.fisher(theta)
    # Both are means of n i.i.d. per-observation matrices, so each entry is within N_SE
    # standard errors sd(term) / sqrt(n) (the convention; a fixed rtol = 0.02, atol = 0.01
    # was only 1.4 SE for the off-diagonal entry of the empirical Fisher, whose terms
    # r (r^2 - s2) / (2 s2^3) have sd sqrt(10 / (4 s2^3)) = 4.5: SE 0.0071). Empirical: the
    # terms s s^T; observed: minus the per-observation Hessian of the normal, entries
    # 1/s2, r/s2^2 and r^2/s2^3 - 1/(2 s2^2), r = y - mu.
    n, (mu, s2) = y.size, theta
    sc = m.score(theta, y)
    r = y - mu
    terms = {
        "empirical": sc[:, :, None] * sc[:, None, :],
        "observed": np.stack([np.stack([np.full(n, 1 / s2), r / s2**2], -1),
                              np.stack([r / s2**2, r * r / s2**3 - 0.5 / s2**2], -1)], -2),
    }
    for kind, est in (("empirical", fs.empirical_fisher(m, theta, y)),
                      ("observed", fs.observed_information(m, theta, y))):
        # the terms are the right ones: two sums of n terms in any order differ by at most
        # 2 gamma_n sum|terms| (Higham 2002, eq. 3.5)
        mean_abs = np.abs(terms[kind]).mean(axis=0)
        assert np.all(np.abs(est.matrix - terms[kind].mean(axis=0))
                      <= 2.01 * n * np.finfo(float).eps * mean_abs), kind
        se = terms[kind].std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(est.matrix - exact) <= N_SE * se + 1e-12), kind


def test_observed_information_at_the_mle_is_closed_form_for_normal():
    """At the MLE, -H/n = diag(1/s2, 1/(2 s2^2)) exactly (the cross term vanishes)."""
    m = Normal()
    y = m.sample([1.0, 2.0], 37, rng=8)
    th = m.fit(y)
    np.testing.assert_allclose(
        fs.observed_information(m, th, y).matrix, np.diag([1 / th[1], 0.5 / th[1] ** 2]),
        atol=1e-12)


def test_sandwich_equals_inverse_information_for_a_correct_model_and_is_robust_otherwise():
    m = Normal()
    y = m.sample([0.0, 1.0], 200_000, rng=4)
    V = fs.sandwich_covariance(m, m.fit(y), y) * y.size
    # n V is, up to O(1/n), the sample mean of r^2 (for mu) and of (r^2 - s2)^2 (for s2),
    # r = y - mean: Monte Carlo SEs sqrt(Var/n) from the moments E r^2k of the law,
    # Var r^2 = m4 - m2^2 and Var (r^2 - m2)^2 = E(r^2 - m2)^4 - (m4 - m2^2)^2

    def se_of_sandwich(m2, m4, m6, m8, n):
        c4 = m8 - 4 * m2 * m6 + 6 * m2**2 * m4 - 3 * m2**4  # E (r^2 - m2)^4
        return np.sqrt(np.array([m4 - m2**2, c4 - (m4 - m2**2) ** 2]) / n)

    se = se_of_sandwich(1.0, 3.0, 15.0, 105.0, y.size)  # N(0, 1): 0.0032, 0.017
    assert np.all(np.abs(np.diag(V) - [1.0, 2.0]) <= N_SE * se)
    # misspecified: t_10 data fitted by a normal. Var(xbar) is still sigma2 = 10/8, but
    # Var(s2_hat) = mu4 - sigma^4 = (kurtosis 4) * 1.5625 - 1.5625 = 4.6875, not 2 sigma^4
    t = stats.t(10).rvs(400_000, random_state=5)
    V = fs.sandwich_covariance(m, m.fit(t), t) * t.size
    nu = 10  # E t^2k = nu^k G(k + 1/2) G(nu/2 - k) / (G(1/2) G(nu/2)), finite for 2k < nu
    mom = [nu**k * np.exp(special.gammaln(k + 0.5) + special.gammaln(nu / 2 - k)
                          - special.gammaln(0.5) - special.gammaln(nu / 2)) for k in (1, 2, 3, 4)]
    se = se_of_sandwich(*mom, t.size)  # 0.0034, 0.077 (the 8th moment: heavy tails)
    assert abs(V[0, 0] - 1.25) <= N_SE * se[0]
    assert abs(V[1, 1] - 4.6875) <= N_SE * se[1]


def test_from_logpdf_reproduces_builtin_information_to_1e_6():
    custom = fs.Model.from_logpdf(
        lambda th, x: stats.norm.logpdf(x, th[0], np.sqrt(th[1])),
        lambda th, n, rng: rng.normal(th[0], np.sqrt(th[1]), n),
        ["mu", "sigma2"], bounds=[(-np.inf, np.inf), (0, np.inf)],
    )
    theta = np.array([0.2, 1.7])
    y = Normal().sample(theta, 500, rng=1)
    np.testing.assert_allclose(custom.score(theta, y), Normal().score(theta, y),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fs.observed_information(custom, theta, y).matrix,
                               fs.observed_information(Normal(), theta, y).matrix, rtol=1e-6)
    mle = custom.fit(y, start=[0.0, 1.0])
    np.testing.assert_allclose(mle, Normal().fit(y), rtol=1e-6)
    # without a start, from the best point of the data-placed grid (issue 17): the same MLE
    np.testing.assert_allclose(custom.fit(y), Normal().fit(y), rtol=1e-6)


# ------------------------------------------------ variance reduction through model strata
@pytest.mark.parametrize("vr", ["stratified", "qmc"])
def test_fisher_drives_the_mixture_strata_and_equals_the_model_method(vr):
    m = fs.models.GaussianMixture(2, dim=2)
    theta = m.example_theta()
    a = fs.fisher(m, theta, method="monte_carlo", n_samples=4000, rng=5, variance_reduction=vr)
    b = m.fisher_monte_carlo(theta, 4000, rng=5, variance_reduction=vr)
    np.testing.assert_array_equal(a.matrix, b.matrix)
    np.testing.assert_array_equal(a.stderr, b.stderr)
    assert a.n_samples == b.n_samples and a.method == "monte_carlo"


def test_strata_partition_the_sample_space_of_the_mixture():
    # drawing stratum j with probability pi_j reproduces the mixture's moments
    m = fs.models.GaussianMixture(2)
    theta = np.array([0.3, -2.0, 2.0, 1.0, 0.25])
    s = m.strata(theta)
    np.testing.assert_allclose(s.probabilities.sum(), 1.0, rtol=0, atol=1e-15)
    z = np.random.default_rng(0).standard_normal((200_000, s.dim))
    means = [s.transform(j, z).mean() for j in range(2)]
    variances = [s.transform(j, z).var() for j in range(2)]
    np.testing.assert_allclose(means, [-2.0, 2.0], atol=N_SE * np.sqrt(1.0 / 200_000))
    np.testing.assert_allclose(variances, [1.0, 0.25], rtol=N_SE * np.sqrt(2.0 / 200_000))


def test_a_variance_reduction_needs_strata():
    assert Normal().strata([0.0, 1.0]) is None
    with pytest.raises(ValueError, match="variance_reduction"):
        fs.fisher(Normal(), [0.0, 1.0], method="monte_carlo", variance_reduction="stratified")
    with pytest.raises(ValueError, match="n_scrambles"):
        fs.fisher(fs.models.GaussianMixture(), [0.4, -1.5, 1.5, 1.0, 1.25], n_samples=64,
                  rng=0, variance_reduction="qmc", n_scrambles=1)


# ----------------------------------------- unidentified parameters (issue 17, point 2)
def test_standard_errors_are_inf_exactly_for_unidentified_parameters():
    """Linear regression with collinear columns x2 = 2 x1 and a third column orthogonal to
    both: beta1 and beta2 are not identified (only beta1 + 2 beta2 is), so their SEs are
    inf; beta3 and sigma2 keep their closed-form bounds sigma / |x3| and sqrt(2) sigma2 /
    sqrt(n) (the pseudo-inverse is exact on the identified block: cond 1, agreement to
    rounding, 1e-12)."""
    x1 = np.array([1.0, -1.0, 1.0, -1.0, 2.0, -2.0])
    x3 = np.array([1.0, 1.0, -1.0, -1.0, 0.0, 0.0])  # orthogonal to x1
    X = np.column_stack([x1, 2 * x1, x3])
    s2 = 0.5
    info = fs.fisher(fs.models.LinearRegression(3), [1.0, 1.0, 1.0, s2], x=X)
    np.testing.assert_array_equal(info.unidentified, [True, True, False, False])
    with pytest.warns(SingularFisherWarning, match="rank 3 < 4"):
        se = info.standard_errors()
    assert se[0] == se[1] == np.inf
    np.testing.assert_allclose(se[2:], [np.sqrt(s2 / (x3 @ x3)), np.sqrt(2 / X.shape[0]) * s2],
                               rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFisherWarning)
        text = info.summary()
    assert "inf: not identified" in text and "beta_1, beta_2" in text
    # full rank: nothing is flagged and the SEs are those of the inverse
    full = fs.fisher(fs.models.LinearRegression(2), [1.0, 1.0, s2], x=X[:, [0, 2]])
    assert not full.unidentified.any()
    assert np.all(np.isfinite(full.standard_errors()))


def test_a_zero_row_is_unidentified_and_the_rest_keeps_its_bound():
    info = FisherInfo(np.diag([4.0, 0.0]), ("a", "b"))
    with pytest.warns(SingularFisherWarning):
        np.testing.assert_array_equal(info.standard_errors(), [0.5, np.inf])


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10**6))
def test_unidentified_is_invariant_under_the_null_space_basis(p, seed):
    """A rank-deficient block A A^T (A of shape (p, p - 1), a generic null direction)
    beside an identified parameter: every parameter the null direction touches is flagged,
    the orthogonal one (block diagonal) is not, whatever the eigenvector basis."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((p, p - 1))
    M = np.zeros((p + 1, p + 1))
    M[:p, :p] = A @ A.T  # rank p - 1 on the first p parameters: a generic null direction
    M[p, p] = 3.0  # an orthogonal, identified parameter
    info = FisherInfo(M, [f"t{j}" for j in range(p + 1)])
    flags = info.unidentified
    # the null direction of A A^T is generic: it touches every one of the first p
    # parameters (its entries are nonzero with probability 1; at least 1e-3 here or skip)
    w, V = np.linalg.eigh(A @ A.T)
    if np.min(np.abs(V[:, 0])) > 1e-3:
        assert flags[:p].all()
    assert not flags[p]
