r"""Approximate and exact designs: points with weights, or with numbers of runs.

An *approximate design* :math:`\xi = \{x_i, w_i\}` puts the proportion :math:`w_i` of the
observations at :math:`x_i`; its (normalised) information matrix at :math:`\theta` is

.. math::

    M(\xi, \theta) = \sum_i w_i\, M(x_i, \theta),

with :math:`M(x, \theta)` the information of one observation at :math:`x`
(``model.point_information``). An *exact design* of :math:`N` runs takes :math:`n_i`
observations at :math:`x_i`, :math:`\sum n_i = N`; its information is
:math:`\sum_i n_i M(x_i, \theta) = N\, M(\xi_N)`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._figures import axes_or_new
from .._validation import as_float_array, check_scalar, check_weights, readonly
from ..information import FisherInfo
from ..models.base import RegressionModel

__all__ = ["Design", "ExactDesign"]


def _names(names, d: int) -> tuple:
    if names is None:
        return ("x",) if d == 1 else tuple(f"x{j}" for j in range(1, d + 1))
    if isinstance(names, str):
        names = (names,)
    if not isinstance(names, Sequence):
        raise TypeError(f"names must be {d} strings (one per column of points), got "
                        f"{type(names).__name__}")
    names = tuple(names)
    if len(names) != d or not all(isinstance(n, str) for n in names):
        raise ValueError(f"names must be {d} strings (one per column of points), got {names!r}")
    return names


def _fmt_table(cols: Sequence[str], rows: np.ndarray, last: str, last_vals, last_fmt) -> str:
    width = max(10, *(len(c) + 2 for c in cols), len(last) + 2)
    head = "".join(f"{c:>{width}}" for c in cols) + f"{last:>{width}}"
    lines = [head]
    for r, v in zip(rows, last_vals, strict=True):
        lines.append("".join(f" {x:>{width - 1}.6g}" for x in r)
                     + f" {v:>{width - 1}{last_fmt}}")
    return "\n".join(lines)


class _BaseDesign:
    """Shared parts of :class:`Design` and :class:`ExactDesign`."""

    points: np.ndarray
    weights: np.ndarray
    names: tuple

    @property
    def n_points(self) -> int:
        """Number of design points (rows of ``points``)."""
        return int(self.points.shape[0])

    @property
    def dim(self) -> int:
        """Number of covariates of a point (columns of ``points``)."""
        return 1 if self.points.ndim == 1 else int(self.points.shape[1])

    def _points2d(self) -> np.ndarray:
        return self.points[:, None] if self.points.ndim == 1 else self.points

    def _information(self, model, theta, scale: np.ndarray, n_obs: float, params):
        if not isinstance(model, RegressionModel):
            raise TypeError(f"model must be a regression model (with point_factor), got "
                            f"{type(model).__name__}")
        theta = model.validate(theta)
        try:
            F = model.point_factor(theta, self.points)
        except ValueError as exc:
            raise ValueError(f"points: {exc}") from None
        F = F * np.sqrt(scale)[:, None, None]
        G = np.moveaxis(F, 1, 0).reshape(F.shape[1], -1)
        info = FisherInfo(G @ G.T, model.param_names, n_obs=n_obs)
        if params is None:
            return info
        try:
            return info.marginal(params)
        except ValueError as exc:
            raise ValueError(f"params: {exc}") from None
        except TypeError as exc:
            raise TypeError(f"params: {exc}") from None

    def plot(self, ax=None):
        """Weights (or counts) at the points: stems for one covariate, sized dots for two.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes_or_new(ax)
        P = self._points2d()
        h = self.weights if isinstance(self, Design) else self.counts
        label = "weight" if isinstance(self, Design) else "runs"
        if P.shape[1] == 1:
            ax.vlines(P[:, 0], 0, h, lw=2)
            ax.plot(P[:, 0], h, "o")
            ax.set_xlabel(self.names[0])
            ax.set_ylabel(label)
            ax.set_ylim(0, None)
        else:
            ax.scatter(P[:, 0], P[:, 1], s=600 * self.weights / self.weights.max(), alpha=0.7)
            for (x, y), v in zip(P[:, :2], h, strict=True):
                ax.annotate(f"{v:.3g}", (x, y), ha="center", va="center", fontsize=8)
            ax.set_xlabel(self.names[0])
            ax.set_ylabel(self.names[1])
        return ax


