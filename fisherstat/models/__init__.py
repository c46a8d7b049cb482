"""Parametric models: iid families and regression families (see :mod:`fisherstat.models.base`)."""

from .base import Model, RegressionModel, Singularity
from .glm import LinearRegression, LogisticRegression, PoissonRegression, ProbitRegression
from .multivariate import MultivariateNormal
from .nonlinear import (
    BoxLucas,
    Emax,
    ExponentialDecay,
    MichaelisMenten,
    NonlinearRegression,
    OneCompartmentBolus,
    OneCompartmentOral,
    SigmoidEmax,
)
from .univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = ["Model", "RegressionModel", "Singularity", "Normal"]
__all__ += ["Gamma", "Weibull", "StudentT", "Poisson", "Binomial", "MultivariateNormal"]
__all__ += ["LinearRegression", "LogisticRegression", "ProbitRegression", "PoissonRegression"]
__all__ += ["NonlinearRegression", "Emax", "SigmoidEmax", "MichaelisMenten", "ExponentialDecay",
            "BoxLucas", "OneCompartmentOral", "OneCompartmentBolus"]

from .registry import REGISTRY, get_model  # noqa: E402  (needs every model above)

__all__ += ["REGISTRY", "get_model"]
