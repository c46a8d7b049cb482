r"""Maximum-likelihood fitting of :class:`~fisherstat.nn.MLP`: Fisher scoring with
Levenberg-Marquardt damping (L-BFGS for large networks), from random starts.

:class:`FisherScoring` is a mixin of :class:`~fisherstat.nn.MLP` (``_fit`` is the
:meth:`~fisherstat.models.Model.fit` hook). Every threshold of the iteration is a named
module constant below, with what it is, why that value and its source.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

from ..exceptions import FitError
from .outputs import Gaussian

__all__ = ["FisherScoring", "N_STARTS"]

#: Random starts of :meth:`MLP.fit` without ``start``.
N_STARTS = 5

# --- constants of MLP._fisher_scoring (Levenberg-Marquardt-damped Fisher scoring) -------
#: Initial damping ``lam`` (relative to the mean curvature ``tr F / P``): the customary
#: 1e-3 of Marquardt's method (Press et al., *Numerical Recipes*, 3rd ed., section 15.5.2),
#: a nearly undamped Gauss-Newton step from the start.
LM_INITIAL_DAMPING = 1e-3
#: After a rejected step ``lam`` grows by this factor; after an accepted one it shrinks by
#: ``LM_DECREASE``: asymmetric factors (Nielsen 1999, "Damping parameter in Marquardt's
#: method", IMM-REP-1999-05, uses 2 up and 3 down); a faster growth finds an acceptable
#: step in fewer trial solves.
LM_INCREASE = 4.0
LM_DECREASE = 3.0
#: Smallest damping kept after successes (1e-12 of the mean curvature: still well above
#: the rounding level of the Cholesky factorisation of a well-scaled F).
LM_MIN_DAMPING = 1e-12
#: Damping beyond which no damped direction decreases the loss: the point is stationary
#: to working precision (a step of size ~ |g| / (1e12 tr F / P) changes nothing).
LM_MAX_DAMPING = 1e12
#: Curvatures below this fraction of the mean ``tr F / P`` count as flat in the Newton
#: decrement (not identified in practice; sqrt of float64 eps is 1.5e-8, so 1e-9 keeps
#: every direction whose curvature is resolved by the Cholesky factorisation).
FLAT_CURVATURE = 1e-9
#: Converged when the Newton decrement g^T F^+ g (twice the predicted decrease of the
#: loss) is below this times max(1, |loss|): ~ 500 eps, the loss is then resolved to the
#: rounding of its own evaluation (Boyd & Vandenberghe 2004, *Convex Optimization*,
#: section 9.5.1, stop on the decrement).
DECREMENT_TOL = 1e-13
#: Also converged after this many accepted steps decreasing the loss by no more than
#: ``STALL_DECREASE`` max(1, |loss|) in total (about 45 eps: nothing measurable).
STALL_STEPS = 20
STALL_DECREASE = 1e-14
#: At ``LM_MAX_DAMPING`` the fit counts as converged only if max |g| is below this (a
#: stationary point of the mean loss, as the L-BFGS route's ``gtol`` scale).
STATIONARY_GRAD = 1e-6
#: Fisher scoring forms the (P, P) Fisher; beyond this many weights :meth:`MLP.fit` uses
#: L-BFGS (no P x P matrix: 2000^2 floats = 32 MB and a 2000^3 Cholesky per step).
MAX_SCORING_WEIGHTS = 2000


class FisherScoring:
    """The ``_fit`` hook of :class:`~fisherstat.nn.MLP` (weights by damped Fisher scoring)."""

    def _fisher_scoring(self, w, x, y, out, max_iter=1000):
        """Minimise the mean NLL by Fisher scoring with Levenberg-Marquardt damping.

        ``w <- w - (F + lam s I)^{-1} g`` with the exact Fisher ``F`` of the data (the
        Gauss-Newton matrix of the loss), ``s = tr F / P``; ``lam`` shrinks after a
        successful step and grows until the loss decreases (Levenberg 1944, Marquardt 1963).
        Converged when the Newton decrement :math:`g^T (F + 10^{-9} s I)^{-1} g` is below
        ``1e-13 max(1, |loss|)`` (curvatures below 1e-9 of the mean count as flat), or when
        20 steps gave no measurable decrease. Returns ``(w, loss, grad, converged)``. Every
        threshold is a module constant with its reason (``LM_*``, ``FLAT_CURVATURE``,
        ``DECREMENT_TOL``, ``STALL_*``, ``STATIONARY_GRAD``).
        """
        N, P = x.shape[0], self.n_weights
        loss, g, cache = self._weight_loss_grad(w, x, y, out)
        lam, eye, history = LM_INITIAL_DAMPING, np.eye(P), []
        for _ in range(max_iter):
            U = np.ascontiguousarray(np.swapaxes(out.factor(cache.f), 1, 2))
            B = self._rows(cache, self._backward(w, cache, U)).reshape(-1, P)
            F = (B.T @ B) / N
            s = max(np.trace(F) / P, np.finfo(float).tiny)
            # Newton decrement g^T F^+ g: the loss decrease still available (also along
            # near-null directions, where a small gradient can hide a long way to go)
            # (curvatures below FLAT_CURVATURE of the mean count as flat)
            dec = float(g @ linalg.cho_solve(linalg.cho_factor(F + FLAT_CURVATURE * s * eye),
                                             g))
            if dec <= DECREMENT_TOL * max(1.0, abs(loss)):
                return w, loss, g, True
            history.append(loss)
            if (len(history) > STALL_STEPS
                    and history[-STALL_STEPS - 1] - loss <= STALL_DECREASE * max(1.0, abs(loss))):
                return w, loss, g, True  # STALL_STEPS steps without a measurable decrease
            while True:
                step = linalg.cho_solve(linalg.cho_factor(F + lam * s * eye), g)
                with np.errstate(over="ignore", invalid="ignore"):
                    new = self._weight_loss_grad(w - step, x, y, out)
                if np.isfinite(new[0]) and new[0] <= loss:
                    break
                lam *= LM_INCREASE
                if lam > LM_MAX_DAMPING:  # no decrease along any damped direction: stationary
                    return w, loss, g, bool(np.max(np.abs(g)) <= STATIONARY_GRAD)
            w, (loss, g, cache) = w - step, new
            lam = max(lam / LM_DECREASE, LM_MIN_DAMPING)
        return w, loss, g, False

    def _fit(self, data, x, start):
        starts = [start] if start is not None else [
            self.init(rng=k, sigma_w2=2.0, sigma_b2=1.0) for k in range(N_STARTS)]
        best, failure = None, None
        for s in starts:
            try:
                w, loss = self._fit_from(data, x, s)
            except FitError as exc:
                failure = exc
                continue
            if best is None or loss < best[1]:
                best = (w, loss)
        if best is None:
            raise failure
        w = best[0]
        if start is None:
            w = self.canonical(np.append(w, 1.0) if self.estimate_sigma2 else w)
            w = w[: self.n_weights]
        if not self.estimate_sigma2:
            return w
        r = data - self._forward(w, x).f
        s2 = float(np.mean(r * r))
        if s2 <= 0:
            raise FitError("the network interpolates the data: the MLE of sigma2 is 0")
        return np.append(w, s2)

    def _fit_from(self, data, x, start):
        """Local fit of the weights from ``start``: ``(weights, mean loss)``."""
        w = np.array(start[: self.n_weights], dtype=float)
        out = Gaussian(1.0) if self.estimate_sigma2 else self._out(start)
        if self.n_weights <= MAX_SCORING_WEIGHTS:
            w, loss, g, ok = self._fisher_scoring(w, x, data, out)
            message = "Fisher scoring reached its iteration limit"
        else:  # L-BFGS: no (P, P) matrix
            res = optimize.minimize(
                lambda v: self._weight_loss_grad(v, x, data, out)[:2], w, jac=True,
                method="L-BFGS-B", options={"maxiter": 20_000, "maxfun": 40_000,
                                            "ftol": 1e-15, "gtol": 1e-9})
            w, loss, g, message = res.x, res.fun, res.jac, res.message
            ok = res.success or float(np.max(np.abs(g))) <= 1e-6 * max(1.0, abs(loss))
        if not np.all(np.isfinite(w)) or not np.isfinite(loss):
            raise FitError("MLP fit diverged (non-finite loss or weights)")
        if self.output != "linear" and loss < 1e-6:
            raise FitError(
                f"the network separates the classes (mean loss {loss:.2g} -> 0 as the "
                "weights grow): the maximum-likelihood estimate does not exist")
        if not ok:
            raise FitError(
                f"MLP fit did not converge: {message}; max |gradient| = "
                f"{float(np.max(np.abs(g))):.3g}, max |weight| = {float(np.max(np.abs(w))):.3g} "
                "(large weights: the likelihood keeps increasing towards a saturated or "
                "eliminated unit, and has no maximum near start)")
        return w, float(loss)
