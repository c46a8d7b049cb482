"""Optimality criteria: values, gradients, sensitivities, bounds and singular information."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisherstat import FisherInfo
from fisherstat._validation import EPS
from fisherstat.design import A, D, Ds, E, G, I, L, c
from fisherstat.design._sdp import e_subgradient, spectraplex_minmax


def random_design(seed, k=7, p=3, r=1):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((k, p, r))
    w = rng.dirichlet(np.ones(k))
    M = np.einsum("k,kir,kjr->ij", w, F, F)
    return F, w, M


CRITERIA = [D(), A(), L(np.diag([1.0, 2.0, 0.0])), I(matrix=np.diag([1.0, 0.5, 0.25])),
            c([1.0, -2.0, 0.5]), Ds([0, 2])]


@pytest.mark.parametrize("crit", CRITERIA, ids=repr)
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_gradient_matches_finite_differences(crit, seed):
    _, _, M = random_design(seed)
    S = np.random.default_rng(seed + 1).standard_normal((3, 3))
    S = S + S.T
    h = 1e-6
    fd = (crit.value(M + h * S) - crit.value(M - h * S)) / (2 * h)
    an = float(np.sum(crit.gradient(M) * S))
    assert fd == pytest.approx(an, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("crit", CRITERIA + [E()], ids=repr)
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_weighted_mean_of_sensitivity_equals_bound(crit, seed):
    # Euler's identity: sum_i w_i d(x_i) = tr(A M) = b for every design
    F, w, M = random_design(seed, r=2)
    d = crit.sensitivity(M, factor=F)
    assert float(w @ d) == pytest.approx(crit.bound(M), rel=1e-9)


@pytest.mark.parametrize("crit", CRITERIA, ids=repr)
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10, deadline=None)
def test_sensitivity_is_directional_derivative_of_information_function(crit, seed):
    # d(x) - b = d/da phi((1 - a) M + a M(x)) / phi'... for the loss: derivative at a = 0
    F, _, M = random_design(seed)
    Mx = np.einsum("ir,jr->ij", F[0], F[0])
    d = crit.sensitivity(M, factor=F[:1])[0]
    h = 1e-6
    fd = (crit.value((1 - h) * M + h * Mx) - crit.value((1 + h) * M - h * Mx)) / (2 * h)
    sign = 1.0 if crit.larger_is_better else -1.0
    # D-type: d/da log det = d - s; L-type: d/da tr(L M^-1) = -(d - b)
    assert sign * fd == pytest.approx(d - crit.bound(M), rel=1e-5, abs=1e-7)


def test_sensitivity_accepts_point_information_and_factors_alike():
    F, _, M = random_design(3, r=2)
    Mx = np.einsum("kir,kjr->kij", F, F)
    for crit in CRITERIA + [E()]:
        np.testing.assert_allclose(crit.sensitivity(M, Mx), crit.sensitivity(M, factor=F),
                                   rtol=1e-10)


def test_ds_is_d_of_the_schur_complement_from_fisherinfo_marginal():
    _, _, M = random_design(5)
    names = ("a", "b", "c")
    marg = FisherInfo(M, names).marginal(["a", "c"]).matrix
    assert Ds(["a", "c"]).value(M, param_names=names) == pytest.approx(
        np.log(np.linalg.det(marg)), rel=1e-12)
    assert Ds([0, 2]).value(M) == Ds(["a", "c"]).value(M, param_names=names)
    # the inverse of the Schur complement is the block of the inverse
    np.testing.assert_allclose(np.linalg.inv(marg), np.linalg.inv(M)[np.ix_([0, 2], [0, 2])],
                               rtol=1e-10)


@pytest.mark.parametrize("crit", [D(), A(), E(), c([1.0, -1.0, 0.5]), Ds(["a", "c"])],
                         ids=["D", "A", "E", "c", "Ds"])
def test_every_criterion_accepts_a_fisher_info_with_its_names(crit):
    """A FisherInfo is its matrix with its parameter names: the same numbers, bit for bit."""
    F, _, M = random_design(5)
    names = ("a", "b", "c")
    info = FisherInfo(M, names)
    assert crit.value(info) == crit.value(M, param_names=names)
    np.testing.assert_array_equal(crit.gradient(info), crit.gradient(M, param_names=names))
    np.testing.assert_array_equal(crit.sensitivity(info, factor=F),
                                  crit.sensitivity(M, factor=F, param_names=names))
    assert crit.efficiency(info, 2 * info) == crit.efficiency(M, 2 * M, param_names=names)
    assert crit.value(info, param_names=list(names)) == crit.value(info)
    with pytest.raises(ValueError, match="param_names must be None or the names"):
        crit.value(info, param_names=("c", "b", "a"))


def test_ds_sensitivity_is_classical_difference_of_variances():
    # f^T M^-1 f - f_n^T M_nn^-1 f_n (Atkinson, Donev & Tobias 2007, chapter 10)
    F, _, M = random_design(11)
    f = F[:, :, 0]
    classic = np.einsum("ki,ij,kj->k", f, np.linalg.inv(M), f) - f[:, 1] ** 2 / M[1, 1]
    np.testing.assert_allclose(Ds([0, 2]).sensitivity(M, factor=F), classic, rtol=1e-10)


def test_values_of_quadratic_regression_designs_match_closed_forms():
    M = np.array([[1.0, 0.0, 2 / 3], [0.0, 2 / 3, 0.0], [2 / 3, 0.0, 2 / 3]])
    assert np.exp(D().value(M)) == pytest.approx(4 / 27, rel=1e-14)
    MA = np.array([[1.0, 0.0, 0.5], [0.0, 0.5, 0.0], [0.5, 0.0, 0.5]])
    assert A().value(MA) == pytest.approx(8.0, rel=1e-14)
    ME = np.array([[1.0, 0.0, 0.4], [0.0, 0.4, 0.0], [0.4, 0.0, 0.4]])
    assert E().value(ME) == pytest.approx(0.2, rel=1e-14)


def test_singular_information_gives_infinite_values_and_c_needs_range():
    M = np.diag([1.0, 1.0, 0.0])
    assert D().value(M) == -np.inf
    assert A().value(M) == np.inf
    assert D().information_function(M) == 0.0
    assert c([1.0, 2.0, 0.0]).value(M) == pytest.approx(5.0)
    assert c([0.0, 0.0, 1.0]).value(M) == np.inf
    with pytest.raises(ValueError, match="singular"):
        A().gradient(M)
    # c-sensitivity at a singular design: (f^T h)^2 with h = M^+ c
    F = np.array([[[1.0], [0.0], [0.0]], [[0.0], [1.0], [0.0]]])
    np.testing.assert_allclose(c([1.0, 2.0, 0.0]).sensitivity(M, factor=F), [1.0, 4.0])


def test_efficiency_is_ratio_of_information_functions():
    M1, M2 = np.diag([1.0, 4.0]), np.diag([2.0, 2.0])
    assert D().efficiency(M1, M2) == pytest.approx(1.0)
    assert A().efficiency(M1, M2) == pytest.approx(1.0 / 1.25)
    assert E().efficiency(M1, M2) == pytest.approx(0.5)


def test_g_value_is_max_d_sensitivity_and_m_at_the_d_optimum():
    t = np.linspace(-1, 1, 201)
    F = np.column_stack([np.ones_like(t), t, t**2])[:, :, None]
    M = np.array([[1.0, 0.0, 2 / 3], [0.0, 2 / 3, 0.0], [2 / 3, 0.0, 2 / 3]])
    assert G().value(M, factor=F) == pytest.approx(3.0)


def test_e_subgradient_certifies_a_multiple_smallest_eigenvalue():
    # 2^2 factorial, first-order model: M = I (eigenvalue 1 of multiplicity 3). The plain
    # eigenvector e_1 of numpy gives a sensitivity 1 everywhere here, but e.g. e_2 gives
    # x1^2 <= 1 too; the chosen element must be in the spectraplex and certify max d <= 1
    # (any diagonal A with trace 1 does: a0 + a1 x1^2 + a2 x2^2 <= 1)
    g = np.linspace(-1, 1, 11)
    X1, X2 = np.meshgrid(g, g)
    F = np.column_stack([np.ones(X1.size), X1.ravel(), X2.ravel()])[:, :, None]
    Et = e_subgradient(np.eye(3), F)
    assert np.trace(Et) == pytest.approx(1.0)
    assert np.linalg.eigvalsh(Et).min() >= -1e-12
    assert E().sensitivity(np.eye(3), factor=F).max() <= 1.0 + 1e-7
    # a rotated face where a single eigenvector fails: M = I for (1, x) on {-1, 1};
    # region {-1, 0.2, 1}: the element must weight both directions equally
    F2 = np.array([[1.0, -1.0], [1.0, 0.2], [1.0, 1.0]])[:, :, None]
    Et2 = e_subgradient(np.eye(2), F2)
    d = np.einsum("kir,ij,kjr->k", F2, Et2, F2)
    assert d.max() <= 1.0 + 1e-7


def test_spectraplex_minmax_matches_a_two_point_closed_form():
    # max over {Q1, Q2} of tr(A Q): with Q1 = diag(1, 0), Q2 = diag(0, 1) the optimum is I/2
    Q = np.array([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])
    np.testing.assert_allclose(spectraplex_minmax(Q), np.eye(2) / 2, atol=1e-7)


@pytest.mark.parametrize("bad, match", [
    (lambda: L(np.array([[1.0, 2.0], [2.0, 1.0]])), "positive semi-definite"),
    (lambda: L(np.array([[1.0, 2.0], [0.0, 1.0]])), "symmetric"),
    (lambda: c([0.0, 0.0]), "must not be zero"),
    (lambda: Ds([]), "at least one"),
    (lambda: Ds(["a", "a"]), "distinct"),
    (lambda: c([1.0, 2.0]).value(np.eye(3)), "vector must have length 3"),
    (lambda: Ds(["z"]).value(np.eye(2), param_names=["a", "b"]), "unknown parameter 'z'"),
    (lambda: Ds(["a"]).value(np.eye(2)), "param_names"),
    (lambda: I().value(np.eye(2)), "matrix"),
    (lambda: D().sensitivity(np.eye(2), factor=np.ones((3, 4, 1))), "factor must have shape"),
])
def test_bad_criterion_input_raises_clear_errors(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bad()


@pytest.mark.parametrize("crit", [D(), A(), E(), c([1.0, 0.0, 1.0]), L(np.diag([1.0, 2.0, 0.0])),
                                  I(matrix=np.eye(3)), Ds(["b", "c"])], ids=repr)
def test_values_and_derivative_of_a_stack_agree_with_value_and_gradient(crit):
    """The vectorised ``values``/``derivative`` (population design's batch path) are the
    criterion of ``value`` and the contraction tr(grad Phi(M) dM) of ``gradient``.

    Both routes solve the same problems by backward-stable factorisations (a batched
    eigen/Cholesky decomposition vs one per matrix), so they agree to a relative
    O(cond(M) eps); the bound allows a factor 100 on it.
    """
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 3, 3))
    Ms = X @ X.transpose(0, 2, 1) + 0.1 * np.eye(3)
    names = ("a", "b", "c")
    got = crit.values(Ms, param_names=names)
    want = np.array([crit.value(M, param_names=names) for M in Ms])
    cond = np.linalg.cond(Ms)
    assert np.all(np.abs(got - want) <= 100 * cond * EPS * np.maximum(1.0, np.abs(want)))
    dM = X[:2] + X[:2].transpose(0, 2, 1)
    g = crit.gradient(Ms[0], param_names=names)
    np.testing.assert_allclose(crit.derivative(Ms[0], dM, param_names=names),
                               np.einsum("ij,vij->v", g, dM), rtol=100 * cond[0] * EPS,
                               atol=100 * cond[0] * EPS * np.abs(g).max())


def test_g_criterion_has_no_stack_values():
    """G needs the region's points per matrix: ``values`` is a TypeError that says so."""
    with pytest.raises(TypeError, match="points"):
        G().values(np.eye(2)[None])
