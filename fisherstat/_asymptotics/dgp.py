r"""The data-generating process of a misspecification study, and the pseudo-true parameter.

:func:`fisherstat.check_asymptotics` fits ``model`` to data drawn from a separate process
``dgp`` (a ``(model, theta)`` pair or a sampler ``dgp(n, rng)``). Then the MLE estimates the
*pseudo-true* parameter, the Kullback-Leibler projection of the process on the model,

.. math::

    \theta^* = \arg\max_\theta E_{\mathrm{dgp}}[\log f(Y; \theta)],

and :math:`\sqrt n(\hat\theta_n - \theta^*) \to N(0, A^{-1} B A^{-1})` with
:math:`A = E_{\mathrm{dgp}}[-\nabla^2 \log f(Y; \theta^*)]` and
:math:`B = E_{\mathrm{dgp}}[s(Y; \theta^*) s(Y; \theta^*)^{\mathsf T}]` (Huber 1967; White
1982, "Maximum likelihood estimation of misspecified models", *Econometrica* 50, 1-25,
Theorems 2.2 and 3.2). Under a correct model :math:`A = B = I` and the sandwich is
:math:`I^{-1}`.

:func:`pseudo_true` estimates :math:`\theta^*`, :math:`A`, :math:`B` and the sandwich by Monte
Carlo from one large sample of ``draws`` observations: :math:`\hat\theta^*` is the model's
MLE on that sample (its Monte Carlo standard error is the sandwich's,
:math:`\sqrt{\operatorname{diag}(A^{-1} B A^{-1}) / \text{draws}}`, by the same theorem), or the
value the caller knows in closed form; :math:`A` and :math:`B` are sample means at it. The
standard errors of :math:`A`, :math:`B` and the sandwich are delete-a-group jackknife ones over
20 consecutive groups of the sample (Quenouille 1956; Efron & Tibshirani 1993, *An
Introduction to the Bootstrap*, sec. 11.5). A fitted :math:`\hat\theta^*` is refitted
without each group, to first order (one Newton step from :math:`\hat\theta^*`), because the
sandwich depends on it at first order (for a Normal fit,
:math:`A_{\sigma^2\sigma^2} = 1/(2\sigma^4)`).

The theory, and :math:`B = E[s s^{\mathsf T}]` of one observation, assume independent
observations (given the covariates, for a regression model): not a time series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._fitting import sample_replicates
from .._validation import validate_theta
from ..exceptions import BoundaryEstimateError, FitError

__all__ = ["DataGeneratingProcess", "check_dgp", "pseudo_true", "N_GROUPS"]

#: Groups of the delete-a-group jackknife behind the Monte Carlo standard errors.
N_GROUPS = 20


@dataclass(frozen=True)
class DataGeneratingProcess:
    """What the data of a study are drawn from: a model at ``theta``, or a sampler."""

    model: object | None
    theta: np.ndarray | None
    sampler: object | None
    description: str

    def sample(self, n: int, count: int, rng, X=None):
        """``count`` data sets of ``n`` observations, an array (count, n, ...)."""
        if self.model is not None:
            return sample_replicates(self.model, self.theta, n, count, rng, X)
        out = []
        for _ in range(count):
            d = self.sampler(n, rng) if X is None else self.sampler(n, rng, x=X)
            d = np.asarray(d, dtype=np.float64)
            if d.ndim == 0 or d.shape[0] != n:
                raise ValueError(
                    f"dgp({n}, rng) must return {n} observations (an array with {n} rows), "
                    f"got shape {d.shape}")
            out.append(d)
        shapes = {d.shape for d in out}
        if len(shapes) > 1:
            raise ValueError(f"dgp(n, rng) returned data of different shapes {sorted(shapes)}")
        return np.stack(out)

    def signature(self) -> bytes:
        """What identifies the process in a checkpoint's signature."""
        if self.model is None:
            fn = self.sampler
            name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
            return f"sampler|{name}".encode()
        return (f"model|{type(self.model).__qualname__}|{self.model!r}|".encode()
                + np.ascontiguousarray(self.theta, dtype=np.float64).tobytes())


def check_dgp(dgp, model) -> DataGeneratingProcess | None:
    """Validate ``dgp`` of :func:`check_asymptotics` against the fitted ``model``."""
    from ..models.base import Model

    if dgp is None:
        return None
    if isinstance(dgp, tuple) and len(dgp) == 2 and isinstance(dgp[0], Model):
        truth, theta = dgp
        if truth.is_regression != model.is_regression:
            kind = "a regression" if model.is_regression else "not a regression"
            raise TypeError(f"dgp: the fitted model is {kind} model, the dgp model "
                            f"{truth!r} must be one too")
        theta = validate_theta(truth, theta, "dgp theta")
        th = ", ".join(f"{nm} = {v:.6g}" for nm, v in zip(truth.param_names, theta,
                                                          strict=True))
        return DataGeneratingProcess(truth, theta, None, f"{truth!r} at {th}")
    if isinstance(dgp, Model):
        raise TypeError("dgp must be a (model, theta) pair, got a model without theta")
    if callable(dgp):
        name = getattr(dgp, "__qualname__", None) or type(dgp).__name__
        return DataGeneratingProcess(None, None, dgp, f"the sampler {name}(n, rng)")
    raise TypeError("dgp must be None, a (model, theta) pair or a callable sample(n, rng) "
                    f"returning n observations, got {type(dgp).__name__}")


