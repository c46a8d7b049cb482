"""check_asymptotics(dgp=...): studies of misspecification against closed forms.

The main case: a Normal(mu, sigma2) model fitted to Laplace(0, b = 1) data. The pseudo-true
parameter (the KL projection) of a Normal fit is the mean and variance of the process,
theta* = (0, 2 b^2) = (0, 2). With the Normal scores s_mu = r / s2, s_s2 = (r^2 - s2)/(2 s2^2)
(r = y - mu) at theta*: A = diag(1/s2, 1/(2 s2^2)) and B = [[1/s2, mu3/(2 s2^3)],
[., (mu4 - s2^2)/(4 s2^4)]], so the sandwich is A^-1 B A^-1 = [[s2, mu3], [mu3, mu4 - s2^2]]
(White 1982, Econometrica 50, 1-25). Laplace moments E|Y|^k = k! b^k: s2 = 2, mu3 = 0,
mu4 = 24, hence the sandwich diag(2, 20) against the inverse Fisher information
diag(s2, 2 s2^2) = diag(2, 8).

Monte Carlo errors (N = 200_000 draws, the default dgp_draws) from the influence functions of
the estimates (E Y^2 = 2, E Y^4 = 24, E Y^6 = 720, E Y^8 = 40320):

* theta*_mu = mean(Y): sd sqrt(2 / N) = 0.0032; theta*_s2 = mean((Y - Ybar)^2): influence
  Y^2 - 2, sd sqrt(20 / N) = 0.010;
* sandwich_11 = theta*_s2 (A and B combine to the sample variance): sd 0.010;
  sandwich_12 = mean((Y - Ybar)^3): influence Y^3 - 3 s2 Y, sd sqrt(E Y^6 - 6 s2 E Y^4 +
  9 s2^2 E Y^2) / sqrt(N) = sqrt(720 - 288 + 72) / 447 = 0.050;
  sandwich_22 = m4 - m2^2: influence Y^4 - 4 Y^2 - 16, variance E Y^8 - 8 E Y^6 + 16 E Y^4
  - 16^2 = 34688, sd 186 / 447 = 0.42.
"""

import inspect

import numpy as np
import pytest
from conftest import N_SE
from scipy import stats

import fisherstat as fs
from fisherstat.asymptotics import check_asymptotics
from fisherstat.models import LinearRegression, Normal, StudentT

DRAWS = 200_000
SD_THETA = np.sqrt(np.array([2.0, 20.0]) / DRAWS)  # MC sd of theta* (module docstring)
SD_SANDWICH = np.array([[0.010, 0.050], [0.050, 0.42]])  # MC sd of the sandwich entries
SANDWICH = np.diag([2.0, 20.0])


def laplace(n, rng):
    """Laplace(0, 1): variance 2, fourth central moment 24."""
    return rng.laplace(0.0, 1.0, n)


@pytest.fixture(scope="module")
def laplace_study():
    return check_asymptotics(Normal(), None, n=400, reps=400, rng=7, dgp=laplace)


def test_pseudo_true_parameter_is_the_mean_and_variance_of_the_process(laplace_study):
    rep = laplace_study
    assert rep.misspecified and rep.dgp == "the sampler laplace(n, rng)"
    np.testing.assert_array_equal(rep.pseudo_true, rep.theta0)  # the centring parameter
    assert np.all(np.abs(rep.pseudo_true - [0.0, 2.0]) < N_SE * SD_THETA)
    # its reported Monte Carlo error is sqrt(diag(sandwich) / N): within the sandwich's own
    # relative error (0.42 / 20 = 2.1% for sigma2, 0.5% for mu) of the closed form
    np.testing.assert_allclose(rep.pseudo_true_se, SD_THETA, rtol=N_SE * 0.021)


