r"""Sampling windows around a design, and the efficiency a windowed design keeps.

A clinic cannot sample at 0.7735 h: an optimal design is carried out within *sampling
windows* :math:`[l_j, u_j]` around its times. If each subject's samples fall anywhere in
their windows (modelled as independent uniform times, PopED's and PkStaMp's convention:
Foracchia et al. 2004, *Comput. Methods Programs Biomed.* 74, 29-46; Nyberg et al. 2012,
*Comput. Methods Programs Biomed.* 108, 789-805), the information of a group
of :math:`N_g` subjects is, by the additivity of the (FO) information over independent
subjects and the law of large numbers,

.. math::

    M_{\mathrm{win}} = \sum_g N_g\, \mathbb E_{t \sim U(\text{windows}_g)}
    \big[ I^{(g)}(t) \big],

estimated by the mean over ``n_draws`` Monte Carlo schedules (with the standard error of
each entry). Its D-efficiency relative to the design itself is

.. math::

    \mathrm{eff}_D = \Big(\frac{\det M_{\mathrm{win}}}{\det M^*}\Big)^{1/k},

(:math:`\mathrm{eff}_{D_s}` with the exponent :math:`1/s` of the parameters of interest,
:math:`\mathrm{eff}_A = \operatorname{tr} M^{*-1} / \operatorname{tr} M_{\mathrm{win}}^{-1}`),
the fraction of subjects the windowed study is worth. The efficiency of a study whose
subjects *all* share one schedule drawn in the windows is also reported (its mean and
quantiles over the draws): the worst case of a site that samples everyone at the same
clock times.

:func:`window_efficiency` evaluates given windows; :func:`largest_windows` finds the widest
symmetric windows (relative, :math:`t_j(1 \pm h)`, or absolute, :math:`t_j \pm h`) whose
efficiency is still at least a target, with common random numbers across widths so that
the efficiency is a smooth function of :math:`h`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_bool, check_int, check_random_state, check_scalar
from ._criterion import check_model, criterion_name, population_criterion, utilities
from .population import as_groups
from .sampling import sampling_windows

__all__ = ["WindowEfficiency", "window_efficiency", "largest_windows", "symmetric_windows"]


@dataclass(frozen=True, eq=False)
class WindowEfficiency:
    """The efficiency of a design carried out within sampling windows.

    Attributes
    ----------
    efficiency : float
        Efficiency of the windowed design (independent uniform times per subject)
        relative to the design itself.
    efficiency_se : float
        Its Monte Carlo standard error (delta method on the mean information).
    shared_efficiency : ndarray, shape (n_draws,)
        Efficiency of each drawn schedule given to all the subjects of each group.
    windows : tuple of ndarray
        Per group, the (n_g, 2) windows.
    matrix, stderr : ndarray, shape (k, k)
        Mean information of the windowed study and its entrywise Monte Carlo standard
        error.
    criterion : str
    half_width : float or None
        The ``h`` of :func:`largest_windows` (``None`` for given windows).
    relative : bool or None
        Whether ``half_width`` is relative to the times.
    """

    efficiency: float
    efficiency_se: float
    shared_efficiency: np.ndarray = field(repr=False)
    windows: tuple = field(repr=False)
    matrix: np.ndarray = field(repr=False)
    stderr: np.ndarray = field(repr=False)
    criterion: str = "D"
    half_width: float | None = None
    relative: bool | None = None

    def summary(self) -> str:
        """Efficiency, its standard error, the shared-schedule quantiles and the windows.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example, window_efficiency
        >>> model, design = warfarin_example()
        >>> r = window_efficiency(model, design, [[(0.4, 0.6), (0.9, 1.1), (1.8, 2.2),
        ...     (5, 7), (20, 28), (30, 42), (60, 84), (100, 140)]], n_draws=200, rng=0)
        >>> print(r.summary())  # doctest: +ELLIPSIS
        Windowed design: D-efficiency 0.99... (Monte Carlo SE ...; 200 schedules)
        one schedule shared by all subjects: mean 0.99..., 5% quantile 0.9..., median ...
        group 0 windows: [0.4, 0.6], [0.9, 1.1], [1.8, 2.2], [5, 7], [20, 28], ...
        """
        q = np.quantile(self.shared_efficiency, [0.05, 0.5])
        head = (f"Windowed design: {self.criterion}-efficiency {self.efficiency:.4f} (Monte "
                f"Carlo SE {self.efficiency_se:.2g}; {self.shared_efficiency.size} schedules)")
        if self.half_width is not None:
            kind = "relative" if self.relative else "absolute"
            head += f"\nhalf-width {self.half_width:.4g} ({kind})"
        lines = [head, f"one schedule shared by all subjects: mean "
                 f"{self.shared_efficiency.mean():.4f}, 5% quantile {q[0]:.4f}, median "
                 f"{q[1]:.4f}"]
        for i, w in enumerate(self.windows):
            lines.append(f"group {i} windows: " + ", ".join(f"[{lo:.4g}, {hi:.4g}]"
                                                           for lo, hi in w))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def symmetric_windows(design, half_width, *, relative: bool = True) -> list:
    """Per-group (n_g, 2) windows ``t (1 -+ h)`` (relative) or ``t -+ h``, clipped at 0.

    Examples
    --------
    >>> from fisherstat.pkpd import Group, symmetric_windows
    >>> symmetric_windows([Group([1.0, 10.0], 4, dose=70)], 0.1)[0]
    array([[ 0.9,  1.1],
           [ 9. , 11. ]])
    """
    groups = as_groups(design)
    h = check_scalar(half_width, "half_width", low=0, low_open=False)
    relative = check_bool(relative, "relative")
    out = []
    for g in groups:
        d = h * g.times if relative else np.full(g.n_samples, h)
        out.append(np.column_stack([np.maximum(g.times - d, 0.0), g.times + d]))
    return out


class _Windowed:
    """Criterion utilities of a design and of schedules drawn in windows (shared CRN)."""

    def __init__(self, model, design, criterion, fim, params, n_draws, rng):
        check_model(model)
        self.model, self.groups = model, as_groups(design)
        self.fim = fim
        model._check_fim(fim)
        name = criterion_name(criterion)
        if name == "c":
            raise ValueError("criterion must be 'D', 'Ds' or 'A' for window efficiencies, "
                             "got 'c'")
        self.name = name
        self.names = model.estimated_names
        self.crit = population_criterion(name, self.names, params)
        self.s = len(self.crit.params) if name == "Ds" else len(self.names)
        self.checked = [model._check_group(g) for g in self.groups]
        self.n_draws = check_int(n_draws, "n_draws", low=2)
        rng = check_random_state(rng)
        self.U = [rng.random((self.n_draws, g.n_samples)) for g in self.groups]
        self.M_opt = self._fims([g.times[None, :] for g in self.groups])[0][0]
        self.u_opt = self._utility(self.M_opt[None])[0]
        if not np.isfinite(self.u_opt):
            raise ValueError("design: its information is singular for the criterion; a "
                             "design with a finite criterion is needed")

    def _fims(self, times):
        """Study FIM (B, k, k) for a batch of schedules per group, and the per-group
        per-subject FIMs."""
        est = self.model.estimated
        total, parts = 0.0, []
        for g, t, chk in zip(self.groups, times, self.checked, strict=True):
            (Mb, ok), _ = self.model._group_fim(g, self.fim, times=t, checked=chk)
            if not np.all(ok):
                raise ValueError("windows: the information of a drawn schedule could not be "
                                 "evaluated; narrow the windows")
            Mb = Mb[:, est][:, :, est]
            parts.append(Mb)
            total = total + g.size * Mb
        return total, parts

    def _utility(self, Ms):
        return utilities(self.crit, Ms, self.names)

    def efficiency_of(self, u):
        if self.name == "A":  # utilities are -trace(M^-1)
            return self.u_opt / u
        return np.exp((u - self.u_opt) / self.s)

    def evaluate(self, wins, half_width=None, relative=None) -> WindowEfficiency:
        times = [lo + U * (hi - lo) for U, (lo, hi) in
                 zip(self.U, ((w[:, 0], w[:, 1]) for w in wins), strict=True)]
        shared, parts = self._fims(times)
        n = self.n_draws
        mean = shared.mean(axis=0)  # = sum_g N_g mean_r M_g(t_r)
        # entries of the mean over independent draws: SE of each group's mean, combined
        var = sum((g.size ** 2) * P.var(axis=0, ddof=1) / n
                  for g, P in zip(self.groups, parts, strict=True))
        u = self._utility(mean[None])[0]
        eff = float(self.efficiency_of(u))
        # delta method on the mean of the iid per-draw study FIMs T_r = sum_g N_g M_g(t_r)
        # (whose mean is ``mean``): var(eff) ~ var(d eff/du * <grad u, T_r>) / n, with
        # d eff/du = eff/s (D, Ds: eff = exp((u - u*)/s)) or -eff/u (A: eff = u*/u)
        if np.isfinite(u):
            du = self.crit.derivative(mean, shared - mean, self.names)
            du = du if self.crit.larger_is_better else -du
            slope = -eff / u if self.name == "A" else eff / self.s
            se = float(abs(slope) * np.std(du, ddof=1) / np.sqrt(n))
        else:
            se = np.nan
        shared_eff = self.efficiency_of(self._utility(shared))
        return WindowEfficiency(eff, se, np.asarray(shared_eff, dtype=float), tuple(wins), mean,
                                np.sqrt(var), self.name, half_width, relative)


def window_efficiency(model, design, windows, *, criterion: str = "D", fim: str = "reduced",
                      params=None, n_draws: int = 1000, rng=None) -> WindowEfficiency:
    r"""The efficiency kept by a population design carried out within sampling windows.

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The design (e.g. ``optimize_design(...).design``); its times must lie in their
        windows.
    windows : (low, high), or per group a pair or an (n_g, 2) array
        As in :func:`~fisherstat.pkpd.optimize_design`; see also
        :func:`symmetric_windows`.
    criterion : {'D', 'Ds', 'A'}
    fim : {'reduced', 'full'}
    params : sequence of str, optional
        Parameters of interest of ``'Ds'``.
    n_draws : int
        Monte Carlo schedules (``>= 2``).
    rng : None, int or Generator

    Returns
    -------
    WindowEfficiency

    Notes
    -----
    See the module documentation: the efficiency of :math:`\sum_g N_g E[I^{(g)}(t)]`
    with independent uniform times in the windows, its Monte Carlo standard error by the
    delta method, and the efficiencies of single shared schedules.

    Examples
    --------
    >>> from fisherstat.pkpd import symmetric_windows, warfarin_example, window_efficiency
    >>> model, design = warfarin_example()
    >>> r = window_efficiency(model, design, symmetric_windows(design, 0.0), n_draws=10, rng=0)
    >>> round(r.efficiency, 12)  # zero-width windows: the design itself
    1.0
    """
    ev = _Windowed(model, design, criterion, fim, params, n_draws, rng)
    wins = sampling_windows(windows, ev.groups)
    for i, (g, w) in enumerate(zip(ev.groups, wins, strict=True)):
        bad = np.flatnonzero((g.times < w[:, 0]) | (g.times > w[:, 1]))
        if bad.size:
            j = int(bad[0])
            raise ValueError(f"windows: time {g.times[j]:g} of group {i} (sample {j}) must "
                             f"lie within its window [{w[j, 0]:g}, {w[j, 1]:g}]")
    return ev.evaluate(wins)


def largest_windows(model, design, efficiency: float = 0.95, *, relative: bool = True,
                    max_half_width: float | None = None, criterion: str = "D",
                    fim: str = "reduced", params=None, n_draws: int = 1000,
                    rng=None, n_grid: int = 24, tol: float = 1e-3) -> WindowEfficiency:
    r"""The widest symmetric sampling windows that keep at least ``efficiency``.

    Windows ``t_j (1 -+ h)`` (``relative=True``) or ``t_j -+ h`` (clipped at 0) with the
    largest half-width ``h`` such that the windowed design's efficiency
    (:func:`window_efficiency`) is at least ``efficiency`` for every width up to ``h``:
    a grid of ``n_grid`` widths in ``(0, max_half_width]``, then bisection to ``tol``
    (relative to ``max_half_width``) in the first interval where it falls below, with the
    same uniform draws at every width (common random numbers).

    Parameters
    ----------
    model, design, criterion, fim, params, n_draws, rng
        As in :func:`window_efficiency`.
    efficiency : float
        Target efficiency, in (0, 1).
    relative : bool
        Relative (``h`` a fraction of each time) or absolute (``h`` in time units) widths.
    max_half_width : float, optional
        Largest ``h`` examined (default 1 for relative windows, the largest sampling time
        for absolute ones).
    n_grid : int
    tol : float

    Returns
    -------
    WindowEfficiency
        With ``half_width`` the ``h`` found (``max_half_width`` if the efficiency never
        falls below the target).

    Examples
    --------
    The D-optimal warfarin design (samples at 0.5, ~7.1 h (six) and 120 h) keeps 95% of
    its information with windows of about +-94% of each time, as a windowed design;
    a single schedule drawn in them and shared by everyone can lose much more:

    >>> from fisherstat.pkpd import largest_windows, optimize_design, warfarin_example
    >>> model, design = warfarin_example()
    >>> opt = optimize_design(model, design, windows=(0.5, 120), n_starts=1, rng=0)
    >>> r = largest_windows(model, opt.design, 0.95, n_draws=200, rng=0)
    >>> bool(0.5 < r.half_width < 1.0), bool(0.95 <= r.efficiency < 0.96)
    (True, True)
    >>> bool(r.shared_efficiency.min() < 0.8)
    True
    """
    efficiency = check_scalar(efficiency, "efficiency", low=0, high=1, high_open=True)
    relative = check_bool(relative, "relative")
    n_grid = check_int(n_grid, "n_grid", low=1)
    tol = check_scalar(tol, "tol", low=0, high=1)
    ev = _Windowed(model, design, criterion, fim, params, n_draws, rng)
    if max_half_width is None:
        max_half_width = 1.0 if relative else max(float(g.times.max()) for g in ev.groups)
    hmax = check_scalar(max_half_width, "max_half_width", low=0)

    def at(h):
        return ev.evaluate(symmetric_windows(ev.groups, h, relative=relative), h, relative)

    lo, best = 0.0, None
    for h in np.linspace(hmax / n_grid, hmax, n_grid):
        r = at(h)
        if not r.efficiency >= efficiency:
            hi = h
            break
        lo, best = h, r
    else:
        return best
    while hi - lo > tol * hmax:
        mid = 0.5 * (lo + hi)
        r = at(mid)
        if r.efficiency >= efficiency:
            lo, best = mid, r
        else:
            hi = mid
    return best if best is not None else at(lo)
