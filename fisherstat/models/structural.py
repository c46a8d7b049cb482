r"""Closed-form structural PK/PD models with analytic Jacobians, and dosing regimens.

A *structural model* maps sampling times ``t`` (n,), a parameter vector ``theta`` (p,) and
a dose (a :class:`Regimen`) to the predicted response ``f`` (n,) and its Jacobian
``df/dtheta`` (n, p). The linear compartment models are written once, for any number of
exponentials, through their *macro constants*: the concentration after a unit bolus into
the central compartment is

.. math::

    h(s) = \sum_i A_i e^{-\lambda_i s}, \qquad s \ge 0,

(one exponential for the one-compartment model, two for the two-compartment model;
Gibaldi & Perrier 1982, *Pharmacokinetics*, 2nd ed., Dekker, chapters 1-2 and appendix
C), and every route and regimen is a superposition of its *unit inputs*:

==============  ==========================================================================
route           contribution of a dose :math:`D` given at time :math:`t_d`, :math:`s=t-t_d`
==============  ==========================================================================
``bolus``       :math:`D \sum_i A_i e^{-\lambda_i s}`
``infusion``    :math:`\frac{D}{T}\sum_i A_i e^{-\lambda_i (s-T)^+}
                \frac{1 - e^{-\lambda_i \min(s, T)}}{\lambda_i}` (duration :math:`T`)
``oral``        :math:`D\, k_a \sum_i A_i \frac{e^{-\lambda_i s} - e^{-k_a s}}{k_a -
                \lambda_i}` (first-order absorption)
==============  ==========================================================================

each zero for :math:`s < 0`. Multiple doses add (linearity). At *steady state* with
dosing interval :math:`\tau` the earlier doses add geometric series: for a term
:math:`e^{-r s}`, :math:`\sum_{k\ge1} e^{-r (s + k\tau)} = e^{-r s} / (e^{r\tau} - 1)`
(Gibaldi & Perrier 1982, chapter 3). Derivatives are taken with respect to the macro
constants :math:`(A_i, \lambda_i, k_a)` in closed form and mapped to the parameters by
the chain rule through the Jacobian of the macro constants (``_disposition``).

Numerically delicate forms are evaluated stably: :math:`(1-e^{-z})/z` and its derivative
by power series for small ``z``; :math:`(e^{-a s} - e^{-b s})/(b - a)` with
``expm1`` and power series so that the flip-flop limit :math:`k_a \to \lambda` is
continuous; :math:`1/(e^{x}-1)` as :math:`e^{-x}/(1 - e^{-x})` (no overflow).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from .. import _numdiff
from .._special import expdiff as _expdiff
from .._special import exprel123 as _e123
from .._special import hill as _hill
from .._validation import (
    as_float_array,
    check_choice,
    check_in_interval,
    check_int,
    check_scalar,
)
from .base import Parametric

__all__ = [
    "Regimen",
    "as_regimen",
    "StructuralModel",
    "OneCompartment",
    "TwoCompartment",
    "LinkedPD",
    "UserModel",
]

_POS = (0.0, np.inf)
_FREE = (-np.inf, np.inf)
_ROUTES = ("bolus", "infusion", "oral")


def _e13(z):
    """``E_1`` and ``E_3`` (see :func:`fisherstat._special.exprel123`)."""
    return _e123(z, (1, 3))


# ------------------------------------------------------------------ stable helpers
def _inv_expm1(x):
    """``1 / (exp(x) - 1)`` for ``x > 0`` without overflow."""
    return np.exp(-x) / -np.expm1(-x)


def _log_expm1(x):
    """``log(exp(x) - 1)`` for ``x > 0`` without overflow."""
    return x + np.log(-np.expm1(-x))


# ------------------------------------------------------------------------ regimens
class Regimen:
    r"""A dosing regimen: dose amounts, dose times, infusion durations, steady state.

    Parameters
    ----------
    amounts : float or array_like, shape (m,)
        Dose amounts (``>= 0``).
    times : float or array_like, shape (m,)
        Dose times (``>= 0``, same time axis as the sampling times), default 0.
    durations : float or array_like, shape (m,)
        Infusion durations (``>= 0``; 0 is a bolus), default 0. Only models with
        ``route='infusion'`` accept positive durations.
    tau : float, optional
        Steady state: the earliest dose is the last of an infinite train of identical doses
        given every ``tau`` before it (NONMEM's ``SS=1, II=tau``). Sampling times must
        not precede that dose, and its infusion must end within ``tau``.

    Notes
    -----
    Doses are sorted by time. With ``tau`` the earlier doses of the train contribute
    :math:`\sum_{k \ge 1} D\, h(s + k\tau)` for :math:`s = t - t_1 \ge 0`, a geometric
    series per exponential (see the module documentation).

    Examples
    --------
    >>> from fisherstat.pkpd import Regimen
    >>> Regimen(70)
    Regimen(amounts=[70.0], times=[0.0])
    >>> Regimen.repeated(100, tau=12, n_doses=3, duration=1.0)
    Regimen(amounts=[100.0, 100.0, 100.0], times=[0.0, 12.0, 24.0], durations=[1.0, 1.0, 1.0])
    >>> Regimen.steady_state(100, tau=24)
    Regimen(amounts=[100.0], times=[0.0], tau=24.0)
    """

    def __init__(self, amounts, times=0.0, durations=0.0, *, tau: float | None = None):
        a = np.atleast_1d(as_float_array(amounts, "amounts", ndim=(0, 1)))
        m = a.size
        try:
            t = np.broadcast_to(np.atleast_1d(as_float_array(times, "times", ndim=(0, 1))),
                                (m,)).astype(float)
        except ValueError as exc:
            if "broadcast" not in str(exc):
                raise
            raise ValueError(f"times must be a scalar or have {m} entries (one per dose in "
                             f"amounts), got {np.size(times)}") from None
        try:
            d = np.broadcast_to(
                np.atleast_1d(as_float_array(durations, "durations", ndim=(0, 1))), (m,)
            ).astype(float)
        except ValueError as exc:
            if "broadcast" not in str(exc):
                raise
            raise ValueError(f"durations must be a scalar or have {m} entries (one per dose in "
                             f"amounts), got {np.size(durations)}") from None
        check_in_interval(a, "amounts", low=0, low_open=False)
        check_in_interval(t, "times", low=0, low_open=False)
        check_in_interval(d, "durations", low=0, low_open=False)
        order = np.argsort(t, kind="stable")
        a, t, d = a[order], t[order], d[order]
        if tau is not None:
            tau = check_scalar(tau, "tau", low=0)
            if d[0] > tau:
                raise ValueError(f"durations: the steady-state infusion ({d[0]:g}) must end "
                                 f"within the dosing interval tau = {tau:g}")
        for arr in (a, t, d):
            arr.flags.writeable = False
        self.amounts, self.times, self.durations, self.tau = a, t, d, tau

    # -------------------------------------------------------------- builders
    @classmethod
    def repeated(cls, amount: float, tau: float, n_doses: int, duration: float = 0.0,
                 start: float = 0.0) -> Regimen:
        """``n_doses`` doses of ``amount`` every ``tau`` from ``start``.

        Examples
        --------
        >>> from fisherstat.pkpd import Regimen
        >>> Regimen.repeated(10, tau=8, n_doses=2).times
        array([0., 8.])
        """
        tau = check_scalar(tau, "tau", low=0)
        if isinstance(n_doses, bool) or not isinstance(n_doses, numbers.Integral) \
                or n_doses < 1:
            raise ValueError(f"n_doses must be an integer >= 1, got {n_doses!r}")
        amount = check_scalar(amount, "amount", low=0, low_open=False)
        duration = check_scalar(duration, "duration", low=0, low_open=False)
        start = check_scalar(start, "start", low=0, low_open=False)
        return cls(np.full(int(n_doses), float(amount)),
                   start + tau * np.arange(int(n_doses)), duration)

    @classmethod
    def steady_state(cls, amount: float, tau: float, duration: float = 0.0) -> Regimen:
        """A dose at time 0 at steady state with interval ``tau``.

        Examples
        --------
        >>> from fisherstat.pkpd import Regimen
        >>> Regimen.steady_state(50, tau=12).tau
        12.0
        """
        if tau is None:
            raise TypeError("tau must be a number > 0 (the dosing interval), got None")
        amount = check_scalar(amount, "amount", low=0, low_open=False)
        duration = check_scalar(duration, "duration", low=0, low_open=False)
        return cls(amount, 0.0, duration, tau=tau)

    def with_amount(self, amount: float) -> Regimen:
        """The same regimen with every dose amount set to ``amount`` (a design variable).

        Examples
        --------
        >>> from fisherstat.pkpd import Regimen
        >>> Regimen.repeated(10, tau=8, n_doses=2).with_amount(25).amounts
        array([25., 25.])
        """
        amount = check_scalar(amount, "amount", low=0, low_open=False)
        return Regimen(np.full(self.amounts.size, amount), self.times, self.durations,
                       tau=self.tau)

    def with_duration(self, duration: float) -> Regimen:
        """The same regimen with every infusion lasting ``duration`` (a design variable).

        Examples
        --------
        >>> from fisherstat.pkpd import Regimen
        >>> Regimen(100).with_duration(2.0).durations
        array([2.])
        """
        duration = check_scalar(duration, "duration", low=0, low_open=False)
        return Regimen(self.amounts, self.times, np.full(self.amounts.size, duration),
                       tau=self.tau)

    @property
    def n_doses(self) -> int:
        """Number of listed doses ``m``."""
        return int(self.amounts.size)

    def __repr__(self) -> str:
        parts = [f"amounts={[float(x) for x in self.amounts]}",
                 f"times={[float(x) for x in self.times]}"]
        if np.any(self.durations > 0):
            parts.append(f"durations={[float(x) for x in self.durations]}")
        if self.tau is not None:
            parts.append(f"tau={self.tau!r}")
        return f"Regimen({', '.join(parts)})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Regimen) and self.tau == other.tau
                and all(np.array_equal(getattr(self, k), getattr(other, k))
                        for k in ("amounts", "times", "durations")))

    __hash__ = None


def as_regimen(dose, name: str = "dose") -> Regimen:
    """A :class:`Regimen` from a number (one dose at time 0) or a ``Regimen``.

    Raises
    ------
    ValueError
        If ``dose`` is missing (``None``).

    Examples
    --------
    >>> from fisherstat.pkpd import as_regimen
    >>> as_regimen(70)
    Regimen(amounts=[70.0], times=[0.0])
    >>> as_regimen(None)
    Traceback (most recent call last):
    ...
    ValueError: dose is missing: this model needs a dose (a number or a Regimen)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument name for messages), got {name!r}")
    if dose is None:
        raise ValueError(f"{name} is missing: this model needs a dose (a number or a Regimen)")
    if isinstance(dose, Regimen):
        return dose
    if isinstance(dose, (numbers.Real, np.floating, np.integer)) and not isinstance(dose, bool):
        return Regimen(check_scalar(dose, name, low=0, low_open=False))
    raise TypeError(f"{name} must be a number or a Regimen, got {type(dose).__name__}")


