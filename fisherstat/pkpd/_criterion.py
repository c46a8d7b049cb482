r"""The criteria of population designs: the :mod:`fisherstat.design` criteria on the FIM.

Population design (:func:`~fisherstat.pkpd.optimize_design`,
:func:`~fisherstat.pkpd.cost_design`) evaluates :class:`~fisherstat.design.D`,
:class:`~fisherstat.design.Ds`, :class:`~fisherstat.design.A` and
:class:`~fisherstat.design.c` on the population FIM of the estimated parameters (batched
with :meth:`~fisherstat.design.Criterion.values`, differentiated with
:meth:`~fisherstat.design.Criterion.derivative`). This module only names them, checks the
parameters of interest against the estimated ones, and turns values into utilities
(larger is better) for the optimisers.
"""

from __future__ import annotations

import numpy as np

from ..design.criteria import A, Criterion, D, Ds, c
from .population import PopulationModel

__all__ = ["CRITERIA", "criterion_name", "population_criterion", "utilities", "natural",
           "check_model"]

#: The criteria of :func:`optimize_design` and :func:`cost_design`.
CRITERIA = ("D", "Ds", "A", "c")


def criterion_name(criterion) -> str:
    """The canonical name (``'D'``, ``'Ds'``, ``'A'``, ``'c'``) of a criterion given by name."""
    if not isinstance(criterion, str):
        raise TypeError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    name = {"D": "D", "DS": "Ds", "A": "A", "C": "c"}.get(criterion.upper())
    if name is None:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    return name


def population_criterion(name: str, names: tuple, params=None, cvec=None) -> Criterion:
    """The design criterion ``name`` for the estimated parameters ``names``.

    ``'Ds'`` needs ``params`` (estimated parameters of interest, leaving at least one
    nuisance parameter); ``'c'`` needs ``cvec`` (the gradient of the derived quantity over
    the estimated parameters).

    Examples
    --------
    >>> population_criterion("Ds", ("CL", "V", "KA"), params=["CL"])
    Ds(['CL'])
    """
    if name == "D":
        return D()
    if name == "A":
        return A()
    if name == "c":
        return c(cvec)
    if params is None:
        raise TypeError("criterion 'Ds' needs params (the parameters of interest)")
    if not isinstance(params, (str, list, tuple, np.ndarray)):
        raise TypeError(f"params must be a parameter name or a sequence of names, got "
                        f"{type(params).__name__}")
    params = [params] if isinstance(params, str) else list(params)
    if not params:
        raise ValueError("params must name at least one parameter of interest")
    for q in params:
        if not isinstance(q, str) or q not in names:
            raise ValueError(f"params: unknown or not estimated parameter {q!r}; "
                             f"expected names from {names}")
    if len(set(params)) != len(params) or len(params) == len(names):
        raise ValueError("params must be distinct and leave at least one nuisance "
                         "parameter (otherwise use 'D')")
    return Ds(params)


def utilities(crit: Criterion, Ms: np.ndarray, names: tuple) -> np.ndarray:
    """Utilities (larger is better) of a batch of FIMs (B, k, k): the criterion values,
    negated for the criteria that are minimised."""
    v = crit.values(Ms, names)
    return v if crit.larger_is_better else -v


def natural(crit: Criterion, u: float) -> float:
    """The criterion in its usual units (ln det, trace, variance) from a utility."""
    return float(u) if crit.larger_is_better else float(-u)


def check_model(model):
    """``model`` must be a :class:`PopulationModel`."""
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
