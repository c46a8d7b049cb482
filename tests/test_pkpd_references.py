"""Published population-FIM numbers of the reference tools, reproduced.

PFIM 6 (Mentré and colleagues; its test suite ``tests/testthat/test-example.R`` prints the
determinant of the population FIM of its library models to 16-19 digits): the FO FIM with
PFIM's conventions -- block-diagonal ("reduced", as PopED's default), variances
``omega^2`` of log-normal random effects, the residual error ``sd = a + b f``
(``convention='sd'``). Both are closed-form FIMs of closed-form models (PFIM's analytic
library models), so they agree to rounding: measured at most 8.3e-10 relative (the det of
an up to 8 x 8 matrix whose entries span 12 orders of magnitude); the tests require 1e-8.
PFIM's Michaelis-Menten library model is an ODE (PFIM integrates it with atol = rtol =
1e-8): written as an :class:`~fisherstat.pkpd.ODEModel` it agrees to 7.7e-5 relative.

PopED / Nyberg et al. (2015): the HCV viral-dynamics ODE example (:func:`hcv_example`),
whose D-criterion and RSE% the software comparison published. The PopED warfarin numbers
are in test_pkpd_population.py.
"""

import numpy as np
import pytest

from fisherstat.pkpd import (
    HCV_REFERENCE,
    Combined,
    Group,
    ODEModel,
    OneCompartment,
    PopulationModel,
    Proportional,
    Regimen,
    hcv_example,
)

T12 = [0.5, 1, 2, 6, 9, 12, 24, 36, 48, 72, 96, 120]


def _sd(a, b):
    return Combined(a, b, convention="sd")


#: name -> (structural, theta, omega (variances), error, times, subjects, dose, PFIM's det)
PFIM = {
    "Linear1BolusSingleDose_kV": (
        OneCompartment("bolus", parametrization="k"), dict(K=0.25, V=15), [0.25, 0.1],
        _sd(0.5, 0.15), [0.33, 1.5, 5, 12], 200, 100, 1456484950098966784),
    "Linear1BolusSingleDose_ClV": (
        OneCompartment("bolus"), dict(CL=3.75, V=15), [0.25, 0.1], _sd(0.5, 0.15),
        [0.33, 1.5, 5, 12], 200, 100, 7292815928272215),
    "Linear1InfusionSingleDose_kV": (
        OneCompartment("infusion", parametrization="k"), dict(K=0.6, V=3.5), [0.09, 0.09],
        _sd(0.1, 0.1), [0.5, 1, 4, 8], 40, Regimen(30, durations=2), 1976729482139640576.0),
    "Linear1InfusionSingleDose_ClV": (
        OneCompartment("infusion"), dict(CL=2, V=3.5), [0.09, 0.09], _sd(0.1, 0.1),
        [0.5, 1, 4, 8], 40, Regimen(30, durations=2), 155857928552697888.0),
    "Linear1Infusion_ClV (tau = 12)": (
        OneCompartment("infusion"), dict(CL=2, V=3.5), [0.09, 0.09], _sd(0.1, 0.1),
        [0, 1, 2, 5, 7, 8, 10, 12, 14, 15, 16, 20, 21, 30], 40,
        Regimen.repeated(30, 12, 3, duration=2), 15171420395090292736),
    "Linear1FirstOrderSingleDose_kakV": (
        OneCompartment("oral", parametrization="k"), dict(K=0.25, V=15, KA=2),
        [0.25, 0.1, 1.0], _sd(0.5, 0.15), [0.33, 1.5, 5, 12], 200, 100,
        293039672275859603466.0),
    "Linear1FirstOrderSingleDose_kaClV": (
        OneCompartment("oral"), dict(CL=0.13, V=8, KA=1.6), [0.06, 0.02, 0.7],
        _sd(0.6, 0.07), T12, 32, 100, 75038812388902169470420.0),
    "Linear1FirstOrder_kaClV (3 doses)": (
        OneCompartment("oral"), dict(CL=0.13, V=8, KA=1.6), [0.06, 0.02, 0.7],
        _sd(0.6, 0.07), [0.5, 1, 2, 6, 12, 48, 72, 120, 165, 220], 32,
        Regimen([100, 100, 100], times=[0, 80, 160]), 23048351728920705368024),
    "Linear1FirstOrderSingleDose_kaClV (proportional, one random effect)": (
        OneCompartment("oral"), dict(CL=0.513, V=63, KA=1.05), [0.0, 0.0, 0.1],
        Proportional(0.0676, convention="sd"), [0.01, 1, 3, 5, 7, 10, 13, 17, 24], 25, 5500,
        88354126194397.8),
}


