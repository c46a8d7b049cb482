"""Bad input to every public entry point of the core namespaces gets a ValueError/TypeError.

``tests/test_bad_input.py`` covers the registered models' likelihood methods with bad ``theta``
and a few constructors; this file extends the same table-driven approach to EVERY public
function, constructor and method of ``fisherstat`` (top level), ``fisherstat.information``,
``fisherstat.asymptotics``, ``fisherstat.singular``, ``fisherstat.interop``,
``fisherstat.plot``, ``fisherstat.selection`` and ``fisherstat.models``.

* ``ROWS`` is the table: one row per (entry point, argument, kind of bad value). A *kind*
  lists fixed bad values and a hypothesis strategy that generates more of them, each with the
  exception class it must raise (``ValueError`` for a value of the right type outside its
  domain, ``TypeError`` for a value of the wrong type); the message must name the argument
  and, for a value outside an allowed range, state the range.
* ``test_every_public_callable_has_a_row_or_an_exemption`` enumerates the namespaces with
  ``__all__`` and ``inspect`` and fails when a public callable has neither a row nor an entry
  in ``EXEMPT`` (with the reason). Properties and methods without arguments have nothing to
  get wrong and are skipped.
* Rows of the models (``fisherstat.models`` and the toy models of ``fisherstat.singular``) run
  in ``tests/test_bad_input_core_models.py``; the rest here. Each entry point gets one test of
  its listed values and one hypothesis test (``N_EXAMPLES`` draws of an argument and a
  generated bad value).
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
import fisherstat.asymptotics
import fisherstat.information
import fisherstat.interop
import fisherstat.pkpd
import fisherstat.plot
import fisherstat.selection
import fisherstat.singular
from fisherstat import FisherInfo, models
from fisherstat.models import REGISTRY
from fisherstat.singular import LocationMixture, TwoUnitNetwork

NAMESPACES = (fs, fisherstat.information, fisherstat.asymptotics, fisherstat.singular,
              fisherstat.interop, fisherstat.plot, fisherstat.selection, models)

N_EXAMPLES = 10  # hypothesis examples per row (modest: the table has a few hundred rows)
V, T, VT = ValueError, TypeError, (ValueError, TypeError)
#: a message states the allowed range / set of values
RANGE_RE = re.compile(r"(>=?|<=?|\bin [\[(]|one of|\bmust\b|\bneeds?\b|expected|requires"
                      r"|not (positive|stationary|invertible)|\buse\b)")


# ----------------------------------------------------------------------------- kinds
@dataclass(frozen=True)
class Kind:
    """A kind of bad value: fixed cases and a generator, each ``(label, value, exc, ranged)``.

    ``ranged`` says the value has the right type but lies outside a stated domain, so the
    message must state the domain.
    """

    listed: tuple
    generated: object = None  # strategy of (label, value, exc, ranged), or None


def _g(strategy, exc, label, ranged=True):
    return strategy.map(lambda v: (label, v, exc, ranged))


NONNUM = (("string", "abc", T, False), ("none", None, T, False), ("complex", 1 + 2j, T, False),
          ("list", [1.0], T, False), ("object", object(), T, False))


def real(low=None, high=None, *, low_open=True, high_open=True, optional=False):
    """A real scalar in an interval (``None`` allowed when ``optional``)."""
    listed = [("nan", np.nan, V, True), ("inf", np.inf, V, True), ("-inf", -np.inf, V, True),
              ("bool", True, T, False)]
    listed += [c for c in NONNUM if not (optional and c[1] is None)]
    gens = []
    if low is not None:
        below = st.floats(max_value=low, exclude_max=not low_open, allow_nan=False,
                          allow_infinity=False, min_value=-1e308)
        gens.append(_g(below, V, "below"))
        listed.append(("at low" if low_open else "below low", low if low_open else low - 1.0,
                       V, True))
    if high is not None:
        above = st.floats(min_value=high, exclude_min=not high_open, allow_nan=False,
                          allow_infinity=False, max_value=1e308)
        gens.append(_g(above, V, "above"))
        listed.append(("1e308", 1e308, V, True))
    return Kind(tuple(listed), st.one_of(gens) if gens else None)


def count(low=1, *, optional=False, high=None):
    """An integer >= low (sample sizes, numbers of draws, orders)."""
    listed = [("low - 1", low - 1, V, True), ("-1", min(-1, low - 1), V, True),
              ("2.5", 2.5, T, False), ("bool", True, T, False), ("string", "3", T, False),
              ("nan", np.nan, T, False), ("inf", np.inf, T, False),
              ("1e308", 1e308, T, False), ("10**308", 10**308, V, True),
              ("complex", 2 + 0j, T, False)]
    if not optional:
        listed.append(("none", None, T, False))
    gens = [_g(st.integers(max_value=low - 1, min_value=-10**12), V, "int < low"),
            _g(st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: not v.is_integer()),
               T, "non-integer float", False)]
    if high is not None:
        listed.append(("high + 1", high + 1, V, True))
        gens.append(_g(st.integers(min_value=high + 1, max_value=10**6), V, "int > high"))
    return Kind(tuple(listed), st.one_of(gens))


def choice(options, *, optional=False):
    """One of a set of strings."""
    listed = [("bogus", "bogus", V, True), ("empty", "", V, True),
              ("upper", str(options[0]).upper() + "X", V, True),
              ("int", 3, VT, True), ("list", [options[0]], VT, True)]
    if not optional:
        listed.append(("none", None, VT, True))
    gen = _g(st.text(min_size=1, max_size=8).filter(lambda s: s not in options), V, "text")
    return Kind(tuple(listed), gen)


def boolean():
    return Kind((("string", "yes", T, False), ("int", 2, T, False), ("none", None, T, False),
                 ("float", 0.5, T, False), ("array", np.array([True, False]), T, False)))


def rng_kind():
    return Kind((("string", "seed", T, False), ("float", 1.5, T, False),
                 ("negative", -1, V, True), ("bool", True, T, False),
                 ("list", [1, 2], T, False), ("object", object(), T, False)),
                _g(st.integers(max_value=-1, min_value=-10**9), V, "negative seed"))


def callable_kind(optional=False):
    listed = [("int", 3, T, False), ("string", "f", T, False), ("array", np.ones(2), T, False)]
    if not optional:
        listed.append(("none", None, T, False))
    return Kind(tuple(listed))


def instance_kind(optional=False):
    """An argument that must be an instance of a given class (model, info, report, figure)."""
    listed = [("string", "Normal", T, False), ("int", 3, T, False), ("array", np.eye(2), T, False),
              ("object", object(), T, False), ("dict", {}, T, False)]
    if not optional:
        listed.append(("none", None, T, False))
    return Kind(tuple(listed))


def _poke(valid, value):
    a = np.array(valid, dtype=float, copy=True)
    a.flat[0] = value
    return a


def array(valid, *, fixed=True, low=None, high=None, optional=False, overflow=False,
          ndim_bad=None, low_open=True):
    """A float array like ``valid``.

    ``fixed``: its shape is prescribed (wrong lengths are errors); ``low``/``high``: an
    interval for the entries (``low_open=False``: ``low`` itself is allowed); ``overflow``:
    entries of 1e308 make the result overflow (they must be rejected, not turned into inf);
    ``ndim_bad``: an array of a wrong number of dimensions (default: ``valid`` with one more
    axis).
    """
    valid = np.asarray(valid, dtype=float)
    ndim_bad = valid[None] if ndim_bad is None else ndim_bad
    listed = [("nan", _poke(valid, np.nan), V, True), ("inf", _poke(valid, np.inf), V, True),
              ("-inf", _poke(valid, -np.inf), V, True),
              ("empty", np.zeros((0,) + valid.shape[1:]), V, True),
              ("wrong ndim", ndim_bad, V, True),
              ("string", "abc", T, False), ("strings", ["a"] * max(valid.size, 1), T, False),
              ("complex", valid + 1j, T, False), ("ragged", [[1.0], [1.0, 2.0]], VT, False),
              ("object", np.array([object()] * max(valid.size, 1)), T, False)]
    if not optional:
        listed.append(("none", None, T, False))
    if fixed:
        listed.append(("too long", np.append(valid.ravel(), 1.0).reshape(
            (-1,) if valid.ndim == 1 else (valid.shape[0] + 1, -1))
            if valid.ndim <= 1 else np.concatenate([valid, valid[:1]]), V, True))
    if low is not None:
        listed.append(("below low", _poke(valid, low - 1.0), V, True))
    if high is not None:
        listed.append(("above high", _poke(valid, high + 1.0), V, True))
    if overflow:
        listed.append(("1e308", np.full(valid.shape, 1e308), V, True))
    bad = st.sampled_from([np.nan, np.inf, -np.inf])
    idx = st.integers(0, max(valid.size - 1, 0))
    gens = [st.tuples(idx, bad).map(lambda t: ("non-finite entry", _set(valid, *t), V, True))]
    if fixed and valid.ndim == 1:
        gens.append(st.integers(0, 6).filter(lambda k: k != valid.size).map(
            lambda k: ("length", np.ones(k), V, True)))
    if low is not None:
        gens.append(st.tuples(idx, st.floats(max_value=low, exclude_max=not low_open,
                                             allow_nan=False, min_value=-1e300))
                    .map(lambda t: ("entry below low", _set(valid, *t), V, True)))
    return Kind(tuple(listed), st.one_of(gens))


def weights_kind(k):
    """Design weights of ``k`` rows: non-negative, finite, finite sum, not all zero."""
    base = array(np.ones(k), low=0.0, low_open=False, overflow=True, optional=True)
    return Kind(base.listed + (("all zero", np.zeros(k), V, True),), base.generated)


def _set(valid, i, value):
    a = np.array(valid, dtype=float, copy=True)
    if a.size:
        a.flat[i] = value
    return a


def theta_kind(model, extra=()):
    """Parameters of ``model``: non-finite, wrong length/type and every bound violated."""
    t = model.example_theta()
    base = array(t)
    listed = list(base.listed) + list(extra)
    for j, name in enumerate(model.param_names):
        for bound, step in ((model.lower[j], -1.0), (model.upper[j], 1.0)):
            if np.isfinite(bound):
                for value in (bound, bound + step):
                    listed.append((f"{name}={value:g}", _set(t, j, value), V, True))
    finite = [(j, lo, hi) for j, (lo, hi) in enumerate(zip(model.lower, model.upper,
                                                            strict=True))
              if np.isfinite(lo) or np.isfinite(hi)]
    gens = [base.generated]
    if finite:
        def out_of_bounds(args):
            (j, lo, hi), u = args
            value = lo - u if np.isfinite(lo) else hi + u
            return (f"theta[{j}] out of bounds", _set(t, j, value), V, True)
        gens.append(st.tuples(st.sampled_from(finite), st.floats(0, 1e6)).map(out_of_bounds))
    return Kind(tuple(listed), st.one_of(gens))


def names_kind(names):
    return Kind((("none", None, T, False), ("int", 3, T, False), ("unknown", ["nope"], V, True),
                 ("empty", [], V, True), ("non-str", [1], VT, True),
                 ("duplicate", [names[0], names[0]], V, True)),
                st.text(min_size=1, max_size=6).filter(lambda s: s not in names).map(
                    lambda s: ("unknown name", [s], V, True)))


def param_names_kind(p, *, fixed=True, optional=False):
    """Names of ``p`` parameters (``fixed``: exactly ``p`` of them)."""
    listed = [("int", 3, T, False), ("one string", "ab" * p, T, False),
              ("non-str", [1] * p, T, False), ("empty str", [""] * p, VT, True),
              ("duplicate", ["a"] * max(p, 2), V, True)]
    if not optional:
        listed.append(("none", None, T, False))
    if fixed:
        listed.append(("too many", [f"q{i}" for i in range(p + 1)], V, True))
    return Kind(tuple(listed))


def matrix_kind(p, *, symmetric=True, optional=False, nonneg=False):
    valid = np.eye(p)
    base = array(valid, ndim_bad=np.ones(p), optional=optional)
    listed = list(base.listed) + [("non-square", np.ones((p, p + 1)), V, True),
                                  ("3-d", np.ones((p, p, 1)), V, True)]
    if symmetric and p > 1:
        a = np.eye(p)
        a[0, 1] = 1.0
        listed.append(("asymmetric", a, V, True))
    if nonneg:
        listed.append(("negative", -np.eye(p), V, True))
    return Kind(tuple(listed), base.generated)


def x_kind(model):
    """Covariates of a regression model (a user's mean function may take any columns)."""
    x = model.example_x()
    listed = [("nan", _poke(x, np.nan), V, True), ("inf", _poke(x, np.inf), V, True),
              ("none", None, T, False), ("string", "abc", T, False),
              ("complex", x + 1j, T, False), ("ragged", [[1.0], [1.0, 2.0]], VT, False),
              ("3-d", np.ones((2, 2, 2)), V, True)]
    if type(model) is not models.NonlinearRegression:
        listed.append(("wrong columns", np.ones((x.shape[0], 7)), V, True))
    gen = st.tuples(st.integers(0, x.size - 1), st.sampled_from([np.nan, np.inf, -np.inf])).map(
        lambda t: ("non-finite x", _set(x, *t), V, True))
    return Kind(tuple(listed), gen)


def data_kind(model, *, full, any_ndim=False):
    """Observations of ``model`` (``full=False``: only the kinds test_bad_input.py lacks)."""
    theta = model.example_theta()
    x = model.example_x() if model.has_covariates else None
    d = (model.sample(theta, rng=0, x=x) if model.has_covariates
         else model.sample(theta, 6, rng=0))
    listed = [("none", None, T, False), ("complex", np.asarray(d) + 1j, T, False),
              ("ragged", [[1.0], [1.0, 2.0]], VT, False),
              ("strings", ["a"] * len(d), T, False)]
    if not any_ndim:  # a user's log-density may take data of any shape
        listed.append(("wrong ndim", np.asarray(d)[None, None], V, True))
    if full:
        listed += [("nan", _poke(d, np.nan), V, True), ("inf", _poke(d, np.inf), V, True),
                   ("empty", np.asarray(d)[:0], V, True), ("string", "abc", T, False)]
    gen = st.tuples(st.integers(0, np.asarray(d).size - 1),
                    st.sampled_from([np.nan, np.inf, -np.inf])).map(
        lambda t: ("non-finite data", _set(d, *t), V, True))
    return Kind(tuple(listed), gen), d


def batch_kind(D, paired=False):
    """Stacks of ``c = 2`` replicate data sets (``D``) for the batch hooks; ``paired``: one
    data set per row of a parameter stack, so one too few is an error too."""
    listed = (("none", None, T, False), ("string", "abc", T, False),
              ("nan", _poke(D, np.nan), V, True), ("inf", _poke(D, np.inf), V, True))
    if paired:
        listed += (("one replicate too few", D[:1], V, True),)
    gen = st.tuples(st.integers(0, D.size - 1), st.sampled_from([np.nan, np.inf, -np.inf])).map(
        lambda t: ("non-finite data", _set(D, *t), V, True))
    return Kind(listed, gen)


def theta_stack_kind(t):
    """Stacks of ``c = 2`` parameter vectors (rows ``t``) for ``information_batch``."""
    T2 = np.stack([t, t])
    listed = (("none", None, T, False), ("1-d", np.asarray(t), V, True),
              ("wrong p", np.ones((2, t.size + 1)), V, True),
              ("nan row", _poke(T2, np.nan), V, True),
              ("complex", T2 + 1j, T, False))
    gen = st.tuples(st.integers(0, T2.size - 1), st.sampled_from([np.nan, np.inf, -np.inf])).map(
        lambda c: ("non-finite theta", _set(T2, *c), V, True))
    return Kind(listed, gen)


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Row:
    key: str  # entry point: "function", "Class()" (constructor) or "Class.method"
    arg: str  # the argument the bad value is passed as; the message must name it
    kind: Kind
    call: object  # call(bad_value)
    word: str | None = None  # what the message names, when not ``arg``

    @property
    def id(self):
        return f"{self.key}:{self.arg}"


ROWS: list[Row] = []


def row(key, arg, kind, call, word=None):
    ROWS.append(Row(key, arg, kind, call, word))


def _normal_logpdf(t, d):
    return -0.5 * np.log(2 * np.pi * t[1]) - 0.5 * (d - t[0]) ** 2 / t[1]


def _normal_draws(n, rng):
    return rng.standard_normal(n)


def _normal_sample(t, n, rng):
    return rng.normal(t[0], np.sqrt(t[1]), n)


def _logpdf_model():
    return fs.Model.from_logpdf(_normal_logpdf, _normal_sample, ["mu", "sigma2"],
                                bounds=[(-np.inf, np.inf), (0, np.inf)],
                                example_theta=[0.0, 1.0])


def _decay(x, b):
    return b[0] * np.exp(-b[1] * np.asarray(x).reshape(-1))


def _nonlinear():
    return models.NonlinearRegression(_decay, param_names=["a", "k"],
                                      bounds=[(-np.inf, np.inf), (0, np.inf)],
                                      example_theta=[2.0, 0.5, 0.1],
                                      example_x=np.linspace(0.1, 4, 8))


def _structural_regression():
    from fisherstat.models.structural import Regimen, TwoCompartment

    return models.StructuralRegression(
        TwoCompartment("oral"), dose=Regimen.repeated(100.0, tau=12.0, n_doses=2),
        error="combined", example_theta=[2.0, 10.0, 3.0, 20.0, 1.5, 0.05, 0.01],
        example_x=[0.5, 1.0, 2.0, 6.0, 12.5, 14.0, 24.0])


#: one or more instances per public model class: every method of the class runs on each
MODEL_INSTANCES = {
    **{name: [cls] for name, cls in REGISTRY.items()},
    "GaussianMixture": [models.GaussianMixture, lambda: models.GaussianMixture(2, 2, "diag")],
    "MultivariateNormal": [models.MultivariateNormal],
    "ARMA": [lambda: models.ARMA(1, 1), lambda: models.ARMA(0, 2, mean=True)],
    "NonlinearRegression": [_nonlinear],
    "StructuralRegression": [_structural_regression],
    "Model": [_logpdf_model],
    "TwoUnitNetwork": [TwoUnitNetwork],
    "LocationMixture": [LocationMixture],
}
#: observations outside the support (the first observation is replaced by each value)
SUPPORT_VIOLATIONS = {
    "Poisson": (-1.0, 1.5), "Binomial": (11.0, 0.5, -1.0), "Gamma": (0.0, -1.0),
    "Weibull": (0.0, -1.0), "LogisticRegression": (0.5, 2.0, -1.0),
    "ProbitRegression": (0.5, 2.0), "PoissonRegression": (-1.0, 1.5),
}
#: methods test_bad_input.py already exercises with bad theta on the registered models:
#: here they get only the kinds of bad value it lacks
COVERED_BY_TEST_BAD_INPUT = {"loglik", "score", "hessian", "fisher", "sample", "singularities",
                             "point_information", "validate"}


def _model_rows(cls_name, make):
    model = make()
    registered = type(model).__name__ in REGISTRY
    t = model.example_theta()
    reg = model.is_regression
    cov = model.has_covariates  # regression models and ARMAX (one series with regressors)
    x = model.example_x() if cov else None
    bad_theta = theta_kind(model)
    extra_theta = Kind(tuple(c for c in bad_theta.listed
                             if c[0] in ("complex", "ragged", "object", "strings", "empty",
                                         "-inf")))
    any_ndim = isinstance(model, type(_logpdf_model()))
    dk, d = data_kind(model, full=not registered, any_ndim=any_ndim)
    K = cls_name

    def theta_rows(method, call):
        covered = registered and method in COVERED_BY_TEST_BAD_INPUT
        row(f"{K}.{method}", "theta", extra_theta if covered else bad_theta, call)

    theta_rows("validate", lambda b: model.validate(b))
    support = SUPPORT_VIOLATIONS.get(type(model).__name__, ())
    if support:  # observations outside the support of the distribution
        row(f"{K}.loglik", "data", Kind(tuple(
            (f"data={v:g}", _set(d, 0, v), V, True) for v in support)),
            lambda b: model.loglik(t, b, x=x))
    for meth in ("loglik", "score", "hessian", "typical_scale"):
        f = getattr(model, meth)
        theta_rows(meth, lambda b, f=f: f(b, d, x=x))
        row(f"{K}.{meth}", "data", dk, lambda b, f=f: f(t, b, x=x))
    row(f"{K}.hessian", "individual", boolean(),
        lambda b: model.hessian(t, d, x=x, individual=b))
    row(f"{K}.check_data", "data", Kind(dk.listed + tuple(
        c for c in data_kind(model, full=True, any_ndim=any_ndim)[0].listed
        if c[0] in ("nan", "empty"))),
        lambda b: model.check_data(b, x=x))
    row(f"{K}.fit", "data", dk, lambda b: model.fit(b, x=x))
    row(f"{K}.max_loglik", "data", dk, lambda b: model.max_loglik(b, x=x))
    row(f"{K}.fit", "start", Kind(tuple(c for c in bad_theta.listed if c[1] is not None)),
        lambda b: model.fit(d, x=x, start=b))
    theta_rows("singularities", lambda b: model.singularities(b))
    theta_rows("strata", lambda b: model.strata(b))
    # the batch hooks of simulation studies: c = 2 replicates of the example data
    D = np.stack([np.asarray(d, dtype=float)] * 2)
    row(f"{K}.fit_batch", "data", batch_kind(D), lambda b: model.fit_batch(b, x=x))
    row(f"{K}.fit_batch", "start", Kind(tuple(c for c in bad_theta.listed if c[1] is not None)),
        lambda b: model.fit_batch(D, x=x, start=b))
    row(f"{K}.information_batch", "theta", theta_stack_kind(t),
        lambda b: model.information_batch(b, D, x=x))
    row(f"{K}.information_batch", "data", batch_kind(D, paired=True),
        lambda b: model.information_batch(np.stack([t, t]), b, x=x))
    row(f"{K}.random_theta", "rng", rng_kind(), lambda b: model.random_theta(b))
    if cov:
        xk = x_kind(model)
        theta_rows("fisher", lambda b: model.fisher(b, x=x))
        row(f"{K}.fisher", "x", xk, lambda b: model.fisher(t, x=b))
        if reg:  # weights of independent rows (a series' observations have none)
            row(f"{K}.fisher", "weights", weights_kind(x.shape[0]),
                lambda b: model.fisher(t, x=x, weights=b))
        theta_rows("sample", lambda b: model.sample(b, rng=0, x=x))
        row(f"{K}.sample", "x", xk, lambda b: model.sample(t, rng=0, x=b))
        row(f"{K}.sample", "n", count(optional=True),
            lambda b: model.sample(t, b, rng=0, x=x))
        row(f"{K}.sample", "n", Kind((("n != len(x)", x.shape[0] + 1, V, True),)),
            lambda b: model.sample(t, b, rng=0, x=x))
        row(f"{K}.sample", "rng", rng_kind(), lambda b: model.sample(t, rng=b, x=x))
        for meth in ("loglik", "score", "hessian", "typical_scale"):
            f = getattr(model, meth)
            row(f"{K}.{meth}", "x", xk, lambda b, f=f: f(t, d, x=b))
        for meth in ("fit", "check_data", "max_loglik"):
            f = getattr(model, meth)
            row(f"{K}.{meth}", "x", xk, lambda b, f=f: f(d, x=b))
        row(f"{K}.check_x", "x", xk, lambda b: model.check_x(b))
        row(f"{K}.fit_batch", "x", xk, lambda b: model.fit_batch(D, x=b))
        if reg:  # the methods of independent rows
            theta_rows("linear_mean_scale", lambda b: model.linear_mean_scale(b))
        for meth in ("point_factor", "point_information", "mean_jacobian", "predict",
                     "variance"):
            f = getattr(model, meth, None)
            if f is None:
                continue
            theta_rows(meth, lambda b, f=f: f(b, x))
            row(f"{K}.{meth}", "x", xk, lambda b, f=f: f(t, b))
    else:
        theta_rows("sample", lambda b: model.sample(b, 3, rng=0))
        row(f"{K}.sample", "n", Kind(tuple(c for c in count().listed
                                           if c[0] not in ("low - 1", "-1", "2.5", "string"))),
            lambda b: model.sample(t, b, rng=0))
        row(f"{K}.sample", "rng", Kind(tuple(c for c in rng_kind().listed
                                             if c[0] != "string"))
            if registered else rng_kind(), lambda b: model.sample(t, 3, rng=b))
        row(f"{K}.sample", "x", Kind((("covariates", np.ones(3), T, False),)),
            lambda b: model.sample(t, 3, rng=0, x=b), word="covariates")
        ctx = {"n": 20} if isinstance(model, models.ARMA) else {}
        if model.has_analytic_fisher:
            theta_rows("fisher", lambda b: model.fisher(b, **ctx))
            row(f"{K}.fisher", "bogus", Kind((("unexpected", 1, T, False),)),
                lambda b: model.fisher(t, bogus=b))
        else:
            row(f"{K}.fisher", "theta", bad_theta, lambda b: model.fisher(b))
    return model, t, d, x, bad_theta, dk


MODELS = {}
for _name, _makers in MODEL_INSTANCES.items():
    for _make in _makers:
        MODELS.setdefault(_name, []).append(_model_rows(_name, _make))


# --- model-specific methods
for _m, _t, _d, _x, _bt, _dk in MODELS["ARMA"]:
    row("ARMA.fisher", "n", count(optional=True), lambda b, m=_m, t=_t: m.fisher(t, n=b))
    row("ARMA.innovations", "theta", _bt, lambda b, m=_m, d=_d: m.innovations(b, d))
    row("ARMA.innovations", "data", _dk, lambda b, m=_m, t=_t: m.innovations(t, b))
    row("ARMA.roots", "theta", _bt, lambda b, m=_m: m.roots(b))
    row("ARMA.sample_paths", "theta", _bt, lambda b, m=_m: m.sample_paths(b, 10, 2, rng=0))
    row("ARMA.sample_paths", "n", count(), lambda b, m=_m, t=_t: m.sample_paths(t, b, 2, rng=0))
    row("ARMA.sample_paths", "reps", count(),
        lambda b, m=_m, t=_t: m.sample_paths(t, 10, b, rng=0))
    row("ARMA.sample_paths", "rng", rng_kind(),
        lambda b, m=_m, t=_t: m.sample_paths(t, 10, 2, rng=b))
_arma11 = MODELS["ARMA"][0][0]
row("ARMA.validate", "theta", Kind((
    ("non-stationary phi", [1.5, 0.3, 1.0], V, True), ("unit-root phi", [1.0, 0.3, 1.0], V, True),
    ("non-invertible theta", [0.5, -1.5, 1.0], V, True),
    ("unit-root theta", [0.5, 1.0, 1.0], V, True), ("1e308 phi", [1e308, 0.3, 1.0], V, True)),
    st.one_of(st.floats(1.0, 1e300), st.floats(-1e300, -1.0)).map(
        lambda v: ("|phi| >= 1", [v, 0.3, 1.0], V, True))), lambda b: _arma11.validate(b))
row("ARMA()", "p", count(0), lambda b: models.ARMA(b, 1))
row("ARMA()", "q", count(0), lambda b: models.ARMA(1, b))
row("ARMA()", "mean", boolean(), lambda b: models.ARMA(1, 0, mean=b))

# --- ARIMA: ARMA of the d-times differenced series (its model rows come from REGISTRY)
_arima = MODELS["ARIMA"][0][0]
_arima_t = _arima.example_theta()
row("ARIMA()", "p", count(0), lambda b: models.ARIMA(b, 1, 1))
row("ARIMA()", "d", count(0), lambda b: models.ARIMA(1, b, 1))
row("ARIMA()", "q", count(0), lambda b: models.ARIMA(1, 1, b))
row("ARIMA()", "mean", boolean(), lambda b: models.ARIMA(1, 1, 1, mean=b))
# the exact information of N observations conditional on the first d: N >= d + 1
row("ARIMA.fisher", "n", count(_arima.d + 1, optional=True),
    lambda b: _arima.fisher(_arima_t, n=b))
row("ARIMA.sample", "n", Kind((("n = d", _arima.d, V, True),)),
    lambda b: _arima.sample(_arima_t, b, rng=0))
row("ARIMA.loglik", "data", Kind((("d observations", np.ones(_arima.d), V, True),)),
    lambda b: _arima.loglik(_arima_t, b))

# --- ARMAX (registered, so the rows above cover its methods with its regressors x): its
# constructor, its innovations, and data of the wrong length for its x
for _m, _t, _d, _x, _bt, _dk in MODELS["ARMAX"]:
    row("ARMAX.innovations", "theta", _bt, lambda b, m=_m, d=_d, x=_x: m.innovations(b, d, x=x))
    row("ARMAX.innovations", "data", _dk, lambda b, m=_m, t=_t, x=_x: m.innovations(t, b, x=x))
    row("ARMAX.innovations", "x", x_kind(_m), lambda b, m=_m, t=_t, d=_d: m.innovations(t, d, x=b))
    _short = Kind((("wrong length", _d[:5], V, True),))
    row("ARMAX.loglik", "data", _short, lambda b, m=_m, t=_t, x=_x: m.loglik(t, b, x=x))
    row("ARMAX.fit", "data", _short, lambda b, m=_m, x=_x: m.fit(b, x=x))
    row("ARMAX.check_data", "data", _short, lambda b, m=_m, x=_x: m.check_data(b, x=x))
    row("ARMAX.example_x", "n", count(2), lambda b, m=_m: m.example_x(b))
    row("ARMAX.fisher", "exact", boolean(), lambda b, m=_m, t=_t, x=_x: m.fisher(t, x=x, exact=b))
row("ARMAX()", "p", count(0), lambda b: models.ARMAX(b, 1, k=1))
row("ARMAX()", "q", count(0), lambda b: models.ARMAX(1, b, k=1))
row("ARMAX()", "k", count(1), lambda b: models.ARMAX(1, 1, k=b))
row("ARMAX()", "exog_names", param_names_kind(2, optional=True),
    lambda b: models.ARMAX(1, 1, k=2, exog_names=b))

for _m, _t, _d, _x, _bt, _dk in MODELS["GaussianMixture"]:
    _simplex = Kind((("weights sum > 1", _set(_t, 0, 1.0), V, True),
                     ("weight < 0", _set(_t, 0, -0.2), V, True)),
                    st.floats(1.0, 1e300).map(lambda v, t=_t: ("w1 >= 1", _set(t, 0, v), V,
                                                               True)))
    row("GaussianMixture.validate", "theta", _simplex, lambda b, m=_m: m.validate(b))
    row("GaussianMixture.complete_information", "theta", _bt,
        lambda b, m=_m: m.complete_information(b))
    row("GaussianMixture.sort_components", "theta", _bt, lambda b, m=_m: m.sort_components(b))
    row("GaussianMixture.missing_information", "theta", _bt,
        lambda b, m=_m, d=_d: m.missing_information(b, d))
    row("GaussianMixture.missing_information", "data", _dk,
        lambda b, m=_m, t=_t: m.missing_information(t, b))
    row("GaussianMixture.observed_information_louis", "theta", _bt,
        lambda b, m=_m, d=_d: m.observed_information_louis(b, d))
    row("GaussianMixture.observed_information_louis", "data", _dk,
        lambda b, m=_m, t=_t: m.observed_information_louis(t, b))
    row("GaussianMixture.fisher_monte_carlo", "theta", _bt,
        lambda b, m=_m: m.fisher_monte_carlo(b, 100, rng=0))
    for _arg, _kind in (("n_samples", count(2)), ("rng", rng_kind()),
                        ("variance_reduction", choice(("stratified", "qmc"), optional=True)),
                        ("estimator", choice(("score", "hessian"))),
                        ("n_scrambles", count(2))):
        row("GaussianMixture.fisher_monte_carlo", _arg, _kind,
            lambda b, m=_m, t=_t, a=_arg: m.fisher_monte_carlo(
                t, **{"n_samples": 64, "rng": 0, a: b}))
    row("GaussianMixture.fit_em", "data", _dk, lambda b, m=_m: m.fit_em(b, rng=0))
    row("GaussianMixture.fit_em", "start", Kind(tuple(c for c in _bt.listed if c[1] is not None)),
        lambda b, m=_m, d=_d: m.fit_em(d, start=b, rng=0))
    for _arg, _kind in (("n_init", count(1)), ("max_iter", count(1)),
                        ("tol", real(0, low_open=False)), ("rng", rng_kind()),
                        ("polish", boolean()), ("strict", boolean())):
        row("GaussianMixture.fit_em", _arg, _kind,
            lambda b, m=_m, d=_d, a=_arg: m.fit_em(d, **{"n_init": 1, "max_iter": 5, a: b}))
row("GaussianMixture()", "k", count(1), lambda b: models.GaussianMixture(k=b))
row("GaussianMixture()", "dim", count(1), lambda b: models.GaussianMixture(dim=b))
row("GaussianMixture()", "covariance", choice(("full", "diag", "spherical", "equal")),
    lambda b: models.GaussianMixture(covariance=b))


for _m, _t, _d, _x, _bt, _dk in MODELS["LocationMixture"]:
    row("LocationMixture.lrt", "data", _dk, lambda b, m=_m: m.lrt(b))
    row("LocationMixture.profile", "data", _dk, lambda b, m=_m: m.profile(b, [0.5]))
    row("LocationMixture.profile", "w", array([0.5, 1.0], fixed=False),
        lambda b, m=_m, d=_d: m.profile(d, b))
row("LocationMixture()", "w_max", Kind(tuple(c for c in real(0).listed if c[0] != "inf"),
                                        real(0).generated),  # inf: no bound on w
    lambda b: LocationMixture(b))
row("lrt_limit_sample", "w_max", real(0), lambda b: fisherstat.singular.lrt_limit_sample(b, 10))
row("lrt_limit_sample", "size", count(1),
    lambda b: fisherstat.singular.lrt_limit_sample(2.0, b, grid=10))
row("lrt_limit_sample", "rng", rng_kind(),
    lambda b: fisherstat.singular.lrt_limit_sample(2.0, 5, b, grid=10))
row("lrt_limit_sample", "grid", count(2),
    lambda b: fisherstat.singular.lrt_limit_sample(2.0, 5, 0, grid=b))
row("TwoUnitNetwork()", "error", choice(("additive", "proportional", "combined")),
    lambda b: TwoUnitNetwork(b))

# --- constructors of the models
_ERRORS = ("additive", "proportional", "combined")
row("Model()", "param_names", param_names_kind(2, fixed=False), lambda b: fs.Model(b))
row("Model()", "bounds", Kind(tuple(  # an infinite bound is allowed (no bound)
    c for c in array([[0.0, 1.0], [0.0, 1.0]], optional=True, ndim_bad=np.ones(2)).listed
    if c[0] != "-inf")), lambda b: fs.Model(["a", "b"], b))
row("Model()", "bounds", Kind((("low >= high", [(1.0, 0.0), (0.0, 1.0)], V, True),
                               ("nan", [(np.nan, 1.0), (0.0, 1.0)], V, True))),
    lambda b: fs.Model(["a", "b"], b))
row("RegressionModel()", "param_names", param_names_kind(2, fixed=False),
    lambda b: models.RegressionModel(b))
row("Model.from_logpdf", "logpdf", callable_kind(),
    lambda b: fs.Model.from_logpdf(b, None, ["a"]))
row("Model.from_logpdf", "sample", callable_kind(optional=True),
    lambda b: fs.Model.from_logpdf(_normal_logpdf, b, ["a", "b"]))
row("Model.from_logpdf", "fit", callable_kind(optional=True),
    lambda b: fs.Model.from_logpdf(_normal_logpdf, None, ["a", "b"], fit=b))
row("Model.from_logpdf", "param_names", param_names_kind(2, fixed=False),
    lambda b: fs.Model.from_logpdf(_normal_logpdf, None, b))
row("Model.from_logpdf", "bounds", Kind((("low >= high", [(1.0, 0.0), (0.0, 1.0)], V, True),
                                         ("wrong shape", [(0.0, 1.0)], V, True),
                                         ("string", "abc", T, False))),
    lambda b: fs.Model.from_logpdf(_normal_logpdf, None, ["a", "b"], bounds=b))
row("Model.from_logpdf", "example_theta", array([0.0, 1.0], optional=True),
    lambda b: fs.Model.from_logpdf(_normal_logpdf, None, ["a", "b"], example_theta=b))
row("Binomial()", "n_trials", count(1), lambda b: models.Binomial(n_trials=b))
row("MultivariateNormal()", "dim", count(1), lambda b: models.MultivariateNormal(dim=b))
for _cls in (models.LinearRegression, models.LogisticRegression, models.ProbitRegression,
             models.PoissonRegression):
    row(f"{_cls.__name__}()", "k", count(1), lambda b, c=_cls: c(k=b))
    row(f"{_cls.__name__}()", "param_names",
        Kind(tuple(c for c in param_names_kind(2).listed if c[1] is not None)),
        lambda b, c=_cls: c(k=2, param_names=b))
for _cls in (models.Emax, models.SigmoidEmax, models.MichaelisMenten, models.ExponentialDecay,
             models.BoxLucas, models.OneCompartmentOral, models.OneCompartmentBolus):
    row(f"{_cls.__name__}()", "error", choice(_ERRORS), lambda b, c=_cls: c(error=b))
for _cls in (models.OneCompartmentOral, models.OneCompartmentBolus):
    row(f"{_cls.__name__}()", "dose", real(0, optional=True), lambda b, c=_cls: c(dose=b))
row("NonlinearRegression()", "mean", callable_kind(),
    lambda b: models.NonlinearRegression(b, param_names=["a"]))
row("NonlinearRegression()", "jacobian", callable_kind(optional=True),
    lambda b: models.NonlinearRegression(_decay, b, param_names=["a", "k"]))
row("NonlinearRegression()", "error", choice(_ERRORS),
    lambda b: models.NonlinearRegression(_decay, error=b, param_names=["a", "k"]))
row("NonlinearRegression()", "param_names", param_names_kind(2, fixed=False),
    lambda b: models.NonlinearRegression(_decay, param_names=b))
row("NonlinearRegression()", "bounds", Kind((("low >= high", [(1.0, 0.0), (0.0, 1.0)], V, True),
                                             ("wrong shape", [(0.0, 1.0)], V, True))),
    lambda b: models.NonlinearRegression(_decay, param_names=["a", "k"], bounds=b))
row("NonlinearRegression()", "example_theta", array([2.0, 0.5, 0.1], optional=True),
    lambda b: models.NonlinearRegression(_decay, param_names=["a", "k"], example_theta=b))
row("NonlinearRegression()", "example_x", Kind(tuple(
    c for c in array(np.linspace(0.1, 4, 8), fixed=False, optional=True,
                     ndim_bad=np.ones((2, 2, 2))).listed if c[0] != "ragged")),
    lambda b: models.NonlinearRegression(_decay, param_names=["a", "k"], example_x=b))
row("StructuralRegression()", "structural", instance_kind(),
    lambda b: models.StructuralRegression(b, dose=70.0))
row("StructuralRegression()", "dose", Kind((("negative", -70.0, V, True), ("nan", np.nan, V, True),
                                            ("string", "70", T, False), ("none", None, V, True),
                                            ("list", [70.0, 1.0], T, False))),
    lambda b: models.StructuralRegression(fisherstat.pkpd.OneCompartment("oral"), dose=b))
row("StructuralRegression()", "error", choice(_ERRORS),
    lambda b: models.StructuralRegression(fisherstat.pkpd.OneCompartment("oral"), dose=70.0,
                                          error=b))
row("StructuralRegression()", "response", Kind((("unknown", "effect", V, True),
                                                ("index", 3, V, True), ("float", 1.5, T, False))),
    lambda b: models.StructuralRegression(fisherstat.pkpd.OneCompartment("oral"), dose=70.0,
                                          response=b))
row("get_model", "name", Kind((("unknown", "NoSuchModel", V, True), ("int", 3, T, False),
                               ("none", None, T, False), ("empty", "", V, True)),
                              st.text(min_size=1, max_size=10).filter(
                                  lambda s: s.lower() not in {k.lower() for k in REGISTRY})
                              .map(lambda s: ("text", s, V, True))),
    lambda b: models.get_model(b), word="name|model")  # "unknown model 'X'; choose one of ..."
row("get_model", "n_trials", count(1), lambda b: models.get_model("Binomial", n_trials=b))

# --- formulas (fisherstat.models.formula): the GLMs' from_formula and design_from_formula
_fdf = {"y": np.array([0.0, 1.0, 1.0, 0.0]), "t": np.array([0.1, 0.4, 0.2, 0.9])}
_FORMULA = Kind((("int", 3, T, False), ("none", None, T, False), ("list", ["y", "t"], T, False),
                 ("no response", "t", V, True), ("missing column", "y ~ nope", V, True)),
                _g(st.sampled_from(["~ t", "t + y", "t"]), V, "no response"))
_DATA = Kind((("int", 3, T, False), ("none", None, T, False), ("string", "abc", T, False),
              ("array", np.ones(3), T, False)))
for _name in ("LinearRegression", "LogisticRegression", "ProbitRegression",
              "PoissonRegression", "design_from_formula"):
    _build = getattr(models, _name)
    _build = getattr(_build, "from_formula", _build)
    _key = _name if _name == "design_from_formula" else f"{_name}.from_formula"
    row(_key, "formula", _FORMULA, lambda b, f=_build: f(b, _fdf))
    row(_key, "data", _DATA, lambda b, f=_build: f("y ~ t", b))
    row(_key, "missing", choice(("raise", "drop")),
        lambda b, f=_build: f("y ~ t", _fdf, missing=b))
    row(_key, "eval_env", count(0), lambda b, f=_build: f("y ~ t", _fdf, eval_env=b))

# ARMAX's from_formula: the same four arguments, and its orders
_ts_df = {"y": np.array([0.0, 1.0, 1.5, 0.5, 2.0, 1.0]), "t": np.arange(6.0)}
row("ARMAX.from_formula", "formula", _FORMULA,
    lambda b: models.ARMAX.from_formula(b, _ts_df, 1, 0))
row("ARMAX.from_formula", "data", _DATA, lambda b: models.ARMAX.from_formula("y ~ t", b, 1, 0))
row("ARMAX.from_formula", "missing", choice(("raise", "drop")),
    lambda b: models.ARMAX.from_formula("y ~ t", _ts_df, 1, 0, missing=b))
row("ARMAX.from_formula", "eval_env", count(0),
    lambda b: models.ARMAX.from_formula("y ~ t", _ts_df, 1, 0, eval_env=b))
row("ARMAX.from_formula", "p", count(0),
    lambda b: models.ARMAX.from_formula("y ~ t", _ts_df, b, 0))
row("ARMAX.from_formula", "q", count(0),
    lambda b: models.ARMAX.from_formula("y ~ t", _ts_df, 1, b))
row("ARMAX.from_formula", "data", Kind((
    ("inner NaN", {"y": np.array([0.0, 1.0, np.nan, 0.5]), "t": np.arange(4.0)}, V, True),)),
    lambda b: models.ARMAX.from_formula("y ~ t", b, 1, 0, missing="drop"))

# the nonlinear models' from_formula (NonlinearRegression's, inherited by the catalogue): the
# same four arguments; the constructor's own arguments have their rows under the classes
_NLS_FORMULA = {"NonlinearRegression": dict(mean=lambda x, b: b[0] * x, param_names=["a"]),
                "StructuralRegression": dict(structural=_structural_regression().structural,
                                             dose=70.0)}
for _name in ("NonlinearRegression", "StructuralRegression", "BoxLucas", "Emax",
              "ExponentialDecay", "MichaelisMenten", "OneCompartmentBolus",
              "OneCompartmentOral", "SigmoidEmax", "TwoUnitNetwork"):
    _cls = getattr(models, _name)
    _kw = _NLS_FORMULA.get(_name, {})
    _key = f"{_name}.from_formula"

    def _build(formula, data, c=_cls, kw=_kw, **more):
        return c.from_formula(formula, data, **kw, **more)

    row(_key, "formula", _FORMULA, lambda b, f=_build: f(b, _fdf))
    row(_key, "data", _DATA, lambda b, f=_build: f("y ~ t", b))
    row(_key, "missing", choice(("raise", "drop")),
        lambda b, f=_build: f("y ~ t", _fdf, missing=b))
    row(_key, "eval_env", count(0), lambda b, f=_build: f("y ~ t", _fdf, eval_env=b))

# --- information: estimators
_normal = models.Normal()
_th = np.array([0.0, 2.0])
_y = _normal.sample(_th, 20, rng=0)
_logit = models.LogisticRegression()
_lt, _lx = _logit.example_theta(), _logit.example_x()
_ly = _logit.sample(_lt, rng=0, x=_lx)
_arma = models.ARMA(1, 0)
for _fn in (fs.fisher, fs.empirical_fisher, fs.observed_information, fs.sandwich_covariance):
    _args = () if _fn is fs.fisher else (_y,)
    row(_fn.__name__, "model", instance_kind(), lambda b, f=_fn, a=_args: f(b, _th, *a))
    if _fn is not fs.fisher:
        row(_fn.__name__, "data", data_kind(_normal, full=False)[0],
            lambda b, f=_fn: f(_normal, _th, b))
        row(_fn.__name__, "x", x_kind(_logit), lambda b, f=_fn: f(_logit, _lt, _ly, x=b))
        row(_fn.__name__, "theta", theta_kind(_logit, ()), lambda b, f=_fn: f(_logit, b, _ly,
                                                                             x=_lx))
row("fisher", "method", choice(("auto", "analytic", "monte_carlo")),
    lambda b: fs.fisher(_normal, _th, method=b))
row("fisher", "estimator", choice(("score", "hessian")),
    lambda b: fs.fisher(_normal, _th, method="monte_carlo", n_samples=10, estimator=b))
row("fisher", "n_samples", count(2, optional=True),
    lambda b: fs.fisher(_normal, _th, method="monte_carlo", n_samples=b))
row("fisher", "rng", rng_kind(),
    lambda b: fs.fisher(_normal, _th, method="monte_carlo", n_samples=10, rng=b))
row("fisher", "variance_reduction", choice(("stratified", "qmc"), optional=True),
    lambda b: fs.fisher(models.GaussianMixture(), [0.4, -1.5, 1.5, 1.0, 1.25], n_samples=64,
                        rng=0, variance_reduction=b))
row("fisher", "variance_reduction", Kind((("with method='analytic'", "qmc", V, True),)),
    lambda b: fs.fisher(_normal, _th, method="analytic", variance_reduction=b))
row("fisher", "variance_reduction", Kind((("unsupported model", "qmc", V, True),)),
    lambda b: fs.fisher(_normal, _th, method="monte_carlo", variance_reduction=b))
row("fisher", "x", x_kind(_logit), lambda b: fs.fisher(_logit, _lt, x=b))
row("fisher", "weights", weights_kind(_lx.shape[0]),
    lambda b: fs.fisher(_logit, _lt, x=_lx, weights=b))
row("fisher", "n", count(1, optional=True), lambda b: fs.fisher(_arma, [0.5, 1.0], n=b))
row("fisher", "bogus", Kind((("unexpected", 1, T, False),)),
    lambda b: fs.fisher(_normal, _th, bogus=b))
row("fisher", "theta", theta_kind(_arma), lambda b: fs.fisher(_arma, b, n=10))

# --- information: FisherInfo
_info = FisherInfo(np.array([[2.0, 0.5], [0.5, 1.0]]), ("a", "b"))
_mc = fs.fisher(_normal, _th, method="monte_carlo", n_samples=50, rng=0)
row("FisherInfo()", "matrix", matrix_kind(2), lambda b: FisherInfo(b, ("a", "b")))
row("FisherInfo()", "param_names", param_names_kind(2), lambda b: FisherInfo(np.eye(2), b))
row("FisherInfo()", "n_obs", real(0), lambda b: FisherInfo(np.eye(2), ("a", "b"), n_obs=b))
row("FisherInfo()", "method", choice(fisherstat.information.METHODS),
    lambda b: FisherInfo(np.eye(2), ("a", "b"), method=b))
row("FisherInfo()", "stderr", matrix_kind(2, symmetric=False, optional=True, nonneg=True),
    lambda b: FisherInfo(np.eye(2), ("a", "b"), stderr=b))
row("FisherInfo()", "n_samples", count(1, optional=True),
    lambda b: FisherInfo(np.eye(2), ("a", "b"), n_samples=b))
row("FisherInfo.inverse", "tol", real(0, low_open=False, optional=True),
    lambda b: _info.inverse(b))
row("FisherInfo.covariance", "n", real(0, optional=True), lambda b: _info.covariance(b))
row("FisherInfo.standard_errors", "n", real(0, optional=True),
    lambda b: _info.standard_errors(b))
for _meth in ("covariance", "standard_errors"):  # n so small that n_obs / n overflows
    row(f"FisherInfo.{_meth}", "n", Kind((("1e-320", 1e-320, V, True),)),
        lambda b, m=_meth: getattr(_info, m)(b))
row("FisherInfo.reparametrize", "jacobian", array(np.eye(2), ndim_bad=np.ones(2),
                                                  overflow=True),
    lambda b: _info.reparametrize(b, ["u", "v"]))
row("FisherInfo.reparametrize", "names", param_names_kind(2),
    lambda b: _info.reparametrize(np.eye(2), b))
row("FisherInfo.marginal", "names", names_kind(("a", "b")), lambda b: _info.marginal(b))
row("FisherInfo.kl_quadratic", "delta", array([0.1, 0.2], overflow=True,
                                              ndim_bad=np.ones((2, 2, 2))),
    lambda b: _info.kl_quadratic(b))
row("FisherInfo.__add__", "other", Kind((
    ("other names", FisherInfo(np.eye(2), ("a", "c")), V, True),
    ("other size", FisherInfo(np.eye(3), ("a", "b", "c")), V, True))),
    lambda b: _info + b)
# not a FisherInfo: __add__ returns NotImplemented and Python raises the TypeError
row("FisherInfo.__add__", "other", Kind((
    ("array", np.eye(2), T, False), ("int", 3, T, False), ("string", "a", T, False))),
    lambda b: _info + b, word="unsupported operand")
_huge = FisherInfo(np.diag([1e308, 1.0]), ("a", "b"))
row("FisherInfo.__add__", "other", Kind((("overflow", _huge, V, True),)), lambda b: _huge + b)
row("FisherInfo.__mul__", "c", real(0), lambda b: _info * b)
row("FisherInfo.__mul__", "c", Kind((("overflow", 1e308, V, True),)), lambda b: _info * b)
row("FisherInfo.__mul__", "c", Kind((("stderr overflow", 1e308, V, True),)),
    lambda b: FisherInfo(np.eye(2) * 1e-10, ("a", "b"), stderr=np.full((2, 2), 10.0)) * b)
row("FisherInfo.__rmul__", "c", real(0), lambda b: b * _info)
# the InformationOperator methods of a dense FisherInfo
_vector = array([1.0, 2.0], overflow=True, ndim_bad=np.ones((2, 2, 2)))
row("FisherInfo.matvec", "v", _vector, lambda b: _info.matvec(b))
row("FisherInfo.solve", "v", Kind(tuple(c for c in _vector.listed if c[0] != "1e308"),
                                  _vector.generated), lambda b: _info.solve(b))
row("FisherInfo.solve", "v", Kind((("overflow", [1e308, 1.0], V, True),)),
    lambda b: FisherInfo(np.diag([1e-10, 1.0]), ("a", "b")).solve(b))
row("FisherInfo.solve", "damping", real(0, low_open=False), lambda b: _info.solve([1.0, 2.0], b))
row("FisherInfo.logdet", "damping", real(0, low_open=False), lambda b: _info.logdet(b))

# --- asymptotics
_ca = fisherstat.asymptotics.check_asymptotics
_pois = models.Poisson()
row("check_asymptotics", "model", instance_kind(), lambda b: _ca(b, [1.0], 10, 4, rng=0))
row("check_asymptotics", "theta0", theta_kind(_pois), lambda b: _ca(_pois, b, 10, 4, rng=0))
row("check_asymptotics", "n", Kind(count(1).listed + (
    ("empty list", [], V, True), ("repeated", [10, 10], V, True),
    ("list with 0", [10, 0], V, True), ("string list", ["10"], T, False),
    ("ragged", [[10], [20, 30]], T, False)), count(1).generated),
    lambda b: _ca(_pois, [1.0], b, 4, rng=0))
row("check_asymptotics", "reps", count(2), lambda b: _ca(_pois, [1.0], 10, b, rng=0))
row("check_asymptotics", "rng", rng_kind(), lambda b: _ca(_pois, [1.0], 10, 4, rng=b))
row("check_asymptotics", "level", real(0, 1), lambda b: _ca(_pois, [1.0], 10, 4, rng=0, level=b))
row("check_asymptotics", "progress", boolean(),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=0, progress=b))
row("check_asymptotics", "chunk_size", count(1, optional=True),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=0, chunk_size=b))
row("check_asymptotics", "information", Kind(
    (("bogus", "observed", V, True), ("wrong shape", np.eye(2), V, True),
     ("nan", np.array([[np.nan]]), V, True), ("int", 3, VT, True),
     ("other params", FisherInfo(np.eye(1), ("mu",)), V, True))),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=0, information=b))
