"""Population PK/PD: structural models, residual errors, population FIM, design optimisation."""

from .compare import COMPARE_APPROXIMATIONS, DesignComparison, compare_designs
from .discrete import RESPONSE_TYPES, DiscretePopulationModel
from .errors import CONVENTIONS, Additive, Combined, Proportional, ResidualError
from .exact import MAX_NODES, exact_fim, exact_scores
from .optimize import (
    CRITERIA,
    CostDesignResult,
    OptimizationResult,
    candidate_sequences,
    cost_design,
    derived_gradient,
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
from .structural import (
    LinkedPD,
    OneCompartment,
    Regimen,
    StructuralModel,
    TwoCompartment,
    UserModel,
    as_regimen,
)
from .windows import WindowEfficiency, largest_windows, symmetric_windows, window_efficiency

__all__ = [
    "LinkedPD", "OneCompartment", "Regimen", "StructuralModel", "TwoCompartment",
    "UserModel", "as_regimen",
    "CONVENTIONS", "Additive", "Combined", "Proportional", "ResidualError",
    "ETA_MODELS", "FIM_TYPES", "Group", "PopulationFIM", "PopulationModel", "warfarin_example",
    "CRITERIA", "CostDesignResult", "OptimizationResult", "candidate_sequences", "cost_design",
    "derived_gradient", "optimize_design", "prior_sample",
    "WindowEfficiency", "largest_windows", "symmetric_windows", "window_efficiency",
    "MAX_NODES", "exact_fim", "exact_scores", "RESPONSE_TYPES", "DiscretePopulationModel",
    "COMPARE_APPROXIMATIONS", "DesignComparison", "compare_designs",
]
