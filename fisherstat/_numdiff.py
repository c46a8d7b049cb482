"""Numerical differentiation that stays inside the parameter domain.

Central differences with one Richardson extrapolation step (Richardson 1911; see e.g.
Nocedal & Wright, *Numerical Optimization*, 2nd ed., section 8.1): with
``D(h) = (f(x + h) - f(x - h)) / (2h)``, ``(4 D(h/2) - D(h)) / 3`` has error ``O(h^4)``,
so the step that balances truncation against rounding is ``h ~ eps^(1/5)`` for first and
``eps^(1/6)`` for second derivatives.

Step control: the step for parameter ``j`` is ``base * min(s_j, d_j)`` where ``d_j`` is the
distance from ``x_j`` to the nearest bound of its open domain and ``s_j`` the typical scale
of the coordinate: ``max(|x_j|, 1)`` by default, or a scale the caller knows or estimates
with :func:`information_scales` (the scale over which one observation's log-density
changes by about one). The step is therefore relative to the distance to the boundary when
the parameter is near it (so ``log(sigma2)`` at ``sigma2 = 1e-3`` is differentiated with a
relative step, not an absolute one), and ``x +/- h`` always stays strictly inside the
domain.

:func:`jacobian_with_error` and :func:`hessian_with_error` add a third step ``h/4``: the
difference of the two extrapolated values (from ``h, h/2`` and from ``h/2, h/4``) estimates
the error of the first, as in adaptive Richardson schemes (numdifftools; Press et al.,
*Numerical Recipes*, 3rd ed., sec. 5.7).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import EPS

__all__ = ["steps", "information_scales", "jacobian", "hessian", "jacobian_with_error",
           "hessian_with_error"]

FIRST_BASE = EPS ** (1 / 5)
SECOND_BASE = EPS ** (1 / 6)


def steps(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, base: float,
          scale: np.ndarray | None = None) -> np.ndarray:
    """Per-parameter finite-difference steps that keep ``x +/- h`` inside ``(lower, upper)``.

    ``base * min(scale_j, d_j)`` with ``d_j`` the distance to the nearest bound and
    ``scale_j = max(|x_j|, 1)`` unless given.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import steps
    >>> steps(np.array([1e-3, 5.0]), np.array([0.0, -np.inf]), np.array([np.inf, np.inf]), 0.01)
    array([1.e-05, 5.e-02])
    """
    dist = np.minimum(x - lower, upper - x)
    s = np.maximum(np.abs(x), 1.0) if scale is None else scale
    return base * np.minimum(s, dist)


def _exact(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Steps such that ``x + h`` is exactly representable (Press et al., *Numerical Recipes*,
    3rd ed., sec. 5.7), which removes the rounding of the abscissae from the difference."""
    return (x + h) - x


def _bounds(x, lower, upper):
    p = x.size
    lo = np.full(p, -np.inf) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(p, np.inf) if upper is None else np.asarray(upper, dtype=float)
    return lo, hi


def _jacobian_levels(f, x, h, n_levels):
    """Central differences ``D(h / 2^k)``, ``k < n_levels``, each of shape S + (p,)."""
    levels = [[] for _ in range(n_levels)]
    for j in range(x.size):
        for k, hj in enumerate(_exact(x[j], h[j] / 2.0 ** np.arange(n_levels))):
            e = np.zeros_like(x)
            e[j] = hj
            levels[k].append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * hj))
    return [np.stack(d, axis=-1) for d in levels]


