"""ARMAX (regression with Gaussian ARMA errors): exact log-likelihood against statsmodels'
SARIMAX(exog=..., trend="n") (stationary initialisation, i.e. the exact Gaussian
likelihood), the information of the regression coefficients against finite differences of
the exact log-likelihood, a dense N(X beta, G) computation and the white-noise closed form
X'X / sigma2, and the exact MLE against SARIMAX's fit."""

import warnings

import numpy as np
import pytest
from scipy import linalg

from fisherstat.models import ARMA, ARMAX
from fisherstat.models.armax import ARMAX as ARMAX_module

ORDERS = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1)]
N = 200


def design(n, rng):
    """Intercept, a Gaussian regressor and a slow sinusoid (a trend-like column)."""
    return np.column_stack([np.ones(n), rng.standard_normal(n), np.sin(np.arange(n) / 5)])


def params(p, q):
    arma = ARMA(p, q)._example_theta()
    return np.concatenate([[1.0, -0.5, 2.0], arma[:-1], [1.3]])


def sarimax(y, X, p, q):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    mod = SARIMAX(y, exog=X, order=(p, 0, q), trend="n")
    assert mod.initialization.initialization_type == "stationary"  # exact, not diffuse
    return mod


def dense_G(p, q, t, n):
    """Cov(u) from statsmodels' arma_acovf (independent of fisherstat's filters)."""
    from statsmodels.tsa.arima_process import arma_acovf

    ar = np.concatenate([[1.0], -t[:p]])
    ma = np.concatenate([[1.0], t[p:p + q]])
    g = arma_acovf(ar, ma, n, sigma2=t[-1])
    return linalg.toeplitz(g)


def test_export_names_and_order_follow_statsmodels():
    assert ARMAX is ARMAX_module
    m = ARMAX(2, 1, k=2, exog_names=["const", "x1"])
    assert m.param_names == ("const", "x1", "phi1", "phi2", "theta1", "sigma2")
    assert ARMAX(0, 1, k=2).param_names == ("beta1", "beta2", "theta1", "sigma2")
    X = design(N, np.random.default_rng(0))
    mod = sarimax(np.zeros(N), X, 2, 1)
    assert len(mod.param_names) == ARMAX(2, 1, k=3).n_params  # exog, ar, ma, sigma2


@pytest.mark.parametrize("p, q", ORDERS)
def test_loglik_equals_statsmodels_sarimax_exact_likelihood(p, q):
    rng = np.random.default_rng(p + 10 * q)
    X = design(N, rng)
    m = ARMAX(p, q, k=3)
    th = params(p, q)
    y = m.sample(th, x=X, rng=rng)
    ll = m.loglik(th, y, x=X).sum()
    ll_sm = sarimax(y, X, p, q).loglike(th)
    # the same exact Gaussian likelihood computed by two O(n) recursions (Kalman filter vs
    # innovations): both are backward stable, rounding ~ n * eps * |terms| ~ 200 * 2e-16 *
    # O(1) per term, far below 1e-8 relative of |ll| ~ 300 (the acceptance figure)
    assert abs(ll - ll_sm) <= 1e-8 * abs(ll_sm)