def test_sandwich_matches_mu4_minus_sigma4_not_the_inverse_fisher(laplace_study):
    rep = laplace_study
    assert np.all(np.abs(rep.sandwich_covariance - SANDWICH) < N_SE * SD_SANDWICH)
    # the reported (jackknife, 20 groups) standard error of sandwich_22 estimates 0.42: a
    # jackknife variance with 19 degrees of freedom lies within chi2(19)/19 quantiles
    # [0.29, 2.2] (probability 0.9998); heavier tails of the influence widen it a little,
    # hence [0.2, 2.5] for the variance, the square roots below
    assert np.sqrt(0.2) * 0.42 < rep.sandwich_covariance_se[1, 1] < np.sqrt(2.5) * 0.42
    # the model-based covariance is the exact inverse Fisher information at theta*
    s2 = rep.pseudo_true[1]
    np.testing.assert_allclose(rep.model_based_covariance, np.diag([s2, 2 * s2**2]),
                               rtol=1e-12)
    # the checks test the sandwich: it is the asymptotic covariance of the report
    np.testing.assert_array_equal(rep.asymptotic_covariance, rep.sandwich_covariance)
    assert set(rep.misspecification) >= {"A", "A_se", "B", "B_se", "draws"}
    assert rep.misspecification["draws"] == DRAWS


def test_simulated_variance_agrees_with_the_sandwich_and_refutes_the_inverse_fisher(
        laplace_study):
    rep = laplace_study
    # n Var(sigma2_hat) at n = 400 is (399/400)^2 (mu4 - 397/399 s2^2) = 19.92 (the exact
    # variance of the divisor-n sample variance): ratio 0.996 to the sandwich's 20, inside
    # the simultaneous intervals; against the model-based 8 the ratio is 20/8 = 2.5
    lo, hi = rep.variance_ratio_ci[1]
    assert lo < 0.996 < hi
    lo, hi = rep.model_based_variance_ratio_ci[1]
    assert lo < 2.49 < hi and lo > 1.5
    # mu: the sandwich and the inverse Fisher agree (Var(Y) = s2)
    np.testing.assert_allclose(rep.model_based_variance_ratio[0], rep.variance_ratio[0],
                               rtol=0.02)  # their references differ by the MC error 0.5%
    # Wald intervals for sigma2 with the model-based standard error cover with probability
    # 2 Phi(1.96 sqrt(8 / 20)) - 1 = 0.785, not 0.95: the sandwich column is why
    model_cover = 2 * stats.norm.cdf(1.959964 * np.sqrt(8 / 20)) - 1
    lo, hi = rep.coverage_ci[0, 1]  # 'expected'
    assert lo < model_cover < hi and hi < 0.95
    assert rep.coverage[3, 1] > rep.coverage[0, 1] + 0.08  # sandwich: 0.93 vs 0.785


def test_summary_says_misspecified_with_pseudo_true_and_both_comparisons(laplace_study):
    text = laplace_study.summary()
    assert "MISSPECIFIED: the data come from the sampler laplace(n, rng)" in text
    assert "pseudo-true theta*" in text and "mu = " in text and "sigma2 = " in text
    assert "N(0, A^-1 B A^-1)" in text
    assert "simulated vs sandwich (Monte Carlo s.e.) vs model-based I^-1" in text
    assert "Wald intervals of theta*" in text


def test_a_known_pseudo_true_parameter_is_taken_as_given():
    # theta* = (0, 2) given: A and B are Monte Carlo means at it, no fit. With theta* fixed,
    # sandwich_22 = B22 / A22^2 with A22 = mean(Y^2)/s2^3 - 1/(2 s2^2) and
    # B22 = mean((Y^2 - s2)^2)/(4 s2^4): influence (Y^2-2)^2 - 20 - 40 (Y^2 - 2) =
    # Y^4 - 44 Y^2 + 64, variance 19328, sd 139 / sqrt(N) = 0.31
    rep = check_asymptotics(Normal(), [0.0, 2.0], n=100, reps=50, rng=3, dgp=laplace)
    np.testing.assert_array_equal(rep.pseudo_true, [0.0, 2.0])
    assert np.all(np.isnan(rep.pseudo_true_se))
    assert abs(rep.sandwich_covariance[1, 1] - 20.0) < N_SE * 0.31
    assert "(given)" in rep.summary()