def _after_steady_state(t, dose, name):
    """``t`` (checked times), if none precedes the dose of a steady-state Regimen."""
    if isinstance(dose, Regimen) and dose.tau is not None and t.size \
            and t.min() < dose.times[0]:
        raise ValueError(f"{name}: sampling times must not precede the steady-state dose "
                         f"at time {dose.times[0]:g}, got {t.min():g}")
    return t


# ------------------------------------------------------------------- base class
class StructuralModel(Parametric):
    """Base class of structural models ``f(t, theta, dose)`` with a Jacobian.

    Subclasses implement ``_eval(t, theta, dose, response, jac)`` returning ``f`` (n,) and,
    with ``jac=True``, ``df/dtheta`` (n, p). Public methods validate their arguments once.
    Names, bounds and :meth:`validate` are those of every model
    (:class:`~fisherstat.models.base.Parametric`).

    Attributes
    ----------
    param_names : tuple of str
    lower, upper : ndarray
        Open bounds of each parameter.
    responses : tuple of str
        Names of the responses (e.g. ``('conc', 'effect')``); samples choose one by index
        or name.
    needs_dose : bool
        Whether a dose is required.
    has_analytic_jacobian : bool
        Whether :meth:`jacobian` is analytic (otherwise Richardson-extrapolated central
        differences, :func:`fisherstat._numdiff.jacobian`).
    """

    responses: tuple = ("conc",)
    needs_dose: bool = True
    has_analytic_jacobian: bool = True

    @staticmethod
    def check_times(t, name: str = "t") -> np.ndarray:
        """Sampling times as a float64 (n,) array of finite values ``>= 0``.

        Examples
        --------
        >>> from fisherstat.pkpd import StructuralModel
        >>> StructuralModel.check_times([1.0, -0.5])
        Traceback (most recent call last):
        ...
        ValueError: t: entry 1 must be >= 0, got -0.5
        """
        t = np.atleast_1d(as_float_array(t, name, ndim=(0, 1)))
        return check_in_interval(t, name, low=0, low_open=False)

    def check_response(self, response, n: int) -> np.ndarray:
        """Response index per sample (n,) from ``None`` (the first), names or indices.

        Examples
        --------
        >>> from fisherstat.pkpd import LinkedPD, OneCompartment
        >>> LinkedPD(OneCompartment("bolus")).check_response(["conc", "effect"], 2)
        array([0, 1])
        """
        k = len(self.responses)
        n = check_int(n, "n", low=0)
        if response is None:
            return np.zeros(n, dtype=int)
        arr = np.atleast_1d(np.asarray(response, dtype=object))
        if arr.size == 1 and n != 1:
            arr = np.repeat(arr, n)
        if arr.shape != (n,):
            raise ValueError(f"response must have one entry per sample ({n}), got {arr.size}")
        out = np.empty(n, dtype=int)
        for i, r in enumerate(arr):
            if isinstance(r, str):
                if r not in self.responses:
                    raise ValueError(f"response: unknown response {r!r}; expected one of "
                                     f"{self.responses}")
                out[i] = self.responses.index(r)
            elif isinstance(r, (numbers.Integral, np.integer)) and not isinstance(r, bool):
                if not 0 <= int(r) < k:
                    raise ValueError(f"response: index {r} out of range: must be >= 0 and < {k} "
                                     f"(the responses {self.responses})")
                out[i] = int(r)
            else:
                raise TypeError(f"response entries must be names {self.responses} or "
                                f"indices, got {r!r}")
        return out

    def check_dose(self, dose):
        """The dose in the form ``_eval`` expects (a :class:`Regimen` for PK models)."""
        return as_regimen(dose) if self.needs_dose else dose

    # ------------------------------------------------------------ public API
    def check_inputs(self, t, theta, dose=None, response=None) -> tuple:
        """The checked ``(t, theta, dose, response)`` that ``evaluate(..., validate=False)``
        takes: times (n,), parameters (p,), the dose as :meth:`check_dose` returns it and
        the response index of each sample (n,).

        Examples
        --------
        >>> from fisherstat.pkpd import OneCompartment
        >>> t, theta, dose, resp = OneCompartment("oral").check_inputs([1.0, 2.0],
        ...                                                            [0.15, 8.0, 1.0], 70)
        >>> dose, resp
        (Regimen(amounts=[70.0], times=[0.0]), array([0, 0]))
        """
        return self._prepare(t, theta, dose, response)

    def check_schedule(self, t, dose, name: str = "t") -> np.ndarray:
        """Sampling times (:meth:`check_times`) that are valid for the checked ``dose``:
        not before the dose of a steady-state :class:`Regimen`.

        Examples
        --------
        >>> from fisherstat.pkpd import OneCompartment, Regimen
        >>> OneCompartment("bolus").check_schedule([1.0, 2.0],
        ...                                        Regimen(100, times=1.5, tau=12))
        Traceback (most recent call last):
        ...
        ValueError: t: sampling times must not precede the steady-state dose at time 1.5, got 1
        """
        return _after_steady_state(self.check_times(t, name), dose, name)

    def _prepare(self, t, theta, dose, response):
        t = self.check_times(t)
        theta, dose = self.validate(theta), self.check_dose(dose)
        return (_after_steady_state(t, dose, "t"), theta, dose,
                self.check_response(response, t.size))

    def predict(self, t, theta, dose=None, response=None) -> np.ndarray:
        """Predicted response at times ``t`` (n,).

        Parameters
        ----------
        t : array_like, shape (n,)
            Sampling times (``>= 0``).
        theta : array_like, shape (p,)
            Parameters, in the order of ``param_names``.
        dose : float or Regimen
            The dose (required by PK models).
        response : None, str, int or sequence, optional
            Which response each sample measures (default: the first).

        Returns
        -------
        ndarray, shape (n,)
        """
        f, _ = self._checked_eval(*self._prepare(t, theta, dose, response), False)
        return f

    def jacobian(self, t, theta, dose=None, response=None) -> np.ndarray:
        """Jacobian ``df/dtheta`` (n, p) at times ``t`` (see :meth:`predict`)."""
        _, J = self._checked_eval(*self._prepare(t, theta, dose, response), True)
        return J

    def hessian(self, t, theta, dose=None, response=None) -> np.ndarray:
        """Second derivatives ``d^2 f / dtheta dtheta`` (n, p, p).

        The Richardson-extrapolated central-difference Jacobian of the analytic Jacobian
        (error about ``eps^(4/5)`` relative), or the numeric Hessian of ``f`` when the
        model has no analytic Jacobian.
        """
        return self._hess(*self._prepare(t, theta, dose, response))

    def evaluate(self, t, theta, dose=None, response=None, order: int = 1, *,
                 validate: bool = True, check_finite: bool = True):
        """``f`` (``order=0``), ``(f, J)`` (``order=1``) or ``(f, J, H)`` (``order=2``) with
        one validation.

        With ``validate=False`` the arguments are taken as already checked
        (:meth:`check_inputs`): ``t`` a float64 (n,) array, ``theta`` a valid (p,) array,
        ``dose`` as :meth:`check_dose` returns it and ``response`` the (n,) response
        indices of :meth:`check_response` (for callers that evaluate one checked design
        many times: the population FIM, the regression models of
        :mod:`fisherstat.models.catalogue`). With ``check_finite=False`` a prediction that
        overflows is returned as inf/NaN instead of raising (for a caller, such as a
        likelihood inside a fit, that handles it itself).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.pkpd import OneCompartment
        >>> f, J = OneCompartment("bolus").evaluate([0.0, 1.0], [1.0, 10.0], dose=100)
        >>> np.round(f, 4), J.shape
        (array([10.    ,  9.0484]), (2, 2))
        """
        if order not in (0, 1, 2):
            raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
        args = (self._prepare(t, theta, dose, response) if validate
                else (t, theta, dose, response))
        f, J = self._checked_eval(*args, order > 0, check_finite)
        if order == 0:
            return f
        if order == 1:
            return f, J
        return f, J, self._hess(*args)

    # ------------------------------------------------------------ internals
    def _checked_eval(self, t, theta, dose, resp, jac, check_finite=True):
        # overflow (theta or doses near 1e308) gives inf/NaN, reported below with theta
        # (or returned as such with check_finite=False)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            f, J = self._eval(t, theta, dose, resp, jac)
        f = np.asarray(f, dtype=float)
        if f.shape != t.shape:
            raise ValueError(f"the model returned shape {f.shape}; expected {t.shape} (one "
                             "value per sampling time)")
        if not check_finite:
            return f, J
        if not np.all(np.isfinite(f)):
            i = int(np.flatnonzero(~np.isfinite(f))[0])
            raise ValueError(f"the model prediction is not finite at t = {t[i]!r} (theta = "
                             f"{theta.tolist()}, dose = {dose!r}); theta or the dose must be "
                             "within the range where the model can be evaluated")
        if jac:
            J = np.asarray(J, dtype=float)
            if J.shape != (t.size, self.n_params):
                raise ValueError(f"the Jacobian has shape {J.shape}; expected "
                                 f"{(t.size, self.n_params)}")
            if not np.all(np.isfinite(J)):
                i = int(np.flatnonzero(~np.all(np.isfinite(J), axis=1))[0])
                raise ValueError(f"the Jacobian is not finite at t = {t[i]!r} (theta = "
                                 f"{theta.tolist()}, dose = {dose!r}); theta or the dose must "
                                 "be within the range where the model can be evaluated")
        return f, J

    def _hess(self, t, theta, dose, resp):
        if self.has_analytic_jacobian:
            H = _numdiff.jacobian(lambda th: self._eval(t, th, dose, resp, True)[1], theta,
                                  self.lower, self.upper)
        else:
            H = _numdiff.hessian(lambda th: self._eval(t, th, dose, resp, False)[0], theta,
                                 self.lower, self.upper)[0]
        return 0.5 * (H + np.swapaxes(H, -1, -2))

    def _eval(self, t, theta, dose, resp, jac):  # pragma: no cover - abstract
        raise NotImplementedError


