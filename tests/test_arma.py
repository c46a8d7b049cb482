"""ARMA(p, q): exact likelihood, score, asymptotic and exact finite-sample information.

The registry-driven contract tests assume iid observations, so the same identities are
checked here for a time series, with whole-series totals: the score of a series has mean
zero and E[S S^T] = -E[H] = I_N (the exact information of N observations), within
N_SE Monte Carlo standard errors over replicated series. Independent references:
statsmodels (ARIMA log-likelihood, ``arma_acovf``, ``cov_params``), the dense Gaussian
density and dense trace formula, truncated psi-weight sums, and closed forms (AR(1),
MA(1), ARMA(1,1) of Box & Jenkins; the exact AR(1) finite-sample information).
"""

import warnings

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, signal, stats

import fisherstat as fs
from fisherstat import FisherInfo, FitError, _numdiff
from fisherstat.models.arma import ARMA

SEEDS = st.integers(0, 2**32 - 1)
ORDERS = [(1, 0, False), (0, 1, True), (1, 1, False), (2, 1, True), (1, 2, False),
          (2, 2, True), (3, 0, True), (0, 3, False), (0, 0, True)]


def statsmodels_arima(y, model):
    from statsmodels.tsa.arima.model import ARIMA

    return ARIMA(y, order=(model.p, 0, model.q), trend="c" if model.mean else "n")


def acovf_sm(model, theta, n):
    """Autocovariances from statsmodels' arma_acovf (complex-safe) at ``theta``."""
    from statsmodels.tsa.arima_process import arma_acovf

    i0, p, q = int(model.mean), model.p, model.q
    ar = np.concatenate([[1.0], -theta[i0 : i0 + p]])
    ma = np.concatenate([[1.0], theta[i0 + p : i0 + p + q]])
    return arma_acovf(ar, ma, n, sigma2=theta[-1])


def dense_information(model, theta, N):
    """I_N = 1/2 tr(G^-1 dG G^-1 dG) (+ 1' G^-1 1 for mu), dense, with dG by complex step
    through statsmodels' arma_acovf (an implementation independent of fisherstat's)."""
    theta = np.asarray(theta, float)
    k = model.n_params
    i0 = int(model.mean)

    def G(t):
        g = acovf_sm(model, t, N)
        return linalg.toeplitz(g, g)  # (c, c): no conjugation of complex entries

    Gi = np.linalg.inv(G(theta))
    dG = []
    for a in range(k):
        if model.mean and a == 0:
            dG.append(None)
            continue
        t = theta.astype(complex)
        t[a] += 1e-30j
        dG.append(G(t).imag / 1e-30)
    out = np.zeros((k, k))
    for a in range(i0, k):
        for b in range(i0, k):
            out[a, b] = 0.5 * np.trace(Gi @ dG[a] @ Gi @ dG[b])
    if model.mean:
        one = np.ones(N)
        out[0, 0] = one @ Gi @ one
    return out


def psi_sum_information(phi, theta, tol=1e-20):
    """Asymptotic (phi, theta) information as truncated sums of psi weights (definition:
    Cov of U_{t-i} = (e / phi(B))_{t-i} and V_{t-j} = (e / theta(B))_{t-j})."""
    ar, ma = np.r_[1.0, -np.asarray(phi)], np.r_[1.0, np.asarray(theta)]
    rho = max([np.max(np.abs(np.roots(c))) for c in (ar, ma) if c.size > 1])
    K = int(np.log(tol) / np.log(rho)) + 50  # |psi_K|^2 ~ rho^(2K) < 1e-40
    d = np.zeros(K)
    d[0] = 1.0
    u, v = signal.lfilter([1.0], ar, d), signal.lfilter([1.0], ma, d)
    rows = [np.r_[np.zeros(i), u[: K - i]] for i in range(1, len(phi) + 1)]
    rows += [np.r_[np.zeros(j), v[: K - j]] for j in range(1, len(theta) + 1)]
    X = np.array(rows)
    return X @ X.T


def assert_within_se(mean, se, target, what):
    bad = np.abs(mean - target) > N_SE * se + 1e-12 * np.max(np.abs(target))
    assert not bad.any(), f"{what}: z = {(mean - target) / np.maximum(se, 1e-300)}"


