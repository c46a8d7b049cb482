r"""Equivalence-theorem checks and efficiencies of designs.

By the general equivalence theorem (Kiefer & Wolfowitz 1960; Kiefer 1974, *Ann.
Statist.* 2, 849-879; Whittle 1973, *J. R. Statist. Soc. B* 35, 123-130) a design
:math:`\xi` is optimal for a concave criterion iff its sensitivity function stays below the
bound on the whole design region, :math:`\max_x d(x, \xi) \le b(\xi)`, with equality at
the support points; :math:`b / \max_x d` is a lower bound of its efficiency
(:mod:`fisherstat.design.criteria`). :func:`check_equivalence` evaluates the sensitivity
on a set of points, or on a box (a fine grid, then local maximisation from the best grid
points), and reports the largest excess :math:`\max_x d(x) - b` and where it is attained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ..plot import check_axes
from .criteria import Criterion, schur, sqrt_psd
from .designs import Design, ExactDesign

__all__ = ["EquivalenceResult", "check_equivalence", "efficiency"]


# ------------------------------------------------------------ certificates
def _as_x(P: np.ndarray, one_d: bool) -> np.ndarray:
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


def _c_vector_refined(lc, M, Fr):
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
            from ._sdp import e_subgradient

            Fk = region_F[j]
            Fk = Fk[:, :, None] if Fk.ndim == 2 else Fk
            Et = e_subgradient(C, np.einsum("nqr,qs->nsr", Fk, K))
            A = K @ Et @ K.T
            bs[j] = values[j]
        elif fam == "c":
            out = _c_vector_refined(lc, M, None if region_F is None else region_F[j])
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


def _sens_at(problem, Bs, X):
    from .criteria import quad_rows

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
    Ms = design_matrices(problem, _as_x(P, one_d), dsg.weights)
    if bounds is not None:
        R = np.vstack([_grid(bounds, levels), P])
    else:
        R = X[:, None] if X.ndim == 1 else X
    Rx = _as_x(R, one_d)
    needs_region = problem.family in ("E", "c")
    region_F = [lc.factor_at(Rx) for lc in problem.locals] if needs_region else None
    Bs, b, values = sensitivity_factors(problem, Ms, region_F)
    value = (float(values[0]) if len(values) == 1 else float(problem.prior @ values))
    if Bs is None:
        d = np.full(R.shape[0], np.inf)
        return dict(value=value, bound=np.nan, max_sensitivity=np.inf, efficiency_bound=0.0,
                    sensitivity=d, points=Rx, argmax=Rx[0])
    d = _sens_at(problem, Bs, Rx)
    if bounds is not None:  # local maximisation from the best grid points
        extra_x, extra_d = _local_maxima(problem, Bs, R, d, bounds, one_d)
        R = np.vstack([R, extra_x])
        d = np.concatenate([d, extra_d])
        Rx = _as_x(R, one_d)
    i = int(np.argmax(d))
    maxd = float(d[i])
    eff = b / maxd if maxd > 0 else 0.0
    if bounds is not None:
        order = np.lexsort(R.T[::-1])
        Rx, d = _as_x(R[order], one_d), d[order]
    return dict(value=value, bound=b, max_sensitivity=maxd, efficiency_bound=min(eff, 1.0)
                if eff > 1 + 1e-9 else eff, sensitivity=d, points=Rx,
                argmax=_as_x(R, one_d)[i] if bounds is None else Rx[int(np.argmax(d))])


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
        v = _sens_at(problem, Bs, _as_x(x[None, :], one_d))
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


# ------------------------------------------------------------------ results
@dataclass(frozen=True, eq=False)
class EquivalenceResult:
    """Outcome of :func:`check_equivalence`.

    Attributes
    ----------
    max_excess : float
        :math:`\\max_x d(x) - b` (<= 0 up to rounding for an optimal design).
    argmax : ndarray or float
        Where the maximum of the sensitivity is attained.
    bound : float
        The bound :math:`b` of the equivalence theorem.
    max_sensitivity : float
    efficiency_bound : float
        :math:`b / \\max_x d(x)`, a lower bound of the efficiency of the design.
    passed : bool
        ``max_excess <= tol * bound``.
    points, sensitivity : ndarray
        The region points and the sensitivity there (for :meth:`plot`).
    """

    max_excess: float
    argmax: object
    bound: float
    max_sensitivity: float
    efficiency_bound: float
    passed: bool
    criterion: Criterion
    value: float
    design: object = field(repr=False, default=None)
    points: np.ndarray = field(repr=False, default=None)
    sensitivity: np.ndarray = field(repr=False, default=None)
    model: object = field(repr=False, default=None)
    tol: float = 1e-6

    def summary(self) -> str:
        """One paragraph: bound, maximum and where, efficiency bound, verdict."""
        where = np.array2string(np.atleast_1d(np.asarray(self.argmax, dtype=float)),
                                precision=6)
        return (f"{self.criterion.name}-criterion equivalence check: max sensitivity "
                f"{self.max_sensitivity:.8g} at x = {where} vs bound {self.bound:.8g} "
                f"(excess {self.max_excess:.3g}); efficiency >= {self.efficiency_bound:.8f}; "
                + ("PASSED" if self.passed else f"FAILED (tol {self.tol:g})"))

    __str__ = summary

    def plot(self, ax=None):
        """Sensitivity function with its bound: a curve (one covariate) or heat map (two).

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _plot_sensitivity(self.points, self.sensitivity, self.bound, self.design,
                                 self.model, ax, f"{self.criterion.name}-equivalence check")


