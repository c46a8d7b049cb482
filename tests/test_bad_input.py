"""Bad input gets a ValueError/TypeError whose message names the argument.

Table-driven over every registered model (each method x each kind of bad value) and over the
public functions and constructors. The models are those of
:data:`fisherstat.registry.REGISTRY`; the kind of each decides what applies: regression and
network models get covariates ``x``; iid and time-series models get sample sizes and must
refuse covariates; a population model has no likelihood methods of its own -- its one
method is the information of a design (the entry's ``information``), which gets the bad
parameters, and its "data" is a design (see :data:`NOT_APPLICABLE`).
"""

import numpy as np
import pytest

import fisherstat as fs
from fisherstat import FisherInfo, models
from fisherstat.registry import REGISTRY, information

MODELS = sorted(REGISTRY)

_NO_LIKELIHOOD = ("a population model has no loglik, score, hessian, sample or fit of its "
                  "own: its data is a design (see "
                  "test_bad_design_of_a_population_model_is_rejected_naming_it)")
#: test -> kind -> why the check does not apply to models of that kind
NOT_APPLICABLE = {
    "bad_data": {"population": _NO_LIKELIHOOD},
    "sample_sizes": {"regression": "regression models draw one response per covariate row "
                     "(no n; see test_bad_covariates_are_rejected_naming_x)",
                     "time series regression": "a series is drawn at the rows of its "
                     "regressors (no n; see test_bad_covariates_are_rejected_naming_x)",
                     "network": "networks draw one response per input row (no n; see "
                     "test_bad_covariates_are_rejected_naming_x)",
                     "population": _NO_LIKELIHOOD},
    "covariates": {"iid": "no covariates (refusing them is checked in "
                   "test_models_without_covariates_reject_them_and_bad_sample_sizes)",
                   "time series": "no covariates (refusing them is checked in "
                   "test_models_without_covariates_reject_them_and_bad_sample_sizes)",
                   "population": _NO_LIKELIHOOD},
}


def kind_of(name):
    return REGISTRY[name].kind


def applicable(test, name):
    """Skip, with the documented reason, a check that does not apply to the model's kind."""
    reason = NOT_APPLICABLE.get(test, {}).get(kind_of(name))
    if reason is not None:
        pytest.skip(f"not applicable to kind {kind_of(name)!r}: {reason}")


def valid_args(model):
    theta = model.example_theta()
    if model.has_covariates:
        x = model.example_x()
        return theta, model.sample(theta, rng=0, x=x), x
    return theta, model.sample(theta, 5, rng=0), None


BAD_THETAS = [
    ("nan", lambda t: np.where(np.arange(t.size) == 0, np.nan, t), ValueError, "theta"),
    ("inf", lambda t: np.where(np.arange(t.size) == 0, np.inf, t), ValueError, "theta"),
    ("too long", lambda t: np.append(t, 1.0), ValueError, "theta"),
    ("too short", lambda t: t[:-1] if t.size > 1 else np.array([]), ValueError, "theta"),
    ("2-d", lambda t: t[None, :], ValueError, "theta"),
    ("string", lambda t: "1.0", TypeError, "theta"),
    ("none", lambda t: None, TypeError, "theta"),
]


def methods(model, data, x):
    calls = {
        "loglik": lambda th: model.loglik(th, data, x=x),
        "score": lambda th: model.score(th, data, x=x),
        "hessian": lambda th: model.hessian(th, data, x=x),
        "fisher": (lambda th: model.fisher(th, x=x)) if model.has_covariates
        else (lambda th: model.fisher(th)),
        "fs.fisher": lambda th: fs.fisher(model, th, **({"x": x} if x is not None else {})),
        "empirical_fisher": lambda th: fs.empirical_fisher(model, th, data, x=x),
        "observed_information": lambda th: fs.observed_information(model, th, data, x=x),
        "sandwich_covariance": lambda th: fs.sandwich_covariance(model, th, data, x=x),
        "singularities": lambda th: model.singularities(th),
    }
    if model.has_covariates:
        calls["sample"] = lambda th: model.sample(th, rng=0, x=x)
    if model.is_regression:
        calls["point_information"] = lambda th: model.point_information(th, x)
    elif not model.has_covariates:
        calls["sample"] = lambda th: model.sample(th, 3, rng=0)
    return calls


def population_setup(name):
    entry = REGISTRY[name]
    model = entry.build()
    return entry, model, entry.default_theta(model), entry.default_context(model)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("bad", BAD_THETAS, ids=[b[0] for b in BAD_THETAS])
def test_bad_theta_is_rejected_by_every_method_naming_theta(name, bad):
    _, make_bad, exc, word = bad
    if kind_of(name) == "population":  # its one method: the information of a design
        entry, model, theta, ctx = population_setup(name)
        with pytest.raises(exc, match=word):
            information(entry, model, make_bad(theta), **ctx)
        return
    model = REGISTRY[name]()
    theta, data, x = valid_args(model)
    for method, call in methods(model, data, x).items():
        with pytest.raises(exc, match=word):
            call(make_bad(theta))
        assert method  # every method was exercised


