"""Diagnosis of a model at a parameter: its named singular sets next to the spectrum.

:func:`diagnose` combines :func:`~fisherstat.singular.analyze` of the information at
``theta`` with the singular sets the model declares (``model.singularities``) and says in
words which one is near, how far, and what the numerical rank shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_random_state, readonly
from ..information import FisherInfo, fisher
from ..models.base import Model, Singularity
from .analysis import CONDITION_INDEX, SpectrumReport, analyze

__all__ = ["diagnose", "Diagnosis"]


@dataclass(frozen=True, eq=False, repr=False)
class Diagnosis:
    """Result of :func:`diagnose`: the model's singular sets next to the numerical analysis.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    theta : ndarray, shape (p,)
    singularities : tuple of Singularity
        The model's named singular sets, nearest first.
    nearest : Singularity or None
        The nearest set on which the information loses rank (``rank_drop > 0``).
    analysis : SpectrumReport
        :func:`analyze` of the information at ``theta``.
    message : str
        The diagnosis in words.
    """

    model: str
    theta: np.ndarray
    singularities: tuple
    nearest: Singularity | None
    analysis: SpectrumReport
    message: str

    def summary(self) -> str:
        """The message, the list of singular sets and the spectrum summary."""
        lines = [self.message, ""]
        if self.singularities:
            lines.append("singular sets of the model (distance in the model's own terms):")
            for s in self.singularities:
                drop = (f"rank drop {s.rank_drop}" if s.rank_drop
                        else "information unbounded, no rank drop")
                lines.append(f"  {s.name}: distance {s.distance:.4g} ({drop}) -- "
                             f"{s.description}")
            lines.append("")
        lines.append(self.analysis.summary())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        near = None if self.nearest is None else (self.nearest.name, self.nearest.distance)
        return f"Diagnosis(model={self.model}, nearest={near}, rank={self.analysis.rank})"


def _theta_text(names, theta) -> str:
    return "(" + ", ".join(f"{n}={v:.4g}" for n, v in zip(names, theta, strict=True)) + ")"


def _diagnosis_message(model_repr, names, theta, sings, a: SpectrumReport) -> tuple:
    p = len(names)
    degenerate = [s for s in sings if s.rank_drop > 0]
    nearest = degenerate[0] if degenerate else None
    deficit, n_near = a.rank_deficiency, len(a.near_null_directions)
    parts = [f"{model_repr} at theta = {_theta_text(names, theta)}:"]
    if nearest is None:
        parts.append("the model declares no set on which its information loses rank"
                     + (" (it knows sets where the information is unbounded: "
                        + ", ".join(f"'{s.name}' at distance {s.distance:.3g}" for s in sings)
                        + ")" if sings else "") + ".")
    elif nearest.distance == 0:
        parts.append(f"theta lies ON the singular set '{nearest.name}' (distance 0; the "
                     f"information loses rank {nearest.rank_drop} there).")
    else:
        parts.append(f"the nearest singular set is '{nearest.name}' at distance "
                     f"{nearest.distance:.3g} (in the model's own terms; rank drop "
                     f"{nearest.rank_drop} on the set).")
    num = f"Numerically the information has rank {a.rank} of {p}"
    if deficit:
        num += (f"; null direction{'s' if deficit > 1 else ''}: "
                + "; ".join(d.expression for d in a.null_directions))
    if n_near:
        num += (f"; near-null direction{'s' if n_near > 1 else ''} (condition index > "
                f"{a.condition_index:g}): "
                + "; ".join(d.expression for d in a.near_null_directions))
    if not deficit and not n_near:
        num += (f" and is well conditioned (scaled condition number "
                f"{a.scaled_condition_number:.3g})")
    parts.append(num + ".")
    if nearest is not None:
        if nearest.distance == 0 and deficit >= nearest.rank_drop:
            parts.append("The numerical rank deficit agrees with the singular set.")
        elif nearest.distance == 0:
            parts.append(f"The numerical rank deficit ({deficit}) is smaller than the set's "
                         f"rank drop ({nearest.rank_drop}): the tolerance is too small for "
                         "the accuracy of this information, or the set is reached only in "
                         "a limit.")
        elif deficit + n_near:
            k = deficit + n_near
            parts.append(f"{k} (near-)null direction{'s' if k > 1 else ''} (the set's rank "
                         f"drop is {nearest.rank_drop}): theta is close to '{nearest.name}'; "
                         "standard errors along these directions are inflated, and the "
                         "normal approximation of the MLE, Wald intervals and AIC/BIC are "
                         "unreliable at practical sample sizes.")
        else:
            parts.append("At this distance the information is regular (no near-null "
                         "direction). The unit-free spectrum cannot see the information of "
                         "one parameter alone fading away (as on a zero-weight set): watch "
                         f"the distance to '{nearest.name}' itself.")
    if deficit and (nearest is None or nearest.distance > 0):
        parts.append("The information is singular although theta is on none of the model's "
                     "named singular sets: another non-identifiability (or too few "
                     "covariate values), or a tolerance too large for this matrix.")
    return nearest, " ".join(parts)


def diagnose(
    model: Model,
    theta,
    info: FisherInfo | None = None,
    *,
    x=None,
    weights=None,
    tol: float | None = None,
    n_se: float = 4.0,
    condition_index: float = CONDITION_INDEX,
    n_samples: int | None = None,
    rng=None,
) -> Diagnosis:
    """Which singular set of the model is ``theta`` near, how far, and what the information shows.

    Parameters
    ----------
    model : Model
    theta : array_like, shape (p,)
    info : FisherInfo, optional
        The information at ``theta``; default ``fisherstat.fisher(model, theta, x=x,
        weights=weights)`` (closed form when available, else Monte Carlo with
        ``n_samples`` and ``rng``).
    x, weights : array_like, optional
        Covariates (required for regression models when ``info`` is not given).
    tol, n_se, condition_index
        Passed to :func:`analyze`.
    n_samples : int, optional
    rng : int or Generator, optional
        For a Monte Carlo information.

    Returns
    -------
    Diagnosis

    Notes
    -----
    ``model.singularities(theta)`` lists the model's named singular sets with the distance
    of ``theta`` to each, in the model's own terms (root distance for ARMA models, weight or
    component separation for mixtures, output weight or unit separation for
    :class:`TwoUnitNetwork`). The nearest set with a rank drop is compared with the numerical
    rank and (near-)null directions of :func:`analyze`: on the set the rank deficit should
    match the rank drop, near it the near-null directions should point along the set's
    degenerate directions (Amari, Park & Ozeki 2006, sec. 2).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.singular import TwoUnitNetwork, diagnose
    >>> net = TwoUnitNetwork()
    >>> d = diagnose(net, [1.0, 1.0, 0.0, 2.0, 0.1], x=np.linspace(-3, 3, 31))
    >>> d.nearest.name, d.analysis.rank, [str(v) for v in d.analysis.null_directions]
    ('zero output weight', 4, ['w2'])
    >>> print(d)  # doctest: +ELLIPSIS
    TwoUnitNetwork(...) at theta = (v1=1, w1=1, v2=0, w2=2, sigma2=0.1): theta lies ON ...
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a fisherstat Model, got {type(model).__name__}")
    theta = model.validate(theta)
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", low=2)
    check_random_state(rng)  # validates rng (the draws use rng itself)
    if info is None:
        ctx = {}
        if x is not None:
            ctx["x"] = x
        if weights is not None:
            ctx["weights"] = weights
        if model.is_regression and x is None:
            raise TypeError(f"{type(model).__name__} is a regression model: pass x (the "
                            "covariates) or info")
        info = fisher(model, theta, n_samples=n_samples, rng=rng, **ctx)
    elif not isinstance(info, FisherInfo):
        raise TypeError(f"info must be a FisherInfo or None, got {type(info).__name__}")
    if info.param_names != model.param_names:
        raise ValueError(f"info has parameters {info.param_names}, the model "
                         f"{model.param_names}: info must have the model's parameters")
    analysis = analyze(info, tol, n_se=n_se, condition_index=condition_index)
    sings = model.singularities(theta)
    for s in sings:
        if not isinstance(s, Singularity):
            raise TypeError(f"{type(model).__name__}.singularities must return Singularity "
                            f"records, got {type(s).__name__}")
    sings = tuple(sorted(sings, key=lambda s: (s.distance, -s.rank_drop)))
    nearest, message = _diagnosis_message(repr(model), model.param_names, theta, sings,
                                          analysis)
    return Diagnosis(repr(model), readonly(theta), sings, nearest, analysis, message)