row("check_asymptotics", "dgp", Kind(
    (("int", 3, T, False), ("string", "laplace", T, False),
     ("model without theta", models.Normal(), T, False),
     ("pair with a bad theta", (models.Normal(), [0.0, -1.0]), V, True),
     ("regression pair for an iid model", (_logit, _lt), T, False))),
    lambda b: _ca(models.Normal(), None, 10, 4, rng=0, dgp=b))
row("check_asymptotics", "dgp_draws", count(60),  # 20 jackknife groups of p + 1 = 3
    lambda b: _ca(models.Normal(), None, 10, 4, rng=0, dgp=_normal_draws, dgp_draws=b))
row("check_asymptotics", "x", x_kind(_logit), lambda b: _ca(_logit, _lt, 30, 4, rng=0, x=b))
row("check_asymptotics", "x", Kind((("covariates for iid", np.ones(3), T, False),)),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=0, x=b))
row("check_asymptotics", "executor", Kind((("string", "threads", VT, False),
                                           ("negative", -2, V, True),
                                           ("object", object(), T, False))),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=0, executor=b))
row("check_asymptotics", "checkpoint", Kind((("int", 3, T, False),
                                             ("rng none", "/tmp/ck.json", V, True))),
    lambda b: _ca(_pois, [1.0], 10, 4, rng=None if isinstance(b, str) else 0, checkpoint=b),
    word="checkpoint")
