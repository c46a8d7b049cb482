"""Extreme but valid input: finite, correct answers (or a SingularFisherWarning with the rank).

Every expected value is a closed form, evaluated in a numerically stable way in this file
(the formula and its source are in a comment next to it), and every tolerance is derived
next to the assertion from the conditioning of the quantity and the float64 unit roundoff
``EPS = 2.2e-16``. Comparisons are relative (entries of size 1e24 are expected at
``sigma2 = 1e-12``). ``pyproject.toml`` turns RuntimeWarnings (overflow, 0 * log 0, invalid)
from fisherstat into errors, so "finite" also means "no floating-point warning on the way".
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from conftest import N_SE
from scipy import special

import fisherstat as fs
from fisherstat import design
from fisherstat.models.mixture import GaussianMixture

EPS = np.finfo(float).eps
TINY = np.finfo(float).tiny
SIGMA2 = [1e-12, 1e12]


@contextlib.contextmanager
def no_warnings():
    """Fail on any warning (SingularFisherWarning included): the answer must be clean."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def rel_err(a, b):
    """Entrywise relative error ``|a - b| / |b|`` (``b != 0``)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.abs(b)


# ============================================================== sigma2 = 1e-12 and 1e12
@pytest.mark.parametrize("s2", SIGMA2)
def test_normal_information_score_hessian_at_extreme_variance(s2):
    m = fs.models.Normal()
    with no_warnings():
        info = fs.fisher(m, [3.0, s2])
        # I = diag(1/s2, 1/(2 s2^2)) (Lehmann & Casella 1998, Example 2.6.3). Each entry is
        # one or two roundings of the exact value: relative error <= 2 eps; bound 4 eps.
        ref = np.diag([1.0 / s2, 0.5 / s2**2])
        assert np.all(rel_err(np.diag(info.matrix), np.diag(ref)) <= 4 * EPS)
        assert info.matrix[0, 1] == 0.0 and info.rank == 2
        # Cramer-Rao standard errors from n = 1000: sqrt(s2 / n), sqrt(2 s2^2 / n); the
        # inverse of a diagonal matrix plus a square root: <= 4 roundings, bound 8 eps.
        n = 1000
        se = info.standard_errors(n)
        assert np.all(rel_err(se, [np.sqrt(s2 / n), np.sqrt(2.0 / n) * s2]) <= 8 * EPS)

        # Score and Hessian at y = mu + sd z with mu = 0 (so that r = y exactly up to the
        # rounding of sd * z): in standardised units the closed forms are
        # s = (z / sd, (z^2 - 1) / (2 s2)),
        # H = [[-1/s2, -z/sd^3], [-z/sd^3, (1 - 2 z^2)/(2 s2^2)]].
        sd = np.sqrt(s2)
        z = np.array([-2.5, -0.75, 0.1, 1.0, 3.0])
        y = sd * z
        s = m.score([0.0, s2], y)
        # relative error of r = fl(sd z): 2 eps (sd and the product); of r/s2: 3 eps; of
        # (r^2 - s2) / (2 s2^2): ~8 eps relative to (z^2 + 1) / (2 s2), bound 16 eps.
        np.testing.assert_allclose(s[:, 0], z / sd, rtol=8 * EPS, atol=0)
        s2_scale = (z * z + 1) / (2 * s2)
        assert np.all(np.abs(s[:, 1] - (z * z - 1) / (2 * s2)) <= 16 * EPS * s2_scale)
        H = m.hessian([0.0, s2], y, individual=True)
        np.testing.assert_allclose(H[:, 0, 0], -1.0 / s2, rtol=4 * EPS)
        np.testing.assert_allclose(H[:, 0, 1], -z / sd**3, rtol=16 * EPS)
        scale = (1 + 2 * z * z) / (2 * s2**2)  # sum of the magnitudes of the two terms
        assert np.all(np.abs(H[:, 1, 1] - (1 - 2 * z * z) / (2 * s2**2)) <= 16 * EPS * scale)


@pytest.mark.parametrize("s2", SIGMA2)
def test_normal_fit_is_scale_equivariant_at_extreme_variance(s2):
    m = fs.models.Normal()
    sd, mu = np.sqrt(s2), 3.0 * np.sqrt(s2)
    z = np.random.default_rng(5).standard_normal(400)
    y = mu + sd * z
    with no_warnings():
        mu_hat, s2_hat = m.fit(y)
    # MLE = (mean, biased variance) (Lehmann & Casella 1998, Example 2.6.3), hence
    # mu_hat = mu + sd mean(z) and s2_hat = s2 var(z). The data carry a relative rounding of
    # eps per entry of |y| <= sd (|mu|/sd + max|z|), and the mean and the variance add
    # O(eps) relative: bound 8 eps (|mu|/sd + max|z|) in units of sd (mean) and relative (var).
    c = 8 * EPS * (abs(mu) / sd + np.abs(z).max())
    assert abs((mu_hat - mu) / sd - z.mean()) <= c
    assert abs(s2_hat / s2 / z.var() - 1) <= 2 * c / z.var()


@pytest.mark.parametrize("s2", SIGMA2)
def test_linear_regression_at_extreme_variance(s2):
    m = fs.models.LinearRegression(2)
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    XtX = X.T @ X  # [[5, 10], [10, 30]]: integers, exact
    with no_warnings():
        info = fs.fisher(m, [1.0, 2.0, s2], x=X)
        # M = blockdiag(X^T X / s2, n / (2 s2^2)) (Greene 2012, sec. 14.9.1): one division
        # (or two) per entry of an exact integer matrix, bound 4 eps relative.
        ref = np.zeros((3, 3))
        ref[:2, :2] = XtX / s2
        ref[2, 2] = 5 / (2 * s2**2)
        nz = ref != 0
        assert np.all(rel_err(info.matrix[nz], ref[nz]) <= 4 * EPS)
        assert np.all(info.matrix[~nz] == 0) and info.rank == 3
        # Standard errors: sqrt(s2 diag((X^T X)^-1)) with (X^T X)^-1 = [[30, -10], [-10, 5]]/50
        # (the adjugate, exact), and sqrt(2 s2^2 / n). The Cholesky inverse has relative
        # error <= cond * p * eps (Higham 2002, sec. 14.3); cond(equilibrated) < 10, so bound
        # 8 * 10 * 3 * eps / 2 (square root halves it): 120 eps.
        se = info.standard_errors()
        se_ref = np.array([np.sqrt(s2 * 30 / 50), np.sqrt(s2 * 5 / 50), np.sqrt(2.0 / 5) * s2])
        assert np.all(rel_err(se, se_ref) <= 120 * EPS)

        # fit: y = X b + sd z is least squares, so b_hat = b + sd X^+ z and
        # s2_hat = s2 RSS(z) / n (Greene 2012, sec. 14.9.1) -- equivariance in the noise scale.
        Xr = np.repeat(X, 40, axis=0)
        z = np.random.default_rng(2).standard_normal(Xr.shape[0])
        b = np.array([1.0, 2.0]) * np.sqrt(s2)
        y = Xr @ b + np.sqrt(s2) * z
        est = m.fit(y, x=Xr)
        bz, rss = np.linalg.lstsq(Xr, z, rcond=None)[:2]
        # rounding of y: eps (|Xb| / sd + |z|) per entry in units of sd, amplified by the
        # least-squares condition number (cond(X) ~ 9): bound 8 * 9 * eps * that scale.
        c = 8 * 9 * EPS * (np.abs(Xr @ b).max() / np.sqrt(s2) + np.abs(z).max())
        assert np.all(np.abs((est[:2] - b) / np.sqrt(s2) - bz) <= c)
        assert abs(est[2] / s2 / (rss[0] / len(z)) - 1) <= 4 * c

        # Hessian at b = 0 (r = y): H_bb = -X^T X / s2, H_bs = -X^T z / sd^3,
        # H_ss = n / (2 s2^2) - sum z^2 / s2^2. The library sums n per-observation Hessians
        # of a few roundings each: error <= (n + 8) eps times the summed magnitudes.
        y0 = np.sqrt(s2) * z
        H = m.hessian([0.0, 0.0, s2], y0, x=Xr)
        sd, nz = np.sqrt(s2), len(z)
        tol = (nz + 8) * EPS
        np.testing.assert_allclose(H[:2, :2], -(Xr.T @ Xr) / s2, rtol=tol)
        assert np.all(np.abs(H[:2, 2] + Xr.T @ z / sd**3) <= tol * (np.abs(Xr).T @ np.abs(z))
                      / sd**3)
        ss_scale = (nz / 2 + np.sum(z * z)) / s2**2
        assert abs(H[2, 2] - (nz / 2 - np.sum(z * z)) / s2**2) <= tol * ss_scale


CATALOGUE = ["Emax", "MichaelisMenten", "ExponentialDecay", "BoxLucas", "SigmoidEmax"]


def _equilibrated_condition(M):
    d = np.sqrt(np.diag(M))
    w = np.linalg.eigvalsh(M / np.outer(d, d))
    return w[-1] / w[0]


@pytest.mark.parametrize("s2", SIGMA2)
@pytest.mark.parametrize("name", CATALOGUE)
def test_catalogue_models_at_extreme_error_variance(name, s2):
    """Additive error: M = blockdiag(J^T J / s2, n / (2 s2^2)) (Seber & Wild 1989, ch. 2).

    At s2 = 1e-12 the two blocks differ by a factor ~1e12 (units, not rank): the inverse and
    the standard errors must stay exact (regression: the pseudo-inverse dropped a
    well-determined direction, ED50's standard error of Emax was off by 99.97 %).
    """
    m = getattr(fs.models, name)()
    theta = m.example_theta().copy()
    x = m.example_x()
    ref_s2 = theta[-1]
    theta[-1] = s2
    n = len(x)
    with no_warnings():
        info = fs.fisher(m, theta, x=x)
        ref_info = fs.fisher(m, np.append(theta[:-1], ref_s2), x=x)
        J = m.mean_jacobian(theta, x)
        # J^T J / s2 as a sum of n products of factor entries J / sqrt(s2), each with <= 3
        # roundings: |error| <= (n + 3) eps * (|J|^T |J|) / s2; bound 2 (n + 3) eps.
        scale = np.abs(J).T @ np.abs(J) / s2
        pb = J.shape[1]
        assert np.all(np.abs(info.matrix[:pb, :pb] - J.T @ J / s2) <= 2 * (n + 3) * EPS * scale)
        assert np.all(info.matrix[:pb, pb] == 0)
        assert rel_err(info.matrix[pb, pb], n / (2 * s2**2)) <= 4 * EPS
        # Standard errors scale as sqrt(s2) (beta) and s2 (sigma2) exactly; both inverses have
        # relative error <= kappa p eps (kappa: condition number after equilibration, which
        # is what Cholesky's error depends on; Higham 2002, sec. 10.1 and 14.3); bound
        # 4 kappa p eps for the ratio of the two.
        kappa = _equilibrated_condition(ref_info.matrix)
        tol = 4 * kappa * len(theta) * EPS
        se, se_ref = info.standard_errors(), ref_info.standard_errors()
        assert np.all(np.isfinite(se)) and np.all(se > 0)
        assert np.all(rel_err(se[:pb], se_ref[:pb] * np.sqrt(s2 / ref_s2)) <= tol)
        assert rel_err(se[pb], se_ref[pb] * s2 / ref_s2) <= tol
        # full rank, whichever way it is decided (units do not make it singular)
        assert info.rank == len(theta) == fs.analyze(info).rank
        assert np.isfinite(info.condition_number)
        # fit: finite, or a FitError with the reason (at s2 = 1e12 the data are noise)
        xx = np.repeat(x, 5)
        y = m.sample(theta, x=xx, rng=9)
        try:
            est = m.fit(y, x=xx)
        except fs.FitError as e:
            assert str(e)
        else:
            assert np.all(np.isfinite(est))


def _expdecay_hessian(theta, x, y):
    """Closed-form Hessian of the summed log-likelihood of A exp(-k x) + N(0, s2) errors.

    ``l = -1/2 (log 2 pi s2 + r^2 / s2)``, ``r = y - f``, ``grad f = (e, -A x e)``,
    ``d2f/dA dk = -x e``, ``d2f/dk2 = A x^2 e`` (``e = exp(-k x)``). Returns the Hessian and
    the sum of the magnitudes of its terms (the scale for the relative error).
    """
    A, k, s2 = theta
    e = np.exp(-k * x)
    r = y - A * e
    g = np.column_stack([e, -A * x * e])
    d2 = np.zeros((x.size, 2, 2))
    d2[:, 0, 1] = d2[:, 1, 0] = -x * e
    d2[:, 1, 1] = A * x * x * e
    H, S = np.zeros((3, 3)), np.zeros((3, 3))
    H[:2, :2] = (-(g.T @ g) + np.einsum("n,nij->ij", r, d2)) / s2
    S[:2, :2] = (np.abs(g).T @ np.abs(g) + np.einsum("n,nij->ij", np.abs(r), np.abs(d2))) / s2
    H[:2, 2] = H[2, :2] = -(g * r[:, None]).sum(0) / s2**2
    S[:2, 2] = S[2, :2] = (np.abs(g) * np.abs(r)[:, None]).sum(0) / s2**2
    H[2, 2] = x.size / (2 * s2**2) - np.sum(r * r) / s2**3
    S[2, 2] = x.size / (2 * s2**2) + np.sum(r * r) / s2**3
    return H, S


@pytest.mark.parametrize("s2", [1e-12, 1.0, 1e12])
def test_nonlinear_hessian_keeps_relative_accuracy_at_extreme_variance(s2):
    """The Hessian of NonlinearRegression differences only the noise-free gradients of f.

    Regression: differencing the score itself lost 5 digits at s2 = 1e-12 and 1e12 (error
    5e-8 relative to the information), because the residual's size enters the difference.
    """
    m = fs.models.ExponentialDecay()
    x = np.repeat(m.example_x(), 5)
    theta = np.array([10.0, 0.5, s2])
    y = m.sample(theta, x=x, rng=3)
    with no_warnings():
        H = m.hessian(theta, y, x=x)
    Href, S = _expdecay_hessian(theta, x, y)
    # Only d2f/dbeta^2 is differenced (Richardson-extrapolated central differences of the
    # analytic Jacobian, step eps^(1/5) |beta|): truncation and rounding both ~eps^(4/5)
    # = 3e-13 relative to the scale of f's derivatives, which enter S. Bound 1e-11 (30x).
    assert np.all(np.abs(H - Href) <= 1e-11 * S)


@pytest.mark.parametrize("name", ["Emax", "ExponentialDecay"])
def test_catalogue_fit_at_tiny_error_variance(name):
    m = getattr(fs.models, name)()
    theta = m.example_theta().copy()
    theta[-1] = 1e-12
    x = np.repeat(m.example_x(), 10)
    y = m.sample(theta, x=x, rng=4)
    with no_warnings():
        est = m.fit(y, x=x)
        se = fs.fisher(m, theta, x=x).standard_errors()
    # The MLE is consistent with N_SE standard errors of the Cramer-Rao bound (a fixed
    # seed: a deterministic check that the optimiser resolves a noise of 1e-6).
    assert np.all(np.abs(est - theta) <= N_SE * se)


@pytest.mark.parametrize("c", SIGMA2)
def test_multivariate_normal_with_scaled_covariance(c):
    m = fs.models.MultivariateNormal(dim=3)
    S = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]])
    tri = np.tril_indices(3)
    mu = np.array([1.0, 2.0, 3.0])
    th1 = np.concatenate([mu, S[tri]])
    thc = np.concatenate([mu * np.sqrt(c), (c * S)[tri]])
    with no_warnings():
        I1, Ic = fs.fisher(m, th1), fs.fisher(m, thc)
        # I = blockdiag(P, 1/2 D^T (P x P) D) (Magnus & Neudecker 2019, ch. 15), P = Sigma^-1:
        # scaling Sigma by c scales the blocks by 1/c and 1/c^2 exactly. Both are computed
        # through Cholesky of Sigma: relative error <= kappa(Sigma)^2 p eps normwise
        # (P x P squares it); bound 4 kappa^2 p eps relative to the largest entry.
        kap = np.linalg.cond(S)
        scale = np.concatenate([np.full(3, 1 / c), np.full(6, 1 / c**2)])
        scaled = Ic.matrix / np.sqrt(np.outer(scale, scale))
        assert np.max(np.abs(scaled - I1.matrix)) <= 4 * kap**2 * 9 * EPS * np.abs(I1.matrix).max()
        assert Ic.rank == 9
        # standard errors: sqrt(c) (means) and c (covariance entries) times those at c = 1
        se1, sec = I1.standard_errors(100), Ic.standard_errors(100)
        se_scale = np.concatenate([np.full(3, np.sqrt(c)), np.full(6, c)])
        assert np.all(rel_err(sec, se1 * se_scale) <= 4 * kap**2 * 9 * EPS)

        # fit: mean and covariance (divisor n) are equivariant: y = mu + L z gives
        # (mu + sqrt(c) mean(z L1^T), c cov(z L1^T)); rounding of the data eps (|mu| + |Lz|)
        # times kappa: bound 16 kappa eps (|mu|/sd + max|z L1^T|) in units of sqrt(c).
        z = np.random.default_rng(0).standard_normal((500, 3)) @ np.linalg.cholesky(S).T
        y = mu * np.sqrt(c) + np.sqrt(c) * z
        est = m.fit(y)
        zc = z - z.mean(0)
        ref = np.concatenate([mu + z.mean(0), (zc.T @ zc / 500)[tri]])
        got = np.concatenate([est[:3] / np.sqrt(c), est[3:] / c])
        bound = 16 * kap * EPS * (np.abs(mu).max() + np.abs(z).max())
        assert np.all(np.abs(got - ref) <= bound * np.maximum(1, np.abs(ref)))
        # score, Hessian and log-likelihood stay finite
        assert np.all(np.isfinite(m.score(thc, y))) and np.all(np.isfinite(m.hessian(thc, y)))
        ll = m.loglik(thc, y)
        # the log-density shifts by -(d/2) log c under the scaling (the Jacobian of
        # y -> y / sqrt(c)). Rounding: log|c Sigma| from Cholesky ~ d |log c| eps + kappa d
        # eps, the quadratic form kappa d eps relative (Higham 2002, sec. 10.1); bound
        # 8 kappa eps (d |log c| + |ll1| + d) with d = 3.
        ll1 = m.loglik(th1, y / np.sqrt(c))
        bound = 8 * kap * EPS * (3 * abs(np.log(c)) + np.abs(ll1) + 3)
        assert np.all(np.abs(ll - (ll1 - 1.5 * np.log(c))) <= bound)


@pytest.mark.parametrize("s2", SIGMA2)
def test_info_summaries_stay_finite(s2):
    """``fisherstat info`` and ``FisherInfo.summary()`` print finite numbers only."""
    from fisherstat.cli import main

    xs = ";".join(str(v) for v in fs.models.Emax().example_x())
    for argv in (["info", "Normal", "--theta", "3", repr(s2)],
                 ["info", "Emax", "--theta", "2", "3", "25", repr(s2), "--x", xs],
                 ["info", "LinearRegression", "--theta", "1", "2", repr(s2), "--x",
                  "1,0;1,1;1,2"]):
        out = io.StringIO()
        with no_warnings(), contextlib.redirect_stdout(out):
            rc = main(argv)
        text = out.getvalue()
        assert rc in (0, None)
        assert not re.search(r"\b(nan|inf)\b", text, flags=re.IGNORECASE), text
    info = fs.fisher(fs.models.Normal(), [0.0, s2])
    assert not re.search(r"\b(nan|inf)\b", info.summary(), flags=re.IGNORECASE)


# ================================================================= binary and count GLMs
X1 = np.array([[1.0]])


def logistic_weight(eta):
    # p (1 - p) = e / (1 + e)^2, e = exp(-|eta|) (McCullagh & Nelder 1989, sec. 4.3):
    # e is correctly rounded within 1 ulp, then 2 operations: relative error <= 4 eps.
    e = np.exp(-abs(eta))
    return e / (1 + e) ** 2


@pytest.mark.parametrize("eta", [30.0, 40.0, 50.0, -50.0, 700.0, -700.0])
def test_logistic_tails(eta):
    m = fs.models.LogisticRegression(1)
    e = np.exp(-abs(eta))
    with no_warnings():
        # information: tiny but exact (no underflow: exp(-700) = 9.9e-305 is normal)
        w = m.fisher([eta], x=X1)[0, 0]
        assert w > 0 and rel_err(w, logistic_weight(eta)) <= 4 * EPS
        Xk = np.array([[1.0, 0.5], [1.0, -2.0]])  # two points with eta = beta_1 + t beta_2
        Mk = fs.models.LogisticRegression(2).fisher([eta, 0.0], x=Xk)
        np.testing.assert_allclose(Mk, logistic_weight(eta) * (Xk.T @ Xk), rtol=8 * EPS)
        for y in (0.0, 1.0):
            q = 2 * y - 1
            ll = m.loglik([eta], [y], x=X1)[0]
            s = m.score([eta], [y], x=X1)[0, 0]
            H = m.hessian([eta], [y], x=X1)[0, 0]
            # log p = -log(1 + exp(-q eta)): well predicted (q eta > 0): -log1p(e) ~ -e;
            # mispredicted: -|eta| - log1p(e). Score y - p = q e/(1+e) or q/(1+e).
            # log1p and the divisions are within 2 ulp each: bound 4 eps.
            good = q * eta > 0
            ll_ref = -np.log1p(e) if good else -abs(eta) - np.log1p(e)
            s_ref = q * (e / (1 + e) if good else 1 / (1 + e))
            assert np.isfinite(ll) and rel_err(ll, ll_ref) <= 4 * EPS
            assert rel_err(s, s_ref) <= 4 * EPS
            # Hessian -p(1-p) x x^T for both responses (canonical link)
            assert rel_err(H, -logistic_weight(eta)) <= 4 * EPS
        # sample: P(y != sign) = expit(-50) = 2e-22 per draw, so 1000 draws are all equal
        if abs(eta) >= 50:
            ys = m.sample([eta], x=np.ones((1000, 1)), rng=0)
            assert np.all(ys == (1.0 if eta > 0 else 0.0))


def mills_tail(a, terms=400):
    """c(a) = phi(a)/Phi(-a) - a by Laplace's continued fraction (A&S 26.2.14), backwards.

    Phi(-a)/phi(a) = 1/(a + 1/(a + 2/(a + 3/(a + ...)))), so c = 1/(a + 2/(a + 3/(a + ...)));
    400 terms are far past convergence for a >= 3 (40 already are for a >= 4).
    """
    t = 0.0
    for k in range(terms, 1, -1):
        t = k / (a + t)
    return 1.0 / (a + t)


def mills(a):
    """phi(a)/Phi(-a) = sqrt(2/pi) / erfcx(a / sqrt 2) (Faddeeva erfcx: no exp underflow)."""
    return np.sqrt(2 / np.pi) / special.erfcx(a / np.sqrt(2))


PROBIT_ETA = [3.0, 5.0, 8.0, 10.0, 20.0, 30.0, 37.5, 40.0, 50.0, 700.0]


@pytest.mark.parametrize("a", PROBIT_ETA)
def test_probit_tails(a):
    m = fs.models.ProbitRegression(1)
    c = mills_tail(a)
    mr = mills(a)
    # the two references agree: m(a) = a + c(a) to a few ulp (2 independent algorithms)
    assert rel_err(a + c, mr) <= 8 * EPS
    # phi(a) with a^2 exact (a has few bits): correctly rounded exp, within 2 ulp
    log_phi = -0.5 * a * a - 0.5 * np.log(2 * np.pi)
    phi = np.exp(log_phi)
    with no_warnings():
        # Information weight phi^2 / (Phi (1 - Phi)) = phi(a) m(a) / Phi(a)
        # (McCullagh & Nelder 1989, sec. 2.5). Its condition number in eta is
        # |d log w / d log eta| ~ a^2 + 1, and log_ndtr-based evaluations add an error of
        # that order: bound 8 (a^2 + 1) eps. Below 1e-308 the weight must underflow cleanly.
        w = m.fisher([a], x=X1)[0, 0]
        log_w = log_phi + np.log(mr) - np.log1p(-phi / mr)
        if log_w > np.log(TINY):
            assert rel_err(w, np.exp(log_w)) <= 8 * (a * a + 1) * EPS
        else:
            assert 0.0 <= w <= TINY
        assert w == m.fisher([-a], x=X1)[0, 0]  # symmetric in eta

        # y = 0 at eta = a (mispredicted, z = -a): log Phi(-a) = log phi(a) - log m(a);
        # score -m(a); Hessian -m (z + m) = -m(a) c(a) (Greene 2012, sec. 17.3), where
        # z + m cancels (the old form lost a^2 eps: 2e-5 relative at a = 700).
        # Each reference is a few operations on references accurate to 8 eps: bound 16 eps.
        ll0 = m.loglik([a], [0.0], x=X1)[0]
        assert rel_err(ll0, log_phi - np.log(mr)) <= 16 * EPS
        assert rel_err(m.score([a], [0.0], x=X1)[0, 0], -mr) <= 16 * EPS
        H0 = m.hessian([a], [0.0], x=X1)[0, 0]
        if a >= 4:  # continued fraction for z + m(z): no cancellation
            assert rel_err(H0, -mr * c) <= 16 * EPS
        else:
            # direct form: m from exp(log phi - log Phi) has relative error <= (a^2 + 2) eps
            # (arguments of size a^2/2), z + m = m - a amplifies it by m/c (12 at a = 3):
            # bound 2 (1 + m/c) (a^2 + 2) eps (2 for the final products).
            assert rel_err(H0, -mr * c) <= 2 * (1 + mr / c) * (a * a + 2) * EPS
        # the mirror observation y = 1 at eta = -a has the same z: identical values
        assert m.hessian([-a], [1.0], x=X1)[0, 0] == H0

        # y = 1 at eta = a (well predicted): log Phi(a) = log1p(-phi/m) ~ -Phi(-a); score
        # lambda = phi(a)/Phi(a); Hessian -lambda (lambda + a). Conditioning ~ a^2 + 1 in eta:
        # bound 8 (a^2 + 1) eps where representable, else a clean (signed) zero.
        lam_ref = phi / (1 - phi / mr)
        ll1 = m.loglik([a], [1.0], x=X1)[0]
        s1 = m.score([a], [1.0], x=X1)[0, 0]
        H1 = m.hessian([a], [1.0], x=X1)[0, 0]
        if phi / mr > TINY:
            assert rel_err(ll1, np.log1p(-phi / mr)) <= 8 * (a * a + 1) * EPS
        if lam_ref > TINY:
            assert rel_err(s1, lam_ref) <= 8 * (a * a + 1) * EPS
        if lam_ref * a > TINY:
            assert rel_err(H1, -lam_ref * (lam_ref + a)) <= 8 * (a * a + 1) * EPS
        assert np.isfinite(ll1) and np.isfinite(s1) and np.isfinite(H1)
        if phi / mr <= TINY:  # log Phi(a) ~ -Phi(-a) underflows cleanly to (-)0
            assert -TINY <= ll1 <= 0
        if a >= 50:
            ys = m.sample([a], x=np.ones((1000, 1)), rng=0)
            assert np.all(ys == 1.0)  # P(y = 0) = Phi(-50) ~ 1e-545 per draw


@pytest.mark.parametrize("name", ["LogisticRegression", "ProbitRegression"])
def test_binary_fit_with_linear_predictor_up_to_50(name):
    """Data whose linear predictor spans [-50, 50] (most responses perfectly predicted)."""
    m = getattr(fs.models, name)(2)
    t = np.linspace(-1.0, 1.0, 4001)
    X = np.column_stack([np.ones_like(t), t])
    beta = np.array([0.0, 50.0])  # eta = 50 t
    y = m.sample(beta, x=X, rng=7)
    with no_warnings():
        est = m.fit(y, x=X)
        info = fs.fisher(m, est, x=X)
        se = info.standard_errors()
        # MLE within N_SE Cramer-Rao standard errors of the truth (fixed seed)
        assert np.all(np.isfinite(est)) and np.all(np.abs(est - beta) <= N_SE * se)
        assert info.rank == 2 and np.all(np.isfinite(info.matrix))
        ll = m.loglik(est, y, x=X)
        assert np.all(np.isfinite(ll)) and np.all(ll <= 0)
    # all responses perfectly predicted: the MLE does not exist -> FitError, not a crash
    with pytest.raises(fs.FitError, match="separated"):
        m.fit(np.ones(50), x=np.column_stack([np.ones(50), np.linspace(0, 1, 50)]))


@pytest.mark.parametrize("eta", [300.0, -300.0, 700.0, -700.0])
def test_poisson_regression_at_large_linear_predictor(eta):
    m = fs.models.PoissonRegression(1)
    mu = np.exp(eta)  # correctly rounded within 1 ulp (eta exact)
    with no_warnings():
        # M = mu x x^T (McCullagh & Nelder 1989, ch. 6): bound 2 eps
        assert rel_err(m.fisher([eta], x=X1)[0, 0], mu) <= 2 * EPS
        assert rel_err(m.loglik([eta], [0.0], x=X1)[0], -mu) <= 2 * EPS
        assert rel_err(m.score([eta], [0.0], x=X1)[0, 0], -mu) <= 2 * EPS
        assert rel_err(m.hessian([eta], [0.0], x=X1)[0, 0], -mu) <= 2 * EPS
        if mu > 1e6:
            # y = mu (an integer in float64): log p = -stirlerr(y) - 1/2 log(2 pi y)
            # exactly (the deviance term bd0(y, mu) is 0; Loader 2000), with stirlerr(y) =
            # 1/(12 y) + O(y^-3). The direct sum y eta - mu - log y! cancels terms of size
            # 6e132 (at eta = 300) down to -151 (regression: it returned 0).
            y = mu
            ref = -1 / (12 * y) - 0.5 * (np.log(2 * np.pi) + np.log(y))
            assert rel_err(m.loglik([eta], [y], x=X1)[0], ref) <= 8 * EPS
            # y = 2 mu: bd0 = y log 2 + mu - y = mu (2 log 2 - 1); relative error of the
            # terms: a few eps each (no cancellation), bound 8 eps.
            y2 = 2 * mu
            ref2 = -1 / (12 * y2) - mu * (2 * np.log(2) - 1) - 0.5 * np.log(2 * np.pi * y2)
            assert rel_err(m.loglik([eta], [y2], x=X1)[0], ref2) <= 8 * EPS
            assert rel_err(m.score([eta], [y], x=X1)[0, 0] + 1.0, 1.0) <= 2 * EPS  # y - mu = 0


def test_poisson_fit_with_means_up_to_exp_40():
    m = fs.models.PoissonRegression(2)
    t = np.linspace(0.0, 1.0, 200)
    X = np.column_stack([np.ones_like(t), t])
    beta = np.array([30.0, 10.0])  # means from 1e13 to 2.4e17
    y = m.sample(beta, x=X, rng=11)
    with no_warnings():
        est = m.fit(y, x=X)
        se = fs.fisher(m, est, x=X).standard_errors()
    # within N_SE Cramer-Rao standard errors (fixed seed; se ~ 1e-8 relative)
    assert np.all(np.abs(est - beta) <= N_SE * se)


def test_poisson_sample_beyond_int64_counts_is_a_clear_error():
    # numpy samples Poisson means up to INT64_MAX - 10 sqrt(INT64_MAX) = 9.2e18 and raises
    # "lam value too large" beyond; the models name the mean instead
    with pytest.raises(ValueError, match=r"mean exp\(x @ beta\) = 1\.942e\+130"):
        fs.models.PoissonRegression(1).sample([300.0], x=X1, rng=0)
    with pytest.raises(ValueError, match="lam = 1e\\+20"):
        fs.models.Poisson().sample([1e20], 3, rng=0)
    # just below the limit it samples
    ys = fs.models.Poisson().sample([1e18], 2000, rng=0)
    assert abs(ys.mean() / 1e18 - 1) <= N_SE * np.sqrt(1e18 / 2000) / 1e18


def test_univariate_poisson_loglik_at_huge_mean():
    m = fs.models.Poisson()
    lam = 1e20
    with no_warnings():
        # log p(lam | lam) = -1/2 log(2 pi lam) - 1/(12 lam) + O(lam^-3) (Loader 2000);
        # the direct form xlogy - lam - gammaln cancels 4.5e21 down to -24 (error ~1e6).
        got = m.loglik([lam], [lam])[0]
    assert rel_err(got, -0.5 * np.log(2 * np.pi * lam)) <= 8 * EPS


# =========================================================================== ARMA roots
def _ar1_info(phi, s2):
    # AR(1): I = diag(1/(1 - phi^2), 1/(2 s2^2)) (Box, Jenkins & Reinsel 2008, sec. 7.2.6);
    # 1 - phi^2 = (1 - phi)(1 + phi) with 1 - phi exact (Sterbenz).
    return np.diag([1 / ((1 - phi) * (1 + phi)), 0.5 / s2**2])


def _cond_phi(phi):
    """|d log(1/(1-phi^2)) / d log phi| = 2 phi^2 / (1 - phi^2): the conditioning."""
    return 2 * phi * phi / ((1 - phi) * (1 + phi))


@pytest.mark.parametrize("phi", [0.999, -0.999])
def test_ar1_near_unit_root(phi):
    m = fs.models.ARMA(1, 0)
    s2 = 2.0
    with no_warnings():
        info = fs.fisher(m, [phi, s2])
        # bound 8 (1 + condition) eps: phi itself is rounded (0.999 is not binary)
        tol = 8 * (1 + _cond_phi(phi)) * EPS
        np.testing.assert_allclose(info.matrix, _ar1_info(phi, s2), rtol=tol, atol=0)
        # exact information of N = 200 observations (stationary start): differentiating the
        # exact log-likelihood -1/2 log(2 pi s2/(1-phi^2)) - (1-phi^2) y_1^2/(2 s2)
        # - sum_t (y_t - phi y_{t-1})^2 / (2 s2) - (N-1)/2 log(2 pi s2) twice and taking
        # expectations (E y^2 = s2/(1-phi^2)):
        # I_pp = (N-1)/(1-phi^2) + 2 phi^2/(1-phi^2)^2, I_ps = phi/(s2 (1-phi^2)),
        # I_ss = N/(2 s2^2).
        N = 200
        g = (1 - phi) * (1 + phi)
        ref = np.array([[(N - 1) / g + 2 * phi**2 / g**2, phi / (s2 * g)],
                        [phi / (s2 * g), N / (2 * s2**2)]])
        IN = m.fisher([phi, s2], n=N)
        assert np.all(np.isfinite(IN))
        # the exact information is a sum of O(N) terms each conditioned like 1/(1 - phi^2):
        # bound 8 N (1 + condition) eps relative to the largest entry
        assert np.max(np.abs(IN - ref)) <= 8 * N * (1 + _cond_phi(phi)) * EPS * np.abs(ref).max()
        y = m.sample([phi, s2], 200, rng=0)
        ll = m.loglik([phi, s2], y)
        assert ll.shape == (200,) and np.all(np.isfinite(ll))
        assert np.all(np.isfinite(m.score([phi, s2], y)))


@pytest.mark.parametrize("theta", [0.999, -0.999])
def test_ma1_near_non_invertible(theta):
    m = fs.models.ARMA(0, 1)
    s2 = 2.0
    with no_warnings():
        info = fs.fisher(m, [theta, s2])
        # MA(1): I_thth = 1/(1 - theta^2), I_ss = 1/(2 s2^2) (Box, Jenkins & Reinsel 2008,
        # sec. 7.2.6: the MA information equals the AR one with theta for phi)
        tol = 8 * (1 + _cond_phi(theta)) * EPS
        np.testing.assert_allclose(info.matrix, _ar1_info(theta, s2), rtol=tol, atol=0)
        IN = m.fisher([theta, s2], n=200)
        assert np.all(np.isfinite(IN)) and np.allclose(IN, IN.T, rtol=0, atol=0)
        # PSD: eigenvalues >= -(rounding of the eigen-decomposition) = -p eps max|lambda|
        w = np.linalg.eigvalsh(IN)
        assert w[0] >= -2 * EPS * w[-1] and w[0] > 0
        y = m.sample([theta, s2], 200, rng=1)
        ll = m.loglik([theta, s2], y)
        assert np.all(np.isfinite(ll))
        assert np.all(np.isfinite(m.score([theta, s2], y)))


@pytest.mark.parametrize("phi, theta", [(0.999, 0.5), (0.5, -0.999), (0.999, -0.998),
                                        (-0.999, 0.999)])
def test_arma11_near_the_boundary(phi, theta):
    m = fs.models.ARMA(1, 1)
    s2 = 1.0
    with no_warnings():
        info = fs.fisher(m, [phi, theta, s2]).matrix
    # ARMA(1,1) with y_t = phi y_{t-1} + e_t + theta e_{t-1}:
    # I = [[1/(1-phi^2), 1/(1+phi theta)], [1/(1+phi theta), 1/(1-theta^2)]] plus
    # 1/(2 s2^2) (Box, Jenkins & Reinsel 2008, sec. 7.2.6, with statsmodels' sign of theta).
    # Entries conditioned like 1/(1 - phi^2): bound 8 (1 + max condition) eps relative, and
    # the 1/(1 + phi theta) entry (1 + phi theta >= 0.002) like 1/(1 + phi theta).
    ref = np.array([[1 / ((1 - phi) * (1 + phi)), 1 / (1 + phi * theta), 0],
                    [1 / (1 + phi * theta), 1 / ((1 - theta) * (1 + theta)), 0],
                    [0, 0, 0.5 / s2**2]])
    cond = 1 + max(_cond_phi(phi), _cond_phi(theta), abs(phi * theta) / (1 + phi * theta))
    nz = ref != 0
    assert np.all(rel_err(info[nz], ref[nz]) <= 8 * cond * EPS)
    assert np.all(info[~nz] == 0)
    y = m.sample([phi, theta, s2], 200, rng=2)
    with warnings.catch_warnings():
        # near-cancelling roots (phi = -theta) may make the exact information singular:
        # then a SingularFisherWarning is allowed, nothing else
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", fs.SingularFisherWarning)
        ll = m.loglik([phi, theta, s2], y)
        IN = m.fisher([phi, theta, s2], n=200)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(IN))
    w = np.linalg.eigvalsh(0.5 * (IN + IN.T))
    assert w[0] >= -3 * 4 * EPS * w[-1]  # PSD up to the eigen-decomposition's rounding


# ======================================================== nearly identical components
def _coincident_information(pi):
    """Information of pi N(mu, 1) + (1-pi) N(mu, 1) at mu = 0: exact, rank 2.

    The weight's score is (phi_1 - phi_2)/p = 0; the means' scores are pi x and (1-pi) x,
    the variances' pi (x^2-1)/2 and (1-pi)(x^2-1)/2, with E x^2 = 1, E (x^2-1)^2/4 = 1/2
    and E x (x^2-1) = 0 under N(0, 1).
    """
    v = np.array([pi, 1 - pi])
    out = np.zeros((5, 5))
    out[1:3, 1:3] = np.outer(v, v)
    out[3:, 3:] = 0.5 * np.outer(v, v)
    return out


@pytest.mark.parametrize("delta", [1e-6, 1e-9, 0.0])
def test_mixture_with_nearly_identical_components(delta):
    m = GaussianMixture(2)
    pi = 0.3
    theta = [pi, 0.0, delta, 1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = fs.fisher(m, theta)
    M = info.matrix
    assert np.all(np.isfinite(M))
    ref = _coincident_information(pi)
    # Away from the weight row, I(delta) = I(0) + O(delta) (the densities are smooth in
    # the means); quadrature error 1e-15 relative (class docs). Bound 4 delta + 16 eps.
    assert np.all(np.abs(M[1:, 1:] - ref[1:, 1:]) <= 4 * delta + 16 * EPS)
    if delta > 0:
        # The weight's score (phi_1 - phi_2)/p = -delta x + O(delta^2), so
        # I_ww = delta^2 E x^2 + O(delta^3) = delta^2 (1 + O(delta)). It is computed as a
        # difference of responsibilities tau_1/pi - tau_2/(1-pi), each ~1 with error ~2 eps:
        # relative error of the score 4 eps / delta, of I_ww twice that. Bound
        # 8 eps/delta + 4 delta.
        assert abs(M[0, 0] / delta**2 - 1) <= 8 * EPS / delta + 4 * delta
    else:
        np.testing.assert_allclose(M, ref, rtol=0, atol=16 * EPS)
    # The rank: exactly 2 at delta = 0 (closed form above). For delta > 0 the vanishing
    # eigenvalues of the correlation-scaled matrix are O(delta^2) or smaller; with analyze's
    # tolerance 100 p eps = 1.1e-13, delta = 1e-9 (delta^2 = 1e-18) is rank 2 and delta = 1e-6
    # (delta^2 = 1e-12) keeps one more direction: rank 3.
    expected_rank = {0.0: 2, 1e-9: 2, 1e-6: 3}[delta]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = fs.analyze(info)
    assert r.rank == expected_rank
    # the inverse (Cramer-Rao bound) warns with the rank instead of crashing; a parameter
    # with a component in the null space has no finite bound: its SE is inf, the others'
    # are the finite pseudo-inverse ones (never 0 for an unidentified parameter)
    with pytest.warns(fs.SingularFisherWarning, match=r"rank \d < 5"):
        se = info.standard_errors()
    assert info.unidentified.any()
    np.testing.assert_array_equal(np.isinf(se), info.unidentified)
    assert np.all(se[~info.unidentified] > 0)
    if delta == 0:
        names = [str(d) for d in r.null_directions]
        assert names == ["w1", "mu1 - 0.429 mu2", "sigma2_1 - 0.429 sigma2_2"]
        assert info.unidentified.all()  # every parameter appears in a null direction


# ==================================================================== near-singular designs
H20 = 2.0**-20


def _two_close_points():
    """Linear regression (1, x) with weight 1/2 at x = 1 and x = 1 + h, h = 2^-20.

    M = [[1, 1 + h/2], [1 + h/2, 1 + h + h^2/2]] is exact in float64 (41 bits), det M = h^2/4
    (the variance of x) exactly, condition number ~ 16/h^2 = 1.8e13.
    """
    h = H20
    return np.array([[1.0, 1 + h / 2], [1 + h / 2, 1 + h + h * h / 2]]), h * h / 4


def test_design_criteria_on_nearly_collinear_support():
    M, det = _two_close_points()
    tr = np.trace(M)
    kappa = tr * tr / det  # >= lambda_max / lambda_min
    with no_warnings():
        # D: log det M. Cholesky of this M is exact (every operation exact), so only the log
        # rounds; the general bound is kappa p eps (Higham 2002, sec. 10.1). Here: 4 eps.
        assert abs(design.D().value(M) - np.log(det)) <= 4 * EPS * abs(np.log(det))
        # A: tr M^-1 = tr M / det M; c = (0, 1): c^T M^-1 c = M_11 / det M = 4 / h^2 (the
        # variance of the slope). Exact Cholesky, then one solve: bound 8 eps.
        assert rel_err(design.A().value(M), tr / det) <= 8 * EPS
        assert rel_err(design.c([0.0, 1.0]).value(M), 1 / det) <= 8 * EPS
        # E: lambda_min = 2 det / (tr + sqrt(tr^2 - 4 det)) (no cancellation). An eigensolver
        # has absolute error ~ p eps lambda_max (Golub & Van Loan 2013, sec. 8.1): bound
        # 4 p eps tr, relative to lambda_min that is 8 eps kappa / 2 ~ 2e-2.
        lam = 2 * det / (tr + np.sqrt(tr * tr - 4 * det))
        assert abs(design.E().value(M) - lam) <= 8 * EPS * tr
        for crit in (design.D(), design.A(), design.E(), design.c([0.0, 1.0])):
            g = crit.gradient(M)
            assert np.all(np.isfinite(g))
        # The D gradient M^-1 = adj(M)/det: relative error <= kappa p eps normwise.
        adj = np.array([[M[1, 1], -M[0, 1]], [-M[0, 1], M[0, 0]]])
        g = design.D().gradient(M)
        assert np.max(np.abs(g - adj / det)) <= 4 * kappa * EPS * np.abs(adj / det).max()


def test_design_criteria_with_fewer_points_than_parameters():
    # Quadratic regression (1, x, x^2) on two points x = -1, 1: rank 2 of 3, the null
    # direction is (1, 0, -1) (the intercept and x^2 coincide on the support).
    F = np.array([[1.0, -1.0, 1.0], [1.0, 1.0, 1.0]])
    M = 0.5 * F.T @ F
    with no_warnings():
        assert design.D().value(M) == -np.inf
        assert design.A().value(M) == np.inf
        assert abs(design.E().value(M)) <= 4 * 3 * EPS * 2  # 0 up to p eps lambda_max
        # c in the range of M: c^T M^- c is finite and does not depend on the g-inverse
        # (Pukelsheim 1993, ch. 2): slope (0,1,0): 1/M_22 = 1; (1,0,1): intercept + x^2 at
        # the support: 1 (h = M^+ c, M^+ c = (1/4, 0, 1/4) ... c^T h = 1).
        assert rel_err(design.c([0.0, 1.0, 0.0]).value(M), 1.0) <= 8 * EPS
        assert rel_err(design.c([1.0, 0.0, 1.0]).value(M), 1.0) <= 8 * EPS
        # c out of the range: infinite variance
        assert design.c([0.0, 0.0, 1.0]).value(M) == np.inf
    # not differentiable there: a ValueError that says so (not a LinAlgError)
    with pytest.raises(ValueError, match="singular"):
        design.D().gradient(M)


def test_optimal_design_with_nearly_collinear_candidates():
    """Candidates 1, 1 + 1e-4 (nine points between): D- and A-optimal designs for a line
    put weight 1/2 on each end of the interval (Atkinson, Donev & Tobias 2007, ch. 11)."""
    m = fs.models.LinearRegression(2)
    t = 1.0 + np.linspace(0.0, 1e-4, 11)
    cand = np.column_stack([np.ones_like(t), t])
    for crit in ("D", "A"):
        with no_warnings():
            r = design.optimal_design(m, [1.0, 1.0, 1.0], cand, criterion=crit, rng=0)
        pts, w = np.asarray(r.design.points), np.asarray(r.design.weights)
        big = w > 1e-3
        assert sorted(pts[big][:, 1]) == [t[0], t[-1]]
        # D: weights 1/2 exactly; A with this intercept the optimum is close to 1/2 (weights
        # proportional to sqrt of the c-variances); the algorithm stops at efficiency 1 - 1e-6
        if crit == "D":
            np.testing.assert_allclose(w[big], 0.5, atol=1e-3)


def test_fisherinfo_inverse_near_singular_and_singular():
    M, det = _two_close_points()
    info = fs.FisherInfo(M, ("a", "b"))
    with no_warnings():
        inv = info.inverse()
    # adj(M)/det exactly; Cholesky inverse relative error <= kappa p eps (Higham 2002,
    # sec. 14.3), but M is exact and so are its Cholesky factor's operations here: 8 eps.
    adj = np.array([[M[1, 1], -M[0, 1]], [-M[0, 1], M[0, 0]]])
    assert np.max(np.abs(inv - adj / det)) <= 8 * EPS * np.abs(adj / det).max()
    assert info.rank == 2 and np.isfinite(info.condition_number)

    # exactly singular: rank 1 with a warning naming it, the pseudo-inverse as the
    # covariance, and infinite SEs: a and b each have a component in the null direction
    # a - b, so neither has a finite Cramer-Rao bound (only a + b is identified)
    S = fs.FisherInfo(np.ones((2, 2)), ("a", "b"))
    with pytest.warns(fs.SingularFisherWarning, match="rank 1 < 2"):
        np.testing.assert_allclose(S.covariance(), np.full((2, 2), 0.25), rtol=4 * EPS)
    with pytest.warns(fs.SingularFisherWarning, match="rank 1 < 2"):
        se = S.standard_errors()
    np.testing.assert_array_equal(se, [np.inf, np.inf])
    assert S.rank == 1 and S.condition_number == np.inf

    # full rank up to units: diag(1, 1e-20) is a well-determined information in different
    # units; the inverse is diag(1, 1e20) exactly, without a warning
    U = fs.FisherInfo(np.diag([1.0, 1e-20]), ("a", "b"))
    with no_warnings():
        np.testing.assert_allclose(U.inverse(), np.diag([1.0, 1e20]), rtol=4 * EPS)
    # a zero row: rank 1, warning, zero variance assigned to nothing (pseudo-inverse 0)
    Z = fs.FisherInfo(np.diag([1.0, 0.0]), ("a", "b"))
    with pytest.warns(fs.SingularFisherWarning, match="rank 1 < 2"):
        np.testing.assert_allclose(Z.inverse(), np.diag([1.0, 0.0]), atol=0)