def check_equivalence(model, theta, design, criterion="D", region=None, *, x_bounds=None,
                      params: Sequence[str] | str | None = None, prior_weights=None,
                      tol: float = 1e-6, levels: int | None = None) -> EquivalenceResult:
    r"""Check a design against the equivalence theorem on a region.

    Parameters
    ----------
    model : RegressionModel or Polynomial
    theta : array_like, shape (p,) or (J, p)
        Parameter value, or a prior sample (Bayesian criterion, with ``prior_weights``).
    design : Design, ExactDesign or DesignResult
    criterion : str or Criterion
    region : array_like, shape (k,) or (k, d), optional
        Points of the design region (e.g. the candidates).
    x_bounds : sequence of (low, high), optional
        Instead of ``region``: a box; the sensitivity is evaluated on a grid of ``levels``
        per axis (2001 for one covariate, 101 for two) and maximised locally from the best
        grid points.
    params : sequence of str or 'all', optional
        Parameters of interest (default: the mean parameters).
    prior_weights : array_like, optional
    tol : float
        The check passes when ``max d - b <= tol * b``.
    levels : int, optional

    Returns
    -------
    EquivalenceResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> quad = design.polynomial(1, degree=2)
    >>> d = design.Design([-1.0, 0.0, 1.0])
    >>> chk = design.check_equivalence(quad, None, d, "D", x_bounds=[(-1, 1)])
    >>> chk.passed, round(chk.max_sensitivity, 8), chk.bound
    (True, 3.0, 3.0)
    >>> bad = design.check_equivalence(quad, None, design.Design([-1.0, 0.2, 1.0]), "D",
    ...                                x_bounds=[(-1, 1)])
    >>> bad.passed, round(float(bad.argmax), 3)
    (False, -0.059)
    """
    from .._validation import check_int, check_scalar
    from ._problem import build_problem, resolve_targets
    from .criteria import as_criterion
    from .optimal import (
        DesignResult,
        as_model,
        bind_region,
        box_grid,
        check_candidates,
        prior_thetas,
    )

    model = as_model(model)
    crit = as_criterion(criterion)
    tol = check_scalar(tol, "tol", low=0.0, low_open=False)
    if levels is not None:
        levels = check_int(levels, "levels", low=2)
    if isinstance(design, DesignResult):
        design = design.design
    if isinstance(design, ExactDesign):
        design = design.to_design()
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design, ExactDesign or DesignResult, got "
                        f"{type(design).__name__}")
    thetas, prior, _ = prior_thetas(model, theta, prior_weights)
    if (region is None) == (x_bounds is None):
        raise TypeError("pass exactly one of region (points) or x_bounds (a box)")
    bounds = None
    if x_bounds is not None:
        bounds = box_grid(x_bounds, levels=2)[0]
        X = design.points
    else:
        X = check_candidates(region, "region")
    targets = resolve_targets(model, params, crit)
    crit = bind_region(crit, X, bounds)
    problem = build_problem(model, thetas, prior, X, crit, targets,
                            name="design points" if bounds is not None else "region")
    if problem.family == "E" and len(thetas) > 1:
        raise ValueError("criterion: Bayesian E-criterion is not supported")
    cert = design_certificate(problem, design, None if bounds is not None else X, bounds,
                              levels)
    excess = cert["max_sensitivity"] - cert["bound"]
    passed = bool(np.isfinite(excess) and excess <= tol * abs(cert["bound"]))
    value = cert["value"]
    return EquivalenceResult(
        max_excess=float(excess), argmax=cert["argmax"], bound=cert["bound"],
        max_sensitivity=cert["max_sensitivity"], efficiency_bound=cert["efficiency_bound"],
        passed=passed, criterion=crit, value=value, design=design, points=cert["points"],
        sensitivity=cert["sensitivity"], model=model, tol=tol,
    )


