"""Training monitor of the mini-batch Fisher (Liao et al. 2020): the recorded traces are the
traces of the empirical and exact Fisher of the batch, the trace splits exactly into the
squared mean gradient plus the gradient covariance, the moving averages follow their
recursions, the monitor never changes training, and -- the central claim, on a small
case -- at the same training loss a larger learning rate or a smaller batch leaves a
smaller Fisher trace (Jastrzebski et al. 2021)."""

import numpy as np
import pytest

from fisherstat.nn import MLP, SGD, Adam, fisher, per_sample_traces, train
from fisherstat.nn.monitor import (
    FisherMonitor,
    MonitorRecord,
    exponential_average,
    running_average,
)


def _blobs(n, seed, d=10, C=3):
    """A fixed nonlinear 3-class rule on Gaussian inputs (the example's problem)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.random.default_rng(123).standard_normal((d, C))
    y = np.argmax(3.0 * np.tanh(X @ W) + 0.3 * X[:, :C] ** 2, axis=1)
    return X, y


NETS = {
    "softmax": (MLP([3, 6, 5, 4], "tanh", "softmax"), "labels"),
    "gaussian, sigma2 estimated": (MLP([3, 5, 2], "relu", "linear", sigma2=None), "real"),
    "bernoulli": (MLP([3, 4, 2], "softplus", "sigmoid"), "binary"),
}


def _case(name, n=9, seed=0):
    net, kind = NETS[name]
    rng = np.random.default_rng(seed)
    theta = net.init(rng)
    if net.estimate_sigma2:
        theta[-1] = 0.7
    X = rng.standard_normal((n, net.n_inputs))
    y = net.sample(theta, rng=seed + 1, x=X)
    return net, theta, X, y


def _measure(net, theta, X, y, **kw):
    mon = FisherMonitor(net, **kw)
    mon.on_step(1, theta, 0.0, None, X=X, y=y)
    return mon.record


@pytest.mark.parametrize("name", list(NETS))
def test_recorded_trace_is_the_empirical_fisher_trace_and_mean_squared_gradient_norm(name):
    net, theta, X, y = _case(name)
    rec = _measure(net, theta, X, y)
    G = net.per_sample_grad(theta, X, y)[:, : net.n_weights]  # weights only
    np.testing.assert_allclose(rec.trace[0], np.mean(np.sum(G * G, axis=1)), rtol=1e-12)
    np.testing.assert_allclose(rec.trace[0], fisher(net, theta, X, "empirical", y=y).trace(),
                               rtol=1e-12)
    np.testing.assert_allclose(
        rec.trace[0], per_sample_traces(net, theta, X, "empirical", y=y).mean(), rtol=1e-12)


@pytest.mark.parametrize("name", list(NETS))
def test_trace_is_squared_mean_gradient_plus_trace_of_gradient_covariance(name):
    net, theta, X, y = _case(name)
    rec = _measure(net, theta, X, y)
    G = net.per_sample_grad(theta, X, y)[:, : net.n_weights]
    gbar = net.grad(theta, X, y)[: net.n_weights]
    np.testing.assert_allclose(rec.grad_norm2[0], gbar @ gbar, rtol=1e-12)
    cov_trace = np.trace(np.cov(G.T, bias=True))
    np.testing.assert_allclose(rec.noise[0], cov_trace, rtol=1e-10)
    np.testing.assert_allclose(rec.trace[0], gbar @ gbar + cov_trace, rtol=1e-12)


@pytest.mark.parametrize("name", list(NETS))
def test_exact_trace_and_spectrum_match_the_fisher_operators(name):
    net, theta, X, y = _case(name)
    rec = _measure(net, theta, X, y, exact=True, spectrum=True)
    np.testing.assert_allclose(rec.exact_trace[0], fisher(net, theta, X, "exact").trace(),
                               rtol=1e-12)
    E = fisher(net, theta, X, "empirical", y=y, factor="never").to_dense()
    np.testing.assert_allclose(rec.max_eigenvalue[0], np.linalg.eigvalsh(E)[-1], rtol=1e-10)
    s = np.linalg.svd(net.per_sample_grad(theta, X, y)[:, : net.n_weights],
                      compute_uv=False)
    s = s[s > s[0] * 1e-7]
    np.testing.assert_allclose(rec.condition[0], s[0] / s[-1], rtol=1e-6)


def test_over_all_batches_the_squared_mean_gradient_is_signal_plus_noise_over_b():
    """Sampling without replacement: averaged over all C(N, B) batches, the batch trace is
    the full-data trace and E||g_bar_B||^2 = ||g_bar_N||^2 + (N - B) / (B (N - 1)) tr S_N,
    S_N the per-sample gradient covariance: at a minimum, pure noise of size ~ trace / B."""
    from itertools import combinations

    net, theta, X, y = _case("softmax", n=7, seed=3)
    N, B = 7, 3
    mon = FisherMonitor(net)
    for step, idx in enumerate(combinations(range(N), B), start=1):
        idx = list(idx)
        mon.on_step(step, theta, 0.0, None, X=X[idx], y=y[idx])
    rec = mon.record
    full = _measure(net, theta, X, y)
    assert len(rec) == 35
    assert rec.trace.mean() == pytest.approx(full.trace[0], rel=1e-12)
    expected = full.grad_norm2[0] + (N - B) / (B * (N - 1)) * full.noise[0]
    assert rec.grad_norm2.mean() == pytest.approx(expected, rel=1e-12)


def test_exponential_average_is_the_bias_corrected_recursion():
    x = np.array([4.0, -1.0, 2.5, 0.0, 7.0, 3.0])
    halflife, every = 3.0, 2
    beta = 0.5 ** (every / halflife)
    m, ref = 0.0, []
    for k, v in enumerate(x, start=1):  # Kingma & Ba 2015, Algorithm 1
        m = beta * m + (1 - beta) * v
        ref.append(m / (1 - beta**k))
    got = exponential_average(x, halflife, every=every)
    np.testing.assert_allclose(got, ref, rtol=1e-14)
    # closed form: normalised weights (1 - beta) beta^(k - j) / (1 - beta^k)
    k = x.size
    w = (1 - beta) * beta ** np.arange(k - 1, -1, -1) / (1 - beta**k)
    assert w.sum() == pytest.approx(1.0, rel=1e-14)
    assert got[-1] == pytest.approx(w @ x, rel=1e-14)
    # records `every` steps apart: each older record weighs 2^(-every/halflife) as much
    np.testing.assert_allclose(w[:-1] / w[1:], 2.0 ** (-every / halflife), rtol=1e-14)
    np.testing.assert_allclose(exponential_average(np.full(50, 2.5), 1.0), 2.5, rtol=1e-14)


def test_halflife_halves_the_weight():
    x = np.zeros(11)
    x[0] = 1.0  # impulse: m_k = (1 - b) b^(k-1) before bias correction
    beta = 0.5 ** (1 / 5)
    got = exponential_average(x, 5.0) * (1 - beta ** np.arange(1, 12))
    assert got[5] / got[0] == pytest.approx(0.5, rel=1e-14)
    assert got[10] / got[0] == pytest.approx(0.25, rel=1e-14)


def test_running_averages():
    x = np.array([2.0, 4.0, 9.0, 1.0, 5.0])
    np.testing.assert_allclose(running_average(x), np.cumsum(x) / np.arange(1, 6))
    np.testing.assert_allclose(running_average(x, window=3),
                               [2.0, 3.0, 5.0, 14 / 3, 5.0], rtol=1e-14)
    np.testing.assert_allclose(running_average(x, window=1), x)


def _run(net, theta0, X, y, lr=0.3, B=16, steps=40, callback=None, seed=0):
    return train(net, theta0, X, y, SGD(lr=lr), n_steps=steps, batch_size=B, rng=seed,
                 record_every=10, callback=callback)


def test_online_averages_and_energy_match_the_recorded_series():
    X, y = _blobs(96, 0)
    net = MLP([10, 8, 3], "tanh", "softmax")
    for window in (None, 7):
        mon = FisherMonitor(net, every=3, halflife=6.0, window=window, lr=0.3)
        _run(net, net.init(rng=0), X, y, steps=60, callback=mon)
        rec = mon.record
        assert list(rec.steps) == list(range(3, 61, 3))
        np.testing.assert_allclose(rec.trace_ema, exponential_average(rec.trace, 6.0, every=3),
                                   rtol=1e-12)
        np.testing.assert_allclose(rec.trace_ema, rec.ema("trace"), rtol=1e-12)
        np.testing.assert_allclose(rec.trace_average, running_average(rec.trace, window),
                                   rtol=1e-12)
        assert mon.ema == pytest.approx(rec.trace_ema[-1], rel=1e-14)
        # Liao et al.'s L_K: sum over steps of lr ||G||_F / B, every record standing for 3
        np.testing.assert_allclose(rec.energy, 3 * 0.3 * np.cumsum(np.sqrt(rec.trace / 16)),
                                   rtol=1e-12)


def test_monitor_measures_the_batch_at_the_parameters_of_its_gradient():
    """train passes the batch and theta_before: the monitor's squared mean gradient is
    exactly the squared norm of the gradient the optimizer used (no penalty here)."""
    X, y = _blobs(64, 1)
    net = MLP([10, 6, 3], "tanh", "softmax")
    seen = []

    class Spy(FisherMonitor):
        def on_step(self, step, theta, batch_loss, grad, *, X, y, theta_before=None):
            seen.append((grad.copy(), X.copy(), y.copy(), theta_before.copy(), theta.copy()))
            return super().on_step(step, theta, batch_loss, grad, X=X, y=y,
                                   theta_before=theta_before)

    mon = Spy(net)
    r = _run(net, net.init(rng=3), X, y, lr=0.5, B=16, steps=12, callback=mon)
    rec = mon.record
    for k, (g, Xb, yb, before, after) in enumerate(seen):
        assert rec.grad_norm2[k] == pytest.approx(g @ g, rel=1e-12)
        assert rec.batch_loss[k] == pytest.approx(net.loss(before, Xb, yb), rel=1e-12)
        np.testing.assert_allclose(after, before - 0.5 * g, rtol=1e-15)
        assert Xb.shape == (16, 10) and rec.batch_size[k] == 16
    np.testing.assert_allclose(seen[-1][4], r.theta)


def test_monitor_does_not_change_training_and_is_reproducible():
    X, y = _blobs(80, 2)
    net = MLP([10, 8, 3], "tanh", "softmax")
    theta0 = net.init(rng=4)
    plain = train(net, theta0, X, y, Adam(lr=0.05), n_steps=30, batch_size=20, rng=7)
    recs = []
    for _ in range(2):
        mon = FisherMonitor(net, exact=True, spectrum=True, lr=0.05)
        r = train(net, theta0, X, y, Adam(lr=0.05), n_steps=30, batch_size=20, rng=7,
                  callback=mon)
        np.testing.assert_array_equal(r.theta, plain.theta)
        np.testing.assert_array_equal(r.loss, plain.loss)
        recs.append(mon.record)
    for field in ("trace", "grad_norm2", "exact_trace", "condition", "energy", "trace_ema"):
        np.testing.assert_array_equal(getattr(recs[0], field), getattr(recs[1], field))


def test_a_reused_monitor_starts_a_new_record_for_a_new_run():
    X, y = _blobs(64, 3)
    net = MLP([10, 5, 3], "tanh", "softmax")
    theta0 = net.init(rng=5)
    mon = FisherMonitor(net, halflife=4)
    _run(net, theta0, X, y, steps=25, callback=mon, seed=1)
    first = mon.record
    _run(net, theta0, X, y, steps=25, callback=mon, seed=1)
    again = mon.record
    assert len(again) == 25
    np.testing.assert_array_equal(again.trace_ema, first.trace_ema)
    np.testing.assert_array_equal(again.trace_average, first.trace_average)


def test_train_keeps_plain_callbacks_and_rejects_other_objects():
    X, y = _blobs(32, 4)
    net = MLP([10, 4, 3], "tanh", "softmax")
    calls = []
    train(net, net.init(rng=0), X, y, SGD(lr=0.1), n_steps=3,
          callback=lambda step, theta, loss, g: calls.append(step))
    assert calls == [1, 2, 3]
    with pytest.raises(TypeError, match="callback"):
        train(net, net.init(rng=0), X, y, SGD(lr=0.1), n_steps=3, callback=42)


def test_summary_and_plot():
    X, y = _blobs(64, 5)
    net = MLP([10, 5, 3], "tanh", "softmax")
    mon = FisherMonitor(net, exact=True, spectrum=True, lr=0.3)
    _run(net, net.init(rng=0), X, y, steps=30, callback=mon)
    rec = mon.record
    assert isinstance(rec, MonitorRecord) and len(rec) == 30
    text = rec.summary(rows=5)
    assert "tr F_emp" in text and "peak of the EMA" in text and "L_K" in text
    assert len(text.splitlines()) == 2 + 5 + 2
    assert "(no records)" in FisherMonitor(net).record.summary()
    import matplotlib

    matplotlib.use("Agg")
    ax = rec.plot(label="run")
    assert ax.get_yscale() == "log" and len(ax.lines) == 4
    import matplotlib.pyplot as plt

    plt.close("all")


def test_bad_input_names_the_argument():
    net = MLP([2, 3, 2], output="softmax")
    with pytest.raises(TypeError, match="net"):
        FisherMonitor("net")
    with pytest.raises(ValueError, match="every"):
        FisherMonitor(net, every=0)
    with pytest.raises(ValueError, match="halflife"):
        FisherMonitor(net, halflife=0.0)
    with pytest.raises(ValueError, match="window"):
        FisherMonitor(net, window=0)
    with pytest.raises(ValueError, match="lr"):
        FisherMonitor(net, lr=-1.0)
    with pytest.raises(TypeError, match="exact"):
        FisherMonitor(net, exact="yes")
    with pytest.raises(ValueError, match="halflife"):
        exponential_average([1.0, 2.0], halflife=-2.0)
    with pytest.raises(ValueError, match="values"):
        running_average([[1.0, 2.0]])
    with pytest.raises(ValueError, match="window"):
        running_average([1.0, 2.0], window=0)
    mon = FisherMonitor(net)
    with pytest.raises(ValueError, match="step"):
        mon.on_step(0, net.init(rng=0), 0.0, None, X=np.zeros((2, 2)), y=[0, 1])
    mon.on_step(1, net.init(rng=0), 0.0, None, X=np.zeros((2, 2)), y=[0, 1])
    with pytest.raises(ValueError, match="name"):
        mon.record.ema("loss")
    with pytest.raises(ValueError, match="exact_trace"):
        mon.record.ema("exact_trace")
    with pytest.raises(ValueError, match="empty"):
        FisherMonitor(net).record.peak()


# ------------------------------------------------------------------ central claim
def _trace_at_loss(net, theta0, X, y, lr, B, seed, target=0.3):
    """Train until the training loss is <= target; the Fisher trace there (full data) and
    the monitor's moving average of the batch Fisher trace."""
    mon = FisherMonitor(net, exact=True, halflife=10)
    r = train(net, theta0, X, y, SGD(lr=lr), n_steps=3000, batch_size=B, rng=seed,
              record_every=5, target_loss=target, callback=mon)
    assert r.reached_target is not None
    return fisher(net, r.theta, X, "exact").trace(), mon.record.ema("exact_trace")[-1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_larger_learning_rate_and_smaller_batch_reach_a_loss_with_a_smaller_fisher_trace(seed):
    """Jastrzebski et al. (2021): SGD with a large learning rate (or a small batch, more
    gradient noise) implicitly penalises the trace of the Fisher; with a small learning rate
    it grows. At the same training loss (0.3) the trace is clearly smaller."""
    X, y = _blobs(256, 0)
    net = MLP([10, 32, 32, 3], "tanh", "softmax")
    theta0 = net.init(rng=seed)
    small_lr, small_lr_ema = _trace_at_loss(net, theta0, X, y, lr=0.1, B=32, seed=seed)
    large_lr, large_lr_ema = _trace_at_loss(net, theta0, X, y, lr=1.0, B=32, seed=seed)
    large_b, large_b_ema = _trace_at_loss(net, theta0, X, y, lr=0.3, B=128, seed=seed)
    small_b, small_b_ema = _trace_at_loss(net, theta0, X, y, lr=0.3, B=8, seed=seed)
    initial = fisher(net, theta0, X, "exact").trace()
    assert large_lr < 0.8 * small_lr
    assert small_b < 0.8 * large_b
    # the monitor's cheap batch estimate shows the same ordering
    assert large_lr_ema < small_lr_ema and small_b_ema < large_b_ema
    # the small learning rate and the large batch let the trace grow above its start
    assert small_lr > initial and large_b > initial
