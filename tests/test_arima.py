"""ARIMA(p, d, q): ARMA(p, q) of the d-times differenced series, conditional on the first d.

References: statsmodels' ``SARIMAX(y, order=(p, d, q), simple_differencing=True)`` (the
same model: exact Gaussian likelihood of the differences), ARMA itself (``d = 0`` and the
differenced series), finite differences of statsmodels' log-likelihood, and the closed
form of the random walk. Real data: ``macrodata`` (log real GDP) and ``nile``, shipped by
statsmodels.
"""

import warnings

import numpy as np
import pytest

import fisherstat as fs
from fisherstat import FitError, _numdiff
from fisherstat.models import ARIMA, ARMA

#: (p, d, q, mean) up to (2, 2, 1)
ORDERS = [(1, 1, 0, False), (0, 1, 1, False), (1, 1, 1, False), (2, 1, 1, True),
          (1, 2, 1, False), (2, 2, 1, True), (0, 2, 0, True), (2, 0, 1, False)]
#: Both log-likelihoods are the same exact Gaussian density of the differences, computed
#: by different algorithms (innovations with a low-rank state here, a Kalman filter
#: there): they can differ only by rounding, ~n eps relative for a sum of n terms of
#: similar size (n <= 300: 7e-14). Measured: <= 2.4e-16. statsmodels' filter must run
#: without its steady-state shortcut (``ssm.tolerance = 0``): by default it freezes the
#: Kalman gain once the state covariance changes by < 1e-19, an approximation that moved
#: its log-likelihood by 3e-7 relative on log real GDP with ARIMA(2, 2, 1) (measured).
LL_RTOL = 1e-12


def sarimax(model, y):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    mod = SARIMAX(y, order=(model.p, model.d, model.q), simple_differencing=True,
                  trend="c" if model.mean else "n")
    mod.ssm.tolerance = 0.0  # exact filter: no steady-state switch (see LL_RTOL)
    return mod


def to_statsmodels(model, theta):
    """statsmodels' parameters: the same order (ar..., ma..., sigma2); with a mean its
    ``intercept`` is the state intercept c = mu (1 - sum phi), not the mean mu."""
    theta = np.asarray(theta, float)
    if not model.mean:
        return theta
    return np.concatenate([[theta[0] * (1.0 - theta[1 : 1 + model.p].sum())], theta[1:]])


def from_statsmodels(model, params):
    params = np.asarray(params, float)
    if not model.mean:
        return params
    return np.concatenate([[params[0] / (1.0 - params[1 : 1 + model.p].sum())], params[1:]])


def log_gdp():
    import statsmodels.api as sm

    return np.log(sm.datasets.macrodata.load_pandas().data["realgdp"].to_numpy())


def nile():
    import statsmodels.api as sm

    return sm.datasets.nile.load_pandas().data["volume"].to_numpy()


# ------------------------------------------------------------------ construction
def test_parameters_are_those_of_arma_and_repr_names_the_orders():
    m = ARIMA(2, 1, 1, mean=True)
    assert m.param_names == ARMA(2, 1, mean=True).param_names == (
        "mu", "phi1", "phi2", "theta1", "sigma2")
    assert repr(ARIMA(1, 1, 1)) == "ARIMA(p=1, d=1, q=1, mean=False)"
    assert repr(fs.models.get_model("ARIMA")) == "ARIMA(p=1, d=1, q=1, mean=False)"
    assert fs.models.REGISTRY["ARIMA"].kind == "time series"


