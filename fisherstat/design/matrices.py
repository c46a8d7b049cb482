r"""Designs over candidates given directly by their information matrices (with costs).

Some design problems are not about a covariate ``x`` of a regression model but about a
finite list of candidate *experiments*, each with a known information matrix: sampling
sequences of a population PK study, groups of subjects, sensor placements. Then the
design is a probability vector :math:`w` on the candidates and, when the candidates have
costs :math:`c_i`, the natural design measure is the *cost fraction*: with a budget the
information per unit cost is :math:`\sum_i w_i M_i / c_i` (Fedorov & Leonov 2014,
*Optimal Design for Nonlinear Response Models*, CRC, chapter 4; the cost-normalised
first-order algorithm of PkStaMp). :func:`optimal_weights` solves this with the same
algorithms and certificates as :func:`~fisherstat.design.optimal_design` (the candidate
information is used as a factor :math:`M_i = F_iF_i^T`, of any rank).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import as_float_array, check_weights
from ..models.base import RegressionModel
from .criteria import Criterion
from .optimal import optimal_design

__all__ = ["optimal_weights", "InformationCandidates"]


class InformationCandidates(RegressionModel):
    """A 'model' whose covariate is the index of a candidate with a given information factor.

    Parameters
    ----------
    factor : array_like, shape (k, p, r)
        Factors with ``M_i = F_i F_i^T``.
    param_names : sequence of str

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.design import InformationCandidates
    >>> m = InformationCandidates(np.eye(2)[:, :, None], ["a", "b"])
    >>> m.fisher(m.example_theta(), x=[0.0, 1.0])
    array([[1., 0.],
           [0., 1.]])
    """

    def __init__(self, factor, param_names: Sequence[str]):
        F = as_float_array(factor, "factor", ndim=3)
        if isinstance(param_names, str) or not isinstance(param_names, Sequence) \
                or not all(isinstance(n, str) for n in param_names):
            raise TypeError(f"param_names must be a sequence of {F.shape[1]} strings, got "
                            f"{param_names!r}")
        if len(param_names) != F.shape[1]:
            raise ValueError(f"param_names must name the {F.shape[1]} rows of each factor "
                             f"(k, p, r) = {F.shape}, got {len(param_names)} names")
        super().__init__(param_names)
        self._F = F

    def _check_x(self, x):
        x = x.ravel() if x.ndim == 2 and x.shape[1] == 1 else x
        k = self._F.shape[0]
        if x.ndim != 1 or np.any(x != np.round(x)) or np.any((x < 0) | (x >= k)):
            raise ValueError(f"x must be candidate indices in [0, {k}), got {x!r}")
        return x

    def _point_factor(self, theta, x):
        return self._F[x.astype(int)]

    def _example_theta(self):
        return np.zeros(self.n_params)

    def _example_x(self):
        return np.arange(self._F.shape[0], dtype=float)

    def _loglik(self, theta, data, x):
        raise NotImplementedError("InformationCandidates only carries information matrices")


def _factor_of(information, factor):
    if (information is None) == (factor is None):
        raise TypeError("pass exactly one of information (k, p, p) or factor (k, p, r)")
    if factor is not None:
        F = as_float_array(factor, "factor", ndim=(2, 3))
        return F[:, :, None] if F.ndim == 2 else F
    Mx = as_float_array(information, "information", ndim=3)
    if Mx.shape[1] != Mx.shape[2]:
        raise ValueError(f"information must have shape (k, p, p), got {Mx.shape}")
    sym = 0.5 * Mx + 0.5 * np.swapaxes(Mx, 1, 2)  # (halves first: no overflow near 1e308)
    if np.max(np.abs(Mx - sym)) > 1e-8 * max(np.max(np.abs(Mx)), 1e-300):
        raise ValueError("information must be symmetric matrices")
    w, V = np.linalg.eigh(sym)
    if not np.all(np.isfinite(w)):
        i = int(np.flatnonzero(~np.all(np.isfinite(w), axis=1))[0])
        raise ValueError(f"information: the eigenvalues of candidate {i} overflow float64; "
                         "the information matrices must be rescaled")
    if np.any(w < -1e-8 * np.max(np.abs(w), axis=1, keepdims=True)):
        i = int(np.flatnonzero(np.any(w < -1e-8 * np.max(np.abs(w), axis=1,
                                                          keepdims=True), axis=1))[0])
        raise ValueError(f"information must be positive semi-definite; candidate {i} has "
                         f"eigenvalue {w[i].min():.3g}")
    keep = np.flatnonzero(np.any(w > 1e-12 * np.max(w), axis=0))  # drop null directions
    Fw = V * np.sqrt(np.clip(w, 0.0, None))[:, None, :]
    return Fw[:, :, keep] if keep.size else Fw


def optimal_weights(information=None, *, factor=None, criterion="D", costs=None,
                    param_names: Sequence[str] | None = None, params=None,
                    algorithm: str = "rex", tol: float = 1e-6, max_iter: int | None = None,
                    max_time: float = 600.0, rng=None, progress: bool = False):
    r"""Optimal approximate design over candidates given by their information matrices.

    Parameters
    ----------
    information : array_like, shape (k, p, p), optional
        Information matrix of each candidate (of one unit: one subject, one run).
    factor : array_like, shape (k, p, r), optional
        Instead of ``information``: factors ``F_i`` with ``M_i = F_i F_i^T``.
    criterion : str or Criterion
    costs : array_like, shape (k,), optional
        Positive cost of each candidate. The weights are then *cost fractions* and the
        design information is :math:`\sum_i w_i M_i / c_i` (information per unit cost).
    param_names : sequence of str, optional
        Names of the ``p`` parameters (default ``theta_1 .. theta_p``).
    params : sequence of str or 'all', optional
        Parameters of interest (default all; a :class:`~fisherstat.design.Ds` criterion
        names its own).
    algorithm, tol, max_iter, max_time, rng, progress
        As in :func:`~fisherstat.design.optimal_design`.

    Returns
    -------
    DesignResult
        ``design.points`` are the candidate indices; with costs, ``design.weights`` are
        the cost fractions (the proportions of units are ``w_i / c_i``, renormalised).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.design import optimal_weights
    >>> f = np.array([[1.0, -1.0], [1.0, 0.0], [1.0, 1.0]])  # simple linear regression
    >>> M = np.einsum("ki,kj->kij", f, f)
    >>> res = optimal_weights(M, rng=0)
    >>> res.design.points, np.round(res.design.weights, 6)
    (array([0., 2.]), array([0.5, 0.5]))
    >>> # the end points cost 4 times as much: the centre becomes worth it; with cost
    >>> # fractions (a, 1 - 2a, a), det = (1 - 3a/2) a/2 is maximal at a = 1/3
    >>> res = optimal_weights(M, costs=[4.0, 1.0, 4.0], rng=0)
    >>> np.round(res.design.weights, 6)
    array([0.333333, 0.333333, 0.333333])
    """
    F = _factor_of(information, factor)
    k, p = F.shape[:2]
    if costs is not None:
        cst = check_weights(costs, "costs", k)
        if np.any(cst <= 0):
            raise ValueError(f"costs must be > 0; entry {int(np.argmin(cst))} is {cst.min()!r}")
        F = F / np.sqrt(cst)[:, None, None]
    if param_names is not None and (isinstance(param_names, str)
                                    or not isinstance(param_names, Sequence)):
        raise TypeError(f"param_names must be a sequence of {p} strings, got {param_names!r}")
    names = (tuple(f"theta_{j}" for j in range(1, p + 1)) if param_names is None
             else tuple(param_names))
    model = InformationCandidates(F, names)
    if params is None and not (isinstance(criterion, Criterion) and criterion.name == "Ds"):
        params = "all"
    return optimal_design(model, np.zeros(p), np.arange(k, dtype=float), criterion,
                          algorithm, tol, params=params,
                          max_iter=max_iter, max_time=max_time, rng=rng, progress=progress)
