"""What the design modules share: input adapters, the design region, the result type and
the sensitivity figure.

The lowest layer of :mod:`fisherstat.design` above :mod:`~fisherstat.design.designs`,
:mod:`~fisherstat.design.criteria` and :mod:`~fisherstat.design.polynomial`: every algorithm
module (``equivalence``, ``refine``, ``optimal``, ``bayesian``, ``exact``) imports from here,
and nothing here imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._figures import axes_or_new
from .._validation import as_float_array, check_weights
from ..models.base import RegressionModel
from .criteria import Criterion, G, I
from .designs import Design
from .polynomial import Polynomial

__all__ = ["DesignResult", "as_model", "prior_thetas", "box_grid", "bind_region",
           "gauss_legendre_box", "check_candidates", "check_inside", "plot_coords",
           "plot_sensitivity"]

_CRIT_LABEL = {
    "D": "log det M", "Ds": "log det M_s (Schur complement)", "A": "trace M^-1",
    "L": "trace L M^-1", "I": "integrated variance trace L M^-1", "c": "variance c^T M^- c",
    "E": "smallest eigenvalue of M", "G": "max_x d(x)",
}


@dataclass(frozen=True, eq=False)
class DesignResult:
    """An optimal approximate design with its criterion value and optimality certificate.

    Attributes
    ----------
    design : Design
        Support points and weights.
    criterion : Criterion
    params : tuple of str
        Parameters of interest (the others are nuisance).
    value : float
        Criterion value at the design (``log det`` for ``D``/``Ds``, the trace for
        ``A``/``L``/``I``, the variance for ``c``, the smallest eigenvalue for ``E``, the
        largest sensitivity for ``G``; the prior average for Bayesian designs).
    efficiency_bound : float
        Equivalence-theorem lower bound of the design's efficiency, ``bound /
        max_sensitivity`` (on the continuous region when ``x_bounds`` was given).
    max_sensitivity, bound : float
        Largest value of the sensitivity function and its bound.
    algorithm : str
        The method used (``'rex'``, ``'multiplicative'``, ``'fedorov_wynn'``,
        ``'sdp'`` for E and multi-column c, ``'elfving-lp'`` for c).
    iterations : int
    seconds : float
    converged : bool
        ``efficiency_bound >= 1 - tol``.
    n_deleted : int
        Candidates deleted by the Harman-Pronzato bound.
    """

    design: Design
    criterion: Criterion
    params: tuple
    value: float
    efficiency_bound: float
    max_sensitivity: float
    bound: float
    algorithm: str
    iterations: int
    seconds: float
    converged: bool
    model: object = field(repr=False, default=None)
    theta: np.ndarray = field(repr=False, default=None)
    prior_weights: np.ndarray | None = field(repr=False, default=None)
    candidates: np.ndarray = field(repr=False, default=None)
    sensitivity: np.ndarray = field(repr=False, default=None)
    n_deleted: int = 0
    trace: tuple = field(repr=False, default=())
    x_bounds: np.ndarray | None = field(repr=False, default=None)
    tol: float = 1e-6

    @property
    def is_bayesian(self) -> bool:
        """True for a pseudo-Bayesian design (``theta`` is a prior sample)."""
        return self.prior_weights is not None

    def information(self):
        """:class:`~fisherstat.FisherInfo` of the design at ``theta`` (local designs)."""
        if self.is_bayesian:
            raise ValueError("a Bayesian design has one information matrix per prior draw")
        return self.design.information(self.model, self.theta)

    def summary(self) -> str:
        """Text report: design table, criterion value and equivalence bound."""
        crit = self.criterion
        lines = [f"{crit.name}-optimal design ({'pseudo-Bayesian, ' if self.is_bayesian else ''}"
                 f"parameters of interest: {', '.join(self.params)})",
                 f"model: {self.model!r}"]
        if self.is_bayesian:
            lines.append(f"prior: {len(self.prior_weights)} parameter values")
        else:
            lines.append("theta: " + ", ".join(
                f"{n} = {v:.6g}" for n, v in zip(self.model.param_names, self.theta,
                                                  strict=True)))
        lines.append(f"algorithm: {self.algorithm}, {self.iterations} iterations, "
                     f"{self.seconds:.3g} s" + ("" if self.converged else " (NOT converged)")
                     + (f"; {self.n_deleted} candidates deleted" if self.n_deleted else ""))
        lines.append(self.design.summary())
        label = _CRIT_LABEL.get(crit.name, "value")
        extra = ""
        if crit.name in ("D", "Ds") and np.isfinite(self.value) and not self.is_bayesian:
            extra = f" (det = {np.exp(self.value):.6g})"
        lines.append(f"criterion {crit.name}: {label} = {self.value:.10g}{extra}")
        lines.append(f"equivalence theorem: max sensitivity {self.max_sensitivity:.8g} "
                     f"vs bound {self.bound:.8g}; efficiency >= {self.efficiency_bound:.10f}")
        return "\n".join(lines)

    __str__ = summary

    def plot(self, ax=None):
        """Sensitivity function over the candidates (or region) with its bound and the support.

        One covariate: a curve; two: a heat map; more: against the candidate index.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plot_sensitivity(self.candidates, self.sensitivity, self.bound, self.design,
                                 self.model, ax, f"{self.criterion.name}-optimal design")


