"""fisherstat.from_statsmodels: information of fitted statsmodels models.

Checked against fisherstat's own regression families at the fitted parameters, against
statsmodels' covariance of the estimates, and against closed forms (X^T X / scale).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod.families import links

import fisherstat as fs
from fisherstat.models import (
    LinearRegression,
    LogisticRegression,
    PoissonRegression,
    ProbitRegression,
)


def data(kind, n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.standard_normal((n, 2)))
    beta = np.array([0.3, -0.7, 0.5])
    model = {"logit": LogisticRegression, "probit": ProbitRegression,
             "poisson": PoissonRegression}[kind](3)
    return X, model.sample(beta, x=X, rng=seed + 1), model


@pytest.mark.parametrize(
    ("kind", "fit"),
    [
        ("logit", lambda y, X: sm.Logit(y, X).fit(disp=0)),
        ("poisson", lambda y, X: sm.Poisson(y, X).fit(disp=0)),
        ("probit", lambda y, X: sm.Probit(y, X).fit(disp=0)),
        ("logit", lambda y, X: sm.GLM(y, X, family=sm.families.Binomial()).fit()),
        ("poisson", lambda y, X: sm.GLM(y, X, family=sm.families.Poisson()).fit()),
        ("probit", lambda y, X: sm.GLM(
            y, X, family=sm.families.Binomial(link=links.Probit())).fit()),
    ],
    ids=["Logit", "Poisson", "Probit", "GLM-logit", "GLM-poisson", "GLM-probit"],
)
def test_expected_information_equals_fisherstat_information_at_the_estimate(kind, fit):
    X, y, model = data(kind)
    res = fit(y, X)
    info = fs.from_statsmodels(res)
    assert info.method == "analytic"
    assert info.n_obs == 300.0
    assert info.param_names == ("const", "x1", "x2")
    np.testing.assert_allclose(info.matrix, model.fisher(res.params, x=X), rtol=1e-10)


@pytest.mark.parametrize(
    "fit",
    [lambda y, X: sm.Probit(y, X).fit(disp=0),
     lambda y, X: sm.GLM(y, X, family=sm.families.Binomial(link=links.Probit())).fit()],
    ids=["Probit", "GLM-probit"],
)
def test_probit_observed_information_equals_minus_fisherstat_hessian(fit):
    X, y, model = data("probit", seed=3)
    res = fit(y, X)
    obs = fs.from_statsmodels(res, kind="observed")
    assert obs.method == "observed"
    np.testing.assert_allclose(obs.matrix, -model.hessian(res.params, y, x=X), rtol=1e-8)
    # not the expected information: the probit link is not canonical
    exp = fs.from_statsmodels(res)
    assert np.max(np.abs(obs.matrix - exp.matrix)) > 1e-4 * np.max(np.abs(exp.matrix))


@pytest.mark.parametrize("kind", ["logit", "poisson"])
def test_inverse_information_is_statsmodels_covariance(kind):
    X, y, _ = data(kind, seed=5)
    res = (sm.Logit if kind == "logit" else sm.Poisson)(y, X).fit(disp=0)
    np.testing.assert_allclose(fs.from_statsmodels(res).inverse(), res.cov_params(),
                               rtol=1e-10)


def test_ols_information_is_xtx_over_scale_and_the_linear_regression_coefficient_block():
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"const": 1.0, "dose": rng.uniform(0, 2, 50), "age": rng.normal(size=50)})
    y = X.to_numpy() @ [1.0, 2.0, -0.5] + rng.normal(0, 0.6, 50)
    res = sm.OLS(y, X).fit()
    info = fs.from_statsmodels(res)
    Xa = X.to_numpy()
    assert info.param_names == ("const", "dose", "age")
    assert info.method == "analytic" and info.n_obs == 50.0
    # rtol 1e-12: two summation orders of these 50-term sums differ by at most
    # 2 gamma_50 (|X|^T |X|)_ij / |X^T X|_ij <= 5.4e-13 relative for this design (worst
    # entry const x age); the WLS (40 rows) and GLM (60 rows) designs below: <= 8e-14 and
    # 2.3e-13. The inverses (rtol 1e-10): cond(X^T X) <= 15 and min|cov_ij| >= 0.075
    # max|cov|, so two routes differ by <= 15 * 2 gamma_50 / 0.075 = 4.4e-12 relative
    np.testing.assert_allclose(info.matrix, Xa.T @ Xa / res.scale, rtol=1e-12)
    own = LinearRegression(3).fisher(np.append(res.params, res.scale), x=Xa)
    np.testing.assert_allclose(info.matrix, own[:3, :3], rtol=1e-12)
    # sigma2 is orthogonal to beta, so the inverse is the (non-robust) covariance
    np.testing.assert_allclose(info.inverse(), res.cov_params(), rtol=1e-10)


def test_wls_information_is_weighted_gram_matrix_over_scale():
    rng = np.random.default_rng(8)
    X = sm.add_constant(rng.normal(size=40))
    w = rng.uniform(0.5, 2.0, 40)
    y = X @ [0.5, 1.0] + rng.normal(size=40) / np.sqrt(w)
    res = sm.WLS(y, X, weights=w).fit()
    info = fs.from_statsmodels(res)
    np.testing.assert_allclose(info.matrix, (X.T * w) @ X / res.scale, rtol=1e-12)
    np.testing.assert_allclose(info.inverse(), res.cov_params(), rtol=1e-10)


def test_gaussian_glm_information_is_xtx_over_estimated_scale():
    rng = np.random.default_rng(9)
    X = sm.add_constant(rng.normal(size=60))
    y = X @ [0.5, 1.0] + rng.normal(0, 2.0, 60)
    res = sm.GLM(y, X, family=sm.families.Gaussian()).fit()
    info = fs.from_statsmodels(res)
    np.testing.assert_allclose(info.matrix, X.T @ X / res.scale, rtol=1e-12)
    np.testing.assert_allclose(info.inverse(), res.cov_params(), rtol=1e-10)


def test_poisson_exposure_enters_as_a_weight():
    """exposure e multiplies the mean, so the information is sum_i e_i mu_i x_i x_i^T."""
    rng = np.random.default_rng(10)
    X = sm.add_constant(rng.normal(size=200))
    e = rng.uniform(0.5, 3.0, 200)
    y = rng.poisson(e * np.exp(X @ [0.2, 0.4]))
    res = sm.Poisson(y, X, exposure=e).fit(disp=0)
    own = PoissonRegression(2).fisher(res.params, x=X, weights=e)
    np.testing.assert_allclose(fs.from_statsmodels(res).matrix, own, rtol=1e-10)


def test_probit_offset_is_used_for_the_expected_information():
    rng = np.random.default_rng(11)
    X = sm.add_constant(rng.normal(size=300))
    off = rng.uniform(-0.5, 0.5, 300)
    y = (rng.random(300) < stats.norm.cdf(X @ [0.1, 0.8] + off)).astype(float)
    res = sm.Probit(y, X, offset=off).fit(disp=0)
    # expected information at eta = X b + offset
    eta = X @ res.params + off
    w = stats.norm.pdf(eta) ** 2 / (stats.norm.cdf(eta) * stats.norm.sf(eta))
    np.testing.assert_allclose(fs.from_statsmodels(res).matrix, (X.T * w) @ X, rtol=1e-10)


def test_models_without_expected_information_fall_back_to_observed():
    rng = np.random.default_rng(12)
    X = sm.add_constant(rng.normal(size=300))
    y = rng.negative_binomial(2, 2 / (2 + np.exp(X @ [0.5, 0.3])))
    res = NegativeBinomial(y, X).fit(disp=0, maxiter=200)
    info = fs.from_statsmodels(res)
    assert info.method == "observed"
    assert info.param_names == ("const", "x1", "alpha")
    np.testing.assert_allclose(info.matrix, -res.model.hessian(res.params), rtol=1e-12)


@pytest.mark.parametrize("obj", [object(), np.eye(2), None, "Logit"])
def test_objects_that_are_not_statsmodels_results_raise_type_error(obj):
    with pytest.raises(TypeError, match="^results must be a fitted statsmodels"):
        fs.from_statsmodels(obj)


def test_unfitted_statsmodels_model_raises_type_error():
    X, y, _ = data("logit")
    with pytest.raises(TypeError, match="^results must be a fitted statsmodels"):
        fs.from_statsmodels(sm.Logit(y, X))


def test_kind_must_be_expected_or_observed():
    X, y, _ = data("logit")
    res = sm.Logit(y, X).fit(disp=0)
    with pytest.raises(ValueError, match="^kind must be 'expected' or 'observed'"):
        fs.from_statsmodels(res, kind="fisher")
