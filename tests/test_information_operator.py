"""A dense FisherInfo is an InformationOperator: products, solves, traces, log-determinants.

Every operator method is checked against the dense NumPy computation it stands for, with
tolerances derived from the conditioning of the matrix (backward-stable solves and
eigendecompositions: relative forward error <= c p eps cond, Higham 2002, Thm 7.2 and
ch. 10 -- c = 20 covers the eigendecomposition and the reference solve together).
"""

import numpy as np
import pytest
from conftest import EPS
from hypothesis import given
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat import FisherInfo, InformationOperator
from fisherstat.exceptions import SingularFisherWarning


def _spd(p, seed, spread):
    """A symmetric positive-definite (p, p) matrix with eigenvalues 10^(0..spread)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    w = 10.0 ** np.linspace(0.0, spread, p)
    M = (Q * w) @ Q.T
    return (M + M.T) / 2


def _info(M):
    return FisherInfo(M, tuple(f"t{i}" for i in range(M.shape[0])))


@given(p=st.integers(1, 6), seed=st.integers(0, 2**16), spread=st.floats(0.0, 6.0),
       damping=st.sampled_from([0.0, 1e-3, 1.0]))
def test_operator_methods_equal_the_dense_computations(p, seed, spread, damping):
    M = _spd(p, seed, spread)
    info = _info(M)
    v = np.random.default_rng(seed + 1).standard_normal((p, 2))
    Md = M + damping * np.eye(p)
    cond = np.linalg.cond(Md)
    tol = 20 * p * EPS * cond
    assert isinstance(info, InformationOperator)
    # products and the diagonal/trace are the same sums of products as NumPy's: a bound
    # of p roundings per entry, relative to |M| |v|
    np.testing.assert_allclose(info.matvec(v), M @ v, rtol=0,
                               atol=4 * p * EPS * np.max(np.abs(M) @ np.abs(v)))
    np.testing.assert_array_equal(info.to_dense(), M)
    np.testing.assert_array_equal(info.diagonal(), np.diag(M))
    assert info.trace() == pytest.approx(np.trace(M), rel=p * EPS)
    x = info.solve(v, damping=damping)
    ref = np.linalg.solve(Md, v)
    assert np.max(np.abs(x - ref)) <= tol * np.max(np.abs(ref))
    # log det: each eigenvalue (or Cholesky pivot) has relative error <= c p eps cond of the
    # equilibrated matrix; the sum of p logs is off by at most p times that
    sign, ref_logdet = np.linalg.slogdet(Md)
    assert sign == 1.0
    assert abs(info.logdet(damping) - ref_logdet) <= p * tol
    np.testing.assert_allclose(info.eigvalsh(), np.linalg.eigvalsh(M), rtol=0,
                               atol=20 * p * EPS * np.max(np.abs(np.linalg.eigvalsh(M))))
    assert info.to_info() is info


def test_singular_operator_logdet_and_pseudo_inverse_solve():
    M = np.diag([2.0, 0.0])
    info = _info(M)
    assert info.logdet() == -np.inf
    assert info.logdet(1.0) == pytest.approx(np.log(3.0), rel=2 * EPS)
    with pytest.warns(SingularFisherWarning):
        x = info.solve([1.0, 1.0])
    np.testing.assert_array_equal(x, [0.5, 0.0])  # minimum-norm solution, exact in binary


def test_per_observation_keeps_the_cramer_rao_bound():
    X = np.column_stack([np.ones(5), np.linspace(-2, 2, 5)])
    info = fs.fisher(fs.models.LogisticRegression(), [0.5, -1.0], x=X)
    one = info.per_observation()
    assert (info.n_obs, one.n_obs) == (5.0, 1.0)
    # matrix / 5 is one rounding per entry; the covariance inverts a 2x2 matrix of
    # condition ~6 (a few roundings, times cond)
    np.testing.assert_allclose(one.matrix, info.matrix / 5, rtol=EPS)
    np.testing.assert_allclose(one.covariance(500), info.covariance(500), rtol=100 * EPS)
    assert one.per_observation() is one


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((3, 1)), np.ones((2, 2, 2))])
def test_operator_vectors_of_the_wrong_shape_are_rejected(bad):
    info = _info(np.eye(2))
    with pytest.raises((ValueError, TypeError), match="v"):
        info.matvec(bad)
    with pytest.raises((ValueError, TypeError), match="v"):
        info.solve(bad)


def test_negative_damping_is_rejected():
    info = _info(np.eye(2))
    with pytest.raises(ValueError, match="damping"):
        info.solve(np.ones(2), damping=-1.0)
    with pytest.raises(ValueError, match="damping"):
        info.logdet(-1.0)