def efficiency(design, reference, criterion=None, *, model=None, theta=None,
               params: Sequence[str] | str | None = None, prior_weights=None) -> float:
    r"""Efficiency of ``design`` relative to ``reference`` under a criterion.

    :math:`\phi(M(\xi)) / \phi(M(\xi_{ref}))` with the information function :math:`\phi` of
    the criterion (``D``: :math:`(\det M / \det M_{ref})^{1/s}`; ``A``/``L``/``I``/``c``:
    the ratio of the reference value to the design's; ``E``: the ratio of the smallest
    eigenvalues; Bayesian: the geometric (``D``) or harmonic (``L``-type) prior mean).

    Parameters
    ----------
    design, reference : Design, ExactDesign or DesignResult
        A :class:`DesignResult` reference supplies ``model``, ``theta``, ``criterion`` and
        ``params`` unless they are given.
    criterion : str or Criterion, optional
    model, theta : optional
        Needed unless a :class:`DesignResult` supplies them.

    Returns
    -------
    float
        ``<= 1`` when the reference is optimal (up to its own tolerance).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> quad = design.polynomial(1, degree=2)
    >>> opt = design.optimal_design(quad, candidates=np.linspace(-1, 1, 21))
    >>> uniform = design.Design(np.linspace(-1, 1, 5))
    >>> round(design.efficiency(uniform, opt), 4)
    0.8391
    """
    from ._problem import build_problem, resolve_targets
    from .criteria import as_criterion
    from .optimal import DesignResult, as_model, prior_thetas

    for arg, dsg in (("design", design), ("reference", reference)):
        if not isinstance(dsg, (Design, ExactDesign, DesignResult)):
            raise TypeError(f"{arg} must be a Design, ExactDesign or DesignResult, got "
                            f"{type(dsg).__name__}")
    res = next((d for d in (reference, design) if isinstance(d, DesignResult)), None)
    if res is not None:
        model = res.model if model is None else model
        theta = res.theta if theta is None else theta
        prior_weights = res.prior_weights if prior_weights is None else prior_weights
        criterion = res.criterion if criterion is None else criterion
        params = res.params if params is None and res.criterion is criterion else params
    if model is None:
        raise TypeError("model (and theta) are needed unless a DesignResult is passed")
    crit = as_criterion("D" if criterion is None else criterion)
    if getattr(crit, "points", 0) is None and getattr(crit, "matrix", None) is None:
        raise ValueError(f"criterion: {crit.name} needs its region for an efficiency: pass "
                         f"{crit.name}(points) or a DesignResult computed with it")
    model = as_model(model)
    designs = []
    for dsg in (design, reference):
        if isinstance(dsg, DesignResult):
            dsg = dsg.design
        if isinstance(dsg, ExactDesign):
            dsg = dsg.to_design()
        if not isinstance(dsg, Design):
            raise TypeError(f"design and reference must be designs, got {type(dsg).__name__}")
        designs.append(dsg)
    thetas, prior, _ = prior_thetas(model, theta, prior_weights)
    targets = resolve_targets(model, params, crit)
    pts = np.concatenate([_p2(designs[0]), _p2(designs[1])])
    one_d = designs[0].points.ndim == 1
    problem = build_problem(model, thetas, prior, _as_x(pts, one_d), crit, targets,
                            name="design and reference points")
    phis = []
    for dsg in designs:
        Ms = design_matrices(problem, dsg.points, dsg.weights)
        if crit.name == "G":
            Bs, b, _ = sensitivity_factors(problem, Ms)
            if Bs is None:
                phis.append(0.0)
                continue
            phis.append(b / float(_sens_at(problem, Bs, crit.points).max()))
            continue
        phis.append(problem.phi_of(problem.loss_of(Ms)))
    if not phis[1] > 0:
        raise ValueError("reference: its information of the parameters of interest is "
                         "singular; the efficiency is undefined")
    return float(phis[0] / phis[1])


