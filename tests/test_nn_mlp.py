"""The hand-written MLP: derivatives against central differences, the model contract,
output factors, sampling, fitting and the named singularities."""

import numpy as np
import pytest
from conftest import N_SE, sum_atol
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.nn import MLP, fisher
from fisherstat.nn.layers import ACTIVATIONS
from fisherstat.nn.outputs import Categorical

SEEDS = st.integers(0, 2**32 - 1)
OUTPUTS = [("linear", 2), ("softmax", 3), ("sigmoid", 2)]
RTOL = 1e-7  # the gradient-check tolerance


def rel_err(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def setup(activation, output, C, seed, sigma2=1.0, n=7):
    """A 3-4-5-C network with generic parameters and inputs away from ReLU kinks."""
    net = MLP([3, 4, 5, C], activation, output, sigma2=sigma2)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        theta = net.init(rng, sigma_w2=1.5, sigma_b2=0.3)
        if sigma2 is None:
            theta[-1] = 0.6
        X = rng.standard_normal((n, 3))
        if min(np.min(np.abs(z)) for z in net._forward(theta, X).pre) > 1e-3:
            break
    y = net.sample(theta, rng=rng, x=X)
    return net, theta, X, y


def fd(f, x, activation):
    # ReLU is piecewise linear: a small step never crosses a kink at distance > 1e-3
    return _numdiff.jacobian(f, x, base=1e-7 if activation == "relu" else _numdiff.FIRST_BASE)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output, C", OUTPUTS)
def test_gradient_equals_central_differences_to_1e7(activation, output, C):
    for sigma2 in ([1.0, None] if output == "linear" else [1.0]):
        net, theta, X, y = setup(activation, output, C, 1, sigma2)
        num = fd(lambda t: net.loss(t, X, y), theta, activation)  # noqa: B023
        assert rel_err(net.grad(theta, X, y), num) < RTOL


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output, C", OUTPUTS)
def test_per_sample_jacobian_equals_central_differences_to_1e7(activation, output, C):
    net, theta, X, _ = setup(activation, output, C, 2)
    num = fd(lambda t: net.forward(t, X), theta, activation)
    J = net.jacobian(theta, X)
    assert J.shape == (7, C, net.n_weights)
    assert rel_err(J, num) < RTOL


@pytest.mark.parametrize("output, C", OUTPUTS)
@given(seed=SEEDS)
@settings(max_examples=5)
def test_score_equals_central_differences_of_loglik(output, C, seed):
    sigma2 = None if output == "linear" else 1.0
    net, theta, X, y = setup("tanh", output, C, seed, sigma2)
    num = _numdiff.jacobian(lambda t: net.loglik(t, y, x=X), theta, net.lower, net.upper)
    assert rel_err(net.score(theta, y, x=X), num) < RTOL


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_per_sample_gradients_sum_to_the_batch_gradient(output, C):
    net, theta, X, y = setup("softplus", output, C, 3, None if output == "linear" else 1.0,
                             n=50)
    G = net.per_sample_grad(theta, X, y)
    assert G.shape == (50, net.n_params)
    np.testing.assert_allclose(G.sum(axis=0), 50 * net.grad(theta, X, y), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_jvp_and_vjp_are_products_with_the_jacobian(output, C):
    net, theta, X, _ = setup("erf", output, C, 4)
    J = net.jacobian(theta, X)
    rng = np.random.default_rng(0)
    v, u = rng.standard_normal(net.n_weights), rng.standard_normal((7, C))
    np.testing.assert_allclose(net.jvp(theta, X, v), J @ v, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.vjp(theta, X, u), np.einsum("ncp,nc->p", J, u),
                               rtol=1e-12, atol=1e-14)


def test_forward_matches_an_explicit_loop_over_layers():
    net = MLP([3, 4, 2], "tanh", "softmax")
    theta = net.init(rng=0, sigma_b2=1.0)
    X = np.random.default_rng(1).standard_normal((5, 3))
    (W1, b1), (W2, b2) = net.unflatten(theta)
    logits = np.tanh(X @ W1.T + b1) @ W2.T + b2
    np.testing.assert_allclose(net.forward(theta, X), logits, rtol=1e-14)
    np.testing.assert_allclose(net.predict(theta, X), special.softmax(logits, axis=1),
                               rtol=1e-14)
    assert net.param_names[:3] == ("W1[0,0]", "W1[0,1]", "W1[0,2]")
    assert net.param_names[3] == "b1[0]"  # unit-major: incoming weights, then the bias
    assert theta[3] == b1[0]
    np.testing.assert_array_equal(net.flatten(net.unflatten(theta)), theta)


def test_network_without_bias_has_only_weights():
    net = MLP([3, 4, 2], bias=False)
    assert net.n_weights == 3 * 4 + 4 * 2
    assert all(b is None for _, b in net.unflatten(net.init(rng=0)))


def test_init_variance_is_sigma_w2_over_fan_in():
    net = MLP([300, 200, 1])
    theta = net.init(rng=0, sigma_w2=2.0, sigma_b2=0.5)
    (W1, b1), _ = net.unflatten(theta)
    w = W1.ravel() * np.sqrt(300 / 2.0)  # should be N(0, 1): 60000 draws
    assert abs(w.var() - 1.0) < N_SE * np.sqrt(2.0 / w.size)
    assert abs(b1.var() / 0.5 - 1.0) < N_SE * np.sqrt(2.0 / b1.size)


@given(seed=SEEDS, C=st.integers(2, 8), scale=st.sampled_from([0.1, 3.0, 30.0]))
@settings(max_examples=30)
def test_softmax_householder_factor_squares_to_diag_p_minus_ppT(seed, C, scale):
    f = np.random.default_rng(seed).standard_normal((4, C)) * scale
    p = special.softmax(f, axis=1)
    L = Categorical().factor(f)
    assert L.shape == (4, C, C - 1)
    Lam = np.einsum("nc,cd->ncd", p, np.eye(C)) - np.einsum("nc,nd->ncd", p, p)
    # The factor is built from O(1) quantities (sqrt p and a unit Householder vector, entries
    # |L_cr| <= 1), so its rounding is absolute, of order eps * 1, however small Lam_cd is
    # (seen: 4e-5 relative at Lam = 2e-12). Each entry of L L^T sums C - 1 products, each
    # factor carrying a few roundings of its own (a norm, a square root, a division: 8
    # allowed), all below 1 in magnitude (conftest.sum_atol); 1e-15 (4.5 eps) held by luck.
    np.testing.assert_allclose(np.einsum("ncr,ndr->ncd", L, L), Lam,
                               atol=sum_atol(1.0, C - 1 + 8))


def test_softmax_square_root_factor_order_matters():
    """diag(sqrt p) - p sqrt(p)^T is a factor of diag(p) - p p^T; its transpose is not."""
    p = np.array([0.6, 0.3, 0.1])
    s = np.sqrt(p)
    Lam = np.diag(p) - np.outer(p, p)
    good = np.diag(s) - np.outer(p, s)
    bad = np.diag(s) - np.outer(s, p)
    # 3 products per entry of terms below sqrt(Lam_cc Lam_dd) <= 1/4 (conftest.sum_atol)
    np.testing.assert_allclose(good @ good.T, Lam, atol=sum_atol(0.25, 3 + 2))
    assert np.max(np.abs(bad @ bad.T - Lam)) > 1e-2


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_samples_have_the_model_mean_and_variance(output, C):
    net = MLP([2, 3, C], "tanh", output, sigma2=0.5 if output == "linear" else 1.0)
    theta = net.init(rng=0, sigma_b2=0.5)
    x = np.tile([[0.3, -0.7]], (40_000, 1))
    y = net.sample(theta, rng=1, x=x)
    mean = net.predict(theta, x[:1])[0]
    if output == "softmax":
        freq = np.bincount(y.astype(int), minlength=C) / y.size
        se = np.sqrt(mean * (1 - mean) / y.size)
        assert np.all(np.abs(freq - mean) < N_SE * se)
    else:
        se = y.std(axis=0) / np.sqrt(y.shape[0])
        assert np.all(np.abs(y.mean(axis=0) - mean) < N_SE * se)
        var = 0.5 if output == "linear" else mean * (1 - mean)
        assert np.all(np.abs(y.var(axis=0) / var - 1) < N_SE * np.sqrt(2 / y.shape[0]) * 2)


@pytest.mark.parametrize("output, C", OUTPUTS)
def test_point_information_is_JT_Lambda_J_and_fs_fisher_sums_over_rows(output, C):
    sigma2 = None if output == "linear" else 1.0
    net, theta, X, _ = setup("tanh", output, C, 5, sigma2)
    J = net.jacobian(theta, X)
    f = net.forward(theta, X)
    if output == "linear":
        Lam = np.broadcast_to(np.eye(C) / theta[-1], (7, C, C))
    elif output == "softmax":
        p = special.softmax(f, axis=1)
        Lam = np.einsum("nc,cd->ncd", p, np.eye(C)) - np.einsum("nc,nd->ncd", p, p)
    else:
        p = special.expit(f)
        Lam = np.einsum("nc,cd->ncd", p * (1 - p), np.eye(C))
    M = net.point_information(theta, X)
    P = net.n_weights
    # per row, sums over two output indices of |J| |Lam| |J| (conftest.sum_atol)
    absJLJ = np.einsum("nca,ncd,ndb->nab", np.abs(J), np.abs(Lam), np.abs(J))
    np.testing.assert_allclose(M[:, :P, :P], np.einsum("nca,ncd,ndb->nab", J, Lam, J),
                               rtol=1e-12, atol=sum_atol(absJLJ, 2 * C))
    if sigma2 is None:  # sigma2: information C / (2 sigma2^2), orthogonal to the weights
        np.testing.assert_allclose(M[:, P, P], C / (2 * theta[-1] ** 2), rtol=1e-14)
        assert np.all(M[:, :P, P] == 0)
    info = fs.fisher(net, theta, x=X)
    assert info.n_obs == 7
    np.testing.assert_allclose(info.matrix[:P, :P] / 7,
                               fisher(net, theta, X, "exact").to_dense(), rtol=1e-12,
                               atol=sum_atol(absJLJ.mean(axis=0), 7 + 2 * C))


@pytest.mark.parametrize("output, C", [("linear", 1), ("softmax", 3), ("sigmoid", 1)])
def test_analytic_information_equals_monte_carlo_within_standard_errors(output, C):
    net = MLP([1, 2, C], "tanh", output, sigma2=None if output == "linear" else 1.0)
    theta, x = net.example_theta(), net.example_x()
    exact = fs.fisher(net, theta, x=x).matrix
    mc = fs.fisher(net, theta, method="monte_carlo", n_samples=3000, rng=7, x=x)
    tiny = 1e-12 * np.max(np.abs(exact))
    assert np.all(np.abs(mc.matrix - exact) <= N_SE * mc.stderr + tiny)


def test_empirical_fisher_of_the_model_is_the_mean_outer_product_of_scores():
    net, theta, X, y = setup("tanh", "softmax", 3, 6, n=30)
    emp = fs.empirical_fisher(net, theta, y, x=X).matrix
    # means of 30 outer products g g^T: sum |g_i g_j| / 30 <= max diag (Cauchy-Schwarz)
    np.testing.assert_allclose(emp, fisher(net, theta, X, "empirical", y=y).to_dense(),
                               rtol=1e-12, atol=sum_atol(np.max(np.diag(emp)), 30))


def test_fit_recovers_a_gaussian_network_within_the_cramer_rao_bound():
    net = MLP([1, 2, 1], "tanh", sigma2=None)
    theta = net.example_theta()
    x = np.tile(net.example_x(), (100, 1))
    y = net.sample(theta, rng=3, x=x)
    est = net.fit(y, x=x, start=theta)
    se = fs.fisher(net, theta, x=x).standard_errors()
    assert np.all(np.abs(est - theta) < 4.5 * se)
    assert est[-1] == pytest.approx(np.mean((y - net.forward(est, x)[:, 0]) ** 2))


def test_fit_of_separable_classes_raises_fit_error_with_the_reason():
    net = MLP([1, 2], activation="linear", output="softmax")
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    with pytest.raises(fs.FitError, match="separat"):
        net.fit(np.array([0, 0, 1, 1]), x=x)


def _rank(net, theta, X):
    return np.linalg.matrix_rank(fisher(net, theta, X, "exact").to_dense(), tol=1e-9)


@pytest.mark.parametrize("output, C", [("linear", 1), ("linear", 2), ("softmax", 3)])
def test_singularities_report_distance_zero_and_the_true_rank_drop(output, C):
    net = MLP([2, 3, C], "tanh", output)
    theta = net.init(rng=1, sigma_b2=0.5)
    X = np.random.default_rng(0).standard_normal((200, 2))
    generic = _rank(net, theta, X)
    if output == "softmax":
        shift = [s for s in net.singularities(theta) if s.name == "logit shift"][0]
        assert generic == net.n_weights - shift.rank_drop
    else:
        assert generic == net.n_weights
    (W1, b1), (W2, b2) = net.unflatten(theta)
    W2e = W2.copy()
    W2e[:, 1] = 0.0  # unit 1 eliminated
    W1o, b1o = W1.copy(), b1.copy()
    W1o[1], b1o[1] = -W1[0], -b1[0]  # tanh is odd: opposite units overlap
    for name, t in (("eliminated unit", net.flatten([(W1, b1), (W2e, b2)])),
                    ("overlapping units", net.flatten([(W1o, b1o), (W2, b2)]))):
        sing = {s.name: s for s in net.singularities(t)}[name]
        assert sing.distance == pytest.approx(0.0, abs=1e-12)
        assert _rank(net, t, X) == generic - sing.rank_drop


def test_bad_constructor_arguments_are_rejected_naming_them():
    with pytest.raises(ValueError, match="sizes"):
        MLP([3])
    with pytest.raises(ValueError, match="sizes"):
        MLP([3, 0, 1])
    with pytest.raises(TypeError, match="sizes"):
        MLP("3,1")
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 1], activation="gelu")
    with pytest.raises(ValueError, match="output"):
        MLP([2, 1], output="poisson")
    with pytest.raises(ValueError, match="softmax"):
        MLP([2, 1], output="softmax")
    with pytest.raises(ValueError, match="sigma2"):
        MLP([2, 2], output="softmax", sigma2=None)
    with pytest.raises(ValueError, match="sigma2"):
        MLP([2, 1], sigma2=-1.0)
    with pytest.raises(TypeError, match="bias"):
        MLP([2, 1], bias="yes")


