"""Parametric models: iid families and regression families (see :mod:`fisherstat.models.base`)."""

from .base import Model, RegressionModel, Singularity
from .univariate import Normal

__all__ = ["Model", "RegressionModel", "Singularity", "Normal"]
