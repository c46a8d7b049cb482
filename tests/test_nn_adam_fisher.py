"""Adam's second moment, the diagonal empirical Fisher and the diagonal Fisher
(examples/adam_diagonal_fisher.py; Kunstner, Balles & Hennig 2019): the fixed-theta
expectation of a squared batch gradient by enumeration, Adam's full-batch second moment as
the bias-corrected average of the recorded squared gradients, the empirical Fisher at the
true parameter (equal to the Fisher when well-specified, the noise-reweighted Fisher when
not) within Monte Carlo error, and the example itself."""

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import EPS, N_SE, sum_atol

from fisherstat.nn import MLP, expected_squared_batch_gradient, fisher

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "adam_diagonal_fisher.py"


@pytest.fixture(scope="module")
def example():
    if not EXAMPLE.exists():
        pytest.fail(f"{EXAMPLE} is missing")
    spec = importlib.util.spec_from_file_location("adam_diagonal_fisher", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass resolves annotations through sys.modules
    spec.loader.exec_module(mod)
    yield mod
    del sys.modules[spec.name]


# ------------------------------------------------------------ the batch expectation
@pytest.mark.parametrize("replace", [False, True])
def test_expected_squared_batch_gradient_is_the_mean_over_every_possible_batch(replace):
    G = np.random.default_rng(3).standard_normal((6, 3)) * np.array([1.0, 10.0, 0.1]) + 0.5
    N = G.shape[0]
    for B in range(1, (N if not replace else 3) + 1):
        draws = (itertools.product(range(N), repeat=B) if replace
                 else itertools.combinations(range(N), B))
        batches = [G[list(b)].mean(axis=0) ** 2 for b in draws]  # all equally likely
        enum = np.mean(batches, axis=0)
        M = len(batches)
        # rounding: a batch mean of B terms is within B eps max|G| (Higham 2002, eq. 3.5),
        # its square within 2 B eps max|G|^2, the mean of M squares adds M eps max|G|^2; the
        # helper's mean (N eps max|G|, squared: 2 N eps), centred squares (<= 4 max|G|^2)
        # and their mean (4 N eps) add at most 10 N eps max|G|^2 (+4 eps for the last ops)
        atol = (2 * B + M + 10 * N + 4) * EPS * np.max(np.abs(G)) ** 2
        np.testing.assert_allclose(expected_squared_batch_gradient(G, B, replace=replace),
                                   enum, rtol=0, atol=atol)
    # one row, or all rows without replacement: the squared full gradient exactly; one row
    # with replacement: the diagonal of the empirical Fisher
    gbar = G.mean(axis=0)
    if not replace:
        np.testing.assert_array_equal(expected_squared_batch_gradient(G, N), gbar * gbar)
    np.testing.assert_allclose(expected_squared_batch_gradient(G, 1, replace=replace),
                               np.mean(G * G, axis=0), rtol=12 * N * EPS)  # as above, no M


def test_expected_squared_batch_gradient_names_bad_arguments():
    G = np.ones((4, 2))
    with pytest.raises(ValueError, match="batch_size"):
        expected_squared_batch_gradient(G, 5)
    assert expected_squared_batch_gradient(G, 5, replace=True).shape == (2,)
    with pytest.raises(ValueError, match="grads"):
        expected_squared_batch_gradient(np.ones(4), 1)
    with pytest.raises(ValueError, match="grads"):
        expected_squared_batch_gradient(np.full((2, 2), 1e200), 1)
    with pytest.raises(TypeError, match="replace"):
        expected_squared_batch_gradient(G, 1, replace="no")


# ------------------------------------------------------------ Adam over training
def test_full_batch_adam_second_moment_is_the_bias_corrected_average_of_squared_gradients(
        example):
    """batch = all N rows, beta2 = 0.9: v_hat_t = sum_s w_ts g(theta_{s-1})^2 exactly, with
    the squared gradients the example records at the parameters of each step."""
    n, T, beta2 = 200, 40, 0.9
    rec = example.run("well-specified", T, batch_size=n, n=n, beta2=beta2,
                      checkpoints=range(1, T + 1))
    assert rec.steps.tolist() == list(range(1, T + 1))
    assert rec.c == 0.0
    np.testing.assert_array_equal(rec.expected, rec.mean_sq)  # c_B = 0: no batch noise
    v, ema = np.zeros(rec.mean_sq.shape[1]), np.empty_like(rec.mean_sq)
    for t in range(T):
        v = beta2 * v + (1 - beta2) * rec.mean_sq[t]
        ema[t] = v / (1 - beta2 ** (t + 1))
    # Adam saw train's gradient, the recorder the mean of per-sample gradients: the same
    # forward pass, then sums over the N rows of products delta_n a_n that pass through at
    # most N + 4 roundings (the 1/N scaling, two products back-propagating it, the product
    # with a_n, N - 1 additions, a division), so at step t the two gradients differ by at
    # most d_t = sum_atol(mean_n |g_n(theta_{t-1})|, N + 4) and their squares by
    # d_t (2 |g| + d_t); the bias-corrected average is a convex combination of those, plus
    # its own rounding, (T + 3) eps v_hat (Higham 2002, eq. 3.5)
    net, _, X, y = example.problem("well-specified", n)
    d = np.array([sum_atol(np.mean(np.abs(net.per_sample_grad(th, X, y)), axis=0), n + 4)
                  for th in rec.theta])
    sq = d * (2 * np.sqrt(rec.mean_sq.max(axis=1)) + d)
    atol = sq.max() + 2 * (T + 3) * EPS * rec.second_moment.max()
    np.testing.assert_allclose(rec.second_moment, ema, rtol=0, atol=atol)
    # the records are aligned with the steps: squared gradients one step late (at theta_t
    # instead of theta_{t-1}) would miss by far more than that
    late, v = np.empty_like(rec.mean_sq[1:]), np.zeros(rec.mean_sq.shape[1])
    for t in range(T - 1):
        v = beta2 * v + (1 - beta2) * rec.mean_sq[t + 1]
        late[t] = v / (1 - beta2 ** (t + 1))
    assert np.abs(rec.second_moment[:-1] - late).max() > 1e3 * atol


# ------------------------------------------------------------ the empirical Fisher
def _per_row_fisher_diagonal(net, theta, X):
    """diag of each row's Fisher J_n^T Lambda_n J_n, (N, P), from the Jacobian."""
    J = net.jacobian(theta, X)  # (N, C, P)
    if net.output == "softmax":
        p = net.predict(theta, X)
        lam = np.einsum("nc,cd->ncd", p, np.eye(p.shape[1])) - np.einsum("nc,nd->ncd", p, p)
    else:
        lam = np.broadcast_to(np.eye(J.shape[1]) / net.sigma2, (J.shape[0],) + (J.shape[1],) * 2)
    return np.einsum("nck,ncd,ndk->nk", J, lam, J)


def _mc_check(G, row_target):
    """Per coordinate: mean_n g_nk^2 - mean_n E[g_nk^2 | x_n], and its standard error.

    Given X the rows are independent with E[g_nk^2 | x_n] = row_target[n, k], so
    e_nk = g_nk^2 - row_target[n, k] has mean zero and the standard error of mean_n e_nk
    is sqrt(sum_n Var(e_nk)) / N, estimated by sqrt(sum_n e_nk^2) / N.
    """
    e = G * G - row_target
    return e.mean(axis=0), np.sqrt(np.sum(e * e, axis=0)) / e.shape[0]


@pytest.mark.parametrize("output", ["linear", "softmax"])
def test_empirical_fisher_at_the_true_parameter_of_a_well_specified_model_is_the_fisher(
        output, example):
    """E[g g^T | x] = Lambda-weighted J^T J at the truth (the information-matrix equality),
    so diag F_emp(theta_0) = diag F(theta_0) within Monte Carlo error, for the example's
    Gaussian teacher and for a softmax teacher with labels drawn from it."""
    if output == "linear":
        net, theta0, X, y = example.problem("well-specified", 2000, seed=5)
    else:
        net = MLP([3, 6, 3], "tanh", "softmax")
        theta0 = net.init(rng=4, sigma_w2=2.0)
        X = np.random.default_rng(5).standard_normal((2000, 3))
        y = net.sample(theta0, rng=6, x=X)
    D_rows = _per_row_fisher_diagonal(net, theta0, X)
    D = fisher(net, theta0, X, "exact", "diag").diagonal()
    # the operator's diagonal is the mean of the per-row diagonals: two evaluations of the
    # same sums of products (J, Lambda: at most C^2 + 3 factors and N + C^2 additions)
    np.testing.assert_allclose(D, D_rows.mean(axis=0), rtol=0,
                               atol=sum_atol(D_rows.mean(axis=0), len(X) + 16))
    G = net.per_sample_grad(theta0, X, y)
    diff, se = _mc_check(G, D_rows)
    # N_SE = 4 standard errors per coordinate: P(|Z| > 4) = 6e-5, times P <= 39 coordinates
    # a family-wise rate below 3e-3 (fixed seeds: a given checkout always passes or fails)
    assert np.all(np.abs(diff) <= N_SE * se), np.max(np.abs(diff) / se)
    emp = fisher(net, theta0, X, "empirical", "diag", y=y).diagonal()
    np.testing.assert_allclose(emp, np.mean(G * G, axis=0), rtol=0,
                               atol=sum_atol(np.mean(G * G, axis=0), len(X) + 16))


def test_misspecified_empirical_fisher_is_the_fisher_reweighted_by_the_noise_variance(example):
    """Heteroscedastic noise s^2(x) = sigma2 x_1^2 (the example's misspecified data) at the
    true regression function: E[g_n^2 | x_n] = s^2(x_n) J_n^2 / sigma2^2, not J_n^2 / sigma2.
    The empirical Fisher matches the reweighted closed form within Monte Carlo error and
    misses the Fisher by many standard errors."""
    net, theta0, X, y = example.problem("misspecified", 2000, seed=5)
    s2 = example.noise_variance("misspecified", X)
    D_rows = _per_row_fisher_diagonal(net, theta0, X)  # J_n^2 / sigma2
    G = net.per_sample_grad(theta0, X, y)
    diff, se = _mc_check(G, (s2 / net.sigma2)[:, None] * D_rows)
    assert np.all(np.abs(diff) <= N_SE * se), np.max(np.abs(diff) / se)  # as above, P = 33
    # the Fisher itself is rejected: some coordinate misses it by more than 2 N_SE = 8
    # standard errors (under equality P(|Z| > 8) = 1e-15 per coordinate)
    wrong, se_wrong = _mc_check(G, D_rows)
    assert np.max(np.abs(wrong) / se_wrong) > 2 * N_SE


# ------------------------------------------------------------ the example
def test_example_runs_prints_both_settings_and_saves_its_figure(example, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "adam.png"
    assert example.main(["--quick", "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    for setting in example.SETTINGS:
        assert f"{setting}: B = 32 of N = 1000" in out
    assert path.stat().st_size > 10_000
    rec = example.run("misspecified", 30)
    # its expectation is the two-term form (1 - c_B) g_bar^2 + c_B diag F_emp: the centred
    # and uncentred evaluations of one quantity, each within (N eps) mean g^2 per sum of N
    # positive terms; the centred squares are at most 4 mean g^2 in mean and the squared
    # mean 2 N eps mean g^2 (Cauchy-Schwarz), so (7 N + 20) eps diag F_emp bounds it
    c, N = rec.c, rec.n
    np.testing.assert_allclose(rec.expected, (1 - c) * rec.mean_sq + c * rec.empirical,
                               rtol=0, atol=(7 * N + 20) * EPS * rec.empirical.max())
    assert rec.second_moment.shape == rec.exact.shape == (rec.steps.size, 33)
