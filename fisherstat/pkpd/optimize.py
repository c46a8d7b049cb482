r"""Design optimisation for population PK/PD studies.

Two kinds of problems:

**Exact population designs** (:func:`optimize_design`): groups of subjects with their own
sampling times and doses; the design variables are the sampling times (continuous within
windows, with a minimum spacing between consecutive samples, or chosen from discrete
candidates), the dose amounts, and the group sizes. The criterion is a function of the
population FIM :math:`M = \sum_g N_g I^{(g)}` of the estimated parameters
(:mod:`fisherstat.pkpd.population`):

=============  ==============================================  ==========================
criterion      maximised utility                                reference
=============  ==============================================  ==========================
``'D'``        :math:`\ln\det M` (PopED's ``ofv``)              Atkinson, Donev & Tobias
                                                                2007, ch. 10
``'Ds'``       :math:`\ln\det` of the Schur complement of the    ibid., section 10.3
               parameters of interest (others nuisance)
``'A'``        :math:`-\operatorname{tr} M^{-1}`                 ibid., section 10.6
``'c'``        :math:`-c^T M^{-1} c`, :math:`c = \nabla g`       ibid., section 10.4
               for a derived quantity :math:`g(\beta)`
               (AUC, Cmax, or any function)
=============  ==============================================  ==========================

With a prior sample :math:`\beta_1..\beta_K` (weights :math:`\pi_k`) on the fixed effects,
the Bayesian criteria are :math:`\sum_k \pi_k U(M(\beta_k))` (``bayesian='ELD'``, for
``D`` the expected log-determinant) or, for ``D``, :math:`\ln \sum_k \pi_k
\det M(\beta_k)` (``bayesian='ED'``; Dodds, Hooker & Vicini 2005, *J. Pharmacokinet.
Pharmacodyn.* 32, 33-64; Tod & Rocchisani 1996, *J. Pharmacokinet. Biopharm.* 24,
363-389). With ``bayesian='maximin'`` the design maximises the worst-case D-efficiency
over the draws, :math:`\min_k (\det M(\xi; \beta_k) / \det M(\xi_k^*;
\beta_k))^{1/s}`, relative to the locally optimal design :math:`\xi_k^*` of each draw
(standardised maximin D-optimality, Dette 1997, *J. R. Statist. Soc. B* 59, 97-110;
Pronzato & Walter 1988, *Math. Biosci.* 89, 161-176; the local
optima come from :func:`~fisherstat.pkpd.local_optima`, see
:mod:`fisherstat.pkpd.robust`). The minimum is not smooth: it is replaced by the smooth
minimum :math:`-T\log\frac1K\sum_k e^{-a_k/T}` of the log-efficiencies :math:`a_k`
(which exceeds the minimum by at most :math:`T\log K`), optimised by the same searches
for the decreasing temperatures :data:`MAXIMIN_TEMPERATURES`, each stage starting from
the best design so far by the exact minimum; the first stage starts from the best of the
start design and the local optima :math:`\xi_k^*`. The returned design is the best one
found by the exact worst-case efficiency, never worse than the start.

Continuous variables are optimised by L-BFGS-B (or SLSQP with the spacing constraints
:math:`t_{j+1} - t_j \ge \delta`) from the start design and from random feasible starts,
with the gradient :math:`\partial U/\partial x = \sum_g N_g
\operatorname{tr}\{\nabla_M U\, \partial I^{(g)}/\partial x\}`, the derivative of the
group FIM taken by central differences (all perturbed designs of a group evaluated in one
batch). Discrete candidate times are chosen by a Fedorov-type exchange: each sample in
turn is replaced by the best admissible candidate (all candidates evaluated in one batch)
until a sweep brings no improvement. Every returned design is at least as good as its
start.

**Approximate designs over candidate sampling sequences with costs**
(:func:`cost_design`) are in :mod:`fisherstat.pkpd.cost`; the criteria are those of
:mod:`fisherstat.design` (:mod:`fisherstat.pkpd._criterion`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._figures import check_axes
from .._progress import progress_bar
from .._validation import as_float_array, check_bool, check_int, check_random_state
from ._criterion import CRITERIA, criterion_name, natural
from ._evaluator import BAYESIAN, Evaluator, draw_models, get_var
from ._optima import SPACE, LocalOptima, check_common
from ._search import continuous, exchange
from .cost import CostDesignResult, approximate_weights, cost_design
from .derived import derived_gradient
from .population import PopulationFIM, PopulationModel, as_groups
from .priors import prior_sample
from .sampling import candidate_sequences, check_start, sampling_windows
from .structural import Regimen

__all__ = [
    "BAYESIAN",
    "MAXIMIN_TEMPERATURES",
    "CRITERIA",
    "optimize_design",
    "OptimizationResult",
    "cost_design",
    "CostDesignResult",
    "candidate_sequences",
    "prior_sample",
    "derived_gradient",
    "local_optima",
    "LocalOptima",
]

_Evaluator = Evaluator  # the name the tests know

#: Temperatures of the smooth minimum of the maximin design's stages, in units of the
#: log-efficiency: the last one biases the worst case by at most 1e-3 log K (0.5% for 100
#: draws) before the exact minimum picks the design.
MAXIMIN_TEMPERATURES = (0.05, 0.01, 0.002, 0.001)


@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """An optimised population design with its FIM and the improvement over the start.

    Attributes
    ----------
    design : tuple of Group
        The optimised groups.
    start : tuple of Group
        The starting groups.
    fim, start_fim : PopulationFIM
        Population FIM (at the typical values) of both.
    criterion : str
        ``'D'``, ``'Ds'``, ``'A'`` or ``'c'`` (with ``'Bayesian ...'`` when a prior was
        given, ``'maximin ...'`` for a maximin design).
    value, start_value : float
        Criterion in its usual units (ln det for D/Ds, trace for A, variance for c; the
        prior combination for Bayesian designs; the worst-case efficiency over the draws
        for maximin designs).
    n_evaluations : int
        Number of group-FIM evaluations.
    seconds : float
    windows : tuple of ndarray
        The sampling windows used, per group (n_g, 2).
    model : PopulationModel
    """

    design: tuple
    start: tuple
    fim: PopulationFIM
    start_fim: PopulationFIM
    criterion: str
    value: float
    start_value: float
    n_evaluations: int
    seconds: float
    windows: tuple = field(repr=False, default=())
    model: PopulationModel = field(repr=False, default=None)

    @property
    def efficiency(self) -> float:
        """D-efficiency of the start relative to the optimum, ``(det M0 / det M)^(1/k)``."""
        return float(np.exp((self.start_fim.ofv - self.fim.ofv) / len(self.fim.param_names)))

    def summary(self) -> str:
        """Design table, criterion values and the RSE% table of the optimised design.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example, optimize_design
        >>> model, design = warfarin_example()
        >>> res = optimize_design(model, design, windows=(0.5, 120), n_starts=1)
        >>> print(res.summary())  # doctest: +ELLIPSIS
        Optimised design (criterion D, ...)
        ...
        """
        lines = [f"Optimised design (criterion {self.criterion}, {self.n_evaluations} group-FIM "
                 f"evaluations, {self.seconds:.3g} s)",
                 f"{'group':<7}{'size':>8}{'dose':>10}  sampling times"]
        for i, g in enumerate(self.design):
            lines.append(f"{g.name or i:<7}{g.size:>8.4g}{dose_str(g.dose):>10}  "
                         + ", ".join(f"{t:.4g}" for t in g.times))
        unit = {"D": "ln det", "Ds": "ln det (Schur)", "A": "trace of inverse",
                "c": "variance"}.get(self.criterion.split()[-1], "")
        if self.criterion.startswith("maximin"):
            unit = "worst-case efficiency"
        lines.append(f"criterion ({unit}): start {self.start_value:.6g} -> optimum "
                     f"{self.value:.6g}")
        lines.append(f"ln det FIM: start {self.start_fim.ofv:.4f} -> {self.fim.ofv:.4f} "
                     f"(D-efficiency of the start {self.efficiency:.4f})")
        lines.append(self.fim.summary())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, n_points: int = 400):
        """Typical prediction of each group with its sampling times (and windows).

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        n_points = check_int(n_points, "n_points", low=2)
        if check_axes(ax) is None:
            _, ax = plt.subplots(figsize=(7, 4))
        st = self.model.structural
        t_end = max(max(float(g.times.max()) for g in self.design),
                    max(float(w[:, 1].max()) for w in self.windows) if self.windows else 0.0)
        for i, g in enumerate(self.design):
            reg = st.check_dose(g.dose)
            t0 = float(reg.times[0]) if isinstance(reg, Regimen) and reg.tau is not None else 0.0
            end = t_end * 1.02
            grid = np.unique(np.concatenate([np.linspace(t0, end, n_points),
                                             t0 + np.geomspace(end * 1e-4, end - t0, n_points)]))
            line, = ax.plot(grid, st.predict(grid, self.model.beta, g.dose),
                            label=f"group {g.name or i} (dose {dose_str(g.dose)})")
            resp = st.check_response(g.response, g.n_samples)
            yv = st.predict(g.times, self.model.beta, g.dose, resp)
            ax.plot(g.times, yv, "o", color=line.get_color(), ms=7, mfc="white", mew=2)
            tu, counts = np.unique(np.round(g.times, 5), return_counts=True)
            for tk, ck in zip(tu, counts, strict=True):
                if ck > 1:  # replicated samples at one time
                    yk = st.predict([tk], self.model.beta, g.dose)[0]
                    ax.annotate(f"x{ck}", (tk, yk), textcoords="offset points",
                                xytext=(6, 6), color=line.get_color())
        for w in self.windows[:1]:
            for lo, hi in np.unique(w, axis=0):
                ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.set_xlabel("time")
        ax.set_ylabel(st.responses[0])
        ax.set_title(f"{self.criterion}-optimal sampling times")
        ax.legend()
        return ax


