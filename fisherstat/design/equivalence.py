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

from .._validation import check_int, check_scalar
from ._common import (
    DesignResult,
    as_model,
    bind_region,
    box_grid,
    check_candidates,
    plot_sensitivity,
    prior_thetas,
)
from ._problem import build_problem, resolve_targets
from ._sensitivity import (
    as_x,
    design_certificate,
    design_matrices,
    sensitivity_at,
    sensitivity_factors,
)
from .criteria import Criterion, as_criterion
from .designs import Design, ExactDesign

__all__ = ["EquivalenceResult", "check_equivalence", "efficiency"]


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
        return plot_sensitivity(self.points, self.sensitivity, self.bound, self.design,
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
    >>> opt = design.optimal_design(quad, candidates=np.linspace(-1, 1, 21), rng=0)
    >>> uniform = design.Design(np.linspace(-1, 1, 5))
    >>> round(design.efficiency(uniform, opt), 4)
    0.8391
    """
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
    problem = build_problem(model, thetas, prior, as_x(pts, one_d), crit, targets,
                            name="design and reference points")
    phis = []
    for dsg in designs:
        Ms = design_matrices(problem, dsg.points, dsg.weights)
        if crit.name == "G":
            Bs, b, _ = sensitivity_factors(problem, Ms)
            if Bs is None:
                phis.append(0.0)
                continue
            phis.append(b / float(sensitivity_at(problem, Bs, crit.points).max()))
            continue
        phis.append(problem.phi_of(problem.loss_of(Ms)))
    if not phis[1] > 0:
        raise ValueError("reference: its information of the parameters of interest is "
                         "singular; the efficiency is undefined")
    return float(phis[0] / phis[1])


def _p2(d: Design) -> np.ndarray:
    return d.points[:, None] if d.points.ndim == 1 else d.points
