"""Numerical maximum likelihood over a box of open intervals.

Each coordinate is mapped to the real line (``log`` for half-lines, scaled ``logit`` for
bounded intervals, identity for free parameters) and the log-likelihood is maximised with
BFGS in the unconstrained coordinates, using the chain rule for the gradient when an
analytic score is available.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, special

from .exceptions import FitError

__all__ = ["maximize"]


class _Box:
    """Bijection between a box of open intervals and R^p."""

    def __init__(self, lower: np.ndarray, upper: np.ndarray):
        self.lo, self.hi = np.asarray(lower, float), np.asarray(upper, float)
        self.lo_f, self.hi_f = np.isfinite(self.lo), np.isfinite(self.hi)
        self.both = self.lo_f & self.hi_f
        self.only_lo = self.lo_f & ~self.hi_f
        self.only_hi = ~self.lo_f & self.hi_f

    def to_free(self, theta):
        z = np.array(theta, dtype=float)
        b, lo, hi = self.both, self.lo, self.hi
        z[b] = special.logit((theta[b] - lo[b]) / (hi[b] - lo[b]))
        z[self.only_lo] = np.log(theta[self.only_lo] - lo[self.only_lo])
        z[self.only_hi] = np.log(hi[self.only_hi] - theta[self.only_hi])
        return z

    def from_free(self, z):
        """Return ``theta`` and ``d theta / d z`` (elementwise)."""
        theta, d = np.array(z, dtype=float), np.ones_like(z, dtype=float)
        b, lo, hi = self.both, self.lo, self.hi
        s = special.expit(z[b])
        theta[b] = lo[b] + (hi[b] - lo[b]) * s
        d[b] = (hi[b] - lo[b]) * s * (1 - s)
        e = np.exp(z[self.only_lo])
        theta[self.only_lo], d[self.only_lo] = lo[self.only_lo] + e, e
        e = np.exp(z[self.only_hi])
        theta[self.only_hi], d[self.only_hi] = hi[self.only_hi] - e, -e
        return theta, d


class _Scaled:
    """The box's free coordinates ``z = z0 + dz * u`` in units ``u`` of their typical scale."""

    def __init__(self, box, z0, dz):
        self.box, self.z0, self.dz = box, z0, dz

    def from_free(self, u):
        theta, d = self.box.from_free(self.z0 + self.dz * u)
        return theta, d * self.dz


def maximize(
    loglik: Callable[[np.ndarray], float],
    start: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    gradient: Callable[[np.ndarray], np.ndarray] | None = None,
    gtol: float = 1e-8,
    maxiter: int = 2000,
    typical: np.ndarray | None = None,
) -> np.ndarray:
    """Maximise ``loglik`` over the open box ``(lower, upper)`` starting from ``start``.

    ``typical`` (optional, shape (p,)): the typical scale of each parameter at ``start``;
    BFGS then works in the unconstrained coordinates divided by their typical scale (the
    diagonal scaling of Dennis & Schnabel, *Numerical Methods for Unconstrained
    Optimization*, 1983, sec. 7.1), so that its first step and its stopping test do not
    depend on the units of the parameters.

    Raises
    ------
    FitError
        If the optimiser reports failure or the optimum is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._optimize import maximize
    >>> f = lambda t: -(t[0] - 2.0) ** 2 - (np.log(t[1]) - 1.0) ** 2
    >>> np.round(maximize(f, np.array([0.0, 1.0]), np.array([-np.inf, 0.0]),
    ...                   np.array([np.inf, np.inf])), 6)
    array([2.      , 2.718282])
    """
    box = _Box(lower, upper)
    z0 = box.to_free(np.asarray(start, dtype=float))
    scale = max(abs(float(loglik(np.asarray(start, dtype=float)))), 1.0)
    if typical is not None:  # the typical scale of z = the scale of theta / |d theta / d z|
        with np.errstate(all="ignore"):
            dz = np.asarray(typical, dtype=float) / np.abs(box.from_free(z0)[1])
        box = _Scaled(box, z0, np.where(np.isfinite(dz) & (dz > 0), dz, 1.0))
        z0 = np.zeros_like(z0)

    def objective(z):
        theta, _ = box.from_free(z)
        with np.errstate(all="ignore"):
            v = float(loglik(theta))
        return -v / scale if np.isfinite(v) else np.inf

    jac = None
    if gradient is not None:

        def jac(z):
            theta, d = box.from_free(z)
            with np.errstate(all="ignore"):
                g = np.asarray(gradient(theta), dtype=float) * d
            return -g / scale if np.all(np.isfinite(g)) else np.zeros_like(z)

    res = optimize.minimize(
        objective, z0, jac=jac, method="BFGS", options={"gtol": gtol, "maxiter": maxiter}
    )
    theta, _ = box.from_free(res.x)
    if not np.all(np.isfinite(theta)) or not np.isfinite(res.fun):
        raise FitError(f"maximum-likelihood fit diverged ({res.message})")
    if not res.success and res.status != 2:  # status 2: precision loss at the optimum
        raise FitError(f"maximum-likelihood fit did not converge: {res.message}")
    return theta
