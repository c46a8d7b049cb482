"""Group covariates (covariate models of the typical values) and inter-occasion variability
in the population FIM: the numeric reference, closed-form identities, bad input."""

import warnings

import numpy as np
import pytest
from conftest import N_SE
from test_pkpd_population import WARFARIN_T, _close, _reference_fims

from fisherstat import SingularFisherWarning
from fisherstat.pkpd import exact_fim
from fisherstat.pkpd.errors import Additive, Combined, Proportional
from fisherstat.pkpd.population import Group, PopulationModel, warfarin_example
from fisherstat.pkpd.structural import OneCompartment, Regimen, UserModel

# The numeric reference (nested central differences of E(y) and Var(y), truncation and
# rounding ~1e-8) agrees with the analytic FIM to <= 8.3e-8 relative (measured: worst the
# linear covariate model, full FIM; 2e-11..1e-8 elsewhere); 1e-6 leaves a margin > 10.
REF_RTOL = 1e-6
THETA = {"CL": 0.15, "V": 8.0, "KA": 1.0}


def _cov_model(form="power", **kw):
    power = form == "power"  # allometric exponents, or 1% (linear) / 1.5% per kg
    return PopulationModel(OneCompartment("oral"), {**THETA, "WT_on_CL": 0.75 if power else 0.01,
                                                    "WT_on_V": 1.0 if power else 0.015},
                           [0.07, 0.02, 0.6], Proportional(0.01),
                           covariate_model={"CL": ("WT", form, 70.0), "V": ("WT", form, 70.0)},
                           **kw)


def _two_groups():
    return [Group(WARFARIN_T, 16, 70, covariates={"WT": 50.0}),
            Group([0.5, 2.0, 6.0, 24.0, 72.0], 16, 70, covariates={"WT": 95.0})]


# ------------------------------------------------------------------------ covariates
@pytest.mark.parametrize("form", ["power", "linear", "exponential"])
def test_covariate_model_fim_matches_numeric_implementation(form):
    model = _cov_model(form)
    assert model.param_names[:5] == ("CL", "V", "KA", "WT_on_CL", "WT_on_V")
    groups = _two_groups()
    for fim in ("reduced", "full"):
        ref = sum(_reference_fims(model, g)[fim] for g in groups)
        assert _close(model.fim(groups, fim=fim).matrix, ref, REF_RTOL)


def test_two_covariates_on_one_parameter_and_foce_linearisation_match_reference():
    model = PopulationModel(OneCompartment("oral"),
                            {**THETA, "WT_on_CL": 0.75, "SEX_on_CL": -0.2, "AGE_on_KA": 0.01},
                            [0.07, 0.02, 0.6], Combined(0.05, 0.01),
                            covariate_model={"CL": [("WT", "power", 70), ("SEX", "linear", 0)],
                                             "KA": ("AGE", "exponential", 40)})
    assert model.covariate_names == ("AGE", "SEX", "WT")
    g = Group([0.5, 2.0, 6.0, 24.0, 72.0], 20, 70,
              covariates={"WT": 60.0, "SEX": 1.0, "AGE": 65.0})
    ref = _reference_fims(model, g)
    for fim in ("reduced", "full"):
        assert _close(model.fim(g, fim=fim).matrix, ref[fim], REF_RTOL)
    eta0 = np.array([0.2, -0.1, 0.4])
    ref0 = _reference_fims(model, g, eta0)
    for fim in ("reduced", "full"):
        full = fim == "full"
        M, ok = model._fim_batch(model._group_rows(g, full, eta=eta0), full)
        assert ok[0] and _close(g.size * M[0], ref0[fim], REF_RTOL)
    # FOCE is the average of these linearisations over draws (the same draws: rtol 1e-12)
    res = model.fim(g, approximation="FOCE", n_draws=3, rng=5)
    etas = np.random.default_rng(5).standard_normal((3, 3)) @ np.linalg.cholesky(model.omega).T
    avg = np.mean([model._fim_batch(model._group_rows(g, False, eta=e), False)[0][0]
                   for e in etas], axis=0)
    np.testing.assert_allclose(res.matrix, g.size * avg, rtol=1e-12)


