"""Maximin-efficiency population designs and efficiencies under parameter uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from fisherstat.pkpd import (
    MAXIMIN_TEMPERATURES,
    LocalOptima,
    efficiency_under_uncertainty,
    local_optima,
    optimize_design,
    prior_sample,
    warfarin_example,
)
from fisherstat.pkpd._evaluator import Evaluator

WIN = (0.5, 120)
#: the local optimiser stops at L-BFGS-B's ftol = 1e-14 relative (x ~50 in ln det) after
#: the exchange polish, so two optimisations of one problem agree to ~1e-12 in ln det
LNDET_TOL = 1e-9


@pytest.fixture(scope="module")
def setup():
    model, d8 = warfarin_example()
    design = d8.replace(times=[0.5, 2.0, 24.0, 120.0])
    # draw 0 is the typical value: its local optimum is the locally optimal design
    # a 50% prior CV: on these draws the local optima differ in kind (draw 2 replicates
    # the last sample instead of the middle one)
    P = np.vstack([model.beta, prior_sample(model, 0.5, 5, rng=2)])
    ref = local_optima(model, design, P, windows=WIN, n_starts=1)
    ed = optimize_design(model, design, windows=WIN, prior=P, bayesian="ED", n_starts=1)
    mm = optimize_design(model, design, windows=WIN, prior=P, bayesian="maximin",
                         reference=ref, n_starts=1)
    return model, design, P, ref, ed, mm


def _eff(setup, dsg):
    model, _, P, ref, _, _ = setup
    return efficiency_under_uncertainty(model, dsg, P, reference=ref)


def test_maximin_worst_case_is_at_least_that_of_local_and_ed(setup):
    model, design, P, ref, ed, mm = setup
    e_loc, e_ed, e_mm = (_eff(setup, d) for d in (ref.designs[0], ed.design, mm.design))
    assert mm.value == pytest.approx(e_mm.min, rel=1e-12)
    # the search ends on the smooth minimum at the last temperature T, which exceeds the
    # exact minimum by at most T log K: the maximin optimum can only be missed by that
    slack = np.exp(-MAXIMIN_TEMPERATURES[-1] * np.log(P.shape[0]))
    assert e_mm.min >= slack * max(e_loc.min, e_ed.min)
    # and it is never worse than its starts (the start and the local optima)
    starts = [design] + list(ref.designs)
    assert e_mm.min >= max(_eff(setup, d).min for d in starts) * (1 - 1e-12)
    # on these draws the search improves on its best start (0.9410 -> 0.9445; the local
    # design 0.9378, the ED design 0.9369)
    assert e_mm.min > max(_eff(setup, d).min for d in starts) + 1e-3


def test_efficiencies_in_unit_interval_and_one_where_locally_optimal(setup):
    _, design, P, ref, ed, mm = setup
    for d in (design, ref.designs[0], ed.design, mm.design):
        e = _eff(setup, d).efficiencies
        # above 1 only if the local optimiser missed a draw's optimum by > its tolerance
        assert np.all(e > 0) and np.all(e <= 1 + LNDET_TOL)
    for k, dk in enumerate(ref.designs):  # each local optimum has efficiency 1 at its draw
        assert _eff(setup, dk).efficiencies[k] == pytest.approx(1.0, abs=1e-12)


def test_concentrated_prior_gives_the_local_design(setup):
    model, design, _, _, _, _ = setup
    loc = optimize_design(model, design, windows=WIN, n_starts=1)
    P = np.repeat(model.beta[None], 3, axis=0)
    mm = optimize_design(model, design, windows=WIN, prior=P, bayesian="maximin",
                         n_starts=1)
    # the local optimum is its start and efficiency 1 is the best possible
    assert mm.value == pytest.approx(1.0, abs=LNDET_TOL)
    assert mm.fim.ofv == pytest.approx(loc.fim.ofv, abs=LNDET_TOL)
    np.testing.assert_allclose(mm.design[0].times, loc.design[0].times, atol=1e-4)


def test_smooth_minimum_bounds_and_gradient(setup):
    model, design, P, ref, _, _ = setup
    ev = Evaluator(model, (design,), "reduced", "D", None, None, P, None, "maximin",
                   ref.utilities)
    t = [design.times.copy()]
    d = [design.dose]
    a = (ev.draw_utilities(t, d) - ref.utilities) / len(model.estimated_names)
    for T in (0.1, 0.01):
        ev.temperature = T
        u = ev.utility(t, d)
        # min a <= smin_T(a) <= min a + T log K
        assert a.min() - 1e-14 <= u <= a.min() + T * np.log(P.shape[0]) + 1e-14
        # gradient vs central differences of the value (step 1e-4 in hours: the FIM's own
        # central differences have error O(1e-10), the second one O(h^2 u''') ~ 1e-8)
        _, g = ev.value_and_gradient(t, d)
        h = 1e-4
        num = [(ev.utility([t[0] + h * e], d) - ev.utility([t[0] - h * e], d)) / (2 * h)
               for e in np.eye(t[0].size)]
        np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-7)
    ev.temperature = 0.0
    assert ev.utility(t, d) == pytest.approx(a.min(), abs=1e-14)


def test_summary_and_worst_draw(setup):
    model, design, P, ref, _, mm = setup
    e = _eff(setup, design)
    assert "prior draws" in e.summary() and "quantiles" in str(e)
    np.testing.assert_array_equal(e.worst_draw, P[np.argmin(e.efficiencies)])
    assert e.quantiles[0] <= e.quantiles[-1] and e.min <= e.mean <= 1 + LNDET_TOL
    assert "worst-case efficiency" in mm.summary()
    assert mm.criterion == "maximin D"


def test_reference_must_match(setup):
    model, design, P, ref, _, _ = setup
    with pytest.raises(ValueError, match="reference"):
        efficiency_under_uncertainty(model, design, P[:3], reference=ref)
    with pytest.raises(ValueError, match="reference"):
        efficiency_under_uncertainty(model, design, P, reference=ref, fim="full")
    with pytest.raises(TypeError, match="reference"):
        optimize_design(model, design, windows=WIN, reference=ref)
    with pytest.raises(ValueError, match="prior_weights"):
        optimize_design(model, design, windows=WIN, prior=P, prior_weights=np.ones(6),
                        bayesian="maximin", reference=ref)
    with pytest.raises(ValueError, match="criterion"):
        optimize_design(model, design, windows=WIN, prior=P, criterion="A",
                        bayesian="maximin", reference=ref)
    assert isinstance(ref, LocalOptima) and ref.utilities.shape == (6,)
