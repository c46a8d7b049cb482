r"""Exact solvers for the non-differentiable criteria: E (and c with multi-column factors).

Both are linear matrix inequality (LMI) problems in the weights :math:`w` and one scalar
:math:`t` (Vandenberghe, Boyd & Wu 1998, *SIAM J. Matrix Anal. Appl.* 19, 499-533):

* E-optimality: :math:`\max t` s.t. :math:`M(w) - t\,J \succeq 0` with :math:`J` the
  identity on the parameters of interest (by the Schur-complement lemma this is
  :math:`\lambda_{\min}(C(w)) \ge t`);
* c-optimality: :math:`\min t` s.t. :math:`\begin{pmatrix} M(w) & c \\ c^T & t
  \end{pmatrix} \succeq 0` (:math:`t \ge c^TM^-c`, singular :math:`M` allowed at the
  optimum);

over the probability simplex. They are solved by the barrier method (Boyd & Vandenberghe
2004, *Convex Optimization*, chapter 11): Newton steps on
:math:`\tau\,(\mp t) - \log\det Z(w, t) - \sum_i \log w_i` with the equality
:math:`\sum_i w_i = 1`, :math:`\tau` multiplied by 8 after each centring, until the
duality gap :math:`(\dim Z + s)/\tau` is below ``1e-11`` relative. The Hessian uses the
factors: :math:`\partial^2/\partial w_i\partial w_k = \|F_i^T Z^{-1} F_k\|_F^2`.
:math:`Y = Z^{-1}/\tau` is the dual matrix; for E it is the element :math:`E` of the
equivalence theorem (after :math:`\operatorname{tr}(JE) = 1`), for c it gives
:math:`h \propto M^- c`. The candidate set enters through a *working set*: solve on a
subset, compute the certificate on all candidates, add the violators, repeat.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

from ._linalg import quad_rows, schur, sqrt_psd

__all__ = ["lmi_design", "e_subgradient", "elfving_lp", "solve_exact"]


def _chol_or_none(Z):
    try:
        return linalg.cho_factor(Z, lower=True)
    except (linalg.LinAlgError, ValueError):
        return None


def barrier_newton(oracle, z0, s, nb, scale, tau0, gap=1e-11, max_newton=3000):
    """Barrier method: minimise ``tau f0 + phi`` with ``sum(z[:s]) = 1``; tau grows by 8.

    ``oracle(z, tau, need)`` returns ``None`` when ``z`` is infeasible, else the value
    (``need = 0``) or ``(value, gradient, Hessian)`` (``need = 2``). Newton steps solve the
    KKT system after symmetric diagonal equilibration (the Hessian entries of small weights
    grow like ``1 / w^2``); centring stops when the Newton decrement ``lambda^2 / 2`` is
    below ``1e-9``.
    """
    z = np.array(z0, dtype=float)
    A = np.zeros(z.size)
    A[:s] = 1.0
    tau = tau0
    newton = 0
    n = z.size
    while True:
        for _ in range(60):
            f, g, H = oracle(z, tau, 2)
            dg = np.sqrt(np.abs(np.diag(H)))
            Dm = 1.0 / np.where(dg > 0, dg, 1.0)
            KKT = np.zeros((n + 1, n + 1))
            KKT[:n, :n] = H * Dm[:, None] * Dm[None, :]
            KKT[:n, n] = KKT[n, :n] = A * Dm
            rhs = np.append(-g * Dm, 0.0)
            try:
                sol = np.linalg.solve(KKT, rhs)
            except np.linalg.LinAlgError:
                sol = np.linalg.lstsq(KKT, rhs, rcond=None)[0]
            dz = sol[:n] * Dm
            lam2 = -float(g @ dz)
            newton += 1
            if lam2 <= 2e-9 or newton > max_newton:
                break
            step = 1.0
            slope = float(g @ dz)
            while step > 1e-16:
                zn = z + step * dz
                v = oracle(zn, tau, 0)
                if v is not None and v <= f + 0.01 * step * slope:
                    break
                step *= 0.5
            else:
                break
            z = zn
            if f - v <= 1e-14 * max(1.0, abs(f)):  # at the rounding level of f: centred
                break
        if nb / tau <= gap * scale or newton > max_newton:
            return z, tau
        tau *= 8.0


def lmi_design(F, B, C0, sigma, w0, t0, gap=1e-11):
    r"""``max sigma t`` s.t. ``Z = sum_i w_i F_i F_i^T + t B + C0 >= 0``, ``w`` in the simplex.

    Parameters
    ----------
    F : ndarray, shape (s, D, r)
        Factors of the working-set points, padded to the dimension ``D`` of ``Z``.
    B, C0 : ndarray, shape (D, D)
    sigma : {1, -1}
    w0 : ndarray, shape (s,)
        Strictly positive start; ``(w0, t0)`` must be strictly feasible.

    Returns
    -------
    w : ndarray (s,), t : float, Y : ndarray (D, D) the dual matrix ``Z^{-1} / tau``.
    """
    s, Dm, r = F.shape
    Gf = np.moveaxis(F, 1, 0).reshape(Dm, s * r)

    def Zof(w, t):
        Z = (Gf * np.repeat(w, r)) @ Gf.T + t * B + C0
        return 0.5 * (Z + Z.T)

    def oracle(z, tau, need):
        w, t = z[:s], z[s]
        if np.any(w <= 0):
            return None
        Z = Zof(w, t)
        cf = _chol_or_none(Z)
        if cf is None:
            return None
        logdet = 2.0 * np.sum(np.log(np.diag(cf[0])))
        val = -tau * sigma * t - logdet - np.sum(np.log(w))
        if need == 0:
            return val
        Zi = linalg.cho_solve(cf, np.eye(Dm))
        W = Zi @ Gf  # (D, s r)
        Q = Gf.T @ W  # (s r, s r)
        Q4 = Q.reshape(s, r, s, r)
        diagtr = np.einsum("iaia->i", Q4)
        ZB = Zi @ B
        WB = B @ W
        g = np.empty(s + 1)
        g[:s] = -diagtr - 1.0 / w
        g[s] = -tau * sigma - np.trace(ZB)
        H = np.empty((s + 1, s + 1))
        H[:s, :s] = np.einsum("iakb,iakb->ik", Q4, Q4)
        H[np.arange(s), np.arange(s)] += 1.0 / w**2
        hw = np.einsum("dc,dc->c", W, WB).reshape(s, r).sum(axis=1)
        H[:s, s] = H[s, :s] = hw
        H[s, s] = np.sum(ZB * ZB.T)
        return val, g, 0.5 * (H + H.T)

    z0 = np.append(w0, t0)
    scale = max(abs(t0), 1e-300)
    nb = Dm + s
    z, tau = barrier_newton(oracle, z0, s, nb, scale, tau0=nb / scale)
    w, t = z[:s], z[s]
    Zi = linalg.cho_solve(linalg.cho_factor(Zof(w, t), lower=True), np.eye(Dm))
    return w, float(t), 0.5 * (Zi + Zi.T) / tau


def _initial_t(kind, M, T, N, cfull):
    if kind == "E":
        C, _ = schur(M, T, N)
        lam = float(np.linalg.eigvalsh(C)[0])
        if not lam > 0:
            return None
        t0 = 0.5 * lam
        J = np.zeros(M.shape[0])
        J[T] = 1.0
        for _ in range(60):
            if _chol_or_none(M - t0 * np.diag(J)) is not None:
                return t0
            t0 = t0 - abs(lam) * 2.0
        return None
    cf = _chol_or_none(M)
    if cf is None:
        return None
    v = float(cfull @ linalg.cho_solve(cf, cfull))
    return 2.0 * v + 1e-3 * np.trace(M) / M.shape[0] * (cfull @ cfull) + 1e-300


def elfving_lp(F: np.ndarray, cvec: np.ndarray):
    r"""Elfving's linear program for c-optimality with rank-one information ``f f^T``.

    :math:`\min \sum_i |u_i|` s.t. :math:`\sum_i u_i f_i = c`; the optimal design is
    :math:`w_i = |u_i| / \rho`, :math:`\rho = \sum|u_i|`, with variance
    :math:`c^TM^-c = \rho^2`; the dual :math:`y` (:math:`\max c^Ty`, :math:`|f_i^Ty| \le
    1`) certifies it: :math:`h = \rho y` gives :math:`(f_i^Th)^2 \le \rho^2`
    (Elfving 1952; Pukelsheim 1993, chapter 2).

    Returns ``(w, rho, y)`` or ``None`` when ``c`` is not estimable on the candidates.
    """
    n, q = F.shape
    res = optimize.linprog(
        np.ones(2 * n), A_eq=np.hstack([F.T, -F.T]), b_eq=cvec, bounds=(0, None),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        return None
    u = res.x[:n] - res.x[n:]
    rho = float(np.abs(u).sum())
    y = np.asarray(res.eqlin.marginals, dtype=float)
    return np.abs(u) / rho, rho, y


def _pad(F, extra):
    """Factors (k, q) or (k, q, r) as (k, q + extra, r) with zero rows appended."""
    F3 = F[:, :, None] if F.ndim == 2 else F
    if extra == 0:
        return F3
    return np.concatenate([F3, np.zeros((F3.shape[0], extra, F3.shape[2]))], axis=1)


def solve_exact(problem, tol, rng, start_rows, max_rounds=40):
    """E-optimal (or multi-column c-optimal) design by the LMI barrier over a working set.

    Each round solves the LMI on the working set, drops weights below ``1e-6`` of the
    largest and re-solves on the remaining support (kept only if its certificate is as
    good), computes the certificate on all candidates and adds the violators. Returns
    ``(w, certificate, value, info_dict)``; the certificate is the matrix ``E`` (keep
    coordinates) or the vector ``h``.
    """
    lc = problem.locals[0]
    kind = "E" if problem.family == "E" else "c"
    n, q = problem.n, lc.q
    sc = np.sqrt(lc.scale)
    T, N = lc.T, lc.N
    cfull = None
    if kind == "c":
        cfull = np.zeros(q)
        cfull[T] = lc.crit.vector
    Jd = np.zeros(q)
    Jd[T] = 1.0
    if kind == "E":
        B, C0, sigma = -np.diag(Jd), np.zeros((q, q)), 1.0
    else:
        B = np.zeros((q + 1, q + 1))
        B[q, q] = 1.0
        C0 = np.zeros((q + 1, q + 1))
        C0[:q, q] = C0[q, :q] = cfull
        sigma = -1.0

    def solve_on(S):
        FS = _pad(lc.F[S], 1 if kind == "c" else 0) * sc
        w0 = np.full(S.size, 1.0 / S.size)
        t0 = _initial_t(kind, lc.info(S, w0), T, N, cfull)
        if t0 is None:
            return None
        wS, t, Y = lmi_design(FS, B, C0, sigma, w0, t0)
        wS = np.where(wS > 1e-9 * wS.max(), wS, 0.0)
        w = np.zeros(n)
        w[S] = wS / wS.sum()
        return w, t, Y

    def certify(w, t, Y):
        st = problem.state(w, gradient=False)
        value = float(st.values[0])
        C, K = schur(st.Ms[0], T, N)
        if kind == "E":
            Fk = lc.F[:, :, None] if lc.F.ndim == 2 else lc.F
            cert = K @ e_subgradient(C, np.einsum("nqr,qs->nsr", Fk, K)) @ K.T
            d = lc.scale * quad_rows(lc.F, sqrt_psd(cert))
        else:
            hc = lc.crit._h(C)
            h = K @ hc[0] if hc is not None else -Y[:q, q] / Y[q, q]
            if not np.isfinite(value):
                value = t
            cert = h * (value / float(cfull @ h))
            d = lc.scale * quad_rows(lc.F, cert[:, None])
        maxd = float(d.max())
        return value, cert, d, value / maxd, maxd

    S = np.asarray(start_rows, dtype=int)
    rounds = 0
    while True:
        rounds += 1
        out = solve_on(S)
        if out is None:
            raise ValueError(
                f"candidates: the information of the parameters of interest "
                f"{list(problem.target_names)} is singular on the candidate set "
                f"({problem.n} points); the {problem.crit.name}-criterion needs it non-singular")
        w, t, Y = out
        value, cert, d, eff, maxd = certify(w, t, Y)
        small = (w > 0) & (w < 1e-6 * w.max())
        if small.any():  # polish: re-solve on the clear support
            out2 = solve_on(np.flatnonzero(w >= 1e-6 * w.max()))
            if out2 is not None:
                c2 = certify(*out2)
                if c2[3] >= min(eff, 1.0 - tol) - 1e-12:
                    w, (value, cert, d, eff, maxd) = out2[0], c2
        b = value
        info = dict(efficiency_bound=eff, max_sensitivity=maxd, bound=b, iterations=rounds,
                    sensitivity=d)
        if eff >= 1.0 - tol or rounds >= max_rounds:
            return w, cert, value, info
        viol = np.setdiff1d(np.flatnonzero(d > b * (1.0 + 0.1 * tol)), S)
        if viol.size == 0:
            return w, cert, value, info
        add = viol[np.argsort(-d[viol])[:max(20, 2 * q)]]
        S = np.union1d(np.union1d(np.flatnonzero(w > 0), add), S[: min(S.size, 4 * q)])


def spectraplex_minmax(Q: np.ndarray) -> np.ndarray:
    r"""``argmin_{A >= 0, tr A = 1} max_i tr(A Q_i)`` for PSD matrices ``Q`` (n, k, k).

    Solved in the primal variables :math:`(A, u)` by the barrier method on
    :math:`\tau u - \sum_i \log(u - \operatorname{tr}AQ_i) - \log\det A` with
    :math:`\operatorname{tr}A = 1`: :math:`A` is computed directly (not recovered from a
    nearly singular dual matrix), which keeps it accurate when the optimum has several
    active points.
    """
    n, k, _ = Q.shape
    pairs = [(a, a) for a in range(k)] + [(a, b) for a in range(k) for b in range(a + 1, k)]
    P = len(pairs)
    Eb = np.zeros((P, k, k))
    for p, (a, b) in enumerate(pairs):
        Eb[p, a, b] = Eb[p, b, a] = 1.0
    qv = np.einsum("pab,nab->np", Eb, Q)
    scale = max(float(np.einsum("naa->n", Q).max()), np.finfo(float).tiny)

    def Aof(z):
        return np.einsum("p,pab->ab", z[:P], Eb)

    def oracle(z, tau, need):
        A = Aof(z)
        cf = _chol_or_none(A)
        if cf is None:
            return None
        sl = z[P] - qv @ z[:P]
        if np.any(sl <= 0):
            return None
        val = tau * z[P] - np.sum(np.log(sl)) - 2.0 * np.sum(np.log(np.diag(cf[0])))
        if need == 0:
            return val
        Ai = linalg.cho_solve(cf, np.eye(k))
        AE = np.einsum("ab,pbc->pac", Ai, Eb)
        g = np.empty(P + 1)
        g[:P] = qv.T @ (1.0 / sl) - np.einsum("paa->p", AE)
        g[P] = tau - np.sum(1.0 / sl)
        dq = np.column_stack([-qv, np.ones(n)]) / sl[:, None]
        H = dq.T @ dq
        H[:P, :P] += np.einsum("pab,qba->pq", AE, AE)
        return val, g, 0.5 * (H + H.T)

    a0 = np.zeros(P)
    a0[:k] = 1.0 / k
    u0 = float((qv @ a0).max()) + scale
    z, _ = barrier_newton(oracle, np.append(a0, u0), k, n + k, scale, tau0=(n + k) / scale,
                          gap=1e-13)
    A = Aof(z)
    return 0.5 * (A + A.T)


def e_subgradient(C: np.ndarray, Fk: np.ndarray, rtol: float = 1e-4) -> np.ndarray:
    r"""Element of the subdifferential of :math:`\lambda_{\min}` minimising the maximal
    sensitivity over the points with factors ``Fk`` (k, s, r) (target coordinates).

    With :math:`V` the eigenvectors of the eigenvalues within ``rtol`` (relative) of the
    smallest, the element is :math:`V A V^T` with :math:`A` from
    :func:`spectraplex_minmax` on :math:`V^T M(x) V`. Every element of the spectraplex
    gives a valid efficiency bound; the eigenvectors of nearly equal eigenvalues are
    included so that a numerically split multiple eigenvalue does not spoil the bound.
    """
    lam, V = np.linalg.eigh(C)
    tolm = rtol * max(abs(lam[0]), 1e-12 * abs(lam[-1]), np.finfo(float).tiny)
    k = int(np.sum(lam <= lam[0] + tolm))
    if k == 1:
        return np.outer(V[:, 0], V[:, 0])
    Vk = V[:, :k]
    G = np.einsum("nsr,sk->nkr", Fk, Vk)
    Q = np.einsum("nkr,nlr->nkl", G, G)
    A = spectraplex_minmax(Q)
    return Vk @ A @ Vk.T