def test_a_model_and_theta_pair_as_dgp_student_t10():
    # t with 10 df (finite 8th moment, so the Monte Carlo errors are finite): variance
    # nu/(nu-2) = 1.25, mu4 = 3 s2^2 (nu-2)/(nu-4) = 6.25, sandwich_22 = 6.25 - 1.5625 =
    # 4.6875 against 2 s2^2 = 3.125. MC sd of sandwich_22 from the influence
    # Y^4 - 4 s2 Y^2 - (mu4 - 2 s2^2): E T^8 = nu^4 105/((nu-2)(nu-4)(nu-6)(nu-8)) = 2734.4,
    # E T^6 = nu^3 15/((nu-2)(nu-4)(nu-6)) = 78.1: variance 2734.4 - 5 * 78.1 + 6.25 * 6.25
    # - 3.125^2 = 2373 (rounded up), sd 48.7 / sqrt(N) = 0.11
    rep = check_asymptotics(Normal(), None, n=100, reps=50, rng=5,
                            dgp=(StudentT(), [0.0, 1.0, 10.0]))
    assert rep.dgp.startswith("StudentT(")
    assert abs(rep.pseudo_true[1] - 1.25) < N_SE * np.sqrt((6.25 - 1.5625) / DRAWS)
    assert abs(rep.sandwich_covariance[1, 1] - 4.6875) < N_SE * 0.11
    assert abs(rep.model_based_covariance[1, 1] - 2 * rep.pseudo_true[1] ** 2) < 1e-12


def test_correct_specification_as_dgp_gives_sandwich_equal_to_inverse_fisher():
    # dgp = the model itself: A = B = I, the sandwich is I^-1 = diag(1, 2) at (0, 1); MC sd
    # of the entries: mean(Y^2) - Ybar^2 has sd sqrt(2/N) = 0.0032; m4 - m2^2 has the
    # influence Y^4 - 6 Y^2 + 3, variance 105 - 12 * 15 + 36 * 3 - 9 = 24, sd 0.011
    rep = check_asymptotics(Normal(), None, n=50, reps=50, rng=2,
                            dgp=(Normal(), [0.0, 1.0]))
    assert np.all(np.abs(rep.sandwich_covariance - np.diag([1.0, 2.0]))
                  < N_SE * np.array([[0.0032, 0.0032], [0.0032, 0.011]]))


def heteroskedastic(n, rng, x):
    """y = 1 + 2 t + |t| e, e ~ N(0, 1): the error variance t^2 grows with the covariate."""
    t = x[:, 1]
    return 1.0 + 2.0 * t + np.abs(t) * rng.standard_normal(n)


