"""Numerical derivatives and fits of ``Model.from_logpdf`` whatever the units (issue 17).

Steps relative to ``max(|theta_j|, 1)`` gave a Gumbel location score wrong by a factor of
3e13 at ``loc = 1e5, scale = 2`` and by 2e29 at ``scale = 1e-5``. The steps are now relative
to each parameter's typical scale (one over the root of one observation's curvature).

Tolerances. Richardson-extrapolated central differences at steps ``eps^(1/5) s`` (score)
and ``eps^(1/6) s`` (Hessian) have truncation errors ``O(eps^(4/5)) = 3e-13`` and
``O(eps^(2/3)) = 4e-11`` relative to the derivatives' scale, and rounding errors ``eps |f| /
h`` with ``|f| <= 20`` (``|log scale|`` at ``scale = 1e-8``): ``2e-16 * 20 / 7e-4 = 6e-12``
and ``2e-16 * 20 / 2.5e-3^2 = 7e-10``. The tests allow 1e-9 (score) and 1e-7 (Hessian),
more than 100 times these. The MLE's standard error is ``scale / sqrt(n) = 0.045 scale``
(``n = 500``); fits are compared with scipy's to 1e-5 scale, 2e-4 of a standard error.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

import fisherstat as fs
from fisherstat.models import PoissonRegression

SCALES = [(1e5, 2.0), (0.0, 1e-5), (1.0, 1e-8), (-3e3, 1e-3), (0.0, 1e8), (1e8, 1.0),
          (0.5, 1.0), (1e-3, 1e4)]


def _gumbel(**kw):
    return fs.Model.from_logpdf(
        lambda t, x: stats.gumbel_r.logpdf(x, t[0], t[1]),
        lambda t, n, rng: stats.gumbel_r.rvs(t[0], t[1], size=n, random_state=rng),
        ["loc", "scale"], bounds=[(-np.inf, np.inf), (0, np.inf)], **kw)


def _gumbel_score(t, x):
    z = (x - t[0]) / t[1]
    e = np.exp(-z)
    return np.column_stack([(1 - e) / t[1], (-1 + z - z * e) / t[1]])


def _gumbel_observed(t, x):
    """``-(1/n) sum_i H_i`` in closed form (second derivatives of ``-log b - z - e^-z``)."""
    b = t[1]
    z = (x - t[0]) / b
    e = np.exp(-z)
    h_mm = -e / b**2
    h_mb = -((1 - e) + z * e) / b**2
    h_bb = (1 - 2 * z + 2 * z * e - z**2 * e) / b**2
    return -np.array([[h_mm.mean(), h_mb.mean()], [h_mb.mean(), h_bb.mean()]])


@pytest.mark.parametrize(("loc", "scale"), SCALES)
def test_gumbel_score_and_observed_information_hold_at_every_scale(loc, scale):
    model, theta = _gumbel(), np.array([loc, scale])
    x = stats.gumbel_r.rvs(loc, scale, size=200, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fs.NumericalDerivativeWarning)
        S = model.score(theta, x)
        A = fs.observed_information(model, theta, x).matrix
    S_ref, A_ref = _gumbel_score(theta, x), _gumbel_observed(theta, x)
    assert np.max(np.abs(S - S_ref)) <= 1e-9 * np.max(np.abs(S_ref))
    assert np.max(np.abs(A - A_ref)) <= 1e-7 * np.max(np.abs(A_ref))


@pytest.mark.parametrize(("loc", "scale"), SCALES)
def test_fit_without_start_reaches_the_mle_at_every_scale(loc, scale):
    x = stats.gumbel_r.rvs(loc, scale, size=500, random_state=2)
    ref = np.array(stats.gumbel_r.fit(x))
    model = _gumbel()
    for start in (None, [loc + scale, 2 * scale]):
        np.testing.assert_allclose(model.fit(x, start=start), ref, rtol=0, atol=1e-5 * scale)


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_typical_scale_is_one_over_the_root_curvature(scale):
    # Normal(mu, s^2): the curvature in mu is 1/s^2 for every observation: s_mu = s exactly
    model = fs.Model.from_logpdf(lambda t, x: stats.norm.logpdf(x, t[0], scale), None, ["mu"])
    x = np.array([-1.0, 0.0, 2.0]) * scale
    assert model.typical_scale([0.0], x)[0] == pytest.approx(scale, rel=1e-6)
    # the user's scale is used as given (and gives the same score as the estimated one)
    given = fs.Model.from_logpdf(lambda t, x: stats.norm.logpdf(x, t[0], scale), None, ["mu"],
                                 typical_scale=[scale])
    assert given.typical_scale([0.0], x)[0] == scale
    np.testing.assert_allclose(given.score([0.0], x), model.score([0.0], x), rtol=1e-10)
    np.testing.assert_allclose(model.score([0.0], x)[:, 0], x / scale**2, rtol=1e-9)


def test_a_rough_log_density_warns_with_its_error_estimate():
    # computed in single precision: rounding 6e-8 relative, a derivative error of ~1e-4
    rough = fs.Model.from_logpdf(
        lambda t, x: stats.norm.logpdf(x, t[0], 1.0).astype(np.float32), None, ["mu"])
    x = np.linspace(-2.0, 2.0, 9)
    with pytest.warns(fs.NumericalDerivativeWarning, match="'mu'.*estimated relative error"):
        rough.score([0.1], x)
    with pytest.warns(fs.NumericalDerivativeWarning, match="Hessian"):
        rough.hessian([0.1], x)


def test_typical_scale_must_be_positive_and_one_per_parameter():
    with pytest.raises(ValueError, match="typical_scale"):
        _gumbel(typical_scale=[1.0, 0.0])
    with pytest.raises(ValueError, match="typical_scale"):
        _gumbel(typical_scale=[1.0])
    with pytest.raises(TypeError, match="covariates"):
        _gumbel(covariates="yes")
    with pytest.raises(TypeError, match="example_x needs covariates=True"):
        _gumbel(example_x=[[1.0]])


def _poisson_logpdf():
    return fs.Model.from_logpdf(
        lambda b, y, x: stats.poisson.logpmf(y, np.exp(x @ b)),
        lambda b, x, rng: rng.poisson(np.exp(x @ b)), ["b0", "b1"], covariates=True,
        example_x=np.column_stack([np.ones(4), np.arange(4.0)]))


def test_covariates_give_a_regression_model_equal_to_the_builtin_one():
    model, ref = _poisson_logpdf(), PoissonRegression(2)
    X = np.column_stack([np.ones(60), np.linspace(-1, 1, 60)])
    b = np.array([0.5, 1.0])
    y = model.sample(b, x=X, rng=3)
    assert model.is_regression and y.shape == (60,)
    assert model.example_x().shape == (4, 2)
    np.testing.assert_allclose(model.score(b, y, x=X), ref.score(b, y, x=X), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(model.hessian(b, y, x=X), ref.hessian(b, y, x=X), rtol=1e-7)
    # the Poisson log-likelihood is concave: one maximum, reached from the grid start
    np.testing.assert_allclose(model.fit(y, x=X), ref.fit(y, x=X), atol=1e-6)
    with pytest.raises(NotImplementedError, match="Monte Carlo"):
        model.fisher(b, x=X)
    # expected information by Monte Carlo over responses at X, within 4 standard errors
    mc = fs.fisher(model, b, x=X, n_samples=4000, rng=4)
    exact = ref.fisher(b, x=X)
    assert np.all(np.abs(mc.matrix - exact) <= 4 * mc.stderr)
    with pytest.raises(TypeError, match="needs covariates x"):
        model.score(b, y)


def test_fit_without_start_on_a_bounded_parameter_and_with_example_theta():
    beta = fs.Model.from_logpdf(lambda t, x: stats.beta.logpdf(x, t[0], t[1]), None,
                                ["a", "b"], bounds=[(0, np.inf), (0, np.inf)])
    x = stats.beta.rvs(2.0, 5.0, size=400, random_state=5)
    ref = np.array(stats.beta.fit(x, floc=0, fscale=1)[:2])
    np.testing.assert_allclose(beta.fit(x), ref, rtol=1e-5)
    corr = fs.Model.from_logpdf(  # a correlation on (-1, 1): five interior grid points
        lambda t, d: stats.multivariate_normal.logpdf(d, cov=[[1, t[0]], [t[0], 1]]), None,
        ["rho"], bounds=[(-1, 1)], example_theta=[0.0])
    d = stats.multivariate_normal.rvs(cov=[[1, 0.6], [0.6, 1]], size=300, random_state=6)
    s11, s22, s12, n = (d[:, 0] ** 2).sum(), (d[:, 1] ** 2).sum(), (d[:, 0] * d[:, 1]).sum(), 300
    # score of rho: n r (1 - r^2) + (1 + r^2) s12 - r (s11 + s22) = 0 (Kendall & Stuart)
    roots = np.roots([-n, s12, n - (s11 + s22), s12])
    root = roots[np.isreal(roots) & (np.abs(roots) < 1)].real
    np.testing.assert_allclose(corr.fit(d), root, atol=1e-6)