# ----------------------------------------------------------------------- parameters
def test_parameter_names_follow_statsmodels_order():
    assert ARMA(2, 1).param_names == ("phi1", "phi2", "theta1", "sigma2")
    assert ARMA(1, 1, mean=True).param_names == ("mu", "phi1", "theta1", "sigma2")
    assert ARMA(0, 0).param_names == ("sigma2",)
    y = ARMA(1, 1, mean=True).sample([0.0, 0.5, 0.3, 1.0], 50, rng=0)
    res = statsmodels_arima(y, ARMA(1, 1, mean=True))
    assert res.param_names == ["const", "ar.L1", "ma.L1", "sigma2"]


@given(seed=SEEDS)
@settings(max_examples=20)
def test_random_theta_is_stationary_and_invertible(seed):
    for p, q, mean in ORDERS:
        m = ARMA(p, q, mean)
        theta = m.random_theta(seed)
        ar, ma = m.roots(theta)
        assert np.all(np.abs(ar) > 1) and np.all(np.abs(ma) > 1)


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize("theta, match", [
    ([1.02, 1.0], "AR polynomial .* root of modulus 0.9804 <= 1"),
    ([-1.0, 1.0], "AR polynomial .* root of modulus 1 <= 1"),
    ([np.nan, 1.0], "theta must be finite"),
    ([0.5, 0.0], "sigma2 must be > 0"),
    ([0.5, -1.0], "sigma2 must be > 0"),
    ([0.5], "theta must have length 2"),
    ([0.5, 1.0, 1.0], "theta must have length 2"),
])
def test_validate_rejects_bad_ar1_parameters(theta, match):
    with pytest.raises(ValueError, match=match):
        ARMA(1, 0).validate(theta)


def test_validate_rejects_noninvertible_ma_and_names_the_root_modulus():
    with pytest.raises(ValueError, match="MA polynomial .* root of modulus 0.8 <= 1"):
        ARMA(0, 1).validate([1.25, 1.0])
    # AR(2) with a complex pair of modulus 1/sqrt(1.1) inside the circle
    with pytest.raises(ValueError, match=r"AR polynomial .* modulus 0.9535 <= 1"):
        ARMA(2, 0).validate([1.0, -1.1, 1.0])
    ARMA(2, 0).validate([1.0, -0.9, 1.0])  # modulus 1.054 > 1: fine


