"""Registry of the built-in models by name (used by the CLI and the contract tests)."""

from __future__ import annotations

from collections.abc import Callable

from .base import Model
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
from .mixture import GaussianMixture
from .multivariate import MultivariateNormal
from .univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = ["REGISTRY", "get_model"]

#: Built-in models: name -> constructor (callable with keyword options, all defaulted).
REGISTRY: dict[str, Callable[..., Model]] = {
    cls.__name__: cls
    for cls in (
        Normal,
        MultivariateNormal,
        GaussianMixture,
        Gamma,
        Weibull,
        StudentT,
        Poisson,
        Binomial,
        LinearRegression,
        LogisticRegression,
        ProbitRegression,
        PoissonRegression,
        Emax,
        SigmoidEmax,
        MichaelisMenten,
        ExponentialDecay,
        BoxLucas,
        OneCompartmentOral,
        OneCompartmentBolus,
    )
}


def get_model(name: str, **options) -> Model:
    """Build a registered model by (case-insensitive) name.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`, e.g. ``"Gamma"`` or ``"logisticregression"``.
    **options
        Constructor options, e.g. ``k=3`` or ``n_trials=20``.

    Examples
    --------
    >>> from fisherstat.models import get_model
    >>> get_model("binomial", n_trials=5).param_names
    ('p',)
    >>> get_model("Gauss")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown model 'Gauss'; choose one of: Normal, MultivariateNormal, ...
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    lookup = {k.lower(): v for k, v in REGISTRY.items()}
    if name.lower() not in lookup:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(REGISTRY)}")
    return lookup[name.lower()](**options)
