"""Replicates on executors: the same bits serially, on processes, threads and a Dask cluster."""

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time

import numpy as np
import pytest

from fisherstat import WorkerLostWarning, parallel
from fisherstat.asymptotics import check_asymptotics
from fisherstat.models import LogisticRegression, Normal
from fisherstat.parallel import (
    Progress,
    check_executor,
    map_chunks,
    map_replicates,
    shutdown_pools,
    spawn_seeds,
    split_replicates,
)


def column_means(rng, count, n):
    """A module-level (picklable) replicate function: means of ``count`` normal samples."""
    return rng.standard_normal((count, n)).mean(axis=1)


def _slow_pid(task):
    time.sleep(0.05)
    return task, os.getpid()


class ForkedTooEarly:
    """A task that only workers started after ``FISHERSTAT_TEST_ERA`` was set can unpickle."""

    def __init__(self, value):
        self.value, self.era = value, os.environ["FISHERSTAT_TEST_ERA"]

    def __setstate__(self, state):
        if state["era"] != os.environ["FISHERSTAT_TEST_ERA"]:
            raise RuntimeError("this worker is a copy of the process from before the change")
        self.__dict__.update(state)


def _value(task):
    time.sleep(0.02)
    return task.value


def _boom(task):
    if task == 3:
        raise RuntimeError("chunk 3 failed")
    return task


class MapOnly:
    """An executor-like object with ``map`` but no ``submit``."""

    def map(self, func, tasks):
        return map(func, tasks)


class OwnFutures:
    """An executor whose futures are not concurrent.futures.Future (results in order)."""

    class _F:
        def __init__(self, v):
            self.v = v

        def result(self):
            return self.v

    def submit(self, func, arg):
        return self._F(func(arg))


def _study(executor):
    m = LogisticRegression(2)
    return check_asymptotics(m, m.example_theta(), n=[30, 60], reps=120, rng=2024,
                             x=m.example_x(), executor=executor)


@pytest.fixture(scope="module")
def serial_study():
    return _study(None)


def _same(a, b):
    assert np.array_equal(a.estimates, b.estimates, equal_nan=True)
    assert np.array_equal(a.coverage, b.coverage, equal_nan=True)
    assert a.failures == b.failures
    assert a.summary() == b.summary()


def test_seeds_are_children_of_one_seed_sequence_and_reproducible():
    a, b = spawn_seeds(5, 3), spawn_seeds(np.random.SeedSequence(5), 3)
    assert [s.spawn_key for s in a] == [(0,), (1,), (2,)]
    assert all(x.entropy == y.entropy and x.spawn_key == y.spawn_key
               for x, y in zip(a, b, strict=True))
    ss = np.random.SeedSequence(5)
    spawn_seeds(ss, 3)
    assert ss.n_children_spawned == 0  # the caller's SeedSequence is not consumed


def test_chunk_sizes_depend_only_on_reps_and_chunk_size():
    assert split_replicates(10, 3) == [3, 3, 3, 1]
    assert sum(split_replicates(1001, 64)) == 1001


def test_map_replicates_is_bitwise_identical_on_every_executor():
    serial = map_replicates(column_means, 50, rng=3, chunk_size=7, args=(20,))
    with cf.ThreadPoolExecutor(3) as threads:
        threaded = map_replicates(column_means, 50, rng=3, chunk_size=7, args=(20,),
                                  executor=threads)
    procs = map_replicates(column_means, 50, rng=3, chunk_size=7, args=(20,), executor=2)
    for other in (threaded, procs, map_chunks(lambda t: t, serial, MapOnly()),
                  map_chunks(lambda t: t, serial, OwnFutures())):
        assert len(other) == len(serial) == 8
        assert all(np.array_equal(x, y) for x, y in zip(serial, other, strict=True))


def test_study_is_bitwise_identical_on_processes_and_threads(serial_study):
    _same(serial_study, _study(2))
    with cf.ThreadPoolExecutor(2) as threads:
        _same(serial_study, _study(threads))


@pytest.mark.slow  # the Dask test below also runs the chunks in spawned worker processes
def test_study_is_bitwise_identical_under_the_spawn_start_method(serial_study):
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        _same(serial_study, _study(pool))


def test_study_is_bitwise_identical_on_a_dask_local_cluster(serial_study):
    import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _same(serial_study, _study(client.get_executor()))