def test_power_model_at_the_reference_weight_is_the_model_without_covariates():
    """At WT = ref, (WT/ref)^theta = 1 whatever theta: the group's typical values are beta
    and d/dtheta = beta log(WT/ref) = 0, so the other entries are exactly the FIM of the
    model without covariates and the exponent has zero information (singular FIM)."""
    model, base = _cov_model(), warfarin_example()[0]
    g = Group(WARFARIN_T, 32, 70, covariates={"WT": 70.0})
    res = model.fim(g, fim="full")
    keep = [i for i, n in enumerate(res.param_names) if "_on_" not in n]
    # the same entries, computed with the covariate-effect (zero) columns in the products:
    # equal up to the summation order of the BLAS (measured 0 on OpenBLAS 0.3.x, 9.9e-16
    # relative with the oldest supported numpy)
    np.testing.assert_allclose(res.matrix[np.ix_(keep, keep)], base.fim(
        Group(WARFARIN_T, 32, 70), fim="full").matrix, rtol=1e-13, atol=0)
    assert np.all(res.matrix[3:5] == 0)
    assert res.info.rank == len(res.param_names) - 2


def test_one_weight_does_not_identify_the_exponent_two_weights_do():
    """With one group at WT != ref the exponent's column is log(WT/ref) CL_g times CL's
    column (d CL_g / d theta = CL_g log(WT/ref), d CL_g / d CL = CL_g / CL): rank k - 1."""
    model = PopulationModel(OneCompartment("oral"), {**THETA, "WT_on_CL": 0.75},
                            [0.07, 0.02, 0.6], Proportional(0.01),
                            covariate_model={"CL": ("WT", "power", 70.0)})
    one = model.fim(Group(WARFARIN_T, 32, 70, covariates={"WT": 90.0}))
    k = len(one.param_names)
    assert one.info.rank == k - 1
    with pytest.warns(SingularFisherWarning):
        one.info.inverse()
    two = model.fim(_two_groups())
    assert two.info.rank == k
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingularFisherWarning)
        two.info.inverse()
    assert np.all(np.isfinite(two.rse))


def test_individual_fim_takes_the_covariates():
    model = _cov_model()
    info = model.individual_fim([0.5, 2, 6, 24, 72], dose=70, covariates={"WT": 70.0})
    assert info.param_names == ("CL", "V", "KA", "WT_on_CL", "WT_on_V", "sig2_prop")
    base = warfarin_example()[0].individual_fim([0.5, 2, 6, 24, 72], dose=70)
    np.testing.assert_array_equal(info.matrix[np.ix_([0, 1, 2, 5], [0, 1, 2, 5])],
                                  base.matrix)


# -------------------------------------------------------------- inter-occasion variability
def _iov_model(**kw):
    return PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6],
                           Proportional(0.01), iov={"CL": 0.02, "V": 0.01}, **kw)


def test_iov_fim_matches_numeric_implementation():
    model = _iov_model(eta_model={"V": "additive"})
    assert model.param_names == ("CL", "V", "KA", "om2_CL", "om2_V", "om2_KA", "pi2_CL",
                                 "pi2_V", "sig2_prop")
    g = Group([0.5, 2.0, 24.0, 48.5, 50.0, 72.0], 20, Regimen([70.0, 70.0], [0.0, 48.0]),
              occasions=[0, 0, 0, 2, 2, 2])
    ref = _reference_fims(model, g)
    for fim in ("reduced", "full"):
        assert _close(model.fim(g, fim=fim).matrix, ref[fim], REF_RTOL)


def test_iov_on_a_parameter_without_between_subject_variability_and_with_covariates():
    model = PopulationModel(OneCompartment("oral"), {**THETA, "WT_on_CL": 0.75},
                            [0.07, 0.0, 0.6], Additive(0.05), iov=[0.0, 0.03, 0.1],
                            covariate_model={"CL": ("WT", "power", 70.0)})
    assert model.param_names == ("CL", "V", "KA", "WT_on_CL", "om2_CL", "om2_KA", "pi2_V",
                                 "pi2_KA", "sig2_add")
    g = Group([0.5, 2.0, 24.0, 0.5, 2.0, 24.0], 20, 70, covariates={"WT": 80.0},
              occasions=[1, 1, 1, 0, 0, 0])
    ref = _reference_fims(model, g)
    res = model.fim(g, fim="full")
    assert _close(res.matrix, ref["full"], REF_RTOL)
    assert set(res.shrinkage["var"]) == {"CL", "KA"}


