"""Tests of NonlinearRegression and its catalogue of mean functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, linalg
from scipy.optimize import curve_fit

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.models import (
    BoxLucas,
    Emax,
    ExponentialDecay,
    MichaelisMenten,
    NonlinearRegression,
    OneCompartmentBolus,
    OneCompartmentOral,
    SigmoidEmax,
)

ERRORS = ("additive", "proportional", "combined")
CATALOGUE = {
    "Emax": Emax,
    "SigmoidEmax": SigmoidEmax,
    "MichaelisMenten": MichaelisMenten,
    "ExponentialDecay": ExponentialDecay,
    "BoxLucas": BoxLucas,
    "OralDose70": lambda error="additive": OneCompartmentOral(dose=70.0, error=error),
    "OralDoseColumn": OneCompartmentOral,
    "BolusDose100": lambda error="additive": OneCompartmentBolus(dose=100.0, error=error),
    "BolusDoseColumn": OneCompartmentBolus,
}
NAMES = sorted(CATALOGUE)
SEEDS = st.integers(0, 2**32 - 1)


def make(name, error="additive"):
    return CATALOGUE[name](error=error)


def random_x(model, rng):
    """The example covariates with each (time or dose) value scaled by a random factor."""
    x = model.example_x().copy()
    t = x if x.ndim == 1 else x[:, 0]
    t *= np.exp(rng.uniform(-1.0, 1.0, t.shape[0]))
    return x


def tile(x, reps):
    return np.tile(x, (reps,) + (1,) * (x.ndim - 1))


# ---------------------------------------------------------------- Jacobians
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_catalogue_jacobian_matches_finite_differences(name, seed):
    m = make(name)
    rng = np.random.default_rng(seed)
    theta, x = m.random_theta(rng), random_x(m, rng)
    pb = m.n_beta
    J = m.mean_jacobian(theta, x)
    J_fd = _numdiff.jacobian(lambda b: m.predict(np.append(b, theta[pb:]), x), theta[:pb],
                             m.lower[:pb], m.upper[:pb])
    scale = np.max(np.abs(J_fd), axis=0)
    np.testing.assert_allclose(J, J_fd, rtol=1e-7, atol=1e-9 * scale.max())
    assert np.all(np.abs(J - J_fd) <= 1e-7 * scale + 1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error", ERRORS)
def test_numeric_jacobian_matches_analytic(name, error):
    m = make(name, error)
    theta, x = m.example_theta(), m.example_x()
    pb = m.n_beta
    eta = theta[pb:]
    num = NonlinearRegression(lambda x_, b: m.predict(np.append(b, eta), x_), None, error,
                              param_names=m.param_names[:pb],
                              bounds=np.column_stack([m.lower[:pb], m.upper[:pb]]))
    J, J_num = m.mean_jacobian(theta, x), num.mean_jacobian(theta, x)
    scale = np.max(np.abs(J), axis=0)
    assert np.all(np.abs(J_num - J) <= 1e-8 * scale)
    np.testing.assert_allclose(num.fisher(theta, x=x), m.fisher(theta, x=x), rtol=1e-7)


def _g_quad(a, b, t):
    """g = int_0^t exp(-a (t - s)) exp(-b s) ds and its a, b derivatives, by quadrature."""
    kw = dict(epsabs=0.0, epsrel=1e-13, limit=200)
    ker = lambda s: np.exp(-a * (t - s) - b * s)  # noqa: E731
    g = integrate.quad(ker, 0, t, **kw)[0]
    ga = -integrate.quad(lambda s: (t - s) * ker(s), 0, t, **kw)[0]
    gb = -integrate.quad(lambda s: s * ker(s), 0, t, **kw)[0]
    return g, ga, gb


@pytest.mark.parametrize("rel", [0.0, 1e-14, 1e-10, 1e-7, 1e-4, 1e-2, -1e-2, 0.3, -0.6, 5.0])
def test_box_lucas_stable_near_equal_rates_matches_quadrature(rel):
    m = BoxLucas()
    t2 = 0.4
    t1 = t2 * (1 + rel)
    x = np.array([0.1, 1.0, 3.0, 10.0, 40.0])
    theta = [t1, t2, 0.01]
    f, J = m.predict(theta, x), m.mean_jacobian(theta, x)
    for i, xi in enumerate(x):
        g, ga, gb = _g_quad(t2, t1, xi)  # g(a = theta2, b = theta1)
        np.testing.assert_allclose(f[i], t1 * g, rtol=1e-11)
        np.testing.assert_allclose(J[i], [g + t1 * gb, t1 * ga], rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("rel", [0.0, 1e-12, 1e-6, 1e-3, 0.5])
def test_oral_flip_flop_limit_matches_quadrature(rel):
    cl, v, dose = 0.15, 8.0, 70.0
    k = cl / v
    ka = k * (1 + rel)
    t = np.array([0.5, 6.0, 24.0, 120.0])
    m = OneCompartmentOral(dose=dose)
    f = m.predict([cl, v, ka, 0.25], t)
    expected = [dose * ka / v * _g_quad(k, ka, ti)[0] for ti in t]
    np.testing.assert_allclose(f, expected, rtol=1e-11)
    if rel == 0.0:  # the closed-form flip-flop limit D KA / V t exp(-k t)
        np.testing.assert_allclose(f, dose * ka / v * t * np.exp(-k * t), rtol=1e-14)


def test_sigmoid_emax_is_stable_at_zero_dose():
    m = SigmoidEmax()
    theta = [2.0, 3.0, 25.0, 0.7, 0.25]
    x = np.array([0.0, 1e-300, 1e-12, 1.0])
    f, J = m.predict(theta, x), m.mean_jacobian(theta, x)
    assert np.all(np.isfinite(J))
    assert f[0] == 2.0
    np.testing.assert_array_equal(J[0], [1.0, 0.0, 0.0, 0.0])
    # g = (x / ED50)^h / (1 + (x / ED50)^h) near 0: continuous to the limit
    g = (1e-12 / 25.0) ** 0.7
    np.testing.assert_allclose(f[2], 2.0 + 3.0 * g / (1 + g), rtol=1e-14)


def test_oral_equals_poped_warfarin_formula():
    cl, v, ka, dose = 0.15, 8.0, 1.0, 70.0
    t = np.array([0.5, 1, 2, 6, 24, 36, 72, 120], dtype=float)
    expected = dose * ka / (v * (ka - cl / v)) * (np.exp(-cl / v * t) - np.exp(-ka * t))
    with_dose = OneCompartmentOral(dose=dose, error="combined")
    np.testing.assert_allclose(with_dose.predict([cl, v, ka, 0.25, 0.01], t), expected,
                               rtol=1e-13)
    columns = OneCompartmentOral(error="combined")
    x = np.column_stack([t, np.full_like(t, dose)])
    np.testing.assert_allclose(columns.predict([cl, v, ka, 0.25, 0.01], x), expected,
                               rtol=1e-13)
    # PopED's combined error: v = sigma_add + sigma_prop f^2 (variances)
    np.testing.assert_allclose(columns.variance([cl, v, ka, 0.25, 0.01], x),
                               0.25 + 0.01 * expected**2, rtol=1e-13)


def test_bolus_equals_closed_form():
    t = np.array([0.0, 0.5, 2.0, 24.0])
    m = OneCompartmentBolus(dose=100.0)
    np.testing.assert_allclose(m.predict([2.0, 10.0, 0.25], t), 10.0 * np.exp(-0.2 * t),
                               rtol=1e-14)


# ---------------------------------------------------------------- score
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error", ERRORS)
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_score_matches_finite_differences_of_loglik(name, error, seed):
    m = make(name, error)
    rng = np.random.default_rng(seed)
    theta, x = m.random_theta(rng), random_x(m, rng)
    y = m.sample(theta, x=x, rng=rng)
    s = m.score(theta, y, x=x)
    # a smaller step than the default eps^(1/5): with proportional error at late times the
    # log-likelihood's higher derivatives grow like (k t)^n (f ~ 1e-19 at k t ~ 45), and
    # the default step's O(h^4) truncation error reaches 1e-6 there
    s_fd = _numdiff.jacobian(lambda t: m.loglik(t, y, x=x), theta, m.lower, m.upper,
                             base=1e-4)
    scale = np.max(np.abs(s_fd), axis=0)
    assert np.all(np.abs(s - s_fd) <= 1e-7 * scale + 1e-10)


def test_loglik_is_the_normal_logpdf():
    from scipy import stats

    m = Emax(error="combined")
    theta = np.array([1.0, 2.0, 20.0, 0.3, 0.05])
    x = np.array([0.0, 10.0, 100.0])
    y = np.array([0.5, 2.0, 3.5])
    f = 1.0 + 2.0 * x / (20.0 + x)
    np.testing.assert_allclose(m.loglik(theta, y, x=x),
                               stats.norm.logpdf(y, f, np.sqrt(0.3 + 0.05 * f**2)), rtol=1e-14)


# ----------------------------------------------------------- information
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error", ERRORS)
def test_information_matches_monte_carlo_within_4se(name, error):
    m = make(name, error)
    theta, x = m.example_theta(), m.example_x()
    exact = fs.fisher(m, theta, x=x)
    mc = fs.fisher(m, theta, method="monte_carlo", x=x, n_samples=4000, rng=20240611)
    assert mc.method == "monte_carlo" and exact.method == "analytic"
    assert np.all(np.abs(mc.matrix - exact.matrix) <= 4 * mc.stderr)


@pytest.mark.parametrize("error", ERRORS)
def test_information_matches_hessian_monte_carlo_within_4se(error):
    m = OneCompartmentOral(dose=70.0, error=error)
    theta, x = m.example_theta(), m.example_x()
    mc = fs.fisher(m, theta, method="monte_carlo", x=x, n_samples=1500, rng=7,
                   estimator="hessian")
    assert np.all(np.abs(mc.matrix - m.fisher(theta, x=x)) <= 4 * mc.stderr)


@pytest.mark.parametrize("name", NAMES)
def test_additive_information_is_block_diagonal_closed_form(name):
    m = make(name, "additive")
    theta, x = m.example_theta(), m.example_x()
    J, s2, n = m.mean_jacobian(theta, x), theta[-1], x.shape[0]
    expected = linalg.block_diag(J.T @ J / s2, [[n / (2 * s2**2)]])
    np.testing.assert_allclose(m.fisher(theta, x=x), expected, rtol=1e-13,
                               atol=1e-15 * np.abs(expected).max())


@pytest.mark.parametrize("name", NAMES)
def test_proportional_information_closed_form(name):
    # v = s f^2: M = grad f grad f^T (1 / v + 2 / f^2) ... written from the Gaussian formula
    m = make(name, "proportional")
    theta, x = m.example_theta(), m.example_x()
    J, s = m.mean_jacobian(theta, x), theta[-1]
    f = m.predict(theta, x)
    v = s * f**2
    gf = np.hstack([J, np.zeros((f.size, 1))])
    gv = np.hstack([2 * s * f[:, None] * J, (f**2)[:, None]])
    expected = (gf / v[:, None]).T @ gf + (gv / (2 * v[:, None] ** 2)).T @ gv
    np.testing.assert_allclose(m.fisher(theta, x=x), expected, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error", ERRORS)
def test_point_information_is_factor_outer_product_and_sums_to_fisher(name, error):
    m = make(name, error)
    theta, x = m.example_theta(), m.example_x()
    F = m.point_factor(theta, x)
    assert F.shape == (x.shape[0], m.n_params, 2)
    M = m.point_information(theta, x)
    np.testing.assert_allclose(M, F @ np.swapaxes(F, 1, 2), rtol=1e-14)
    w = np.random.default_rng(3).dirichlet(np.ones(x.shape[0]))
    weighted = np.einsum("k,kpq->pq", w, M)
    info = fs.fisher(m, theta, x=x, weights=w)
    np.testing.assert_allclose(info.matrix, weighted, rtol=1e-12)
    assert info.n_obs == pytest.approx(1.0)
    np.testing.assert_allclose(m.fisher(theta, x=x), M.sum(axis=0), rtol=1e-12)


def test_oral_information_is_singular_on_the_flip_flop_set():
    m = OneCompartmentOral(dose=70.0)
    x = m.example_x()
    at = [0.15, 8.0, 0.15 / 8.0, 0.25]
    info = fs.fisher(m, at, x=x)
    assert info.rank == 3
    (s,) = m.singularities(at)
    assert s.name == "flip-flop" and s.distance == 0.0 and s.rank_drop == 1
    # null direction: (dk, dKA) = (1, -1) at fixed KA / V; with k = KA this is
    # dV = V dKA / KA = -V / k, dCL = V dk + k dV = 0, in (CL, V, KA, sigma2)
    k = 0.15 / 8.0
    d = np.array([0.0, -8.0 / k, -1.0, 0.0])
    assert np.allclose(info.matrix @ d, 0.0, atol=1e-9 * np.abs(info.matrix).max())
    assert fs.fisher(m, [0.15, 8.0, 1.0, 0.25], x=x).rank == 4


# ------------------------------------------------------------------- fits
PUROMYCIN_CONC = np.repeat([0.02, 0.06, 0.11, 0.22, 0.56, 1.10], 2)
PUROMYCIN_RATE = np.array([76, 47, 97, 107, 123, 139, 159, 152, 191, 201, 207, 200], float)


def test_michaelis_menten_fit_reproduces_puromycin_reference():
    # Bates & Watts (1988) / R's nls(rate ~ Vm * conc / (K + conc), Puromycin, treated):
    # Vm = 212.7 (SE 6.947), K = 0.06412 (SE 0.008281), residual SE 10.93 on 10 df.
    m = MichaelisMenten()
    th = m.fit(PUROMYCIN_RATE, x=PUROMYCIN_CONC)
    n, p = 12, 2
    assert th[0] == pytest.approx(212.7, abs=0.05)
    assert th[1] == pytest.approx(0.06412, abs=5e-6)
    assert np.sqrt(th[2] * n / (n - p)) == pytest.approx(10.93, abs=0.005)
    se = fs.fisher(m, th, x=PUROMYCIN_CONC).standard_errors()[:2] * np.sqrt(n / (n - p))
    np.testing.assert_allclose(se, [6.947, 0.008281], rtol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_additive_fit_agrees_with_curve_fit(name):
    m = make(name, "additive")
    theta, x = m.example_theta(), tile(m.example_x(), 20)
    y = m.sample(theta, x=x, rng=11)
    th = m.fit(y, x=x)
    pb = m.n_beta
    eta = theta[pb:]
    popt, _ = curve_fit(lambda xx, *b: m.predict(np.append(b, eta), x), x, y, p0=theta[:pb],
                        jac=lambda xx, *b: m.mean_jacobian(np.append(b, eta), x),
                        ftol=1e-14, xtol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(th[:pb], popt, rtol=1e-6)
    rss = np.sum((y - m.predict(th, x)) ** 2)
    assert th[-1] == pytest.approx(rss / y.size, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error", ERRORS)
def test_fit_recovers_parameters_within_4_standard_errors(name, error):
    m = make(name, error)
    theta, x = m.example_theta(), tile(m.example_x(), 200)
    y = m.sample(theta, x=x, rng=2024)
    th = m.fit(y, x=x)  # no start: the catalogue's heuristic
    se = fs.fisher(m, theta, x=x).standard_errors()
    assert np.all(np.abs(th - theta) <= 4 * se)
    assert m.loglik(th, y, x=x).sum() >= m.loglik(theta, y, x=x).sum()
    # first-order condition: the score at the MLE is small against its own scale
    g = m.score(th, y, x=x).sum(axis=0)
    assert np.all(np.abs(g) * se <= 1e-3)


def test_generic_fit_from_start_proportional_error():
    rng = np.random.default_rng(5)
    m = NonlinearRegression(lambda x, b: b[0] * x[:, 0] ** b[1] * np.exp(-b[2] * x[:, 1]),
                            error="proportional", param_names=["a", "b", "c"],
                            bounds=[(0, np.inf), (-np.inf, np.inf), (-np.inf, np.inf)])
    x = np.column_stack([rng.uniform(0.5, 3.0, 3000), rng.uniform(0.0, 2.0, 3000)])
    theta = np.array([2.0, 0.7, 0.3, 0.02])
    y = m.sample(theta, x=x, rng=rng)
    th = m.fit(y, x=x, start=[1.0, 0.0, 0.0, 0.1])
    se = fs.fisher(m, theta, x=x).standard_errors()
    assert np.all(np.abs(th - theta) <= 4 * se)


# -------------------------------------------------------------- bad input
def test_error_model_must_be_allowed():
    with pytest.raises(ValueError, match="additive.*proportional.*combined"):
        Emax(error="exponential")
    with pytest.raises(ValueError, match="error must be one of"):
        NonlinearRegression(lambda x, b: x * b[0], error=None, param_names=["a"])


def test_mean_and_jacobian_must_be_callable():
    with pytest.raises(TypeError, match="mean must be callable"):
        NonlinearRegression(3.0, param_names=["a"])
    with pytest.raises(TypeError, match="jacobian must be callable"):
        NonlinearRegression(lambda x, b: x * b[0], "jac", param_names=["a"])


def test_negative_times_are_rejected():
    with pytest.raises(ValueError, match=r"x \(time\).*>= 0"):
        OneCompartmentOral(dose=70.0).predict([0.15, 8.0, 1.0, 0.25], [1.0, -0.5])
    with pytest.raises(ValueError, match=r"x \(time, column 0\).*>= 0"):
        OneCompartmentBolus().predict([2.0, 10.0, 0.25], [[1.0, 70.0], [-1.0, 70.0]])
    with pytest.raises(ValueError, match=r"x \(dose, column 1\).*>= 0"):
        OneCompartmentOral().predict([0.15, 8.0, 1.0, 0.25], [[1.0, -70.0]])
    with pytest.raises(ValueError, match="dose must be > 0"):
        OneCompartmentOral(dose=-1.0)


def test_wrong_x_columns_are_rejected():
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\) with columns"):
        OneCompartmentOral().predict([0.15, 8.0, 1.0, 0.25], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        OneCompartmentBolus().predict([2.0, 10.0, 0.25], np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(n,\) or \(n, 1\) for Emax"):
        Emax().predict([1.0, 2.0, 3.0, 1.0], np.ones((3, 2)))
    # (n, 1) is accepted as (n,)
    m = Emax()
    np.testing.assert_array_equal(m.predict(m.example_theta(), m.example_x()[:, None]),
                                  m.predict(m.example_theta(), m.example_x()))


def test_user_mean_shape_and_bounds_are_checked():
    m = NonlinearRegression(lambda x, b: np.array([b[0]]), param_names=["a"])
    with pytest.raises(ValueError, match=r"mean\(x, beta\) must return shape \(3,\)"):
        m.predict([1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"bounds must have shape \(1, 2\)"):
        NonlinearRegression(lambda x, b: x * b[0], param_names=["a"], bounds=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="theta: ED50 must be > 0"):
        Emax().fisher([1.0, 2.0, -3.0, 1.0], x=[1.0, 2.0])


def test_proportional_error_needs_nonzero_mean():
    m = BoxLucas(error="proportional")
    with pytest.raises(ValueError, match="variance must be > 0.*row 0"):
        m.fisher([0.7, 0.2, 0.01], x=[0.0, 1.0])


def test_fit_failures_raise_fit_error_or_ask_for_start():
    m = NonlinearRegression(lambda x, b: b[0] * x, lambda x, b: x[:, None],
                            param_names=["slope"])
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="start is required"):
        m.fit([1.0, 2.0, 3.1], x=x)
    with pytest.raises(fs.FitError, match="RSS = 0"):
        m.fit([2.0, 4.0, 6.0], x=x, start=[1.0, 1.0])
    with pytest.raises(fs.FitError, match="more observations"):
        Emax().fit([1.0, 2.0, 3.0], x=[0.0, 10.0, 20.0])


def test_generic_model_names_and_examples():
    m = NonlinearRegression(lambda x, b: b[0] + b[1] * x,
                            lambda x, b: np.column_stack([np.ones_like(x), x]), "combined",
                            param_names=["a", "b"], example_theta=[1.0, 2.0, 0.1, 0.01],
                            example_x=[0.0, 1.0, 2.0])
    assert m.param_names == ("a", "b", "sigma2_add", "sigma2_prop")
    assert m.n_beta == 2 and m.is_regression and m.has_analytic_fisher
    np.testing.assert_array_equal(m.example_theta(), [1.0, 2.0, 0.1, 0.01])
    # linear mean, additive part: the (a, b) block of the information at v = 0.1 + 0.01 f^2
    x = m.example_x()
    f = 1.0 + 2.0 * x
    v = 0.1 + 0.01 * f**2
    X = np.column_stack([np.ones(3), x])
    gv = 0.02 * f[:, None] * X
    expected = (X / v[:, None]).T @ X + (gv / (2 * v[:, None] ** 2)).T @ gv
    np.testing.assert_allclose(m.fisher(m.example_theta(), x=x)[:2, :2], expected, rtol=1e-13)
    with pytest.raises(NotImplementedError, match="example_theta"):
        NonlinearRegression(lambda x, b: x * b[0], param_names=["a"]).example_theta()


# ------------------------------------------------ one model stack (issue 13)
@pytest.mark.parametrize("route, cls, beta", [
    ("oral", OneCompartmentOral, [0.15, 8.0, 1.0]),
    ("bolus", OneCompartmentBolus, [2.0, 10.0]),
])
def test_catalogue_pk_models_are_the_structural_models(route, cls, beta):
    """One Bateman function: the catalogue's one-compartment regression means are the
    structural models of the population layer after the same single dose.

    Tolerance: the two routes round the same products of at most four factors in a
    different order, so they agree to a few ulps (8 eps relative).
    """
    from fisherstat.models.structural import OneCompartment

    t = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 6.0, 24.0, 72.0, 120.0])
    m = cls(dose=70.0)
    theta = beta + [0.25]
    pk = OneCompartment(route)
    tol = 8 * np.finfo(float).eps
    np.testing.assert_allclose(m.predict(theta, t), pk.predict(t, beta, dose=70.0),
                               rtol=tol, atol=0)
    np.testing.assert_allclose(m.mean_jacobian(theta, t), pk.jacobian(t, beta, dose=70.0),
                               rtol=tol, atol=1e-300)
    # per-row doses (x = (time, dose) columns): linear in the dose after a single dose
    doses = np.linspace(10.0, 100.0, t.size)
    f_rows = cls().predict(theta, np.column_stack([t, doses]))
    f_each = [pk.predict([ti], beta, dose=di)[0] for ti, di in zip(t, doses, strict=True)]
    np.testing.assert_allclose(f_rows, f_each, rtol=tol, atol=0)


def test_residual_error_objects_reparametrise_the_named_errors():
    """``error=`` takes a shared ResidualError: the additive error in PFIM's standard
    deviation convention (v = a^2) is a reparametrisation of PopED's variance convention
    (sigma2 = a^2), so I_a = J^T I_sigma2 J with J = diag(1, ..., 2a) (the identity
    I_eta = J^T I_theta J; both sides are closed forms, agreement to rounding, 1e-12).
    """
    from fisherstat.models.errors import Additive, Combined

    mean = lambda x, b: b[0] * np.exp(-b[1] * x)  # noqa: E731
    jac = lambda x, b: np.column_stack([np.exp(-b[1] * x),  # noqa: E731
                                        -b[0] * x * np.exp(-b[1] * x)])
    x = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    var = NonlinearRegression(mean, jac, "additive", param_names=["A", "k"])
    sd = NonlinearRegression(mean, jac, Additive(1.0, convention="sd"), param_names=["A", "k"])
    assert sd.param_names == ("A", "k", "sd_add")
    assert sd.mean_param_names == var.mean_param_names == ("A", "k")
    a = 0.3
    J = np.diag([1.0, 1.0, 2 * a])
    I_var = fs.fisher(var, [10.0, 0.5, a * a], x=x).matrix
    np.testing.assert_allclose(fs.fisher(sd, [10.0, 0.5, a], x=x).matrix, J.T @ I_var @ J,
                               rtol=1e-12)
    # and a PFIM combined error (v = (a + b f)^2) keeps its own names
    pfim = NonlinearRegression(mean, jac, Combined(0.1, 0.1, convention="sd"),
                               param_names=["A", "k"])
    assert pfim.param_names == ("A", "k", "sd_add", "sd_prop")
    with pytest.raises(ValueError, match="error must be one of"):
        NonlinearRegression(mean, jac, "exponential", param_names=["A", "k"])


def _two_compartment_regression(error="additive"):
    from fisherstat.models.structural import Regimen, TwoCompartment

    pk = TwoCompartment("oral")
    dose = Regimen.repeated(100.0, tau=12.0, n_doses=3)
    return pk, dose, fs.models.StructuralRegression(pk, dose=dose, error=error)


def test_structural_regression_is_the_structural_mean():
    """StructuralRegression observes the structural model itself: same mean and Jacobian
    (the same code path, so bit-identical), and with additive error the information is
    the closed form diag(J^T J / sigma2, n / (2 sigma2^2)) (Seber & Wild 1989, chapter 2;
    agreement to rounding of one matrix product, 1e-12 relative)."""
    pk, dose, m = _two_compartment_regression()
    beta = np.array([2.0, 10.0, 3.0, 20.0, 1.5])
    t = np.array([0.5, 1.0, 2.0, 6.0, 12.5, 14.0, 24.5, 30.0, 48.0])
    theta = np.append(beta, 0.04)
    np.testing.assert_array_equal(m.predict(theta, t), pk.predict(t, beta, dose=dose))
    np.testing.assert_array_equal(m.mean_jacobian(theta, t), pk.jacobian(t, beta, dose=dose))
    J = pk.jacobian(t, beta, dose=dose)
    expected = linalg.block_diag(J.T @ J / 0.04, [[t.size / (2 * 0.04**2)]])
    info = fs.fisher(m, theta, x=t)
    assert info.n_obs == t.size and info.param_names == ("CL", "V1", "Q", "V2", "KA", "sigma2")
    np.testing.assert_allclose(info.matrix, expected, rtol=1e-12)


def test_structural_regression_score_is_the_gradient_of_the_loglik():
    """Analytic score vs Richardson central differences of the log-likelihood (error about
    eps^(4/5) ~ 3e-13 of the scale of the terms; 1e-7 relative leaves a wide margin)."""
    _, _, m = _two_compartment_regression("combined")
    theta = np.array([2.0, 10.0, 3.0, 20.0, 1.5, 0.05, 0.01])
    t = np.array([0.5, 1.0, 2.0, 6.0, 12.5, 14.0, 24.5, 30.0, 48.0])
    y = m.sample(theta, x=t, rng=3)
    fd = _numdiff.jacobian(lambda th: np.atleast_1d(m.loglik(th, y, x=t).sum()), theta,
                           m.lower, m.upper)[0]
    np.testing.assert_allclose(m.score(theta, y, x=t).sum(axis=0), fd, rtol=1e-7, atol=1e-9)


def test_structural_regression_rejects_bad_input_naming_it():
    from fisherstat.models.structural import OneCompartment, Regimen

    with pytest.raises(TypeError, match="structural must be a StructuralModel"):
        fs.models.StructuralRegression(lambda t, b: t, dose=70)
    with pytest.raises(ValueError, match="dose is missing"):
        fs.models.StructuralRegression(OneCompartment("oral"))
    m = fs.models.StructuralRegression(OneCompartment("bolus"),
                                       dose=Regimen(100, times=2.0, tau=12.0))
    with pytest.raises(ValueError, match="x: sampling times must not precede"):
        m.predict([2.0, 10.0, 0.1], [1.0, 3.0])
    with pytest.raises(ValueError, match="x: entry 0 must be >= 0"):
        m.predict([2.0, 10.0, 0.1], [-1.0, 3.0])
