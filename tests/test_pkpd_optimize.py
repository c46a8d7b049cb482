"""Design optimisation: improvement over the start, windows, spacing, candidates, doses,
group sizes, Bayesian and cost-normalised designs, gradients, bad input."""

import numpy as np
import pytest

from fisherstat import _numdiff
from fisherstat.pkpd.errors import Combined, Proportional
from fisherstat.pkpd.optimize import (
    _Evaluator,
    candidate_sequences,
    cost_design,
    derived_gradient,
    optimize_design,
    prior_sample,
)
from fisherstat.pkpd.population import Group, PopulationModel, warfarin_example
from fisherstat.pkpd.structural import OneCompartment, Regimen, TwoCompartment


@pytest.fixture(scope="module")
def warfarin():
    return warfarin_example()


def _small(model, times=(1.0, 6.0, 24.0, 72.0), size=32, dose=70):
    return Group(list(times), size, dose)


def test_d_optimal_times_improve_and_respect_windows_and_spacing(warfarin):
    model, design = warfarin
    res = optimize_design(model, design, windows=(0.5, 120), min_spacing=0.5, n_starts=1, rng=0)
    t = res.design[0].times
    assert res.value >= res.start_value
    assert res.fim.ofv == pytest.approx(res.value, abs=1e-9)
    assert np.all((t >= 0.5) & (t <= 120)) and np.all(np.diff(t) >= 0.5 - 1e-9)
    assert res.start_fim.ofv == pytest.approx(model.fim(design).ofv, abs=1e-12)


def test_per_sample_windows_are_respected(warfarin):
    model, _ = warfarin
    g = _small(model)
    wins = np.array([[0.5, 2.0], [2.0, 12.0], [12.0, 48.0], [48.0, 120.0]])
    res = optimize_design(model, g, windows=[wins], n_starts=2, rng=3)
    t = res.design[0].times
    assert np.all(t >= wins[:, 0] - 1e-12) and np.all(t <= wins[:, 1] + 1e-12)
    assert res.value >= res.start_value


def test_discrete_candidates_exchange_stays_on_candidates(warfarin):
    model, design = warfarin
    cand = [0.5, 1, 2, 4, 6, 8, 12, 24, 36, 48, 72, 96, 120]
    res = optimize_design(model, design, candidates=cand, windows=(0.5, 120), min_spacing=0.5,
                          rng=0)
    assert np.all(np.isin(res.design[0].times, cand))
    assert np.all(np.diff(res.design[0].times) >= 0.5)
    assert res.value >= res.start_value


@pytest.mark.parametrize("kw", [dict(criterion="A"),
                                dict(criterion="Ds", params=["CL", "V", "KA"]),
                                dict(criterion="c", derived="AUC")])
def test_other_criteria_improve_on_the_start(warfarin, kw):
    model, _ = warfarin
    g = _small(model)
    res = optimize_design(model, g, windows=(0.5, 120), n_starts=1, **kw)
    if kw["criterion"] == "Ds":
        assert res.value >= res.start_value  # ln det of the Schur complement
    else:
        assert res.value <= res.start_value  # trace of the inverse, variance of AUC
    if kw["criterion"] == "c":
        # the variance of AUC = D/CL from the delta method on the inverse FIM
        cov = res.fim.covariance()
        assert res.value == pytest.approx((70 / 0.15**2) ** 2 * cov[0, 0], rel=1e-9)


def test_dose_goes_to_its_upper_bound_with_an_additive_error_component():
    model = PopulationModel(OneCompartment("oral"), [0.15, 8.0, 1.0], [0.07, 0.02, 0.6],
                            Combined(0.25, 0.01))
    g = Group([1.0, 6.0, 24.0, 72.0], 32, 40.0)
    res = optimize_design(model, g, windows=(0.5, 120), dose_bounds=(10, 100), n_starts=1, rng=0)
    assert res.design[0].dose == pytest.approx(100.0, rel=1e-8)
    assert res.value > res.start_value


