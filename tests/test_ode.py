"""ODE structural models: closed forms vs the ODE solution (predictions and forward
sensitivities), forward sensitivities vs finite differences, jumps at doses (lag time,
bioavailability), library models vs their limits and closed forms, the population FIM of an
ODE model vs the closed-form one, bad input.

Tolerances. With ``rtol=1e-10, atol=1e-12`` the local error per step is below
``1e-10`` relative; the global error of a stable linear system grows at most with the
number of steps and the decay of the modes, so ``100 rtol = 1e-8`` relative (to the largest
value) bounds it for predictions and for the sensitivities (integrated under the same error
control). The finite-difference Jacobian of the ODE solution has the error of the solution
divided by the step: ``rtol / h`` with ``h = eps^(1/5) ~ 7.4e-4`` (relative), i.e. about
``1.4e-7``; times the same factor 10 of accumulation: ``2e-6``.
"""

import numpy as np
import pytest

from fisherstat.pkpd import (
    EffectCompartmentEmax,
    Group,
    IndirectResponse,
    ODEModel,
    OneCompartment,
    OneCompartmentMM,
    OneCompartmentODE,
    PopulationModel,
    Proportional,
    Regimen,
    TwoCompartment,
    TwoCompartmentODE,
    UserModel,
    warfarin_example,
)

TIGHT = dict(rtol=1e-10, atol=1e-12)
ODE_TOL = 1e-8  # 100 rtol, see the module docstring
FD_TOL = 2e-6  # 10 rtol / eps^(1/5), see the module docstring
T = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.5, 8.0, 12.0, 13.0, 24.0, 30.0, 48.0])
REGIMENS = {
    "bolus": Regimen([100.0, 50.0], [0.0, 12.0]),
    "infusion": Regimen([100.0, 50.0], [0.0, 12.0], [1.5, 2.0]),
    "oral": Regimen([100.0, 50.0], [0.0, 12.0]),
}
CASES = [(OneCompartment, OneCompartmentODE, [1.0, 10.0]),
         (TwoCompartment, TwoCompartmentODE, [2.0, 10.0, 3.0, 20.0])]


def _rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def _fd(model):
    return model.with_options(sensitivities="finite_differences")


@pytest.mark.parametrize("route", ["bolus", "infusion", "oral"])
@pytest.mark.parametrize("closed, ode, theta", CASES)
def test_ode_equals_closed_form_with_jacobian(closed, ode, theta, route):
    th = theta + ([0.8] if route == "oral" else [])
    reg = REGIMENS[route]
    f0, J0 = closed(route).evaluate(T, th, reg)
    f1, J1 = ode(route, **TIGHT).evaluate(T, th, reg)
    assert _rel(f1, f0) < ODE_TOL
    assert _rel(J1, J0) < ODE_TOL


@pytest.mark.parametrize("route", ["bolus", "infusion", "oral"])
@pytest.mark.parametrize("closed, ode, theta", CASES)
def test_forward_sensitivities_equal_finite_differences(closed, ode, theta, route):
    th = theta + ([0.8] if route == "oral" else [])
    m = ode(route, **TIGHT)
    J = m.jacobian(T, th, REGIMENS[route])
    assert _rel(_fd(m).jacobian(T, th, REGIMENS[route]), J) < FD_TOL


@pytest.mark.parametrize("method", ["LSODA", "BDF", "Radau", "RK45", "DOP853"])
def test_every_method_agrees_with_the_closed_form(method):
    # same tolerance: each method meets rtol=1e-10 locally (BDF/Radau with the
    # block-diagonal Jacobian of the augmented system)
    th, reg = [0.15, 8.0, 1.0], REGIMENS["oral"]
    f0, J0 = OneCompartment("oral").evaluate(T, th, reg)
    f1, J1 = OneCompartmentODE("oral", method=method, **TIGHT).evaluate(T, th, reg)
    assert _rel(f1, f0) < ODE_TOL and _rel(J1, J0) < ODE_TOL


def test_unsorted_repeated_times_match_sorted():
    # the population FIM passes the times of several subjects concatenated
    th, m = [0.15, 8.0, 1.0], OneCompartmentODE("oral", **TIGHT)
    t = np.array([24.0, 0.5, 2.0, 0.5, 120.0, 2.0])
    f, J = m.evaluate(t, th, 70)
    f0, J0 = OneCompartment("oral").evaluate(t, th, 70)
    assert _rel(f, f0) < ODE_TOL and _rel(J, J0) < ODE_TOL