_rep = _ca(_pois, [2.0], [10, 20], 8, rng=0)
row("AsymptoticReport.at", "n", Kind(count(1).listed + (("not a size", 15, V, True),),
                                     count(1).generated), lambda b: _rep.at(b))
row("AsymptoticReport.plot", "n", Kind(tuple(c for c in count(1).listed if c[1] is not None)
                                       + (("not a size", 15, V, True),)),
    lambda b: _rep.plot(b))
row("AsymptoticReport.plot", "fig", instance_kind(optional=True),
    lambda b: _rep.at(10).plot(fig=b))
row("plot_study", "report", instance_kind(), lambda b: fisherstat.plot.plot_study(b))
row("plot_study", "report", Kind((("convergence study", _rep, V, True),)),
    lambda b: fisherstat.plot.plot_study(b))
row("plot_study", "fig", instance_kind(optional=True),
    lambda b: fisherstat.plot.plot_study(_rep.at(10), fig=b))
row("plot_convergence", "report", instance_kind(),
    lambda b: fisherstat.plot.plot_convergence(b))
row("plot_convergence", "fig", instance_kind(optional=True),
    lambda b: fisherstat.plot.plot_convergence(_rep, fig=b))

# --- singular
_sing = np.array([[1.0, 1.0], [1.0, 1.0]])
row("analyze", "info", Kind((("string", "Normal", T, False), ("int", 3, VT, False),
                             ("object", object(), T, False), ("dict", {}, T, False))
                            + tuple(c for c in matrix_kind(2).listed if c[1] is not None)),
    lambda b: fs.analyze(b))
