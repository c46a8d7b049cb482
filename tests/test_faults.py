"""Simulation studies under faults: killed runs, damaged checkpoints, concurrent studies,
dying workers, and bad arguments to the executor, chunk and checkpoint machinery.

Already tested elsewhere (not repeated here): serial, ``executor=2``, threads and a Dask
``LocalCluster`` (worker processes, ``processes=True``) give bitwise-equal studies
(tests/test_parallel.py::test_study_is_bitwise_identical_on_processes_and_threads,
::test_study_is_bitwise_identical_on_a_dask_local_cluster,
::test_map_replicates_is_bitwise_identical_on_every_executor); a study interrupted by an
exception resumes from its checkpoint (tests/test_asymptotics.py::
test_checkpoint_resumes_an_interrupted_study_to_the_same_result); a checkpoint written with
another rng, reps, n, theta0 or model is refused
(tests/test_asymptotics.py::test_checkpoint_from_other_arguments_is_refused).

Every comparison below is bitwise (``np.array_equal``): the chunks are pure functions of
their seeds, so no tolerance applies.
"""

import concurrent.futures as cf
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisherstat import WorkerLostWarning, parallel
from fisherstat.asymptotics import check_asymptotics
from fisherstat.models import LogisticRegression, Normal
from fisherstat.parallel import (
    check_executor,
    map_chunks,
    map_replicates,
    shutdown_pools,
    spawn_seeds,
    split_replicates,
)

#: The study of the kill and corruption tests: 40 chunks of 10 replicates of N(0, 1), n = 20.
STUDY = dict(n=20, reps=400, rng=11, chunk_size=10)
N_CHUNKS = 40


@pytest.fixture(scope="module", autouse=True)
def _no_workers_left():
    yield
    shutdown_pools()


@pytest.fixture(scope="module")
def full_study():
    return check_asymptotics(Normal(), [0.0, 1.0], **STUDY)


def _same(a, b):
    assert np.array_equal(a.estimates, b.estimates, equal_nan=True)
    assert np.array_equal(a.coverage, b.coverage, equal_nan=True)
    assert a.failures == b.failures
    assert a.summary() == b.summary()


def _done(path) -> int:
    """Number of finished chunks recorded in a checkpoint file."""
    with np.load(path, allow_pickle=False) as f:
        return int(f["done"].shape[0])


# --------------------------------------------------------- helpers run in worker processes
def column_means(rng, count, n):
    """Picklable replicate function: the means of ``count`` standard normal samples."""
    return rng.standard_normal((count, n)).mean(axis=1)


def _in_worker() -> bool:
    return multiprocessing.parent_process() is not None


def die_once(rng, count, n, marker):
    """Like :func:`column_means`, but the first call in a worker process kills the worker.

    Each chunk takes >= 20 ms, so that this process cannot run them all before the
    worker has been handed one (and died)."""
    if _in_worker() and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    time.sleep(0.02)
    return column_means(rng, count, n)


def die_always(rng, count, n):
    if _in_worker():
        os._exit(1)
    time.sleep(0.05)
    return column_means(rng, count, n)


def _slow_square(task):
    time.sleep(0.02)
    return task * task


class DiesOnceNormal(Normal):
    """A Normal model (fitted one replicate at a time) whose first fit in a worker process
    kills that worker; ``marker`` (a file path) records that it happened."""

    def __init__(self, marker):
        super().__init__()
        self.marker = marker

    def _fit(self, data, x, start):
        if _in_worker() and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        time.sleep(0.005)  # 50 ms a chunk: the worker surely gets one before they run out
        return super()._fit(data, x, start)


# ======================================================== 2. killed study and its checkpoint
_CHILD = textwrap.dedent("""
    import io, os, signal, sys, time
    import numpy as np
    import fisherstat.asymptotics as A
    from fisherstat.models import Normal

    mode, path = sys.argv[1], sys.argv[2]
    real_chunk, real_savez = A._run_chunk, np.savez

    def slow_chunk(task):  # ~0.25 s per chunk: the study needs >= 10 s, the kill comes first
        time.sleep(0.25)
        return real_chunk(task)

    calls = [0]

    def savez_then_die(fh, **arrays):  # the third write stops half-way: SIGKILL mid-write
        calls[0] += 1
        if calls[0] == 3:
            buf = io.BytesIO()
            real_savez(buf, **arrays)
            fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        real_savez(fh, **arrays)

    A._run_chunk = slow_chunk
    if mode == "mid-write":
        np.savez = savez_then_die
    A.check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **%r)
""") % (STUDY,)