def test_infusion_duration_and_dose_stay_in_bounds_and_gradient_is_right():
    model = PopulationModel(TwoCompartment("infusion"), [2.0, 10.0, 3.0, 20.0],
                            [0.09, 0.04, 0.0, 0.05], Combined(0.05, 0.02))
    g = Group([0.5, 3.0, 6.0, 12.0, 24.0], 20, Regimen(100.0, 0.0, 2.0))  # no t at T: kink
    ev = _Evaluator(model, (g,), "reduced", "D", None, None, None, None, "ELD")
    kinds = ("dose", "duration")
    t = g.times.copy()

    def u(x):
        return np.array([ev.utility([x[:5]], [Regimen(x[5], 0.0, x[6])])])

    x0 = np.r_[t, 100.0, 2.0]
    _, grad = ev.value_and_gradient([t], [g.dose], kinds)
    np.testing.assert_allclose(grad, _numdiff.jacobian(u, x0)[0], rtol=1e-5,
                               atol=1e-9 * np.abs(grad).max())
    res = optimize_design(model, g, windows=(0.25, 24), dose_bounds=(50, 150),
                          duration_bounds=(0.5, 8.0), n_starts=1, rng=0)
    reg = res.design[0].dose
    assert 50 <= reg.amounts[0] <= 150 and 0.5 <= reg.durations[0] <= 8.0
    assert res.value >= res.start_value


def test_bayesian_design_improves_expected_log_det(warfarin):
    model, _ = warfarin
    g = _small(model)
    prior = prior_sample(model, {"CL": 0.3, "KA": 0.5}, n_draws=5, rng=2)
    res = optimize_design(model, g, windows=(0.5, 120), prior=prior, n_starts=1, rng=0)
    assert res.criterion == "Bayesian (ELD) D"
    ev = _Evaluator(model, (g,), "reduced", "D", None, None, prior, None, "ELD")
    lds = [m.fim(res.design).ofv for m in ev.models]
    assert res.value == pytest.approx(np.mean(lds), rel=1e-10)
    assert res.value >= res.start_value


def test_group_sizes_keep_the_total_and_do_not_lose_information(warfarin):
    model, _ = warfarin
    g = [Group([0.5, 2.0, 6.0], 16, 70), Group([24.0, 72.0, 120.0], 16, 70)]
    res = optimize_design(model, g, candidates=[0.5, 2.0, 6.0, 24.0, 72.0, 120.0],
                          optimize_sizes=True, maxiter=1, rng=0)
    assert sum(x.size for x in res.design) == pytest.approx(32.0, rel=1e-12)
    fixed = optimize_design(model, g, candidates=[0.5, 2.0, 6.0, 24.0, 72.0, 120.0],
                            maxiter=1, rng=0)
    assert res.fim.ofv >= fixed.fim.ofv - 1e-9


def test_value_and_gradient_matches_numeric_derivative(warfarin):
    model, _ = warfarin
    g = _small(model)
    for crit, kw in (("D", {}), ("A", {}), ("c", {"derived": "AUC"})):
        ev = _Evaluator(model, (g,), "reduced", crit, None, kw.get("derived"), None, None,
                        "ELD")
        t = np.array([1.0, 6.0, 24.0, 72.0])
        _, grad = ev.value_and_gradient([t], [70])
        num = _numdiff.jacobian(lambda x, ev=ev: np.array([ev.utility([x], [70])]), t)[0]
        np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8 * np.abs(num).max())


def test_derived_cmax_is_the_curve_maximum(warfarin):
    model, _ = warfarin
    val, grad = derived_gradient(model, "Cmax", 70, t_max=120)
    t = np.linspace(0, 120, 200001)
    assert val == pytest.approx(model.predict(t, 70).max(), rel=1e-9)
    num = _numdiff.jacobian(
        lambda b: np.array([derived_gradient(model.with_beta(b), "Cmax", 70, 120)[0]]),
        model.beta.copy())[0]
    np.testing.assert_allclose(grad, num, rtol=1e-5)


# ------------------------------------------------------------------------ cost designs
def test_cost_design_satisfies_the_cost_normalised_equivalence_theorem(warfarin):
    model, _ = warfarin
    seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
    costs = np.array([1.0 + 0.25 * s.n_samples for s in seqs])
    res = cost_design(model, seqs, costs, tol=1e-8)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-12) and np.all(res.weights >= 0)
    mus = np.array([model.fim(s.replace(size=1)).matrix for s in seqs])  # independent
    M = np.einsum("k,kij->ij", res.weights, mus / costs[:, None, None])
    sens = np.einsum("ij,kji->k", np.linalg.inv(M), mus) / costs
    m = M.shape[0]
    assert sens.max() <= m * (1 + 1e-6)  # Kiefer-Wolfowitz / cost-normalised bound
    np.testing.assert_allclose(sens[res.support], m, rtol=1e-5)
    assert res.efficiency_bound >= 1 - 1e-7
    assert res.subjects(100.0).sum() == pytest.approx(
        100.0 * np.sum(res.weights / costs), rel=1e-12)


