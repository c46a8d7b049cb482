"""fisherstat.fit against statsmodels and closed forms.

Tolerances: statsmodels' Newton/IRLS fits and fisherstat's fits stop at gradient norms of
order 1e-8 or below on these well-conditioned problems (condition numbers of the
information < 1e4), so the two MLEs agree to ~cond * 1e-10 relative; standard errors are
smooth functions of the MLE, so they agree to the same order. 1e-6 relative leaves two
orders of magnitude of margin on any BLAS. Quantities that are the same formula at the
same point (conf_int from params and bse) are compared to 1e-12 (a few ulps).
"""

import numpy as np
import pytest
import statsmodels.api as sm

import fisherstat as fs


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    X = sm.add_constant(d.exog, prepend=True).to_numpy(float)
    return d.endog.to_numpy(float), X


def test_logit_params_and_bse_match_statsmodels_for_every_cov_type(spector):
    y, X = spector
    res = sm.Logit(y, X).fit(disp=0, tol=1e-12)
    model = fs.models.LogisticRegression(X.shape[1])
    for cov_type in ("expected", "observed"):
        # canonical link: observed = expected at the MLE, both = statsmodels' -Hessian
        r = fs.fit(model, y, X, cov_type=cov_type)
        np.testing.assert_allclose(r.params, res.params, rtol=1e-6)
        np.testing.assert_allclose(r.bse, res.bse, rtol=1e-6)
        np.testing.assert_allclose(r.cov_params(), res.cov_params(), rtol=1e-6)
    assert r.nobs == 32
    np.testing.assert_allclose(r.llf, res.llf, rtol=1e-10)  # same sum at ~same point
    # statsmodels' Logit counts all k = 4 parameters, as fisherstat does
    np.testing.assert_allclose([r.aic, r.bic], [res.aic, res.bic], rtol=1e-10)
    cmp = r.compare(res)
    assert np.max(cmp.params_rel_diff) < 1e-6 and np.max(cmp.bse_rel_diff) < 1e-6
    assert "rel diff" in cmp.summary()


def test_logit_sandwich_matches_statsmodels_hc0(spector):
    y, X = spector
    res = sm.Logit(y, X).fit(disp=0, tol=1e-12, cov_type="HC0")
    r = fs.fit(fs.models.LogisticRegression(X.shape[1]), y, X, cov_type="sandwich")
    # HC0 = H^-1 (sum s s^T) H^-1, no small-sample factor: the same quantity
    np.testing.assert_allclose(r.bse, res.bse, rtol=1e-6)


def test_probit_observed_matches_probit_expected_matches_glm_irls(spector):
    y, X = spector
    model = fs.models.ProbitRegression(X.shape[1])
    obs = fs.fit(model, y, X, cov_type="observed")
    res = sm.Probit(y, X).fit(disp=0, tol=1e-12)  # bse from the observed Hessian
    np.testing.assert_allclose(obs.params, res.params, rtol=1e-6)
    np.testing.assert_allclose(obs.bse, res.bse, rtol=1e-6)
    # GLM fitted by IRLS (Fisher scoring) reports the expected information's inverse
    glm = sm.GLM(y, X, family=sm.families.Binomial(sm.families.links.Probit())).fit(
        tol=1e-12)
    exp = fs.fit(model, y, X, cov_type="expected")
    assert exp.info.method == "analytic"
    np.testing.assert_allclose(exp.bse, glm.bse, rtol=1e-6)
    # non-canonical link: the two informations differ at the MLE (by more than the 1e-6)
    assert np.max(np.abs(exp.bse / obs.bse - 1)) > 1e-4


def test_poisson_glm_params_bse_llf_match_statsmodels():
    rng = np.random.default_rng(7)
    X = sm.add_constant(rng.normal(size=(400, 2)))
    y = rng.poisson(np.exp(X @ [0.3, 0.5, -0.4])).astype(float)
    res = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    for cov_type in ("expected", "observed"):
        r = fs.fit(fs.models.PoissonRegression(3), y, X, cov_type=cov_type)
        np.testing.assert_allclose(r.params, res.params, rtol=1e-6)
        np.testing.assert_allclose(r.bse, res.bse, rtol=1e-6)
    np.testing.assert_allclose(r.llf, res.llf, rtol=1e-10)


