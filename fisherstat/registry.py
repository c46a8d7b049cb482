"""The complete registry of built-in models: every model of every layer, by name.

:data:`REGISTRY` extends :data:`fisherstat.models.REGISTRY` (the models of
:mod:`fisherstat.models`: iid, regression, time-series and time-series regression models
and the singular toy models) with the models of the layers above it -- the PopED warfarin
population PK model of :mod:`fisherstat.pkpd` and a small multilayer perceptron of
:mod:`fisherstat.nn` -- which ``models/`` may not import (data flows models -> information
-> design/nn). The command line (``fisherstat models``, ``fisherstat info MODEL``) and the
contract tests run over it.

Each value is a :class:`~fisherstat.models.registry.ModelEntry`: constructor and default
options, kind (one of :data:`KINDS`), default parameter and context, and the parsers of
``--option NAME=VALUE``. :func:`information` computes the information of an entry's model
(``fisherstat.fisher``, or the entry's own rule for a population model).

Examples
--------
>>> from fisherstat.registry import REGISTRY, get_entry, information
>>> [REGISTRY[n].kind for n in ("Normal", "Emax", "ARMA", "WarfarinPK", "MLP")]
['iid', 'regression', 'time series', 'population', 'network']
>>> entry = get_entry("arma")
>>> model = entry.build(**entry.parse_options({"p": "1", "q": "1"}))
>>> information(entry, model, entry.default_theta(model)).param_names
('phi1', 'theta1', 'sigma2')
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array
from .information import FisherInfo, fisher
from .models.registry import KINDS, ModelEntry, lookup, parse_option
from .models.registry import REGISTRY as MODELS_REGISTRY
from .nn import MLP
from .pkpd import Group, PopulationModel, warfarin_example

__all__ = ["REGISTRY", "KINDS", "ModelEntry", "get_entry", "get_model", "information",
           "population_information"]


# ------------------------------------------------------------------ population
def _warfarin() -> PopulationModel:
    return warfarin_example()[0]


def _warfarin_design(model) -> dict:
    return {"design": warfarin_example()[1]}


def _population_theta(model) -> np.ndarray:
    return np.asarray(model.values, dtype=np.float64)[np.asarray(model.estimated)]


def population_information(model: PopulationModel, theta, design, fim: str = "reduced",
                           approximation: str = "FO") -> FisherInfo:
    """The population FIM of ``design`` at ``theta`` as a :class:`~fisherstat.FisherInfo`.

    ``theta`` holds the estimated parameters (``model.estimated_names``); the fixed effects
    are set from it (:meth:`~fisherstat.pkpd.PopulationModel.with_beta`), the variances of
    the random effects and of the error must be the model's own (they are options of the
    model, not of this function). ``n_obs`` of the result is the number of subjects.

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example
    >>> from fisherstat.registry import population_information
    >>> model, design = warfarin_example()
    >>> info = population_information(model, [0.15, 8, 1, 0.07, 0.02, 0.6, 0.01], design)
    >>> info.n_obs, info.param_names[:3]
    (32.0, ('CL', 'V', 'KA'))
    """
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
    if not isinstance(design, (Group, list, tuple)):
        raise TypeError(f"design must be a Group or a sequence of Groups, got "
                        f"{type(design).__name__}")
    names = model.estimated_names
    current = _population_theta(model)
    theta = as_float_array(theta, "theta", shape=(len(names),))
    nb = model.n_beta
    fixed_beta = [n for n, e in zip(model.param_names[:nb], model.estimated[:nb], strict=True)
                  if not e]
    if fixed_beta:  # theta starts with the estimated fixed effects only
        raise NotImplementedError("population_information needs every fixed effect "
                                  "estimated")
    other = ~np.isclose(theta[nb:], current[nb:], rtol=1e-12, atol=0.0)
    if other.any():
        j = nb + int(np.flatnonzero(other)[0])
        raise ValueError(f"theta: {names[j]} = {theta[j]:g} differs from the model's "
                         f"{current[j]:g}; only the fixed effects "
                         f"({', '.join(names[:nb])}) can be set through theta")
    return model.with_beta(theta[:nb]).fim(design, fim, approximation).info


# --------------------------------------------------------------------- network
def _mlp(hidden: int = 2, activation: str = "tanh") -> MLP:
    """A one-input, one-output network with one hidden layer, ``sigma2`` estimated."""
    return MLP((1, hidden, 1), activation, "linear", sigma2=None)


#: Every built-in model: name -> ModelEntry, in the order of ``fisherstat models``.
REGISTRY: dict[str, ModelEntry] = {
    **MODELS_REGISTRY,
    "WarfarinPK": ModelEntry(
        "WarfarinPK", _warfarin, "population", options={}, theta=_population_theta,
        context=_warfarin_design, information=population_information,
        param_names=lambda m: m.estimated_names,
        description="PopED warfarin population PK model (one compartment, oral) and its "
        "design of 32 subjects"),
    "MLP": ModelEntry(
        "MLP", _mlp, "network", options={"hidden": int, "activation": parse_option},
        description="MLP((1, hidden, 1), activation, 'linear'), sigma2 estimated"),
}


def get_entry(name: str) -> ModelEntry:
    """The entry of a registered model by (case-insensitive) name.

    Examples
    --------
    >>> from fisherstat.registry import get_entry
    >>> get_entry("mlp").kind
    'network'
    """
    return lookup(REGISTRY, name)


def get_model(name: str, **options):
    """Build any registered model (of every layer) by (case-insensitive) name.

    Examples
    --------
    >>> from fisherstat.registry import get_model
    >>> get_model("MLP", hidden=3).n_params
    11
    """
    return get_entry(name).build(**options)


def information(entry: ModelEntry, model, theta, *, method: str = "auto",
                n_samples: int | None = None, rng=None, **context) -> FisherInfo:
    """The information of ``model`` (built by ``entry``) at ``theta`` in ``context``.

    ``fisherstat.fisher(model, theta, method=..., n_samples=..., rng=..., **context)``, or
    the entry's own ``information`` (population models: closed-form FO linearisation only,
    ``method`` must be 'auto' or 'analytic').
    """
    if not isinstance(entry, ModelEntry):
        raise TypeError(f"entry must be a ModelEntry, got {type(entry).__name__}")
    if entry.information is None:
        return fisher(model, theta, method=method, n_samples=n_samples, rng=rng, **context)
    if method not in ("auto", "analytic"):
        raise ValueError(f"method must be 'auto' or 'analytic' for the {entry.kind} model "
                         f"{entry.name}, got {method!r}")
    return entry.information(model, theta, **context)
