"""Population FIM by FO: PopED's warfarin numbers, an independent numeric implementation,
Monte Carlo scores, the individual FIM, shrinkage, error conventions, bad input."""

import numpy as np
import pytest
from conftest import N_SE
from scipy import stats

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.pkpd.errors import Additive, Combined, Proportional
from fisherstat.pkpd.population import Group, PopulationModel, warfarin_example
from fisherstat.pkpd.structural import LinkedPD, OneCompartment, TwoCompartment, UserModel

WARFARIN_T = [0.5, 1, 2, 6, 24, 36, 72, 120]


# ---------------------------------------------------------------- reference (numeric)
def _reference_fims(model, group, eta0=None):
    """FO (or FOCE around ``eta0``) FIM from numeric derivatives of E(y) and Var(y).

    Independent of the package's FIM code: the group's typical values are the covariate
    model written out (power, linear, exponential), Z is the numeric derivative of f with
    respect to the random effects (eta, then the occasion effects kappa_o, occasion-major)
    through phi = beta exp(eta + kappa_o) etc. at ``eta0``, the linearised mean is
    f(phi(beta, eta0)) - Z eta0, dV/dpsi numeric, I = m'V^-1 m' + tr/2.
    """
    st = model.structural
    p, c = model.n_beta, len(model._effects)
    ridx, kidx = model.random_idx, model.iov_idx
    q, s = ridx.size, kidx.size
    pat = model._omega_pattern
    resp = st.check_response(group.response, group.n_samples)
    names = model.param_names
    n_err = [len(e.param_names) for e in model.errors]
    occ = (np.zeros(group.n_samples, dtype=int) if group.occasions is None
           else np.unique(group.occasions, return_inverse=True)[1])
    n_occ = occ.max() + 1

    def split(psi):
        beta, gamma = psi[:p], psi[p:p + c]
        om = np.zeros((q, q))
        for (a, b), v in zip(pat, psi[p + c:p + c + len(pat)], strict=True):
            om[a, b] = om[b, a] = v
        k0 = p + c + len(pat)
        return beta, gamma, om, psi[k0:k0 + s], psi[k0 + s:]

    def typical(beta, gamma):
        out = beta.copy()
        for (k, cov, form, ref), th in zip(model._effects, gamma, strict=True):
            x = group.covariates[cov]
            if form == "power":
                out[k] *= (x / ref) ** th
            elif form == "linear":
                out[k] *= 1 + th * (x - ref)
            else:
                out[k] *= np.exp(th * (x - ref))
        return out

    def phi(b0, e):  # e: the total random effect on each of the p parameters
        out = b0.copy()
        for i in range(p):
            kind = model.eta_model.get(names[i])
            b = b0[i]
            if kind is None:
                continue
            if kind == "exponential":
                out[i] = b * np.exp(e[i])
            elif kind == "additive":
                out[i] = b + e[i]
            elif kind == "proportional":
                out[i] = b * (1 + e[i])
            else:  # logit-normal
                out[i] = 1.0 / (1.0 + np.exp(-np.log(b / (1.0 - b)) - e[i]))
        return out

    e0 = np.zeros(q + n_occ * s)
    if eta0 is not None:
        e0[:q] = eta0

    def pred(beta, gamma, e):
        b0, f = typical(beta, gamma), np.empty(group.n_samples)
        for o in range(n_occ):
            tot = np.zeros(p)
            tot[ridx] += e[:q]
            tot[kidx] += e[q + o * s:q + (o + 1) * s]
            f_o = st.predict(group.times, phi(b0, tot), group.dose, resp)
            f[occ == o] = f_o[occ == o]
        return f

    def zmat(beta, gamma):
        return _numdiff.jacobian(lambda e: pred(beta, gamma, e), e0.copy())

    def mean(psi):
        beta, gamma = split(psi)[:2]
        return pred(beta, gamma, e0) - zmat(beta, gamma) @ e0

    def var(psi):
        beta, gamma, om, pi, sig = split(psi)
        Z = zmat(beta, gamma)
        f = pred(beta, gamma, e0)
        v = np.zeros(f.size)
        k0 = 0
        for r, (e, k) in enumerate(zip(model.errors, n_err, strict=True)):
            m = resp == r
            v[m] = e.variance(f[m], sig[k0:k0 + k])[0]
            k0 += k
        Om = np.zeros((e0.size,) * 2)
        Om[:q, :q] = om
        Om[q:, q:] = np.kron(np.eye(n_occ), np.diag(pi))
        return Z @ Om @ Z.T + np.diag(v)

    psi = model.values.copy()
    dm = _numdiff.jacobian(mean, psi)
    dV = _numdiff.jacobian(var, psi)  # (n, n, P)
    Vi = np.linalg.inv(var(psi))
    P = psi.size
    M = dm.T @ Vi @ dm
    T = 0.5 * np.array([[np.trace(Vi @ dV[:, :, a] @ Vi @ dV[:, :, b]) for b in range(P)]
                        for a in range(P)])
    full = M + T
    red = M.copy()
    nf = p + c
    red[nf:, nf:] += T[nf:, nf:]
    est = np.ix_(model.estimated, model.estimated)
    return {"full": group.size * full[est], "reduced": group.size * red[est]}


