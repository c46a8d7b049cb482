"""``progress=True`` on the long loops: a bar on stderr, and exactly the same result.

Every function with a ``progress`` keyword is run twice on a small problem, without and
with the bar, with tqdm and without it (the import made to fail, as if it were not
installed). The results must be *identical* (exact equality, no tolerance: the bar draws no
random numbers and changes no arithmetic), stderr must be silent without the bar and show
the function's progress with it.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from fisherstat import design, nn, pkpd
from fisherstat._progress import Progress, progress_bar
from fisherstat.models import ExponentialDecay


# --------------------------------------------------------------- the cases
def _design_out(res):
    return (res.design.points, res.design.weights, res.iterations, res.value,
            res.efficiency_bound, res.n_deleted)


def _quad2():
    return design.polynomial(2, degree=2)


def _optimal(algorithm, criterion="D", tol=1e-4):
    def run(progress):
        return design.optimal_design(_quad2(), candidates=_quad2().grid(11), criterion=criterion,
                                     algorithm=algorithm, tol=tol, rng=0, progress=progress)
    return run


def _bayesian(algorithm, max_iter=None):
    # three local problems: the general (several locals) paths of every algorithm
    prior = np.array([[10.0, k, 0.25] for k in (0.5, 1.0, 2.0)])

    def run(progress):
        return design.bayesian_design(ExponentialDecay(), prior, np.linspace(0, 4, 41),
                                      algorithm=algorithm, tol=1e-4, rng=0,
                                      max_iter=max_iter, progress=progress)
    return run


def _weights(progress):
    # factors of rank 2: the block (any-rank) exchange steps of rex
    rng = np.random.default_rng(3)
    F = rng.standard_normal((30, 3, 2))
    return design.optimal_weights(factor=F, tol=1e-6, rng=0, progress=progress)


def _maximin(progress):
    ths = [[10.0, 0.5, 0.25], [10.0, 2.0, 0.25]]
    return design.maximin_design(ExponentialDecay(), ths, np.linspace(0, 4, 41),
                                 progress=progress)


def _exact(exchange, criterion):
    def run(progress):
        return design.exact_design(_quad2(), None, _quad2().grid(5), 7, criterion,
                                   exchange=exchange, rng=0, progress=progress)
    return run


def _exact_out(res):
    return (res.design.points, res.design.counts, res.exchanges, res.value, res.efficiency,
            res.approximate.design.weights)


def _warfarin():
    return pkpd.warfarin_example()


def _pk_continuous(progress):
    model, start = _warfarin()
    return pkpd.optimize_design(model, start, windows=(0.5, 120), n_starts=2, rng=0,
                                progress=progress)


def _pk_exchange(progress):
    model, start = _warfarin()
    cand = [0.5, 1, 2, 4, 6, 8, 12, 24, 36, 48, 72, 96, 120]
    return pkpd.optimize_design(model, start, candidates=cand, windows=(0.5, 120), rng=0,
                                progress=progress)


def _pk_out(res):
    return tuple(g.times for g in res.design) + (res.value, res.n_evaluations)


def _pk_cost(progress):
    model, _ = _warfarin()
    seqs = pkpd.candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
    return pkpd.cost_design(model, seqs, costs=lambda g: 1.0 + 0.25 * g.n_samples,
                            progress=progress)


def _sweep(progress):
    return nn.width_sweep([16, 32], depth=2, n_outputs=2, n_samples=8, n_networks=2, rng=0,
                          progress=progress)


def _sweep_out(sw):
    return tuple(sw.measured[k] for k in sorted(sw.measured)) + (sw.n_params,)


def _pool():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (120, 2))
    return X, (X[:, 0] > 0.4).astype(int)


def _strategies(progress):
    X, y = _pool()
    return nn.compare_strategies(nn.MLP([2, 2], output="softmax"), X[:80], y[:80], X[80:],
                                 y[80:], strategies=("egl", "random"), n_seeds=2,
                                 n_initial=4, batch_size=2, n_rounds=2, n_steps=30, rng=0,
                                 progress=progress)


def _continual(progress):
    tasks = nn.make_permuted_tasks(2, n_train=100, n_test=100, n_features=4, rng=0)
    return nn.continual_learning(nn.MLP([4, 6, 10], "tanh", "softmax"), tasks,
                                 methods=("sgd", "ewc"), kind="exact", lam=30.0, n_steps=40,
                                 rng=0, progress=progress)


def _train(progress):
    X, y = _pool()
    net = nn.MLP([2, 4, 2], output="softmax")
    return nn.train(net, net.init(rng=1), X, y, nn.Adam(lr=0.01), n_steps=50, batch_size=16,
                    rng=0, record_every=10, progress=progress)


def _escape(progress):
    p = nn.teacher_student(n=100, rng=0)
    return nn.escape_run(p, nn.SGD(lr=1.0), p.start(eps=1e-5, rng=1), n_steps=60,
                         progress=progress)


CASES = {
    # name: (run(progress) -> result, result -> tuple of what must be identical, label)
    "rex": (_optimal("rex"), _design_out, "rex (D"),
    "multiplicative": (_optimal("multiplicative"), _design_out, "multiplicative (D"),
    "fedorov_wynn D": (_optimal("fedorov_wynn", tol=1e-3), _design_out, "fedorov_wynn (D"),
    "fedorov_wynn A": (_optimal("fedorov_wynn", "A", 1e-2), _design_out, "fedorov_wynn (A"),
    "bayesian rex": (_bayesian("rex"), _design_out, "rex (D"),
    "bayesian multiplicative": (_bayesian("multiplicative"), _design_out, "multiplicative"),
    # the general vertex-direction path (a line search per iteration) is slow: 200 steps
    "bayesian fedorov_wynn": (_bayesian("fedorov_wynn", 200), _design_out, "fedorov_wynn"),
    "optimal_weights": (_weights, _design_out, "rex (D, 30 candidates)"),
    "maximin": (_maximin, lambda r: (r.design.points, r.design.weights, r.efficiencies,
                                     r.efficiency_bound), "maximin design (2 parameter values)"),
    "exact kl D": (_exact("kl", "D"), _exact_out, "exact design (kl exchange, 7 runs)"),
    "exact kl A": (_exact("kl", "A"), _exact_out, "exact design (kl exchange"),
    "exact fedorov D": (_exact("fedorov", "D"), _exact_out, "exact design (fedorov"),
    "pkpd continuous": (_pk_continuous, _pk_out, "optimize_design (D, continuous)"),
    "pkpd exchange": (_pk_exchange, _pk_out, "optimize_design (D, exchange)"),
    "pkpd cost_design": (_pk_cost, lambda r: (r.weights, r.value), "rex (D"),
    "width_sweep": (_sweep, _sweep_out, "width_sweep"),
    "compare_strategies": (_strategies, lambda r: (r.accuracy, r.loss, r.labelled),
                           "compare_strategies"),
    "continual_learning": (_continual,
                           lambda r: tuple(r.accuracy[m] for m in r.methods)
                           + tuple(r.thetas[m] for m in r.methods), "continual_learning"),
    "train": (_train, lambda r: (r.theta, r.loss, r.batch_loss), "train (Adam)"),
    "escape_run": (_escape, lambda r: (r.thetas, r.loss_gap), "train (SGD)"),
}


def _identical(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                    for x, y in zip(a, b, strict=True))


@pytest.fixture(params=["tqdm", "plain"])
def bar_kind(request, monkeypatch):
    if request.param == "plain":
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    else:
        pytest.importorskip("tqdm")
    return request.param


@pytest.mark.parametrize("name", list(CASES))
def test_progress_shows_on_stderr_and_changes_no_result(name, bar_kind, capsys):
    run, out, label = CASES[name]
    quiet = run(False)
    assert capsys.readouterr().err == ""  # progress=False (the default): silent
    loud = run(True)
    err = capsys.readouterr().err
    assert label in err
    if bar_kind == "plain":
        assert "it/s" not in err  # no tqdm, plain text lines
        assert err.endswith("\n")
    assert _identical(out(quiet), out(loud))


# ------------------------------------------------------ the plain-text fallback
def test_plain_text_of_a_converging_loop_shows_iterations_and_the_gap(monkeypatch, capsys):
    # iterations of an algorithm until the equivalence-theorem gap is below tol: lines at
    # iterations 1, 2, 4, 8, ... and a last one saying that it converged, with the gap
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    res = _optimal("multiplicative")(True)
    lines = capsys.readouterr().err.splitlines()
    shown = [int(line.split("iteration ")[1].split(" ")[0]) for line in lines[:-1]]
    assert shown == [2**k for k in range(len(shown))]
    assert 2 ** (len(shown) - 1) <= res.iterations < 2 ** len(shown)
    assert lines[-1].startswith(f"multiplicative (D, 121 candidates): done after "
                                f"{res.iterations} iterations")
    assert "converged" in lines[-1] and "tol 1e-04" in lines[-1]
    gap = float(lines[-1].split("gap ")[1].split(",")[0])
    assert gap == pytest.approx(1 - res.efficiency_bound, rel=1e-2)  # printed to 3 digits
    assert gap <= 1e-4


def test_plain_text_of_an_unfinished_loop_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    res = design.optimal_design(_quad2(), candidates=_quad2().grid(11),
                                algorithm="multiplicative", tol=1e-9, max_iter=5, rng=0,
                                progress=True)
    last = capsys.readouterr().err.splitlines()[-1]
    assert not res.converged
    assert "done after 5 iterations" in last and "stopped before converging" in last


def test_progress_class_with_unknown_total_and_postfix(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    buf = io.StringIO()
    with Progress(None, "demo", file=buf, unit="step") as bar:
        for k in range(6):
            bar.update(1, postfix=f"value {k}")
    lines = buf.getvalue().splitlines()
    assert [ln.split(" (")[0] for ln in lines] == [
        "demo: step 1", "demo: step 2", "demo: step 4", "demo: done after 6 steps"]
    assert lines[-1].endswith("value 5)")
    # closing twice (with-block and an explicit close) prints nothing more
    bar.close()
    assert buf.getvalue().splitlines() == lines


def test_progress_bar_is_none_when_off_and_checks_its_argument():
    assert progress_bar(False, "x") is None
    assert isinstance(progress_bar(np.True_, "x"), Progress)
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="progress must be True or False"):
            progress_bar(bad, "x")


@pytest.mark.parametrize("call", [
    lambda: design.optimal_design(_quad2(), candidates=_quad2().grid(5), progress="yes"),
    lambda: design.exact_design(_quad2(), None, _quad2().grid(5), 7, progress=1),
    lambda: pkpd.optimize_design(*_warfarin(), windows=(0.5, 120), progress="on"),
    lambda: nn.width_sweep([16, 32], progress=None),
    lambda: _continual("no"),
])
def test_a_progress_that_is_no_bool_is_refused(call):
    with pytest.raises(TypeError, match="progress must be True or False"):
        call()
