"""Numerical differentiation that stays inside the parameter domain.

Central differences with one Richardson extrapolation step (Richardson 1911; see e.g.
Nocedal & Wright, *Numerical Optimization*, 2nd ed., section 8.1): with
``D(h) = (f(x + h) - f(x - h)) / (2h)``, ``(4 D(h/2) - D(h)) / 3`` has error ``O(h^4)``,
so the step that balances truncation against rounding is ``h ~ eps^(1/5)`` for first and
``eps^(1/6)`` for second derivatives.

Step control: the step for parameter ``j`` is ``base * min(max(|x_j|, 1), d_j)`` where
``d_j`` is the distance from ``x_j`` to the nearest bound of its open domain. The step is
therefore relative to the distance to the boundary when the parameter is near it (so
``log(sigma2)`` at ``sigma2 = 1e-3`` is differentiated with a relative step, not an
absolute one), and ``x +/- h`` always stays strictly inside the domain.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import EPS

__all__ = ["steps", "jacobian", "hessian"]

FIRST_BASE = EPS ** (1 / 5)
SECOND_BASE = EPS ** (1 / 6)


def steps(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, base: float) -> np.ndarray:
    """Per-parameter finite-difference steps that keep ``x +/- h`` inside ``(lower, upper)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import steps
    >>> steps(np.array([1e-3, 5.0]), np.array([0.0, -np.inf]), np.array([np.inf, np.inf]), 0.01)
    array([1.e-05, 5.e-02])
    """
    dist = np.minimum(x - lower, upper - x)
    return base * np.minimum(np.maximum(np.abs(x), 1.0), dist)


def _exact(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Steps such that ``x + h`` is exactly representable (Press et al., *Numerical Recipes*,
    3rd ed., sec. 5.7), which removes the rounding of the abscissae from the difference."""
    return (x + h) - x


def _bounds(x, lower, upper):
    p = x.size
    lo = np.full(p, -np.inf) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(p, np.inf) if upper is None else np.asarray(upper, dtype=float)
    return lo, hi


def jacobian(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    base: float = FIRST_BASE,
) -> np.ndarray:
    """Jacobian of an array-valued ``f`` at ``x`` by Richardson-extrapolated central differences.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array of any fixed shape ``S``.
    x : ndarray, shape (p,)
        Point of differentiation.
    lower, upper : ndarray, shape (p,), optional
        Open bounds of the domain of each coordinate.
    base : float
        Relative step (default ``eps**(1/5)``).

    Returns
    -------
    ndarray, shape S + (p,)
        ``J[..., j] = d f / d x_j``. Uses ``4 p`` evaluations of ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import jacobian
    >>> J = jacobian(lambda t: np.array([np.sin(t[0]) * t[1]]), np.array([0.3, 2.0]))
    >>> np.allclose(J, [[2 * np.cos(0.3), np.sin(0.3)]], rtol=1e-11)
    True
    """
    x = np.asarray(x, dtype=float)
    lo, hi = _bounds(x, lower, upper)
    h = steps(x, lo, hi, base)
    cols = []
    for j in range(x.size):
        d = []
        for hj in _exact(x[j], np.array([h[j], h[j] / 2])):
            e = np.zeros_like(x)
            e[j] = hj
            d.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * hj))
        cols.append((4 * d[1] - d[0]) / 3)
    return np.stack(cols, axis=-1)


def hessian(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    base: float = SECOND_BASE,
) -> tuple[np.ndarray, int]:
    """Hessian of ``f`` by Richardson-extrapolated central second differences.

    ``f`` may be scalar or array-valued (e.g. per-observation log-likelihoods, giving
    per-observation Hessians).

    Diagonal: ``(f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h^2``; off-diagonal: the four-point
    formula ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``; both have error ``O(h^2)``
    and are extrapolated with steps ``h`` and ``h/2``.

    Returns
    -------
    H : ndarray, shape S + (p, p)
        Symmetric Hessian(s), where ``S`` is the shape of ``f(x)``.
    n_evals : int
        Number of evaluations of ``f`` used (``4 p^2 + 1``).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import hessian
    >>> H, n = hessian(lambda t: t[0] ** 2 * t[1] + np.exp(t[1]), np.array([1.0, 0.5]))
    >>> np.allclose(H, [[1.0, 2.0], [2.0, np.exp(0.5)]], rtol=1e-9), n
    (True, 17)
    """
    x = np.asarray(x, dtype=float)
    p = x.size
    lo, hi = _bounds(x, lower, upper)
    h0 = steps(x, lo, hi, base)
    f0 = np.asarray(f(x), dtype=float)
    n_evals = 1
    levels = []
    for h in (_exact(x, h0), _exact(x, h0 / 2)):
        H = np.empty(f0.shape + (p, p))
        E = np.diag(h)
        for i in range(p):
            H[..., i, i] = (np.asarray(f(x + E[i])) - 2 * f0 + np.asarray(f(x - E[i]))) / h[i] ** 2
            n_evals += 2
            for j in range(i):
                v = (
                    np.asarray(f(x + E[i] + E[j]))
                    - np.asarray(f(x + E[i] - E[j]))
                    - np.asarray(f(x - E[i] + E[j]))
                    + np.asarray(f(x - E[i] - E[j]))
                )
                H[..., i, j] = H[..., j, i] = v / (4 * h[i] * h[j])
                n_evals += 4
        levels.append(H)
    return (4 * levels[1] - levels[0]) / 3, n_evals
