r"""Refinement of a grid design on a continuous (box) design region.

A design computed on a grid is optimal on the grid, not on the region: its support points
are off by up to half a grid step and neighbouring grid points often share the weight of
one true support point. :func:`refine`

1. merges support points closer than 1.5 grid steps (weighted mean position, summed
   weight);
2. minimises the loss jointly over the support points (in the box) and the weights (in
   the simplex) with SLSQP (scipy), using the exact gradients

   .. math::

       \frac{\partial \Phi}{\partial w_i} = -d(x_i), \qquad
       \frac{\partial \Phi}{\partial x_i} = -w_i\, \nabla_x d(x_i),

   with :math:`d` the sensitivity function at the current design (the first holds because
   :math:`d(x) = \operatorname{tr}\{-\nabla_M\Phi\, M(x)\}`, the second because
   :math:`M` depends on :math:`x_i` only through :math:`w_i M(x_i)`); :math:`\nabla_x d`
   by central differences of the model's information (one-sided inside the box);
3. merges coincident points, drops zero weights and re-optimises the weights on the final
   points with ``rex``.

At an optimum on the region every interior support point is a stationary point of
:math:`d` (Pronzato & Pázman 2013, *Design of Experiments in Nonlinear Models*, Springer,
chapter 5), which is what step 2 solves; the final equivalence check on the box
(:func:`~fisherstat.design.check_equivalence`) certifies the result.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ._common import check_inside
from ._problem import build_problem
from ._sensitivity import design_matrices, sensitivity_at, sensitivity_factors
from .algorithms import run_algorithm
from .designs import Design

__all__ = ["refine", "check_inside"]


def _spacing(P: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Grid step per axis (the smallest positive gap between distinct support values)."""
    out = np.empty(P.shape[1])
    for j in range(P.shape[1]):
        u = np.unique(P[:, j])
        gaps = np.diff(u)
        gaps = gaps[gaps > 0]
        out[j] = gaps.min() if gaps.size else 0.0
    return out


def _merge(P, w, radius):
    """Greedy clustering (heaviest first) of points within ``radius`` (per axis)."""
    order = np.argsort(-w)
    centers, weights = [], []
    for i in order:
        for k, c in enumerate(centers):
            if np.all(np.abs(P[i] - c) <= radius):
                tot = weights[k] + w[i]
                centers[k] = (weights[k] * c + w[i] * P[i]) / tot
                weights[k] = tot
                break
        else:
            centers.append(P[i].astype(float).copy())
            weights.append(float(w[i]))
    return np.array(centers), np.array(weights)


def _grad_sens(problem, Bs, P, bounds, one_d):
    """Gradient of the sensitivity at the rows of ``P`` by central differences."""
    s, d = P.shape
    span = bounds[:, 1] - bounds[:, 0]
    G = np.empty((s, d))
    for j in range(d):
        h = 1e-5 * span[j]
        up = np.minimum(P[:, j] + h, bounds[j, 1])
        lo = np.maximum(P[:, j] - h, bounds[j, 0])
        central = (up - lo) > 1.5 * h
        Pu, Pl = P.copy(), P.copy()
        Pu[:, j], Pl[:, j] = up, lo
        fu = sensitivity_at(problem, Bs, Pu[:, 0] if one_d else Pu)
        fl = sensitivity_at(problem, Bs, Pl[:, 0] if one_d else Pl)
        g = (fu - fl) / np.where(up - lo > 0, up - lo, 1.0)
        if not central.all():  # second-order one-sided differences at the faces
            sgn = np.where(P[:, j] + 2 * h <= bounds[j, 1], 1.0, -1.0)
            P1, P2 = P.copy(), P.copy()
            P1[:, j] = P[:, j] + sgn * h
            P2[:, j] = P[:, j] + 2 * sgn * h
            f0 = sensitivity_at(problem, Bs, P[:, 0] if one_d else P)
            f1 = sensitivity_at(problem, Bs, P1[:, 0] if one_d else P1)
            f2 = sensitivity_at(problem, Bs, P2[:, 0] if one_d else P2)
            g1 = sgn * (-3 * f0 + 4 * f1 - f2) / (2 * h)
            g = np.where(central, g, g1)
        G[:, j] = g
    return G


