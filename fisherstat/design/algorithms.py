r"""First-order algorithms for approximate designs on a finite candidate set.

All three work in the space of candidate weights :math:`w` (``n`` of them) with the
sensitivity :math:`d_i = d(x_i)` (minus the gradient of the loss in :math:`w_i`) and stop
when the equivalence-theorem efficiency lower bound :math:`b / \max_i d_i` reaches
``1 - tol``.

``rex``
    The randomized exchange algorithm of Harman, Filová & Richtárik (2020, *J. Amer.
    Statist. Assoc.* 115, 348-361). Start: a greedy saturated design (pivoted Cholesky of
    the candidate factors, the greedy D-optimal subset of Harman & Rosa 2020, *Oper. Res.
    Lett.* 48) with uniform weights. Each iteration computes :math:`d` on all
    candidates, takes the batch :math:`\mathcal L` of the :math:`\gamma m` (``gamma = 4``)
    candidates with the largest :math:`d` and makes one *leading* box-constrained optimal
    weight exchange (BOS) between the best candidate :math:`k^* = \arg\max d` and the
    worst support point :math:`l^* = \arg\min_{\mathrm{supp}}d`, then BOS exchanges for
    all pairs of the union :math:`\mathcal K = \mathrm{supp}(w)\cup\mathcal L` in random
    order. The BOS moves weight :math:`\alpha \in [-w_k, w_l]` from :math:`l` to
    :math:`k`; when it hits the box the weight becomes exactly zero and the point leaves
    the support. For ``D`` with rank-one factors the step is
    :math:`\alpha^* = (d_k - d_l) / (2(d_kd_l - d_{kl}^2))`, :math:`d_{kl} =
    f_k^TM^{-1}f_l` (Böhning 1986, *Metrika* 33, 337-347); for ``A``/``L``/``I``
    it is a root of :math:`(Pf + Qe)\alpha^2 + 2Q\alpha + P = 0` (derived in the source
    from the Woodbury identity); otherwise (nuisance parameters, multi-column factors) a
    bounded one-dimensional minimisation. The quantities :math:`d_{kl}` on
    :math:`\mathcal K` are kept up to date by rank-two updates.

``multiplicative``
    :math:`w_i \leftarrow w_i (d_i / b)^\lambda`, :math:`\lambda = 1` for ``D``
    (Silvey, Titterington & Torsney 1978, *Comm. Statist. A* 7, 1379-1389: for ``D``,
    :math:`w_i d_i / m`), :math:`\lambda = 1/2` for ``A``/``L``/``I``/``c`` (Fellman
    1974, *Comment. Phys.-Math.* 44; Yu 2010, *Ann. Statist.* 38, 1593-1606, proves
    monotonicity for these powers). Starts from uniform weights on all candidates.

``fedorov_wynn``
    Vertex direction: move to :math:`(1-\alpha)\xi + \alpha\delta_{x^*}` at the
    maximiser :math:`x^*` of :math:`d` with the optimal step (Wynn 1970, *Ann. Math.
    Statist.* 41, 1655-1664; Fedorov 1972, *Theory of Optimal Experiments*, chapter 2);
    for ``D``, :math:`\alpha = (d^*/m - 1)/(d^* - 1)` and :math:`M^{-1}` and :math:`d`
    are updated in :math:`O(nm)` by Sherman-Morrison.

**Deletion of candidates** (``prune=True``, ``D`` with rank-one factors and no nuisance):
a candidate with :math:`d(x) < m\,(1 + \varepsilon/2 - \sqrt{\varepsilon(4 + \varepsilon -
4/m)}/2)`, :math:`\varepsilon = \max d / m - 1`, cannot support any D-optimal design
(Harman & Pronzato 2007, *Statist. Probab. Lett.* 77, 90-94) and is removed; the final
bound is always computed on all candidates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize
from scipy.linalg import blas

from .._progress import progress_bar
from ._problem import Problem, lmat_of
from .criteria import quad_rows, sqrt_psd

__all__ = ["ALGORITHMS", "RunInfo", "greedy_start", "hp_threshold", "run_algorithm"]

ALGORITHMS = ("rex", "multiplicative", "fedorov_wynn")


@dataclass
class RunInfo:
    """What an algorithm did: iterations, time, stopping bound, trace."""

    algorithm: str
    iterations: int = 0
    converged: bool = False
    efficiency_bound: float = 0.0
    max_sensitivity: float = np.nan
    bound: float = np.nan
    seconds: float = 0.0
    n_deleted: int = 0
    trace: list = field(default_factory=list)  # (seconds, efficiency bound) per check


def hp_threshold(max_d: float, m: int) -> float:
    r"""Harman-Pronzato (2007) deletion threshold for D-optimal designs.

    Candidates with :math:`d(x)` below it cannot support a D-optimal design.

    Examples
    --------
    >>> from fisherstat.design.algorithms import hp_threshold
    >>> hp_threshold(3.0, 3)  # at the optimum (max d = m) only d = m survives
    3.0
    >>> round(hp_threshold(3.3, 3), 4)  # eps = 0.1: 3 (1.05 - sqrt(0.1 * 2.7667) / 2)
    2.361
    """
    eps = max(max_d / m - 1.0, 0.0)
    return float(m * (1.0 + eps / 2.0 - np.sqrt(eps * (4.0 + eps - 4.0 / m)) / 2.0))


def greedy_start(problem: Problem) -> tuple[np.ndarray, int]:
    """Greedy saturated subset: pivoted Gram-Schmidt on the candidate factor rows.

    Returns the chosen candidate indices (the union over the local problems) and the
    smallest rank reached.
    """
    chosen: list[int] = []
    min_rank = None
    for lc in problem.locals:
        F = lc.F
        three = F.ndim == 3
        sq = np.einsum("nqr,nqr->n", F, F) if three else np.einsum("nq,nq->n", F, F)
        res = sq.copy()
        top = float(sq.max()) if sq.size else 0.0
        basis: list[np.ndarray] = []
        mine = []
        while len(basis) < lc.q and top > 0:
            i = int(np.argmax(res))
            if not res[i] > 1e-10 * top:
                break
            mine.append(i)
            cols = F[i] if three else F[i][:, None]
            for v in cols.T:
                v = v.copy()
                for u in basis:
                    v -= (u @ v) * u
                for u in basis:  # twice is enough (Kahan-Parlett)
                    v -= (u @ v) * u
                nv = np.linalg.norm(v)
                if nv <= 1e-7 * max(np.linalg.norm(cols), np.finfo(float).tiny):
                    continue
                u = v / nv
                basis.append(u)
                proj = np.einsum("nqr,q->nr", F, u) if three else F @ u
                res -= np.einsum("nr,nr->n", proj, proj) if three else proj * proj
            res[i] = -np.inf
        rank = len(basis)
        min_rank = rank if min_rank is None else min(min_rank, rank)
        chosen.extend(mine)
    return np.unique(np.array(chosen, dtype=int)), int(min_rank or 0)


# -------------------------------------------------------------- pair steps
def _d_step_single(ga, gb, gab, lo, hi):
    """Optimal D exchange (one local): maximise ``1 + e a - f a^2`` on ``[lo, hi]``."""
    e = ga - gb
    f = ga * gb - gab * gab
    if f > 1e-13 * ga * gb:
        a = e / (2.0 * f)
    else:
        a = hi if e > 0 else lo
    return min(max(a, lo), hi)


def _l_step_single(ga, gb, gab, haa, hbb, hab, lo, hi):
    """Optimal L exchange (one local): minimise ``a (P + Q a) / g(a)`` on ``[lo, hi]``."""
    e = ga - gb
    f = ga * gb - gab * gab
    P = hbb - haa
    Q = gb * haa - 2.0 * gab * hab + ga * hbb
    qa, qb, qc = P * f + Q * e, 2.0 * Q, P
    cands = [lo, hi]
    if abs(qa) > 1e-300:
        disc = qb * qb - 4.0 * qa * qc
        if disc >= 0:
            sd = np.sqrt(disc)
            # numerically stable roots
            qq = -0.5 * (qb + np.copysign(sd, qb))
            if qq != 0:
                cands += [qq / qa, qc / qq]
            else:
                cands += [0.0]
    elif qb != 0:
        cands.append(-qc / qb)
    best, best_val = 0.0, 0.0
    for a in cands:
        if not lo <= a <= hi:
            continue
        g = 1.0 + e * a - f * a * a
        if g <= 0:
            continue
        v = a * (P + Q * a) / g
        if v < best_val:
            best, best_val = a, v
    return best


def _s_matrix(alpha, ga, gb, gab):
    """``(C^-1 + U^T M^-1 U)^-1`` of the exchange, ``C = diag(alpha, -alpha)`` (2 x 2)."""
    g = 1.0 + (ga - gb) * alpha - (ga * gb - gab * gab) * alpha * alpha
    s = alpha / g
    return np.array([[s * (1.0 - gb * alpha), s * gab * alpha],
                     [s * gab * alpha, -s * (1.0 + ga * alpha)]])


def _multi_step(fam, kappa, ga, gb, gab, haa, hbb, hab, lo, hi):
    """Optimal exchange for several locals (vectors over j): safeguarded root of the slope."""
    e = ga - gb
    f = ga * gb - gab * gab
    if fam == "D":
        def slope(a):
            g = 1.0 + e * a - f * a * a
            if np.any(g <= 0):
                return np.inf if a < 0 else -np.inf
            return float(np.sum(kappa * (e - 2.0 * f * a) / g))  # derivative of the gain
    else:
        P = hbb - haa
        Q = gb * haa - 2.0 * gab * hab + ga * hbb

        def slope(a):
            g = 1.0 + e * a - f * a * a
            if np.any(g <= 0):
                return np.inf if a < 0 else -np.inf
            return -float(np.sum(kappa * (P + 2.0 * Q * a + (P * f + Q * e) * a * a) / g**2))
    s_lo, s_hi = slope(lo), slope(hi)
    if s_lo <= 0:
        return lo
    if s_hi >= 0:
        return hi
    a, b = lo, hi
    for _ in range(200):  # bisection on the (decreasing) slope of the concave gain
        mid = 0.5 * (a + b)
        if slope(mid) > 0:
            a = mid
        else:
            b = mid
        if b - a <= 1e-15 * max(1.0, abs(a)) + 1e-300:
            break
    return 0.5 * (a + b)


class _PairState:
    """Gram matrices ``G_j = F_K M_j^{-1} F_K^T`` (and ``H_j``) over the pair set ``K``."""

    def __init__(self, problem: Problem, st, K):
        self.fam = problem.family
        self.J = len(problem.locals)
        Gs, Hs, kap = [], [], []
        for lc, M, pj in zip(problem.locals, st.Ms, problem.prior, strict=True):
            FK = lc.F[K]
            Mi = linalg.cho_solve(linalg.cho_factor(M / lc.scale), np.eye(M.shape[0]))
            W = FK @ Mi
            Gs.append(W @ FK.T)
            if self.fam == "L":
                Lm = np.zeros((lc.q, lc.q))
                Lm[np.ix_(lc.T, lc.T)] = lmat_of(lc.crit, lc.T.size)
                Hs.append(W @ Lm @ W.T)
            kap.append(pj / lc.scale if self.fam == "L" else pj)
        self.G = np.array(Gs)
        self.H = np.array(Hs) if self.fam == "L" else None
        self.kappa = np.array(kap)

    def update(self, a, b, alpha):
        ab = [a, b]
        G, H = self.G, self.H
        GU = G[:, :, ab]  # (J, K, 2)
        S = np.array([_s_matrix(alpha, G[j, a, a], G[j, b, b], G[j, a, b])
                      for j in range(self.J)])
        GS = np.einsum("jkx,jxy->jky", GU, S)
        if H is not None:
            HU = H[:, :, ab]
            H2 = H[:, ab][:, :, ab]
            HS = np.einsum("jkx,jxy->jky", HU, S)
            t = np.einsum("jkx,jxy->jky", GS, H2)
            H -= (np.einsum("jkx,jlx->jkl", GS, HU) + np.einsum("jkx,jlx->jkl", HS, GU)
                  - np.einsum("jkx,jlx->jkl", t, GS))
        G -= np.einsum("jkx,jlx->jkl", GS, GU)


def _exchange(w, a, b, alpha, lo, hi):
    """Move weight ``alpha`` from point ``b`` to point ``a`` in place, clipped to
    ``[lo, hi] = [-w[a], w[b]]`` (a clipped step empties one of the two points); returns
    the step actually taken."""
    if alpha >= hi:
        w[a] += w[b]
        w[b] = 0.0
        return hi
    if alpha <= lo:
        w[b] += w[a]
        w[a] = 0.0
        return lo
    w[a] += alpha
    w[b] -= alpha
    return alpha


def _pairs_single(G, H, wK, order, fam):
    r"""BOS exchanges for one local problem; ``G`` (and ``H``) updated in place by BLAS ``dger``.

    After the exchange :math:`M' = M + U C U^T` (:math:`U = (f_a, f_b)`, :math:`C =
    \mathrm{diag}(\alpha, -\alpha)`), Woodbury gives :math:`M'^{-1} = M^{-1} - M^{-1} U S
    U^T M^{-1}` with :math:`S = (\alpha/g)\begin{pmatrix}1 - g_b\alpha & g_{ab}\alpha \\
    g_{ab}\alpha & -(1 + g_a\alpha)\end{pmatrix}`, :math:`g = 1 + (g_a - g_b)\alpha -
    (g_ag_b - g_{ab}^2)\alpha^2`, hence :math:`G' = G - G_U S G_U^T` and, with
    :math:`H = F M^{-1} L M^{-1} F^T`, :math:`H' = H - G_U S H_U^T - H_U S G_U^T + G_U S
    H_{UU} S G_U^T`.
    """
    dger = blas.dger
    for a, b in order:
        wa, wb = wK[a], wK[b]
        if wa <= 0.0 and wb <= 0.0:
            continue
        lo, hi = -wa, wb
        ga, gb, gab = G[a, a], G[b, b], G[a, b]
        if fam == "D":
            alpha = _d_step_single(ga, gb, gab, lo, hi)
        else:
            alpha = _l_step_single(ga, gb, gab, H[a, a], H[b, b], H[a, b], lo, hi)
        if alpha == 0.0:
            continue
        alpha = _exchange(wK, a, b, alpha, lo, hi)
        g = 1.0 + (ga - gb) * alpha - (ga * gb - gab * gab) * alpha * alpha
        sc = alpha / g
        s11, s12, s22 = sc * (1.0 - gb * alpha), sc * gab * alpha, -sc * (1.0 + ga * alpha)
        ua, ub = G[:, a].copy(), G[:, b].copy()
        va = s11 * ua + s12 * ub  # columns of G_U S
        vb = s12 * ua + s22 * ub
        if H is not None:
            ha, hb = H[:, a].copy(), H[:, b].copy()
            haa, hbb, hab = H[a, a], H[b, b], H[a, b]
            # t = G_U S H_UU (columns), then H -= GS HU^T + HU (GS)^T - t (GS)^T
            ta = va * haa + vb * hab
            tb = va * hab + vb * hbb
            H = dger(-1.0, va, ha, a=H, overwrite_a=1)
            H = dger(-1.0, vb, hb, a=H, overwrite_a=1)
            H = dger(-1.0, ha, va, a=H, overwrite_a=1)
            H = dger(-1.0, hb, vb, a=H, overwrite_a=1)
            H = dger(1.0, ta, va, a=H, overwrite_a=1)
            H = dger(1.0, tb, vb, a=H, overwrite_a=1)
        G = dger(-1.0, va, ua, a=G, overwrite_a=1)
        G = dger(-1.0, vb, ub, a=G, overwrite_a=1)


def _pairs_fast(problem: Problem, st, w, K, lead):
    """BOS exchanges over all pairs of ``K`` (closed forms, rank-one factors)."""
    ps = _PairState(problem, st, K)
    wK = w[K].copy()
    Kn = K.size
    fam = ps.fam
    order = [lead] + [(a, b) for a in range(Kn - 1) for b in range(a + 1, Kn)]
    if ps.J == 1:
        G = np.asfortranarray(ps.G[0])
        H = None if ps.H is None else np.asfortranarray(ps.H[0])
        _pairs_single(G, H, wK, order, fam)
        w[K] = wK
        return
    for a, b in order:
        wa, wb = wK[a], wK[b]
        if wa <= 0.0 and wb <= 0.0:
            continue
        lo, hi = -wa, wb
        G = ps.G
        args = (G[:, a, a], G[:, b, b], G[:, a, b])
        hargs = ((ps.H[:, a, a], ps.H[:, b, b], ps.H[:, a, b]) if fam == "L"
                 else (0.0, 0.0, 0.0))
        alpha = _multi_step(fam, ps.kappa, *args, *hargs, lo, hi)
        if alpha == 0.0:
            continue
        alpha = _exchange(wK, a, b, alpha, lo, hi)
        ps.update(a, b, alpha)
    w[K] = wK


def _line_min(fun, lo, hi):
    """Minimise a convex function of one variable on ``[lo, hi]`` (endpoints included)."""
    best_a, best_v = 0.0, fun(0.0)
    for a in (lo, hi):
        v = fun(a)
        if v < best_v:
            best_a, best_v = a, v
    if hi - lo > 0:
        res = optimize.minimize_scalar(fun, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12 * max(hi - lo, 1e-300)})
        if res.fun < best_v:
            best_a, best_v = float(res.x), float(res.fun)
    return best_a


class _BlockPairs:
    r"""Exchange steps for factors of any rank ``r`` and D-nuisance (Schur complement).

    With :math:`U = (F_a, F_b)` (q x 2r), :math:`C = \mathrm{diag}(I_r, -I_r)` and
    :math:`G_{ab} = U^T M^{-1} U`, the exchange :math:`M' = M + \alpha U C U^T` has

    * :math:`\log\det M' - \log\det M = \sum_i \log(1 + \alpha\mu_i)`,
      :math:`\mu` the (real) eigenvalues of :math:`C G_{ab}`; for ``Ds`` the same for
      the nuisance block is subtracted (:math:`\log\det C = \log\det M -
      \log\det M_{NN}`);
    * :math:`\operatorname{tr}LM'^{-1} - \operatorname{tr}LM^{-1} =
      -\alpha\operatorname{tr}\{(I + \alpha CG_{ab})^{-1} C H_{ab}\}` with
      :math:`H = U^TM^{-1}LM^{-1}U` (for ``A``/``L``/``c`` on a subset, :math:`L` is
      padded with zeros on the nuisance parameters: :math:`\operatorname{tr}LC^{-1} =
      \operatorname{tr}L_{pad}M^{-1}`), whose derivative is
      :math:`-\operatorname{tr}\{(I + \alpha CG_{ab})^{-2}CH_{ab}\}`;

    both concave/convex in :math:`\alpha`: the optimal step is found by bisection on the
    slope. Woodbury updates :math:`G`, :math:`H` after each step with
    :math:`S = \alpha(I + \alpha CG_{ab})^{-1}C`.
    """

    def __init__(self, problem: Problem, st, K):
        self.fam = problem.family
        self.kappa = []
        self.locs = []
        for lc, M, pj in zip(problem.locals, st.Ms, problem.prior, strict=True):
            r = lc.r
            F3 = lc.F[K][:, :, None] if lc.F.ndim == 2 else lc.F[K]
            Ff = np.moveaxis(F3, 1, 0).reshape(lc.q, K.size * r)
            Mt = M / lc.scale
            Mi = np.linalg.inv(Mt)
            W = Mi @ Ff
            loc = {"r": r, "G": Ff.T @ W}
            if self.fam == "D" and lc.N.size:
                FN = Ff[lc.N]
                loc["GN"] = FN.T @ np.linalg.solve(Mt[np.ix_(lc.N, lc.N)], FN)
            if self.fam == "L":
                Lp = np.zeros((lc.q, lc.q))
                Lp[np.ix_(lc.T, lc.T)] = lmat_of(lc.crit, lc.T.size)
                loc["H"] = W.T @ Lp @ W
            self.locs.append(loc)
            self.kappa.append(pj / lc.scale if self.fam == "L" else pj)

    @staticmethod
    def _idx(r, a, b):
        return np.r_[a * r:(a + 1) * r, b * r:(b + 1) * r]

    def step(self, a, b, lo, hi):
        parts = []
        for loc in self.locs:
            r = loc["r"]
            I2 = self._idx(r, a, b)
            Cd = np.r_[np.ones(r), -np.ones(r)]
            Gab = loc["G"][np.ix_(I2, I2)]
            if self.fam == "D":
                mu = np.linalg.eigvals(Cd[:, None] * Gab).real
                muN = (np.linalg.eigvals(Cd[:, None] * loc["GN"][np.ix_(I2, I2)]).real
                       if "GN" in loc else np.zeros(0))
                parts.append((mu, muN))
            else:
                parts.append((Cd[:, None] * Gab, Cd[:, None] * loc["H"][np.ix_(I2, I2)]))

        def slope(al):  # derivative of the improvement (gain), decreasing in al
            tot = 0.0
            for kap, pr in zip(self.kappa, parts, strict=True):
                if self.fam == "D":
                    mu, muN = pr
                    den, denN = 1.0 + al * mu, 1.0 + al * muN
                    if np.any(den <= 0) or np.any(denN <= 0):
                        return np.inf if al < 0 else -np.inf
                    tot += kap * (np.sum(mu / den) - np.sum(muN / denN))
                else:
                    CG, CH = pr
                    R = np.eye(CG.shape[0]) + al * CG
                    try:
                        Ri = np.linalg.inv(R)
                    except np.linalg.LinAlgError:
                        return np.inf if al < 0 else -np.inf
                    tot += kap * float(np.trace(Ri @ Ri @ CH))
            return tot

        s_lo, s_hi = slope(lo), slope(hi)
        if not s_lo > 0:
            return lo if s_lo < 0 else 0.0
        if s_hi >= 0:
            return hi
        x0, x1 = lo, hi
        for _ in range(100):
            mid = 0.5 * (x0 + x1)
            if slope(mid) > 0:
                x0 = mid
            else:
                x1 = mid
            if x1 - x0 <= 1e-14 * max(1.0, abs(mid)):
                break
        return 0.5 * (x0 + x1)

    def update(self, a, b, al):
        for loc in self.locs:
            r = loc["r"]
            I2 = self._idx(r, a, b)
            Cd = np.r_[np.ones(r), -np.ones(r)]
            for key in ("G", "GN"):
                if key not in loc:
                    continue
                G = loc[key]
                Gab = G[np.ix_(I2, I2)]
                S = al * np.linalg.solve(np.eye(2 * r) + al * Cd[:, None] * Gab,
                                         np.diag(Cd))
                GU = G[:, I2]
                if key == "G" and "H" in loc:
                    H = loc["H"]
                    HU = H[:, I2]
                    GS = GU @ S
                    H -= GS @ HU.T + HU @ (GS).T - GS @ H[np.ix_(I2, I2)] @ GS.T
                G -= GU @ S @ GU.T


def _pairs_general(problem: Problem, st, w, K, lead):
    """BOS exchanges with factors of any rank and nuisance parameters (:class:`_BlockPairs`)."""
    bp = _BlockPairs(problem, st, K)
    wK = w[K].copy()
    Kn = K.size
    order = [lead] + [(a, b) for a in range(Kn - 1) for b in range(a + 1, Kn)]
    for a, b in order:
        wa, wb = wK[a], wK[b]
        if wa <= 0.0 and wb <= 0.0:
            continue
        alpha = bp.step(a, b, -wa, wb)
        if alpha == 0.0:
            continue
        alpha = _exchange(wK, a, b, alpha, -wa, wb)
        bp.update(a, b, alpha)
    w[K] = wK


# ---------------------------------------------------------------- driver
class _Active:
    """Candidates still in play (Harman-Pronzato deletion) with their factor rows cached."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.idx = None  # None: all candidates
        self.Fs = None

    @property
    def size(self):
        return self.problem.n if self.idx is None else self.idx.size

    def rows(self):
        return np.arange(self.problem.n) if self.idx is None else self.idx

    def sensitivity(self, st):
        if self.idx is None:
            return self.problem.sensitivity(st)
        d = None
        for F, B in zip(self.Fs, st.Bs, strict=True):
            dj = quad_rows(F, B)
            d = dj if d is None else d + dj
        return d

    def restrict(self, keep_mask):
        rows = self.rows()[keep_mask]
        self.idx = rows
        self.Fs = [lc.F[rows] for lc in self.problem.locals]

    def reset(self):
        self.idx, self.Fs = None, None


