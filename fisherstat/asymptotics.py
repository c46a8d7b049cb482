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
from ._asymptotics.dgp import DataGeneratingProcess, check_dgp, pseudo_true
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
    dgp: DataGeneratingProcess | None = None  # None: the data come from model at theta0


def _indexed(reasons: dict) -> tuple[np.ndarray, np.ndarray]:
    """A {replicate: reason} dict as two arrays (indices, messages) for a checkpoint."""
    idx = np.array(sorted(reasons), dtype=np.int64)
    msg = np.array([reasons[i] for i in idx], dtype=str) if idx.size else np.array([], "U1")
    return idx, msg


def _run_chunk(task: _Task) -> dict:
    """Simulate, fit and assess one chunk; a pure function of the task (and its seed)."""
    pin_worker_blas()
    rng = np.random.default_rng(task.seed)
    if task.dgp is None:
        data = sample_replicates(task.model, task.theta0, task.n, task.count, rng, task.x)
    else:
        data = task.dgp.sample(task.n, task.count, rng, task.x)
    theta, reasons, boundary = fit_replicates(task.model, data, task.x, start=task.theta0)
    on_boundary = np.zeros(task.count, dtype=bool)
    on_boundary[list(boundary)] = True
    se = standard_errors(task.model, theta, data, task.x, task.n, exclude=on_boundary)
    fail_idx, fail_msg = _indexed(reasons)
    bnd_idx, bnd_msg = _indexed(boundary)
    return {"theta": theta, "se": se, "fail_idx": fail_idx, "fail_msg": fail_msg,
            "bnd_idx": bnd_idx, "bnd_msg": bnd_msg}


