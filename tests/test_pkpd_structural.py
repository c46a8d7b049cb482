"""Structural PK/PD models: closed forms against ODE integration, analytic against numeric
Jacobians, steady state against repeated dosing, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from fisherstat import _numdiff
from fisherstat.models import OneCompartmentOral
from fisherstat.pkpd.structural import (
    LinkedPD,
    OneCompartment,
    Regimen,
    TwoCompartment,
    UserModel,
)

T = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.5, 8.0, 12.0, 13.0, 24.0, 30.0, 48.0])


def _theta(model, rng):
    """Random parameters of a PK model (log-uniform over a pharmacokinetic range)."""
    lo = {"CL": 0.1, "V": 2.0, "V1": 2.0, "Q": 0.1, "V2": 2.0, "K": 0.02, "K10": 0.02,
          "K12": 0.02, "K21": 0.02, "KA": 0.1}
    return np.array([lo[n] * np.exp(rng.uniform(0, np.log(20))) for n in model.param_names])


def _models():
    models = []
    for cls in (OneCompartment, TwoCompartment):
        for route in ("bolus", "infusion", "oral"):
            for par in ("CL", "k"):
                models.append(cls(route, par))
    return models


def _regimens(route):
    dur = 1.5 if route == "infusion" else 0.0
    return [Regimen(100.0, 0.0, dur), Regimen([100.0, 50.0], [0.0, 12.0], dur),
            Regimen.steady_state(80.0, tau=12.0, duration=dur)]


@pytest.mark.parametrize("model", _models(), ids=repr)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_analytic_jacobian_matches_numeric(model, seed):
    rng = np.random.default_rng(seed)
    theta = _theta(model, rng)
    for reg in _regimens(model.route):
        J = model.jacobian(T, theta, reg)
        Jn = _numdiff.jacobian(lambda th, reg=reg: model.predict(T, th, reg), theta,
                               model.lower, model.upper)
        scale = np.max(np.abs(J), axis=0) + 1e-300
        assert np.max(np.abs(J - Jn) / scale) < 1e-7


def _ode(model, theta, reg, t_eval):
    """Central concentration of the compartment system integrated by an ODE solver."""
    p = dict(zip(model.param_names, theta, strict=True))
    if isinstance(model, OneCompartment):
        v = p["V"]
        k10 = p["CL"] / v if "CL" in p else p["K"]
        k12 = k21 = 0.0
    else:
        v = p["V1"]
        if "CL" in p:
            k10, k12, k21 = p["CL"] / v, p["Q"] / v, p["Q"] / p["V2"]
        else:
            k10, k12, k21 = p["K10"], p["K12"], p["K21"]
    ka = p.get("KA", 0.0)
    events = sorted(set([0.0] + reg.times.tolist() + (reg.times + reg.durations).tolist()
                        + [float(t_eval.max())]))

    def rate_in(t):
        r = 0.0
        for a, t0, d in zip(reg.amounts, reg.times, reg.durations, strict=True):
            if d > 0 and t0 <= t < t0 + d:
                r += a / d
        return r

    def rhs(t, y):
        gut, c1, c2 = y
        inf = rate_in(t) if model.route == "infusion" else 0.0
        return [-ka * gut, ka * gut + inf - (k10 + k12) * c1 + k21 * c2, k12 * c1 - k21 * c2]

    y = np.zeros(3)
    conc = np.full(t_eval.size, np.nan)
    for t_a, t_b in zip(events[:-1], events[1:], strict=True):
        for a, t0, d in zip(reg.amounts, reg.times, reg.durations, strict=True):
            if t0 == t_a and d == 0:
                y[0 if model.route == "oral" else 1] += a
        sol = solve_ivp(rhs, (t_a, t_b), y, rtol=1e-11, atol=1e-12, dense_output=True,
                        method="LSODA")
        sel = (t_eval >= t_a) & (t_eval <= t_b)
        conc[sel] = sol.sol(t_eval[sel])[1] / v
        y = sol.y[:, -1]
    return conc


@pytest.mark.parametrize("model", [m for m in _models() if m.parametrization == "CL"],
                         ids=repr)
def test_closed_form_matches_ode_integration(model):
    theta = {"OneCompartment": {"bolus": [1.0, 10.0], "infusion": [1.0, 10.0],
                                "oral": [1.0, 10.0, 0.8]},
             "TwoCompartment": {"bolus": [2.0, 10.0, 3.0, 20.0],
                                "infusion": [2.0, 10.0, 3.0, 20.0],
                                "oral": [2.0, 10.0, 3.0, 20.0, 1.3]}}[
        type(model).__name__][model.route]
    reg = Regimen([100.0, 60.0], [0.0, 12.0], 2.0 if model.route == "infusion" else 0.0)
    t = np.array([0.1, 0.5, 1.0, 1.9, 2.5, 6.0, 11.9, 12.5, 14.5, 20.0, 30.0, 48.0])
    ours = model.predict(t, theta, reg)
    ref = _ode(model, theta, reg, t)
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("model", _models(), ids=repr)
def test_steady_state_is_the_limit_of_repeated_doses(model):
    theta = _theta(model, np.random.default_rng(3))
    dur = 2.0 if model.route == "infusion" else 0.0
    tau = 24.0
    ss = Regimen.steady_state(70.0, tau, dur)
    n = 400  # enough doses for the slowest exponential to reach steady state
    rep = Regimen.repeated(70.0, tau, n, dur)
    t = np.array([0.0, 0.7, 1.5, 3.0, 10.0, 23.9])
    ours = model.predict(t, theta, ss)
    lim = model.predict(t + tau * (n - 1), theta, rep)
    np.testing.assert_allclose(ours, lim, rtol=1e-9, atol=1e-12)


def test_parametrizations_agree():
    cl, v1, q, v2, ka = 2.0, 10.0, 3.0, 20.0, 1.3
    a = TwoCompartment("oral", "CL").predict(T, [cl, v1, q, v2, ka], 100)
    b = TwoCompartment("oral", "k").predict(T, [cl / v1, q / v1, q / v2, v1, ka], 100)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    c = OneCompartment("bolus", "CL").predict(T, [1.5, 12.0], 100)
    d = OneCompartment("bolus", "k").predict(T, [1.5 / 12.0, 12.0], 100)
    np.testing.assert_allclose(c, d, rtol=1e-13)


def test_one_compartment_oral_agrees_with_the_foundation_model():
    theta = [0.15, 8.0, 1.0]
    ref = OneCompartmentOral(dose=70)
    ours = OneCompartment("oral")
    np.testing.assert_allclose(ours.predict(T, theta, 70), ref.predict(theta + [0.01], T),
                               rtol=1e-14)
    np.testing.assert_allclose(ours.jacobian(T, theta, 70), ref._jac(T, np.array(theta)),
                               rtol=1e-13, atol=1e-15)


def test_one_compartment_infusion_closed_form():
    # (D/T)/CL (1 - exp(-k t)) during, then times exp(-k (t - T)) (Gibaldi & Perrier, ch. 2)
    cl, v, dur, dose = 1.5, 12.0, 3.0, 90.0
    k = cl / v
    t = np.array([0.5, 2.0, 3.0, 5.0, 20.0])
    ref = np.where(t <= dur, dose / dur / cl * (1 - np.exp(-k * t)),
                   dose / dur / cl * (1 - np.exp(-k * dur)) * np.exp(-k * (t - dur)))
    ours = OneCompartment("infusion").predict(t, [cl, v], Regimen(dose, 0.0, dur))
    np.testing.assert_allclose(ours, ref, rtol=1e-13)


def test_short_infusion_tends_to_bolus_and_flip_flop_is_continuous():
    m_inf, m_bol = OneCompartment("infusion"), OneCompartment("bolus")
    t = np.array([1.0, 5.0, 10.0])
    a = m_inf.predict(t, [1.0, 10.0], Regimen(100.0, 0.0, 1e-9))
    np.testing.assert_allclose(a, m_bol.predict(t, [1.0, 10.0], 100.0), rtol=1e-8)
    oral = OneCompartment("oral")
    at = oral.predict(t, [1.0, 10.0, 0.1], 100.0)  # KA = CL/V exactly
    near = oral.predict(t, [1.0, 10.0, 0.1 * (1 + 1e-7)], 100.0)
    np.testing.assert_allclose(at, 100.0 * 0.1 / 10.0 * t * np.exp(-0.1 * t), rtol=1e-13)
    np.testing.assert_allclose(at, near, rtol=1e-6)


@pytest.mark.parametrize("kind,pd", [("emax", [5.0, 20.0, 3.0]),
                                     ("sigmoid_emax", [5.0, 20.0, 3.0, 2.5]),
                                     ("imax", [5.0, 0.8, 3.0])])
def test_linked_pd_jacobian_and_values(kind, pd):
    m = LinkedPD(OneCompartment("oral"), kind)
    theta = np.array([0.15, 8.0, 1.0] + pd)
    resp = np.arange(T.size) % 2
    J = m.jacobian(T, theta, 70, resp)
    Jn = _numdiff.jacobian(lambda th: m.predict(T, th, 70, resp), theta, m.lower, m.upper)
    assert np.max(np.abs(J - Jn)) / np.max(np.abs(J)) < 1e-8
    c = OneCompartment("oral").predict(T, theta[:3], 70)
    e = m.predict(T, theta, 70, np.ones(T.size, dtype=int))
    if kind == "emax":
        ref = pd[0] + pd[1] * c / (pd[2] + c)
    elif kind == "imax":
        ref = pd[0] * (1 - pd[1] * c / (pd[2] + c))
    else:
        ref = pd[0] + pd[1] * c ** pd[3] / (pd[2] ** pd[3] + c ** pd[3])
    np.testing.assert_allclose(e, ref, rtol=1e-12)


def test_hessian_matches_numeric_second_derivatives():
    m = TwoCompartment("oral")
    theta = np.array([2.0, 10.0, 3.0, 20.0, 1.3])
    H = m.hessian(T[1:], theta, 100)
    Hn, _ = _numdiff.hessian(lambda th: m.predict(T[1:], th, 100), theta, m.lower, m.upper)
    assert np.allclose(H, np.swapaxes(H, 1, 2))
    assert np.max(np.abs(H - Hn)) / np.max(np.abs(H)) < 1e-6


def test_user_model_numeric_jacobian_matches_analytic():
    f = lambda t, th, dose: dose / th[1] * np.exp(-th[0] / th[1] * t)  # noqa: E731

    def jac(t, th, dose):
        c = f(t, th, dose)
        return np.column_stack([-t / th[1] * c, (th[0] * t / th[1] ** 2 - 1 / th[1]) * c])

    a = UserModel(f, ["CL", "V"], jac, needs_dose=True)
    n = UserModel(f, ["CL", "V"], needs_dose=True)
    assert a.has_analytic_jacobian and not n.has_analytic_jacobian
    theta = [1.0, 10.0]
    np.testing.assert_allclose(n.jacobian(T, theta, 100), a.jacobian(T, theta, 100),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.jacobian(T, theta, 100),
                               OneCompartment("bolus").jacobian(T, theta, 100), rtol=1e-13)


# ------------------------------------------------------------------------ bad input
def test_negative_times_are_rejected():
    with pytest.raises(ValueError, match=r"t: entry 1 must be >= 0"):
        OneCompartment("oral").predict([1.0, -2.0], [0.15, 8, 1], 70)


def test_missing_dose_is_rejected():
    with pytest.raises(ValueError, match="dose is missing"):
        OneCompartment("oral").predict([1.0], [0.15, 8, 1])
    with pytest.raises(ValueError, match="dose is missing"):
        UserModel(lambda t, th, d: t * th[0], ["a"], needs_dose=True).predict([1.0], [1.0])


@pytest.mark.parametrize("call,match", [
    (lambda: Regimen(-1.0), "amounts: entry 0 must be >= 0"),
    (lambda: Regimen([1.0, 2.0], [0.0, 1.0, 2.0]), "times must be a scalar or have 2"),
    (lambda: Regimen(1.0, durations=-1.0), "durations: entry 0 must be >= 0"),
    (lambda: Regimen(1.0, durations=30.0, tau=24.0), "must end within the dosing interval"),
    (lambda: OneCompartment("iv"), "route must be one of"),
    (lambda: OneCompartment("oral", "Vd"), "parametrization must be one of"),
    (lambda: OneCompartment("bolus").predict([1.0], [1, 10], Regimen(5.0, 0.0, 1.0)),
     "infusion durations must be 0"),
    (lambda: OneCompartment("oral").predict([1.0], [0.15, 8], 70), "theta must have length 3"),
    (lambda: OneCompartment("oral").predict([1.0], [0.15, 8, 0.0], 70),
     "theta: KA must be > 0"),
    (lambda: OneCompartment("oral").predict([1.0], [0.15, 8, 1], "70"),
     "dose must be a number or a Regimen"),
    (lambda: OneCompartment("oral").predict([1.0], [0.15, 8, 1],
                                            Regimen([70.0, 70.0], [2.0, 4.0], tau=24.0)),
     "must not precede the steady-state dose"),
    (lambda: LinkedPD(OneCompartment("oral")).predict([1.0], [.15, 8, 1, 0, 1, 1], 70, "pd"),
     "unknown response 'pd'"),
    (lambda: LinkedPD(OneCompartment("oral"), "hill"), "model must be one of"),
])
def test_bad_structural_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