@pytest.mark.parametrize("name", sorted(PFIM))
def test_pfim_population_fim_determinants(name):
    st, theta, omega, error, times, size, dose, ref = PFIM[name]
    model = PopulationModel(st, theta, omega=omega, error=error)
    det = np.linalg.det(model.fim(Group(times, size=size, dose=dose)).matrix)
    assert det == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("name, ref", [
    ("Linear1FirstOrderSingleDose_kaClV", 1532105538),
    ("Linear1FirstOrder_kaClV (3 doses)", 618022401.4696867465973),
])
def test_pfim_individual_fim_determinants(name, ref):
    """PFIM's individual FIM: the fixed effects and the error parameters, block-diagonal."""
    st, theta, omega, error, times, _, dose, _ = PFIM[name]
    model = PopulationModel(st, theta, omega=omega, error=error)
    info = model.individual_fim(times, dose=dose, fim="reduced")
    assert np.linalg.det(info.matrix) == pytest.approx(ref, rel=1e-8)


def test_pfim_michaelis_menten_ode_model():
    """PFIM's ``MichaelisMenten1FirstOrderSingleDose_kaVmKmV``: dC/dt = ka A_d / V -
    Vm C / (Km + C) with the depot dA_d/dt = -ka A_d (Vm in concentration per time), as an
    ODE with hand-derived Jacobians; PFIM's published det 592523761240. PFIM solves the ODE
    with atol = rtol = 1e-8: measured 7.7e-5 relative; required 2e-4."""

    def rhs(t, x, th):
        ka, v, vm, km = th
        return np.array([-ka * x[0], ka * x[0] / v - vm * x[1] / (km + x[1])])

    def jac_x(t, x, th):
        ka, v, vm, km = th
        return np.array([[-ka, 0.0], [ka / v, -vm * km / (km + x[1]) ** 2]])

    def jac_theta(t, x, th):
        ka, v, vm, km = th
        d = km + x[1]
        return np.array([[-x[0], 0.0, 0.0, 0.0],
                         [x[0] / v, -ka * x[0] / v**2, -x[1] / d, vm * x[1] / d**2]])

    st = ODEModel(rhs, ["ka", "V", "Vm", "Km"], 2, jac_x=jac_x, jac_theta=jac_theta,
                  observe=1, dose_state=0, rtol=1e-10, atol=1e-12)
    model = PopulationModel(st, dict(ka=1.0, V=15, Vm=0.08, Km=0.4),
                            omega=[0.2, 0.25, 0.1, 0.3], error=_sd(0.5, 0.15))
    g = Group([0, 0.33, 1.5, 3, 5, 8, 11, 12], size=200, dose=100)
    assert np.linalg.det(model.fim(g).matrix) == pytest.approx(592523761240, rel=2e-4)


def _hcv_crit_and_rse(fim):
    model, design = hcv_example()
    res = model.fim(design, fim=fim)
    # PopED's fixed effects are log(beta): its FIM is D M D, D = diag(beta, 1, ..., 1)
    d = np.r_[model.beta[4:], np.ones(9)]
    crit = np.exp(np.linalg.slogdet(res.matrix * np.outer(d, d))[1] / 16)
    return crit, res.rse


def test_hcv_example_reduced_fim_reproduces_the_published_criterion_and_rse():
    """Reduced FIM (first derivatives only, forward sensitivities at rtol 1e-10): the
    criterion 248.83 against the printed 248.8 (1.1e-4 relative, within the rounding of 4
    printed digits, 2e-4; required 5e-4); RSE% within 1.9% of the printed values (the
    largest differences, 0.2 points, on om2_n and the PD residual variance; PopED's own
    example test allows 5%; required 2.5%)."""
    crit, rse = _hcv_crit_and_rse("reduced")
    ref = HCV_REFERENCE["reduced"]
    assert crit == pytest.approx(ref["crit"], rel=5e-4)
    np.testing.assert_allclose(rse, ref["rse"], rtol=2.5e-2)


@pytest.mark.slow
def test_hcv_example_full_fim_reproduces_the_published_criterion_and_rse():
    """Full FIM (second derivatives of the predictions by Richardson differences of the
    forward sensitivities; ~6 s): 318.37 against 318.2 (5.3e-4 relative; PopED takes the
    second derivatives by finite differences too; required 1e-3); RSE% within 1.4%
    (required 2.5%)."""
    crit, rse = _hcv_crit_and_rse("full")
    ref = HCV_REFERENCE["full"]
    assert crit == pytest.approx(ref["crit"], rel=1e-3)
    np.testing.assert_allclose(rse, ref["rse"], rtol=2.5e-2)