def _start_child(mode, path):
    return subprocess.Popen([sys.executable, "-c", _CHILD, mode, str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _reap(proc):
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate(timeout=60)
    return err.decode(errors="replace")


def test_study_killed_by_sigkill_resumes_to_the_uninterrupted_result(tmp_path, full_study):
    path = tmp_path / "study.npz"
    proc = _start_child("slow", path)
    try:
        deadline = time.monotonic() + 120  # generous: start-up of a child on a busy machine
        while not (path.exists() and _done(path) >= 2):
            assert proc.poll() is None, f"the study ended before the kill: {_reap(proc)}"
            assert time.monotonic() < deadline, "no checkpoint written within 120 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        _reap(proc)
    # the kill hit a study in progress: some but not all chunks are in the checkpoint
    assert 2 <= _done(path) < N_CHUNKS
    copy = tmp_path / "copy.npz"
    copy.write_bytes(path.read_bytes())
    # resumed here, serially and on two processes: both equal the uninterrupted study
    for executor, ckpt in ((None, path), (2, copy)):
        resumed = check_asymptotics(Normal(), [0.0, 1.0], checkpoint=ckpt, executor=executor,
                                    **STUDY)
        _same(resumed, full_study)
        assert _done(ckpt) == N_CHUNKS


def test_sigkill_in_the_middle_of_a_checkpoint_write_loses_only_that_chunk(tmp_path,
                                                                          full_study):
    path = tmp_path / "study.npz"
    proc = _start_child("mid-write", path)
    try:
        assert proc.wait(timeout=120) == -signal.SIGKILL, _reap(proc)
    finally:
        _reap(proc)
    # the write went to PATH.tmp, so PATH still holds the two chunks written before
    assert os.path.getsize(str(path) + ".tmp") > 0
    assert _done(path) == 2
    resumed = check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **STUDY)
    _same(resumed, full_study)
    assert _done(path) == N_CHUNKS and not os.path.exists(str(path) + ".tmp")


def _truncate(b, frac):
    return b[: int(len(b) * frac)]


def _overwrite(b, start_frac, junk):
    i = int(len(b) * start_frac)
    return b[:i] + junk + b[i + len(junk):]


def _drop_member(b, name):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(b)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


@pytest.mark.parametrize("damage, match", [
    (lambda b: b"", "not a readable .npz"),
    (lambda b: _truncate(b, 0.1), "not a readable .npz"),
    (lambda b: _truncate(b, 0.5), "not a readable .npz"),
    (lambda b: _truncate(b, 0.99), "not a readable .npz"),
    (lambda b: _overwrite(b, 0.5, b"\0" * 64), "not a readable .npz"),  # bad CRC
    (lambda b: _overwrite(b, 0.05, bytes(range(256)) * 2), "not a readable .npz"),
    (lambda b: _drop_member(b, "theta_0_1.npy"), "incomplete"),
    (lambda b: _drop_member(b, "done.npy"), "incomplete"),
], ids=["empty", "cut-10%", "cut-50%", "cut-99%", "zeroed", "garbage", "no-chunk", "no-index"])
def test_damaged_checkpoint_is_refused_with_a_clear_error(tmp_path, damage, match):
    path = tmp_path / "study.npz"
    kw = dict(n=20, reps=40, rng=3, chunk_size=10)
    check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **kw)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=rf"checkpoint .*{match}.*remove it"):
        check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **kw)