def test_one_occasion_with_vanishing_iov_is_the_model_without_iov():
    """Pi -> 0 on one occasion: V = Z Omega Z' + Pi Z_CL Z_CL' + R differs from the model
    without IOV by O(Pi) = 1e-12 against entries O(1e-2..1), so the other entries of the FIM
    agree to ~1e-10 relative (times a condition number ~1e2 of V): 1e-8 is safe."""
    base, design = warfarin_example()
    tiny = PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6],
                           Proportional(0.01), iov={"CL": 1e-12})
    for fim in ("reduced", "full"):
        m = tiny.fim(design, fim=fim)
        keep = [i for i, n in enumerate(m.param_names) if n != "pi2_CL"]
        np.testing.assert_allclose(m.matrix[np.ix_(keep, keep)], base.fim(design, fim=fim)
                                   .matrix, rtol=1e-8, atol=0)


def test_iov_in_a_linear_model_has_the_closed_form():
    """f = a + b t with additive effects: y ~ N(X beta, X Om X' + pi sum_o 1_o 1_o' + s2 I)
    exactly, whose FIM (Kay 1993, eq. 3.31) is written out here."""
    st = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
                   lambda t, th, d: np.column_stack([np.ones_like(t), t]),
                   bounds=[(-np.inf, np.inf)] * 2)
    om, pi, s2 = np.array([0.3, 0.05]), 0.1, 0.2
    model = PopulationModel(st, [1.0, 0.5], om, Additive(s2), eta_model="additive",
                            iov={"a": pi})
    t = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 3.0])
    occ = np.array([0, 0, 0, 1, 1, 1, 1])
    X = np.column_stack([np.ones(7), t])
    B = (occ[:, None] == occ[None, :]).astype(float)  # sum_o 1_o 1_o'
    V = X @ np.diag(om) @ X.T + pi * B + s2 * np.eye(7)
    Vi = np.linalg.inv(V)
    dV = [np.outer(X[:, 0], X[:, 0]), np.outer(X[:, 1], X[:, 1]), B, np.eye(7)]
    M = np.zeros((6, 6))
    M[:2, :2] = X.T @ Vi @ X
    M[2:, 2:] = [[0.5 * np.trace(Vi @ a @ Vi @ b) for b in dV] for a in dV]
    res = model.fim(Group(t, 1, occasions=occ), fim="full")
    # the two computations differ only in rounding (cond(V) ~ 50): 1e-11 relative
    np.testing.assert_allclose(res.matrix, M, rtol=1e-11, atol=1e-13)


def test_replacing_times_keeps_the_occasions_of_the_same_samples():
    g = Group([0.5, 2.0, 24.0, 26.0], 10, 70, occasions=[0, 0, 1, 1])
    assert g.replace(times=[1.0, 3.0, 25.0, 30.0]).occasions.tolist() == [0, 0, 1, 1]
    assert g.replace(times=[1.0, 3.0]).occasions is None
    assert g.replace(size=3).occasions.tolist() == [0, 0, 1, 1]


