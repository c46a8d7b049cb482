r"""Population (nonlinear mixed-effects) models and their Fisher information by FO.

Model of subject :math:`i` (samples :math:`j = 1..n_i`):

.. math::

    y_{ij} = f(t_{ij}, \phi_i, D_i) + \varepsilon_{ij}, \qquad
    \phi_{ik} = \beta_k e^{\eta_{ik}} \ (\text{exponential}), \quad
    \eta_i \sim N(0, \Omega), \quad \varepsilon_{ij} \sim N(0, v(f_{ij})),

with fixed effects :math:`\beta`, random-effect covariance :math:`\Omega` and residual
variance :math:`v` (:mod:`fisherstat.pkpd.errors`). Other random-effect models:
``'additive'`` (:math:`\phi = \beta + \eta`), ``'proportional'``
(:math:`\phi = \beta(1 + \eta)`) and ``'logit'`` (logit-normal,
:math:`\phi = \operatorname{expit}(\operatorname{logit}\beta + \eta)`, for parameters in
(0, 1)).

**First-order (FO) approximation.** Linearising around :math:`\eta = 0` (Sheiner & Beal
1980; for design, Mentré, Mallet & Baccar 1997, *Biometrika* 84, 429-442; Retout, Duffull
& Mentré 2001, *Comput. Methods Programs Biomed.* 65, 141-151), :math:`y_i` is Gaussian
with

.. math::

    E(y_i) = f(\beta), \qquad
    V_i = Z \Omega Z^T + \operatorname{diag}\big(v(f(\beta))\big), \qquad
    Z = \frac{\partial f}{\partial \eta}\Big|_{\eta=0}
      = \frac{\partial f}{\partial \phi}\operatorname{diag}\Big(
        \frac{\partial\phi}{\partial\eta}\Big),

(:math:`\partial\phi/\partial\eta = \beta` for the exponential model; the residual
variance is evaluated at :math:`\eta = 0`, no interaction term). The Fisher information
of a Gaussian vector with parametrised mean and covariance (Kay 1993, *Fundamentals of
Statistical Signal Processing: Estimation Theory*, eq. 3.31) for the parameters
:math:`\psi = (\beta, \omega, \sigma)` is, per subject,

.. math::

    I_{ab} = \frac{\partial f}{\partial\psi_a}^T V^{-1} \frac{\partial f}{\partial\psi_b}
    + \frac12 \operatorname{tr}\Big(V^{-1}\frac{\partial V}{\partial\psi_a}
      V^{-1}\frac{\partial V}{\partial\psi_b}\Big),

with :math:`\partial V/\partial\omega_{kl} = Z E_{kl} Z^T` (:math:`E_{kl}` the symmetric
unit matrix), :math:`\partial V/\partial\sigma = \operatorname{diag}(\partial v/\partial
\sigma)` and, for the fixed effects,

.. math::

    \frac{\partial V}{\partial\beta_k} = \frac{\partial Z}{\partial\beta_k}\Omega Z^T
    + Z\Omega\frac{\partial Z}{\partial\beta_k}^T
    + \operatorname{diag}\Big(\frac{\partial v}{\partial f}
      \frac{\partial f}{\partial\beta_k}\Big),

which needs the second derivatives of ``f`` (from the analytic Jacobian by
Richardson-extrapolated differences). ``fim='full'`` is this matrix; ``fim='reduced'``
(PopED's default, Foracchia et al. 2004, *Comput. Methods Programs Biomed.* 74, 29-46;
Nyberg et al. 2012, *Comput. Methods Programs Biomed.* 108, 789-805) drops the
:math:`\partial V/\partial\beta` terms: the fixed-effect block is
:math:`J^T V^{-1} J` and the blocks between fixed effects and variance parameters are
zero. A study's information is :math:`\sum_g N_g I^{(g)}` over groups of :math:`N_g`
subjects sharing a design.

**FOCE** (``approximation='FOCE'``): PopED's first-order conditional approximation for
design averages, over draws :math:`\eta_k \sim N(0, \Omega)`, the FIM of the model
linearised around :math:`\eta_k`: mean :math:`f(\phi(\beta, \eta_k)) - Z_k \eta_k`,
variance :math:`Z_k\Omega Z_k^T + \operatorname{diag} v(f(\phi(\beta, \eta_k)))`.

**Covariates** (``covariate_model``; PopED's group covariates ``a`` used in its ``fg``
function, PFIM's covariate models): a group :math:`g` with covariate values :math:`x_g`
has typical values :math:`\beta_{g,k} = \beta_k \prod_c h_c(x_{g,c}; \theta_{c,k})`, with
:math:`h = (x/x_{ref})^\theta` (power), :math:`1 + \theta(x - x_{ref})` (linear) or
:math:`e^{\theta(x - x_{ref})}` (exponential), and :math:`\phi_{ik} = \beta_{g,k}
e^{\eta_{ik}}` etc. The effects :math:`\theta_{c,k}` are fixed effects (named
``<covariate>_on_<parameter>``); every term of the FIM depends on :math:`(\beta, \theta)`
through :math:`\beta_g` only, so their derivatives are those with respect to
:math:`\beta_g` times :math:`\partial\beta_g/\partial(\beta, \theta)`
(:math:`\partial\beta_{g,k}/\partial\theta_{c,k} = \beta_{g,k}\,\partial\log h_c/
\partial\theta`).

**Inter-occasion variability** (``iov``; Karlsson & Sheiner 1993, *J. Pharmacokinet.
Biopharm.* 21, 735-750; PopED's ``bocc``/``docc``): a sample on occasion :math:`o` has
:math:`\phi_{iko} = \beta_k e^{\eta_{ik} + \kappa_{iko}}` (or the other ``eta_model``
forms of :math:`\eta + \kappa`), :math:`\kappa_{io} \sim N(0, \Pi)` (diagonal)
independent across occasions and of :math:`\eta`. FO linearises around
:math:`\eta = \kappa = 0`:

.. math::

    V_i = Z\Omega Z^T + \sum_o Z_o \Pi Z_o^T + \operatorname{diag}(v), \qquad
    \frac{\partial V}{\partial\pi_k} = \sum_o z_{o,k} z_{o,k}^T,

with :math:`Z_o` the derivative with respect to :math:`\kappa_o` (the rows of the
samples of occasion :math:`o`, zero elsewhere); it is the model with the random effects
:math:`(\eta, \kappa_1, \dots, \kappa_O)` and a block-diagonal covariance, and the
derivatives with respect to the fixed effects are as above. FOCE and the exact FIM
(:func:`~fisherstat.pkpd.exact_fim`) take covariate models (the exact scores by the same
chain rule) but not IOV yet.

**Expected shrinkage** (Combes et al. 2013, *Pharm. Res.* 30, 2355-2367; PopED's
``shrinkage``): with the individual information of :math:`\eta` at :math:`\eta = 0`,
:math:`I_\eta = Z^T R^{-1} Z` (plus :math:`\frac12\operatorname{tr}` terms of the
residual variance for ``fim='full'``), :math:`R = \operatorname{diag}(v)`, the
Bayesian information is :math:`I_{map} = I_\eta + \Omega^{-1}` and

.. math::

    \text{shrinkage}_{var} = \operatorname{diag}(I_{map}^{-1}\Omega^{-1}), \qquad
    \text{shrinkage}_{sd} = 1 - \sqrt{1 - \text{shrinkage}_{var}}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_random_state,
    check_scalar,
)
from ..information import FisherInfo, pinv_psd
from .errors import ResidualError
from .structural import StructuralModel

__all__ = ["Group", "PopulationModel", "PopulationFIM", "FIM_TYPES", "ETA_MODELS",
           "COVARIATE_FORMS"]

#: FIM variants: ``'full'`` and ``'reduced'`` (block-diagonal, PopED's default).
FIM_TYPES = ("full", "reduced")
#: Random-effect models: phi = beta exp(eta) (log-normal), beta + eta (normal),
#: beta (1 + eta), expit(logit(beta) + eta) (logit-normal, for a parameter in (0, 1) such as
#: a bioavailability).
ETA_MODELS = ("exponential", "additive", "proportional", "logit")
#: Covariate models of a typical value: ``beta (x / ref) ** theta`` (power),
#: ``beta (1 + theta (x - ref))`` (linear), ``beta exp(theta (x - ref))`` (exponential).
COVARIATE_FORMS = ("power", "linear", "exponential")


# ----------------------------------------------------------------------------- groups
class Group:
    """A group of subjects sharing one elementary design.

    Parameters
    ----------
    times : array_like, shape (n,)
        Sampling times (``>= 0``).
    size : float
        Number of subjects (``> 0``; non-integer sizes describe approximate designs).
    dose : float or Regimen, optional
        The dose (required by PK models).
    response : None, str, int or sequence, optional
        Which response each sample measures (default: the model's first response).
    name : str, optional
        Label used in tables.
    covariates : mapping, optional
        Covariate values shared by the group's subjects, ``{name: value}`` (PopED's ``a``,
        e.g. ``{"WT": 70}``), used by the ``covariate_model`` of
        :class:`PopulationModel`.
    occasions : array_like of int, shape (n,), optional
        Occasion index (``>= 0``) of each sample, for inter-occasion variability (the
        ``iov`` of :class:`PopulationModel`); default: all samples on one occasion.

    Examples
    --------
    >>> from fisherstat.pkpd import Group
    >>> Group([0.5, 2, 24], size=32, dose=70)
    Group(times=[0.5, 2.0, 24.0], size=32, dose=70)
    >>> g = Group([1, 8, 25, 32], size=20, dose=70, covariates={"WT": 85},
    ...           occasions=[0, 0, 1, 1])
    >>> g.covariates, g.occasions.tolist()
    ({'WT': 85.0}, [0, 0, 1, 1])
    """

    def __init__(self, times, size: float = 1, dose=None, response=None,
                 name: str | None = None, *, covariates=None, occasions=None):
        self.times = StructuralModel.check_times(times, "times")
        self.times.flags.writeable = False
        self.size = check_scalar(size, "size", low=0)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string or None, got {name!r}")
        self.dose = dose
        self.response = response
        self.name = name
        self.covariates = _check_covariates(covariates)
        self.occasions = _check_occasions(occasions, self.times.size)

    @property
    def n_samples(self) -> int:
        """Number of samples per subject."""
        return int(self.times.size)

    def replace(self, **changes) -> Group:
        """A copy with some of ``times``, ``size``, ``dose``, ``response``, ``name``,
        ``covariates``, ``occasions`` changed (new ``times`` of another length drop the
        occasions unless they are given too).

        Examples
        --------
        >>> from fisherstat.pkpd import Group
        >>> Group([1.0, 2.0], size=10, dose=5).replace(size=20).size
        20.0
        """
        kw = {k: getattr(self, k) for k in ("times", "size", "dose", "response", "name",
                                            "covariates", "occasions")}
        unknown = set(changes) - set(kw)
        if unknown:
            raise TypeError(f"unknown Group fields {sorted(unknown)}")
        if ("times" in changes and "occasions" not in changes and self.occasions is not None
                and np.size(changes["times"]) != self.occasions.size):
            kw["occasions"] = None
        kw.update(changes)
        return Group(**kw)

    def __repr__(self) -> str:
        size = int(self.size) if float(self.size).is_integer() else self.size
        extra = "" if not self.covariates else f", covariates={self.covariates!r}"
        if self.occasions is not None:
            extra += f", occasions={self.occasions.tolist()}"
        return (f"Group(times={[float(x) for x in self.times]}, size={size}, "
                f"dose={self.dose!r}{extra})")


def _check_covariates(covariates) -> dict:
    """The checked covariate values ``{name: float}`` of a group (empty if None)."""
    if covariates is None:
        return {}
    if not isinstance(covariates, Mapping):
        raise TypeError(f"covariates must be a mapping {{name: value}} (e.g. {{'WT': 70}}), "
                        f"got {type(covariates).__name__}")
    out = {}
    for k, x in covariates.items():
        if not isinstance(k, str) or not k:
            raise TypeError(f"covariates: names must be non-empty strings, got {k!r}")
        out[k] = check_scalar(_real(x, "covariates", k), f"covariates[{k!r}]")
    return out


def _check_occasions(occasions, n: int):
    """The checked occasion index (n,) of a group's samples (None if not given)."""
    if occasions is None:
        return None
    occ = as_float_array(occasions, "occasions", ndim=1)
    if occ.shape != (n,):
        raise ValueError(f"occasions must give one occasion index per sample ({n}), got "
                         f"{occ.size}")
    if np.any(occ < 0) or np.any(occ != np.round(occ)):
        raise ValueError(f"occasions must be integers >= 0, got {occ.tolist()}")
    occ = occ.astype(np.int64)
    occ.flags.writeable = False
    return occ


