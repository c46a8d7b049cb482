r"""Catalogue of nonlinear mean functions: dose-response and pharmacokinetic models.

Each model is a :class:`~fisherstat.models.nonlinear.NonlinearRegression` with an analytic
mean and Jacobian, parameter names and bounds, and an example design; the residual error is
chosen with ``error=`` (see :data:`~fisherstat.models.nonlinear.ERROR_MODELS`).
"""

from __future__ import annotations

import numpy as np

from .._special import expdiff as _expdiff
from .._special import hill as _hill
from .._validation import check_in_interval, check_scalar
from ..exceptions import FitError
from .base import Singularity
from .nonlinear import NonlinearRegression
from .structural import OneCompartment, Regimen

__all__ = [
    "Emax",
    "SigmoidEmax",
    "MichaelisMenten",
    "ExponentialDecay",
    "BoxLucas",
    "OneCompartmentOral",
    "OneCompartmentBolus",
]

_POS = (0.0, np.inf)
_FREE = (-np.inf, np.inf)


# ------------------------------------------------------------ fitting helpers
def _grid_rates(t, size):
    """Log-spaced rate constants spanning the time scale of the positive ``t``."""
    tp = t[t > 0]
    if tp.size == 0:
        raise FitError("x has no positive values: cannot choose a starting value; pass start")
    return np.geomspace(0.05 / tp.max(), 20.0 / tp.min(), size)


def _grid_scale(t, size):
    """Log-spaced location parameters (ED50, Km) spanning the positive ``t``."""
    tp = t[t > 0]
    if tp.size == 0:
        raise FitError("x has no positive values: cannot choose a starting value; pass start")
    return np.geomspace(tp.min() / 10, tp.max() * 10, size)


def _profile(y, B, positive=False):
    """Best conditionally linear fit over a grid: ``B`` (G, n, m) -> (index, coef (m,)).

    For each grid value ``g`` the linear coefficients minimise ``|y - B_g c|^2``; with
    ``positive`` grid values whose coefficients are not all positive are discarded.
    """
    coef = np.linalg.pinv(B) @ y
    rss = np.sum((np.einsum("gnm,gm->gn", B, coef) - y) ** 2, axis=1)
    if positive:
        rss = np.where(np.all(coef > 0, axis=1), rss, np.inf)
    if not np.any(np.isfinite(rss)):
        raise FitError("no starting value with positive linear coefficients; pass start")
    i = int(np.argmin(rss))
    return i, coef[i]


# ------------------------------------------------------------------ catalogue
class _Catalogue(NonlinearRegression):
    """A catalogue model: analytic mean and Jacobian of one non-negative covariate."""

    _beta_names: tuple = ()
    _beta_bounds: tuple = ()
    _example_beta: tuple = ()
    #: example values of the error parameters, by name
    _example_error: dict = {"sigma2": 0.25, "sigma2_add": 0.25, "sigma2_prop": 0.01}
    _example_covariate: tuple = ()
    _covariate = "x"

    def __init__(self, error: str = "additive"):
        super().__init__(self._f, self._jac, error, param_names=self._beta_names,
                         bounds=self._beta_bounds)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(error={self.error!r})"

    def _example_theta(self):
        return list(self._example_beta) + [self._example_error[n]
                                           for n in self.residual_error.param_names]

    def _example_x(self):
        return np.array(self._example_covariate, dtype=float)

    def _check_x(self, x):
        if x.ndim == 2:
            if x.shape[1] != 1:
                raise ValueError(
                    f"x must have shape (n,) or (n, 1) for {type(self).__name__} (one "
                    f"covariate: {self._covariate}), got shape {x.shape}"
                )
            x = x[:, 0]
        return check_in_interval(x, f"x ({self._covariate})", low=0, low_open=False)


