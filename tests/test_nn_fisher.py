"""Fisher information of networks: kinds, structures and the facts the literature states.

* exact = (1/N) sum J^T Lambda J from explicit Jacobians, in both dense storages;
* Monte Carlo -> exact within standard errors, and the error shrinks like 1/sqrt(S);
* empirical = mean outer product of per-sample gradients;
* diag = diagonal of dense; block = diagonal blocks of dense;
* K-FAC = block-diagonal exact Fisher for deep linear networks with Gaussian (MSE) output
  and for a single datum, and not otherwise (negative controls);
* EKFAC: same trace as the blocks, never further from them than K-FAC (Frobenius);
* 2 KL(p_theta || p_theta+d) / d^T F d -> 1 as d -> 0.
"""

import numpy as np
import pytest
from conftest import N_SE, sum_atol
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import fisherstat as fs
from fisherstat.nn import MLP, fisher, per_sample_traces

SEEDS = st.integers(0, 2**32 - 1)
OUTPUTS = [("linear", 2), ("softmax", 3), ("sigmoid", 2)]


def lam(net, theta, X):
    """Output-space Fisher per row, written out from its textbook form."""
    f = net.forward(theta, X)
    N, C = f.shape
    if net.output == "linear":
        return np.broadcast_to(np.eye(C) / net._out(theta).sigma2, (N, C, C))
    if net.output == "softmax":
        p = special.softmax(f, axis=1)
        return np.einsum("nc,cd->ncd", p, np.eye(C)) - np.einsum("nc,nd->ncd", p, p)
    p = special.expit(f)
    return np.einsum("nc,cd->ncd", p * (1 - p), np.eye(C))


def exact_by_loop(net, theta, X):
    """(1/N) sum_n J_n^T Lambda_n J_n with one row at a time."""
    F = np.zeros((net.n_weights, net.n_weights))
    for n in range(X.shape[0]):
        J = net.jacobian(theta, X[n : n + 1])[0]
        F += J.T @ lam(net, theta, X[n : n + 1])[0] @ J
    return F / X.shape[0]


def exact_abs_terms(net, theta, X):
    """(1/N) sum_n |J_n|^T |Lambda_n| |J_n|: the absolute values of the terms of the exact
    Fisher, and its nesting depth N + 2C (sums over rows and two output indices)."""
    J = net.jacobian(theta, X)
    N, C, _ = J.shape
    S = np.einsum("nci,ncd,ndj->ij", np.abs(J), np.abs(lam(net, theta, X)), np.abs(J)) / N
    return S, N + 2 * C


def exact_atol(net, theta, X):
    """Two evaluations of the exact Fisher differ entrywise by at most this (conftest)."""
    return sum_atol(*exact_abs_terms(net, theta, X))


def make(output, C, sizes=(3, 5, 4), activation="tanh", n=12, seed=0):
    net = MLP(list(sizes) + [C], activation, output)
    rng = np.random.default_rng(seed)
    theta = net.init(rng, sigma_b2=0.3)
    X = rng.standard_normal((n, sizes[0]))
    return net, theta, X


@pytest.mark.parametrize("output, C", OUTPUTS)
@pytest.mark.parametrize("factor", ["never", "always"])
def test_exact_fisher_equals_per_sample_loop_of_JT_Lambda_J(output, C, factor):
    net, theta, X = make(output, C)
    F = fisher(net, theta, X, "exact", factor=factor)
    assert F.is_factored == (factor == "always")
    np.testing.assert_allclose(F.to_dense(), exact_by_loop(net, theta, X), rtol=1e-11,
                               atol=exact_atol(net, theta, X))


def test_dense_route_for_many_signals_equals_the_factor_route():
    """R > 2 (Gaussian, C = 4) uses the Kronecker pair contraction; R <= 2 uses B^T B."""
    net, theta, X = make("linear", 4, sizes=(3, 6, 5), n=40)
    a = fisher(net, theta, X, "exact", factor="never").to_dense()
    b = fisher(net, theta, X, "exact", factor="always").to_dense()
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=exact_atol(net, theta, X))


