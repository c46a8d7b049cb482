"""Population PK/PD: structural models, residual errors, population FIM, design optimisation."""

from ._optima import LocalOptima
from .compare import COMPARE_APPROXIMATIONS, DesignComparison, compare_designs
from .discrete import RESPONSE_TYPES, DiscretePopulationModel
from .errors import CONVENTIONS, Additive, Combined, Proportional, ResidualError
from .exact import MAX_NODES, exact_fim, exact_scores
from .optimize import (
    BAYESIAN,
    CRITERIA,
    MAXIMIN_TEMPERATURES,
    CostDesignResult,
    OptimizationResult,
    candidate_sequences,
    cost_design,
    derived_gradient,
    local_optima,
    optimize_design,
    prior_sample,
)
from .population import (
    ETA_MODELS,
    FIM_TYPES,
    Group,
    PopulationFIM,
    PopulationModel,
    warfarin_example,
)
from .published import HCV_REFERENCE, hcv_example
from .robust import PriorEfficiency, efficiency_under_uncertainty
from .structural import (
    ODE_METHODS,
    SENSITIVITIES,
    EffectCompartmentEmax,
    IndirectResponse,
    LinkedPD,
    ODEModel,
    OneCompartment,
    OneCompartmentMM,
    OneCompartmentODE,
    Regimen,
    StructuralModel,
    TwoCompartment,
    TwoCompartmentODE,
    UserModel,
    as_regimen,
)
from .windows import WindowEfficiency, largest_windows, symmetric_windows, window_efficiency

__all__ = [
    "LinkedPD", "OneCompartment", "Regimen", "StructuralModel", "TwoCompartment",
    "UserModel", "as_regimen", "ODEModel", "ODE_METHODS", "SENSITIVITIES",
    "OneCompartmentODE", "TwoCompartmentODE",
    "OneCompartmentMM", "IndirectResponse", "EffectCompartmentEmax",
    "CONVENTIONS", "Additive", "Combined", "Proportional", "ResidualError",
    "ETA_MODELS", "FIM_TYPES", "Group", "PopulationFIM", "PopulationModel", "warfarin_example",
    "CRITERIA", "CostDesignResult", "OptimizationResult", "candidate_sequences", "cost_design",
    "derived_gradient", "optimize_design", "prior_sample",
    "BAYESIAN", "MAXIMIN_TEMPERATURES", "LocalOptima", "PriorEfficiency",
    "efficiency_under_uncertainty", "local_optima",
    "WindowEfficiency", "largest_windows", "symmetric_windows", "window_efficiency",
    "MAX_NODES", "exact_fim", "exact_scores", "RESPONSE_TYPES", "DiscretePopulationModel",
    "hcv_example", "HCV_REFERENCE",
    "COMPARE_APPROXIMATIONS", "DesignComparison", "compare_designs",
]
