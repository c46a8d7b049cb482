"""Bad input to every public callable of ``fisherstat.nn`` gets a ValueError/TypeError naming it.

Table-driven, like tests/test_bad_input.py: ``CASES`` lists, for every public function,
class constructor and public method reachable from ``fisherstat.nn.__all__``, each
argument with the *kind* of value it takes; hypothesis draws bad values of that kind (NaN,
inf, wrong shapes and lengths, empty arrays, strings, complex, object and ragged lists,
None, out-of-range numbers, unknown names, bad ``rng``, values near overflow) and the call
must raise ``ValueError`` (bad value) or ``TypeError`` (bad type) with the argument's name
in the message -- never an IndexError/LinAlgError/ZeroDivisionError/AttributeError/KeyError
from deep inside, and never a silent NaN.

``test_every_public_callable_has_an_entry`` enumerates ``__all__`` with ``inspect``: a new
public callable fails it until it gets a row in ``CASES`` or a commented line in ``EXEMPT``.
The model-contract methods of ``MLP`` (loglik, score, fit, ...) are covered by
tests/test_bad_input.py, where the network is in the model registry.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
import fisherstat.nn as nn
import fisherstat.nn.plateau  # noqa: F401 (the module, for its DEFAULT_TEACHER)
from fisherstat.models.base import RegressionModel
from fisherstat.nn import (
    EWC,
    MLP,
    SGD,
    Adam,
    Affine,
    FisherMonitor,
    L2Anchor,
    NaturalGradient,
    PenaltySum,
    QuadraticPenalty,
    Task,
)

NAN, INF, HUGE = float("nan"), float("inf"), 1e308
#: Expected outcome of finite values near overflow: a ValueError naming the argument, or a
#: result whose every number is finite (no RuntimeWarning: they are errors in the tests).
OVERFLOW = "overflow"

# ------------------------------------------------------------------ tiny fixtures
X = np.random.default_rng(0).standard_normal((6, 2))
CLS = MLP((2, 3, 2), "tanh", "softmax")  # P = 17 weights
REG = MLP((2, 3, 1), "tanh", "linear")
T_CLS, T_REG = CLS.init(rng=0), REG.init(rng=0)
Y_CLS = np.array([0, 1, 0, 1, 1, 0])
Y_REG = X[:, 0].copy()
P = CLS.n_weights


@cache
def operators():
    ops = {s: nn.fisher(CLS, T_CLS, X, "exact", s) for s in nn.STRUCTURES}
    ops["dense matrix"] = nn.fisher(CLS, T_CLS, X, "exact", "dense", factor="never")
    return ops


@cache
def monitor_record():
    mon = FisherMonitor(CLS, exact=True, spectrum=True, lr=0.1)
    nn.train(CLS, T_CLS, X, Y_CLS, SGD(lr=0.1), n_steps=3, callback=mon)
    return mon.record


@cache
def tasks():
    return nn.make_permuted_tasks(2, n_train=10, n_test=6, n_features=4, n_classes=2,
                                  rng=0)


CL_NET = MLP((4, 3, 2), "tanh", "softmax")


@cache
def continual_result():
    return nn.continual_learning(CL_NET, tasks(), methods=("sgd", "ewc"), kind="exact",
                                 lam=1.0, n_steps=2, batch_size=None, rng=0)


@cache
def pools():
    Xp, yp = nn.make_redundant_pool(24, rng=0)
    Xt, yt = nn.make_redundant_pool(8, rng=1)
    return Xp, yp, Xt, yt


AL = dict(n_initial=4, batch_size=2, n_rounds=1, n_steps=3)


@cache
def active_result():
    return nn.active_learning(CLS, *pools(), strategy="egl", rng=0, **AL)


@cache
def curves():
    return nn.compare_strategies(CLS, *pools(), strategies=("egl", "random"), n_seeds=2,
                                 rng=0, **AL)


@cache
def order():
    return nn.order_parameters("tanh", 2.0, 0.1, 3, n_quad=8)


@cache
def sweep():
    return nn.width_sweep((4, 6), depth=1, n_outputs=1, n_samples=4, n_networks=1, n_mc=2,
                          rng=0)


@cache
def problem():
    return nn.teacher_student(n=40, rng=0)


@cache
def escape():
    p = problem()
    return nn.escape_run(p, SGD(lr=0.1), p.start(rng=0), 4)


@cache
def ewc():
    return EWC.from_task(CLS, T_CLS, X, kind="exact", lam=1.0)


@cache
def axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


# ------------------------------------------------------- bad values, kind by kind
# Each strategy draws (bad value, expected exception). ValueError: a bad value of the
# right type; TypeError: a value of the wrong type.

def _types(*extra):
    """Values of the wrong type for a numeric argument."""
    return st.sampled_from(["1.0", b"1", None, 1 + 2j, object(), {"a": 1}, *extra]).map(
        lambda v: (v, TypeError))


def _nonfinite():
    return st.sampled_from([NAN, INF, -INF]).map(lambda v: (v, ValueError))


def pos_float():
    """> 0: zero, negatives, NaN/inf, strings, None, complex."""
    return st.one_of(st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)
                     .map(lambda v: (v, ValueError)), _nonfinite(), _types(True, [1.0]))


def nonneg_float():
    """>= 0."""
    return st.one_of(st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False)
                     .map(lambda v: (v, ValueError)), _nonfinite(), _types(True, [1.0]))


def interval(lo, hi, lo_closed=True, hi_closed=False):
    """In [lo, hi) (or the given closedness)."""
    below = st.floats(max_value=lo, allow_nan=False, allow_infinity=False)
    above = st.floats(min_value=hi, allow_nan=False, allow_infinity=False)
    if lo_closed:
        below = below.filter(lambda v: v < lo)
    if hi_closed:
        above = above.filter(lambda v: v > hi)
    return st.one_of(below.map(lambda v: (v, ValueError)), above.map(lambda v: (v, ValueError)),
                     _nonfinite(), _types(True))


def real():
    """Any finite real."""
    return st.one_of(_nonfinite(), _types(True))


def pos_int(low=1):
    """Integer >= low: too small, non-integral floats, bools, strings, None."""
    return st.one_of(st.integers(max_value=low - 1).map(lambda v: (v, ValueError)),
                     st.sampled_from([2.5, -0.5]).map(lambda v: (v, TypeError)),
                     st.sampled_from([NAN, INF]).map(lambda v: (v, TypeError)),
                     _types(True, [3]))


def name(allowed):
    """Unknown names: other strings (wrong case, empty, near misses), None, numbers, lists."""
    allowed = set(allowed)
    text = st.one_of(st.text(max_size=8), st.sampled_from(
        [a.upper() + "_" for a in allowed] + [a + " " for a in allowed] + ["", "bogus"]))
    low = {a.lower() for a in allowed}
    return st.one_of(text.filter(lambda s: s.strip().lower() not in low).map(
        lambda v: (v, ValueError)),
                     st.sampled_from([None, 3, 1.5, sorted(allowed)[:1], object()]).map(
                         lambda v: (v, (ValueError, TypeError))))


def rng_bad():
    return st.one_of(st.integers(max_value=-1).map(lambda v: (v, ValueError)),
                     st.sampled_from(["seed", 1.5, object(), [1, 2], np.random.RandomState(0),
                                      True]).map(lambda v: (v, TypeError)))


def bool_bad():
    return st.sampled_from(["yes", "False", 2, 1.0, None, [True]]).map(lambda v: (v, TypeError))


def instance_bad():
    """For arguments that must be a library object (net, optimizer, order, problem, ...)."""
    return st.sampled_from(["net", None, 3, np.zeros(3), fs.models.Normal(), object()]).map(
        lambda v: (v, TypeError))


def ax_bad():
    return st.sampled_from(["ax", 3, object()]).map(lambda v: (v, TypeError))


def array(good, *, fixed=True, huge=False, columns=False, empty=True, extra_dim=True):
    """Bad arrays shaped like ``good``.

    NaN/inf at a drawn index, one extra dimension, strings, None, complex, object and ragged
    lists; with ``fixed`` (the length is determined) one entry too many or too few; with
    ``columns`` (a design matrix) a wrong number of columns; with ``huge`` entries of 1e308
    (overflow inside); with ``empty`` zero rows.
    """
    good = np.asarray(good, dtype=float)
    n = good.size

    def poke(i, value):
        a = good.copy().ravel()
        a[i] = value
        return a.reshape(good.shape)

    bad = [st.tuples(st.integers(0, n - 1), st.sampled_from([NAN, INF, -INF]))
           .map(lambda t: (poke(*t), ValueError)),
           *([st.just((good[None], ValueError))] if extra_dim else []),
           st.sampled_from(["abc", None, good.tolist().__repr__(), object(), {"a": 1}])
           .map(lambda v: (v, TypeError)),
           st.sampled_from([(good + 1j).tolist(), good + 1j]).map(lambda v: (v, TypeError)),
           st.just(([[1.0, 2.0], [3.0]], (TypeError, ValueError))),
           st.just(([object()] * max(n, 1), TypeError))]
    if fixed:
        flat = good.ravel()
        bad.append(st.sampled_from([np.append(flat, 1.0), flat[:-1]]).map(
            lambda v: (v if good.ndim == 1 else v, ValueError)))
    if columns:
        bad.append(st.sampled_from([good[:, :1], np.hstack([good, good[:, :1]]), good[0]])
                   .map(lambda v: (v, ValueError)))
    if empty:
        bad.append(st.just((good[:0], ValueError)))
    if huge:
        bad.append(st.floats(1e300, 1e308).map(lambda h: (np.full_like(good, h), OVERFLOW)))
    return st.one_of(*bad)


def labels(good, C, *, fixed=True):
    """Categorical labels: out of 0..C-1 (C None: negative), non-integral, NaN, wrong length,
    strings."""
    good = np.asarray(good)

    def put(i, v):
        a = good.astype(float).copy()
        a[i] = v
        return a

    return st.one_of(
        st.tuples(st.integers(0, good.size - 1),
                  st.one_of(st.integers(max_value=-1),
                            st.integers(min_value=C if C else -1, max_value=C + 10**9 if C
                                        else -1),
                            st.sampled_from([0.5, NAN, INF, HUGE])))
        .map(lambda t: (put(*t), ValueError)),
        st.just((good[:, None].repeat(2, 1), ValueError)),
        st.sampled_from(["abc", object()]).map(lambda v: (v, TypeError)),
        st.just((None, (TypeError, ValueError))),  # None: "y is required" is a ValueError
        *([st.sampled_from([good[:-1], np.append(good, 0)]).map(lambda v: (v, ValueError))]
          if fixed else []),
        st.just((good[:0], ValueError)))


def steps_bad(n_steps):
    return st.one_of(st.sampled_from([[-1], [n_steps + 1], [0.5], [], [[0]]]).map(
        lambda v: (v, ValueError)), st.sampled_from(["abc", object()]).map(
        lambda v: (v, TypeError)))


# ---------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Case:
    entry: str  # "function", "Class" (constructor) or "Class.method"
    arg: str
    bad: object  # a zero-argument function returning the hypothesis strategy
    call: object  # value -> result
    word: str  # what the message must contain


CASES: list[Case] = []
#: responses are named "data" in the messages (the model contract's name), or y
Y_WORD = r"\bdata\b|\by\b"


def add(entry, fn, good: dict, kinds: dict, word: dict | None = None, optional=()):
    """One case per argument in ``kinds``: ``fn(**good)`` with that argument replaced.

    ``fn`` is a zero-argument function returning the callable (so that expensive
    receivers are built only when the case runs). For the arguments in ``optional``
    ``None`` is valid (the default) and is not drawn.
    """
    for arg, bad in kinds.items():
        if arg in optional:
            bad = _without_none(bad)
        CASES.append(Case(entry, arg, bad,
                          lambda v, arg=arg: fn()(**{**good(), arg: v}),
                          (word or {}).get(arg, rf"\b{arg}\b")))


def _without_none(bad):
    return lambda: bad().filter(lambda t: t[0] is not None)


def G(**kw):
    """Good arguments, evaluated lazily."""
    return lambda: {k: (v() if callable(v) and getattr(v, "_lazy", False) else v)
                    for k, v in kw.items()}


def lazy(f):
    f._lazy = True
    return f


def theta_cls():
    return array(T_CLS)


def theta_reg():
    return array(T_REG)


def x_bad():
    return array(X, fixed=False, columns=True, huge=True)


def y_bad():
    return labels(Y_CLS, 2)


# --- MLP and its methods beyond the model contract
add("MLP", lambda: MLP, G(sizes=(2, 3, 2), activation="tanh", output="softmax"), {
    "sizes": lambda: st.one_of(
        st.lists(st.integers(max_value=0), min_size=1, max_size=3).map(
            lambda s: ((2, *s, 2), ValueError)),
        st.sampled_from([(2,), ()]).map(lambda v: (v, ValueError)),
        st.sampled_from([(2, 2.5, 2), (2, "3", 2), "23", 3, None, (2, None)]).map(
            lambda v: (v, TypeError)),
        st.just(((2, 3, 1), ValueError))),  # softmax needs >= 2 classes
    "activation": lambda: name(nn.ACTIVATIONS),
    "output": lambda: name(("linear", "softmax", "sigmoid")),
    "bias": bool_bad,
})
add("MLP", lambda: MLP, G(sizes=(2, 3, 1), output="linear"), {"sigma2": pos_float},
    optional={"sigma2"})
for meth, kinds in {
    "forward": {"theta": theta_cls, "X": x_bad},
    "predict": {"theta": theta_cls, "X": x_bad},
    "jacobian": {"theta": theta_cls, "X": x_bad},
    "loss": {"theta": theta_cls, "X": x_bad, "y": y_bad},
    "loss_and_grad": {"theta": theta_cls, "X": x_bad, "y": y_bad},
    "grad": {"theta": theta_cls, "X": x_bad, "y": y_bad},
    "per_sample_grad": {"theta": theta_cls, "X": x_bad, "y": y_bad},
    "accuracy": {"theta": theta_cls, "X": x_bad, "y": y_bad},
}.items():
    add(f"MLP.{meth}", lambda meth=meth: getattr(CLS, meth),
        G(theta=T_CLS, X=X, y=Y_CLS) if "y" in kinds else G(theta=T_CLS, X=X), kinds,
        {"y": Y_WORD})
add("MLP.jvp", lambda: CLS.jvp, G(theta=T_CLS, X=X, v=np.ones(P)),
    {"theta": theta_cls, "X": x_bad, "v": lambda: array(np.ones(P), huge=True)})
add("MLP.vjp", lambda: CLS.vjp, G(theta=T_CLS, X=X, u=np.ones((6, 2))),
    {"theta": theta_cls, "X": x_bad, "u": lambda: array(np.ones((6, 2)), huge=True)})
# --- the low-level forward/backward API
add("MLP.forward_pass", lambda: CLS.forward_pass, G(theta=T_CLS, X=X),
    {"theta": theta_cls, "X": lambda: array(X, fixed=False, columns=True)}, {"X": r"\bX\b"})
add("MLP.check_inputs", lambda: CLS.check_inputs, G(X=X), {"X": x_bad}, {"X": r"\bx\b"})
add("MLP.check_labelled", lambda: CLS.check_labelled, G(y=Y_CLS, X=X),
    {"y": y_bad, "X": lambda: array(X, fixed=False, columns=True)},
    {"y": r"\bdata\b", "X": r"\bx\b"})
add("MLP.output_distribution", lambda: CLS.output_distribution, G(theta=T_CLS),
    {"theta": theta_cls})


def _pass():
    return CLS.forward_pass(T_CLS, X)


def _bad_pass():
    return st.sampled_from(["abc", None, 3, (1, 2, 3)]).map(lambda v: (v, TypeError))


def _bad_signal(good_shape):
    """Signals of the low-level API: wrong types and shapes (their values are not checked
    for finiteness: the callers check what they compute from them)."""
    return st.sampled_from([("abc", TypeError), (None, TypeError),
                            (np.ones(good_shape[:-1] + (good_shape[-1] + 1,)), ValueError),
                            (np.ones((good_shape[0] + 1,) + good_shape[1:]), ValueError)])


add("MLP.backward_pass", lambda: CLS.backward_pass,
    G(cache=lazy(_pass), grad_out=np.ones((6, 2))),
    {"cache": _bad_pass, "grad_out": lambda: _bad_signal((6, 2))})
add("MLP.tangent", lambda: CLS.tangent, G(cache=lazy(_pass), v=np.ones(P)),
    {"cache": _bad_pass, "v": lambda: _bad_signal((P,))})
_DELTAS = st.sampled_from([("abc", TypeError), (None, TypeError), ([np.ones(3)], TypeError)])
add("MLP.weight_gradient", lambda: CLS.weight_gradient,
    G(cache=lazy(_pass), deltas=lazy(lambda: CLS.backward_pass(_pass(), np.ones((6, 2))))),
    {"cache": _bad_pass, "deltas": lambda: _DELTAS})
add("MLP.signal_gradients", lambda: CLS.signal_gradients,
    G(cache=lazy(_pass), deltas=lazy(lambda: CLS.backward_pass(_pass(), np.ones((6, 1, 2))))),
    {"cache": _bad_pass, "deltas": lambda: _DELTAS})
add("MLP.layer_inputs", lambda: CLS.layer_inputs, G(cache=lazy(_pass)), {"cache": _bad_pass})
add("MLP.kl_divergence", lambda: CLS.kl_divergence, G(theta=T_CLS, theta2=T_CLS, X=X),
    {"theta": theta_cls, "theta2": theta_cls, "X": x_bad})
add("MLP.unflatten", lambda: CLS.unflatten, G(theta=T_CLS), {"theta": theta_cls})
add("MLP.canonical", lambda: CLS.canonical, G(theta=T_CLS), {"theta": theta_cls})
add("MLP.check_y", lambda: CLS.check_y, G(data=Y_CLS), {"data": lambda: labels(Y_CLS, 2,
                                                                               fixed=False)})
add("MLP.check_y", lambda: CLS.check_y, G(data=Y_CLS, n=6), {"n": lambda: pos_int(0)},
    optional={"n"})
add("MLP.flatten", lambda: REG.flatten, G(weights=REG.unflatten(T_REG)), {
    "weights": lambda: st.one_of(
        st.sampled_from([[], REG.unflatten(T_REG)[:1], REG.unflatten(T_REG) * 2]).map(
            lambda v: (v, ValueError)),
        st.sampled_from([[(np.ones((3, 3)), np.ones(3)), (np.ones((1, 3)), np.ones(1))],
                         [(np.full((3, 2), NAN), np.ones(3)), (np.ones((1, 3)), np.ones(1))]])
        .map(lambda v: (v, ValueError)),
        st.sampled_from([None, 3, [3, 4], [("a", "b"), ("c", "d")]]).map(
            lambda v: (v, TypeError))),
    "sigma2": lambda: st.just((1.0, ValueError)),  # only for an estimated sigma2
}, {"weights": "weights|W1|b1|W2|b2"})
add("MLP.init", lambda: CLS.init, G(), {"rng": rng_bad, "sigma_w2": nonneg_float,
                                        "sigma_b2": nonneg_float})
add("MLP.check_x", lambda: CLS.check_x, G(x=X),
    {"x": lambda: array(X, fixed=False, columns=True)})

# --- layers
add("Affine", lambda: Affine, G(n_in=2, n_out=3), {"n_in": pos_int, "n_out": pos_int,
                                                   "bias": bool_bad})
LAYER = Affine(2, 3)
V = np.ones((3, 3))
A2 = np.ones((4, 2))
add("Affine.forward", lambda: LAYER.forward, G(V=V, a=A2),
    {"V": lambda: array(V), "a": lambda: array(A2, fixed=False, columns=True)})
add("Affine.split", lambda: LAYER.split, G(V=V), {"V": lambda: array(V)})
add("Affine.augment", lambda: LAYER.augment, G(a=A2),
    {"a": lambda: array(A2, fixed=False, columns=True)})
add("Affine.input_cotangent", lambda: LAYER.input_cotangent, G(V=V, delta=np.ones((4, 3))),
    {"V": lambda: array(V), "delta": lambda: array(np.ones((4, 3)), fixed=False,
                                                   columns=True, extra_dim=False)})
add("Affine.gradient", lambda: LAYER.gradient, G(a=A2, delta=np.ones((4, 3))),
    {"a": lambda: array(A2, fixed=False, columns=True),
     "delta": lambda: array(np.ones((4, 3)), fixed=False, columns=True)})
add("Affine.per_sample_rows", lambda: LAYER.per_sample_rows,
    G(a=A2, delta=np.ones((4, 1, 3))),
    {"a": lambda: array(A2, fixed=False, columns=True),
     "delta": lambda: array(np.ones((4, 1, 3)), fixed=False)})
add("Affine.tangent", lambda: LAYER.tangent, G(V=V, dV=V, a=A2, da=A2),
    {"V": lambda: array(V), "dV": lambda: array(V),
     "a": lambda: array(A2, fixed=False, columns=True),
     "da": lambda: array(A2, fixed=False, columns=True)}, optional={"da"})
# --- fisher, per_sample_traces
FISHER_KINDS = {
    "net": instance_bad, "theta": theta_cls, "X": x_bad,
    "kind": lambda: name(nn.KINDS), "rng": rng_bad, "n_samples": pos_int,
}
add("fisher", lambda: nn.fisher, G(net=CLS, theta=T_CLS, X=X, kind="monte_carlo"),
    {**FISHER_KINDS, "structure": lambda: name(nn.STRUCTURES),
     "factor": lambda: name(("auto", "never", "always")), "pi_damping": bool_bad})
add("fisher", lambda: nn.fisher, G(net=CLS, theta=T_CLS, X=X, kind="empirical", y=Y_CLS),
    {"y": y_bad}, {"y": Y_WORD})
add("per_sample_traces", lambda: nn.per_sample_traces,
    G(net=CLS, theta=T_CLS, X=X, kind="monte_carlo"), FISHER_KINDS)
add("per_sample_traces", lambda: nn.per_sample_traces,
    G(net=CLS, theta=T_CLS, X=X, kind="empirical", y=Y_CLS), {"y": y_bad}, {"y": Y_WORD})

# --- operators
OPERATOR_CLASSES = {"dense": "DenseOperator", "dense matrix": "DenseOperator",
                    "block": "BlockDiagonalOperator", "diag": "DiagonalOperator",
                    "kfac": "KFACOperator", "ekfac": "EKFACOperator",
                    "implicit": "ImplicitOperator"}
for s, cls_name in OPERATOR_CLASSES.items():
    def vec():
        return st.one_of(array(np.ones(P)), array(np.ones((P, 2)), fixed=False),
                         st.just((np.ones((P + 1, 2)), ValueError)),
                         st.just((np.ones((P, 2, 2)), ValueError)))

    # the base class's methods once (on the dense operator), each structure's own below
    for base in (("FisherOperator", cls_name) if s == "dense" else (cls_name,)):
        add(f"{base}.matvec", lambda s=s: operators()[s].matvec, G(v=np.ones(P)), {"v": vec})
        add(f"{base}.vTMv", lambda s=s: operators()[s].vTMv, G(v=np.ones(P)),
            {"v": lambda: st.one_of(array(np.ones(P)), st.just((np.ones((P, 2)), ValueError)))})
        add(f"{base}.solve", lambda s=s: operators()[s].solve, G(v=np.ones(P), damping=0.1),
            {"v": vec, "damping": nonneg_float})
        add(f"{base}.damped", lambda s=s: operators()[s].damped, G(damping=0.1),
            {"damping": nonneg_float})
        add(f"{base}.logdet", lambda s=s: operators()[s].logdet, G(damping=0.1),
            {"damping": nonneg_float})
for cls_name, structure in (("DenseOperator", "dense"), ("DiagonalOperator", "diag"),
                            ("BlockDiagonalOperator", "block"), ("KFACOperator", "kfac"),
                            ("EKFACOperator", "ekfac"), ("FisherOperator", "dense")):
    add(cls_name, lambda cls_name=cls_name: getattr(nn, cls_name),
        G(blocks=lazy(lambda s=structure: operators()[s]._blocks),
          slices=lazy(lambda s=structure: operators()[s]._slices), kind="exact",
          param_names=CLS.param_names[:P], n_inputs=6),
        {"blocks": lambda: st.sampled_from([[np.eye(P)], [None], "abc", 3, None]).map(
            lambda v: (v, TypeError)),
         "slices": lambda: st.sampled_from([[slice(0, 3)], [0], "abc", None]).map(
             lambda v: (v, (TypeError, ValueError))),
         "kind": lambda: name(nn.KINDS),
         "param_names": lambda: st.sampled_from([["a"], ("a",) * P, 3, None]).map(
             lambda v: (v, (TypeError, ValueError))),
         "n_inputs": pos_int})
add("ImplicitOperator", lambda: nn.ImplicitOperator,
    G(net=CLS, theta=T_CLS, cache=lazy(lambda: operators()["implicit"]._cache),
      U=lazy(lambda: operators()["implicit"]._U), kind="exact",
      param_names=CLS.param_names[:P]),
    {"net": instance_bad, "theta": theta_cls,
     "cache": lambda: st.sampled_from(["abc", None, 3]).map(lambda v: (v, TypeError)),
     "U": lambda: array(np.ones((6, 1, 2))), "kind": lambda: name(nn.KINDS),
     "rtol": pos_float, "maxiter": pos_int})

# --- optimizers
add("SGD", lambda: SGD, G(), {"lr": pos_float, "momentum": lambda: interval(0, 1),
                              "nesterov": bool_bad})
add("Adam", lambda: Adam, G(), {"lr": nonneg_float, "beta1": lambda: interval(0, 1),
                                "beta2": lambda: interval(0, 1), "eps": nonneg_float})
add("NaturalGradient", lambda: NaturalGradient, G(), {
    "structure": lambda: name(nn.STRUCTURES), "damping": nonneg_float, "lr": pos_float,
    "kind": lambda: name(nn.KINDS), "n_samples": pos_int, "momentum": lambda: interval(0, 1),
    "solver": lambda: name(("direct", "cg")), "cg_maxiter": pos_int, "kl_clip": pos_float,
    "update_every": pos_int, "pi_damping": bool_bad}, optional={"kl_clip"})
for opt_name, make in (("SGD", lambda: SGD(lr=0.1, momentum=0.5)),
                       ("Adam", lambda: Adam()), ("Optimizer", lambda: SGD(lr=0.1)),
                       ("NaturalGradient", lambda: NaturalGradient("dense"))):
    add(f"{opt_name}.step", lambda make=make: make().step,
        G(theta=T_CLS, grad=np.ones(P), net=CLS, X=X, y=Y_CLS),
        {"theta": theta_cls, "grad": lambda: array(np.ones(P), huge=True)})
add("NaturalGradient.step", lambda: NaturalGradient("dense", kind="monte_carlo").step,
    G(theta=T_CLS, grad=np.ones(P), net=CLS, X=X, y=Y_CLS),
    {"net": instance_bad, "X": x_bad, "rng": rng_bad})
add("NaturalGradient.step", lambda: NaturalGradient("dense", kind="empirical").step,
    G(theta=T_CLS, grad=np.ones(P), net=CLS, X=X, y=Y_CLS), {"y": y_bad}, {"y": Y_WORD})
TRAIN_GOOD = G(net=CLS, theta=T_CLS, X=X, y=Y_CLS, optimizer=SGD(lr=0.1), n_steps=2)
add("train", lambda: nn.train, TRAIN_GOOD, {
    "net": instance_bad, "theta": theta_cls, "X": x_bad, "y": y_bad,
    "optimizer": instance_bad, "n_steps": lambda: pos_int(0), "batch_size": lambda: st.one_of(
        pos_int(), st.just((7, ValueError))), "rng": rng_bad, "record_every": pos_int,
    "target_loss": real,
    "penalty": lambda: st.sampled_from(["abc", 3, L2Anchor(np.zeros(3), 1.0)]).map(
        lambda v: (v, (TypeError, ValueError))),
    "callback": lambda: st.sampled_from(["abc", 3]).map(lambda v: (v, TypeError))},
    {"y": Y_WORD}, optional={"target_loss", "batch_size", "penalty", "callback", "rng"})
add("train", lambda: nn.train, G(net=CLS, theta=T_CLS, X=X, y=Y_CLS, optimizer=SGD(lr=0.1),
                                 n_steps=2, y_test=Y_CLS, X_test=X),
    {"X_test": x_bad, "y_test": y_bad}, {"X_test": r"\bX_test\b", "y_test": r"\by_test\b"})

add("expected_squared_batch_gradient", lambda: nn.expected_squared_batch_gradient,
    G(grads=np.ones((6, 3)), batch_size=2),
    {"grads": lambda: array(np.ones((6, 3)), huge=True),
     "batch_size": lambda: st.one_of(pos_int(), st.just((7, ValueError))),  # N = 6 rows
     "replace": bool_bad})

# --- continual learning
add("QuadraticPenalty", lambda: QuadraticPenalty, G(anchor=np.zeros(3), precision=np.ones(3),
                                                    lam=1.0), {
    "anchor": lambda: array(np.zeros(3)), "precision": lambda: st.one_of(
        array(np.ones(3)), st.just((-np.ones(3), ValueError))), "lam": nonneg_float},
    {"anchor": "anchor|precision"})
add("EWC", lambda: EWC, G(anchor=np.zeros(3), precision=np.ones(3), lam=1.0), {
    "anchor": lambda: array(np.zeros(3)), "precision": lambda: st.one_of(
        array(np.ones(3)), st.just((-np.ones(3), ValueError))), "lam": nonneg_float,
    "kind": lambda: name(nn.KINDS + ("given",)), "gamma": lambda: interval(0, 1, True, True),
    "n_tasks": pos_int}, {"anchor": "anchor|precision"})
add("L2Anchor", lambda: L2Anchor, G(anchor=np.zeros(3), lam=1.0),
    {"anchor": lambda: array(np.zeros(3), fixed=False), "lam": nonneg_float})
add("PenaltySum", lambda: PenaltySum, G(terms=[L2Anchor(np.zeros(3), 1.0)]), {
    "terms": lambda: st.sampled_from(
        [[], [L2Anchor(np.zeros(3), 1.0), L2Anchor(np.zeros(2), 1.0)]])
    .map(lambda v: (v, ValueError)) | st.sampled_from([["a"], [None], None, 3]).map(
        lambda v: (v, TypeError))})
PENALTIES = {"Penalty": lambda: L2Anchor(np.zeros(P), 1.0),
             "QuadraticPenalty": lambda: QuadraticPenalty(np.zeros(P), np.ones(P), 1.0),
             "L2Anchor": lambda: L2Anchor(np.zeros(P), 1.0), "EWC": ewc,
             "PenaltySum": lambda: L2Anchor(np.zeros(P), 1.0) + L2Anchor(np.ones(P), 1.0)}
for pen_name, make in PENALTIES.items():
    for meth in ("value", "gradient"):
        add(f"{pen_name}.{meth}", lambda make=make, meth=meth: getattr(make(), meth),
            G(theta=T_CLS), {"theta": lambda: array(T_CLS, huge=True)})
    add(f"{pen_name}.__call__", lambda make=make: make(), G(theta=T_CLS),
        {"theta": lambda: array(T_CLS, huge=True)})
    add(f"{pen_name}.__add__", lambda make=make: make().__add__, G(other=L2Anchor(np.zeros(P), 1)),
        {"other": lambda: st.sampled_from([L2Anchor(np.zeros(2), 1.0)]).map(
            lambda v: (v, ValueError))}, {"other": "n_params"})
add("EWC.from_task", lambda: EWC.from_task, G(net=CLS, theta_star=T_CLS, X=X, kind="exact",
                                              lam=1.0), {
    "net": instance_bad, "theta_star": theta_cls, "X": x_bad, "kind": lambda: name(nn.KINDS),
    "lam": nonneg_float})
add("EWC.from_task", lambda: EWC.from_task, G(net=CLS, theta_star=T_CLS, X=X,
                                              kind="monte_carlo", lam=1.0),
    {"rng": rng_bad, "n_samples": pos_int})
add("EWC.from_task", lambda: EWC.from_task, G(net=CLS, theta_star=T_CLS, X=X, y=Y_CLS,
                                              kind="empirical", lam=1.0),
    {"y": y_bad}, {"y": Y_WORD})
add("EWC.consolidate", lambda: ewc().consolidate, G(net=CLS, theta_star=T_CLS, X=X), {
    "net": instance_bad, "theta_star": theta_cls, "X": x_bad,
    "gamma": lambda: interval(0, 1, True, True)})
add("fisher_diagonal", lambda: nn.fisher_diagonal, G(net=CLS, theta=T_CLS, X=X,
                                                     kind="monte_carlo"), FISHER_KINDS)
add("fisher_diagonal", lambda: nn.fisher_diagonal, G(net=CLS, theta=T_CLS, X=X, y=Y_CLS,
                                                     kind="empirical"),
    {"y": y_bad}, {"y": Y_WORD})
TASK_X, TASK_Y = np.ones((4, 3)), np.array([0, 1, 0, 1])
add("Task", lambda: Task, G(X_train=TASK_X, y_train=TASK_Y, X_test=TASK_X, y_test=TASK_Y,
                            permutation=np.arange(3)), {
    "X_train": lambda: array(TASK_X, fixed=False, columns=True),
    "y_train": lambda: labels(TASK_Y, None),
    "X_test": lambda: array(TASK_X, fixed=False, columns=True),
    "y_test": lambda: labels(TASK_Y, None),
    "permutation": lambda: st.sampled_from([[0, 0, 1], [0, 1], [0, 1, 3], [0.5, 1, 2]]).map(
        lambda v: (v, ValueError)) | st.sampled_from(["abc", None]).map(
        lambda v: (v, TypeError))})
add("make_permuted_tasks", lambda: nn.make_permuted_tasks, G(n_tasks=1, n_train=4, n_test=2), {
    "n_tasks": pos_int, "n_train": lambda: pos_int(2), "n_test": pos_int,
    "n_features": lambda: pos_int(2), "n_classes": lambda: pos_int(2), "n_latent": pos_int,
    "n_sources": pos_int, "separation": pos_float, "noise": nonneg_float, "rng": rng_bad})
CL_GOOD = dict(net=CL_NET, tasks=lazy(tasks), methods=("sgd", "ewc"), kind="exact", lam=1.0,
               n_steps=1, batch_size=None)
add("continual_learning", lambda: nn.continual_learning, G(**CL_GOOD), {
    "net": lambda: st.one_of(instance_bad(), st.just((REG, ValueError))),
    "tasks": lambda: st.sampled_from([(), ]).map(lambda v: (v, ValueError))
    | st.sampled_from(["abc", None, 3, [1, 2]]).map(lambda v: (v, TypeError)),
    "methods": lambda: st.one_of(name(nn.METHODS).map(lambda t: ((t[0],), t[1])),
                                 st.sampled_from([(), ("sgd", "sgd")]).map(
                                     lambda v: (v, ValueError))),
    "kind": lambda: name(nn.KINDS),
    # lam may be a mapping method -> value: a dict without 'ewc' is a ValueError (below)
    "lam": lambda: st.one_of(_without_none(nonneg_float)().filter(
        lambda t: not isinstance(t[0], dict)), st.sampled_from([None, {"l2": 1.0}]).map(
        lambda v: (v, ValueError))),
    "gamma": lambda: interval(0, 1, True, True), "optimizer": instance_bad, "n_steps": pos_int,
    "batch_size": lambda: st.one_of(pos_int(), st.just((11, ValueError))),
    "theta0": lambda: array(CL_NET.init(rng=0)), "n_samples": pos_int, "rng": rng_bad},
    {"methods": "methods", "net": "net"}, optional={"optimizer", "batch_size", "theta0"})
for meth in ("first_task", "average_accuracy", "forgetting"):
    add(f"ContinualResult.{meth}", lambda meth=meth: getattr(continual_result(), meth),
        G(method="sgd"), {"method": lambda: name(("sgd", "ewc"))})
add("ContinualResult.plot", lambda: continual_result().plot, G(ax=lazy(axes)),
    {"ax": ax_bad, "average": bool_bad})

# --- active learning
AL_FUNCS = {"net": instance_bad, "theta": theta_cls, "X_pool": x_bad}
add("expected_gradient_length", lambda: nn.expected_gradient_length,
    G(net=CLS, theta=T_CLS, X_pool=X), {**AL_FUNCS, "squared": bool_bad})
add("entropy_scores", lambda: nn.entropy_scores, G(net=CLS, theta=T_CLS, X_pool=X),
    {**AL_FUNCS, "measure": lambda: name(("entropy", "margin", "least_confident"))})
add("query_scores", lambda: nn.query_scores,
    G(net=CLS, theta=T_CLS, X_pool=X, strategy="random"),
    {**AL_FUNCS, "strategy": lambda: name(nn.STRATEGIES), "rng": rng_bad})
for strategy in ("egl", "entropy"):
    add("query_scores", lambda: nn.query_scores,
        G(net=CLS, theta=T_CLS, X_pool=X, strategy=strategy), AL_FUNCS)
def AL_GOOD():
    return dict(net=CLS, X_pool=pools()[0], y_pool=pools()[1], X_test=pools()[2],
                y_test=pools()[3], rng=0, **AL)


add("active_learning", lambda: nn.active_learning, AL_GOOD, {
    "net": lambda: st.one_of(instance_bad(), st.just((REG, ValueError))),
    "X_pool": lambda: array(np.ones((24, 2)), fixed=False, columns=True, huge=True),
    "y_pool": lambda: labels(np.zeros(24, int), 2),
    "X_test": lambda: array(np.ones((8, 2)), fixed=False, columns=True, huge=True),
    "y_test": lambda: labels(np.zeros(8, int), 2),
    "strategy": lambda: name(nn.STRATEGIES), "n_initial": lambda: st.one_of(
        pos_int(), st.just((25, ValueError))), "batch_size": lambda: st.one_of(
        pos_int(), st.just((25, ValueError))), "n_rounds": lambda: st.one_of(
        pos_int(0), st.just((100, ValueError))), "optimizer": instance_bad,
    "n_steps": lambda: pos_int(0), "l2": nonneg_float, "warm_start": bool_bad,
    "theta0": theta_cls, "sigma_w2": pos_float, "rng": rng_bad},
    {"n_rounds": "n_rounds", "X_pool": "X_pool", "X_test": "X_test"},
    optional={"optimizer", "theta0"})
add("compare_strategies", lambda: nn.compare_strategies,
    lambda: {**{k: v for k, v in AL_GOOD().items() if k != "rng"}, "n_seeds": 1}, {
        "strategies": lambda: st.one_of(
            name(nn.STRATEGIES).map(lambda t: ((t[0],), t[1])),
            st.sampled_from([(), ("egl", "egl")]).map(lambda v: (v, ValueError)),
            st.sampled_from(["egl", 3, None]).map(lambda v: (v, TypeError))),
        "n_seeds": pos_int, "rng": rng_bad,
        "X_pool": lambda: array(np.ones((24, 2)), fixed=False, columns=True)})
add("compare_strategies", lambda: nn.compare_strategies,
    lambda: {**{k: v for k, v in AL_GOOD().items() if k != "rng"}, "n_seeds": 1,
             "strategy": "egl"}, {"bogus_kwarg": lambda: st.just((1, TypeError))},
    {"bogus_kwarg": "strategy|bogus_kwarg"})
add("make_redundant_pool", lambda: nn.make_redundant_pool, G(n=5), {
    "n": pos_int, "hard_fraction": lambda: interval(0, 1, False, False), "slope": pos_float,
    "rng": rng_bad})
add("ActiveLearningResult.plot", lambda: active_result().plot, G(ax=lazy(axes)),
    {"ax": ax_bad})
for meth in ("mean", "se", "auc"):
    add(f"LearningCurves.{meth}", lambda meth=meth: getattr(curves(), meth),
        G(metric="accuracy"), {"metric": lambda: name(("accuracy", "loss"))})
add("LearningCurves.auc_difference", lambda: curves().auc_difference,
    G(strategy="egl", baseline="random"), {
        "strategy": lambda: name(("egl", "random")), "baseline": lambda: name(("egl", "random")),
        "metric": lambda: name(("accuracy", "loss"))})
add("LearningCurves.labels_to_reach", lambda: curves().labels_to_reach, G(target=0.5),
    {"target": lambda: interval(0, 1, True, True)})
add("LearningCurves.summary", lambda: curves().summary, G(), {
    "target": lambda: interval(0, 1, True, True), "baseline": lambda: name(("egl", "random"))},
    optional={"target", "baseline"})
add("LearningCurves.plot", lambda: curves().plot, G(ax=lazy(axes)), {
    "ax": ax_bad, "metric": lambda: name(("accuracy", "loss"))})

# --- monitor
add("FisherMonitor", lambda: FisherMonitor, G(net=CLS), {
    "net": instance_bad, "every": pos_int, "halflife": lambda: st.one_of(
        pos_float(), st.just((HUGE, ValueError))), "window": pos_int, "exact": bool_bad,
    "spectrum": bool_bad, "lr": pos_float}, optional={"window", "lr"})
add("FisherMonitor.on_step", lambda: FisherMonitor(CLS).on_step,
    G(step=1, theta=T_CLS, batch_loss=0.5, grad=np.ones(P), X=X, y=Y_CLS), {
        "step": pos_int, "theta": theta_cls, "batch_loss": real,
        "grad": lambda: array(np.ones(P)), "X": x_bad, "y": y_bad,
        "theta_before": theta_cls}, {"y": Y_WORD}, optional={"theta_before", "grad"})
add("exponential_average", lambda: nn.exponential_average, G(values=np.ones(4), halflife=2.0), {
    "values": lambda: array(np.ones(4), fixed=False, empty=False, huge=False),
    "halflife": lambda: st.one_of(pos_float(), st.just((HUGE, ValueError)),
                                  st.just((1e-300, OVERFLOW))), "every": pos_int})
add("running_average", lambda: nn.running_average, G(values=np.ones(4)), {
    "values": lambda: array(np.ones(4), fixed=False, empty=False, huge=True),
    "window": pos_int}, optional={"window"})
REC_NAMES = ("trace", "grad_norm2", "noise", "batch_loss", "exact_trace", "max_eigenvalue",
             "condition")
add("MonitorRecord.ema", lambda: monitor_record().ema, G(), {"name": lambda: name(REC_NAMES)})
add("MonitorRecord.peak", lambda: monitor_record().peak, G(), {
    "name": lambda: name(REC_NAMES), "smooth": bool_bad})
add("MonitorRecord.peak", lambda: monitor_record().peak, G(smooth=False),
    {"name": lambda: name(REC_NAMES)})
add("MonitorRecord.summary", lambda: monitor_record().summary, G(), {"rows": pos_int})
add("MonitorRecord.plot", lambda: monitor_record().plot, G(ax=lazy(axes)), {
    "ax": ax_bad, "exact": bool_bad})

# --- spectra
add("order_parameters", lambda: nn.order_parameters,
    G(activation="tanh", sigma_w2=2.0, sigma_b2=0.1, n_layers=3, n_quad=8), {
        "activation": lambda: name(nn.ACTIVATIONS),
        "sigma_w2": lambda: st.one_of(pos_float(), st.floats(1e200, 1e308).map(
            lambda v: (v, OVERFLOW))),
        "sigma_b2": lambda: st.one_of(nonneg_float(), st.floats(1e200, 1e308).map(
            lambda v: (v, OVERFLOW))),
        "n_layers": lambda: pos_int(2),
        "alphas": lambda: st.one_of(array(np.ones(3)), st.just((-np.ones(3), ValueError)),
                                    st.just((np.zeros(3), ValueError))).filter(
            lambda t: t[0] is not None),
        "q1_input": lambda: st.one_of(pos_float(), st.floats(1e200, 1e308).map(
            lambda v: (v, OVERFLOW))),
        "q2_input": lambda: interval(-1, 1, True, True), "n_quad": lambda: st.one_of(
            pos_int(4), st.just((65, ValueError)))})
add("predicted_statistics", lambda: nn.predicted_statistics, G(order=lazy(order), width=10), {
    "order": instance_bad, "width": lambda: st.one_of(pos_int(), st.just((10**200,
                                                                           ValueError))),
    "n_outputs": pos_int, "output": lambda: name(("linear", "softmax", "sigmoid")),
    "n_samples": pos_int, "center": bool_bad, "bias": bool_bad, "finite_width": bool_bad,
    "sigma2": pos_float, "logits": lambda: st.just((np.zeros((3, 1)), ValueError))},
    optional={"n_samples", "logits"})
add("predicted_statistics", lambda: nn.predicted_statistics,
    G(order=lazy(order), width=10, n_outputs=2, output="softmax", logits=np.zeros((4, 2)),
      n_samples=4), {
        "logits": lambda: array(np.zeros((4, 2)), fixed=False, columns=True, huge=True),
        "n_samples": lambda: st.one_of(pos_int(), st.just((5, ValueError)))},
    optional={"n_samples", "logits"})
add("predicted_statistics", lambda: nn.predicted_statistics,
    G(order=lazy(order), width=10, n_outputs=2, output="softmax", n_mc=4), {
        "n_mc": lambda: pos_int(2), "rng": rng_bad})
add("measured_statistics", lambda: nn.measured_statistics, G(net=CLS, theta=T_CLS, X=X), {
    "net": instance_bad, "theta": theta_cls, "X": x_bad, "center": bool_bad})
add("ntk_eigenvalues", lambda: nn.ntk_eigenvalues, G(net=CLS, theta=T_CLS, X=X), {
    "net": instance_bad, "theta": theta_cls, "X": x_bad})
add("width_sweep", lambda: nn.width_sweep, G(widths=(4, 6), depth=1, n_outputs=1, n_samples=4,
                                             n_networks=1, n_mc=2), {
    "widths": lambda: st.one_of(
        st.sampled_from([(6, 4), (4, 4), (1, 4), (0,)]).map(lambda v: (v, ValueError)),
        st.sampled_from([(), "46", 4, None, (4.5,)]).map(lambda v: (v, TypeError))),
    "depth": pos_int, "activation": lambda: name(nn.ACTIVATIONS),
    "sigma_w2": pos_float, "sigma_b2": nonneg_float,
    "output": lambda: name(("linear", "softmax", "sigmoid")), "n_outputs": pos_int,
    "n_samples": lambda: pos_int(2), "n_networks": pos_int,
    "alphas": lambda: array(np.ones(2)), "n_mc": lambda: pos_int(2), "rng": rng_bad},
    optional={"alphas", "rng"})
add("OrderParameters.widths", lambda: order().widths, G(width=4, n_outputs=1),
    {"width": pos_int, "n_outputs": pos_int})
add("OrderParameters.kernel", lambda: order().kernel, G(width=4, n_outputs=1), {
    "width": lambda: st.one_of(pos_int(), st.just((10**200, ValueError))),
    "n_outputs": pos_int, "bias": bool_bad, "finite_width": bool_bad})
STATS = ("m1", "m2", "lambda_max", "outlier_mean", "lambda_max_centered")
for meth in ("mean", "stderr"):
    add(f"WidthSweep.{meth}", lambda meth=meth: getattr(sweep(), meth), G(name="m1"),
        {"name": lambda: name(STATS)})
add("WidthSweep.slopes", lambda: sweep().slopes, G(),
    {"source": lambda: name(("measured", "predicted", "leading"))})
add("WidthSweep.plot", lambda: sweep().plot, G(), {"ax": lambda: st.sampled_from(
    [[1, 2, 3], "abc"]).map(lambda v: (v, (TypeError, ValueError)))})

# --- plateaus
W_T, V_T = nn.plateau.DEFAULT_TEACHER
add("teacher_student", lambda: nn.teacher_student, G(n=40), {
    "teacher": lambda: st.one_of(
        st.sampled_from([(np.ones((3, 2)), V_T), (W_T, np.ones(3)), (np.full((2, 2), NAN), V_T),
                         (W_T, V_T * np.inf), (np.ones((2, 2)), V_T)]).map(
            lambda v: (v, ValueError)),
        st.sampled_from(["abc", 3, None.__class__, (W_T,)]).map(lambda v: (v, TypeError))),
    "n": lambda: pos_int(7), "activation": lambda: name(nn.ACTIVATIONS), "rng": rng_bad})
add("escape_run", lambda: nn.escape_run, lambda: dict(
    problem=problem(), optimizer=SGD(lr=0.1), theta0=problem().start(rng=0), n_steps=2), {
    "problem": instance_bad, "optimizer": instance_bad,
    "theta0": lambda: array(problem().start(rng=0)), "n_steps": pos_int,
    "stop_below": nonneg_float, "factor": lambda: interval(0, 1, False, False)},
    optional={"stop_below"})
add("escape_iteration", lambda: nn.escape_iteration, G(loss_gap=np.ones(3), plateau_gap=1.0), {
    "loss_gap": lambda: st.one_of(st.just((np.ones((2, 2)), ValueError)),
                                  st.just((np.ones(0), ValueError)),
                                  st.sampled_from(["abc", None]).map(lambda v: (v, TypeError))),
    "plateau_gap": pos_float, "factor": lambda: interval(0, 1, False, False)})
add("TeacherStudent.loss_gap", lambda: problem().loss_gap,
    G(theta=lazy(lambda: problem().start(rng=0))),
    {"theta": lambda: array(np.ones(6), huge=True)})
add("TeacherStudent.separation", lambda: problem().separation, G(theta=np.ones(6)),
    {"theta": lambda: st.one_of(array(np.ones(6), extra_dim=False),
                                st.just((np.ones((2, 2, 6)), ValueError)))})
add("TeacherStudent.start", lambda: problem().start, G(), {
    "eps": pos_float, "rng": rng_bad, "z": real, "sigma_w2": pos_float})
add("EscapeRun.fisher_eigenvalues", lambda: escape().fisher_eigenvalues, G(),
    {"steps": lambda: steps_bad(4)})
add("EscapeRun.plot", lambda: escape().plot, G(ax=lazy(axes)), {
    "ax": ax_bad, "quantity": lambda: name(("loss", "separation", "fisher"))})

# ----------------------------------------------------------------------- exemptions
#: Public callables deliberately without a row, with the reason.
EXEMPT = {
    # the elementwise kernels of the activations: vectorised over any shape (no wrong
    # shape), NaN in gives NaN out by design, user subclasses define them; the network's
    # inputs are checked before they are called
    "Activation.forward": "elementwise kernel, any shape",
    "Activation.derivative": "elementwise kernel, any shape",
    # records built by the library (their fields are outputs, never user input); their
    # methods with arguments have rows above
    "TrainResult": "result record built by train",
    "ContinualResult": "result record built by continual_learning",
    "ActiveLearningResult": "result record built by active_learning",
    "LearningCurves": "result record built by compare_strategies",
    "MonitorRecord": "result record built by FisherMonitor.record",
    "OrderParameters": "result record built by order_parameters",
    "SpectrumStatistics": "result record built by predicted/measured_statistics",
    "WidthSweep": "result record built by width_sweep",
    "TeacherStudent": "problem record built by teacher_student",
    "EscapeRun": "result record built by escape_run",
    # the MLP's model contract (loglik, score, hessian, fisher, sample, fit, validate,
    # point_information, ...) is tested with every model in tests/test_bad_input.py
    **{f"MLP.{m}": "model contract: tests/test_bad_input.py"
       for m in dir(RegressionModel) if not m.startswith("_")
       and callable(getattr(RegressionModel, m))
       and not isinstance(inspect.getattr_static(RegressionModel, m), property)},
}

# (methods without arguments have nothing to validate: public_callables leaves them out)


def _has_arguments(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    return any(p.kind not in (p.VAR_KEYWORD,) for p in sig.parameters.values()
               if p.name != "self")


def public_callables() -> set[str]:
    """Every public function, constructor and method reachable from ``nn.__all__``."""
    found = set()
    for obj_name in nn.__all__:
        obj = getattr(nn, obj_name)
        if inspect.isfunction(obj):
            found.add(obj_name)
        elif inspect.isclass(obj):
            if _has_arguments(obj.__init__) and obj.__init__ is not object.__init__:
                found.add(obj_name)
            for m, member in inspect.getmembers(obj):
                if m.startswith("_") and m not in ("__call__", "__add__"):
                    continue
                if isinstance(inspect.getattr_static(obj, m), property):
                    continue
                if (inspect.isfunction(member) or inspect.ismethod(member)) and \
                        _has_arguments(member):
                    if m in ("__call__", "__add__") and not issubclass(obj, nn.Penalty):
                        continue
                    found.add(f"{obj_name}.{m}")
    return found


def test_every_public_callable_has_an_entry():
    covered = {c.entry for c in CASES}
    missing = sorted(public_callables() - covered - set(EXEMPT) - _exempt_dataclass_inits())
    assert not missing, f"public callables without a bad-input row or exemption: {missing}"


def _exempt_dataclass_inits() -> set:
    return {k for k in EXEMPT if "." not in k}


def test_the_table_names_only_real_callables():
    real = public_callables()
    stale = sorted({c.entry for c in CASES} - real)
    assert not stale, f"rows for callables that no longer exist: {stale}"


# --------------------------------------------------------------------------- the test
CASE_IDS = [f"{c.entry}-{c.arg}" for c in CASES]
OUTCOMES: Counter = Counter()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@settings(max_examples=8)
@given(data=st.data())
def test_bad_argument_raises_naming_it(case, data):
    value, exc = data.draw(case.bad(), label=case.arg)
    if exc is OVERFLOW:  # near overflow: a ValueError naming the argument, or finite output
        try:
            result = case.call(value)
        except ValueError as e:
            assert re.search(case.word, str(e), re.IGNORECASE), f"{case.entry}: {e}"
            OUTCOMES["ValueError"] += 1
            return
        assert _all_finite(result), f"{case.entry}({case.arg}=1e30x) returned {result!r}"
        OUTCOMES["finite"] += 1
        return
    with pytest.raises(exc) as info:
        result = case.call(value)
        # a silent non-finite result is a failure too: show it
        pytest.fail(f"{case.entry}({case.arg}={value!r}) returned {result!r}")
    # LinAlgError and AxisError are ValueErrors, but from deep inside
    assert not issubclass(info.type, (np.linalg.LinAlgError, IndexError, KeyError)), info.value
    assert re.search(case.word, str(info.value), re.IGNORECASE), (
        f"{case.entry}({case.arg}=...) raised {info.type.__name__}: {info.value} "
        f"(message must name {case.word!r})")
    OUTCOMES[info.type.__name__] += 1


def _all_finite(result) -> bool:
    """Every float in ``result`` (arrays, numbers, tuples, dataclass records) is finite."""
    if dataclasses.is_dataclass(result):
        return all(_all_finite(getattr(result, f.name)) for f in dataclasses.fields(result)
                   if f.name not in ("accuracy", "test_accuracy"))  # NaN for regression
    if isinstance(result, dict):
        return all(_all_finite(v) for v in result.values())
    if isinstance(result, (tuple, list)):
        return all(_all_finite(v) for v in result)
    if isinstance(result, (np.ndarray, float, np.floating)):
        a = np.asarray(result)
        return a.dtype.kind not in "fc" or bool(np.all(np.isfinite(a)))
    return True


def census() -> dict:
    """Counts for the report: entry points, argument rows, outcomes."""
    return {"entries": len({c.entry for c in CASES}), "rows": len(CASES),
            "outcomes": dict(OUTCOMES)}


def test_valid_extremes_give_their_limits_not_errors_or_nan():
    """Finite extremes that are valid input give the right limit (no error, no NaN)."""
    # K-FAC with pi-damping d: (G + sqrt(d)/pi I)^-1 V (A + sqrt(d) pi I)^-1 = V / d times
    # 1 + O(||G|| / sqrt(d) + ||A|| / sqrt(d)) = 1 + O(1e-150): exactly v / d up to the
    # rounding of the two Cholesky solves and the scaling (a few eps; 100 eps allowed)
    F = operators()["kfac"]
    np.testing.assert_allclose(F.solve(np.ones(P), damping=1e300) * 1e300, 1.0,
                               rtol=100 * np.finfo(float).eps)
    # the bias-corrected average of a constant is the constant: the numerator 1 - beta is
    # exact (Sterbenz, beta in [1/2, 1]), the denominator -expm1(k log beta) is within a
    # few eps of it (log and expm1 are correctly rounded to ~1 ulp), for any half-life
    np.testing.assert_allclose(nn.exponential_average(np.ones(3), 1e6), 1.0,
                               rtol=10 * np.finfo(float).eps)
    # sigma_w^2 -> 0, two layers, sigma_b^2 = 0, q1_input = 1: q1 = sigma_w^2 = s,
    # q1_hat = (1, E tanh^2) = (1, s + O(s^2)), q1_tilde = (s E tanh'^2, 1) = (s, 1) + O(s^2)
    # so kappa1 = 2 s (1 + O(s)); the quadrature of E r^2 is exact to rounding (8 nodes)
    kappa1 = nn.order_parameters("tanh", 1e-300, 0.0, 2, n_quad=8).kappa1
    assert kappa1 == pytest.approx(2e-300, rel=1e-12)
