"""Maximum-likelihood estimates on the boundary of the parameter space: valid MLEs, counted
apart from failed fits (BoundaryEstimateError, check_asymptotics' on_boundary/n_boundary)."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import N_SE

import fisherstat as fs
from fisherstat.asymptotics import check_asymptotics
from fisherstat.models import Binomial, LocationMixture, LogisticRegression, Poisson


# ------------------------------------------------------------ the exception and the models
@pytest.mark.parametrize(("model", "data", "estimate"), [
    (Poisson(), [0.0, 0.0, 0.0], [0.0]),  # lam = 0
    (Binomial(5), [0.0, 0.0], [0.0]),  # p = 0
    (Binomial(5), [5.0, 5.0, 5.0], [1.0]),  # p = 1
], ids=["poisson-0", "binomial-0", "binomial-1"])
def test_boundary_estimate_error_carries_the_closed_form_mle(model, data, estimate):
    with pytest.raises(fs.BoundaryEstimateError, match="boundary") as info:
        model.fit(data)
    assert isinstance(info.value, fs.FitError)  # `except FitError` still catches it
    np.testing.assert_array_equal(info.value.estimate, estimate)
    assert not info.value.estimate.flags.writeable
    again = pickle.loads(pickle.dumps(info.value))  # crosses process boundaries intact
    assert str(again) == str(info.value)
    np.testing.assert_array_equal(again.estimate, estimate)


def test_arma_unit_root_maximum_is_a_boundary_estimate_with_its_log_likelihood():
    # white noise fitted by ARMA(1, 1): the maximum can sit at phi = -1 with theta -> 1, a
    # near-cancelling pair of unit roots (seed 116 of 300 white-noise series, n = 200)
    m = fs.models.ARMA(1, 1)
    y = np.random.default_rng(116).standard_normal(200)
    with pytest.raises(fs.BoundaryEstimateError, match="unit root") as info:
        m.fit(y)
    est = info.value.estimate
    assert est.shape == (3,) and abs(est[0]) > 1 - 1e-9 and np.all(np.isfinite(est))
    # the supremum includes it, and is at least that of the nested white noise (phi =
    # -theta); 1e-9 n allows the optimiser's tolerance (gtol 1e-10 per observation)
    white = -0.5 * y.size * (np.log(2 * np.pi * np.mean(y**2)) + 1)
    assert m.max_loglik(y) >= white - 1e-9 * y.size


def test_location_mixture_boundary_estimates():
    m = LocationMixture()
    # data from N(3, 1) only: one component N(xbar, 1) fits best -> (v, w) = (1, xbar)
    y = np.random.default_rng(0).normal(3.0, 1.0, 200)
    with pytest.raises(fs.BoundaryEstimateError, match="v = 1") as info:
        m.fit(y)
    np.testing.assert_array_equal(info.value.estimate, [1.0, np.mean(y)])
    # data concentrated at 0: the profile in v is 0 at every w, but N(xbar, 1) beats N(0, 1)
    # by n xbar^2 / 2 >= 0, so the maximum is again on the edge v = 1, at w = xbar
    z = 0.01 * np.random.default_rng(1).standard_normal(50)
    with pytest.raises(fs.BoundaryEstimateError, match="v = 1") as info:
        m.fit(z)
    np.testing.assert_array_equal(info.value.estimate, [1.0, np.mean(z)])


# ------------------------------------------------------------------- check_asymptotics
def test_binomial_all_failure_samples_are_boundary_estimates_with_the_binomial_rate():
    # Bernoulli(0.02), n = 30: a sample of 30 zeros (MLE p = 0, on the boundary) has
    # probability 0.98^30 = 0.545; over 400 replicates the count has sd sqrt(400 q (1 - q))
    q = 0.98**30
    rep = check_asymptotics(Binomial(n_trials=1), [0.02], n=30, reps=400, rng=4)
    assert rep.n_failed == 0 and rep.failures == ()
    assert abs(rep.n_boundary - 400 * q) < N_SE * np.sqrt(400 * q * (1 - q))
    assert rep.on_boundary.shape == (400,) and rep.on_boundary.sum() == rep.n_boundary
    assert [i for i, _ in rep.boundary_estimates] == np.flatnonzero(rep.on_boundary).tolist()
    # the boundary estimates are kept (p_hat = 0), and they are exactly the zero estimates
    np.testing.assert_array_equal(rep.on_boundary, rep.estimates[:, 0] == 0.0)
    # ... in the statistics: the mean of p_hat over all 400 replicates is p (unbiased)
    np.testing.assert_allclose(rep.bias[0], np.mean(rep.estimates[:, 0]) - 0.02, rtol=1e-12)
    # ... but without Wald intervals (no information at p = 0)
    assert np.all(rep.coverage_count == 400 - rep.n_boundary)
    text = rep.summary()
    assert f"0 failed fits, {rep.n_boundary} estimates on the boundary" in text
    assert any("on the boundary of the parameter space" in f for f in rep.flags)
    assert not any("fits failed" in f for f in rep.flags)


@pytest.fixture(scope="module")
def singular_mixture():
    # the mixture at its singular point w = 0 (the data are N(0, 1)), the call of
    # examples/singularities.py (quick mode): before the boundary convention, every
    # maximum at v = 1 was counted as a failed fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fs.SingularFisherWarning)
        return check_asymptotics(LocationMixture(), [0.5, 0.0], n=300, reps=150,
                                 rng=20060501)


def test_mixture_maxima_on_the_boundary_are_estimates_not_failures(singular_mixture):
    rep = singular_mixture
    assert rep.n_failed == 0 and rep.n_boundary > 0.2 * rep.reps
    rows = rep.estimates[rep.on_boundary]
    # every boundary estimate is (1, xbar): a finite row with v = 1 exactly
    assert np.all(rows[:, 0] == 1.0) and np.all(np.isfinite(rows))
    assert np.all(rep.estimates[~rep.on_boundary, 0] < 1.0)
    assert all("v = 1" in why for _, why in rep.boundary_estimates)


def test_boundary_estimates_stay_in_the_statistics_but_have_no_wald_interval(
        singular_mixture):
    rep = singular_mixture
    Z = np.sqrt(rep.n) * (rep.estimates - rep.theta0)  # all 150 rows are finite
    np.testing.assert_allclose(rep.covariance, np.cov(Z, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(rep.bias, np.mean(rep.estimates - rep.theta0, axis=0),
                               rtol=1e-12)
    assert np.all(rep.coverage_count == rep.reps - rep.n_boundary)
    text = rep.summary()
    assert "estimates on the boundary (valid MLEs, in the statistics, without Wald " \
           "intervals) by reason" in text
    assert "failed fits by reason" not in text


def test_real_failures_are_still_failures():
    # separated logistic samples have no MLE at all (it is infinite): failures, NaN rows
    m = LogisticRegression(2)
    rep = check_asymptotics(m, m.example_theta(), n=10, reps=200, rng=4, x=m.example_x())
    assert rep.n_failed > 0 and rep.n_boundary == 0 and not rep.on_boundary.any()
    assert np.all(np.isnan(rep.estimates[[i for i, _ in rep.failures]]))


def test_convergence_study_reports_boundary_counts_per_size():
    # Poisson(0.1): P(all zero) = exp(-n lam) = 0.37 at n = 10, 0.018 at n = 40
    rep = check_asymptotics(Poisson(), [0.1], n=[10, 40], reps=200, rng=2)
    assert rep.n_boundary.shape == (2,) and rep.on_boundary.shape == (2, 200)
    for k, count in zip((10, 40), rep.n_boundary, strict=True):
        q = np.exp(-0.1 * k)
        assert abs(count - 200 * q) < N_SE * np.sqrt(200 * q * (1 - q))
    assert "boundary" in rep.summary().splitlines()[6]  # the column of the convergence table
    assert rep.at(10).n_boundary == rep.n_boundary[0]


def test_checkpoint_keeps_the_boundary_estimates(tmp_path):
    path = tmp_path / "b.npz"
    a = check_asymptotics(Poisson(), [0.1], n=10, reps=60, rng=5, checkpoint=path)
    b = check_asymptotics(Poisson(), [0.1], n=10, reps=60, rng=5, checkpoint=path)
    assert a.n_boundary > 0 and a.boundary_estimates == b.boundary_estimates
    np.testing.assert_array_equal(a.estimates, b.estimates)


def test_a_replicate_whose_newton_matrix_defeats_the_solver_is_a_failed_fit():
    # LogisticRegression at n = 12: some replicates are separated (no MLE); on this machine
    # one Newton matrix passed the Cholesky check but made the batched LU solve raise, which
    # aborted the whole study (LinAlgError). Such replicates are now counted failures.
    m = LogisticRegression(2)
    rep = check_asymptotics(m, m.example_theta(), n=12, reps=400, rng=4, x=m.example_x())
    assert 0 < rep.n_failed < 400
    assert rep.n_failed + np.sum(np.all(np.isfinite(rep.estimates), axis=1)) == 400


def test_solve_pd_falls_back_to_one_matrix_at_a_time(monkeypatch):
    from fisherstat import _batch

    A = np.stack([np.eye(2), 2 * np.eye(2), 4 * np.eye(2)])
    b = np.ones((3, 2))
    real = np.linalg.solve

    def solve(M, v):  # the batched call raises, as for a matrix at rounding level
        if M.ndim == 3:
            raise np.linalg.LinAlgError("Singular matrix")
        if M[0, 0] == 2.0:
            raise np.linalg.LinAlgError("Singular matrix")
        return real(M, v)

    monkeypatch.setattr(np.linalg, "solve", solve)
    s, ok = _batch.solve_pd(A, b)
    np.testing.assert_array_equal(ok, [True, False, True])
    np.testing.assert_array_equal(s[[0, 2]], [[1.0, 1.0], [0.25, 0.25]])
    assert np.all(np.isnan(s[1]))
