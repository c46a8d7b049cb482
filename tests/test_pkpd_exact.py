"""Exact (MC-AGQ) population Fisher information: Gaussian and discrete responses.

References are independent of the implementation: the analytic Gaussian score and FO FIM
for a model linear in eta, and for one random effect a direct 1-D Gauss-Hermite quadrature
of the marginal likelihood, differentiated by central differences, summed over all
outcomes of a binary/ordinal response.
"""

import functools
import itertools

import numpy as np
import pytest
from conftest import N_SE
from scipy.special import expit, log_expit, logsumexp

from fisherstat.pkpd import (
    Additive,
    DiscretePopulationModel,
    Group,
    PopulationModel,
    Proportional,
    UserModel,
    exact_fim,
    exact_scores,
    warfarin_example,
)

FREE = [(-np.inf, np.inf)] * 2
LIN = UserModel(lambda t, th, d: th[0] + th[1] * t, ["b0", "b1"],
                lambda t, th, d: np.stack([np.ones_like(t), t], 1), bounds=FREE)
TIMES = np.array([0.0, 1.0, 3.0])


def _linear_gaussian():
    # y = X (beta + eta) + eps: exactly Gaussian, N(X beta, X Omega X^T + s2 I)
    return PopulationModel(LIN, [1.0, 0.5], [[0.2, 0.05], [0.05, 0.3]], Additive(0.1),
                           eta_model="additive")


def _gaussian_score(y):
    """Analytic score of N(X beta, V), V = X Omega X^T + s2 I (Kay 1993, eq. 3.31)."""
    X = np.stack([np.ones_like(TIMES), TIMES], 1)
    Om = np.array([[0.2, 0.05], [0.05, 0.3]])
    V = X @ Om @ X.T + 0.1 * np.eye(3)
    Vi = np.linalg.inv(V)
    r = y - X @ np.array([1.0, 0.5])
    dVs = [X[:, [0]] @ X[:, [0]].T, X[:, [1]] @ X[:, [1]].T,
           X[:, [0]] @ X[:, [1]].T + X[:, [1]] @ X[:, [0]].T, np.eye(3)]
    Vr = r @ Vi
    s = [Vr @ X]
    s += [(-0.5 * np.trace(Vi @ dV) + 0.5 * np.einsum("bi,ij,bj->b", Vr, dV, Vr))[:, None]
          for dV in dVs]
    return np.concatenate(s, axis=1)


