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


# ------------------------------------------------ registered: fisherstat.fisher, fit, CLI
def test_fs_fisher_takes_the_regressors_and_reports_the_information_of_the_series():
    import fisherstat as fs

    m, rng = ARMAX(1, 1, k=3), np.random.default_rng(11)
    X, th = design(N, rng), params(1, 1)
    info = fs.fisher(m, th, x=X)
    # the exact information of the n = 200 observations: the model's own (symmetrised by
    # FisherInfo: last-bit differences only), n_obs = n
    np.testing.assert_allclose(info.matrix, m.fisher(th, x=X), rtol=1e-14, atol=1e-14)
    assert info.n_obs == N and info.param_names == m.param_names
    assert info.method == "analytic"
    with pytest.raises(TypeError, match="needs the regressors x"):
        fs.fisher(m, th)
    with pytest.raises(TypeError, match="weights"):
        fs.fisher(m, th, x=X, weights=np.ones(N))
    with pytest.raises(ValueError, match="analytic"):
        fs.fisher(m, th, x=X, method="monte_carlo")


def test_expected_standard_errors_of_a_fit_are_those_of_the_exact_information():
    import fisherstat as fs

    m, rng = ARMAX(1, 1, k=3), np.random.default_rng(12)
    X = design(N, rng)
    y = m.sample(params(1, 1), x=X, rng=13)
    r = fs.fit(m, y, x=X, cov_type="expected")
    expected = np.sqrt(np.diag(np.linalg.inv(m.fisher(r.params, x=X))))
    # the same 6 x 6 matrix inverted two ways (pinv_psd vs inv): cond ~ 1e3, so ~1e-13
    np.testing.assert_allclose(r.bse, expected, rtol=1e-10)
    assert r.info.n_obs == N


def test_hessian_of_the_regression_coefficients_is_minus_x_g_inverse_x_for_any_y():
    """d^2 l / d beta^2 = -X'G^-1X does not depend on y (Gaussian mean, known G)."""
    m, rng = ARMAX(2, 1, k=3), np.random.default_rng(14)
    n = 60
    X, th = design(n, rng), params(2, 1)
    G = dense_G(2, 1, th[3:], n)
    xgx = X.T @ np.linalg.solve(G, X)  # dense GLS, cond(G) ~ 10: ~1e-14 relative
    for seed in (15, 16):
        H = m.hessian(th, m.sample(th, x=X, rng=seed), x=X)
        np.testing.assert_allclose(-H[:3, :3], xgx, rtol=1e-11, atol=1e-13 * np.abs(xgx).max())


@pytest.mark.parametrize("p, q", [(0, 0), (1, 0), (1, 1), (2, 1)])
def test_information_of_a_mean_grows_by_the_spectral_density_at_frequency_zero(p, q):
    """The registry's "n times one" for a series with a regressor: for x = 1 (a mean),
    I_2N - I_N = N I_inf, with I_inf,mu = phi(1)^2 / (theta(1)^2 sigma2) = 1 / (2 pi f(0))
    (the spectral density at 0; Brockwell & Davis 1991, *Time Series: Theory and Methods*,
    section 7.1, Theorem 7.1.2) and the ARMA block ARMA's asymptotic information."""
    m = ARMAX(p, q, k=1)
    arma = ARMA(p, q)._example_theta()
    th = np.concatenate([[0.7], arma])
    _, phi, tht, s2 = ARMA(p, q)._split(arma)
    Nn = 200
    growth = m.fisher(th, x=np.ones(2 * Nn)) - m.fisher(th, x=np.ones(Nn))
    mean_inf = (1 - phi.sum()) ** 2 / ((1 + tht.sum()) ** 2 * s2)
    # the memory of the example processes decays geometrically (roots |z| <= 0.8): at
    # N = 200 the remainder is ~0.8^200 = 4e-20, far below rounding (1e-9 relative)
    np.testing.assert_allclose(growth[0, 0], Nn * mean_inf, rtol=1e-9)
    np.testing.assert_allclose(growth[1:, 1:], Nn * ARMA(p, q).fisher(arma), rtol=1e-9,
                               atol=1e-9 * Nn * np.abs(ARMA(p, q).fisher(arma)).max())
    assert np.all(growth[0, 1:] == 0)


def test_registered_with_the_kind_time_series_regression():
    from fisherstat.cli import main
    from fisherstat.models import REGISTRY

    entry = REGISTRY["ARMAX"]
    assert entry.kind == "time series regression" and entry.has_covariates
    model = entry.build(k=3)
    assert model.has_covariates and not model.is_regression
    x = entry.default_context(model)["x"]
    assert x.shape == (20, 3)
    np.testing.assert_allclose(x.T @ x, np.diag([20.0, 10.0, 10.0]), atol=1e-12)  # DCT-II
    assert main(["info", "ARMAX", "--option", "k=3"]) == 0
    assert main(["design", "ARMAX"]) != 0  # one dependent series: no approximate design


# ------------------------------------------------------------------ formulas, DataFrames
def _macro():
    import pandas as pd
    import statsmodels.api as sm

    md = sm.datasets.macrodata.load_pandas().data
    md.index = pd.period_range("1959Q1", periods=len(md), freq="Q").to_timestamp("Q")
    return md