def _can_prune(problem: Problem) -> bool:
    return (problem.family == "D" and len(problem.locals) == 1 and problem.locals[0].r == 1
            and problem.locals[0].N.size == 0)


def run_algorithm(problem: Problem, algorithm: str, *, tol: float, max_iter: int,
                  max_time: float, rng, prune: bool = True, w0=None,
                  progress: bool = False) -> tuple[np.ndarray, RunInfo]:
    """Run one algorithm; returns the weights (length ``n``) and a :class:`RunInfo`.

    ``progress=True`` shows the iterations on stderr with the equivalence-theorem gap
    ``1 - efficiency bound`` (tqdm if installed, plain text otherwise); the bar is updated
    at the checks of the bound, so it costs nothing when off.
    """
    if problem.family not in ("D", "L"):
        raise ValueError(f"algorithm {algorithm!r} needs a differentiable criterion; "
                         f"{problem.crit.name} is solved by its own exact method")
    info = RunInfo(algorithm)
    t0 = time.perf_counter()
    if w0 is None:
        start, rank = greedy_start(problem)
        if rank < problem.q:
            raise _rank_error(problem, rank)
        w0 = np.zeros(problem.n)
        w0[start] = 1.0 / start.size
    fn = {"rex": _rex, "multiplicative": _multiplicative, "fedorov_wynn": _fedorov_wynn}[
        algorithm]
    if max_iter is None:
        max_iter = {"rex": 10**4, "multiplicative": 10**7, "fedorov_wynn": 10**8}[algorithm]
    bar = progress_bar(progress, f"{algorithm} ({problem.crit.name}, {problem.n} candidates)")
    try:
        w = fn(problem, np.array(w0, dtype=float), tol, max_iter, max_time, rng,
               prune and _can_prune(problem), info, t0, bar)
    finally:
        if bar is not None:
            bar.update(info.iterations - bar.done)
            bar.close(_gap_text(info.efficiency_bound, tol)
                      + (", converged" if info.converged else ", stopped before converging"))
    info.seconds = time.perf_counter() - t0
    return w, info


