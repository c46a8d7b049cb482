"""The model contract, checked for every registered model (a new model gets these for free).

Identities: information symmetric PSD; E[s] = 0 and E[s s^T] = -E[H] within Monte Carlo
error; analytic score and Hessian equal finite differences; analytic information equals
its Monte Carlo estimate; information of n iid observations is n times one; I_eta = J^T I J
under reparametrisation; MLE consistent.
"""

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.models import REGISTRY as MODEL_REGISTRY
from fisherstat.nn import MLP

# nn consumes models, so the network joins the contract here, not in models.REGISTRY
REGISTRY = {**MODEL_REGISTRY, "MLP": lambda: MLP((1, 2, 1), "tanh", "linear", sigma2=None)}

MODELS = sorted(REGISTRY)
SEEDS = st.integers(0, 2**32 - 1)


def make(name):
    return REGISTRY[name]()


def context(model):
    return {"x": model.example_x()} if model.is_regression else {}


def draw(model, theta, reps, rng):
    """``reps`` independent draws; for regression models, ``reps`` copies of the covariates.

    Returns (data, x, k) with k the number of observations per replicate.
    """
    if model.is_regression:
        x0 = model.example_x()
        x = np.tile(x0, (reps,) + (1,) * (x0.ndim - 1))
        return model.sample(theta, rng=rng, x=x), x, x0.shape[0]
    return model.sample(theta, reps, rng=rng), None, 1


def per_replicate(values, reps):
    """Sum per-observation values within each replicate (regression: over the covariates)."""
    return values.reshape((reps, -1) + values.shape[1:]).sum(axis=1)


def assert_zero_within_se(terms, what):
    """Entrywise: the mean of iid ``terms`` is within N_SE standard errors of zero."""
    mean = terms.mean(axis=0)
    se = terms.std(axis=0, ddof=1) / np.sqrt(terms.shape[0])
    scale = np.max(np.abs(terms), axis=0) * 1e-12  # terms that are identically zero
    bad = np.abs(mean) > N_SE * se + scale
    assert not bad.any(), f"{what}: |mean| / se = {np.abs(mean) / np.maximum(se, 1e-300)}"


@pytest.mark.parametrize("name", MODELS)
def test_parameters_are_named_and_example_is_valid(name):
    model = make(name)
    theta = model.example_theta()
    assert theta.dtype == np.float64 and theta.shape == (model.n_params,)
    assert len(set(model.param_names)) == model.n_params


@pytest.mark.parametrize("name", MODELS)
@given(seed=SEEDS)
@settings(max_examples=10)
def test_information_is_symmetric_positive_semidefinite(name, seed):
    model = make(name)
    theta = model.random_theta(seed)
    info = fs.fisher(model, theta, **context(model))
    assert info.method == "analytic"
    np.testing.assert_array_equal(info.matrix, info.matrix.T)
    w = np.linalg.eigvalsh(info.matrix)
    assert w[0] >= -1e-12 * w[-1]


@pytest.mark.parametrize("name", MODELS)
@given(seed=SEEDS)
@settings(max_examples=4)
def test_score_has_mean_zero_and_outer_product_equals_minus_hessian(name, seed):
    model = make(name)
    theta = model.random_theta(seed)
    rng = np.random.default_rng(seed)
    reps = 4000
    data, x, _ = draw(model, theta, reps, rng)
    s = model.score(theta, data, x=x)
    H = model.hessian(theta, data, x=x, individual=True)
    assert_zero_within_se(per_replicate(s, reps), "mean score")
    opg_plus_h = per_replicate(np.einsum("na,nb->nab", s, s) + H, reps)
    assert_zero_within_se(opg_plus_h.reshape(reps, -1), "E[ss^T] + E[H]")


@pytest.mark.parametrize("name", MODELS)
@given(seed=SEEDS)
@settings(max_examples=5)
def test_analytic_score_and_hessian_equal_finite_differences(name, seed):
    model = make(name)
    theta = model.random_theta(seed)
    data, x, _ = draw(model, theta, 20, np.random.default_rng(seed))
    fd_score = _numdiff.jacobian(lambda t: model.loglik(t, data, x=x), theta,
                                 model.lower, model.upper)
    s = model.score(theta, data, x=x)
    scale = np.max(np.abs(fd_score), axis=0) + 1e-8
    assert np.max(np.abs(s - fd_score) / scale) < 1e-6
    fd_hess = _numdiff.jacobian(lambda t: model.score(t, data, x=x).sum(axis=0), theta,
                                model.lower, model.upper)
    H = model.hessian(theta, data, x=x)
    assert np.max(np.abs(H - fd_hess)) < 1e-6 * (np.max(np.abs(fd_hess)) + 1e-8)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("estimator", ["score", "hessian"])