def _exchangeable(model, g) -> bool:
    """Whether the samples of a group can be reordered (sorted) without changing its
    information: one response and no occasions (otherwise each sample keeps its label)."""
    if getattr(g, "occasions", None) is not None:
        return False
    resp = model.structural.check_response(g.response, g.n_samples)
    return bool(np.all(resp == resp[0]))


def dose_str(dose) -> str:
    if dose is None:
        return "-"
    if isinstance(dose, Regimen):
        txt = f"{dose.amounts[0]:.4g}" + (f"x{dose.n_doses}" if dose.n_doses > 1 else "")
        if dose.durations[0] > 0:
            txt += f"/{dose.durations[0]:.3g}"
        return txt + (" ss" if dose.tau is not None else "")
    return f"{float(dose):.4g}"


def optimize_design(
    model: PopulationModel,
    design,
    *,
    criterion: str = "D",
    fim: str = "reduced",
    params: Sequence[str] | None = None,
    derived: str | Callable | None = None,
    windows=None,
    min_spacing: float = 0.0,
    candidates=None,
    dose_bounds: tuple | None = None,
    duration_bounds: tuple | None = None,
    optimize_sizes: bool = False,
    prior=None,
    prior_weights=None,
    bayesian: str = "ELD",
    reference: LocalOptima | None = None,
    n_starts: int = 3,
    rng=None,
    maxiter: int = 500,
    progress: bool = False,
) -> OptimizationResult:
    r"""Optimise the sampling times (and doses, group sizes) of a population design.

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The starting design; it must satisfy the windows and the spacing.
    criterion : {'D', 'Ds', 'A', 'c'}
        See the module documentation.
    fim : {'reduced', 'full'}
        The FO FIM variant.
    params : sequence of str
        Parameters of interest for ``'Ds'``.
    derived : {'AUC', 'Cmax'} or callable
        The derived quantity of ``'c'`` (see :func:`derived_gradient`; the first group's
        dose is used).
    windows : (low, high), or per group a pair or an (n_g, 2) array, optional
        Sampling windows (default: between the smallest and largest start time of each
        group).
    min_spacing : float
        Minimum distance between consecutive samples of a subject (samples then keep their
        order).
    candidates : array_like, optional
        Discrete allowed sampling times: a Fedorov-type exchange instead of continuous
        optimisation (start times must be candidates).
    dose_bounds : (low, high), optional
        Optimise each group's dose amount (every dose of its regimen) within these bounds
        (continuous mode).
    duration_bounds : (low, high), optional
        Optimise each group's infusion duration (models with ``route='infusion'``).
    optimize_sizes : bool
        Afterwards, reallocate the total number of subjects between the groups (the optimal
        approximate weights of the groups by :func:`fisherstat.design.optimal_design`, at
        the typical values; sizes are not rounded).
    prior, prior_weights : array_like (K, p), (K,), optional
        Draws of the fixed effects (e.g. :func:`prior_sample`) for a Bayesian design.
    bayesian : {'ELD', 'ED', 'maximin'}
        How the criterion is combined over the prior (module documentation):
        ``'maximin'`` maximises the worst-case D-efficiency over the draws (criterion
        ``'D'`` or ``'Ds'``, no ``prior_weights``, no ``optimize_sizes``).
    reference : LocalOptima, optional
        For ``'maximin'``: the locally optimal designs of the draws
        (:func:`~fisherstat.pkpd.local_optima` on the same prior, criterion and design
        space); computed here (with the same windows, spacing, candidates, dose bounds,
        ``n_starts``, ``rng`` and ``maxiter``) when not given.
    n_starts : int
        Local optimisations: from the start design and ``n_starts - 1`` random feasible
        designs (continuous mode).
    rng : None, int or Generator
        For the random starts (``None``: fresh entropy; pass a seed to reproduce them).
    maxiter : int
        Iterations per local optimisation (sweeps for the exchange).
    progress : bool, default False
        Show the steps on stderr (tqdm if installed, plain text otherwise) with the best
        utility so far (the maximised criterion, e.g. ln det for ``'D'``): each local
        optimisation and polish round (continuous mode) or each sample examined by the
        exchange (candidates); the result is the same as without.

    Returns
    -------
    OptimizationResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import warfarin_example, optimize_design
    >>> model, design = warfarin_example()
    >>> res = optimize_design(model, design, windows=(0.5, 120), min_spacing=0.25,
    ...                       n_starts=1)
    >>> bool(res.value >= res.start_value), bool(np.all(np.diff(res.design[0].times) >= 0.25))
    (True, True)

    A maximin design over three prior draws (``value``: its worst-case D-efficiency):

    >>> from fisherstat.pkpd import prior_sample
    >>> P = prior_sample(model, 0.3, 2, rng=0)
    >>> mm = optimize_design(model, design.replace(times=[0.5, 2, 24, 120]),
    ...                      windows=(0.5, 120), prior=P, bayesian="maximin", n_starts=1)
    >>> mm.criterion, bool(0.9 < mm.value <= 1.0)
    ('maximin D', True)
    """
    t0 = time.perf_counter()
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
    model._check_fim(fim)
    groups = as_groups(design)
    crit_name = criterion_name(criterion)
    if isinstance(min_spacing, bool) or not isinstance(
            min_spacing, (float, int, np.floating, np.integer)):
        raise TypeError(f"min_spacing must be a number >= 0, got {min_spacing!r}")
    spacing = float(min_spacing)
    if not np.isfinite(spacing) or spacing < 0:
        raise ValueError(f"min_spacing must be >= 0, got {min_spacing!r}")
    if not isinstance(optimize_sizes, (bool, np.bool_)):
        raise TypeError(f"optimize_sizes must be True or False, got {optimize_sizes!r}")
    n_starts = check_int(n_starts, "n_starts", low=1)
    maxiter = check_int(maxiter, "maxiter", low=1)
    rng = check_random_state(rng)
    progress = check_bool(progress, "progress")
    wins = sampling_windows(windows, groups)
    check_start(groups, wins, spacing)
    svars = []
    for kind, bounds, arg in (("dose", dose_bounds, "dose_bounds"),
                              ("duration", duration_bounds, "duration_bounds")):
        if bounds is None:
            continue
        b = as_float_array(bounds, arg, shape=(2,))
        if not 0 <= b[0] < b[1]:
            raise ValueError(f"{arg} must be (low, high) with 0 <= low < high, got "
                             f"{b.tolist()}")
        for i, g in enumerate(groups):
            a = get_var(g.dose, kind)
            if not b[0] <= a <= b[1]:
                raise ValueError(f"design: the {kind} {a:g} of group {i} lies outside {arg} "
                                 f"{b.tolist()}")
        svars.append((kind, float(b[0]), float(b[1])))
    if not isinstance(bayesian, str) or bayesian not in BAYESIAN:
        raise ValueError(f"bayesian must be one of {BAYESIAN}, got {bayesian!r}")
    maximin = bayesian == "maximin" and prior is not None
    if reference is not None and not maximin:
        raise TypeError("reference is only used with bayesian='maximin' and a prior")
    ref_u = None
    if maximin:
        if prior_weights is not None:
            raise ValueError("prior_weights: bayesian='maximin' takes the minimum over the "
                             "draws and uses no weights; pass prior_weights=None")
        if optimize_sizes:
            raise ValueError("optimize_sizes: not available with bayesian='maximin' (the "
                             "sizes are reallocated at the typical values only)")
        if crit_name not in ("D", "Ds"):
            raise ValueError(f"bayesian='maximin' needs criterion 'D' or 'Ds' "
                             f"(D-efficiencies), got {criterion!r}")
        if reference is None:
            reference = local_optima(
                model, groups, prior, criterion=crit_name, fim=fim, params=params, rng=rng,
                windows=windows, min_spacing=min_spacing, candidates=candidates,
                dose_bounds=dose_bounds, duration_bounds=duration_bounds, n_starts=n_starts,
                maxiter=maxiter)
        elif not isinstance(reference, LocalOptima):
            raise TypeError(f"reference must be a LocalOptima (from local_optima), got "
                            f"{type(reference).__name__}")
        reference._check(prior, crit_name, fim, params)
        ref_u = reference.utilities
    ev = Evaluator(model, groups, fim, crit_name, params, derived, prior, prior_weights,
                    bayesian, ref_u)
    times0 = [g.times.copy() for g in groups]
    doses0 = [g.dose for g in groups]
    u0 = ev.utility(times0, doses0)
    if not np.isfinite(u0):
        raise ValueError("design: the criterion is not finite at the start design (singular "
                         "FIM); start from a design that identifies the parameters")

    if candidates is not None and svars:
        raise ValueError("dose_bounds and duration_bounds are for continuous "
                         "optimisation; with candidates, give each group its dose")
    bar = progress_bar(progress, f"optimize_design ({crit_name}, "
                       f"{'exchange' if candidates is not None else 'continuous'})",
                       unit="step")

    def search(ts, ds, n_st):
        if candidates is not None:
            tx, ux = exchange(ev, ts, ds, wins, spacing, candidates, maxiter, bar)
            return tx, ds, ux
        return continuous(ev, ts, ds, wins, spacing, svars, n_st, rng, maxiter, bar)

    try:
        if maximin:
            times, doses, u = _maximin_search(ev, search, times0, doses0, u0, reference,
                                              wins, spacing, n_starts)
        else:
            times, doses, u = search(times0, doses0, n_starts)
    finally:
        if bar is not None:
            bar.close()
    if u < u0:  # never return a worse design than the start
        times, doses, u = times0, doses0, u0
    times = [np.sort(t) if spacing == 0 and np.all(w == w[0]) and _exchangeable(model, g)
             else t for t, w, g in zip(times, wins, groups, strict=True)]
    new = [g.replace(times=t, dose=d) for g, t, d in zip(groups, times, doses, strict=True)]
    if optimize_sizes and len(new) > 1:
        new = _optimize_sizes(model, new, fim, crit_name, params, ev)
        ev_new = Evaluator(model, tuple(new), fim, crit_name, params, derived, prior,
                            prior_weights, bayesian)
        u = ev_new.utility([g.times for g in new], [g.dose for g in new])
        ev.n_evals += ev_new.n_evals
    crit = ev.crits[0]
    label = crit_name if prior is None else f"Bayesian ({bayesian}) {crit_name}"
    if maximin:
        label, value, start_value = f"maximin {crit_name}", np.exp(u), np.exp(u0)
    elif prior is not None and bayesian == "ED":
        value, start_value = u, u0
    else:
        value, start_value = natural(crit, u), natural(crit, u0)
    return OptimizationResult(
        design=tuple(new), start=groups, fim=model.fim(new, fim=fim),
        start_fim=model.fim(groups, fim=fim), criterion=label,
        value=float(value), start_value=float(start_value),
        n_evaluations=ev.n_evals, seconds=time.perf_counter() - t0, windows=tuple(wins),
        model=model)