def test_bad_data_and_inputs_are_rejected_naming_them():
    net = MLP([2, 3, 3], output="softmax")
    theta, X = net.init(rng=0), np.ones((4, 2))
    with pytest.raises(ValueError, match="data"):
        net.loss(theta, X, [0, 1, 2, 3])  # label 3 of 3 classes
    with pytest.raises(ValueError, match="integer"):
        net.loss(theta, X, [0, 1, 0.5, 1])
    with pytest.raises(ValueError, match="rows"):
        net.loss(theta, X, [0, 1, 2])
    with pytest.raises(ValueError, match="x"):
        net.forward(theta, np.ones((4, 3)))
    with pytest.raises(ValueError, match="theta"):
        net.forward(theta[:-1], X)
    with pytest.raises(ValueError, match="data"):
        MLP([2, 1], output="sigmoid").loss(MLP([2, 1]).init(rng=0), X, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="accuracy"):
        MLP([2, 1]).accuracy(MLP([2, 1]).init(rng=0), X, np.zeros(4))
    with pytest.raises(ValueError, match="sigma2"):
        MLP([2, 1], sigma2=None).validate([0.0, 0.0, 0.0, -1.0])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_canonical_form_keeps_the_function_and_is_idempotent(activation):
    net = MLP([2, 4, 3, 1], activation)
    theta = net.init(rng=3, sigma_b2=1.0)
    X = np.random.default_rng(0).standard_normal((20, 2))
    c = net.canonical(theta)
    np.testing.assert_allclose(net.forward(c, X), net.forward(theta, X), rtol=1e-13)
    np.testing.assert_array_equal(net.canonical(c), c)
    for _, b in net.unflatten(c)[:-1]:
        assert np.all(np.diff(b) >= 0)
        assert activation != "tanh" or np.all(b >= 0)


def test_fit_without_start_finds_the_canonical_truth_within_the_cramer_rao_bound():
    """Five random starts, the best kept, returned in canonical form: comparable with the
    (canonical) example parameter although the starts are permuted and sign-flipped."""
    net = MLP([1, 2, 1], "tanh", sigma2=None)
    theta = net.example_theta()
    np.testing.assert_array_equal(net.canonical(theta), theta)
    x = np.tile(net.example_x(), (100, 1))
    y = net.sample(theta, rng=4, x=x)
    est = net.fit(y, x=x)
    se = fs.fisher(net, theta, x=x).standard_errors()
    assert np.all(np.abs(est - theta) < 4.5 * se)