def test_constructor_and_data_errors():
    with pytest.raises(ValueError, match="p must be an integer >= 0"):
        ARMA(-1, 0)
    with pytest.raises(ValueError, match="q must be an integer >= 0"):
        ARMA(0, -2)
    with pytest.raises(TypeError, match="p must be an integer"):
        ARMA(1.5, 0)
    with pytest.raises(TypeError, match="mean must be True or False"):
        ARMA(1, 0, mean="yes")
    m = ARMA(1, 0)
    with pytest.raises(ValueError, match=r"data must be ONE series of shape \(n,\)"):
        m.loglik([0.5, 1.0], np.zeros((10, 2)))
    with pytest.raises(ValueError, match="data must be finite"):
        m.loglik([0.5, 1.0], [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="data must not be empty"):
        m.loglik([0.5, 1.0], [])
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        m.fisher([0.5, 1.0], n=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        m.sample([0.5, 1.0], 0)
    with pytest.raises(ValueError, match="reps must be an integer >= 1"):
        m.sample_paths([0.5, 1.0], 10, reps=0)
    with pytest.raises(FitError, match="at least 3 observations"):
        m.fit([0.1, 0.2])
    with pytest.raises(FitError, match="all observations are equal"):
        m.fit(np.ones(50))


# ------------------------------------------------------------------- likelihood
@pytest.mark.parametrize("p, q, mean", ORDERS)
def test_loglik_terms_match_statsmodels_kalman_filter(p, q, mean):
    m = ARMA(p, q, mean)
    theta = m.random_theta(p + 10 * q + 100 * mean)
    y = m.sample(theta, 300, rng=1)
    ll = m.loglik(theta, y)
    mod = statsmodels_arima(y, m)
    np.testing.assert_allclose(ll, mod.loglikeobs(theta), rtol=0, atol=1e-6)
    assert abs(ll.sum() - mod.loglike(theta)) < 1e-6


@pytest.mark.parametrize("p, q, mean", ORDERS)
def test_loglik_equals_dense_gaussian_density(p, q, mean):
    m = ARMA(p, q, mean)
    theta = m.random_theta(7 + p + q)
    y = m.sample(theta, 120, rng=2)
    g = acovf_sm(m, theta, 120)
    mu = theta[0] if mean else 0.0
    dense = stats.multivariate_normal(np.full(120, mu), linalg.toeplitz(g)).logpdf(y)
    assert abs(m.loglik(theta, y).sum() - dense) < 1e-9 * abs(dense)


def test_innovations_of_ar1_are_the_textbook_ones():
    # AR(1): e_1 = y_1 with variance sigma2 / (1 - phi^2), then e_t = y_t - phi y_{t-1}
    y = np.array([0.3, -1.2, 2.0, 0.7])
    e, v = ARMA(1, 0).innovations([0.6, 2.0], y)
    np.testing.assert_allclose(e, np.r_[y[0], y[1:] - 0.6 * y[:-1]], rtol=1e-14)
    np.testing.assert_allclose(v, [2.0 / 0.64, 2.0, 2.0, 2.0], rtol=1e-14)


def test_white_noise_is_the_normal_model():
    m = ARMA(0, 0, mean=True)
    y = np.array([0.1, 2.0, -1.0])
    np.testing.assert_allclose(m.loglik([0.5, 2.0], y),
                               fs.models.Normal().loglik([0.5, 2.0], y), rtol=1e-14)
    np.testing.assert_allclose(m.fisher([0.5, 2.0]), fs.models.Normal().fisher([0.5, 2.0]))


# --------------------------------------------------------------------------- score
@pytest.mark.parametrize("p, q, mean", ORDERS)
@given(seed=SEEDS)
@settings(max_examples=3)
def test_score_matches_finite_differences(p, q, mean, seed):
    m = ARMA(p, q, mean)
    theta = m.random_theta(seed)
    y = m.sample(theta, 80, rng=seed)
    s = m.score(theta, y)
    fd = _numdiff.jacobian(lambda t: m.loglik(t, y), theta, m.lower, m.upper)
    scale = np.max(np.abs(fd), axis=0) + 1.0
    assert np.all(np.abs(s - fd) <= 1e-6 * scale), np.max(np.abs(s - fd) / scale)


def test_whole_series_score_mean_zero_and_outer_product_equals_exact_information():
    m = ARMA(1, 1, mean=True)
    theta = np.array([0.5, 0.6, 0.3, 1.5])
    N, R = 100, 600
    Y = m.sample_paths(theta, N, R, rng=11)
    S = np.array([m.score(theta, y).sum(axis=0) for y in Y])  # whole-series scores
    se = S.std(axis=0, ddof=1) / np.sqrt(R)
    assert_within_se(S.mean(axis=0), se, np.zeros(4), "E[S]")
    T = S[:, :, None] * S[:, None, :]
    I_N = m.fisher(theta, n=N)
    assert_within_se(T.mean(axis=0), T.std(axis=0, ddof=1) / np.sqrt(R), I_N, "E[S S^T]")


def test_minus_expected_hessian_equals_exact_information():
    m = ARMA(1, 1)
    theta = np.array([0.5, 0.3, 1.0])
    N, R = 150, 80
    Y = m.sample_paths(theta, N, R, rng=12)
    H = -np.array([m.hessian(theta, y) for y in Y])
    I_N = m.fisher(theta, n=N)
    assert_within_se(H.mean(axis=0), H.std(axis=0, ddof=1) / np.sqrt(R), I_N, "-E[H]")


# ------------------------------------------------------------ asymptotic information
@given(phi=st.floats(-0.99, 0.99), th=st.floats(-0.99, 0.99), s2=st.floats(0.1, 10.0))
@settings(max_examples=30)
def test_information_closed_forms_ar1_ma1_arma11(phi, th, s2):
    np.testing.assert_allclose(ARMA(1, 0).fisher([phi, s2]),
                               np.diag([1 / (1 - phi**2), 0.5 / s2**2]), rtol=1e-12)
    np.testing.assert_allclose(ARMA(0, 1).fisher([th, s2]),
                               np.diag([1 / (1 - th**2), 0.5 / s2**2]), rtol=1e-12)
    info = ARMA(1, 1).fisher([phi, th, s2])
    # Box, Jenkins, Reinsel & Ljung (2015), ch. 7, with the MA sign of statsmodels
    want = np.array([[1 / (1 - phi**2), 1 / (1 + phi * th)],
                     [1 / (1 + phi * th), 1 / (1 - th**2)]])
    np.testing.assert_allclose(info[:2, :2], want, rtol=1e-12)
    assert info[2, 2] == 0.5 / s2**2 and info[0, 2] == info[1, 2] == 0.0
    if abs(phi + th) > 0.05:  # away from the common-root line phi = -theta
        # Box-Jenkins asymptotic variance: Var(phi_hat) ~ (1-phi^2)(1+phi th)^2/(phi+th)^2
        V = np.linalg.inv(info[:2, :2])
        assert np.isclose(V[0, 0], (1 - phi**2) * (1 + phi * th) ** 2 / (phi + th) ** 2,
                          rtol=1e-8)


@given(phi=st.floats(-0.95, 0.95), th=st.floats(-0.95, 0.95), s2=st.floats(0.1, 10.0))
@settings(max_examples=20)
def test_mean_information_is_inverse_long_run_variance(phi, th, s2):
    info = ARMA(1, 1, mean=True).fisher([3.0, phi, th, s2])
    assert np.isclose(info[0, 0], (1 - phi) ** 2 / (s2 * (1 + th) ** 2), rtol=1e-13)
    assert np.all(info[0, 1:] == 0)


def _with_roots(moduli, phases):
    """Real polynomial coefficients (c_1..c_d of z^d + c_1 z^{d-1} + ...) from inverse roots
    ``r e^{+-i a}`` (conjugate pairs)."""
    lam = [r * np.exp(s * 1j * a) for r, a in zip(moduli, phases, strict=True) for s in (1, -1)]
    return np.real(np.poly(lam))[1:]


@pytest.mark.parametrize("p, q", [(12, 8), (10, 10), (20, 0), (0, 20), (5, 15)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_information_accurate_to_1e12_for_p_plus_q_20(p, q, seed):
    m = ARMA(p, q)
    theta = m.random_theta(seed)
    ref = psi_sum_information(theta[:p], theta[p : p + q])
    info = m.fisher(theta)[: p + q, : p + q]
    assert np.max(np.abs(info - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("rho", [0.99, 0.999])
def test_information_accurate_to_1e12_near_unit_and_common_roots(rho):
    # ARMA(10, 10): AR and MA inverse roots at modulus rho, 0.9, 0.8, 0.7, 0.6 with nearly
    # equal phases (near-common roots: the information is badly conditioned, not inaccurate)
    mod = [rho, 0.9, 0.8, 0.7, 0.6]
    phi = -_with_roots(mod, [0.3, 1.0, 1.7, 2.4, 3.0])
    th = _with_roots(mod, [0.31, 1.02, 1.7 + 1e-3, 2.5, 2.9])
    m = ARMA(10, 10)
    theta = np.r_[phi, th, 1.0]
    ref = psi_sum_information(phi, th)
    info = m.fisher(theta)[:20, :20]
    assert np.max(np.abs(info - ref)) <= 1e-12 * np.max(np.abs(ref))
    assert np.linalg.cond(ref) > 1e6


@pytest.mark.parametrize("p, q, mean", ORDERS)
@given(seed=SEEDS)
@settings(max_examples=5)
def test_information_is_symmetric_positive_definite(p, q, mean, seed):
    m = ARMA(p, q, mean)
    theta = m.random_theta(seed)
    for info in (m.fisher(theta), m.fisher(theta, n=40)):
        np.testing.assert_array_equal(info, info.T)
        assert np.linalg.eigvalsh(info)[0] > 0


# -------------------------------------------------------- exact finite-sample information
@pytest.mark.parametrize("p, q, mean", ORDERS)
@pytest.mark.parametrize("N", [1, 2, 5, 40])
def test_exact_information_matches_dense_trace_formula(p, q, mean, N):
    m = ARMA(p, q, mean)
    theta = m.random_theta(N + 3 * p + 5 * q)
    ours, dense = m.fisher(theta, n=N), dense_information(m, theta, N)
    assert np.max(np.abs(ours - dense)) <= 1e-10 * np.max(np.abs(dense))


@given(phi=st.floats(-0.95, 0.95), s2=st.floats(0.2, 5.0), N=st.integers(2, 3000))
@settings(max_examples=25)
def test_exact_ar1_information_closed_form(phi, s2, N):
    # from the exact AR(1) likelihood: log p = -1/2 log(s2/(1-phi^2)) - (1-phi^2) y_1^2/(2 s2)
    #   - sum_{t>=2} (y_t - phi y_{t-1})^2 / (2 s2) (+ the mean: y - mu)
    info = ARMA(1, 0, mean=True).fisher([0.0, phi, s2], n=N)
    c = 1 - phi**2
    assert np.isclose(info[1, 1], N / c + (3 * phi**2 - 1) / c**2, rtol=1e-10)
    assert np.isclose(info[1, 2], phi / (s2 * c), rtol=1e-10, atol=1e-14)
    assert np.isclose(info[2, 2], N / (2 * s2**2), rtol=1e-13)
    assert np.isclose(info[0, 0], (c + (N - 1) * (1 - phi) ** 2) / s2, rtol=1e-10)
    assert info[0, 1] == info[0, 2] == 0


@pytest.mark.parametrize("p, q, mean", [(1, 1, True), (2, 2, False), (0, 2, True)])
def test_exact_information_is_n_times_asymptotic_plus_constant(p, q, mean):
    """I_N - N info converges to a constant matrix: the O(1) difference (edge effects)."""
    m = ARMA(p, q, mean)
    theta = m.example_theta()
    info = m.fisher(theta)
    D = {N: m.fisher(theta, n=N) - N * info for N in (1000, 2500, 5000)}
    scale = np.max(np.abs(info))
    assert np.max(np.abs(D[5000] - D[2500])) < 1e-8 * 5000 * scale  # converged constant
    assert np.max(np.abs(D[2500] - D[1000])) < 1e-8 * 5000 * scale
    assert np.max(np.abs(D[5000])) > 1e-3 * scale  # ... and visibly non-zero


def test_exact_information_at_a_common_root_is_singular():
    m = ARMA(1, 1)
    info = m.fisher([0.5, -0.5, 1.0], n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert FisherInfo(info, m.param_names).rank == 2


# -------------------------------------------------------------------- singularities
def test_common_roots_reported_and_information_loses_one_rank_per_common_root():
    m = ARMA(2, 2)
    # phi(z) = (1 - 0.5 z)(1 - 0.2 z), theta(z) = (1 - 0.5 z)(1 + 0.4 z): one common root 2
    theta = [0.7, -0.1, -0.1, -0.2, 1.0]
    sing = m.singularities(theta)
    common = [s for s in sing if s.name == "common AR/MA root"]
    assert len(common) == 2 and common[0].distance < 1e-12 and common[0].rank_drop == 1
    assert "AR root 2 and MA root 2" in common[0].description
    assert np.isclose(common[1].distance, abs(0.2 - (-0.4)))  # inverse roots 0.2, -0.4
    assert FisherInfo(m.fisher(theta), m.param_names).rank == 4
    # both roots common: phi(z) = theta(z) up to the sign convention -> rank 5 - 2
    theta2 = [0.2, 0.15, -0.2, -0.15, 1.0]
    assert [s.distance < 1e-12 for s in m.singularities(theta2)][:2] == [True, True]
    assert FisherInfo(m.fisher(theta2), m.param_names).rank == 3


def test_common_root_at_infinity_white_noise_fitted_as_arma11():
    m = ARMA(1, 1)
    s = m.singularities([0.0, 0.0, 1.0])
    assert s[0].name == "common AR/MA root" and s[0].distance == 0.0
    assert "AR root inf and MA root inf" in s[0].description
    np.testing.assert_allclose(m.fisher([0.0, 0.0, 1.0])[:2, :2], np.ones((2, 2)))


def test_unit_roots_approached_make_information_unbounded():
    m = ARMA(1, 1)
    for r in (0.9, 0.99, 0.999):
        sing = {s.name: s for s in m.singularities([r, 0.2, 1.0])}
        assert np.isclose(sing["AR unit root"].distance, 1 - r)
        assert sing["AR unit root"].rank_drop == 0
        assert np.isclose(m.fisher([r, 0.2, 1.0])[0, 0], 1 / (1 - r**2), rtol=1e-12)
    sing = {s.name: s for s in m.singularities([0.2, -0.95, 1.0])}
    assert np.isclose(sing["MA unit root"].distance, 0.05)


# ---------------------------------------------------------------------- sampling
def test_sample_is_stationary_from_the_first_observation():
    m = ARMA(2, 1, mean=True)
    theta = np.array([1.0, 0.5, -0.3, 0.4, 2.0])
    R = 40_000
    Y = m.sample_paths(theta, 3, R, rng=3)
    g = acovf_sm(m, theta, 3)
    Z = Y - 1.0
    for lag in range(3):
        prod = Z[:, 0] * Z[:, lag]
        assert abs(prod.mean() - g[lag]) < N_SE * prod.std() / np.sqrt(R)
    assert abs(Y[:, 0].mean() - 1.0) < N_SE * Y[:, 0].std() / np.sqrt(R)


# --------------------------------------------------------------------------- fit
@pytest.mark.parametrize("p, q, mean, n", [
    (1, 1, False, 400), (2, 1, True, 600),
    pytest.param(0, 2, True, 300, marks=pytest.mark.slow),
    pytest.param(2, 0, False, 300, marks=pytest.mark.slow),
])
def test_fit_attains_statsmodels_maximum(p, q, mean, n):
    m = ARMA(p, q, mean)
    theta0 = m.example_theta()
    y = m.sample(theta0, n, rng=4)
    est = m.fit(y)
    ll = m.loglik(est, y).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = statsmodels_arima(y, m)
        res = mod.fit()  # statsmodels' own optimum
        res_ours = mod.fit(start_params=est)  # statsmodels polishing ours
    assert ll >= res.llf - 1e-6
    assert abs(ll - res_ours.llf) < 1e-6
    assert abs(ll - mod.loglike(est)) < 1e-6
    assert np.max(np.abs(est - res.params)) < 1e-2


def test_fit_recovers_parameters_within_cramer_rao_standard_errors():
    m = ARMA(1, 1, mean=True)
    theta0 = np.array([2.0, 0.6, 0.3, 1.0])
    y = m.sample(theta0, 5000, rng=5)
    est = m.fit(y)
    se = FisherInfo(m.fisher(theta0), m.param_names).standard_errors(5000)
    assert np.all(np.abs(est - theta0) < N_SE * se)


# -------------------------------------------------- agreement with statsmodels' covariance
def _cov_params_check(n, seed, refit):
    m = ARMA(2, 1, mean=True)
    theta0 = np.array([0.5, 0.5, -0.3, 0.4, 1.0])
    y = m.sample(theta0, n, rng=seed)
    est = m.fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = statsmodels_arima(y, m)
        res = mod.fit(start_params=est) if refit else mod.smooth(est)
        cov = res.cov_params()  # statsmodels: numerical observed information ('approx')
    ours = m.fisher(np.asarray(res.params))
    theirs = np.linalg.inv(cov) / n
    d = np.sqrt(np.diag(ours))
    return np.max(np.abs(theirs - ours) / np.outer(d, d))


def test_information_matches_statsmodels_cov_params_n20000():
    assert _cov_params_check(20_000, 6, refit=False) < 0.05


@pytest.mark.slow
def test_information_matches_statsmodels_fitted_cov_params_n20000():
    assert _cov_params_check(20_000, 7, refit=True) < 0.05


def test_top_level_fisher_uses_the_asymptotic_information():
    m = ARMA(1, 1)
    info = fs.fisher(m, [0.5, 0.3, 1.0])
    assert info.method == "analytic"
    np.testing.assert_allclose(info.matrix, m.fisher([0.5, 0.3, 1.0]))


def test_hessian_matches_second_differences_and_stays_stationary_near_a_unit_root():
    m = ARMA(1, 1, mean=True)
    theta = np.array([0.3, 0.5, 0.3, 1.0])
    y = m.sample(theta, 200, rng=8)
    H = m.hessian(theta, y)
    H2 = _numdiff.hessian(lambda t: m.loglik(t, y).sum(), theta, m.lower, m.upper)[0]
    assert np.max(np.abs(H - H2)) <= 1e-6 * np.max(np.abs(H))
    assert not m.has_analytic_hessian and m.has_analytic_score
    # AR root at modulus 1/0.9999: difference steps must not leave the stationary region
    m1 = ARMA(1, 0)
    y1 = m1.sample([0.9999, 1.0], 200, rng=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(m1.hessian([0.9999, 1.0], y1)))
