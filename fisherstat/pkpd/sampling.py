r"""Sampling schedules: windows, feasible random times, grids and candidate sequences.

The design variables of a population study are the sampling times of each group. This
module checks them against their windows and the minimum spacing, draws random feasible
schedules (random starts), builds grids over the windows (exchange steps), and lists the
candidate sequences of :func:`~fisherstat.pkpd.cost_design`.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import as_float_array, check_in_interval, check_int, check_scalar
from .population import Group
from .structural import Regimen, as_regimen

__all__ = ["candidate_sequences", "sampling_windows", "check_start", "random_feasible",
           "window_grid", "respace"]


def candidate_sequences(grid, n_samples, dose=None, *, min_spacing: float = 0.0,
                        response=None, max_sequences: int = 200_000) -> list:
    """All sampling sequences of ``k`` times from a grid, for each ``k`` in ``n_samples``.

    Parameters
    ----------
    grid : array_like
        Allowed sampling times.
    n_samples : int or sequence of int
        Sequence lengths.
    dose : float or Regimen, optional
        The dose of every sequence.
    min_spacing : float
        Keep only sequences whose consecutive times differ by at least this.
    response : optional
        Passed to each :class:`Group`.
    max_sequences : int
        Refuse to build more than this many.

    Returns
    -------
    list of Group
        One group (size 1) per sequence.

    Examples
    --------
    >>> from fisherstat.pkpd import candidate_sequences
    >>> len(candidate_sequences([1, 2, 4, 8, 24], [2, 3], dose=70))  # C(5,2) + C(5,3)
    20
    """
    g = np.unique(as_float_array(grid, "grid", ndim=1))
    check_in_interval(g, "grid", low=0, low_open=False)
    if isinstance(n_samples, (int, np.integer)) and not isinstance(n_samples, bool):
        ks = [n_samples]
    elif isinstance(n_samples, (list, tuple, np.ndarray)) and len(n_samples):
        ks = list(n_samples)
    else:
        raise TypeError(f"n_samples must be an int or a non-empty sequence of ints, got "
                        f"{n_samples!r}")
    min_spacing = check_scalar(min_spacing, "min_spacing", low=0, low_open=False)
    max_sequences = check_int(max_sequences, "max_sequences", low=1)
    if dose is not None and not isinstance(dose, Regimen):
        as_regimen(dose)  # a number: checked here, not once per sequence
    total = 0
    for k in ks:
        k = check_int(k, "n_samples", low=1, high=g.size)
        total += int(np.prod(np.arange(g.size - k + 1, g.size + 1)) //
                     np.prod(np.arange(1, k + 1)))
    if total > max_sequences:
        raise ValueError(f"{total} sequences exceed max_sequences = {max_sequences}; use a "
                         "coarser grid")
    out = []
    for k in ks:
        for comb in itertools.combinations(g, int(k)):
            c = np.array(comb)
            if min_spacing > 0 and c.size > 1 and np.min(np.diff(c)) < min_spacing:
                continue
            out.append(Group(c, 1, dose, response))
    return out


def sampling_windows(windows, groups) -> list:
    """Per-group (n_g, 2) arrays of sampling windows."""
    out = []
    if windows is None:
        for g in groups:
            out.append(np.tile([g.times.min(), g.times.max()], (g.n_samples, 1)))
        return out
    arr = None
    try:
        arr = np.asarray(windows, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.shape == (2,):
        out = [np.tile(arr, (g.n_samples, 1)) for g in groups]
    else:
        seq = list(windows)
        if len(seq) != len(groups):
            raise ValueError(f"windows must be a (low, high) pair, or one entry per group "
                             f"({len(groups)}), got {len(seq)} entries")
        for i, (w, g) in enumerate(zip(seq, groups, strict=True)):
            a = as_float_array(w, f"windows[{i}]", ndim=(1, 2))
            if a.shape == (2,):
                a = np.tile(a, (g.n_samples, 1))
            if a.shape != (g.n_samples, 2):
                raise ValueError(f"windows[{i}] must be a (low, high) pair or have shape "
                                 f"({g.n_samples}, 2), got {a.shape}")
            out.append(a)
    for i, w in enumerate(out):
        if not np.all(np.isfinite(w)) or np.any(w[:, 0] < 0) or np.any(w[:, 0] > w[:, 1]):
            raise ValueError(f"windows of group {i} must be finite intervals (low, high) with "
                             f"0 <= low <= high, got {w.tolist()}")
    return out


def check_start(groups, wins, spacing):
    for i, (g, w) in enumerate(zip(groups, wins, strict=True)):
        t = g.times
        bad = np.flatnonzero((t < w[:, 0] - 1e-12) | (t > w[:, 1] + 1e-12))
        if bad.size:
            j = int(bad[0])
            raise ValueError(f"design: time {t[j]:g} of group {i} (sample {j}) lies outside its "
                             f"window [{w[j, 0]:g}, {w[j, 1]:g}]")
        if spacing > 0 and t.size > 1 and np.any(np.diff(t) < spacing - 1e-12):
            raise ValueError(f"design: group {i} times {t.tolist()} must be increasing with "
                             f"spacing >= min_spacing = {spacing:g}")


def random_feasible(w, spacing, rng, tries=200):
    """Sorted random times within windows ``w`` (n, 2) with the minimum spacing."""
    n = w.shape[0]
    for _ in range(tries):
        t = np.sort(rng.uniform(w[:, 0], w[:, 1]))
        if spacing > 0:
            for j in range(1, n):
                t[j] = max(t[j], t[j - 1] + spacing)
            for j in range(n - 2, -1, -1):
                t[j] = min(t[j], t[j + 1] - spacing)
        if np.all(t >= w[:, 0] - 1e-12) and np.all(t <= w[:, 1] + 1e-12):
            return np.clip(t, w[:, 0], w[:, 1])
    raise ValueError("windows and min_spacing leave no feasible sampling times")


def window_grid(w, n: int = 48) -> list:
    """Per-sample grids over the windows (n, 2): linear and log-spaced points."""
    out = []
    for lo, hi in w:
        pts = np.linspace(lo, hi, n)
        if lo > 0:
            pts = np.concatenate([pts, np.geomspace(lo, hi, n)])
        out.append(np.unique(pts))
    return out


def respace(t, w, spacing):
    """Times made increasing with gaps >= spacing within their windows (None if impossible)."""
    t = np.array(t, dtype=float)
    for j in range(1, t.size):
        t[j] = max(t[j], t[j - 1] + spacing)
    if np.any(t > w[:, 1] + 1e-9 * max(1.0, w[:, 1].max())):
        return None
    return np.minimum(t, w[:, 1])