def _close(a, b, rtol):
    scale = np.sqrt(np.outer(np.diag(np.abs(b)), np.diag(np.abs(b))))
    return np.max(np.abs(a - b) / scale) < rtol


# ------------------------------------------------------------------- PopED warfarin
def test_warfarin_reduced_fim_matches_poped():
    model, design = warfarin_example()
    res = model.fim(design)
    assert res.param_names == ("CL", "V", "KA", "om2_CL", "om2_V", "om2_KA", "sig2_prop")
    assert abs(res.det / 5.996147e22 - 1) < 1e-6
    rse_poped = [4.74, 2.76, 13.93, 25.63, 30.34, 25.78, 11.17]
    np.testing.assert_allclose(res.rse, rse_poped, atol=0.01)
    assert res.ofv == pytest.approx(np.log(5.996147e22), abs=1e-6)


def test_warfarin_full_fim_matches_poped():
    model, design = warfarin_example()
    res = model.fim(design, fim="full")
    assert abs(res.det / 1.220371e24 - 1) < 1e-5
    # PopED's test suite (test_evaluate.fim.R): RSE of the full FIM, rounded to 0.1
    np.testing.assert_allclose(res.rse, [3.6, 2.6, 4.8, 26.3, 30.9, 26.5, 12.4], atol=0.05)


def test_warfarin_fim_matches_independent_numeric_implementation():
    model, design = warfarin_example()
    ref = _reference_fims(model, design)
    for fim in ("reduced", "full"):
        assert _close(model.fim(design, fim=fim).matrix, ref[fim], 1e-6)


def test_full_omega_two_compartment_fim_matches_numeric_implementation():
    om = np.array([[0.09, 0.03, 0.0, 0.0], [0.03, 0.04, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0],
                   [0.0, 0.0, 0.0, 0.05]])
    model = PopulationModel(TwoCompartment("bolus"), [2.0, 10.0, 3.0, 20.0], om,
                            Combined(0.05, 0.02), eta_model={"V2": "additive"})
    assert model.param_names == ("CL", "V1", "Q", "V2", "om2_CL", "om2_V1", "om2_V2",
                                 "om_CL_V1", "sig2_add", "sig2_prop")
    g = Group([0.1, 0.5, 1.0, 3.0, 6.0, 12.0, 24.0], size=20, dose=100)
    ref = _reference_fims(model, g)
    for fim in ("reduced", "full"):
        assert _close(model.fim(g, fim=fim).matrix, ref[fim], 1e-6)


def test_pkpd_two_response_fim_matches_numeric_implementation():
    st = LinkedPD(OneCompartment("oral"), "emax")
    model = PopulationModel(st, [0.15, 8.0, 1.0, 2.0, 10.0, 3.0],
                            {"CL": 0.07, "V": 0.02, "EC50": 0.1},
                            [Proportional(0.01), Additive(0.25)])
    assert model.param_names[-2:] == ("sig2_prop", "sig2_add")
    g = Group([0.5, 6, 24, 2, 24, 72], size=10, dose=70,
              response=["conc"] * 3 + ["effect"] * 3)
    ref = _reference_fims(model, g)
    for fim in ("reduced", "full"):
        assert _close(model.fim(g, fim=fim).matrix, ref[fim], 1e-6)