def _gap_text(eff: float, tol: float) -> str:
    """The equivalence-theorem gap ``1 - efficiency bound`` against the stopping ``tol``."""
    return f"gap {1.0 - eff:.2e}, tol {tol:.0e}"


def _record(info: RunInfo, t0: float, eff: float, bar, tol: float) -> None:
    """Trace one check of the efficiency bound (and show it when progress is on)."""
    info.trace.append((time.perf_counter() - t0, eff))
    if bar is not None:
        bar.update(info.iterations - bar.done, _gap_text(eff, tol))


def _rank_error(problem: Problem, rank: int) -> ValueError:
    lc = problem.locals[0]
    return ValueError(
        f"candidates: the {problem.n} candidate points identify only {rank} of the "
        f"{problem.q} parameters the design must estimate (parameters of interest "
        f"{list(problem.target_names)}); add candidates so that their information has full "
        f"rank (a model with {lc.q} mean parameters needs at least "
        f"{-(-lc.q // lc.r)} distinct informative points)"
    )


def _check(problem, st, act, info, tol, t0, bar=None):
    """Efficiency bound on the active set, verified on all candidates when pruned."""
    d = act.sensitivity(st)
    maxd = float(d.max())
    eff = st.b / maxd
    _record(info, t0, eff, bar, tol)
    if eff >= 1.0 - tol and act.idx is not None:
        d_all = problem.sensitivity(st)
        maxd_all = float(d_all.max())
        if st.b / maxd_all < 1.0 - tol:
            act.reset()
            return problem.sensitivity(st), maxd_all, st.b / maxd_all, False
        maxd, eff = maxd_all, st.b / maxd_all
    info.efficiency_bound, info.max_sensitivity, info.bound = eff, maxd, st.b
    info.converged = eff >= 1.0 - tol
    return d, maxd, eff, info.converged


