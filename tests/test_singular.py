"""Singular information: analyze, diagnose, the two-unit network and the location mixture."""

import warnings

import numpy as np
import pytest
from conftest import N_SE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import fisherstat as fs
from fisherstat import FisherInfo
from fisherstat._numdiff import jacobian
from fisherstat.models import NonlinearRegression
from fisherstat.singular import (
    RANK_TOL_FACTOR,
    LocationMixture,
    SpectrumReport,
    TwoUnitNetwork,
    analyze,
    diagnose,
    lrt_limit_sample,
)
from fisherstat.singular._directions import _echelon, _format_combination, _quadratic_form_se

X_NET = np.linspace(-3.0, 3.0, 31)
EPS = np.finfo(float).eps


def random_orthogonal(p, rng):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


def null_projector(vectors):
    """Orthogonal projector onto the span of the rows of ``vectors``."""
    q, _ = np.linalg.qr(np.asarray(vectors, dtype=float).T)
    return q @ q.T


def net_info(theta):
    return fs.fisher(TwoUnitNetwork(), theta, x=X_NET)


def singular_examples():
    """Information matrices with a known rank (and names) from the models of this issue."""
    out = [
        (net_info([1.0, 1.0, -1.0, 2.5, 0.1]), 5),
        (net_info([1.0, 1.0, 0.0, 2.5, 0.1]), 4),
        (net_info([1.0, 1.5, 0.5, 1.5, 0.1]), 3),
        (net_info([1.0, 1.5, 0.5, -1.5, 0.1]), 3),
        (fs.fisher(LocationMixture(), [0.3, 0.0]), 1),
        (fs.fisher(LocationMixture(), [0.3, 0.2]), 2),
    ]
    return out


# ============================================================== analyze: basics
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_well_conditioned_information_is_full_rank_with_exact_spectrum(p, seed):
    rng = np.random.default_rng(seed)
    Q = random_orthogonal(p, rng)
    lam = np.sort(rng.uniform(1.0, 10.0, p))
    M = (Q * lam) @ Q.T
    r = analyze(FisherInfo(M, tuple(f"t{i}" for i in range(p))))
    assert r.rank == r.numerical_rank == p and not r.is_singular
    assert r.null_directions == () and r.near_null_directions == ()
    np.testing.assert_allclose(r.eigenvalues, lam, rtol=1e-12)
    np.testing.assert_allclose(r.condition_number, lam[-1] / lam[0], rtol=1e-10)
    # spectrum moments: tr(I)/p, tr(I^2)/p, lambda_max
    np.testing.assert_allclose(r.mean_eigenvalue, np.trace(M) / p, rtol=1e-12)
    np.testing.assert_allclose(r.second_moment, np.sum(M * M) / p, rtol=1e-12)
    np.testing.assert_allclose(r.max_eigenvalue, lam[-1], rtol=1e-12)


def test_known_singular_matrix_has_rank_and_readable_null_direction():
    M = np.array([[1.0, 0.0, 0.0], [0.0, 0.25, 0.25], [0.0, 0.25, 0.25]])
    r = analyze(M, param_names=["sigma2", "mu1", "mu2"])
    assert r.rank == 2 and r.rank_deficiency == 1
    assert [str(d) for d in r.null_directions] == ["mu1 - mu2"]
    d = r.null_directions[0]
    # eigh of C (eigenvalues 0, 1, 2; ||C|| = 2, gap 1) has backward error <= p eps ||C||,
    # so the null vector is off by <= p eps ||C|| / gap = 6 eps (Davis-Kahan); scaling it to
    # a unit pivot (|pivot| = 1/sqrt 2) multiplies by sqrt 2: 8.5 eps, bound 12 eps
    np.testing.assert_allclose(d.vector, [0.0, 1.0, -1.0], atol=12 * EPS)
    assert d.null and not d.within_mc_error and abs(d.curvature) < 1e-15
    assert r.condition_number == np.inf and r.scaled_condition_number == np.inf


def test_default_names_and_default_tolerance():
    r = analyze(np.diag([2.0, 1.0, 0.0]))
    assert r.param_names == ("theta1", "theta2", "theta3")
    assert [str(d) for d in r.null_directions] == ["theta3"]
    # C = diag(1, 1, 0): tol = 100 p eps mu_max
    assert r.tol == pytest.approx(RANK_TOL_FACTOR * 3 * EPS * 1.0, rel=1e-12)


def test_user_tolerance_overrides_default():
    M = np.array([[1.0, 0.999], [0.999, 1.0]])  # scaled eigenvalues 1.999 and 0.001
    assert analyze(M).rank == 2
    assert analyze(M, tol=0.01).rank == 1
    assert [str(d) for d in analyze(M, tol=0.01).null_directions] == ["theta1 - theta2"]