def test_foce_linearisation_at_a_draw_matches_numeric_implementation():
    model, design = warfarin_example()
    g = design.replace(times=[0.5, 2.0, 6.0, 24.0, 72.0])
    eta0 = np.array([0.2, -0.1, 0.5])
    d, resp = model._check_group(g)
    ref = _reference_fims(model, g, eta0)
    for fim in ("reduced", "full"):
        full = fim == "full"
        M, ok = model._fim_batch(model._rows(g.times, d, resp, full, eta0), full)
        assert ok[0]
        assert _close(g.size * M[0], ref[fim], 1e-6)


def test_foce_is_the_average_over_its_draws_and_exact_for_linear_models():
    model, design = warfarin_example()
    g = design.replace(times=[0.5, 2.0, 24.0, 72.0])
    res = model.fim(g, approximation="FOCE", n_draws=3, rng=5)
    etas = np.random.default_rng(5).standard_normal((3, 3)) @ np.linalg.cholesky(model.omega).T
    d, resp = model._check_group(g)
    avg = np.mean([model._fim_batch(model._rows(g.times, d, resp, False, e), False)[0][0]
                   for e in etas], axis=0)
    np.testing.assert_allclose(res.matrix, g.size * avg, rtol=1e-12)
    assert res.approximation == "FOCE"
    # linear model, additive random effects: the linearisation is exact at every eta
    st = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
                   lambda t, th, d: np.column_stack([np.ones_like(t), t]),
                   bounds=[(-np.inf, np.inf)] * 2)
    lin = PopulationModel(st, [1.0, 0.5], [0.3, 0.05], Additive(0.2), eta_model="additive")
    gl = Group([0.0, 1.0, 2.0, 4.0], 10)
    np.testing.assert_allclose(lin.fim(gl, approximation="FOCE", n_draws=20, rng=0).matrix,
                               lin.fim(gl).matrix, rtol=1e-9)


# ------------------------------------------------------------- individual information
def test_fo_fim_without_random_effects_equals_individual_fim():
    t = np.array([0.5, 2.0, 6.0, 24.0, 72.0])
    m0 = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0.0, 0.0, 0.0],
                         Proportional(0.01))
    assert m0.param_names == ("CL", "V", "KA", "sig2_prop")
    ind = m0.individual_fim(t, 70)
    # the Foundation's nonlinear regression (an independent implementation)
    ref = fs.fisher(fs.models.OneCompartmentOral(dose=70, error="proportional"),
                    [0.15, 8.0, 1.0, 0.01], x=t).matrix
    assert _close(ind.matrix, ref, 1e-12)
    assert _close(m0.fim(Group(t, 25, 70), fim="full").matrix, 25 * ref, 1e-12)
    # the reduced variant drops the dependence of the variance on the fixed effects
    red = m0.fim(Group(t, 1, 70), fim="reduced").matrix
    J = OneCompartment("oral").jacobian(t, [0.15, 8.0, 1.0], 70)
    v = 0.01 * OneCompartment("oral").predict(t, [0.15, 8.0, 1.0], 70) ** 2
    assert _close(red[:3, :3], J.T @ (J / v[:, None]), 1e-12)
    assert np.all(red[:3, 3] == 0)


def test_individual_fim_ignores_random_effects():
    model, _ = warfarin_example()
    t = [0.5, 2, 6, 24, 72]
    m0 = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0, 0, 0],
                         Proportional(0.01))
    np.testing.assert_allclose(model.individual_fim(t, 70).matrix,
                               m0.individual_fim(t, 70).matrix, rtol=1e-14)