def as_groups(design) -> tuple:
    """A tuple of :class:`Group` from a Group or a sequence of Groups."""
    if isinstance(design, Group):
        return (design,)
    if isinstance(design, Sequence) and not isinstance(design, str) and design \
            and all(isinstance(g, Group) for g in design):
        return tuple(design)
    raise TypeError("design must be a Group or a non-empty sequence of Groups, got "
                    f"{type(design).__name__}")


# ---------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class PopulationFIM:
    """Population Fisher information of a design, with what is specific to populations.

    The information itself is a :class:`~fisherstat.FisherInfo` (``info``), the result
    type of every information computation of the package: its ``n_obs`` is the number of
    subjects, so ``info.covariance(n)`` is the bound for a study of ``n`` subjects with
    the same design proportions. This object adds the parameter values, RSE% and
    shrinkage, and the study-level summaries that PopED prints (``ofv``, ``se``).

    Attributes
    ----------
    info : FisherInfo
        The FIM of the estimated parameters for the whole study (``n_obs`` = subjects).
    values : ndarray, shape (k,)
        The values of the estimated parameters.
    fim : {'full', 'reduced'}
    approximation : str
        ``'FO'`` or ``'FOCE'``.
    shrinkage : dict
        ``{'var': {name: value}, 'sd': {name: value}}`` for each random effect, averaged
        over groups weighted by size (PopED's convention).
    ofv_stderr : float or None
        Monte Carlo standard error of :attr:`ofv` for the exact (MC-AGQ) FIM
        (:func:`~fisherstat.pkpd.exact_fim`), None otherwise.
    """

    info: FisherInfo
    values: np.ndarray
    fim: str
    approximation: str
    shrinkage: dict = field(default_factory=dict)
    ofv_stderr: float | None = None

    @property
    def matrix(self) -> np.ndarray:
        """The FIM (k, k) of the whole study (``info.matrix``)."""
        return self.info.matrix

    @property
    def param_names(self) -> tuple:
        """Names of the estimated parameters (fixed effects, ``om2_*``/``om_*_*``, error)."""
        return self.info.param_names

    @property
    def n_subjects(self) -> float:
        """Total number of subjects (``info.n_obs``)."""
        return self.info.n_obs

    @property
    def ofv(self) -> float:
        """``ln det`` of the FIM (PopED's D-criterion "ofv"); ``-inf`` when singular."""
        sign, logdet = np.linalg.slogdet(self.matrix)
        return float(logdet) if sign > 0 else -np.inf

    @property
    def det(self) -> float:
        """``det`` of the FIM."""
        return float(np.exp(self.ofv))

    def covariance(self) -> np.ndarray:
        """Inverse of the FIM: the Cramer-Rao bound of the study (of ``n_subjects``
        subjects; ``info.covariance(n)`` scales it to ``n`` subjects)."""
        return pinv_psd(self.matrix)[0]

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the study (square roots of the diagonal of the inverse FIM;
        ``info.standard_errors(n)`` for a study of ``n`` subjects); ``inf`` for a
        parameter that a singular FIM does not identify."""
        return self.info.standard_errors()

    @property
    def rse(self) -> np.ndarray:
        """Relative standard errors in percent, ``100 SE / |value|`` (NaN for value 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.values != 0, 100.0 * self.se / np.abs(self.values), np.nan)

    def summary(self) -> str:
        """Text table: ln det, parameters, SE, RSE%, expected shrinkage.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example
        >>> model, design = warfarin_example()
        >>> print(model.fim(design).summary())  # doctest: +ELLIPSIS
        Population FIM (FO, reduced), 32 subjects
        ln det(FIM) (ofv) = 52.4480, det = 5.996147e+22
        ...
        """
        lines = [f"Population FIM ({self.approximation}, {self.fim}), "
                 f"{self.n_subjects:g} subjects",
                 f"ln det(FIM) (ofv) = {self.ofv:.4f}"
                 + ("" if self.ofv_stderr is None else f" (MC s.e. {self.ofv_stderr:.4f})")
                 + f", det = {self.det:.6e}"]
        w = max(10, *(len(n) for n in self.param_names)) + 2
        lines.append(f"{'parameter':<{w}}{'value':>12}{'SE':>12}{'RSE%':>10}")
        for n, v, s, r in zip(self.param_names, self.values, self.se, self.rse, strict=True):
            lines.append(f"{n:<{w}}{v:>12.5g}{s:>12.4g}{r:>10.2f}")
        if self.shrinkage:
            lines.append("expected shrinkage (variance scale, SD scale):")
            for n in self.shrinkage["var"]:
                lines.append(f"  {n:<{w}}{self.shrinkage['var'][n]:>8.3f}"
                             f"{self.shrinkage['sd'][n]:>8.3f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"PopulationFIM({self.approximation}, {self.fim}, params={self.param_names}, "
                f"ofv={self.ofv:.6g})")


# ----------------------------------------------------------------------- the model
def _named_vector(value, names, what) -> np.ndarray:
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"{what}: unknown parameters {sorted(unknown)}; expected names "
                             f"from {names}")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{what}: missing values for {missing}; expected a value for "
                             f"each of {names}")
        return as_float_array([_real(value[n], what, n) for n in names], what)
    return as_float_array(value, what, shape=(len(names),))


