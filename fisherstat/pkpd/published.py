r"""Published example designs of the reference tools, as fisherstat models.

:func:`hcv_example` is the hepatitis C viral-dynamics example of the software comparison of
Nyberg et al. (2015, "Methods and software tools for design evaluation in population
pharmacokinetics-pharmacodynamics studies", *Br. J. Clin. Pharmacol.* 79, 6-17; online
2014), which
PFIM, PopED, PkStaMp, PopDes and POPT evaluated: weekly one-day infusions of
peginterferon (one-compartment PK with first-order transfer from an infusion compartment)
driving the viral-dynamics model of Neumann et al. (1998, *Science* 282, 103-107) through
a sigmoid inhibition of viral production,

.. math::

    \dot A_1 &= -k_a A_1 + u(t), \qquad \dot A_2 = k_a A_1 - k_e A_2, \qquad
    C = A_2 / V_d, \\
    \dot T &= s - T (e V + d), \qquad \dot I = e T V - \delta I, \qquad
    \dot V = p \Big(1 - \frac{C^n}{C^n + EC_{50}^n}\Big) I - c V,

started at the pre-treatment steady state :math:`T_0 = c\delta/(pe)`,
:math:`I_0 = s/\delta - dc/(pe)`, :math:`V_0 = sp/(c\delta) - d/e`; responses the
concentration :math:`C` and :math:`\log_{10} V`, each with an additive error of variance
0.04. The ODE model (:class:`~fisherstat.models.ode.ODEModel`) has hand-derived
Jacobians, so the population FIM uses the forward sensitivities.

The published values (PopED's ``ex.10.PKPD.HCV.compiled.R`` prints them with the
reference): the D-criterion :math:`\det(M)^{1/16}` of the FIM in PopED's log-scale fixed
effects is 248.8 (reduced FIM) and 318.2 (full FIM), and the RSE% of the 16 parameters
(fixed effects on the natural scale) are listed in :data:`HCV_REFERENCE`.
"""

from __future__ import annotations

import numpy as np

from .._special import hill
from .._validation import check_scalar

__all__ = ["hcv_example", "HCV_REFERENCE"]

_HCV_NAMES = ("p", "d", "e", "s", "KA", "KE", "VD", "EC50", "n", "delta", "c")

#: The published results of the HCV example (Nyberg et al. 2015, as printed by PopED's
#: ``ex.10.PKPD.HCV.compiled.R``): ``crit`` = det(FIM)^(1/16) with PopED's log-scale fixed
#: effects, ``rse`` the RSE% of (KA, KE, VD, EC50, n, delta, c, their 7 variances, the 2
#: residual variances).
HCV_REFERENCE = {
    "reduced": {"crit": 248.8, "rse": (12.1, 10.5, 10.0, 15.8, 10.4, 9.4, 11.0, 40.0, 30.8,
                                       28.8, 60.4, 28.8, 27.2, 32.8, 8.5, 9.0)},
    "full": {"crit": 318.2, "rse": (8.6, 6.9, 8.4, 13.5, 7.5, 8.5, 8.7, 43.2, 37.2, 33.2,
                                    66.4, 32.8, 31.6, 33.6, 8.5, 9.3)},
}


def _hill(C, E, n):
    """``H = C^n / (C^n + E^n)`` and ``dH/dC``, ``dH/dE``, ``dH/dn`` at a concentration
    ``C >= 0`` (the package's stable Hill function; ``dH/dC`` at 0 is its limit)."""
    H, H1, lr = (float(a) for a in hill(C, E, n))
    g = H * H1  # dH / d(n log(C/E))
    dHdC = n * g / C if C > 0 else (1.0 / E if n == 1 else (0.0 if n > 1 else np.inf))
    return H, dHdC, -n * g / E, g * lr


def _rhs(t, x, th):
    p, d, e, s, ka, ke, vd, ec50, n, delta, c = th
    H = _hill(x[1] / vd, ec50, n)[0]
    return np.array([-ka * x[0], ka * x[0] - ke * x[1], s - x[2] * (e * x[4] + d),
                     e * x[2] * x[4] - delta * x[3], p * (1 - H) * x[3] - c * x[4]])


def _jac_x(t, x, th):
    p, d, e, s, ka, ke, vd, ec50, n, delta, c = th
    H, dHdC, _, _ = _hill(x[1] / vd, ec50, n)
    J = np.zeros((5, 5))
    J[0, 0] = -ka
    J[1, 0], J[1, 1] = ka, -ke
    J[2, 2], J[2, 4] = -(e * x[4] + d), -e * x[2]
    J[3, 2], J[3, 3], J[3, 4] = e * x[4], -delta, e * x[2]
    J[4, 1], J[4, 3], J[4, 4] = -p * x[3] * dHdC / vd, p * (1 - H), -c
    return J