def test_linear_mixed_model_fim_matches_monte_carlo_scores():
    # f = a + b t with additive random effects: FO is exact, y ~ N(X beta, Z Om Z' + s2 I)
    st = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
                   lambda t, th, d: np.column_stack([np.ones_like(t), t]),
                   bounds=[(-np.inf, np.inf)] * 2)
    model = PopulationModel(st, [1.0, 0.5], [0.3, 0.05], Additive(0.2), eta_model="additive")
    t = np.array([0.0, 1.0, 2.0, 4.0])
    info = model.fim(Group(t, 1)).matrix
    X = np.column_stack([np.ones(4), t])
    rng = np.random.default_rng(11)
    N = 40_000
    Y = rng.multivariate_normal(X @ [1.0, 0.5], X @ np.diag([0.3, 0.05]) @ X.T
                                + 0.2 * np.eye(4), size=N)

    def loglik(psi):
        cov = X @ np.diag(psi[2:4]) @ X.T + psi[4] * np.eye(4)
        return stats.multivariate_normal(X @ psi[:2], cov).logpdf(Y)

    S = _numdiff.jacobian(loglik, model.values.copy())  # per-draw scores (N, 5)
    terms = np.einsum("ni,nj->nij", S, S)
    mc, se = terms.mean(axis=0), terms.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(mc - info) <= N_SE * se + 1e-9)


# --------------------------------------------------------------------------- shrinkage
def test_shrinkage_of_a_random_intercept_has_the_closed_form():
    st = UserModel(lambda t, th, d: th[0] + 0 * t, ["a"],
                   lambda t, th, d: np.ones((t.size, 1)), bounds=[(-np.inf, np.inf)])
    om, s2, n = 0.4, 0.5, 3
    model = PopulationModel(st, [2.0], [om], Additive(s2), eta_model="additive")
    res = model.fim(Group(np.arange(n, dtype=float), 10))
    sv = s2 / (n * om + s2)  # var(eta | y) / omega
    assert res.shrinkage["var"]["a"] == pytest.approx(sv, rel=1e-12)
    assert res.shrinkage["sd"]["a"] == pytest.approx(1 - np.sqrt(1 - sv), rel=1e-12)


def test_shrinkage_is_averaged_over_groups_by_size():
    model, _ = warfarin_example()
    g1, g2 = Group([0.5, 2, 24], 10, 70), Group([1, 6, 72, 120], 30, 70)
    s1 = model.fim(g1).shrinkage["var"]
    s2 = model.fim(g2).shrinkage["var"]
    both = model.fim([g1, g2]).shrinkage["var"]
    for k in both:
        assert both[k] == pytest.approx(0.25 * s1[k] + 0.75 * s2[k], rel=1e-12)


# ------------------------------------------------------------------ design structure
def test_groups_add_and_fixed_parameters_are_dropped():
    model, _ = warfarin_example()
    g1, g2 = Group([0.5, 2, 24], 10, 70), Group([1, 6, 72, 120], 22, 35.0)
    both = model.fim([g1, g2]).matrix
    np.testing.assert_allclose(both, model.fim(g1).matrix + model.fim(g2).matrix, rtol=1e-13)
    fixed = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0.07, 0.02, 0.6],
                            Proportional(0.01), fixed=["KA", "om2_V"])
    sub = fixed.fim([g1, g2])
    keep = [0, 1, 3, 5, 6]
    assert sub.param_names == ("CL", "V", "om2_CL", "om2_KA", "sig2_prop")
    np.testing.assert_allclose(sub.matrix, both[np.ix_(keep, keep)], rtol=1e-13)


def test_pfim_sd_convention_is_a_reparametrisation_for_proportional_error():
    b = 0.1
    mv = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0.07, 0.02, 0.6],
                         Proportional(b**2))
    ms = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0.07, 0.02, 0.6],
                         Proportional(b, convention="sd"))
    g = Group(WARFARIN_T, 32, 70)
    Jr = np.diag([1, 1, 1, 1, 1, 1, 2 * b])  # d sigma2 / d b = 2 b
    np.testing.assert_allclose(ms.fim(g).matrix, Jr @ mv.fim(g).matrix @ Jr, rtol=1e-12)
    assert ms.param_names[-1] == "sd_prop"


