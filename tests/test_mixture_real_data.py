"""Gaussian mixtures on real data: pandas input, the Nile flows, Louis' information against
finite differences and the information in other parameterisations (issue 15, point 4)."""

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fisherstat as fs
from fisherstat import _numdiff
from fisherstat.models.mixture import GaussianMixture

sm = pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def nile():
    """Annual Nile flows at Aswan, 1871-1970 (10^8 m^3), indexed by year; the flow drops
    at 1898 (the Aswan dam), so two regimes with a common variance are natural."""
    df = sm.datasets.nile.load_pandas().data
    return df.set_index(df["year"].astype(int))["volume"]


@pytest.fixture(scope="module")
def nile_fit(nile):
    model = GaussianMixture(2, covariance="equal")
    return model, model.fit_em(nile, n_init=10, rng=0)


def _fd_hessian_check(info, f, x):
    """|I - (-FD Hessian)| <= 1e-6 sqrt(I_ii I_jj), entrywise.

    Tolerance: ``_numdiff.hessian`` uses Richardson-extrapolated central second differences
    (error O(h^4)) with h = eps^(1/6) max(|x_j|, 1); for the Nile means (|x| ~ 10^3, sd
    ~ 10^2) that is h/sd ~ 0.025, a truncation error ~ (h/sd)^4 ~ 4e-7 of the standardised
    entry I_ij / sqrt(I_ii I_jj) (times an O(1) standardised fourth derivative); rounding
    adds 23 eps |loglik| / (h_i h_j) ~ 1e-10 of it. Measured: 2e-8 at most.
    """
    H = _numdiff.hessian(f, x)[0]
    d = np.sqrt(np.diag(info))
    np.testing.assert_array_less(np.abs(info + H), 1e-6 * np.outer(d, d))


def _logit_logsd(model, theta):
    """eta = (log(w_j / w_k) for j < k, means, log standard deviations) of a 1-d mixture,
    the map theta(eta) and its Jacobian d theta / d eta (p, p):
    d w_i / d alpha_j = w_i (delta_ij - w_j) (softmax); d sigma2 / d log sd = 2 sigma2."""
    k = model.k
    w = np.append(theta[: k - 1], 1.0 - theta[: k - 1].sum())
    s2 = theta[model._cov_slice]
    eta = np.concatenate([np.log(w[:-1] / w[-1]), theta[model._mu_slice], 0.5 * np.log(s2)])

    def theta_of(e):
        a = np.append(e[: k - 1], 0.0)
        p = np.exp(a - a.max())
        p /= p.sum()
        return np.concatenate([p[:-1], e[k - 1: k - 1 + k], np.exp(2.0 * e[2 * k - 1:])])

    J = np.zeros((theta.size, theta.size))
    J[: k - 1, : k - 1] = np.diag(w[:-1]) - np.outer(w[:-1], w[:-1])
    J[k - 1: 2 * k - 1, k - 1: 2 * k - 1] = np.eye(k)
    J[2 * k - 1:, 2 * k - 1:] = np.diag(2.0 * s2)
    names = ([f"alpha{j + 1}" for j in range(k - 1)] + list(model.param_names[k - 1: 2 * k - 1])
             + [f"log_sd{j + 1}" for j in range(s2.size)])
    return eta, theta_of, J, names


