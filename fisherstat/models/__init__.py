"""Parametric models: iid families and regression families (see :mod:`fisherstat.models.base`).

=========================  ===============================================================
module                     models
=========================  ===============================================================
:mod:`.univariate`         Normal, Gamma, Weibull, StudentT, Poisson, Binomial
:mod:`.multivariate`       MultivariateNormal
:mod:`.glm`                LinearRegression, LogisticRegression, ProbitRegression,
                           PoissonRegression
:mod:`.mixture`            GaussianMixture (EM, Louis' information, variance-reduced Monte Carlo)
:mod:`.arma`               ARMA (Gaussian ARMA(p, q) time series; in REGISTRY as ARMA(1, 1))
:mod:`.nonlinear`          NonlinearRegression (any mean function, three error models)
:mod:`.catalogue`          Emax, SigmoidEmax, MichaelisMenten, ExponentialDecay, BoxLucas,
                           OneCompartmentOral, OneCompartmentBolus
:mod:`.toy`                TwoUnitNetwork, LocationMixture (singular toy models)
:mod:`.registry`           REGISTRY (name -> ModelEntry), get_model
=========================  ===============================================================
"""

from .arma import ARMA
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
from .glm import LinearRegression, LogisticRegression, PoissonRegression, ProbitRegression
from .mixture import EMResult, GaussianMixture, MissingInformation
from .multivariate import MultivariateNormal
from .nonlinear import NonlinearRegression
from .registry import REGISTRY, get_model
from .toy import LocationMixture, TwoUnitNetwork
from .univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = [
    "Model", "RegressionModel", "Singularity", "Strata",
    "Normal", "Gamma", "Weibull", "StudentT", "Poisson", "Binomial", "MultivariateNormal",
    "LinearRegression", "LogisticRegression", "ProbitRegression", "PoissonRegression",
    "ARMA", "GaussianMixture", "EMResult", "MissingInformation",
    "NonlinearRegression", "Emax", "SigmoidEmax", "MichaelisMenten", "ExponentialDecay",
    "BoxLucas", "OneCompartmentOral", "OneCompartmentBolus", "TwoUnitNetwork", "LocationMixture",
    "REGISTRY", "get_model",
]