def test_linear_in_eta_scores_are_the_analytic_gaussian_scores():
    # The posterior of eta is Gaussian and the complete-data score is a polynomial of
    # degree <= 2 in eta, so AGQ with 2 nodes at the exact mode and curvature (Fisher
    # scoring = Newton here: Z constant, v constant) is exact; what remains is rounding in
    # (2x2 and 3x3) solves of condition < 1e2: 1e-10 relative is ~1e4 eps of margin.
    model = _linear_gaussian()
    g = Group(TIMES)
    y = np.random.default_rng(3).normal(1.5, 1.0, (20, 3))
    S = exact_scores(model, g, y, n_nodes=2)
    assert model.param_names == ("b0", "b1", "om2_b0", "om2_b1", "om_b0_b1", "sig2_add")
    ref = _gaussian_score(y)[:, [0, 1, 2, 3, 4, 5]]
    np.testing.assert_allclose(S, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_linear_in_eta_exact_fim_equals_fo():
    # y is exactly N(X beta, V) with FO's mean and covariance, so E[s s^T] is FO's matrix
    # (full = reduced: dV/dbeta = 0); the MC estimate is within N_SE of its own stderr.
    model = _linear_gaussian()
    g = Group(TIMES, size=10)
    fo = model.fim(g, fim="full")
    np.testing.assert_allclose(fo.matrix, model.fim(g).matrix, rtol=1e-12)
    ex = exact_fim(model, g, n_samples=2000, n_nodes=2, rng=0)
    assert ex.param_names == fo.param_names
    assert ex.info.method == "monte_carlo" and ex.info.n_samples == 2000
    assert np.all(np.abs(ex.matrix - fo.matrix) <= N_SE * ex.info.stderr)
    # and ln det within N_SE of its delta-method standard error
    assert 0 < ex.ofv_stderr < 0.2 and abs(ex.ofv - fo.ofv) <= N_SE * ex.ofv_stderr
    assert fo.ofv_stderr is None and "MC s.e." in ex.summary()


@functools.cache
def _gh(n):
    return np.polynomial.hermite.hermgauss(n)


def _binary_logp(psi, y, times, n=150):
    """log p(y) of the random-intercept logit model by 150-node Gauss-Hermite in 1-D."""
    b0, b1, om = psi
    z, w = _gh(n)
    f = b0 + np.sqrt(2 * om) * z[:, None] + b1 * times[None, :]
    ll = np.sum(y * log_expit(f) + (1 - y) * log_expit(-f), axis=1)
    return logsumexp(ll + np.log(w)) - 0.5 * np.log(np.pi)


def _ordinal_logp(psi, y, times, n=150):
    b0, b1, om, *cuts = psi
    z, w = _gh(n)
    f = b0 + np.sqrt(2 * om) * z[:, None] + b1 * times[None, :]
    c = np.r_[-np.inf, cuts, np.inf]
    k = y.astype(int)
    p = expit(c[k + 1] - f) - expit(c[k] - f)  # moderate f: no cancellation issue here
    return logsumexp(np.sum(np.log(p), axis=1) + np.log(w)) - 0.5 * np.log(np.pi)


def _reference(logp, psi, outcomes, times):
    """Exact FIM sum_y p(y) s s^T and scores by central differences (h = 1e-5: truncation
    h^2 |d^3 log p| ~ 1e-10, rounding eps |log p| / h ~ 1e-10)."""
    h = 1e-5
    S = np.array([[(logp(psi + h * e, y, times) - logp(psi - h * e, y, times)) / (2 * h)
                   for e in np.eye(psi.size)] for y in outcomes])
    p = np.exp([logp(psi, y, times) for y in outcomes])
    assert abs(p.sum() - 1) < 1e-12
    return np.einsum("y,yi,yj->ij", p, S, S), S


def test_binary_scores_and_fim_converge_to_the_quadrature_reference():
    times = np.array([0.0, 1.0, 2.0])
    psi = np.array([-1.0, 1.0, 0.8])
    model = DiscretePopulationModel(LIN, psi[:2], [psi[2], 0.0], "binary",
                                    eta_model="additive")
    ys = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    ref, Sref = _reference(_binary_logp, psi, ys, times)
    g = Group(times)
    # AGQ error falls with the nodes (measured 5e-3, 9e-5, 3e-8 for 3, 5, 9 nodes);
    # 1e-6 bounds the 9-node error plus the 1e-10 difference error
    S, logp = exact_scores(model, g, ys, n_nodes=9, return_loglik=True)
    np.testing.assert_allclose(S, Sref, atol=1e-6)
    np.testing.assert_allclose(logp, [_binary_logp(psi, y, times) for y in ys], atol=1e-8)
    # the MC estimate (7 nodes: score error ~1e-6 << the MC stderr ~3e-3) within N_SE
    ex = exact_fim(model, g, n_samples=2000, n_nodes=7, rng=1)
    assert np.all(np.abs(ex.matrix - ref) <= N_SE * ex.info.stderr)
    # the score has mean zero under the model: exactly for the reference sum
    np.testing.assert_allclose(np.exp([_binary_logp(psi, y, times) for y in ys]) @ Sref,
                               0, atol=1e-9)


def test_ordinal_scores_match_the_quadrature_reference():
    times = np.array([0.0, 2.0])
    psi = np.array([0.0, 0.5, 0.6, -1.0, 0.5, 2.0])
    model = DiscretePopulationModel(LIN, psi[:2], [psi[2], 0.0], "ordinal",
                                    cutpoints=psi[3:], eta_model="additive")
    assert model.param_names == ("b0", "b1", "om2_b0", "cut_1", "cut_2", "cut_3")
    ys = np.array(list(itertools.product(range(4), repeat=2)), float)
    ref, Sref = _reference(_ordinal_logp, psi, ys, times)
    S = exact_scores(model, Group(times), ys, n_nodes=11)
    np.testing.assert_allclose(S, Sref, atol=1e-6)  # as for the binary model
    # b0 and the cut points are confounded (documented): the reference is singular too
    assert np.linalg.matrix_rank(ref, tol=1e-10 * np.abs(ref).max()) == 5


def _scores_have_mean_zero(model, design, n_nodes, n=200):
    eng_S = exact_fim(model, design, n_samples=n, n_nodes=n_nodes, rng=5)
    assert eng_S.info.stderr is not None
    y = _simulate(model, design, n)
    S = exact_scores(model, design, y, n_nodes=n_nodes)
    se = S.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(S.mean(axis=0)) <= N_SE * se)


def _simulate(model, design, n):
    from fisherstat.pkpd.exact import _Subjects

    return _Subjects(model, design, 1).simulate(n, np.random.default_rng(11))


def test_score_mean_zero_warfarin_and_poisson():
    # E[s(y)] = 0 under the model; the AGQ bias (3 nodes) is far below the MC error
    model, design = warfarin_example()
    _scores_have_mean_zero(model, design, 3, n=100)
    pois = DiscretePopulationModel(LIN, [0.2, 0.3], [0.4, 0.1], "poisson",
                                   eta_model="additive")
    _scores_have_mean_zero(pois, Group(TIMES), 5)


