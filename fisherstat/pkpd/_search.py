r"""The optimisers of :func:`~fisherstat.pkpd.optimize_design`.

Continuous sampling times (and doses): L-BFGS-B, or SLSQP with the spacing constraints,
from several starts, then a global polish by exchange over window grids. Discrete
candidate times: a Fedorov-type exchange, one sample at a time, all candidates of a sample
evaluated in one batch.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .._validation import as_float_array
from ._criterion import utilities
from ._evaluator import get_var, set_vars
from .sampling import random_feasible, respace, window_grid

__all__ = ["continuous", "exchange", "exchange_core"]


def _show(bar, what: str, u: float) -> None:
    """One step on the progress bar (``bar`` None: progress is off)."""
    if bar is not None:
        bar.update(1, f"{what}, utility {u:.8g}")


def continuous(ev, times0, doses0, wins, spacing, svars, n_starts, rng, maxiter, bar=None):
    sizes = [t.size for t in times0]
    kinds = tuple(k for k, _, _ in svars)
    G = len(doses0)
    lo = np.concatenate([w[:, 0] for w in wins] + [np.full(G, a) for _, a, _ in svars])
    hi = np.concatenate([w[:, 1] for w in wins] + [np.full(G, b) for _, _, b in svars])
    span = np.where(hi > lo, hi - lo, 1.0)
    free = hi > lo

    def unpack(x):
        v = lo + span * x
        v = np.where(free, v, lo)
        out, k = [], 0
        for n in sizes:
            out.append(v[k:k + n])
            k += n
        vals = v[k:].reshape(len(kinds), G) if kinds else np.zeros((0, G))
        doses = [set_vars(d, kinds, vals[:, i]) for i, d in enumerate(doses0)]
        return out, doses

    def fun(x):
        tl, dl = unpack(x)
        try:
            u, g = ev.value_and_gradient(tl, dl, kinds)
        except ValueError:
            return 1e10, np.zeros_like(x)
        if not np.isfinite(u):
            return 1e10, np.zeros_like(x)
        return -u, -g * span * free

    cons = []
    if spacing > 0:
        rows = []
        k = 0
        nvar = lo.size
        for n in sizes:
            for j in range(n - 1):
                r = np.zeros(nvar)
                r[k + j + 1], r[k + j] = span[k + j + 1], -span[k + j]
                rows.append((r, lo[k + j + 1] - lo[k + j] - spacing))
            k += n
        if rows:
            A = np.array([r for r, _ in rows])
            b = np.array([c for _, c in rows])
            cons = [{"type": "ineq", "fun": lambda x, A=A, b=b: A @ x + b,
                     "jac": lambda x, A=A: A}]
    def pack(tl, dl):
        parts = [(t - w[:, 0]) for t, w in zip(tl, wins, strict=True)]
        parts += [np.array([get_var(d, k) for d in dl]) - a for k, a, _ in svars]
        return np.concatenate(parts) / span

    x_start = [pack(times0, doses0)]
    for _ in range(n_starts - 1):
        tl = [random_feasible(w, spacing, rng) for w in wins]
        parts = [(t - w[:, 0]) for t, w in zip(tl, wins, strict=True)]
        parts += [rng.uniform(a, b, G) - a for _, a, b in svars]
        x_start.append(np.concatenate(parts) / span)
    bounds = list(zip(np.zeros(lo.size), np.where(free, 1.0, 0.0), strict=True))

    def local(xs):
        xs = np.clip(xs, 0.0, 1.0)
        if cons:
            res = optimize.minimize(fun, xs, jac=True, method="SLSQP", bounds=bounds,
                                    constraints=cons, options={"maxiter": maxiter,
                                                               "ftol": 1e-12})
        else:
            res = optimize.minimize(fun, xs, jac=True, method="L-BFGS-B", bounds=bounds,
                                    options={"maxiter": maxiter, "ftol": 1e-14,
                                             "gtol": 1e-10})
        x = np.clip(res.x, 0.0, 1.0)
        tl, dl = unpack(x)
        if cons:  # enforce the spacing exactly (SLSQP may violate it by rounding)
            tl = [respace(t, w, spacing) for t, w in zip(tl, wins, strict=True)]
            if any(t is None for t in tl):
                return None
        return tl, dl, ev.utility(tl, dl)

    best = None
    for i, xs in enumerate(x_start):
        r = local(xs)
        if r is not None and (best is None or r[2] > best[2]):
            best = r
        _show(bar, f"start {i + 1}/{len(x_start)}", -np.inf if best is None else best[2])
    if best is None:
        return times0, doses0, -np.inf
    # global polish: exchange samples over a grid of each window, then refine locally
    grids = [window_grid(w) for w in wins]
    for k in range(10):
        tl, dl, u = best
        tx, ux = exchange_core(ev, [t.copy() for t in tl], dl, wins, spacing, grids, 3)
        if not ux > u + 1e-10 * max(1.0, abs(u)):
            _show(bar, f"polish {k + 1}: no gain", u)
            break
        r = local(pack(tx, dl))
        best = r if r is not None and r[2] >= ux else (tx, dl, ux)
        _show(bar, f"polish {k + 1}", best[2])
    tl, dl, u = best
    return [np.asarray(t, dtype=float) for t in tl], dl, u


def exchange(ev, times0, doses0, wins, spacing, candidates, maxiter, bar=None):
    cand = np.unique(as_float_array(candidates, "candidates", ndim=1))
    if np.any(cand < 0):
        raise ValueError("candidates must be >= 0")
    for i, t in enumerate(times0):
        miss = ~np.isin(t, cand)
        if miss.any():
            raise ValueError(f"design: time {t[miss][0]:g} of group {i} is not among the "
                             "candidates")
    grids = [[cand[(cand >= lo) & (cand <= hi)] for lo, hi in w] for w in wins]
    return exchange_core(ev, [t.copy() for t in times0], doses0, wins, spacing, grids,
                         maxiter, bar)


def exchange_core(ev, times, doses, wins, spacing, grids, sweeps, bar=None):
    """Replace samples one at a time by the best admissible grid value until no gain.

    ``bar`` (a :class:`~fisherstat._progress.Progress` or None) advances by one per sample.
    """
    u = ev.utility(times, doses)
    for sweep in range(sweeps):
        improved = False
        for gi, g in enumerate(ev.groups):
            for j in range(times[gi].size):
                t = times[gi]
                cand = grids[gi][j]
                ok = cand != t[j]
                if spacing > 0:
                    others = np.delete(t, j)
                    ok &= np.all(np.abs(cand[:, None] - others[None, :]) >= spacing - 1e-12,
                                 axis=1)
                    if others.size:  # the sample keeps its rank (windows are per rank)
                        lo = others[j - 1] if j > 0 else -np.inf
                        hi = others[j] if j < others.size else np.inf
                        ok &= (cand > lo) & (cand < hi)
                cs = cand[ok]
                if bar is not None:
                    bar.update(1, f"sweep {sweep + 1}, utility {u:.8g}")
                if cs.size == 0:
                    continue
                batch = np.repeat(t[None, :], cs.size, axis=0)
                batch[:, j] = cs
                Uk = []
                for m, c in zip(ev.models, ev.crits, strict=True):
                    rest = 0.0
                    for hi_, (h, th, dh) in enumerate(zip(ev.groups, times, doses,
                                                          strict=True)):
                        if hi_ != gi:
                            rest = rest + h.size * ev.group_fims(m, h, th[None, :], dh)[0]
                    Mb = rest + g.size * ev.group_fims(m, g, batch, doses[gi])
                    fin = np.all(np.isfinite(Mb), axis=(1, 2))
                    Uk.append(np.where(fin, utilities(c, np.where(fin[:, None, None], Mb, 0.0),
                                                      ev.names),
                                       -np.inf))
                Ub = ev.combine(np.array(Uk))
                b = int(np.argmax(Ub))
                if Ub[b] > u + 1e-12 * max(1.0, abs(u)):
                    t = t.copy()
                    t[j] = cs[b]
                    times[gi], u, improved = t, float(Ub[b]), True
        if not improved:
            break
    return times, u
