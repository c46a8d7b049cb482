"""Every Fisher operator is consistent with its own dense matrix (one interface, six types)."""

import re
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
    """x = solve(M z) is the minimum-norm solution M^+ M z, with a warning giving the rank.

    Solving a singular system is ill-conditioned, so the test compares the well-defined
    quantities against bounds derived from the conditioning (not an entrywise rtol): the
    residual M x - v, the component of x in the null space of M (0 for the minimum-norm
    solution) and the distance to the reference pseudo-inverse solution.
    """
    # softmax: the logit shift makes every structure singular
    net, op = operator(structure, "exact", 2, pi_damping=False)
    M = op.to_dense()
    P = op.n_params
    z = np.random.default_rng(0).standard_normal(P)
    v = M @ z  # in the range of M
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = op.solve(v)
    sing = [w for w in caught if issubclass(w.category, fs.SingularFisherWarning)]
    assert sing and all("rank" in str(w.message) for w in sing)

    # Reference: eigh of the dense matrix, truncated at the library's threshold P eps ||M||.
    eps = np.finfo(float).eps
    u = P * eps  # unit of error: gamma_P for dot products of length <= P, and the normwise
    # backward error of LAPACK's eigh, ||E|| <= p(n) eps ||M||, p(n) "a modestly growing
    # function of n" (LAPACK Users' Guide, sec. 4.7), taken as n = P
    w, Q = np.linalg.eigh(M)
    norm_M, norm_F = w[-1], np.linalg.norm(M)
    keep = w > u * norm_M
    # the rank is well defined: a gap of many orders of magnitude around the threshold, so
    # perturbations of size u ||M|| cannot move an eigenvalue across it
    assert np.max(np.abs(w[~keep])) < 0.1 * u * norm_M and w[keep].min() > 1e3 * u * norm_M
    rank = int(keep.sum())
    # the warnings report the rank: the deficiencies n - rank they state (one per singular
    # block for block structures) add up to the nullity of M
    stated = [re.search(r"rank (\d+) < (\d+)", str(w.message)).groups() for w in sing]
    assert sum(int(n) - int(r) for r, n in stated) == P - rank
    Qr, Q0 = Q[:, keep], Q[:, ~keep]
    x_ref = Qr @ ((Qr.T @ v) / w[keep])
    kappa = norm_M / w[keep].min()  # condition number of M restricted to its range
    assert kappa * u < 1e-3  # first-order perturbation bounds below apply (1/(1-k u) ~ 1)
    nx = np.linalg.norm(x_ref)

    if getattr(op, "is_factored", False):
        # Dense, factor storage M = s B^T B (B: N R rows), solved as
        # x = B^T U diag(1/w^2) U^T (B v) / s with K = B B^T = U diag(w) U^T (the Gram).
        # With sigma_i the singular values of B, kappa = sigma_max^2 / sigma_min^2 and
        # a = ||B||_F / ||B||_2 = sqrt(tr M / ||M||) (<= sqrt(rank)), first order:
        # * rounding of B v: ||e|| <= u ||B||_F ||v||, ||v|| <= ||M|| ||x||, amplified by
        #   ||B^T K^+2|| / s = 1 / (s sigma_min^3):            u a kappa^(3/2) ||x||;
        # * K formed and eigendecomposed with ||E_K|| <= 2 u ||K|| (backward error plus the
        #   truncated eigenvalues): B^T (K^+ E K^+ + K^+2 E) B v / s
        #   <= 2 u (kappa + kappa^(3/2)) ||x||;
        # * rounding of the final B^T y, ||y|| <= ||x|| / sigma_min: u a sqrt(kappa) ||x||;
        # * the reference (Wedin's bound for the minimum-norm solution of a consistent
        #   system, backward error + truncation 2u): 2 kappa (2u) ||x|| = 4 u kappa ||x||.
        # The Gram route squares the small singular values, hence kappa^(3/2), not kappa.
        a = np.sqrt(np.trace(M) / norm_M)
        err_x = u * ((a + 2) * kappa**1.5 + 6 * kappa + a * np.sqrt(kappa)) * nx
        # residual M dx of the terms above (M B^T K^+2 = B^T K^+, ||B^T K^+|| = 1/sigma_min):
        # u (a + 4) sqrt(kappa) ||M|| ||x||, plus the test's own rounding of M @ x and of
        # v = M @ z (u ||M||_F (||x|| + ||z||)) and the reference's dropped components
        res = (u * (a + 4) * np.sqrt(kappa) * norm_M * nx
               + u * norm_F * (nx + np.linalg.norm(z)))
        # null-space component: x = B^T y lies in range(M) up to the rounding of B^T y
        # (u a sqrt(kappa) ||x||); the computed null basis Q0 is rotated from the exact one
        # by at most 2u ||M|| / gap = 2 u kappa (Davis-Kahan sin-theta theorem)
        null = u * (a * np.sqrt(kappa) + 2 * kappa) * nx
    else:
        # eigh of each block (K-FAC: of the Kronecker factors, backward error u ||G|| ||A||
        # per factor, 2u for the block). Both x and x_ref are exact minimum-norm solutions
        # for matrices within 2u ||M|| of M (backward error + truncated eigenvalues below
        # u ||M||); Wedin: each within 2 kappa (2u) ||x|| of M^+ v, so 8 u kappa ||x||.
        err_x = 8 * u * kappa * nx
        # M x - v = (M~ x - v) - E x: the dropped components of v (<= 2u ||M|| ||z||, as
        # v = M z is rounded too), ||E x|| <= 2u ||M|| ||x||, the rounding of M @ x
        # (u ||M||_F ||x||)
        res = u * (2 * norm_M * (nx + np.linalg.norm(z)) + norm_F * nx)
        # Davis-Kahan: the two computed null spaces differ by an angle <= 2 (2u) kappa
        null = 4 * u * kappa * nx
    # safety factor 2 on each first-order bound: second-order terms (kappa u < 1e-3) and the
    # constant p(n) of LAPACK's backward error, which is not specified exactly
    assert np.linalg.norm(M @ x - v) <= 2 * res
    assert np.linalg.norm(Q0.T @ x) <= 2 * null
    assert np.linalg.norm(x - x_ref) <= 2 * err_x
    # not vacuous: z itself has a null-space component of order ||z||, which a solve that
    # did not return the minimum-norm solution would keep
    assert np.linalg.norm(Q0.T @ z) > 1e3 * 2 * null


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