def test_large_matrix_products_give_the_same_bits_on_processes():
    # n = 500 rows, 5 coefficients, 125 replicates per chunk: products large enough for a
    # multi-threaded BLAS to split them; one BLAS thread everywhere keeps the bits
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(500), rng.standard_normal((500, 4))])
    m, beta = LogisticRegression(5), np.array([0.5, -1.0, 0.5, -0.3, 0.2])
    a = check_asymptotics(m, beta, 500, 250, rng=1, x=X, chunk_size=125)
    b = check_asymptotics(m, beta, 500, 250, rng=1, x=X, chunk_size=125, executor=2)
    _same(a, b)


def test_int_executor_keeps_its_pool_and_computes_here_as_well():
    shutdown_pools()
    out = map_chunks(_slow_pid, range(8), executor=2)
    assert [t for t, _ in out] == list(range(8))
    pids = {pid for _, pid in out}
    assert os.getpid() in pids and len(pids) == 2  # this process and one worker
    pool = parallel._POOLS[1][0]
    again = map_chunks(_slow_pid, range(8), executor=2)
    assert parallel._POOLS[1][0] is pool
    assert {pid for _, pid in again} == pids  # the same worker, not a new one
    shutdown_pools()
    assert parallel._POOLS == {}


def test_a_class_defined_in_main_since_starts_a_fresh_pool(monkeypatch):
    map_chunks(abs, range(4), executor=2)
    pool = parallel._POOLS[1][0]
    monkeypatch.setattr(sys.modules["__main__"], "LateModel", type("LateModel", (), {}),
                        raising=False)
    assert map_chunks(abs, [-1, -2, -3, -4], executor=2) == [1, 2, 3, 4]
    assert parallel._POOLS[1][0] is not pool


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_kept_pool_whose_workers_cannot_unpickle_is_replaced(monkeypatch):
    monkeypatch.setenv("FISHERSTAT_TEST_ERA", "before")
    map_chunks(abs, range(4), executor=2)  # workers copy the environment now
    pool = parallel._POOLS[1][0]
    monkeypatch.setenv("FISHERSTAT_TEST_ERA", "after")
    tasks = [ForkedTooEarly(v) for v in range(12)]
    with pytest.warns(WorkerLostWarning, match="unfinished"):
        assert map_chunks(_value, tasks, executor=2) == list(range(12))
    assert parallel._POOLS[1][0] is not pool
    shutdown_pools()


def test_executor_without_map_or_submit_is_a_type_error():
    for bad in (object(), "processes", 2.5, True):
        with pytest.raises(TypeError, match="executor must be None"):
            check_executor(bad)
    with pytest.raises(ValueError, match="executor must be an integer >= 1"):
        check_executor(-1)


def test_a_failing_chunk_propagates_its_exception():
    for executor in (None, OwnFutures()):
        with pytest.raises(RuntimeError, match="chunk 3 failed"):
            map_chunks(_boom, range(6), executor)
    with cf.ThreadPoolExecutor(2) as threads:
        with pytest.raises(RuntimeError, match="chunk 3 failed"):
            map_chunks(_boom, range(6), threads)


def test_unpicklable_model_on_processes_is_a_clear_type_error():
    expo = Normal.from_logpdf(lambda th, x: -th[0] * x + np.log(th[0]),
                              lambda th, n, rng: rng.exponential(1 / th[0], n), ["rate"],
                              fit=lambda x: np.array([1 / x.mean()]), bounds=[(0, np.inf)])
    with pytest.raises(TypeError, match="picklable"):
        check_asymptotics(expo, [1.0], n=20, reps=10, rng=0, executor=2)


def test_map_replicates_without_a_seed_draws_fresh_entropy():
    # rng=None is NumPy's default (fresh OS entropy): it runs, and two calls differ, while
    # the same int seed repeats the result bitwise.
    a = map_replicates(column_means, 5, args=(3,))
    b = map_replicates(column_means, 5, rng=None, args=(3,))
    assert not np.array_equal(np.concatenate(a), np.concatenate(b))
    c, d = (map_replicates(column_means, 5, rng=4, args=(3,)) for _ in range(2))
    assert np.array_equal(np.concatenate(c), np.concatenate(d))


def test_plain_progress_prints_every_tenth_without_tqdm(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    buf = io.StringIO()
    bar = Progress(100, "demo", file=buf)
    for _ in range(20):
        bar.update(5)
    lines = buf.getvalue().splitlines()
    assert lines[-1].startswith("demo: 100/100 replicates (100%")
    assert len(lines) <= 11
    Progress(10, enabled=False).update(10)  # disabled: silent no-op
    assert capsys.readouterr().err == ""
