"""Exact designs: efficient rounding, exchange algorithms, efficiency against the optimum."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fisherstat as fs
from fisherstat import design

QUAD = design.polynomial(1, degree=2)
GRID11 = np.linspace(-1.0, 1.0, 11)


def brute_force_d(X, N):
    """Best log det of (1/N) sum over all multisets of N candidate rows."""
    best = -np.inf
    for combo in itertools.combinations_with_replacement(range(X.shape[0]), N):
        F = X[list(combo)]
        sign, ld = np.linalg.slogdet(F.T @ F / N)
        if sign > 0 and ld > best:
            best = ld
    return best


@given(w=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=5), N=st.integers(1, 12))
@settings(max_examples=60, deadline=None)
def test_efficient_rounding_sums_to_n_and_minimises_the_largest_weight_ratio(w, N):
    w = np.array(w) / np.sum(w)
    d = design.Design(np.arange(w.size, dtype=float), w)
    ex = design.efficient_rounding(d, N)
    assert ex.n_runs == N
    # Pukelsheim & Rieder (1992): the apportionment minimises max_i w_i / (n_i / N) over
    # all apportionments (ratio infinite when a point gets no run); brute force over n
    n = np.zeros(w.size, dtype=int)
    n[ex.points.astype(int)] = ex.counts

    def ratio(c):
        with np.errstate(divide="ignore"):
            return np.max(np.where(c > 0, w / (c / N), np.inf))

    best = min(ratio(np.array(c)) for c in itertools.product(range(N + 1), repeat=w.size)
               if sum(c) == N)
    assert ratio(n) <= best * (1 + 1e-12) or (np.isinf(best) and np.isinf(ratio(n)))


def test_efficient_rounding_reproduces_a_hand_computed_example():
    d = design.Design([-1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    # N = 6: ceil((6 - 1.5) w) = (2, 3, 2) = 7 > 6: remove from max (n-1)/w = (4, 4, 4)
    assert design.efficient_rounding(d, 6).counts.tolist() == [1, 3, 2]
    assert design.efficient_rounding(d, 4).counts.tolist() == [1, 2, 1]


@pytest.mark.parametrize("N", [3, 4, 5, 6])
@pytest.mark.parametrize("exchange", ["kl", "fedorov"])
def test_exact_d_optimal_quadratic_design_matches_brute_force(N, exchange):
    X = GRID11[:, None] ** np.arange(3)
    best = brute_force_d(X, N)
    res = design.exact_design(QUAD, None, GRID11, N, exchange=exchange, rng=0)
    assert res.value == pytest.approx(best, abs=1e-10)
    assert res.design.n_runs == N


@pytest.mark.parametrize("crit", ["D", "A", "E", design.c([1.0, 2.0, 4.0]), "I"], ids=str)
@pytest.mark.parametrize("N", [3, 5, 7, 10])
def test_exact_designs_are_never_better_than_the_approximate_optimum(crit, N):
    res = design.exact_design(QUAD, None, np.linspace(-1, 1, 21), N, crit, tol=1e-10, rng=0)
    assert res.efficiency <= 1 + 1e-8
    assert res.efficiency >= res.rounded_efficiency - 1e-12  # exchanges never hurt
    assert res.efficiency > 0.5


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=5, deadline=None)
def test_exact_design_efficiency_at_most_one_for_a_nonlinear_model(seed):
    m = fs.models.Emax()
    th = m.random_theta(seed)
    X = np.linspace(0.0, 150.0, 61)
    for N in (3, 4, 7):
        res = design.exact_design(m, th, X, N, rng=0)
        assert res.efficiency <= 1 + 1e-8
        # efficiency equals the ratio of information functions computed independently
        info_e = res.design.information(m, th, params=["E0", "Emax", "ED50"])
        info_a = res.approximate.design.information(m, th, params=["E0", "Emax", "ED50"])
        eff = (np.linalg.det(info_e.matrix / N) / np.linalg.det(info_a.matrix)) ** (1 / 3)
        assert res.efficiency == pytest.approx(eff, rel=1e-8)


def test_exact_design_result_prints_and_rejects_too_few_runs():
    res = design.exact_design(QUAD, None, GRID11, 5, rng=0)
    text = str(res)
    assert "N = 5 runs" in text and "efficiency vs approximate optimum" in text
    with pytest.raises(ValueError, match="n_runs must be >= 3"):
        design.exact_design(QUAD, None, GRID11, 2, rng=0)
    with pytest.raises(ValueError, match="n_runs must be an integer >= 1"):
        design.exact_design(QUAD, None, GRID11, 0, rng=0)
    with pytest.raises(ValueError, match="exchange must be"):
        design.exact_design(QUAD, None, GRID11, 4, exchange="greedy", rng=0)
