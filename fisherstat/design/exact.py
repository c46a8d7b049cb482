r"""Exact designs of ``N`` runs: efficient rounding followed by an exchange algorithm.

**Efficient rounding** (Pukelsheim & Rieder 1992, *Biometrika* 79, 763-770; Pukelsheim
1993, chapter 12) of an approximate design with weights :math:`w_1..w_\ell` on
:math:`\ell` support points: start from :math:`n_i = \lceil (N - \ell/2)\, w_i \rceil`,
then, while :math:`\sum n_i < N`, increase an :math:`n_j` with :math:`n_j / w_j` minimal,
and while :math:`\sum n_i > N`, decrease one with :math:`(n_j - 1)/w_j` maximal. It
minimises the largest ratio :math:`w_i / (n_i / N)` among apportionments and so bounds
the efficiency loss of the rounding.

**Exchange.** The rounded design is improved by exchanging one run from a design point to
a candidate while the criterion improves: ``'kl'`` (the KL exchange of Atkinson, Donev &
Tobias 2007, chapter 12: the ``K`` design points of lowest sensitivity against the ``L``
candidates of highest sensitivity) or ``'fedorov'`` (every design point against every
candidate, Fedorov 1972, chapter 3; for D-optimality with rank-one information the
determinant ratio of every exchange is evaluated at once,
:math:`(1 + d_l)(1 - d_k) + d_{kl}^2` with :math:`d` computed from the unnormalised
:math:`M^{-1}`). Each accepted exchange is the best one among those examined.

The efficiency of the exact design :math:`\xi_N = \{x_i, n_i/N\}` relative to the
approximate optimum is at most one (the approximate optimum is optimal over *all*
designs, including :math:`\xi_N`), up to the tolerance of the approximate solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar
from .._validation import (
    check_bool,
    check_choice,
    check_int,
    check_random_state,
    check_scalar,
)
from ._common import DesignResult, as_model, check_candidates, prior_thetas
from ._problem import build_problem, resolve_targets
from ._sensitivity import design_matrices
from .criteria import as_criterion, quad_rows, schur, sqrt_psd
from .designs import Design, ExactDesign
from .optimal import optimal_design

__all__ = ["efficient_rounding", "exact_design", "ExactDesignResult"]

#: Largest number of runs: counts are int64 and the weights n_i / N exact in float64.
_MAX_RUNS = 2**53


def _check_runs(n_runs) -> int:
    N = check_int(n_runs, "n_runs", low=1)
    if N > _MAX_RUNS:
        raise ValueError(f"n_runs must be <= 2**53 (int64 counts, exact float weights), got {N}")
    return N


def efficient_rounding(design: Design, n_runs: int) -> ExactDesign:
    r"""Efficient rounding of an approximate design to ``n_runs`` runs (Pukelsheim & Rieder).

    Parameters
    ----------
    design : Design or DesignResult
    n_runs : int
        Total number of runs ``N >= 1``.

    Returns
    -------
    ExactDesign
        On the support of ``design`` (points that get no run are dropped).

    Examples
    --------
    >>> from fisherstat.design import Design, efficient_rounding
    >>> d = Design([-1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    >>> efficient_rounding(d, 5).counts  # ceil((5 - 1.5) w) = (1, 2, 1), then one more
    array([2, 2, 1])
    >>> efficient_rounding(d, 8).counts
    array([2, 4, 2])
    """
    if isinstance(design, DesignResult):
        design = design.design
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design, got {type(design).__name__}")
    N = _check_runs(n_runs)
    keep = design.weights > 0
    w = design.weights[keep]
    pts = design.points[keep]
    ell = w.size
    n = np.ceil(max(N - ell / 2.0, 0.0) * w).astype(int)
    while n.sum() < N:
        n[int(np.argmin(n / w))] += 1
    while n.sum() > N:
        n[int(np.argmax((n - 1) / w))] -= 1
    pos = n > 0
    return ExactDesign(pts[pos], n[pos], design.names)


@dataclass(frozen=True, eq=False)
class ExactDesignResult:
    """An exact design of ``N`` runs with its efficiency against the approximate optimum.

    Attributes
    ----------
    design : ExactDesign
        After the exchange algorithm.
    rounded : ExactDesign
        The efficient rounding of the approximate optimum (before exchanges).
    approximate : DesignResult
        The approximate optimal design.
    value : float
        Criterion value of the normalised exact design :math:`M(\\xi_N)` (``log det`` for
        ``D``, ...), comparable with ``approximate.value``.
    efficiency, rounded_efficiency : float
        Efficiency of ``design`` and of ``rounded`` relative to ``approximate``.
    exchanges : int
        Number of accepted exchanges.
    """

    design: ExactDesign
    rounded: ExactDesign
    approximate: DesignResult
    value: float
    efficiency: float
    rounded_efficiency: float
    exchanges: int
    method: str = "kl"

    def summary(self) -> str:
        """Exact design table, criterion value and efficiencies."""
        crit = self.approximate.criterion
        return "\n".join([
            f"exact {crit.name}-optimal design, N = {self.design.n_runs} runs "
            f"(efficient rounding + {self.method} exchange, {self.exchanges} exchanges)",
            self.design.summary(),
            f"criterion {crit.name} of the normalised design: {self.value:.10g} "
            f"(approximate optimum {self.approximate.value:.10g})",
            f"efficiency vs approximate optimum: {self.efficiency:.8f} (after rounding only: "
            f"{self.rounded_efficiency:.8f})",
        ])

    __str__ = summary

    def plot(self, ax=None):
        """Runs at the design points (see :meth:`ExactDesign.plot`)."""
        return self.design.plot(ax)


def _scores(problem, Ms):
    """Sensitivity factors for choosing exchanges (plain subgradients for E and c)."""
    Bs = []
    for lc, M, pj in zip(problem.locals, Ms, problem.prior, strict=True):
        C, K = schur(M, lc.T, lc.N)
        wb = lc.crit._weight(C)
        if wb is None:  # singular (c outside the range, ...): use the D-type pseudo-inverse
            w_, V = np.linalg.eigh(C)
            keep = w_ > w_.max() * 1e-10
            A = (V[:, keep] / w_[keep]) @ V[:, keep].T
        else:
            A = wb[0]
        Bs.append(np.sqrt(pj * lc.scale) * sqrt_psd(K @ A @ K.T))
    return Bs


def _exchange(problem, counts, N, method, bar=None, max_exchanges=10_000):
    """Best-improvement exchanges of one run until no examined exchange improves.

    ``bar`` (a :class:`~fisherstat._progress.Progress` or None) counts the exchanges and
    shows the criterion's improvement of the last one.
    """
    n = problem.n
    q = problem.q
    n_ex = 0
    rows = np.arange(n)
    fast_d = (problem.family == "D" and len(problem.locals) == 1
              and problem.locals[0].r == 1 and problem.locals[0].N.size == 0)
    for _ in range(max_exchanges):
        supp = np.flatnonzero(counts > 0)
        Ms = [lc.info(supp, counts[supp] / N) for lc in problem.locals]
        loss0 = problem.loss_of(Ms)
        Bs = _scores(problem, Ms)
        d = None
        for lc, B in zip(problem.locals, Bs, strict=True):
            dj = quad_rows(lc.F, B)
            d = dj if d is None else d + dj
        if fast_d and method == "fedorov" and np.isfinite(loss0):
            lc = problem.locals[0]
            Mi = np.linalg.inv(Ms[0] * N / lc.scale)  # unnormalised, unscaled
            best = (0.0, None, None)
            dl = d_unnorm(lc.F, Mi)
            for k in supp:
                fk = lc.F[k]
                dk = fk @ Mi @ fk
                dkl = lc.F @ (Mi @ fk)
                ratio = (1.0 + dl) * (1.0 - dk) + dkl**2
                ratio[k] = 1.0
                j = int(np.argmax(ratio))
                if ratio[j] - 1.0 > best[0]:
                    best = (ratio[j] - 1.0, k, j)
            if best[1] is None or best[0] <= 1e-12:
                break
            counts[best[1]] -= 1
            counts[best[2]] += 1
            n_ex += 1
            if bar is not None:
                bar.update(1, f"relative det gain {best[0]:.2e}")
            continue
        nK = supp.size if method == "fedorov" else min(supp.size, max(2, q))
        Kset = supp[np.argsort(d[supp])[:nK]]
        nL = min(n, 200 if method == "fedorov" else 4 * q)
        Lset = rows[np.argsort(-d)[:nL]]
        P = problem.point_matrices(np.union1d(Kset, Lset))
        idx = {int(v): i for i, v in enumerate(np.union1d(Kset, Lset))}
        best = (0.0, None, None)
        scale0 = abs(loss0) if np.isfinite(loss0) else 1.0
        for k in Kset:
            for j in Lset:
                if j == k:
                    continue
                new = [M + (Pj[idx[int(j)]] - Pj[idx[int(k)]]) / N
                       for M, Pj in zip(Ms, P, strict=True)]
                gain = loss0 - problem.loss_of(new)
                if gain > best[0]:
                    best = (gain, k, j)
        if best[1] is None or best[0] <= 1e-12 * max(scale0, 1e-300):
            break
        counts[best[1]] -= 1
        counts[best[2]] += 1
        n_ex += 1
        if bar is not None:
            bar.update(1, f"loss {loss0 - best[0]:.8g}, gain {best[0]:.2e}")
    return counts, n_ex


def d_unnorm(F, Mi):
    """``f_i^T Mi f_i`` for all rows (chunked)."""
    return quad_rows(F, np.linalg.cholesky(0.5 * (Mi + Mi.T)))


def exact_design(model, theta, candidates, n_runs: int, criterion="D", *,
                 approximate: DesignResult | None = None, exchange: str = "kl",
                 params: Sequence[str] | str | None = None, prior_weights=None,
                 tol: float = 1e-9, rng=None, progress: bool = False) -> ExactDesignResult:
    r"""Exact design of ``n_runs`` runs: efficient rounding + exchange (see module docs).

    Parameters
    ----------
    model, theta, candidates, criterion, params, prior_weights
        As in :func:`~fisherstat.design.optimal_design`.
    n_runs : int
        Number of runs ``N``.
    approximate : DesignResult, optional
        The approximate optimum to round (default: computed with ``rex``, ``tol``).
    exchange : {'kl', 'fedorov'}
    tol : float
        Tolerance of the approximate optimum (its efficiency bound).
    rng : None, int or Generator
        For the approximate optimum (see :func:`~fisherstat.design.optimal_design`).
    progress : bool, default False
        Show on stderr the iterations of the approximate optimum (unless given) and then
        the exchanges with the improvement of each (tqdm if installed, plain text
        otherwise); the result is the same as without.

    Returns
    -------
    ExactDesignResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> quad = design.polynomial(1, degree=2)
    >>> res = design.exact_design(quad, None, np.linspace(-1, 1, 21), 4, rng=0)
    >>> print(res.design)  # one point replicated
    ExactDesign: 4 runs at 3 points
             x      runs
            -1         2
             0         1
             1         1
    >>> round(res.efficiency, 4)  # (det M_4 / (4/27))^(1/3) = ((1/8) / (4/27))^(1/3)
    0.9449
    """
    N = _check_runs(n_runs)
    tol = check_scalar(tol, "tol", low=0, high=1)
    rng = check_random_state(rng)
    progress = check_bool(progress, "progress")
    if approximate is not None and not isinstance(approximate, DesignResult):
        raise TypeError(f"approximate must be a DesignResult (from optimal_design) or None, "
                        f"got {type(approximate).__name__}")
    check_choice(exchange, "exchange", ("kl", "fedorov"))
    model = as_model(model)
    crit = as_criterion(criterion)
    X = check_candidates(candidates)
    try:
        model.check_x(X)
    except ValueError as exc:
        raise ValueError(f"candidates: {exc}") from None
    thetas, prior, bayes = prior_thetas(model, theta, prior_weights)
    if approximate is None:
        approximate = optimal_design(model, thetas if bayes else thetas[0], X, crit,
                                     tol=tol, params=params,
                                     prior_weights=prior if bayes else None, rng=rng,
                                     progress=progress)
    targets = resolve_targets(model, params, crit)
    rounded = efficient_rounding(approximate.design, N)
    # the exchange works on the candidates plus the rounded support points
    R = rounded.points
    Xall = np.concatenate([X, R]) if X.ndim == R.ndim else np.concatenate(
        [X.reshape(X.shape[0], -1), R.reshape(R.shape[0], -1)])
    problem = build_problem(model, thetas, prior, Xall, crit, targets)
    if N < problem.q and crit.family != "c":
        raise ValueError(f"n_runs must be >= {problem.q} (the number of parameters the "
                         f"design must estimate) for the {crit.name}-criterion, got {N}")
    counts = np.zeros(Xall.shape[0], dtype=int)
    counts[X.shape[0]:] = rounded.counts
    bar = progress_bar(progress, f"exact design ({exchange} exchange, {N} runs)",
                       unit="exchange")
    try:
        counts, n_ex = _exchange(problem, counts, N, exchange, bar)
    finally:
        if bar is not None:
            bar.close()
    supp = np.flatnonzero(counts > 0)
    names = approximate.design.names
    ed = ExactDesign(Xall[supp], counts[supp], names)
    Ms = [lc.info(supp, counts[supp] / N) for lc in problem.locals]
    loss = problem.loss_of(Ms)
    phi_exact = problem.phi_of(loss)
    appr_Ms = _matrices(problem, approximate.design)
    phi_appr = problem.phi_of(problem.loss_of(appr_Ms))
    rs = np.arange(X.shape[0], Xall.shape[0])
    phi_round = problem.phi_of(problem.loss_of(
        [lc.info(rs, rounded.counts / N) for lc in problem.locals]))
    value = _natural(problem, Ms)
    return ExactDesignResult(ed, rounded, approximate, value, phi_exact / phi_appr,
                             phi_round / phi_appr, n_ex, exchange)


def _matrices(problem, dsg: Design):
    return design_matrices(problem, dsg.points, dsg.weights)


def _natural(problem, Ms) -> float:
    vals = []
    for lc, M in zip(problem.locals, Ms, strict=True):
        C, _ = schur(M, lc.T, lc.N)
        vals.append(lc.crit._value(C))
    vals = np.array(vals)
    return float(vals[0]) if vals.size == 1 else float(problem.prior @ vals)

