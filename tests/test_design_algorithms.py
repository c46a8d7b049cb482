"""Approximate optimal designs: textbook optima, agreement of algorithms, certificates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre

import fisherstat as fs
from fisherstat import design
from fisherstat.design.algorithms import hp_threshold

ALGS = ["rex", "multiplicative", "fedorov_wynn"]
GRID = np.linspace(-1.0, 1.0, 21)
QUAD = design.polynomial(1, degree=2)


def as_dict(res):
    return {round(float(x), 9): w for x, w in zip(res.design.points, res.design.weights,
                                                   strict=True) if w > 1e-6}


@pytest.mark.parametrize("alg", ALGS)
def test_simple_linear_regression_d_optimal_is_plus_minus_one_with_half_weights(alg):
    res = design.optimal_design(design.polynomial(1, degree=1), candidates=GRID, algorithm=alg,
                                tol=1e-9, rng=0)
    got = as_dict(res)
    assert set(got) == {-1.0, 1.0}
    np.testing.assert_allclose(list(got.values()), [0.5, 0.5], atol=1e-6)
    assert res.converged and res.efficiency_bound >= 1 - 1e-9


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("crit, weights, value", [
    ("D", [1 / 3, 1 / 3, 1 / 3], np.log(4 / 27)),  # det M = 4/27
    ("A", [1 / 4, 1 / 2, 1 / 4], 8.0),              # trace M^-1 = 8
])
def test_quadratic_regression_d_and_a_optima_from_every_algorithm(alg, crit, weights, value):
    res = design.optimal_design(QUAD, candidates=GRID, criterion=crit, algorithm=alg,
                                tol=1e-8, max_time=30, rng=0)
    got = as_dict(res)
    assert set(got) >= {-1.0, 0.0, 1.0}
    np.testing.assert_allclose([got[-1.0], got[0.0], got[1.0]], weights, atol=2e-4)
    assert res.value == pytest.approx(value, rel=1e-7)
    assert res.efficiency_bound >= 1 - 1e-8


def test_quadratic_regression_e_optimum_is_one_fifth_three_fifths():
    res = design.optimal_design(QUAD, candidates=GRID, criterion="E", rng=0)
    got = as_dict(res)
    assert set(got) == {-1.0, 0.0, 1.0}
    np.testing.assert_allclose([got[-1.0], got[0.0], got[1.0]], [0.2, 0.6, 0.2], atol=1e-8)
    assert res.value == pytest.approx(0.2, rel=1e-9)
    assert res.efficiency_bound >= 1 - 1e-6


@pytest.mark.parametrize("degree", [3, 4, 5])
def test_d_optimal_polynomial_is_at_the_roots_of_legendre_derivative(degree):
    # Guest (1958): +-1 and the roots of P'_d, equal weights 1/(d + 1)
    res = design.optimal_design(design.polynomial(1, degree=degree), x_bounds=[(-1, 1)], rng=0)
    coef = np.zeros(degree + 1)
    coef[-1] = 1.0
    want = np.sort(np.r_[-1.0, legendre.legroots(legendre.legder(coef)), 1.0])
    order = np.argsort(res.design.points)
    np.testing.assert_allclose(res.design.points[order], want, atol=1e-6)
    np.testing.assert_allclose(res.design.weights, 1.0 / (degree + 1), atol=1e-6)
    assert res.efficiency_bound >= 1 - 1e-6


def test_every_algorithm_reaches_the_same_optimum_on_random_candidates():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    model = fs.models.LinearRegression(3)
    theta = [0.0, 0.0, 0.0, 1.0]
    vals = {}
    for alg in ALGS:
        for crit in ("D", "A"):
            res = design.optimal_design(model, theta, X, crit, algorithm=alg, tol=1e-6,
                                        max_time=30, rng=0)
            assert res.converged, (alg, crit)
            vals[alg, crit] = res.value
    for crit in ("D", "A"):
        ref = vals["rex", crit]
        for alg in ALGS:
            # efficiency >= 1 - 1e-6 bounds the criterion gap: log det within m * 1e-6
            assert vals[alg, crit] == pytest.approx(ref, abs=3 * 2e-6 * abs(ref) + 1e-9)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("crit", ["D", "A", "I", "G", design.L(np.diag([1.0, 0.0, 2.0])),
                                  design.Ds(["x", "x^2"])], ids=str)
def test_every_returned_design_passes_check_equivalence(alg, crit):
    res = design.optimal_design(QUAD, candidates=GRID, criterion=crit, algorithm=alg,
                                max_time=30, rng=0)
    chk = design.check_equivalence(QUAD, None, res, crit, region=GRID, tol=2e-6)
    assert chk.passed, chk.summary()
    assert chk.efficiency_bound == pytest.approx(res.efficiency_bound, rel=1e-9)


@pytest.mark.parametrize("crit", ["E", design.c([1.0, 2.0, 4.0]), design.c([0.0, 1.0, 0.0])],
                         ids=str)
def test_exact_methods_pass_check_equivalence(crit):
    res = design.optimal_design(QUAD, candidates=GRID, criterion=crit, rng=0)
    chk = design.check_equivalence(QUAD, None, res, crit, region=GRID)
    assert chk.passed, chk.summary()


def test_c_optimal_extrapolation_design_has_weights_proportional_to_lagrange_values():
    # c = f(2): Kiefer & Wolfowitz (1965) extrapolation design at the Chebyshev points
    # -1, 0, 1 with w_i proportional to |l_i(2)| = (1, 3, 3); variance (1 + 3 + 3)^2 = 49
    res = design.optimal_design(QUAD, candidates=GRID, criterion=design.c([1.0, 2.0, 4.0]), rng=0)
    got = as_dict(res)
    np.testing.assert_allclose([got[-1.0], got[0.0], got[1.0]], [1 / 7, 3 / 7, 3 / 7],
                               atol=1e-9)
    assert res.value == pytest.approx(49.0, rel=1e-9)


def test_singular_c_optimal_design_for_the_slope_is_plus_minus_one():
    # c = (0, 1, 0): the slope of a quadratic; the optimum {-1, 1} is singular (x^2 = 1)
    res = design.optimal_design(QUAD, candidates=GRID, criterion=design.c([0.0, 1.0, 0.0]), rng=0)
    assert as_dict(res) == pytest.approx({-1.0: 0.5, 1.0: 0.5}, abs=1e-9)
    assert res.value == pytest.approx(1.0)
    info = res.design.information(QUAD.model(), QUAD.model().example_theta())
    assert info.rank < info.n_params  # singular information, finite c-variance


def test_g_optimal_design_is_d_optimal_with_value_m():
    res = design.optimal_design(QUAD, candidates=GRID, criterion="G", rng=0)
    assert as_dict(res) == pytest.approx({-1.0: 1 / 3, 0.0: 1 / 3, 1.0: 1 / 3}, abs=1e-6)
    assert res.value == pytest.approx(3.0, rel=1e-6)


def test_full_quadratic_in_two_factors_matches_the_published_3x3_optimum():
    # Atkinson, Donev & Tobias (2007, chapter 11), the second-order model on the 3^2
    # factorial: corners 0.1458, mid-sides 0.0802, centre 0.0962
    q2 = design.polynomial(2, degree=2)
    res = design.optimal_design(q2, candidates=q2.grid(3), tol=1e-10, rng=0)
    P, w = res.design.points, res.design.weights
    nz = np.count_nonzero(P, axis=1)
    assert np.allclose(w[nz == 2], 0.1458, atol=5e-5)
    assert np.allclose(w[nz == 1], 0.0802, atol=5e-5)
    assert np.allclose(w[nz == 0], 0.0962, atol=5e-5)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10, deadline=None)
def test_harman_pronzato_bound_never_excludes_an_optimal_support_point(seed):
    # for ANY design xi, the support points of the D-optimum have d(x, xi) >= threshold
    rng = np.random.default_rng(seed)
    m = 3
    X = rng.standard_normal((60, m))
    model = fs.models.LinearRegression(m)
    theta = np.append(np.zeros(m), 1.0)
    opt = design.optimal_design(model, theta, X, tol=1e-12, prune=False, rng=0)
    supp = opt.design.points
    for _ in range(5):
        idx = rng.choice(60, size=8, replace=False)
        w = rng.dirichlet(np.ones(8))
        M = (X[idx].T * w) @ X[idx]
        Mi = np.linalg.inv(M)
        d_all = np.einsum("ij,jk,ik->i", X, Mi, X)
        thr = hp_threshold(d_all.max(), m)
        d_supp = np.einsum("ij,jk,ik->i", supp, Mi, supp)
        assert np.all(d_supp >= thr - 1e-9)


def test_pruning_gives_the_same_design_as_no_pruning():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((3000, 5))
    model = fs.models.LinearRegression(5)
    theta = np.append(np.zeros(5), 1.0)
    a = design.optimal_design(model, theta, X, tol=1e-9, rng=0)
    b = design.optimal_design(model, theta, X, tol=1e-9, prune=False, rng=0)
    assert a.n_deleted > 0 and b.n_deleted == 0
    assert a.value == pytest.approx(b.value, abs=1e-7)


def test_linear_model_sigma2_only_scales_the_information():
    X = np.column_stack([np.ones(21), GRID, GRID**2])
    m = fs.models.LinearRegression(3)
    r1 = design.optimal_design(m, [0.0, 0.0, 0.0, 1.0], X, rng=0)
    r2 = design.optimal_design(m, [5.0, -1.0, 2.0, 4.0], X, rng=0)
    np.testing.assert_allclose(r1.design.weights, r2.design.weights, atol=1e-9)
    assert r2.value == pytest.approx(r1.value - 3 * np.log(4.0), rel=1e-12)
    # params='all' adds the design-independent log(1 / (2 sigma2^2)) of sigma2
    r3 = design.optimal_design(m, [0.0, 0.0, 0.0, 4.0], X, params="all", rng=0)
    assert r3.value == pytest.approx(r2.value + np.log(1 / 32), rel=1e-9)
    np.testing.assert_allclose(r3.design.weights, r2.design.weights, atol=1e-6)


def test_design_result_reports_information_and_prints_a_table():
    res = design.optimal_design(QUAD, candidates=GRID, rng=0)
    text = str(res)
    assert "det = 0.148148" in text and "efficiency >=" in text and "weight" in text
    info = res.information()
    assert np.linalg.det(info.matrix[:3, :3]) == pytest.approx(4 / 27)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(candidates=[-1.0, 1.0]), ValueError, "identify only 2 of the 3"),
    (dict(candidates=np.ones((5, 2))), ValueError, "candidates: x must have 1 columns"),
    (dict(candidates=[[0.0], [np.nan]]), ValueError, "candidates must be finite"),
    (dict(candidates=GRID, algorithm="simplex"), ValueError, "algorithm must be one of"),
    (dict(candidates=GRID, tol=0.0), ValueError, "tol must be in"),
    (dict(candidates=GRID, criterion="Q"), ValueError, "criterion must be"),
    (dict(candidates=GRID, x_bounds=[(0, 1)]), ValueError, "outside x_bounds"),
    (dict(candidates=GRID, params=["z"]), ValueError, "unknown parameter 'z'"),
    (dict(candidates=GRID, criterion=design.c([1.0, 0.0])), ValueError, "vector must have"),
    (dict(), TypeError, "candidates"),
])
def test_bad_input_gets_a_clear_error_naming_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        design.optimal_design(QUAD, **kwargs)


def test_design_objects_validate_their_weights_and_counts():
    with pytest.raises(ValueError, match="weights must be non-negative"):
        design.Design([0.0, 1.0], [0.5, -0.5])
    with pytest.raises(ValueError, match="weights must have shape"):
        design.Design([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="counts must be integers"):
        design.ExactDesign([0.0, 1.0], [1.5, 1])
    with pytest.raises(TypeError, match="regression model"):
        design.Design([0.0]).information(fs.models.Normal(), [0.0, 1.0])
    with pytest.raises(ValueError, match="points"):
        design.Design([[0.0, 1.0]]).information(QUAD.model(), QUAD.model().example_theta())


def test_wrong_theta_dimension_names_theta():
    with pytest.raises(ValueError, match="theta"):
        design.optimal_design(QUAD, [1.0, 2.0], GRID, rng=0)


def test_optimal_weights_on_information_matrices_matches_the_model_route():
    X = np.column_stack([np.ones(21), GRID, GRID**2])
    Mx = np.einsum("ki,kj->kij", X, X)
    a = design.optimal_weights(Mx, tol=1e-10, rng=0)
    b = design.optimal_design(QUAD, None, GRID, tol=1e-10, rng=0)
    np.testing.assert_allclose(GRID[a.design.points.astype(int)], b.design.points)
    assert a.value == pytest.approx(b.value, abs=1e-10)


def test_cost_normalised_weights_equal_the_design_of_information_per_unit_cost():
    rng = np.random.default_rng(3)
    F = rng.standard_normal((30, 3, 2))
    Mx = np.einsum("kir,kjr->kij", F, F)
    cost = rng.uniform(1.0, 5.0, 30)
    a = design.optimal_weights(Mx, costs=cost, tol=1e-10, rng=0)
    b = design.optimal_weights(Mx / cost[:, None, None], tol=1e-10, rng=0)
    np.testing.assert_allclose(a.design.weights, b.design.weights, atol=1e-7)
    # with the cost fractions w, the information per unit cost is sum_i w_i M_i / c_i
    idx = a.design.points.astype(int)
    M = np.einsum("k,kij->ij", a.design.weights / cost[idx], Mx[idx])
    assert np.log(np.linalg.det(M)) == pytest.approx(a.value, rel=1e-10)
    with pytest.raises(ValueError, match="costs must be > 0"):
        design.optimal_weights(Mx, costs=np.r_[0.0, np.ones(29)], rng=0)
    with pytest.raises(ValueError, match="positive semi-definite"):
        design.optimal_weights(-Mx, rng=0)


def test_g_efficiency_is_the_ratio_of_largest_variances():
    opt = design.optimal_design(QUAD, None, GRID, rng=0)
    uni = design.Design(np.linspace(-1, 1, 5))
    e = design.efficiency(uni, opt, design.G(GRID), model=QUAD, theta=None)
    with pytest.raises(ValueError, match="G needs its region"):
        design.efficiency(uni, opt, "G")
    # the G-optimal result stores its region: the same efficiency from the result alone
    g_opt = design.optimal_design(QUAD, None, GRID, "G", rng=0)
    assert design.efficiency(uni, g_opt) == pytest.approx(e, rel=1e-9)
    X = np.column_stack([np.ones(21), GRID, GRID**2])
    W = np.column_stack([np.ones(5), uni.points, uni.points**2])
    dmax = np.einsum("ki,ij,kj->k", X, np.linalg.inv(W.T @ W / 5), X).max()
    assert e == pytest.approx(3.0 / dmax, rel=1e-9)


def test_i_optimal_quadratic_on_the_interval_integrates_exactly():
    # uniform measure on [-1, 1]: L = [[1, 0, 1/3], [0, 1/3, 0], [1/3, 0, 1/5]]; the
    # I-optimal design is 1/4, 1/2, 1/4 with average variance 32/15 (brute force below)
    res = design.optimal_design(QUAD, x_bounds=[(-1, 1)], criterion="I", rng=0)
    assert as_dict(res) == pytest.approx({-1.0: 0.25, 0.0: 0.5, 1.0: 0.25}, abs=1e-7)
    assert res.value == pytest.approx(32 / 15, rel=1e-10)
    Lm = np.array([[1, 0, 1 / 3], [0, 1 / 3, 0], [1 / 3, 0, 1 / 5]])
    F = np.array([[1, -1, 1], [1, 0, 0], [1, 1, 1.0]])
    vals = [np.trace(Lm @ np.linalg.inv(F.T @ np.diag([a, 1 - 2 * a, a]) @ F))
            for a in np.linspace(0.2, 0.3, 1001)]
    assert min(vals) == pytest.approx(32 / 15, rel=1e-9)
    chk = design.check_equivalence(QUAD, None, res, "I", x_bounds=[(-1, 1)])
    assert chk.passed
