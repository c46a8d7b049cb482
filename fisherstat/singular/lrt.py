r"""The limit law of the likelihood-ratio statistic of a singular model.

:func:`lrt_limit_sample` draws from the null limit law of
:meth:`fisherstat.models.LocationMixture.lrt` (one against two components, bounded
location), which is not chi-square because the location is not identified under the null.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import check_int, check_random_state, check_scalar

__all__ = ["lrt_limit_sample"]


def lrt_limit_sample(w_max: float, size: int, rng=None, *, grid: int = 400) -> np.ndarray:
    r"""Draws from the limit law of :meth:`LocationMixture.lrt` under the null, :math:`|w| \le W`.

    :math:`\sup_{0 < |w| \le W} \max(Z(w), 0)^2` with
    :math:`Z(w) = \sum_{k \ge 1} \frac{w^k}{\sqrt{k!}}\,\xi_k \big/ \sqrt{e^{w^2} - 1}`,
    :math:`\xi_k` iid :math:`N(0, 1)`: the normalised score of ``v`` at fixed ``w``, expanded
    in Hermite polynomials (:math:`e^{wx - w^2/2} - 1 = \sum_{k\ge1} w^k H_k(x)/k!`,
    :math:`E H_k^2 = k!`), whose covariance is :math:`(e^{ww'} - 1)/\sqrt{\cdots}` (Ghosh &
    Sen 1985; Dacunha-Castelle & Gassiat 1999). The series is truncated when its terms fall
    below ``1e-17`` of the first; the supremum is taken over ``grid`` points per side.

    Parameters
    ----------
    w_max : float
        The bound ``W`` of the location.
    size : int
        Number of draws.
    rng : int or Generator, optional
    grid : int, default 400

    Returns
    -------
    ndarray, shape (size,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.singular import lrt_limit_sample
    >>> t = lrt_limit_sample(3.0, 20000, rng=0)
    >>> bool(np.mean(t > 3.84) > 0.05)  # stochastically larger than chi2(1)
    True
    """
    w_max = check_scalar(w_max, "w_max", low=0)
    size = check_int(size, "size", low=1)
    grid = check_int(grid, "grid", low=2)
    rng = check_random_state(rng)
    kk = np.arange(1, 2001)
    logt = kk * np.log(w_max) - 0.5 * special.gammaln(kk + 1)  # log w^k / sqrt(k!)
    K = int(np.flatnonzero(logt > logt.max() + np.log(1e-17))[-1]) + 1
    w = np.linspace(w_max / grid, w_max, grid)
    k = np.arange(1, K + 1)
    logc = k[None, :] * np.log(w[:, None]) - 0.5 * special.gammaln(k + 1)[None, :] \
        - 0.5 * np.log(np.expm1(w * w))[:, None]
    A = np.exp(logc)  # (grid, K): Z(w) = A xi; Z(-w) = A (xi * (-1)^k)
    sign = np.where(k % 2 == 1, -1.0, 1.0)
    out = np.empty(size)
    chunk = max(1, 2_000_000 // (grid * 2))
    for start in range(0, size, chunk):
        c = min(chunk, size - start)
        xi = rng.standard_normal((K, c))
        zp = A @ xi
        zm = A @ (xi * sign[:, None])
        out[start:start + c] = np.maximum(np.maximum(zp.max(axis=0), zm.max(axis=0)), 0.0) ** 2
    return out