def _hessian_levels(f, x, h0, n_levels):
    """Second differences at steps ``h0 / 2^k``, ``k < n_levels``; and ``f(x)``."""
    p = x.size
    f0 = np.asarray(f(x), dtype=float)
    levels = []
    for k in range(n_levels):
        h = _exact(x, h0 / 2.0 ** k)
        H = np.empty(f0.shape + (p, p))
        E = np.diag(h)
        for i in range(p):
            H[..., i, i] = (np.asarray(f(x + E[i])) - 2 * f0 + np.asarray(f(x - E[i]))) / h[i] ** 2
            for j in range(i):
                v = (
                    np.asarray(f(x + E[i] + E[j]))
                    - np.asarray(f(x + E[i] - E[j]))
                    - np.asarray(f(x - E[i] + E[j]))
                    + np.asarray(f(x - E[i] - E[j]))
                )
                H[..., i, j] = H[..., j, i] = v / (4 * h[i] * h[j])
        levels.append(H)
    return levels, f0


def _richardson(levels):
    """``(4 D(h/2) - D(h)) / 3`` for consecutive levels of an ``O(h^2)`` difference."""
    return [(4 * b - a) / 3 for a, b in zip(levels[:-1], levels[1:], strict=False)]


def jacobian(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    base: float = FIRST_BASE,
    scale: np.ndarray | None = None,
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
    scale : ndarray, shape (p,), optional
        Typical scale of each coordinate (default ``max(|x_j|, 1)``); see :func:`steps`.

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
    h = steps(x, *_bounds(x, lower, upper), base, scale)
    return _richardson(_jacobian_levels(f, x, h, 2))[0]


def jacobian_with_error(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    scale: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`jacobian` and an estimate of its absolute error, entry by entry.

    The error estimate is ``|R(h, h/2) - R(h/2, h/4)|`` (two Richardson-extrapolated
    values), which bounds the truncation error of the first (whose leading ``O(h^4)``
    term is 16 times that of the second), plus the rounding error of the first,
    ``(1 + 4 * 2) / 3 * 2 eps |f(x)| / (2 h) = 3 eps |f(x)| / h`` for values of ``f``
    rounded to ``eps |f|``; ``6 p + 1`` evaluations of ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import jacobian_with_error
    >>> J, err = jacobian_with_error(np.exp, np.array([1.0]))
    >>> bool(abs(J[0] - np.e) <= err[0] + 1e-15), bool(err[0] < 1e-10)
    (True, True)
    """
    x = np.asarray(x, dtype=float)
    h = steps(x, *_bounds(x, lower, upper), FIRST_BASE, scale)
    r1, r2 = _richardson(_jacobian_levels(f, x, h, 3))
    rounding = 3 * EPS * np.abs(np.asarray(f(x), dtype=float))[..., None] / h
    return r1, np.abs(r1 - r2) + rounding


def hessian(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    base: float = SECOND_BASE,
    scale: np.ndarray | None = None,
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
    h0 = steps(x, *_bounds(x, lower, upper), base, scale)
    levels, _ = _hessian_levels(f, x, h0, 2)
    return _richardson(levels)[0], 4 * x.size ** 2 + 1


def hessian_with_error(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    scale: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hessian` and an estimate of its absolute error, entry by entry.

    As :func:`jacobian_with_error`: a third step ``h/4``, the difference of the two
    extrapolated values and the rounding error of the first, ``(4 * 16 + 4) / 3 * eps
    |f(x)| / h_i h_j`` (``6 p^2 + 1`` evaluations).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import hessian_with_error
    >>> H, err = hessian_with_error(lambda t: np.exp(2 * t[0]), np.array([0.0]))
    >>> bool(abs(H[0, 0] - 4.0) <= err[0, 0] + 1e-12), bool(err[0, 0] < 1e-7)
    (True, True)
    """
    x = np.asarray(x, dtype=float)
    h0 = steps(x, *_bounds(x, lower, upper), SECOND_BASE, scale)
    levels, f0 = _hessian_levels(f, x, h0, 3)
    r1, r2 = _richardson(levels)
    rounding = 23 * EPS * np.abs(f0)[..., None, None] / np.outer(h0, h0)
    return r1, np.abs(r1 - r2) + rounding


def information_scales(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    order: int = 0,
    max_iter: int = 12,
) -> np.ndarray:
    r"""Typical scale of each coordinate of a per-observation log-density, from its curvature.

    The scale of parameter ``j`` is :math:`s_j = (\overline{|\partial^2 f_i / \partial
    x_j^2|})^{-1/2}`, the mean over observations ``i`` of the absolute curvature: the
    change of :math:`x_j` over which one observation's log-density changes by about one
    (for a log-likelihood, one over the square root of one observation's observed
    information). Finite-difference steps ``eps^(1/5) s_j`` and ``eps^(1/6) s_j`` are
    then the right size whatever the units of the parameter (a location of ``1e5`` with
    scale ``2``, a scale of ``1e-8``), where steps relative to ``max(|x_j|, 1)`` are not.

    The curvature is itself a second difference, so ``s_j`` is a fixed point, found as in
    the step-size search of Gill, Murray, Saunders & Wright (1983, "Computing
    forward-difference intervals for numerical optimization", SIAM J. Sci. Stat. Comput.
    4, 310-321): start from ``max(|x_j|, 1)``; if the trial points are outside the domain
    of ``f`` (non-finite values), shrink 1000-fold; if the second difference is below 1000
    times its rounding error, grow 1000-fold (capped by the distance to the bound); else
    move to the measured scale (at most 1000-fold per step) until it changes by less than
    a factor of two.

    Parameters
    ----------
    f : callable
        ``f(x)``: per-observation log-densities, shape (n,) (``order=0``), or their
        gradients, shape (n, p) (``order=1``: the curvature is then a first difference of
        ``f(x)[:, j]``).
    x : ndarray, shape (p,)
    lower, upper : ndarray, shape (p,), optional
        Open bounds.
    order : {0, 1}
    max_iter : int
        Iterations per coordinate.

    Returns
    -------
    ndarray, shape (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._numdiff import information_scales
    >>> y = np.array([-1.0, 0.5, 2.0]) * 1e-6
    >>> s = information_scales(lambda t: -0.5 * ((y - t[0]) / 1e-6) ** 2, np.array([0.0]))
    >>> float(np.round(s[0] / 1e-6, 6))  # the standard deviation of y
    1.0
    """
    x = np.asarray(x, dtype=float)
    lo, hi = _bounds(x, lower, upper)
    dist = np.minimum(x - lo, hi - x)
    base = SECOND_BASE if order == 0 else FIRST_BASE
    with np.errstate(all="ignore"):
        f0 = np.asarray(f(x), dtype=float)
    s = np.maximum(np.abs(x), 1.0)
    for j in range(x.size):
        sj = s[j]
        for _ in range(max_iter):
            h = float(_exact(x[j], base * min(sj, dist[j])))
            if h == 0.0:  # below the resolution of x_j
                new = sj * 1e3
            else:
                e = np.zeros_like(x)
                e[j] = h
                try:
                    with np.errstate(all="ignore"):
                        fp, fm = np.asarray(f(x + e), float), np.asarray(f(x - e), float)
                except (ValueError, ArithmeticError):
                    fp = fm = np.array(np.nan)
                if order == 0:
                    d = np.abs(fp - 2 * f0 + fm)
                    noise = 4 * EPS * (np.abs(fp) + 2 * np.abs(f0) + np.abs(fm))
                    curv = d / h**2
                else:
                    fp, fm = np.asarray(fp)[..., j], np.asarray(fm)[..., j]
                    d = np.abs(fp - fm)
                    noise = 2 * EPS * (np.abs(fp) + np.abs(fm))
                    curv = d / (2 * h)
                if not (np.all(np.isfinite(d)) and np.all(np.isfinite(curv))):
                    new = sj / 1e3
                elif d.mean() <= 1e3 * noise.mean():  # curvature not resolved: grow
                    if sj >= dist[j]:
                        break
                    new = sj * 1e3
                else:
                    new = float(np.clip(curv.mean() ** -0.5, sj / 1e3, sj * 1e3))
            done = abs(np.log(new / sj)) < np.log(2.0)
            sj = new
            if done:
                break
        s[j] = sj
    return s
