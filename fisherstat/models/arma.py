r"""Gaussian ARMA(p, q) time series: exact likelihood, exact and asymptotic information.

Conventions (statsmodels'): the series :math:`y_1, \dots, y_n` satisfies

.. math::

    y_t - \mu = \sum_{i=1}^p \phi_i (y_{t-i} - \mu) + e_t + \sum_{j=1}^q \theta_j e_{t-j},
    \qquad e_t \overset{iid}{\sim} N(0, \sigma^2),

i.e. :math:`\phi(B)(y_t - \mu) = \theta(B) e_t` with :math:`\phi(z) = 1 - \sum_i \phi_i z^i`
and :math:`\theta(z) = 1 + \sum_j \theta_j z^j`, both with all roots outside the unit
circle (stationary and invertible). Parameters ``(mu, phi1..phip, theta1..thetaq, sigma2)``
(``mu`` only with ``mean=True``; first, like statsmodels' ``const``).

The observations are *not* independent: :meth:`ARMA.loglik` returns the terms of the
prediction-error decomposition of the exact Gaussian likelihood, one per observation, and
:meth:`ARMA.fisher` the asymptotic information *per observation* (``n=None``) or the exact
information of ``n`` consecutive observations.

Implementation in one paragraph (derivation in the :class:`ARMA` Notes). Filtering the
data by :math:`\phi(B)/\theta(B)` from a zero state (``scipy.signal.lfilter``) gives
:math:`a = K y` with :math:`K` unit lower-triangular Toeplitz, and :math:`a = e - B q`
where :math:`e` are the in-sample shocks, :math:`q` the ``m = max(p, q)`` pre-sample
values of the filter state, independent of :math:`e`, with covariance
:math:`\sigma^2 \Omega`, and :math:`B` (n, m) the (decaying) response of the filter to its
initial state. Hence :math:`\operatorname{Cov}(y) = \sigma^2 K^{-1}(I + B \Omega B^T)K^{-T}`:
a Toeplitz matrix is a unit-triangular transform of *identity plus rank m*. Everything
(likelihood, innovations, score, the exact finite-sample information) follows in
:math:`O(n)` operations from this representation.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

from .. import _numdiff
from .._validation import check_int, check_random_state
from ..exceptions import BoundaryEstimateError, FitError
from ._arma_filters import (
    _advance,
    _ar_acovf,
    _coef_to_pacf,
    _cross_covariance,
    _delay,
    _impulse,
    _innovations,
    _inverse_roots,
    _omega,
    _pacf_to_coef,
    _polys,
    _reciprocal,
    _shifted_columns,
    _signal,
    _state_response,
    _toeplitz,
)
from .base import Model, Singularity

__all__ = ["ARMA"]

_FREE = (-np.inf, np.inf)
_POS = (0.0, np.inf)
_CSTEP = 1e-30  # complex step: truncation error O(h^2) = 1e-60, i.e. none


class ARMA(Model):
    r"""Gaussian ARMA(p, q) process, optionally with a mean ``mu``.

    Parameters ``(mu, phi1..phip, theta1..thetaq, sigma2)``; ``mu`` only with
    ``mean=True`` (first, like statsmodels' ``const``). Data: ONE series of shape (n,),
    its consecutive observations. Sign convention of statsmodels (``ARIMA(order=(p, 0, q))``):
    :math:`\phi(B)(y_t - \mu) = \theta(B) e_t`, :math:`\phi(z) = 1 - \sum \phi_i z^i`,
    :math:`\theta(z) = 1 + \sum \theta_j z^j`.

    Parameters
    ----------
    p, q : int
        AR and MA orders (``>= 0``; ``p = q = 0`` is Gaussian white noise).
    mean : bool, default False
        Estimate a mean ``mu`` (otherwise the process has mean zero).

    Notes
    -----
    **Exact likelihood.** Prediction-error decomposition (Brockwell & Davis 1991,
    *Time Series: Theory and Methods*, 2nd ed., sections 5.2 and 8.7):

    .. math::

        \log p(y) = \sum_{t=1}^n \ell_t, \qquad
        \ell_t = -\tfrac12\Big(\log(2\pi v_t) + \frac{\epsilon_t^2}{v_t}\Big),

    with :math:`\epsilon_t = y_t - E[y_t \mid y_{<t}]` and :math:`v_t` its variance;
    :meth:`loglik` returns the :math:`\ell_t`. Derivation used here: for :math:`t \ge 0`,
    :math:`\theta(B)e_t = \phi(B)y_t` splits into in-sample terms and a polynomial
    :math:`Q(z) = \sum_{k<m} q_k z^k` of pre-sample values, so
    :math:`e = a + B q` with :math:`a = (\phi/\theta)(B) y` filtered from a zero state
    (``lfilter``; :math:`a = Ky`, :math:`K` unit lower-triangular Toeplitz) and
    :math:`B_{tk} = [z^{t}]\, z^k/\theta(z)`. The pre-sample state
    :math:`q \sim N(0, \sigma^2\Omega)` is independent of the in-sample shocks, so

    .. math::

        \operatorname{Cov}(y) = G = \sigma^2 K^{-1} H K^{-T}, \qquad
        H = I + B\Omega B^{T},

    and conditioning :math:`q` on the past (Woodbury) gives
    :math:`v_t = \sigma^2(1 + b_t^T\Omega M_t^{-1} b_t)`,
    :math:`\epsilon_t = a_t - b_t^T \Omega M_t^{-1} h_t`, :math:`M_t = I + S_t\Omega`,
    :math:`S_t = \sum_{k<t} b_k b_k^T`, :math:`h_t = \sum_{k<t} b_k a_k` — exact, with
    batched ``(m, m)`` solves until the state response :math:`b_t` has decayed below
    rounding (``m`` steps for pure AR). Cost :math:`O(n m + T_0 m^3)`, no loop over time
    in Python. Agrees with statsmodels' Kalman filter and the dense
    :math:`N(0, G)` density (tests).

    **Score.** Analytic for ``mu`` (:math:`\partial\epsilon_t/\partial\mu` is the
    innovation of the constant series) and ``sigma2``
    (:math:`\partial\ell_t/\partial\sigma^2 = (\epsilon_t^2/v_t - 1)/(2\sigma^2)`); for
    the ARMA coefficients the exact derivative of the recursions above by the
    complex-step method (Squire & Trapp 1998, SIAM Review 40, 110-112; Martins, Sturdza &
    Alonso 2003, ACM TOMS 29, 245-262): :math:`\partial\ell_t/\partial\beta =
    \operatorname{Im} \ell_t(\beta + i h)/h`, ``h = 1e-30``, which has no subtraction and
    no truncation error (exact to rounding; ``p + q`` complex likelihood evaluations). The
    Hessian is a Richardson difference of this score (``_numdiff``), with the steps of the
    coefficients kept below the distance of the roots to the unit circle.

    **Asymptotic information per observation** (``fisher(theta)``; Brockwell & Davis
    1991, section 8.8; Box, Jenkins, Reinsel & Ljung 2015, *Time Series Analysis*, 5th ed.,
    ch. 7): with :math:`U = e/\phi(B)`, :math:`V = e/\theta(B)` (unit noise),

    .. math::

        I_{\phi\theta} = \operatorname{Cov}\begin{pmatrix} U_{t-1..t-p} \\ V_{t-1..t-q}
        \end{pmatrix}, \qquad
        I_{\sigma^2} = \frac{1}{2\sigma^4}, \qquad
        I_{\mu} = \frac{\phi(1)^2}{\sigma^2 \theta(1)^2},

    block diagonal. The :math:`UU` and :math:`VV` blocks are the Toeplitz
    autocovariances of the AR processes :math:`U` and :math:`V` (inverse Durbin-Levinson
    recursion from the partial autocorrelations, accurate when roots cluster); the
    :math:`UV` block solves a ``(p+q+2) x (p+q+1)`` linear system for the cross-covariances
    :math:`E[U_tV_{t-d}]`, ``d = -p..q`` (the Stein equation of the two companion matrices
    in its Toeplitz unknowns; see ``_cross_covariance``). Equivalently
    :math:`I_{\phi\theta} = S\,\Gamma_W S^{T}` with :math:`W = e/(\phi(B)\theta(B))` an
    AR(p + q) process, :math:`\Gamma_W` its Toeplitz autocovariance and :math:`S` the
    Sylvester resultant matrix of :math:`\theta` and :math:`\phi` (:math:`U = \theta(B)W`,
    :math:`V = \phi(B)W`; Klein & Spreij 1996, Linear Algebra Appl. 237/238, 579-590): the
    information is singular exactly when :math:`\phi` and :math:`\theta` share a root.
    (That form is not used to compute: near a common root :math:`\Gamma_W` is much larger
    than the result and digits cancel.)
    AR(1): :math:`1/(1-\phi^2)`; MA(1): :math:`1/(1-\theta^2)`; ARMA(1,1): off-diagonal
    :math:`1/(1+\phi\theta)` (Box, Jenkins, Reinsel & Ljung 2015, ch. 7, with their
    opposite MA sign). :math:`I_\mu` is the inverse of the long-run variance
    :math:`2\pi f(0) = \sigma^2\theta(1)^2/\phi(1)^2` (Brockwell & Davis 1991,
    Theorem 7.1.2). Cost :math:`O((p+q)^3)`, under a millisecond at ``p + q = 20``;
    entries within 1e-12 relative of long truncated sums of the :math:`\psi` weights in the
    tests (``p + q = 20`` with random roots, and roots at modulus 1/0.999 next to
    near-common roots).

    **Exact information of n observations** (``fisher(theta, n=N)``):
    :math:`I_N = \tfrac12\operatorname{tr}(G^{-1}G_a G^{-1} G_b)` (+
    :math:`\mathbf 1^T G^{-1}\mathbf 1` for ``mu``) (e.g. Porat & Friedlander 1986, IEEE
    Trans. ASSP 34, 118-130). From :math:`G = \sigma^2K^{-1}HK^{-T}`,
    :math:`G^{-1}G_a = K^{T} X_a K^{-T}` with

    .. math::

        X_a = -H^{-1}J_a H + H^{-1}H_a - J_a^{T}, \qquad J_a = K_a K^{-1},

    where :math:`J_a` is lower-triangular Toeplitz with symbol
    :math:`\partial_a\log(\phi/\theta)` (:math:`-z^i/\phi(z)` for :math:`\phi_i`,
    :math:`-z^j/\theta(z)` for :math:`\theta_j`) and :math:`H^{-1} = I - B\tilde\Omega
    B^{T}`, :math:`\tilde\Omega = \Omega(I + B^TB\Omega)^{-1}`. So
    :math:`X_a = -(J_a + J_a^T) + U_aV_a^T` with :math:`U_a, V_a` of ``5m`` columns and

    .. math::

        \operatorname{tr}(X_aX_b) = 2\sum_{d<N}(N-d)\,j_a(d)j_b(d)
        - \langle V_b, (J_a+J_a^T)U_b\rangle - \langle V_a, (J_b+J_b^T)U_a\rangle
        + \operatorname{tr}(V_a^TU_b\,V_b^TU_a),

    every product a causal or anti-causal filter (``lfilter``); :math:`X_{\sigma^2} =
    I/\sigma^2`. Cost :math:`O(N (p+q)^2 m)` time and :math:`O(N (p+q) m)` memory —
    linear in ``N``, no ``N x N`` matrix. The first term is :math:`N I_\infty` minus
    :math:`\sum_d d\,j_a(d)j_b(d)`; with the low-rank terms, :math:`I_N - N I_\infty`
    tends to a constant (AR(1): :math:`I_N^{\phi\phi} = N/(1-\phi^2) +
    (3\phi^2-1)/(1-\phi^2)^2`, :math:`I_N^{\phi\sigma^2} = \phi/(\sigma^2(1-\phi^2))`).
    :math:`\partial\Omega` is taken by complex step (exact), :math:`\partial B` is
    analytic (:math:`-z^{k+j}/\theta(z)^2`).

    **Fit.** Own exact MLE: ``mu`` (GLS, closed form given the ARMA coefficients) and
    ``sigma2`` (mean of :math:`\epsilon_t^2/w_t`) are profiled out, and the profile
    likelihood is maximised by BFGS over the partial autocorrelations of :math:`\phi` and
    of :math:`-\theta` mapped to :math:`\mathbb R` by ``arctanh`` (Barndorff-Nielsen &
    Schou 1973; Monahan 1984, Biometrika 71, 403-404), which keeps every iterate
    stationary and invertible, with a complex-step gradient, from the better of white noise,
    a Hannan-Rissanen (1982) regression estimate and ``start``. Checked against
    statsmodels' ``ARIMA``.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.models.arma import ARMA
    >>> m = ARMA(1, 1)
    >>> m.param_names
    ('phi1', 'theta1', 'sigma2')
    >>> np.round(m.fisher([0.5, 0.3, 1.0]), 6)  # 1/(1-phi^2), 1/(1+phi theta), 1/(1-theta^2)
    array([[1.333333, 0.869565, 0.      ],
           [0.869565, 1.098901, 0.      ],
           [0.      , 0.      , 0.5     ]])
    >>> y = m.sample([0.5, 0.3, 1.0], 500, rng=0)
    >>> m.loglik([0.5, 0.3, 1.0], y).shape
    (500,)
    """

    has_analytic_fisher = True
    #: Context keys :meth:`fisher` accepts (``n``: exact information of ``n`` observations),
    #: for :func:`fisherstat.fisher` to pass through.
    fisher_context = ("n",)

    def __init__(self, p: int, q: int, mean: bool = False):
        self.p = check_int(p, "p", low=0)
        self.q = check_int(q, "q", low=0)
        if not isinstance(mean, (bool, np.bool_)):
            raise TypeError(f"mean must be True or False, got {mean!r}")
        self.mean = bool(mean)
        names = (("mu",) if self.mean else ()) + tuple(f"phi{i}" for i in range(1, p + 1)) \
            + tuple(f"theta{j}" for j in range(1, q + 1)) + ("sigma2",)
        bounds = [_FREE] * (len(names) - 1) + [_POS]
        super().__init__(names, bounds)
        self._i0 = int(self.mean)  # index of phi1

    def __repr__(self) -> str:
        return f"ARMA(p={self.p}, q={self.q}, mean={self.mean})"

    # ---------------------------------------------------------------- parameters
    def _split(self, theta):
        """``(mu, phi, theta_ma, sigma2)`` from the parameter vector."""
        i0, p, q = self._i0, self.p, self.q
        mu = theta[0] if self.mean else 0.0
        return mu, theta[i0 : i0 + p], theta[i0 + p : i0 + p + q], theta[-1]

    def _join(self, mu, phi, th, s2):
        head = [mu] if self.mean else []
        return np.concatenate([np.asarray(head, float), phi, th, [s2]])

    def _check_theta(self, theta):
        _, phi, th, _ = self._split(theta)
        ar, ma = _polys(phi, th)
        for poly, which, what, letter in ((ar, "AR", "stationary", "phi"),
                                          (ma, "MA", "invertible", "theta")):
            lam = _inverse_roots(poly)
            if lam.size and np.max(np.abs(lam)) >= 1:
                mod = 1.0 / np.max(np.abs(lam))
                sign = "-" if which == "AR" else "+"
                raise ValueError(
                    f"theta: the {which} polynomial 1 {sign} {letter}1 z {sign} ... has a root "
                    f"of modulus {mod:.4g} <= 1, so the process is not {what}; all its roots "
                    "must lie outside the unit circle"
                    + ("" if which == "AR" else
                       " (replacing a root z by 1/conj(z) gives the invertible MA with the "
                       "same autocovariances)")
                )

    def _example_theta(self):
        r_ar = 0.5 * (-0.6) ** np.arange(self.p)
        r_ma = -0.3 * 0.6 ** np.arange(self.q)
        return self._join(1.0, _pacf_to_coef(r_ar), -_pacf_to_coef(r_ma), 1.0)

    def random_theta(self, rng=None) -> np.ndarray:
        r"""Draw a stationary, invertible parameter from a typical region.

        The inverse roots of :math:`\phi` and of :math:`\theta` are drawn with moduli
        uniform on ``(0, 0.9)`` (every root outside the circle of radius 1/0.9) and uniform
        phases, in complex-conjugate pairs (one real root when the order is odd);
        ``sigma2 = exp(U(-0.7, 0.7))``, ``mu ~ U(-1, 1)``. (Uniform partial
        autocorrelations would put, for ``p = 20``, a root within ``1e-5`` of the unit
        circle.)

        Examples
        --------
        >>> from fisherstat.models.arma import ARMA
        >>> ARMA(2, 1, mean=True).random_theta(0).shape
        (5,)
        """
        rng = check_random_state(rng)

        def poly(d):
            lam = []
            for _ in range(d // 2):
                z = rng.uniform(0, 0.9) * np.exp(1j * rng.uniform(0, np.pi))
                lam += [z, np.conj(z)]
            if d % 2:
                lam.append(rng.uniform(-0.9, 0.9))
            return np.real(np.poly(np.array(lam))) if d else np.ones(1)

        phi, th = -poly(self.p)[1:], poly(self.q)[1:]
        s2 = np.exp(rng.uniform(-0.7, 0.7))
        mu = rng.uniform(-1.0, 1.0)
        return self.validate(self._join(mu, phi, th, s2))

    def roots(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """Roots of the AR polynomial :math:`\\phi(z)` and the MA polynomial :math:`\\theta(z)`.

        A vanishing leading coefficient gives a root at infinity (``inf``).

        Examples
        --------
        >>> from fisherstat.models.arma import ARMA
        >>> ar, ma = ARMA(1, 1).roots([0.5, 0.25, 1.0])
        >>> ar.real, ma.real
        (array([2.]), array([-4.]))
        """
        _, phi, th, _ = self._split(self.validate(theta))
        ar, ma = _polys(phi, th)
        return _reciprocal(_inverse_roots(ar)), _reciprocal(_inverse_roots(ma))

    # ------------------------------------------------------------- likelihood
    def _check_data(self, data):
        if data.ndim != 1:
            raise ValueError(
                f"data must be ONE series of shape (n,) (consecutive observations), "
                f"got shape {data.shape}"
            )
        return data

    def innovations(self, theta, data) -> tuple[np.ndarray, np.ndarray]:
        r"""One-step prediction errors :math:`\epsilon_t` and their variances :math:`v_t`.

        Parameters
        ----------
        theta : array_like
        data : array_like, shape (n,)

        Returns
        -------
        e, v : ndarray, shape (n,)
            :math:`\epsilon_t = y_t - E[y_t \mid y_1..y_{t-1}]`,
            :math:`v_t = \operatorname{Var}(\epsilon_t)`; :math:`v_t \to \sigma^2`.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.arma import ARMA
        >>> e, v = ARMA(1, 0).innovations([0.5, 1.0], [1.0, 2.0, 0.0])
        >>> e, np.round(v, 4)  # AR(1): v_1 = sigma2 / (1 - phi^2), then sigma2
        (array([ 1. ,  1.5, -1. ]), array([1.3333, 1.    , 1.    ]))
        """
        theta = self.validate(theta)
        data, _ = self.check_data(data)
        mu, phi, th, s2 = self._split(theta)
        e, w = _innovations(*_polys(phi, th), (data - mu)[:, None])
        return e[:, 0], s2 * w

    def _terms(self, phi, th, s2, y):
        e, w = _innovations(*_polys(phi, th), y[:, None])
        v = s2 * w
        return -0.5 * (np.log(2 * np.pi * v) + e[:, 0] ** 2 / v)

    def _loglik(self, theta, data, x):
        mu, phi, th, s2 = self._split(theta)
        return self._terms(phi, th, s2, data - mu)

    def _score(self, theta, data, x):
        mu, phi, th, s2 = self._split(theta)
        y = data - mu
        p, q, i0 = self.p, self.q, self._i0
        n = data.shape[0]
        out = np.empty((n, self.n_params))
        Y = np.column_stack([y, np.ones(n)]) if self.mean else y[:, None]
        e, w = _innovations(*_polys(phi, th), Y)
        v = s2 * w
        if self.mean:
            out[:, 0] = e[:, 0] * e[:, 1] / v
        out[:, -1] = (e[:, 0] ** 2 / v - 1.0) / (2 * s2)
        beta = np.concatenate([phi, th]).astype(complex)
        for k in range(p + q):
            b = beta.copy()
            b[k] += 1j * _CSTEP
            out[:, i0 + k] = self._terms(b[:p], b[p:], s2, y).imag / _CSTEP
        return out

    def _step_bounds(self, theta):
        """Bounds of the finite-difference steps at ``theta``: those of the ARMA coefficients
        kept below the distance of the roots to the unit circle, so that no step leaves
        the stationary/invertible region (where the likelihood is undefined)."""
        _, phi, th, _ = self._split(theta)
        ar, ma = _polys(phi, th)
        lam = np.concatenate([_inverse_roots(ar), _inverse_roots(ma)])
        gap = 1.0 - float(np.max(np.abs(lam), initial=0.0))
        lo, hi = self.lower.copy(), self.upper.copy()
        c = slice(self._i0, self._i0 + self.p + self.q)
        lo[c], hi[c] = theta[c] - gap, theta[c] + gap
        return lo, hi

    def _hessian(self, theta, data, x):
        # Richardson differences of the exact score, inside the stationary region
        H = _numdiff.jacobian(lambda t: self._score(t, data, x), theta,
                              *self._step_bounds(theta))
        return 0.5 * (H + np.swapaxes(H, -1, -2))

    @property
    def has_analytic_hessian(self) -> bool:
        """False: the Hessian is a Richardson difference of the exact score."""
        return False

    # ------------------------------------------------------------- information
    def fisher(self, theta, n: int | None = None) -> np.ndarray:
        """Fisher information: asymptotic per observation, or exact for ``n`` observations.

        Parameters
        ----------
        theta : array_like
        n : int, optional
            ``None`` (default): the asymptotic information per observation,
            :math:`\\lim_N I_N / N` (see Notes of :class:`ARMA`). An integer ``N >= 1``: the
            exact information :math:`I_N` of ``N`` consecutive observations (not divided by
            ``N``), in :math:`O(N)` operations.

        Returns
        -------
        ndarray, shape (p, p)

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.arma import ARMA
        >>> m = ARMA(1, 0)
        >>> m.fisher([0.5, 1.0])
        array([[1.33333333, 0.        ],
               [0.        , 0.5       ]])
        >>> I = m.fisher([0.5, 1.0], n=100)  # (N - 2)/(1 - phi^2) + (1 + phi^2)/(1 - phi^2)^2
        >>> round(float(I[0, 0]), 10), round(98 / 0.75 + 1.25 / 0.75**2, 10)
        (132.8888888889, 132.8888888889)
        """
        theta = self.validate(theta)
        if n is None:
            return self._fisher(theta)
        return self._fisher_exact(theta, check_int(n, "n", low=1))

    def _fisher(self, theta):
        mu, phi, th, s2 = self._split(theta)
        p, q, i0 = self.p, self.q, self._i0
        ar, ma = _polys(phi, th)
        out = np.zeros((self.n_params, self.n_params))
        iu, iv = slice(i0, i0 + p), slice(i0 + p, i0 + p + q)
        if p:  # Cov(U_{t-1..t-p}): Toeplitz autocovariance of the AR(p) process U
            out[iu, iu] = _toeplitz(_ar_acovf(ar, p))
        if q:  # Cov(V_{t-1..t-q}): V is AR(q) with polynomial theta(z)
            out[iv, iv] = _toeplitz(_ar_acovf(ma, q))
        if p and q:
            X = _cross_covariance(ar, ma)
            out[iu, iv] = X
            out[iv, iu] = X.T
        if self.mean:
            out[0, 0] = (ar.sum() / ma.sum()) ** 2 / s2
        out[-1, -1] = 0.5 / s2**2
        return out

    def _fisher_exact(self, theta, N):
        mu, phi, th, s2 = self._split(theta)
        p, q, i0 = self.p, self.q, self._i0
        k, m = p + q, max(p, q)
        ar, ma = _polys(phi, th)
        out = np.zeros((self.n_params, self.n_params))
        out[-1, -1] = N / (2 * s2**2)
        # J_a = K_a K^{-1} = -(delay by lag_a) F_a with F_a = 1/phi(B) (phi_i) or 1/theta(B)
        # (theta_j), lower-triangular Toeplitz; J_a^T = -(advance by lag_a) F_a^T.
        dens = (ar, ma)
        params = [(0, i) for i in range(1, p + 1)] + [(1, j) for j in range(1, q + 1)]

        def causal(X):  # (F X for both filters)
            return [_signal().lfilter(np.ones(1), d, X, axis=0) for d in dens]

        def anticausal(X):  # (F^T X for both filters)
            return [_signal().lfilter(np.ones(1), d, X[::-1], axis=0)[::-1] for d in dens]

        imp = [_impulse(np.ones(1), d, N) for d in dens]
        jcols = np.array([-_shifted_columns(imp[f], [lag], N)[:, 0] for f, lag in params])
        jcols = jcols.reshape(k, N)
        T = 2.0 * (jcols * (N - np.arange(N))) @ jcols.T  # tr(D_a D_b)
        blk = slice(i0, i0 + k)
        if m == 0:
            out[blk, blk] = 0.5 * T
        else:
            B = _state_response(ma, m, N)
            Om = _omega(ar, ma)
            Omt = Om @ np.linalg.inv(np.eye(m) + (B.T @ B) @ Om)  # H^{-1} = I - B Omt B^T
            Omt = 0.5 * (Omt + Omt.T)
            BOm, BOmt = B @ Om, B @ Omt
            FB, FtB = causal(B), anticausal(B)
            beta = np.concatenate([phi, th])
            r2 = _impulse(np.ones(1), np.convolve(ma, ma), N)  # 1 / theta(z)^2
            Us, Vs = [], []
            for a, (f, lag) in enumerate(params):
                bc = beta.astype(complex)
                bc[a] += 1j * _CSTEP
                dOm = _omega(*_polys(bc[:p], bc[p:])).imag / _CSTEP
                dB = (np.zeros((N, m)) if f == 0
                      else -_shifted_columns(r2, [kk + lag for kk in range(m)], N))
                JB = -_delay(FB[f], lag)
                JtB = -_advance(FtB[f], lag)
                # X_a + (J_a + J_a^T) = U_a V_a^T, from -H^{-1} J_a H + H^{-1} H_a - J_a^T:
                # -J_a B Om B^T + W J_a + W J_a B Om B^T + H^{-1}(dB Om + B dOm) B^T
                # + H^{-1} B Om dB^T, with W = B Omt B^T
                P1 = dB @ Om + B @ dOm
                P1 = P1 - BOmt @ (B.T @ P1)
                P2 = BOm - BOmt @ (B.T @ BOm)
                Us.append(np.hstack([-JB, BOmt, BOmt @ ((B.T @ JB) @ Om) + P1, P2]))
                Vs.append(np.hstack([BOm, JtB, B, dB]))
            Uall, Vall = np.hstack(Us), np.hstack(Vs)
            w = Us[0].shape[1]
            G = Vall.T @ Uall  # block (a, b) = V_a^T U_b
            FU, FtU = causal(Uall), anticausal(Uall)
            P = np.zeros((k, k))  # P[a, b] = <V_b, (J_a + J_a^T) U_b>
            for a, (f, lag) in enumerate(params):
                if lag < N:
                    c = np.einsum("tc,tc->c", Vall[lag:], FU[f][: N - lag]) \
                        + np.einsum("tc,tc->c", Vall[: N - lag], FtU[f][lag:])
                    P[a] = -c.reshape(k, w).sum(axis=1)
            info = np.empty((k, k))
            for a in range(k):
                ga = slice(a * w, (a + 1) * w)
                for b in range(a, k):
                    gb = slice(b * w, (b + 1) * w)
                    t = T[a, b] - P[a, b] - P[b, a] + np.sum(G[ga, gb] * G[gb, ga].T)
                    info[a, b] = info[b, a] = 0.5 * t
                # tr(X_a X_sigma2) = tr(X_a) / sigma2 = tr(U_a V_a^T) / sigma2 (tr J_a = 0)
                out[i0 + a, -1] = out[-1, i0 + a] = 0.5 * np.trace(G[ga, ga]) / s2
            out[blk, blk] = info
        if self.mean:
            c = _signal().lfilter(ar, ma, np.ones(N))  # K 1
            if m:
                c_h = c @ c - (c @ B) @ Omt @ (B.T @ c)  # c^T H^{-1} c
            else:
                c_h = c @ c
            out[0, 0] = c_h / s2
        return out

    # ---------------------------------------------------------------- sampling
    def _sample(self, theta, n, rng, x):
        return self.sample_paths(theta, n, 1, rng)[0]

    def sample_paths(self, theta, n: int, reps: int = 1, rng=None) -> np.ndarray:
        """``reps`` independent series of length ``n``, each started in stationarity.

        Exact: the pre-sample filter state is drawn from its stationary distribution
        :math:`N(0, \\sigma^2\\Omega)` (no burn-in), then ``y = (theta/phi)(B)(e - B q)``.

        Returns
        -------
        ndarray, shape (reps, n)

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.arma import ARMA
        >>> Y = ARMA(1, 0).sample_paths([0.9, 1.0], 2, reps=200_000, rng=0)
        >>> bool(abs(Y[:, 0].var() - 1 / (1 - 0.81)) < 0.05)  # stationary from t = 1
        True
        """
        theta = self.validate(theta)
        n, reps = check_int(n, "n", low=1), check_int(reps, "reps", low=1)
        rng = check_random_state(rng)
        mu, phi, th, s2 = self._split(theta)
        ar, ma = _polys(phi, th)
        m = max(self.p, self.q)
        sd = np.sqrt(s2)
        a = sd * rng.standard_normal((reps, n))
        if m:
            wq, Vq = np.linalg.eigh(_omega(ar, ma))
            L = Vq * np.sqrt(np.clip(wq, 0.0, None))
            qs = sd * rng.standard_normal((reps, m)) @ L.T
            a -= qs @ _state_response(ma, m, n).T
        return _signal().lfilter(ma, ar, a, axis=1) + mu

    # --------------------------------------------------------------------- fit
    def _profile(self, u, y, n, X=None):
        """Profile log-likelihood at unconstrained ``u``: the regression coefficients of the
        columns of ``X`` (default: the constant when ``mean``, else none) by GLS and
        ``sigma2`` concentrated out. Returns ``(ll, beta, phi, theta, sigma2)``.

        The innovations are linear in the series, so the GLS normal equations
        :math:`(E^T W^{-1} E)\beta = E^T W^{-1} e` use the innovations ``E`` of the columns
        of ``X`` (one filter pass for all columns; plain transposes keep the complex step
        exact)."""
        p = self.p
        phi = _pacf_to_coef(np.tanh(u[:p]))
        th = -_pacf_to_coef(np.tanh(u[p:]))
        if X is None and self.mean:
            X = np.ones((n, 1))
        Y = y[:, None] if X is None else np.column_stack([y, X])
        e, w = _innovations(*_polys(phi, th), Y)
        beta = np.zeros(0)
        r = e[:, 0]
        if X is not None:
            E = e[:, 1:]
            Ew = E.T / w
            beta = np.linalg.solve(Ew @ E, Ew @ e[:, 0])
            r = e[:, 0] - E @ beta
        s2 = np.mean(r * r / w)
        ll = -0.5 * n * (np.log(2 * np.pi * s2) + 1.0) - 0.5 * np.sum(np.log(w))
        return ll, beta, phi, th, s2

    def _hannan_rissanen(self, y):
        """Hannan & Rissanen (1982, Biometrika 69, 81-94) regression start, or None."""
        n, p, q = y.size, self.p, self.q
        yc = y - y.mean() if self.mean else y
        L = max(p + q + 2, int(min(n // 4, 10 * np.log10(max(n, 10)))))
        if n < 3 * (L + p + q) + 10:
            return None
        c = np.array([yc[h:] @ yc[: n - h] for h in range(L + 1)]) / n
        try:
            a_long = linalg.solve_toeplitz(c[:L], c[1 : L + 1])
        except (np.linalg.LinAlgError, ValueError):
            return None
        res = _signal().lfilter(np.concatenate([[1.0], -a_long]), [1.0], yc)
        t0 = L + max(p, q)
        cols = [yc[t0 - i : n - i] for i in range(1, p + 1)]
        cols += [res[t0 - j : n - j] for j in range(1, q + 1)]
        X = np.column_stack(cols)
        coef = np.linalg.lstsq(X, yc[t0:], rcond=None)[0]
        r = np.concatenate([_coef_to_pacf(coef[:p]), _coef_to_pacf(-coef[p:])])
        return np.arctanh(np.clip(r, -0.95, 0.95))

    def _fit(self, data, x, start):
        n = data.shape[0]
        k = self.p + self.q
        if n < k + self.mean + 2:
            raise FitError(
                f"ARMA({self.p},{self.q}) fit needs at least {k + self.mean + 2} observations, "
                f"got {n}"
            )
        if np.ptp(data) == 0:
            raise FitError("all observations are equal: sigma2 has no positive MLE")
        if start is not None:
            _, phi0, th0, _ = self._split(start)
            start = (phi0, th0)
        beta, phi, th, s2 = self._fit_profile(data, None, start, data)
        return self._join(beta[0] if self.mean else 0.0, phi, th, s2)

    def _fit_profile(self, y, X, start, y_start):
        """Exact MLE ``(beta, phi, theta, sigma2)`` of ``y`` with regressors ``X`` (``None``:
        the constant when ``mean``) and ARMA errors, by maximising the profile likelihood
        (see :meth:`_profile`); ``start``: ``(phi, theta)`` or None; ``y_start``: the series
        the Hannan-Rissanen start is computed from (``y`` less a regression fit)."""
        n = y.shape[0]
        k = self.p + self.q
        if k == 0:
            _, beta, _, _, s2 = self._profile(np.zeros(0), y, n, X)
            return beta, np.zeros(0), np.zeros(0), s2

        def f(u):
            return -self._profile(u, y, n, X)[0].real / n

        def grad(u):
            g = np.empty(k)
            for j in range(k):
                uc = u.astype(complex)
                uc[j] += 1j * _CSTEP
                g[j] = -self._profile(uc, y, n, X)[0].imag / (_CSTEP * n)
            return g

        starts = [np.zeros(k)]
        if start is not None:
            phi0, th0 = start
            r = np.concatenate([_coef_to_pacf(phi0), _coef_to_pacf(-th0)])
            starts.insert(0, np.arctanh(np.clip(r, -0.99, 0.99)))
        hr = self._hannan_rissanen(y_start)
        if hr is not None:
            starts.append(hr)
        with np.errstate(all="ignore"):
            values = [f(u0) for u0 in starts]
            if not np.any(np.isfinite(values)):
                raise FitError("ARMA fit failed: the likelihood was not finite at any start")
            best = optimize.minimize(f, starts[int(np.nanargmin(values))], jac=grad,
                                     method="BFGS", options={"gtol": 1e-10, "maxiter": 1000})
        if not best.success and best.status != 2:
            raise FitError(f"ARMA fit did not converge: {best.message}")
        rr = np.tanh(best.x)
        with np.errstate(all="ignore"):  # at a unit root: NaN where it is not determined
            _, beta, phi, th, s2 = self._profile(best.x, y, n, X)
        if np.max(np.abs(rr)) > 1 - 1e-9:
            # a unit root: with positive probability for a moving average near one (the
            # "pile-up" of Davis & Dunsmuir 1996, Econometric Theory 12), a valid MLE
            head = beta if X is not None else (beta[:1] if self.mean else [])
            raise BoundaryEstimateError(
                "ARMA fit: the maximum is on the boundary of the stationary/invertible region "
                f"(a partial autocorrelation of modulus {np.max(np.abs(rr)):.12f}; a unit "
                "root), the MLE is not an interior point",
                np.concatenate([np.asarray(head, float), phi, th, [s2]]))
        return beta, phi, th, s2

    # ----------------------------------------------------------- singularities
    def singularities(self, theta) -> list[Singularity]:
        """Common AR/MA roots and unit roots approached.

        * ``"common AR/MA root"``: one record per pair of an AR and an MA root matched to be
          closest (optimal assignment), sorted by distance. The distance is between the
          *inverse* roots (reciprocals, so that a vanishing leading coefficient of both
          polynomials -- a common root at infinity, e.g. ARMA(1,1) at ``phi = theta = 0`` --
          counts). On the set the factor cancels, ``phi = -theta`` type directions leave the
          process unchanged, and the information loses rank one per common root (its
          determinant is proportional to the squared Sylvester resultant; Klein & Spreij 1996).
        * ``"AR unit root"`` / ``"MA unit root"``: distance ``1 - max |inverse root|`` to
          non-stationarity / non-invertibility; the information of the coefficients grows
          without bound there (``1/(1-phi^2)`` for AR(1)) rather than losing rank
          (``rank_drop = 0``).

        Examples
        --------
        >>> from fisherstat.models.arma import ARMA
        >>> for s in ARMA(1, 1).singularities([0.5, -0.45, 1.0]):
        ...     print(s.name, round(s.distance, 4), s.rank_drop)
        common AR/MA root 0.05 1
        AR unit root 0.5 0
        MA unit root 0.55 0
        """
        _, phi, th, _ = self._split(self.validate(theta))
        ar, ma = _polys(phi, th)
        la, lm = _inverse_roots(ar), _inverse_roots(ma)
        out = []
        if la.size and lm.size:
            d = np.abs(la[:, None] - lm[None, :])
            rows, cols = optimize.linear_sum_assignment(d)
            pairs = sorted(zip(rows, cols, strict=True), key=lambda rc: d[rc])
            for r, c in pairs:
                za, zm = _reciprocal(la[r : r + 1])[0], _reciprocal(lm[c : c + 1])[0]
                out.append(Singularity(
                    "common AR/MA root",
                    f"AR root {_fmt(za)} and MA root {_fmt(zm)} (inverse roots {_fmt(la[r])}, "
                    f"{_fmt(lm[c])}): when they coincide the factor cancels, the ARMA("
                    f"{self.p},{self.q}) reduces to ARMA({self.p - 1},{self.q - 1}) along a "
                    "curve of parameters and the information loses rank 1 per common root",
                    float(d[r, c]), 1,
                ))
        for lam, which, what in ((la, "AR", "stationarity"), (lm, "MA", "invertibility")):
            if lam.size:
                rho = float(np.max(np.abs(lam)))
                out.append(Singularity(
                    f"{which} unit root",
                    f"largest inverse {which} root modulus {rho:.4g} (root modulus "
                    f"{1 / rho if rho else np.inf:.4g}): at modulus 1 {what} is lost and "
                    "the information of the coefficients is unbounded (no rank drop)",
                    1.0 - rho, 0,
                ))
        return out


def _fmt(z) -> str:
    z = complex(z)
    if not np.isfinite(z.real) or not np.isfinite(z.imag):
        return "inf"
    return f"{z.real:.4g}" if abs(z.imag) < 1e-12 * max(1.0, abs(z)) else f"{z:.4g}"