def _prune(problem, act, d, maxd, w, info):
    """Harman-Pronzato deletion (only when it shrinks the active set by 10% or more)."""
    thr = hp_threshold(maxd, problem.s)
    rows = act.rows()
    keep = (d >= thr) | (w[rows] > 0)
    if keep.sum() <= 0.9 * keep.size:
        info.n_deleted += int(keep.size - keep.sum())
        act.restrict(keep)
        return d[keep]
    return d


def _rex(problem, w, tol, max_iter, max_time, rng, prune, info, t0, bar, gamma=4):
    act = _Active(problem)
    pair_fn = _pairs_fast if problem.fast else _pairs_general
    while True:
        st = problem.state(w)
        if not st.ok:
            raise RuntimeError("rex: the information became singular (please report)")
        d, maxd, eff, done = _check(problem, st, act, info, tol, t0, bar)
        if done or info.iterations >= max_iter or time.perf_counter() - t0 > max_time:
            break
        info.iterations += 1
        if prune:
            d = _prune(problem, act, d, maxd, w, info)
        rows = act.rows()
        nL = min(gamma * problem.q, rows.size)
        top = (np.argpartition(-d, nL - 1)[:nL] if nL < rows.size else np.arange(rows.size))
        best = rows[top[np.argmax(d[top])]]
        supp = np.flatnonzero(w > 0)
        d_supp = problem.sensitivity(st, rows=supp)
        worst = supp[np.argmin(d_supp)]
        K = np.union1d(supp, rows[top])
        K = K[rng.permutation(K.size)]
        pos = {int(k): i for i, k in enumerate(K)}
        pair_fn(problem, st, w, K, (pos[int(best)], pos[int(worst)]))
        w[w < 0] = 0.0
        w /= w.sum()
    return w


