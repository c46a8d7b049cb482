r"""Replicated simulations on any executor, with results that do not depend on the executor.

A simulation study of ``reps`` replicates is cut into *chunks* of consecutive replicates.
Chunk ``j`` draws its random numbers from its own generator, seeded with the ``j``-th child
of ``np.random.SeedSequence(seed).spawn(n_chunks)`` (O'Neill's PCG seeding scheme as
implemented by NumPy: children are statistically independent streams, NumPy user guide,
"Parallel random number generation"). The chunk sizes depend only on ``reps`` (never on the
number of workers) and every chunk is a pure function of its seed, so the results are
bitwise identical whether the chunks run serially, on a pool of processes or on a Dask
cluster.

``executor`` may be

* ``None`` (or ``1``): run the chunks one after another in this process;
* an ``int`` ``k >= 2``: ``k`` processes, this one and ``k - 1`` workers of a
  :class:`concurrent.futures.ProcessPoolExecutor` (the mapped function and its arguments
  must be picklable: module-level functions, no lambdas; this is what makes the code safe
  under the ``spawn`` start method of macOS and Windows). The calling process does not
  sit idle: it runs chunks from the end of the list while the workers are handed them
  from the front one at a time (:func:`map_chunks`), which balances the load to within
  one chunk and absorbs the workers' start-up. The pool is kept
  for the next call with the same ``k`` (as joblib's reusable executor does), so a series
  of studies pays for starting workers once; :func:`shutdown_pools` ends it early, and it
  ends with the interpreter. A kept worker is a copy of this process at the time it
  started, so the pool is replaced when functions or classes of ``__main__`` have been
  (re)defined since (after :func:`importlib.reload` of one of your modules, call
  :func:`shutdown_pools`). If a worker dies (killed, out of memory, ``os._exit``) or
  still cannot unpickle a chunk, the pool breaks: a :class:`WorkerLostWarning` says so,
  a fresh pool replaces it and the unfinished chunks run again, once (finished chunks
  are kept and none is delivered twice; a second loss in the same call raises
  ``BrokenProcessPool``). Studies started at the same time from several threads share
  the kept pool safely: a pool is never shut down while another call still uses it;
* any object with a ``submit`` (or at least a ``map``) method in the
  :class:`concurrent.futures.Executor` style, e.g. a ``ThreadPoolExecutor``, a
  ``ProcessPoolExecutor`` you manage yourself, or a Dask cluster's
  ``distributed.Client(...).get_executor()``.

Matrix products are the one other source of executor-dependent bits: a multi-threaded BLAS
may round differently from a single-threaded one. With ``threadpoolctl`` installed the
chunks run with one BLAS thread in every process (the main one during the call, workers
from their first chunk on), which also keeps ``k`` workers on ``k`` cores from running
``k^2`` BLAS threads.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import math
import numbers
import pickle
import queue
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ._progress import Progress
from ._validation import check_int
from .exceptions import WorkerLostWarning

__all__ = ["map_replicates", "map_chunks", "spawn_seeds", "split_replicates", "check_executor",
           "shutdown_pools"]


def check_count(value, name: str, low: int = 1) -> int:
    """``check_int`` that also refuses ``True``/``False`` (a bool is no number of chunks).

    Examples
    --------
    >>> from fisherstat.parallel import check_count
    >>> check_count(3, "chunk_size")
    3
    >>> check_count(True, "chunk_size")
    Traceback (most recent call last):
    ...
    TypeError: chunk_size must be an integer, got True
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return check_int(value, name, low=low)


def as_seed_sequence(rng) -> np.random.SeedSequence:
    """A fresh ``SeedSequence`` equivalent to ``rng`` (never the caller's own object).

    ``rng`` may be an int seed, a ``SeedSequence`` (copied, so that spawning from it does
    not change the caller's object and a second call gives the same seeds), a
    ``np.random.Generator`` (128 bits of entropy are drawn from it, which advances it) or
    ``None`` (fresh OS entropy).
    """
    if isinstance(rng, np.random.SeedSequence):
        return np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                      pool_size=rng.pool_size)
    if isinstance(rng, np.random.Generator):
        words = rng.integers(0, 2**32, size=4, dtype=np.uint64)
        return np.random.SeedSequence([int(w) for w in words])
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}")
        return np.random.SeedSequence(int(rng))
    raise TypeError(
        "rng must be None, an int seed, a SeedSequence or a np.random.Generator, "
        f"got {type(rng).__name__}"
    )


