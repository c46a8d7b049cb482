"""Structural PK/PD models of population designs: :mod:`fisherstat.models.structural`.

The structural (mean) models with their Jacobians are the building block shared by the
regression models of :mod:`fisherstat.models` (the catalogue's one-compartment models
evaluate :class:`OneCompartment`) and the population models of :mod:`fisherstat.pkpd`;
they live in :mod:`fisherstat.models.structural` (closed forms) and
:mod:`fisherstat.models.ode` / :mod:`fisherstat.models.ode_library` (ODE models with forward
sensitivities), and this module re-exports them under their ``fisherstat.pkpd`` names.
"""

from ..models.ode import ODE_METHODS, SENSITIVITIES, ODEModel
from ..models.ode_library import (
    EffectCompartmentEmax,
    IndirectResponse,
    OneCompartmentMM,
    OneCompartmentODE,
    TwoCompartmentODE,
)
from ..models.structural import (
    LinkedPD,
    OneCompartment,
    Regimen,
    StructuralModel,
    TwoCompartment,
    UserModel,
    as_regimen,
)

__all__ = [
    "Regimen",
    "as_regimen",
    "StructuralModel",
    "OneCompartment",
    "TwoCompartment",
    "LinkedPD",
    "UserModel",
    "ODEModel",
    "ODE_METHODS",
    "SENSITIVITIES",
    "OneCompartmentODE",
    "TwoCompartmentODE",
    "OneCompartmentMM",
    "IndirectResponse",
    "EffectCompartmentEmax",
]