# --------------------------------------------------------- linear compartment models
class _LinearCompartment(StructuralModel):
    """Shared evaluation of the linear compartment models from their macro constants."""

    _names: dict = {}

    def __init__(self, route: str = "oral", parametrization: str = "CL"):
        check_choice(route, "route", _ROUTES)
        check_choice(parametrization, "parametrization", tuple(self._names))
        self.route, self.parametrization = route, parametrization
        names = self._names[parametrization] + (("KA",) if route == "oral" else ())
        super().__init__(names, [_POS] * len(names))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(route={self.route!r}, "
                f"parametrization={self.parametrization!r})")

    def check_dose(self, dose):
        reg = as_regimen(dose)
        if self.route != "infusion" and np.any(reg.durations > 0):
            raise ValueError(f"dose: infusion durations must be 0 for route={self.route!r} "
                             "(use route='infusion')")
        return reg

    def _disposition(self, theta):
        """Macro constants ``A`` (e,), ``lam`` (e,) and their Jacobians (e, p)."""
        raise NotImplementedError

    def _eval(self, t, theta, reg, resp, jac):
        A, lam, dA, dlam = self._disposition(theta)
        D, td, T = reg.amounts, reg.times, reg.durations
        s = t[:, None, None] - td[None, :, None]  # (n, m, 1)
        act = s >= 0
        s = np.where(act, s, 0.0)
        lam_b = lam[None, None, :]
        if self.route == "oral":
            ka = theta[-1]
            g, g_a, g_b = _expdiff(lam_b, ka, s)
            P, dP, dPk = ka * g, ka * g_a, g + ka * g_b
            dPk = np.where(act, dPk, 0.0)
        else:
            Tb = T[None, :, None]
            a = np.maximum(s - Tb, 0.0)
            mm = np.minimum(s, Tb)
            pos = Tb > 0
            r = np.where(pos, mm / np.where(pos, Tb, 1.0), 1.0)
            e1, e3 = _e13(lam_b * mm)
            ea = np.exp(-lam_b * a)
            P = ea * r * e1
            dP = -a * P - ea * r * mm * e3
        P, dP = np.where(act, P, 0.0), np.where(act, dP, 0.0)
        Pw = np.einsum("m,nme->ne", D, P)  # sum over doses, per exponential
        dPw = np.einsum("m,nme->ne", D, dP)
        dPwk = np.einsum("m,nme->ne", D, dPk) if self.route == "oral" else None
        if reg.tau is not None:
            Q, dQ, dQk = self._steady_tail(t - td[0], lam, theta, T[0], reg.tau)
            Pw, dPw = Pw + D[0] * Q, dPw + D[0] * dQ
            if dPwk is not None:
                dPwk = dPwk + D[0] * dQk
        f = Pw @ A
        if not jac:
            return f, None
        J = Pw @ dA + (dPw * A) @ dlam
        if dPwk is not None:
            J[:, -1] += dPwk @ A
        return f, J

    def _steady_tail(self, s0, lam, theta, T0, tau):
        """Sum over the earlier doses of a steady-state train (per exponential)."""
        s0 = s0[:, None]
        if self.route == "oral":
            ka = theta[-1]

            def u(rate):
                v = np.exp(-rate * s0 - _log_expm1(rate * tau))
                return v, -v * (s0 + tau * (1.0 + _inv_expm1(rate * tau)))

            ul, ul1 = u(lam[None, :])
            uk, uk1 = u(np.array([[ka]]))
            dk = ka - lam[None, :]
            G = (ul - uk) / dk
            return ka * G, ka * (ul1 + G) / dk, G - ka * (uk1 + G) / dk
        lb = lam[None, :]
        e1, e3 = _e13(lb * T0)
        Q = e1 * np.exp(-lb * (s0 - T0) - _log_expm1(lb * tau))
        dQ = Q * (-(s0 - T0) - T0 * e3 / e1 - tau * (1.0 + _inv_expm1(lb * tau)))
        return Q, dQ, None