def test_a_finished_checkpoint_is_only_read(tmp_path, monkeypatch):
    # a finished study read back (e.g. from a read-only archive) writes nothing, not even
    # the probe that refuses unwritable paths before a study with work left
    path = tmp_path / "study.npz"
    kw = dict(n=20, reps=30, rng=8, chunk_size=10)
    first = check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **kw)
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)

    def refuse(*args, **kwargs):
        raise AssertionError("a finished checkpoint was opened for writing")

    monkeypatch.setattr("fisherstat.asymptotics._Checkpoint.check_writable", refuse)
    monkeypatch.setattr("fisherstat.asymptotics._Checkpoint.add", refuse)
    again = check_asymptotics(Normal(), [0.0, 1.0], checkpoint=path, **kw)
    _same(first, again)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert not os.path.exists(str(path) + ".tmp")


def test_checkpoint_of_another_chunk_size_or_design_is_refused(tmp_path):
    path = tmp_path / "study.npz"
    m = LogisticRegression(2)
    kw = dict(n=30, reps=20, rng=1, chunk_size=10)
    check_asymptotics(m, m.example_theta(), x=m.example_x(), checkpoint=path, **kw)
    for change in (dict(chunk_size=5), dict(x=m.example_x()[::-1] * 0.5)):
        args = dict(kw, x=m.example_x()) | change
        with pytest.raises(ValueError, match="different arguments"):
            check_asymptotics(m, m.example_theta(), checkpoint=path, **args)


# ============================================= 3. two studies at once on the kept worker pool
def _blas_threads():
    ctl = parallel._blas_controller()
    return None if ctl is None else [c["num_threads"] for c in ctl.info()]


def test_two_studies_from_two_threads_each_equal_their_serial_result():
    # 500 x 5 designs and 25 replicates per chunk: products large enough for BLAS threads
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(500), rng.standard_normal((500, 4))])
    m, beta = LogisticRegression(5), np.array([0.5, -1.0, 0.5, -0.3, 0.2])
    kws = [dict(n=500, reps=150, rng=seed, x=X, chunk_size=25) for seed in (1, 2)]
    serial = [check_asymptotics(m, beta, **kw) for kw in kws]
    blas_before = _blas_threads()
    results, errors = [None, None], []
    start = threading.Barrier(2)

    def run(i):
        try:
            start.wait(timeout=60)
            results[i] = check_asymptotics(m, beta, executor=2, **kws[i])
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for s, r in zip(serial, results, strict=True):
        _same(s, r)
    # the one-BLAS-thread limit is shared: the last study to finish restores the original
    assert _blas_threads() == blas_before


def test_a_pool_replaced_while_another_thread_uses_it_lets_that_call_finish(monkeypatch):
    # thread A maps slow tasks on the kept pool; meanwhile a class is (re)defined in
    # __main__, so the next call (thread B) replaces the pool: A must still complete
    shutdown_pools()
    out, errors, started = {}, [], threading.Event()

    def run_a():
        try:
            out["a"] = map_chunks(_slow_square, range(60), executor=2,
                                  on_result=lambda i, r: started.set())
        except BaseException as exc:
            errors.append(exc)

    a = threading.Thread(target=run_a)
    a.start()
    assert started.wait(timeout=120)
    monkeypatch.setattr(sys.modules["__main__"], "RedefinedModel", type("R", (), {}),
                        raising=False)
    out["b"] = map_chunks(_slow_square, range(10), executor=2)
    a.join(timeout=300)
    assert not errors, errors
    assert out["a"] == [i * i for i in range(60)] and out["b"] == [i * i for i in range(10)]
    shutdown_pools()


# ======================================================= 4. a worker dies in the middle of a chunk
def test_a_dying_worker_is_reported_replaced_and_its_chunk_rerun_once(tmp_path):
    marker = str(tmp_path / "died")
    serial = map_replicates(column_means, 200, rng=5, chunk_size=10, args=(30,))
    delivered = []
    tasks = [(die_once, s, 10, (30, marker)) for s in spawn_seeds(5, 20)]
    with pytest.warns(WorkerLostWarning, match="died"):
        parts = map_chunks(parallel._replicate_task, tasks, executor=2,
                           on_result=lambda i, r: delivered.append(i))
    assert os.path.exists(marker)  # a worker really died
    assert sorted(delivered) == list(range(20))  # every chunk delivered exactly once
    assert sum(len(p) for p in parts) == 200
    assert all(np.array_equal(a, b) for a, b in zip(serial, parts, strict=True))
    # the kept pool was replaced by a working one
    assert map_chunks(abs, [-1, -2, -3], executor=2) == [1, 2, 3]