def _multiplicative(problem, w, tol, max_iter, max_time, rng, prune, info, t0, bar):
    # lambda = 1 for D (Silvey et al. 1978), 1/2 otherwise (Fellman 1974, Yu 2010); with
    # nuisance parameters (Ds) the undamped update can oscillate, so it is damped too
    plain_d = problem.family == "D" and all(lc.N.size == 0 for lc in problem.locals)
    lam = 1.0 if plain_d else 0.5
    act = _Active(problem)
    w = np.full(problem.n, 1.0 / problem.n)  # the algorithm needs all candidates positive
    while True:
        rows = act.rows()
        st = problem.state(w[rows], idx=rows)
        d, maxd, eff, done = _check(problem, st, act, info, tol, t0, bar)
        if done or info.iterations >= max_iter or time.perf_counter() - t0 > max_time:
            break
        info.iterations += 1
        if prune:
            before = act.size
            d = _prune(problem, act, d, maxd, np.zeros(problem.n), info)
            if act.size < before:
                dropped = np.setdiff1d(rows, act.rows(), assume_unique=True)
                w[dropped] = 0.0
                rows = act.rows()
                w[rows] /= w[rows].sum()
        wr = w[rows] * (d / st.b) ** lam
        w[rows] = wr / wr.sum()
    return w