# ------------------------------------------------------------------ the Nile
def test_nile_two_regime_fit_is_the_em_fixed_point_and_reached_from_other_starts(nile,
                                                                                   nile_fit):
    model, res = nile_fit
    th = res.theta
    assert res.converged
    # pinned estimates (4-5 significant digits; checked independently below)
    np.testing.assert_allclose(th, [0.69274, 832.438, 1115.297, 11321.35], rtol=1e-5)
    x = nile.to_numpy()[:, None]
    # Tolerances. The Newton polish stops when the decrement g^T H^-1 g <= 1e-14 |loglik|
    # ~ 6.5e-12, i.e. within sqrt(6.5e-12) ~ 2.5e-6 standard errors of the exact maximiser
    # (SE / theta <= 0.2 here: <= 5e-7 relative). So: (i) EM fixed point: one M step from
    # the responsibilities at theta moves by the EM rate (< 1) times that distance, < 1e-6
    # relative (measured 3e-9); (ii) score ~ 0: |score_i| SE_i ~ the distance in SE units,
    # < 1e-5 (measured 4e-9); (iii) fits from other starts agree to 1e-6 relative and the
    # log-likelihood to 1e-10 relative (the decrement bound, 1e-14, plus EM's tolerance).
    tau = model._e_step(model._parts(th), x)[2]
    np.testing.assert_allclose(model._pack(*model._m_step(x, tau)), th, rtol=1e-6)
    se = model.observed_information_louis(th, nile).standard_errors(nile.size)
    assert np.all(np.abs(model.score(th, nile).sum(axis=0)) * se < 1e-5)
    other = model.fit_em(nile.to_numpy(), n_init=10, rng=12345)
    assert other.loglik == pytest.approx(res.loglik, rel=1e-10)
    np.testing.assert_allclose(other.theta, th, rtol=1e-6)
    # the regimes: the lower-flow component is the larger (72 of the 100 years follow 1898)
    assert th[1] < th[2] and 0.6 < th[0] < 0.8


def test_series_dataframe_and_array_give_the_same_fit_and_fs_fit_uses_louis(nile, nile_fit):
    model, res = nile_fit
    for data in (nile.to_frame(), nile.to_numpy(), nile.to_list()):
        np.testing.assert_array_equal(model.fit_em(data, n_init=10, rng=0).theta, res.theta)
    r = fs.fit(model, nile, cov_type="observed")
    # fs.fit -> model.fit (5 starts, rng=0): the same maximum, to the Newton stopping rule
    # (<= 5e-7 relative, see the test above)
    np.testing.assert_allclose(r.params, res.theta, rtol=1e-6)
    louis = model.observed_information_louis(r.params, nile)
    # same matrix two ways (analytic Hessian vs Louis sums): rounding, cond ~ 1e8 of the
    # unscaled matrix but entrywise agreement to 1e-10 (as in test_mixture.py)
    np.testing.assert_allclose(r.bse, louis.standard_errors(nile.size), rtol=1e-8)
    assert r.nobs == 100 and r.llf == pytest.approx(res.loglik, rel=1e-10)


@pytest.mark.parametrize("covariance", ["equal", "full"])
def test_louis_information_at_the_nile_fit_equals_the_fd_hessian(nile, covariance):
    model = GaussianMixture(2, covariance=covariance)
    th = model.fit_em(nile, n_init=10, rng=0).theta
    y = nile.to_numpy()
    louis = model.observed_information_louis(th, nile).matrix * y.size
    _fd_hessian_check(louis, lambda t: model.loglik(t, y).sum(), th)


# ------------------------------------------------------- other parametrisations
@pytest.mark.parametrize("covariance", ["equal", "full"])
def test_reparametrize_to_logit_weights_and_log_sd_equals_fd_in_eta(nile, covariance):
    """I_eta = J^T I_theta J (FisherInfo.reparametrize) against -d^2 loglik / d eta^2 by
    finite differences of the log-likelihood written in eta (tolerance: _fd_hessian_check)."""
    model = GaussianMixture(2, covariance=covariance)
    th = model.fit_em(nile, n_init=10, rng=0).theta
    y = nile.to_numpy()
    eta, theta_of, J, names = _logit_logsd(model, th)
    np.testing.assert_allclose(theta_of(eta), th, rtol=1e-14)
    info = model.observed_information_louis(th, nile).reparametrize(J, names)
    _fd_hessian_check(info.matrix * y.size, lambda e: model.loglik(theta_of(e), y).sum(), eta)
    assert info.param_names[0] == "alpha1" and info.param_names[-1].startswith("log_sd")


