r"""Efficiency of a population design under uncertainty about the fixed effects.

A locally optimal design is optimal at one guess :math:`\beta` of the fixed effects. Over
a prior sample :math:`\beta_1..\beta_K` (e.g. :func:`~fisherstat.pkpd.prior_sample`) the
D-efficiency of a design :math:`\xi` at draw :math:`k`,

.. math::

    \mathrm{eff}_k(\xi) = \left(\frac{\det M(\xi; \beta_k)}
                               {\det M(\xi_k^*; \beta_k)}\right)^{1/s},

is relative to the locally optimal design :math:`\xi_k^*` at that draw (found by
:func:`~fisherstat.pkpd.optimize_design` over the same design space: windows, spacing,
candidates, doses); :math:`s` is the number of estimated parameters (``'D'``) or of
parameters of interest (``'Ds'``, with the Schur complement). The distribution of
:math:`\mathrm{eff}_k` over the draws (mean, minimum, quantiles) compares local, Bayesian
(ED/ELD) and maximin designs; the maximin-efficiency design
(``optimize_design(..., bayesian='maximin')``) maximises :math:`\min_k \mathrm{eff}_k`
(standardised maximin D-optimality: Dette 1997, *J. R. Statist. Soc. B* 59, 97-110;
Imhof 2001, *Ann. Statist.* 29, 561-576; for pharmacokinetic experiments Pronzato &
Walter 1988, *Math. Biosci.* 89, 161-176).

:func:`~fisherstat.pkpd.local_optima` computes the references :math:`\xi_k^*` once;
pass the result as ``reference=`` to :func:`efficiency_under_uncertainty` and to
:func:`~fisherstat.pkpd.optimize_design` so that every design is judged on the same draws
against the same optima.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array
from ._evaluator import Evaluator
from ._optima import LocalOptima, check_common
from .optimize import local_optima
from .population import PopulationModel

__all__ = ["PriorEfficiency", "efficiency_under_uncertainty"]
@dataclass(frozen=True, eq=False)
class PriorEfficiency:
    """The D-efficiency of a design at each prior draw, relative to the local optima.

    Attributes
    ----------
    efficiencies : ndarray, shape (K,)
        :math:`\\mathrm{eff}_k` (module documentation); above 1 only where the local
        optimiser missed the optimum of draw ``k`` by more than its tolerance.
    levels, quantiles : ndarray
        The quantile levels and the efficiencies' quantiles.
    reference : LocalOptima
    criterion : str
    """

    efficiencies: np.ndarray
    levels: np.ndarray = field(repr=False)
    quantiles: np.ndarray = field(repr=False)
    reference: LocalOptima = field(repr=False)
    criterion: str = "D"

    @property
    def mean(self) -> float:
        """Mean efficiency over the draws."""
        return float(self.efficiencies.mean())

    @property
    def min(self) -> float:
        """Worst-case efficiency over the draws (the maximin design's criterion)."""
        return float(self.efficiencies.min())

    @property
    def worst_draw(self) -> np.ndarray:
        """The fixed effects of the draw with the smallest efficiency."""
        return self.reference.prior[int(np.argmin(self.efficiencies))]

    def summary(self) -> str:
        """Mean, minimum and quantiles of the efficiencies.

        Examples
        --------
        >>> from fisherstat.pkpd import (warfarin_example, prior_sample,
        ...                              efficiency_under_uncertainty)
        >>> model, design = warfarin_example()
        >>> design = design.replace(times=[0.5, 2, 24, 120])
        >>> P = prior_sample(model, 0.3, 2, rng=0)
        >>> r = efficiency_under_uncertainty(model, design, P, windows=(0.5, 120),
        ...                                  n_starts=1)
        >>> print(r.summary())  # doctest: +ELLIPSIS
        D-efficiency over 2 prior draws (relative to each draw's local optimum)
        mean 0.9..., min 0.9...
        quantiles: 5% 0.9..., 25% ..., 50% ..., 75% ..., 95% ...
        """
        lines = [f"{self.criterion}-efficiency over {self.efficiencies.size} prior draws "
                 "(relative to each draw's local optimum)",
                 f"mean {self.mean:.4f}, min {self.min:.4f}",
                 "quantiles: " + ", ".join(f"{100 * q:.3g}% {v:.4f}" for q, v in
                                           zip(self.levels, self.quantiles, strict=True))]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def efficiency_under_uncertainty(model: PopulationModel, design, prior, *, reference=None,
                                 criterion: str = "D", fim: str = "reduced",
                                 params: Sequence[str] | None = None,
                                 levels=(0.05, 0.25, 0.5, 0.75, 0.95), rng=None,
                                 **options) -> PriorEfficiency:
    r"""The distribution over prior draws of a design's efficiency (module documentation).

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The design to judge (e.g. ``res.design`` of a local, ED or maximin optimisation).
    prior : array_like, shape (K, p)
        Draws of the fixed effects.
    reference : LocalOptima, optional
        The local optima of these draws (:func:`local_optima`); computed from ``design``
        as start with ``options`` when not given. Reuse it to compare several designs.
    criterion : {'D', 'Ds'}
    fim : {'reduced', 'full'}
    params : sequence of str
        Parameters of interest for ``'Ds'``.
    levels : sequence of float in [0, 1]
        Quantile levels to report.
    rng, **options
        Passed to :func:`local_optima` when ``reference`` is not given.

    Returns
    -------
    PriorEfficiency

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import (warfarin_example, prior_sample, local_optima,
    ...                              efficiency_under_uncertainty)
    >>> model, design = warfarin_example()
    >>> design = design.replace(times=[0.5, 2, 24, 120])
    >>> P = np.vstack([model.beta, prior_sample(model, 0.3, 2, rng=0)])
    >>> ref = local_optima(model, design, P, windows=(0.5, 120), n_starts=1)
    >>> r = efficiency_under_uncertainty(model, ref.designs[0], P, reference=ref)
    >>> round(float(r.efficiencies[0]), 12), bool(0 < r.min <= 1)
    (1.0, True)
    """
    crit, groups, P = check_common(model, design, prior, criterion, fim)
    lv = as_float_array(levels, "levels", ndim=1)
    if lv.size == 0 or np.any((lv < 0) | (lv > 1)):
        raise ValueError(f"levels must be quantile levels in [0, 1], got {lv.tolist()}")
    if reference is None:
        reference = local_optima(model, groups, P, criterion=crit, fim=fim, params=params,
                                 rng=rng, **options)
    elif not isinstance(reference, LocalOptima):
        raise TypeError(f"reference must be a LocalOptima (from local_optima), got "
                        f"{type(reference).__name__}")
    elif options:
        raise TypeError(f"options {sorted(options)} define the local optima; they are not "
                        "used with a given reference")
    reference._check(P, crit, fim, params)
    ev = Evaluator(model, groups, fim, crit, params, None, P, None, "maximin",
                   reference.utilities)
    U = ev.draw_utilities([g.times for g in groups], [g.dose for g in groups])
    with np.errstate(invalid="ignore"):
        eff = np.exp((U - reference.utilities) / ev.s)  # 0 where the FIM is singular
    eff.flags.writeable = False
    q = np.quantile(eff, lv)
    return PriorEfficiency(eff, lv, q, reference, crit)