def _collect(chunks, counts, idx_key: str, msg_key: str) -> tuple:
    """``(replicate, reason)`` pairs of all chunks, replicates numbered over the study."""
    offsets = np.cumsum([0] + counts[:-1])
    return tuple((int(off + r), str(msg))
                 for off, c in zip(offsets, chunks, strict=True)
                 for r, msg in zip(c[idx_key], c[msg_key], strict=True))


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
    dgp=None,
    dgp_draws: int = 200_000,
    progress: bool = False,
    checkpoint=None,
    level: float = 0.95,
    chunk_size: int | None = None,
) -> AsymptoticReport:
    r"""Simulate the sampling distribution of the MLE and compare it with the asymptotic theory.

    Draws ``reps`` data sets of ``n`` observations at ``theta0``, fits each by maximum
    likelihood and checks :math:`\sqrt n(\hat\theta - \theta_0) \approx N(0, I^{-1})`.
    With ``dgp`` the data come from another process (a study of misspecification): the
    estimates are centred on the pseudo-true parameter :math:`\theta^*` and compared with
    the sandwich covariance :math:`A^{-1} B A^{-1}` as well as with the model-based
    :math:`I(\theta^*)^{-1}`.

    Parameters
    ----------
    model : Model
        Any model that can ``sample`` (unless ``dgp`` is given) and ``fit``.
    theta0 : array_like, shape (p,), or None
        The true parameter (must be valid for the model). With ``dgp``: the pseudo-true
        parameter :math:`\theta^*` when it is known in closed form, or ``None`` to estimate
        it (the MLE of ``dgp_draws`` observations from ``dgp``).
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
        (e.g. a time-series model's asymptotic information). With ``dgp`` it is evaluated
        at :math:`\theta^*`: the model-based covariance the study compares the sandwich with.
    dgp : None, (Model, array_like) or callable, optional
        The data-generating process; ``None`` (default): ``model`` at ``theta0``, a
        correctly specified study. A pair ``(truth, theta)`` draws from another model
        ``truth`` (a regression model for a regression ``model``: it gets the same design);
        a callable ``dgp(n, rng)`` returns ``n`` observations drawn with the Generator
        ``rng`` (for a regression model it is called as ``dgp(n, rng, x=X)`` with the ``n``
        design rows), and must be a module-level function for a process ``executor``. The
        observations must be independent (the theory's :math:`B = E[s s^T]` is that of one
        observation).
    dgp_draws : int, default 200_000
        With ``dgp``: observations drawn from it for the Monte Carlo estimates of
        :math:`\theta^*` (a fit to them, unless ``theta0`` is given), :math:`A`,
        :math:`B` and the sandwich, whose standard errors the report gives (they shrink
        like ``dgp_draws ** -0.5``).
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
        or ``map``, a ``dgp`` that is neither a ``(Model, theta)`` pair nor a callable.

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

    A maximum on the boundary of the parameter space
    (:class:`~fisherstat.BoundaryEstimateError`: an all-zero Poisson sample, a mixture
    weight of 1) is a valid MLE, not a failure: it is counted separately (``n_boundary``,
    the mask ``on_boundary``), stays in ``estimates`` and in the bias, covariance, variance
    ratio and normality statistics (the sampling distribution of the MLE includes it), and
    has no Wald interval (the information is defined on the open parameter set, and at
    the boundary the limit law is not normal: Self & Liang 1987, *J. Amer. Statist.
    Assoc.* 82, 605-610), so the coverages are those of the interior estimates. A row
    with a component the boundary leaves undetermined (NaN) drops out of the statistics.
    Boundary estimates raise a flag of their own.

    Misspecification (``dgp``): the MLE converges to the pseudo-true parameter
    :math:`\theta^* = \arg\max_\theta E_{dgp}[\log f(Y; \theta)]` (the Kullback-Leibler
    projection of the process on the model) and
    :math:`\sqrt n(\hat\theta_n - \theta^*) \to N(0, A^{-1} B A^{-1})` with
    :math:`A = E_{dgp}[-\nabla^2 \log f]` and :math:`B = E_{dgp}[s s^T]` at :math:`\theta^*`
    (White 1982, *Econometrica* 50, 1-25, Theorems 2.2 and 3.2; Huber 1967). The checks
    (variance ratio, coverage of intervals for :math:`\theta^*`, Mahalanobis distances)
    then test the sandwich; ``model_based_variance_ratio`` compares the same variances
    with the model-based :math:`I(\theta^*)^{-1}`, which misspecification makes wrong.
    :math:`\theta^*`, :math:`A` and :math:`B` are Monte Carlo means over ``dgp_draws``
    observations, with delete-a-group jackknife standard errors in the report.

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

    Normal data fitted by a Normal model, but drawn from a Laplace distribution of
    variance 2: the variance of :math:`\hat\sigma^2` is :math:`\mu_4 - \sigma^4 = 20` per
    observation (the sandwich), not :math:`2\sigma^4 = 8` (the inverse Fisher information):

    >>> import numpy as np
    >>> def laplace(n, rng):
    ...     return rng.laplace(0.0, 1.0, n)
    >>> rep = check_asymptotics(fs.models.Normal(), None, n=200, reps=400, rng=1,
    ...                         dgp=laplace)
    >>> rep.misspecified, np.round(rep.pseudo_true, 1)
    (True, array([0., 2.]))
    >>> np.round(np.diag(rep.sandwich_covariance))  # sandwich: Var(Y), mu4 - sigma^4
    array([ 2., 20.])
    >>> np.round(np.diag(rep.model_based_covariance))  # inverse Fisher: sigma^2, 2 sigma^4
    array([2., 8.])
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a fisherstat Model, got {type(model).__name__}")
    dgp = check_dgp(dgp, model)
    if dgp is None or theta0 is not None:
        if theta0 is None:
            raise TypeError("theta0 must be the true parameter (array_like of length "
                            f"{model.n_params}); None is allowed only with dgp (then the "
                            "pseudo-true parameter is estimated)")
        theta0 = validate_theta(model, theta0, "theta0")
    p = model.n_params
    sizes, scalar = _check_sizes(n, p)
    reps = check_int(reps, "reps", low=2)
    level = check_scalar(level, "level", low=0, high=1)
    executor = check_executor(executor)
    if dgp is not None:
        dgp_draws = check_count(dgp_draws, "dgp_draws", low=20 * (p + 1))
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if checkpoint is not None:
        checkpoint = checkpoint_path(checkpoint)
    if rng is None and checkpoint is not None:
        raise ValueError("checkpoint needs a reproducible rng (an int seed or a SeedSequence), "
                         "got rng=None")
    seed = as_seed_sequence(rng)
    if model.has_covariates and not model.is_regression:
        raise TypeError(f"check_asymptotics does not simulate a series with regressors "
                        f"({type(model).__name__}): its designs cycle independent rows; use "
                        "fisherstat.fit on simulated series, or an ARMA model for the errors")
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
        base, designs, design_rows = None, [None] * len(sizes), None
    # children: one per size, one for a Monte Carlo information, one for the dgp's draws
    # (spawned children do not depend on how many are spawned: the default stream is as
    # before)
    size_seeds = seed.spawn(len(sizes) + 2)
    misspec = None
    if dgp is not None:
        X_big = None if base is None else _design(model, base, dgp_draws)
        misspec = pseudo_true(model, dgp, theta0, dgp_draws,
                              np.random.default_rng(size_seeds[-1]), X_big)
        theta0 = validate_theta(model, misspec["theta"], "the pseudo-true parameter")
        misspec["description"] = dgp.description
    refs = []
    for k, X in zip(sizes, designs, strict=True):
        V, label, rank = _reference(model, theta0, information, k, X, size_seeds[-2])
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
            tasks.append(_Task(model, theta0, k, X, s, c, (i, j), dgp))

    store = None
    if checkpoint is not None:
        store = _Checkpoint(checkpoint, study_signature(
            model, theta0, sizes, reps, counts, seed, designs,
            None if dgp is None else dgp.signature() + f"|{dgp_draws}".encode()))
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
        fails = _collect(chunks, counts, "fail_idx", "fail_msg")
        bounds = _collect(chunks, counts, "bnd_idx", "bnd_msg")
        on_boundary = np.zeros(reps, dtype=bool)
        on_boundary[[r for r, _ in bounds]] = True
        I_inv, label, rank = refs[i]
        V = I_inv if misspec is None else misspec["sandwich"]
        res = analyse(theta, se, fails, k, theta0, V, rank, level, model.param_names,
                      boundary=bounds, V_model=I_inv)
        res.update(estimates=theta, failures=fails, n_failed=len(fails), reference_cov=V,
                   boundary_estimates=bounds, n_boundary=len(bounds), on_boundary=on_boundary)
        if misspec is not None and misspec["fitted"]:  # the bias is against an estimate
            res["bias_se"] = np.hypot(res["bias_se"], misspec["theta_se"])
        per_size.append({key: (readonly(v, dtype=None) if isinstance(v, np.ndarray) else v)
                         for key, v in res.items()})
    if misspec is not None:
        misspec = {key: (readonly(v) if isinstance(v, np.ndarray) else v)
                   for key, v in misspec.items()}
    return AsymptoticReport(repr(model), model.param_names, readonly(theta0), sizes, reps,
                            level, refs[0][1], design_rows, tuple(per_size), scalar, misspec)