def test_regression_with_heteroskedastic_errors_gives_whites_sandwich():
    # LinearRegression fitted to heteroskedastic data (White 1980): beta* = (1, 2),
    # sigma2* = mean(t^2), and the beta block of the sandwich is
    # (X'X/n)^-1 (sum_i t_i^2 x_i x_i' / n) (X'X/n)^-1 over the design rows
    t = np.linspace(-1.0, 1.0, 9)
    X = np.column_stack([np.ones(9), t])
    rep = check_asymptotics(LinearRegression(2), None, n=90, reps=50, rng=4, x=X,
                            dgp=heteroskedastic)
    Mxx = X.T @ X / 9
    meat = (X * (t**2)[:, None]).T @ X / 9
    white = np.linalg.solve(Mxx, np.linalg.solve(Mxx, meat).T)
    # the MC errors of the entries are the reported jackknife ones; a jackknife standard
    # error with 19 degrees of freedom may understate by sqrt(chi2(19)/19 at 1e-4) = 0.54,
    # hence N_SE / 0.54 of them
    se = rep.sandwich_covariance_se[:2, :2]
    assert np.all(np.abs(rep.sandwich_covariance[:2, :2] - white) < N_SE / 0.54 * se)
    sd_theta = np.sqrt(np.diag(white) / DRAWS)
    assert np.all(np.abs(rep.pseudo_true[:2] - [1.0, 2.0]) < N_SE * sd_theta)
    # the model-based covariance sigma2* (X'X/n)^-1 is not White's: the variance of the slope
    # is mean(t^2) / Mxx_tt = 1 here, White's mean(t^4) / mean(t^2)^2 = 0.3073 / 0.1736 = 1.77
    np.testing.assert_allclose(rep.model_based_covariance[1, 1],
                               rep.pseudo_true[2] / Mxx[1, 1], rtol=1e-10)
    np.testing.assert_allclose(white[1, 1], 1.77, rtol=1e-3)
    # sigma2*_hat = mean(t^2 e^2) over the cycled design: Var(t^2 e^2) = 2 t^4, so the sd of
    # sigma2*_hat / mean(t^2) is sqrt(2 mean(t^4) / N) / mean(t^2)
    sd = np.sqrt(2 * 0.3073 / DRAWS) / 0.41667
    assert abs(rep.model_based_covariance[1, 1] - 1.0) < N_SE * sd


def test_results_do_not_depend_on_the_executor_with_a_dgp():
    a = check_asymptotics(Normal(), None, n=30, reps=40, rng=11, dgp=laplace, dgp_draws=2000)
    b = check_asymptotics(Normal(), None, n=30, reps=40, rng=11, dgp=laplace, dgp_draws=2000,
                          executor=2)
    np.testing.assert_array_equal(a.estimates, b.estimates)
    np.testing.assert_array_equal(a.pseudo_true, b.pseudo_true)


def test_checkpoint_signature_includes_the_dgp(tmp_path):
    path = tmp_path / "mis.npz"
    a = check_asymptotics(Normal(), None, n=30, reps=40, rng=1, dgp=laplace, dgp_draws=2000,
                          checkpoint=path)
    b = check_asymptotics(Normal(), None, n=30, reps=40, rng=1, dgp=laplace, dgp_draws=2000,
                          checkpoint=path)
    np.testing.assert_array_equal(a.estimates, b.estimates)
    with pytest.raises(ValueError, match="different arguments"):
        check_asymptotics(Normal(), None, n=30, reps=40, rng=1, dgp=(Normal(), [0.0, 2.0]),
                          dgp_draws=2000, checkpoint=path)


def test_theta0_none_needs_a_dgp_and_the_default_study_is_unchanged():
    with pytest.raises(TypeError, match="theta0"):
        check_asymptotics(Normal(), None, n=30, reps=10, rng=0)
    rep = check_asymptotics(Normal(), [0.0, 1.0], n=30, reps=40, rng=0)
    assert not rep.misspecified and rep.dgp is None and rep.pseudo_true is None
    np.testing.assert_array_equal(rep.model_based_covariance, rep.asymptotic_covariance)
    assert "MISSPECIFIED" not in rep.summary()


def test_rng_default_is_none_as_elsewhere_in_the_package():
    for func in (check_asymptotics, fs.fisher, fs.parallel.map_replicates):
        assert inspect.signature(func).parameters["rng"].default is None


def test_study_figure_and_table_of_a_misspecified_study(laplace_study):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fig = laplace_study.plot()
    assert "misspecified" in fig.texts[0].get_text()  # the suptitle
    assert "theta^*" in fig.axes[0].get_xlabel()
    assert fig.axes[1].get_ylabel() == "standardised by sandwich"  # the first QQ plot
    pytest.importorskip("pandas")
    df = laplace_study.to_frame()
    np.testing.assert_allclose(df["model_based_variance_ratio"].to_numpy(),
                               laplace_study.model_based_variance_ratio)
