"""Every Fisher operator is consistent with its own dense matrix (one interface, six types)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat.nn import MLP, STRUCTURES, FisherOperator, fisher
from fisherstat.nn.operators import conjugate_gradient

SEEDS = st.integers(0, 2**32 - 1)
KINDS = ["exact", "monte_carlo", "empirical"]


def operator(structure, kind, seed, output="softmax", n=15, pi_damping=True):
    net = MLP([3, 5, 4, 3], "tanh", output)
    rng = np.random.default_rng(seed)
    theta, X = net.init(rng, sigma_b2=0.3), rng.standard_normal((n, 3))
    y = net.sample(theta, rng=rng, x=X) if kind == "empirical" else None
    return net, fisher(net, theta, X, kind, structure, y=y, rng=rng, n_samples=2,
                       pi_damping=pi_damping)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("kind", KINDS)
@given(seed=SEEDS)
@settings(max_examples=3)
def test_operator_methods_agree_with_to_dense(structure, kind, seed):
    net, op = operator(structure, kind, seed)
    assert isinstance(op, FisherOperator) and op.structure == structure
    M = op.to_dense()
    P = net.n_weights
    assert M.shape == op.shape == (P, P)
    np.testing.assert_allclose(M, M.T, atol=1e-15 * np.max(np.abs(M)))
    rng = np.random.default_rng(seed)
    v, V = rng.standard_normal(P), rng.standard_normal((P, 3))
    scale = np.max(np.abs(M))
    np.testing.assert_allclose(op.matvec(v), M @ v, rtol=1e-10, atol=1e-13 * scale)
    np.testing.assert_allclose(op.matvec(V), M @ V, rtol=1e-10, atol=1e-13 * scale)
    assert op.vTMv(v) == pytest.approx(v @ M @ v, rel=1e-10)
    assert op.trace() == pytest.approx(np.trace(M), rel=1e-10)
    np.testing.assert_allclose(op.diagonal(), np.diag(M), rtol=1e-10, atol=1e-14 * scale)
    w = op.eigvalsh()
    np.testing.assert_allclose(w, np.linalg.eigvalsh(M), atol=1e-10 * scale)
    assert np.all(np.diff(w) >= 0)
    d = 1e-2 * scale
    Md = op.damped(d).to_dense()
    np.testing.assert_allclose(op.solve(V, d), np.linalg.solve(Md, V), rtol=1e-6,
                               atol=1e-8 * np.max(np.abs(np.linalg.solve(Md, V))))
    np.testing.assert_allclose(op.damped(d).matvec(v), Md @ v, rtol=1e-10,
                               atol=1e-13 * scale)


@pytest.mark.parametrize("structure", [s for s in STRUCTURES if s != "kfac"])
def test_damped_operator_adds_damping_times_identity(structure):
    _, op = operator(structure, "exact", 0)
    np.testing.assert_allclose(op.damped(0.3).to_dense(),
                               op.to_dense() + 0.3 * np.eye(op.n_params), rtol=1e-10,
                               atol=1e-13)


def test_kfac_pi_damping_damps_each_factor():
    """(G + sqrt(d)/pi I) (x) (A + pi sqrt(d) I), pi^2 = (tr A / dim A) / (tr G / dim G)."""
    net, op = operator("kfac", "exact", 1)
    d = 0.05
    blocks = []
    for G, A in op.factors:
        pi = np.sqrt((np.trace(A) / A.shape[0]) / (np.trace(G) / G.shape[0]))
        blocks.append(np.kron(G + np.sqrt(d) / pi * np.eye(G.shape[0]),
                              A + pi * np.sqrt(d) * np.eye(A.shape[0])))
    expected = np.zeros(op.shape)
    for s, b in zip(net.slices, blocks, strict=True):
        expected[s, s] = b
    np.testing.assert_allclose(op.damped(d).to_dense(), expected, rtol=1e-10, atol=1e-14)
    _, plain = operator("kfac", "exact", 1, pi_damping=False)
    np.testing.assert_allclose(plain.damped(d).to_dense(),
                               plain.to_dense() + d * np.eye(op.n_params), rtol=1e-10,
                               atol=1e-14)


@pytest.mark.parametrize("structure", ["dense", "block", "kfac", "ekfac"])
def test_solve_without_damping_of_a_singular_fisher_is_the_pseudo_inverse(structure):
    # softmax: the logit shift makes every structure singular
    _, op = operator(structure, "exact", 2, pi_damping=False)
    M = op.to_dense()
    v = M @ np.random.default_rng(0).standard_normal(op.n_params)  # in the range of M
    with pytest.warns(fs.SingularFisherWarning, match="rank"):
        x = op.solve(v)
    np.testing.assert_allclose(x, np.linalg.pinv(M, rcond=1e-10, hermitian=True) @ v,
                               rtol=1e-5, atol=1e-8 * np.max(np.abs(x)))


def test_to_info_bridges_to_fisher_info():
    net, op = operator("dense", "exact", 3, output="linear")
    info = op.to_info()
    assert isinstance(info, fs.FisherInfo) and info.method == "analytic"
    assert info.param_names == net.param_names[: net.n_weights]
    np.testing.assert_allclose(info.matrix, op.to_dense())


def test_conjugate_gradient_solves_a_positive_definite_system_in_at_most_n_steps():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 30))
    A = A @ A.T + np.eye(30)
    b = rng.standard_normal(30)
    x, it = conjugate_gradient(lambda v: A @ v, b, rtol=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9)
    assert it <= 40  # 30 in exact arithmetic


def test_operators_reject_bad_vectors_and_damping():
    _, op = operator("kfac", "exact", 0)
    with pytest.raises(ValueError, match="v"):
        op.matvec(np.ones(op.n_params + 1))
    with pytest.raises(ValueError, match="damping"):
        op.solve(np.ones(op.n_params), damping=-1.0)
    with pytest.raises(ValueError, match="v"):
        op.vTMv(np.ones((op.n_params, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        op.solve(np.ones(op.n_params), damping=1e-3)  # damped: no warning