def _jac_theta(t, x, th):
    p, d, e, s, ka, ke, vd, ec50, n, delta, c = th
    C = x[1] / vd
    H, dHdC, dHdE, dHdn = _hill(C, ec50, n)
    J = np.zeros((5, 11))
    J[0, 4] = -x[0]
    J[1, 4], J[1, 5] = x[0], -x[1]
    J[2, 1], J[2, 2], J[2, 3] = -x[2], -x[2] * x[4], 1.0
    J[3, 2], J[3, 9] = x[2] * x[4], -x[3]
    J[4, 0] = (1 - H) * x[3]
    J[4, 6] = p * x[3] * dHdC * C / vd  # dC/dVD = -C/VD
    J[4, 7] = -p * x[3] * dHdE
    J[4, 8] = -p * x[3] * dHdn
    J[4, 10] = -x[4]
    return J


def _x0(th):
    """The pre-treatment steady state of (T, I, V) and its derivative in theta."""
    p, d, e, s, ka, ke, vd, ec50, n, delta, c = th
    X, D = np.zeros(5), np.zeros((5, 11))
    X[2] = c * delta / (p * e)
    D[2, [0, 2, 9, 10]] = -X[2] / p, -X[2] / e, c / (p * e), delta / (p * e)
    X[3] = s / delta - d * c / (p * e)
    D[3, [0, 1, 2, 3, 9, 10]] = (d * c / (p**2 * e), -c / (p * e), d * c / (p * e**2),
                                 1 / delta, -s / delta**2, -d / (p * e))
    X[4] = s * p / (c * delta) - d / e
    D[4, [0, 1, 2, 3, 9, 10]] = (s / (c * delta), -1 / e, d / e**2, p / (c * delta),
                                 -s * p / (c * delta**2), -s * p / (c**2 * delta))
    return X, D


def _log10_virus(X, th):
    gx = np.zeros((X.shape[0], 5))
    gx[:, 4] = 1.0 / (X[:, 4] * np.log(10.0))
    return np.log10(X[:, 4]), gx, np.zeros((X.shape[0], 11))


def hcv_example(size: float = 30, *, rtol: float = 1e-10, atol: float = 1e-12):
    """The HCV viral-dynamics example of Nyberg et al. (2015): ``(model, design)``.

    Fixed effects ``p = 100, d = 0.001, e = 1e-7, s = 20000`` (known, not estimated) and
    ``KA = 0.8, KE = 0.15, VD = 100, EC50 = 0.12, n = 2, delta = 0.2, c = 7`` with
    exponential random effects of variance 0.25 each; additive errors of variance 0.04 on
    the concentration and on log10 viral load; four weekly one-day infusions of 180;
    concentration and viral load sampled at days 0, 0.25, 0.5, 1, 2, 3, 4, 7, 10, 14, 21
    and 28; ``size`` subjects. See the module documentation and :data:`HCV_REFERENCE`.

    Parameters
    ----------
    size : float
        Number of subjects (30 in the publication).
    rtol, atol : float
        Integrator tolerances of the ODE model.

    Examples
    --------
    PopED's fixed effects are the logarithms of ours, so its FIM is ``D M D`` with
    ``D = diag(beta, 1, ...)``: the published criterion 248.8 (reduced FIM),

    >>> import numpy as np
    >>> from fisherstat.pkpd import hcv_example
    >>> model, design = hcv_example()
    >>> res = model.fim(design)
    >>> d = np.r_[model.beta[4:], np.ones(9)]
    >>> crit = np.exp(np.linalg.slogdet(res.matrix * np.outer(d, d))[1] / 16)
    >>> round(float(crit), 1), np.round(res.rse[:7], 1)
    (248.8, array([12.1, 10.5, 10. , 15.8, 10.5,  9.4, 11. ]))
    """
    from ..models.ode import ODEModel
    from .errors import Additive
    from .population import Group, PopulationModel
    from .structural import Regimen

    size = check_scalar(size, "size", low=0)
    st = ODEModel(_rhs, _HCV_NAMES, 5, jac_x=_jac_x, jac_theta=_jac_theta,
                  observe=[(1, "VD"), _log10_virus], responses=("conc", "log10_VL"),
                  x0=_x0, dose_state=0, infusion_state=0, rtol=rtol, atol=atol, name="HCV")
    theta = {"p": 100.0, "d": 0.001, "e": 1e-7, "s": 20000.0, "KA": 0.8, "KE": 0.15,
             "VD": 100.0, "EC50": 0.12, "n": 2.0, "delta": 0.2, "c": 7.0}
    estimated = ("KA", "KE", "VD", "EC50", "n", "delta", "c")
    model = PopulationModel(st, theta, omega={k: 0.25 for k in estimated},
                            error=[Additive(0.04), Additive(0.04)],
                            fixed=("p", "d", "e", "s"))
    times = [0, 0.25, 0.5, 1, 2, 3, 4, 7, 10, 14, 21, 28]
    design = Group(times + times, size=size, dose=Regimen.repeated(180, 7, 4, duration=1.0),
                   response=["conc"] * 12 + ["log10_VL"] * 12)
    return model, design
