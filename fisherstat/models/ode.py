r"""Structural models given by ordinary differential equations, with forward sensitivities.

An :class:`ODEModel` is a structural model whose states :math:`x(t) \in \mathbb{R}^s`
(amounts in compartments, a response, ...) follow

.. math::

    \dot x = r(t, x, \theta) + u(t), \qquad x(0) = x_0(\theta),

where :math:`r` is the user's right-hand side and :math:`u` the input rate of the running
infusions, and whose predictions are an observation :math:`y = g(x, \theta)` (e.g. the
concentration :math:`x_c / V`). Doses come from a :class:`~fisherstat.models.structural.Regimen`:
a bolus (duration 0) adds :math:`F D` to the dosed state at the dose time (an oral dose is
a bolus into a depot state), an infusion adds the rate :math:`F D / T` to the infusion
state on :math:`[t_d, t_d + T)`; with a lag time every dose time is shifted to
:math:`\tau = t_d + t_{lag}`.

**Forward sensitivities.** The Jacobian of the predictions comes from the sensitivities
:math:`S = \partial x / \partial\theta` (s, p), which obey the variational equations
(Hairer, Norsett & Wanner 1993, *Solving Ordinary Differential Equations I*, 2nd ed.,
Springer, section I.14)

.. math::

    \dot S = J_x(t, x, \theta)\, S + J_\theta(t, x, \theta) + \partial u / \partial\theta,
    \qquad S(0) = \partial x_0 / \partial\theta,

with the user's hand-derived :math:`J_x = \partial r/\partial x` (s, s) and
:math:`J_\theta = \partial r/\partial\theta` (s, p). States and sensitivities are
integrated together, :math:`s (1 + p)` equations, in one ``scipy.integrate.solve_ivp``
call per interval between dosing events (with error control on both), and

.. math::

    \frac{\partial y}{\partial\theta} = \frac{\partial g}{\partial x} S +
    \frac{\partial g}{\partial\theta}.

**Jumps at events.** At an event time :math:`\tau(\theta)` where the state jumps,
:math:`x(\tau^+) = x(\tau^-) + \Delta(\theta)`, and/or the vector field changes (an
infusion starts or stops), differentiating :math:`x(\tau^+)` along the moving event time
gives the jump condition of the sensitivities (Rozenvasser 1967, *Automation and Remote
Control* 28, 400-412; Hindmarsh & Serban, *CVODES user guide*, section on
discontinuities)

.. math::

    S(\tau^+) = S(\tau^-) + \frac{\partial\Delta}{\partial\theta} +
    \big(\dot x(\tau^-) - \dot x(\tau^+)\big) \frac{\partial\tau}{\partial\theta}:

the bolus :math:`\Delta = F D e_k` gives :math:`\partial\Delta/\partial F = D e_k`; with a
lag time :math:`\partial\tau/\partial t_{lag} = 1`, so the column of :math:`t_{lag}`
receives the jump of the vector field (for a bolus into the depot of a one-compartment
oral model :math:`-k_a F D` in the depot and :math:`+k_a F D` in the central state,
i.e. :math:`\partial C/\partial t_{lag} = -\dot C`, as it must for a pure time shift).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence

import numpy as np
from scipy.integrate import solve_ivp

from .. import _numdiff
from .._validation import check_choice, check_int, check_scalar
from .structural import StructuralModel, as_regimen

__all__ = ["ODEModel", "ODE_METHODS", "SENSITIVITIES"]

ODE_METHODS = ("LSODA", "BDF", "Radau", "RK45", "DOP853", "RK23")
SENSITIVITIES = ("forward", "finite_differences")
_IMPLICIT = ("LSODA", "BDF", "Radau")
_POS = (0.0, np.inf)
#: Right-hand-side evaluations allowed per interval between events before giving up (an
#: explicit method on a stiff system, or a solution that escapes to infinity).
MAX_EVALUATIONS = 500_000


class _Diverged(Exception):
    """Raised inside the integrator's right-hand side; turned into a named ValueError."""