def _maximin_search(ev, search, times0, doses0, u0, reference, wins, spacing, n_starts):
    """Stages of the smooth-minimum search (module documentation); exact utilities out."""
    ev.temperature = 0.0
    best = (times0, doses0, u0)
    for dsg in reference.designs:  # the local optima as starts, where admissible
        if len(dsg) != len(times0) or any(g.times.size != t.size
                                          for g, t in zip(dsg, times0, strict=True)):
            continue
        try:
            check_start(dsg, wins, spacing)
        except ValueError:
            continue
        cand = ([g.times.copy() for g in dsg], [g.dose for g in dsg])
        u = ev.utility(*cand)
        if u > best[2]:
            best = (*cand, u)
    for i, temp in enumerate(MAXIMIN_TEMPERATURES):
        ev.temperature = temp
        try:
            tl, dl, _ = search([t.copy() for t in best[0]], best[1], n_starts if i == 0 else 1)
        finally:
            ev.temperature = 0.0
        u = ev.utility(tl, dl)
        if u > best[2]:
            best = (tl, dl, u)
    return best


def _optimize_sizes(model, groups, fim, crit_name, params, ev):
    """Groups with the total size reallocated by the optimal approximate weights."""
    mus = np.array([ev.group_fims(model, g, g.times[None, :], g.dose)[0] for g in groups])
    total = sum(g.size for g in groups)
    w, _ = approximate_weights(model, mus, crit_name, params, ev.cvecs[0], "rex", 1e-9)
    return [g.replace(size=total * wi) for g, wi in zip(groups, w, strict=True) if wi > 0]


