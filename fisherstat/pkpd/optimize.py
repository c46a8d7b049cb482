r"""Design optimisation for population PK/PD studies.

Two kinds of problems:

**Exact population designs** (:func:`optimize_design`): groups of subjects with their own
sampling times and doses; the design variables are the sampling times (continuous within
windows, with a minimum spacing between consecutive samples, or chosen from discrete
candidates), the dose amounts, and the group sizes. The criterion is a function of the
population FIM :math:`M = \sum_g N_g I^{(g)}` of the estimated parameters
(:mod:`fisherstat.pkpd.population`):

=============  ==============================================  ==========================
criterion      maximised utility                                reference
=============  ==============================================  ==========================
``'D'``        :math:`\ln\det M` (PopED's ``ofv``)              Atkinson, Donev & Tobias
                                                                2007, ch. 10
``'Ds'``       :math:`\ln\det` of the Schur complement of the    ibid., section 10.3
               parameters of interest (others nuisance)
``'A'``        :math:`-\operatorname{tr} M^{-1}`                 ibid., section 10.6
``'c'``        :math:`-c^T M^{-1} c`, :math:`c = \nabla g`       ibid., section 10.4
               for a derived quantity :math:`g(\beta)`
               (AUC, Cmax, or any function)
=============  ==============================================  ==========================

With a prior sample :math:`\beta_1..\beta_K` (weights :math:`\pi_k`) on the fixed effects,
the Bayesian criteria are :math:`\sum_k \pi_k U(M(\beta_k))` (``bayesian='ELD'``, for
``D`` the expected log-determinant) or, for ``D``, :math:`\ln \sum_k \pi_k
\det M(\beta_k)` (``bayesian='ED'``; Dodds, Hooker & Vicini 2005, *J. Pharmacokinet.
Pharmacodyn.* 32, 33-64; Tod & Rocchisani 1996, *J. Pharmacokinet. Biopharm.* 24,
363-389).

Continuous variables are optimised by L-BFGS-B (or SLSQP with the spacing constraints
:math:`t_{j+1} - t_j \ge \delta`) from the start design and from random feasible starts,
with the gradient :math:`\partial U/\partial x = \sum_g N_g
\operatorname{tr}\{\nabla_M U\, \partial I^{(g)}/\partial x\}`, the derivative of the
group FIM taken by central differences (all perturbed designs of a group evaluated in one
batch). Discrete candidate times are chosen by a Fedorov-type exchange: each sample in
turn is replaced by the best admissible candidate (all candidates evaluated in one batch)
until a sweep brings no improvement. Every returned design is at least as good as its
start.

**Approximate designs over candidate sampling sequences with costs**
(:func:`cost_design`): a subject sampled at sequence :math:`x_i` costs :math:`c(x_i)`
(e.g. :math:`c_0 + c_s k` for :math:`k` samples) and contributes the per-subject FIM
:math:`\mu(x_i)`. With a total budget :math:`C`, allotting the fraction :math:`w_i` of the
budget to sequence :math:`i` gives :math:`n_i = w_i C / c(x_i)` subjects and the
information :math:`C \sum_i w_i \mu(x_i)/c(x_i)`, so the cost-normalised design problem is
an ordinary approximate design problem in :math:`w` with the normalised information
:math:`\mu(x)/c(x)`; its first-order algorithm and equivalence theorem use the
cost-normalised sensitivity :math:`\operatorname{tr}\{M^{-1}\mu(x)\}/c(x) \le m` (for D;
Fedorov & Leonov 2014, *Optimal Design for Nonlinear Response Models*, CRC Press,
cost-based designs; Gagnon & Leonov 2005, *J. Biopharm. Stat.* 15, 143-163; the PkStaMp
library, Aliev et al. 2012, *Commun. Stat. Simul. Comput.* 41, 849-868). The weights are
computed by :func:`fisherstat.design.optimal_design` (REX, multiplicative or
Fedorov-Wynn) on the normalised information matrices, and the result carries its
equivalence-theorem efficiency bound. Varying the length of the candidate sequences
optimises the number of samples per subject.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .. import _numdiff
from .._validation import (
    as_float_array,
    check_in_interval,
    check_int,
    check_random_state,
    check_scalar,
    check_weights,
)
from ..models.base import RegressionModel
from ..plot import check_axes
from .population import Group, PopulationFIM, PopulationModel, as_groups
from .structural import Regimen, as_regimen

__all__ = [
    "CRITERIA",
    "optimize_design",
    "OptimizationResult",
    "cost_design",
    "CostDesignResult",
    "candidate_sequences",
    "prior_sample",
    "derived_gradient",
]

#: The criteria of :func:`optimize_design` and :func:`cost_design`.
CRITERIA = ("D", "Ds", "A", "c")
_EPS = np.finfo(float).eps


# ------------------------------------------------------------------------ criteria
class _Criterion:
    """Utility (larger is better) of FIMs, batched, and its gradient in ``M``."""

    def __init__(self, name: str, names: tuple, params=None, cvec=None):
        self.name, self.names = name, names
        k = len(names)
        if name == "Ds":
            if params is None:
                raise TypeError("criterion 'Ds' needs params (the parameters of interest)")
            if not isinstance(params, (str, list, tuple, np.ndarray)):
                raise TypeError(f"params must be a parameter name or a sequence of names, got "
                                f"{type(params).__name__}")
            params = [params] if isinstance(params, str) else list(params)
            if not params:
                raise ValueError("params must name at least one parameter of interest")
            for q in params:
                if not isinstance(q, str) or q not in names:
                    raise ValueError(f"params: unknown or not estimated parameter {q!r}; "
                                     f"expected names from {names}")
            if len(set(params)) != len(params) or len(params) == k:
                raise ValueError("params must be distinct and leave at least one nuisance "
                                 "parameter (otherwise use 'D')")
            self.T = np.array([names.index(q) for q in params])
            self.N = np.setdiff1d(np.arange(k), self.T)
        self.cvec = None if cvec is None else np.asarray(cvec, dtype=float)

    @staticmethod
    def _eig(M):
        w, V = np.linalg.eigh(M)
        tol = np.maximum(np.abs(w[..., -1:]), np.finfo(float).tiny) * w.shape[-1] * _EPS * 10
        return w, V, np.all(w > tol, axis=-1)

    @classmethod
    def _logdet(cls, M):
        w, _, ok = cls._eig(M)
        return np.where(ok, np.sum(np.log(np.where(ok[..., None], w, 1.0)), axis=-1), -np.inf)

    def utility(self, M: np.ndarray) -> np.ndarray:
        """Utility of a batch of FIMs (B, k, k) -> (B,); ``-inf`` when singular."""
        M = 0.5 * (M + np.swapaxes(M, -1, -2))
        if self.name == "D":
            return self._logdet(M)
        if self.name == "Ds":
            full = self._logdet(M)
            nuis = self._logdet(M[..., self.N[:, None], self.N[None, :]])
            return np.where(np.isfinite(full) & np.isfinite(nuis), full - nuis, -np.inf)
        w, V, ok = self._eig(M)
        wi = 1.0 / np.where(ok[..., None], w, 1.0)
        if self.name == "A":
            val = -np.sum(wi, axis=-1)
        else:
            proj = np.einsum("...ij,i->...j", V, self.cvec)
            val = -np.sum(proj**2 * wi, axis=-1)
        return np.where(ok, val, -np.inf)

    def natural(self, u: float) -> float:
        """The criterion in its usual units: ln det (D, Ds), trace (A), variance (c)."""
        return float(u) if self.name in ("D", "Ds") else float(-u)

    def gradient(self, M: np.ndarray) -> np.ndarray:
        """``dU/dM`` (k, k) at a non-singular ``M``."""
        Mi = np.linalg.inv(0.5 * (M + M.T))
        if self.name == "D":
            G = Mi
        elif self.name == "Ds":
            G = Mi.copy()
            G[np.ix_(self.N, self.N)] -= np.linalg.inv(M[np.ix_(self.N, self.N)])
        elif self.name == "A":
            G = Mi @ Mi
        else:
            h = Mi @ self.cvec
            G = np.outer(h, h)
        return 0.5 * (G + G.T)


def _as_criterion_name(criterion) -> str:
    if not isinstance(criterion, str):
        raise TypeError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    name = {"D": "D", "DS": "Ds", "A": "A", "C": "c"}.get(criterion.upper())
    if name is None:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    return name


# ---------------------------------------------------------------- derived quantities
def derived_gradient(model: PopulationModel, derived, dose, t_max: float | None = None):
    r"""Value and gradient (over the fixed effects) of a derived quantity ``g(beta)``.

    Parameters
    ----------
    model : PopulationModel
    derived : {'AUC', 'Cmax'} or callable
        ``'AUC'``: :math:`\int_0^\infty C\,dt = D_{tot}/CL` (linear PK; ``D/(K V)`` in the
        ``k`` parametrisation; for a steady-state regimen the AUC over one interval,
        :math:`D/CL`). ``'Cmax'``: the largest typical prediction on ``[0, t_max]``,
        located on a grid and refined; by the envelope theorem its gradient is the
        Jacobian of ``f`` at ``t_max`` (interior maximum, or the boundary).
        A callable ``g(beta) -> float`` is differentiated numerically
        (:func:`fisherstat._numdiff.jacobian`).
    dose : float or Regimen
    t_max : float, optional
        End of the time range for ``'Cmax'``.

    Returns
    -------
    value : float
    gradient : ndarray, shape (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import warfarin_example, derived_gradient
    >>> model, _ = warfarin_example()
    >>> v, g = derived_gradient(model, "AUC", 70)
    >>> round(v, 4), np.round(g, 2)   # 70 / 0.15 and -70 / 0.15^2
    (466.6667, array([-3111.11,     0.  ,     0.  ]))
    """
    _check_model(model)
    st, beta = model.structural, model.beta
    names = st.param_names
    if callable(derived):
        g = lambda b: np.atleast_1d(np.asarray(derived(b), dtype=float))  # noqa: E731
        val = g(beta)
        if val.shape != (1,) or not np.isfinite(val[0]):
            raise ValueError("derived must return one finite number")
        grad = _numdiff.jacobian(g, beta, st.lower, st.upper)[0]
        return float(val[0]), grad
    if derived == "AUC":
        reg = as_regimen(dose)
        total = float(reg.amounts[0] if reg.tau is not None else reg.amounts.sum())
        grad = np.zeros(beta.size)
        if "CL" in names:
            j = names.index("CL")
            auc = total / beta[j]
            grad[j] = -auc / beta[j]
        elif "K" in names and "V" in names:
            jk, jv = names.index("K"), names.index("V")
            auc = total / (beta[jk] * beta[jv])
            grad[jk], grad[jv] = -auc / beta[jk], -auc / beta[jv]
        elif "K10" in names and "V1" in names:
            jk, jv = names.index("K10"), names.index("V1")
            auc = total / (beta[jk] * beta[jv])
            grad[jk], grad[jv] = -auc / beta[jk], -auc / beta[jv]
        else:
            raise ValueError("derived='AUC' needs a linear PK model (parameters CL, or K and V);"
                             " pass a callable g(beta) instead")
        return float(auc), grad
    if derived == "Cmax":
        if t_max is None:
            raise ValueError("derived='Cmax' needs t_max > 0 (end of the time range)")
        t_max = check_scalar(t_max, "t_max", low=0)
        grid = np.linspace(0.0, t_max, 2001)
        f = st.predict(grid, beta, dose)
        i = int(np.argmax(f))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        res = optimize.minimize_scalar(lambda s: -st.predict([s], beta, dose)[0],
                                       bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-10 * max(1.0, t_max)})
        tm = float(res.x) if -res.fun >= f[i] else float(grid[i])
        fm, J = st.evaluate([tm], beta, dose)
        return float(fm[0]), J[0]
    raise ValueError(f"derived must be 'AUC', 'Cmax' or a callable g(beta), got {derived!r}")


# --------------------------------------------------------------------------- priors
def prior_sample(model: PopulationModel, cv, n_draws: int = 50, rng=0) -> np.ndarray:
    r"""Draws of the fixed effects from independent log-normal priors around the typical
    values: :math:`\beta_k = \beta\, e^{z_k}`, :math:`z_k \sim N(0, \log(1 + CV^2))`.

    Parameters
    ----------
    model : PopulationModel
    cv : float or array_like (p,) or mapping
        Coefficient of variation of each fixed effect (0: not uncertain).
    n_draws : int
    rng : int or Generator

    Returns
    -------
    ndarray, shape (n_draws, p)

    Examples
    --------
    >>> from fisherstat.pkpd import warfarin_example, prior_sample
    >>> model, _ = warfarin_example()
    >>> prior_sample(model, {"CL": 0.3, "V": 0.0, "KA": 0.5}, n_draws=4).shape
    (4, 3)
    """
    _check_model(model)
    names = model.structural.param_names
    if isinstance(cv, dict):
        unknown = set(cv) - set(names)
        if unknown:
            raise ValueError(f"cv: unknown parameters {sorted(unknown)}")
        cv = [cv.get(n, 0.0) for n in names]
        for n, x in zip(names, cv, strict=True):
            if isinstance(x, bool) or not isinstance(x, (float, int, np.floating, np.integer)):
                raise TypeError(f"cv: the value of {n} must be a real number >= 0, got {x!r}")
    c = as_float_array(cv, "cv", ndim=(0, 1))
    if c.ndim == 1 and c.size != len(names):
        raise ValueError(f"cv must be a number or have {len(names)} entries (one per fixed "
                         f"effect {names}), got {c.size}")
    c = np.broadcast_to(c, (len(names),))
    if np.any(c < 0):
        raise ValueError("cv must be >= 0")
    n = check_int(n_draws, "n_draws", low=1)
    z = check_random_state(rng).standard_normal((n, len(names)))
    # log(1 + cv^2) without overflow of cv^2 (2 log cv when cv^2 would overflow)
    with np.errstate(over="ignore", divide="ignore"):
        s2 = np.where(c > 1e150, 2.0 * np.log(np.maximum(c, 1e150)), np.log1p(np.minimum(
            c, 1e150) ** 2))
    with np.errstate(over="ignore", under="ignore"):
        out = model.beta * np.exp(z * np.sqrt(s2))
    if not np.all(np.isfinite(out) & (out > 0)):
        raise ValueError("cv is too large: the prior draws overflow float64 (cv must be "
                         "small enough for beta * exp(z sqrt(log(1 + cv^2))) to be finite)")
    return out


def _check_model(model):
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")


# ------------------------------------------------------------------- the evaluator
class _Evaluator:
    """Criterion value and gradient of a multi-group design, over prior draws."""

    def __init__(self, model, groups, fim, crit_name, params, derived, prior,
                 prior_weights, bayesian):
        self.model, self.groups, self.fim = model, groups, fim
        if prior is None:
            self.models = [model]
            self.pw = np.ones(1)
        else:
            P = as_float_array(prior, "prior", ndim=2)
            if P.shape[1] != model.n_beta:
                raise ValueError(f"prior must have shape (K, {model.n_beta}) (draws of the "
                                 f"fixed effects {model.structural.param_names}), got {P.shape}")
            self.models = []
            for j, b in enumerate(P):
                try:
                    self.models.append(model.with_beta(b))
                except ValueError as exc:
                    raise ValueError(f"prior: row {j}: {exc}") from None
            pw = (np.full(P.shape[0], 1.0) if prior_weights is None
                  else check_weights(prior_weights, "prior_weights", P.shape[0]))
            self.pw = pw / pw.sum()
        if bayesian not in ("ELD", "ED"):
            raise ValueError(f"bayesian must be 'ELD' (expected criterion) or 'ED' (log of "
                             f"the expected determinant, D only), got {bayesian!r}")
        if bayesian == "ED" and crit_name not in ("D", "Ds"):
            raise ValueError("bayesian='ED' (expected determinant) needs criterion 'D' or 'Ds'")
        self.bayesian = bayesian
        self.est = model.estimated
        names = model.estimated_names
        t_end = max(float(g.times.max()) for g in groups)
        self.crits = []
        for m in self.models:
            cvec = None
            if crit_name == "c":
                if derived is None:
                    raise TypeError("criterion 'c' needs derived= ('AUC', 'Cmax' or a callable "
                                    "g(beta))")
                _, gb = derived_gradient(m, derived, groups[0].dose, t_max=t_end)
                full = np.zeros(len(model.param_names))
                full[: model.n_beta] = gb
                cvec = full[self.est]
                if not np.any(cvec != 0):
                    raise ValueError("derived: its gradient over the estimated parameters is 0")
            self.crits.append(_Criterion(crit_name, names, params, cvec))
        self.checked = {id(g): model._check_group(g) for g in groups}
        self.n_evals = 0

    # per-subject FIM of one group for a batch of time vectors / one dose
    def group_fims(self, m, g, times, dose):
        if id(g) not in self.checked:
            self.checked[id(g)] = self.model._check_group(g)
        d0, resp = self.checked[id(g)]
        d = d0 if dose is g.dose else m.structural.check_dose(dose)
        (Mb, ok), _ = m._group_fim(g, self.fim, times=times, checked=(d, resp))
        self.n_evals += Mb.shape[0]
        Mb = Mb[:, self.est][:, :, self.est]
        return np.where(ok[:, None, None], Mb, np.nan)

    def combine(self, U):
        """Prior combination of utilities U (K, ...) -> (...)."""
        if self.bayesian == "ED" and U.shape[0] > 1:
            with np.errstate(divide="ignore"):
                lw = np.log(self.pw)
            a = U + lw.reshape((-1,) + (1,) * (U.ndim - 1))
            mx = np.max(a, axis=0)
            fin = np.isfinite(mx)
            mx0 = np.where(fin, mx, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                lse = mx0 + np.log(np.sum(np.exp(a - mx0), axis=0))
            return np.where(fin & np.all(np.isfinite(U), axis=0), lse, -np.inf)
        with np.errstate(invalid="ignore"):
            out = np.tensordot(self.pw, U, axes=1)
        return np.where(np.all(np.isfinite(U), axis=0), out, -np.inf)

    def utility(self, times_list, doses):
        """Utility of a design (times per group, dose per group)."""
        U = np.empty(len(self.models))
        for k, (m, c) in enumerate(zip(self.models, self.crits, strict=True)):
            M = 0.0
            for g, t, d in zip(self.groups, times_list, doses, strict=True):
                Mg = self.group_fims(m, g, t[None, :], d)[0]
                M = M + g.size * Mg
            U[k] = c.utility(np.where(np.isfinite(M), M, 0.0)[None])[0] if np.all(
                np.isfinite(M)) else -np.inf
        return float(self.combine(U[:, None])[0])

    def value_and_gradient(self, times_list, doses, kinds=()):
        """Utility and its gradient over (times of each group, then per kind of scalar
        variable ('dose', 'duration') one value per group)."""
        K = len(self.models)
        nvar = sum(t.size for t in times_list) + len(kinds) * len(doses)
        U = np.empty(K)
        dU = np.zeros((K, nvar))
        for k, (m, c) in enumerate(zip(self.models, self.crits, strict=True)):
            M = 0.0
            dMs = []  # per group: (n_vars_g, k, k)
            for g, t, d in zip(self.groups, times_list, doses, strict=True):
                n = t.size
                h = 1e-5 * np.maximum(1.0, np.abs(t))
                tp, tm = t + h, np.maximum(t - h, 0.0)
                batch = np.vstack([t[None, :], t + np.diag(tp - t), t + np.diag(tm - t)])
                Mb = self.group_fims(m, g, batch, d)
                M = M + g.size * Mb[0]
                dM = (Mb[1:n + 1] - Mb[n + 1:]) / (tp - tm)[:, None, None]
                for kind in kinds:
                    a = _get_var(d, kind)
                    hd = 1e-6 * max(1.0, a)
                    lo = max(a - hd, 0.0)
                    Mp = self.group_fims(m, g, t[None, :], _set_var(d, kind, a + hd))[0]
                    Mm = self.group_fims(m, g, t[None, :], _set_var(d, kind, lo))[0]
                    dM = np.concatenate([dM, ((Mp - Mm) / (a + hd - lo))[None]])
                dMs.append(g.size * dM)
            if not np.all(np.isfinite(M)):
                U[k] = -np.inf
                continue
            U[k] = c.utility(M[None])[0]
            if not np.isfinite(U[k]):
                continue
            G = c.gradient(M)
            grads = [np.einsum("ij,vij->v", G, dM) for dM in dMs]
            tg = [gr[: t.size] for gr, t in zip(grads, times_list, strict=True)]
            nk = len(kinds)
            parts = tg + [np.array([gr[t.size + j] for gr, t in zip(grads, times_list,
                                                                   strict=True)])
                          for j in range(nk)]
            dU[k] = np.concatenate(parts)
        val = float(self.combine(U[:, None])[0])
        if not np.isfinite(val):
            return val, np.zeros(nvar)
        if self.bayesian == "ED" and K > 1:
            wts = self.pw * np.exp(U - np.max(U))
            wts /= wts.sum()
        else:
            wts = self.pw
        return val, wts @ dU

    def fim(self, groups) -> PopulationFIM:
        return self.model.fim(groups, fim=self.fim)


def _get_var(dose, kind: str) -> float:
    """The dose amount or infusion duration of a group's dose."""
    reg = as_regimen(dose)
    return float(reg.amounts[0] if kind == "dose" else reg.durations[0])


def _set_var(dose, kind: str, value: float):
    """The dose with its amount (all doses) or infusion duration (all doses) changed."""
    if kind == "dose":
        return dose.with_amount(value) if isinstance(dose, Regimen) else float(value)
    return as_regimen(dose).with_duration(value)


def _set_vars(dose, kinds, values):
    for kind, v in zip(kinds, values, strict=True):
        dose = _set_var(dose, kind, v)
    return dose


# ---------------------------------------------------------------------- the result
@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """An optimised population design with its FIM and the improvement over the start.

    Attributes
    ----------
    design : tuple of Group
        The optimised groups.
    start : tuple of Group
        The starting groups.
    fim, start_fim : PopulationFIM
        Population FIM (at the typical values) of both.
    criterion : str
        ``'D'``, ``'Ds'``, ``'A'`` or ``'c'`` (with ``'Bayesian ...'`` when a prior was
        given).
    value, start_value : float
        Criterion in its usual units (ln det for D/Ds, trace for A, variance for c; the
        prior combination for Bayesian designs).
    n_evaluations : int
        Number of group-FIM evaluations.
    seconds : float
    windows : tuple of ndarray
        The sampling windows used, per group (n_g, 2).
    model : PopulationModel
    """

    design: tuple
    start: tuple
    fim: PopulationFIM
    start_fim: PopulationFIM
    criterion: str
    value: float
    start_value: float
    n_evaluations: int
    seconds: float
    windows: tuple = field(repr=False, default=())
    model: PopulationModel = field(repr=False, default=None)

    @property
    def efficiency(self) -> float:
        """D-efficiency of the start relative to the optimum, ``(det M0 / det M)^(1/k)``."""
        return float(np.exp((self.start_fim.ofv - self.fim.ofv) / len(self.fim.param_names)))

    def summary(self) -> str:
        """Design table, criterion values and the RSE% table of the optimised design.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example, optimize_design
        >>> model, design = warfarin_example()
        >>> res = optimize_design(model, design, windows=(0.5, 120), n_starts=1)
        >>> print(res.summary())  # doctest: +ELLIPSIS
        Optimised design (criterion D, ...)
        ...
        """
        lines = [f"Optimised design (criterion {self.criterion}, {self.n_evaluations} group-FIM "
                 f"evaluations, {self.seconds:.3g} s)",
                 f"{'group':<7}{'size':>8}{'dose':>10}  sampling times"]
        for i, g in enumerate(self.design):
            lines.append(f"{g.name or i:<7}{g.size:>8.4g}{_dose_str(g.dose):>10}  "
                         + ", ".join(f"{t:.4g}" for t in g.times))
        unit = {"D": "ln det", "Ds": "ln det (Schur)", "A": "trace of inverse",
                "c": "variance"}.get(self.criterion.split()[-1], "")
        lines.append(f"criterion ({unit}): start {self.start_value:.6g} -> optimum "
                     f"{self.value:.6g}")
        lines.append(f"ln det FIM: start {self.start_fim.ofv:.4f} -> {self.fim.ofv:.4f} "
                     f"(D-efficiency of the start {self.efficiency:.4f})")
        lines.append(self.fim.summary())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, n_points: int = 400):
        """Typical prediction of each group with its sampling times (and windows).

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        n_points = check_int(n_points, "n_points", low=2)
        if check_axes(ax) is None:
            _, ax = plt.subplots(figsize=(7, 4))
        st = self.model.structural
        t_end = max(max(float(g.times.max()) for g in self.design),
                    max(float(w[:, 1].max()) for w in self.windows) if self.windows else 0.0)
        for i, g in enumerate(self.design):
            reg = st.check_dose(g.dose)
            t0 = float(reg.times[0]) if isinstance(reg, Regimen) and reg.tau is not None else 0.0
            end = t_end * 1.02
            grid = np.unique(np.concatenate([np.linspace(t0, end, n_points),
                                             t0 + np.geomspace(end * 1e-4, end - t0, n_points)]))
            line, = ax.plot(grid, st.predict(grid, self.model.beta, g.dose),
                            label=f"group {g.name or i} (dose {_dose_str(g.dose)})")
            resp = st.check_response(g.response, g.n_samples)
            yv = st.predict(g.times, self.model.beta, g.dose, resp)
            ax.plot(g.times, yv, "o", color=line.get_color(), ms=7, mfc="white", mew=2)
            tu, counts = np.unique(np.round(g.times, 5), return_counts=True)
            for tk, ck in zip(tu, counts, strict=True):
                if ck > 1:  # replicated samples at one time
                    yk = st.predict([tk], self.model.beta, g.dose)[0]
                    ax.annotate(f"x{ck}", (tk, yk), textcoords="offset points",
                                xytext=(6, 6), color=line.get_color())
        for w in self.windows[:1]:
            for lo, hi in np.unique(w, axis=0):
                ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.set_xlabel("time")
        ax.set_ylabel(st.responses[0])
        ax.set_title(f"{self.criterion}-optimal sampling times")
        ax.legend()
        return ax


def _dose_str(dose) -> str:
    if dose is None:
        return "-"
    if isinstance(dose, Regimen):
        txt = f"{dose.amounts[0]:.4g}" + (f"x{dose.n_doses}" if dose.n_doses > 1 else "")
        if dose.durations[0] > 0:
            txt += f"/{dose.durations[0]:.3g}"
        return txt + (" ss" if dose.tau is not None else "")
    return f"{float(dose):.4g}"


# ---------------------------------------------------------------------- windows
def _windows(windows, groups) -> list:
    """Per-group (n_g, 2) arrays of sampling windows."""
    out = []
    if windows is None:
        for g in groups:
            out.append(np.tile([g.times.min(), g.times.max()], (g.n_samples, 1)))
        return out
    arr = None
    try:
        arr = np.asarray(windows, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.shape == (2,):
        out = [np.tile(arr, (g.n_samples, 1)) for g in groups]
    else:
        seq = list(windows)
        if len(seq) != len(groups):
            raise ValueError(f"windows must be a (low, high) pair, or one entry per group "
                             f"({len(groups)}), got {len(seq)} entries")
        for i, (w, g) in enumerate(zip(seq, groups, strict=True)):
            a = as_float_array(w, f"windows[{i}]", ndim=(1, 2))
            if a.shape == (2,):
                a = np.tile(a, (g.n_samples, 1))
            if a.shape != (g.n_samples, 2):
                raise ValueError(f"windows[{i}] must be a (low, high) pair or have shape "
                                 f"({g.n_samples}, 2), got {a.shape}")
            out.append(a)
    for i, w in enumerate(out):
        if not np.all(np.isfinite(w)) or np.any(w[:, 0] < 0) or np.any(w[:, 0] > w[:, 1]):
            raise ValueError(f"windows of group {i} must be finite intervals (low, high) with "
                             f"0 <= low <= high, got {w.tolist()}")
    return out


def _check_start(groups, wins, spacing):
    for i, (g, w) in enumerate(zip(groups, wins, strict=True)):
        t = g.times
        bad = np.flatnonzero((t < w[:, 0] - 1e-12) | (t > w[:, 1] + 1e-12))
        if bad.size:
            j = int(bad[0])
            raise ValueError(f"design: time {t[j]:g} of group {i} (sample {j}) lies outside its "
                             f"window [{w[j, 0]:g}, {w[j, 1]:g}]")
        if spacing > 0 and t.size > 1 and np.any(np.diff(t) < spacing - 1e-12):
            raise ValueError(f"design: group {i} times {t.tolist()} must be increasing with "
                             f"spacing >= min_spacing = {spacing:g}")


def _random_feasible(w, spacing, rng, tries=200):
    """Sorted random times within windows ``w`` (n, 2) with the minimum spacing."""
    n = w.shape[0]
    for _ in range(tries):
        t = np.sort(rng.uniform(w[:, 0], w[:, 1]))
        if spacing > 0:
            for j in range(1, n):
                t[j] = max(t[j], t[j - 1] + spacing)
            for j in range(n - 2, -1, -1):
                t[j] = min(t[j], t[j + 1] - spacing)
        if np.all(t >= w[:, 0] - 1e-12) and np.all(t <= w[:, 1] + 1e-12):
            return np.clip(t, w[:, 0], w[:, 1])
    raise ValueError("windows and min_spacing leave no feasible sampling times")


# ------------------------------------------------------------------------ optimiser
def optimize_design(
    model: PopulationModel,
    design,
    *,
    criterion: str = "D",
    fim: str = "reduced",
    params: Sequence[str] | None = None,
    derived: str | Callable | None = None,
    windows=None,
    min_spacing: float = 0.0,
    candidates=None,
    dose_bounds: tuple | None = None,
    duration_bounds: tuple | None = None,
    optimize_sizes: bool = False,
    prior=None,
    prior_weights=None,
    bayesian: str = "ELD",
    n_starts: int = 3,
    rng=0,
    maxiter: int = 500,
) -> OptimizationResult:
    r"""Optimise the sampling times (and doses, group sizes) of a population design.

    Parameters
    ----------
    model : PopulationModel
    design : Group or sequence of Group
        The starting design; it must satisfy the windows and the spacing.
    criterion : {'D', 'Ds', 'A', 'c'}
        See the module documentation.
    fim : {'reduced', 'full'}
        The FO FIM variant.
    params : sequence of str
        Parameters of interest for ``'Ds'``.
    derived : {'AUC', 'Cmax'} or callable
        The derived quantity of ``'c'`` (see :func:`derived_gradient`; the first group's
        dose is used).
    windows : (low, high), or per group a pair or an (n_g, 2) array, optional
        Sampling windows (default: between the smallest and largest start time of each
        group).
    min_spacing : float
        Minimum distance between consecutive samples of a subject (samples then keep their
        order).
    candidates : array_like, optional
        Discrete allowed sampling times: a Fedorov-type exchange instead of continuous
        optimisation (start times must be candidates).
    dose_bounds : (low, high), optional
        Optimise each group's dose amount (every dose of its regimen) within these bounds
        (continuous mode).
    duration_bounds : (low, high), optional
        Optimise each group's infusion duration (models with ``route='infusion'``).
    optimize_sizes : bool
        Afterwards, reallocate the total number of subjects between the groups (the optimal
        approximate weights of the groups by :func:`fisherstat.design.optimal_design`, at
        the typical values; sizes are not rounded).
    prior, prior_weights : array_like (K, p), (K,), optional
        Draws of the fixed effects (e.g. :func:`prior_sample`) for a Bayesian design.
    bayesian : {'ELD', 'ED'}
        How the criterion is averaged over the prior (module documentation).
    n_starts : int
        Local optimisations: from the start design and ``n_starts - 1`` random feasible
        designs (continuous mode).
    rng : int or Generator
        For the random starts.
    maxiter : int
        Iterations per local optimisation (sweeps for the exchange).

    Returns
    -------
    OptimizationResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import warfarin_example, optimize_design
    >>> model, design = warfarin_example()
    >>> res = optimize_design(model, design, windows=(0.5, 120), min_spacing=0.25,
    ...                       n_starts=1)
    >>> bool(res.value >= res.start_value), bool(np.all(np.diff(res.design[0].times) >= 0.25))
    (True, True)
    """
    t0 = time.perf_counter()
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
    model._check_fim(fim)
    groups = as_groups(design)
    crit_name = _as_criterion_name(criterion)
    if isinstance(min_spacing, bool) or not isinstance(
            min_spacing, (float, int, np.floating, np.integer)):
        raise TypeError(f"min_spacing must be a number >= 0, got {min_spacing!r}")
    spacing = float(min_spacing)
    if not np.isfinite(spacing) or spacing < 0:
        raise ValueError(f"min_spacing must be >= 0, got {min_spacing!r}")
    if not isinstance(optimize_sizes, (bool, np.bool_)):
        raise TypeError(f"optimize_sizes must be True or False, got {optimize_sizes!r}")
    n_starts = check_int(n_starts, "n_starts", low=1)
    maxiter = check_int(maxiter, "maxiter", low=1)
    rng = check_random_state(rng)
    wins = _windows(windows, groups)
    _check_start(groups, wins, spacing)
    svars = []
    for kind, bounds, arg in (("dose", dose_bounds, "dose_bounds"),
                              ("duration", duration_bounds, "duration_bounds")):
        if bounds is None:
            continue
        b = as_float_array(bounds, arg, shape=(2,))
        if not 0 <= b[0] < b[1]:
            raise ValueError(f"{arg} must be (low, high) with 0 <= low < high, got "
                             f"{b.tolist()}")
        for i, g in enumerate(groups):
            a = _get_var(g.dose, kind)
            if not b[0] <= a <= b[1]:
                raise ValueError(f"design: the {kind} {a:g} of group {i} lies outside {arg} "
                                 f"{b.tolist()}")
        svars.append((kind, float(b[0]), float(b[1])))
    ev = _Evaluator(model, groups, fim, crit_name, params, derived, prior, prior_weights,
                    bayesian)
    times0 = [g.times.copy() for g in groups]
    doses0 = [g.dose for g in groups]
    u0 = ev.utility(times0, doses0)
    if not np.isfinite(u0):
        raise ValueError("design: the criterion is not finite at the start design (singular "
                         "FIM); start from a design that identifies the parameters")

    if candidates is not None:
        if svars:
            raise ValueError("dose_bounds and duration_bounds are for continuous "
                             "optimisation; with candidates, give each group its dose")
        times, u = _exchange(ev, times0, doses0, wins, spacing, candidates, maxiter)
        doses = doses0
    else:
        times, doses, u = _continuous(ev, times0, doses0, wins, spacing, svars, n_starts,
                                      rng, maxiter)
    if u < u0:  # never return a worse design than the start
        times, doses, u = times0, doses0, u0
    times = [np.sort(t) if spacing == 0 and np.all(w == w[0]) else t
             for t, w in zip(times, wins, strict=True)]  # exchangeable samples: sorted
    new = [g.replace(times=t, dose=d) for g, t, d in zip(groups, times, doses, strict=True)]
    if optimize_sizes and len(new) > 1:
        new = _optimize_sizes(model, new, fim, crit_name, params, ev)
        ev_new = _Evaluator(model, tuple(new), fim, crit_name, params, derived, prior,
                            prior_weights, bayesian)
        u = ev_new.utility([g.times for g in new], [g.dose for g in new])
        ev.n_evals += ev_new.n_evals
    crit = ev.crits[0]
    label = crit_name if prior is None else f"Bayesian ({bayesian}) {crit_name}"
    return OptimizationResult(
        design=tuple(new), start=groups, fim=model.fim(new, fim=fim),
        start_fim=model.fim(groups, fim=fim), criterion=label,
        value=crit.natural(u) if not (prior is not None and bayesian == "ED") else u,
        start_value=crit.natural(u0) if not (prior is not None and bayesian == "ED") else u0,
        n_evaluations=ev.n_evals, seconds=time.perf_counter() - t0, windows=tuple(wins),
        model=model)


def _continuous(ev, times0, doses0, wins, spacing, svars, n_starts, rng, maxiter):
    sizes = [t.size for t in times0]
    kinds = tuple(k for k, _, _ in svars)
    G = len(doses0)
    lo = np.concatenate([w[:, 0] for w in wins] + [np.full(G, a) for _, a, _ in svars])
    hi = np.concatenate([w[:, 1] for w in wins] + [np.full(G, b) for _, _, b in svars])
    span = np.where(hi > lo, hi - lo, 1.0)
    free = hi > lo

    def unpack(x):
        v = lo + span * x
        v = np.where(free, v, lo)
        out, k = [], 0
        for n in sizes:
            out.append(v[k:k + n])
            k += n
        vals = v[k:].reshape(len(kinds), G) if kinds else np.zeros((0, G))
        doses = [_set_vars(d, kinds, vals[:, i]) for i, d in enumerate(doses0)]
        return out, doses

    def fun(x):
        tl, dl = unpack(x)
        try:
            u, g = ev.value_and_gradient(tl, dl, kinds)
        except ValueError:
            return 1e10, np.zeros_like(x)
        if not np.isfinite(u):
            return 1e10, np.zeros_like(x)
        return -u, -g * span * free

    cons = []
    if spacing > 0:
        rows = []
        k = 0
        nvar = lo.size
        for n in sizes:
            for j in range(n - 1):
                r = np.zeros(nvar)
                r[k + j + 1], r[k + j] = span[k + j + 1], -span[k + j]
                rows.append((r, lo[k + j + 1] - lo[k + j] - spacing))
            k += n
        if rows:
            A = np.array([r for r, _ in rows])
            b = np.array([c for _, c in rows])
            cons = [{"type": "ineq", "fun": lambda x, A=A, b=b: A @ x + b,
                     "jac": lambda x, A=A: A}]
    def pack(tl, dl):
        parts = [(t - w[:, 0]) for t, w in zip(tl, wins, strict=True)]
        parts += [np.array([_get_var(d, k) for d in dl]) - a for k, a, _ in svars]
        return np.concatenate(parts) / span

    x_start = [pack(times0, doses0)]
    for _ in range(n_starts - 1):
        tl = [_random_feasible(w, spacing, rng) for w in wins]
        parts = [(t - w[:, 0]) for t, w in zip(tl, wins, strict=True)]
        parts += [rng.uniform(a, b, G) - a for _, a, b in svars]
        x_start.append(np.concatenate(parts) / span)
    bounds = list(zip(np.zeros(lo.size), np.where(free, 1.0, 0.0), strict=True))

    def local(xs):
        xs = np.clip(xs, 0.0, 1.0)
        if cons:
            res = optimize.minimize(fun, xs, jac=True, method="SLSQP", bounds=bounds,
                                    constraints=cons, options={"maxiter": maxiter,
                                                               "ftol": 1e-12})
        else:
            res = optimize.minimize(fun, xs, jac=True, method="L-BFGS-B", bounds=bounds,
                                    options={"maxiter": maxiter, "ftol": 1e-14,
                                             "gtol": 1e-10})
        x = np.clip(res.x, 0.0, 1.0)
        tl, dl = unpack(x)
        if cons:  # enforce the spacing exactly (SLSQP may violate it by rounding)
            tl = [_respace(t, w, spacing) for t, w in zip(tl, wins, strict=True)]
            if any(t is None for t in tl):
                return None
        return tl, dl, ev.utility(tl, dl)

    best = None
    for xs in x_start:
        r = local(xs)
        if r is not None and (best is None or r[2] > best[2]):
            best = r
    if best is None:
        return times0, doses0, -np.inf
    # global polish: exchange samples over a grid of each window, then refine locally
    grids = [_window_grid(w) for w in wins]
    for _ in range(10):
        tl, dl, u = best
        tx, ux = _exchange_core(ev, [t.copy() for t in tl], dl, wins, spacing, grids, 3)
        if not ux > u + 1e-10 * max(1.0, abs(u)):
            break
        r = local(pack(tx, dl))
        best = r if r is not None and r[2] >= ux else (tx, dl, ux)
    tl, dl, u = best
    return [np.asarray(t, dtype=float) for t in tl], dl, u


def _window_grid(w, n: int = 48) -> list:
    """Per-sample grids over the windows (n, 2): linear and log-spaced points."""
    out = []
    for lo, hi in w:
        pts = np.linspace(lo, hi, n)
        if lo > 0:
            pts = np.concatenate([pts, np.geomspace(lo, hi, n)])
        out.append(np.unique(pts))
    return out


def _respace(t, w, spacing):
    """Times made increasing with gaps >= spacing within their windows (None if impossible)."""
    t = np.array(t, dtype=float)
    for j in range(1, t.size):
        t[j] = max(t[j], t[j - 1] + spacing)
    if np.any(t > w[:, 1] + 1e-9 * max(1.0, w[:, 1].max())):
        return None
    return np.minimum(t, w[:, 1])


def _exchange(ev, times0, doses0, wins, spacing, candidates, maxiter):
    cand = np.unique(as_float_array(candidates, "candidates", ndim=1))
    if np.any(cand < 0):
        raise ValueError("candidates must be >= 0")
    for i, t in enumerate(times0):
        miss = ~np.isin(t, cand)
        if miss.any():
            raise ValueError(f"design: time {t[miss][0]:g} of group {i} is not among the "
                             "candidates")
    grids = [[cand[(cand >= lo) & (cand <= hi)] for lo, hi in w] for w in wins]
    return _exchange_core(ev, [t.copy() for t in times0], doses0, wins, spacing, grids,
                          maxiter)


def _exchange_core(ev, times, doses, wins, spacing, grids, sweeps):
    """Replace samples one at a time by the best admissible grid value until no gain."""
    u = ev.utility(times, doses)
    for _ in range(sweeps):
        improved = False
        for gi, g in enumerate(ev.groups):
            for j in range(times[gi].size):
                t = times[gi]
                cand = grids[gi][j]
                ok = cand != t[j]
                if spacing > 0:
                    others = np.delete(t, j)
                    ok &= np.all(np.abs(cand[:, None] - others[None, :]) >= spacing - 1e-12,
                                 axis=1)
                    if others.size:  # the sample keeps its rank (windows are per rank)
                        lo = others[j - 1] if j > 0 else -np.inf
                        hi = others[j] if j < others.size else np.inf
                        ok &= (cand > lo) & (cand < hi)
                cs = cand[ok]
                if cs.size == 0:
                    continue
                batch = np.repeat(t[None, :], cs.size, axis=0)
                batch[:, j] = cs
                Uk = []
                for m, c in zip(ev.models, ev.crits, strict=True):
                    rest = 0.0
                    for hi_, (h, th, dh) in enumerate(zip(ev.groups, times, doses,
                                                          strict=True)):
                        if hi_ != gi:
                            rest = rest + h.size * ev.group_fims(m, h, th[None, :], dh)[0]
                    Mb = rest + g.size * ev.group_fims(m, g, batch, doses[gi])
                    fin = np.all(np.isfinite(Mb), axis=(1, 2))
                    Uk.append(np.where(fin, c.utility(np.where(fin[:, None, None], Mb, 0.0)),
                                       -np.inf))
                Ub = ev.combine(np.array(Uk))
                b = int(np.argmax(Ub))
                if Ub[b] > u + 1e-12 * max(1.0, abs(u)):
                    t = t.copy()
                    t[j] = cs[b]
                    times[gi], u, improved = t, float(Ub[b]), True
        if not improved:
            break
    return times, u


# ------------------------------------------------------------- fisherstat.design glue
class _InformationCandidates(RegressionModel):
    """Adapter: candidates are indices into precomputed information factors.

    Lets :func:`fisherstat.design.optimal_design` optimise weights over arbitrary
    per-candidate information matrices (here: cost-normalised per-subject population
    FIMs of sampling sequences).
    """

    def __init__(self, factors: np.ndarray, names: tuple, values: np.ndarray):
        super().__init__(names, None)
        self._F = factors
        self._values = values

    def _check_x(self, x):
        x = x[:, 0] if x.ndim == 2 and x.shape[1] == 1 else x
        if x.ndim != 1 or np.any(x != np.round(x)) or np.any(x < 0) \
                or np.any(x >= self._F.shape[0]):
            raise ValueError(f"x must be candidate indices in [0, {self._F.shape[0]})")
        return x

    def _point_factor(self, theta, x):
        return self._F[x.astype(int)]

    def _example_theta(self):
        return self._values

    def _example_x(self):
        return np.arange(self._F.shape[0], dtype=float)

    def _loglik(self, theta, data, x):  # pragma: no cover - design-only adapter
        raise NotImplementedError("this adapter only carries information matrices")


def _factors(mus: np.ndarray) -> np.ndarray:
    """Factors ``F`` with ``F F^T = mu`` (k, P, P) of PSD matrices (negative parts clipped)."""
    w, V = np.linalg.eigh(0.5 * (mus + np.swapaxes(mus, 1, 2)))
    return V * np.sqrt(np.clip(w, 0.0, None))[:, None, :]


def _design_criterion(crit_name, params, cvec):
    from .. import design as fdesign

    if crit_name == "D":
        return fdesign.D()
    if crit_name == "A":
        return fdesign.A()
    if crit_name == "Ds":
        return fdesign.Ds(params)
    return fdesign.c(cvec)


def _approximate_weights(model, mus, crit_name, params, cvec, algorithm, tol):
    """Optimal weights over candidates with (normalised) information ``mus`` (k, P, P)."""
    from ..design import optimal_design

    names = model.estimated_names
    # rescale each parameter so that the problem is well conditioned (criteria are
    # equivariant: D and Ds shift by a constant, A/c change by a fixed diagonal metric)
    d = np.sqrt(np.max(np.diagonal(mus, axis1=1, axis2=2), axis=0))
    d = np.where(d > 0, d, 1.0)
    if crit_name in ("D", "Ds"):
        mus_s = mus / (d[:, None] * d[None, :])
        cv = None
    else:
        mus_s, d = mus, np.ones_like(d)
        cv = cvec
    adapter = _InformationCandidates(_factors(mus_s), names, model.values[model.estimated])
    crit = _design_criterion(crit_name, params, cv)
    res = optimal_design(adapter, model.values[model.estimated],
                         candidates=np.arange(mus.shape[0], dtype=float), criterion=crit,
                         algorithm=algorithm, tol=tol, params="all" if crit_name != "Ds"
                         else None)
    w = np.zeros(mus.shape[0])
    pts = np.asarray(res.design.points, dtype=float).reshape(-1)
    w[pts.astype(int)] = res.design.weights
    return w, res


def _optimize_sizes(model, groups, fim, crit_name, params, ev):
    """Groups with the total size reallocated by the optimal approximate weights."""
    mus = np.array([ev.group_fims(model, g, g.times[None, :], g.dose)[0] for g in groups])
    total = sum(g.size for g in groups)
    w, _ = _approximate_weights(model, mus, crit_name, params, ev.crits[0].cvec, "rex", 1e-9)
    return [g.replace(size=total * wi) for g, wi in zip(groups, w, strict=True) if wi > 0]


# ------------------------------------------------------------------- cost designs
def candidate_sequences(grid, n_samples, dose=None, *, min_spacing: float = 0.0,
                        response=None, max_sequences: int = 200_000) -> list:
    """All sampling sequences of ``k`` times from a grid, for each ``k`` in ``n_samples``.

    Parameters
    ----------
    grid : array_like
        Allowed sampling times.
    n_samples : int or sequence of int
        Sequence lengths.
    dose : float or Regimen, optional
        The dose of every sequence.
    min_spacing : float
        Keep only sequences whose consecutive times differ by at least this.
    response : optional
        Passed to each :class:`Group`.
    max_sequences : int
        Refuse to build more than this many.

    Returns
    -------
    list of Group
        One group (size 1) per sequence.

    Examples
    --------
    >>> from fisherstat.pkpd import candidate_sequences
    >>> len(candidate_sequences([1, 2, 4, 8, 24], [2, 3], dose=70))  # C(5,2) + C(5,3)
    20
    """
    g = np.unique(as_float_array(grid, "grid", ndim=1))
    check_in_interval(g, "grid", low=0, low_open=False)
    if isinstance(n_samples, (int, np.integer)) and not isinstance(n_samples, bool):
        ks = [n_samples]
    elif isinstance(n_samples, (list, tuple, np.ndarray)) and len(n_samples):
        ks = list(n_samples)
    else:
        raise TypeError(f"n_samples must be an int or a non-empty sequence of ints, got "
                        f"{n_samples!r}")
    min_spacing = check_scalar(min_spacing, "min_spacing", low=0, low_open=False)
    max_sequences = check_int(max_sequences, "max_sequences", low=1)
    if dose is not None and not isinstance(dose, Regimen):
        as_regimen(dose)  # a number: checked here, not once per sequence
    total = 0
    for k in ks:
        k = check_int(k, "n_samples", low=1, high=g.size)
        total += int(np.prod(np.arange(g.size - k + 1, g.size + 1)) //
                     np.prod(np.arange(1, k + 1)))
    if total > max_sequences:
        raise ValueError(f"{total} sequences exceed max_sequences = {max_sequences}; use a "
                         "coarser grid")
    out = []
    for k in ks:
        for comb in itertools.combinations(g, int(k)):
            c = np.array(comb)
            if min_spacing > 0 and c.size > 1 and np.min(np.diff(c)) < min_spacing:
                continue
            out.append(Group(c, 1, dose, response))
    return out


@dataclass(frozen=True, eq=False)
class CostDesignResult:
    """Optimal approximate design over candidate sampling sequences with costs.

    Attributes
    ----------
    sequences : tuple of Group
        The candidate sequences.
    costs : ndarray (k,)
        Cost of one subject on each sequence.
    weights : ndarray (k,)
        Optimal fractions of the budget spent on each sequence (sum 1).
    value : float
        Criterion of the information per unit cost (ln det for D).
    efficiency_bound : float
        Equivalence-theorem lower bound of the efficiency.
    design_result : fisherstat.design.DesignResult
        The result of :func:`fisherstat.design.optimal_design` on the cost-normalised
        information (scaled parameters for D/Ds).
    information : ndarray
        Information per unit cost :math:`\\sum_i w_i \\mu_i / c_i` (estimated parameters).
    param_names : tuple of str
    """

    sequences: tuple
    costs: np.ndarray
    weights: np.ndarray
    criterion: str
    value: float
    efficiency_bound: float
    information: np.ndarray
    param_names: tuple
    design_result: object = field(repr=False, default=None)

    @property
    def support(self) -> np.ndarray:
        """Indices of the sequences with positive weight."""
        return np.flatnonzero(self.weights > 1e-9)

    def subjects(self, budget: float) -> np.ndarray:
        """Numbers of subjects ``budget * w_i / c_i`` (not rounded) for a total budget."""
        budget = _check_budget(budget)
        return budget * self.weights / self.costs

    def rse(self, budget: float) -> np.ndarray:
        """RSE% of the estimated parameters for a total ``budget``."""
        from ..information import pinv_psd

        M = _check_budget(budget) * self.information
        se = np.sqrt(np.clip(np.diag(pinv_psd(M)[0]), 0, None))
        return 100 * se / np.abs(self._values)

    _values: np.ndarray = field(repr=False, default=None)

    def summary(self, budget: float | None = None) -> str:
        """Table of the support: times, cost, budget fraction, subject fraction.

        Examples
        --------
        >>> from fisherstat.pkpd import warfarin_example, candidate_sequences, cost_design
        >>> model, _ = warfarin_example()
        >>> seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
        >>> res = cost_design(model, seqs, costs=lambda g: 1.0 + 0.25 * g.n_samples)
        >>> print(res.summary(budget=100))  # doctest: +ELLIPSIS
        Cost-normalised D-optimal design over 35 sequences ...
        """
        if budget is not None:
            budget = _check_budget(budget)
        subj = self.weights / self.costs
        subj = subj / subj.sum()
        lines = [f"Cost-normalised {self.criterion}-optimal design over {len(self.sequences)} "
                 f"sequences (efficiency >= {self.efficiency_bound:.6f})",
                 f"{'cost':>8}{'budget%':>9}{'subject%':>10}"
                 + (f"{'subjects':>10}" if budget else "") + "  sampling times"]
        for i in self.support:
            g = self.sequences[i]
            lines.append(f"{self.costs[i]:>8.4g}{100 * self.weights[i]:>9.2f}"
                         f"{100 * subj[i]:>10.2f}"
                         + (f"{self.subjects(budget)[i]:>10.2f}" if budget else "")
                         + "  " + ", ".join(f"{t:.4g}" for t in g.times))
        lines.append(f"criterion {self.criterion} per unit cost: {self.value:.6g}")
        if budget:
            lines.append("RSE% at budget " + f"{budget:g}: " + ", ".join(
                f"{n} {r:.2f}" for n, r in zip(self.param_names, self.rse(budget),
                                               strict=True)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _check_budget(budget) -> float:
    """A budget is a finite number > 0 whose information ``budget * M`` does not overflow."""
    b = check_scalar(budget, "budget", low=0)
    if b > 1e300:
        raise ValueError(f"budget must be <= 1e300 (the information would overflow), got {b!r}")
    return b


def cost_design(
    model: PopulationModel,
    sequences: Sequence[Group],
    costs=None,
    *,
    criterion: str = "D",
    fim: str = "reduced",
    params: Sequence[str] | None = None,
    derived=None,
    algorithm: str = "rex",
    tol: float = 1e-7,
) -> CostDesignResult:
    r"""Cost-normalised optimal approximate design over candidate sampling sequences.

    PkStaMp's first-order approach (module documentation): per-subject population FIMs
    :math:`\mu_i` of the sequences, normalised by their costs, are the candidate
    information matrices of :func:`fisherstat.design.optimal_design`.

    Parameters
    ----------
    model : PopulationModel
    sequences : sequence of Group
        Candidate sequences (times, dose, responses; sizes are ignored), e.g. from
        :func:`candidate_sequences`.
    costs : array_like (k,) or callable, optional
        Cost of one subject on each sequence, or ``cost(group) -> float`` (default 1: the
        ordinary optimal approximate design).
    criterion : {'D', 'Ds', 'A', 'c'}
    fim : {'reduced', 'full'}
    params : sequence of str
        For ``'Ds'``.
    derived : {'AUC', 'Cmax'} or callable
        For ``'c'``.
    algorithm : {'rex', 'multiplicative', 'fedorov_wynn'}
    tol : float
        Stop when the efficiency bound is ``>= 1 - tol``.

    Returns
    -------
    CostDesignResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import warfarin_example, candidate_sequences, cost_design
    >>> model, _ = warfarin_example()
    >>> seqs = candidate_sequences([0.5, 2, 6, 24, 72, 120], [3, 4], dose=70)
    >>> res = cost_design(model, seqs, costs=lambda g: 1.0 + 0.25 * g.n_samples)
    >>> bool(res.efficiency_bound > 1 - 1e-6), round(float(res.weights.sum()), 12)
    (True, 1.0)
    """
    if not isinstance(model, PopulationModel):
        raise TypeError(f"model must be a PopulationModel, got {type(model).__name__}")
    model._check_fim(fim)
    if not isinstance(sequences, (list, tuple)):
        raise TypeError(f"sequences must be a non-empty sequence of Groups, got "
                        f"{type(sequences).__name__}")
    try:
        seqs = as_groups(list(sequences))
    except TypeError:
        raise TypeError("sequences must be a non-empty sequence of Groups (e.g. from "
                        "candidate_sequences)") from None
    crit_name = _as_criterion_name(criterion)
    k = len(seqs)
    if callable(costs):
        c = np.array([float(costs(g)) for g in seqs])
    elif costs is None:
        c = np.ones(k)
    else:
        c = as_float_array(costs, "costs", shape=(k,))
    if not np.all(np.isfinite(c)) or np.any(c <= 0):
        raise ValueError("costs must be finite and > 0")
    est = model.estimated
    mus = np.empty((k, int(est.sum()), int(est.sum())))
    # batch sequences that share length, dose and responses
    keys: dict = {}
    for i, g in enumerate(seqs):
        keys.setdefault((g.n_samples, repr(g.dose), repr(g.response)), []).append(i)
    for idx in keys.values():
        g0 = seqs[idx[0]]
        T = np.array([seqs[i].times for i in idx])
        (Mb, ok), _ = model._group_fim(g0, fim, times=T)  # validates g0's dose
        if not ok.all():
            bad = idx[int(np.flatnonzero(~ok)[0])]
            raise ValueError(f"sequences: the variance is not positive definite for sequence "
                             f"{bad} (times {seqs[bad].times.tolist()})")
        mus[idx] = Mb[:, est][:, :, est]
    cvec = None
    if crit_name == "c":
        if derived is None:
            raise TypeError("criterion 'c' needs derived= ('AUC', 'Cmax' or a callable)")
        t_end = max(float(g.times.max()) for g in seqs)
        _, gb = derived_gradient(model, derived, seqs[0].dose, t_max=t_end)
        full = np.zeros(len(model.param_names))
        full[: model.n_beta] = gb
        cvec = full[est]
    norm = mus / c[:, None, None]
    w, res = _approximate_weights(model, norm, crit_name, params, cvec, algorithm, tol)
    info = np.einsum("k,kij->ij", w, norm)
    crit = _Criterion(crit_name, model.estimated_names, params, cvec)
    val = crit.natural(crit.utility(info[None])[0])
    return CostDesignResult(tuple(seqs), c, w, crit_name, val, float(res.efficiency_bound),
                            info, model.estimated_names, res, model.values[est])