class OneCompartment(_LinearCompartment):
    r"""One-compartment PK model: bolus, infusion or first-order absorption.

    Parameters
    ----------
    route : {'oral', 'bolus', 'infusion'}
        Route of every dose; infusion durations come from the :class:`Regimen` (a design
        variable).
    parametrization : {'CL', 'k'}
        ``'CL'``: parameters ``(CL, V)``; ``'k'``: ``(K, V)`` with ``K = CL/V``. Oral
        models append ``KA``.

    Notes
    -----
    Macro constants :math:`A = 1/V`, :math:`\lambda = CL/V` (or ``K``), so that after an
    oral dose (the Bateman function; the PopED warfarin model, Nyberg et al. 2012,
    *Comput. Methods Programs Biomed.* 108, 789-805)

    .. math::

        f(t) = \frac{D\, K_A}{V (K_A - CL/V)}\big(e^{-CL\, t / V} - e^{-K_A t}\big),

    after a bolus :math:`f = (D/V) e^{-\lambda t}` and during/after an infusion of duration
    :math:`T` the superposition in the module documentation (Gibaldi & Perrier 1982,
    chapters 1-2). Jacobian: by the chain rule through
    :math:`\partial\lambda/\partial CL = 1/V`, :math:`\partial\lambda/\partial V =
    -CL/V^2`, :math:`\partial A/\partial V = -1/V^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import OneCompartment
    >>> m = OneCompartment("oral")
    >>> m.param_names
    ('CL', 'V', 'KA')
    >>> np.round(m.predict([0.5, 2.0, 24.0, 120.0], [0.15, 8.0, 1.0], dose=70), 4)
    array([3.4254, 7.3822, 5.6859, 0.9399])
    """

    _names = {"CL": ("CL", "V"), "k": ("K", "V")}

    def _disposition(self, theta):
        p = self.n_params
        dA, dlam = np.zeros((1, p)), np.zeros((1, p))
        if self.parametrization == "CL":
            cl, v = theta[0], theta[1]
            lam = cl / v
            dlam[0, :2] = 1.0 / v, -cl / v**2
        else:
            lam, v = theta[0], theta[1]
            dlam[0, 0] = 1.0
        dA[0, 1] = -1.0 / v**2
        return np.array([1.0 / v]), np.array([lam]), dA, dlam