def test_a_study_whose_worker_dies_equals_the_serial_study(tmp_path):
    kw = dict(n=15, reps=80, rng=4, chunk_size=10)
    serial = check_asymptotics(DiesOnceNormal(str(tmp_path / "unused")), [0.0, 1.0], **kw)
    model = DiesOnceNormal(str(tmp_path / "died"))
    with pytest.warns(WorkerLostWarning, match="unfinished"):
        rep = check_asymptotics(model, [0.0, 1.0], executor=2, **kw)
    assert os.path.exists(model.marker)
    assert rep.estimates.shape == (80, 2) and rep.n_failed == 0
    _same(rep, serial)


def test_a_worker_that_dies_every_time_fails_after_one_retry_instead_of_looping():
    with pytest.warns(WorkerLostWarning):
        with pytest.raises(BrokenProcessPool):  # imported: cf.process exists only once imported
            map_replicates(die_always, 40, rng=1, chunk_size=5, args=(10,), executor=2)
    assert map_chunks(abs, [-4, 5], executor=2) == [4, 5]  # and the next call works


# ==================================================================== 5. bad arguments
class NotAnExecutor:
    submit = "not callable"
    map = None


non_integer_floats = st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda v: not float(v).is_integer())
not_an_int = st.one_of(non_integer_floats, st.booleans(), st.text(max_size=5),
                       st.lists(st.integers(), max_size=2), st.just(None))
not_an_executor = st.one_of(st.floats(), st.booleans(), st.text(max_size=5),
                            st.lists(st.integers(), max_size=2),
                            st.sampled_from([object(), NotAnExecutor(), {"workers": 2},
                                             np.float64(2.0), b"2"]))


@settings(max_examples=25)
@given(bad=not_an_executor)
def test_executor_of_the_wrong_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="executor must be None, a number of processes"):
        check_executor(bad)
    with pytest.raises(TypeError, match="executor must be None"):
        map_replicates(column_means, 4, rng=0, args=(3,), executor=bad)
    with pytest.raises(TypeError, match="executor must be None"):
        check_asymptotics(Normal(), [0.0, 1.0], 10, 4, rng=0, executor=bad)


@settings(max_examples=15)
@given(bad=st.integers(max_value=0))
def test_executor_below_one_is_a_value_error(bad):
    for call in (lambda: check_executor(bad), lambda: map_chunks(abs, [1, 2], bad),
                 lambda: check_asymptotics(Normal(), [0.0, 1.0], 10, 4, rng=0, executor=bad)):
        with pytest.raises(ValueError, match=f"executor must be an integer >= 1, got {bad}"):
            call()


@settings(max_examples=25)
@given(bad=st.one_of(st.integers(max_value=0), not_an_int.filter(lambda v: v is not None)))
def test_bad_chunk_size_names_chunk_size(bad):
    err = ValueError if isinstance(bad, int) and not isinstance(bad, bool) else TypeError
    for call in (lambda: split_replicates(10, bad),
                 lambda: map_replicates(column_means, 10, rng=0, chunk_size=bad, args=(3,)),
                 lambda: check_asymptotics(Normal(), [0.0, 1.0], 10, 4, rng=0,
                                           chunk_size=bad)):
        with pytest.raises(err, match="chunk_size must be an integer"):
            call()


@settings(max_examples=20)
@given(bad=st.one_of(st.integers(max_value=0), not_an_int))
def test_bad_counts_name_reps_and_n_chunks(bad):
    err = ValueError if isinstance(bad, int) and not isinstance(bad, bool) else TypeError
    with pytest.raises(err, match="reps must be an integer"):
        split_replicates(bad, 3)
    with pytest.raises(err, match="reps must be an integer"):
        map_replicates(column_means, bad, rng=0, args=(3,))
    with pytest.raises(err, match="n_chunks must be an integer"):
        spawn_seeds(0, bad)


def _shut_down_threads():
    ex = cf.ThreadPoolExecutor(1)
    ex.shutdown()
    return ex


