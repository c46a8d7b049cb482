"""The plateau of a two-hidden-unit network (Amari, Park & Ozeki 2006): the geometry of the
overlap singularity (critical line, rank loss, the orders in |u| of the gradient and the
Fisher), gradient descent staying on the plateau, natural gradient leaving it quickly,
and the definitions and bad input of :mod:`fisherstat.nn.plateau`."""

import warnings

import numpy as np
import pytest
from scipy import special

from fisherstat.nn import SGD, Adam, NaturalGradient, fisher
from fisherstat.nn.plateau import (
    EscapeRun,
    TeacherStudent,
    escape_iteration,
    escape_run,
    teacher_student,
)


@pytest.fixture(scope="module")
def problem():
    return teacher_student(n=300, rng=0)


def _point(p, u, z):
    """theta at w = w_dagger, v = v_dagger and the given u = w1 - w2, z = (v1 - v2)/v."""
    d = p.d
    w, v = p.one_unit[:d], p.one_unit[d]
    w1, w2 = w + (1 - z) / 2 * u, w - (1 + z) / 2 * u
    return np.concatenate([w1, w2, [v * (1 + z) / 2, v * (1 - z) / 2]])


def _directions(p, u, z):
    """d theta / d u (along u) and d theta / d z at fixed w, v."""
    d = p.d
    v = p.one_unit[d]
    e_u = np.concatenate([(1 - z) / 2 * u, -(1 + z) / 2 * u, [0.0, 0.0]])
    e_z = np.concatenate([-u / 2, -u / 2, [v / 2, -v / 2]])
    return e_u, e_z


# ------------------------------------------------------------------- geometry
def test_plateau_is_a_critical_line_where_the_fisher_loses_d_plus_one_ranks(problem):
    p = problem
    for z in (0.0, 0.5, 3.0):  # any point of the line {u = 0, w = w_dagger, v = v_dagger}
        theta = _point(p, np.zeros(p.d), z)
        assert np.max(np.abs(p.net.grad(theta, p.X, p.y))) < 1e-7
        assert p.loss_gap(theta) == pytest.approx(p.plateau_gap, rel=1e-12)
        lam = fisher(p.net, theta, p.X, "exact").eigvalsh()
        assert np.sum(lam > 1e-12 * lam[-1]) == p.net.n_params - (p.d + 1)
    sing = {s.name: s for s in p.net.singularities(p.plateau)}["overlapping units"]
    assert sing.distance == 0.0 and sing.rank_drop == p.d + 1
    assert p.separation(p.plateau) == 0.0
    assert p.loss_gap(p.teacher) == 0.0 and p.separation(p.teacher) > 1.0


def test_second_order_expansion_around_the_overlap(problem):
    """f = v phi(w.x) + v (1 - z^2)/8 phi''(w.x) (u.x)^2 + O(|u|^3), phi = erf."""
    p = problem
    d, X = p.d, p.X
    w, v = p.one_unit[:d], p.one_unit[d]
    direction, z = np.array([0.6, -0.8]), 0.3
    t = X @ w
    phi2 = -4.0 / np.sqrt(np.pi) * t * np.exp(-t * t)
    errors = []
    for s in (1e-2, 5e-3):
        u = s * direction
        f = p.net.forward(_point(p, u, z), X)[:, 0]
        approx = v * special.erf(t) + v * (1 - z * z) / 8 * phi2 * (X @ u) ** 2
        errors.append(np.max(np.abs(f - approx)))
    assert errors[0] / errors[1] == pytest.approx(8.0, rel=0.05)  # remainder O(|u|^3)