@pytest.mark.parametrize("route", ["oral", "infusion", "bolus"])
def test_lag_time_and_bioavailability_jumps(route):
    # truth: the closed form of the dose F*D given at t_d + TLAG; its Jacobian by
    # Richardson differences of the closed form (error ~eps^(4/5) ~ 3e-13), so the
    # tolerance is the ODE one. The TLAG column tests the jump of the vector field at the
    # moving dose time, the F column the jump dDelta/dF (and the infusion rate's dF).
    reg = Regimen([100.0, 50.0], [0.0, 12.0], [2.0, 2.0] if route == "infusion" else 0.0)
    pk = OneCompartment(route)
    k = pk.n_params

    def closed(t, th, dose):
        shifted = Regimen(th[k + 1] * dose.amounts, dose.times + th[k], dose.durations)
        return pk.predict(t, th[:k], shifted)

    th = [1.0, 10.0] + ([0.8] if route == "oral" else []) + [0.7, 0.6]
    ref = UserModel(closed, pk.param_names + ("TLAG", "F"), needs_dose=True)
    m = OneCompartmentODE(route, lag=True, bioavailability=True, **TIGHT)
    assert m.param_names == pk.param_names + ("TLAG", "F")
    # (no sample at a dose time 0.7, 12.7, 2.7, 14.7: there f is not differentiable in TLAG)
    t = np.array([0.0, 0.5, 0.6, 1.0, 2.0, 3.0, 8.0, 12.5, 13.0, 24.0])
    f, J = m.evaluate(t, th, reg)
    assert _rel(f, ref.predict(t, th, reg)) < ODE_TOL
    assert _rel(J, ref.jacobian(t, th, reg)) < ODE_TOL


def test_michaelis_menten_at_low_concentration_is_linear():
    # Vmax C/(Km + C) = CL C (1 - C/Km + (C/Km)^2 ...), CL = Vmax/Km. After a bolus
    # d ln C/dt = -k (1 - C/Km + ...), so ln(C/C_lin) = (C0/Km)(1 - exp(-k t)) with a
    # remainder below (C0/Km)^2 (from C ~ C_lin inside the integral, the quadratic term
    # and exp(u) - 1 - u): the ratio - 1 equals the first-order term to 2 (C0/Km)^2.
    vmax, km, v, dose = 1000.0, 1000.0, 10.0, 10.0  # C0/Km = 1e-3, k = CL/V = 0.1
    t = np.array([0.5, 1.0, 5.0, 10.0, 30.0])
    mm = OneCompartmentMM("bolus", **TIGHT).predict(t, [vmax, km, v], dose)
    lin = OneCompartment("bolus").predict(t, [vmax / km, v], dose)
    u = dose / v / km
    first = u * -np.expm1(-vmax / km / v * t)
    assert np.max(np.abs(mm / lin - 1.0 - first)) < 2 * u**2 + ODE_TOL
    assert np.max(first) > 100 * u**2  # the O(C/Km) term is resolved, not within the bound


@pytest.mark.parametrize("route", ["oral", "infusion", "bolus"])
def test_michaelis_menten_sensitivities_vs_finite_differences(route):
    th = [10.0, 2.0, 10.0] + ([1.0] if route == "oral" else [])
    reg = Regimen([100.0, 100.0], [0.0, 12.0], 1.0 if route == "infusion" else 0.0)
    m = OneCompartmentMM(route, **TIGHT)
    J = m.jacobian(T, th, reg)
    assert _rel(_fd(m).jacobian(T, th, reg), J) < FD_TOL