@pytest.mark.parametrize("cov_type", ["expected", "observed"])
def test_normal_bse_of_mu_is_sigma_hat_over_sqrt_n(cov_type):
    y = fs.models.Normal().sample([1.0, 4.0], 250, rng=3)
    r = fs.fit(fs.models.Normal(), y, cov_type=cov_type)
    # MLE sigma_hat^2 = mean((y - ybar)^2); at the MLE the observed and expected
    # information of (mu, sigma2) are both diag(n/s2, n/(2 s2^2)): exact up to rounding
    s2 = y.var()
    np.testing.assert_allclose(r.params, [y.mean(), s2], rtol=1e-8)
    np.testing.assert_allclose(r.bse, [np.sqrt(s2 / 250), s2 * np.sqrt(2 / 250)],
                               rtol=1e-6)


def test_conf_int_is_params_plus_minus_z_bse_and_pvalues_are_two_sided():
    y = fs.models.Normal().sample([1.0, 4.0], 100, rng=4)
    r = fs.fit(fs.models.Normal(), y)
    for alpha, z in ((0.05, 1.959963984540054), (0.1, 1.6448536269514722)):
        ci = r.conf_int(alpha)
        np.testing.assert_allclose(ci, np.column_stack([r.params - z * r.bse,
                                                        r.params + z * r.bse]), rtol=1e-12)
    np.testing.assert_allclose(r.tvalues, r.params / r.bse, rtol=1e-12)
    # |z| = 1.96 <-> p = 0.05, checked through the normal cdf identity
    from scipy.stats import norm
    np.testing.assert_allclose(r.pvalues, 2 * norm.cdf(-np.abs(r.tvalues)), rtol=1e-12)


def test_summary_names_parameters_columns_and_information(spector):
    y, X = spector
    r = fs.fit(fs.models.LogisticRegression(4), y, X, cov_type="expected")
    text = r.summary()
    for s in ("beta_1", "beta_4", "coef", "std err", "P>|z|", "[0.025", "0.975]",
              "expected Fisher information (closed form)", "No. Obs.:       32"):
        assert s in text
    assert "sandwich" in fs.fit(fs.models.LogisticRegression(4), y, X,
                                cov_type="sandwich").summary()


def test_expected_without_closed_form_uses_monte_carlo_and_says_so():
    m = fs.Model.from_logpdf(
        lambda t, y: -0.5 * (y - t[0]) ** 2 - 0.5 * np.log(2 * np.pi),
        lambda t, n, rng: rng.normal(t[0], 1.0, n), ["mu"], fit=lambda y: [y.mean()])
    y = np.random.default_rng(1).normal(2.0, 1.0, 400)
    r = fs.fit(m, y, cov_type="expected", rng=0, n_samples=20_000)
    assert r.info.method == "monte_carlo" and "Monte Carlo" in r.summary()
    # I = 1 per observation; MC score estimator E[(y-mu)^2] has sd sqrt(2)/sqrt(N):
    # 5 sd = 0.05 relative on the information, half of that on the bse
    np.testing.assert_allclose(r.bse, [1 / np.sqrt(400)], rtol=0.025)


def test_unidentified_parameter_gets_infinite_bse_with_warning():
    # the information of collinear columns is singular at any theta; the result built
    # from it (as fit builds it) reports inf, not a pseudo-inverse number
    rng = np.random.default_rng(2)
    x1 = rng.normal(size=100)
    X = np.column_stack([np.ones(100), x1, x1])  # collinear columns: beta_2, beta_3 unidentified
    model = fs.models.LogisticRegression(3)
    theta = np.array([0.1, 0.2, 0.3])
    info = fs.fisher(model, theta, x=X)
    r = fs.results.FitResult("m", theta, model.param_names, "expected", info, -1.0, 100,
                             4.0, 5.0)
    with pytest.warns(fs.SingularFisherWarning):
        bse = r.bse
    assert np.isinf(bse[1]) and np.isinf(bse[2]) and np.isfinite(bse[0])


def test_bad_cov_type_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="cov_type"):
        fs.fit(fs.models.Normal(), np.array([0.0, 1.0, 2.0]), cov_type="robust")


def test_compare_rejects_length_mismatch():
    r = fs.fit(fs.models.Normal(), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="other must have 2"):
        r.compare(r.__class__("m", np.zeros(1), ("a",), "observed",
                              fs.FisherInfo(np.eye(1), ("a",)), 0.0, 1, 0.0, 0.0))
