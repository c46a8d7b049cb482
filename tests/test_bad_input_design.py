"""Bad input to ``fisherstat.design`` and ``fisherstat.pkpd`` gets a ValueError/TypeError.

Table-driven, like tests/test_bad_input.py: every public function, constructor and public
method of the two namespaces (enumerated from ``__all__`` and ``inspect``, see
``test_every_public_callable_has_a_table_entry``) has an entry that says how to call it
with valid arguments and which kind of bad value each argument gets. Hypothesis draws the
bad values from one strategy per kind of argument (NaN/inf, wrong shapes and lengths, empty
arrays, strings/complex/object/ragged lists, None, negative variances/doses/times/sizes,
non-integer or non-positive counts, negative or all-zero weights, probabilities outside
[0, 1], candidates of the wrong dimension, unknown names, bad ``rng``, ...). Every call
must raise ``ValueError`` or ``TypeError`` whose message names the argument and says what
is allowed (``must``, ``expected``, ``one of``, ...) -- never IndexError, LinAlgError,
ZeroDivisionError, AttributeError or KeyError from inside, never a silent NaN.

All weight-like arguments of these modules (``Design`` weights, ``prior_weights``, costs)
are documented as *normalised* by the library, so weights that merely do not sum to one
are valid input; negative entries, all zeros, NaN and wrong lengths are not.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from dataclasses import dataclass, field

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat import design, pkpd

matplotlib.use("Agg")

MAX_EXAMPLES = 10
#: rows of x-like arrays are free, and (n,) and (n, 1) are the same one-factor points
XL = {"length_fixed": False, "ndim_fixed": False}
#: times: any number of them, but one-dimensional
TL = {"length_fixed": False}
#: candidate points / covariates of a one-factor model: also wrong numbers of columns
XC = {**XL, "two_cols": True}

# a message "says what is allowed" when it contains one of these
ALLOWED_RE = re.compile(
    r"must|expected|one of|needs?|only|allowed|exceed|out of range|unknown|not (a|an|in|among)"
    r"|pass |cannot|should|invalid|outside|support|in \[|>=|<=|> |< ", re.IGNORECASE)


# =============================================================== strategies per kind
class _Opaque:
    """An object that is neither a number, an array nor a string."""

    def __repr__(self):
        return "<opaque>"


JUNK = st.sampled_from([None, "abc", "", 1j, _Opaque(), [[1.0, 2.0], [3.0]], {"a": 1}])


def _corrupt_array(v, *, length_fixed=True, cols_fixed=True, ndim_fixed=True,
                   empty_ok=False, two_cols=False):
    """Strategy of arrays like ``v`` but broken: non-finite entry, bad shape, junk dtype."""
    v = np.asarray(v, dtype=float)
    opts = []
    if v.size:
        def put(val):
            def f(i):
                a = v.copy().ravel()
                a[i % a.size] = val
                return a.reshape(v.shape)
            return f
        for val in (np.nan, np.inf, -np.inf):
            opts.append(st.integers(0, 50).map(put(val)))
    if v.ndim >= 1 and length_fixed:
        opts.append(st.just(np.append(v, v[:1], axis=0)))
        if v.shape[0] > 1:
            opts.append(st.just(v[:-1]))
    if v.ndim >= 2 and cols_fixed:
        opts.append(st.just(np.concatenate([v, v[:, :1]], axis=1)))
    if ndim_fixed:
        opts.append(st.just(v[..., None]))
    if two_cols and v.ndim == 1:  # points of a one-factor model given with two factors
        opts.append(st.just(np.column_stack([v, v])))
        opts.append(st.just(v[:, None, None]))
    if not empty_ok:
        opts.append(st.just(np.zeros((0,) + v.shape[1:])))
    opts.append(st.just(v.astype(complex) + 1j))
    opts.append(st.just(np.full(v.shape, "x", dtype=object)))
    opts.append(JUNK)
    return st.one_of(*opts)


def _bad_scalar(low=None, high=None, low_open=True, high_open=True):
    """Strategy of values that are not a finite real in the interval."""
    opts = [st.sampled_from([np.nan, np.inf, -np.inf, "1.0", None, 1j, [1.0, 2.0], _Opaque()])]
    if low is not None:
        top = low if low_open else math.nextafter(low, -math.inf)
        opts.append(st.floats(min_value=-1e308, max_value=top, allow_nan=False))
    if high is not None:
        bot = high if high_open else math.nextafter(high, math.inf)
        opts.append(st.floats(min_value=bot, max_value=1e308, allow_nan=False))
    return st.one_of(*opts)


def _bad_int(low=1, high=None):
    opts = [st.integers(max_value=low - 1), st.sampled_from(
        [2.5, "3", None, np.nan, np.inf, True, 1j, [2]])]
    if high is not None:  # beyond what int64 counts and float weights represent exactly
        opts.append(st.integers(min_value=high + 1, max_value=high + 10**6))
        opts.append(st.just(1e308))
    return st.one_of(*opts)


def _bad_choice(options):
    text = st.text(min_size=0, max_size=6).filter(lambda s: s not in options
                                                 and s.upper() not in options)
    return st.one_of(text, st.sampled_from([None, 3, ["D"], _Opaque()]))


def _nonneg(v, **kw):
    v = np.asarray(v, dtype=float)

    def neg(i_x):
        i, x = i_x
        a = v.copy().ravel()
        a[i % a.size] = -x
        return a.reshape(v.shape)
    return st.one_of(_corrupt_array(v, **kw), st.tuples(
        st.integers(0, 50), st.floats(1e-300, 1e308)).map(neg))


def _weights(v, **kw):
    v = np.asarray(v, dtype=float)
    return st.one_of(_nonneg(v, **kw), st.just(np.zeros_like(v)))


def _positive(v, **kw):
    v = np.asarray(v, dtype=float)

    def zero(i):
        a = v.copy().ravel()
        a[i % a.size] = 0.0
        return a.reshape(v.shape)
    return st.one_of(_nonneg(v, **kw), st.integers(0, 50).map(zero))


def _matrix(v, psd=False):
    v = np.asarray(v, dtype=float)
    p = v.shape[0]
    asym = v.copy()
    asym[0, -1] += 1.0 + abs(asym).max()
    opts = [_corrupt_array(v), st.just(asym), st.just(v[:, :-1]),
            st.just(np.ones(p))]  # (a larger identity is valid for D, A, E)
    if psd:
        opts.append(st.floats(1e-3, 1e300).map(lambda x: v - x * np.eye(p) - np.eye(p)))
    return st.one_of(*opts)


def _names(n):
    return st.one_of(
        st.lists(st.text("abc", min_size=1, max_size=3), min_size=0, max_size=n + 3).filter(
            lambda xs: len(xs) != n),
        st.just([1] * n), st.just(None if n == 0 else 3))


def _not(*examples):
    return st.sampled_from(list(examples) + [None, "abc", 3.0, np.eye(2), _Opaque()])


RNG = st.one_of(st.integers(max_value=-1), st.sampled_from(
    ["seed", 1.5, _Opaque(), np.nan, [1, 2], 1j]))


def strategy(kind, v):
    """The strategy of bad values of one kind, given the valid value ``v``."""
    name, *args = kind if isinstance(kind, tuple) else (kind,)
    if name == "array":
        return _corrupt_array(v, **(args[0] if args else {}))
    if name == "nonneg_array":
        return _nonneg(v, **(args[0] if args else {}))
    if name == "pos_array":
        return _positive(v, **(args[0] if args else {}))
    if name == "weights":
        return _weights(v, **(args[0] if args else {}))
    if name == "matrix":
        return _matrix(v)
    if name == "psd_matrix":
        return _matrix(v, psd=True)
    if name == "scalar":
        return _bad_scalar(*args)
    if name == "int":
        return _bad_int(*args)
    if name == "choice":
        return _bad_choice(args[0])
    if name == "names":
        return _names(args[0])
    if name == "rng":
        return RNG
    if name == "callable":
        return st.sampled_from([3, "f", [1], _Opaque()])
    if name == "not":
        return _not(*args)
    if name == "just":
        return st.sampled_from(list(args))
    raise KeyError(name)


# ======================================================================= fixtures
@functools.cache
def F():
    """Valid objects shared by the entries (built once)."""
    quad = design.polynomial(1, degree=2)
    model = quad.model()
    X = np.linspace(-1, 1, 11)
    res = design.optimal_design(model, None, X, rng=0)
    dsg = res.design
    ex = design.exact_design(model, None, X, 4, approximate=res, rng=0)
    decay = fs.models.ExponentialDecay()
    ths = np.array([[10.0, 0.5, 0.25], [10.0, 2.0, 0.25]])
    Xd = np.linspace(0, 4, 21)
    mm = design.maximin_design(decay, ths, Xd)
    eq = design.check_equivalence(model, None, dsg, "D", X)
    f2 = np.array([[1.0, -1.0], [1.0, 0.0], [1.0, 1.0]])
    info3 = np.einsum("ki,kj->kij", f2, f2)
    ic = design.InformationCandidates(f2[:, :, None], ["a", "b"])
    pop, grp = pkpd.warfarin_example()
    oral = pkpd.OneCompartment("oral")
    seqs = pkpd.candidate_sequences([0.5, 2, 24, 120], [3], dose=70)
    cres = pkpd.cost_design(pop, seqs)
    ores = pkpd.optimize_design(pop, grp, windows=(0.5, 120), n_starts=1, maxiter=3,
                                rng=0)
    pfim = pop.fim(grp)
    user = pkpd.UserModel(lambda t, th, dose: th[0] * np.exp(-th[1] * t), ["A", "k"])
    return dict(quad=quad, model=model, X=X, res=res, dsg=dsg, ex=ex, decay=decay, ths=ths,
                Xd=Xd, mm=mm, eq=eq, info3=info3, ic=ic, pop=pop, grp=grp, oral=oral,
                seqs=seqs, cres=cres, ores=ores, pfim=pfim, user=user,
                theta=model.example_theta(), M=np.diag([1.0, 0.5, 0.25]),
                Fp=np.stack([np.ones(5), np.linspace(-1, 1, 5),
                             np.linspace(-1, 1, 5) ** 2], 1)[:, :, None])


@functools.cache
def robust():
    """Prior draws and their local optima for the maximin / efficiency entries."""
    pop, grp = F()["pop"], F()["grp"]
    P = pkpd.prior_sample(pop, 0.3, 2, rng=0)
    kw = {"windows": (0.5, 120), "n_starts": 1, "maxiter": 2}
    return {"P": P, "ref": pkpd.local_optima(pop, grp, P, **kw),
            "ref_full": pkpd.local_optima(pop, grp, P, fim="full", **kw)}


@dataclass
class Entry:
    """How to call one public callable: ``call(**valid)`` works; ``bad`` maps each
    argument to the kind of its bad values (or ``(kind, regex the message must match)``)."""

    call: object
    valid: object  # () -> dict of valid keyword arguments
    bad: dict = field(default_factory=dict)


MODEL_KINDS = ("not", fs.models.Normal())
DESIGN_KINDS = ("not", np.array([0.0, 1.0]))
CRITERION_KINDS = ("choice", ("D", "A", "E", "G", "I"))
THETA3 = {"kind": "array"}


def crit_entries(prefix, make, extra_valid=None):
    """Entries of the methods of one criterion instance ``make()``."""
    base = extra_valid or {}
    M = lambda: {"M": F()["M"], **base}  # noqa: E731
    out = {
        f"{prefix}.value": Entry(lambda **k: make().value(**k), M,
                                 {"M": "psd_matrix", "param_names": ("names", 3)}),
        f"{prefix}.gradient": Entry(lambda **k: make().gradient(**k), M,
                                    {"M": "psd_matrix", "param_names": ("names", 3)}),
        f"{prefix}.bound": Entry(lambda **k: make().bound(**k), M,
                                 {"M": "psd_matrix", "param_names": ("names", 3)}),
        f"{prefix}.information_function": Entry(
            lambda **k: make().information_function(**k), M,
            {"M": "psd_matrix", "param_names": ("names", 3)}),
        f"{prefix}.efficiency": Entry(
            lambda **k: make().efficiency(**k), lambda: {**M(), "reference": 2 * F()["M"]},
            {"M": "psd_matrix", "reference": "psd_matrix", "param_names": ("names", 3)}),
        f"{prefix}.sensitivity": Entry(
            lambda **k: make().sensitivity(**k), lambda: {**M(), "factor": F()["Fp"]},
            {"M": "psd_matrix", "factor": ("array", XL),
             "param_names": ("names", 3)}),
        f"{prefix}.values": Entry(
            lambda **k: make().values(**k), lambda: {"Ms": F()["M"][None], **base},
            {"Ms": ("just", *BAD_STACKS), "param_names": ("names", 3)}),
        f"{prefix}.derivative": Entry(
            lambda **k: make().derivative(**k), lambda: {**M(), "dM": F()["M"][None]},
            {"M": "psd_matrix", "dM": ("just", *BAD_STACKS[:4], np.eye(2)[None]),
             "param_names": ("names", 3)}),
    }
    return out


#: stacks of information matrices that are not (B, p, p), finite, symmetric and PSD
BAD_STACKS = (np.diag([1.0, 0.5, 0.25]), np.full((1, 3, 3), np.nan), "abc", None,
              -np.diag([1.0, 0.5, 0.25])[None], (np.eye(3) + np.triu(np.ones((3, 3)), 1))[None])


def _ds():
    return design.Ds(["x", "x^2"])


DS_NAMES = {"param_names": ("1", "x", "x^2")}


# ----------------------------------------------------------------- design entries
def design_entries():
    f = F
    E_ = Entry
    opt = design.optimal_design
    out = {}
    # criteria: constructors
    out["design.c"] = E_(design.c, lambda: {"vector": [1.0, 0.0, 0.0]},
                         {"vector": ("array", XL)})
    out["design.L"] = E_(design.L, lambda: {"matrix": np.eye(3)}, {"matrix": "psd_matrix"})
    out["design.I"] = E_(design.I, lambda: {"points": f()["X"], "weights": np.ones(11)},
                         {"points": ("array", XL), "weights": "weights"})
    out["design.G"] = E_(design.G, lambda: {"points": f()["X"]},
                         {"points": ("array", XL)})
    out["design.Ds"] = E_(design.Ds, lambda: {"params": ["x"]},
                          {"params": ("just", [], ["x", "x"], None, 2.5, [None], [["x"]])})
    out["design.as_criterion"] = E_(design.as_criterion, lambda: {"spec": "D"},
                                    {"spec": CRITERION_KINDS})
    for name, make, extra in (("D", design.D, None), ("A", design.A, None),
                              ("E", design.E, None),
                              ("c", lambda: design.c([1.0, 0.0, 1.0]), None),
                              ("L", lambda: design.L(np.diag([1.0, 2.0, 0.0])), None),
                              ("I", lambda: design.I(matrix=np.eye(3)), None),
                              ("Ds", _ds, DS_NAMES)):
        out.update(crit_entries(f"design.{name}", make, extra))
    # G's methods have their own signatures
    gM = lambda: {"M": f()["M"], "factor": f()["Fp"]}  # noqa: E731
    gbad = {"M": "psd_matrix", "factor": ("array", XL)}
    out["design.G.value"] = E_(lambda **k: design.G().value(**k), gM, gbad)
    out["design.G.information_function"] = E_(
        lambda **k: design.G().information_function(**k), gM, gbad)
    out["design.G.efficiency"] = E_(lambda **k: design.G().efficiency(**k),
                                    lambda: {**gM(), "reference": 2 * f()["M"]},
                                    {**gbad, "reference": "psd_matrix"})
    out["design.G.gradient"] = E_(lambda **k: design.G().gradient(**k),
                                  lambda: {"M": f()["M"]}, {"M": "psd_matrix"})
    out["design.G.derivative"] = E_(lambda **k: design.G().derivative(**k),
                                    lambda: {"M": f()["M"], "dM": f()["M"][None]},
                                    {"M": "psd_matrix", "dM": ("just", *BAD_STACKS[:4])})
    out["design.G.bound"] = E_(lambda **k: design.G().bound(**k), lambda: {"M": f()["M"]},
                               {"M": "psd_matrix"})
    out["design.G.sensitivity"] = E_(lambda **k: design.G().sensitivity(**k), gM, gbad)

    # designs
    out["design.Design"] = E_(design.Design, lambda: {"points": f()["X"],
                                                      "weights": np.ones(11), "names": ["x"]},
                              {"points": ("array", XL),
                               "weights": "weights", "names": ("names", 1)})
    out["design.ExactDesign"] = E_(
        design.ExactDesign, lambda: {"points": [-1.0, 0.0, 1.0], "counts": [2, 1, 2]},
        {"points": ("array", XL),
         "counts": ("just", [2, 1.5, 2], [0, 0, 0], [2, -1, 2], [2, 1], [2, np.nan, 1],
                    [1e308, 1, 1], "abc", None), "names": ("names", 1)})
    info_bad = {"model": MODEL_KINDS, "theta": "array",
                "params": ("just", ["nope"], [], ["x", "x"], 3)}
    out["design.Design.information"] = E_(
        lambda **k: f()["dsg"].information(**k),
        lambda: {"model": f()["model"], "theta": f()["theta"]}, info_bad)
    out["design.ExactDesign.information"] = E_(
        lambda **k: f()["ex"].design.information(**k),
        lambda: {"model": f()["model"], "theta": f()["theta"]}, info_bad)
    out["design.Design.support"] = E_(lambda **k: f()["dsg"].support(**k),
                                      lambda: {"tol": 0.0},
                                      {"tol": ("scalar", None, 1.0, True, False)})
    plot_bad = {"ax": ("just", "abc", 3.0, _Opaque(), np.eye(2))}
    for key, obj in (("Design", "dsg"), ("DesignResult", "res"),
                     ("EquivalenceResult", "eq"), ("MaximinResult", "mm")):
        out[f"design.{key}.plot"] = E_(
            (lambda o: lambda **k: f()[o].plot(**k))(obj), lambda: {"ax": None}, plot_bad)
    out["design.ExactDesign.plot"] = E_(lambda **k: f()["ex"].design.plot(**k),
                                        lambda: {"ax": None}, plot_bad)
    out["design.ExactDesignResult.plot"] = E_(lambda **k: f()["ex"].plot(**k),
                                              lambda: {"ax": None}, plot_bad)

    # optimal designs
    vopt = lambda: {"model": f()["model"], "theta": None, "candidates": f()["X"]}  # noqa: E731
    out["design.optimal_design"] = E_(opt, vopt, {
        "model": MODEL_KINDS, "theta": ("just", [0.0, 0.0, 0.0, -1.0], [0.0, 0.0, 1.0],
                                        [np.nan, 0, 0, 1], "abc", [[0, 0, 0, 1]] * 0),
        "candidates": ("array", XC), "criterion": CRITERION_KINDS,
        "algorithm": ("choice", ("rex", "multiplicative", "fedorov_wynn")),
        "tol": ("scalar", 0.0, 1.0), "x_bounds": ("just", [(1, -1)], [(0, 1, 2)], "ab",
                                                  [(np.nan, 1)], [(-1, 1), (-1, 1)]),
        "params": ("just", ["nope"], [], ["x", "x"], 3),
        "prior_weights": ("just", [1.0, 2.0]), "max_iter": ("int", 1),
        "max_time": ("scalar", 0.0), "rng": "rng"})
    out["design.bayesian_design"] = E_(
        design.bayesian_design,
        lambda: {"model": f()["decay"], "prior_sample": f()["ths"], "candidates": f()["Xd"]},
        {"model": MODEL_KINDS, "prior_sample": ("array", XL),
         "candidates": ("array", XC),
         "criterion": ("just", "E", "Z", None, 3), "prior_weights": "weights",
         "algorithm": ("choice", ("rex", "multiplicative", "fedorov_wynn")),
         "tol": ("scalar", 0.0, 1.0), "max_iter": ("int", 1), "max_time": ("scalar", 0.0),
         "rng": "rng"})
    out["design.maximin_design"] = E_(
        design.maximin_design,
        lambda: {"model": f()["decay"], "thetas": f()["ths"], "candidates": f()["Xd"]},
        {"model": MODEL_KINDS, "thetas": ("array", XL),
         "candidates": ("array", XC),
         "criterion": ("just", "A", "E", "G", "Z", None), "tol": ("scalar", 0.0, 1.0),
         "max_rounds": ("int", 1), "params": ("just", ["nope"], [], 3)})
    out["design.check_equivalence"] = E_(
        design.check_equivalence,
        lambda: {"model": f()["model"], "theta": None, "design": f()["dsg"],
                 "region": f()["X"]},
        {"model": MODEL_KINDS, "design": DESIGN_KINDS,
         "region": ("array", XC), "criterion": CRITERION_KINDS,
         "tol": ("scalar", 0.0, None, False), "levels": ("int", 2),
         "params": ("just", ["nope"], [], 3), "theta": ("just", [0, 0, 0, -1], "abc")})
    out["design.efficiency"] = E_(
        design.efficiency, lambda: {"design": f()["dsg"], "reference": f()["res"]},
        {"design": DESIGN_KINDS, "reference": DESIGN_KINDS,
         "criterion": ("just", "Z", 3, ["D"]), "model": ("just", "abc", 3, fs.models.Normal()),
         "theta": ("just", [0, 0, 0, -1], "abc", [np.nan] * 4)})
    out["design.exact_design"] = E_(
        design.exact_design,
        lambda: {"model": f()["model"], "theta": None, "candidates": f()["X"], "n_runs": 4,
                 "approximate": f()["res"]},
        {"model": MODEL_KINDS, "candidates": ("array", XC),
         "n_runs": ("int", 1, 2**53), "criterion": CRITERION_KINDS,
         "approximate": ("just", "x", 3, np.eye(2)),
         "exchange": ("choice", ("kl", "fedorov")), "tol": ("scalar", 0.0, 1.0),
         "rng": "rng"})
    out["design.efficient_rounding"] = E_(
        design.efficient_rounding, lambda: {"design": f()["dsg"], "n_runs": 5},
        {"design": DESIGN_KINDS, "n_runs": ("int", 1, 2**53)})
    out["design.polynomial"] = E_(
        design.polynomial, lambda: {"factors": 2, "degree": 2, "bounds": [(-1, 1), (0, 2)]},
        {"factors": ("just", 0, -1, 2.5, None, [], ["a", "a"], ["1a"], [3]),
         "degree": ("int", 0), "interactions": ("just", "yes", None, 2),
         "bounds": ("just", [(1, -1), (0, 2)], [(0, 1)], [(np.nan, 1), (0, 1)], "ab")})
    out["design.formula"] = E_(
        design.formula, lambda: {"spec": "x1 + x2", "factors": ["x1", "x2"]},
        {"spec": ("just", 3, None, "x1 +", "y ~ "), "factors": ("just", 0, [], ["1a"], None),
         "bounds": ("just", [(1, -1), (0, 2)], "ab")})
    poly = lambda: f()["quad"]  # noqa: E731
    out["design.Polynomial"] = E_(
        design.Polynomial,
        lambda: {"factors": ["x"], "terms": ["1", "x"],
                 "expand_fn": lambda X: np.column_stack([np.ones(len(X)), X[:, 0]])},
        {"factors": ("just", None, 0, [3], []), "terms": ("just", None, 3, [3], "1"),
         "expand_fn": "callable", "bounds": ("just", [(1, -1)], [(0, np.inf)], "ab"),
         "exponents": ("just", "ab", [[1.5]])})
    out["design.Polynomial.check_x"] = E_(lambda **k: poly().check_x(**k),
                                          lambda: {"x": f()["X"]},
                                          {"x": ("array", XC)})
    out["design.Polynomial.expand"] = E_(lambda **k: poly().expand(**k),
                                         lambda: {"x": f()["X"]},
                                         {"x": ("array", XC)})
    out["design.Polynomial.grid"] = E_(lambda **k: poly().grid(**k),
                                       lambda: {"levels": 5, "bounds": [(-1, 1)]},
                                       {"levels": ("just", 1, 0, 2.5, "3", None, [1], [2, 2]),
                                        "bounds": ("just", [(1, -1)], "ab", [(0, np.nan)])})
    out["design.Polynomial.model"] = E_(lambda **k: poly().model(**k),
                                        lambda: {"family": "linear", "sigma2": 1.0},
                                        {"family": ("choice", ("linear", "logistic", "probit",
                                                               "poisson")),
                                         "sigma2": ("scalar", 0.0)})
    out["design.BasisModel"] = E_(
        design.BasisModel,
        lambda: {"basis": poly(), "inner": fs.models.LinearRegression(3),
                 "example_theta": [0, 0, 0, 1.0]},
        {"basis": ("not",), "inner": ("not", fs.models.Normal()),
         "example_theta": ("just", [0, 0, 0, -1.0], [0, 0], "abc", [np.nan] * 4),
         })
    out["design.optimal_weights"] = E_(
        design.optimal_weights, lambda: {"information": f()["info3"]},
        {"information": ("just", np.ones((3, 2, 3)), -f()["info3"] - np.eye(2),
                         np.full((3, 2, 2), np.nan), np.ones(3), "abc", None,
                         f()["info3"] + np.array([[0, 1.0], [0, 0]])),
         "factor": ("just", np.full((3, 2, 1), np.inf), "abc", np.ones(3)),
         "criterion": CRITERION_KINDS, "costs": ("pos_array", {}),
         "param_names": ("names", 2), "params": ("just", ["nope"], [], 3),
         "algorithm": ("choice", ("rex", "multiplicative", "fedorov_wynn")),
         "tol": ("scalar", 0.0, 1.0), "max_iter": ("int", 1), "max_time": ("scalar", 0.0),
         "rng": "rng"})
    out["design.InformationCandidates"] = E_(
        design.InformationCandidates,
        lambda: {"factor": np.eye(2)[:, :, None], "param_names": ["a", "b"]},
        {"factor": ("array", XL), "param_names": ("names", 2)})
    # the RegressionModel methods of the two design models
    for key, mk, th, x in (("BasisModel", lambda: f()["model"], lambda: f()["theta"],
                            lambda: f()["X"]),
                           ("InformationCandidates", lambda: f()["ic"],
                            lambda: np.zeros(2), lambda: np.array([0.0, 1.0, 2.0]))):
        out.update(regression_model_entries(f"design.{key}", mk, th, x))
    return out


def regression_model_entries(prefix, mk, th, x):
    """Entries of the public RegressionModel methods of a model ``mk()``."""
    tx = lambda: {"theta": th(), "x": x()}  # noqa: E731
    y = lambda: mk().sample(th(), rng=0, x=x()) if prefix.endswith("BasisModel") \
        else np.zeros(len(x()))  # noqa: E731
    txd = lambda: {"theta": th(), "data": y(), "x": x()}  # noqa: E731
    xb = ("array", XC)
    out = {
        "validate": Entry(lambda **k: mk().validate(**k), lambda: {"theta": th()},
                          {"theta": "array"}),
        "check_x": Entry(lambda **k: mk().check_x(**k), lambda: {"x": x()}, {"x": xb}),
        "point_factor": Entry(lambda **k: mk().point_factor(**k), tx,
                              {"theta": "array", "x": xb}),
        "point_information": Entry(lambda **k: mk().point_information(**k), tx,
                                   {"theta": "array", "x": xb}),
        "fisher": Entry(lambda **k: mk().fisher(**k), tx, {"theta": "array", "x": xb}),
        "loglik": Entry(lambda **k: mk().loglik(**k), txd,
                        {"theta": "array", "x": xb, "data": ("array", {})}),
        "score": Entry(lambda **k: mk().score(**k), txd,
                       {"theta": "array", "x": xb, "data": ("array", {})}),
        "hessian": Entry(lambda **k: mk().hessian(**k), txd,
                         {"theta": "array", "x": xb, "data": ("array", {})}),
        "sample": Entry(lambda **k: mk().sample(**k),
                        lambda: {"theta": th(), "x": x(), "rng": 0},
                        {"theta": "array", "x": xb, "rng": "rng"}),
        "fit": Entry(lambda **k: mk().fit(**k), lambda: {"data": y(), "x": x()},
                     {"data": ("array", {}), "x": xb}),
        "check_data": Entry(lambda **k: mk().check_data(**k), lambda: {"data": y()},
                            {"data": ("just", "abc", None, [np.nan, 1.0], [], 1j)}),
        "singularities": Entry(lambda **k: mk().singularities(**k), lambda: {"theta": th()},
                               {"theta": "array"}),
        "random_theta": Entry(lambda **k: mk().random_theta(**k), lambda: {"rng": 0},
                              {"rng": "rng"}),
        "strata": Entry(lambda **k: mk().strata(**k), lambda: {"theta": th()},
                        {"theta": "array"}),
        "linear_mean_scale": Entry(lambda **k: mk().linear_mean_scale(**k),
                                   lambda: {"theta": th()}, {"theta": "array"}),
        "fit_batch": Entry(lambda **k: mk().fit_batch(**k),
                           lambda: {"data": np.stack([y(), y()]), "x": x()},
                           {"data": ("just", "abc", None, np.full((2, len(x())), np.nan)),
                            "x": xb}),
        "information_batch": Entry(
            lambda **k: mk().information_batch(**k),
            lambda: {"theta": np.stack([th(), th()]), "data": np.stack([y(), y()]), "x": x()},
            {"theta": ("just", None, "abc", np.ones((2, len(th()) + 1)),
                       np.full((2, len(th())), np.nan)),
             "data": ("just", "abc", None, np.full((2, len(x())), np.nan), np.zeros((1, 3))),
             "x": xb}),
    }
    return {f"{prefix}.{k}": v for k, v in out.items()}


# ------------------------------------------------------------------- pkpd entries
def structural_entries(prefix, mk, theta, dose, t):
    """Entries of the StructuralModel methods of ``mk()``."""
    v = lambda: {"t": t, "theta": theta, "dose": dose}  # noqa: E731
    bad = {"t": ("nonneg_array", TL), "theta": "pos_array",
           "dose": ("just", -70.0, np.nan, "70", [70.0, 1.0], np.inf, 1j),
           "response": ("just", "nope", 5, -1, 1.5, ["conc"] * 7, [None])}
    out = {}
    for meth in ("predict", "jacobian", "hessian", "evaluate", "check_inputs"):
        out[meth] = Entry((lambda m: lambda **k: getattr(mk(), m)(**k))(meth), v, dict(bad))
    out["evaluate"].bad = {**bad, "order": ("just", -1, 3, 1.5, "2", None)}
    out["validate"] = Entry(lambda **k: mk().validate(**k), lambda: {"theta": theta},
                            {"theta": "pos_array"})
    out["check_times"] = Entry(lambda **k: mk().check_times(**k), lambda: {"t": t},
                               {"t": ("nonneg_array", TL)})
    out["check_schedule"] = Entry(lambda **k: mk().check_schedule(**k),
                                  lambda: {"t": t, "dose": mk().check_dose(dose)},
                                  {"t": ("nonneg_array", TL)})
    out["check_response"] = Entry(lambda **k: mk().check_response(**k),
                                  lambda: {"response": None, "n": 3},
                                  {"response": ("just", "nope", 9, ["conc"] * 2, 1.5),
                                   "n": ("int", 0)})
    out["check_dose"] = Entry(lambda **k: mk().check_dose(**k), lambda: {"dose": dose},
                              {"dose": ("just", -70.0, np.nan, "70", [70.0, 1.0], 1j)})
    return {f"{prefix}.{k}": e for k, e in out.items()}


def pkpd_entries():
    f = F
    E_ = Entry
    out = {}
    route = ("choice", ("oral", "bolus", "infusion"))
    par = ("choice", ("CL", "k"))
    out["pkpd.OneCompartment"] = E_(pkpd.OneCompartment, lambda: {"route": "oral"},
                                    {"route": route, "parametrization": par})
    out["pkpd.TwoCompartment"] = E_(pkpd.TwoCompartment, lambda: {"route": "oral"},
                                    {"route": route, "parametrization": par})
    out["pkpd.LinkedPD"] = E_(pkpd.LinkedPD, lambda: {"pk": f()["oral"], "model": "emax"},
                              {"pk": ("not",), "model": ("choice", ("emax", "sigmoid_emax",
                                                                    "imax"))})
    out["pkpd.StructuralModel.check_times"] = E_(
        pkpd.StructuralModel.check_times, lambda: {"t": [0.0, 1.0], "name": "t"},
        {"t": ("nonneg_array", TL)})
    out["pkpd.UserModel"] = E_(
        pkpd.UserModel, lambda: {"f": lambda t, th, d: th[0] + 0 * t, "param_names": ["a"]},
        {"f": "callable", "jacobian": "callable", "param_names": ("just", [], [1], ["a", "a"], 3),
         "bounds": ("just", [(1, 0)], [(0, 1, 2)], "ab", [(np.nan, 1)]),
         "needs_dose": ("just", "yes", None, 2)})
    t4 = np.array([0.5, 2.0, 24.0, 72.0])
    out.update(structural_entries("pkpd.OneCompartment", lambda: f()["oral"],
                                  np.array([0.15, 8.0, 1.0]), 70.0, t4))
    out.update(structural_entries("pkpd.TwoCompartment", lambda: pkpd.TwoCompartment("bolus"),
                                  np.array([2.0, 10.0, 3.0, 20.0]), 100.0, t4))
    out.update(structural_entries("pkpd.LinkedPD",
                                  lambda: pkpd.LinkedPD(pkpd.OneCompartment("bolus")),
                                  np.array([1.0, 10.0, 5.0, 20.0, 10.0]), 100.0, t4))
    for meth in ("predict", "jacobian", "hessian", "evaluate", "check_inputs", "validate"):
        out[f"pkpd.LinkedPD.{meth}"].bad["theta"] = "array"  # E0 and EMAX are free
    out.update(structural_entries("pkpd.UserModel", lambda: f()["user"],
                                  np.array([2.0, 0.1]), 1.0, t4))
    # the user model takes any dose: its dose is not validated
    for meth in ("predict", "jacobian", "hessian", "evaluate", "check_inputs"):
        out[f"pkpd.UserModel.{meth}"].bad.pop("dose")
    out["pkpd.UserModel.check_dose"] = E_(
        lambda **k: pkpd.UserModel(lambda t, th, d: t, ["a"], needs_dose=True).check_dose(**k),
        lambda: {"dose": 1.0}, {"dose": ("just", None)})

    # ODE models
    def decay():
        return dict(rhs=lambda t, x, th: -th[0] * x, param_names=["K"], n_states=1,
                    jac_x=lambda t, x, th: np.array([[-th[0]]]),
                    jac_theta=lambda t, x, th: np.array([[-x[0]]]))

    options = {"method": ("choice", pkpd.ODE_METHODS), "rtol": ("scalar", 0, 1),
               "atol": ("scalar", 0), "sensitivities": ("choice", pkpd.SENSITIVITIES)}
    flag = ("just", "yes", None, 2)
    out["pkpd.ODEModel"] = E_(pkpd.ODEModel, decay, {
        "rhs": "callable", "param_names": ("just", [], [1], ["a", "a"], 3),
        "n_states": ("int", 1), "jac_x": "callable", "jac_theta": "callable",
        "x0": "callable", "observe": ("just", 5, -1, (0, "V"), "abc", 1.5),
        "responses": ("just", ("a", "b"), [""], 3), "dose_state": ("int", 0, 0),
        "infusion_state": ("int", 0, 0), "lag": ("just", "TLAG", 3),
        "bioavailability": ("just", "F", 3),
        "bounds": ("just", [(1, 0)], [(0, 1, 2)], "ab", [(np.nan, 1)]),
        "name": ("just", "", 3), **options})
    out["pkpd.OneCompartmentODE"] = E_(pkpd.OneCompartmentODE, lambda: {"route": "oral"},
                                       {"route": route, "lag": flag,
                                        "bioavailability": flag})
    out["pkpd.TwoCompartmentODE"] = E_(pkpd.TwoCompartmentODE, lambda: {"route": "oral"},
                                       {"route": route, "lag": flag,
                                        "bioavailability": flag})
    out["pkpd.OneCompartmentMM"] = E_(pkpd.OneCompartmentMM, lambda: {"route": "oral"},
                                      {"route": route, "lag": flag, "bioavailability": flag})
    out["pkpd.IndirectResponse"] = E_(
        pkpd.IndirectResponse, lambda: {"kind": 1, "pk": pkpd.OneCompartmentODE("bolus")},
        {"kind": ("int", 1, 4), "pk": ("not",)})
    out["pkpd.EffectCompartmentEmax"] = E_(
        pkpd.EffectCompartmentEmax, lambda: {"pk": pkpd.OneCompartmentODE("bolus")},
        {"pk": ("not",)})
    ode_models = {
        "ODEModel": (lambda: pkpd.ODEModel(**decay()), [0.5], 10.0),
        "OneCompartmentODE": (lambda: pkpd.OneCompartmentODE("oral"), [0.15, 8.0, 1.0],
                              70.0),
        "TwoCompartmentODE": (lambda: pkpd.TwoCompartmentODE("bolus"),
                              [2.0, 10.0, 3.0, 20.0], 100.0),
        "OneCompartmentMM": (lambda: pkpd.OneCompartmentMM("oral"), [10.0, 2.0, 10.0, 1.0],
                             100.0),
        "IndirectResponse": (lambda: pkpd.IndirectResponse(1, pkpd.OneCompartmentODE("bolus")),
                             [1.0, 10.0, 10.0, 0.5, 0.9, 2.0], 100.0),
        "EffectCompartmentEmax": (
            lambda: pkpd.EffectCompartmentEmax(pkpd.OneCompartmentODE("bolus")),
            [1.0, 10.0, 0.5, 5.0, 20.0, 4.0], 100.0),
    }
    for name, (mk, th, dose) in ode_models.items():
        out.update(structural_entries(f"pkpd.{name}", mk, np.array(th), dose, t4))
        out[f"pkpd.{name}.with_options"] = E_(
            functools.partial(lambda mk, **k: mk().with_options(**k), mk),
            lambda: {"method": "BDF"},
            dict(options))
    for meth in ("predict", "jacobian", "hessian", "evaluate", "check_inputs", "validate"):
        out[f"pkpd.EffectCompartmentEmax.{meth}"].bad["theta"] = "array"  # E0, EMAX free

    # regimens
    out["pkpd.Regimen"] = E_(
        pkpd.Regimen, lambda: {"amounts": [100.0, 50.0], "times": [0.0, 12.0],
                               "durations": 0.0, "tau": None},
        {"amounts": "nonneg_array",
         "times": ("just", [0.0, -1.0], [0.0, np.nan], [0.0, 1.0, 2.0], "ab", [[0.0, 1.0]]),
         "durations": ("just", [0.0, -1.0], [np.inf, 0.0], [0.0, 1.0, 2.0], "ab"),
         "tau": ("just", 0.0, -1.0, np.nan, np.inf, "a", 1j)})
    out["pkpd.Regimen.repeated"] = E_(
        pkpd.Regimen.repeated, lambda: {"amount": 10.0, "tau": 8.0, "n_doses": 2,
                                        "duration": 0.0, "start": 0.0},
        {"amount": ("scalar", 0.0, None, False), "tau": ("scalar", 0.0),
         "n_doses": ("int", 1), "duration": ("scalar", 0.0, None, False),
         "start": ("scalar", 0.0, None, False)})
    out["pkpd.Regimen.steady_state"] = E_(
        pkpd.Regimen.steady_state, lambda: {"amount": 10.0, "tau": 8.0, "duration": 0.0},
        {"amount": ("scalar", 0.0, None, False), "tau": ("scalar", 0.0),
         "duration": ("scalar", 0.0, None, False)})
    reg = lambda: pkpd.Regimen.repeated(10, tau=8, n_doses=2)  # noqa: E731
    out["pkpd.Regimen.with_amount"] = E_(lambda **k: reg().with_amount(**k),
                                         lambda: {"amount": 5.0},
                                         {"amount": ("scalar", 0.0, None, False)})
    out["pkpd.Regimen.with_duration"] = E_(lambda **k: reg().with_duration(**k),
                                           lambda: {"duration": 1.0},
                                           {"duration": ("scalar", 0.0, None, False)})
    out["pkpd.as_regimen"] = E_(pkpd.as_regimen, lambda: {"dose": 70.0},
                                {"dose": ("just", -70.0, np.nan, "70", None, [70.0, 1.0],
                                          1j, True),
                                 "name": ("just", 3, None, [""])})
    # residual errors
    conv = ("choice", ("variance", "sd"))
    out["pkpd.Additive"] = E_(pkpd.Additive, lambda: {"value": 0.25},
                              {"value": ("scalar", 0.0, None, True),
                               "convention": conv, "name": ("just", 3, "", ["a", "b"])})
    out["pkpd.Proportional"] = E_(pkpd.Proportional, lambda: {"value": 0.25},
                                  {"value": ("scalar", 0.0, None, True),
                                   "convention": conv, "name": ("just", 3, "", ["a", "b"])})
    out["pkpd.Combined"] = E_(pkpd.Combined, lambda: {"add": 0.25, "prop": 0.01},
                              {"add": ("scalar", 0.0), "prop": ("scalar", 0.0),
                               "convention": conv, "names": ("names", 2)})
    for key, mk, vals in (("Additive", lambda: pkpd.Additive(0.25), [0.3]),
                          ("Proportional", lambda: pkpd.Proportional(0.01), [0.02]),
                          ("Combined", lambda: pkpd.Combined(0.25, 0.01), [0.3, 0.02])):
        out[f"pkpd.{key}.variance"] = E_(
            (lambda m: lambda **k: m().variance(**k))(mk),
            lambda: {"f": np.array([1.0, 10.0]), "values": None},
            {"f": ("array", {**XL, "empty_ok": True}),
             "values": ("just", [-1.0] * len(vals), [np.nan] * len(vals), vals + [1.0], "ab")})
        out[f"pkpd.{key}.with_values"] = E_(
            (lambda m: lambda **k: m().with_values(**k))(mk), (lambda v: lambda: {"values": v})(
                vals), {"values": "pos_array"})
    # population model
    pm_valid = lambda: {"structural": f()["oral"],  # noqa: E731
                        "theta": {"CL": 0.15, "V": 8.0, "KA": 1.0},
                        "omega": [0.07, 0.02, 0.6], "error": pkpd.Proportional(0.01)}
    out["pkpd.PopulationModel"] = E_(pkpd.PopulationModel, pm_valid, {
        "structural": ("not",), "theta": ("just", {"CL": 0.15}, {"CL": -1, "V": 8, "KA": 1},
                                          {"XX": 1.0}, [0.15, 8.0], [0.15, -8.0, 1.0], "abc",
                                          {"CL": "a", "V": 8, "KA": 1}, None),
        "omega": ("just", [-0.07, 0.02, 0.6], [0.07, 0.02], [np.nan, 0.02, 0.6],
                  np.array([[1.0, 2.0, 0], [2.0, 1.0, 0], [0, 0, 1.0]]),
                  np.array([[1.0, 0.5, 0], [0.0, 1.0, 0], [0, 0, 1.0]]), {"XX": 1.0},
                  {"CL": -1.0}, {"CL": "a"}, "abc", None, np.eye(2)),
        "error": ("just", None, "prop", 0.01, [], [pkpd.Additive(1.0)] * 2),
        "eta_model": ("just", "lognormal", {"CL": "x"}, {"XX": "additive"}, 3, None),
        "fixed": ("just", ["nope"], 3, [None],
                  ["CL", "V", "KA", "om2_CL", "om2_V", "om2_KA", "sig2_prop"]),
        "covariate_model": ("just", {"Cl": ("WT", "power", 70)}, [("CL", "WT", "power", 70)],
                            {"CL": ("WT", "allometric", 70)}, {"CL": ("WT", "power", 0)},
                            {"CL": "WT"}, {"CL": [("WT", "power")]}, {"CL": ("WT", "power",
                                                                            np.nan)}, 3),
        "iov": ("just", [0.01, -0.02, 0.0], {"Q": 0.1}, [0.1, 0.1], {"CL": "a"}, "abc",
                [np.nan, 0.0, 0.0], {"CL": -1.0})})
    cov_pm = lambda: pkpd.PopulationModel(  # noqa: E731
        f()["oral"], {"CL": 0.15, "V": 8.0, "KA": 1.0, "WT_on_CL": 0.75}, [0.07, 0.02, 0.6],
        pkpd.Proportional(0.01), covariate_model={"CL": ("WT", "power", 70.0)},
        iov={"CL": 0.02})
    out["pkpd.PopulationModel.fim[covariates, iov]"] = E_(
        lambda **k: cov_pm().fim(**k),
        lambda: {"design": pkpd.Group([0.5, 2.0, 24.0, 26.0], 32, 70, covariates={"WT": 80},
                                      occasions=[0, 0, 1, 1])},
        {"design": ("just", pkpd.Group([0.5, 2.0], 32, 70),
                    pkpd.Group([0.5, 2.0], 32, 70, covariates={"WT": 0.0}),
                    pkpd.Group([0.5, 2.0], 32, 70, covariates={"WT": 70, "HT": 170})),
         "approximation": ("just", "FOCE")})
    pop = lambda: f()["pop"]  # noqa: E731
    out["pkpd.PopulationModel.fim"] = E_(
        lambda **k: pop().fim(**k), lambda: {"design": f()["grp"]},
        {"design": ("not", [], [f()["grp"], 3]), "fim": ("choice", ("full", "reduced")),
         "approximation": ("choice", ("FO", "FOCE")),
         "n_draws": ("just", 0, -1, 2.5, "3", None, np.nan)})
    out["pkpd.PopulationModel.fim[FOCE]"] = E_(
        lambda **k: pop().fim(f()["grp"], approximation="FOCE", **k), lambda: {"n_draws": 2},
        {"n_draws": ("int", 1), "rng": "rng"})
    out["pkpd.PopulationModel.individual_fim"] = E_(
        lambda **k: pop().individual_fim(**k), lambda: {"times": [0.5, 2.0, 24.0], "dose": 70},
        {"times": ("nonneg_array", TL),
         "dose": ("just", -70.0, np.nan, "70", None, [70.0, 1.0]),
         "response": ("just", "nope", 5, 1.5), "fim": ("choice", ("full", "reduced")),
         "covariates": ("just", 70, {"WT": np.nan}, {"HT": 1.0}, {3: 1.0}, {"WT": "a"})})
    out["pkpd.PopulationModel.predict"] = E_(
        lambda **k: pop().predict(**k), lambda: {"times": [0.5, 2.0], "dose": 70},
        {"times": ("nonneg_array", TL),
         "dose": ("just", -70.0, np.nan, "70", None), "response": ("just", "nope", 5)})
    out["pkpd.PopulationModel.with_beta"] = E_(
        lambda **k: pop().with_beta(**k), lambda: {"beta": [0.15, 8.0, 1.0]},
        {"beta": "pos_array"})
    out["pkpd.Group"] = E_(
        pkpd.Group, lambda: {"times": [0.5, 2.0], "size": 32, "dose": 70},
        {"times": ("nonneg_array", TL), "size": ("scalar", 0.0),
         "name": ("just", 3, ["a"]),
         "covariates": ("just", 70, {"WT": np.nan}, {"WT": "a"}, {3: 70.0}, {"WT": None},
                        {"": 1.0}),
         "occasions": ("just", [0], [0, -1], [0.5, 1], "ab", [[0, 1]], [0, np.nan])})
    out["pkpd.Group.replace"] = E_(
        lambda **k: f()["grp"].replace(**k), lambda: {"size": 10},
        {"size": ("scalar", 0.0), "times": ("nonneg_array", TL),
         "bogus": ("just", 1)})
    out["pkpd.warfarin_example"] = E_(pkpd.warfarin_example, lambda: {"size": 32},
                                      {"size": ("scalar", 0.0)})
    out["pkpd.hcv_example"] = E_(pkpd.hcv_example, lambda: {"size": 30},
                                 {"size": ("scalar", 0.0), "rtol": ("scalar", 0.0, 1.0),
                                  "atol": ("scalar", 0.0, None, True)})
    # exact (MC-AGQ) FIM and discrete responses
    dpm = lambda: {"structural": f()["user"], "theta": [1.0, 0.5],  # noqa: E731
                   "omega": [0.2, 0.0], "response": "binary"}
    out["pkpd.DiscretePopulationModel"] = E_(pkpd.DiscretePopulationModel, dpm, {
        "structural": ("not",), "theta": ("just", [1.0], [1.0, -0.5], "abc", None,
                                          [np.nan, 0.5], {"XX": 1.0}),
        "omega": ("just", [-0.2, 0.0], [[0.2, 0.5], [0.5, 0.2]], [np.nan, 0.0], "abc", None,
                  [0.2]),
        "response": ("choice", pkpd.RESPONSE_TYPES),
        "cutpoints": ("just", [0.0], "ab", [np.nan]),
        "eta_model": ("just", "lognormal", {"A": "x"}, 3, None),
        "fixed": ("just", ["nope"], 3, [None], ["A", "k", "om2_A"])})
    dmod = lambda: pkpd.DiscretePopulationModel(**dpm())  # noqa: E731
    out["pkpd.DiscretePopulationModel.fim"] = E_(
        lambda **k: dmod().fim(**k),
        lambda: {"design": pkpd.Group([0.5, 2.0]), "n_samples": 2, "n_nodes": 1},
        {"design": ("not", [], [pkpd.Group([0.5]), 3]), "n_samples": ("int", 2),
         "n_nodes": ("int", 1), "rng": "rng"})
    out["pkpd.exact_fim"] = E_(
        pkpd.exact_fim, lambda: {"model": pop(), "design": f()["grp"], "n_samples": 2,
                                 "n_nodes": 1},
        {"model": ("not",), "design": ("not", []), "n_samples": ("int", 2),
         "n_nodes": ("int", 1), "rng": "rng"})
    vcmp = lambda: {"model": pop(), "designs": [f()["grp"]],  # noqa: E731
                    "approximations": ["FO reduced", "exact"], "n_samples": 2, "n_nodes": 1,
                    "n_draws": 1}
    out["pkpd.compare_designs"] = E_(pkpd.compare_designs, vcmp, {
        "model": ("not",), "designs": ("just", [], 3, "ab", [3], [[]], {1: f()["grp"]}, None),
        "approximations": ("just", ["FO"], "exact", ["FO reduced"], ["exact", "exact"], 3,
                           [None], []),
        "n_samples": ("int", 2), "n_nodes": ("int", 1), "n_draws": ("int", 1),
        "z": ("scalar", 0.0), "rng": "rng"})
    out["pkpd.compare_designs[discrete]"] = E_(
        pkpd.compare_designs, lambda: {"model": dmod(), "designs": [pkpd.Group([0.5, 2.0])],
                                       "n_samples": 2, "n_nodes": 1},
        {"approximations": ("just", ["FO reduced", "exact"], ["FOCE full", "exact"])})
    out["pkpd.DesignComparison.exact_difference"] = E_(
        lambda **k: _comparison().exact_difference(**k), lambda: {"a": "a", "b": 1},
        {"a": ("just", "nope", 2, -3, 1.5, None, True), "b": ("just", "c", 5, [0], None)})
    out["pkpd.DesignComparison.plot"] = E_(
        lambda **k: _comparison().plot(**k), lambda: {"ax": None},
        {"ax": ("just", "abc", 3.0, np.eye(2)), "x": ("just", [0.0], [0.0, 1.0, 2.0], "ab",
                                                      [[0.0, 1.0]]),
         "relative": ("just", "yes", 2, None)})
    out["pkpd.exact_scores"] = E_(
        pkpd.exact_scores, lambda: {"model": dmod(), "group": pkpd.Group([0.5, 2.0]),
                                    "y": [[0.0, 1.0]], "n_nodes": 1},
        {"model": ("not",), "group": ("not", [pkpd.Group([0.5])]), "n_nodes": ("int", 1),
         "y": ("just", [[0.0, 2.0]], [[np.nan, 1.0]], [[0.0]], "ab", None, [[0.5, 1.0]],
               np.zeros((0, 2))),
         "return_loglik": ("just", "yes", None, 2)})
    # design optimisation
    vod = lambda: {"model": pop(), "design": f()["grp"], "windows": (0.5, 120),  # noqa: E731
                   "n_starts": 1, "maxiter": 2}
    out["pkpd.optimize_design"] = E_(pkpd.optimize_design, vod, {
        "model": ("not",), "design": ("not", []), "criterion": ("choice", pkpd.CRITERIA),
        "fim": ("choice", ("full", "reduced")),
        "windows": ("just", (120, 0.5), (-1, 120), (np.nan, 1), [(0.5, 120)] * 2, "ab",
                    (0.5, 1.0)),
        "min_spacing": ("scalar", 0.0, None, False),
        "candidates": ("just", [-1.0, 0.5], [np.nan], "abc", [[0.5]], [0.5, 1.0]),
        "dose_bounds": ("just", (100, 50), (-1, 100), (0, 10), (0, np.nan), "ab"),
        "duration_bounds": ("just", (1, 0), "ab"),
        "optimize_sizes": ("just", "yes", None, 2),
        "prior": ("just", np.ones((3, 2)), [[0.15, -8.0, 1.0]], "abc", np.full((2, 3), np.nan)),
        "bayesian": ("choice", ("ELD", "ED", "maximin")), "n_starts": ("int", 1),
        "reference": ("just", "abc", 3, np.ones(2)),
        "rng": "rng", "maxiter": ("int", 1)})
    out["pkpd.optimize_design[maximin]"] = E_(
        lambda **k: pkpd.optimize_design(pop(), f()["grp"], windows=(0.5, 120), n_starts=1,
                                         maxiter=2, bayesian="maximin", **k),
        lambda: {"prior": robust()["P"], "reference": robust()["ref"]},
        {"prior_weights": ("just", [1.0, 1.0]), "optimize_sizes": ("just", True),
         "criterion": ("just", "A", "c"),
         "reference": ("just", "abc", 3, robust()["ref_full"])})
    # efficiencies under parameter uncertainty (pkpd.robust)
    out["pkpd.local_optima"] = E_(
        pkpd.local_optima,
        lambda: {"model": pop(), "design": f()["grp"], "prior": robust()["P"],
                 "windows": (0.5, 120), "n_starts": 1, "maxiter": 2},
        {"model": ("not",), "design": ("not", []),
         "prior": ("just", np.ones((3, 2)), [[0.15, -8.0, 1.0]], "abc",
                   np.full((2, 3), np.nan), np.zeros((0, 3))),
         "criterion": ("just", "A", "c", "bogus", 3, None),
         "fim": ("choice", ("full", "reduced")), "rng": "rng",
         "windows": ("just", (120, 0.5), (-1, 120), "ab")})
    out["pkpd.efficiency_under_uncertainty"] = E_(
        pkpd.efficiency_under_uncertainty,
        lambda: {"model": pop(), "design": f()["grp"], "prior": robust()["P"],
                 "reference": robust()["ref"]},
        {"model": ("not",), "design": ("not", []),
         "prior": ("just", np.ones((3, 2)), [[0.15, -8.0, 1.0]], "abc",
                   np.full((2, 3), np.nan), robust()["P"][:1], robust()["P"] * 1.01),
         "reference": ("just", "abc", 3, robust()["ref_full"]),
         "levels": ("just", [1.5], [-0.1], [np.nan], [], "abc", [[0.5]]),
         "criterion": ("just", "A", "c", "bogus", 3, None),
         "fim": ("choice", ("full", "reduced"))})
    out["pkpd.optimize_design[Ds,c]"] = E_(
        lambda **k: pkpd.optimize_design(pop(), f()["grp"], windows=(0.5, 120), n_starts=1,
                                         maxiter=2, **k),
        lambda: {"criterion": "Ds", "params": ["CL"]},
        {"params": ("just", ["nope"], 3, [], ["CL", "CL"])})
    out["pkpd.cost_design[Ds,c]"] = E_(
        lambda **k: pkpd.cost_design(pop(), f()["seqs"], **k),
        lambda: {"criterion": "c", "derived": "AUC"},
        {"derived": ("just", "nope", 3, lambda b: np.nan)})
    out["pkpd.cost_design"] = E_(
        pkpd.cost_design, lambda: {"model": pop(), "sequences": f()["seqs"]},
        {"model": ("not",), "sequences": ("not", [], [3]),
         "costs": "pos_array", "criterion": ("choice", pkpd.CRITERIA),
         "fim": ("choice", ("full", "reduced")),
         "algorithm": ("choice", ("rex", "multiplicative", "fedorov_wynn")),
         "tol": ("scalar", 0.0, 1.0)})
    out["pkpd.candidate_sequences"] = E_(
        pkpd.candidate_sequences, lambda: {"grid": [1.0, 2.0, 4.0], "n_samples": 2},
        {"grid": ("nonneg_array", TL),
         "n_samples": ("just", 0, 4, 2.5, "2", None, [0], []),
         "dose": ("just", -70.0, "70", np.nan), "min_spacing": ("scalar", 0.0, None, False),
         "max_sequences": ("int", 1)})
    out["pkpd.derived_gradient"] = E_(
        pkpd.derived_gradient, lambda: {"model": pop(), "derived": "Cmax", "dose": 70,
                                        "t_max": 24.0},
        {"model": ("not",), "derived": ("just", "nope", 3, None, lambda b: [1.0, 2.0],
                                        lambda b: np.nan),
         "dose": ("just", -70.0, "70", np.nan, None), "t_max": ("scalar", 0.0)})
    out["pkpd.prior_sample"] = E_(
        pkpd.prior_sample, lambda: {"model": pop(), "cv": 0.3, "n_draws": 4},
        {"model": ("not",), "cv": ("just", -0.3, np.nan, [0.3, 0.3], "ab", {"XX": 0.3},
                                   {"CL": -1.0}, {"CL": "a"}, None),
         "n_draws": ("int", 1), "rng": "rng"})
    # sampling windows (pkpd.windows)
    vwin = lambda: {"model": pop(), "design": f()["grp"], "windows": (0.4, 130),  # noqa: E731
                    "n_draws": 4, "rng": 0}
    win_common = {"model": ("not",), "design": ("not", []),
                  "criterion": ("just", "c", "bogus", 3, None),
                  "fim": ("choice", ("full", "reduced")), "n_draws": ("int", 2), "rng": "rng"}
    out["pkpd.window_efficiency"] = E_(pkpd.window_efficiency, vwin, {
        **win_common,
        "windows": ("just", (130, 0.4), (-1, 130), (np.nan, 1), (1.0, 2.0), "ab",
                    [(0.4, 130)] * 2)})
    out["pkpd.window_efficiency[Ds]"] = E_(
        lambda **k: pkpd.window_efficiency(pop(), f()["grp"], (0.4, 130), n_draws=4,
                                           criterion="Ds", **k),
        lambda: {"params": ["CL"]}, {"params": ("just", ["nope"], 3, [], ["CL", "CL"])})
    out["pkpd.largest_windows"] = E_(
        pkpd.largest_windows,
        lambda: {"model": pop(), "design": f()["grp"], "efficiency": 0.9, "n_draws": 4,
                 "n_grid": 2, "tol": 0.2, "rng": 0},
        {**win_common, "efficiency": ("scalar", 0.0, 1.0),
         "relative": ("just", "yes", None, 2),
         "max_half_width": ("just", 0.0, -1.0, np.nan, "1", [1.0]),
         "n_grid": ("int", 1), "tol": ("scalar", 0.0, 1.0)})
    out["pkpd.symmetric_windows"] = E_(
        pkpd.symmetric_windows, lambda: {"design": f()["grp"], "half_width": 0.1},
        {"design": ("not", []), "half_width": ("scalar", 0.0, None, False),
         "relative": ("just", "yes", None, 2)})
    out["pkpd.CostDesignResult.subjects"] = E_(
        lambda **k: f()["cres"].subjects(**k), lambda: {"budget": 100.0},
        {"budget": ("scalar", 0.0)})
    out["pkpd.CostDesignResult.rse"] = E_(lambda **k: f()["cres"].rse(**k),
                                          lambda: {"budget": 100.0},
                                          {"budget": ("scalar", 0.0)})
    out["pkpd.CostDesignResult.summary"] = E_(
        lambda **k: f()["cres"].summary(**k), lambda: {"budget": 100.0},
        {"budget": ("just", 0.0, -1.0, np.nan, np.inf, "a", 1j, 1e308)})
    out["pkpd.OptimizationResult.plot"] = E_(lambda **k: f()["ores"].plot(**k),
                                             lambda: {"ax": None, "n_points": 50},
                                             {"ax": ("just", "abc", 3.0, np.eye(2)),
                                              "n_points": ("int", 2)})
    return out


@functools.cache
def _comparison():
    """A small DesignComparison of two warfarin designs (FO reduced and exact)."""
    grp = F()["grp"]
    return pkpd.compare_designs(F()["pop"], {"a": grp, "b": pkpd.Group(grp.times[1:], 32,
                                                                       dose=70)},
                                approximations=["FO reduced", "exact"], n_samples=5,
                                n_nodes=1, rng=0)


@functools.cache
def TABLE():
    return {**design_entries(), **pkpd_entries()}


# ============================================================ enumeration and exemptions
#: Public callables that take no argument (besides ``self``): nothing can be bad.
NO_ARGUMENTS = {
    "design.D", "design.A", "design.E", "design.DesignResult.information",
    "design.BasisModel.example_x", "design.BasisModel.example_theta",
    "design.InformationCandidates.example_x", "design.InformationCandidates.example_theta",
    "design.Design.summary", "design.ExactDesign.summary", "design.ExactDesign.to_design",
    "design.DesignResult.summary", "design.EquivalenceResult.summary",
    "design.ExactDesignResult.summary", "design.MaximinResult.summary",
    "pkpd.PopulationFIM.covariance", "pkpd.PopulationFIM.summary",
    "pkpd.OptimizationResult.summary", "pkpd.WindowEfficiency.summary",
    "pkpd.PriorEfficiency.summary",
    "pkpd.DesignComparison.summary", "pkpd.DesignComparison.exact_efficiency",
}

#: Abstract base classes: their methods are exercised on every concrete subclass above
#: (the subclasses inherit them), so they need no entries of their own.
ABSTRACT = {"design.Criterion", "pkpd.StructuralModel", "pkpd.ResidualError"}

#: Public callables without a table entry, and why.
EXEMPT = {
    # abstract base classes: users subclass them, they are never called with user data;
    # their public methods are covered through every concrete subclass above
    "design.Criterion": "abstract base class (no constructor arguments)",
    "pkpd.StructuralModel": "abstract base class; methods covered on each concrete model",
    "pkpd.ResidualError": "abstract base class; methods covered on each concrete error",
    # result records: built by the library from validated values, not by users
    "design.DesignResult": "result record constructed by optimal_design",
    "design.EquivalenceResult": "result record constructed by check_equivalence",
    "design.ExactDesignResult": "result record constructed by exact_design",
    "design.MaximinResult": "result record constructed by maximin_design",
    "pkpd.PopulationFIM": "result record constructed by PopulationModel.fim",
    "pkpd.OptimizationResult": "result record constructed by optimize_design",
    "pkpd.CostDesignResult": "result record constructed by cost_design",
    "pkpd.WindowEfficiency": "result record constructed by window_efficiency / "
                             "largest_windows",
    "pkpd.LocalOptima": "result record constructed by local_optima",
    "pkpd.PriorEfficiency": "result record constructed by efficiency_under_uncertainty",
    "pkpd.DesignComparison": "result record constructed by compare_designs",
    # inherited from fisherstat.models.Model unchanged (a constructor of another model,
    # covered by tests/test_bad_input.py)
    "design.G.values": "not available for G (its value needs the region's points): a "
                       "TypeError for every input, tested in test_design_criteria.py",
    "design.BasisModel.from_logpdf": "inherited Model.from_logpdf (test_bad_input.py)",
    "design.InformationCandidates.from_logpdf": "inherited Model.from_logpdf "
                                                "(test_bad_input.py)",
    **{f"design.{cls}.{meth}": f"inherited Model.{meth} (test_bad_input_core.py)"
       for cls in ("BasisModel", "InformationCandidates")
       for meth in ("max_loglik", "typical_scale")},
}


def public_callables():
    """``{key: callable}`` of every public function, class and method of the namespaces."""
    out = {}
    for prefix, mod in (("design", design), ("pkpd", pkpd)):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                out[f"{prefix}.{name}"] = obj
                for m, _ in inspect.getmembers(obj):
                    if m.startswith("_"):
                        continue
                    raw = inspect.getattr_static(obj, m)
                    if isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
                        out[f"{prefix}.{name}.{m}"] = getattr(obj, m)
            elif callable(obj):
                out[f"{prefix}.{name}"] = obj
    return out


def _takes_arguments(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover
        return True
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    return bool(params)


def test_every_public_callable_has_a_table_entry():
    table = TABLE()
    covered = {k.split("[")[0] for k in table}
    found = public_callables()
    missing = sorted(k for k in found if k not in covered and k not in EXEMPT
                     and k not in NO_ARGUMENTS and ".".join(k.split(".")[:2]) not in ABSTRACT)
    assert not missing, f"public callables without a bad-input entry or exemption: {missing}"
    for k in NO_ARGUMENTS:
        assert k in found and not _takes_arguments(found[k]), k
    for k in EXEMPT:
        assert k in found, f"stale exemption {k}"
    stale = sorted(k for k in covered if k not in found)
    assert not stale, f"table entries for callables that do not exist: {stale}"
    # every entry gets bad values for at least one argument
    for k, e in table.items():
        assert e.bad, f"{k} has no bad arguments"


CASES = sorted((k, arg) for k, e in TABLE().items() for arg in e.bad)


@functools.cache
def _default_is_none(key, arg):
    fn = public_callables().get(key.split("[")[0])
    try:
        par = inspect.signature(fn).parameters.get(arg)
    except (TypeError, ValueError):  # pragma: no cover
        return False
    return par is not None and par.default is None


def _word(arg):
    # the message must name the argument (a few arguments are named after the parameter
    # they carry, e.g. Additive(value) -> "sig2_add")
    alias = {"value": r"value|sig2_add|sig2_prop|error parameters",
             "add": "add", "prop": "prop", "prior": "prior", "values": "values|error parameters",
             "f": r"\bf\b|f\(", "spec": "spec|criterion", "n": r"\bn\b",
             "bogus": "bogus|unknown", "windows": "windows?"}
    return alias.get(arg, re.escape(arg))


@pytest.mark.parametrize("key, arg", CASES, ids=[f"{k}-{a}" for k, a in CASES])
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=[HealthCheck.too_slow,
                                                            HealthCheck.filter_too_much])
@given(data=st.data())
def test_bad_argument_is_rejected_naming_it(key, arg, data):
    entry = TABLE()[key]
    kw = entry.valid()
    bad = data.draw(strategy(entry.bad[arg], kw.get(arg)), label=arg)
    assume(not (bad is None and _default_is_none(key, arg)))  # None is the valid default
    kw[arg] = bad
    with pytest.raises((ValueError, TypeError)) as info:
        entry.call(**kw)
    msg = str(info.value)
    assert re.search(_word(arg), msg), f"{key}({arg}={bad!r}): message {msg!r} does not name it"
    assert ALLOWED_RE.search(msg), f"{key}({arg}={bad!r}): message {msg!r} says nothing allowed"


# ================================================================ values near overflow
def _overflow_cases():
    f = F
    th = np.array([0.15, 8.0, 1.0])
    t = np.array([0.5, 2.0, 24.0])
    return {
        "D.value(s M)": (lambda s: design.D().value(s * f()["M"]), "M"),
        "A.value(M / s)": (lambda s: design.A().value(f()["M"] / s), "M"),
        "D.gradient(M / s)": (lambda s: design.D().gradient(f()["M"] / s), "M"),
        "c.sensitivity(factor s)": (lambda s: design.c([1.0, 0, 0]).sensitivity(
            f()["M"], factor=s * f()["Fp"]), "M|factor"),
        "optimal_design(sigma2 = s)": (lambda s: design.optimal_design(
            f()["model"], [0.0, 0.0, 0.0, s], f()["X"], rng=0), "candidates"),
        "optimal_design(sigma2 = 1 / s)": (lambda s: design.optimal_design(
            f()["model"], [0.0, 0.0, 0.0, 1 / s], f()["X"], rng=0), "candidates"),
        "optimal_design(candidates +-s)": (lambda s: design.optimal_design(
            f()["model"], None, [-s, 0.0, s], rng=0), "candidates"),
        "optimal_weights(s M_i)": (lambda s: design.optimal_weights(s * f()["info3"], rng=0),
                                   "information|candidates"),
        "efficient_rounding(n_runs = s)": (lambda s: design.efficient_rounding(
            f()["dsg"], s), "n_runs"),
        "ExactDesign(counts s)": (lambda s: design.ExactDesign([0.0, 1.0], [s, 1]), "counts"),
        "Design(weights s)": (lambda s: design.Design([0.0, 1.0, 2.0], [s, s, 1.0]).weights,
                              "weights"),
        "OneCompartment.jacobian(CL = s)": (lambda s: f()["oral"].jacobian(t, [s, 8.0, 1.0],
                                                                           70), "theta"),
        "OneCompartment.jacobian(V = 1 / s)": (lambda s: f()["oral"].jacobian(
            t, [0.15, 1 / s, 1.0], 70), "theta"),
        "OneCompartment.jacobian(dose = s)": (lambda s: f()["oral"].jacobian(t, th, s),
                                              "dose"),
        "steady state tau = 1 / s": (lambda s: f()["oral"].predict(
            [1.0], th, pkpd.Regimen.steady_state(70, tau=1 / s)), "dose"),
        "PopulationModel.fim(size = s)": (lambda s: f()["pop"].fim(
            f()["grp"].replace(size=s)).matrix, "size"),
        "PopulationModel.fim(dose = s)": (lambda s: f()["pop"].fim(
            f()["grp"].replace(dose=s)).matrix, "dose"),
        "CostDesignResult.rse(budget = s)": (lambda s: f()["cres"].rse(s), "budget"),
        "prior_sample(cv = s)": (lambda s: pkpd.prior_sample(f()["pop"], s, 3, rng=0), "cv"),
    }


OVERFLOW = sorted(_overflow_cases())


def _all_finite(out) -> bool:
    if hasattr(out, "design") and hasattr(out, "value"):
        out = [out.value, out.design.weights]
    arrs = out if isinstance(out, (list, tuple)) else [out]
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in arrs)


@pytest.mark.parametrize("name", OVERFLOW)
@settings(max_examples=MAX_EXAMPLES)
@given(scale=st.floats(1e290, 1e308))
def test_values_near_overflow_give_a_named_error_or_a_finite_result(name, scale):
    """A magnitude near 1e308 (or its reciprocal) either works (a finite result, no
    RuntimeWarning: pyproject turns them into errors) or is a ValueError naming the argument
    -- never a LinAlgError, a silent inf/NaN or garbage from an integer overflow."""
    call, word = _overflow_cases()[name]
    try:
        out = call(scale)
    except (ValueError, TypeError) as exc:
        assert re.search(word, str(exc)), f"{name}: {exc}"
        return
    assert _all_finite(out), f"{name}: returned non-finite {out!r}"