class Emax(_Catalogue):
    r"""Emax dose-response model, parameters ``(E0, Emax, ED50)`` plus error parameters.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (PopED's variance convention, see
        :class:`NonlinearRegression`).

    Notes
    -----
    .. math::

        f(x) = E_0 + \frac{E_{max}\, x}{ED_{50} + x}, \qquad
        \nabla_\beta f = \Big(1,\ \frac{x}{ED_{50} + x},\
        -\frac{E_{max}\, x}{(ED_{50} + x)^2}\Big),

    ``x >= 0`` the dose, ``ED50 > 0`` (Macdougall 2006, "Analysis of dose-response
    studies -- Emax model", in Ting (ed.), *Dose Finding in Drug Development*, Springer;
    Bretz, Pinheiro & Branson 2005, *Biometrics* 61, 738-748). Fits without ``start``
    begin from the best ``(E0, Emax)`` least-squares fit over a grid of ``ED50``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.Emax()
    >>> m.param_names, m.example_x()
    (('E0', 'Emax', 'ED50', 'sigma2'), array([  0.,  10.,  25.,  50., 100., 150.]))
    >>> np.round(fs.fisher(m, m.example_theta(), x=m.example_x()).standard_errors(), 3)
    array([ 0.485,  0.764, 23.124,  0.144])
    """

    _beta_names = ("E0", "Emax", "ED50")
    _beta_bounds = (_FREE, _FREE, _POS)
    _example_beta = (2.0, 3.0, 25.0)
    _example_covariate = (0.0, 10.0, 25.0, 50.0, 100.0, 150.0)
    _covariate = "dose"

    @staticmethod
    def _f(x, beta):
        e0, emax, ed50 = beta
        return e0 + emax * x / (ed50 + x)

    @staticmethod
    def _jac(x, beta):
        _, emax, ed50 = beta
        d = ed50 + x
        return np.column_stack([np.ones_like(x), x / d, -emax * x / d**2])

    def _start_beta(self, y, x):
        ed50 = _grid_scale(x, 60)
        frac = x / (ed50[:, None] + x)
        B = np.stack([np.ones_like(frac), frac], axis=-1)
        i, c = _profile(y, B)
        return np.array([c[0], c[1], ed50[i]])


class SigmoidEmax(_Catalogue):
    r"""Sigmoid Emax (Hill) model, parameters ``(E0, Emax, ED50, h)`` plus error parameters.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`NonlinearRegression`).

    Notes
    -----
    .. math::

        f(x) = E_0 + E_{max}\, g, \qquad
        g = \frac{x^h}{ED_{50}^h + x^h} = \operatorname{expit}\big(h \log(x / ED_{50})\big),

    .. math::

        \nabla_\beta f = \Big(1,\ g,\ -E_{max}\, g (1 - g) \frac{h}{ED_{50}},\
        E_{max}\, g (1 - g) \log\frac{x}{ED_{50}}\Big),

    evaluated through the logistic form so that it is stable for all doses; at ``x = 0``,
    ``g = 0`` and the ``ED50`` and ``h`` derivatives vanish (``g log x -> 0`` for
    ``h > 0``). Hill (1910), *J. Physiol.* 40, iv-vii; Macdougall (2006), in Ting (ed.),
    *Dose Finding in Drug Development*, Springer.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.SigmoidEmax()
    >>> m.predict([0.0, 1.0, 10.0, 2.0, 0.25], [0.0, 10.0, 30.0])
    array([0. , 0.5, 0.9])
    """

    _beta_names = ("E0", "Emax", "ED50", "h")
    _beta_bounds = (_FREE, _FREE, _POS, _POS)
    _example_beta = (2.0, 3.0, 25.0, 2.0)
    _example_covariate = (0.0, 10.0, 25.0, 50.0, 100.0, 150.0)
    _covariate = "dose"

    @staticmethod
    def _f(x, beta):
        e0, emax, ed50, h = beta
        return e0 + emax * _hill(x, ed50, h)[0]

    @staticmethod
    def _jac(x, beta):
        _, emax, ed50, h = beta
        g, g1, lr = _hill(x, ed50, h)
        gp = emax * g * g1
        return np.column_stack([np.ones_like(x), g, -gp * h / ed50, gp * lr])

    def _start_beta(self, y, x):
        ed50 = _grid_scale(x, 30)
        hs = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 5.0])
        E, H = (a.ravel() for a in np.meshgrid(ed50, hs, indexing="ij"))
        g = _hill(x, E[:, None], H[:, None])[0]
        i, c = _profile(y, np.stack([np.ones_like(g), g], axis=-1))
        return np.array([c[0], c[1], E[i], H[i]])


