"""Optimizers: update rules, Adam's second moment vs the diagonal empirical Fisher, the
empirical Fisher's failure on least squares (Kunstner et al. 2019), and natural gradient
needing fewer iterations than (momentum) SGD and Adam on a small classification problem."""

import numpy as np
import pytest
from conftest import N_SE

from fisherstat.nn import MLP, SGD, Adam, NaturalGradient, fisher, train


def test_sgd_momentum_and_nesterov_follow_their_update_rules():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    opt = SGD(lr=0.1, momentum=0.9)
    t1 = opt.step(np.zeros(2), g1)
    t2 = opt.step(t1, g2)
    np.testing.assert_allclose(t2, -0.1 * g1 - 0.1 * (0.9 * g1 + g2))
    nes = SGD(lr=0.1, momentum=0.9, nesterov=True)
    t1 = nes.step(np.zeros(2), g1)
    np.testing.assert_allclose(t1, -0.1 * (g1 + 0.9 * g1))


def test_adam_follows_kingma_and_ba_algorithm_1():
    gs = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-1.0, 3.0])]
    opt = Adam(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-6)
    theta, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    ref = np.zeros(2)
    for t, g in enumerate(gs, start=1):
        theta = opt.step(theta, g)
        m, v = 0.8 * m + 0.2 * g, 0.9 * v + 0.1 * g * g
        ref = ref - 0.01 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-6)
    np.testing.assert_allclose(theta, ref, rtol=1e-14)


def _adam_second_moment(G, batch, beta2, T, seed):
    """Run Adam with lr = 0 on mini-batch means of rows of G drawn with replacement.

    Returns v_hat, the squared batch gradients and the EMA weights of each step.
    """
    rng = np.random.default_rng(seed)
    opt = Adam(lr=0.0, beta2=beta2)
    theta = np.zeros(G.shape[1])
    sq = np.empty((T, G.shape[1]))
    for t in range(T):
        g = G[rng.integers(0, G.shape[0], batch)].mean(axis=0)
        opt.step(theta, g)
        sq[t] = g * g
    w = (1 - beta2) * beta2 ** np.arange(T - 1, -1, -1) / (1 - beta2**T)
    return opt.second_moment, sq, w


@pytest.mark.parametrize("batch", [1, 5])
def test_adam_second_moment_is_diagonal_empirical_fisher_plus_squared_mean_gradient(batch):
    """E[v_hat] = g_bar^2 + (diag F_emp - g_bar^2) / B; for B = 1, diag of the empirical
    Fisher exactly."""
    net = MLP([3, 4, 3], "tanh", "softmax")
    rng = np.random.default_rng(0)
    theta, X = net.init(rng), rng.standard_normal((40, 3))
    y = net.sample(theta, rng=1, x=X)
    G = net.per_sample_grad(theta, X, y)
    diag_emp = fisher(net, theta, X, "empirical", y=y, structure="diag").diagonal()
    gbar = G.mean(axis=0)
    expected = gbar**2 + (diag_emp - gbar**2) / batch
    v, sq, w = _adam_second_moment(G, batch, beta2=0.995, T=3000, seed=2)
    se = np.sqrt(np.sum(w**2)) * sq.std(axis=0)
    assert np.all(np.abs(v - expected) <= N_SE * se + 1e-15)
    if batch == 1:
        np.testing.assert_allclose(expected, diag_emp, rtol=1e-12)


def _least_squares(n=100, seed=0):
    """y = 2 x - 1 + N(0, 1), x ~ N(2, 1): a linear network [1, 1] with Gaussian output."""
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 1.0, n)
    y = 2.0 * x - 1.0 + rng.standard_normal(n)
    net = MLP([1, 1], activation="linear")
    X = x[:, None]
    theta_hat = np.linalg.lstsq(np.column_stack([x, np.ones(n)]), y, rcond=None)[0]
    return net, X, y, theta_hat


