r"""Sensitivity functions and equivalence-theorem certificates of designs.

The machinery shared by :mod:`~fisherstat.design.equivalence` (the public checks),
:mod:`~fisherstat.design.refine` (gradients on a box) and
:mod:`~fisherstat.design.optimal` (the certificate of every result): the information
matrices of a design with arbitrary points, the factors of the sensitivity matrices, the
sensitivity :math:`d(x)` and the efficiency bound :math:`b / \max_x d(x)`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ._sdp import e_subgradient
from .criteria import quad_rows, schur, sqrt_psd
from .designs import Design

__all__ = ["as_x", "design_matrices", "c_vector_refined", "sensitivity_factors",
           "sensitivity_at", "design_certificate"]


def as_x(P: np.ndarray, one_d: bool) -> np.ndarray:
    return P[:, 0] if one_d and P.ndim == 2 else P


def design_matrices(problem, points: np.ndarray, weights: np.ndarray):
    """Information matrices (one per local) of a design with arbitrary points."""
    Ms = []
    for lc in problem.locals:
        F = lc.factor_at(points)
        if F.ndim == 2:
            M = (F.T * weights) @ F
        else:
            M = np.einsum("k,kir,kjr->ij", weights, F, F)
        Ms.append(lc.scale * 0.5 * (M + M.T))
    return Ms


def c_vector_refined(lc, M, Fr):
    """``h`` of the c-criterion: ``K C^+ c`` plus the null-space component that minimises
    the largest ``(f^T h)^2`` over the region rows ``Fr`` (a linear program, rank-one)."""
    C, K = schur(M, lc.T, lc.N)
    r = lc.crit._h(C)
    if r is None:
        return None
    h0 = K @ r[0]
    w, V = np.linalg.eigh(M)
    tol = max(abs(w).max(), np.finfo(float).tiny) * M.shape[0] * 1e-12
    Nb = V[:, w <= tol]
    if Nb.shape[1] == 0 or Fr is None or Fr.ndim != 2:
        return h0, r[1]
    a = Fr @ h0
    Bm = Fr @ Nb
    k = Nb.shape[1]
    # minimise s subject to -s <= a + B z <= s
    A_ub = np.vstack([np.column_stack([Bm, -np.ones(len(a))]),
                      np.column_stack([-Bm, -np.ones(len(a))])])
    b_ub = np.concatenate([-a, a])
    res = optimize.linprog(np.append(np.zeros(k), 1.0), A_ub=A_ub, b_ub=b_ub,
                           bounds=[(None, None)] * k + [(0, None)], method="highs")
    if res.status != 0:
        return h0, r[1]
    return h0 + Nb @ res.x[:k], r[1]


def sensitivity_factors(problem, Ms, region_F=None):
    """Per-local factors ``B_j`` of the sensitivity matrices, the bound and the values.

    Returns ``(Bs, b, values)``; ``Bs`` is ``None`` when the information is singular (no
    certificate; the efficiency bound is then 0).
    """
    fam = problem.family
    values = np.empty(len(Ms))
    Bs, bs = [], np.empty(len(Ms))
    for j, (lc, M) in enumerate(zip(problem.locals, Ms, strict=True)):
        C, K = schur(M, lc.T, lc.N)
        values[j] = lc.crit._value(C)
        if fam == "E":
            Fk = region_F[j]
            Fk = Fk[:, :, None] if Fk.ndim == 2 else Fk
            Et = e_subgradient(C, np.einsum("nqr,qs->nsr", Fk, K))
            A = K @ Et @ K.T
            bs[j] = values[j]
        elif fam == "c":
            out = c_vector_refined(lc, M, None if region_F is None else region_F[j])
            if out is None:
                return None, np.nan, values
            h, v = out
            A = np.outer(h, h)
            bs[j] = v
        else:
            wb = lc.crit._weight(C)
            if wb is None:
                return None, np.nan, values
            A = K @ wb[0] @ K.T
            bs[j] = wb[1]
        Bs.append(np.sqrt(problem.prior[j] * lc.scale) * sqrt_psd(A))
    return Bs, float(problem.prior @ bs), values


def sensitivity_at(problem, Bs, X):
    """Sensitivity ``sum_j f(x)^T B_j B_j^T f(x)`` at the rows of ``X``."""
    d = None
    for lc, B in zip(problem.locals, Bs, strict=True):
        dj = quad_rows(lc.factor_at(X), B)
        d = dj if d is None else d + dj
    return d


def _grid(bounds, levels):
    d = bounds.shape[0]
    if levels is None:
        levels = {1: 2001, 2: 101, 3: 21}.get(d, 9)
    axes = [np.linspace(lo, hi, levels) for lo, hi in bounds]
    if d == 1:
        return axes[0][:, None]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([g.ravel() for g in mesh])


def design_certificate(problem, dsg: Design, X=None, bounds=None, levels=None):
    """Value, bound, sensitivity and efficiency bound of ``dsg`` on points or a box."""
    one_d = dsg.points.ndim == 1 if X is None else np.ndim(X) == 1
    P = dsg.points[:, None] if dsg.points.ndim == 1 else dsg.points
    Ms = design_matrices(problem, as_x(P, one_d), dsg.weights)
    if bounds is not None:
        R = np.vstack([_grid(bounds, levels), P])
    else:
        R = X[:, None] if X.ndim == 1 else X
    Rx = as_x(R, one_d)
    needs_region = problem.family in ("E", "c")
    region_F = [lc.factor_at(Rx) for lc in problem.locals] if needs_region else None
    Bs, b, values = sensitivity_factors(problem, Ms, region_F)
    value = (float(values[0]) if len(values) == 1 else float(problem.prior @ values))
    if Bs is None:
        d = np.full(R.shape[0], np.inf)
        return dict(value=value, bound=np.nan, max_sensitivity=np.inf, efficiency_bound=0.0,
                    sensitivity=d, points=Rx, argmax=Rx[0])
    d = sensitivity_at(problem, Bs, Rx)
    if bounds is not None:  # local maximisation from the best grid points
        extra_x, extra_d = _local_maxima(problem, Bs, R, d, bounds, one_d)
        R = np.vstack([R, extra_x])
        d = np.concatenate([d, extra_d])
        Rx = as_x(R, one_d)
    i = int(np.argmax(d))
    maxd = float(d[i])
    eff = b / maxd if maxd > 0 else 0.0
    if bounds is not None:
        order = np.lexsort(R.T[::-1])
        Rx, d = as_x(R[order], one_d), d[order]
    return dict(value=value, bound=b, max_sensitivity=maxd, efficiency_bound=min(eff, 1.0)
                if eff > 1 + 1e-9 else eff, sensitivity=d, points=Rx,
                argmax=as_x(R, one_d)[i] if bounds is None else Rx[int(np.argmax(d))])


def _local_maxima(problem, Bs, R, d, bounds, one_d, n_starts=8):
    """Maximise the sensitivity locally (L-BFGS-B in the box) from the best grid points."""
    order = np.argsort(-d)
    starts, seen = [], []
    span = bounds[:, 1] - bounds[:, 0]
    for i in order:
        x = R[i]
        if any(np.all(np.abs(x - s) <= 0.02 * span) for s in seen):
            continue
        seen.append(x)
        starts.append(x)
        if len(starts) >= n_starts:
            break

    def f(x):
        v = sensitivity_at(problem, Bs, as_x(x[None, :], one_d))
        return -float(v[0])

    xs, ds = [], []
    for x0 in starts:
        try:
            res = optimize.minimize(f, x0, method="L-BFGS-B", bounds=bounds.tolist(),
                                    options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 200})
        except ValueError:
            continue
        xs.append(np.clip(res.x, bounds[:, 0], bounds[:, 1]))
        ds.append(-f(xs[-1]))
    if not xs:
        return np.empty((0, R.shape[1])), np.empty(0)
    return np.array(xs), np.array(ds)