def test_near_null_directions_use_condition_index():
    M = np.array([[1.0, 0.999], [0.999, 1.0]])  # condition index sqrt(1.999 / 0.001) = 44.7
    r = analyze(M)
    assert [str(d) for d in r.near_null_directions] == ["theta1 - theta2"]
    assert r.near_null_directions[0].eigenvalue == pytest.approx(0.001, rel=1e-9)
    assert analyze(M, condition_index=50).near_null_directions == ()


def test_effective_dimension_closed_form_and_limits():
    lam = np.array([100.0, 1.0, 0.01, 0.0])
    r = analyze(np.diag(lam), gamma=1.0)
    assert r.effective_dimension == pytest.approx(100 / 101 + 0.5 + 0.01 / 1.01, rel=1e-12)
    gammas = np.logspace(-12, 6, 30)
    d = [r.effective_dim(g) for g in gammas]
    assert np.all(np.diff(d) < 0)  # decreasing in gamma
    assert d[0] == pytest.approx(3.0, abs=1e-8)  # -> number of positive eigenvalues
    assert d[-1] < 1e-3


def test_report_is_immutable_and_arrays_read_only():
    r = analyze(np.diag([1.0, 2.0]))
    assert isinstance(r, SpectrumReport)
    with pytest.raises(AttributeError):
        r.rank = 3
    with pytest.raises(ValueError):
        r.eigenvalues[0] = 5.0
    with pytest.raises(ValueError):
        r.scaling[0] = 5.0


def test_indefinite_matrix_reports_negative_eigenvalues():
    r = analyze(np.array([[1.0, 0.0], [0.0, -0.5]]))
    assert r.n_negative == 1 and r.rank == 2
    assert r.condition_number == np.inf
    assert "not positive semi-definite" in r.summary()


def test_summary_names_rank_directions_and_moments():
    r = analyze(FisherInfo(np.array([[1.0, 1.0], [1.0, 1.0]]), ("a", "b")))
    text = r.summary()
    assert "rank 1 of 2" in text and "null directions (1): a - b" in text
    assert "effective dimension (gamma = 1)" in text and "largest 2" in text
    assert "SpectrumReport(p=2, rank=1" in repr(r)


def test_plot_draws_spectrum_on_log_axis():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mc = fs.fisher(fs.models.Normal(), [0.0, 1.0], method="monte_carlo", n_samples=1000, rng=0)
    fig, ax = plt.subplots()
    out = analyze(mc).plot(ax=ax)
    assert out is ax and ax.get_yscale() == "log"
    assert len(ax.lines) >= 2
    plt.close(fig)


# ====================================================== directions and echelon form
def test_format_combination_signs_units_and_rounding():
    names = ["a", "b", "c"]
    assert _format_combination(np.array([1.0, -1.0, 0.0]), names) == "a - b"
    assert _format_combination(np.array([-1.0, 0.5, 2.0]), names) == "-a + 0.5 b + 2 c"
    assert _format_combination(np.array([0.0, 0.33333, 0.0]), names) == "0.333 b"
    assert _format_combination(np.zeros(3), names) == "0"


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_echelon_basis_spans_the_same_space_with_identity_at_pivots(seed):
    rng = np.random.default_rng(seed)
    p = int(rng.integers(2, 8))
    k = int(rng.integers(1, p + 1))
    U = np.linalg.qr(rng.standard_normal((p, k)))[0]
    rows = _echelon(U)
    np.testing.assert_allclose(null_projector(rows), U @ U.T, atol=1e-10)
    for i in range(k):  # row i has a pivot column: 1 in row i, 0 in the other rows
        unit = np.eye(k)[:, i]
        assert any(np.allclose(rows[:, c], unit, atol=1e-12) for c in range(p))


def test_small_coefficients_are_dropped_from_the_text_only():
    M = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    u = np.array([1.0, -1.0, 0.005])
    M = M + 1e-3 * np.outer(u, u)  # nudge: the near-null eigenvector gets a tiny third part
    r = analyze(M, tol=1e-2)
    d = r.null_directions[0]
    assert str(d) == "theta1 - theta2"
    assert d.vector[2] != 0.0


# ================================================== rescaling invariance (units)
@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_rank_decision_is_invariant_under_diagonal_rescaling(seed):
    rng = np.random.default_rng(seed)
    for info, rank in singular_examples():
        p = info.n_params
        d = np.exp(rng.uniform(np.log(1e-4), np.log(1e4), p))
        M2 = d[:, None] * info.matrix * d[None, :]
        r1, r2 = analyze(info), analyze(FisherInfo(M2, info.param_names))
        assert r1.rank == r2.rank == rank
        assert len(r1.near_null_directions) == len(r2.near_null_directions)
        # null directions map by D^{-1}: theta = D eta, so delta_theta = D delta_eta
        for dv in r2.null_directions:
            dt = d * dv.vector
            assert np.linalg.norm(info.matrix @ dt) <= 1e-10 * np.linalg.norm(info.matrix) * \
                np.linalg.norm(dt)


