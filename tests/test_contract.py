"""The model contract, checked for every registered model (a new model gets these for free).

Identities: information symmetric PSD; E[s] = 0 and E[s s^T] = -E[H] within Monte Carlo
error; analytic score and Hessian equal finite differences; analytic information equals
its Monte Carlo estimate; information of n iid observations is n times one; I_eta = J^T I J
under reparametrisation; MLE consistent.

The models are those of :data:`fisherstat.registry.REGISTRY` (every layer: models, the
population PK model of pkpd, the network of nn), and each entry's kind decides what a check
means for it:

* ``iid`` -- the identities per observation;
* ``regression`` and ``network`` -- per replicate of the example covariates ``x``;
* ``time series`` -- per whole series: the observations of one series are dependent, so the
  score identities and the Monte Carlo information are checked on the *total* score of
  independent series of ``N_SERIES`` observations against the exact information
  ``fisher(theta, n=N_SERIES)``, and "n times one" becomes ``I_2N - I_N = N I_inf`` (the
  asymptotic information per observation);
* ``time series regression`` -- one series with its regressors ``x = model.example_x()``
  (``N_SERIES`` rows): the whole-series checks of ``time series`` against the exact
  information ``fisher(theta, x=x)``; the information of a dependent series with
  covariates is not additive, so "n times one" is checked in the model's own tests
  (test_armax.py: its asymptotic growth against the spectral closed form);
* ``population`` -- a mixed-effects model has no likelihood of its own here (its information
  is the first-order linearisation of a design): the checks that need a score, a sampler or
  a fit are NOT APPLICABLE and say so (see :data:`NOT_APPLICABLE`, reported as skips with
  the reason); "n times one" is the additivity over subjects.
"""

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.registry import REGISTRY, information

MODELS = sorted(REGISTRY)
SEEDS = st.integers(0, 2**32 - 1)
#: observations of one series of a time-series model in the whole-series checks
N_SERIES = 20

_NO_LIKELIHOOD = ("a population model has no per-subject likelihood, score, sampler or fit "
                  "here: its information is the FO linearisation of a design (checked in "
                  "test_pkpd_population.py)")
_NO_COVARIATES = "Model.from_logpdf wraps a density of iid data without covariates"
#: test -> kind -> why the check does not apply to models of that kind
NOT_APPLICABLE = {
    "score_identities": {"population": _NO_LIKELIHOOD},
    "finite_differences": {"population": _NO_LIKELIHOOD},
    "monte_carlo": {"population": _NO_LIKELIHOOD},
    "reparametrization": {"population": _NO_LIKELIHOOD + "; FisherInfo.reparametrize "
                          "itself is model-independent (test_information.py)"},
    "mle": {"population": _NO_LIKELIHOOD},
    "from_logpdf": {"regression": _NO_COVARIATES, "network": _NO_COVARIATES,
                    "time series regression": _NO_COVARIATES, "population": _NO_LIKELIHOOD},
    "n_times_one": {"time series regression": "the information of one dependent series "
                    "with regressors is neither additive nor N times a per-observation "
                    "limit for every x; test_armax.py checks I_2N - I_N = N I_inf for a "
                    "mean (x = 1) against the spectral density at frequency 0"},
}
#: the kinds checked per whole series (the observations of one series are dependent)
WHOLE_SERIES = ("time series", "time series regression")


def kind(name):
    return REGISTRY[name].kind


def applicable(test, name):
    """Skip, with the documented reason, a check that does not apply to the model's kind."""
    reason = NOT_APPLICABLE.get(test, {}).get(kind(name))
    if reason is not None:
        pytest.skip(f"not applicable to kind {kind(name)!r}: {reason}")


def make(name):
    return REGISTRY[name]()


def covariates(name):
    return REGISTRY[name].has_covariates


def context(model, name=None):
    if name is not None:
        return REGISTRY[name].default_context(model)
    return {"x": model.example_x()} if model.has_covariates else {}


def series_context(model):
    """The context of the exact information of one series of ``N_SERIES`` observations."""
    return {"x": model.example_x(N_SERIES)} if model.has_covariates else {"n": N_SERIES}


def draw(model, theta, reps, rng):
    """``reps`` independent draws; for regression models, ``reps`` copies of the covariates.

    Returns (data, x, k) with k the number of observations per replicate. (For a time-series
    model: ONE series of ``reps`` consecutive observations, with a regression on ``reps``
    rows of regressors for a time-series regression.)
    """
    if model.has_covariates and not model.is_regression:  # one series with regressors
        x = model.example_x(reps)
        return model.sample(theta, rng=rng, x=x), x, reps
    if model.is_regression:
        x0 = model.example_x()
        x = np.tile(x0, (reps,) + (1,) * (x0.ndim - 1))
        return model.sample(theta, rng=rng, x=x), x, x0.shape[0]
    return model.sample(theta, reps, rng=rng), None, 1


