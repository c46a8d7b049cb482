r"""Two toy models of singular learning theory (Amari, Park & Ozeki 2006).

Amari, Park & Ozeki (2006, *Neural Computation* 18, 1007-1065) show that the information
of multilayer perceptrons, Gaussian mixtures and ARMA models degenerates on whole subsets
of the parameter space; there the maximum-likelihood estimate is not asymptotically
normal, the likelihood-ratio statistic is not chi-square and AIC/BIC lose their
justification. Two of their toy models are ready-made models here:

* :class:`TwoUnitNetwork` -- the regression network
  :math:`f(x) = v_1\tanh(w_1x) + v_2\tanh(w_2 x)`, singular at :math:`v_i = 0`,
  :math:`w_i = 0` and :math:`w_1 = \pm w_2`;
* :class:`LocationMixture` -- :math:`(1 - v) N(0, 1) + v N(w, 1)`, singular at
  :math:`v = 0` and :math:`w = 0`, with a fast profile-likelihood fit and the
  likelihood-ratio statistic of one against two components (:meth:`LocationMixture.lrt`).

Both declare their singular sets through ``singularities(theta)``; the analysis of their
information (rank, null directions, diagnoses) and the limit law of the likelihood-ratio
statistic are in :mod:`fisherstat.singular`, which consumes models (never the other way).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import special

from .._validation import as_float_array
from ..exceptions import BoundaryEstimateError, FitError
from .base import Model, Singularity
from .nonlinear import NonlinearRegression

__all__ = ["TwoUnitNetwork", "LocationMixture"]


class TwoUnitNetwork(NonlinearRegression):
    r"""Two-hidden-unit regression network :math:`f(x) = v_1\tanh(w_1x) + v_2\tanh(w_2x)`.

    Parameters ``(v1, w1, v2, w2)`` and the error parameters of ``error`` (default
    additive: ``sigma2``); ``x`` is the (n,) input. The toy model of Amari, Park & Ozeki
    (2006, sec. 2 and 5) for the singularities of multilayer perceptrons.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`~fisherstat.models.NonlinearRegression`).

    Notes
    -----
    Mean and Jacobian (:math:`t_i = \tanh(w_i x)`):

    .. math::

        \frac{\partial f}{\partial v_i} = t_i, \qquad
        \frac{\partial f}{\partial w_i} = v_i\, x\, (1 - t_i^2),

    and the information of a design is :math:`J^T J / \sigma^2` (plus the error block). It
    loses rank on the *critical sets* (Fukumizu & Amari 2000, *Neural Networks* 13,
    317-327; Amari, Park & Ozeki 2006):

    * ``v_i = 0`` (``'zero output weight'``): unit ``i`` is switched off, ``w_i`` does not
      enter ``f`` -- rank drop 1, null direction ``w_i``;
    * ``w_i = 0`` (``'zero input weight'``): :math:`\tanh(0) = 0`, ``v_i`` does not enter --
      rank drop 1;
    * ``w_1 = w_2`` (``'coinciding units'``): :math:`f = (v_1 + v_2)\tanh(wx)`, only
      :math:`v_1 + v_2` and :math:`w` are identified -- rank drop 2, null directions
      :math:`v_1 - v_2` and :math:`v_2 w_1 - v_1 w_2`;
    * ``w_1 = -w_2`` (``'opposite units'``): :math:`\tanh` is odd, so
      :math:`f = (v_1 - v_2)\tanh(w_1x)` -- rank drop 2, null directions
      :math:`v_1 + v_2` and :math:`v_2 w_1 - v_1 w_2`.

    :meth:`singularities` reports the distances :math:`\min_i |v_i|`, :math:`\min_i |w_i|`,
    :math:`|w_1 - w_2|` and :math:`|w_1 + w_2|`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.models import TwoUnitNetwork
    >>> from fisherstat.singular import analyze
    >>> net = TwoUnitNetwork()
    >>> x = np.linspace(-3, 3, 31)
    >>> r = analyze(fs.fisher(net, [1.0, 1.5, 1.0, 1.5, 0.1], x=x))  # w1 = w2
    >>> r.rank, [str(d) for d in r.null_directions]
    (3, ['v1 - v2', 'w1 - w2'])
    """

    def __init__(self, error: str = "additive"):
        super().__init__(self._f, self._jac, error, param_names=("v1", "w1", "v2", "w2"),
                         example_theta=None, example_x=np.linspace(-3.0, 3.0, 31))
        q = self.n_params - 4
        self._example_theta_value = np.array([1.0, 1.0, -1.0, 2.5] + [0.1] * q)

    def __repr__(self) -> str:
        return f"TwoUnitNetwork(error={self.error!r})"

    def _check_x(self, x):
        if x.ndim == 2:
            if x.shape[1] != 1:
                raise ValueError(f"x must have shape (n,) or (n, 1) for TwoUnitNetwork (one "
                                 f"input), got shape {x.shape}")
            x = x[:, 0]
        return x

    @staticmethod
    def _f(x, b):
        return b[0] * np.tanh(b[1] * x) + b[2] * np.tanh(b[3] * x)

    @staticmethod
    def _jac(x, b):
        t1, t2 = np.tanh(b[1] * x), np.tanh(b[3] * x)
        return np.column_stack([t1, b[0] * x * (1 - t1 * t1), t2, b[2] * x * (1 - t2 * t2)])

    def singularities(self, theta) -> list[Singularity]:
        """Distances to the four critical sets (see Notes).

        Examples
        --------
        >>> from fisherstat.models import TwoUnitNetwork
        >>> for s in TwoUnitNetwork().singularities([1.0, 1.0, 0.5, 1.1, 0.1]):
        ...     print(s.name, round(s.distance, 3), s.rank_drop)
        zero output weight 0.5 1
        zero input weight 1.0 1
        coinciding units 0.1 2
        opposite units 2.1 2
        """
        v1, w1, v2, w2 = self.validate(theta)[:4]
        iv, iw = int(np.argmin(np.abs([v1, v2]))), int(np.argmin(np.abs([w1, w2])))
        return [
            Singularity("zero output weight",
                        f"v{iv + 1} = 0: unit {iv + 1} is switched off and w{iv + 1} does not "
                        f"enter the mean (null direction w{iv + 1}); distance min |v_i|",
                        float(min(abs(v1), abs(v2))), 1),
            Singularity("zero input weight",
                        f"w{iw + 1} = 0: tanh(0 x) = 0, so v{iw + 1} does not enter the mean "
                        f"(null direction v{iw + 1}); distance min |w_i|",
                        float(min(abs(w1), abs(w2))), 1),
            Singularity("coinciding units",
                        "w1 = w2: f = (v1 + v2) tanh(w x), only v1 + v2 and w are identified "
                        "(null directions v1 - v2 and v2 w1 - v1 w2); distance |w1 - w2|",
                        float(abs(w1 - w2)), 2),
            Singularity("opposite units",
                        "w1 = -w2: tanh is odd, f = (v1 - v2) tanh(w1 x) (null directions "
                        "v1 + v2 and v2 w1 - v1 w2); distance |w1 + w2|",
                        float(abs(w1 + w2)), 2),
        ]


class LocationMixture(Model):
    r"""The mixture :math:`(1 - v)\,N(0, 1) + v\,N(w, 1)`, parameters ``(v, w)``.

    The two-parameter Gaussian mixture of Amari, Park & Ozeki (2006, sec. 4): one known
    component and one of unknown weight and location.

    Parameters
    ----------
    w_max : float, default inf
        Bound of the location: :math:`|w| < w_{\max}`. The limit law of the likelihood-ratio
        statistic exists only for a bounded location (see :meth:`lrt`).

    Notes
    -----
    With :math:`r = \phi(x - w)/\phi(x) = e^{wx - w^2/2}` and the responsibility
    :math:`\tau = v r / (1 - v + v r)` of the second component,

    .. math::

        \ell = \log\phi(x) + \log(1 - v + v r), \qquad
        s_v = \frac{r - 1}{1 - v + vr} = \frac{\tau}{v} - \frac{1-\tau}{1-v}, \qquad
        s_w = \tau (x - w),

    and :math:`\partial^2_{vv}\ell = -s_v^2`, :math:`\partial^2_{vw}\ell = \tau(x-w)/v -
    s_v s_w`, :math:`\partial^2_{ww}\ell = \tau((x - w)^2 - 1) - s_w^2` (the general rule
    :math:`\nabla^2 \log p = \nabla^2 p / p - s s^T`). The information
    :math:`E[s s^T]` is computed by composite Gauss-Legendre quadrature over each component
    (16 nodes per panel of width :math:`\min(0.5, 0.5/|w|)`, :math:`\pm 13` standard
    deviations). It degenerates on two sets:

    * ``w = 0`` (``'coinciding components'``): the density is :math:`N(0, 1)` for every
      ``v``, :math:`s_v \equiv 0` -- rank 1, null direction ``v``. Near it
      (Hermite expansion :math:`r = 1 + wH_1 + w^2H_2/2 + \dots`, :math:`H_k` the
      probabilists' Hermite polynomials), :math:`s_v \approx wH_1` and
      :math:`s_w \approx vH_1`: the efficient informations are
      :math:`I_{v\cdot w} \approx w^4/2` and :math:`I_{w\cdot v} \approx v^2w^2/2`, so
      :math:`\operatorname{sd}(\hat v) \approx \sqrt{2/n}/w^2` and
      :math:`\operatorname{sd}(\hat w) \approx \sqrt{2/n}/(v|w|)`.
    * ``v = 0`` (``'zero weight'``, on the boundary): :math:`s_w = O(v)` while
      :math:`I_{vv} \to e^{w^2} - 1` (the :math:`\chi^2` divergence of :math:`N(w, 1)` from
      :math:`N(0, 1)`): :math:`I_{ww} \sim v^2 e^{w^2}(1 + w^2)` and
      :math:`\operatorname{sd}(\hat w) \propto 1/v`.

    Fit: the log-likelihood ratio against :math:`N(0, 1)`, :math:`\sum_i \log(1 + v(r_i -
    1))`, is concave in ``v``. It is maximised over ``v`` for all ``w`` of a grid (spacing
    0.05 over the range of the data, where the MLE of ``w`` lies) at once, by Newton's method
    safeguarded by bisection; the best grid point is polished by Newton-Raphson steps in
    ``(v, w)`` and compared with the closed-form maximum on the edge ``v = 1``
    (:math:`w = \bar x`).
    :meth:`fit` raises :class:`~fisherstat.BoundaryEstimateError` (a
    :class:`~fisherstat.FitError` carrying the estimate) when the maximum lies on the
    boundary (``v = 0``, where ``w`` is not determined and reported as NaN, ``v = 1`` or
    ``|w| = w_max``), which near the singular set happens with positive probability;
    :meth:`max_loglik` returns the supremum of the log-likelihood with those boundary
    maxima included (what the likelihood-ratio statistic and the information criteria of
    :mod:`fisherstat.selection` need).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.models import LocationMixture
    >>> from fisherstat.singular import analyze
    >>> m = LocationMixture()
    >>> np.round(m.fisher([0.3, 2.0]), 4)
    array([[2.5097, 0.3917],
           [0.3917, 0.1724]])
    >>> r = analyze(fs.fisher(m, [0.3, 0.0]))  # w = 0: N(0, 1) whatever v is
    >>> r.rank, [str(d) for d in r.null_directions]
    (1, ['v'])
    >>> y = m.sample([0.3, 2.0], 2000, rng=0)
    >>> np.round(m.fit(y), 2)
    array([0.3 , 1.97])
    """

    has_analytic_fisher = True

    def __init__(self, w_max: float = np.inf):
        if isinstance(w_max, bool) or not isinstance(w_max, numbers.Real):
            raise TypeError(f"w_max must be a positive number (or inf), got {w_max!r}")
        if not w_max > 0:  # also NaN
            raise ValueError(f"w_max must be a positive number > 0 (or inf), got {w_max!r}")
        self.w_max = float(w_max)
        super().__init__(("v", "w"), [(0.0, 1.0), (-self.w_max, self.w_max)])

    def __repr__(self) -> str:
        return "LocationMixture()" if np.isinf(self.w_max) else \
            f"LocationMixture(w_max={self.w_max:g})"

    def _example_theta(self):
        return np.array([0.3, min(2.0, 0.5 * self.w_max)])

    # -------------------------------------------------------------- likelihood
    def _loglik(self, theta, data, x):
        v, w = theta
        return (-0.5 * np.log(2 * np.pi) - 0.5 * data**2
                + np.logaddexp(np.log1p(-v), np.log(v) + w * data - 0.5 * w * w))

    def _parts(self, theta, data):
        v, w = theta
        a = w * data - 0.5 * w * w  # log r
        tau = special.expit(np.log(v) - np.log1p(-v) + a)
        R = np.expm1(np.minimum(a, 700.0))  # r - 1: exactly 0 at w = 0
        s_v = R / (1.0 + v * R)
        s_w = tau * (data - w)
        return tau, s_v, s_w

    def _score(self, theta, data, x):
        _, s_v, s_w = self._parts(theta, data)
        return np.column_stack([s_v, s_w])

    def _hessian(self, theta, data, x):
        v, w = theta
        tau, s_v, s_w = self._parts(theta, data)
        r = data - w
        H = np.empty((data.shape[0], 2, 2))
        H[:, 0, 0] = -s_v * s_v
        H[:, 0, 1] = H[:, 1, 0] = tau * r / v - s_v * s_w
        H[:, 1, 1] = tau * (r * r - 1) - s_w * s_w
        return H

    def _fisher(self, theta):
        v, w = theta
        step = min(0.5, 0.5 / max(abs(w), 1e-300))
        brk = np.arange(-13.0, 13.0 + 0.5 * step, step)
        g, gw = np.polynomial.legendre.leggauss(16)
        lo, hi = brk[:-1, None], brk[1:, None]
        z = (0.5 * (hi - lo) * g + 0.5 * (hi + lo)).ravel()
        c = (0.5 * (hi - lo) * gw).ravel() * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        out = np.zeros((2, 2))
        for weight, centre in ((1.0 - v, 0.0), (v, w)):
            S = self._score(theta, z + centre, None)
            out += weight * (S.T * c) @ S
        return 0.5 * (out + out.T)

    def _sample(self, theta, n, rng, x):
        v, w = theta
        return rng.standard_normal(n) + w * (rng.random(n) < v)

    # -------------------------------------------------------------------- fit
    @staticmethod
    def _profile_v(R):
        """Maximiser over ``v`` in [0, 1] of ``sum_i log(1 + v R_gi)`` for every grid row g.

        ``R`` (m, n) holds ``r_i - 1 > -1``. The objective is concave in ``v``; its
        derivative is decreasing, and a Newton step that leaves the bracket is replaced
        by bisection. Stops when the Newton decrement ``g^2 / (2|g'|)`` (the predicted gain)
        is below 1e-13. Returns ``(v, value)`` of shape (m,).
        """
        m = R.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            g0 = R.sum(axis=1)  # derivative at v = 0
            g1 = np.sum(R / (1 + R), axis=1)  # at v = 1 (-inf if some r_i = 0)
            v = np.where(g0 <= 0, 0.0, np.where(g1 >= 0, 1.0, 0.0))
            active = (g0 > 0) & (g1 < 0)
            lo, hi = np.zeros(m), np.ones(m)
            # start at the one-step estimate from v = 0, inside the bracket
            v = np.where(active, np.clip(g0 / np.sum(R * R, axis=1), 1e-8, 0.99), v)
            for _ in range(100):
                q = R / (1 + v[:, None] * R)
                g = q.sum(axis=1)
                dg = -np.sum(q * q, axis=1)
                # Newton decrement: the step would raise the objective by g^2 / (2|g'|)
                active &= g * g > -2e-13 * dg
                if not active.any():
                    break
                lo = np.where(active & (g > 0), v, lo)
                hi = np.where(active & (g <= 0), v, hi)
                step = v - g / dg
                step = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
                v = np.where(active, step, v)
            value = np.sum(np.log1p(v[:, None] * R), axis=1)
        return v, value

    def _ratio_minus_one(self, w, data):
        w = np.atleast_1d(w)[:, None]
        return np.expm1(w * data[None, :] - 0.5 * w * w)

    def _grid(self, data, spacing):
        lo = max(float(np.min(data)), -self.w_max)
        hi = min(float(np.max(data)), self.w_max)
        if not lo < hi:
            raise FitError("the data do not span an interval of locations inside the bounds")
        return np.linspace(lo, hi, max(int(np.ceil((hi - lo) / spacing)) + 1, 3))

    def profile(self, data, w) -> tuple[np.ndarray, np.ndarray]:
        r"""Profile log-likelihood ratio against :math:`N(0, 1)` at the locations ``w``.

        Parameters
        ----------
        data : array_like, shape (n,)
        w : array_like, shape (m,)

        Returns
        -------
        v_hat : ndarray, shape (m,)
            :math:`\arg\max_{v \in [0, 1]} \sum_i \log(1 + v(r_i(w) - 1))`.
        value : ndarray, shape (m,)
            The maximum (``>= 0``; 0 where ``v_hat = 0``).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models import LocationMixture
        >>> m = LocationMixture()
        >>> y = m.sample([0.5, 3.0], 400, rng=1)
        >>> v, val = m.profile(y, [0.0, 3.0])
        >>> round(float(v[1]), 2), bool(val[1] > val[0])
        (0.47, True)
        """
        data, _ = self.check_data(data)
        w = as_float_array(w, "w", ndim=1)
        return self._profile_v(self._ratio_minus_one(w, data))

    def _llr(self, theta, data):
        """Log-likelihood ratio against N(0, 1): ``sum_i log(1 - v + v r_i)``."""
        v, w = theta
        return float(np.sum(np.logaddexp(np.log1p(-v), np.log(v) + w * data - 0.5 * w * w)))

    def _maximise(self, data, spacing=0.05):
        """``(v, w, 2 * max log-likelihood ratio)`` over ``v in [0, 1]``, ``w`` in range.

        Profile over a grid of ``w`` with the given spacing, then Newton-Raphson in
        ``(v, w)`` from the best grid point, compared with the closed-form maximum on the
        edge ``v = 1`` (the model ``N(w, 1)``, maximal at ``w = mean(data)``).
        """
        grid = self._grid(data, spacing)
        v, val = self._profile_v(self._ratio_minus_one(grid, data))
        k = int(np.argmax(val))
        best = np.array([v[k], grid[k]])
        best_val = max(float(val[k]), 0.0)
        if 0 < v[k] < 1:
            theta = best.copy()
            for _ in range(50):
                g = self._score(theta, data, None).sum(axis=0)
                H = self._hessian(theta, data, None).sum(axis=0)
                if not np.all(np.isfinite(H)) or np.linalg.eigvalsh(H)[-1] >= 0:
                    break  # not locally concave: keep the grid point
                step, t = np.linalg.solve(H, -g), 1.0
                while t > 1e-4:
                    cand = theta + t * step
                    if 0 < cand[0] < 1 and abs(cand[1]) <= self.w_max and \
                            self._llr(cand, data) >= self._llr(theta, data):
                        break
                    t *= 0.5
                else:
                    break
                theta = cand
                if np.max(np.abs(t * step)) < 1e-12 * (1 + np.max(np.abs(theta))):
                    break
            cand_val = self._llr(theta, data)
            if cand_val >= best_val:
                best, best_val = theta, cand_val
        # the edge v = 1 (the model N(w, 1)): maximum n (w xbar - w^2/2) at w = xbar
        w1 = float(np.clip(np.mean(data), -self.w_max, self.w_max))
        edge = data.shape[0] * (w1 * np.mean(data) - 0.5 * w1 * w1)
        if edge >= best_val:
            best, best_val = np.array([1.0, w1]), float(edge)
        return float(best[0]), float(best[1]), float(2.0 * best_val)

    def lrt(self, data) -> float:
        r"""Likelihood-ratio statistic of :math:`N(0, 1)` against the mixture.

        :math:`2\big(\max_{v \in [0,1],\,|w| \le w_{\max}} \ell(v, w) - \ell_0\big)` with
        :math:`\ell_0` the log-likelihood of :math:`N(0, 1)` (``v = 0`` or ``w = 0``).

        Notes
        -----
        Under the null the parameter ``w`` is not identified, and the statistic is not
        :math:`\chi^2_2` (nor :math:`\chi^2_1`): for :math:`|w| \le W` it converges to
        :math:`\sup_{0 < |w| \le W} \max(Z(w), 0)^2` with :math:`Z` the centred Gaussian
        process of covariance :math:`(e^{w w'} - 1)/\sqrt{(e^{w^2}-1)(e^{w'^2}-1)}`
        (Ghosh & Sen 1985; Dacunha-Castelle & Gassiat 1999, *Ann. Statist.* 27, 1178-1209),
        and without a bound on ``w`` it diverges, slowly (Hartigan 1985; like
        :math:`\log\log n`, Bickel & Chernoff 1993). See
        :func:`fisherstat.singular.lrt_limit_sample`.

        Examples
        --------
        >>> from fisherstat.models import LocationMixture
        >>> m = LocationMixture(w_max=3.0)
        >>> y = m.sample([0.5, 0.0], 300, rng=2)  # the null: w = 0
        >>> round(m.lrt(y), 4) >= 0
        True
        """
        data, _ = self.check_data(data)
        return self._maximise(data)[2]

    def _max_loglik(self, data, x):
        # the supremum over the closed box, boundaries included (v = 0: N(0, 1); v = 1:
        # N(xbar, 1)), where _fit raises: log N(0, 1) density plus half the LR statistic
        if data.shape[0] < 3:
            raise FitError(f"need at least 3 observations, got {data.shape[0]}")
        return float(np.sum(-0.5 * np.log(2 * np.pi) - 0.5 * data**2)
                     + 0.5 * self._maximise(data)[2])

    def _fit(self, data, x, start):
        if data.shape[0] < 3:
            raise FitError(f"need at least 3 observations, got {data.shape[0]}")
        v, w, _ = self._maximise(data)
        if v <= 0:  # the density is N(0, 1) whatever w is: w is not determined
            raise BoundaryEstimateError("the MLE lies on the boundary v = 0 (no second "
                                        "component): no interior maximum", [0.0, np.nan])
        if v >= 1:
            raise BoundaryEstimateError("the MLE lies on the boundary v = 1 (one component "
                                        "N(w, 1) fits best): no interior maximum", [1.0, w])
        if not abs(w) < self.w_max:
            raise BoundaryEstimateError("the MLE lies on the boundary |w| = w_max: no interior "
                                        "maximum", [v, float(np.sign(w)) * self.w_max])
        return np.array([v, w])

    def singularities(self, theta) -> list[Singularity]:
        """``'coinciding components'`` at distance ``|w|`` and ``'zero weight'`` at ``v``.

        Examples
        --------
        >>> from fisherstat.models import LocationMixture
        >>> [(s.name, s.distance) for s in LocationMixture().singularities([0.1, 0.5])]
        [('coinciding components', 0.5), ('zero weight', 0.1)]
        """
        v, w = self.validate(theta)
        return [
            Singularity("coinciding components",
                        "w = 0: both components are N(0, 1), v does not enter the density "
                        "(null direction v); distance |w| (separation in standard deviations)",
                        float(abs(w)), 1),
            Singularity("zero weight",
                        "v = 0 (boundary): the second component vanishes and w leaves the "
                        "density (null direction w); distance v",
                        float(v), 1),
        ]