@pytest.mark.parametrize("call, err, match", [
    (lambda: map_chunks(3, [1, 2]), TypeError, "func must be callable, got int"),
    (lambda: map_chunks(abs, 5), TypeError, "tasks must be a sequence"),
    (lambda: map_chunks(abs, "abc"), TypeError, "tasks must be a sequence"),
    (lambda: map_chunks(abs, [1], on_result=1), TypeError, "on_result must be None or call"),
    (lambda: map_chunks(abs, [1], progress="bar"), TypeError, "progress must be None or a"),
    (lambda: map_chunks(abs, [1, 2], weights=[1]), ValueError, r"weights must have one entr"),
    (lambda: map_chunks(abs, [1, 2], weights=[1, -1]), ValueError, "weights must be an int"),
    (lambda: map_chunks(abs, [1, 2], weights=5), TypeError, "weights must be a sequence"),
    (lambda: map_chunks(abs, [1, 2], _shut_down_threads()), ValueError, "executor cannot"),
    (lambda: map_replicates("f", 4, rng=0), TypeError, "func must be callable, got str"),
    (lambda: map_replicates(column_means, 4, rng=0, args=3), TypeError, "args must be a tup"),
    (lambda: map_replicates(column_means, 4, rng=0, args=(3,), progress="yes"), TypeError,
     "progress must be True or False"),
    (lambda: map_replicates(column_means, 4, rng="seed", args=(3,)), TypeError,
     "rng must be None, an int seed"),
    (lambda: map_replicates(column_means, 4, rng=-1, args=(3,)), ValueError,
     "rng must be a non-negative integer seed"),
    (lambda: spawn_seeds(1.5, 2), TypeError, "rng must be None, an int seed"),
    (lambda: check_asymptotics(Normal(), [0.0, 1.0], 10, 4, rng=0,
                               executor=_shut_down_threads()), ValueError, "executor cannot"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_to_the_parallel_functions(call, err, match):
    with pytest.raises(err, match=match):
        call()


def _read_only_dir(tmp_path):
    d = tmp_path / "read-only"
    d.mkdir()
    d.chmod(0o500)
    try:
        (d / "probe").touch()
    except OSError:
        return d / "c.npz"
    # root writes anywhere (so on CI): the "proc" case below refuses root too and runs the
    # same check of an unwritable directory there
    pytest.skip("this user can write into read-only directories (root)")


@pytest.mark.parametrize("make, err, match", [
    (lambda t: 123, TypeError, "checkpoint must be None or a file path"),
    (lambda t: b"c.npz", TypeError, "checkpoint must be None or a file path"),
    (lambda t: ["c.npz"], TypeError, "checkpoint must be None or a file path"),
    (lambda t: "", ValueError, "checkpoint must be a file path"),
    (lambda t: str(t) + os.sep, ValueError, "checkpoint must be a file path"),
    (lambda t: t / "missing" / "c.npz", ValueError, "directory .* does not exist"),
    (lambda t: (t / "file.txt").write_text("x") and t / "file.txt" / "c.npz", ValueError,
     "directory .* does not exist"),
    (lambda t: t, ValueError, "not a readable .npz"),  # an existing directory
    (_read_only_dir, ValueError, "cannot be written"),
    (lambda t: "/proc/fisherstat-test.npz" if os.path.isdir("/proc") else pytest.skip("Linux"),
     ValueError, "cannot be written"),
], ids=["int", "bytes", "list", "empty", "trailing-sep", "missing-dir", "file-as-dir",
        "is-dir", "read-only-dir", "proc"])
def test_bad_checkpoint_path_is_refused_before_any_work(tmp_path, make, err, match):
    calls = []

    class Counting(cf.ThreadPoolExecutor):
        def submit(self, *a, **k):
            calls.append(1)
            return super().submit(*a, **k)

    with Counting(1) as ex, pytest.raises(err, match=match):
        check_asymptotics(Normal(), [0.0, 1.0], 10, 20, rng=0, chunk_size=5, executor=ex,
                          checkpoint=make(tmp_path))
    assert calls == []  # refused up front, not after the first chunk