for _arg, _kind in (("tol", real(0, low_open=False, optional=True)),
                    ("n_se", real(0, low_open=False)), ("scaling", choice(("correlation",
                                                                             "none"))),
                    ("condition_index", real(1)), ("gamma", real(0)),
                    ("coef_tol", real(0, 1, low_open=False)),
                    ("param_names", param_names_kind(2, optional=True))):
    row("analyze", _arg, _kind, lambda b, a=_arg: fs.analyze(
        _sing if a == "param_names" else _info, **{a: b}))
_report = fs.analyze(_info)
row("SpectrumReport.effective_dim", "gamma", real(0), lambda b: _report.effective_dim(b))
row("SpectrumReport.plot", "ax", instance_kind(optional=True), lambda b: _report.plot(b))
_two = TwoUnitNetwork()
_tt, _tx = _two.example_theta(), _two.example_x()
row("diagnose", "model", instance_kind(), lambda b: fs.diagnose(b, _th))
row("diagnose", "theta", theta_kind(_normal), lambda b: fs.diagnose(_normal, b))
row("diagnose", "info", Kind((("array", np.eye(2), T, False), ("string", "x", T, False),
                              ("other params", FisherInfo(np.eye(2), ("u", "v")), V, True),
                              ("other size", FisherInfo(np.eye(1), ("mu",)), V, True))),
    lambda b: fs.diagnose(_normal, _th, b))
