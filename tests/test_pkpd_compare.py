"""compare_designs: FO, FOCE and the exact population information across candidate designs.

The truths: the FO/FOCE entries are ``PopulationModel.fim``'s; for a model linear in eta
the exact information is FO's (y is exactly Gaussian with FO's mean and covariance), so
both pick the same design; the common random numbers pair the subjects of every design,
which makes the standard error of a difference smaller than that of either value, and
that paired standard error is the actual spread of the difference over seeds.
"""

import numpy as np
import pytest
from conftest import N_SE
from test_pkpd_exact import LIN  # the linear structural model of the exact-FIM tests

from fisherstat.pkpd import (
    COMPARE_APPROXIMATIONS,
    Additive,
    Combined,
    DiscretePopulationModel,
    Group,
    OneCompartment,
    PopulationModel,
    compare_designs,
    exact_fim,
)
from fisherstat.pkpd.exact import _Subjects


def _linear_gaussian():
    # y = X (beta + eta) + eps: exactly N(X beta, X Omega X^T + s2 I)
    return PopulationModel(LIN, [1.0, 0.5], [[0.2, 0.05], [0.05, 0.3]], Additive(0.1),
                           eta_model="additive")


def _nonlinear():
    # docs/pkpd_exact.rst: a 100% CV on CL makes the bolus model far from linear in eta
    return PopulationModel(OneCompartment("bolus"), {"CL": 1.0, "V": 10.0},
                           omega=[1.0, 0.05], error=Combined(0.01, 0.04))


def test_first_order_entries_are_the_model_fim():
    # the same computation with the same arguments (FOCE: the documented seed), so the
    # matrices are identical, not merely close
    model = _nonlinear()
    designs = [Group([0.5, 6, 24], 50, dose=100), Group([1, 24, 48], 50, dose=100)]
    res = compare_designs(model, designs, n_samples=20, n_nodes=2, n_draws=30, rng=3)
    assert res.approximations == COMPARE_APPROXIMATIONS
    assert res.labels == ("(0.5, 6, 24)", "(1, 24, 48)")
    for i, g in enumerate(designs):
        refs = {"FO reduced": model.fim(g), "FO full": model.fim(g, fim="full")}
        for fim in ("reduced", "full"):
            seed = np.random.SeedSequence(res.entropy, spawn_key=(1,))
            refs[f"FOCE {fim}"] = model.fim(g, fim=fim, approximation="FOCE", n_draws=30,
                                            rng=seed)
        for k, (a, ref) in enumerate(refs.items()):
            np.testing.assert_array_equal(res.fims[a][i].matrix, ref.matrix)
            assert res.fims[a][i].param_names == ref.param_names
            assert res.ofv[k, i] == ref.ofv
        ex = res.fims["exact"][i]
        assert ex.approximation == "MC-AGQ" and ex.param_names == refs["FO full"].param_names
        assert res.ofv[-1, i] == ex.ofv and res.exact_stderr[i] == ex.ofv_stderr


def test_common_random_numbers_share_each_subject_and_sample_slot():
    # exact_fim's single stream draws the residuals row by row after the random effects, so
    # a design with 3 samples shifts every draw of one with 2; simulate_common keys the
    # draws by subject and slot, so the shared slots (same times) give the same y
    model = _linear_gaussian()
    a, b = _Subjects(model, Group([0.0, 1.0]), 2), _Subjects(model, Group([0.0, 1.0, 3.0]), 2)
    ya, yb = a.simulate_common(50, 7, (0, 0)), b.simulate_common(50, 7, (0, 0))
    np.testing.assert_array_equal(ya, yb[:, :2])
    assert not np.array_equal(ya, a.simulate_common(50, 7, (0, 1)))  # another group's key
    sa, sb = a.simulate(50, np.random.default_rng(7)), b.simulate(50, np.random.default_rng(7))
    assert not np.allclose(sa, sb[:, :2])  # what exact_fim's single stream would give


def test_identical_designs_differ_by_exactly_zero():
    model = _linear_gaussian()
    g = Group([0.0, 1.0, 3.0], 10)
    res = compare_designs(model, {"a": g, "b": g}, approximations=["exact"], n_samples=50,
                          n_nodes=2, rng=0)
    assert res.exact_difference("a", "b") == (0.0, 0.0)
    assert res.ofv[0, 0] == res.ofv[0, 1]


def test_paired_difference_is_more_precise_than_either_value():
    # var(l_a - l_b) = var l_a + var l_b - 2 cov(l_a, l_b) is below var l_a iff
    # var l_b < 2 cov, i.e. for equal variances a correlation > 1/2 of the two estimates.
    # Moving one sample from 6 h to 8 h leaves the subjects' contributions to ln det
    # strongly correlated (0.9 and more, measured over the family 4-12 h), so the paired
    # standard error is below both; the strongly nonlinear model is the hard case
    # (heavy-tailed contributions).
    model = _nonlinear()
    res = compare_designs(model, [Group([0.5, 6, 24], 50, dose=100),
                                  Group([0.5, 8, 24], 50, dose=100)],
                          approximations=["exact"], n_samples=300, n_nodes=3, rng=2)
    d, se = res.exact_difference(0, 1)
    assert np.all(np.isfinite(res.exact_stderr)) and se > 0
    assert se < 0.5 * min(res.exact_stderr)
    assert res.difference_stderr[0, 1] == res.difference_stderr[1, 0] == se