def _observation(spec, s: int, names: tuple, where: str) -> Callable:
    """The observation ``obs(X, theta) -> (y (n,), dy/dx (n, s), dy/dtheta (n, p))``."""
    p = len(names)
    if isinstance(spec, (numbers.Integral, np.integer)) and not isinstance(spec, bool):
        k = check_int(spec, where, low=0, high=s - 1)

        def amount(X, theta):
            n = X.shape[0]
            gx = np.zeros((n, s))
            gx[:, k] = 1.0
            return X[:, k], gx, np.zeros((n, p))

        return amount
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str):
        k = check_int(spec[0], where, low=0, high=s - 1)
        if spec[1] not in names:
            raise ValueError(f"{where}: the volume {spec[1]!r} is not a parameter; expected one "
                             f"of {names}")
        j = names.index(spec[1])

        def concentration(X, theta):
            n, v = X.shape[0], theta[j]
            gx = np.zeros((n, s))
            gx[:, k] = 1.0 / v
            gt = np.zeros((n, p))
            gt[:, j] = -X[:, k] / v**2
            return X[:, k] / v, gx, gt

        return concentration
    if callable(spec):
        def user(X, theta):
            out = spec(X, theta)
            if not (isinstance(out, tuple) and len(out) == 3):
                raise ValueError(f"{where} must return (y, dy_dx, dy_dtheta), got "
                                 f"{type(out).__name__}")
            n = X.shape[0]
            y, gx, gt = (np.asarray(a, dtype=float) for a in out)
            for a, shape, what in ((y, (n,), "y"), (gx, (n, s), "dy_dx"),
                                   (gt, (n, p), "dy_dtheta")):
                if a.shape != shape:
                    raise ValueError(f"{where}: {what} has shape {a.shape}; expected {shape}")
            return y, gx, gt

        return user
    raise TypeError(f"{where} must be a state index, a (state index, volume name) pair or a "
                    f"callable observe(x, theta) -> (y, dy_dx, dy_dtheta), got {spec!r}")