def test_analytic_information_equals_monte_carlo_within_standard_errors(name, estimator):
    model = make(name)
    theta = model.example_theta()
    exact = fs.fisher(model, theta, **context(model)).matrix
    mc = fs.fisher(model, theta, method="monte_carlo", estimator=estimator,
                   n_samples=20_000 if not model.is_regression else 2_000, rng=3,
                   **context(model))
    tiny = 1e-10 * np.max(np.abs(exact))
    assert np.all(np.abs(mc.matrix - exact) <= N_SE * mc.stderr + tiny)


@pytest.mark.parametrize("name", MODELS)
def test_information_of_n_observations_is_n_times_one(name):
    """Var(sum of n scores) = n I: additivity over independent observations."""
    model = make(name)
    theta = model.example_theta()
    n, reps = 5, 20_000
    ctx = context(model)
    one = fs.fisher(model, theta, **ctx)
    rng = np.random.default_rng(7)
    if model.is_regression:
        x5 = np.concatenate([ctx["x"]] * n)
        atol = 1e-14 * np.max(np.abs(one.matrix))  # entries that are 0 up to rounding
        np.testing.assert_allclose(fs.fisher(model, theta, x=x5).matrix, n * one.matrix,
                                   rtol=1e-12, atol=n * atol)
        np.testing.assert_allclose(model.point_information(theta, ctx["x"]).sum(axis=0),
                                   one.matrix, rtol=1e-12, atol=atol)
        data, x, _ = draw(model, theta, reps, rng)
        totals = per_replicate(model.score(theta, data, x=x), reps)
        expected = one.matrix
    else:
        data, _, _ = draw(model, theta, n * reps, rng)
        totals = per_replicate(model.score(theta, data), reps)
        expected = (one * n).matrix
    terms = np.einsum("ra,rb->rab", totals, totals) - expected
    assert_zero_within_se(terms.reshape(reps, -1), "Var(total score) - n I")


@pytest.mark.parametrize("name", MODELS)
def test_reparametrization_to_log_scale_obeys_jacobian_rule(name):
    """eta_j = log theta_j for positive parameters; I_eta = J^T I J with J = diag(theta_j).

    The eta-information is estimated independently: Monte Carlo of the outer product of
    the numerically differentiated log-likelihood in eta.
    """
    model = make(name)
    theta = model.example_theta()
    pos = model.lower == 0
    eta = np.where(pos, np.log(np.where(pos, theta, 1.0)), theta)

    def to_theta(e):
        return np.where(pos, np.exp(e), e)

    J = np.diag(np.where(pos, theta, 1.0))
    ctx = context(model)
    predicted = fs.fisher(model, theta, **ctx).reparametrize(J, model.param_names).matrix
    reps = 4000 if not model.is_regression else 300
    data, x, _ = draw(model, theta, reps, np.random.default_rng(5))
    s = _numdiff.jacobian(lambda e: model.loglik(to_theta(e), data, x=x), eta)
    s = per_replicate(s, reps)
    terms = np.einsum("ra,rb->rab", s, s) - predicted
    assert_zero_within_se(terms.reshape(reps, -1), "E[s_eta s_eta^T] - J^T I J")


@pytest.mark.parametrize("name", MODELS)
def test_mle_is_consistent_within_cramer_rao_bound(name):
    model = make(name)
    theta = model.example_theta()
    reps = 3000 if not model.is_regression else 60
    data, x, _ = draw(model, theta, reps, np.random.default_rng(9))
    est = model.fit(data, x=x, start=theta)
    info = fs.fisher(model, theta, **context(model)) * (reps if model.is_regression else 1)
    se = info.standard_errors(info.n_obs if model.is_regression else reps)
    assert np.all(np.abs(est - theta) < 4.5 * se), (est, theta, se)


@pytest.mark.parametrize("name", [n for n in MODELS if not REGISTRY[n]().is_regression])
def test_from_logpdf_wrapper_reproduces_the_analytic_information(name):
    model = make(name)
    theta = model.example_theta()
    wrapped = fs.Model.from_logpdf(
        lambda t, d: model.loglik(t, d), lambda t, n, rng: model.sample(t, n, rng),
        model.param_names, bounds=list(zip(model.lower, model.upper, strict=True)))
    data = model.sample(theta, 300, rng=1)
    obs_w = fs.observed_information(wrapped, theta, data).matrix
    obs_a = fs.observed_information(model, theta, data).matrix
    np.testing.assert_allclose(obs_w, obs_a, rtol=1e-6, atol=1e-9 * np.max(np.abs(obs_a)))
    np.testing.assert_allclose(wrapped.score(theta, data), model.score(theta, data),
                               rtol=1e-6, atol=1e-9 * np.max(np.abs(obs_a)))
