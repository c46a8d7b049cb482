"""Locally optimal designs of nonlinear and generalized-linear models against the literature."""

import numpy as np
import pytest
from scipy import optimize

import fisherstat as fs
from fisherstat import design
from fisherstat.models import REGISTRY


def support(res):
    o = np.argsort(res.design.points)
    return res.design.points[o], res.design.weights[o]


@pytest.mark.parametrize("km, xmax", [(0.0641, 1.1), (2.0, 10.0), (0.5, 0.7)])
def test_michaelis_menten_d_optimal_is_xmax_and_km_xmax_over_2km_plus_xmax(km, xmax):
    # Duggleby (1979); Dette & Wong: weights 1/2 at Km xmax / (2 Km + xmax) and xmax
    m = fs.models.MichaelisMenten()
    res = design.optimal_design(m, [200.0, km, 1.0], x_bounds=[(0.0, xmax)], rng=0)
    x, w = support(res)
    np.testing.assert_allclose(x, [km * xmax / (2 * km + xmax), xmax], rtol=1e-6)
    np.testing.assert_allclose(w, [0.5, 0.5], atol=1e-6)
    assert res.efficiency_bound >= 1 - 1e-6


def test_emax_d_optimal_is_zero_interior_point_and_maximum_dose():
    # Dette, Kiss, Bevanda & Bretz (2010), Biometrika 97: {0, ED50 xm / (2 ED50 + xm), xm}
    m = fs.models.Emax()
    ed50, xm = 20.0, 130.0
    res = design.optimal_design(m, [1.0, 2.0, ed50, 0.3], x_bounds=[(0.0, xm)], rng=0)
    x, w = support(res)
    np.testing.assert_allclose(x, [0.0, ed50 * xm / (2 * ed50 + xm), xm], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(w, 1 / 3, atol=1e-6)


def test_exponential_decay_d_optimal_is_zero_and_one_over_k():
    # maximise det of two points, weights 1/2: x1 = 0, x2 = 1/k (Box & Lucas 1959 type)
    res = design.optimal_design(fs.models.ExponentialDecay(), [10.0, 0.37, 0.25],
                                x_bounds=[(0.0, 8.0)], rng=0)
    x, w = support(res)
    np.testing.assert_allclose(x, [0.0, 1 / 0.37], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(w, [0.5, 0.5], atol=1e-6)


def test_logistic_d_optimal_is_at_linear_predictor_plus_minus_1_5434():
    # symmetric two-point design at eta = +-c: det is proportional to (c w(c))^2 with
    # w = p (1 - p), stationary where c tanh(c/2) = 1 (Abdelbasit & Plackett 1983, JASA
    # 78, 90-98): probabilities 0.176 and 0.824
    eta = optimize.brentq(lambda e: e * np.tanh(e / 2) - 1.0, 0.5, 3.0)
    b0, b1 = 0.5, 2.0
    m = design.polynomial(1, degree=1).model("logistic")
    res = design.optimal_design(m, [b0, b1], x_bounds=[(-5.0, 5.0)], rng=0)
    x, w = support(res)
    np.testing.assert_allclose(x, [(-eta - b0) / b1, (eta - b0) / b1], rtol=1e-6)
    np.testing.assert_allclose(w, [0.5, 0.5], atol=1e-6)
    assert eta == pytest.approx(1.5434046, abs=1e-7)


def test_box_refinement_reaches_analytic_optimum_off_the_grid():
    # the Michaelis-Menten interior point 0.0574... is not on the 201-point grid
    m = fs.models.MichaelisMenten()
    grid = design.optimal_design(m, [200.0, 0.0641, 1.0], np.linspace(0, 1.1, 201), rng=0)
    box = design.optimal_design(m, [200.0, 0.0641, 1.0], x_bounds=[(0.0, 1.1)], rng=0)
    x_star = 0.0641 * 1.1 / (2 * 0.0641 + 1.1)
    assert abs(np.sort(grid.design.points)[0] - x_star) > 1e-4
    assert abs(np.sort(box.design.points)[0] - x_star) < 1e-7
    chk = design.check_equivalence(m, [200.0, 0.0641, 1.0], box, x_bounds=[(0.0, 1.1)])
    assert chk.passed


@pytest.mark.parametrize("alg", ["rex", "multiplicative", "fedorov_wynn"])
def test_proportional_error_couples_the_error_parameter_and_algorithms_agree(alg):
    # proportional error: the variance depends on the mean, the sigma2 block is coupled
    # and the criterion uses the Schur complement (multi-column factors)
    m = fs.models.OneCompartmentOral(dose=70, error="proportional")
    th = [0.15, 8.0, 1.0, 0.01]
    X = np.linspace(0.25, 24.0, 60)
    res = design.optimal_design(m, th, X, algorithm=alg, tol=1e-5, max_time=20, rng=0)
    ref = design.optimal_design(m, th, X, tol=1e-9, rng=0)
    assert res.converged
    assert res.value == pytest.approx(ref.value, abs=3 * 2e-5)
    chk = design.check_equivalence(m, th, res, "D", region=X, tol=2e-5)
    assert chk.passed
    # the same criterion through FisherInfo.marginal (independent Schur complement)
    info = res.design.information(m, th, params=["CL", "V", "KA"])
    assert np.log(np.linalg.det(info.matrix)) == pytest.approx(res.value, rel=1e-10)


def test_params_all_includes_error_parameters_and_changes_the_design_when_coupled():
    m = fs.models.ExponentialDecay(error="combined")
    th = [10.0, 0.5, 0.05, 0.02]
    X = np.linspace(0.0, 8.0, 81)
    mean = design.optimal_design(m, th, X, rng=0)
    full = design.optimal_design(m, th, X, params="all", rng=0)
    assert mean.params == ("A", "k") and full.params == m.param_names
    assert full.design.n_points >= 2  # rank-two information per point: 2 points for 4
    assert not np.allclose(np.sort(full.design.points)[:2], np.sort(mean.design.points)[:2])
    for res, crit in ((mean, "D"), (full, "D")):
        assert design.check_equivalence(m, th, res, crit, region=X,
                                        params=res.params).passed


REG_MODELS = [name for name, cls in REGISTRY.items() if cls().is_regression]


@pytest.mark.parametrize("name", REG_MODELS)
def test_locally_d_optimal_design_exists_for_every_regression_model(name):
    m = REGISTRY[name]()
    th = m.example_theta()
    x = m.example_x()
    if x.ndim == 2 and x.shape[1] > 1 and not np.all(x[:, 1] == x[0, 1]):
        lo, hi = x.min(axis=0), x.max(axis=0)  # a product grid in the covariates
        g = np.linspace(0, 1, 9)
        X = lo + np.array(np.meshgrid(*[g] * x.shape[1])).reshape(x.shape[1], -1).T * (hi - lo)
        if name in ("LinearRegression", "LogisticRegression", "ProbitRegression",
                    "PoissonRegression"):
            t = np.linspace(-1, 1, 41)
            X = t[:, None] ** np.arange(x.shape[1])
    elif x.ndim == 2:
        X = np.column_stack([np.linspace(x[:, 0].min(), x[:, 0].max(), 41),
                             np.full(41, x[0, 1])]) if x.shape[1] == 2 else x
    else:
        X = np.linspace(x.min(), x.max(), 41)
    res = design.optimal_design(m, th, X, tol=1e-7, rng=0)
    assert res.converged
    chk = design.check_equivalence(m, th, res, "D", region=X, tol=1e-6)
    assert chk.passed, chk.summary()
    assert res.design.n_points >= len(res.params)
