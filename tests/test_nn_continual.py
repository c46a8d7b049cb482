"""EWC, online EWC and L2 anchoring: the penalty's value and gradient (closed form and
central differences), the Fisher diagonals of the three kinds, the online recursion of
Schwarz et al. (2018) / Huszar (2018), the permuted tasks, the Chaudhry et al. (2018)
metrics, and the central claim of Kirkpatrick et al. (2017) on a small permuted-task
problem: EWC keeps far more of the first task than plain SGD."""

import numpy as np
import pytest
from conftest import N_SE

from fisherstat.nn import (
    EWC,
    MLP,
    SGD,
    ContinualResult,
    L2Anchor,
    PenaltySum,
    QuadraticPenalty,
    Task,
    continual_learning,
    fisher,
    fisher_diagonal,
    make_permuted_tasks,
    train,
)


def _setup(seed=0, sizes=(3, 5, 4), n=60):
    net = MLP(list(sizes), "tanh", "softmax")
    rng = np.random.default_rng(seed)
    theta = net.init(rng, sigma_b2=0.1)
    X = rng.standard_normal((n, sizes[0]))
    y = net.sample(theta, rng=rng, x=X)
    return net, theta, X, y


def _central_differences(f, theta, h=1e-4):
    g = np.empty_like(theta)
    for i in range(theta.size):  # loop over coordinates: test code only
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


# ------------------------------------------------------------------ penalties
@pytest.mark.parametrize("kind", ["exact", "monte_carlo", "empirical"])
def test_ewc_penalty_and_its_gradient_vanish_at_the_anchor(kind):
    net, theta, X, y = _setup()
    ewc = EWC.from_task(net, theta, X, y if kind == "empirical" else None, kind=kind,
                        lam=5.0, rng=0)
    value, grad = ewc(theta)
    assert value == 0.0
    assert np.all(grad == 0.0)
    assert ewc.kind == kind and ewc.n_params == net.n_params


def test_l2_anchor_and_sums_vanish_at_the_anchor():
    a = np.arange(4.0)
    for p in (L2Anchor(a, lam=3.0), L2Anchor(a, lam=1.0) + L2Anchor(a, lam=2.0)):
        value, grad = p(a)
        assert value == 0.0 and np.all(grad == 0.0)


def test_ewc_value_is_lam_half_sum_f_squared_deviation():
    net, theta, X, _ = _setup()
    lam = 7.5
    ewc = EWC.from_task(net, theta, X, kind="exact", lam=lam)
    F = np.diag(fisher(net, theta, X, "exact").to_dense())
    t = theta + np.random.default_rng(3).standard_normal(theta.size)
    d = t - theta
    value, grad = ewc(t)
    np.testing.assert_allclose(value, lam / 2 * np.sum(F * d**2), rtol=1e-13)
    np.testing.assert_allclose(grad, lam * F * d, rtol=1e-13)
    np.testing.assert_allclose(ewc.hessian_diagonal(), lam * F, rtol=1e-13)


def test_l2_anchor_value_is_lam_half_squared_distance():
    a = np.array([1.0, -2.0, 0.5])
    t = np.array([0.0, 1.0, 0.5])
    value, grad = L2Anchor(a, lam=0.3)(t)
    assert value == pytest.approx(0.15 * 10.0, rel=1e-15)
    np.testing.assert_allclose(grad, 0.3 * (t - a), rtol=1e-15)


@pytest.mark.parametrize("which", ["ewc", "l2", "sum"])
def test_penalty_gradient_matches_central_differences(which):
    net, theta, X, _ = _setup(seed=1)
    ewc = EWC.from_task(net, theta, X, kind="exact", lam=4.0)
    anchor2 = theta + 0.3
    pen = {"ewc": ewc, "l2": L2Anchor(anchor2, lam=0.7),
           "sum": ewc + L2Anchor(anchor2, lam=0.7)}[which]
    t = theta + np.random.default_rng(2).standard_normal(theta.size)
    g_fd = _central_differences(lambda v: pen(v)[0], t)
    np.testing.assert_allclose(pen(t)[1], g_fd, rtol=1e-7, atol=1e-9)


def test_penalties_add_values_and_gradients():
    rng = np.random.default_rng(0)
    a, b, t = rng.standard_normal((3, 5))
    p = QuadraticPenalty(a, np.abs(b), lam=2.0)
    q = L2Anchor(b, lam=0.5)
    s = p + q
    assert isinstance(s, PenaltySum) and len(s.terms) == 2
    assert len((s + p).terms) == 3  # sums flatten
    assert sum([p, q]).terms == s.terms
    np.testing.assert_allclose(s(t)[0], p(t)[0] + q(t)[0], rtol=1e-15)
    np.testing.assert_allclose(s(t)[1], p(t)[1] + q(t)[1], rtol=1e-15)