def test_se_of_the_last_weight_by_reparametrize_equals_the_delta_method():
    """SE of w_k: reparametrize to eta = (w2, .., wk, means, variances) (w1 = 1 - sum) and
    invert, or the delta method Var(w_k) = 1^T V_w 1 on (w1, .., w(k-1)). Both are exact
    linear algebra on a 3-component information of condition ~1e4: agreement to 1e-10."""
    model = GaussianMixture(3)
    theta = np.array([0.2, 0.3, -4.0, 0.0, 4.0, 1.0, 0.5, 2.0])
    x = model.sample(theta, 3000, rng=1)
    th = model.fit(x)
    info = model.observed_information_louis(th, x)
    n = x.size
    V = info.covariance(n)
    var_delta = V[:2, :2].sum()
    J = np.eye(th.size)  # columns: eta = (w2, w3, mu..., sigma2...)
    J[:2, :2] = [[-1.0, -1.0], [1.0, 0.0]]  # w1 = 1 - w2 - w3, w2 = w2
    names = ("w2", "w3") + model.param_names[2:]
    se_eta = info.reparametrize(J, names).standard_errors(n)
    assert se_eta[1] == pytest.approx(np.sqrt(var_delta), rel=1e-10)
    assert se_eta[0] == pytest.approx(np.sqrt(V[1, 1]), rel=1e-10)
    # w3 = 1 - w1 - w2 has variance between the extremes of the Cauchy-Schwarz bound
    assert var_delta <= (np.sqrt(V[0, 0]) + np.sqrt(V[1, 1])) ** 2


# -------------------------------------------------------------------- pandas in
def test_two_column_dataframe_fits_like_its_array():
    model = GaussianMixture(2, dim=2, covariance="diag")
    theta = model.example_theta()
    arr = model.sample(theta, 600, rng=5)
    df = pd.DataFrame(arr, columns=["height", "weight"])
    np.testing.assert_array_equal(model.fit_em(df, rng=0).theta,
                                  model.fit_em(arr, rng=0).theta)


def test_dataframe_errors_name_the_column_and_count_rows():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.nan, 5.0, 6.0],
                       "b": np.arange(6.0), "g": list("xyxyxy"),
                       "flag": [True, False] * 3},
                      index=pd.date_range("2020-01-01", periods=6, freq="D"))
    m2 = GaussianMixture(2, dim=2)
    with pytest.raises(ValueError, match=r"column 'g' is not numeric"):
        m2.fit_em(df[["a", "g"]])
    with pytest.raises(ValueError, match=r"column 'flag' is not numeric"):
        m2.fit_em(df[["b", "flag"]])
    with pytest.raises(ValueError, match=r"column 'g' is not numeric"):
        GaussianMixture(2).fit(df["g"])
    with pytest.raises(ValueError, match=r"column 'a' has 2 of 6 rows NaN.*2020-01-02"):
        m2.fit_em(df[["a", "b"]])
    with pytest.raises(ValueError, match=r"column 'a' has 2 of 6 rows NaN"):
        fs.fit(GaussianMixture(2), df["a"])
    with pytest.raises(ValueError, match=r"4 column\(s\) \('a', 'b', 'g', 'flag'\).*dim=2"):
        m2.fit_em(df)
    with pytest.raises(ValueError, match=r"1 column\(s\) \('b'\).*dim=2"):
        m2.fit_em(df["b"])
    with pytest.raises(ValueError, match=r"GaussianMixture\(2, dim=3\)"):
        m2.fit_em(np.ones((10, 3)))
    with pytest.raises(ValueError, match=r"2 of 4 rows contain NaN or inf \(rows 1, 3\)"):
        GaussianMixture(2).fit(np.array([0.0, np.nan, 1.0, np.inf]))


DOCS = Path(__file__).resolve().parent.parent / "docs" / "mixtures.rst"


@pytest.mark.skipif(not DOCS.exists(), reason="docs/ is not part of this installation")
def test_the_nile_section_of_docs_mixtures_runs_as_a_doctest():
    res = doctest.testfile(str(DOCS), module_relative=False,
                           optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.attempted >= 15 and res.failed == 0