def test_bad_orders_and_short_series_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match="d must be an integer >= 0"):
        ARIMA(1, -1, 1)
    with pytest.raises(TypeError, match="d must be an integer"):
        ARIMA(1, 1.5, 1)
    with pytest.raises(ValueError, match="p must be an integer >= 0"):
        ARIMA(-1, 1, 1)
    with pytest.raises(TypeError, match="mean"):
        ARIMA(1, 1, 1, mean="yes")
    m = ARIMA(1, 2, 1)
    t = m.example_theta()
    with pytest.raises(ValueError, match="more than d = 2 observations"):
        m.loglik(t, [1.0, 2.0])
    with pytest.raises(ValueError, match="n must be an integer >= 3"):
        m.fisher(t, n=2)
    with pytest.raises(ValueError, match="n must be an integer >= d \\+ 1 = 3"):
        m.sample(t, 2)
    # the fit needs more differences than parameters: n > d + n_params = 5
    with pytest.raises(FitError, match="n > d \\+ n_params = 5 observations.*got n = 5"):
        m.fit(np.arange(5.0) ** 3)
    with pytest.raises(ValueError, match="not stationary"):
        m.validate([1.2, 0.3, 1.0])


# ------------------------------------------------------------------- d = 0 is ARMA
@pytest.mark.parametrize("p, q, mean", [(1, 1, False), (2, 1, True), (0, 0, True)])
def test_d_zero_is_exactly_arma(p, q, mean):
    a, m = ARMA(p, q, mean), ARIMA(p, 0, q, mean)
    theta = a.random_theta(p + 3 * q)
    y = a.sample(theta, 60, rng=1)
    np.testing.assert_array_equal(m.sample(theta, 60, rng=1), y)
    np.testing.assert_array_equal(m.loglik(theta, y), a.loglik(theta, y))
    np.testing.assert_array_equal(m.score(theta, y), a.score(theta, y))
    np.testing.assert_array_equal(m.hessian(theta, y), a.hessian(theta, y))
    np.testing.assert_array_equal(m.fisher(theta), a.fisher(theta))
    np.testing.assert_array_equal(m.fisher(theta, n=60), a.fisher(theta, n=60))
    np.testing.assert_array_equal(m.fit(y), a.fit(y))
    np.testing.assert_array_equal(m.random_theta(5), a.random_theta(5))
    assert [s.distance for s in m.singularities(theta)] == \
        [s.distance for s in a.singularities(theta)]


# ------------------------------------------------------------------- likelihood
@pytest.mark.parametrize("p, d, q, mean", ORDERS)
def test_loglik_equals_sarimax_simple_differencing(p, d, q, mean):
    m = ARIMA(p, d, q, mean)
    theta = m.random_theta(p + 3 * d + 10 * q)
    y = m.sample(theta, 300, rng=1)
    ll = m.loglik(theta, y)
    mod = sarimax(m, y)
    ref = mod.loglike(to_statsmodels(m, theta))
    assert abs(ll.sum() - ref) <= LL_RTOL * abs(ref)
    # term by term: statsmodels' n - d terms are ours after the d conditioning zeros
    # (each term O(1): the same rounding bound, absolute)
    np.testing.assert_array_equal(ll[:d], 0.0)
    np.testing.assert_allclose(ll[d:], mod.loglikeobs(to_statsmodels(m, theta)), rtol=0,
                               atol=LL_RTOL * np.max(np.abs(ll)) * y.size)


@pytest.mark.parametrize("data, order, theta", [
    (log_gdp, (1, 1, 1, True), [0.008, 0.6, -0.35, 7e-5]),
    (log_gdp, (2, 2, 1, False), [0.2, -0.1, -0.8, 9e-5]),
    (nile, (0, 1, 1, False), [-0.7, 2e4]),
    (nile, (1, 1, 1, False), [0.25, -0.87, 2e4]),
])
def test_loglik_equals_sarimax_on_shipped_data(data, order, theta):
    y = data()
    m = ARIMA(*order)
    ref = sarimax(m, y).loglike(to_statsmodels(m, theta))
    assert abs(m.loglik(theta, y).sum() - ref) <= LL_RTOL * abs(ref)  # measured: <= 1.8e-16


