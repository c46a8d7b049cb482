"""Regression functions of several factors (polynomials, patsy formulas) and grids."""

from math import comb

import numpy as np
import pytest

import fisherstat as fs
from fisherstat import design


@pytest.mark.parametrize("d, k", [(1, 3), (2, 2), (3, 2), (3, 3), (4, 2)])
def test_full_polynomial_has_binomial_number_of_terms(d, k):
    assert design.polynomial(d, degree=k).n_terms == comb(d + k, k)


def test_expansion_matches_the_monomials_by_name():
    p = design.polynomial(["a", "b", "c"], degree=2)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (5, 3))
    E = p.expand(X)
    env = dict(zip(("a", "b", "c"), X.T, strict=True))
    for j, term in enumerate(p.terms):
        want = np.ones(5)
        if term != "1":
            for part in term.split("*"):
                name, _, power = part.partition("^")
                want = want * env[name] ** (int(power) if power else 1)
        np.testing.assert_allclose(E[:, j], want, rtol=1e-15)


def test_no_interactions_keeps_pure_powers_only():
    p = design.polynomial(3, degree=3, interactions=False)
    assert p.terms == ("1", "x1", "x2", "x3", "x1^2", "x2^2", "x3^2", "x1^3", "x2^3", "x3^3")


def test_patsy_formula_spans_the_same_space_as_the_polynomial():
    f = design.formula("x1 + x2 + x1:x2 + I(x1**2) + I(x2**2)", ["x1", "x2"])
    p = design.polynomial(2, degree=2)
    X = p.grid(5)
    A, B = f.expand(X), p.expand(X)
    # the same column space (up to the order of the columns)
    coef = np.linalg.lstsq(A, B, rcond=None)[0]
    np.testing.assert_allclose(A @ coef, B, atol=1e-12)
    ra = design.optimal_design(f.model(), None, X, tol=1e-10, rng=0)
    rb = design.optimal_design(p, None, X, tol=1e-10, rng=0)
    assert ra.value == pytest.approx(rb.value - 2 * np.linalg.slogdet(coef)[1], abs=1e-8)


def test_grid_is_the_product_of_levels_in_the_bounds():
    p = design.polynomial(["u", "v"], bounds=[(0, 1), (-2, 2)])
    G = p.grid([3, 5])
    assert G.shape == (15, 2)
    assert set(np.unique(G[:, 0])) == {0.0, 0.5, 1.0}
    assert set(np.unique(G[:, 1])) == {-2.0, -1.0, 0.0, 1.0, 2.0}


def test_basis_model_information_equals_linear_regression_on_the_regressors():
    p = design.polynomial(2, degree=2)
    m = p.model()
    X = p.grid(4)
    th = np.append(np.arange(6.0), 0.7)
    ref = fs.models.LinearRegression(6)
    np.testing.assert_allclose(m.fisher(th, x=X), ref.fisher(th, x=p.expand(X)), rtol=1e-14)
    y = m.sample(th, x=X, rng=1)
    np.testing.assert_allclose(m.fit(y, x=X), ref.fit(y, x=p.expand(X)), rtol=1e-12)


def test_quadratic_in_three_factors_on_a_grid_gives_a_certified_design():
    p = design.polynomial(3, degree=2)
    X = p.grid(5)
    res = design.optimal_design(p, None, X, rng=0)
    assert len(res.params) == 10
    assert res.converged
    assert design.check_equivalence(p, None, res, region=X).passed


@pytest.mark.parametrize("bad, match", [
    (lambda: design.polynomial(0), "factors must be an integer >= 1"),
    (lambda: design.polynomial(["a", "a"]), "distinct"),
    (lambda: design.polynomial(["a b"]), "identifier"),
    (lambda: design.polynomial(2, degree=-1), "degree"),
    (lambda: design.polynomial(2, bounds=[(1, 0), (0, 1)]), "bounds"),
    (lambda: design.polynomial(2).expand([1.0, 2.0]), r"x must have shape \(n, 2\)"),
    (lambda: design.polynomial(2).expand([[1.0, 2.0, 3.0]]), "x must have 2 columns"),
    (lambda: design.formula("x1 + zz", ["x1"]), "spec"),
    (lambda: design.polynomial(1).model("gamma"), "family"),
])
def test_bad_polynomial_input_raises_clear_errors(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bad()