def series(model, theta, reps, rng):
    """``reps`` independent series of ``N_SERIES`` observations of a time-series model
    (at the regressors of :func:`series_context` for a time-series regression)."""
    x = series_context(model).get("x")
    return [model.sample(theta, N_SERIES, rng=rng, **({} if x is None else {"x": x}))
            for _ in range(reps)]


def series_x(model):
    """``x=`` of the likelihood methods on the series of :func:`series`."""
    return series_context(model).get("x")


def per_replicate(values, reps):
    """Sum per-observation values within each replicate (regression: over the covariates)."""
    return values.reshape((reps, -1) + values.shape[1:]).sum(axis=1)


def assert_zero_within_se(terms, what, atol=0.0):
    """Entrywise: the mean of iid ``terms`` is within N_SE standard errors of zero (plus
    ``atol`` for entries that do not vary, whose error is rounding only)."""
    mean = terms.mean(axis=0)
    se = terms.std(axis=0, ddof=1) / np.sqrt(terms.shape[0])
    scale = np.max(np.abs(terms), axis=0) * 1e-12  # terms that are identically zero
    bad = np.abs(mean) > N_SE * se + scale + atol
    assert not bad.any(), f"{what}: |mean| / se = {np.abs(mean) / np.maximum(se, 1e-300)}"


@pytest.mark.parametrize("name", MODELS)
def test_parameters_are_named_and_example_is_valid(name):
    entry = REGISTRY[name]
    model = entry.build()
    theta = entry.default_theta(model)
    names = entry.names(model)
    assert theta.dtype == np.float64 and theta.shape == (len(names),)
    assert len(set(names)) == len(names)
    if kind(name) != "population":
        assert names == model.param_names and theta.shape == (model.n_params,)


def population_theta(entry, model, seed):
    """The default parameter with log-normally perturbed fixed effects (the ones theta sets)."""
    theta = entry.default_theta(model).copy()
    nb = model.n_beta
    theta[:nb] *= np.exp(0.3 * np.random.default_rng(seed).standard_normal(nb))
    return theta


@pytest.mark.parametrize("name", MODELS)
@given(seed=SEEDS)
@settings(max_examples=10)
def test_information_is_symmetric_positive_semidefinite(name, seed):
    entry = REGISTRY[name]
    model = entry.build()
    if kind(name) == "population":
        theta = population_theta(entry, model, seed)
        infos = [information(entry, model, theta, **entry.default_context(model))]
    else:
        theta = model.random_theta(seed)
        infos = [fs.fisher(model, theta, **context(model))]
        if kind(name) in WHOLE_SERIES:  # and the exact information of a finite series
            infos.append(fs.fisher(model, theta, **series_context(model)))
    for info in infos:
        assert info.method == "analytic"
        np.testing.assert_array_equal(info.matrix, info.matrix.T)
        w = np.linalg.eigvalsh(info.matrix)
        assert w[0] >= -1e-12 * w[-1]


@pytest.mark.parametrize("name", MODELS)
@given(seed=SEEDS)
@settings(max_examples=4)
def test_score_has_mean_zero_and_outer_product_equals_minus_hessian(name, seed):
    applicable("score_identities", name)
    model = make(name)
    theta = model.random_theta(seed)
    rng = np.random.default_rng(seed)
    if kind(name) in WHOLE_SERIES:  # whole series: total score and total Hessian
        reps, x = 250, series_x(model)
        ys = series(model, theta, reps, rng)
        s = np.array([model.score(theta, y, x=x).sum(axis=0) for y in ys])
        H = np.array([model.hessian(theta, y, x=x) for y in ys])
        assert_zero_within_se(s, "mean total score")
        opg_plus_h = np.einsum("ra,rb->rab", s, s) + H
        assert_zero_within_se(opg_plus_h.reshape(reps, -1), "E[SS^T] + E[H] (series)")
        return
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
    """(Time series: ``draw`` gives one series of 20 observations, score per innovation.)"""
    applicable("finite_differences", name)
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
    applicable("monte_carlo", name)
    model = make(name)
    theta = model.example_theta()
    if kind(name) in WHOLE_SERIES:
        # the exact information of N_SERIES observations against the Monte Carlo mean of
        # the outer product of the total score (or of minus the total Hessian) of series
        exact = fs.fisher(model, theta, **series_context(model)).matrix
        reps, x = (1000 if estimator == "score" else 400), series_x(model)
        ys = series(model, theta, reps, np.random.default_rng(3))
        if estimator == "score":
            S = np.array([model.score(theta, y, x=x).sum(axis=0) for y in ys])
            terms = np.einsum("ra,rb->rab", S, S)
        else:
            terms = -np.array([model.hessian(theta, y, x=x) for y in ys])
        # as ``tiny`` below: entries with no Monte Carlo variance (ARMAX: -H of the
        # regression coefficients is X'G^-1X whatever y) differ from the exact information
        # by rounding only, summed in another order (~1e-16 relative, << 1e-10)
        assert_zero_within_se((terms - exact).reshape(reps, -1), f"MC ({estimator}) - I_N",
                              atol=1e-10 * np.max(np.abs(exact)))
        return
    exact = fs.fisher(model, theta, **context(model)).matrix
    mc = fs.fisher(model, theta, method="monte_carlo", estimator=estimator,
                   n_samples=20_000 if not model.is_regression else 2_000, rng=3,
                   **context(model))
    tiny = 1e-10 * np.max(np.abs(exact))
    assert np.all(np.abs(mc.matrix - exact) <= N_SE * mc.stderr + tiny)