@pytest.mark.parametrize("p, d, q, mean", [(1, 1, 1, False), (2, 2, 1, True)])
def test_terms_score_and_hessian_are_arma_of_the_differences_after_d_zero_rows(p, d, q, mean):
    m, a = ARIMA(p, d, q, mean), ARMA(p, q, mean)
    theta = m.example_theta()
    y = m.sample(theta, 40, rng=2)
    w = np.diff(y, d)
    for ours, arma in ((m.loglik(theta, y), a.loglik(theta, w)),
                       (m.score(theta, y), a.score(theta, w)),
                       (m.hessian(theta, y, individual=True),
                        a.hessian(theta, w, individual=True))):
        assert ours.shape[0] == y.size
        np.testing.assert_array_equal(ours[:d], 0.0)
        np.testing.assert_array_equal(ours[d:], arma)


# ------------------------------------------------------------------ information
def test_fisher_is_arma_information_of_the_n_minus_d_differences():
    m, a = ARIMA(2, 2, 1, mean=True), ARMA(2, 1, mean=True)
    theta = m.example_theta()
    np.testing.assert_array_equal(m.fisher(theta), a.fisher(theta))
    np.testing.assert_array_equal(m.fisher(theta, n=50), a.fisher(theta, n=48))
    info = fs.fisher(m, theta, n=50)  # the information of 50 observations (given 2)
    assert info.n_obs == 50 and np.array_equal(info.matrix, a.fisher(theta, n=48))


def test_random_walk_information_closed_form():
    """ARIMA(0, 1, 0): y a Gaussian random walk, N - 1 iid N(mu, s2) increments, so
    I_N = diag((N - 1)/s2, (N - 1)/(2 s2^2)) exactly (up to rounding of the exact
    algorithm's O(N) sums: 1e-13 relative)."""
    m = ARIMA(0, 1, 0, mean=True)
    s2, N = 2.5, 200
    np.testing.assert_allclose(m.fisher([0.3, s2], n=N),
                               np.diag([(N - 1) / s2, (N - 1) / (2 * s2**2)]), rtol=1e-13)


# --------------------------------------------------------------------- sampling
def test_sample_integrates_arma_values_from_zero_levels():
    m, a = ARIMA(1, 2, 1, mean=True), ARMA(1, 1, mean=True)
    theta = m.example_theta()
    y = m.sample(theta, 50, rng=3)
    u = a.sample(theta, 50, rng=3)  # the same draws
    # (1 - B)^2 y_t = u_t with y_0 = y_-1 = 0: y_1 = u_1, y_2 = 2 y_1 + u_2; the last 48
    # values of u are the second differences (cumulative sums of 50 O(1) terms: rounding
    # 1e-13 absolute)
    np.testing.assert_allclose(y[:2], [u[0], 2 * u[0] + u[1]], rtol=1e-15)
    np.testing.assert_allclose(np.diff(y, 2), u[2:], rtol=0, atol=1e-12)


