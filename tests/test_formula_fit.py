"""Formula + DataFrame -> fs.fit, end to end against statsmodels' formula API and scipy.

Tolerance of identical quantities at the MLE (params, bse, cov_params, llf, AIC/BIC):
statsmodels (Newton, ``tol=1e-12``) and fisherstat (Newton/IRLS) both converge
quadratically to the same MLE, so each stops within a few ulps of it in the scale-free
sense: the relative error of a parameter or a covariance entry is bounded by
kappa * eps, where kappa is the condition number of the information after scaling its
diagonal to one (relative errors are invariant to that column scaling). kappa is 330-550
for the spector fits and 1.2e4 for the Poisson fit on cpunish, so kappa * eps <= 3e-12;
the measured differences are 1e-15 .. 7e-12. 1e-8 relative (the issue's target) leaves
more than three orders of magnitude of margin on any BLAS. Log-likelihoods are the same
sum at points that agree to that order, so they agree to ~1e-15 (1e-10 required).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import fisherstat as fs

RTOL = 1e-8  # derived in the module docstring
FORMULA = "GRADE ~ GPA + TUCE + C(PSI)"
CPUNISH = "EXECUTIONS ~ INCOME + PERPOVERTY + PERBLACK + np.log(VC100k96) + SOUTH + DEGREE"


@pytest.fixture(scope="module")
def spector():
    return sm.datasets.spector.load_pandas().data


def _close(a, b, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


def test_logit_formula_fit_equals_smf_logit_params_bse_cov_llf_aic_bic(spector):
    m, d = fs.models.LogisticRegression.from_formula(FORMULA, spector)
    r = fs.fit(m, d)
    ref = smf.logit(FORMULA, spector).fit(disp=0, tol=1e-12)
    assert r.param_names == tuple(ref.model.exog_names)  # categorical level names too
    assert r.param_names[1] == "C(PSI)[T.1.0]"
    _close(r.params, ref.params)
    _close(r.bse, ref.bse)
    _close(r.cov_params(), ref.cov_params())
    _close([r.llf, r.aic, r.bic], [ref.llf, ref.aic, ref.bic], rtol=1e-10)
    assert r.nobs == ref.nobs == 32 and r.formula == FORMULA and r.n_dropped == 0
    c = r.compare(ref)  # statsmodels' pandas params are matched by name
    assert c.param_names == r.param_names
    assert c.params_rel_diff.max() < RTOL and c.bse_rel_diff.max() < RTOL


def test_probit_observed_information_equals_smf_probit_hessian_cov(spector):
    m, d = fs.models.ProbitRegression.from_formula(FORMULA, spector)
    r = fs.fit(m, d, cov_type="observed")
    ref = smf.probit(FORMULA, spector).fit(disp=0, tol=1e-12)  # cov = (-Hessian)^-1
    _close(r.params, ref.params)
    _close(r.cov_params(), ref.cov_params())
    _close(r.llf, ref.llf, rtol=1e-10)
    c = r.compare(ref)
    assert c.params_rel_diff.max() < RTOL and c.bse_rel_diff.max() < RTOL


def test_poisson_formula_fit_on_cpunish_equals_smf_poisson_and_glm():
    df = sm.datasets.cpunish.load_pandas().data
    m, d = fs.models.PoissonRegression.from_formula(CPUNISH, df)
    assert "np.log(VC100k96)" in m.param_names
    r = fs.fit(m, d, cov_type="expected")  # canonical link: expected = observed at the MLE
    ref = smf.poisson(CPUNISH, df).fit(disp=0, tol=1e-12, maxiter=200)
    glm = smf.glm(CPUNISH, df, family=sm.families.Poisson()).fit(tol=1e-13)
    for other in (ref, glm):
        _close(r.params, other.params)
        _close(r.bse, other.bse)
        _close(r.llf, other.llf, rtol=1e-10)
        c = r.compare(other)
        assert c.params_rel_diff.max() < RTOL and c.bse_rel_diff.max() < RTOL
    _close(r.cov_params(), ref.cov_params())
    _close([r.aic, r.bic], [ref.aic, ref.bic], rtol=1e-10)


def test_ols_expected_cov_is_statsmodels_cov_times_n_minus_k_over_n(spector):
    m, d = fs.models.LinearRegression.from_formula(FORMULA, spector)
    r = fs.fit(m, d, cov_type="expected")
    ref = smf.ols(FORMULA, spector).fit()
    n, k = ref.nobs, d.k
    # the MLE of sigma2 is RSS / n; statsmodels' scale is RSS / (n - k)
    _close(r.params[:k], ref.params)
    _close(r.params[k], ref.ssr / n)
    _close(r.cov_params()[:k, :k], ref.cov_params() * (n - k) / n)
    _close(r.llf, ref.llf, rtol=1e-10)  # OLS's llf is the Gaussian one at the MLE sigma2
    c = r.compare(ref)  # sigma2 is not one of OLS's params: compared over the k coefficients
    assert c.param_names == r.param_names[:k]
    assert c.params_rel_diff.max() < RTOL
    _close(c.bse / c.other_bse, np.sqrt((n - k) / n))


def test_fit_summary_and_info_print_the_formula_names(spector):
    m, d = fs.models.LogisticRegression.from_formula(FORMULA, spector)
    r = fs.fit(m, d)
    s = r.summary()
    assert "Formula:        GRADE ~ GPA + TUCE + C(PSI)" in s
    assert "Sample:         0 - 31" in s and "Dropped" not in s
    for name in r.param_names:
        assert name in s and name in r.info.summary()
    assert r.info.param_names == r.param_names


def test_missing_column_raises_value_error_naming_it(spector):
    with pytest.raises(ValueError, match="'AGE'"):
        fs.models.LogisticRegression.from_formula("GRADE ~ GPA + AGE", spector)


def test_nan_rows_are_refused_or_dropped_counted_in_the_fit_result(spector):
    df = spector.copy()
    df.loc[[3, 10], "TUCE"] = np.nan
    with pytest.raises(ValueError, match="'TUCE' \\(2 rows\\)"):
        fs.models.LogisticRegression.from_formula(FORMULA, df)
    m, d = fs.models.LogisticRegression.from_formula(FORMULA, df, missing="drop")
    r = fs.fit(m, d)
    assert r.n_dropped == 2 and r.nobs == 30
    assert "Dropped (missing): 2 rows" in r.summary()
    assert 3 not in r.row_labels and 10 not in r.row_labels and len(r.row_labels) == 30
    ref = smf.logit(FORMULA, df.dropna()).fit(disp=0, tol=1e-12)  # statsmodels drops too
    _close(r.params, ref.params)
    _close(r.bse, ref.bse)


def test_formula_data_must_match_the_model(spector):
    m, d = fs.models.LogisticRegression.from_formula(FORMULA, spector)
    with pytest.raises(ValueError, match="do not match the model"):
        fs.fit(fs.models.LogisticRegression(4), d)  # beta_1.. names, not the formula's
    with pytest.raises(ValueError, match="do not match the model"):
        fs.fit(fs.models.LogisticRegression(3, param_names=d.param_names[:3]), d)
    with pytest.raises(ValueError, match="x must be None"):
        fs.fit(m, d, x=d.x)
    with pytest.raises(ValueError, match="takes no covariates"):
        fs.fit(fs.models.Normal(), d)
    # the same model given the arrays: identical numbers
    r = fs.fit(m, d)
    np.testing.assert_array_equal(fs.fit(m, d.y, d.x).params, r.params)


def test_arma_on_a_series_with_datetime_index_keeps_the_dates_for_printing():
    sun = sm.datasets.sunspots.load_pandas().data
    idx = pd.DatetimeIndex([f"{int(y)}-12-31" for y in sun["YEAR"]])
    y = pd.Series(sun["SUNACTIVITY"].to_numpy(), index=idx, name="SUNACTIVITY")
    model = fs.models.ARMA(1, 0, mean=True)
    r = fs.fit(model, y)
    assert r.row_labels is idx or r.row_labels.equals(idx)
    assert isinstance(r.index, pd.DatetimeIndex)
    assert "Sample:         1700-12-31 - 2008-12-31" in r.summary()
    plain = fs.fit(model, y.to_numpy())  # the values reach the model unchanged
    np.testing.assert_array_equal(r.params, plain.params)
    assert plain.row_labels is None and "Sample:" not in plain.summary()


def test_pandas_x_is_converted_and_its_index_kept(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    r = fs.fit(fs.models.LogisticRegression(4), spector["GRADE"].to_numpy(), X)
    assert r.row_labels.equals(spector.index) and "Sample:         0 - 31" in r.summary()
    ref = sm.Logit(spector["GRADE"], X).fit(disp=0, tol=1e-12)
    c = r.compare(ref)  # names differ (beta_1 vs const): matched by position
    assert c.params_rel_diff.max() < RTOL and c.bse_rel_diff.max() < RTOL


def _power(x, b):
    return b[0] * x ** b[1]


def _power_jac(x, b):
    return np.column_stack([x ** b[1], b[0] * np.log(x) * x ** b[1]])


def test_nls_formula_vcov_is_curve_fit_vcov_times_n_minus_p_over_n():
    from scipy.optimize import curve_fit

    df = sm.datasets.engel.load_pandas().data  # foodexp = a * income ** b
    m, d = fs.models.NonlinearRegression.from_formula(
        "foodexp ~ income", df, mean=_power, jacobian=_power_jac, param_names=["a", "b"],
        bounds=[(0, np.inf), (-5, 5)])
    assert m.param_names == ("a", "b", "sigma2") and m.covariate_names == ("income",)
    assert d.x.shape == (235,)  # one covariate: a column vector, as NumPy users pass it
    r = fs.fit(m, d, start=[1.0, 1.0, 1.0], cov_type="expected")
    p, V = curve_fit(lambda x, a, b: _power(x, [a, b]), df["income"].to_numpy(),
                     df["foodexp"].to_numpy(), p0=[1.0, 1.0],
                     jac=lambda x, a, b: _power_jac(x, [a, b]),
                     ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=10000)
    n, k = d.n_obs, 2
    # The identity, at the same point: scipy's pcov = s^2 (J'J)^-1 with s^2 = RSS/(n - p);
    # fisherstat's expected information at (beta, RSS/n) inverts to (RSS/n) (J'J)^-1.
    # Same Jacobian, so they differ only by rounding in (J'J)^-1: corr(a, b) = -0.997, the
    # unit-diagonal J'J has condition (1 + 0.997)/(1 - 0.997) ~ 7e2, 7e2 * eps ~ 2e-13
    # (measured 8e-14): 1e-10.
    rss = np.sum((df["foodexp"].to_numpy() - _power(df["income"].to_numpy(), p)) ** 2)
    info = fs.fisher(m, np.append(p, rss / n), x=d.x)
    _close(info.covariance()[:k, :k] * n / (n - k), V, rtol=1e-10)
    # Without the Jacobian fisherstat differentiates mean() by Richardson-extrapolated
    # central differences (error ~1e-11 relative here, measured 1.8e-11): 1e-8.
    m_num, _ = fs.models.NonlinearRegression.from_formula(
        "foodexp ~ income", df, mean=_power, param_names=["a", "b"])
    info = fs.fisher(m_num, np.append(p, rss / n), x=d.x)
    _close(info.covariance()[:k, :k] * n / (n - k), V, rtol=1e-8)
    # Independent fits: both solvers stop on ftol ~ 1e-14 on the RSS. RSS - RSS* =
    # d' J'J d, so they stop within sqrt(1e-14 * RSS / sigma2) = sqrt(1e-14 * n) ~ 1.5e-6
    # standard errors of the MLE, i.e. <= 1.5e-6 * SE(a)/a ~ 2e-7 relative (measured 1e-9):
    # 1e-6. The vcov moves with beta through x**b (d log x**b / db = log x <= 8.5), so by
    # <= 2 * 8.5 * 2e-7 * b ~ 3e-6 (measured 2e-9): 1e-5.
    _close(r.params[:k], p, rtol=1e-6)
    _close(r.cov_params()[:k, :k] * n / (n - k), V, rtol=1e-5)
    _close(r.params[k], rss / n, rtol=1e-6)  # RSS is stationary at the MLE: ~(1e-6)^2
    assert r.formula == "foodexp ~ income" and "Formula:        foodexp ~ income" in r.summary()


def test_nls_formula_with_two_covariates_passes_columns_in_order():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"u": rng.uniform(1, 2, 50), "v": rng.uniform(0, 1, 50)})
    df["y"] = 2.0 * df["u"] * np.exp(-0.5 * df["v"]) + rng.normal(0, 0.01, 50)
    seen = {}

    def mean(x, b):
        seen["shape"] = x.shape
        return b[0] * x[:, 0] * np.exp(-b[1] * x[:, 1])

    m, d = fs.models.NonlinearRegression.from_formula("y ~ u + v", df, mean=mean,
                                                      param_names=["c", "k"])
    np.testing.assert_array_equal(d.x, df[["u", "v"]].to_numpy())  # no intercept column
    r = fs.fit(m, d, start=[1.0, 1.0, 1.0])
    assert seen["shape"] == (50, 2) and m.covariate_names == ("u", "v")
    # noise sd 0.01 on 50 points: the estimates are within 5 SEs (~0.005 here) of the truth
    assert np.all(np.abs(r.params[:2] - [2.0, 0.5]) < 5 * r.bse[:2])
    with pytest.raises(ValueError, match="'w'"):
        fs.models.NonlinearRegression.from_formula("y ~ u + w", df, mean=mean,
                                                   param_names=["c", "k"])
    with pytest.raises(ValueError, match="no covariate"):
        fs.models.NonlinearRegression.from_formula("y ~ ", df, mean=mean,
                                                   param_names=["c", "k"])