class TwoCompartment(_LinearCompartment):
    r"""Two-compartment PK model: bolus, infusion or first-order absorption.

    Parameters
    ----------
    route : {'oral', 'bolus', 'infusion'}
        Route of every dose (infusion durations from the :class:`Regimen`).
    parametrization : {'CL', 'k'}
        ``'CL'``: ``(CL, V1, Q, V2)``; ``'k'``: micro constants ``(K10, K12, K21, V1)``.
        Oral models append ``KA``.

    Notes
    -----
    With :math:`k_{10} = CL/V_1`, :math:`k_{12} = Q/V_1`, :math:`k_{21} = Q/V_2`, the
    exponents are the roots of :math:`\lambda^2 - S\lambda + P = 0`,
    :math:`S = k_{10}+k_{12}+k_{21}`, :math:`P = k_{10}k_{21}`:

    .. math::

        \lambda_{1,2} = \frac{S \pm \Delta}{2}, \quad
        \Delta = \sqrt{(k_{10} + k_{12} - k_{21})^2 + 4 k_{12} k_{21}}, \quad
        A_1 = \frac{\lambda_1 - k_{21}}{V_1 \Delta}, \quad
        A_2 = \frac{k_{21} - \lambda_2}{V_1 \Delta}

    (Gibaldi & Perrier 1982, chapter 2 and appendix C; :math:`\Delta` written as a sum of
    squares and :math:`\lambda_2 = P/\lambda_1`, both free of cancellation). Implicit
    differentiation of the characteristic polynomial gives
    :math:`d\lambda_i = (\lambda_i\,dS - dP)/(2\lambda_i - S)`, and
    :math:`dA_1 = [d\lambda_1 - dk_{21} - A_1 V_1 d\Delta]/(V_1\Delta) - A_1 dV_1/V_1`,
    :math:`dA_2 = [dk_{21} - d\lambda_2 - A_2 V_1 d\Delta]/(V_1\Delta) - A_2 dV_1/V_1`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import TwoCompartment
    >>> m = TwoCompartment("bolus")
    >>> m.param_names
    ('CL', 'V1', 'Q', 'V2')
    >>> float(np.round(m.predict([0.0], [2.0, 10.0, 3.0, 20.0], dose=100)[0], 10))  # D / V1
    10.0
    """

    _names = {"CL": ("CL", "V1", "Q", "V2"), "k": ("K10", "K12", "K21", "V1")}

    def _disposition(self, theta):
        p = self.n_params
        # micro constants m = (k10, k12, k21, V1) and dm/dtheta (4, p)
        dm = np.zeros((4, p))
        if self.parametrization == "CL":
            cl, v1, q, v2 = theta[:4]
            k10, k12, k21 = cl / v1, q / v1, q / v2
            dm[0, :2] = 1.0 / v1, -cl / v1**2
            dm[1, 1:3] = -q / v1**2, 1.0 / v1
            dm[2, 2:4] = 1.0 / v2, -q / v2**2
            dm[3, 1] = 1.0
        else:
            k10, k12, k21, v1 = theta[:4]
            dm[:4, :4] = np.eye(4)
        S = k10 + k12 + k21
        P = k10 * k21
        delta = np.sqrt((k10 + k12 - k21) ** 2 + 4.0 * k12 * k21)
        l1 = 0.5 * (S + delta)
        l2 = P / l1
        dS = dm[0] + dm[1] + dm[2]
        dP = k21 * dm[0] + k10 * dm[2]
        dl1 = (l1 * dS - dP) / delta
        dl2 = (l2 * dS - dP) / -delta
        dd = dl1 - dl2
        a1 = (l1 - k21) / (v1 * delta)
        a2 = (k21 - l2) / (v1 * delta)
        da1 = (dl1 - dm[2] - a1 * v1 * dd) / (v1 * delta) - a1 * dm[3] / v1
        da2 = (dm[2] - dl2 - a2 * v1 * dd) / (v1 * delta) - a2 * dm[3] / v1
        return (np.array([a1, a2]), np.array([l1, l2]), np.vstack([da1, da2]),
                np.vstack([dl1, dl2]))