# ------------------------------------------------- the InformationOperator protocol
EPS = np.finfo(float).eps


@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_structure_is_an_information_operator(structure):
    net, op = operator(structure, "exact", 0)
    assert isinstance(op, fs.InformationOperator)
    assert isinstance(op.damped(0.1), fs.InformationOperator)
    # one meaning of n_obs: the operator is the mean over its N inputs (one example)
    assert op.n_obs == 1 and op.n_inputs == 15 and op.to_info().n_obs == 1
    assert op.n_params == net.n_weights and op.param_names == net.param_names[: net.n_weights]


def _logdet_tolerance(M):
    # a backward-stable route to log det M (M + dM, ||dM|| <~ p eps ||M||) changes it by
    # sum_i dlambda_i / lambda_i <= p * p eps ||M|| / lambda_min = p^2 eps cond(M); both
    # routes err by that much, and 10 covers the constants of the factorisations
    w = np.linalg.eigvalsh(M)
    return 10 * M.shape[0] ** 2 * EPS * w[-1] / w[0]


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("output", ["softmax", "linear"])
@pytest.mark.parametrize("pi_damping", [True, False])
def test_logdet_is_that_of_the_damped_dense_matrix(structure, output, pi_damping):
    if pi_damping and structure != "kfac":
        pytest.skip("pi_damping is a K-FAC option")
    for n in (15, 40):  # factor storage (N R < P) and matrix storage for 'dense'
        net, op = operator(structure, "exact", 1, output=output, n=n, pi_damping=pi_damping)
        for d in (1e-3, 0.1, 2.0):
            M = op.damped(d).to_dense()   # M + d I, or K-FAC's factored damping
            sign, ref = np.linalg.slogdet(M)
            assert sign == 1.0
            assert abs(op.logdet(d) - ref) <= _logdet_tolerance(M), (n, d)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_undamped_logdet_is_finite_when_regular_and_minus_inf_when_singular(structure):
    net, op = operator(structure, "exact", 2, output="linear", n=40)   # N C = 120 > P = 59
    M = op.to_dense()
    sign, ref = np.linalg.slogdet(M)
    assert sign == 1.0
    assert abs(op.logdet() - ref) <= _logdet_tolerance(M)
    net, op = operator("dense", "exact", 2, output="softmax", n=15)   # logit shift, N R < P
    assert op.logdet() == -np.inf


def test_network_fisher_and_model_fisher_give_the_same_cramer_rao_bound():
    # fs.fisher is the SUM over the N rows (n_obs = N); fs.nn.fisher the MEAN (n_obs = 1):
    # both are per-observation information M / N, so the bounds for n examples agree
    net = MLP([2, 3, 1], "tanh", "linear")
    rng = np.random.default_rng(0)
    theta, X = net.init(rng, sigma_b2=0.5), rng.standard_normal((50, 2))
    total = fs.fisher(net, theta, x=X)
    mean = fs.nn.fisher(net, theta, X, "exact", "dense").to_info()
    assert total.n_obs == 50 and mean.n_obs == 1
    n = 200
    a, b = mean.covariance(n), total.covariance(n)
    # both matrices are J^T J up to rounding (relative ~ P eps per entry, the sum of N
    # products each way); inversion amplifies a relative perturbation by cond(M)
    w = np.linalg.eigvalsh(mean.matrix)
    tol = 10 * net.n_weights * EPS * (w[-1] / w[0]) * np.max(np.abs(b))
    np.testing.assert_allclose(a, b, rtol=0, atol=tol)