class ODEModel(StructuralModel):
    r"""A structural model ``dx/dt = rhs(t, x, theta) + input`` with forward sensitivities.

    Parameters
    ----------
    rhs : callable
        ``rhs(t, x, theta)`` returning ``dx/dt`` (s,) for the state ``x`` (s,) (without the
        infusion input, which the model adds).
    param_names : sequence of str
        Names of ``theta`` (p,).
    n_states : int
        Number of states ``s``.
    jac_x, jac_theta : callable
        ``jac_x(t, x, theta)`` (s, s) and ``jac_theta(t, x, theta)`` (s, p): the
        hand-derived Jacobians of ``rhs`` (no automatic differentiation). Required for
        ``sensitivities='forward'``; with ``'finite_differences'`` they may be None.
    observe : int, (int, str), callable, or a list of them
        The observation of each response: a state index (the state itself, e.g. an
        effect), ``(k, "V")`` (state ``k`` divided by the parameter ``V``: a
        concentration), or ``observe(X, theta)`` for the states ``X`` (n, s) returning
        ``(y (n,), dy_dx (n, s), dy_dtheta (n, p))``. A list gives one per response.
    responses : sequence of str
        Names of the responses (default ``('conc',)``; one per entry of ``observe``).
    x0 : callable, optional
        ``x0(theta)`` returning the state at time 0 (s,) and its derivative (s, p)
        (default zeros: no drug before the first dose). Time 0 is the start of the
        integration, so every dose and sample is at ``t >= 0``.
    dose_state : int
        The state that receives a bolus (duration 0): the central compartment, or the
        depot of a model with first-order absorption.
    infusion_state : int, optional
        The state that receives infusions (doses of positive duration); default
        ``dose_state``.
    lag : str, optional
        Name of the lag-time parameter: every dose is given at ``t_d + theta[lag]``.
    bioavailability : str, optional
        Name of the bioavailability parameter ``F``: every dose amount is ``F D``.
    bounds : sequence of (float, float), optional
        Open interval of each parameter (default: positive).
    method : {'LSODA', 'BDF', 'Radau', 'RK45', 'DOP853', 'RK23'}
        Integrator of ``scipy.integrate.solve_ivp``: ``'LSODA'`` (default; switches
        between non-stiff and stiff automatically), ``'BDF'``/``'Radau'`` (stiff), or the
        explicit Runge-Kutta methods (non-stiff). Implicit methods receive the
        block-diagonal Jacobian ``I (x) J_x`` of the augmented system.
    rtol, atol : float
        Tolerances of the integrator, applied to the states and the sensitivities.
        The error of a prediction is then of order ``rtol`` relative (plus ``atol``).
    sensitivities : {'forward', 'finite_differences'}
        How the Jacobian is computed: forward sensitivity equations (default), or
        Richardson-extrapolated central differences of the ODE solution
        (:func:`fisherstat._numdiff.jacobian`, ``4 p`` extra solves, error about
        ``rtol / h`` with the step ``h ~ eps^(1/5)``: for comparison).
    name : str
        Name used in messages and ``repr``.

    Notes
    -----
    See the module documentation for the sensitivity equations and their jumps at doses.
    Samples taken at an event time see the state after the event (as the closed-form
    models: a bolus at ``t_d`` counts at ``t = t_d``). A steady-state ``Regimen``
    (``tau``) is refused: give the doses explicitly (``Regimen.repeated``). An integration
    that fails or gives non-finite states raises ``ValueError`` naming the model and the
    time reached.

    Examples
    --------
    One-compartment model with first-order absorption (states: depot, central), the PopED
    warfarin values; the closed form gives 7.3822 at t = 2:

    >>> import numpy as np
    >>> from fisherstat.pkpd import ODEModel
    >>> def rhs(t, x, th):
    ...     cl, v, ka = th
    ...     return np.array([-ka * x[0], ka * x[0] - cl / v * x[1]])
    >>> def jac_x(t, x, th):
    ...     cl, v, ka = th
    ...     return np.array([[-ka, 0.0], [ka, -cl / v]])
    >>> def jac_theta(t, x, th):
    ...     cl, v, ka = th
    ...     return np.array([[0.0, 0.0, -x[0]],
    ...                      [-x[1] / v, cl * x[1] / v**2, x[0]]])
    >>> m = ODEModel(rhs, ["CL", "V", "KA"], 2, jac_x=jac_x, jac_theta=jac_theta,
    ...              observe=(1, "V"), rtol=1e-10, atol=1e-12)
    >>> np.round(m.predict([2.0, 24.0], [0.15, 8.0, 1.0], dose=70), 4)
    array([7.3822, 5.6859])
    >>> m.jacobian([2.0], [0.15, 8.0, 1.0], dose=70).shape
    (1, 3)
    """

    def __init__(self, rhs: Callable, param_names: Sequence[str], n_states: int, *,
                 jac_x: Callable | None, jac_theta: Callable | None, observe=0,
                 responses: Sequence[str] = ("conc",), x0: Callable | None = None,
                 dose_state: int = 0, infusion_state: int | None = None,
                 lag: str | None = None, bioavailability: str | None = None,
                 bounds: Sequence[tuple] | None = None, method: str = "LSODA",
                 rtol: float = 1e-8, atol: float = 1e-10, sensitivities: str = "forward",
                 name: str = "ODEModel"):
        if not callable(rhs):
            raise TypeError(f"rhs must be callable: rhs(t, x, theta) -> (s,), got {rhs!r}")
        names = (param_names,) if isinstance(param_names, str) else param_names
        b = [_POS] * len(names) if bounds is None and np.iterable(names) else bounds
        super().__init__(names, b)
        names = self.param_names
        s = check_int(n_states, "n_states", low=1)
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        for fn, what in ((jac_x, "jac_x"), (jac_theta, "jac_theta"), (x0, "x0")):
            if fn is not None and not callable(fn):
                raise TypeError(f"{what} must be callable or None, got {fn!r}")
        if not (isinstance(responses, str) or np.iterable(responses)):
            raise TypeError(f"responses must be a sequence of names, got {responses!r}")
        resp = (responses,) if isinstance(responses, str) else tuple(responses)
        specs = list(observe) if isinstance(observe, list) else [observe]
        if len(specs) != len(resp) or not all(isinstance(r, str) and r for r in resp):
            raise ValueError(f"responses must be {len(specs)} non-empty names (one per "
                             f"observation in observe), got {resp!r}")
        self._obs = [_observation(o, s, names, "observe" if len(specs) == 1 else
                                  f"observe[{i}]") for i, o in enumerate(specs)]
        self.responses = resp
        self.rhs, self.jac_x, self.jac_theta, self.x0 = rhs, jac_x, jac_theta, x0
        self.n_states, self.name = s, name
        self.dose_state = check_int(dose_state, "dose_state", low=0, high=s - 1)
        self.infusion_state = (self.dose_state if infusion_state is None else
                               check_int(infusion_state, "infusion_state", low=0, high=s - 1))
        self._lag = self._param_index(lag, "lag")
        self._f = self._param_index(bioavailability, "bioavailability")
        self._set_options(method, rtol, atol, sensitivities)

    def _param_index(self, pname, what):
        if pname is None:
            return None
        if pname not in self.param_names:
            raise ValueError(f"{what}: {pname!r} is not a parameter; expected one of "
                             f"{self.param_names}")
        return self.param_names.index(pname)

    def _set_options(self, method, rtol, atol, sensitivities):
        self.method = check_choice(method, "method", ODE_METHODS)
        self.rtol = check_scalar(rtol, "rtol", low=0, high=1)
        self.atol = check_scalar(atol, "atol", low=0)
        self.sensitivities = check_choice(sensitivities, "sensitivities", SENSITIVITIES)
        if self.sensitivities == "forward" and (self.jac_x is None or self.jac_theta is None):
            raise ValueError("jac_x and jac_theta must be given (callables) for "
                             "sensitivities='forward' (or use "
                             "sensitivities='finite_differences')")
        self.has_analytic_jacobian = self.sensitivities == "forward"

    def with_options(self, *, method: str | None = None, rtol: float | None = None,
                     atol: float | None = None, sensitivities: str | None = None) -> ODEModel:
        """A copy with other integrator options (the model itself is unchanged).

        Examples
        --------
        >>> from fisherstat.pkpd import OneCompartmentMM
        >>> m = OneCompartmentMM("bolus").with_options(method="BDF", rtol=1e-6)
        >>> m.method, m.rtol
        ('BDF', 1e-06)
        """
        new = copy.copy(self)
        new._set_options(self.method if method is None else method,
                         self.rtol if rtol is None else rtol,
                         self.atol if atol is None else atol,
                         self.sensitivities if sensitivities is None else sensitivities)
        return new

    def __repr__(self) -> str:
        return (f"{self.name}({', '.join(self.param_names)}; method={self.method!r}, "
                f"rtol={self.rtol:g}, sensitivities={self.sensitivities!r})")

    def check_dose(self, dose):
        reg = as_regimen(dose)
        if reg.tau is not None:
            raise ValueError(f"dose: a steady-state Regimen (tau = {reg.tau:g}) is not "
                             f"supported by the ODE model {self.name}; give the doses "
                             "explicitly, e.g. Regimen.repeated(amount, tau, n_doses)")
        return reg

    # ------------------------------------------------------------ evaluation
    def _eval(self, t, theta, reg, resp, jac):
        forward = jac and self.sensitivities == "forward"
        f, J = self._predict(t, theta, reg, resp, forward)
        if jac and not forward:
            J = _numdiff.jacobian(lambda th: self._predict(t, th, reg, resp, False)[0],
                                  theta, self.lower, self.upper)
        return f, J

    def _predict(self, t, theta, reg, resp, sens):
        uniq, inv = np.unique(t, return_inverse=True)
        X, S = self._solve(uniq, theta, reg, sens)
        f = np.empty(t.size)
        J = np.empty((t.size, self.n_params)) if sens else None
        for k, obs in enumerate(self._obs):  # loop over responses
            m = resp == k
            if not m.any():
                continue
            idx = inv[m]
            y, gx, gt = obs(X[idx], theta)
            f[m] = y
            if sens:
                J[m] = np.einsum("ns,nsp->np", gx, S[idx]) + gt
        return f, J

    def _initial(self, theta, sens):
        s, p = self.n_states, self.n_params
        if self.x0 is None:
            x, S = np.zeros(s), np.zeros((s, p))
        else:
            out = self.x0(theta)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ValueError("x0 must return (x0 (s,), dx0_dtheta (s, p))")
            x, S = (np.asarray(a, dtype=float) for a in out)
            if x.shape != (s,) or S.shape != (s, p):
                raise ValueError(f"x0 must return shapes {(s,)} and {(s, p)}, got {x.shape} "
                                 f"and {S.shape}")
        fx = np.asarray(self.rhs(0.0, x, theta), dtype=float)
        if fx.shape != (s,):
            raise ValueError(f"rhs must return shape {(s,)} (one rate per state), got "
                             f"{fx.shape}")
        if sens:
            for fn, shape, what in ((self.jac_x, (s, s), "jac_x"),
                                    (self.jac_theta, (s, p), "jac_theta")):
                a = np.asarray(fn(0.0, x, theta), dtype=float)
                if a.shape != shape:
                    raise ValueError(f"{what} must return shape {shape}, got {a.shape}")
        return x.copy(), S.copy()

    def _events(self, theta, reg):
        """Event times (E,), state jumps (E, s) and input-rate changes (E, s), each with
        its derivative with respect to F (per unit F), sorted and merged by time."""
        s = self.n_states
        lag = theta[self._lag] if self._lag is not None else 0.0
        F = theta[self._f] if self._f is not None else 1.0
        D, T = reg.amounts, reg.durations
        tau = reg.times + lag
        bol, inf = T == 0, T > 0
        rate = np.where(inf, D / np.where(inf, T, 1.0), 0.0)
        times = np.concatenate([tau[bol], tau[inf], (tau + T)[inf]])
        jump = np.zeros((times.size, s))
        drate = np.zeros((times.size, s))
        nb, ni = int(bol.sum()), int(inf.sum())
        jump[:nb, self.dose_state] = D[bol]
        drate[nb:nb + ni, self.infusion_state] = rate[inf]
        drate[nb + ni:, self.infusion_state] = -rate[inf]
        ut, where = np.unique(times, return_inverse=True)
        J, R = np.zeros((ut.size, s)), np.zeros((ut.size, s))
        np.add.at(J, where, jump)
        np.add.at(R, where, drate)
        return ut, F * J, J, F * R, R  # values and d/dF

    def _solve(self, times, theta, reg, sens):
        """States (n, s) and sensitivities (n, s, p) at the sorted distinct ``times``."""
        s, p = self.n_states, self.n_params
        x, S = self._initial(theta, sens)
        ev_t, jump, djump, drate, ddrate = self._events(theta, reg)
        X = np.empty((times.size, s))
        SS = np.empty((times.size, s, p)) if sens else None
        u, du = np.zeros(s), np.zeros((s, p))
        tc, lo = 0.0, 0
        for i, te in enumerate(ev_t):  # loop over dosing events
            if te > times[-1]:
                break
            hi = int(np.searchsorted(times, te, side="left"))
            x, S = self._segment(tc, te, x, S, u, du, theta, times[lo:hi], X[lo:hi],
                                 None if SS is None else SS[lo:hi])
            lo = hi
            if sens and self._lag is not None:
                before = np.asarray(self.rhs(te, x, theta), dtype=float) + u
            x = x + jump[i]
            u = u + drate[i]
            if sens:
                if self._f is not None:
                    S[:, self._f] += djump[i]
                    du[:, self._f] += ddrate[i]
                if self._lag is not None:
                    after = np.asarray(self.rhs(te, x, theta), dtype=float) + u
                    S[:, self._lag] += before - after
            tc = te
        self._segment(tc, times[-1], x, S, u, du, theta, times[lo:], X[lo:],
                      None if SS is None else SS[lo:], last=True)
        return X, SS

    def _segment(self, t0, t1, x, S, u, du, theta, samples, Xout, Sout, last=False):
        """Integrate from ``t0`` to ``t1``, writing the samples in [t0, t1) (and t1 if
        ``last``); return the state and sensitivities at ``t1``."""
        s, p = self.n_states, self.n_params
        sens = Sout is not None
        if t1 <= t0:
            Xout[:] = x
            if sens:
                Sout[:] = S
            return x, S
        y0 = np.concatenate([x, S.T.ravel()]) if sens else x
        reached = [t0]
        rhs, jx, jt = self.rhs, self.jac_x, self.jac_theta

        count = [0]

        def guard(t, dy):
            count[0] += 1
            reached[0] = t
            if not np.all(np.isfinite(dy)):
                raise _Diverged("the right-hand side (or its Jacobian) is not finite")
            if count[0] > MAX_EVALUATIONS:
                raise _Diverged(f"more than {MAX_EVALUATIONS} right-hand-side evaluations "
                                "(a stiff system needs method='LSODA', 'BDF' or 'Radau')")
            return dy

        if sens:
            def fun(t, y):
                xx, Sm = y[:s], y[s:].reshape(p, s).T
                ds = np.asarray(jx(t, xx, theta)) @ Sm + np.asarray(jt(t, xx, theta)) + du
                return guard(t, np.concatenate([rhs(t, xx, theta) + u, ds.T.ravel()]))

            def jac(t, y):
                return np.kron(np.eye(p + 1), np.asarray(jx(t, y[:s], theta)))
        else:
            def fun(t, y):
                return guard(t, np.asarray(rhs(t, y, theta), dtype=float) + u)

            def jac(t, y):
                return np.asarray(jx(t, y, theta))

        t_eval = samples if (last and samples.size) else np.append(samples, t1)
        kw = {"jac": jac} if self.method in _IMPLICIT and jx is not None else {}
        try:
            sol = solve_ivp(fun, (t0, t1), y0, method=self.method, t_eval=t_eval,
                            rtol=self.rtol, atol=self.atol, **kw)
        except _Diverged as exc:
            raise ValueError(f"{self.name}: the ODE integration failed at t = "
                             f"{reached[0]:.6g} (integrating from {t0:g} to {t1:g}; theta = "
                             f"{theta.tolist()}): {exc}") from None
        if sol.status < 0 or sol.y.shape[1] != t_eval.size or not np.all(np.isfinite(sol.y)):
            bad = ~np.all(np.isfinite(sol.y), axis=0)
            at = sol.t[np.argmax(bad)] if bad.any() else reached[0]
            why = sol.message if sol.status < 0 else "the solution is not finite"
            raise ValueError(f"{self.name}: the ODE integration failed at t = {at:.6g} "
                             f"(integrating from {t0:g} to {t1:g}; theta = "
                             f"{theta.tolist()}): {why}")
        k = samples.size
        Xout[:] = sol.y[:s, :k].T
        if sens:
            Sout[:] = sol.y[s:, :k].T.reshape(k, p, s).transpose(0, 2, 1)
        yend = sol.y[:, -1]
        return yend[:s].copy(), (yend[s:].reshape(p, s).T.copy() if sens else S)