def test_unscaled_rank_depends_on_units_and_scaled_does_not():
    D = np.diag([1e-9, 1.0])
    M = D @ np.eye(2) @ D
    assert analyze(M, scaling="none").rank == 1  # like numpy.linalg.matrix_rank
    assert np.linalg.matrix_rank(M) == 1
    assert analyze(M).rank == 2


def test_parameter_without_information_is_a_null_direction():
    M = np.diag([2.0, 0.0, 3.0])
    M[0, 2] = M[2, 0] = 1.0
    r = analyze(M, param_names=["a", "b", "c"])
    assert r.rank == 2 and [str(d) for d in r.null_directions] == ["b"]


# ==================================================== Monte Carlo information
@given(st.integers(0, 2**32 - 1))
@settings(max_examples=10)
def test_eigenvalue_stderr_matches_independent_entry_perturbations(seed):
    """First-order se of u^T A u with independent (upper-triangle) entry errors."""
    rng = np.random.default_rng(seed)
    p = 4
    Q = random_orthogonal(p, rng)
    M = (Q * np.array([0.5, 1.0, 2.0, 4.0])) @ Q.T
    se = rng.uniform(0.5, 2.0, (p, p)) * 1e-4
    se = np.triu(se) + np.triu(se, 1).T
    iu = np.triu_indices(p)
    lam, V = np.linalg.eigh(M)
    reps = 4000
    E = np.zeros((reps, p, p))
    E[:, iu[0], iu[1]] = rng.standard_normal((reps, iu[0].size)) * se[iu]
    E = E + np.triu(E, 1).transpose(0, 2, 1)
    sim = np.linalg.eigvalsh(M + E)
    for i in range(p):
        want = _quadratic_form_se(V[:, i], se)
        got = sim[:, i].std(ddof=1)
        # sd of a sample sd: got / sqrt(2 (reps - 1))
        assert abs(got - want) < N_SE * got / np.sqrt(2 * (reps - 1)) + 0.02 * want


def test_monte_carlo_rank_counts_eigenvalues_within_standard_errors_as_zero():
    M = np.diag([1.0, 1e-3])
    precise = FisherInfo(M, ("a", "b"), method="monte_carlo", stderr=np.full((2, 2), 1e-6),
                         n_samples=10)
    noisy = FisherInfo(M, ("a", "b"), method="monte_carlo", stderr=np.full((2, 2), 1e-3),
                       n_samples=10)
    # scaled: C = I, se(C_bb) = 1e-3 / 1e-3 = 1 for the noisy one
    r1, r2 = analyze(precise), analyze(noisy)
    assert r1.rank == 2 and r2.rank == 1 and r2.numerical_rank == 2
    assert [str(d) for d in r2.null_directions] == ["b"]
    assert r2.null_directions[0].within_mc_error
    assert analyze(noisy, n_se=0).rank == 2
    assert "within the Monte Carlo error" in r2.summary()


def test_score_monte_carlo_keeps_exact_null_direction_of_network():
    mc = fs.fisher(TwoUnitNetwork(), [1.0, 1.0, 0.0, 2.0, 0.1], x=X_NET, method="monte_carlo",
                   n_samples=300, rng=0)
    r = analyze(mc)
    assert r.numerical_rank == 4
    assert str(r.null_directions[0]) == "w2" and not r.null_directions[0].within_mc_error
    assert r.rank <= r.numerical_rank


def test_hessian_monte_carlo_rank_of_coinciding_mixture_components():
    from fisherstat.models.mixture import GaussianMixture

    mc = fs.fisher(GaussianMixture(2), [0.5, 0.0, 0.0, 1.0, 1.0], method="monte_carlo",
                   n_samples=20_000, rng=0, estimator="hessian")
    r = analyze(mc)
    # exact: rank 2 (w1, mu1 - mu2, sigma2_1 - sigma2_2 are null); Hessian noise hides two
    assert r.numerical_rank > 2 and r.rank == 2
    assert [str(d) for d in r.null_directions] == ["w1", "mu1 - mu2", "sigma2_1 - sigma2_2"]