row("diagnose", "x", x_kind(_two), lambda b: fs.diagnose(_two, _tt, x=b))
row("diagnose", "x", Kind((("covariates for iid", np.ones(3), T, False),)),
    lambda b: fs.diagnose(_normal, _th, x=b), word="x|covariates")
row("diagnose", "weights", weights_kind(_tx.shape[0]),
    lambda b: fs.diagnose(_two, _tt, x=_tx, weights=b))
for _arg, _kind in (("tol", real(0, low_open=False, optional=True)),
                    ("n_se", real(0, low_open=False)), ("condition_index", real(1))):
    row("diagnose", _arg, _kind, lambda b, a=_arg: fs.diagnose(_normal, _th, **{a: b}))
_lm = LocationMixture()
row("diagnose", "n_samples", count(2, optional=True),
    lambda b: fs.diagnose(_lm, _lm.example_theta(), n_samples=b, rng=0))
row("diagnose", "rng", rng_kind(),
    lambda b: fs.diagnose(_lm, _lm.example_theta(), n_samples=50, rng=b))

# --- selection
_sel = fisherstat.selection
_ic, _lrt = _sel.information_criteria, _sel.likelihood_ratio_test
_nk, _nd = data_kind(_normal, full=True)
_ly = _logit.sample(_lt, rng=0, x=_lx)
_ll = array([-1.0, -2.0], fixed=False, overflow=True, ndim_bad=np.ones((2, 2)))
row("aic", "loglik", _ll, lambda b: _sel.aic(b, 2))
row("aic", "k", count(0), lambda b: _sel.aic(-1.0, b))
for _f in ("bic", "aicc"):
    row(_f, "loglik", _ll, lambda b, f=_f: getattr(_sel, f)(b, 2, 10))
    row(_f, "k", count(0), lambda b, f=_f: getattr(_sel, f)(-1.0, b, 10))
    row(_f, "n", count(1), lambda b, f=_f: getattr(_sel, f)(-1.0, 2, b))