class MichaelisMenten(_Catalogue):
    r"""Michaelis-Menten model, parameters ``(Vmax, Km)`` plus error parameters.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`NonlinearRegression`).

    Notes
    -----
    .. math::

        f(x) = \frac{V_{max}\, x}{K_m + x}, \qquad
        \nabla_\beta f = \Big(\frac{x}{K_m + x},\ -\frac{V_{max}\, x}{(K_m + x)^2}\Big),

    ``x >= 0`` the substrate concentration (Michaelis & Menten 1913, *Biochem. Z.* 49,
    333-369; the Puromycin example of Bates & Watts 1988, *Nonlinear Regression Analysis
    and Its Applications*, Wiley). Fits without ``start`` begin from the best ``Vmax``
    over a grid of ``Km``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.MichaelisMenten()
    >>> conc = np.repeat([0.02, 0.06, 0.11, 0.22, 0.56, 1.10], 2)
    >>> rate = [76, 47, 97, 107, 123, 139, 159, 152, 191, 201, 207, 200]  # Puromycin
    >>> np.round(m.fit(rate, x=conc), 4)  # Vmax, Km, sigma2 = RSS / n
    array([212.6837,   0.0641,  99.6207])
    """

    _beta_names = ("Vmax", "Km")
    _beta_bounds = (_POS, _POS)
    _example_beta = (212.7, 0.0641)
    _example_error = {"sigma2": 100.0, "sigma2_add": 25.0, "sigma2_prop": 0.0025}
    _example_covariate = (0.02, 0.06, 0.11, 0.22, 0.56, 1.10)
    _covariate = "concentration"

    @staticmethod
    def _f(x, beta):
        vmax, km = beta
        return vmax * x / (km + x)

    @staticmethod
    def _jac(x, beta):
        vmax, km = beta
        d = km + x
        return np.column_stack([x / d, -vmax * x / d**2])

    def _start_beta(self, y, x):
        km = _grid_scale(x, 60)
        i, c = _profile(y, (x / (km[:, None] + x))[..., None], positive=True)
        return np.array([c[0], km[i]])


class ExponentialDecay(_Catalogue):
    r"""Exponential decay ``A exp(-k x)``, parameters ``(A, k)`` plus error parameters.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`NonlinearRegression`).

    Notes
    -----
    .. math::

        f(x) = A e^{-k x}, \qquad \nabla_\beta f = \big(e^{-k x},\ -A x e^{-k x}\big),

    ``k > 0``, ``x >= 0`` the time (Seber & Wild 1989, *Nonlinear Regression*, Wiley,
    chapter 8 on compartmental models). Fits without ``start`` begin from the best ``A``
    over a grid of ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.ExponentialDecay()
    >>> x = np.linspace(0.0, 8.0, 200)
    >>> y = m.sample([10.0, 0.5, 0.25], x=x, rng=1)
    >>> np.round(m.fit(y, x=x), 2)
    array([10.08,  0.51,  0.21])
    """

    _beta_names = ("A", "k")
    _beta_bounds = (_FREE, _POS)
    _example_beta = (10.0, 0.5)
    _example_covariate = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
    _covariate = "time"

    @staticmethod
    def _f(x, beta):
        a, k = beta
        return a * np.exp(-k * x)

    @staticmethod
    def _jac(x, beta):
        a, k = beta
        e = np.exp(-k * x)
        return np.column_stack([e, -a * x * e])

    def _start_beta(self, y, x):
        k = _grid_rates(x, 60)
        i, c = _profile(y, np.exp(-k[:, None] * x)[..., None])
        return np.array([c[0], k[i]])


class BoxLucas(_Catalogue):
    r"""Box-Lucas consecutive-reaction model, parameters ``(theta1, theta2)`` plus error.

    Parameters
    ----------
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`NonlinearRegression`).

    Notes
    -----
    The yield of the intermediate B in A -> B -> C with rates ``theta1``, ``theta2``
    (Box & Lucas 1959, "Design of experiments in non-linear situations", *Biometrika* 46,
    77-90):

    .. math::

        f(x) = \frac{\theta_1}{\theta_1 - \theta_2}\big(e^{-\theta_2 x} - e^{-\theta_1 x}\big)
             = \theta_1\, x\, e^{-\min(\theta_1,\theta_2) x}\,
               \frac{1 - e^{-|\theta_1 - \theta_2| x}}{|\theta_1 - \theta_2| x},

    the second form (with ``expm1`` and power series, see ``_expdiff``) stable as
    ``theta1 -> theta2``, where ``f -> theta1 x exp(-theta1 x)``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.BoxLucas()
    >>> np.round(m.predict([0.7, 0.2, 0.0025], [1.23, 6.86]), 4)
    array([0.5029, 0.3435])
    >>> bool(m.predict([0.5, 0.5, 0.0025], [2.0])[0] == 0.5 * 2.0 * np.exp(-1.0))
    True
    """

    _beta_names = ("theta1", "theta2")
    _beta_bounds = (_POS, _POS)
    _example_beta = (0.7, 0.2)
    _example_error = {"sigma2": 0.0025, "sigma2_add": 0.0005, "sigma2_prop": 0.01}
    _example_covariate = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
    _covariate = "time"

    @staticmethod
    def _f(x, beta):
        t1, t2 = beta
        return t1 * _expdiff(t2, t1, x)[0]

    @staticmethod
    def _jac(x, beta):
        t1, t2 = beta
        g, g_a, g_b = _expdiff(t2, t1, x)
        return np.column_stack([g + t1 * g_b, t1 * g_a])

    def _start_beta(self, y, x):
        r = _grid_rates(x, 25)
        T1, T2 = (a.ravel() for a in np.meshgrid(r, r, indexing="ij"))
        f = T1[:, None] * _expdiff(T2[:, None], T1[:, None], x)[0]
        i = int(np.argmin(np.sum((f - y) ** 2, axis=1)))
        return np.array([T1[i], T2[i]])