def _fedorov_wynn(problem, w, tol, max_iter, max_time, rng, prune, info, t0, bar):
    if _can_prune(problem):
        return _fw_d_rank_one(problem, w, tol, max_iter, max_time, prune, info, t0, bar)
    if (problem.family == "L" and len(problem.locals) == 1 and problem.locals[0].r == 1):
        return _fw_l_rank_one(problem, w, tol, max_iter, max_time, info, t0, bar)
    while True:
        st = problem.state(w)
        d = problem.sensitivity(st)
        j = int(np.argmax(d))
        maxd = float(d[j])
        eff = st.b / maxd
        _record(info, t0, eff, bar, tol)
        info.efficiency_bound, info.max_sensitivity, info.bound = eff, maxd, st.b
        if eff >= 1.0 - tol:
            info.converged = True
            break
        if info.iterations >= max_iter or time.perf_counter() - t0 > max_time:
            break
        info.iterations += 1
        Pj = [P[0] for P in problem.point_matrices([j])]

        def fun(a, Pj=Pj, Ms=st.Ms):
            return problem.loss_of([(1 - a) * M + a * P for M, P in zip(Ms, Pj, strict=True)])

        alpha = _line_min(fun, 0.0, 1.0)
        if alpha <= 0.0:
            alpha = 1e-12
        w *= 1.0 - alpha
        w[j] += alpha
    return w