row("information_criteria", "model", instance_kind(), lambda b: _ic(b, _nd))
row("information_criteria", "data", _nk, lambda b: _ic(_normal, b))
row("information_criteria", "theta", Kind(tuple(c for c in theta_kind(_normal).listed
                                                if c[1] is not None),
                                          theta_kind(_normal).generated),
    lambda b: _ic(_normal, _nd, theta=b))
row("information_criteria", "k", count(0, optional=True), lambda b: _ic(_normal, _nd, k=b))
row("information_criteria", "x", x_kind(_logit), lambda b: _ic(_logit, _ly, x=b))
row("information_criteria", "x", Kind((("covariates for iid", np.ones(3), T, False),)),
    lambda b: _ic(_normal, _nd, x=b), word="x|covariates")
_simple = (_normal, [0.0, 1.0])
row("likelihood_ratio_test", "null", Kind(instance_kind().listed + (
    ("short tuple", (_normal,), T, False), ("bad theta", (_normal, [0.0, -1.0]), V, True))),
    lambda b: _lrt(b, _normal, _nd), word="null")
row("likelihood_ratio_test", "alt", instance_kind(), lambda b: _lrt(_simple, b, _nd))
row("likelihood_ratio_test", "data", _nk, lambda b: _lrt(_simple, _normal, b))
row("likelihood_ratio_test", "df", count(1, optional=True),
    lambda b: _lrt(_simple, _normal, _nd, df=b))
