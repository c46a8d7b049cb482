"""Sampling windows (fisherstat.pkpd.windows): the efficiency of a windowed population design.

The mean information over uniform schedules in the windows is checked against Gauss-Legendre
quadrature of the same expectation, its efficiency against the direct determinant / trace
ratios, the Monte Carlo standard error against the quadrature value, and the widest windows
of largest_windows against the target efficiency.
"""

import numpy as np
import pytest
from conftest import N_SE

from fisherstat.pkpd import (
    Group,
    largest_windows,
    optimize_design,
    symmetric_windows,
    warfarin_example,
    window_efficiency,
)


def _warfarin():
    model, design = warfarin_example()
    return model, design


def _per_subject(model, g, times):
    """Per-subject FIMs of the estimated parameters for a batch of schedules (B, k, k)."""
    (Mb, ok), _ = model._group_fim(g, "reduced", times=times)
    assert np.all(ok)
    est = model.estimated
    return Mb[:, est][:, :, est]


def test_zero_width_windows_are_the_design_itself():
    model, design = _warfarin()
    r = window_efficiency(model, design, symmetric_windows(design, 0.0), n_draws=20, rng=0)
    # the mean of 20 copies of one matrix: the design's, up to the rounding of the sum
    assert r.efficiency == pytest.approx(1.0, abs=1e-13) and r.efficiency_se < 1e-15
    np.testing.assert_allclose(r.shared_efficiency, np.ones(20), rtol=1e-13)
    np.testing.assert_allclose(r.matrix, model.fim(design).matrix, rtol=1e-13)


def test_mean_information_and_efficiency_equal_their_quadrature_within_standard_errors():
    """One sample free in [20, 28] h, the others fixed: E[I(t)] is a 1-D integral, computed
    by 40-point Gauss-Legendre quadrature (the integrand is smooth on the window: error far
    below the Monte Carlo standard errors)."""
    model, design = _warfarin()
    g = design
    w = np.column_stack([g.times, g.times])
    w[4] = (20.0, 28.0)
    n = 4000
    r = window_efficiency(model, g, [w], n_draws=n, rng=1)
    nodes, wts = np.polynomial.legendre.leggauss(40)
    tq = 24.0 + 4.0 * nodes
    T = np.tile(g.times, (tq.size, 1))
    T[:, 4] = tq
    ref = g.size * np.tensordot(wts / 2.0, _per_subject(model, g, T), axes=1)
    tiny = 1e-12 * np.abs(ref).max()  # entries that do not depend on the free time
    assert np.all(np.abs(r.matrix - ref) <= N_SE * r.stderr + tiny)
    k = ref.shape[0]
    M0 = model.fim(g).matrix
    eff_ref = np.exp((np.linalg.slogdet(ref)[1] - np.linalg.slogdet(M0)[1]) / k)
    assert r.efficiency_se > 0
    assert abs(r.efficiency - eff_ref) <= N_SE * r.efficiency_se
    # the reported efficiency is the determinant ratio of the reported mean matrix
    eff_mc = np.exp((np.linalg.slogdet(r.matrix)[1] - np.linalg.slogdet(M0)[1]) / k)
    assert r.efficiency == pytest.approx(eff_mc, rel=1e-12)


def test_a_and_ds_efficiencies_are_the_trace_and_schur_ratios():
    model, design = _warfarin()
    wins = symmetric_windows(design, 0.3)
    M0 = model.fim(design).matrix
    names = model.estimated_names
    a = window_efficiency(model, design, wins, criterion="A", n_draws=300, rng=2)
    assert a.efficiency == pytest.approx(np.trace(np.linalg.inv(M0))
                                         / np.trace(np.linalg.inv(a.matrix)), rel=1e-10)
    ds = window_efficiency(model, design, wins, criterion="Ds", params=["CL", "V"],
                           n_draws=300, rng=2)
    i = [names.index("CL"), names.index("V")]
    rest = [j for j in range(len(names)) if j not in i]

    def schur(M):
        return M[np.ix_(i, i)] - M[np.ix_(i, rest)] @ np.linalg.solve(M[np.ix_(rest, rest)],
                                                                      M[np.ix_(rest, i)])

    ratio = np.linalg.det(schur(ds.matrix)) / np.linalg.det(schur(M0))
    assert ds.efficiency == pytest.approx(ratio ** 0.5, rel=1e-9)
    np.testing.assert_allclose(ds.matrix, a.matrix, rtol=1e-14)  # the same draws (rng=2)


def test_largest_windows_reach_the_target_and_one_step_wider_falls_below():
    model, design = _warfarin()
    opt = optimize_design(model, design, windows=(0.5, 120), n_starts=1, rng=0)
    r = largest_windows(model, opt.design, 0.97, n_draws=300, rng=4, tol=1e-3)
    assert 0.0 < r.half_width < 1.0 and r.relative
    assert r.efficiency >= 0.97
    # the same uniform draws (rng=4) at a slightly wider half-width: below the target
    wider = window_efficiency(model, opt.design,
                              symmetric_windows(opt.design, r.half_width + 2e-3),
                              n_draws=300, rng=4)
    assert wider.efficiency < 0.97 <= r.efficiency
    # windows around the times: t (1 -+ h)
    np.testing.assert_allclose(r.windows[0][:, 1], opt.design[0].times * (1 + r.half_width))
    text = r.summary()
    assert "half-width" in text and "relative" in text
    # absolute widths: t -+ h, at most the largest sampling time by default
    ra = largest_windows(model, opt.design, 0.97, relative=False, n_draws=100, rng=4,
                         n_grid=6, tol=1e-2)
    assert ra.relative is False and 0.0 < ra.half_width <= 120.0
    assert ra.efficiency >= 0.97


def test_a_window_that_excludes_its_time_and_bad_arguments_are_refused_naming_them():
    model, design = _warfarin()
    with pytest.raises(ValueError, match="within its window"):
        window_efficiency(model, design, (1.0, 2.0), n_draws=4)
    with pytest.raises(ValueError, match="criterion"):
        window_efficiency(model, design, (0.4, 130), criterion="c", n_draws=4)
    with pytest.raises(ValueError, match="efficiency"):
        largest_windows(model, design, 1.0, n_draws=4)
    with pytest.raises(TypeError, match="model"):
        window_efficiency("warfarin", design, (0.4, 130))
    with pytest.raises(ValueError, match="half_width"):
        symmetric_windows([Group([1.0], 2, dose=70)], -0.1)