def test_large_P_small_N_spectrum_comes_from_the_gram_matrix():
    net, theta, X = make("softmax", 4, sizes=(10, 30), n=6)
    F = fisher(net, theta, X, "exact")
    assert F.is_factored and F.gram().shape == (6 * 3, 6 * 3)
    w = F.eigvalsh()
    np.testing.assert_allclose(w, np.linalg.eigvalsh(F.to_dense()), atol=1e-13 * w[-1])
    assert np.sum(w > 1e-10 * w[-1]) == 6 * 3  # rank N (C - 1)


def test_gram_matrix_is_the_empirical_neural_tangent_kernel_for_gaussian_output():
    """Unit noise variance: B = J stacked by (row, output), so B B^T / N = J J^T / N."""
    net, theta, X = make("linear", 3, sizes=(4, 20, 10), n=8)
    J = net.jacobian(theta, X).reshape(8 * 3, net.n_weights)
    F = fisher(net, theta, X, "exact")
    assert F.is_factored
    # entries: sums over the P weights of products J_ai J_bi / 8 (conftest.sum_atol)
    np.testing.assert_allclose(F.gram(), J @ J.T / 8, rtol=1e-12,
                               atol=sum_atol(np.abs(J) @ np.abs(J).T / 8, net.n_weights))
    with pytest.raises(ValueError, match="factor"):
        fisher(net, theta, X, "exact", factor="never").gram()


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_monte_carlo_fisher_agrees_with_exact_within_standard_errors(output, C):
    net, theta, X = make(output, C, n=6)
    exact = fisher(net, theta, X, "exact").to_dense()
    mc = fisher(net, theta, X, "monte_carlo", rng=1, n_samples=2000)
    tiny = 1e-12 * np.max(np.abs(exact))
    assert mc.stderr is not None
    assert np.all(np.abs(mc.to_dense() - exact) <= N_SE * mc.stderr + tiny)
    assert mc.to_info().method == "monte_carlo"


def test_monte_carlo_error_shrinks_like_one_over_sqrt_samples():
    net, theta, X = make("softmax", 3, n=6)
    exact = fisher(net, theta, X, "exact").to_dense()
    err = [np.linalg.norm(fisher(net, theta, X, "monte_carlo", rng=s, n_samples=S).to_dense()
                          - exact) for S in (100, 1600) for s in range(6)]
    small, large = np.mean(err[:6]), np.mean(err[6:])
    assert 2.0 < small / large < 8.0  # sqrt(16) = 4


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_empirical_fisher_is_the_mean_outer_product_of_per_sample_gradients(output, C):
    net, theta, X = make(output, C, n=15)
    y = net.sample(theta, rng=2, x=X)
    G = net.per_sample_grad(theta, X, y)
    emp = fisher(net, theta, X, "empirical", y=y)
    # entries: sums over the 15 rows of products G_ni G_nj / 15 (conftest.sum_atol)
    np.testing.assert_allclose(emp.to_dense(), G.T @ G / 15, rtol=1e-11,
                               atol=sum_atol(np.abs(G).T @ np.abs(G) / 15, 15))
    np.testing.assert_allclose(per_sample_traces(net, theta, X, "empirical", y=y),
                               np.sum(G * G, axis=1), rtol=1e-12)


@pytest.mark.parametrize("kind", ["exact", "monte_carlo", "empirical"])
@pytest.mark.parametrize("output, C", OUTPUTS)
def test_diag_and_block_structures_are_parts_of_the_dense_matrix(kind, output, C):
    net, theta, X = make(output, C, sizes=(3, 4, 4), n=9)
    y = net.sample(theta, rng=0, x=X) if kind == "empirical" else None
    args = dict(y=y, rng=5, n_samples=3)
    dense = fisher(net, theta, X, kind, "dense", **args).to_dense()
    if kind == "exact":
        atol = exact_atol(net, theta, X)
    else:
        # means of K = N * draws outer products g g^T: sum_k |g_ki g_kj| / K <= sqrt(M_ii M_jj)
        # <= max diag M (Cauchy-Schwarz), summed in depth K (conftest.sum_atol)
        atol = sum_atol(np.max(np.diag(dense)), 9 * (3 if kind == "monte_carlo" else 1))
    np.testing.assert_allclose(fisher(net, theta, X, kind, "diag", **args).diagonal(),
                               np.diag(dense), rtol=1e-12, atol=atol)
    block = fisher(net, theta, X, kind, "block", **args).to_dense()
    mask = np.zeros_like(dense, dtype=bool)
    for s in net.slices:
        mask[s, s] = True
    np.testing.assert_allclose(block[mask], dense[mask], rtol=1e-11, atol=atol)
    assert np.all(block[~mask] == 0)


