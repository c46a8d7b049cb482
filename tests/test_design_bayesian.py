"""Pseudo-Bayesian and maximin-efficiency designs; equivalence checks and plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fisherstat as fs  # noqa: E402
from fisherstat import design  # noqa: E402

MODEL = fs.models.ExponentialDecay()
X = np.linspace(0.0, 4.0, 81)
PRIOR = np.array([[10.0, k, 0.25] for k in (0.4, 0.8, 1.6, 3.2)])


def test_one_point_prior_gives_the_locally_optimal_design():
    local = design.optimal_design(MODEL, PRIOR[1], X, tol=1e-10, rng=0)
    bayes = design.bayesian_design(MODEL, PRIOR[1:2], X, tol=1e-10, rng=0)
    np.testing.assert_allclose(bayes.design.points, local.design.points)
    np.testing.assert_allclose(bayes.design.weights, local.design.weights, atol=1e-8)
    assert bayes.value == pytest.approx(local.value, abs=1e-12)


@pytest.mark.parametrize("crit", ["D", "A"])
def test_bayesian_design_satisfies_the_averaged_equivalence_theorem(crit):
    pw = np.array([0.1, 0.4, 0.4, 0.1])
    res = design.bayesian_design(MODEL, PRIOR, X, crit, prior_weights=pw, tol=1e-8, rng=0)
    assert res.is_bayesian and res.converged
    # independent check: sum_j pi_j d_j(x) <= sum_j pi_j b_j with per-theta matrices
    d = np.zeros(X.size)
    b = 0.0
    for p, th in zip(pw, PRIOR, strict=True):
        M = res.design.information(MODEL, th, params=["A", "k"]).matrix
        F = MODEL.point_factor(th, X)[:, :2, :]
        Mi = np.linalg.inv(M)
        A = Mi if crit == "D" else Mi @ Mi
        d += p * np.einsum("nir,ij,njr->n", F, A, F)
        b += p * (2.0 if crit == "D" else np.trace(Mi))
    assert d.max() <= b * (1 + 1e-7)
    chk = design.check_equivalence(MODEL, PRIOR, res, crit, region=X, prior_weights=pw)
    assert chk.passed
    assert chk.max_sensitivity == pytest.approx(d.max(), rel=1e-9)


def test_bayesian_design_is_better_on_average_than_each_local_design():
    bayes = design.bayesian_design(MODEL, PRIOR, X, rng=0)
    for th in PRIOR:
        local = design.optimal_design(MODEL, th, X, rng=0)
        e = design.efficiency(local, bayes)  # Bayesian criterion (geometric mean of det)
        assert e <= 1 + 1e-6


def test_maximin_design_with_one_parameter_value_is_the_local_optimum():
    res = design.maximin_design(MODEL, PRIOR[:1], X)
    assert res.min_efficiency == pytest.approx(1.0, abs=1e-6)


def test_maximin_design_improves_the_worst_case_and_has_a_certificate():
    res = design.maximin_design(MODEL, PRIOR[[0, 3]], X, tol=1e-7)
    locals_min = []
    for loc in res.local_designs:
        effs = [design.efficiency(loc, ref) for ref in res.local_designs]
        locals_min.append(min(effs))
    assert res.min_efficiency >= max(locals_min) - 1e-9
    assert res.efficiency_bound >= 1 - 1e-6
    assert res.least_favourable.sum() == pytest.approx(1.0)
    # independent efficiencies from the information matrices
    for th, e, loc in zip(PRIOR[[0, 3]], res.efficiencies, res.local_designs, strict=True):
        M = res.design.information(MODEL, th, params=["A", "k"]).matrix
        Mo = loc.design.information(MODEL, th, params=["A", "k"]).matrix
        assert e == pytest.approx((np.linalg.det(M) / np.linalg.det(Mo)) ** 0.5, rel=1e-8)
    # both efficiencies are equal at the maximin design (two active constraints)
    assert res.efficiencies[0] == pytest.approx(res.efficiencies[1], rel=1e-6)
    assert res.sensitivity.max() <= 1 + 1e-6
    assert "maximin" in str(res)


def test_maximin_rejects_non_d_criteria():
    with pytest.raises(ValueError, match="maximin designs support D"):
        design.maximin_design(MODEL, PRIOR, X, "A")


def test_bayesian_e_is_rejected_and_prior_weights_are_checked():
    with pytest.raises(ValueError, match="Bayesian designs need a differentiable"):
        design.bayesian_design(MODEL, PRIOR, X, "E", rng=0)
    with pytest.raises(ValueError, match="prior_weights must be non-negative"):
        design.bayesian_design(MODEL, PRIOR, X, prior_weights=[1, -1, 1, 1], rng=0)
    with pytest.raises(ValueError, match="theta"):
        design.bayesian_design(MODEL, [[10.0, -1.0, 0.25]], X, rng=0)


def test_results_plot_the_sensitivity_function_in_one_and_two_dimensions():
    res = design.optimal_design(MODEL, PRIOR[0], X, rng=0)
    ax = res.plot()
    assert ax.get_lines()
    plt.close(ax.figure)
    q2 = design.polynomial(2, degree=2)
    r2 = design.optimal_design(q2, None, q2.grid(11), rng=0)
    chk = design.check_equivalence(q2, None, r2, region=q2.grid(11))
    ax = chk.plot()
    assert ax.collections
    plt.close(ax.figure)
    ax = r2.design.plot()
    plt.close(ax.figure)
    ax = design.exact_design(q2, None, q2.grid(3), 9, rng=0).plot()
    plt.close(ax.figure)