def _real(x, what, name):
    if isinstance(x, bool) or not isinstance(x, (float, int, np.floating, np.integer)):
        raise TypeError(f"{what}: the value of {name} must be a real number, got {x!r}")
    return float(x)


def _variances(value, names, what, check: bool = True) -> np.ndarray:
    """Diagonal variances (p,) from ``{name: variance}`` or a length-p vector (0: none);
    ``check``: each must be ``>= 0``."""
    p = len(names)
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"{what}: unknown parameters {sorted(unknown)}; expected names "
                             f"from {names}")
        arr = as_float_array([_real(value.get(n, 0.0), what, n) for n in names], what)
    else:
        arr = as_float_array(value, what, ndim=1)
        if arr.shape != (p,):
            raise ValueError(f"{what} must have {p} entries (one variance per parameter "
                             f"{names}; 0 for no random effect), got {arr.size}")
    if check and np.any(arr < 0):
        j = int(np.argmin(arr))
        raise ValueError(f"{what}: the variance of {names[j]} must be >= 0, got {arr[j]!r}")
    return arr


def _parse_covariate_model(spec, names) -> tuple:
    """``((param index, covariate, form, ref), ...)`` from ``{param: (cov, form, ref)}``
    (or a list of such triples per parameter)."""
    if spec is None:
        return ()
    if not isinstance(spec, Mapping):
        raise TypeError("covariate_model must be a mapping {parameter: (covariate, form, "
                        "ref)}, e.g. {'CL': ('WT', 'power', 70)}, got "
                        f"{type(spec).__name__}")
    out = []
    for par, effs in spec.items():
        if par not in names:
            raise ValueError(f"covariate_model: unknown parameter {par!r}; expected names "
                             f"from {names}")
        if isinstance(effs, tuple) and effs and isinstance(effs[0], str):
            effs = [effs]
        if not isinstance(effs, Sequence) or isinstance(effs, str) or not effs:
            raise TypeError(f"covariate_model[{par!r}] must be a (covariate, form, ref) "
                            f"triple or a list of them, got {effs!r}")
        for e in effs:
            if not isinstance(e, Sequence) or isinstance(e, str) or len(e) != 3 \
                    or not isinstance(e[0], str) or not e[0]:
                raise TypeError(f"covariate_model[{par!r}]: each effect must be a "
                                f"(covariate name, form, ref) triple, got {e!r}")
            cov, form, ref = e
            check_choice(form, f"covariate_model[{par!r}] form", COVARIATE_FORMS)
            ref = check_scalar(_real(ref, f"covariate_model[{par!r}]", "ref"),
                               f"covariate_model[{par!r}] ref",
                               low=0 if form == "power" else None)
            out.append((names.index(par), cov, form, ref))
    return tuple(out)


def check_fixed(fixed, names) -> tuple:
    """``(fixed, estimated)``: the checked names of the fixed parameters (tuple) and the
    mask (len(names),) of the estimated ones (at least one)."""
    if not isinstance(fixed, (str, Sequence)):
        raise TypeError(f"fixed must be a parameter name or a sequence of names, got "
                        f"{type(fixed).__name__}")
    fixed = (fixed,) if isinstance(fixed, str) else tuple(fixed)
    for n in fixed:
        if not isinstance(n, str) or n not in names:
            raise ValueError(f"fixed: unknown parameter {n!r}; expected names from {names}")
    estimated = np.array([n not in fixed for n in names])
    if not estimated.any():
        raise ValueError("fixed: at least one parameter must be estimated")
    return fixed, estimated