@pytest.mark.parametrize("name", MODELS)
def test_information_of_n_observations_is_n_times_one(name):
    """Var(sum of n scores) = n I: additivity over independent observations.

    Population: the information of a design with twice the subjects is twice that of the
    design. Time series: the exact information of N observations is N times the asymptotic
    one plus a constant, so I_2N - I_N = N I_inf (up to the geometric decay of the
    process's memory, far below rounding at N = 200 for the example).
    """
    applicable("n_times_one", name)
    if kind(name) == "population":
        entry = REGISTRY[name]
        model = entry.build()
        theta = entry.default_theta(model)
        design = entry.default_context(model)["design"]
        one = information(entry, model, theta, design=design)
        two = information(entry, model, theta, design=design.replace(size=2 * design.size))
        np.testing.assert_allclose(two.matrix, 2 * one.matrix, rtol=1e-12,
                                   atol=1e-14 * np.max(np.abs(one.matrix)))
        assert two.n_obs == 2 * one.n_obs
        return
    model = make(name)
    theta = model.example_theta()
    if kind(name) == "time series":
        N = 200
        inf = fs.fisher(model, theta).matrix
        growth = fs.fisher(model, theta, n=2 * N).matrix - fs.fisher(model, theta, n=N).matrix
        np.testing.assert_allclose(growth, N * inf, rtol=1e-9,
                                   atol=1e-9 * N * np.max(np.abs(inf)))
        return
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
    the numerically differentiated log-likelihood in eta (time series: of whole series,
    against the exact information of N_SERIES observations).
    """
    applicable("reparametrization", name)
    model = make(name)
    theta = model.example_theta()
    pos = model.lower == 0
    eta = np.where(pos, np.log(np.where(pos, theta, 1.0)), theta)

    def to_theta(e):
        return np.where(pos, np.exp(e), e)

    J = np.diag(np.where(pos, theta, 1.0))
    if kind(name) in WHOLE_SERIES:
        reps, x = 300, series_x(model)
        predicted = fs.fisher(model, theta, **series_context(model)).reparametrize(
            J, model.param_names).matrix
        ys = series(model, theta, reps, np.random.default_rng(5))
        s = np.array([_numdiff.jacobian(lambda e, y=y: model.loglik(to_theta(e), y, x=x), eta)
                      .sum(axis=0) for y in ys])
    else:
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
    """(Time series: ``draw`` gives ONE series of 3000 observations, and the bound is that
    of the asymptotic information per observation; with regressors, the exact information
    of the series at its 3000 rows.)"""
    applicable("mle", name)
    model = make(name)
    theta = model.example_theta()
    reps = 3000 if not model.is_regression else 60
    data, x, _ = draw(model, theta, reps, np.random.default_rng(9))
    est = model.fit(data, x=x, start=theta)
    if kind(name) == "time series regression":
        info = fs.fisher(model, theta, x=x)
    else:
        info = fs.fisher(model, theta, **context(model)) * (reps if model.is_regression else 1)
    se = info.standard_errors(info.n_obs if model.has_covariates else reps)
    assert np.all(np.abs(est - theta) < 4.5 * se), (est, theta, se)


@pytest.mark.parametrize("name", MODELS)
def test_from_logpdf_wrapper_reproduces_the_analytic_information(name):
    applicable("from_logpdf", name)
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


def test_every_kind_is_registered_and_every_exemption_names_a_kind_and_a_reason():
    kinds = {e.kind for e in REGISTRY.values()}
    assert kinds == {"iid", "regression", "time series", "time series regression",
                     "population", "network"}
    for test, by_kind in NOT_APPLICABLE.items():
        for k, reason in by_kind.items():
            assert k in kinds and len(reason) > 20, (test, k)


def test_models_layer_imports_no_layer_above_it():
    """Data flow models -> information -> singular/design/nn: models/ (and so its registry)
    imports neither singular, pkpd, nn nor the complete registry (ast walk, no execution)."""
    import ast
    from pathlib import Path

    root = Path(fs.__file__).resolve().parent
    above = ("fisherstat.singular", "fisherstat.pkpd", "fisherstat.nn", "fisherstat.registry",
             "fisherstat.design", "fisherstat.asymptotics", "fisherstat.cli")
    bad = []
    for path in sorted((root / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level:  # relative to fisherstat.models
                    base = ["fisherstat", "models"][: 3 - node.level]
                    mod = ".".join(base + ([mod] if mod else []))
                names = [f"{mod}.{a.name}" for a in node.names] + [mod]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad += [f"{path.name}:{node.lineno} {n}" for n in names
                    if any(n == a or n.startswith(a + ".") for a in above)]
    assert bad == [], bad