def test_penalty_hook_of_train_adds_the_penalty_to_the_mean_loss():
    net, theta, X, y = _setup()
    pen = L2Anchor(theta + 1.0, lam=0.5)
    r = train(net, theta, X, y, SGD(lr=1e-3), n_steps=0, penalty=pen)
    np.testing.assert_allclose(r.loss[0], net.loss(theta, X, y) + pen(theta)[0], rtol=1e-13)


def test_penalty_arrays_are_read_only_copies():
    a = np.zeros(3)
    p = L2Anchor(a, lam=1.0)
    a[0] = 5.0
    assert p.anchor[0] == 0.0
    with pytest.raises(ValueError):
        p.anchor[0] = 1.0
    with pytest.raises(AttributeError):
        p.lam = 2.0


# ------------------------------------------------------------------ Fisher kinds
def test_exact_diagonal_equals_the_diagonal_of_the_dense_exact_fisher():
    net, theta, X, _ = _setup(sizes=(4, 6, 3), n=80)
    J = net.jacobian(theta, X)
    P = net.predict(theta, X)
    Lam = np.einsum("nc,cd->ncd", P, np.eye(3)) - np.einsum("nc,nd->ncd", P, P)
    dense = np.einsum("nca,ncd,ndb->ab", J, Lam, J) / X.shape[0]
    ewc = EWC.from_task(net, theta, X, kind="exact", lam=1.0)
    np.testing.assert_allclose(ewc.precision, np.diag(dense), rtol=1e-11, atol=1e-15)


def test_empirical_diagonal_is_the_mean_squared_observed_gradient():
    net, theta, X, y = _setup()
    ewc = EWC.from_task(net, theta, X, y, kind="empirical", lam=1.0)
    G = net.per_sample_grad(theta, X, y)
    np.testing.assert_allclose(ewc.precision, np.mean(G**2, axis=0), rtol=1e-11,
                               atol=1e-15)


def test_monte_carlo_diagonal_is_unbiased_for_the_exact_one():
    net, theta, X, _ = _setup(n=40)
    exact = fisher_diagonal(net, theta, X, kind="exact")
    draws = np.array([fisher_diagonal(net, theta, X, kind="monte_carlo", rng=s)
                      for s in range(300)])
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact) <= N_SE * se + 1e-12)


def test_estimated_noise_variance_is_not_anchored():
    net = MLP([2, 3, 1], sigma2=None)
    theta = net.init(rng=0)
    X = np.random.default_rng(0).standard_normal((20, 2))
    ewc = EWC.from_task(net, theta, X, kind="exact", lam=1.0)
    assert ewc.n_params == net.n_params and ewc.precision[-1] == 0.0
    F = fisher(net, theta, X, "exact", "diag").diagonal()
    np.testing.assert_allclose(ewc.precision[:-1], F, rtol=1e-14)


# ------------------------------------------------------------------ online EWC
def test_online_recursion_decays_and_adds_the_fishers():
    net, t1, X1, _ = _setup(seed=0)
    _, t2, X2, _ = _setup(seed=1)
    _, t3, X3, _ = _setup(seed=2)
    F = [fisher_diagonal(net, t, X, kind="exact") for t, X in ((t1, X1), (t2, X2),
                                                               (t3, X3))]
    g = 0.6
    e1 = EWC.from_task(net, t1, X1, kind="exact", lam=3.0)
    e2 = e1.consolidate(net, t2, X2, gamma=g)
    e3 = e2.consolidate(net, t3, X3, gamma=g)
    np.testing.assert_allclose(e3.precision, g**2 * F[0] + g * F[1] + F[2], rtol=1e-13)
    np.testing.assert_array_equal(e3.anchor, t3)
    assert e3.lam == 3.0 and e3.n_tasks == 3 and e3.gamma == g
    np.testing.assert_array_equal(e1.anchor, t1)  # e1 unchanged


def test_online_ewc_with_gamma_one_has_the_curvature_of_the_per_task_sum():
    """Huszar (2018): same Hessian, sum of the Fishers; only the anchor differs."""
    net, t1, X1, _ = _setup(seed=0)
    _, t2, X2, _ = _setup(seed=1)
    online = EWC.from_task(net, t1, X1, kind="exact", lam=2.0).consolidate(net, t2, X2)
    per_task = (EWC.from_task(net, t1, X1, kind="exact", lam=2.0)
                + EWC.from_task(net, t2, X2, kind="exact", lam=2.0))
    v = np.random.default_rng(0).standard_normal(t1.size)
    # the gradient of a quadratic is affine: g(t + v) - g(t) = H v
    np.testing.assert_allclose(online(t2 + v)[1] - online(t2)[1],
                               per_task(t2 + v)[1] - per_task(t2)[1], rtol=1e-12)


