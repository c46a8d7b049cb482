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

:func:`local_optima` computes the references :math:`\xi_k^*` once; pass the result as
``reference=`` to :func:`efficiency_under_uncertainty` and to
:func:`~fisherstat.pkpd.optimize_design` so that every design is judged on the same
draws against the same optima.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array, check_random_state
from ._criterion import check_model, criterion_name
from ._evaluator import Evaluator, draw_models
from .population import PopulationModel, as_groups

__all__ = ["LocalOptima", "local_optima", "PriorEfficiency", "efficiency_under_uncertainty"]

#: options of :func:`optimize_design` that define the design space of the local optima
_SPACE = ("windows", "min_spacing", "candidates", "dose_bounds", "duration_bounds",
          "n_starts", "maxiter")


@dataclass(frozen=True, eq=False)
class LocalOptima:
    """The locally optimal design at each prior draw (the references of the efficiencies).

    Attributes
    ----------
    prior : ndarray, shape (K, p)
        The draws of the fixed effects.
    utilities : ndarray, shape (K,)
        :math:`\\ln\\det M(\\xi_k^*; \\beta_k)` (``'D'``; the Schur complement's for
        ``'Ds'``).
    designs : tuple
        Per draw, the locally optimal groups :math:`\\xi_k^*`.
    criterion : str
        ``'D'`` or ``'Ds'``.
    fim : str
    params : tuple or None
        Parameters of interest (``'Ds'``).
    """

    prior: np.ndarray = field(repr=False)
    utilities: np.ndarray = field(repr=False)
    designs: tuple = field(repr=False)
    criterion: str = "D"
    fim: str = "reduced"
    params: tuple | None = None

    def _check(self, prior, criterion: str, fim: str, params) -> None:
        """``ValueError`` unless these optima belong to the given draws and criterion."""
        P = as_float_array(prior, "prior", ndim=2)
        if P.shape != self.prior.shape or not np.array_equal(P, self.prior):
            raise ValueError("reference: its prior draws differ from prior; expected the "
                             "optima of these draws (local_optima(model, design, prior, ...))")
        got = (criterion, fim, None if params is None else tuple(np.atleast_1d(params)))
        if got != (self.criterion, self.fim, self.params):
            raise ValueError(f"reference: it was computed for (criterion, fim, params) = "
                             f"{(self.criterion, self.fim, self.params)}, expected {got}")


def local_optima(model: PopulationModel, design, prior, *, criterion: str = "D",
                 fim: str = "reduced", params: Sequence[str] | None = None, rng=None,
                 **options) -> LocalOptima:
    """The locally optimal design at each prior draw, by :func:`optimize_design`.

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The start design of every local optimisation (it fixes the groups, their sizes and
        numbers of samples).
    prior : array_like, shape (K, p)
        Draws of the fixed effects.
    criterion : {'D', 'Ds'}
    fim : {'reduced', 'full'}
    params : sequence of str
        Parameters of interest for ``'Ds'``.
    rng : None, int or Generator
        For the random starts (one generator used for the draws in turn).
    **options
        The design space and the search, as in :func:`optimize_design`: ``windows``,
        ``min_spacing``, ``candidates``, ``dose_bounds``, ``duration_bounds``,
        ``n_starts``, ``maxiter``.

    Returns
    -------
    LocalOptima

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example, prior_sample, local_optima
    >>> model, design = warfarin_example()
    >>> design = design.replace(times=[0.5, 2, 24, 120])
    >>> ref = local_optima(model, design, prior_sample(model, 0.3, 2, rng=0),
    ...                    windows=(0.5, 120), n_starts=1)
    >>> ref.utilities.shape, len(ref.designs)
    ((2,), 2)
    """
    from .optimize import optimize_design

    bad = sorted(set(options) - set(_SPACE))
    if bad:
        raise TypeError(f"local_optima: unknown options {bad}; expected some of {_SPACE}")
    crit, groups, P = _check_common(model, design, prior, criterion, fim)
    rng = check_random_state(rng)
    vals, designs = [], []
    for m in draw_models(model, P):
        res = optimize_design(m, groups, criterion=crit, fim=fim, params=params, rng=rng,
                              **options)
        vals.append(res.value)
        designs.append(res.design)
    P = P.copy()
    P.flags.writeable = False
    u = np.array(vals)
    u.flags.writeable = False
    return LocalOptima(P, u, tuple(designs), crit, fim,
                       None if params is None else tuple(np.atleast_1d(params)))


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
    crit, groups, P = _check_common(model, design, prior, criterion, fim)
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


def _check_common(model, design, prior, criterion, fim):
    """The checked (criterion name, groups, prior draws) of the functions of this module."""
    check_model(model)
    crit = criterion_name(criterion)
    if crit not in ("D", "Ds"):
        raise ValueError(f"criterion must be 'D' or 'Ds' (D-efficiencies), got {criterion!r}")
    model._check_fim(fim)
    return crit, as_groups(design), _check_prior(model, prior)


def _check_prior(model, prior) -> np.ndarray:
    P = as_float_array(prior, "prior", ndim=2)
    if P.shape[0] < 1 or P.shape[1] != model.n_beta:
        raise ValueError(f"prior must have shape (K, {model.n_beta}) with K >= 1 (draws of "
                         f"the fixed effects {model.structural.param_names}), got {P.shape}")
    draw_models(model, P)
    return P