# ============================================================== bad input
@pytest.mark.parametrize("bad, exc, match", [
    (np.array([[1.0, 2.0], [3.0, 4.0]]), ValueError, "info must be symmetric"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), ValueError, "info must be finite"),
    (np.array([[1.0, np.inf], [np.inf, 1.0]]), ValueError, "info must be finite"),
    (np.ones((2, 3)), ValueError, "info must be square"),
    (np.ones(3), ValueError, "info must have 2 dimension"),
    ("matrix", TypeError, "info must be a FisherInfo"),
    (None, TypeError, "info must be a FisherInfo"),
    ([["a", "b"], ["c", "d"]], TypeError, "info must be numeric"),
])
def test_bad_matrix_gets_clear_error(bad, exc, match):
    with pytest.raises(exc, match=match):
        analyze(bad)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(tol=-1.0), ValueError, "tol must be >= 0"),
    (dict(tol=np.nan), ValueError, "tol must be finite"),
    (dict(n_se=-1.0), ValueError, "n_se must be >= 0"),
    (dict(gamma=0.0), ValueError, "gamma must be > 0"),
    (dict(condition_index=1.0), ValueError, "condition_index must be > 1"),
    (dict(coef_tol=1.0), ValueError, "coef_tol must be in"),
    (dict(scaling="log"), ValueError, "scaling must be"),
    (dict(param_names=["a"]), ValueError, "param_names must be 2 strings"),
    (dict(param_names="ab"), TypeError, "param_names must be a sequence"),
])
def test_bad_options_get_clear_error(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        analyze(np.eye(2), **kwargs)


def test_param_names_with_fisherinfo_is_refused():
    with pytest.raises(TypeError, match="param_names is only for a plain matrix"):
        analyze(FisherInfo(np.eye(2), ("a", "b")), param_names=["x", "y"])


def test_diagnose_bad_input():
    net = TwoUnitNetwork()
    with pytest.raises(TypeError, match="model must be a fisherstat Model"):
        diagnose("net", [1.0, 1.0, 1.0, 2.0, 0.1])
    with pytest.raises(TypeError, match="pass x"):
        diagnose(net, [1.0, 1.0, 1.0, 2.0, 0.1])
    with pytest.raises(ValueError, match="sigma2 must be > 0"):
        diagnose(net, [1.0, 1.0, 1.0, 2.0, -0.1], x=X_NET)
    with pytest.raises(TypeError, match="info must be a FisherInfo"):
        diagnose(net, [1.0, 1.0, 1.0, 2.0, 0.1], info=np.eye(5))
    with pytest.raises(ValueError, match="info has parameters"):
        diagnose(net, [1.0, 1.0, 1.0, 2.0, 0.1], info=FisherInfo(np.eye(2), ("a", "b")))


def test_toy_model_bad_input():
    with pytest.raises(ValueError, match="w_max must be a positive number"):
        LocationMixture(w_max=-1.0)
    with pytest.raises(ValueError, match="theta: v must be in"):
        LocationMixture().fisher([1.0, 0.5])
    with pytest.raises(ValueError, match="theta: w must be in"):
        LocationMixture(w_max=2.0).fisher([0.5, 2.5])
    with pytest.raises(ValueError, match="w_max must be > 0"):
        lrt_limit_sample(0.0, 10)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        lrt_limit_sample(1.0, 0)
    with pytest.raises(ValueError, match="error must be one of"):
        TwoUnitNetwork(error="multiplicative")


# ============================================== two-hidden-unit network
def test_network_jacobian_matches_finite_differences():
    net = TwoUnitNetwork()
    for beta in ([1.0, 1.0, -1.0, 2.5], [0.3, -0.7, 2.0, 0.1], [1.0, 1.5, 0.0, 1.5]):
        beta = np.array(beta)
        num = jacobian(lambda b: net._f(X_NET, b), beta, np.full(4, -np.inf),  # noqa: B023
                       np.full(4, np.inf))
        np.testing.assert_allclose(net._jac(X_NET, beta), num, rtol=1e-8, atol=1e-9)


def test_network_information_is_jtj_over_sigma2():
    theta = [1.0, 1.0, -1.0, 2.5, 0.1]
    net = TwoUnitNetwork()
    J = net.mean_jacobian(theta, X_NET)
    M = net.fisher(theta, x=X_NET)
    np.testing.assert_allclose(M[:4, :4], J.T @ J / 0.1, rtol=1e-12)
    assert M[4, 4] == pytest.approx(31 / (2 * 0.01), rel=1e-12)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_network_rank_drops_by_one_at_zero_output_weight(seed):
    rng = np.random.default_rng(seed)
    v1, w1, w2 = rng.uniform(0.5, 2.0, 3) * rng.choice([-1, 1], 3)
    if abs(abs(w1) - abs(w2)) < 0.2:
        w2 = w2 + 0.5 * np.sign(w2)
    i = int(rng.integers(2))
    theta = np.array([v1, w1, 0.0, w2, 0.1]) if i else np.array([0.0, w1, v1, w2, 0.1])
    r = analyze(net_info(theta))
    assert r.rank == 4
    assert [str(d) for d in r.null_directions] == ["w2" if i else "w1"]


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_network_rank_drops_by_two_at_coinciding_and_opposite_units(seed):
    rng = np.random.default_rng(seed)
    v1, v2 = rng.uniform(0.3, 2.0, 2) * rng.choice([-1, 1], 2)
    w = rng.uniform(0.3, 2.0)
    for sign in (1.0, -1.0):
        theta = [v1, w, v2, sign * w, 0.1]
        r = analyze(net_info(theta))
        assert r.rank == 3
        # null space: {v1 -/+ v2 ... }: (1, 0, -sign, 0) and (0, v2, 0, -v1)
        want = null_projector([[1.0, 0.0, -sign, 0.0, 0.0], [0.0, v2, 0.0, -v1, 0.0]])
        got = null_projector([d.vector for d in r.null_directions])
        np.testing.assert_allclose(got, want, atol=1e-7)


def test_network_null_directions_text_at_symmetric_point():
    r = analyze(net_info([1.0, 1.5, 1.0, 1.5, 0.1]))
    assert [str(d) for d in r.null_directions] == ["v1 - v2", "w1 - w2"]
    r = analyze(net_info([1.0, 1.5, 1.0, -1.5, 0.1]))
    assert [str(d) for d in r.null_directions] == ["v1 + v2", "w1 - w2"]


def test_network_rank_drop_at_zero_input_weight():
    r = analyze(net_info([1.0, 1.0, 1.5, 0.0, 0.1]))
    assert r.rank == 4 and [str(d) for d in r.null_directions] == ["v2"]


def test_network_near_coinciding_units_gives_near_null_directions():
    r = analyze(net_info([1.0, 1.55, 0.5, 1.5, 0.1]))
    assert r.rank == 5 and len(r.near_null_directions) == 2
    assert str(r.near_null_directions[0]) == "v1 - v2"


def test_network_without_jacobian_agrees_with_analytic_one():
    num = NonlinearRegression(TwoUnitNetwork._f, param_names=["v1", "w1", "v2", "w2"])
    theta = [1.0, 1.0, -1.0, 2.5, 0.1]
    np.testing.assert_allclose(num.fisher(theta, x=X_NET), net_info(theta).matrix, rtol=1e-7)


def test_diagnose_network_on_and_near_singular_sets():
    net = TwoUnitNetwork()
    d = diagnose(net, [1.0, 1.0, 0.0, 2.0, 0.1], x=X_NET)
    assert d.nearest.name == "zero output weight" and d.nearest.distance == 0.0
    assert "lies ON the singular set 'zero output weight'" in d.message
    assert "agrees with the singular set" in d.message
    d = diagnose(net, [1.0, 1.55, 0.5, 1.5, 0.1], x=X_NET)
    assert d.nearest.name == "coinciding units"
    assert d.nearest.distance == pytest.approx(0.05)
    assert "close to 'coinciding units'" in d.message
    assert d.singularities[0].distance <= d.singularities[-1].distance
    assert "singular sets of the model" in d.summary()
    assert "Diagnosis(" in repr(d)


def test_diagnose_uses_given_information():
    net = TwoUnitNetwork()
    theta = [1.0, 1.0, -1.0, 2.5, 0.1]
    info = net_info(theta)
    d = diagnose(net, theta, info=info)
    np.testing.assert_allclose(d.analysis.eigenvalues, analyze(info).eigenvalues)


def test_diagnose_regular_model_without_singular_sets():
    d = diagnose(fs.models.Normal(), [0.0, 1.0])
    assert d.nearest is None and d.singularities == ()
    assert "declares no set" in d.message and "well conditioned" in d.message


# ================================================================ location mixture
def quad_information(v, w):
    c = 1 / np.sqrt(2 * np.pi)

    def p(x):
        return (1 - v) * c * np.exp(-0.5 * x * x) + v * c * np.exp(-0.5 * (x - w) ** 2)

    def sv(x):
        return c * (np.exp(-0.5 * (x - w) ** 2) - np.exp(-0.5 * x * x)) / p(x)

    def sw(x):
        return v * (x - w) * c * np.exp(-0.5 * (x - w) ** 2) / p(x)

    f = (sv, sw)
    lo, hi = min(0.0, w) - 15, max(0.0, w) + 15
    out = np.zeros((2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for i, j in ((0, 0), (0, 1), (1, 1)):
            out[i, j] = out[j, i] = integrate.quad(
                lambda x: f[i](x) * f[j](x) * p(x), lo, hi,  # noqa: B023
                points=[0.0, w], epsabs=1e-15, epsrel=1e-12, limit=200)[0]
    return out


@pytest.mark.parametrize("v, w", [(0.3, 2.0), (0.5, 0.1), (0.01, 1.0), (0.3, 5.0),
                                  (0.7, -3.0), (0.4, 8.0)])
def test_location_mixture_information_matches_quadrature(v, w):
    got = LocationMixture().fisher([v, w])
    want = quad_information(v, w)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("v, w", [(0.3, 2.0), (0.5, 0.1), (0.01, 1.0), (0.7, -3.0)])
def test_location_mixture_information_matches_gaussian_mixture_block(v, w):
    from fisherstat.models.mixture import GaussianMixture

    # (1 - v) N(0,1) + v N(w,1) is GaussianMixture(2) at (w1, mu1, mu2, s1, s2) = (v, w, 0, 1, 1)
    full = GaussianMixture(2).fisher([v, w, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(LocationMixture().fisher([v, w]), full[:2, :2], rtol=1e-10,
                               atol=1e-14)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_location_mixture_score_and_hessian_match_finite_differences(seed):
    m = LocationMixture()
    rng = np.random.default_rng(seed)
    theta = np.array([rng.uniform(0.05, 0.95), rng.uniform(-3, 3)])
    x = m.sample(theta, 50, rng=rng)
    num = jacobian(lambda t: m._loglik(t, x, None), theta, m.lower, m.upper)
    np.testing.assert_allclose(m.score(theta, x), num, rtol=1e-7, atol=1e-7)
    numH = jacobian(lambda t: m._score(t, x, None), theta, m.lower, m.upper)
    np.testing.assert_allclose(m.hessian(theta, x, individual=True), numH, rtol=1e-6,
                               atol=1e-6)


def test_location_mixture_information_identity_by_monte_carlo():
    m = LocationMixture()
    theta = [0.3, 1.5]
    mc = fs.fisher(m, theta, method="monte_carlo", n_samples=200_000, rng=1,
                   estimator="hessian")
    exact = m.fisher(theta)
    assert np.all(np.abs(mc.matrix - exact) <= N_SE * mc.stderr + 1e-12)


def test_location_mixture_sampler_moments():
    m = LocationMixture()
    v, w = 0.3, 2.0
    x = m.sample([v, w], 200_000, rng=2)
    mean, var = v * w, 1 + v * (1 - v) * w * w
    assert abs(x.mean() - mean) < N_SE * np.sqrt(var / x.size)
    assert abs(x.var() - var) < N_SE * np.sqrt(np.var((x - mean) ** 2) / x.size)


def test_location_mixture_rank_one_at_coinciding_components():
    r = analyze(fs.fisher(LocationMixture(), [0.3, 0.0]))
    assert r.rank == 1 and [str(d) for d in r.null_directions] == ["v"]


@pytest.mark.parametrize("v", [0.2, 0.5, 0.8])
def test_location_mixture_small_w_expansion_of_information_and_inverse(v):
    """Efficient informations w^4/2 (for v) and v^2 w^2/2 (for w); scaled eigenvalue w^2/4.

    The expansions have relative corrections c w^2 + O(w^4) (c between -0.95 and 0.15 for
    these v, the same to 3 digits at w = 0.05, 0.02, 0.01), so 5 w^2 is the tolerance. The
    rounding part is far smaller: inverting an information of condition number <= 1.3e8
    (v = 0.8, w = 0.01) loses at most cond * p eps = 6e-8 relative, against 5 w^2 >= 5e-4.
    """
    m = LocationMixture()
    for w in (0.05, 0.02, 0.01):
        inv = np.linalg.inv(m.fisher([v, w]))
        assert abs(1 / inv[0, 0] / (w**4 / 2) - 1) < 5 * w * w
        assert abs(1 / inv[1, 1] / (v * v * w * w / 2) - 1) < 5 * w * w
        r = analyze(fs.fisher(m, [v, w]))
        assert abs(r.scaled_eigenvalues[0] / (w * w / 4) - 1) < 5 * w * w
        d = r.near_null_directions[0].vector  # direction (1, -w/v)
        np.testing.assert_allclose(d / d[0], [1.0, -w / v], rtol=5 * w)


@pytest.mark.parametrize("w", [0.5, 1.0, 2.0])
def test_location_mixture_zero_weight_limit(w):
    """I_vv -> e^{w^2} - 1 with slope -E_0[R^3]; v sd(w_hat) -> a closed form."""
    m = LocationMixture()
    v = 1e-4 * np.exp(-3 * w * w)  # second-order terms: relative v E[R^4] / E[R^3] ~ 1e-4
    info = m.fisher([v, w])
    slope = np.exp(3 * w * w) - 3 * np.exp(w * w) + 2  # E_0[(r - 1)^3]
    assert (info[0, 0] - np.expm1(w * w)) / v == pytest.approx(-slope, rel=1e-3)
    lim = 1 / np.sqrt(np.exp(w * w) * (1 + w * w) - w * w * np.exp(2 * w * w) / np.expm1(w * w))
    assert v * np.sqrt(np.linalg.inv(info)[1, 1]) == pytest.approx(lim, rel=1e-3)
    # the w-information vanishes alone: invisible to the scaled spectrum, seen by diagnose
    d = diagnose(m, [v, w])
    assert d.analysis.rank == 2 and d.nearest.name == "zero weight"


def brute_force_llr(m, x):
    from scipy import optimize

    best = 0.0
    for w0 in np.linspace(-m.w_max if np.isfinite(m.w_max) else -4, 4 if np.isinf(m.w_max)
                          else m.w_max, 9):
        res = optimize.minimize(
            lambda t: -m._llr([np.clip(t[0], 1e-12, 1 - 1e-12),
                               np.clip(t[1], -m.w_max, m.w_max)], x),
            [0.3, w0], method="Nelder-Mead",
            options=dict(xatol=1e-10, fatol=1e-13, maxiter=4000))
        best = max(best, -res.fun)
    return best


@pytest.mark.parametrize("theta, n, w_max", [([0.5, 0.0], 200, 3.0), ([0.5, 0.0], 500, 1.0),
                                             ([0.3, 2.0], 300, np.inf),
                                             ([0.5, 0.5], 400, np.inf)])
def test_location_mixture_lrt_is_the_global_maximum(theta, n, w_max):
    m = LocationMixture(w_max=w_max)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = LocationMixture().sample(theta, n, rng=rng)
        assert m.lrt(x) >= 2 * brute_force_llr(m, x) - 1e-8
        assert m.lrt(x) >= 0.0


def test_location_mixture_fit_is_stationary_and_refuses_boundary():
    m = LocationMixture()
    x = m.sample([0.3, 2.0], 2000, rng=0)
    th = m.fit(x)
    g = m.score(th, x).sum(axis=0)
    assert np.all(np.abs(g) < 1e-8 * x.size)
    assert m._llr(th, x) == pytest.approx(brute_force_llr(m, x), abs=1e-9)
    rng = np.random.default_rng(3)
    under = 0.5 * rng.standard_normal(200)  # under-dispersed: no mixture beats N(xbar, 1)
    assert m.lrt(under) == pytest.approx(200 * under.mean() ** 2, rel=1e-12)  # edge v = 1
    with pytest.raises(fs.FitError, match="boundary v = 1"):
        m.fit(under)
    shifted = 3.0 + 0.5 * rng.standard_normal(200)  # one component N(w, 1) fits best: v = 1
    with pytest.raises(fs.FitError, match="boundary v = 1"):
        m.fit(shifted)


def test_location_mixture_singularities():
    s = LocationMixture().singularities([0.2, -0.7])
    assert [(x.name, x.distance, x.rank_drop) for x in s] == [
        ("coinciding components", 0.7, 1), ("zero weight", 0.2, 1)]


# ======================================================= LRT limit law
def test_lrt_limit_law_matches_gaussian_process_by_cholesky():
    """Hermite-series draws vs a direct simulation of Z on a grid (covariance formula)."""
    W, grid = 1.5, 200
    a = lrt_limit_sample(W, 20_000, rng=1, grid=grid)
    w = np.linspace(W / grid, W, grid)
    wg = np.concatenate([-w[::-1], w])
    K = np.expm1(np.outer(wg, wg)) / np.sqrt(np.outer(np.expm1(wg**2), np.expm1(wg**2)))
    lam, V = np.linalg.eigh(K)
    L = V * np.sqrt(np.clip(lam, 0, None))
    Z = L @ np.random.default_rng(2).standard_normal((2 * grid, 20_000))
    b = np.maximum(Z.max(axis=0), 0.0) ** 2
    assert stats.ks_2samp(a, b).pvalue > 1e-3
    assert abs(a.mean() - b.mean()) < N_SE * np.sqrt(a.var() / a.size + b.var() / b.size)


def test_lrt_limit_law_is_stochastically_between_chi2_1_and_larger():
    t = lrt_limit_sample(1.0, 50_000, rng=0)
    # sup over w includes w -> 0+/-, whose statistic is chi2(1): P(T > q) >= 0.05
    q = stats.chi2(1).ppf(0.95)
    assert np.mean(t > q) - 0.05 > N_SE * np.sqrt(0.05 * 0.95 / t.size)


def test_lrt_limit_law_matches_score_process_of_data():
    """The normalised score process of n = 1500 N(0,1) draws has the same sup law (W = 1)."""
    W, n, reps = 1.0, 1500, 600
    rng = np.random.default_rng(4)
    w = np.linspace(W / 30, W, 30)
    wg = np.concatenate([-w[::-1], w])
    X = rng.standard_normal((reps, n))
    sup = np.empty(reps)
    for j in range(wg.size):  # loop over the grid; vectorised over replicates and draws
        Z = np.expm1(wg[j] * X - 0.5 * wg[j] ** 2).sum(axis=1) / np.sqrt(n * np.expm1(wg[j]**2))
        sup = Z if j == 0 else np.maximum(sup, Z)
    sup = np.maximum(sup, 0.0) ** 2
    limit = lrt_limit_sample(W, 50_000, rng=5, grid=30)
    assert abs(sup.mean() - limit.mean()) < N_SE * np.sqrt(sup.var() / reps
                                                          + limit.var() / limit.size)


@pytest.mark.slow
def test_lrt_aic_fraction_matches_limit_law_not_chi2_2():
    """Under the null, AIC (T > 4) picks two components as often as the limit law says."""
    m = LocationMixture(w_max=1.0)
    rng = np.random.default_rng(11)
    T = np.array([m.lrt(rng.standard_normal(1000)) for _ in range(1000)])
    frac = np.mean(T > 4)
    se = np.sqrt(frac * (1 - frac) / T.size)
    limit = np.mean(lrt_limit_sample(1.0, 200_000, rng=12) > 4)
    assert abs(frac - limit) < N_SE * se + 0.01  # 0.01: the n = 1000 approach to the limit
    assert stats.chi2(2).sf(4) - frac > N_SE * se  # the naive chi2(2) is wrong
    assert np.mean(T > 2 * np.log(1000)) < 0.01  # BIC almost never picks two


# ================================================ ARMA(1,1): cancelling roots
def test_arma_cancelling_roots_rank_and_null_direction():
    from fisherstat.models.arma import ARMA

    r = analyze(fs.fisher(ARMA(1, 1), [0.5, -0.5, 1.0]))
    assert r.rank == 2 and [str(d) for d in r.null_directions] == ["phi1 - theta1"]


@pytest.mark.parametrize("theta", [0.3, 0.0, -0.3, -0.45, -0.49])
def test_arma_near_cancellation_variance_formula_and_scaled_eigenvalue(theta):
    from fisherstat.models.arma import ARMA

    phi = 0.5
    info = fs.fisher(ARMA(1, 1), [phi, theta, 1.0])
    formula = (1 + phi * theta) ** 2 * (1 - phi**2) / (phi + theta) ** 2
    # the entries are closed forms (relative error a few eps); inverting amplifies it by at
    # most cond(I) (2.3e4 at theta = -0.49, where phi + theta = 0.01): relative error
    # <= cond(I) * c * eps, with c = 200 covering the entries' and the inversion's rounding
    cond = np.linalg.cond(info.matrix)
    assert info.inverse()[0, 0] == pytest.approx(formula, rel=200 * cond * np.finfo(float).eps)
    rho = np.sqrt((1 - phi**2) * (1 - theta**2)) / (1 + phi * theta)
    r = analyze(info)
    assert r.scaled_eigenvalues[0] == pytest.approx(1 - rho, rel=1e-8)


def test_arma_diagnose_reports_root_distance():
    from fisherstat.models.arma import ARMA

    d = diagnose(ARMA(1, 1), [0.5, -0.45, 1.0])
    assert d.nearest.name == "common AR/MA root"
    assert d.nearest.distance == pytest.approx(0.05)
    assert len(d.analysis.near_null_directions) == 1
    assert "close to 'common AR/MA root'" in d.message


@pytest.mark.slow
def test_arma_simulated_variance_far_from_and_near_cancellation():
    """phi + theta = 0.8: n Var(phi_hat) matches the formula; = 0.05: far below it."""
    from fisherstat.models.arma import ARMA

    m, n, reps = ARMA(1, 1), 400, 300
    rng = np.random.default_rng(3)
    for theta, near in ((0.3, False), (-0.45, True)):
        Y = m.sample_paths([0.5, theta, 1.0], n, reps, rng=rng)
        est = []
        for y in Y:
            try:
                est.append(m.fit(y)[0])
            except fs.FitError:  # a unit-root boundary maximum: rare, counted below
                pass
        assert len(est) >= 0.97 * reps
        est = np.array(est)
        var = np.var(est, ddof=1) * n
        d = est - est.mean()
        se = np.sqrt((np.mean(d**4) * n**2 - var**2) / est.size)  # s.e. of a variance
        formula = (1 + 0.5 * theta) ** 2 * 0.75 / (0.5 + theta) ** 2
        if near:
            assert formula - var > N_SE * se
        else:
            assert abs(var - formula) < N_SE * se


# ====================================== check_asymptotics at the mixture singularity
def test_check_asymptotics_flags_non_normal_mle_at_mixture_singularity():
    from fisherstat.asymptotics import check_asymptotics

    m = LocationMixture()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fs.SingularFisherWarning)
        rep = check_asymptotics(m, [0.5, 0.0], n=200, reps=100, rng=3)
    assert not rep.ok
    text = " ".join(rep.flags)
    assert "singular (rank 1 < 2)" in text
    assert "normality of v rejected" in text or "joint normality rejected" in text


def test_check_asymptotics_flags_non_normal_mle_near_mixture_singularity():
    from fisherstat.asymptotics import check_asymptotics

    rep = check_asymptotics(LocationMixture(), [0.5, 0.5], n=300, reps=150, rng=3)
    assert not rep.ok
    assert any("normality" in f for f in rep.flags)
    # maxima on the boundary v = 1 happen with positive probability: valid MLEs, not failures
    assert rep.n_boundary > 0 and rep.n_failed == 0


def test_check_asymptotics_is_clean_far_from_mixture_singularity():
    from fisherstat.asymptotics import check_asymptotics

    rep = check_asymptotics(LocationMixture(), [0.5, 3.0], n=300, reps=150, rng=3)
    assert rep.ok, rep.flags


# ============================================================ package layout
def test_toy_models_live_in_models_and_every_public_name_stays_importable():
    import fisherstat.models.toy as toy
    import fisherstat.singular as singular

    assert singular.TwoUnitNetwork is fs.models.TwoUnitNetwork is toy.TwoUnitNetwork
    assert singular.LocationMixture is fs.models.LocationMixture is toy.LocationMixture
    for name in singular.__all__:
        assert getattr(singular, name) is not None
    assert fs.analyze is singular.analyze and fs.diagnose is singular.diagnose
    assert {"TwoUnitNetwork", "LocationMixture"} <= set(fs.models.REGISTRY)