@pytest.mark.slow
def test_paired_stderr_is_the_spread_of_the_difference_over_seeds():
    # R = 60 independent comparisons: the sample sd of the difference estimates has
    # relative standard error ~ 1/sqrt(2 (R - 1)) = 0.09 for near-Gaussian estimates
    # (n = 500 subjects of a linear Gaussian model); N_SE of those bound the ratio of the
    # empirical sd to the RMS of the reported paired standard errors. (The delta method
    # is first order: over 100 seeds the ratio was 1.17 with 200 subjects, 1.02 with 1000;
    # the unpaired sqrt(se_a^2 + se_b^2) would give a ratio near 0.2.)
    model = _linear_gaussian()
    designs = [Group([0.0, 1.0, 2.0], 10), Group([0.0, 1.0, 4.0], 10)]
    R = 60
    d, se = np.empty(R), np.empty(R)
    for r in range(R):
        res = compare_designs(model, designs, approximations=["exact"], n_samples=500,
                              n_nodes=2, rng=r)
        d[r], se[r] = res.exact_difference(1, 0)
    ratio = np.std(d, ddof=1) / np.sqrt(np.mean(se ** 2))
    tol = N_SE / np.sqrt(2 * (R - 1))
    assert abs(ratio - 1) < tol, (ratio, tol)
    # and the difference is FO's (exact = FO for this model) within the same error
    fo = [model.fim(g).ofv for g in designs]
    assert abs(d.mean() - (fo[1] - fo[0])) < N_SE * np.sqrt(np.mean(se ** 2) / R)


def test_linear_in_eta_model_picks_the_same_design_under_fo_and_exact():
    # exact = FO here (FO full = reduced: dV/dbeta = 0); FO's ln det gaps between the
    # designs (0.8 and 0.2 units) are > N_SE paired standard errors (~0.05 with 1000
    # subjects), so the exact pick is FO's and every value and difference agrees with FO
    # within N_SE of its own standard error
    model = _linear_gaussian()
    designs = {"narrow": Group([0.0, 1.0, 2.0], 10), "wide": Group([0.0, 1.0, 4.0], 10),
               "late": Group([0.0, 2.0, 4.0], 10)}
    res = compare_designs(model, designs, approximations=["FO reduced", "FO full", "exact"],
                          n_samples=1000, n_nodes=2, rng=0)
    assert res.picks["exact"] == res.picks["FO full"] == res.picks["FO reduced"]
    fo, ex = res.ofv[1], res.ofv[2]
    np.testing.assert_allclose(res.ofv[0], fo, rtol=1e-12)
    assert np.all(np.abs(ex - fo) < N_SE * res.exact_stderr)
    b = res.best
    for i in range(3):
        if i != b:
            d, se = res.exact_difference(i, b)
            assert abs(d - (fo[i] - fo[b])) < N_SE * se
            assert fo[b] - fo[i] > N_SE * se  # the pick is not a coin flip
    eff = res.exact_efficiency()
    assert eff["FO full"] == (1.0, 0.0) and res.distinguishable


def test_exact_entries_agree_with_exact_fim():
    # the same estimator with other draws: the two ln det estimates are independent, so
    # they differ by less than N_SE * sqrt(se1^2 + se2^2)
    model = _linear_gaussian()
    g = Group([0.0, 1.0, 3.0], 10)
    res = compare_designs(model, [g], approximations=["exact"], n_samples=500, n_nodes=2,
                          rng=5)
    ref = exact_fim(model, g, n_samples=500, n_nodes=2, rng=5)
    assert abs(res.ofv[0, 0] - ref.ofv) < N_SE * np.hypot(res.exact_stderr[0],
                                                          ref.ofv_stderr)


def test_discrete_model_has_only_the_exact_information():
    logit = DiscretePopulationModel(LIN, [-1.0, 1.0], [0.8, 0.0], "binary",
                                    eta_model="additive")
    res = compare_designs(logit, [Group([0.0, 1.0, 2.0], 100), Group([0.0, 2.0, 4.0], 100)],
                          n_samples=50, n_nodes=3, rng=1)
    assert res.approximations == ("exact",)
    assert res.ofv.shape == (1, 2) and np.all(np.isfinite(res.exact_stderr))
    with pytest.raises(ValueError, match="approximations"):
        compare_designs(logit, [Group([0.0, 1.0])], approximations=["FO full", "exact"],
                        n_samples=2, n_nodes=1)


def test_summary_and_plot():
    import matplotlib
    matplotlib.use("Agg")
    model = _linear_gaussian()
    res = compare_designs(model, {"narrow": Group([0.0, 1.0, 2.0], 10),
                                  "wide": Group([0.0, 1.0, 4.0], 10)},
                          approximations=["FO reduced", "exact"], n_samples=200, n_nodes=2,
                          rng=0)
    text = res.summary()
    assert str(res) == text
    assert "wide    " in text and "FO reduced -> wide (1)" in text and "(paired)" in text
    ax = res.plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["narrow", "wide"]
    ax = res.plot(x=[2.0, 4.0], relative=True)
    (bars,) = ax.containers  # the exact values, with their paired error bars
    assert bars.get_label().startswith("exact")
    np.testing.assert_allclose(bars.lines[0].get_ydata(), res.ofv[1] - res.ofv[1, res.best])
    with pytest.raises(ValueError, match="x must have one position per design"):
        res.plot(x=[1.0])
