"""Registry of the models of :mod:`fisherstat.models` by name (CLI and contract tests).

Each entry is a :class:`ModelEntry`: a constructor with default options, the kind of model
(:data:`KINDS`), how to get its default parameter and context (covariates of a regression
model), and how command-line ``--option NAME=VALUE`` strings become constructor options.
An entry is callable like the class it wraps (``REGISTRY["Gamma"]()`` builds a
``Gamma()``), so code written for the old name -> class mapping keeps working.

This registry holds the models of this package only: ``models/`` is the bottom layer and
imports neither :mod:`fisherstat.pkpd` nor :mod:`fisherstat.nn`. The complete registry,
with the population PK model and the neural network, is :data:`fisherstat.registry.REGISTRY`
(built on this one).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._validation import check_choice
from .arima import ARIMA
from .arma import ARMA
from .armax import ARMAX
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
from .toy import LocationMixture, TwoUnitNetwork
from .univariate import Binomial, Gamma, Normal, Poisson, StudentT, Weibull

__all__ = ["REGISTRY", "get_model", "lookup", "ModelEntry", "KINDS", "parse_option",
           "parse_bool"]

#: What a registered model is, which decides what its contract tests and the CLI do with it:
#:
#: * ``'iid'`` -- independent observations of one distribution, ``fisher(theta)`` is the
#:   information of one observation;
#: * ``'regression'`` -- observations ``y | x``, ``fisher(theta, x=X)`` the information of
#:   the covariate rows ``X`` (default: ``model.example_x()``);
#: * ``'time series'`` -- ONE series of dependent observations, ``fisher(theta)`` the
#:   asymptotic information per observation, ``fisher(theta, n=N)`` the exact information
#:   of ``N`` consecutive ones;
#: * ``'time series regression'`` -- ONE series with its regressors ``x`` (n, k) (e.g.
#:   :class:`~fisherstat.models.ARMAX`): ``fisher(theta, x=X)`` the exact information of the
#:   ``len(X)`` dependent observations (default: ``model.example_x()``);
#: * ``'population'`` -- a mixed-effects model of :mod:`fisherstat.pkpd`: its information is
#:   that of a *design* (groups of subjects), computed by the entry's ``information``;
#: * ``'network'`` -- a neural network of :mod:`fisherstat.nn`: a regression model in ``x``
#:   with many, symmetric parameters.
KINDS = ("iid", "regression", "time series", "time series regression", "population",
         "network")


def parse_option(text: str):
    """A command-line option value: an int, else a float, else the string itself.

    Examples
    --------
    >>> from fisherstat.models.registry import parse_option
    >>> parse_option("3"), parse_option("2.5"), parse_option("diag")
    (3, 2.5, 'diag')
    """
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_bool(text: str) -> bool:
    """A command-line boolean: ``true/false``, ``yes/no``, ``1/0`` (any case).

    Examples
    --------
    >>> from fisherstat.models.registry import parse_bool
    >>> parse_bool("True"), parse_bool("0")
    (True, False)
    """
    t = str(text).strip().lower()
    if t in ("true", "yes", "1"):
        return True
    if t in ("false", "no", "0"):
        return False
    raise ValueError(f"must be true or false, got {text!r}")


#: how the parsers' values are described in error messages
_PARSED_AS = {int: "an integer", float: "a number", parse_bool: "true or false"}


def _keyword_parameters(constructor) -> tuple[str, ...]:
    try:
        params = inspect.signature(constructor).parameters.values()
    except (TypeError, ValueError):  # no signature (a builtin)
        return ()
    return tuple(p.name for p in params if p.name != "self"
                 and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


@dataclass(frozen=True, eq=False)
class ModelEntry:
    """A registered model: how to build it, what it is and how to use it by default.

    Parameters
    ----------
    name : str
        The registry key (the class name for the classes of :mod:`fisherstat.models`).
    constructor : callable
        Called with keyword options (``defaults`` updated by the caller's) to build the
        model.
    kind : str
        One of :data:`KINDS`.
    defaults : mapping, optional
        Default constructor options (e.g. ``p=1, q=1`` for ARMA, whose class has none).
    options : mapping, optional
        Constructor option name -> parser of its command-line string (``--option
        NAME=VALUE``). Default: every keyword parameter of ``constructor``, parsed by
        :func:`parse_option`.
    theta : callable, optional
        ``theta(model)`` -> the default parameter; default ``model.example_theta()``.
    context : callable, optional
        ``context(model)`` -> the default context of the information (keyword arguments
        of ``fisherstat.fisher``); default ``{'x': model.example_x()}`` for the kinds with
        covariates (:attr:`has_covariates`), ``{}`` otherwise.
    information : callable, optional
        ``information(model, theta, **context)`` -> :class:`~fisherstat.FisherInfo`, for
        models that :func:`fisherstat.fisher` does not take (population models); None means
        ``fisherstat.fisher``.
    param_names : callable, optional
        ``param_names(model)`` -> the names of the rows of the information; default
        ``model.param_names``.
    description : str, optional
        One line for ``fisherstat models``.

    Examples
    --------
    >>> from fisherstat.models import REGISTRY
    >>> entry = REGISTRY["ARMA"]
    >>> entry.kind, dict(entry.defaults), tuple(entry.options)
    ('time series', {'p': 1, 'q': 1}, ('p', 'q', 'mean'))
    >>> entry.build(q=0)
    ARMA(p=1, q=0, mean=False)
    >>> entry.parse_options({"p": "2", "mean": "true"})
    {'p': 2, 'mean': True}
    """

    name: str
    constructor: Callable[..., Any]
    kind: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Callable[[str], Any]] | None = None
    theta: Callable[[Any], np.ndarray] | None = None
    context: Callable[[Any], dict] | None = None
    information: Callable[..., Any] | None = None
    param_names: Callable[[Any], tuple] | None = None
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        if not callable(self.constructor):
            raise TypeError(f"constructor must be callable, got {self.constructor!r}")
        check_choice(self.kind, "kind", KINDS)
        opts = self.options
        if opts is None:
            opts = {k: parse_option for k in _keyword_parameters(self.constructor)}
        object.__setattr__(self, "options", MappingProxyType(dict(opts)))
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    @property
    def has_covariates(self) -> bool:
        """True for kinds whose observations come with covariates ``x``."""
        return self.kind in ("regression", "time series regression", "network")

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Raise ``TypeError`` naming the first option the constructor does not take."""
        bad = [k for k in options if k not in self.options]
        if bad:
            raise TypeError(f"{self.name} has no option {bad[0]!r}; its options: "
                            f"{', '.join(self.options) or 'none'}")

    def parse_options(self, strings: Mapping[str, str]) -> dict:
        """Constructor options from their command-line strings (``{'p': '1'}`` -> ``{'p': 1}``).

        Raises ``TypeError`` for an unknown option and ``ValueError`` naming the option for a
        value its parser refuses.
        """
        self.check_options(strings)
        out = {}
        for key, text in strings.items():
            parser = self.options[key]
            try:
                out[key] = parser(text)
            except ValueError:
                what = _PARSED_AS.get(parser, "a valid value")
                raise ValueError(f"option {key} must be {what}, got {text!r}") from None
        return out

    def build(self, **options):
        """The model with ``defaults`` updated by ``options``."""
        self.check_options(options)
        return self.constructor(**{**self.defaults, **options})

    __call__ = build

    def default_theta(self, model) -> np.ndarray:
        """The default parameter of ``model`` (built by this entry)."""
        return np.asarray(self.theta(model) if self.theta is not None
                          else model.example_theta(), dtype=np.float64)

    def default_context(self, model) -> dict:
        """The default context of the information of ``model`` (e.g. ``{'x': ...}``)."""
        if self.context is not None:
            return dict(self.context(model))
        return {"x": model.example_x()} if self.has_covariates else {}

    def names(self, model) -> tuple:
        """The names of the parameters (rows of the information) of ``model``."""
        return tuple(self.param_names(model) if self.param_names is not None
                     else model.param_names)

    def __repr__(self) -> str:
        return f"ModelEntry({self.name!r}, kind={self.kind!r})"


def _class_entry(cls, kind=None, **kw) -> ModelEntry:
    if kind is None:
        kind = "regression" if cls.is_regression else "iid"
    return ModelEntry(cls.__name__, cls, kind, **kw)


def _registry(entries) -> dict[str, ModelEntry]:
    return {e.name: e for e in entries}


#: The models of :mod:`fisherstat.models`: name -> :class:`ModelEntry` (callable like the
#: class, with default options). The order is that of ``fisherstat models``.
REGISTRY: dict[str, ModelEntry] = _registry([
    *(_class_entry(cls) for cls in (
        Normal, MultivariateNormal, GaussianMixture, Gamma, Weibull, StudentT, Poisson,
        Binomial, LinearRegression, LogisticRegression, ProbitRegression, PoissonRegression,
        Emax, SigmoidEmax, MichaelisMenten, ExponentialDecay, BoxLucas, OneCompartmentOral,
        OneCompartmentBolus)),
    _class_entry(ARMA, "time series", defaults={"p": 1, "q": 1},
                 options={"p": int, "q": int, "mean": parse_bool},
                 description="Gaussian ARMA(p, q); default ARMA(1, 1)"),
    _class_entry(ARIMA, "time series", defaults={"p": 1, "d": 1, "q": 1},
                 options={"p": int, "d": int, "q": int, "mean": parse_bool},
                 description="ARMA(p, q) of the d-times differenced series; default "
                             "ARIMA(1, 1, 1)"),
    _class_entry(ARMAX, "time series regression", defaults={"p": 1, "q": 1, "k": 2},
                 options={"p": int, "q": int, "k": int},
                 description="regression with Gaussian ARMA(p, q) errors; default "
                             "ARMAX(1, 1, k=2)"),
    _class_entry(TwoUnitNetwork),
    _class_entry(LocationMixture),
])


def lookup(registry: Mapping[str, ModelEntry], name: str) -> ModelEntry:
    """The entry of ``registry`` called ``name`` (case-insensitive)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    entries = {k.lower(): v for k, v in registry.items()}
    if name.lower() not in entries:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(registry)}")
    return entries[name.lower()]


def get_model(name: str, **options):
    """Build a registered model by (case-insensitive) name.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`, e.g. ``"Gamma"`` or ``"logisticregression"``.
    **options
        Constructor options, e.g. ``k=3`` or ``n_trials=20`` (updating the entry's
        defaults: ``get_model("ARMA", q=0)`` is ``ARMA(1, 0)``).

    Examples
    --------
    >>> from fisherstat.models import get_model
    >>> get_model("binomial", n_trials=5).param_names
    ('p',)
    >>> get_model("ARMA", p=2, q=0)
    ARMA(p=2, q=0, mean=False)
    >>> get_model("Gauss")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown model 'Gauss'; choose one of: Normal, MultivariateNormal, ...
    """
    return lookup(REGISTRY, name).build(**options)