def test_combined_error_conventions_are_different_models():
    f = np.array([0.5, 2.0, 10.0])
    v_poped = Combined(0.04, 0.01).variance(f)[0]
    v_pfim = Combined(0.2, 0.1, convention="sd").variance(f)[0]
    np.testing.assert_allclose(v_poped, 0.04 + 0.01 * f**2)
    np.testing.assert_allclose(v_pfim, (0.2 + 0.1 * f) ** 2)
    assert not np.allclose(v_poped, v_pfim)


def test_summary_reports_ofv_rse_and_shrinkage():
    model, design = warfarin_example()
    text = model.fim(design).summary()
    assert "ln det(FIM) (ofv) = 52.4480" in text and "det = 5.996147e+22" in text
    assert "13.93" in text and "expected shrinkage" in text
    assert model.fim(design).info.param_names == model.param_names


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("omega,match", [
    (np.array([[0.07, 0.1, 0], [0.1, 0.02, 0], [0, 0, 0.6]]), "must be positive definite"),
    ([0.07, -0.02, 0.6], "variance of V must be >= 0"),
    ([0.07, 0.02], "omega must have 3 entries"),
    ({"CL": 0.07, "Vd": 0.1}, "unknown parameters"),
    (np.array([[0.07, 0.01, 0], [0.0, 0.02, 0], [0, 0, 0.6]]), "must be symmetric"),
])
def test_bad_omega_gets_a_clear_error(omega, match):
    with pytest.raises(ValueError, match=match):
        PopulationModel(OneCompartment("oral"), [0.15, 8, 1], omega, Proportional(0.01))


def test_bad_population_input_gets_a_clear_error():
    model, _ = warfarin_example()
    with pytest.raises(ValueError, match="dose is missing"):
        model.fim(Group(WARFARIN_T, 32))
    with pytest.raises(ValueError, match="times: entry 0 must be >= 0"):
        Group([-1.0, 2.0], 32, 70)
    with pytest.raises(ValueError, match="size must be > 0"):
        Group([1.0, 2.0], 0, 70)
    with pytest.raises(ValueError, match="not positive definite"):
        model.fim(Group([0.0, 1.0, 2.0], 32, 70))  # proportional error, f(0) = 0
    with pytest.raises(ValueError, match="fim must be one of"):
        model.fim(Group(WARFARIN_T, 32, 70), fim="FOCE")
    with pytest.raises(ValueError, match="fixed: unknown parameter 'sigma'"):
        PopulationModel(OneCompartment("oral"), [0.15, 8, 1], [0.07, 0.02, 0.6],
                        Proportional(0.01), fixed=["sigma"])
    with pytest.raises(ValueError, match="one error model per response"):
        PopulationModel(LinkedPD(OneCompartment("oral")), [0.15, 8, 1, 0, 1, 1],
                        [0.07, 0.02, 0.6, 0, 0, 0], Proportional(0.01))
    with pytest.raises(ValueError, match="sig2_prop must be > 0"):
        Proportional(0.0)
    with pytest.raises(ValueError, match="convention must be one of"):
        Additive(1.0, convention="cv")
    with pytest.raises(TypeError, match="design must be a Group"):
        model.fim([0.5, 1.0])


def test_population_fim_holds_a_fisher_info():
    """PopulationFIM is a FisherInfo (n_obs = subjects) plus population summaries: the
    study SEs are the FisherInfo's Cramer-Rao bound at n = n_subjects, and half the
    subjects give sqrt(2) times the SEs (both exact up to rounding in the inverse of a
    matrix of condition number 4e4: cond * eps ~ 1e-11, so 1e-9 relative)."""
    model, design = warfarin_example()
    res = model.fim(design)
    assert isinstance(res.info, fs.FisherInfo)
    assert res.info.n_obs == res.n_subjects == 32
    assert res.param_names == res.info.param_names
    np.testing.assert_array_equal(res.matrix, res.info.matrix)
    np.testing.assert_allclose(res.info.standard_errors(32), res.se, rtol=1e-9)
    np.testing.assert_allclose(res.info.standard_errors(16), np.sqrt(2) * res.se, rtol=1e-9)


