r"""Stable special functions shared by the pharmacokinetic and dose-response models.

* :func:`expdiff`: :math:`(e^{-a t} - e^{-b t}) / (b - a)` and its derivatives, finite
  and exact as ``b -> a`` (the flip-flop limit of first-order absorption).
* :func:`exprel123`: :math:`E_1 = (1 - e^{-z})/z`, :math:`E_2 = (z - 1 + e^{-z})/z^2`,
  :math:`E_3 = (1 - (1 + z)e^{-z})/z^2` for ``z >= 0`` without cancellation.
* :func:`hill`: the Hill function :math:`x^h / (c^h + x^h)` through ``expit`` of a log ratio.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["series", "exprel123", "expdiff", "hill"]


def series(z, coefs):
    """Horner evaluation of ``sum_k coefs[k] z^k``."""
    out = np.full_like(z, coefs[-1])
    for c in coefs[-2::-1]:
        out = out * z + c
    return out


_FACT = special.factorial(np.arange(20), exact=False)
#: Power series (k = 0..15) of E1(z) = sum_k (-z)^k / (k+1)!, E2(z) = sum_k (-z)^k / (k+2)!
#: and E3(z) = sum_k (-z)^k (k+1) / (k+2)!; the first omitted term is < 1e-16 for z < 0.5.
E_COEF = {
    1: np.array([(-1) ** k / _FACT[k + 1] for k in range(16)]),
    2: np.array([(-1) ** k / _FACT[k + 2] for k in range(16)]),
    3: np.array([(-1) ** k * (k + 1) / _FACT[k + 2] for k in range(16)]),
}


def exprel123(z, which=(1, 2, 3)) -> list[np.ndarray]:
    r"""Stable :math:`E_1, E_2, E_3` (limits 1, 1/2, 1/2 at 0) for ``z >= 0``.

    Direct forms where ``z >= 0.5``; the power series only on the entries with ``z < 0.5``,
    where the direct forms cancel. ``E_3 = -E_1'``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._special import exprel123
    >>> e1, e2, e3 = exprel123(np.array([0.0, 1e-9, 2.0]))
    >>> bool(np.allclose(e1, [1.0, 1.0, (1 - np.exp(-2)) / 2], rtol=1e-15))
    True
    """
    z = np.asarray(z, dtype=float)
    small = z < 0.5
    zs = np.where(small, 1.0, z)
    em = -np.expm1(-zs)
    out = []
    for k in which:
        if k == 1:
            e = em / zs
        elif k == 2:
            e = (zs - em) / zs**2
        else:
            e = (em - zs * np.exp(-zs)) / zs**2
        e = np.array(e, dtype=float)  # an array even for 0-d input, so it can be assigned
        if small.any():
            e[small] = series(z[small], E_COEF[k])
        out.append(e)
    return out


def expdiff(a, b, t):
    r"""Stable :math:`g = (e^{-a t} - e^{-b t}) / (b - a)` and its derivatives in ``a``, ``b``.

    With :math:`l = \min(a, b)`, :math:`h` the larger rate and :math:`z = |b - a| t \ge 0`:

    .. math::

        g = t e^{-l t} E_1(z), \quad
        \frac{\partial g}{\partial l} = -t^2 e^{-l t} E_2(z), \quad
        \frac{\partial g}{\partial h} = -t^2 e^{-l t} E_3(z).

    ``g`` is symmetric in ``(a, b)`` and tends to :math:`t e^{-a t}` as ``b -> a``.
    Broadcasts over ``a``, ``b`` and ``t``. Returns ``(g, dg/da, dg/db)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._special import expdiff
    >>> g, _, _ = expdiff(1.0, 1.0 + 1e-12, 2.0)
    >>> bool(np.isclose(g, 2.0 * np.exp(-2.0), rtol=1e-11))
    True
    """
    a, b, t = np.broadcast_arrays(*(np.asarray(u, dtype=float) for u in (a, b, t)))
    lo = np.minimum(a, b)
    e1, e2, e3 = exprel123(np.abs(b - a) * t)
    base = t * np.exp(-lo * t)
    d_lo, d_hi = -t * base * e2, -t * base * e3
    a_lo = a <= b
    return base * e1, np.where(a_lo, d_lo, d_hi), np.where(a_lo, d_hi, d_lo)


def hill(x, ed50, h):
    """``x^h / (ed50^h + x^h)``, its complement and ``log(x / ed50)`` (0 where x = 0).

    Computed as ``expit(h log(x / ed50))``, so that large ``h`` or extreme ratios do not
    overflow; broadcasts.
    """
    pos = x > 0
    lr = np.where(pos, np.log(np.where(pos, x, 1.0)) - np.log(ed50), 0.0)
    u = h * lr
    return np.where(pos, special.expit(u), 0.0), np.where(pos, special.expit(-u), 1.0), lr