@given(seed=SEEDS, n=st.integers(1, 40), bias=st.booleans())
@settings(max_examples=10)
def test_kfac_equals_block_fisher_for_deep_linear_networks_with_gaussian_output(seed, n,
                                                                                  bias):
    """The back-propagated signals of a linear network do not depend on the input, so
    E[g g^T (x) a a^T] = G (x) E[a a^T] exactly (Martens & Grosse 2015, section 3.1)."""
    rng = np.random.default_rng(seed)
    net = MLP([3, 5, 4, 2], "linear", "linear", bias=bias, sigma2=0.7)
    theta, X = net.init(rng, sigma_b2=0.5), rng.standard_normal((n, 3))
    kfac = fisher(net, theta, X, "exact", "kfac").to_dense()
    block = fisher(net, theta, X, "exact", "block").to_dense()
    np.testing.assert_allclose(kfac, block, rtol=1e-10, atol=1e-13 * np.max(block))


@pytest.mark.parametrize("output, C", OUTPUTS)
@pytest.mark.parametrize("kind", ["exact", "empirical", "monte_carlo"])
def test_kfac_equals_block_fisher_for_a_single_datum(output, C, kind):
    net, theta, X = make(output, C, n=1)
    y = net.sample(theta, rng=0, x=X) if kind == "empirical" else None
    args = dict(y=y, rng=3, n_samples=4)
    kfac = fisher(net, theta, X, kind, "kfac", **args).to_dense()
    block = fisher(net, theta, X, kind, "block", **args).to_dense()
    np.testing.assert_allclose(kfac, block, rtol=1e-10, atol=1e-13 * np.max(block))


@pytest.mark.parametrize("case", ["tanh network", "linear network, empirical kind",
                                  "linear network, softmax output"])
def test_kfac_is_not_exact_outside_those_cases(case):
    """Negative controls: the previous two tests would fail for a wrong K-FAC scaling."""
    if case == "tanh network":
        net, theta, X = make("linear", 2, n=30)
        kind, y = "exact", None
    else:
        out = "softmax" if "softmax" in case else "linear"
        net, theta, X = make(out, 3, activation="linear", n=30)
        kind = "empirical" if "empirical" in case else "exact"
        y = net.sample(theta, rng=0, x=X) if kind == "empirical" else None
    kfac = fisher(net, theta, X, kind, "kfac", y=y).to_dense()
    block = fisher(net, theta, X, kind, "block", y=y).to_dense()
    assert np.linalg.norm(kfac - block) > 1e-3 * np.linalg.norm(block)


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_ekfac_keeps_the_trace_and_is_closer_to_the_blocks_than_kfac(output, C):
    net, theta, X = make(output, C, n=40)
    block = fisher(net, theta, X, "exact", "block")
    kfac = fisher(net, theta, X, "exact", "kfac")
    ekfac = fisher(net, theta, X, "exact", "ekfac")
    assert ekfac.trace() == pytest.approx(block.trace(), rel=1e-12)
    B = block.to_dense()
    assert np.linalg.norm(ekfac.to_dense() - B) <= np.linalg.norm(kfac.to_dense() - B)