row("likelihood_ratio_test", "n_boot", count(0), lambda b: _lrt(_simple, _normal, _nd, n_boot=b))
row("likelihood_ratio_test", "rng", rng_kind(),
    lambda b: _lrt(_simple, _normal, _nd, n_boot=2, rng=b))
row("likelihood_ratio_test", "chunk_size", count(1, optional=True),
    lambda b: _lrt(_simple, _normal, _nd, n_boot=2, rng=0, chunk_size=b))
row("likelihood_ratio_test", "executor", Kind((("string", "threads", VT, False),
                                               ("negative", -2, V, True),
                                               ("object", object(), T, False))),
    lambda b: _lrt(_simple, _normal, _nd, n_boot=2, rng=0, executor=b))
row("likelihood_ratio_test", "progress", boolean(),
    lambda b: _lrt(_simple, _normal, _nd, progress=b))
row("likelihood_ratio_test", "x", x_kind(_logit), lambda b: _lrt(_logit, _logit, _ly, x=b))
row("likelihood_ratio_test", "x", Kind((("covariates for iid", np.ones(3), T, False),)),
    lambda b: _lrt(_simple, _normal, _nd, x=b), word="x|covariates")
row("likelihood_ratio_test", "x_null", Kind((("covariates for iid", np.ones(3), T, False),)),
    lambda b: _lrt(_simple, _normal, _nd, x_null=b))
_lrt_result = _lrt(_simple, _normal, _nd, n_boot=8, rng=0)
row("LikelihoodRatioTest.null_quantile", "q", real(0, 1, low_open=False, high_open=False),
    lambda b: _lrt_result.null_quantile(b))
row("LikelihoodRatioTest.rejection_rates", "level", real(0, 1),
    lambda b: _lrt_result.rejection_rates(b))
row("LikelihoodRatioTest.summary", "level", real(0, 1), lambda b: _lrt_result.summary(b))
row("LikelihoodRatioTest.plot", "ax", instance_kind(optional=True),
    lambda b: _lrt_result.plot(b))
row("LikelihoodRatioTest.plot", "bins", count(1), lambda b: _lrt_result.plot(bins=b))

