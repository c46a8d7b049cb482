r"""Criterion value and gradient of a multi-group population design over prior draws.

The population FIM :math:`M = \sum_g N_g I^{(g)}` of the groups is evaluated with the
:mod:`fisherstat.design` criteria; its derivative over the sampling times (and doses,
infusion durations) by central differences, all perturbed designs of a group in one batch,
and the chain rule :meth:`~fisherstat.design.Criterion.derivative`.

The utilities :math:`U_k` of the prior draws are combined by the prior mean (``'ELD'``),
the log of the prior mean of :math:`e^{U_k}` (``'ED'``), or, for the maximin design
(``'maximin'``), the smooth minimum of the log-efficiencies
:math:`a_k = (U_k - U_k^*)/s` relative to reference utilities :math:`U_k^*`,

.. math::

    \operatorname{smin}_T(a) = -T \log \frac1K \sum_k e^{-a_k/T},
    \qquad \min_k a_k \le \operatorname{smin}_T(a) \le \min_k a_k + T\log K,

whose gradient weights the draws by :math:`\operatorname{softmax}(-a/T)/s` (``T = 0``: the
exact minimum).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_weights
from ._criterion import population_criterion, utilities
from .derived import derived_gradient
from .population import PopulationFIM
from .structural import Regimen, as_regimen

__all__ = ["BAYESIAN", "Evaluator", "draw_models", "get_var", "set_var", "set_vars"]

#: How the criterion is combined over the prior draws (:func:`optimize_design`).
BAYESIAN = ("ELD", "ED", "maximin")


class Evaluator:
    """Criterion value and gradient of a multi-group design, over prior draws."""

    def __init__(self, model, groups, fim, crit_name, params, derived, prior,
                 prior_weights, bayesian, reference=None):
        self.model, self.groups, self.fim = model, groups, fim
        if prior is None:
            self.models = [model]
            self.pw = np.ones(1)
        else:
            P = as_float_array(prior, "prior", ndim=2)
            if P.shape[1] != model.n_beta:
                raise ValueError(f"prior must have shape (K, {model.n_beta}) (draws of the "
                                 f"fixed effects {model.structural.param_names}), got {P.shape}")
            self.models = draw_models(model, P)
            pw = (np.full(P.shape[0], 1.0) if prior_weights is None
                  else check_weights(prior_weights, "prior_weights", P.shape[0]))
            self.pw = pw / pw.sum()
        if not isinstance(bayesian, str) or bayesian not in BAYESIAN:
            raise ValueError(f"bayesian must be 'ELD' (expected criterion), 'ED' (log of "
                             f"the expected determinant, D only) or 'maximin' (worst-case "
                             f"D-efficiency), got {bayesian!r}")
        if bayesian in ("ED", "maximin") and crit_name not in ("D", "Ds"):
            raise ValueError(f"bayesian={bayesian!r} needs criterion 'D' or 'Ds'")
        self.bayesian = bayesian
        #: the maximin design's reference utilities U*_k, exponent s and temperature
        self.reference, self.s, self.temperature = reference, 1, 0.0
        if bayesian == "maximin":
            if reference is None or len(reference) != len(self.models):
                raise ValueError("bayesian='maximin' needs the reference utilities of the "
                                 "locally optimal designs, one per prior draw")
            self.s = (len(params) if crit_name == "Ds" and not isinstance(params, str)
                      else 1 if crit_name == "Ds" else len(model.estimated_names))
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
        if self.bayesian == "maximin":
            a = (U - np.reshape(self.reference, (-1,) + (1,) * (U.ndim - 1))) / self.s
            fin = np.all(np.isfinite(a), axis=0)
            a = np.where(fin, a, 0.0)
            m = np.min(a, axis=0)
            if self.temperature > 0:
                T = self.temperature
                m = m - T * np.log(np.mean(np.exp(-(a - m) / T), axis=0))
            return np.where(fin, m, -np.inf)
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
        return float(self.combine(self.draw_utilities(times_list, doses)[:, None])[0])

    def draw_utilities(self, times_list, doses):
        """Utility of a design at each prior draw, (K,) (``-inf`` where singular)."""
        U = np.empty(len(self.models))
        for k, (m, c) in enumerate(zip(self.models, self.crits, strict=True)):
            M = 0.0
            for g, t, d in zip(self.groups, times_list, doses, strict=True):
                Mg = self.group_fims(m, g, t[None, :], d)[0]
                M = M + g.size * Mg
            U[k] = utilities(c, np.where(np.isfinite(M), M, 0.0)[None], self.names)[0] if np.all(
                np.isfinite(M)) else -np.inf
        return U

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
        elif self.bayesian == "maximin":
            a = (U - self.reference) / self.s
            if self.temperature > 0:
                wts = np.exp(-(a - a.min()) / self.temperature)
            else:
                wts = (a == a.min()).astype(float)
            wts /= wts.sum() * self.s
        else:
            wts = self.pw
        return val, wts @ dU

    def fim(self, groups) -> PopulationFIM:
        return self.model.fim(groups, fim=self.fim)


def draw_models(model, P) -> list:
    """The population model at each row of the prior draws ``P`` (errors name the row)."""
    out = []
    for j, b in enumerate(P):
        try:
            out.append(model.with_beta(b))
        except ValueError as exc:
            raise ValueError(f"prior: row {j}: {exc}") from None
    return out


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