def test_from_formula_names_the_regressors_and_matches_sarimax_on_macrodata():
    import fisherstat as fs

    md = _macro()
    m, d = ARMAX.from_formula("infl ~ unemp + tbilrate", md, p=1, q=1)
    assert m.param_names == ("Intercept", "unemp", "tbilrate", "phi1", "theta1", "sigma2")
    X = np.column_stack([np.ones(len(md)), md["unemp"], md["tbilrate"]])
    np.testing.assert_array_equal(d.x, X)
    np.testing.assert_array_equal(d.y, md["infl"].to_numpy())
    r = fs.fit(m, d)
    # the same fit as with the arrays: the same optimiser on the same numbers, which may
    # round differently (pandas gives a Fortran-ordered x), so equal to its tolerance
    # (gradient ~1e-8): params within 1e-5 SE, log-likelihoods to 1e-12 relative
    r_arrays = fs.fit(ARMAX(1, 1, k=3), d.y, x=X)
    assert np.all(np.abs(r.params - r_arrays.params) < 1e-5 * r.bse)
    assert abs(r.llf - r_arrays.llf) <= 1e-12 * abs(r.llf)
    # exact Gaussian likelihoods at the same point: rounding only (measured ~1e-16)
    llf_sm = sarimax(d.y, X, 1, 1).loglike(r.params)
    assert abs(r.llf - llf_sm) <= 1e-8 * abs(llf_sm)
    assert r.formula == "infl ~ unemp + tbilrate"
    text = r.summary()
    assert "Intercept" in text and "Sample:" in text and "1959-03-31 - 2009-09-30" in text


def test_from_formula_drops_leading_rows_only_when_asked_and_never_inner_ones():
    import fisherstat as fs

    md = _macro()
    md["unemp_lag"] = md["unemp"].shift(1)  # the first row is NaN
    with pytest.raises(ValueError, match="unemp_lag"):
        ARMAX.from_formula("infl ~ unemp_lag", md, p=1, q=0)
    m, d = ARMAX.from_formula("infl ~ unemp_lag", md, p=1, q=0, missing="drop")
    assert d.n_dropped == 1 and d.n_obs == len(md) - 1
    assert d.index[0] == md.index[1]
    X = np.column_stack([np.ones(len(md) - 1), md["unemp"].to_numpy()[:-1]])
    r = fs.fit(m, d)  # the fit of the series from its second quarter (as above: 1e-5 SE)
    est = ARMAX(1, 0, k=2).fit(md["infl"].to_numpy()[1:], x=X)
    assert np.all(np.abs(r.params - est) < 1e-5 * r.bse)
    assert r.n_dropped == 1
    md.iloc[100, md.columns.get_loc("tbilrate")] = np.nan
    with pytest.raises(ValueError, match="inside the series"):
        ARMAX.from_formula("infl ~ tbilrate", md, p=1, q=0, missing="drop")
    with pytest.raises(ValueError, match="nope"):
        ARMAX.from_formula("infl ~ nope", md, p=1, q=0)


def test_asymptotic_checks_refuse_a_series_with_regressors_with_a_clear_message():
    import fisherstat as fs
    from fisherstat.cli import main

    m = ARMAX(1, 0, k=2)
    with pytest.raises(TypeError, match="series with regressors"):
        fs.check_asymptotics(m, m.example_theta(), 100, 20, rng=0, x=m.example_x(100))
    assert main(["check", "ARMAX"]) != 0


@pytest.mark.parametrize("p, q", [(1, 0), (1, 1), (2, 1)])
def test_asymptotic_information_differs_from_the_exact_by_a_bounded_start_up_term(p, q):
    """I_exact(n) - I_asym(n) involves only the first rows (the pre-sample state's
    response decays geometrically), so for regressors fixed in t it is the same at n and
    2n; white noise: identical."""
    import fisherstat as fs

    m = ARMAX(p, q, k=2)
    th = params(p, q)[[0, 1] + list(range(3, 3 + p + q + 1))]
    Nn = 150

    def X(n):
        t = np.arange(n)
        return np.column_stack([np.ones(n), np.cos(2 * np.pi * t / 7)])

    def gap(n):
        return m.fisher(th, x=X(n)) - m.fisher(th, x=X(n), exact=False)

    # geometric decay (example roots |z| <= 0.8): after 150 rows ~1e-15, below rounding
    # of the O(n) entries (n * 1e-16 ~ 1e-13 relative of the information)
    scale = np.abs(m.fisher(th, x=X(2 * Nn))).max()
    np.testing.assert_allclose(gap(2 * Nn), gap(Nn), rtol=0, atol=1e-11 * scale)
    assert np.abs(gap(Nn)).max() > 1e-3  # a real start-up correction
    assert np.abs(gap(Nn)).max() < 1e-2 * scale  # which is O(1), not O(n)
    w = ARMAX(0, 0, k=2)
    tw = np.array([1.0, -0.5, 1.3])
    np.testing.assert_allclose(w.fisher(tw, x=X(20), exact=False), w.fisher(tw, x=X(20)),
                               rtol=1e-15)
    info = fs.fisher(m, th, x=X(Nn), exact=False)
    np.testing.assert_allclose(info.matrix, m.fisher(th, x=X(Nn), exact=False), rtol=1e-14)
    with pytest.raises(TypeError, match="exact"):
        m.fisher(th, x=X(Nn), exact="no")
