"""Parametric models: iid families and regression families (see :mod:`fisherstat.models.base`).

=============================  ===========================================================
module                         models
=============================  ===========================================================
:mod:`.univariate`             Normal, Gamma, Weibull, StudentT, Poisson, Binomial
:mod:`.multivariate`           MultivariateNormal
:mod:`.glm`                    LinearRegression, LogisticRegression, ProbitRegression,
                               PoissonRegression
:mod:`.formula`                FormulaData, design_from_formula (the GLMs' ``from_formula``:
                               design matrix and names from a formula and a DataFrame)
:mod:`.mixture`                GaussianMixture (EM, Louis' information, variance-reduced
                               Monte Carlo)
:mod:`.arma`                   ARMA (Gaussian ARMA(p, q) time series; in REGISTRY as
                               ARMA(1, 1))
:mod:`.arima`                  ARIMA (ARMA(p, q) of the d-times differenced series,
                               conditional on the first d observations; in REGISTRY as
                               ARIMA(1, 1, 1))
:mod:`.armax`                  ARMAX (regression with ARMA(p, q) errors; in REGISTRY as
                               ARMAX(1, 1, k=2), kind "time series regression")
:mod:`.nonlinear`              NonlinearRegression (any mean function, any residual error)
:mod:`.catalogue`              Emax, SigmoidEmax, MichaelisMenten, ExponentialDecay,
                               BoxLucas, OneCompartmentOral, OneCompartmentBolus
:mod:`.structural_regression`  StructuralRegression (a structural PK/PD model observed
                               with residual error)
:mod:`.toy`                    TwoUnitNetwork, LocationMixture (singular toy models)
:mod:`.registry`               REGISTRY (name -> ModelEntry), get_model
=============================  ===========================================================

Building blocks shared with the population models of :mod:`fisherstat.pkpd`:
:mod:`.structural` (structural PK/PD models with analytic Jacobians, dosing regimens) and
:mod:`.errors` (residual-error models in PopED's and PFIM's conventions).
"""

from .arima import ARIMA
from .arma import ARMA
from .armax import ARMAX
from .base import Model, RegressionModel, Singularity, Strata
from .catalogue import (
    BoxLucas,
    Emax,
    ExponentialDecay,
    MichaelisMenten,
    OneCompartmentBolus,
    OneCompartmentOral,
    SigmoidEmax,
)
from .formula import FormulaData, design_from_formula
from .glm import LinearRegression, LogisticRegression, PoissonRegression, ProbitRegression
from .mixture import EMResult, GaussianMixture, MissingInformation
from .multivariate import MultivariateNormal
from .nonlinear import NonlinearRegression
from .registry import REGISTRY, get_model
from .structural_regression import StructuralRegression
from .toy import LocationMixture, TwoUnitNetwork
from .univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = [
    "Model", "RegressionModel", "Singularity", "Strata",
    "Normal", "Gamma", "Weibull", "StudentT", "Poisson", "Binomial", "MultivariateNormal",
    "LinearRegression", "LogisticRegression", "ProbitRegression", "PoissonRegression",
    "FormulaData", "design_from_formula",
    "ARMA", "ARIMA", "ARMAX", "GaussianMixture", "EMResult", "MissingInformation",
    "NonlinearRegression", "Emax", "SigmoidEmax", "MichaelisMenten", "ExponentialDecay",
    "BoxLucas", "OneCompartmentOral", "OneCompartmentBolus", "TwoUnitNetwork", "LocationMixture",
    "StructuralRegression", "REGISTRY", "get_model",
]