def refine(problem, dsg: Design, bounds: np.ndarray, tol: float = 1e-6,
           candidates: np.ndarray | None = None) -> Design:
    """Refine the support and weights of ``dsg`` in the box ``bounds`` (see module docs)."""
    if problem.family == "E":  # not differentiable: the grid design is returned
        return dsg
    one_d = dsg.points.ndim == 1
    P = dsg.points[:, None] if one_d else dsg.points.copy()
    d = P.shape[1]
    if candidates is None:
        step = np.zeros(d)
    else:
        step = _spacing(candidates[:, None] if candidates.ndim == 1 else candidates, bounds)
    span = bounds[:, 1] - bounds[:, 0]
    loss0 = _loss(problem, P, dsg.weights, one_d)
    if not np.isfinite(loss0):  # e.g. a singular c-optimal design: not differentiable
        return dsg
    P, w = _merge(P, dsg.weights, 1.5 * np.where(step > 0, step, 0.0) + 1e-12 * span)
    lo = bounds[:, 0]

    def unpack(z):
        s = w.size
        U = z[: s * d].reshape(s, d)
        return lo + U * span, z[s * d:]

    def fun_jac(z):
        Pz, wz = unpack(z)
        wz = np.clip(wz, 0.0, None)
        X = Pz[:, 0] if one_d else Pz
        Ms = design_matrices(problem, X, wz)
        loss = problem.loss_of(Ms)
        if not np.isfinite(loss):
            return 1e300, np.zeros_like(z)
        Bs, _, _ = sensitivity_factors(problem, Ms)
        dx = sensitivity_at(problem, Bs, X)
        gx = -(wz[:, None] * _grad_sens(problem, Bs, Pz, bounds, one_d)) * span
        return loss, np.concatenate([gx.ravel(), -dx])

    cache = {}

    def fun(z):
        key = z.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = fun_jac(z)
        return cache[key][0]

    def jac(z):
        fun(z)
        return cache[z.tobytes()][1]

    for _ in range(3):
        s = w.size
        z0 = np.concatenate([((P - lo) / span).ravel(), w])
        res = optimize.minimize(
            fun, z0, jac=jac, method="SLSQP",
            bounds=[(0.0, 1.0)] * (s * d) + [(0.0, 1.0)] * s,
            constraints=[{"type": "eq", "fun": lambda z, s=s: np.sum(z[s * d:]) - 1.0,
                          "jac": lambda z, s=s: np.concatenate([np.zeros(s * d),
                                                                np.ones(s)])}],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        Pn, wn = unpack(res.x)
        wn = np.clip(wn, 0.0, None)
        keep = wn > 1e-7
        Pn, wn = Pn[keep], wn[keep] / wn[keep].sum()
        Pn, wn = _merge(Pn, wn, 1e-6 * span)
        stable = Pn.shape == P.shape and np.allclose(Pn, P, rtol=0, atol=1e-12 * span.max())
        P, w = Pn, wn
        if stable:
            break
    w = _reweight(problem, P, w, one_d, tol)
    keep = w > 0
    P, w = P[keep], w[keep]
    loss = _loss(problem, P, w, one_d)
    if not loss <= loss0 + 1e-12 * max(1.0, abs(loss0)):  # never return a worse design
        return dsg
    if candidates is not None:  # snap to candidates that are as good (e.g. exact 0, +-1)
        C = candidates[:, None] if candidates.ndim == 1 else candidates
        Ps = P.copy()
        for i, x in enumerate(P):
            dist = np.max(np.abs(C - x) / span, axis=1)
            j = int(np.argmin(dist))
            if dist[j] <= 1e-5:
                Ps[i] = C[j]
        if not np.array_equal(Ps, P):
            ws = _reweight(problem, Ps, w, one_d, tol)
            ls = _loss(problem, Ps, ws, one_d)
            if ls <= loss + 1e-12 * max(1.0, abs(loss)):
                P, w = Ps[ws > 0], ws[ws > 0]
    return Design(P[:, 0] if one_d else P, w, dsg.names)


def _loss(problem, P, w, one_d) -> float:
    return problem.loss_of(design_matrices(problem, P[:, 0] if one_d else P, w))


def _reweight(problem, P, w, one_d, tol):
    """Optimal weights on fixed points (rex on the points as candidates)."""
    X = P[:, 0] if one_d else P
    lc0 = problem.locals[0]
    sub = build_problem(lc0.model, [lc.theta for lc in problem.locals], problem.prior, X,
                        problem.crit, problem.target_names)
    if sub.family not in ("D", "L"):
        return w
    try:
        ws, _ = run_algorithm(sub, "rex", tol=min(tol, 1e-12), max_iter=10_000, max_time=30.0,
                              rng=np.random.default_rng(0), prune=False, w0=w)
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        return w
    return ws