# ---------------------------------------------------------------- helpers
def as_model(model):
    """Accept a ``Polynomial`` (its linear model) or a ``RegressionModel``."""
    if isinstance(model, Polynomial):
        return model.model()
    if not isinstance(model, RegressionModel):
        raise TypeError(f"model must be a regression model (y | x, e.g. "
                        f"fisherstat.models.LinearRegression) or a design.Polynomial, got "
                        f"{type(model).__name__}")
    return model


def prior_thetas(model, theta, prior_weights):
    """``(thetas (J, p), prior (J,), bayesian)`` from a vector or a prior sample."""
    if theta is None:
        theta = model.example_theta()
    th = as_float_array(theta, "theta", ndim=(1, 2))
    if th.ndim == 1:
        if prior_weights is not None:
            raise TypeError("prior_weights need a prior sample theta of shape (J, p)")
        return model.validate(th)[None, :], np.ones(1), False
    thetas = np.array([model.validate(t) for t in th])
    if prior_weights is None:
        pw = np.full(th.shape[0], 1.0 / th.shape[0])
    else:
        pw = check_weights(prior_weights, "prior_weights", th.shape[0])
        pw = pw / pw.sum()
    return thetas, pw, True


def box_grid(x_bounds, levels=None) -> tuple[np.ndarray, np.ndarray]:
    """Validated bounds (d, 2) and a product grid of candidates in them."""
    b = as_float_array(x_bounds, "x_bounds", ndim=(1, 2))
    if b.ndim == 1:
        b = b[None, :]
    if b.shape[1] != 2 or np.any(b[:, 0] >= b[:, 1]):
        raise ValueError(f"x_bounds must be (low, high) pairs with low < high, one per column "
                         f"of x, got {b.tolist()}")
    d = b.shape[0]
    if levels is None:
        levels = {1: 201, 2: 41, 3: 15}.get(d, 7)
    axes = [np.linspace(lo, hi, levels) for lo, hi in b]
    if d == 1:
        return b, axes[0]
    mesh = np.meshgrid(*axes, indexing="ij")
    return b, np.column_stack([g.ravel() for g in mesh])


def bind_region(crit: Criterion, X, bounds) -> Criterion:
    """``I`` and ``G`` without points: the region is the candidates (uniformly weighted for
    ``I``), or for a box, Gauss-Legendre nodes (``I``) and the candidates (``G``)."""
    if isinstance(crit, I) and crit.points is None and crit.matrix is None:
        return I(*gauss_legendre_box(bounds)) if bounds is not None else I(X)
    if isinstance(crit, G) and crit.points is None:
        return G(X)
    return crit


def gauss_legendre_box(bounds: np.ndarray, nodes: int | None = None):
    """Tensor Gauss-Legendre nodes and weights (normalised) of the uniform measure on a box."""
    d = bounds.shape[0]
    k = nodes or {1: 40, 2: 20, 3: 10}.get(d, 6)
    x, w = np.polynomial.legendre.leggauss(k)
    axes = [(lo + (x + 1) * (hi - lo) / 2, w / 2) for lo, hi in bounds]
    if d == 1:
        return axes[0]
    pts = np.meshgrid(*[a[0] for a in axes], indexing="ij")
    wts = np.meshgrid(*[a[1] for a in axes], indexing="ij")
    return (np.column_stack([g.ravel() for g in pts]),
            np.prod(np.column_stack([g.ravel() for g in wts]), axis=1))


def check_candidates(X, name: str = "candidates") -> np.ndarray:
    return as_float_array(X, name, ndim=(1, 2))


def check_inside(bounds: np.ndarray, X: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` when rows of ``X`` leave the box ``bounds`` (d, 2)."""
    P = X[:, None] if X.ndim == 1 else X
    if P.shape[1] != bounds.shape[0]:
        raise ValueError(f"x_bounds must have one (low, high) pair per column of {name} "
                         f"({P.shape[1]}), got {bounds.shape[0]}")
    span = bounds[:, 1] - bounds[:, 0]
    bad = np.any((P < bounds[:, 0] - 1e-12 * span) | (P > bounds[:, 1] + 1e-12 * span), axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {i} ({P[i].tolist()}) lies outside x_bounds "
                         f"{bounds.tolist()}")


# ------------------------------------------------------------------- plots
def plot_coords(P: np.ndarray):
    """Columns to plot: ``(x_column,)`` for a curve, ``(i, j)`` for a heat map."""
    P2 = P[:, None] if P.ndim == 1 else P
    var = [j for j in range(P2.shape[1]) if np.ptp(P2[:, j]) > 0]
    if len(var) == 2:
        a, b = P2[:, var[0]], P2[:, var[1]]
        if not np.allclose(b, a**2):
            return P2, tuple(var)
    return P2, (var[0] if var else 0,)


def plot_sensitivity(points, sens, bound, design, model, ax, title):
    """Sensitivity ``sens`` at ``points`` with its bound and the support of ``design``."""
    ax = axes_or_new(ax)
    P2, cols = plot_coords(np.asarray(points))
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