@pytest.mark.parametrize("p, q", ORDERS)
def test_beta_information_equals_finite_differences_and_dense_gls(p, q):
    rng = np.random.default_rng(1 + p + 10 * q)
    X = design(N, rng)
    m = ARMAX(p, q, k=3)
    th = params(p, q)
    y = m.sample(th, x=X, rng=rng)
    info = m.fisher(th, x=X)
    Ibb = info[:3, :3]
    # (a) the log-likelihood is exactly quadratic in beta, so the central second difference
    # with step h = 1 is exact up to rounding: error ~ eps |ll| / h^2 ~ 2e-16 * 1e4 (|ll|
    # grows to ~1e4 at beta +- 1) = 2e-12, against entries ~ 1e2: 1e-9 relative suffices
    def ll(b):
        return m.loglik(np.concatenate([b, th[3:]]), y, x=X).sum()

    h, b0, fd = 1.0, th[:3], np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            ei, ej = h * np.eye(3)[i], h * np.eye(3)[j]
            fd[i, j] = -(ll(b0 + ei + ej) - ll(b0 + ei - ej) - ll(b0 - ei + ej)
                         + ll(b0 - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(Ibb, fd, rtol=1e-9, atol=1e-9 * np.abs(Ibb).max())
    # (b) X' G^-1 X with G dense from statsmodels' autocovariances: G is well conditioned
    # here (roots of modulus >= 1/0.6, cond(G) < 1e2), so the dense solve is accurate to
    # ~cond * eps ~ 1e-14; 1e-10 relative leaves ample room
    G = dense_G(p, q, th[3:], N)
    np.testing.assert_allclose(Ibb, X.T @ np.linalg.solve(G, X), rtol=1e-10,
                               atol=1e-10 * np.abs(Ibb).max())
    # the ARMA block is ARMA's exact information of N observations; beta is orthogonal
    np.testing.assert_array_equal(info[3:, 3:], ARMA(p, q).fisher(th[3:], n=N))
    np.testing.assert_array_equal(info[:3, 3:], 0.0)


def test_white_noise_information_is_xtx_over_sigma2():
    X = design(N, np.random.default_rng(2))
    th = np.array([1.0, -0.5, 2.0, 1.7])
    info = ARMAX(0, 0, k=3).fisher(th, x=X)
    # innovations of white noise are the columns themselves and v_t = sigma2: identical
    # arithmetic up to summation order, ~ N eps relative
    np.testing.assert_allclose(info[:3, :3], X.T @ X / 1.7, rtol=1e-12)
    assert info[3, 3] == pytest.approx(N / (2 * 1.7**2), rel=1e-14)


@pytest.mark.parametrize("p, q", [(0, 0), (1, 1), (2, 1)])
def test_score_equals_finite_differences_of_loglik(p, q):
    rng = np.random.default_rng(3)
    X = design(80, rng)
    m = ARMAX(p, q, k=3)
    th = params(p, q)
    y = m.sample(th, x=X, rng=rng)
    S = m.score(th, y, x=X).sum(axis=0)
    # central differences, step h = 1e-5: truncation O(h^2 |ll'''|) ~ 1e-10 * 1e2 and
    # rounding eps |ll| / h ~ 2e-16 * 1e2 / 1e-5 = 2e-9; |S| ~ 10: 1e-6 absolute is safe
    fd = np.empty(th.size)
    for i in range(th.size):
        e = 1e-5 * np.eye(th.size)[i]
        fd[i] = (m.loglik(th + e, y, x=X).sum() - m.loglik(th - e, y, x=X).sum()) / 2e-5
    np.testing.assert_allclose(S, fd, atol=1e-6)


@pytest.mark.parametrize("p, q", [(0, 0), (1, 0), (2, 1)])
def test_fit_matches_statsmodels_sarimax(p, q):
    rng = np.random.default_rng(4 + p)
    X = design(300, rng)
    m = ARMAX(p, q, k=3)
    th = params(p, q)
    y = m.sample(th, x=X, rng=rng)
    est = m.fit(y, x=X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sarimax(y, X, p, q).fit(disp=0, maxiter=2000)
    ll, ll_sm = m.loglik(est, y, x=X).sum(), res.llf
    # fisherstat's is the exact profile MLE (BFGS, gtol 1e-10 on the mean log-likelihood):
    # it is not below statsmodels' optimum (which stops at its own tolerance) beyond rounding
    assert ll >= ll_sm - 1e-9 * abs(ll_sm)
    # the two optima agree well within a hundredth of a standard error: a log-likelihood
    # gap delta moves the estimate by ~sqrt(2 delta) standard errors; statsmodels' llf is
    # within ~1e-6 of the maximum, so ~1.5e-3 SE; 1e-2 SE leaves room
    se = np.sqrt(np.diag(np.linalg.inv(m.fisher(est, x=X))))
    assert np.all(np.abs(est - res.params) < 1e-2 * se)
    # given the ARMA parameters, beta-hat is the GLS estimate (X'G^-1X)^-1 X'G^-1 y
    G = dense_G(p, q, est[3:], X.shape[0])
    gls = np.linalg.solve(X.T @ np.linalg.solve(G, X), X.T @ np.linalg.solve(G, y))
    np.testing.assert_allclose(est[:3], gls, rtol=1e-8, atol=1e-8)


def test_bad_input_is_refused_with_a_clear_message():
    m = ARMAX(1, 0, k=2)
    th = [1.0, 0.0, 0.5, 1.0]
    y = np.arange(5.0)
    with pytest.raises(TypeError, match="needs the regressors x"):
        m.loglik(th, y)
    with pytest.raises(ValueError, match=r"x must have shape \(n, k\) = \(5, 2\)"):
        m.loglik(th, y, x=np.ones((5, 3)))
    with pytest.raises(ValueError, match="not stationary"):
        m.validate([1.0, 0.0, 1.2, 1.0])
    with pytest.raises(ValueError, match="exog_names"):
        ARMAX(1, 0, k=1, exog_names=["phi1"])
    with pytest.raises(ValueError, match="k"):
        ARMAX(1, 0, k=0)


def test_batch_hooks_take_the_regressors():
    rng = np.random.default_rng(5)
    X = design(60, rng)
    m = ARMAX(1, 1, k=3)
    th = params(1, 1)
    D = np.stack([m.sample(th, x=X, rng=r) for r in (6, 7)])
    est = m.fit_batch(D, x=X)
    # the same deterministic optimiser on the same data: identical up to rounding
    np.testing.assert_allclose(est[1], m.fit(D[1], x=X), rtol=1e-12, atol=1e-12)
    E, A, B = m.information_batch(np.stack([th, th]), D, x=X)
    np.testing.assert_array_equal(E[0], m.fisher(th, x=X))
    S = m.score(th, D[1], x=X)
    np.testing.assert_allclose(B[1], S.T @ S, rtol=1e-14)