class PopulationModel:
    r"""A nonlinear mixed-effects model for design: structural model, random effects, error.

    Parameters
    ----------
    structural : StructuralModel
        The structural model ``f(t, phi, dose)``.
    theta : mapping or array_like, shape (p,)
        Fixed effects :math:`\beta` (typical values), by name or in the order of
        ``structural.param_names``.
    omega : mapping, array_like (p,) or (p, p)
        Variances of the random effects: a mapping ``{name: variance}`` or a length-``p``
        vector (diagonal :math:`\Omega`; a zero means *no random effect* on that
        parameter), or a (p, p) matrix (full :math:`\Omega` over the parameters with a
        non-zero diagonal entry; its non-zero covariances are estimated, zero ones are
        structural zeros). Must be positive definite on the parameters with random
        effects.
    error : ResidualError or sequence of ResidualError
        The residual error model (one per response of a multi-response model).
    eta_model : str or mapping, default 'exponential'
        ``'exponential'`` (log-normal, :math:`\phi = \beta e^\eta`), ``'additive'``
        (normal, :math:`\beta + \eta`), ``'proportional'`` (:math:`\beta(1 + \eta)`) or
        ``'logit'`` (logit-normal, :math:`\phi = \operatorname{expit}(\operatorname{logit}
        \beta + \eta)`, for a parameter in (0, 1) such as a bioavailability ``F``), for
        all parameters or per name.
    fixed : sequence of str, optional
        Names of parameters that are known and not estimated (fixed effects, ``om2_*``,
        ``om_*_*`` or error parameters); they are dropped from the FIM.
    covariate_model : mapping, optional
        Covariate models of the typical values, ``{parameter: (covariate, form, ref)}``
        or ``{parameter: [(covariate, form, ref), ...]}`` (effects multiply), ``form`` in
        :data:`COVARIATE_FORMS`: ``'power'`` :math:`\beta (x/ref)^\theta` (``ref > 0``,
        the groups' ``x > 0``), ``'linear'`` :math:`\beta(1 + \theta(x - ref))` (must
        stay ``> 0``), ``'exponential'`` :math:`\beta e^{\theta(x - ref)}`. Each effect
        :math:`\theta` is a fixed effect named ``<covariate>_on_<parameter>`` whose value
        ``theta`` must give (by name, or after the structural parameters in the order of
        ``covariate_model``). Each :class:`Group` gives its ``covariates`` values.
    iov : mapping or array_like (p,), optional
        Inter-occasion variances (diagonal :math:`\Pi`), ``{name: variance}`` or a
        length-``p`` vector (0: no occasion effect): :math:`\phi = \beta
        e^{\eta + \kappa_o}` on occasion ``o`` (the ``eta_model`` of the parameter),
        :math:`\kappa_o \sim N(0, \Pi)` independent across occasions; the occasions are
        the ``occasions`` of each :class:`Group`. FO only (``approximation='FOCE'``
        raises).

    Notes
    -----
    Parameter names: the fixed effects (structural, then covariate effects
    ``<covariate>_on_<parameter>``), then ``om2_<name>`` for each variance and
    ``om_<a>_<b>`` for each estimated covariance of :math:`\Omega`, then ``pi2_<name>``
    for each inter-occasion variance, then the error parameters (suffixed with the
    response name when two responses share a name). The FIM is described in
    :mod:`fisherstat.pkpd.population`.

    Examples
    --------
    The PopED warfarin example (Nyberg et al. 2012):

    >>> import numpy as np
    >>> from fisherstat.pkpd import (Group, OneCompartment, PopulationModel,
    ...                              Proportional)
    >>> model = PopulationModel(OneCompartment("oral"), {"CL": 0.15, "V": 8, "KA": 1.0},
    ...                         omega=[0.07, 0.02, 0.6], error=Proportional(0.01))
    >>> model.param_names
    ('CL', 'V', 'KA', 'om2_CL', 'om2_V', 'om2_KA', 'sig2_prop')
    >>> design = Group([0.5, 1, 2, 6, 24, 36, 72, 120], size=32, dose=70)
    >>> res = model.fim(design)  # FO, reduced (PopED's default)
    >>> f"{res.det:.6e}", np.round(res.rse, 2)
    ('5.996147e+22', array([ 4.74,  2.76, 13.93, 25.63, 30.34, 25.78, 11.17]))
    >>> f"{model.fim(design, fim='full').det:.6e}"
    '1.220369e+24'

    An allometric covariate on CL and inter-occasion variability of CL:

    >>> from fisherstat.pkpd import Regimen
    >>> cov = PopulationModel(OneCompartment("oral"),
    ...                       {"CL": 0.15, "V": 8, "KA": 1.0, "WT_on_CL": 0.75},
    ...                       omega=[0.07, 0.02, 0.6], error=Proportional(0.01),
    ...                       covariate_model={"CL": ("WT", "power", 70)}, iov={"CL": 0.02})
    >>> cov.param_names
    ('CL', 'V', 'KA', 'WT_on_CL', 'om2_CL', 'om2_V', 'om2_KA', 'pi2_CL', 'sig2_prop')
    >>> t, occ = [0.5, 2, 6, 24, 48.5, 50, 54, 72], [0, 0, 0, 0, 1, 1, 1, 1]
    >>> design = [Group(t, 16, Regimen([70, 70], [0, 48]), covariates={"WT": w},
    ...                 occasions=occ) for w in (50, 90)]
    >>> np.round(cov.fim(design).rse, 1)
    array([ 5.7,  2.9, 14. , 25.4, 37.4, 33.8, 26. , 66.1, 12.1])
    """

    def __init__(self, structural: StructuralModel, theta, omega, error, *,
                 eta_model: str | Mapping = "exponential", fixed: Sequence[str] = (),
                 covariate_model: Mapping | None = None, iov=None):
        if not isinstance(structural, StructuralModel):
            raise TypeError(f"structural must be a StructuralModel (e.g. OneCompartment), got "
                            f"{type(structural).__name__}")
        self.structural = structural
        names = structural.param_names
        p = len(names)
        self._effects = _parse_covariate_model(covariate_model, names)
        eff_names = tuple(f"{cov}_on_{names[k]}" for k, cov, _, _ in self._effects)
        if len(set(eff_names)) != len(eff_names):
            raise ValueError(f"covariate_model: a covariate must appear once per parameter: "
                             f"{eff_names}")
        self.covariate_names = tuple(sorted({cov for _, cov, _, _ in self._effects}))
        allv = _named_vector(theta, tuple(names) + eff_names, "theta")
        self.beta = structural.validate(allv[:p])
        self.beta.flags.writeable = False
        self.gamma = allv[p:]
        self.gamma.flags.writeable = False

        # --- random effects
        arr = None if isinstance(omega, Mapping) else as_float_array(omega, "omega",
                                                                     ndim=(1, 2))
        if arr is None or arr.ndim == 1:
            om = np.diag(_variances(omega, names, "omega", check=False))
        else:
            if arr.shape != (p, p):
                raise ValueError(f"omega must have shape ({p}, {p}) (parameters {names}), "
                                 f"got {arr.shape}")
            if np.max(np.abs(arr - arr.T)) > 1e-12 * max(1.0, np.abs(arr).max()):
                raise ValueError("omega must be symmetric")
            om = 0.5 * (arr + arr.T)
        diag = np.diag(om)
        if np.any(diag < 0):
            j = int(np.argmin(diag))
            raise ValueError(f"omega: the variance of {names[j]} must be >= 0, got {diag[j]!r}")
        ridx = np.flatnonzero(diag > 0)
        off = om - np.diag(diag)
        zero_rows = np.setdiff1d(np.arange(p), ridx)
        if np.any(off[zero_rows] != 0):
            raise ValueError("omega: covariances need non-zero variances of both parameters")
        Om = om[np.ix_(ridx, ridx)]
        if ridx.size:
            w = np.linalg.eigvalsh(Om)
            if not w[0] > 1e-12 * w[-1]:
                raise ValueError(
                    f"omega must be positive definite on the parameters with random effects "
                    f"{[names[i] for i in ridx]}; smallest eigenvalue {w[0]:.3g}")
        self.random_idx = ridx
        self.omega = Om
        self.omega.flags.writeable = False
        rnames = [names[i] for i in ridx]
        self.random_names = tuple(rnames)
        # estimated omega elements (a, b) with a >= b: all variances, non-zero covariances
        pat = [(a, a) for a in range(ridx.size)]
        pat += [(a, b) for a in range(ridx.size) for b in range(a) if Om[a, b] != 0]
        self._omega_pattern = pat
        om_names = [f"om2_{rnames[a]}" if a == b else f"om_{rnames[b]}_{rnames[a]}"
                    for a, b in pat]

        # --- inter-occasion variability (diagonal Pi)
        pi = np.zeros(p) if iov is None else _variances(iov, names, "iov")
        self.iov_idx = np.flatnonzero(pi > 0)
        self.pi = pi[self.iov_idx]
        self.pi.flags.writeable = False
        self.iov_names = tuple(names[i] for i in self.iov_idx)
        pi_names = [f"pi2_{n}" for n in self.iov_names]
        re_names = list(rnames) + [n for n in self.iov_names if n not in rnames]

        # --- eta model
        if isinstance(eta_model, str):
            kinds = {n: eta_model for n in re_names}
        elif isinstance(eta_model, Mapping):
            unknown = set(eta_model) - set(names)
            if unknown:
                raise ValueError(f"eta_model: unknown parameters {sorted(unknown)}")
            kinds = {n: eta_model.get(n, "exponential") for n in re_names}
        else:
            raise TypeError("eta_model must be a string or a mapping {name: model}")
        for n, k in kinds.items():
            check_choice(k, f"eta_model for {n}", ETA_MODELS)
        self.eta_model = kinds
        self._g, self._dg = self._eta_slopes(self.beta)
        self._gk, self._dgk = self._eta_slopes(self.beta, self.iov_idx)

        # --- residual error
        if not isinstance(error, (ResidualError, Sequence)) or isinstance(error, str):
            raise TypeError("error must be a ResidualError (Additive, Proportional, Combined) "
                            f"or a sequence of them (one per response), got {error!r}")
        errs = (error,) if isinstance(error, ResidualError) else tuple(error)
        if not errs or not all(isinstance(e, ResidualError) for e in errs):
            raise TypeError("error must be a ResidualError (Additive, Proportional, Combined) "
                            "or a sequence of them (one per response)")
        nresp = len(structural.responses)
        if len(errs) != nresp:
            raise ValueError(f"error must give one error model per response "
                             f"{structural.responses}, got {len(errs)}")
        self.errors = errs
        err_names = []
        all_err = [n for e in errs for n in e.param_names]
        for r, e in enumerate(errs):
            for n in e.param_names:
                err_names.append(n if all_err.count(n) == 1 else
                                 f"{n}_{structural.responses[r]}")
        self._err_slices = []
        k0 = 0
        for e in errs:
            self._err_slices.append(slice(k0, k0 + len(e.param_names)))
            k0 += len(e.param_names)

        self.param_names = (tuple(names) + eff_names + tuple(om_names) + tuple(pi_names)
                            + tuple(err_names))
        if len(set(self.param_names)) != len(self.param_names):
            raise ValueError(f"parameter names are not unique: {self.param_names}")
        self.values = np.concatenate([self.beta, self.gamma, [Om[a, b] for a, b in pat],
                                      self.pi, np.concatenate([e.values for e in errs])])
        self.values.flags.writeable = False
        self.fixed, self.estimated = check_fixed(fixed, self.param_names)

    # ------------------------------------------------------------ properties
    @property
    def n_beta(self) -> int:
        """Number of typical values of the structural parameters (``beta``)."""
        return self.structural.n_params

    @property
    def n_fixed(self) -> int:
        """Number of fixed effects: ``n_beta`` typical values and the covariate effects."""
        return self.structural.n_params + len(self._effects)

    @property
    def n_variance(self) -> int:
        """Number of estimated random-effect variance parameters (``om*`` and ``pi2_*``)."""
        return len(self._omega_pattern) + self.iov_idx.size

    @property
    def estimated_names(self) -> tuple:
        """Names of the estimated parameters (the rows of the FIM)."""
        return tuple(n for n, e in zip(self.param_names, self.estimated, strict=True) if e)

    def __repr__(self) -> str:
        return (f"PopulationModel({self.structural!r}, random effects on "
                f"{list(self.random_names)}, errors={list(self.errors)})")

    def with_beta(self, beta) -> PopulationModel:
        """A copy with other fixed-effect values (e.g. a draw from a prior)."""
        new = object.__new__(PopulationModel)
        new.__dict__.update(self.__dict__)
        try:
            b = self.structural.validate(beta).copy()
        except ValueError as exc:
            raise ValueError(f"beta: {exc}") from None
        except TypeError as exc:
            raise TypeError(f"beta: {exc}") from None
        b.flags.writeable = False
        new.beta = b
        try:
            new._g, new._dg = self._eta_slopes(b)
            new._gk, new._dgk = self._eta_slopes(b, self.iov_idx)
        except ValueError as exc:
            raise ValueError(f"beta: {exc}") from None
        vals = self.values.copy()
        vals[: self.n_beta] = b
        vals.flags.writeable = False
        new.values = vals
        return new

    # ------------------------------------------------------------ predictions
    def predict(self, times, dose=None, response=None) -> np.ndarray:
        """Typical (``eta = 0``) prediction at ``times``.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example
        >>> model, _ = warfarin_example()
        >>> model.predict([2.0], dose=70).round(4)
        array([7.3822])
        """
        times = self.structural.check_times(times, "times")
        return self.structural.predict(times, self.beta, dose, response)

    # ------------------------------------------------------------ FIM engine
    def _check_group(self, g: Group):
        """Validated dose and response indices of a group (raises on bad input, including
        its covariates)."""
        _, _, dose, resp = self.structural.check_inputs(g.times, self.beta, g.dose,
                                                       g.response)
        self._at(g)
        return dose, resp

    def _at(self, g: Group):
        r"""``(model, C)``: the model with the group's typical values
        :math:`\beta_g = \beta \prod h(x_g)` (module docs) and ``C`` (p, p + c), the
        derivative of :math:`\beta_g` with respect to (beta, covariate effects); ``C`` is
        None without a covariate model."""
        unknown = sorted(set(g.covariates) - set(self.covariate_names))
        if unknown:
            raise ValueError(f"design: unknown covariates {unknown} in group {g!r}; the "
                             f"covariate model uses {list(self.covariate_names)}")
        if not self._effects:
            return self, None
        missing = [c for c in self.covariate_names if c not in g.covariates]
        if missing:
            raise ValueError(f"design: group {g!r} must give a value for each covariate of "
                             f"the covariate model; missing covariates {missing}")
        p = self.n_beta
        h = np.ones((len(self._effects),))
        dl = np.zeros(len(self._effects))  # d log h / d theta
        for j, ((k, cov, form, ref), th) in enumerate(zip(self._effects, self.gamma,
                                                          strict=True)):
            x = g.covariates[cov]
            if form == "power":
                if not x > 0:
                    raise ValueError(f"design: covariate {cov} must be > 0 for the power "
                                     f"model of {self.structural.param_names[k]}, got {x!r}")
                h[j], dl[j] = (x / ref) ** th, np.log(x / ref)
            elif form == "linear":
                h[j] = 1.0 + th * (x - ref)
                if not h[j] > 0:
                    raise ValueError(
                        f"design: the linear covariate model 1 + theta ({cov} - {ref:g}) of "
                        f"{self.structural.param_names[k]} must be > 0, got {h[j]:.4g} at "
                        f"{cov} = {x!r}")
                dl[j] = (x - ref) / h[j]
            else:
                h[j], dl[j] = np.exp(th * (x - ref)), x - ref
        idx = np.array([k for k, _, _, _ in self._effects])
        fac = np.ones(p)
        np.multiply.at(fac, idx, h)
        bg = self.beta * fac
        C = np.zeros((p, p + idx.size))
        C[:, :p] = np.diag(fac)
        C[idx, p + np.arange(idx.size)] = bg[idx] * dl
        try:
            mg = self.with_beta(bg)
        except ValueError as exc:
            raise ValueError(f"design: group {g!r}: the covariates give typical values "
                             f"outside their range ({exc})") from None
        return mg, C

    def _group_rows(self, g: Group, full: bool, times=None, checked=None, eta=None):
        """:meth:`_rows` of a group (its covariates, occasions) with the fixed-effect
        derivatives through the covariate model (chain rule)."""
        d, resp = self._check_group(g) if checked is None else checked
        mg, C = self._at(g)
        rows = mg._rows(g.times if times is None else times, d, resp, full, eta,
                        occasions=g.occasions)
        if C is not None:
            for k in ("J", "Jf"):
                rows[k] = rows[k] @ C
            if rows["dZ"] is not None:
                rows["dZ"] = rows["dZ"] @ C
        return rows

    def _eta_slopes(self, beta, idx=None):
        """``g = d phi / d eta`` at ``eta = 0`` and ``d g / d beta`` of each random effect
        (of the parameters ``idx``, default those with between-subject variability)."""
        idx = self.random_idx if idx is None else idx
        g, dg = np.ones(idx.size), np.zeros(idx.size)
        for j, i in enumerate(idx):
            name = self.structural.param_names[i]
            kind, b = self.eta_model[name], float(beta[i])
            if kind in ("exponential", "proportional"):
                g[j], dg[j] = b, 1.0
            elif kind == "logit":
                if not 0.0 < b < 1.0:
                    raise ValueError(f"theta: {name} has a logit-normal random effect "
                                     f"(eta_model 'logit') and must be in (0, 1), got {b!r}")
                g[j], dg[j] = b * (1.0 - b), 1.0 - 2.0 * b
        return g, dg

    def _phi(self, eta):
        """Individual parameters phi(beta, eta) and the derivatives the FIM needs.

        Returns ``phi`` (p,), ``c = d phi / d beta`` (p,, diagonal), ``g = d phi_r / d eta``
        (q,) and ``d = d g / d beta_r`` (q,).
        """
        ridx = self.random_idx
        phi, c = self.beta.copy(), np.ones(self.n_beta)
        g, d = self._g.copy(), self._dg.copy()
        if eta is None:
            return phi, c, g, d
        for j, i in enumerate(ridx):
            kind = self.eta_model[self.random_names[j]]
            if kind == "exponential":
                e = np.exp(eta[j])
                phi[i], c[i], g[j], d[j] = self.beta[i] * e, e, self.beta[i] * e, e
            elif kind == "proportional":
                phi[i], c[i] = self.beta[i] * (1 + eta[j]), 1 + eta[j]
            elif kind == "logit":  # phi = expit(logit(beta) + eta)
                b = self.beta[i]
                p = 1.0 / (1.0 + np.exp(-(np.log(b / (1.0 - b)) + eta[j])))
                s = p * (1.0 - p)
                phi[i], c[i], g[j], d[j] = p, s / (b * (1 - b)), s, (1 - 2 * p) * s / (b * (1 - b))
            else:
                phi[i] = self.beta[i] + eta[j]
        return phi, c, g, d

    def _rows(self, times, dose, resp, full: bool, eta=None, occasions=None):
        r"""Per-sample quantities at times (B, n) for the linearisation at ``eta``.

        ``J`` is the derivative of the linearised mean ``f(phi(beta, eta)) - Z eta`` with
        respect to ``beta``, ``Jf`` that of ``f`` itself, ``Z = df/deta`` and ``dZ`` its
        derivative with respect to ``beta`` (n, q, p); ``eta=None`` is FO (``eta = 0``).
        With inter-occasion variability, ``Z`` and ``dZ`` also have the columns of the
        occasion effects :math:`\kappa_o` (occasion-major), ``Om`` is the covariance of
        all random effects and ``pat`` lists, per variance parameter, the (a, b) entries of
        ``Om`` it is.
        """
        T = np.atleast_2d(times)
        B, n = T.shape
        st = self.structural
        tt = T.ravel()
        rr = np.tile(resp, B)
        phi, c, g, d = self._phi(eta)
        if eta is not None:
            st.validate(phi)
        second = full or eta is not None
        out = st.evaluate(tt, phi, dose, rr, order=2 if second else 1, validate=False)
        f, Jp = out[0], out[1]
        ridx = self.random_idx
        Jf = Jp * c
        Z = Jp[:, ridx] * g
        J, dZ = Jf, None
        if second:
            H = out[2]  # (Bn, p, p) at phi
            dZ = H[:, ridx, :] * c[None, None, :] * g[None, :, None]
            dZ[:, np.arange(ridx.size), ridx] += Jp[:, ridx] * d
            if eta is not None:
                J = Jf - np.einsum("nqp,q->np", dZ, eta)
        Om = self.omega
        pat = [[ab] for ab in self._omega_pattern]
        if self.iov_idx.size:
            if eta is not None:
                raise ValueError("approximation must be 'FO' with inter-occasion "
                                 "variability (iov); FOCE is not available")
            occ = np.zeros(n, dtype=np.int64) if occasions is None else occasions
            _, occ = np.unique(occ, return_inverse=True)
            n_occ, s, kidx, q = int(occ.max()) + 1, self.iov_idx.size, self.iov_idx, ridx.size
            on = np.tile(occ, B)[:, None] == np.arange(n_occ)  # (Bn, O)
            Zk = Jp[:, kidx] * self._gk
            Z = np.concatenate([Z, (on[:, :, None] * Zk[:, None, :]).reshape(-1, n_occ * s)],
                               axis=1)
            if second:
                dZk = H[:, kidx, :] * self._gk[None, :, None]
                dZk[:, np.arange(s), kidx] += Jp[:, kidx] * self._dgk
                dZo = (on[:, :, None, None] * dZk[:, None]).reshape(-1, n_occ * s, Jp.shape[1])
                dZ = np.concatenate([dZ, dZo], axis=1)
            Om = np.zeros((q + n_occ * s,) * 2)
            Om[:q, :q] = self.omega
            Om[q:, q:] = np.kron(np.eye(n_occ), np.diag(self.pi))
            pat += [[(q + o * s + k,) * 2 for o in range(n_occ)] for k in range(s)]
        v, dvdf, dvds = self._residual_variance(f, rr)
        rows = {"f": f, "J": J, "Jf": Jf, "Z": Z, "dZ": dZ if full else None, "v": v,
                "dvdf": dvdf, "dvds": dvds}
        rows = {k: None if a is None else a.reshape((B, n) + a.shape[1:])
                for k, a in rows.items()}
        rows["Om"], rows["pat"] = Om, pat
        return rows

    def _residual_variance(self, f, rr):
        """Residual variance ``v`` (n,), ``dv/df`` (n,), ``dv/dsigma`` (n, r) of samples with
        predictions ``f`` (n,) of responses ``rr`` (n,) (raises when it overflows)."""
        r_tot = sum(len(e.param_names) for e in self.errors)
        v = np.empty(f.size)
        dvdf = np.empty(f.size)
        dvds = np.zeros((f.size, r_tot))
        for k, (e, sl) in enumerate(zip(self.errors, self._err_slices, strict=True)):
            m = rr == k
            if m.any():
                with np.errstate(over="ignore", invalid="ignore"):
                    v[m], dvdf[m], dvds[np.ix_(m, np.arange(sl.start, sl.stop))] = \
                        e.variance(f[m])
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(dvdf))
                and np.all(np.isfinite(dvds))):
            raise ValueError(f"the residual variance overflows float64 at predictions as large "
                             f"as {np.max(np.abs(f)):.3g}; the dose (and theta) must keep the "
                             "predictions smaller")
        return v, dvdf, dvds

    def _fim_batch(self, rows, full: bool, omega: bool = True):
        """Per-subject FIM of all parameters (B, P, P); ``omega=False``: no random effects.

        Returns ``(M, ok)`` with ``ok[b]`` False where the variance is not positive definite.
        """
        J, Z, v = rows["J"], rows["Z"], rows["v"]
        B, n, p = J.shape
        q = Z.shape[2] if omega else 0
        pat = rows["pat"] if omega else []
        u, r = len(pat), rows["dvds"].shape[2]
        if omega:
            Om = rows["Om"]
            ZO = Z @ Om
            V = ZO @ np.swapaxes(Z, 1, 2)
        else:
            V = np.zeros((B, n, n))
        V = V + v[:, :, None] * np.eye(n)
        ok = np.ones(B, dtype=bool)
        try:
            L = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            ok = np.array([np.all(np.linalg.eigvalsh(Vb) > 0) for Vb in V])
            V = np.where(ok[:, None, None], V, np.eye(n))
            L = np.linalg.cholesky(V)
        Li = np.linalg.inv(L)
        W = np.swapaxes(Li, 1, 2) @ Li
        # derivative matrices of V
        dVs = []
        if full:
            dZ, dvdf = rows["dZ"], rows["dvdf"]
            for k in range(p):
                dk = np.zeros((B, n, n))
                if q:
                    A = dZ[:, :, :, k] @ Om @ np.swapaxes(Z, 1, 2)
                    dk = A + np.swapaxes(A, 1, 2)
                dVs.append(dk + (dvdf * rows["Jf"][:, :, k])[:, :, None] * np.eye(n))
        for pairs in pat:  # dV/d(variance parameter): sum over the entries it is
            dk = 0.0
            for a, b in pairs:
                m = Z[:, :, a][:, :, None] * Z[:, :, b][:, None, :]
                dk = dk + (m if a == b else m + np.swapaxes(m, 1, 2))
            dVs.append(dk)
        dvds = rows["dvds"]
        for k in range(r):
            dVs.append(dvds[:, :, k][:, :, None] * np.eye(n))
        dV = np.stack(dVs, axis=1)  # (B, P', n, n)
        G = W[:, None] @ dV
        Tr = 0.5 * np.einsum("baij,bcji->bac", G, G)
        P = p + u + r
        M = np.zeros((B, P, P))
        M[:, :p, :p] = np.swapaxes(J, 1, 2) @ W @ J
        if full:
            M += Tr
        else:
            M[:, p:, p:] += Tr
        return 0.5 * (M + np.swapaxes(M, 1, 2)), ok

    def _expand(self, M, omega: bool):
        """Insert zero rows for omega parameters when computed without random effects."""
        if omega:
            return M
        p, u = self.n_fixed, self.n_variance
        P = len(self.param_names)
        out = np.zeros(M.shape[:-2] + (P, P))
        keep = np.r_[np.arange(p), np.arange(p + u, P)]
        out[..., keep[:, None], keep[None, :]] = M
        return out

    def _group_fim(self, g: Group, fim: str, times=None, checked=None):
        """Per-subject FIM (all parameters) of one group, or of a batch of time vectors.

        ``checked`` is the group's validated ``(dose, response)`` (from ``_check_group``).
        """
        rows = self._group_rows(g, fim == "full", times, checked)
        return self._fim_batch(rows, fim == "full"), rows

    def _shrinkage(self, rows, fim: str):
        """Shrinkage (variance scale) per random effect for each batch entry (B, q)."""
        Z, v = rows["Z"], rows["v"]
        q = self.random_idx.size  # shrinkage of the between-subject effects
        Ii = np.swapaxes(Z, 1, 2) @ (Z / v[:, :, None])
        if fim == "full":
            dR = rows["dvdf"][:, :, None] * Z  # (B, n, q): diagonal of dR/deta_k
            Ii = Ii + 0.5 * np.einsum("bnk,bnl->bkl", dR / v[:, :, None], dR / v[:, :, None])
        Oi = np.linalg.inv(rows["Om"])
        Imap = Ii + Oi
        S = np.linalg.solve(Imap, np.broadcast_to(Oi, Imap.shape))
        return np.diagonal(S, axis1=1, axis2=2)[:, :q]

    # ------------------------------------------------------------ public FIMs
    def _check_fim(self, fim):
        check_choice(fim, "fim", FIM_TYPES,
                     what="('reduced' is PopED's default block-diagonal FIM)")

    def fim(self, design, fim: str = "reduced", approximation: str = "FO", *,
            n_draws: int = 1000, rng=None) -> PopulationFIM:
        r"""Population FIM of a design by first-order linearisation (FO or FOCE).

        Parameters
        ----------
        design : Group or sequence of Group
            The groups (sampling times, dose, size, responses).
        fim : {'reduced', 'full'}
            ``'reduced'`` (PopED's default): block-diagonal, no derivatives of the variance
            with respect to the fixed effects; ``'full'``: all terms (module docs).
        approximation : {'FO', 'FOCE'}
            ``'FO'``: linearisation around :math:`\eta = 0`. ``'FOCE'``: PopED's
            first-order conditional approximation for design: the average over
            ``n_draws`` random effects :math:`\eta_k \sim N(0, \Omega)` of the FIM of
            the model linearised around :math:`\eta_k`, with mean
            :math:`f(\phi(\beta, \eta_k)) - Z_k\eta_k` and variance
            :math:`Z_k\Omega Z_k^T + \operatorname{diag} v(f(\phi(\beta,\eta_k)))`,
            :math:`Z_k = \partial f/\partial\eta` at :math:`\eta_k` (PopED's ``mf3``
            with ``iApproximationMethod = 1``; Nyberg et al. 2012). Its mean derivative
            needs the second derivatives of ``f`` even for the reduced FIM. The expected
            shrinkage is the FO one.
        n_draws : int
            Number of random-effect draws for FOCE (PopED's ``iFOCENumInd``, 1000).
        rng : None, int or Generator
            Seed of the FOCE draws (default None: fresh entropy, as everywhere in the
            package; pass a seed for a reproducible FOCE FIM). Unused by FO.

        Returns
        -------
        PopulationFIM

        Raises
        ------
        ValueError
            If the variance of the observations is not positive definite (e.g. a
            proportional error at a time where the prediction is 0).

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example
        >>> model, design = warfarin_example()
        >>> round(model.fim(design).ofv, 4)
        52.448
        >>> foce = model.fim(design, approximation="FOCE", n_draws=50, rng=0)
        >>> foce.approximation, bool(foce.ofv > 0)
        ('FOCE', True)
        """
        self._check_fim(fim)
        if not isinstance(approximation, str) or approximation not in ("FO", "FOCE"):
            raise ValueError(f"approximation must be 'FO' (around eta = 0) or 'FOCE' (around "
                             f"draws of eta), got {approximation!r}")
        etas = None
        n_draws = check_int(n_draws, "n_draws", low=1)
        rng = check_random_state(rng)
        if approximation == "FOCE":
            if self.iov_idx.size:
                raise ValueError("approximation must be 'FO' with inter-occasion "
                                 "variability (iov); FOCE is not available")
            q = self.random_idx.size
            etas = (check_random_state(rng).standard_normal((n_draws, q))
                    @ np.linalg.cholesky(self.omega).T) if q else np.zeros((1, 0))
        groups = as_groups(design)
        P = len(self.param_names)
        M = np.zeros((P, P))
        shr, sizes = [], []
        for gi, g in enumerate(groups):
            (Mg, ok), rows = self._group_fim(g, fim)
            if etas is not None and etas.shape[1]:
                chk = self._check_group(g)
                Mg = np.zeros_like(Mg)
                for eta in etas:
                    Mk, okk = self._fim_batch(
                        self._group_rows(g, fim == "full", checked=chk, eta=eta),
                        fim == "full")
                    ok = ok & okk
                    Mg += Mk / etas.shape[0]
            if not ok[0]:
                raise ValueError(
                    f"design: the variance of the observations of group {gi} is not positive "
                    f"definite at times {g.times.tolist()} (e.g. a proportional error where "
                    "the prediction is 0); move those samples or add an additive error")
            with np.errstate(over="ignore", invalid="ignore"):
                M += g.size * Mg[0]
            if not np.all(np.isfinite(M)):
                raise ValueError(f"design: the FIM of group {gi} (size {g.size:g}) overflows "
                                 "float64; the group sizes must be smaller")
            if self.random_idx.size:
                shr.append(self._shrinkage(rows, fim)[0])
                sizes.append(g.size)
        est = self.estimated
        shrinkage = {}
        if shr:
            w = np.array(sizes) / np.sum(sizes)
            sv = w @ np.array(shr)
            shrinkage = {"var": dict(zip(self.random_names, sv.tolist(), strict=True)),
                         "sd": dict(zip(self.random_names, (1 - np.sqrt(1 - sv)).tolist(),
                                        strict=True))}
        info = FisherInfo(M[np.ix_(est, est)], self.estimated_names,
                          n_obs=float(sum(g.size for g in groups)))
        return PopulationFIM(info, self.values[est], fim, approximation, shrinkage)

    def individual_fim(self, times, dose=None, response=None, fim: str = "full", *,
                       covariates=None) -> FisherInfo:
        r"""FIM of one subject's parameters (fixed effects and error, no random effects).

        The information of :math:`y \sim N(f(\beta), \operatorname{diag} v(f))`:
        :math:`J^T V^{-1} J + \frac12\operatorname{tr}(V^{-1}\partial V V^{-1}\partial V)`
        (``fim='full'``; the ``reduced`` variant drops the dependence of the variance on
        :math:`\beta` in the fixed-effect block and the cross blocks, one of the
        approximations discussed for PkStaMp by Aliev et al. 2012, *Commun. Stat. Simul.
        Comput.* 41, 849-868). Only estimated parameters that are not ``omega`` (or
        ``pi2_*``) elements are kept. With a covariate model, ``covariates`` gives the
        subject's values (``{name: value}``, as for :class:`Group`); the covariate effects
        are then among the fixed effects.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.pkpd import warfarin_example
        >>> model, _ = warfarin_example()
        >>> info = model.individual_fim([0.5, 2, 6, 24, 72], dose=70)
        >>> info.param_names
        ('CL', 'V', 'KA', 'sig2_prop')
        """
        self._check_fim(fim)
        g = Group(times, 1, dose, response, covariates=covariates)
        M, ok = self._fim_batch(self._group_rows(g, fim == "full"), fim == "full",
                                omega=False)
        if not ok[0]:
            raise ValueError("times: the residual variance is not positive at some sample "
                             "(e.g. a proportional error where the prediction is 0)")
        M = self._expand(M[0], False)
        p, u = self.n_fixed, self.n_variance
        keep = np.array([e and not (p <= i < p + u) for i, e in enumerate(self.estimated)])
        return FisherInfo(M[np.ix_(keep, keep)],
                          tuple(n for n, k in zip(self.param_names, keep, strict=True) if k))


# ------------------------------------------------------------------------ the example
def warfarin_example(size: float = 32):
    """The PopED warfarin model and design (Nyberg et al. 2012): ``(model, design)``.

    One compartment, first-order absorption, single dose 70, CL = 0.15, V = 8, KA = 1,
    exponential random effects with variances (0.07, 0.02, 0.6), proportional error with
    variance 0.01, samples at (0.5, 1, 2, 6, 24, 36, 72, 120), ``size`` subjects.

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example
    >>> model, design = warfarin_example()
    >>> design
    Group(times=[0.5, 1.0, 2.0, 6.0, 24.0, 36.0, 72.0, 120.0], size=32, dose=70)
    """
    from .errors import Proportional
    from .structural import OneCompartment

    model = PopulationModel(OneCompartment("oral"), {"CL": 0.15, "V": 8.0, "KA": 1.0},
                            omega=[0.07, 0.02, 0.6], error=Proportional(0.01))
    return model, Group([0.5, 1, 2, 6, 24, 36, 72, 120], size=size, dose=70)

