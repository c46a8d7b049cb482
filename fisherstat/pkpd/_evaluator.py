r"""Criterion value and gradient of a multi-group population design over prior draws.

The population FIM :math:`M = \sum_g N_g I^{(g)}` of the groups is evaluated with the
:mod:`fisherstat.design` criteria; its derivative over the sampling times (and doses,
infusion durations) by central differences, all perturbed designs of a group in one batch,
and the chain rule :meth:`~fisherstat.design.Criterion.derivative`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_weights
from ._criterion import population_criterion, utilities
from .derived import derived_gradient
from .population import PopulationFIM
from .structural import Regimen, as_regimen

__all__ = ["Evaluator", "get_var", "set_var", "set_vars"]


class Evaluator:
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
        names = self.names = model.estimated_names
        t_end = max(float(g.times.max()) for g in groups)
        self.crits, self.cvecs = [], []
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
            self.cvecs.append(cvec)
            self.crits.append(population_criterion(crit_name, names, params, cvec))
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
            U[k] = utilities(c, np.where(np.isfinite(M), M, 0.0)[None], self.names)[0] if np.all(
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
                    a = get_var(d, kind)
                    hd = 1e-6 * max(1.0, a)
                    lo = max(a - hd, 0.0)
                    Mp = self.group_fims(m, g, t[None, :], set_var(d, kind, a + hd))[0]
                    Mm = self.group_fims(m, g, t[None, :], set_var(d, kind, lo))[0]
                    dM = np.concatenate([dM, ((Mp - Mm) / (a + hd - lo))[None]])
                dMs.append(g.size * dM)
            if not np.all(np.isfinite(M)):
                U[k] = -np.inf
                continue
            U[k] = utilities(c, M[None], self.names)[0]
            if not np.isfinite(U[k]):
                continue
            # chain rule over all design variables of all groups at once
            dU_all = c.derivative(M, np.concatenate(dMs), self.names)
            if not c.larger_is_better:
                dU_all = -dU_all
            grads = np.split(dU_all, np.cumsum([dM.shape[0] for dM in dMs])[:-1])
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


def get_var(dose, kind: str) -> float:
    """The dose amount or infusion duration of a group's dose."""
    reg = as_regimen(dose)
    return float(reg.amounts[0] if kind == "dose" else reg.durations[0])


def set_var(dose, kind: str, value: float):
    """The dose with its amount (all doses) or infusion duration (all doses) changed."""
    if kind == "dose":
        return dose.with_amount(value) if isinstance(dose, Regimen) else float(value)
    return as_regimen(dose).with_duration(value)


def set_vars(dose, kinds, values):
    for kind, v in zip(kinds, values, strict=True):
        dose = set_var(dose, kind, v)
    return dose
