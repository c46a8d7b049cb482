"""fisherstat: the Fisher information matrix as a working tool for statisticians.

Import the package as ``import fisherstat as fs``; models live in :mod:`fisherstat.models`.
"""

from . import design, models, nn, pkpd, registry, selection, singular
from .asymptotics import AsymptoticReport, check_asymptotics
from .exceptions import (
    BoundaryEstimateError,
    FitError,
    NumericalDerivativeWarning,
    SingularFisherWarning,
    WorkerLostWarning,
)
from .information import (
    FisherInfo,
    InformationOperator,
    empirical_fisher,
    fisher,
    observed_information,
    sandwich_covariance,
)
from .interop import from_statsmodels
from .models import Model
from .results import FitComparison, FitResult, fit
from .selection import (
    InformationCriteria,
    LikelihoodRatioTest,
    information_criteria,
    likelihood_ratio_test,
)
from .singular import analyze, diagnose

__version__ = "0.1.0.dev0"

__all__ = [
    "analyze",
    "AsymptoticReport",
    "BoundaryEstimateError",
    "FisherInfo",
    "FitComparison",
    "FitResult",
    "InformationOperator",
    "FitError",
    "InformationCriteria",
    "LikelihoodRatioTest",
    "Model",
    "NumericalDerivativeWarning",
    "SingularFisherWarning",
    "WorkerLostWarning",
    "check_asymptotics",
    "design",
    "diagnose",
    "empirical_fisher",
    "fisher",
    "fit",
    "from_statsmodels",
    "information_criteria",
    "likelihood_ratio_test",
    "models",
    "nn",
    "observed_information",
    "pkpd",
    "registry",
    "sandwich_covariance",
    "selection",
    "singular",
]