def _p2(d: Design) -> np.ndarray:
    return d.points[:, None] if d.points.ndim == 1 else d.points


# ------------------------------------------------------------------- plots
def _plot_coords(P: np.ndarray):
    """Columns to plot: ``(x_column,)`` for a curve, ``(i, j)`` for a heat map."""
    P2 = P[:, None] if P.ndim == 1 else P
    var = [j for j in range(P2.shape[1]) if np.ptp(P2[:, j]) > 0]
    if len(var) == 2:
        a, b = P2[:, var[0]], P2[:, var[1]]
        if not np.allclose(b, a**2):
            return P2, tuple(var)
    return P2, (var[0] if var else 0,)


def _plot_sensitivity(points, sens, bound, design, model, ax, title):
    import matplotlib.pyplot as plt

    if check_axes(ax) is None:
        _, ax = plt.subplots()
    P2, cols = _plot_coords(np.asarray(points))
    D2 = None if design is None else (design.points[:, None] if design.points.ndim == 1
                                       else design.points)
    names = getattr(getattr(model, "basis", None), "factors", None)
    if len(cols) == 1:
        j = cols[0]
        o = np.argsort(P2[:, j], kind="stable")
        ax.plot(P2[o, j], sens[o], lw=1.5, label="sensitivity d(x)")
        ax.axhline(bound, ls="--", color="k", lw=1, label=f"bound {bound:.4g}")
        if D2 is not None:
            ax.plot(D2[:, j], np.full(D2.shape[0], bound), "o", color="C3",
                    label="support")
            for x, w in zip(D2[:, j], design.weights, strict=True):
                ax.annotate(f"{w:.3g}", (x, bound), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=8, color="C3")
        ax.set_xlabel(names[0] if names else f"x[{j}]" if P2.shape[1] > 1 else "x")
        ax.set_ylabel("d(x)")
        fin = sens[np.isfinite(sens)]
        top = max(float(fin.max()) if fin.size else bound, bound)
        low = float(fin.min()) if fin.size else 0.0
        ax.set_ylim(low - 0.05 * (top - low), top + 0.12 * (top - low))
        ax.legend(loc="lower center", fontsize=8)
    else:
        i, j = cols
        tc = ax.tricontourf(P2[:, i], P2[:, j], sens, levels=30, cmap="viridis")
        ax.figure.colorbar(tc, ax=ax, label=f"d(x) (bound {bound:.4g})")
        if D2 is not None:
            ax.scatter(D2[:, i], D2[:, j], s=400 * design.weights / design.weights.max(),
                       facecolors="none", edgecolors="r", label="support")
        ax.set_xlabel(names[i] if names else f"x[{i}]")
        ax.set_ylabel(names[j] if names else f"x[{j}]")
    ax.set_title(title)
    return ax