def test_exact_information_differs_from_fo_for_warfarin():
    # FO full overstates the information on KA (RSE 4.8%); the exact FIM is far from it
    model, design = warfarin_example()
    ex = exact_fim(model, design, n_samples=150, n_nodes=3, rng=2)
    fo = model.fim(design, fim="full")
    i = 2  # KA
    assert fo.matrix[i, i] - ex.matrix[i, i] > N_SE * ex.info.stderr[i, i]


def test_bad_input():
    model = _linear_gaussian()
    g = Group(TIMES)
    with pytest.raises(ValueError, match="n_samples"):
        exact_fim(model, g, n_samples=1)
    with pytest.raises(ValueError, match="n_nodes"):
        exact_fim(model, g, n_nodes=0)
    with pytest.raises(ValueError, match="n_nodes"):
        exact_fim(PopulationModel(LIN, [1.0, 0.5], [0.2, 0.3], Additive(0.1),
                                  eta_model="additive"), g, n_nodes=200)
    with pytest.raises(ValueError, match="omega"):
        DiscretePopulationModel(LIN, [0.0, 1.0], [[0.2, 0.5], [0.5, 0.2]], "binary")
    with pytest.raises(ValueError, match="omega"):
        PopulationModel(LIN, [1.0, 1.0], [[0.2, 0.5], [0.5, 0.2]], Additive(0.1))
    with pytest.raises(ValueError, match="response"):
        DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "gamma")
    with pytest.raises(ValueError, match="cutpoints"):
        DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "ordinal", cutpoints=[1, 0])
    with pytest.raises(ValueError, match="cutpoints"):
        DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "ordinal")
    with pytest.raises(ValueError, match="cutpoints"):
        DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "binary", cutpoints=[0.0])
    binm = DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "binary",
                                   eta_model="additive")
    with pytest.raises(ValueError, match="y: a binary"):
        exact_scores(binm, g, [[0, 1, 2]])
    pois = DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "poisson",
                                   eta_model="additive")
    with pytest.raises(ValueError, match="y: a count"):
        exact_scores(pois, g, [[0, 1.5, 2]])
    ordm = DiscretePopulationModel(LIN, [0.0, 1.0], [0.2, 0.0], "ordinal", cutpoints=[0.0],
                                   eta_model="additive")
    with pytest.raises(ValueError, match="y: an ordinal"):
        exact_scores(ordm, g, [[0, 1, 2]])
    with pytest.raises(ValueError, match="y must have shape"):
        exact_scores(binm, g, [[0, 1]])
    with pytest.raises(ValueError, match="y must be finite"):
        exact_scores(model, g, [[0, np.nan, 1]])
    with pytest.raises(TypeError, match="model must be"):
        exact_fim(object(), g)
    with pytest.raises(TypeError, match="group must be"):
        exact_scores(model, [g], [[0, 1, 2]])
    # a proportional random effect that leaves the parameter range: an error, not NaN
    prop = PopulationModel(UserModel(lambda t, th, d: th[0] * np.exp(-t), ["A"]), [1.0],
                           [4.0], Proportional(0.1), eta_model="proportional")
    with pytest.raises(ValueError, match="omega: a random effect"):
        exact_fim(prop, Group([0.5, 1.0]), n_samples=50, rng=0)


def test_without_random_effects_exact_fim_is_the_gaussian_fim():
    # no eta: y ~ N(f(beta), v) exactly, whose information is FO's full FIM (Kay 1993,
    # eq. 3.31); the old code had no node grid for q = 0 (np.stack of nothing)
    from fisherstat.pkpd import OneCompartment

    model = PopulationModel(OneCompartment("bolus"), [1.0, 10.0], [0.0, 0.0], Additive(0.1))
    g = Group([0.5, 2, 6], size=10, dose=100)
    ex = exact_fim(model, g, n_samples=1000, rng=0)
    fo = model.fim(g, fim="full")
    assert ex.param_names == ("CL", "V", "sig2_add")
    assert np.all(np.abs(ex.matrix - fo.matrix) <= N_SE * ex.info.stderr)


def test_score_mean_zero_with_a_logit_normal_bioavailability():
    """E[s(y)] = 0 with phi_F = expit(logit F + eta_F): the exact scores use the same
    parameter map as FO (PopulationModel._phi) for every eta model."""
    from test_pkpd_population import _bioavailability_model

    model = _bioavailability_model()
    # 3 nodes per random effect (27 in all): AGQ bias far below the MC error (2 nodes is
    # not: the score of F is then biased by 5 standard errors at n = 60)
    _scores_have_mean_zero(model, Group([0.5, 2.0, 6.0, 24.0, 72.0], size=20, dose=100), 3,
                           n=60)