def _cos(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def test_natural_gradient_on_least_squares_is_one_newton_step_but_empirical_fisher_is_not():
    """Kunstner, Balles & Hennig 2019, Fig. 1: the Fisher is the Hessian of least squares
    and points at the minimum; the empirical Fisher turns the step away and shrinks it."""
    net, X, y, theta_hat = _least_squares()
    theta = theta_hat + np.array([3.0, 3.0])
    g = net.grad(theta, X, y)
    ng = NaturalGradient("dense", damping=0.0).step(theta, g, net=net, X=X, y=y)
    np.testing.assert_allclose(ng, theta_hat, rtol=1e-10)
    F_emp = fisher(net, theta, X, "empirical", y=y).to_dense()
    d_emp = -np.linalg.solve(F_emp, g)
    to_min = theta_hat - theta
    assert _cos(ng - theta, to_min) == pytest.approx(1.0, abs=1e-12)
    # Closed forms on the same data (sigma^2 = 1, parameters (w, b), x~ = (x, 1)): the
    # per-observation gradients are -r_i x~_i, r_i = e_i - x~_i^T delta with e the OLS
    # residuals and delta = theta - theta_hat, so F_emp = mean r_i^2 x~_i x~_i^T and
    # g = H delta with H = mean x~ x~^T (e is orthogonal to x~).
    n = len(y)
    Xt = np.column_stack([X[:, 0], np.ones(n)])
    e = y - Xt @ theta_hat
    delta = theta - theta_hat

    def emp_fisher(Xt, r):
        return (Xt * (r * r)[:, None]).T @ Xt / len(r)

    # both sides are sums of n products of 4 factors, in any order: each within
    # gamma_(n+3) sum|terms| of the exact sum (Higham 2002, eq. 3.5), so 2 (n + 3) eps
    terms = emp_fisher(np.abs(Xt), y - Xt @ theta)
    np.testing.assert_array_less(np.abs(F_emp - emp_fisher(Xt, y - Xt @ theta)),
                                 2 * (n + 3) * np.finfo(float).eps * terms + 1e-300)

    # Population values (x ~ N(2, 1), noise N(0, 1)) from the moments E x^k of N(2, 1):
    # F = E[x~ x~^T] + E[(x~^T delta)^2 x~ x~^T], delta = (3, 3), x~^T delta = 3 (x + 1)
    mom = [1.0, 2.0, 5.0, 14.0, 43.0]  # E x^k, k = 0..4, of x = 2 + z
    H_pop = np.array([[mom[2], mom[1]], [mom[1], mom[0]]])
    w = [9 * (mom[k + 2] + 2 * mom[k + 1] + mom[k]) for k in range(3)]  # E[9 (x+1)^2 x^k]
    F_pop = H_pop + np.array([[w[2], w[1]], [w[1], w[0]]])
    d_pop = -np.linalg.solve(F_pop, H_pop @ delta)
    cos_pop = _cos(d_pop, to_min)  # 0.5777
    shrink_pop = np.linalg.norm(d_pop) / np.linalg.norm(to_min)  # 0.0425
    # Kunstner et al.'s claim, in the population: the empirical Fisher turns the step away
    # from the minimum (cosine well below 1) and shrinks it about 24-fold
    assert cos_pop < 0.6 and shrink_pop < 0.05
    # The sample of n = 100 estimates them: within N_SE bootstrap standard errors (resampled
    # rows (x_i, e_i), 400 replicates: SE of an SE estimate ~ 1/sqrt(2 * 400) = 3.5 %); the
    # O(1/n) bias of these ratio estimators (bootstrap estimate 4e-4) is < 0.1 SE
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(400):
        i = rng.integers(0, n, n)
        Hb = Xt[i].T @ Xt[i] / n
        db = -np.linalg.solve(emp_fisher(Xt[i], e[i] - Xt[i] @ delta), Hb @ delta)
        boot.append([_cos(db, to_min), np.linalg.norm(db) / np.linalg.norm(to_min)])
    se = np.std(boot, axis=0, ddof=1)
    assert abs(_cos(d_emp, to_min) - cos_pop) <= N_SE * se[0], (_cos(d_emp, to_min), se)
    assert abs(np.linalg.norm(d_emp) / np.linalg.norm(to_min) - shrink_pop) <= N_SE * se[1]
    ef = train(net, theta, X, y, NaturalGradient("dense", damping=0.0, kind="empirical"),
               n_steps=500, target_loss=net.loss(theta_hat, X, y) + 1e-6)
    # Baseline: the same iteration in closed form, delta <- delta - F_emp(delta)^-1 H delta,
    # until the excess loss 1/2 delta^T H delta (exact for least squares) is <= 1e-6. Both
    # are well-conditioned 2 x 2 iterations, so rounding (~1e-13 relative) can move the
    # first step below the target only if the excess loss there is within 1e-13 of 1e-6;
    # near the minimum each step divides it by >> 1 + 1e-13: the counts agree exactly.
    k, dk = 0, delta.copy()
    H = Xt.T @ Xt / n
    while 0.5 * dk @ H @ dk > 1e-6:
        dk = dk - np.linalg.solve(emp_fisher(Xt, e - Xt @ dk), H @ dk)
        k += 1
    assert ef.reached_target == k
    assert k > 20  # 87 for this data (the Fisher needs 1): the shrunken steps of above


def test_empirical_fisher_approaches_the_fisher_at_the_true_parameter():
    """The condition under which the two agree: a correct model at its true parameter."""
    net, X, y, _ = _least_squares(n=20_000, seed=1)
    theta = np.array([2.0, -1.0])
    G = net.per_sample_grad(theta, X, y)
    terms = np.einsum("na,nb->nab", G, G)
    emp = terms.mean(axis=0)
    se = terms.std(axis=0, ddof=1) / np.sqrt(G.shape[0])
    exact = fisher(net, theta, X, "exact").to_dense()
    np.testing.assert_allclose(emp, fisher(net, theta, X, "empirical", y=y).to_dense(),
                               rtol=1e-10)
    assert np.all(np.abs(emp - exact) <= N_SE * se)


def _xor(n=200):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(float)


def test_natural_gradient_needs_fewer_iterations_than_tuned_sgd_and_adam():
    X, y = _xor()
    net = MLP([2, 8, 2], "tanh", "softmax")
    theta0 = net.init(rng=1)
    target, steps = 0.15, 400

    def iterations(opt):
        try:
            r = train(net, theta0, X, y, opt, n_steps=steps, target_loss=target)
        except FloatingPointError:
            return np.inf
        return np.inf if r.reached_target is None else r.reached_target

    first_order = min(
        [iterations(SGD(lr=lr)) for lr in (0.3, 1.0, 3.0)]
        + [iterations(SGD(lr=lr, momentum=0.9)) for lr in (0.1, 0.3, 1.0)]
        + [iterations(Adam(lr=lr)) for lr in (0.01, 0.03, 0.1)])
    assert first_order == 19  # momentum SGD, lr = 1 (the best of the grid)
    dense = iterations(NaturalGradient("dense", damping=1e-2))
    kfac = iterations(NaturalGradient("kfac", damping=1e-3, kl_clip=0.01))
    implicit = iterations(NaturalGradient("implicit", damping=1e-2))
    assert dense == implicit == 6
    assert dense < first_order and kfac < first_order


def test_natural_gradient_solvers_give_the_same_direction():
    X, y = _xor(60)
    net = MLP([2, 6, 2], "tanh", "softmax")
    theta = net.init(rng=2)
    g = net.grad(theta, X, y)
    steps = [NaturalGradient(s, damping=0.05, solver=sv, cg_maxiter=500).step(
        theta, g, net=net, X=X, y=y) for s, sv in (("dense", "direct"), ("dense", "cg"),
                                                  ("implicit", "direct"))]
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-7)
    np.testing.assert_allclose(steps[2], steps[0], rtol=1e-7)