def test_gradient_vanishes_slower_than_the_fisher_so_the_natural_step_does_not(problem):
    """Along u: g = O(|u|), F = O(|u|^2); along z: g = O(|u|^2), F = O(|u|^4), so
    F^{-1} g = O(1/|u|) and O(1/|u|^2) (Amari, Park & Ozeki 2006)."""
    p = problem
    direction, z = np.array([0.6, -0.8]), 0.5
    out = []
    for s in (1e-2, 1e-3):
        u = s * direction
        theta = _point(p, u, z)
        g = p.net.grad(theta, p.X, p.y)
        e_u = _directions(p, direction, z)[0]      # unit speed along the direction of u
        e_z = _directions(p, u, z)[1]
        Ju = p.net.jvp(theta, p.X, e_u)[:, 0]
        Jz = p.net.jvp(theta, p.X, e_z)[:, 0]
        out.append((g @ e_u, np.mean(Ju * Ju), g @ e_z, np.mean(Jz * Jz)))
    (gu1, fu1, gz1, fz1), (gu2, fu2, gz2, fz2) = out
    assert gu1 / gu2 == pytest.approx(10.0, rel=0.05)
    assert fu1 / fu2 == pytest.approx(100.0, rel=0.05)
    assert gz1 / gz2 == pytest.approx(100.0, rel=0.05)
    assert fz1 / fz2 == pytest.approx(1e4, rel=0.05)
    # the preconditioned components grow as the units approach each other
    assert (gu2 / fu2) / (gu1 / fu1) == pytest.approx(10.0, rel=0.1)


# --------------------------------------------------------------- central claim
@pytest.fixture(scope="module")
def runs(problem):
    p = problem
    stop = 0.1 * p.plateau_gap
    out = []
    for seed in range(3):
        theta0 = p.start(eps=1e-6, rng=seed)
        gd = escape_run(p, SGD(lr=1.0), theta0, 3000, stop_below=stop)
        ng = escape_run(p, NaturalGradient("dense", damping=1e-3, lr=0.5), theta0, 300,
                        stop_below=stop)
        out.append((gd, ng))
    return out