@pytest.mark.parametrize("name", MODELS)
def test_parameter_on_or_beyond_its_bound_is_rejected_naming_the_parameter(name):
    """Variance <= 0, probability outside (0, 1), df <= 0, rates <= 0, ...

    Population: the fixed effects of a model with exponential random effects
    (``phi = beta exp(eta)``) must be > 0, checked by the information of a design.
    """
    if kind_of(name) == "population":
        entry, model, theta, ctx = population_setup(name)
        for j, pname in enumerate(entry.names(model)[:model.n_beta]):
            for value in (0.0, -1.0):
                bad = theta.copy()
                bad[j] = value
                with pytest.raises(ValueError, match=pname):
                    information(entry, model, bad, **ctx)
        return
    model = REGISTRY[name]()
    theta = model.example_theta()
    checked = 0
    for j, pname in enumerate(model.param_names):
        for bound in (model.lower[j], model.upper[j]):
            if not np.isfinite(bound):
                continue
            for value in (bound, bound - 1.0 if bound == model.lower[j] else bound + 1.0):
                bad = theta.copy()
                bad[j] = value
                with pytest.raises(ValueError, match=pname):
                    model.validate(bad)
                checked += 1
    if not np.all(np.isinf(model.lower) & np.isinf(model.upper)):
        assert checked > 0


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(
    "kind", ["nan", "inf", "empty", "string"],
)
def test_bad_data_is_rejected_naming_data(name, kind):
    applicable("bad_data", name)
    model = REGISTRY[name]()
    theta, data, x = valid_args(model)
    bad = {
        "nan": np.where(np.arange(data.shape[0]).reshape((-1,) + (1,) * (data.ndim - 1)) == 0,
                        np.nan, data),
        "inf": np.where(np.arange(data.shape[0]).reshape((-1,) + (1,) * (data.ndim - 1)) == 0,
                        np.inf, data),
        "empty": data[:0],
        "string": "abc",
    }[kind]
    exc = TypeError if kind == "string" else ValueError
    for call in (model.loglik, model.score, model.hessian):
        with pytest.raises(exc, match="data"):
            call(theta, bad, x=x if kind != "empty" else (None if x is None else x[:0]))
    with pytest.raises(exc, match="data"):
        model.fit(bad, x=x if kind != "empty" else (None if x is None else x[:0]))


@pytest.mark.parametrize("name", MODELS)
def test_bad_covariates_are_rejected_naming_x(name):
    applicable("covariates", name)
    model = REGISTRY[name]()
    theta, y, x = valid_args(model)
    x_nan = x.copy()
    x_nan[0] = np.nan
    with pytest.raises(ValueError, match="x"):
        model.loglik(theta, y, x=x_nan)
    with pytest.raises(ValueError, match="x"):
        model.fisher(theta, x=x_nan)
    with pytest.raises(TypeError, match="x"):
        model.loglik(theta, y)
    with pytest.raises(TypeError, match="x"):
        fs.fisher(model, theta)
    with pytest.raises(ValueError, match="rows" if model.is_regression else "one row per"):
        model.loglik(theta, y[:-1], x=x)
    with pytest.raises(ValueError, match="x"):
        model.fisher(theta, x=np.ones((x.shape[0], 7)))
    if not model.is_regression:  # one dependent series: no weights of independent rows
        with pytest.raises(TypeError, match="weights"):
            fs.fisher(model, theta, x=x, weights=np.ones(x.shape[0]))
        return
    with pytest.raises(ValueError, match="weights"):
        model.fisher(theta, x=x, weights=-np.ones(x.shape[0]))
    with pytest.raises(ValueError, match="weights"):
        model.fisher(theta, x=x, weights=np.ones(x.shape[0] + 1))
    with pytest.raises(ValueError, match="x"):
        model.fisher(theta, x=np.ones((x.shape[0], 7)))