# -------------------------------------------------------------------------- PD models
_PD = {
    "emax": ("E0", "EMAX", "EC50"),
    "sigmoid_emax": ("E0", "EMAX", "EC50", "GAMMA"),
    "imax": ("E0", "IMAX", "IC50"),
}
_PD_BOUNDS = {
    "emax": (_FREE, _FREE, _POS),
    "sigmoid_emax": (_FREE, _FREE, _POS, _POS),
    "imax": (_FREE, _POS, _POS),
}


class LinkedPD(StructuralModel):
    r"""A direct-effect PD model linked to the concentration of a PK model.

    Two responses: ``'conc'`` (the PK model) and ``'effect'``. Parameters: the PK
    parameters followed by the PD parameters.

    Parameters
    ----------
    pk : StructuralModel
        The PK model (e.g. :class:`OneCompartment`) whose first response is the
        concentration ``C``.
    model : {'emax', 'sigmoid_emax', 'imax'}
        The concentration-effect relation (see Notes).

    Notes
    -----
    .. math::

        E = E_0 + \frac{E_{max} C}{EC_{50} + C}, \qquad
        E = E_0 + \frac{E_{max} C^\gamma}{EC_{50}^\gamma + C^\gamma}, \qquad
        E = E_0 \Big(1 - \frac{I_{max} C}{IC_{50} + C}\Big)

    (Emax, sigmoid Emax (Hill), Imax; Holford & Sheiner 1981, *Clin. Pharmacokinet.* 6,
    429-453; PopED's ``ff.PKPD.1.comp.sd.CL.emax`` and ``...imax`` library models). The
    Jacobian of the effect is :math:`\partial E/\partial\theta_{PK} = (dE/dC)\,
    \partial C/\partial\theta_{PK}` plus the PD derivatives; the Hill function is
    evaluated as :math:`\operatorname{expit}(\gamma \log(C/EC_{50}))`, stable for all
    ``C``, with :math:`dE/dC = E_{max}\gamma H(1-H)/C`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import LinkedPD, OneCompartment
    >>> m = LinkedPD(OneCompartment("bolus"), "emax")
    >>> m.param_names, m.responses
    (('CL', 'V', 'E0', 'EMAX', 'EC50'), ('conc', 'effect'))
    >>> np.round(m.predict([0.0, 0.0], [1.0, 10.0, 5.0, 20.0, 10.0], dose=100,
    ...                    response=["conc", "effect"]), 6)
    array([10., 15.])
    """

    responses = ("conc", "effect")

    def __init__(self, pk: StructuralModel, model: str = "emax"):
        if not isinstance(pk, StructuralModel):
            raise TypeError(f"pk must be a StructuralModel, got {type(pk).__name__}")
        check_choice(model, "model", tuple(_PD))
        clash = set(pk.param_names) & set(_PD[model])
        if clash:
            raise ValueError(f"pk parameter names clash with the PD parameters: {sorted(clash)}")
        self.pk, self.model = pk, model
        self.needs_dose = pk.needs_dose
        self.has_analytic_jacobian = pk.has_analytic_jacobian
        bounds = list(zip(pk.lower, pk.upper, strict=True)) + list(_PD_BOUNDS[model])
        super().__init__(pk.param_names + _PD[model], bounds)

    def __repr__(self) -> str:
        return f"LinkedPD({self.pk!r}, {self.model!r})"

    def check_dose(self, dose):
        return self.pk.check_dose(dose)

    def _prepare(self, t, theta, dose, response):
        t, theta, dose, resp = super()._prepare(t, theta, dose, response)
        self.pk._prepare(t, theta[: self.pk.n_params], dose, None)
        return t, theta, dose, resp

    def _effect(self, c, pd):
        """Effect (n,), dE/dC (n,) and dE/dpd (n, q)."""
        if self.model == "emax":
            e0, emax, ec50 = pd
            d = ec50 + c
            return (e0 + emax * c / d, emax * ec50 / d**2,
                    np.column_stack([np.ones_like(c), c / d, -emax * c / d**2]))
        if self.model == "imax":
            e0, imax, ic50 = pd
            d = ic50 + c
            h = c / d
            return (e0 * (1.0 - imax * h), -e0 * imax * ic50 / d**2,
                    np.column_stack([1.0 - imax * h, -e0 * h, e0 * imax * c / d**2]))
        e0, emax, ec50, gam = pd
        h, h1, lr = _hill(c, ec50, gam)
        gh = h * h1
        pos = c > 0
        at0 = np.inf if gam < 1 else (emax / ec50 if gam == 1 else 0.0)
        dedc = np.where(pos, emax * gam * gh / np.where(pos, c, 1.0), at0)
        return (e0 + emax * h, dedc,
                np.column_stack([np.ones_like(c), h, -emax * gh * gam / ec50, emax * gh * lr]))

    def _eval(self, t, theta, dose, resp, jac):
        p = self.pk.n_params
        c, Jc = self.pk._eval(t, theta[:p], dose, np.zeros_like(resp), jac)
        e, dedc, dpd = self._effect(c, theta[p:])
        is_e = resp == 1
        f = np.where(is_e, e, c)
        if not jac:
            return f, None
        J = np.zeros((t.size, self.n_params))
        J[:, :p] = np.where(is_e[:, None], dedc[:, None] * Jc, Jc)
        J[:, p:] = np.where(is_e[:, None], dpd, 0.0)
        return f, J