def test_consolidate_keeps_the_kind_and_its_labels():
    net, theta, X, y = _setup()
    e = EWC.from_task(net, theta, X, y, kind="empirical", lam=1.0)
    with pytest.raises(ValueError, match="y"):
        e.consolidate(net, theta, X)
    e2 = e.consolidate(net, theta, X, y, gamma=0.0)  # gamma = 0: only the new task
    np.testing.assert_allclose(e2.precision, e.precision, rtol=1e-14)


# ------------------------------------------------------------------ bad input
def test_bad_penalty_input_names_the_argument():
    net, theta, X, y = _setup()
    with pytest.raises(ValueError, match="lam must be >= 0"):
        EWC.from_task(net, theta, X, kind="exact", lam=-1.0)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        L2Anchor(theta, lam=-0.1)
    with pytest.raises(ValueError, match="kind is required"):
        EWC.from_task(net, theta, X, lam=1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        EWC.from_task(net, theta, X, kind="fisher", lam=1.0)
    with pytest.raises(ValueError, match="needs the observed labels y"):
        EWC.from_task(net, theta, X, kind="empirical", lam=1.0)
    with pytest.raises(ValueError, match="theta_star must have length"):
        EWC.from_task(net, theta[:-1], X, kind="exact", lam=1.0)
    with pytest.raises(ValueError, match="x must have shape"):
        EWC.from_task(net, theta, X[:, :2], kind="exact", lam=1.0)
    with pytest.raises(TypeError, match="net must be"):
        EWC.from_task("net", theta, X, kind="exact", lam=1.0)
    ewc = EWC.from_task(net, theta, X, kind="exact", lam=1.0)
    with pytest.raises(ValueError, match="theta must have shape"):
        ewc(theta[:-1])
    with pytest.raises(ValueError, match="gamma must be in"):
        ewc.consolidate(net, theta, X, gamma=1.5)
    with pytest.raises(ValueError, match="precision must be >= 0"):
        QuadraticPenalty(theta, -np.ones_like(theta), lam=1.0)
    with pytest.raises(ValueError, match="precision must have shape"):
        QuadraticPenalty(theta, np.ones(3), lam=1.0)
    with pytest.raises(ValueError, match="same n_params"):
        L2Anchor(np.zeros(2), lam=1.0) + L2Anchor(np.zeros(3), lam=1.0)
    with pytest.raises(ValueError, match="kind='given'"):
        EWC(theta, np.ones_like(theta), 1.0).consolidate(net, theta, X)


def test_bad_experiment_input_names_the_argument():
    tasks = make_permuted_tasks(2, n_train=20, n_test=10, n_features=4, rng=0)
    net = MLP([4, 3, 10], "tanh", "softmax")
    with pytest.raises(ValueError, match="kind is required"):
        continual_learning(net, tasks, methods=("ewc",), lam=1.0)
    with pytest.raises(ValueError, match="lam is required"):
        continual_learning(net, tasks, methods=("sgd", "l2"))
    with pytest.raises(ValueError, match="lam has no value for method 'ewc'"):
        continual_learning(net, tasks, methods=("l2", "ewc"), kind="exact", lam={"l2": 1})
    with pytest.raises(ValueError, match="methods must be drawn from"):
        continual_learning(net, tasks, methods=("adam",))
    with pytest.raises(ValueError, match="classifier"):
        continual_learning(MLP([4, 3, 1]), tasks, methods=("sgd",))
    with pytest.raises(TypeError, match="tasks must be a sequence"):
        continual_learning(net, tasks[0], methods=("sgd",))
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        continual_learning(net, tasks, methods=("sgd",), n_steps=0)
    with pytest.raises(ValueError, match="n_tasks must be an integer >= 1"):
        make_permuted_tasks(0)
    with pytest.raises(ValueError, match="separation must be > 0"):
        make_permuted_tasks(2, separation=0.0)


# ------------------------------------------------------------------ tasks and metrics
def test_permuted_tasks_show_the_same_examples_through_fixed_permutations():
    tasks = make_permuted_tasks(4, n_train=300, n_test=100, rng=5)
    base = tasks[0]
    np.testing.assert_array_equal(base.permutation, np.arange(base.n_features))
    np.testing.assert_allclose(base.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(base.X_train.std(axis=0), 1.0, rtol=1e-12)
    for t in tasks[1:]:
        assert isinstance(t, Task)
        np.testing.assert_array_equal(np.sort(t.permutation), np.arange(base.n_features))
        assert not np.array_equal(t.permutation, base.permutation)
        np.testing.assert_array_equal(t.X_train, base.X_train[:, t.permutation])
        np.testing.assert_array_equal(t.X_test, base.X_test[:, t.permutation])
        np.testing.assert_array_equal(t.y_train, base.y_train)
    again = make_permuted_tasks(4, n_train=300, n_test=100, rng=5)
    np.testing.assert_array_equal(again[3].X_test, tasks[3].X_test)


def test_average_accuracy_and_forgetting_follow_chaudhry_et_al():
    A = np.array([[0.9, 0.1, 0.2],
                  [0.7, 0.8, 0.1],
                  [0.6, 0.85, 0.95]])
    r = ContinualResult(("ewc",), {"ewc": A}, {"ewc": np.zeros((3, 2))}, {"ewc": 1.0},
                        "exact", 1.0, 10, 4, {"ewc": 0.0})
    np.testing.assert_allclose(r.average_accuracy("ewc"), [0.9, 0.75, 0.8])
    # F_2 = 0.9 - 0.7; F_3 = mean(0.9 - 0.6, max(0.1, 0.8) - 0.85): max over earlier
    # rows only, so a task that improved counts negatively (backward transfer)
    np.testing.assert_allclose(r.forgetting("ewc"), [np.nan, 0.2, 0.125])
    np.testing.assert_array_equal(r.first_task("ewc"), [0.9, 0.7, 0.6])
    assert "forgetting" in r.summary()
    with pytest.raises(ValueError, match="method must be one of"):
        r.forgetting("sgd")


# ------------------------------------------------------------------ the experiment
def _small_run(seed, methods=("sgd", "l2", "ewc")):
    tasks = make_permuted_tasks(3, n_train=500, n_test=500, rng=seed)
    net = MLP([48, 32, 10], "tanh", "softmax")
    return continual_learning(net, tasks, methods=methods, kind="exact",
                              lam={"l2": 0.01, "ewc": 30.0, "online_ewc": 30.0},
                              optimizer=SGD(lr=0.1), n_steps=300, rng=seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ewc_keeps_far_more_of_the_first_task_than_sgd(seed):
    """Kirkpatrick et al. (2017, Fig. 2A) on 3 permuted tasks: after the third task, SGD
    has lost much of task 1 (about 0.91 -> 0.64 here), EWC stays within a few points of
    its first accuracy (about 0.88) and L2 anchoring lies in between (about 0.76)."""
    r = _small_run(seed)
    first = {m: r.first_task(m) for m in r.methods}
    a0 = first["sgd"][0]
    assert a0 > 0.85  # the first task is learned
    # paired: same start and batches, no penalty during task 1
    for m in ("l2", "ewc"):
        np.testing.assert_array_equal(r.accuracy[m][0], r.accuracy["sgd"][0])
        np.testing.assert_array_equal(r.thetas[m][0], r.thetas["sgd"][0])
    assert a0 - first["sgd"][-1] > 0.15  # SGD forgets
    assert first["ewc"][-1] > a0 - 0.07  # EWC stays near its original accuracy
    assert first["ewc"][-1] - first["sgd"][-1] > 0.15
    assert first["sgd"][-1] < first["l2"][-1] < first["ewc"][-1]
    assert r.accuracy["ewc"][-1, -1] > 0.6  # and still learns the new task


def test_online_ewc_also_protects_the_first_task_and_plots():
    r = _small_run(0, methods=("sgd", "online_ewc"))
    first = r.first_task("online_ewc")
    assert first[-1] > first[0] - 0.07
    assert first[-1] - r.first_task("sgd")[-1] > 0.15
    assert "online EWC" in r.summary()
    import matplotlib

    matplotlib.use("Agg")
    ax = r.plot()
    assert len(ax.lines) == 4


@pytest.mark.parametrize("kind", ["monte_carlo", "empirical"])
def test_experiment_runs_with_every_fisher_kind_and_is_reproducible(kind):
    tasks = make_permuted_tasks(3, n_train=60, n_test=30, n_features=6, rng=1)
    net = MLP([6, 5, 10], "tanh", "softmax")
    kw = dict(methods=("ewc", "online_ewc"), kind=kind, lam=10.0, n_steps=20,
              batch_size=None, rng=3)
    r1, r2 = continual_learning(net, tasks, **kw), continual_learning(net, tasks, **kw)
    for m in r1.methods:
        np.testing.assert_array_equal(r1.accuracy[m], r2.accuracy[m])
        np.testing.assert_array_equal(r1.thetas[m], r2.thetas[m])
    # until task 3 both methods train under the same single penalty (task 1's EWC)
    assert r1.kind == kind and r1.batch_size is None
    np.testing.assert_array_equal(r1.thetas["ewc"][:2], r1.thetas["online_ewc"][:2])