def spawn_seeds(rng, n_chunks: int) -> list[np.random.SeedSequence]:
    """Independent seeds for ``n_chunks`` chunks: ``SeedSequence(rng).spawn(n_chunks)``.

    The same ``rng`` (int or ``SeedSequence``) always gives the same seeds.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.parallel import spawn_seeds
    >>> a, b = spawn_seeds(7, 2)
    >>> a.spawn_key, b.spawn_key
    ((0,), (1,))
    >>> bool(np.random.default_rng(a).random() == np.random.default_rng(spawn_seeds(7, 2)[0])
    ...      .random())
    True
    """
    n_chunks = check_count(n_chunks, "n_chunks")
    return as_seed_sequence(rng).spawn(n_chunks)


def split_replicates(reps: int, chunk_size: int) -> list[int]:
    """Sizes of the chunks of ``reps`` replicates: ``chunk_size`` each, the last one smaller.

    Examples
    --------
    >>> from fisherstat.parallel import split_replicates
    >>> split_replicates(10, 4)
    [4, 4, 2]
    """
    reps = check_count(reps, "reps")
    chunk_size = check_count(chunk_size, "chunk_size")
    full, rest = divmod(reps, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def default_chunk_size(reps: int, work_per_replicate: int = 1) -> int:
    """About 16 chunks (enough to balance a few workers), at most ~10^6 data values each."""
    cap = max(1, 1_000_000 // max(1, int(work_per_replicate)))
    return int(max(1, min(math.ceil(reps / 16), cap)))


def check_executor(executor):
    """Validate ``executor`` (None, an int >= 1, or an object with ``submit``/``map``).

    Returns it unchanged (an int as ``int``).

    Raises
    ------
    TypeError
        For anything else, e.g. an object without ``submit`` and ``map``.
    ValueError
        For an int < 1.

    Examples
    --------
    >>> from fisherstat.parallel import check_executor
    >>> check_executor(2)
    2
    >>> check_executor("dask")
    Traceback (most recent call last):
    ...
    TypeError: executor must be None, a number of processes (int >= 1) or an executor with \
a submit or map method (e.g. concurrent.futures.ProcessPoolExecutor or \
distributed.Client(...).get_executor()), got str
    """
    if executor is None:
        return None
    if isinstance(executor, (numbers.Integral, np.integer)) and not isinstance(executor, bool):
        return check_int(executor, "executor", low=1)
    if callable(getattr(executor, "submit", None)) or callable(getattr(executor, "map", None)):
        return executor
    raise TypeError(
        "executor must be None, a number of processes (int >= 1) or an executor with a submit "
        "or map method (e.g. concurrent.futures.ProcessPoolExecutor or "
        f"distributed.Client(...).get_executor()), got {type(executor).__name__}"
    )


_BLAS = {"controller": None, "pinned": False, "depth": 0, "limiter": None}
_BLAS_LOCK = threading.Lock()


def _blas_controller():
    """A cached ``threadpoolctl.ThreadpoolController``, or None without threadpoolctl."""
    if _BLAS["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        _BLAS["controller"] = ThreadpoolController()
    return _BLAS["controller"]


@contextmanager
def one_blas_thread() -> Iterator:
    """Run the block with one BLAS thread in this process (restored afterwards).

    A multi-threaded BLAS may split a matrix product differently from a single-threaded
    one and round differently in the last bit; with one thread everywhere the chunks of a
    study give the same bits in any process. Needs ``threadpoolctl`` (a no-op without it).
    The limit is process-wide, so it is counted: studies running at the same time in
    several threads share it, and the last one to finish restores the original number.
    """
    with _BLAS_LOCK:
        ctl = _blas_controller()
        if ctl is None or _BLAS["pinned"]:
            ctl = None
        else:
            if _BLAS["depth"] == 0:
                _BLAS["limiter"] = ctl.limit(limits=1, user_api="blas")
            _BLAS["depth"] += 1
    if ctl is None:
        yield
        return
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS["depth"] -= 1
            if _BLAS["depth"] == 0:
                _BLAS.pop("limiter").restore_original_limits()
                _BLAS["limiter"] = None


def pin_worker_blas() -> None:
    """In a worker process (not the main one): one BLAS thread from now on.

    Called by every chunk, so that workers of any pool or cluster compute like the main
    process under :func:`one_blas_thread`; ``k`` single-threaded workers on ``k`` cores
    also avoid ``k^2`` BLAS threads competing. A no-op in the main process and without
    ``threadpoolctl``.
    """
    import multiprocessing

    if _BLAS["pinned"] or multiprocessing.parent_process() is None:
        return
    ctl = _blas_controller()
    if ctl is not None:
        ctl.limit(limits=1, user_api="blas")  # kept: not used as a context manager
    _BLAS["pinned"] = True


_POOLS: dict[int, tuple[cf.ProcessPoolExecutor, tuple]] = {}
_POOLS_LOCK = threading.RLock()  # guards _POOLS, _USERS and _RETIRED
_USERS: dict[int, int] = {}  # id(pool) -> number of calls using it right now
_RETIRED: dict[int, cf.ProcessPoolExecutor] = {}  # replaced while in use: its last user ends it


def _code_fingerprint() -> tuple:
    """What a kept worker must share with this process to unpickle chunks by reference.

    A worker is a copy of this process when it started. Modules imported since are no
    problem (unpickling imports them), but functions and classes (re)defined in
    ``__main__`` since are: a script or notebook that redefines a model class must not
    have its chunks run with the old one. So the identities of ``__main__``'s functions,
    classes and modules are compared, and a change starts a fresh pool.
    """
    main = sys.modules.get("__main__")
    return () if main is None else tuple(
        (k, id(v)) for k, v in list(vars(main).items())
        if isinstance(v, (type, types.FunctionType, types.ModuleType)))


def _retire(pool: cf.ProcessPoolExecutor) -> None:
    """End a replaced pool now, or when the last call still using it lets go of it."""
    if _USERS.get(id(pool)):
        _RETIRED[id(pool)] = pool
    else:
        pool.shutdown(wait=False, cancel_futures=bool(getattr(pool, "_broken", False)))


def _pool(workers: int, broken: cf.ProcessPoolExecutor | None = None) -> cf.ProcessPoolExecutor:
    """The kept pool of ``workers`` processes, replaced if broken, stale or ``broken``.

    ``broken`` is a pool that failed for the caller: it is replaced only if it is still
    the kept one (another thread may have replaced it already).
    """
    with _POOLS_LOCK:
        pool, fingerprint = _POOLS.get(workers, (None, None))
        now = _code_fingerprint()
        if (pool is None or pool is broken or getattr(pool, "_broken", False)
                or fingerprint != now):
            if pool is not None:
                _retire(pool)
            pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=pin_worker_blas)
            _POOLS[workers] = (pool, now)
        return pool


@contextmanager
def _using_pool(workers: int, broken: cf.ProcessPoolExecutor | None = None) -> Iterator:
    """The kept pool (see :func:`_pool`), not shut down by other threads while in use."""
    with _POOLS_LOCK:
        pool = _pool(workers, broken)
        _USERS[id(pool)] = _USERS.get(id(pool), 0) + 1
    try:
        yield pool
    finally:
        with _POOLS_LOCK:
            _USERS[id(pool)] -= 1
            if not _USERS[id(pool)]:
                del _USERS[id(pool)]
                if (old := _RETIRED.pop(id(pool), None)) is not None:
                    old.shutdown(wait=False, cancel_futures=True)


def shutdown_pools() -> None:
    """Shut down the worker processes kept for ``executor=k`` (they end at exit anyway).

    Examples
    --------
    >>> from fisherstat.parallel import map_chunks, shutdown_pools
    >>> map_chunks(abs, [-1, 2], executor=2)
    [1, 2]
    >>> shutdown_pools()
    """
    with _POOLS_LOCK:
        pools = [_POOLS.popitem()[1][0] for _ in range(len(_POOLS))]
        pools += [_RETIRED.popitem()[1] for _ in range(len(_RETIRED))]
    for pool in pools:
        pool.shutdown(wait=True)


def map_chunks(
    func: Callable,
    tasks: Sequence,
    executor=None,
    *,
    on_result: Callable[[int, object], None] | None = None,
    progress: Progress | None = None,
    weights: Sequence[int] | None = None,
) -> list:
    """Apply ``func`` to every task (``func(task)``) and return the results in task order.

    Parameters
    ----------
    func : callable
        A picklable (module-level) function when ``executor`` runs processes.
    tasks : sequence
        One argument per call.
    executor : None, int or Executor
        See the module docstring.
    on_result : callable, optional
        ``on_result(i, result)`` is called in this process as each task finishes (in
        completion order), e.g. to write a checkpoint.
    progress : Progress, optional
        Advanced by ``weights[i]`` (default 1) as task ``i`` finishes.
    weights : sequence of int, optional
        Progress units of each task (e.g. its number of replicates).

    Notes
    -----
    If a task raises, the tasks not yet started are cancelled and the exception propagates;
    the results already passed to ``on_result`` stay delivered.

    Examples
    --------
    >>> from fisherstat.parallel import map_chunks
    >>> map_chunks(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if isinstance(tasks, (str, bytes)) or not isinstance(tasks, Iterable):
        raise TypeError(f"tasks must be a sequence of arguments, got {type(tasks).__name__}")
    tasks = list(tasks)
    if on_result is not None and not callable(on_result):
        raise TypeError(f"on_result must be None or callable, got {type(on_result).__name__}")
    if progress is not None and not callable(getattr(progress, "update", None)):
        raise TypeError(f"progress must be None or a Progress, got {type(progress).__name__}")
    if weights is None:
        weights = [1] * len(tasks)
    else:
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Iterable):
            raise TypeError(
                f"weights must be a sequence of ints, got {type(weights).__name__}")
        weights = [check_count(w, "weights", low=0) for w in weights]
        if len(weights) != len(tasks):
            raise ValueError(f"weights must have one entry per task ({len(tasks)}), got "
                             f"{len(weights)}")
    results: list = [None] * len(tasks)
    ex = check_executor(executor)

    def deliver(i, res):
        results[i] = res
        if on_result is not None:
            on_result(i, res)
        if progress is not None:
            progress.update(weights[i])

    with one_blas_thread():
        if ex is None or ex == 1 or len(tasks) <= 1:
            for i, t in enumerate(tasks):
                deliver(i, func(t))
            return results
        if isinstance(ex, int) or isinstance(ex, cf.ProcessPoolExecutor):
            try:
                pickle.dumps((func, tasks[0]))
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise TypeError(
                    "the study must be picklable to run on processes (module-level functions "
                    f"and models, no lambdas): {exc}; use executor=None or threads"
                ) from None
        if isinstance(ex, int):
            _share_with_pool(func, tasks, ex - 1, deliver)
            return results
        if not callable(getattr(ex, "submit", None)):
            for i, res in enumerate(ex.map(func, tasks)):
                deliver(i, res)
            return results
        try:
            futures = [ex.submit(func, tasks[0])]
        except RuntimeError as exc:  # e.g. "cannot schedule new futures after shutdown"
            raise ValueError(f"executor cannot run tasks ({exc}); was it shut down?") from None
        futures += [ex.submit(func, t) for t in tasks[1:]]
        with _cancel_on_error(futures):
            if all(isinstance(f, cf.Future) for f in futures):
                index = {id(f): i for i, f in enumerate(futures)}
                for f in cf.as_completed(futures):
                    deliver(index[id(f)], f.result())
            else:  # futures of another kind: collect in order
                for i, f in enumerate(futures):
                    deliver(i, f.result())
    return results


@contextmanager
def _cancel_on_error(futures) -> Iterator:
    """On any exception, cancel the futures that have not started, then re-raise."""
    try:
        yield
    except cf.BrokenExecutor:
        raise  # nothing left to cancel (and cancelling races with the pool's own clean-up)
    except BaseException:
        for f in futures:
            cancel = getattr(f, "cancel", None)
            if callable(cancel):
                cancel()
        raise


def _share_with_pool(func, tasks, workers: int, deliver) -> None:
    """Run the tasks on the kept pool of ``workers`` processes *and* in this process.

    This process takes tasks from the back of the list and runs them itself; one feeder
    thread per worker takes them from the front and hands them to the pool one at a time,
    the next as soon as the last one is back. So no task is queued ahead for a worker that
    this process could have run, and the two ends meet within one task. Finished work is
    delivered (in this thread) between the local tasks. If the kept pool is broken (a
    worker died, e.g. unable to unpickle a class defined after it started), a fresh pool
    runs the undelivered tasks once more.
    """
    done: set[int] = set()
    with _using_pool(workers) as pool:
        try:
            _run_shared(pool, workers, func, tasks, done, deliver)
            return
        except cf.process.BrokenProcessPool as exc:
            reason = exc
    warnings.warn(
        f"a worker process of executor={workers + 1} died or could not unpickle a chunk "
        f"({reason}); a fresh pool reruns the {len(tasks) - len(done)} unfinished of "
        f"{len(tasks)} chunks (finished chunks are kept, none is counted twice)",
        WorkerLostWarning, stacklevel=4)
    with _using_pool(workers, broken=pool) as fresh:
        _run_shared(fresh, workers, func, tasks, done, deliver)


def _run_shared(pool, workers: int, func, tasks, done: set, deliver) -> None:
    """One attempt of :func:`_share_with_pool` for the tasks not in ``done`` (updated)."""
    todo = collections.deque(i for i in range(len(tasks)) if i not in done)
    lock, stop, inbox = threading.Lock(), threading.Event(), queue.SimpleQueue()

    def take(front: bool):
        with lock:
            if stop.is_set() or not todo:
                return None
            return todo.popleft() if front else todo.pop()

    def feed() -> None:  # in a thread: keep one task (two while many remain) in the pool
        inflight: collections.deque = collections.deque()
        try:
            while True:
                while len(inflight) < (2 if len(todo) > 2 * (workers + 1) else 1):
                    if (i := take(front=True)) is None:
                        break
                    inflight.append((i, pool.submit(func, tasks[i])))
                if not inflight:
                    break
                i, future = inflight.popleft()
                cf.wait([future])
                inbox.put((i, future, None))
        except BaseException as exc:  # e.g. BrokenProcessPool from submit
            inbox.put((-1, None, exc))
        inbox.put(None)  # this feeder is finished

    def handle(item) -> int:
        if item is None:
            return 1
        i, future, exc = item
        if exc is not None:
            raise exc
        deliver(i, future.result())
        done.add(i)
        return 0

    feeders = [threading.Thread(target=feed, daemon=True, name=f"fisherstat-feeder-{k}")
               for k in range(workers)]
    for t in feeders:
        t.start()
    finished = 0
    try:
        while (i := take(front=False)) is not None:
            deliver(i, func(tasks[i]))
            done.add(i)
            while True:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
                finished += handle(item)
        while finished < workers:
            finished += handle(inbox.get())
    finally:
        stop.set()  # on an error: no new tasks; the feeders end with their current one


def _replicate_task(task):
    pin_worker_blas()
    func, seed, count, args = task
    return func(np.random.default_rng(seed), count, *args)


def map_replicates(
    func: Callable,
    reps: int,
    *,
    rng=None,
    executor=None,
    chunk_size: int | None = None,
    args: tuple = (),
    progress: bool = False,
) -> list:
    """Run ``func(generator, count, *args)`` on chunks of ``reps`` replicates; list of results.

    Chunk ``j`` gets ``np.random.default_rng(SeedSequence(rng).spawn(n_chunks)[j])`` and its
    size ``count``; the chunk sizes depend only on ``reps`` and ``chunk_size``, so the
    list of results is the same (bitwise) for every executor.

    Parameters
    ----------
    func : callable
        ``func(rng, count, *args)``; module-level (picklable) for process executors.
    reps : int
        Total number of replicates (>= 1).
    rng : None, int, SeedSequence or Generator, default None
        Root seed; ``None`` draws fresh OS entropy (as NumPy does: not reproducible), so
        pass a seed for results that can be repeated.
    executor : None, int or Executor
        ``None`` serial; ``k`` processes; or any ``concurrent.futures``-style executor such
        as ``distributed.Client(...).get_executor()``.
    chunk_size : int, optional
        Replicates per chunk (default about ``reps / 16``).
    args : tuple
        Extra arguments passed to every call.
    progress : bool
        Show a progress bar (tqdm if installed, plain text otherwise) on stderr.

    Returns
    -------
    list
        One result per chunk, in chunk order.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.parallel import map_replicates
    >>> def means(rng, count, n):
    ...     return rng.standard_normal((count, n)).mean(axis=1)
    >>> parts = map_replicates(means, 10, rng=1, chunk_size=4, args=(100,))
    >>> [p.shape for p in parts]
    [(4,), (4,), (2,)]
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    reps = check_count(reps, "reps")
    chunk_size = (default_chunk_size(reps) if chunk_size is None
                  else check_count(chunk_size, "chunk_size"))
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of extra arguments, got {type(args).__name__}")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    executor = check_executor(executor)
    sizes = split_replicates(reps, chunk_size)
    seeds = spawn_seeds(rng, len(sizes))
    tasks = [(func, s, c, tuple(args)) for s, c in zip(seeds, sizes, strict=True)]
    bar = Progress(reps, "replicates", enabled=progress)
    try:
        return map_chunks(_replicate_task, tasks, executor, progress=bar, weights=sizes)
    finally:
        bar.close()