def test_equal_costs_put_all_weight_on_the_longest_sequences(warfarin):
    model, _ = warfarin
    seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 5], dose=70)
    res = cost_design(model, seqs)
    assert all(seqs[i].n_samples == 5 for i in res.support)


# --------------------------------------------------------------------------- bad input
def test_bad_optimisation_input_gets_a_clear_error(warfarin):
    model, design = warfarin
    with pytest.raises(ValueError, match="criterion must be one of"):
        optimize_design(model, design, criterion="E", rng=0)
    with pytest.raises(TypeError, match="'Ds' needs params"):
        optimize_design(model, design, criterion="Ds", rng=0)
    with pytest.raises(TypeError, match="'c' needs derived"):
        optimize_design(model, design, criterion="c", rng=0)
    with pytest.raises(ValueError, match="lies outside its window"):
        optimize_design(model, design, windows=(1.0, 100.0), rng=0)
    with pytest.raises(ValueError, match="spacing >= min_spacing"):
        optimize_design(model, Group([1.0, 1.5, 24.0], 32, 70), windows=(0.5, 120),
                        min_spacing=1.0, rng=0)
    with pytest.raises(ValueError, match="not among the candidates"):
        optimize_design(model, design, candidates=[0.5, 1.0, 2.0], rng=0)
    with pytest.raises(ValueError, match="windows must be a"):
        optimize_design(model, design, windows=[(0, 1), (0, 2)], rng=0)
    with pytest.raises(ValueError, match="min_spacing must be >= 0"):
        optimize_design(model, design, min_spacing=-1, rng=0)
    with pytest.raises(ValueError, match="dose_bounds"):
        optimize_design(model, design, windows=(0.5, 120), dose_bounds=(80, 100), rng=0)
    with pytest.raises(ValueError, match="costs must be finite and > 0"):
        cost_design(model, candidate_sequences([1, 2, 4], 2, dose=70), costs=[1, 0, 1])
    with pytest.raises(ValueError, match="prior must have shape"):
        optimize_design(model, design, windows=(0.5, 120), prior=np.ones((3, 2)), rng=0)
    with pytest.raises(ValueError, match="not positive definite|not finite"):
        optimize_design(model, Group([0.0, 1.0, 2.0], 32, 70), windows=(0.0, 2.0), rng=0)
    with pytest.raises(ValueError, match="Proportional|prop"):
        Proportional(-1.0)


def test_samples_with_occasions_or_responses_keep_their_labels_after_optimisation():
    """The optimiser sorts the times of exchangeable samples only: with occasions (IOV) or
    several responses each sample keeps its label, so the reported information is that of
    the returned design and never below the start's (as for any design)."""
    import numpy as np

    from fisherstat.pkpd import (
        Group,
        LinkedPD,
        OneCompartment,
        PopulationModel,
        Proportional,
        Regimen,
        optimize_design,
    )

    model = PopulationModel(OneCompartment("oral"), {"CL": 0.15, "V": 8, "KA": 1.0},
                            omega=[0.07, 0.02, 0.6], error=Proportional(0.01),
                            iov={"CL": 0.02})
    start = Group([0.5, 2, 6, 24, 48.5, 50, 54, 72], 32, Regimen([70, 70], [0, 48]),
                  occasions=[0, 0, 0, 0, 1, 1, 1, 1])
    res = optimize_design(model, start, windows=(0.5, 72), n_starts=1, maxiter=30, rng=0)
    assert res.fim.ofv == model.fim(res.design).ofv >= model.fim(start).ofv - 1e-9
    assert res.design[0].occasions.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    from fisherstat.pkpd import Additive

    pd = PopulationModel(LinkedPD(OneCompartment("bolus")),
                         {"CL": 0.15, "V": 8, "E0": 1.0, "EMAX": 2.0, "EC50": 5.0},
                         omega=[0.07, 0.02, 0.0, 0.0, 0.1],
                         error=[Proportional(0.01), Additive(0.01)])
    g = Group([24.0, 0.5, 48.0, 2.0, 6.0, 12.0, 1.0, 36.0], 20, 100,
              response=["conc", "effect", "conc", "effect", "effect", "conc", "conc", "effect"])
    r2 = optimize_design(pd, g, windows=(0.5, 48), n_starts=1, maxiter=30, rng=0)
    assert r2.fim.ofv == pytest.approx(pd.fim(r2.design).ofv, abs=1e-9)
    assert r2.fim.ofv >= pd.fim(g).ofv - 1e-9
    assert np.array_equal(r2.design[0].response, g.response)