# -------------------------------------------------------------------------- user model
class UserModel(StructuralModel):
    r"""A user's structural model ``f(t, theta, dose)`` with an optional analytic Jacobian.

    Parameters
    ----------
    f : callable
        ``f(t, theta, dose)`` returning the (n,) prediction at the times ``t`` (n,),
        vectorised over ``t``; ``dose`` is passed through as given in the design.
    param_names : sequence of str
        Names of ``theta``.
    jacobian : callable, optional
        ``jacobian(t, theta, dose)`` returning ``df/dtheta`` (n, p). Without it the
        Jacobian is computed by Richardson-extrapolated central differences inside
        ``bounds`` (:func:`fisherstat._numdiff.jacobian`, error about ``eps^(4/5)``).
    bounds : sequence of (float, float), optional
        Open interval of each parameter (default: positive, as for PK parameters).
    needs_dose : bool
        Whether a missing dose is an error (default False).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import UserModel
    >>> m = UserModel(lambda t, th, dose: dose / th[1] * np.exp(-th[0] / th[1] * t),
    ...               ["CL", "V"], needs_dose=True)
    >>> np.round(m.jacobian([1.0], [1.0, 10.0], dose=100), 6)
    array([[-0.904837, -0.814354]])
    """

    def __init__(self, f: Callable, param_names: Sequence[str], jacobian: Callable | None = None,
                 *, bounds: Sequence[tuple] | None = None, needs_dose: bool = False):
        if not callable(f):
            raise TypeError(f"f must be callable: f(t, theta, dose) -> (n,), got {f!r}")
        if jacobian is not None and not callable(jacobian):
            raise TypeError(f"jacobian must be callable or None, got {jacobian!r}")
        names = (param_names,) if isinstance(param_names, str) else param_names
        b = [_POS] * len(names) if bounds is None and np.iterable(names) else bounds
        if not isinstance(needs_dose, (bool, np.bool_)):
            raise TypeError(f"needs_dose must be True or False, got {needs_dose!r}")
        super().__init__(names, b)  # checks the names and the bounds
        self.f, self.jac = f, jacobian
        self.needs_dose = bool(needs_dose)
        self.has_analytic_jacobian = jacobian is not None

    def check_dose(self, dose):
        if self.needs_dose and dose is None:
            raise ValueError("dose is missing: this model needs a dose")
        return dose

    def _eval(self, t, theta, dose, resp, jac):
        f = np.asarray(self.f(t, theta, dose), dtype=float)
        if not jac:
            return f, None
        if self.jac is not None:
            return f, np.asarray(self.jac(t, theta, dose), dtype=float)
        J = _numdiff.jacobian(lambda th: np.asarray(self.f(t, th, dose), dtype=float), theta,
                              self.lower, self.upper)
        return f, J