def local_optima(model: PopulationModel, design, prior, *, criterion: str = "D",
                 fim: str = "reduced", params: Sequence[str] | None = None, rng=None,
                 **options) -> LocalOptima:
    """The locally optimal design at each prior draw, by :func:`optimize_design`.

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The start design of every local optimisation (it fixes the groups, their sizes and
        numbers of samples).
    prior : array_like, shape (K, p)
        Draws of the fixed effects.
    criterion : {'D', 'Ds'}
    fim : {'reduced', 'full'}
    params : sequence of str
        Parameters of interest for ``'Ds'``.
    rng : None, int or Generator
        For the random starts (one generator used for the draws in turn).
    **options
        The design space and the search, as in :func:`optimize_design`: ``windows``,
        ``min_spacing``, ``candidates``, ``dose_bounds``, ``duration_bounds``,
        ``n_starts``, ``maxiter``.

    Returns
    -------
    LocalOptima

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example, prior_sample, local_optima
    >>> model, design = warfarin_example()
    >>> design = design.replace(times=[0.5, 2, 24, 120])
    >>> ref = local_optima(model, design, prior_sample(model, 0.3, 2, rng=0),
    ...                    windows=(0.5, 120), n_starts=1)
    >>> ref.utilities.shape, len(ref.designs)
    ((2,), 2)
    """
    bad = sorted(set(options) - set(SPACE))
    if bad:
        raise TypeError(f"local_optima: unknown options {bad}; expected some of {SPACE}")
    crit, groups, P = check_common(model, design, prior, criterion, fim)
    rng = check_random_state(rng)
    vals, designs = [], []
    for m in draw_models(model, P):
        res = optimize_design(m, groups, criterion=crit, fim=fim, params=params, rng=rng,
                              **options)
        vals.append(res.value)
        designs.append(res.design)
    P = P.copy()
    P.flags.writeable = False
    u = np.array(vals)
    u.flags.writeable = False
    return LocalOptima(P, u, tuple(designs), crit, fim,
                       None if params is None else tuple(np.atleast_1d(params)))