# -------------------------------------------------------------------------- bad input
def test_bad_covariate_and_occasion_input_gets_a_clear_error():
    model = _cov_model()
    with pytest.raises(ValueError, match=r"missing covariates \['WT'\]"):
        model.fim(Group(WARFARIN_T, 32, 70))
    with pytest.raises(ValueError, match=r"unknown covariates \['HT'\]"):
        model.fim(Group(WARFARIN_T, 32, 70, covariates={"WT": 70, "HT": 170}))
    with pytest.raises(ValueError, match="covariate WT must be > 0 for the power model"):
        model.fim(Group(WARFARIN_T, 32, 70, covariates={"WT": 0.0}))
    with pytest.raises(ValueError, match="linear covariate model .* must be > 0"):
        _cov_model("linear").fim(Group(WARFARIN_T, 32, 70, covariates={"WT": -50.0}))
    with pytest.raises(ValueError, match=r"unknown covariates \['WT'\]"):
        warfarin_example()[0].fim(Group(WARFARIN_T, 32, 70, covariates={"WT": 70}))
    with pytest.raises(ValueError, match="covariate_model: unknown parameter 'Cl'"):
        PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6], Proportional(0.01),
                        covariate_model={"Cl": ("WT", "power", 70)})
    with pytest.raises(ValueError, match="form must be one of"):
        PopulationModel(OneCompartment("oral"), {**THETA, "WT_on_CL": 1}, [0.07, 0.02, 0.6],
                        Proportional(0.01), covariate_model={"CL": ("WT", "allometric", 70)})
    with pytest.raises(ValueError, match="ref must be > 0"):
        PopulationModel(OneCompartment("oral"), {**THETA, "WT_on_CL": 1}, [0.07, 0.02, 0.6],
                        Proportional(0.01), covariate_model={"CL": ("WT", "power", 0)})
    with pytest.raises(ValueError, match=r"theta: missing values for \['WT_on_CL'\]"):
        PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6], Proportional(0.01),
                        covariate_model={"CL": ("WT", "power", 70)})
    with pytest.raises(TypeError, match="covariate_model must be a mapping"):
        PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6], Proportional(0.01),
                        covariate_model=[("CL", "WT", "power", 70)])
    with pytest.raises(TypeError, match="covariates must be a mapping"):
        Group(WARFARIN_T, 32, 70, covariates=70)
    with pytest.raises(ValueError, match="covariates\\['WT'\\] must be"):
        Group(WARFARIN_T, 32, 70, covariates={"WT": np.nan})
    with pytest.raises(ValueError, match=r"occasions must give one occasion index per sample"):
        Group([0.5, 2.0, 24.0], 32, 70, occasions=[0, 1])
    with pytest.raises(ValueError, match="occasions must be integers >= 0"):
        Group([0.5, 2.0, 24.0], 32, 70, occasions=[0, 1, -1])
    with pytest.raises(ValueError, match="iov: the variance of V must be >= 0"):
        PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6], Proportional(0.01),
                        iov=[0.01, -0.02, 0.0])
    with pytest.raises(ValueError, match=r"iov: unknown parameters \['Q'\]"):
        PopulationModel(OneCompartment("oral"), THETA, [0.07, 0.02, 0.6], Proportional(0.01),
                        iov={"Q": 0.1})
    with pytest.raises(ValueError, match="approximation must be 'FO' with inter-occasion"):
        _iov_model().fim(Group(WARFARIN_T, 32, 70), approximation="FOCE")
    with pytest.raises(ValueError, match="exact .* does not support inter-occasion"):
        exact_fim(_iov_model(), Group(WARFARIN_T, 32, 70), n_samples=2, n_nodes=1)


def test_exact_fim_of_a_covariate_model_equals_fo_for_a_model_linear_in_eta():
    """y = a_g + b t + eta_a + eps with a_g = a (1 + theta (x - ref)): Gaussian with
    mean a_g + b t and a variance free of the fixed effects, so the full FO FIM is exact
    and the MC-AGQ FIM must agree within N_SE of its own Monte Carlo standard errors (the
    posterior of eta is Gaussian and the complete-data scores are quadratic in eta, which
    Gauss-Hermite quadrature with 2 or more nodes integrates exactly)."""
    st = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
                   lambda t, th, d: np.column_stack([np.ones_like(t), t]),
                   bounds=[(-np.inf, np.inf)] * 2)
    model = PopulationModel(st, {"a": 1.0, "b": 0.5, "X_on_a": 0.3}, [0.3, 0.0],
                            Additive(0.2), eta_model="additive",
                            covariate_model={"a": ("X", "linear", 0.0)})
    design = [Group([0.0, 1.0, 2.0], 10, covariates={"X": 0.0}),
              Group([0.0, 2.0, 4.0], 10, covariates={"X": 1.0})]
    fo = model.fim(design, fim="full")
    ex = exact_fim(model, design, n_samples=4000, n_nodes=2, rng=3)
    assert ex.param_names == fo.param_names == ("a", "b", "X_on_a", "om2_a", "sig2_add")
    assert np.all(np.abs(ex.matrix - fo.matrix) <= N_SE * ex.info.stderr + 1e-9)