def test_kl_clip_bounds_the_quadratic_kl_of_the_step():
    X, y = _xor(60)
    net = MLP([2, 6, 2], "tanh", "softmax")
    theta = net.init(rng=2)
    opt = NaturalGradient("dense", damping=1e-4, kl_clip=1e-3)
    new = opt.step(theta, net.grad(theta, X, y), net=net, X=X, y=y)
    d = new - theta
    assert 0.5 * d @ opt.curvature.matvec(d) == pytest.approx(1e-3, rel=1e-9)


def test_natural_gradient_preconditions_an_estimated_variance_by_its_information():
    net = MLP([1, 1], activation="linear", sigma2=None)
    X = np.linspace(-1, 1, 10)[:, None]
    y = X[:, 0]
    theta = np.array([1.0, 0.0, 2.0])  # exact mean, sigma2 = 2 (MLE is 0+: all residuals 0)
    g = net.grad(theta, X, y)
    new = NaturalGradient("dense", damping=0.0).step(theta, g, net=net, X=X, y=y)
    # d loss / d s2 = 1 / (2 s2) with zero residuals; information 1 / (2 s2^2)
    assert new[-1] == pytest.approx(2.0 - (1 / 4) / (1 / 8))


def test_train_records_stops_and_applies_penalty_and_callback():
    X, y = _xor(64)
    net = MLP([2, 4, 2], "tanh", "softmax")
    theta0 = net.init(rng=0)
    anchor = np.zeros(net.n_params)
    r = train(net, theta0, X, y, SGD(lr=0.5), n_steps=10, batch_size=16, rng=0,
              X_test=X, y_test=y, record_every=5,
              penalty=lambda t: (0.5 * np.sum((t - anchor) ** 2), t - anchor))
    assert list(r.steps) == [0, 5, 10] and r.batch_loss.shape == (10,)
    assert r.test_loss.shape == r.test_accuracy.shape == (3,)
    assert r.loss[0] == pytest.approx(net.loss(theta0, X, y) + 0.5 * theta0 @ theta0)
    assert r.test_loss[0] == pytest.approx(net.loss(theta0, X, y))
    stop = train(net, theta0, X, y, SGD(lr=0.5), n_steps=50,
                 callback=lambda step, theta, loss, g: step == 3)
    assert stop.steps[-1] == 3
    assert "step" in stop.summary()


def test_optimizers_reject_bad_arguments_naming_them():
    with pytest.raises(ValueError, match="lr"):
        SGD(lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        Adam(beta2=1.0)
    with pytest.raises(ValueError, match="structure"):
        NaturalGradient("full")
    with pytest.raises(ValueError, match="kind"):
        NaturalGradient("dense", kind="observed")
    with pytest.raises(ValueError, match="solver"):
        NaturalGradient("dense", solver="lu")
    with pytest.raises(ValueError, match="damping"):
        NaturalGradient("dense", damping=-1.0)
    with pytest.raises(TypeError, match="net"):
        NaturalGradient("dense").step(np.zeros(2), np.zeros(2))
    net = MLP([2, 2], output="softmax")
    X, y = _xor(8)
    with pytest.raises(TypeError, match="optimizer"):
        train(net, net.init(rng=0), X, y, "sgd")
    with pytest.raises(ValueError, match="batch_size"):
        train(net, net.init(rng=0), X, y, SGD(), batch_size=9)
    with pytest.raises(FloatingPointError, match="diverged"):
        train(MLP([2, 1]), np.zeros(3), X, np.ones(8), SGD(lr=50.0), n_steps=2000)