class _Pharmacokinetic(_Catalogue):
    """A one-compartment model of :mod:`fisherstat.models.structural` as a regression on
    the sampling time: ``x`` is the time (dose given) or (time, dose) columns.

    After a single dose at time 0 the concentration is linear in the dose, so the mean is
    ``D f_1(t)`` with ``f_1`` the structural model's prediction after a unit dose (the
    same function, Jacobian and numerical safeguards as the population models use).
    """

    _covariate = "time"
    _route = "oral"

    def __init__(self, dose: float | None = None, error: str = "additive"):
        self.dose = None if dose is None else check_scalar(dose, "dose", low=0)
        #: The structural model (:class:`~fisherstat.models.structural.OneCompartment`).
        self.structural = OneCompartment(self._route)
        self._unit_dose = Regimen(1.0)
        super().__init__(error)

    def _unit(self, t, beta, order):
        """The structural prediction (and Jacobian) after a unit dose at time 0."""
        return self.structural.evaluate(t, beta, self._unit_dose, np.zeros(t.size, int),
                                        order, validate=False, check_finite=False)

    def _f(self, x, beta):
        t, dose = self._time_dose(x)
        return dose * self._unit(t, beta, 0)

    def _jac(self, x, beta):
        t, dose = self._time_dose(x)
        return np.reshape(dose, (-1, 1)) * self._unit(t, beta, 1)[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dose={self.dose!r}, error={self.error!r})"

    def _example_x(self):
        t = np.array(self._example_covariate, dtype=float)
        return t if self.dose is not None else np.column_stack([t, np.full_like(t, 70.0)])

    def _check_x(self, x):
        if self.dose is not None:
            return super()._check_x(x)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(
                f"x must have shape (n, 2) with columns (time, dose) when "
                f"{type(self).__name__} has dose=None, got shape {x.shape}"
            )
        check_in_interval(x[:, 0], "x (time, column 0)", low=0, low_open=False)
        check_in_interval(x[:, 1], "x (dose, column 1)", low=0, low_open=False)
        return x

    def _time_dose(self, x):
        if self.dose is not None:
            return x, self.dose
        return x[:, 0], x[:, 1]