def _fw_d_rank_one(problem, w, tol, max_iter, max_time, prune, info, t0, bar,
                   refresh=200):
    """Wynn-Fedorov for D with rank-one factors: O(n m) Sherman-Morrison updates."""
    lc = problem.locals[0]
    m = problem.s
    act = _Active(problem)
    k = 0
    while True:
        if k % refresh == 0:  # recompute from scratch (no drift), check, delete candidates
            st = problem.state(w)
            d, maxd, eff, done = _check(problem, st, act, info, tol, t0, bar)
            if done:
                break
            if prune:
                d = _prune(problem, act, d, maxd, w, info)
            Fa = lc.F if act.idx is None else act.Fs[0]
            Minv = np.linalg.inv(st.Ms[0] / lc.scale)
            Minv = 0.5 * (Minv + Minv.T)
        k += 1
        if info.iterations >= max_iter or time.perf_counter() - t0 > max_time:
            st = problem.state(w)
            _check(problem, st, act, info, tol, t0, bar)
            break
        j = int(np.argmax(d))
        dj = float(d[j])
        if dj / m - 1.0 <= 0.5 * tol:  # converged within rounding: confirm at the refresh
            k = 0
            continue
        info.iterations += 1
        alpha = (dj / m - 1.0) / (dj - 1.0)
        fj = Fa[j]
        Mf = Minv @ fj
        u = Fa @ Mf
        denom = (1.0 - alpha) + alpha * dj
        d = (d - alpha * u * u / denom) / (1.0 - alpha)
        Minv = (Minv - alpha * np.outer(Mf, Mf) / denom) / (1.0 - alpha)
        w *= 1.0 - alpha
        w[act.rows()[j] if act.idx is not None else j] += alpha
    info.converged = info.efficiency_bound >= 1.0 - tol
    return w