def test_gradient_descent_stays_on_the_plateau_near_the_singular_set(problem, runs):
    p = problem
    for gd, _ in runs:
        assert gd.escape is not None and not gd.diverged
        on = np.flatnonzero(np.abs(gd.loss_gap[: gd.escape] - p.plateau_gap)
                            <= 0.05 * p.plateau_gap)
        # a long stretch of nearly constant loss (within 5% of the plateau's gap) ...
        assert on.size >= 250 and on[-1] - on[0] + 1 == on.size
        # ... with the units nearly overlapping and the Fisher nearly singular
        mid = on[on.size // 2]
        assert np.max(gd.separation[on[0]: mid + 1]) < 1e-2  # teacher: 1.5
        lam = gd.fisher_eigenvalues([on[0], mid])
        assert np.all(lam[:, 0] < 1e-10 * lam[:, -1])
        assert np.all(lam[:, p.d] < 1e-4 * lam[:, -1])
        # and then it leaves: the units separate, the Fisher recovers full rank
        assert gd.separation[-1] > 0.1
        last = gd.fisher_eigenvalues([gd.n_steps])[0]
        assert last[0] > 1e-6 * last[-1]


def test_natural_gradient_escapes_many_times_faster_than_gradient_descent(runs):
    for gd, ng in runs:
        assert ng.escape is not None and not ng.diverged
        assert 20 * ng.escape < gd.escape
        assert ng.plateau_steps < 10


def test_large_damping_turns_the_natural_gradient_into_gradient_descent(problem):
    """(F + delta I)^{-1} g delta -> g: lr = eta delta with delta >> |F| is GD with eta."""
    p = problem
    theta0 = p.start(rng=0)
    gd = escape_run(p, SGD(lr=0.5), theta0, 30)
    ng = escape_run(p, NaturalGradient("dense", damping=1e6, lr=0.5e6), theta0, 30)
    np.testing.assert_allclose(ng.thetas, gd.thetas, rtol=1e-5, atol=1e-9)


# --------------------------------------------------------------- definitions
def test_escape_iteration_is_the_first_gap_a_decade_below_the_plateau():
    gaps = np.array([1.0, 0.02, 0.0101, 0.01, 0.0009, 0.5])
    assert escape_iteration(gaps, 0.01) == 4          # first gap <= 0.1 * 0.01
    assert escape_iteration(gaps, 0.1) == 3           # at the threshold counts
    assert escape_iteration(gaps, 0.1, factor=0.5) == 1
    assert escape_iteration([np.nan, 1.0], 1.0) is None


def test_escape_run_records_the_path(problem):
    p = problem
    theta0 = p.start(rng=3)
    r = escape_run(p, Adam(lr=0.1), theta0, 40)
    assert isinstance(r, EscapeRun) and r.n_steps == 40 and r.thetas.shape == (41, 6)
    np.testing.assert_array_equal(r.thetas[0], theta0)
    np.testing.assert_allclose(r.loss_gap, [p.loss_gap(t) for t in r.thetas], atol=1e-14)
    np.testing.assert_allclose(r.separation, [p.separation(t) for t in r.thetas])
    assert not r.thetas.flags.writeable and "iterations" in r.summary()
    # stopping: the last iterate is the first below the level, plus the step that saw it
    s = escape_run(p, SGD(lr=1.0), theta0, 3000, stop_below=0.5 * p.plateau_gap)
    hit = np.flatnonzero(s.loss_gap <= 0.5 * p.plateau_gap)
    assert hit[0] == s.n_steps - 1


def test_start_is_two_copies_of_one_unit_with_the_given_z(problem):
    p = problem
    theta = p.start(eps=1e-6, rng=5, z=0.5)
    d = p.d
    assert np.linalg.norm(theta[:d] - theta[d: 2 * d]) < 1e-5
    v1, v2 = theta[2 * d:]
    assert (v1 - v2) / (v1 + v2) == pytest.approx(0.5)
    np.testing.assert_array_equal(theta, p.start(eps=1e-6, rng=5, z=0.5))


def test_diverging_run_is_reported_not_raised(problem):
    p = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = escape_run(p, SGD(lr=100.0), p.start(rng=0), 200)
    assert r.diverged and r.escape is None
    assert np.all(np.isfinite(r.thetas)) and r.loss_gap.shape == (r.n_steps + 1,)


def test_other_teachers_and_activations():
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = teacher_student((W, [1.0, -0.5]), n=200, activation="tanh", rng=1)
    assert p.d == 3 and p.net.n_params == 8 and p.plateau_gap > 0
    assert np.max(np.abs(p.net.grad(p.plateau, p.X, p.y))) < 1e-7
    assert isinstance(p, TeacherStudent) and "tanh" in repr(p)


# ------------------------------------------------------------------ bad input
def test_bad_input_names_the_argument(problem):
    p = problem
    with pytest.raises(TypeError, match="teacher"):
        teacher_student(teacher=5)
    with pytest.raises(ValueError, match="teacher W"):
        teacher_student(teacher=np.ones((2, 2)))
    with pytest.raises(ValueError, match="teacher W"):
        teacher_student(teacher=(np.ones((3, 2)), [1.0, 1.0]))
    with pytest.raises(ValueError, match="teacher v"):
        teacher_student(teacher=(np.ones((2, 2)), [1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="distinct"):
        teacher_student(teacher=(np.ones((2, 2)), [1.0, 1.0]), n=100)
    with pytest.raises(ValueError, match="n must be"):
        teacher_student(n=3)
    with pytest.raises(ValueError, match="eps"):
        p.start(eps=0.0)
    with pytest.raises(TypeError, match="optimizer"):
        escape_run(p, "sgd", p.start(rng=0), 10)
    with pytest.raises(TypeError, match="problem"):
        escape_run(None, SGD(), p.start(rng=0), 10)
    with pytest.raises(ValueError, match="n_steps"):
        escape_run(p, SGD(), p.start(rng=0), 0)
    with pytest.raises(ValueError, match="theta"):
        escape_run(p, SGD(), np.zeros(5), 10)
    with pytest.raises(ValueError, match="stop_below"):
        escape_run(p, SGD(), p.start(rng=0), 10, stop_below=-1.0)
    with pytest.raises(ValueError, match="factor"):
        escape_iteration([1.0], 1.0, factor=1.5)
    with pytest.raises(ValueError, match="plateau_gap"):
        escape_iteration([1.0], 0.0)
    r = escape_run(p, SGD(), p.start(rng=0), 5)
    with pytest.raises(ValueError, match="steps"):
        r.fisher_eigenvalues([6])
    with pytest.raises(ValueError, match="quantity"):
        r.plot(quantity="spectrum")
    with pytest.raises(ValueError, match="theta"):
        p.separation(np.zeros(4))