def _sandwich(A, B):
    Ai = np.linalg.inv(A)
    V = Ai @ B @ Ai
    return 0.5 * (V + V.T)


def _jackknife_se(stats_minus, K):
    """Delete-a-group jackknife standard error from the K leave-one-group-out statistics."""
    mean = stats_minus.mean(axis=0)
    return np.sqrt((K - 1) / K * np.sum((stats_minus - mean) ** 2, axis=0))


def pseudo_true(model, dgp: DataGeneratingProcess, theta_star, draws: int, rng, X=None
                ) -> dict:
    r"""Pseudo-true parameter, :math:`A`, :math:`B` and the sandwich, with Monte Carlo errors.

    ``theta_star`` is the known pseudo-true parameter or None (then the MLE of ``draws``
    observations from ``dgp``); ``X`` the ``draws`` covariate rows for regression models.
    Returns a dict with ``theta`` (p,), ``theta_se`` (p,; NaN when ``theta_star`` is given),
    ``A``, ``A_se``, ``B``, ``B_se``, ``sandwich``, ``sandwich_se`` (p, p, per observation),
    ``draws`` and ``fitted`` (bool).
    """
    data = dgp.sample(draws, 1, rng, X)[0]
    fitted = theta_star is None
    if fitted:
        try:
            theta_star = model.fit(data, x=X)
        except BoundaryEstimateError as exc:
            raise ValueError(
                f"the pseudo-true parameter of {model!r} for {dgp.description} lies on the "
                f"boundary of the parameter space ({exc}); the sandwich theory needs an "
                "interior theta*") from None
        except FitError as exc:
            raise FitError(f"the pseudo-true parameter: fitting {model!r} to {draws} draws "
                           f"from {dgp.description} failed: {exc}") from None
    theta_star = np.asarray(theta_star, dtype=np.float64)
    A, B, S_sum = _parts(model, theta_star, data, X)
    try:
        if not np.all(np.linalg.eigvalsh(A) > 0):
            raise np.linalg.LinAlgError
        V = _sandwich(A, B)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"A = E_dgp[-Hessian] of {model!r} at the pseudo-true parameter "
            f"{np.array2string(theta_star, precision=4)} is not positive definite: "
            "theta* is not an isolated maximum, the sandwich theory does not apply") from None
    # delete-a-group jackknife; a fitted theta* is refitted without each group, to first
    # order: one Newton step theta* + A_(-g)^-1 mean_(-g)(s) (the full-sample score sum is 0)
    parts = []
    for idx in np.array_split(np.arange(draws), N_GROUPS):
        keep = np.ones(draws, dtype=bool)
        keep[idx] = False
        x_k = None if X is None else X[keep]
        theta_g = theta_star
        if fitted:
            A_g, _, S_g = _parts(model, theta_star, data[keep], x_k)
            theta_g = theta_star + np.linalg.solve(A_g, S_g / keep.sum())
            try:
                theta_g = model.validate(theta_g)
            except ValueError:
                theta_g = theta_star  # a step out of the space: keep theta* (conservative)
        A_g, B_g, _ = _parts(model, theta_g, data[keep], x_k)
        parts.append((A_g, B_g, _sandwich(A_g, B_g)))
    A_minus, B_minus, V_minus = (np.stack(a) for a in zip(*parts, strict=True))
    theta_se = np.sqrt(np.diag(V) / draws) if fitted else np.full(model.n_params, np.nan)
    return {"theta": theta_star, "theta_se": theta_se,
            "A": A, "A_se": _jackknife_se(A_minus, N_GROUPS),
            "B": B, "B_se": _jackknife_se(B_minus, N_GROUPS),
            "sandwich": V, "sandwich_se": _jackknife_se(V_minus, N_GROUPS),
            "draws": int(draws), "fitted": bool(fitted)}


def _parts(model, theta, data, X):
    """Per-observation ``A = -mean H``, ``B = mean s s^T`` and the score sum at ``theta``."""
    m = len(data)
    S = model.score(theta, data, x=X)
    A = -model.hessian(theta, data, x=X) / m
    return 0.5 * (A + A.T), S.T @ S / m, S.sum(axis=0)