# ------------------------------------------------------------------------- fit
@pytest.mark.parametrize("data, order", [
    (nile, (1, 1, 1, False)), (nile, (0, 1, 1, False)), (log_gdp, (1, 1, 1, True)),
    (lambda: ARIMA(2, 1, 1).sample(ARIMA(2, 1, 1).example_theta(), 400, rng=4),
     (2, 1, 1, False)),
])
def test_fit_attains_the_sarimax_maximum(data, order):
    y = data()
    m = ARIMA(*order)
    est = m.fit(y)
    ll = m.loglik(est, y).sum()
    mod = sarimax(m, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(disp=0)  # statsmodels' own optimum
        polished = mod.fit(start_params=to_statsmodels(m, est), disp=0)
    # statsmodels' maximum is not better than ours (its optimiser stops at a gradient
    # tolerance; on log GDP its default start ends 8e-4 below ours, measured)
    assert res.llf <= ll + 1e-6 * abs(ll)
    assert abs(mod.loglike(to_statsmodels(m, est)) - ll) <= LL_RTOL * abs(ll)
    # and its optimiser started from ours does not move by more than SE / 100 (measured:
    # <= 2.4e-9 SE; statsmodels' default start ends within 1.4e-4 SE of ours on the Nile
    # and the simulated series, 0.03 SE on log GDP where its likelihood is lower)
    se = fs.fit(m, y, cov_type="expected").bse
    assert np.all(np.abs(from_statsmodels(m, polished.params) - est) <= se / 100)


@pytest.mark.parametrize("data, order", [(nile, (1, 1, 1, False)),
                                         (log_gdp, (1, 1, 1, True))])
def test_observed_information_equals_finite_difference_hessian_of_sarimax(data, order):
    y = data()
    m = ARIMA(*order)
    r = fs.fit(m, y, cov_type="observed")
    mod = sarimax(m, y)
    scale = r.bse  # steps in units of the standard errors (sigma2 of the Nile is 2e4)
    fd, err = _numdiff.hessian_with_error(
        lambda t: np.array(mod.loglike(to_statsmodels(m, t))), np.asarray(r.params),
        m.lower, m.upper, scale=scale)
    ours = r.info.matrix
    # In units of the standard errors the entries are O(1). Richardson second differences
    # with steps eps^(1/6) SE of a log-likelihood of size ~700 with rounding ~1e-13
    # relative: error ~ 700 * 1e-13 / (eps^(1/6))^2 ~ 1e-5 at worst; the differences'
    # own error estimate (measured 1.2e-6) bounds it, and the deviation must be within
    # ten times that estimate (measured: 8e-8 on the Nile, 1.9e-7 on log GDP). Our
    # Hessian is a Richardson difference of the exact complex-step score: ~eps^(2/3).
    D = np.diag(scale)
    dev = np.max(np.abs(D @ (ours + fd) @ D))
    errmax = np.max(np.abs(D @ err @ D))
    assert errmax < 1e-5
    assert dev <= 10 * errmax, (dev, errmax)


# ---------------------------------------------------------------- pandas input
def test_fit_on_a_series_with_datetime_index_prints_the_first_and_last_dates():
    pd = pytest.importorskip("pandas")
    import statsmodels.api as sm

    macro = sm.datasets.macrodata.load_pandas().data
    idx = pd.PeriodIndex.from_fields(year=macro["year"].astype(int),
                                     quarter=macro["quarter"].astype(int),
                                     freq="Q").to_timestamp()
    y = pd.Series(np.log(macro["realgdp"].to_numpy()), index=idx, name="log realgdp")
    m = ARIMA(1, 1, 1, mean=True)
    r = fs.fit(m, y)
    assert isinstance(r.index, pd.DatetimeIndex) and r.index.equals(idx)
    text = r.summary()
    assert "Sample:         1959-01-01 - 2009-07-01" in text
    assert "ARIMA(p=1, d=1, q=1, mean=True)" in text
    assert r.nobs == y.size - 1  # n log-likelihood terms, the first d = 1 of them zero
    np.testing.assert_array_equal(r.params, fs.fit(m, y.to_numpy()).params)


def test_nobs_aic_and_bic_are_statsmodels_with_the_d_conditioning_observations_not_counted():
    """statsmodels' ``simple_differencing=True`` has ``nobs = n - d``; so has ``fs.fit``
    (``Model.n_conditioning``), so its AIC and BIC are statsmodels' at the same point."""
    y = nile()
    m = ARIMA(1, 1, 1)
    r = fs.fit(m, y)
    res = sarimax(m, y).smooth(to_statsmodels(m, r.params))
    assert m.n_conditioning == 1 and r.nobs == res.nobs == y.size - 1
    ic = fs.selection.information_criteria(m, y, theta=r.params)
    assert ic.n_obs == r.nobs
    # the same log-likelihood (rounding, <= 2.4e-16 relative) plus the same penalties
    for ours, theirs in ((r.aic, res.aic), (r.bic, res.bic)):
        assert abs(ours - theirs) <= 1e-12 * abs(theirs)