class OneCompartmentOral(_Pharmacokinetic):
    r"""One-compartment PK model, first-order absorption, single oral dose: ``(CL, V, KA)``.

    Parameters
    ----------
    dose : float, optional
        The dose ``D``; then ``x`` is the sampling time (n,). With ``None`` (default),
        ``x`` is (n, 2) with columns (time, dose).
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (PopED's variance convention, see
        :class:`NonlinearRegression`).

    Notes
    -----
    With elimination rate :math:`k = CL / V` (Bateman function; Gibaldi & Perrier 1982,
    *Pharmacokinetics*, 2nd ed., Dekker, chapter 1; the warfarin example of PopED, Nyberg
    et al. 2012, *Comput. Methods Programs Biomed.* 108, 789-805):

    .. math::

        f(t) = \frac{D\, K_A}{V (K_A - k)}\big(e^{-k t} - e^{-K_A t}\big)
             = \frac{D K_A}{V} g(k, K_A, t),

    with :math:`g(a, b, t) = (e^{-a t} - e^{-b t})/(b - a)` evaluated stably (expm1 and
    power series), so that the flip-flop limit :math:`K_A = k`,
    :math:`f = D K_A t e^{-k t} / V`, is continuous. Derivatives:
    :math:`\partial f / \partial CL = \frac{D K_A}{V^2} g_a`,
    :math:`\partial f / \partial V = -f / V - \frac{D K_A CL}{V^3} g_a`,
    :math:`\partial f / \partial K_A = \frac{D}{V}(g + K_A g_b)`. Times must be ``>= 0``.

    Flip-flop: since :math:`g` is symmetric and :math:`D K_A / V` is unchanged by
    :math:`(k, K_A, V) \to (K_A, k, V k / K_A)` (which keeps ``CL``), both branches give the
    same mean; the parameters are identified only with a branch chosen, and fits without
    ``start`` start on ``KA > CL/V`` (absorption faster than elimination). On the set
    ``KA = CL/V`` where the branches meet, the direction ``(dk, dK_A) = (1, -1)`` at fixed
    :math:`D K_A / V` leaves the mean unchanged to first order, so the information loses
    rank one; :meth:`singularities` reports the distance :math:`|\log(K_A V / CL)|`.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.OneCompartmentOral(dose=70, error="combined")  # PopED warfarin
    >>> m.param_names
    ('CL', 'V', 'KA', 'sigma2_add', 'sigma2_prop')
    >>> np.round(m.predict([0.15, 8.0, 1.0, 0.25, 0.01], [0.5, 2.0, 24.0, 120.0]), 4)
    array([3.4254, 7.3822, 5.6859, 0.9399])
    """

    _beta_names = ("CL", "V", "KA")
    _beta_bounds = (_POS, _POS, _POS)
    _example_beta = (0.15, 8.0, 1.0)
    _example_covariate = (0.5, 1.0, 2.0, 6.0, 24.0, 36.0, 72.0, 120.0)

    def singularities(self, theta) -> list[Singularity]:
        """The flip-flop set ``KA = CL/V`` (rank drop 1), distance ``|log(KA V / CL)|``.

        Examples
        --------
        >>> import fisherstat as fs
        >>> m = fs.models.OneCompartmentOral(dose=70)
        >>> [(s.name, round(s.distance, 4)) for s in m.singularities([0.15, 8.0, 1.0, 0.25])]
        [('flip-flop', 3.9766)]
        """
        cl, v, ka = self.validate(theta)[:3]
        return [Singularity(
            "flip-flop",
            "KA = CL/V: the mean is symmetric in (CL/V, KA) at fixed dose*KA/V, so the "
            "information loses rank one; the two branches KA > CL/V and KA < CL/V give "
            "identical means",
            float(abs(np.log(ka * v / cl))), 1,
        )]

    def _start_beta(self, y, x):
        t, dose = self._time_dose(x)
        r = _grid_rates(t, 25)
        K, KA = (a.ravel() for a in np.meshgrid(r, r, indexing="ij"))
        K, KA = K[KA > K], KA[KA > K]  # the branch KA > CL/V (see Notes)
        B = (dose * KA[:, None] * _expdiff(K[:, None], KA[:, None], t)[0])[..., None]
        i, c = _profile(y, B, positive=True)
        v = 1.0 / c[0]
        return np.array([K[i] * v, v, KA[i]])


class OneCompartmentBolus(_Pharmacokinetic):
    r"""One-compartment PK model after an intravenous bolus, parameters ``(CL, V)``.

    Parameters
    ----------
    dose : float, optional
        The dose ``D``; then ``x`` is the sampling time (n,). With ``None`` (default),
        ``x`` is (n, 2) with columns (time, dose).
    error : {'additive', 'proportional', 'combined'}
        Residual-variance model (see :class:`NonlinearRegression`).

    Notes
    -----
    .. math::

        f(t) = \frac{D}{V} e^{-CL\, t / V}, \qquad
        \frac{\partial f}{\partial CL} = -\frac{t}{V} f, \qquad
        \frac{\partial f}{\partial V} = \Big(\frac{CL\, t}{V^2} - \frac1V\Big) f

    (Gibaldi & Perrier 1982, *Pharmacokinetics*, 2nd ed., Dekker, chapter 1). Times must
    be ``>= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> m = fs.models.OneCompartmentBolus(dose=100)
    >>> np.round(m.predict([2.0, 10.0, 0.25], [0.0, 5.0]), 4)
    array([10.    ,  3.6788])
    """

    _route = "bolus"
    _beta_names = ("CL", "V")
    _beta_bounds = (_POS, _POS)
    _example_beta = (2.0, 10.0)
    _example_error = {"sigma2": 0.25, "sigma2_add": 0.05, "sigma2_prop": 0.01}
    _example_covariate = (0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0)

    def _start_beta(self, y, x):
        t, dose = self._time_dose(x)
        k = _grid_rates(t, 60)
        i, c = _profile(y, (dose * np.exp(-k[:, None] * t))[..., None], positive=True)
        v = 1.0 / c[0]
        return np.array([k[i] * v, v])
