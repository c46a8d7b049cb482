r"""The locally optimal designs of prior draws: the references of maximin designs and of
the efficiencies under uncertainty (:mod:`fisherstat.pkpd.robust`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array
from ._criterion import check_model, criterion_name
from ._evaluator import draw_models
from .population import as_groups

__all__ = ["LocalOptima", "SPACE", "check_common", "check_prior"]

#: options of :func:`optimize_design` that define the design space of the local optima
SPACE = ("windows", "min_spacing", "candidates", "dose_bounds", "duration_bounds",
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


def check_common(model, design, prior, criterion, fim):
    """The checked (criterion name, groups, prior draws) of the functions of this module."""
    check_model(model)
    crit = criterion_name(criterion)
    if crit not in ("D", "Ds"):
        raise ValueError(f"criterion must be 'D' or 'Ds' (D-efficiencies), got {criterion!r}")
    model._check_fim(fim)
    return crit, as_groups(design), check_prior(model, prior)


def check_prior(model, prior) -> np.ndarray:
    P = as_float_array(prior, "prior", ndim=2)
    if P.shape[0] < 1 or P.shape[1] != model.n_beta:
        raise ValueError(f"prior must have shape (K, {model.n_beta}) with K >= 1 (draws of "
                         f"the fixed effects {model.structural.param_names}), got {P.shape}")
    draw_models(model, P)
    return P

