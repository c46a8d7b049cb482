r"""Designs that are robust to the unknown parameter: pseudo-Bayesian and maximin efficiency.

The information of a nonlinear model depends on :math:`\theta`, so a locally optimal design
is optimal only at its guess. Two standard remedies (Chaloner & Verdinelli 1995, *Statist.
Sci.* 10, 273-304; Pronzato & Pázman 2013, chapter 8):

**Pseudo-Bayesian designs** optimise the prior mean of the criterion,
:math:`\sum_j \pi_j \Phi(M(\xi, \theta_j))` over a prior sample :math:`\theta_1..\theta_J`
with weights :math:`\pi_j` (e.g. Monte Carlo draws): for ``D`` the mean of
:math:`\log\det M` (Chaloner & Larntz 1989, *J. Statist. Plann. Inference* 21, 191-208),
for ``A``/``L``/``I``/``c`` the mean of the traces. The sensitivity is the prior mean
:math:`\sum_j \pi_j d_j(x)` and the bound :math:`\sum_j \pi_j b_j`; the efficiency bound
:math:`b / \max_x d` holds for the geometric (``D``) and harmonic (``L``-type) prior means of
the information functions, which are again concave and homogeneous.

**Maximin-efficiency designs** maximise :math:`\min_j \mathrm{eff}_j(\xi)` with
:math:`\mathrm{eff}_j = (\det C(\xi, \theta_j) / \det C(\xi_j^*, \theta_j))^{1/s}` the
D-efficiency relative to the locally optimal design :math:`\xi_j^*` (standardised maximin
D-optimality, Dette 1997, *J. R. Statist. Soc. B* 59, 97-110). It is solved as
:math:`\max t` s.t. :math:`\log\mathrm{eff}_j(w) \ge t` by a barrier method on a working
set of candidates (:mod:`fisherstat.design._sdp`); the dual multipliers form the
*least favourable prior* :math:`\pi^*`, and the design is optimal iff

.. math::

    \sum_j \pi^*_j\, d_j(x) / s \le 1 \quad \text{for all } x,

with equality on the support (Dette 1997, Theorem 2.1). For any design :math:`\xi'`,
concavity gives :math:`\min_j \log\mathrm{eff}_j(\xi') \le \sum_j\pi^*_j
\log\mathrm{eff}_j(\xi) + \max_x \sum_j \pi^*_j d_j(x)/s - 1`, which yields the reported
lower bound of the design's maximin efficiency relative to the best one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

from .._progress import progress_bar
from .._validation import as_float_array, check_bool, check_int, check_scalar
from ._common import DesignResult, as_model, box_grid, check_candidates, plot_sensitivity
from ._problem import build_problem, resolve_targets
from ._sdp import barrier_newton
from .algorithms import greedy_start
from .criteria import as_criterion, quad_rows, schur, sqrt_psd
from .designs import Design
from .optimal import optimal_design

__all__ = ["bayesian_design", "maximin_design", "MaximinResult"]


def bayesian_design(model, prior_sample, candidates=None, criterion="D", prior_weights=None,
                    algorithm: str = "rex", tol: float = 1e-6, x_bounds=None, *,
                    params=None, max_iter: int | None = None, max_time: float = 600.0,
                    rng=None, progress: bool = False) -> DesignResult:
    r"""Pseudo-Bayesian optimal design: the criterion averaged over a prior sample.

    Parameters
    ----------
    model : RegressionModel or Polynomial
    prior_sample : array_like, shape (J, p)
        Parameter vectors drawn from (or representing) the prior.
    candidates, criterion, algorithm, tol, x_bounds, params, max_iter, max_time, rng, progress
        As in :func:`~fisherstat.design.optimal_design` (``E`` is not supported).
    prior_weights : array_like, shape (J,), optional
        Weights of the prior points (default uniform).

    Returns
    -------
    DesignResult
        ``value`` is the prior mean of the criterion (``log det`` for ``D``).

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat import design
    >>> m = fs.models.ExponentialDecay()
    >>> prior = np.array([[10.0, k, 0.25] for k in (0.5, 1.0, 2.0)])
    >>> res = design.bayesian_design(m, prior, np.linspace(0, 4, 81), rng=0)
    >>> res.converged, res.design.n_points >= 2
    (True, True)
    """
    ps = as_float_array(prior_sample, "prior_sample", ndim=2)
    _validate_rows(as_model(model), ps, "prior_sample")
    return optimal_design(model, ps, candidates, criterion, algorithm, tol, x_bounds,
                          params=params, prior_weights=prior_weights, max_iter=max_iter,
                          max_time=max_time, rng=rng, progress=progress)


def _validate_rows(model, th, name):
    """Each row of ``th`` is a parameter vector of ``model`` (errors name ``name`` and row)."""
    out = []
    for j, t in enumerate(th):
        try:
            out.append(model.validate(t))
        except ValueError as exc:
            raise ValueError(f"{name}: row {j}: {exc}") from None
    return np.array(out)


@dataclass(frozen=True, eq=False)
class MaximinResult:
    """A maximin-efficiency design with its least favourable prior and certificate.

    Attributes
    ----------
    design : Design
    efficiencies : ndarray, shape (J,)
        D-efficiency at each parameter value (relative to the local optimum there).
    min_efficiency : float
    least_favourable : ndarray, shape (J,)
        The dual weights :math:`\\pi^*` (non-zero where the efficiency is the minimum).
    efficiency_bound : float
        Lower bound of ``min_efficiency`` divided by the best attainable one.
    max_sensitivity : float
        :math:`\\max_x \\sum_j \\pi^*_j d_j(x)/s` (1 at the optimum).
    local_designs : list of DesignResult
    """

    design: Design
    efficiencies: np.ndarray
    min_efficiency: float
    least_favourable: np.ndarray
    efficiency_bound: float
    max_sensitivity: float
    local_designs: list = field(repr=False)
    thetas: np.ndarray = field(repr=False)
    candidates: np.ndarray = field(repr=False)
    sensitivity: np.ndarray = field(repr=False)
    model: object = field(repr=False)
    params: tuple = ()

    def summary(self) -> str:
        """Design, efficiency at each parameter value and the certificate."""
        lines = [f"maximin D-efficiency design over {len(self.thetas)} parameter values "
                 f"(parameters of interest: {', '.join(self.params)})", self.design.summary(),
                 f"{'theta':>40} {'efficiency':>11} {'pi*':>8}"]
        for th, e, p in zip(self.thetas, self.efficiencies, self.least_favourable,
                            strict=True):
            lines.append(f"{np.array2string(th, precision=4, separator=', '):>40} "
                         f"{e:>11.6f} {p:>8.4f}")
        lines.append(f"min efficiency {self.min_efficiency:.8f}; max standardised "
                     f"sensitivity {self.max_sensitivity:.8f} (bound 1); maximin efficiency "
                     f">= {self.efficiency_bound:.8f} of the best")
        return "\n".join(lines)

    __str__ = summary

    def plot(self, ax=None):
        """The standardised sensitivity :math:`\\sum_j\\pi_j^* d_j(x)/s` (bound 1)."""
        return plot_sensitivity(self.candidates, self.sensitivity, 1.0, self.design,
                                 self.model, ax, "maximin design")


def _maximin_oracle(Fs, NN, scale, s, cst):
    """Barrier oracle of ``max t`` s.t. ``(log det M_j - log det M_j,NN)/s - cst_j >= t``."""
    J = len(Fs)
    n_w = Fs[0].shape[0]

    def parts(w, j, need):
        F = Fs[j]
        F3 = F[:, :, None] if F.ndim == 2 else F
        G = np.moveaxis(F3 * np.sqrt(w)[:, None, None], 1, 0).reshape(F3.shape[1], -1)
        M = scale[j] * (G @ G.T)
        cf = linalg.cho_factor(M, lower=True)
        g = 2.0 * np.sum(np.log(np.diag(cf[0])))
        N = NN[j]
        if N.size:
            MN = M[np.ix_(N, N)]
            cfn = linalg.cho_factor(MN, lower=True)
            g -= 2.0 * np.sum(np.log(np.diag(cfn[0])))
        g = g / s - cst[j]
        if need == 0:
            return g, None, None
        r = F3.shape[2]
        Gf = np.moveaxis(F3, 1, 0).reshape(F3.shape[1], -1) * np.sqrt(scale[j])
        W = linalg.cho_solve(cf, Gf)
        Q = (Gf.T @ W).reshape(n_w, r, n_w, r)
        grad = np.einsum("iaia->i", Q)
        hess = -np.einsum("iakb,iakb->ik", Q, Q)
        if N.size:
            GN = Gf[N]
            WN = linalg.cho_solve(cfn, GN)
            QN = (GN.T @ WN).reshape(n_w, r, n_w, r)
            grad = grad - np.einsum("iaia->i", QN)
            hess = hess + np.einsum("iakb,iakb->ik", QN, QN)
        return g, grad / s, hess / s

    def oracle(z, tau, need):
        w, t = z[:n_w], z[n_w]
        if np.any(w <= 0):
            return None
        vals = []
        try:
            for j in range(J):
                vals.append(parts(w, j, need))
        except (linalg.LinAlgError, ValueError):
            return None
        u = np.array([v[0] for v in vals]) - t
        if np.any(u <= 0):
            return None
        f = -tau * t - np.sum(np.log(u)) - np.sum(np.log(w))
        if need == 0:
            return f
        g = np.zeros(n_w + 1)
        H = np.zeros((n_w + 1, n_w + 1))
        g[n_w] = -tau
        for uj, (_, gj, hj) in zip(u, vals, strict=True):
            du = np.append(gj, -1.0)
            g -= du / uj
            H += np.outer(du, du) / uj**2
            H[:n_w, :n_w] -= hj / uj
        g[:n_w] -= 1.0 / w
        H[np.arange(n_w), np.arange(n_w)] += 1.0 / w**2
        return f, g, 0.5 * (H + H.T)

    return oracle, parts


def maximin_design(model, thetas, candidates=None, criterion="D", *, x_bounds=None,
                   params: Sequence[str] | str | None = None, tol: float = 1e-6,
                   max_rounds: int = 30, progress: bool = False) -> MaximinResult:
    r"""Maximin D-efficiency design over a finite set of parameter values.

    Parameters
    ----------
    model : RegressionModel or Polynomial
    thetas : array_like, shape (J, p)
        The parameter values.
    candidates : array_like, optional
        Candidate points (or a grid in ``x_bounds``).
    criterion : {'D'} or Ds
        D-efficiency (of the parameters of interest); other criteria are not supported.
    params : optional
        Parameters of interest (default: the mean parameters).
    tol : float
        Stop when the certificate's bound is ``>= 1 - tol``.
    max_rounds : int
        Rounds of the working-set (barrier Newton) iteration.
    progress : bool, default False
        Show progress on stderr (tqdm if installed, plain text otherwise): the locally
        optimal design of each parameter value, then each round with the certificate's
        bound against ``1 - tol``.

    Returns
    -------
    MaximinResult

    Notes
    -----
    See the module documentation: the problem :math:`\max_{w, t} t` s.t.
    :math:`\log\mathrm{eff}_j(w) \ge t` is solved by Newton's method on the barrier
    :math:`-\tau t - \sum_j \log(\log\mathrm{eff}_j(w) - t) - \sum_i\log w_i` with exact
    Hessians (:math:`\partial^2 \log\det M/\partial w_i\partial w_k =
    -\operatorname{tr}(M^{-1}M_iM^{-1}M_k)`), on a working set of candidates that grows
    by the violators of the equivalence condition.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat import design
    >>> m = fs.models.ExponentialDecay()
    >>> ths = [[10.0, 0.5, 0.25], [10.0, 2.0, 0.25]]
    >>> res = design.maximin_design(m, ths, np.linspace(0, 4, 81))
    >>> bool(res.min_efficiency > 0.75), np.round(res.least_favourable, 3)
    (True, array([0.5, 0.5]))
    """
    model = as_model(model)
    crit = as_criterion(criterion)
    if crit.family != "D" or crit.name == "G":
        raise ValueError(f"criterion: maximin designs support D and Ds, got {crit.name}")
    tol = check_scalar(tol, "tol", low=0, high=1)
    max_rounds = check_int(max_rounds, "max_rounds", low=1)
    th = as_float_array(thetas, "thetas", ndim=2)
    th = _validate_rows(model, th, "thetas")
    J = th.shape[0]
    if candidates is None:
        if x_bounds is None:
            raise TypeError("pass candidates (points) or x_bounds (a box region)")
        X = box_grid(x_bounds)[1]
    else:
        X = check_candidates(candidates)
    targets = resolve_targets(model, params, crit)
    bar = progress_bar(check_bool(progress, "progress"), f"maximin design ({J} parameter "
                       "values)", unit="step")
    try:
        return _maximin(model, crit, th, X, params, targets, tol, max_rounds, bar)
    finally:
        if bar is not None:
            bar.close()


def _maximin(model, crit, th, X, params, targets, tol, max_rounds, bar):
    """The body of :func:`maximin_design` (``bar``: a progress bar or None)."""
    J = th.shape[0]
    local = []
    for j, t in enumerate(th):  # the locally optimal design of each parameter value
        local.append(optimal_design(model, t, X, crit, tol=1e-10,
                                    params=params if crit.name != "Ds" else None, rng=0))
        if bar is not None:
            bar.update(1, f"local design {j + 1}/{J}")
    problem = build_problem(model, th, np.full(J, 1.0 / J), X, crit, targets)
    s = problem.s
    cst = np.array([r.value / s for r in local])  # log det C_j* / s
    n = problem.n
    start, rank = greedy_start(problem)
    S = np.union1d(start, np.concatenate([np.flatnonzero(np.isin(np.arange(n), _rows(r, X)))
                                          for r in local]))
    scale = [lc.scale for lc in problem.locals]
    NN = [lc.N for lc in problem.locals]
    for rnd in range(max_rounds):
        Fs = [lc.F[S] for lc in problem.locals]
        oracle, parts = _maximin_oracle(Fs, NN, scale, s, cst)
        w0 = np.full(S.size, 1.0 / S.size)
        gvals = [parts(w0, j, 0)[0] for j in range(J)]
        t0 = min(gvals) - 1.0
        z, tau = barrier_newton(oracle, np.append(w0, t0), S.size, J + S.size, 1.0,
                                tau0=float(J + S.size), gap=1e-12)
        wS, t = z[: S.size], z[S.size]
        g_fin = np.array([parts(wS, j, 0)[0] for j in range(J)])
        pi = 1.0 / (tau * (g_fin - t))
        pi = pi / pi.sum()
        wS = np.where(wS > 1e-9 * wS.max(), wS, 0.0)
        wS /= wS.sum()
        w = np.zeros(n)
        w[S] = wS
        # certificate on all candidates: the least favourable prior for this design is
        # the solution of a linear program (min over pi of the bound's gap)
        Dj = np.empty((J, n))
        g_now = np.empty(J)
        for j, lc in enumerate(problem.locals):
            M = lc.info(S[wS > 0], wS[wS > 0])
            C, K = schur(M, lc.T, lc.N)
            g_now[j] = np.linalg.slogdet(C)[1] / s - cst[j]
            A = K @ np.linalg.inv(C) @ K.T
            Dj[j] = quad_rows(lc.F, np.sqrt(lc.scale) * sqrt_psd(A)) / s
        pi = _least_favourable(Dj, g_now, pi)
        sens = pi @ Dj
        maxd = float(sens.max())
        gap = float(pi @ g_now - g_now.min()) + max(maxd - 1.0, 0.0)
        bound = float(np.exp(-gap))
        if bar is not None:
            bar.update(1, f"round {rnd + 1}, bound {bound:.6g} (target {1.0 - tol:.6g})")
        if bound >= 1.0 - tol:
            break
        viol = np.setdiff1d(np.flatnonzero(sens > 1.0 + 0.1 * tol), S)
        if viol.size == 0:
            break
        S = np.union1d(S, viol[np.argsort(-sens[viol])[: max(20, 2 * problem.q)]])
    supp = np.flatnonzero(w > 0)
    names = getattr(getattr(model, "basis", None), "factors", None)
    dsg = Design(X[supp], w[supp], names=names)
    effs = np.exp(g_now)
    return MaximinResult(dsg, effs, float(effs.min()), pi, bound, maxd, local, th, X, sens,
                         model, targets)


def _least_favourable(Dj, g, pi0):
    """``argmin_pi  max_x sum_j pi_j D_j(x) + sum_j pi_j g_j`` over the simplex (an LP).

    Any ``pi`` gives a valid bound; the LP picks the one that makes it tightest. Falls back
    to ``pi0`` (the barrier's dual weights) if the LP fails.
    """
    J, n = Dj.shape
    # variables (pi_1..pi_J, u): minimise u + g.pi, s.t. D^T pi - u <= 0, sum pi = 1
    res = optimize.linprog(
        np.append(g, 1.0), A_ub=np.column_stack([Dj.T, -np.ones(n)]), b_ub=np.zeros(n),
        A_eq=np.append(np.ones(J), 0.0)[None, :], b_eq=[1.0],
        bounds=[(0, None)] * J + [(None, None)], method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        return pi0
    pi = np.clip(res.x[:J], 0.0, None)
    return pi / pi.sum()


def _rows(res: DesignResult, X: np.ndarray) -> np.ndarray:
    """Indices of the candidates that carry the support of a design computed on them."""
    P = res.design.points
    X2 = X[:, None] if X.ndim == 1 else X
    P2 = P[:, None] if P.ndim == 1 else P
    idx = []
    for p in P2:
        hit = np.flatnonzero(np.all(X2 == p, axis=1))
        if hit.size:
            idx.append(int(hit[0]))
    return np.array(idx, dtype=int)