class Design(_BaseDesign):
    r"""An approximate design: points :math:`x_i` with weights :math:`w_i` summing to one.

    Parameters
    ----------
    points : array_like, shape (k,) or (k, d)
        Design points, in the covariates ``x`` of the model (one row per point).
    weights : array_like, shape (k,), optional
        Non-negative weights, normalised to sum to one (default: uniform).
    names : sequence of str, optional
        Names of the covariates (columns of ``points``) for printing.

    Notes
    -----
    The information matrix of the design is :math:`M(\xi,\theta) = \sum_i w_i M(x_i,
    \theta)` (Kiefer 1959, *J. R. Statist. Soc. B* 21, 272-319; Atkinson, Donev & Tobias
    2007, chapter 9): the information *per observation* of an experiment that puts the
    proportion :math:`w_i` of its runs at :math:`x_i`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.design import Design
    >>> d = Design([-1.0, 0.0, 1.0], [1, 1, 1])
    >>> print(d)
    Design: 3 points
             x    weight
            -1  0.333333
             0  0.333333
             1  0.333333
    >>> model = fs.design.polynomial(1, degree=2).model()
    >>> info = d.information(model, model.example_theta(), params=["Intercept", "x", "x^2"])
    >>> round(float(np.linalg.det(info.matrix)), 6)  # 4/27 (sigma2 = 1)
    0.148148
    """

    def __init__(self, points, weights=None, names: Sequence[str] | None = None):
        pts = as_float_array(points, "points", ndim=(1, 2))
        k = pts.shape[0]
        if weights is None:
            w = np.full(k, 1.0 / k)
        else:
            w = check_weights(weights, "weights", k)
            w = w / w.sum()
        self.points = readonly(pts)
        self.weights = readonly(w)
        self.names = _names(names, 1 if pts.ndim == 1 else pts.shape[1])

    def information(self, model, theta, params: Sequence[str] | None = None):
        r"""Normalised information matrix :math:`\sum_i w_i M(x_i, \theta)` (``n_obs = 1``).

        Parameters
        ----------
        model : RegressionModel
        theta : array_like
        params : sequence of str, optional
            Return the efficient information of these parameters (the others nuisance,
            :meth:`FisherInfo.marginal <fisherstat.FisherInfo.marginal>`).

        Returns
        -------
        FisherInfo
        """
        return self._information(model, theta, self.weights, 1.0, params)

    def support(self, tol: float = 0.0) -> Design:
        """The design restricted to points with weight ``> tol`` (renormalised)."""
        tol = check_scalar(tol, "tol", low=0.0, low_open=False)
        if not tol < self.weights.max():
            raise ValueError(f"tol must be smaller than the largest weight "
                             f"{self.weights.max():g} (else no point is left), got {tol!r}")
        keep = self.weights > tol
        return Design(self.points[keep], self.weights[keep], self.names)

    def summary(self) -> str:
        """The design as a table of points and weights."""
        head = f"Design: {self.n_points} points"
        return head + "\n" + _fmt_table(self.names, self._points2d(), "weight", self.weights,
                                         ".6g")

    __str__ = summary

    def __repr__(self) -> str:
        return f"Design({self.n_points} points, dim={self.dim})"


class ExactDesign(_BaseDesign):
    r"""An exact design: :math:`n_i` runs at :math:`x_i`, :math:`N = \sum_i n_i`.

    Parameters
    ----------
    points : array_like, shape (k,) or (k, d)
    counts : array_like of int, shape (k,)
        Non-negative numbers of runs (at least one positive).
    names : sequence of str, optional

    Notes
    -----
    Its information is :math:`\sum_i n_i M(x_i, \theta) = N M(\xi_N, \theta)` with
    :math:`\xi_N` the approximate design of weights :math:`n_i / N` (``weights``).

    Examples
    --------
    >>> from fisherstat.design import ExactDesign
    >>> d = ExactDesign([-1.0, 0.0, 1.0], [2, 1, 2])
    >>> d.n_runs, d.weights
    (5, array([0.4, 0.2, 0.4]))
    >>> print(d)
    ExactDesign: 5 runs at 3 points
             x      runs
            -1         2
             0         1
             1         2
    """

    def __init__(self, points, counts, names: Sequence[str] | None = None):
        pts = as_float_array(points, "points", ndim=(1, 2))
        k = pts.shape[0]
        n = check_weights(counts, "counts", k)
        if np.any(n > 2.0**53):
            i = int(np.argmax(n))
            raise ValueError(f"counts must be integers <= 2**53; entry {i} is {n[i]!r}")
        if np.any(n != np.round(n)):
            i = int(np.flatnonzero(n != np.round(n))[0])
            raise ValueError(f"counts must be integers; entry {i} is {n[i]!r}")
        cnt = np.round(n).astype(int)
        cnt.flags.writeable = False
        self.points = readonly(pts)
        self.counts = cnt
        self.weights = readonly(cnt / cnt.sum())
        self.names = _names(names, 1 if pts.ndim == 1 else pts.shape[1])

    @property
    def n_runs(self) -> int:
        """Total number of runs ``N``."""
        return int(self.counts.sum())

    def information(self, model, theta, params: Sequence[str] | None = None):
        r"""Information :math:`\sum_i n_i M(x_i, \theta)` of the ``N`` runs (``n_obs = N``)."""
        return self._information(model, theta, self.counts.astype(float), float(self.n_runs),
                                 params)

    def to_design(self) -> Design:
        """The approximate design with weights ``n_i / N``."""
        return Design(self.points, self.weights, self.names)

    def summary(self) -> str:
        """The design as a table of points and numbers of runs."""
        head = f"ExactDesign: {self.n_runs} runs at {self.n_points} points"
        return head + "\n" + _fmt_table(self.names, self._points2d(), "runs", self.counts, "d")

    __str__ = summary

    def __repr__(self) -> str:
        return f"ExactDesign({self.n_runs} runs at {self.n_points} points, dim={self.dim})"