def _fw_l_step(phi0, d, h):
    r"""Optimal vertex step for ``tr(L M^{-1})`` with a rank-one point (closed form).

    With :math:`\beta = \alpha/(1-\alpha)`, :math:`\operatorname{tr}L M'^{-1} =
    (1 + \beta)(\Phi_0 - \beta h/(1 + \beta d))` (Sherman-Morrison), whose stationary
    point solves :math:`a d\beta^2 + 2a\beta + (\Phi_0 - h) = 0`, :math:`a = \Phi_0 d - h`.
    """
    a = phi0 * d - h
    if a * d > 0:
        beta = (-a + np.sqrt(a * a - a * d * (phi0 - h))) / (a * d)
    else:  # decreasing in beta on [0, inf): numeric minimum of the closed form
        def f(al):
            b = al / (1.0 - al)
            return (1.0 + b) * (phi0 - b * h / (1.0 + b * d))

        return _line_min(f, 0.0, 1.0 - 1e-9)
    return beta / (1.0 + beta)


def _fw_l_rank_one(problem, w, tol, max_iter, max_time, info, t0, bar, refresh=200):
    """Wynn-Fedorov for A/L/I/c with rank-one factors: O(n m) updates per iteration."""
    lc = problem.locals[0]
    F = lc.F
    Lp = np.zeros((lc.q, lc.q))
    Lp[np.ix_(lc.T, lc.T)] = lmat_of(lc.crit, lc.T.size)
    B = sqrt_psd(Lp)
    k = 0
    while True:
        if k % refresh == 0:
            st = problem.state(w)
            h = problem.sensitivity(st)
            maxd = float(h.max())
            eff = st.b / maxd
            _record(info, t0, eff, bar, tol)
            info.efficiency_bound, info.max_sensitivity, info.bound = eff, maxd, st.b
            if eff >= 1.0 - tol:
                break
            Minv = np.linalg.inv(st.Ms[0] / lc.scale)
            Minv = 0.5 * (Minv + Minv.T)
            Y = F @ (Minv @ B)
            h = np.einsum("ij,ij->i", Y, Y)
        k += 1
        if info.iterations >= max_iter or time.perf_counter() - t0 > max_time:
            st = problem.state(w)
            h = problem.sensitivity(st)
            info.efficiency_bound = st.b / float(h.max())
            info.max_sensitivity, info.bound = float(h.max()), st.b
            break
        j = int(np.argmax(h))
        phi0 = float(np.sum(Lp * Minv))
        if h[j] / phi0 - 1.0 <= 0.5 * tol:
            k = 0
            continue
        info.iterations += 1
        u = Minv @ F[j]
        d = float(F[j] @ u)
        alpha = _fw_l_step(phi0, d, float(h[j]))
        if not 0.0 < alpha < 1.0:
            k = 0
            continue
        beta = alpha / (1.0 - alpha)
        c = 1.0 + beta
        den = 1.0 + beta * d
        Y = c * (Y - (beta / den) * np.outer(F @ u, B.T @ u))
        h = np.einsum("ij,ij->i", Y, Y)
        Minv = c * (Minv - (beta / den) * np.outer(u, u))
        w *= 1.0 - alpha
        w[j] += alpha
    info.converged = info.efficiency_bound >= 1.0 - tol
    return w
