r"""Cost-normalised approximate designs over candidate sampling sequences.

**Approximate designs over candidate sampling sequences with costs**
(:func:`cost_design`): a subject sampled at sequence :math:`x_i` costs :math:`c(x_i)`
(e.g. :math:`c_0 + c_s k` for :math:`k` samples) and contributes the per-subject FIM
:math:`\mu(x_i)`. With a total budget :math:`C`, allotting the fraction :math:`w_i` of the
budget to sequence :math:`i` gives :math:`n_i = w_i C / c(x_i)` subjects and the
information :math:`C \sum_i w_i \mu(x_i)/c(x_i)`, so the cost-normalised design problem is
an ordinary approximate design problem in :math:`w` with the normalised information
:math:`\mu(x)/c(x)`; its first-order algorithm and equivalence theorem use the
cost-normalised sensitivity :math:`\operatorname{tr}\{M^{-1}\mu(x)\}/c(x) \le m` (for D;
Fedorov & Leonov 2014, *Optimal Design for Nonlinear Response Models*, CRC Press,
cost-based designs; Gagnon & Leonov 2005, *J. Biopharm. Stat.* 15, 143-163; the PkStaMp
library, Aliev et al. 2012, *Commun. Stat. Simul. Comput.* 41, 849-868). The weights are
computed by :func:`fisherstat.design.optimal_design` (REX, multiplicative or
Fedorov-Wynn) on the normalised information matrices, and the result carries its
equivalence-theorem efficiency bound. Varying the length of the candidate sequences
optimises the number of samples per subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array, check_bool, check_scalar
from ..design.matrices import optimal_weights
from ..information import pinv_psd
from ._criterion import criterion_name, population_criterion
from .derived import derived_gradient
from .population import Group, PopulationModel, as_groups

__all__ = ["cost_design", "CostDesignResult", "approximate_weights"]


def approximate_weights(model, mus, crit_name, params, cvec, algorithm, tol,
                        progress=False):
    """Optimal weights over candidates with (normalised) information ``mus`` (k, P, P)."""
    names = model.estimated_names
    # rescale each parameter so that the problem is well conditioned (criteria are
    # equivariant: D and Ds shift by a constant, A/c change by a fixed diagonal metric)
    d = np.sqrt(np.max(np.diagonal(mus, axis1=1, axis2=2), axis=0))
    d = np.where(d > 0, d, 1.0)
    if crit_name in ("D", "Ds"):
        mus_s = mus / (d[:, None] * d[None, :])
        cv = None
    else:
        mus_s, d = mus, np.ones_like(d)
        cv = cvec
    crit = population_criterion(crit_name, names, params, cv)
    res = optimal_weights(mus_s, criterion=crit, param_names=names, algorithm=algorithm,
                          tol=tol, rng=0, progress=progress)
    w = np.zeros(mus.shape[0])
    pts = np.asarray(res.design.points, dtype=float).reshape(-1)
    w[pts.astype(int)] = res.design.weights
    return w, res


@dataclass(frozen=True, eq=False)
class CostDesignResult:
    """Optimal approximate design over candidate sampling sequences with costs.

    Attributes
    ----------
    sequences : tuple of Group
        The candidate sequences.
    costs : ndarray (k,)
        Cost of one subject on each sequence.
    weights : ndarray (k,)
        Optimal fractions of the budget spent on each sequence (sum 1).
    value : float
        Criterion of the information per unit cost (ln det for D).
    efficiency_bound : float
        Equivalence-theorem lower bound of the efficiency.
    design_result : fisherstat.design.DesignResult
        The result of :func:`fisherstat.design.optimal_design` on the cost-normalised
        information (scaled parameters for D/Ds).
    information : ndarray
        Information per unit cost :math:`\\sum_i w_i \\mu_i / c_i` (estimated parameters).
    param_names : tuple of str
    """

    sequences: tuple
    costs: np.ndarray
    weights: np.ndarray
    criterion: str
    value: float
    efficiency_bound: float
    information: np.ndarray
    param_names: tuple
    design_result: object = field(repr=False, default=None)

    @property
    def support(self) -> np.ndarray:
        """Indices of the sequences with positive weight."""
        return np.flatnonzero(self.weights > 1e-9)

    def subjects(self, budget: float) -> np.ndarray:
        """Numbers of subjects ``budget * w_i / c_i`` (not rounded) for a total budget."""
        budget = _check_budget(budget)
        return budget * self.weights / self.costs

    def rse(self, budget: float) -> np.ndarray:
        """RSE% of the estimated parameters for a total ``budget``."""
        M = _check_budget(budget) * self.information
        se = np.sqrt(np.clip(np.diag(pinv_psd(M)[0]), 0, None))
        return 100 * se / np.abs(self._values)

    _values: np.ndarray = field(repr=False, default=None)

    def summary(self, budget: float | None = None) -> str:
        """Table of the support: times, cost, budget fraction, subject fraction.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example, candidate_sequences, cost_design
        >>> model, _ = warfarin_example()
        >>> seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
        >>> res = cost_design(model, seqs, costs=lambda g: 1.0 + 0.25 * g.n_samples)
        >>> print(res.summary(budget=100))  # doctest: +ELLIPSIS
        Cost-normalised D-optimal design over 35 sequences ...
        """
        if budget is not None:
            budget = _check_budget(budget)
        subj = self.weights / self.costs
        subj = subj / subj.sum()
        lines = [f"Cost-normalised {self.criterion}-optimal design over {len(self.sequences)} "
                 f"sequences (efficiency >= {self.efficiency_bound:.6f})",
                 f"{'cost':>8}{'budget%':>9}{'subject%':>10}"
                 + (f"{'subjects':>10}" if budget else "") + "  sampling times"]
        for i in self.support:
            g = self.sequences[i]
            lines.append(f"{self.costs[i]:>8.4g}{100 * self.weights[i]:>9.2f}"
                         f"{100 * subj[i]:>10.2f}"
                         + (f"{self.subjects(budget)[i]:>10.2f}" if budget else "")
                         + "  " + ", ".join(f"{t:.4g}" for t in g.times))
        lines.append(f"criterion {self.criterion} per unit cost: {self.value:.6g}")
        if budget:
            lines.append("RSE% at budget " + f"{budget:g}: " + ", ".join(
                f"{n} {r:.2f}" for n, r in zip(self.param_names, self.rse(budget),
                                               strict=True)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _check_budget(budget) -> float:
    """A budget is a finite number > 0 whose information ``budget * M`` does not overflow."""
    b = check_scalar(budget, "budget", low=0)
    if b > 1e300:
        raise ValueError(f"budget must be <= 1e300 (the information would overflow), got {b!r}")
    return b


def cost_design(
    model: PopulationModel,
    sequences: Sequence[Group],
    costs=None,
    *,
    criterion: str = "D",
    fim: str = "reduced",
    params: Sequence[str] | None = None,
    derived=None,
    algorithm: str = "rex",
    tol: float = 1e-7,
    progress: bool = False,
) -> CostDesignResult:
    r"""Cost-normalised optimal approximate design over candidate sampling sequences.

    PkStaMp's first-order approach (module documentation): per-subject population FIMs
    :math:`\mu_i` of the sequences, normalised by their costs, are the candidate
    information matrices of :func:`fisherstat.design.optimal_design`.

    Parameters
    ----------
    model : PopulationModel
    sequences : sequence of Group
        Candidate sequences (times, dose, responses; sizes are ignored), e.g. from
        :func:`candidate_sequences`.
    costs : array_like (k,) or callable, optional
        Cost of one subject on each sequence, or ``cost(group) -> float`` (default 1: the
        ordinary optimal approximate design).
    criterion : {'D', 'Ds', 'A', 'c'}
    fim : {'reduced', 'full'}
    params : sequence of str
        For ``'Ds'``.
    derived : {'AUC', 'Cmax'} or callable
        For ``'c'``.
    algorithm : {'rex', 'multiplicative', 'fedorov_wynn'}
    tol : float
        Stop when the efficiency bound is ``>= 1 - tol``.
    progress : bool, default False
        Show the iterations of the design algorithm on stderr (as in
        :func:`fisherstat.design.optimal_design`); the result is the same as without.

    Returns
    -------
    CostDesignResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import warfarin_example, candidate_sequences, cost_design
    >>> model, _ = warfarin_example()
    >>> seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
    >>> res = cost_design(model, seqs, costs=lambda g: 1.0 + 0.25 * g.n_samples)
    >>> bool(res.efficiency_bound > 1 - 1e-6), round(float(res.weights.sum()), 12)
    (True, 1.0)
    """
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
    model._check_fim(fim)
    if not isinstance(sequences, (list, tuple)):
        raise TypeError(f"sequences must be a non-empty sequence of Groups, got "
                        f"{type(sequences).__name__}")
    try:
        seqs = as_groups(list(sequences))
    except TypeError:
        raise TypeError("sequences must be a non-empty sequence of Groups (e.g. from "
                        "candidate_sequences)") from None
    crit_name = criterion_name(criterion)
    progress = check_bool(progress, "progress")
    k = len(seqs)
    if callable(costs):
        c = np.array([float(costs(g)) for g in seqs])
    elif costs is None:
        c = np.ones(k)
    else:
        c = as_float_array(costs, "costs", shape=(k,))
    if not np.all(np.isfinite(c)) or np.any(c <= 0):
        raise ValueError("costs must be finite and > 0")
    est = model.estimated
    mus = np.empty((k, int(est.sum()), int(est.sum())))
    # batch sequences that share length, dose and responses
    keys: dict = {}
    for i, g in enumerate(seqs):
        keys.setdefault((g.n_samples, repr(g.dose), repr(g.response)), []).append(i)
    for idx in keys.values():
        g0 = seqs[idx[0]]
        T = np.array([seqs[i].times for i in idx])
        (Mb, ok), _ = model._group_fim(g0, fim, times=T)  # validates g0's dose
        if not ok.all():
            bad = idx[int(np.flatnonzero(~ok)[0])]
            raise ValueError(f"sequences: the variance is not positive definite for sequence "
                             f"{bad} (times {seqs[bad].times.tolist()})")
        mus[idx] = Mb[:, est][:, :, est]
    cvec = None
    if crit_name == "c":
        if derived is None:
            raise TypeError("criterion 'c' needs derived= ('AUC', 'Cmax' or a callable)")
        t_end = max(float(g.times.max()) for g in seqs)
        _, gb = derived_gradient(model, derived, seqs[0].dose, t_max=t_end)
        full = np.zeros(len(model.param_names))
        full[: model.n_beta] = gb
        cvec = full[est]
    norm = mus / c[:, None, None]
    w, res = approximate_weights(model, norm, crit_name, params, cvec, algorithm, tol,
                                 progress)
    info = np.einsum("k,kij->ij", w, norm)
    crit = population_criterion(crit_name, model.estimated_names, params, cvec)
    val = float(crit.values(info[None], model.estimated_names)[0])
    return CostDesignResult(tuple(seqs), c, w, crit_name, val, float(res.efficiency_bound),
                            info, model.estimated_names, res, model.values[est])
