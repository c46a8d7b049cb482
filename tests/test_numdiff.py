"""Accuracy of the numeric differentiation used as the fallback for score and Hessian."""

import numpy as np
import pytest

from fisherstat import _numdiff
from fisherstat.models import Model, Normal


def test_jacobian_relative_error_below_1e_10_on_smooth_function():
    f = lambda x: np.array([np.exp(x[0]) * np.sin(x[1]), x[0] ** 3 / x[1]])  # noqa: E731
    x = np.array([0.7, 1.3])
    exact = np.array(
        [[np.exp(0.7) * np.sin(1.3), np.exp(0.7) * np.cos(1.3)],
         [3 * 0.7**2 / 1.3, -(0.7**3) / 1.3**2]]
    )
    J = _numdiff.jacobian(f, x)
    assert np.max(np.abs(J - exact) / np.abs(exact)) < 1e-10


@pytest.mark.parametrize("x0", [1e-8, 1e-4, 1e-1, 10.0])
def test_jacobian_never_leaves_the_domain_and_stays_accurate_near_the_bound(x0):
    seen = []

    def f(x):
        seen.append(x[0])
        if x[0] <= 0:
            raise AssertionError("evaluated outside the domain")
        return np.array([np.log(x[0])])

    J = _numdiff.jacobian(f, np.array([x0]), np.array([0.0]), np.array([np.inf]))
    assert min(seen) > 0
    assert abs(J[0, 0] * x0 - 1.0) < 1e-9


def test_jacobian_respects_upper_bounds():
    f = lambda x: np.log1p(-x)  # noqa: E731  domain x < 1
    x = np.array([1 - 1e-6])
    J = _numdiff.jacobian(f, x, np.array([0.0]), np.array([1.0]))
    assert abs(J[0, 0] * (-(1 - x[0])) - 1.0) < 1e-9


def test_hessian_relative_error_below_1e_8_and_counts_evaluations():
    f = lambda t: np.exp(t[0]) * t[1] ** 2 + np.sin(t[0] * t[2])  # noqa: E731
    x = np.array([0.3, 1.7, -0.8])
    a, b, c = x
    exact = np.array(
        [[np.exp(a) * b**2 - c**2 * np.sin(a * c), 2 * b * np.exp(a),
          np.cos(a * c) - a * c * np.sin(a * c)],
         [2 * b * np.exp(a), 2 * np.exp(a), 0.0],
         [np.cos(a * c) - a * c * np.sin(a * c), 0.0, -(a**2) * np.sin(a * c)]]
    )
    H, n_evals = _numdiff.hessian(f, x)
    assert n_evals == 4 * 3**2 + 1
    assert np.max(np.abs(H - exact)) < 1e-8 * np.max(np.abs(exact))


def test_per_observation_hessians_from_array_valued_function():
    data = np.linspace(-2, 2, 7)
    f = lambda t: -0.5 * (data - t[0]) ** 2 * t[1]  # noqa: E731
    H, _ = _numdiff.hessian(f, np.array([0.1, 2.0]))
    assert H.shape == (7, 2, 2)
    np.testing.assert_allclose(H[:, 0, 0], -2.0, rtol=1e-9)
    np.testing.assert_allclose(H[:, 0, 1], data - 0.1, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(H[:, 1, 1], 0.0, atol=1e-8)


def _normal_from_logpdf():
    return Model.from_logpdf(
        lambda th, x: -0.5 * np.log(2 * np.pi * th[1]) - (x - th[0]) ** 2 / (2 * th[1]),
        lambda th, n, rng: th[0] + np.sqrt(th[1]) * rng.standard_normal(n),
        ["mu", "sigma2"],
        bounds=[(-np.inf, np.inf), (0, np.inf)],
    )


@pytest.mark.parametrize("sigma2", [1e-4, 1.0, 1e4])
def test_numeric_score_and_hessian_fallbacks_match_analytic_normal(sigma2):
    rng = np.random.default_rng(0)
    theta = np.array([0.3, sigma2])
    x = theta[0] + np.sqrt(sigma2) * rng.standard_normal(50)
    num, ana = _normal_from_logpdf(), Normal()
    s_num, s_ana = num.score(theta, x), ana.score(theta, x)
    scale = np.max(np.abs(s_ana), axis=0)
    assert np.max(np.abs(s_num - s_ana) / scale) < 1e-8
    H_num, H_ana = num.hessian(theta, x), ana.hessian(theta, x)
    assert np.max(np.abs(H_num - H_ana)) < 1e-5 * np.max(np.abs(H_ana))