def test_effect_compartment_equals_closed_form():
    # Ce = D/V ke0/(ke0 - k) (exp(-k t) - exp(-ke0 t)) after a bolus (Sheiner et al. 1979)
    cl, v, ke0, e0, emax, ec50 = 1.0, 10.0, 0.5, 5.0, 20.0, 4.0
    k, t = cl / v, T[1:]
    ce = 100 / v * ke0 / (ke0 - k) * (np.exp(-k * t) - np.exp(-ke0 * t))
    m = EffectCompartmentEmax(OneCompartmentODE("bolus", **TIGHT))
    th = [cl, v, ke0, e0, emax, ec50]
    assert _rel(m.predict(t, th, 100, response="effect"), e0 + emax * ce / (ec50 + ce)) \
        < ODE_TOL
    assert _rel(m.predict(t, th, 100, response="conc"), 10.0 * np.exp(-k * t)) < ODE_TOL
    resp = np.tile(["conc", "effect"], t.size // 2 + 1)[: t.size]
    J = m.jacobian(t, th, 100, response=resp)
    assert _rel(_fd(m).jacobian(t, th, 100, response=resp), J) < FD_TOL


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_indirect_response_steady_state_and_sensitivities(kind):
    # a long infusion holds C at Css = rate/CL; R tends to kin H(Css)/kout (I, III) or
    # kin/(kout H(Css)) (II, IV), Dayneka et al. 1993. At t = 400 the PK (k = 0.1) and
    # the turnover (kout*H >= 0.05) transients are below exp(-20) ~ 2e-9.
    cl, v, kin, kout, top, c50 = 1.0, 10.0, 10.0, 0.5, 0.8, 2.0
    m = IndirectResponse(kind, OneCompartmentODE("infusion", **TIGHT))
    th = [cl, v, kin, kout, top, c50]
    reg = Regimen(3.0 * 500.0, 0.0, 500.0)  # rate 3 for 500 h
    css = 3.0 / cl
    H = 1.0 + (-1 if kind <= 2 else 1) * top * css / (c50 + css)
    r_ss = kin * H / kout if kind in (1, 3) else kin / (kout * H)
    r = m.predict([0.0, 400.0], th, reg, response="effect")
    assert abs(r[0] - kin / kout) < 1e-12 * kin / kout  # baseline, exactly x0
    assert abs(r[1] / r_ss - 1) < ODE_TOL
    t, reg2 = T[1:], Regimen(100.0, 0.0, 1.0)
    J = m.jacobian(t, th, reg2, response="effect")
    assert _rel(_fd(m).jacobian(t, th, reg2, response="effect"), J) < FD_TOL


def _ode_warfarin():
    """warfarin_example()'s population model with the structural model as an ODE."""
    return PopulationModel(OneCompartmentODE("oral", **TIGHT), {"CL": 0.15, "V": 8.0, "KA": 1.0},
                           omega=[0.07, 0.02, 0.6], error=Proportional(0.01))


def test_population_fo_fim_of_the_ode_model_equals_warfarin():
    # the FIM is a smooth function of f and J, which agree to ODE_TOL: same bound
    closed, design = warfarin_example()
    ode = _ode_warfarin()
    M0, M1 = closed.fim(design).matrix, ode.fim(design).matrix
    d = np.sqrt(np.diag(M0))
    assert np.max(np.abs((M1 - M0) / np.outer(d, d))) < ODE_TOL


def test_population_full_fim_of_the_ode_model_equals_warfarin():
    # the full FIM needs d2f/dtheta2: differences of the forward sensitivities, with error
    # about rtol / eps^(1/5): FD_TOL (measured 3.8e-8)
    closed, design = warfarin_example()
    ode = _ode_warfarin()
    M0, M1 = closed.fim(design, fim="full").matrix, ode.fim(design, fim="full").matrix
    d = np.sqrt(np.diag(M0))
    assert np.max(np.abs((M1 - M0) / np.outer(d, d))) < FD_TOL


def test_population_model_takes_an_ode_model_with_several_groups():
    model = PopulationModel(OneCompartmentMM("oral"), [10.0, 2.0, 10.0, 1.0],
                            omega=[0.1, 0.1, 0.1, 0.1], error=Proportional(0.01))
    fim = model.fim([Group([0.5, 2, 8, 24], 20, 100), Group([1, 4, 12, 36], 20, 300)])
    # 4 fixed effects, 4 variances, the residual variance; identifiable: positive definite
    assert fim.matrix.shape == (9, 9) and np.all(np.linalg.eigvalsh(fim.matrix) > 0)


# ---------------------------------------------------------------------- bad input
def _decay(**kw):
    def rhs(t, x, th):
        return -th[0] * x

    return ODEModel(rhs, ["K"], 1, jac_x=lambda t, x, th: np.array([[-th[0]]]),
                    jac_theta=lambda t, x, th: np.array([[-x[0]]]), **kw)


def test_integrator_failure_names_the_model_and_the_time():
    # x' = x^2 from x(0) = 1 blows up at t = 1/K = 1
    m = ODEModel(lambda t, x, th: th[0] * x**2, ["K"], 1,
                 jac_x=lambda t, x, th: np.array([[2 * th[0] * x[0]]]),
                 jac_theta=lambda t, x, th: np.array([[x[0] ** 2]]),
                 x0=lambda th: (np.ones(1), np.zeros((1, 1))), name="blowup")
    with pytest.raises(ValueError,
                       match=r"blowup: the ODE integration failed at t = (1|0\.99\d*) "):
        m.predict([0.5, 2.0], [1.0], 0.0)


def test_non_finite_rhs_is_an_error_not_a_nan():
    m = ODEModel(lambda t, x, th: np.full(1, np.nan) if t > 1 else -x, ["K"], 1,
                 jac_x=None, jac_theta=None, sensitivities="finite_differences")
    with pytest.raises(ValueError, match="ODE integration failed"):
        m.predict([0.5, 2.0], [1.0], 1.0)


def test_negative_dose_and_steady_state_are_refused():
    m = _decay()
    with pytest.raises(ValueError, match="dose must be >= 0"):
        m.predict([1.0], [1.0], -5.0)
    with pytest.raises(ValueError, match="amounts"):
        m.predict([1.0], [1.0], Regimen([10.0, -1.0], [0.0, 1.0]))
    with pytest.raises(ValueError, match="steady-state Regimen"):
        m.predict([1.0], [1.0], Regimen.steady_state(10.0, tau=12.0))
    with pytest.raises(ValueError, match="infusion durations must be 0"):
        OneCompartmentODE("oral").predict([1.0], [1.0, 10.0, 1.0], Regimen(10.0, 0.0, 1.0))


def test_wrong_shapes_of_user_functions_are_named():
    def bad(shape):
        return lambda t, x, th: np.zeros(shape)

    with pytest.raises(ValueError, match=r"jac_x must return shape \(1, 1\)"):
        ODEModel(lambda t, x, th: -x, ["K"], 1, jac_x=bad((2, 2)),
                 jac_theta=bad((1, 1))).jacobian([1.0], [1.0], 1.0)
    with pytest.raises(ValueError, match=r"jac_theta must return shape \(1, 1\)"):
        ODEModel(lambda t, x, th: -x, ["K"], 1, jac_x=bad((1, 1)),
                 jac_theta=bad((1,))).jacobian([1.0], [1.0], 1.0)
    with pytest.raises(ValueError, match=r"rhs must return shape \(1,\)"):
        ODEModel(bad((3,)), ["K"], 1, jac_x=bad((1, 1)),
                 jac_theta=bad((1, 1))).predict([1.0], [1.0], 1.0)
    with pytest.raises(ValueError, match=r"observe: dy_dx has shape \(1, 5\)"):
        ODEModel(lambda t, x, th: -x, ["K"], 1, jac_x=bad((1, 1)), jac_theta=bad((1, 1)),
                 observe=lambda X, th: (X[:, 0], np.zeros((1, 5)), np.zeros((1, 1)))
                 ).predict([1.0], [1.0], 1.0)


def test_bad_constructor_arguments_are_named():
    with pytest.raises(ValueError, match="jac_x and jac_theta must be given"):
        ODEModel(lambda t, x, th: -x, ["K"], 1, jac_x=None, jac_theta=None)
    with pytest.raises(ValueError, match="method"):
        _decay(method="Euler")
    with pytest.raises(ValueError, match="lag: 'TLAG' is not a parameter"):
        _decay(lag="TLAG")
    with pytest.raises(ValueError, match="dose_state"):
        _decay(dose_state=3)
    with pytest.raises(ValueError, match="observe: the volume 'V' is not a parameter"):
        _decay(observe=(0, "V"))
    with pytest.raises(TypeError, match="pk must be an ODEModel"):
        IndirectResponse(1, OneCompartment("oral"))
    with pytest.raises(ValueError, match="kind"):
        IndirectResponse(5, OneCompartmentODE("oral"))