@pytest.mark.parametrize("name", MODELS)
def test_models_without_covariates_reject_them_and_bad_sample_sizes(name):
    applicable("sample_sizes", name)
    model = REGISTRY[name]()
    theta, data, _ = valid_args(model)
    with pytest.raises(TypeError, match="covariates"):
        model.loglik(theta, data, x=np.ones(data.shape[0]))
    for n, exc in ((0, ValueError), (-3, ValueError), (2.5, TypeError), ("5", TypeError)):
        with pytest.raises(exc, match="n"):
            model.sample(theta, n, rng=0)
    with pytest.raises(TypeError, match="rng"):
        model.sample(theta, 3, rng="seed")


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: fs.fisher(models.Normal(), [0, 1], method="quadrature"), ValueError, "method"),
        (lambda: fs.fisher(models.Normal(), [0, 1], estimator="opg"), ValueError, "estimator"),
        (lambda: fs.fisher(models.Normal(), [0, 1], method="monte_carlo", n_samples=0),
         ValueError, "n_samples"),
        (lambda: fs.fisher(models.Normal(), [0, 1], bogus=1), TypeError, "bogus"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")).covariance(-1), ValueError, "n"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")).marginal(["c"]), ValueError, "parameter"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")).reparametrize(np.eye(3), "abc"),
         ValueError, "jacobian"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")).reparametrize(np.eye(2), ["a"]),
         ValueError, "names"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")).kl_quadratic([1.0]), ValueError, "delta"),
        (lambda: FisherInfo(np.eye(2), ("a", "b")) * -1, ValueError, "c"),
        (lambda: fs.Model.from_logpdf("not callable", None, ["a"]), TypeError, "logpdf"),
        (lambda: fs.Model.from_logpdf(lambda t, d: d, None, ["a", "a"]), ValueError,
         "param_names"),
        (lambda: fs.Model.from_logpdf(lambda t, d: d, None, ["a"], bounds=[(1, 0)]),
         ValueError, "bounds"),
        (lambda: fs.Model.from_logpdf(lambda t, d: d, 3, ["a"]), TypeError, "sample"),
        (lambda: models.get_model("NoSuchModel"), ValueError, "unknown model"),
        (lambda: fs.registry.get_model("NoSuchModel"), ValueError, "unknown model"),
        (lambda: fs.registry.get_model("ARMA", r=1), TypeError, "option 'r'"),
        (lambda: models.REGISTRY["ARMA"].parse_options({"p": "x"}), ValueError,
         "option p must be an integer"),
        (lambda: fs.registry.information("ARMA", None, None), TypeError, "entry"),
    ],
)
def test_public_functions_reject_bad_arguments_naming_them(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: models.Binomial(n_trials=0), ValueError, "n_trials"),
        (lambda: models.Binomial(n_trials=2.5), TypeError, "n_trials"),
        (lambda: models.MultivariateNormal(dim=0), ValueError, "dim"),
        (lambda: models.MultivariateNormal(dim="2"), TypeError, "dim"),
        (lambda: models.LinearRegression(k=0), ValueError, "k"),
        (lambda: models.LogisticRegression(k=2, param_names=["a"]), ValueError, "param_names"),
        (lambda: models.PoissonRegression(k=-1), ValueError, "k"),
        (lambda: models.ProbitRegression(k=1.5), TypeError, "k"),
        (lambda: models.NonlinearRegression(3, param_names=["a"]), TypeError, "mean"),
        (lambda: models.NonlinearRegression(lambda x, b: x, jacobian=3, param_names=["a"]),
         TypeError, "jacobian"),
        (lambda: models.NonlinearRegression(lambda x, b: x, error="multiplicative",
                                            param_names=["a"]), ValueError, "additive"),
        (lambda: models.Emax(error="exponential"), ValueError, "error"),
        (lambda: models.OneCompartmentOral(dose=-70), ValueError, "dose"),
        (lambda: models.OneCompartmentBolus(dose=np.nan), ValueError, "dose"),
        (lambda: fs.from_statsmodels(np.eye(2)), TypeError, "results"),
        (lambda: models.ARMA(-1, 0), ValueError, "p"),
        (lambda: models.ARMA(1, 0, mean="yes"), TypeError, "mean"),
        (lambda: fs.fisher(models.ARMA(1, 0), [0.5, 1.0], n=0), ValueError, "n"),
        (lambda: fs.fisher(models.ARMA(1, 0), [0.5, 1.0], n=10, method="monte_carlo"),
         ValueError, "analytic"),
    ],
)
def test_constructors_reject_bad_arguments_naming_them(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


@pytest.mark.parametrize("name", [n for n in MODELS if kind_of(n) == "population"])
def test_bad_design_of_a_population_model_is_rejected_naming_it(name):
    entry, model, theta, ctx = population_setup(name)
    with pytest.raises(TypeError, match="design"):
        information(entry, model, theta, design="abc")
    with pytest.raises(TypeError, match="model"):
        information(entry, "not a model", theta, **ctx)
    with pytest.raises(ValueError, match="method"):
        information(entry, model, theta, method="monte_carlo", **ctx)


def test_negative_times_and_wrong_covariate_columns_are_rejected():
    oral = models.OneCompartmentOral(dose=70)
    with pytest.raises(ValueError, match="x"):
        oral.fisher(oral.example_theta(), x=[-1.0, 2.0])
    no_dose = models.OneCompartmentOral()
    with pytest.raises(ValueError, match="x"):
        no_dose.fisher(no_dose.example_theta(), x=[1.0, 2.0])  # needs (time, dose) columns
