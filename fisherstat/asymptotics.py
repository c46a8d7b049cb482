r"""Does :math:`\sqrt n(\hat\theta - \theta_0) \to N(0, I(\theta_0)^{-1})` hold at my ``n``?

:func:`check_asymptotics` simulates ``reps`` data sets of ``n`` observations at a known
parameter :math:`\theta_0`, fits every one of them by maximum likelihood and compares the
distribution of the estimates with the asymptotic theory (Cramér 1946, *Mathematical
Methods of Statistics*, section 33.3; Lehmann & Casella, *Theory of Point Estimation*, 2nd
ed., 1998, Theorem 6.3.10): bias, variance against the Cramér-Rao bound, coverage of Wald
intervals built from four estimates of the information, and normality, marginal and joint.
It returns an immutable :class:`AsymptoticReport` whose summary says in plain words whether
the approximation visibly fails.

The replicates run serially, on processes or on a Dask cluster (:mod:`fisherstat.parallel`)
with the same result, bit for bit, and long studies can be checkpointed and resumed.

Layout: this module is the driver (:func:`check_asymptotics`: seeds, chunks, simulation and
fits); the statistics are in ``fisherstat/_asymptotics/statistics.py``, the report and its
figures in ``fisherstat/_asymptotics/report.py``, the checkpoint file in
``fisherstat/_asymptotics/checkpoint.py``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._asymptotics.checkpoint import Checkpoint, checkpoint_path, study_signature
from ._asymptotics.report import COVERAGE_METHODS, AsymptoticReport
from ._asymptotics.statistics import analyse, bonett_variance_ci, mardia
from ._asymptotics.statistics import group_reasons as group_reasons  # public here, as before
from ._fitting import fit_replicates, sample_replicates, standard_errors
from ._validation import as_float_array, check_int, check_scalar, readonly, validate_theta
from .exceptions import SingularFisherWarning
from .information import FisherInfo, fisher, pinv_psd
from .models.base import Model
from .parallel import (
    Progress,
    as_seed_sequence,
    check_count,
    check_executor,
    default_chunk_size,
    map_chunks,
    pin_worker_blas,
    split_replicates,
)

__all__ = ["check_asymptotics", "AsymptoticReport", "COVERAGE_METHODS"]

# Names importable from here since before the split into fisherstat/_asymptotics/ (tests
# use or patch them).
_Checkpoint, _bonett_variance_ci, _mardia = Checkpoint, bonett_variance_ci, mardia


# ============================================================================ the study
@dataclass(frozen=True)
class _Task:
    """One chunk of replicates: everything a worker needs (picklable)."""

    model: Model
    theta0: np.ndarray
    n: int
    x: np.ndarray | None
    seed: np.random.SeedSequence
    count: int
    key: tuple[int, int]  # (size index, chunk index)


def _run_chunk(task: _Task) -> dict:
    """Simulate, fit and assess one chunk; a pure function of the task (and its seed)."""
    pin_worker_blas()
    rng = np.random.default_rng(task.seed)
    data = sample_replicates(task.model, task.theta0, task.n, task.count, rng, task.x)
    theta, reasons = fit_replicates(task.model, data, task.x, start=task.theta0)
    se = standard_errors(task.model, theta, data, task.x, task.n)
    idx = np.array(sorted(reasons), dtype=np.int64)
    msg = np.array([reasons[i] for i in idx], dtype=str) if idx.size else np.array([], "U1")
    return {"theta": theta, "se": se, "fail_idx": idx, "fail_msg": msg}


def _check_sizes(n, p: int) -> tuple[tuple[int, ...], bool]:
    scalar = isinstance(n, (numbers.Integral, np.integer)) or (
        isinstance(n, numbers.Real) and not isinstance(n, bool))
    values = [n] if scalar else n
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"n must be an integer or a list of integers, got {type(n).__name__}")
    if len(values) == 0:
        raise ValueError("n must not be an empty list")
    sizes = []
    for v in values:
        v = check_int(v, "n", low=1)
        if v < p:
            raise ValueError(
                f"n must be >= {p} (the number of parameters) for every replicate to be "
                f"fittable, got n = {v}"
            )
        sizes.append(v)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"n must not repeat a sample size, got {sizes}")
    return tuple(sizes), scalar


def _design(model: Model, x, n: int) -> np.ndarray:
    """The fixed design of ``n`` rows: the rows of ``x`` cycled (``x[i % len(x)]``)."""
    return x[np.arange(n) % x.shape[0]]


def _reference(model, theta0, information, n, X, seed):
    """Per-observation asymptotic covariance ``V`` of sqrt(n)(theta_hat - theta0), its label,
    the numerical rank of the information and a Monte Carlo note."""
    p = model.n_params
    if isinstance(information, str):
        if information != "expected":
            raise ValueError(
                "information must be 'expected', a FisherInfo or a (p, p) array (the "
                f"information of one observation), got {information!r}"
            )
        ctx = {"x": X} if model.is_regression else {}
        info = fisher(model, theta0, rng=seed, **ctx)
        label = f"expected information ({info.method}"
        label += (f", {info.n_samples} Monte Carlo draws)" if info.method == "monte_carlo"
                  else ")")
        if model.is_regression:
            label += " of the n-row design"
    elif isinstance(information, FisherInfo):
        if information.param_names != model.param_names:
            raise ValueError(
                f"information has parameters {information.param_names}, the model "
                f"{model.param_names}: information must have the model's parameters"
            )
        info, label = information, f"given information ({information.method})"
    else:
        m = as_float_array(information, "information", shape=(p, p))
        info = FisherInfo(m, model.param_names, 1.0, "numeric")
        label = "given information of one observation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFisherWarning)  # reported as a flag instead
        inv, rank = pinv_psd(info.matrix)
    return inv * info.n_obs, label, rank



# ============================================================================= entry
def check_asymptotics(
    model: Model,
    theta0,
    n,
    reps: int,
    *,
    rng=None,
    executor=None,
    x=None,
    information="expected",
    progress: bool = False,
    checkpoint=None,
    level: float = 0.95,
    chunk_size: int | None = None,
) -> AsymptoticReport:
    r"""Simulate the sampling distribution of the MLE and compare it with the asymptotic theory.

    Draws ``reps`` data sets of ``n`` observations at ``theta0``, fits each by maximum
    likelihood and checks :math:`\sqrt n(\hat\theta - \theta_0) \approx N(0, I^{-1})`.

    Parameters
    ----------
    model : Model
        Any model that can ``sample`` and ``fit``.
    theta0 : array_like, shape (p,)
        The true parameter (must be valid for the model).
    n : int or sequence of int
        Observations per replicate (>= p); a list runs a convergence study with one report
        per size.
    reps : int
        Replicates per sample size (>= 2; a few hundred for the checks to have power).
    rng : None, int, SeedSequence or Generator, default None
        Root seed. Each chunk of replicates is seeded with a child of
        ``np.random.SeedSequence(rng)``, so the result does not depend on ``executor``.
        ``None`` draws fresh entropy (not reproducible; refused with ``checkpoint``).
    executor : None, int or Executor, optional
        ``None`` serial; an int ``k``: ``k`` processes; or any
        :class:`concurrent.futures.Executor`, e.g. ``distributed.Client(...).get_executor()``
        (see :mod:`fisherstat.parallel`).
    x : array_like, optional
        Regression models only (required for them): the covariate rows of the design. Each
        replicate uses the same fixed design of ``n`` rows, the rows of ``x`` cycled
        (``x[i % len(x)]``; ``x`` repeated ``n / len(x)`` times when ``n`` is a multiple),
        with a fresh response vector; the theory is the information of that design.
    information : 'expected', FisherInfo or array_like, default 'expected'
        The information whose inverse the theory predicts: ``'expected'`` is
        ``fisher(model, theta0)`` (closed form, else Monte Carlo); a :class:`FisherInfo` is
        taken per ``n_obs`` observations, an array as the information of one observation
        (e.g. a time-series model's asymptotic information).
    progress : bool, default False
        Progress bar on stderr (tqdm if installed, plain text otherwise).
    checkpoint : str or path, optional
        A ``.npz`` file where finished chunks are saved as the study runs; a second call with
        the same arguments resumes from it and returns the same report as an uninterrupted
        run. A checkpoint written with other arguments is refused (``ValueError``). Writes
        are atomic (a temporary file renamed over the old one), so a study killed at any
        moment resumes from the chunks finished before.
    level : float, default 0.95
        Nominal level of the Wald intervals and family-wise confidence of the checks.
    chunk_size : int, optional
        Replicates per chunk (default about ``reps / 16``); part of the random stream, so
        keep it when resuming.

    Returns
    -------
    AsymptoticReport

    Raises
    ------
    ValueError
        ``reps < 2``, ``n`` smaller than the number of parameters or a design that cannot
        identify the parameters, ``theta0`` outside the parameter space, a checkpoint from
        other arguments, damaged, in a missing directory or not writable.
    TypeError
        A non-model, ``x`` missing for (or given to) a model, an executor without ``submit``
        or ``map``.

    Notes
    -----
    Under the usual regularity conditions the MLE from :math:`n` observations satisfies
    :math:`\sqrt n(\hat\theta_n - \theta_0) \to N(0, I(\theta_0)^{-1})`, with :math:`I` the
    information of one observation (Lehmann & Casella 1998, Theorem 6.3.10); for a fixed
    regression design :math:`I = I_n / n` with :math:`I_n = \sum_i M(x_i)` (Fahrmeir &
    Kaufmann 1985, *Ann. Statist.* 13, 342-368). The report checks, over the successful
    fits :math:`\hat\theta_r`, :math:`r = 1..m`:

    * variance: the ratio of the empirical variance of
      :math:`z_r = \sqrt n(\hat\theta_{rj} - \theta_{0j})` to :math:`(I^{-1})_{jj}`, with
      Bonett's (2006) interval, valid without normality;
    * Wald coverage: the fraction of :math:`\hat\theta_{rj} \pm z_{0.975}\,\widehat{se}_{rj}`
      containing :math:`\theta_{0j}` with :math:`\widehat{se}` from the expected information
      at :math:`\hat\theta`, the observed information :math:`-\sum_i H_i`, the outer
      product of the scores (OPG) and the sandwich :math:`A^{-1} B A^{-1}` (Huber 1967;
      White 1982), each with a Clopper-Pearson interval;
    * normality: Anderson-Darling per parameter (D'Agostino & Stephens 1986), the
      Mahalanobis distances :math:`z_r^T I z_r` against :math:`\chi^2_p` (Kolmogorov-Smirnov),
      Mardia's (1970) multivariate skewness and kurtosis.

    All intervals are simultaneous: with :math:`K` checks each is at level
    :math:`1 - (1 - \text{level})/K` (Bonferroni), so that a correct theory raises no flag
    with probability at least ``level``. More replicates detect smaller deviations; the
    report shows their size. Failed fits (:class:`~fisherstat.FitError` and other
    numerical errors) are counted with their reasons and raise a flag: the statistics then
    describe the estimator conditional on its existence.

    Examples
    --------
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Normal(), [0.0, 1.0], n=100, reps=400, rng=0)
    >>> rep.estimates.shape, rep.n_failed
    ((400, 2), 0)
    >>> bool(rep.variance_ratio_ci[0, 0] < 1 < rep.variance_ratio_ci[0, 1])
    True
    >>> rep.ok
    True
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a fisherstat Model, got {type(model).__name__}")
    theta0 = validate_theta(model, theta0, "theta0")
    p = model.n_params
    sizes, scalar = _check_sizes(n, p)
    reps = check_int(reps, "reps", low=2)
    level = check_scalar(level, "level", low=0, high=1)
    executor = check_executor(executor)
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if checkpoint is not None:
        checkpoint = checkpoint_path(checkpoint)
    if rng is None and checkpoint is not None:
        raise ValueError("checkpoint needs a reproducible rng (an int seed or a SeedSequence), "
                         "got rng=None")
    seed = as_seed_sequence(rng)
    if model.is_regression:
        if x is None:
            raise TypeError(
                f"{type(model).__name__} is a regression model: pass x, the covariate rows of "
                "the design (cycled to n rows per replicate)"
            )
        base = model.check_x(x)
        designs = [_design(model, base, k) for k in sizes]
        design_rows = base.shape[0]
    else:
        if x is not None:
            raise TypeError(f"{type(model).__name__} takes no covariates; got x")
        designs, design_rows = [None] * len(sizes), None
    size_seeds = seed.spawn(len(sizes) + 1)  # the last one seeds a Monte Carlo information
    refs = []
    for k, X in zip(sizes, designs, strict=True):
        V, label, rank = _reference(model, theta0, information, k, X, size_seeds[-1])
        if model.is_regression and rank < p:
            raise ValueError(
                f"the information of the design of n = {k} rows (x cycled) is singular (rank "
                f"{rank} < {p}): too few distinct rows to fit the model; increase n or change x"
            )
        refs.append((V, label, rank))
    cs = (default_chunk_size(reps, max(sizes) * p) if chunk_size is None
          else check_count(chunk_size, "chunk_size"))
    counts = split_replicates(reps, cs)
    tasks = []
    for i, (k, X) in enumerate(zip(sizes, designs, strict=True)):
        for j, (s, c) in enumerate(zip(size_seeds[i].spawn(len(counts)), counts, strict=True)):
            tasks.append(_Task(model, theta0, k, X, s, c, (i, j)))

    store = None
    if checkpoint is not None:
        store = _Checkpoint(checkpoint, study_signature(model, theta0, sizes, reps, counts, seed,
                                                   designs))
    done = {} if store is None else dict(store.done)
    pending = [t for t in tasks if t.key not in done]
    if store is not None and pending:
        store.check_writable()  # a finished checkpoint may be read-only
    bar = Progress(reps * len(sizes), f"check {type(model).__name__}", enabled=bool(progress))
    bar.update(sum(t.count for t in tasks if t.key in done))
    try:
        results = map_chunks(
            _run_chunk, pending, executor,
            on_result=(None if store is None
                       else lambda i, res: store.add(pending[i].key, res)),
            progress=bar, weights=[t.count for t in pending],
        )
    finally:
        bar.close()
    for t, res in zip(pending, results, strict=True):
        done[t.key] = res

    per_size = []
    for i, k in enumerate(sizes):
        chunks = [done[(i, j)] for j in range(len(counts))]
        theta = np.concatenate([c["theta"] for c in chunks])
        se = np.concatenate([c["se"] for c in chunks])
        offsets = np.cumsum([0] + counts[:-1])
        fails = tuple(
            (int(off + r), str(msg))
            for off, c in zip(offsets, chunks, strict=True)
            for r, msg in zip(c["fail_idx"], c["fail_msg"], strict=True)
        )
        V, label, rank = refs[i]
        res = analyse(theta, se, fails, k, theta0, V, rank, level, model.param_names)
        res.update(estimates=theta, failures=fails, n_failed=len(fails), reference_cov=V)
        per_size.append({key: (readonly(v, dtype=None) if isinstance(v, np.ndarray) else v)
                         for key, v in res.items()})
    return AsymptoticReport(repr(model), model.param_names, readonly(theta0), sizes, reps,
                            level, refs[0][1], design_rows, tuple(per_size), scalar)
