r"""Prior samples of the fixed effects for Bayesian population designs."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_int, check_random_state
from ._criterion import check_model
from .population import PopulationModel

__all__ = ["prior_sample"]


def prior_sample(model: PopulationModel, cv, n_draws: int = 50, rng=None) -> np.ndarray:
    r"""Draws of the fixed effects from independent log-normal priors around the typical
    values: :math:`\beta_k = \beta\, e^{z_k}`, :math:`z_k \sim N(0, \log(1 + CV^2))`.

    Parameters
    ----------
    model : PopulationModel
    cv : float or array_like (p,) or mapping
        Coefficient of variation of each fixed effect (0: not uncertain).
    n_draws : int
    rng : None, int or Generator
        Seed or generator (``None``: fresh entropy).

    Returns
    -------
    ndarray, shape (n_draws, p)

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example, prior_sample
    >>> model, _ = warfarin_example()
    >>> prior_sample(model, {"CL": 0.3, "V": 0.0, "KA": 0.5}, n_draws=4, rng=0).shape
    (4, 3)
    """
    check_model(model)
    names = model.structural.param_names
    if isinstance(cv, dict):
        unknown = set(cv) - set(names)
        if unknown:
            raise ValueError(f"cv: unknown parameters {sorted(unknown)}")
        cv = [cv.get(n, 0.0) for n in names]
        for n, x in zip(names, cv, strict=True):
            if isinstance(x, bool) or not isinstance(x, (float, int, np.floating, np.integer)):
                raise TypeError(f"cv: the value of {n} must be a real number >= 0, got {x!r}")
    c = as_float_array(cv, "cv", ndim=(0, 1))
    if c.ndim == 1 and c.size != len(names):
        raise ValueError(f"cv must be a number or have {len(names)} entries (one per fixed "
                         f"effect {names}), got {c.size}")
    c = np.broadcast_to(c, (len(names),))
    if np.any(c < 0):
        raise ValueError("cv must be >= 0")
    n = check_int(n_draws, "n_draws", low=1)
    z = check_random_state(rng).standard_normal((n, len(names)))
    # log(1 + cv^2) without overflow of cv^2 (2 log cv when cv^2 would overflow)
    with np.errstate(over="ignore", divide="ignore"):
        s2 = np.where(c > 1e150, 2.0 * np.log(np.maximum(c, 1e150)), np.log1p(np.minimum(
            c, 1e150) ** 2))
    with np.errstate(over="ignore", under="ignore"):
        out = model.beta * np.exp(z * np.sqrt(s2))
    if not np.all(np.isfinite(out) & (out > 0)):
        raise ValueError("cv is too large: the prior draws overflow float64 (cv must be "
                         "small enough for beta * exp(z sqrt(log(1 + cv^2))) to be finite)")
    return out