# --- interop
row("from_statsmodels", "results", instance_kind(), lambda b: fs.from_statsmodels(b))


@functools.cache
def _sm_results():
    import statsmodels.api as sm

    X = np.column_stack([np.ones(30), np.linspace(-1, 1, 30)])
    yy = (np.sin(np.arange(30)) > 0).astype(float)
    return sm.Logit(yy, X).fit(disp=0)


row("from_statsmodels", "kind", choice(("expected", "observed")),
    lambda b: fs.from_statsmodels(_sm_results(), kind=b))

# --- fit results
row("fit", "model", instance_kind(), lambda b: fs.fit(b, _nd))
row("fit", "data", _nk, lambda b: fs.fit(_normal, b))
row("fit", "x", x_kind(_logit), lambda b: fs.fit(_logit, _ly, b))
row("fit", "cov_type", choice(("observed", "expected", "opg", "sandwich")),
    lambda b: fs.fit(_normal, _nd, cov_type=b))
row("fit", "rng", rng_kind(), lambda b: fs.fit(_normal, _nd, rng=b))
row("fit", "n_samples", count(2, optional=True), lambda b: fs.fit(_normal, _nd, n_samples=b))
_fit_result = fs.fit(_normal, _nd)
row("FitResult.conf_int", "alpha", real(0, 1), lambda b: _fit_result.conf_int(b))
row("FitResult.summary", "alpha", real(0, 1), lambda b: _fit_result.summary(b))
row("FitResult.compare", "other", instance_kind(), lambda b: _fit_result.compare(b))


# ----------------------------------------------------------------------------- exemptions
#: public callables deliberately without a row, with the reason
EXEMPT = {
    # exceptions: any message is a valid constructor argument
    "FitError()": "exception class", "SingularFisherWarning()": "warning class",
    "BoundaryEstimateError()": "exception class",
    "NumericalDerivativeWarning()": "warning class",
    "WorkerLostWarning()": "warning class",
    # result records: built by the library from validated values, not an input of users
    "AsymptoticReport()": "result record built by check_asymptotics",
    "InformationCriteria()": "result record built by information_criteria",
    "LikelihoodRatioTest()": "result record built by likelihood_ratio_test",
    "FitResult()": "result record built by fit",
    "FitComparison()": "result record built by FitResult.compare",
    "SpectrumReport()": "result record built by analyze",
    "Direction()": "result record built by analyze",
    "Diagnosis()": "result record built by diagnose",
    "EMResult()": "result record built by GaussianMixture.fit_em",
    "MissingInformation()": "result record built by GaussianMixture.missing_information",
    "Singularity()": "record returned by Model.singularities (diagnose checks its type)",
    "FormulaData()": "result record built by design_from_formula / from_formula",
    "Strata()": "record returned by Model.strata (fisher checks it against the model)",
    "InformationOperator()": "typing.Protocol: not instantiable; its implementations "
                             "(FisherInfo, the nn operators) have rows",
    "InformationOperator.*": "protocol methods: rows on FisherInfo here and on every nn "
                             "operator in test_bad_input_nn.py",
    "RegressionModel.*": "abstract base: every method runs on each concrete subclass "
                         "(GLMs, catalogue, NonlinearRegression, TwoUnitNetwork) here",
    "*.from_logpdf": "the classmethod Model.from_logpdf, inherited unchanged (rows there)",
}


def _methods(cls):
    for name, _ in inspect.getmembers(cls):
        if name.startswith("_") and name not in ("__add__", "__mul__", "__rmul__"):
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property) or not callable(getattr(cls, name)):
            continue  # properties take no arguments
        if name in ("__add__", "__mul__", "__rmul__") and name not in cls.__dict__:
            continue
        yield name, getattr(cls, name)


def _takes_arguments(func, bound):
    params = list(inspect.signature(func).parameters.values())
    return len(params) > (1 if bound else 0)


def public_entry_points():
    """Every public callable of the namespaces: key -> takes arguments (bool)."""
    keys = {}
    for ns in NAMESPACES:
        for name in ns.__all__:
            obj = getattr(ns, name)
            if inspect.ismodule(obj) or not callable(obj) or isinstance(obj, dict):
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                keys[f"{name}()"] = True  # exceptions: no methods of their own
            elif inspect.isclass(obj):
                keys[f"{name}()"] = _takes_arguments(obj.__init__, True)
                for mname, meth in _methods(obj):
                    classmeth = isinstance(inspect.getattr_static(obj, mname), classmethod)
                    keys[f"{name}.{mname}"] = _takes_arguments(meth, not classmeth)
            else:
                keys[name] = _takes_arguments(obj, False)
    return keys


def _exempt(key):
    cls, _, meth = key.partition(".")
    return (key in EXEMPT or f"{cls}.*" in EXEMPT or (meth and f"*.{meth}" in EXEMPT
                                                      and key != "Model.from_logpdf"))


def test_every_public_callable_has_a_row_or_an_exemption():
    keys = public_entry_points()
    covered = {r.key for r in ROWS}
    missing = sorted(k for k, has_args in keys.items()
                     if has_args and k not in covered and not _exempt(k))
    assert missing == [], f"public callables without a bad-input row or exemption: {missing}"
    stale = sorted(covered - set(keys))
    assert stale == [], f"rows for entry points that are not public: {stale}"
    # the table is not trivially small: every entry point with arguments is exercised
    assert len(covered) >= 100


def test_the_completeness_check_sees_a_new_public_callable(monkeypatch):
    """A public function added to a namespace without a row is reported as missing."""

    def brand_new_public_function(theta):
        return theta

    monkeypatch.setattr(fisherstat.singular, "brand_new_public_function",
                        brand_new_public_function, raising=False)
    monkeypatch.setattr(fisherstat.singular, "__all__",
                        [*fisherstat.singular.__all__, "brand_new_public_function"])
    keys = public_entry_points()
    covered = {r.key for r in ROWS}
    assert keys["brand_new_public_function"] is True
    assert "brand_new_public_function" not in covered
    assert not _exempt("brand_new_public_function")


def _check(r: Row, label, value, exc, ranged):
    word = r.word or re.escape(r.arg)
    with pytest.raises(exc) as info:
        r.call(value)
    msg = str(info.value)
    assert re.search(word, msg), f"{r.id} [{label}]: message does not name {r.arg!r}: {msg!r}"
    if ranged:
        assert RANGE_RE.search(msg), f"{r.id} [{label}]: message states no range: {msg!r}"
    return type(info.value)


def _owner(key):
    return re.split(r"[.(]", key)[0]


#: entry points of fisherstat.models and of the toy models of fisherstat.singular: their
#: rows run in tests/test_bad_input_core_models.py (to keep each file fast)
MODEL_OWNERS = set(models.__all__) | {"TwoUnitNetwork", "LocationMixture", "get_model"}
KEYS = sorted({r.key for r in ROWS})
CORE_KEYS = [k for k in KEYS if _owner(k) not in MODEL_OWNERS]
MODEL_KEYS = [k for k in KEYS if _owner(k) in MODEL_OWNERS]
BY_KEY = {k: [r for r in ROWS if r.key == k] for k in KEYS}
GENERATED = {k: [r for r in rows if r.kind.generated is not None] for k, rows in BY_KEY.items()}


def check_listed(key):
    """Every listed bad value of every argument of ``key`` is rejected."""
    for r in BY_KEY[key]:
        assert r.kind.listed
        for label, value, exc, ranged in r.kind.listed:
            _check(r, label, value, exc, ranged)


def check_generated(key, data):
    """One generated bad value of one argument of ``key`` (hypothesis picks both)."""
    rows = GENERATED[key]
    if not rows:
        return
    r = data.draw(st.sampled_from(rows), label="argument")
    label, value, exc, ranged = data.draw(r.kind.generated, label="bad value")
    _check(r, label, value, exc, ranged)


@pytest.mark.parametrize("key", CORE_KEYS)
def test_listed_bad_values_are_rejected_naming_the_argument(key):
    check_listed(key)


@pytest.mark.parametrize("key", [k for k in CORE_KEYS if GENERATED[k]])
@settings(max_examples=N_EXAMPLES)
@given(data=st.data())
def test_generated_bad_values_are_rejected_naming_the_argument(key, data):
    check_generated(key, data)


def test_information_near_overflow_is_summarised_without_overflow():
    """Entries near 1e308 are valid: rank and spectrum need no intermediate inf.

    ``max|lambda| * p * eps`` and the mean eigenvalue overflowed on the way before; the
    exact answers here are rank 2, condition number 1 and mean eigenvalue 1e308 (of two
    eigenvalues 1e308, exact in float64). The second moment (1e616) exceeds the largest
    float and is inf by definition. (The inverse, 1e-308, is subnormal: not checked, since
    flush-to-zero BLAS builds may return 0.)
    """
    info = FisherInfo(np.diag([1e308, 1e308]), ("a", "b"))
    assert info.rank == 2 and info.condition_number == 1.0
    rep = fs.analyze(info)
    assert rep.rank == 2 and rep.mean_eigenvalue == 1e308 and rep.second_moment == np.inf
    assert "rank 2 of 2" in info.summary()
