r"""Library ODE models: linear compartments, Michaelis-Menten elimination, turnover and
effect-compartment PD models (all :class:`~fisherstat.models.ode.ODEModel`).

Every model writes its right-hand side and its two Jacobians by hand (no automatic
differentiation); states are amounts, the concentration is ``central / V``. Oral models
have a depot state (state 0) that receives the doses; optional lag time ``TLAG`` and
bioavailability ``F`` parameters are appended with ``lag=True`` / ``bioavailability=True``
(see :class:`~fisherstat.models.ode.ODEModel` for how they enter the sensitivities).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from .ode import ODEModel

__all__ = ["OneCompartmentODE", "TwoCompartmentODE", "OneCompartmentMM", "IndirectResponse",
           "EffectCompartmentEmax"]

_ROUTES = ("oral", "bolus", "infusion")
_POS = (0.0, np.inf)
_FREE = (-np.inf, np.inf)


def _pk_names(core, route, lag, bioavailability):
    check_choice(route, "route", _ROUTES)
    for v, what in ((lag, "lag"), (bioavailability, "bioavailability")):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{what} must be True or False, got {v!r}")
    return (core + (("KA",) if route == "oral" else ()) + (("TLAG",) if lag else ())
            + (("F",) if bioavailability else ()))


class _Split:
    """``rhs``, ``jac_x`` and ``jac_theta`` from one ``_all(t, x, theta)``, computed once per
    state (the integrator asks for the three at the same point)."""

    _last = None

    def _cached(self, t, x, th):
        last = self._last
        if last is None or last[0] != t or not np.array_equal(last[1], x) \
                or not np.array_equal(last[2], th):
            last = self._last = (t, np.array(x), np.array(th), self._all(t, x, th))
        return last[3]

    def _rhs(self, t, x, th):
        return self._cached(t, x, th)[0]

    def _jx(self, t, x, th):
        return self._cached(t, x, th)[1]

    def _jt(self, t, x, th):
        return self._cached(t, x, th)[2]


class _PK(_Split, ODEModel):
    """A PK model with an optional depot: states ``[depot,] central, ...``."""

    _core: tuple = ()
    _volume = "V"
    _n_disp = 1  # disposition states (central, peripheral, ...)

    def __init__(self, route="oral", *, lag=False, bioavailability=False, **options):
        names = _pk_names(self._core, route, lag, bioavailability)
        self.route = route
        self._o = 1 if route == "oral" else 0  # offset of the central state
        self._ka = names.index("KA") if route == "oral" else None
        super().__init__(self._rhs, names, self._o + self._n_disp, jac_x=self._jx,
                         jac_theta=self._jt, observe=(self._o, self._volume),
                         dose_state=0, lag="TLAG" if lag else None,
                         bioavailability="F" if bioavailability else None,
                         name=type(self).__name__, **options)

    def check_dose(self, dose):
        reg = super().check_dose(dose)
        if self.route != "infusion" and np.any(reg.durations > 0):
            raise ValueError(f"dose: infusion durations must be 0 for route={self.route!r} "
                             "(use route='infusion')")
        return reg

    # the absorption part, shared: depot -> central with rate KA
    def _absorb(self, x, th, dx, Jx, Jt):
        if self._ka is not None:
            ka = th[self._ka]
            dx[0] = -ka * x[0]
            dx[1] += ka * x[0]
            Jx[0, 0], Jx[1, 0] = -ka, ka
            Jt[0, self._ka], Jt[1, self._ka] = -x[0], x[0]

    def _all(self, t, x, th):
        s, p = self.n_states, self.n_params
        dx, Jx, Jt = np.zeros(s), np.zeros((s, s)), np.zeros((s, p))
        self._disposition(x, th, dx, Jx, Jt)
        self._absorb(x, th, dx, Jx, Jt)
        return dx, Jx, Jt

    def _disposition(self, x, th, dx, Jx, Jt):  # pragma: no cover - abstract
        raise NotImplementedError


class OneCompartmentODE(_PK):
    r"""One-compartment PK model with linear elimination, as an ODE (for validation and as
    the PK part of PD models).

    Parameters
    ----------
    route : {'oral', 'bolus', 'infusion'}
    lag, bioavailability : bool
        Append the parameters ``TLAG`` / ``F``.
    **options
        Integrator options of :class:`~fisherstat.models.ode.ODEModel` (``method``,
        ``rtol``, ``atol``, ``sensitivities``).

    Notes
    -----
    :math:`\dot A_c = k_a A_d - (CL/V) A_c`, :math:`\dot A_d = -k_a A_d` (oral),
    :math:`C = A_c / V`; its solution is :class:`~fisherstat.models.structural.OneCompartment`
    (Gibaldi & Perrier 1982, *Pharmacokinetics*, chapter 1).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import OneCompartmentODE
    >>> m = OneCompartmentODE("bolus", rtol=1e-10, atol=1e-12)
    >>> np.round(m.predict([0.0, 1.0], [1.0, 10.0], dose=100), 4)  # 10 exp(-t/10)
    array([10.    ,  9.0484])
    """

    _core = ("CL", "V")

    def _disposition(self, x, th, dx, Jx, Jt):
        o, (cl, v) = self._o, th[:2]
        a = x[o]
        dx[o] = -cl / v * a
        Jx[o, o] = -cl / v
        Jt[o, 0], Jt[o, 1] = -a / v, cl * a / v**2


class TwoCompartmentODE(_PK):
    r"""Two-compartment PK model (parameters ``CL, V1, Q, V2`` [``KA``]) as an ODE.

    Notes
    -----
    :math:`\dot A_1 = k_a A_d - (CL + Q) A_1/V_1 + Q A_2/V_2`,
    :math:`\dot A_2 = Q A_1/V_1 - Q A_2/V_2`, :math:`C = A_1/V_1`
    (Gibaldi & Perrier 1982, chapter 2); its solution is
    :class:`~fisherstat.models.structural.TwoCompartment`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import TwoCompartmentODE
    >>> m = TwoCompartmentODE("bolus")
    >>> float(np.round(m.predict([0.0], [2.0, 10.0, 3.0, 20.0], dose=100)[0], 8))  # D / V1
    10.0
    """

    _core = ("CL", "V1", "Q", "V2")
    _volume = "V1"
    _n_disp = 2

    def _disposition(self, x, th, dx, Jx, Jt):
        o = self._o
        cl, v1, q, v2 = th[:4]
        a1, a2 = x[o], x[o + 1]
        dx[o] = -(cl + q) / v1 * a1 + q / v2 * a2
        dx[o + 1] = q / v1 * a1 - q / v2 * a2
        Jx[o, o], Jx[o, o + 1] = -(cl + q) / v1, q / v2
        Jx[o + 1, o], Jx[o + 1, o + 1] = q / v1, -q / v2
        Jt[o, :4] = -a1 / v1, (cl + q) * a1 / v1**2, -a1 / v1 + a2 / v2, -q * a2 / v2**2
        Jt[o + 1, 1:4] = -q * a1 / v1**2, a1 / v1 - a2 / v2, q * a2 / v2**2


class OneCompartmentMM(_PK):
    r"""One-compartment PK model with Michaelis-Menten (saturable) elimination.

    Parameters: ``VMAX`` (amount/time), ``KM`` (concentration), ``V`` [, ``KA``]
    [, ``TLAG``] [, ``F``].

    Parameters
    ----------
    route : {'oral', 'bolus', 'infusion'}
    lag, bioavailability : bool
        Append the parameters ``TLAG`` / ``F``.
    **options
        Integrator options of :class:`~fisherstat.models.ode.ODEModel`.

    Notes
    -----
    .. math::

        \dot A_c = k_a A_d - \frac{V_{max} C}{K_m + C}, \qquad C = A_c / V

    (Gabrielsson & Weiner 2016, *Pharmacokinetic and Pharmacodynamic Data Analysis*, 5th
    ed., Swedish Pharmaceutical Press, section 2.6 on nonlinear kinetics; PopED's
    ``ff.PK.1.comp.oral.md.CL`` replaced by saturable elimination). Hand-derived
    Jacobian, with :math:`e = V_{max} C/(K_m + C)`: :math:`\partial e/\partial A_c =
    V_{max} K_m / (V (K_m + C)^2)`, :math:`\partial e/\partial V_{max} = C/(K_m + C)`,
    :math:`\partial e/\partial K_m = -e/(K_m + C)`, :math:`\partial e/\partial V =
    -C\,\partial e/\partial A_c`. For :math:`C \ll K_m` the elimination is linear with
    :math:`CL = V_{max}/K_m`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import OneCompartmentMM
    >>> m = OneCompartmentMM("oral")
    >>> m.param_names
    ('VMAX', 'KM', 'V', 'KA')
    >>> np.round(m.predict([1.0, 12.0, 48.0], [10.0, 2.0, 10.0, 1.0], dose=100), 3)
    array([5.738, 1.811, 0.   ])
    """

    _core = ("VMAX", "KM", "V")

    def _disposition(self, x, th, dx, Jx, Jt):
        o = self._o
        vmax, km, v = th[:3]
        c = x[o] / v
        d = km + c
        e = vmax * c / d
        dedc = vmax * km / d**2
        dx[o] = -e
        Jx[o, o] = -dedc / v
        Jt[o, :3] = -c / d, e / d, dedc * c / v


# -------------------------------------------------------------------- PD on an ODE PK
def _hyperbola(c, top, c50):
    """``h = top c / (c50 + c)`` and its derivatives in c, top, c50."""
    d = c50 + c
    h = top * c / d
    return h, top * c50 / d**2, c / d, -h / d


class _PDOnPK(_Split, ODEModel):
    """An ODE PK model with one PD state appended; responses ``('conc', 'effect')``."""

    _pd: tuple = ()

    def __init__(self, pk, name, **options):
        if not isinstance(pk, ODEModel):
            raise TypeError(f"pk must be an ODEModel (e.g. OneCompartmentODE('oral')), got "
                            f"{type(pk).__name__}")
        clash = set(pk.param_names) & set(self._pd)
        if clash:
            raise ValueError(f"pk parameter names clash with the PD parameters: {sorted(clash)}")
        self.pk = pk
        sp, pp = pk.n_states, pk.n_params
        self._sp, self._pp = sp, pp
        opts = dict(method=pk.method, rtol=pk.rtol, atol=pk.atol,
                    sensitivities=pk.sensitivities) | options
        lag = None if pk._lag is None else pk.param_names[pk._lag]
        f = None if pk._f is None else pk.param_names[pk._f]
        bounds = list(zip(pk.lower, pk.upper, strict=True)) + list(self._pd_bounds)
        super().__init__(self._rhs, pk.param_names + self._pd, sp + 1, jac_x=self._jx,
                         jac_theta=self._jt, observe=[self._conc, self._effect_obs],
                         responses=("conc", "effect"), x0=self._x0,
                         dose_state=pk.dose_state, infusion_state=pk.infusion_state,
                         lag=lag, bioavailability=f, bounds=bounds, name=name, **opts)

    def check_dose(self, dose):
        return self.pk.check_dose(dose)

    def _c(self, x, th):
        """The PK concentration (scalar) and its derivatives (sp,), (pp,)."""
        y, gx, gt = self.pk._obs[0](x[None, : self._sp], th[: self._pp])
        return y[0], gx[0], gt[0]

    def _all(self, t, x, th):
        sp, pp = self._sp, self._pp
        s, p = self.n_states, self.n_params
        dx, Jx, Jt = np.zeros(s), np.zeros((s, s)), np.zeros((s, p))
        xp, tp = x[:sp], th[:pp]
        pk = self.pk
        dx[:sp] = pk.rhs(t, xp, tp)
        Jx[:sp, :sp] = pk.jac_x(t, xp, tp)
        Jt[:sp, :pp] = pk.jac_theta(t, xp, tp)
        c, cx, ct = self._c(x, th)
        g, gc, gr, gq = self._pd_rate(c, x[sp], th[pp:])
        dx[sp] = g
        Jx[sp, :sp], Jx[sp, sp] = gc * cx, gr
        Jt[sp, :pp], Jt[sp, pp:] = gc * ct, gq
        return dx, Jx, Jt

    def _conc(self, X, th):
        y, gx, gt = self.pk._obs[0](X[:, : self._sp], th[: self._pp])
        n = X.shape[0]
        return (y, np.hstack([gx, np.zeros((n, 1))]),
                np.hstack([gt, np.zeros((n, len(self._pd)))]))

    def _effect_obs(self, X, th):
        e, er, eq = self._effect(X[:, self._sp], th[self._pp:])
        n = X.shape[0]
        gx = np.zeros((n, self.n_states))
        gx[:, self._sp] = er
        gt = np.zeros((n, self.n_params))
        gt[:, self._pp:] = eq
        return e, gx, gt

    def _x0(self, th):
        x, S = (np.zeros(self._sp), np.zeros((self._sp, self._pp))) if self.pk.x0 is None \
            else self.pk.x0(th[: self._pp])
        r0, dr0 = self._r0(th[self._pp:])
        x0 = np.append(x, r0)
        dx0 = np.zeros((self.n_states, self.n_params))
        dx0[: self._sp, : self._pp] = S
        dx0[self._sp, self._pp:] = dr0
        return x0, dx0


class IndirectResponse(_PDOnPK):
    r"""Indirect-response (turnover) models I-IV driven by the concentration of an ODE PK
    model.

    Parameters
    ----------
    kind : {1, 2, 3, 4}
        I: inhibition of production, II: inhibition of loss, III: stimulation of
        production, IV: stimulation of loss.
    pk : ODEModel
        The PK model (e.g. ``OneCompartmentODE('oral')``); its first response is the
        concentration ``C``. Its parameters come first, followed by ``KIN, KOUT, IMAX,
        IC50`` (I, II) or ``KIN, KOUT, EMAX, EC50`` (III, IV).
    **options
        Integrator options (default: those of ``pk``).

    Notes
    -----
    With :math:`H(C) = 1 - I_{max} C/(IC_{50} + C)` (I, II) or :math:`1 + E_{max} C /
    (EC_{50} + C)` (III, IV), the response :math:`R` follows (Dayneka, Garg & Jusko 1993,
    *J. Pharmacokinet. Biopharm.* 21, 457-478)

    .. math::

        \text{I, III: } \dot R = k_{in} H(C) - k_{out} R, \qquad
        \text{II, IV: } \dot R = k_{in} - k_{out} H(C) R,

    from the baseline :math:`R(0) = k_{in}/k_{out}`. Responses ``('conc', 'effect')``
    (the effect is :math:`R`). At a constant concentration :math:`C` the response tends to
    :math:`k_{in} H(C) / k_{out}` (I, III) or :math:`k_{in} / (k_{out} H(C))` (II, IV).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import IndirectResponse, OneCompartmentODE
    >>> m = IndirectResponse(1, OneCompartmentODE("bolus"))
    >>> m.param_names
    ('CL', 'V', 'KIN', 'KOUT', 'IMAX', 'IC50')
    >>> np.round(m.predict([0.0, 5.0], [1.0, 10.0, 10.0, 0.5, 0.9, 2.0], dose=100,
    ...                    response="effect"), 4)  # baseline KIN / KOUT = 20
    array([20.    ,  7.1275])
    """

    def __init__(self, kind: int, pk: ODEModel, **options):
        kind = check_int(kind, "kind", low=1, high=4)
        self.kind, self._pd_bounds = kind, [_POS] * 4
        self._pd = (("KIN", "KOUT", "IMAX", "IC50") if kind <= 2 else
                    ("KIN", "KOUT", "EMAX", "EC50"))
        super().__init__(pk, f"IndirectResponse{('I', 'II', 'III', 'IV')[kind - 1]}",
                         **options)

    def __repr__(self) -> str:
        return f"IndirectResponse({self.kind}, {self.pk!r})"

    def _pd_rate(self, c, r, q):
        kin, kout, top, c50 = q
        h, hc, htop, hc50 = _hyperbola(c, top, c50)
        sg = -1.0 if self.kind <= 2 else 1.0
        H = 1.0 + sg * h
        if self.kind in (1, 3):  # on production
            return (kin * H - kout * r, kin * sg * hc, -kout,
                    np.array([H, -r, kin * sg * htop, kin * sg * hc50]))
        return (kin - kout * H * r, -kout * r * sg * hc, -kout * H,
                np.array([1.0, -H * r, -kout * r * sg * htop, -kout * r * sg * hc50]))

    def _effect(self, r, q):
        n = r.size
        return r, np.ones(n), np.zeros((n, 4))

    def _r0(self, q):
        kin, kout = q[:2]
        return kin / kout, np.array([1.0 / kout, -kin / kout**2, 0.0, 0.0])


class EffectCompartmentEmax(_PDOnPK):
    r"""Effect-compartment (link) model with an Emax effect, on an ODE PK model.

    Parameters
    ----------
    pk : ODEModel
        The PK model; its parameters come first, followed by ``KE0, E0, EMAX, EC50``.
    **options
        Integrator options (default: those of ``pk``).

    Notes
    -----
    .. math::

        \dot C_e = k_{e0} (C - C_e), \quad C_e(0) = 0, \qquad
        E = E_0 + \frac{E_{max} C_e}{EC_{50} + C_e}

    (Sheiner, Stanski, Vozeh, Miller & Ham 1979, *Clin. Pharmacol. Ther.* 25, 358-371).
    Responses ``('conc', 'effect')``. After a bolus into a one-compartment model,
    :math:`C_e = \frac{D}{V}\frac{k_{e0}}{k_{e0} - k}(e^{-k t} - e^{-k_{e0} t})`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import EffectCompartmentEmax, OneCompartmentODE
    >>> m = EffectCompartmentEmax(OneCompartmentODE("bolus"))
    >>> m.param_names
    ('CL', 'V', 'KE0', 'E0', 'EMAX', 'EC50')
    >>> np.round(m.predict([0.0, 2.0], [1.0, 10.0, 0.5, 5.0, 20.0, 4.0], dose=100,
    ...                    response="effect"), 4)
    array([ 5.    , 16.6975])
    """

    _pd = ("KE0", "E0", "EMAX", "EC50")
    _pd_bounds = (_POS, _FREE, _FREE, _POS)

    def __init__(self, pk: ODEModel, **options):
        super().__init__(pk, "EffectCompartmentEmax", **options)

    def __repr__(self) -> str:
        return f"EffectCompartmentEmax({self.pk!r})"

    def _pd_rate(self, c, r, q):
        ke0 = q[0]
        return ke0 * (c - r), ke0, -ke0, np.array([c - r, 0.0, 0.0, 0.0])

    def _effect(self, ce, q):
        _, e0, emax, ec50 = q
        h, hc, htop, hc50 = _hyperbola(ce, emax, ec50)
        n = ce.size
        return e0 + h, hc, np.column_stack([np.zeros(n), np.ones(n), htop, hc50])

    def _r0(self, q):
        return 0.0, np.zeros(4)
