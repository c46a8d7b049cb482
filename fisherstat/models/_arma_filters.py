r"""ARMA polynomials, autocovariances and the innovations filter (helpers of :mod:`.arma`).

Everything :class:`~fisherstat.models.ARMA` computes in :math:`O(n)` rests on these: the
inverse roots of the AR and MA polynomials, the autocovariances of the process (and the
cross-covariances with the shocks), the covariance :math:`\Omega` of the pre-sample filter
state, and the innovations :math:`a = K y` with the state response :math:`B` (see the
module docstring of :mod:`fisherstat.models.arma` for the representation
:math:`\operatorname{Cov}(y) = \sigma^2 K^{-1}(I + B \Omega B^T)K^{-T}`), plus the
partial-autocorrelation map that keeps fits inside the stationary, invertible region.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


def _signal():
    """``scipy.signal``, imported on first use (it costs ~0.3 s at ``import fisherstat``)."""
    from scipy import signal

    return signal


_TAIL_TOL = 1e-24  # neglected mass of the state response (see _innovations)
_CHUNK = 2**20  # elements per batched-solve chunk (memory bound)


# ------------------------------------------------------------------ polynomial helpers
def _polys(phi, theta):
    """Lag polynomials ``ar = [1, -phi_1, ..., -phi_p]`` and ``ma = [1, theta_1, ...]``."""
    phi, theta = np.asarray(phi), np.asarray(theta)
    dt = np.result_type(phi, theta, float)
    return (np.concatenate([np.ones(1, dt), -phi.astype(dt)]),
            np.concatenate([np.ones(1, dt), theta.astype(dt)]))


def _inverse_roots(poly) -> np.ndarray:
    """Reciprocals of the roots of ``poly[0] + poly[1] z + ...`` (``poly[0] = 1``).

    They are the roots of the reversed polynomial ``z^d + poly[1] z^{d-1} + ... + poly[d]``
    (eigenvalues of its companion matrix); a vanishing leading coefficient gives the
    inverse root 0 (a root at infinity). Stationarity/invertibility: all ``|.| < 1``.
    """
    poly = np.asarray(poly, dtype=float)
    if poly.size <= 1:
        return np.zeros(0, dtype=complex)
    return np.roots(poly).astype(complex) if np.any(poly[1:]) else np.zeros(poly.size - 1,
                                                                             complex)


def _reciprocal(lam):
    """``1 / lam`` with ``1 / 0 = inf`` (a root at infinity), without warnings."""
    out = np.full(lam.shape, complex(np.inf, 0.0))
    nz = lam != 0
    out[nz] = 1.0 / lam[nz]
    return out


def _impulse(num, den, n):
    """First ``n`` coefficients of the power series ``num(z) / den(z)``."""
    x = np.zeros(n, dtype=np.result_type(num, den, float))
    x[0] = 1.0
    return _signal().lfilter(num, den, x)


def _shifted_columns(r, shifts, n):
    """(n, k) matrix whose column ``c`` is the series ``r`` delayed by ``shifts[c]``."""
    out = np.zeros((n, len(shifts)), dtype=r.dtype)
    for c, s in enumerate(shifts):
        if s < n:
            out[s:, c] = r[: n - s]
    return out


def _ar_acovf(poly, k):
    r"""Autocovariances :math:`\gamma(0..k-1)` of the AR process ``poly(B) x_t = e_t``
    (``poly[0] = 1``, unit noise variance).

    Inverse Durbin-Levinson: the step-down recursion gives the partial autocorrelations
    :math:`r_j` and the predictor coefficients of every order,
    :math:`\gamma(0) = 1/\prod_j (1 - r_j^2)` and
    :math:`\rho(h) = \sum_{j=1}^h \phi_{hj}\rho(h-j)` (the last Yule-Walker equation of
    order ``h``), then the AR recursion beyond lag ``p`` (Brockwell & Davis 1991,
    sections 3.3 and 5.2). Unlike solving the linear equations (3.3.8) directly, this
    stays accurate when roots cluster: for an AR(10) with roots of modulus 1.3 to 3.7 in
    close pairs (condition number 4e6) the relative error is 7e-13 instead of 1e-10.
    Complex-safe (for complex-step derivatives).
    """
    c = -poly[1:]
    p = c.size
    dt = np.result_type(poly, float)
    rho = np.zeros(max(k, p + 1), dt)
    rho[0] = 1.0
    if p == 0:
        return rho[:k]
    sets = [None] * (p + 1)
    sets[p] = c
    r = np.zeros(p + 1, dt)
    for j in range(p, 0, -1):
        cj = sets[j]
        r[j] = cj[-1]
        sets[j - 1] = (cj[:-1] + r[j] * cj[:-1][::-1]) / (1.0 - r[j] ** 2)
    for h in range(1, p + 1):
        rho[h] = sets[h] @ rho[h - 1 :: -1]
    if k > p + 1:
        zi = _signal().lfiltic(np.ones(1), poly, rho[p:0:-1]).astype(dt)
        rho[p + 1 :] = _signal().lfilter(np.ones(1), poly, np.zeros(k - p - 1, dt), zi=zi)[0]
    return rho[:k] / np.prod(1.0 - r[1:] ** 2)


def _acovf(ar, ma, k):
    r"""Autocovariances :math:`\gamma(0..k-1)` of the ARMA process (unit noise variance):
    :math:`y = \theta(B) U` with :math:`U = e/\phi(B)`, so
    :math:`\gamma_y(h) = \sum_{i,j}\theta_i\theta_j\gamma_U(h - i + j)`."""
    q = ma.size - 1
    gu = _ar_acovf(ar, k + q)
    h, i, j = np.arange(k)[:, None, None], np.arange(q + 1)[None, :, None], \
        np.arange(q + 1)[None, None, :]
    return np.einsum("hij,i,j->h", gu[np.abs(h - i + j)], ma, ma)


def _cross_covariance(ar, ma):
    r"""``X[i, j] = E[U_{t-1-i} V_{t-1-j}]`` (p, q) for :math:`U = e/\phi(B)`,
    :math:`V = e/\theta(B)` driven by the same unit white noise.

    ``X[i, j] = c(j - i)`` with :math:`c(d) = E[U_t V_{t-d}]`. Multiplying
    :math:`\phi(B)U_t = e_t` by :math:`V_{t-d}` and :math:`\theta(B)V_{t-d} = e_{t-d}` by
    :math:`U_t` and taking expectations gives, with :math:`\psi^U, \psi^V` the impulse
    responses (:math:`\psi_0 = 1`),

    .. math::

        \sum_{l=0}^p a_l\, c(d-l) = \psi^V_{-d}, \ d = 0..q, \qquad
        \sum_{l=0}^q b_l\, c(d+l) = \psi^U_{d}, \ d = -p..0,

    (right sides 1 at ``d = 0``, else 0): ``p + q + 2`` equations of full column rank in
    the ``p + q + 1`` unknowns :math:`c(-p..q)`, solved by least squares. This is the
    Stein equation :math:`X = F_U X F_V^T + e_1e_1^T` of the companion matrices written in
    its Toeplitz unknowns: a tiny system, accurate also near common roots (where the
    information is singular but its entries are not ill-determined).
    """
    p, q = ar.size - 1, ma.size - 1
    n = p + q + 1
    A = np.zeros((n + 1, n))
    d1 = np.arange(q + 1)[:, None]  # R1 rows: d = 0..q, column index (d - l) + p
    np.add.at(A, (np.broadcast_to(d1, (q + 1, p + 1)), d1 - np.arange(p + 1) + p),
              np.broadcast_to(ar, (q + 1, p + 1)))
    d2 = np.arange(-p, 1)[:, None]  # R2 rows: d = -p..0, column index (d + l) + p
    np.add.at(A, (q + 1 + np.broadcast_to(d2 + p, (p + 1, q + 1)), d2 + np.arange(q + 1) + p),
              np.broadcast_to(ma, (p + 1, q + 1)))
    rhs = np.zeros(n + 1)
    rhs[0] = rhs[-1] = 1.0
    c = linalg.lstsq(A, rhs)[0]
    return c[np.arange(q)[None, :] - np.arange(p)[:, None] + p]


def _omega(ar, ma):
    r"""Covariance :math:`\Omega` (m, m) of the pre-sample filter state, in units of
    :math:`\sigma^2`.

    The state is :math:`q_k = \sum_{i>k} a_i y_{k-i} - \sum_{j>k} \theta_j e_{k-j}`,
    ``k = 0..m-1`` (``a_i = -phi_i``; negative times are before the sample), so with
    :math:`Y = (y_{-1}, \dots, y_{-p})`, :math:`E = (e_{-1}, \dots, e_{-q})`,
    :math:`q = A_y Y - A_e E` with Hankel :math:`A_y[k, s] = a_{k+s}`,
    :math:`A_e[k, s] = \theta_{k+s}` and
    :math:`\Omega = A_y \Gamma_p A_y^T - A_y C A_e^T - A_e C^T A_y^T + A_e A_e^T`,
    :math:`\Gamma_p` the Toeplitz autocovariance and :math:`C[s, u] = \psi_{u-s}`
    (``u >= s``) the covariance of :math:`Y` and :math:`E`.
    """
    p, q = ar.size - 1, ma.size - 1
    m = max(p, q)
    dt = np.result_type(ar, ma, float)
    arp, map_ = np.zeros(2 * m + 1, dt), np.zeros(2 * m + 1, dt)
    arp[: p + 1], map_[: q + 1] = ar, ma
    k = np.arange(m)[:, None]
    Ay = arp[k + np.arange(1, p + 1)[None, :]]  # (m, p)
    Ae = map_[k + np.arange(1, q + 1)[None, :]]  # (m, q)
    om = Ae @ Ae.T
    if p:
        g = _acovf(ar, ma, p)
        s = np.arange(p)
        om = om + Ay @ _toeplitz(g) @ Ay.T
        if q:
            psi = _impulse(ma, ar, max(p, q) + 1)
            d = np.arange(q)[None, :] - s[:, None]  # u - s
            C = np.where(d >= 0, psi[np.clip(d, 0, None)], 0.0)
            X = Ay @ C @ Ae.T
            om = om - X - X.T
    return 0.5 * (om + om.T)


def _delay(X, lag):
    """Rows of ``X`` shifted down by ``lag`` (zeros enter at the top): ``S^lag X``."""
    out = np.zeros_like(X)
    if lag < X.shape[0]:
        out[lag:] = X[: X.shape[0] - lag]
    return out


def _advance(X, lag):
    """Rows of ``X`` shifted up by ``lag`` (zeros enter at the bottom): ``(S^T)^lag X``."""
    out = np.zeros_like(X)
    if lag < X.shape[0]:
        out[: X.shape[0] - lag] = X[lag:]
    return out


def _toeplitz(g):
    """Symmetric Toeplitz matrix with first column ``g``."""
    i = np.arange(g.size)
    return g[np.abs(i[:, None] - i[None, :])]


def _state_response(ma, m, n):
    """B (n, m): column ``k`` holds the coefficients of ``z^k / theta(z)``."""
    return _shifted_columns(_impulse(np.ones(1), ma, n), range(m), n)


def _innovations(ar, ma, Y):
    r"""Innovations of the columns of ``Y`` (n, c) and their variances in units of sigma2.

    Returns ``e`` (n, c) and ``w`` (n,) with ``v_t = sigma2 w_t``: ``e_t`` is the
    one-step prediction error of ``y_t`` from ``y_1..y_{t-1}`` (for each column).

    With ``a = lfilter(ar, ma, Y)`` and the state response ``b_t`` (row ``t`` of ``B``),
    ``a_t = e_t - b_t' q`` where ``q ~ N(0, sigma2 Omega)`` is independent of the shocks;
    conditioning ``q`` on the past (Bayesian linear regression, Woodbury form so that a
    singular ``Omega`` is allowed) gives

        w_t = 1 + b_t' Omega M_t^{-1} b_t,    e_t = a_t - b_t' Omega M_t^{-1} h_t,
        M_t = I + S_t Omega,  S_t = sum_{k<t} b_k b_k',  h_t = sum_{k<t} b_k a_k.

    The rows are processed as batched (m, m) solves; after row ``T0`` the remaining mass
    ``sum_{k>=T0} |b_k|^2 max(1, |Omega|)`` is below 1e-24, so ``S`` and ``h`` are frozen
    (the error this makes is of second order, < 1e-24 relative). ``T0 = m`` for pure AR
    (the state response vanishes exactly after m steps) and ``O(log(eps)/log(rho))`` for
    an MA part whose largest inverse root has modulus ``rho``. Cost ``O(n m c + T0 m^3)``.
    Complex-safe (the truncation point is chosen from the real part).
    """
    p, q = ar.size - 1, ma.size - 1
    m = max(p, q)
    n, c = Y.shape
    a = _signal().lfilter(ar, ma, Y, axis=0)
    if m == 0:
        return a, np.ones(n, dtype=a.dtype)
    B = _state_response(ma, m, n)
    Om = _omega(ar, ma)
    dt = np.result_type(a, B, Om)
    tail = np.cumsum(np.sum(B.real**2, axis=1)[::-1])[::-1]
    T0 = int(np.count_nonzero(tail * max(1.0, np.max(np.abs(Om))) > _TAIL_TOL))
    e = np.empty((n, c), dt)
    w = np.empty(n, dt)
    S = np.zeros((m, m), dt)
    h = np.zeros((m, c), dt)
    eye = np.eye(m)
    step = max(1, _CHUNK // (m * m * (c + 1)))
    for r0 in range(0, T0, step):
        r1 = min(T0, r0 + step)
        Bc, ac = B[r0:r1], a[r0:r1]
        outer = Bc[:, :, None] * Bc[:, None, :]
        cross = Bc[:, :, None] * ac[:, None, :]
        Sc = S + np.cumsum(outer, axis=0) - outer  # exclusive: sum over k < t
        hc = h + np.cumsum(cross, axis=0) - cross
        x = np.linalg.solve(eye + Sc @ Om, np.concatenate([Bc[:, :, None], hc], axis=2))
        OB = Bc @ Om
        w[r0:r1] = 1.0 + np.einsum("tm,tm->t", OB, x[:, :, 0])
        e[r0:r1] = ac - np.einsum("tm,tmc->tc", OB, x[:, :, 1:])
        S, h = Sc[-1] + outer[-1], hc[-1] + cross[-1]
    if T0 < n:
        Br = B[T0:]
        x = np.linalg.solve(eye + S @ Om, np.concatenate([Br.T, h], axis=1))
        OB = Br @ Om
        w[T0:] = 1.0 + np.einsum("tm,mt->t", OB, x[:, : n - T0])
        e[T0:] = a[T0:] - OB @ x[:, n - T0:]
    return e, w


def _pacf_to_coef(r):
    """AR coefficients from partial autocorrelations (Durbin-Levinson; Monahan 1984)."""
    c = r[:0]
    for k in range(r.size):
        c = np.concatenate([c - r[k] * c[::-1], r[k : k + 1]])
    return c


def _coef_to_pacf(c):
    """Inverse of :func:`_pacf_to_coef` (step-down); ``|r| >= 1`` signals non-stationarity."""
    c = np.asarray(c, dtype=float)
    r = np.empty(c.size)
    for k in range(c.size - 1, -1, -1):
        r[k] = c[k]
        if k and abs(r[k]) < 1:
            c = (c[:k] + r[k] * c[:k][::-1]) / (1 - r[k] ** 2)
        elif k:
            c = c[:k]
    return r