def _bioavailability_model():
    """Oral one-compartment with a bioavailability F in (0, 1) (user model, analytic
    Jacobian: F scales the Bateman function), F logit-normal, CL and KA log-normal."""
    oral = OneCompartment("oral")

    def f(t, th, dose):
        return th[0] * oral.predict(t, th[1:], dose)

    def jac(t, th, dose):
        return np.column_stack([oral.predict(t, th[1:], dose),
                                th[0] * oral.jacobian(t, th[1:], dose)])

    st = UserModel(f, ["F", "CL", "V", "KA"], jac, needs_dose=True,
                   bounds=[(0.0, 1.0), (0, np.inf), (0, np.inf), (0, np.inf)])
    return PopulationModel(st, [0.7, 0.15, 8.0, 1.0], omega=[0.3, 0.07, 0.0, 0.6],
                           error=Combined(0.1, 0.01),
                           eta_model={"F": "logit", "CL": "exponential", "KA": "exponential"})


def test_logit_normal_random_effect_fim_matches_numeric_implementation():
    """FO (both variants) and the FOCE linearisation at a draw, for phi_F =
    expit(logit(F) + eta_F), against the numeric reference (independent of _phi)."""
    model = _bioavailability_model()
    assert model.eta_model["F"] == "logit"
    g = Group([0.5, 2.0, 6.0, 24.0, 72.0], size=20, dose=100)
    ref = _reference_fims(model, g)
    for fim in ("reduced", "full"):
        assert _close(model.fim(g, fim=fim).matrix, ref[fim], 1e-6)
    eta0 = np.array([0.8, -0.2, 0.4])
    ref0 = _reference_fims(model, g, eta0)
    d, resp = model._check_group(g)
    for fim in ("reduced", "full"):
        full = fim == "full"
        M, ok = model._fim_batch(model._rows(g.times, d, resp, full, eta0), full)
        assert ok[0] and _close(g.size * M[0], ref0[fim], 1e-6)


def test_logit_normal_phi_derivatives_equal_finite_differences_and_stay_in_range():
    model = _bioavailability_model()
    eta = np.array([2.5, 0.1, -0.3])
    phi, c, g, d = model._phi(eta)
    assert 0.0 < phi[0] < 1.0
    b = model.beta[0]

    def phi_f(bf, e):
        return 1.0 / (1.0 + np.exp(-np.log(bf / (1.0 - bf)) - e))

    h = 1e-6  # central differences: error O(h^2) ~ 1e-12 relative
    assert c[0] == pytest.approx((phi_f(b + h, eta[0]) - phi_f(b - h, eta[0])) / (2 * h),
                                 rel=1e-8)
    assert g[0] == pytest.approx((phi_f(b, eta[0] + h) - phi_f(b, eta[0] - h)) / (2 * h),
                                 rel=1e-8)
    dg = lambda bf: (phi_f(bf, eta[0] + h) - phi_f(bf, eta[0] - h)) / (2 * h)  # noqa: E731
    assert d[0] == pytest.approx((dg(b + 1e-4) - dg(b - 1e-4)) / 2e-4, rel=1e-5)
    # FOCE over draws: every individual F stays in (0, 1), so the FIM is finite
    foce = model.fim(Group([0.5, 2.0, 24.0], size=10, dose=100), approximation="FOCE",
                     n_draws=50, rng=0)
    assert np.all(np.isfinite(foce.matrix))


def test_logit_normal_needs_a_typical_value_in_the_unit_interval():
    st = UserModel(lambda t, th, dose: th[0] * np.exp(-th[1] * t), ["F", "k"])
    with pytest.raises(ValueError, match=r"F .*logit.*\(0, 1\)"):
        PopulationModel(st, [1.5, 0.2], [0.1, 0.1], Additive(0.1), eta_model={"F": "logit"})
    model = PopulationModel(st, [0.5, 0.2], [0.1, 0.1], Additive(0.1),
                            eta_model={"F": "logit"})
    with pytest.raises(ValueError, match="beta"):
        model.with_beta([2.0, 0.2])