@pytest.mark.parametrize("output, C", OUTPUTS + [("linear-sigma2", 2)])
def test_twice_kl_over_quadratic_form_tends_to_one(output, C):
    """KL(p_theta || p_theta+d) = 1/2 d^T F d + O(|d|^3) (e.g. Amari 2016, eq. 1.52)."""
    sigma2 = None if output == "linear-sigma2" else 1.0
    net = MLP([3, 5, C], "tanh", output.split("-")[0], sigma2=sigma2)
    rng = np.random.default_rng(4)
    theta = net.init(rng, sigma_b2=0.3)
    if sigma2 is None:
        theta[-1] = 0.8
    X = rng.standard_normal((25, 3))
    F = fs.fisher(net, theta, x=X).matrix / 25  # includes sigma2 when estimated
    u = rng.standard_normal(net.n_params)
    u /= np.linalg.norm(u)
    errors = []
    for eps in (1e-2, 1e-3, 1e-4):
        d = eps * u
        kl = net.kl_divergence(theta, theta + d, X).mean()
        errors.append(abs(2 * kl / (d @ F @ d) - 1))
    assert errors[-1] < 1e-3
    assert errors[2] < errors[1] < errors[0]  # the error vanishes with the step


def test_per_sample_traces_average_to_the_trace_and_equal_expected_gradient_length():
    net, theta, X = make("softmax", 3, n=5)
    t = per_sample_traces(net, theta, X)
    assert t.mean() == pytest.approx(fisher(net, theta, X, "exact").trace(), rel=1e-12)
    # E_y ||grad log p(y|x)||^2 = sum_y p(y|x) ||grad||^2 (Settles & Craven's EGL)
    P = net.predict(theta, X)
    egl = np.zeros(5)
    for c in range(3):
        g = net.per_sample_grad(theta, X, np.full(5, c))
        egl += P[:, c] * np.sum(g * g, axis=1)
    np.testing.assert_allclose(t, egl, rtol=1e-12)


def test_implicit_operator_matches_dense_products_and_solves():
    net, theta, X = make("softmax", 3, n=20)
    imp = fisher(net, theta, X, "exact", "implicit")
    M = fisher(net, theta, X, "exact").to_dense()
    V = np.random.default_rng(0).standard_normal((net.n_weights, 3))
    # J^T (Lambda (J V)) / N against (sum_n J^T Lambda J / N) V: the same terms, of absolute
    # sum S |V|, nested N + 2C + P deep (conftest.sum_atol)
    S, depth = exact_abs_terms(net, theta, X)
    np.testing.assert_allclose(imp.matvec(V), M @ V, rtol=1e-11,
                               atol=sum_atol(S @ np.abs(V), depth + net.n_weights))
    np.testing.assert_allclose(imp.solve(V[:, 0], 0.05),
                               np.linalg.solve(M + 0.05 * np.eye(net.n_weights), V[:, 0]),
                               rtol=1e-7)
    assert 0 < imp.last_iterations <= net.n_weights
    assert imp.trace() == pytest.approx(np.trace(M), rel=1e-12)


def test_fisher_rejects_bad_arguments_naming_them():
    net, theta, X = make("softmax", 3)
    y = np.zeros(X.shape[0])
    with pytest.raises(ValueError, match="kind"):
        fisher(net, theta, X, "observed")
    with pytest.raises(TypeError, match="kind"):
        fisher(net, theta, X)  # kind is required
    with pytest.raises(ValueError, match="structure"):
        fisher(net, theta, X, "exact", "lowrank")
    with pytest.raises(ValueError, match="y"):
        fisher(net, theta, X, "empirical")
    with pytest.raises(ValueError, match="y"):
        fisher(net, theta, X, "exact", y=y)
    with pytest.raises(ValueError, match="n_samples"):
        fisher(net, theta, X, "monte_carlo", n_samples=0)
    with pytest.raises(TypeError, match="net"):
        fisher(fs.models.Normal(), theta, X, "exact")
    with pytest.raises(ValueError, match="factor"):
        fisher(net, theta, X, "exact", factor="sometimes")
    with pytest.raises(ValueError, match="x"):
        fisher(net, theta, X[:, :2], "exact")


def test_singular_analysis_finds_the_logit_shift_of_a_softmax_network():
    """fisherstat.singular works on a network's information unchanged (via to_info)."""
    from fisherstat import singular
    net, theta, X = make("softmax", 3, sizes=(2, 4), n=200)
    info = fisher(net, theta, X, "exact", factor="never").to_info()
    shift = {s.name: s for s in net.singularities(theta)}["logit shift"]
    report = singular.analyze(info)
    assert report.rank == net.n_weights - shift.rank_drop
