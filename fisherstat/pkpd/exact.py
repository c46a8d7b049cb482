r"""Exact population Fisher information by Monte Carlo and adaptive Gauss-Hermite quadrature.

For one elementary design (a :class:`~fisherstat.pkpd.Group`) the observations of a
subject have the marginal density

.. math::

    p(y; \psi) = \int p(y \mid \eta; \psi)\, \varphi(\eta; 0, \Omega)\, d\eta,

with :math:`\psi = (\beta, \Omega, \sigma)` (fixed effects, the estimated entries of
:math:`\Omega`, the residual-error or response parameters), and the *exact* per-subject
Fisher information is :math:`I(\psi) = E_y[s(y) s(y)^T]`, :math:`s = \nabla_\psi \log p(y;
\psi)`, with no linearisation (Riviere, Ueckert & Mentré 2016, *Biostatistics* 17,
737-750; Ueckert & Mentré 2017, *Comput. Stat. Data Anal.* 111, 203-219). It is computed
as in those papers:

1. **Outer expectation by Monte Carlo**: ``n_samples`` subjects
   :math:`\eta_i \sim N(0, \Omega)`, :math:`y_i \sim p(y \mid \eta_i)` are simulated and
   :math:`\hat I = \frac1N \sum_i s(y_i) s(y_i)^T`, with the entrywise Monte Carlo
   standard error :math:`\operatorname{sd}_i(s_i s_i^T)/\sqrt N` (``info.stderr``).
2. **Score by Louis' identity** (Louis 1982, *J. R. Stat. Soc. B* 44, 226-233): the score
   of the marginal density is the posterior mean of the complete-data score,
   :math:`s(y) = E[\nabla_\psi \log p(y, \eta) \mid y]`, with

   .. math::

       \nabla_\beta \log p(y,\eta) = \sum_j \frac{\partial \log p(y_j\mid\eta)}{\partial
       f_j} \frac{\partial f_j}{\partial\phi}\frac{\partial\phi}{\partial\beta}, \qquad
       \frac{\partial \log\varphi(\eta; 0,\Omega)}{\partial\Omega_{ab}}
       = \tfrac12 (2 - \delta_{ab}) \big[\Omega^{-1}\eta\eta^T\Omega^{-1}
       - \Omega^{-1}\big]_{ab},

   (the symmetric-matrix derivative of the Gaussian log-density, Magnus & Neudecker
   1999, *Matrix Differential Calculus*, ch. 15) and the response-parameter derivative of
   :math:`\log p(y \mid \eta)`, all analytic from the structural model's Jacobian. For a
   Gaussian response :math:`y_j \mid \eta \sim N(f_j, v_j)`,
   :math:`\partial\log p/\partial f_j = r_j/v_j + u_j\,\partial v_j/\partial f_j` and
   :math:`\partial\log p/\partial\sigma = \sum_j u_j\,\partial v_j/\partial\sigma`, with
   :math:`r = y - f`, :math:`u = \frac12(r^2/v^2 - 1/v)`.
3. **Inner integrals by adaptive Gauss-Hermite quadrature** (Pinheiro & Bates 1995,
   *J. Comput. Graph. Stat.* 4, 12-35): the posterior expectation is a ratio of two
   integrals over :math:`\eta`, each computed on the tensor grid of ``n_nodes`` Gauss-
   Hermite nodes per dimension, centred at the posterior mode :math:`\hat\eta` of
   :math:`p(y, \eta)` (found by Fisher scoring with step halving) and scaled by the
   curvature there, :math:`H = Z^T W Z + \Omega^{-1}` (:math:`Z = \partial f/\partial\eta`,
   :math:`W` the conditional information of the response in :math:`f`):
   :math:`\eta_k = \hat\eta + \sqrt2 L^{-T} z_k`, :math:`H = L L^T`, with weights
   :math:`w_k e^{|z_k|^2} p(y, \eta_k)`. The normalising constants cancel in the ratio.

The same machinery serves the Gaussian :class:`~fisherstat.pkpd.PopulationModel` and the
discrete responses of :class:`~fisherstat.pkpd.DiscretePopulationModel` (binary, count,
ordered categorical), where FO does not apply. The parameters are in the order and with
the names of ``PopulationModel.fim(..., fim='full')``, so the FO, FOCE and exact matrices
compare entry by entry.

**Accuracy and limits.** The Monte Carlo error is reported; the quadrature error is not:
it is that of an ``n_nodes``-point Gauss-Hermite rule applied to the posterior, which is
exact when the posterior is Gaussian and the complete-data score is a polynomial of
degree ``<= 2 n_nodes - 1`` in :math:`\eta` (the linear-in-:math:`\eta` Gaussian model,
where the result equals FO) and otherwise decreases quickly with ``n_nodes`` for smooth
unimodal posteriors. The grid has ``n_nodes ** q`` nodes for ``q`` random effects, so the
method is meant for ``q <= 4`` or so; more than ``MAX_NODES`` nodes per subject is refused.
The structural model is evaluated once per random-effect vector (vectorised over the
sampling times): about ``n_samples (n_nodes^q + 2 n_iter)`` evaluations per group.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from .._validation import as_float_array, check_bool, check_int, check_random_state
from ..information import FisherInfo
from .population import Group, PopulationFIM, PopulationModel, as_groups

__all__ = ["exact_fim", "exact_scores", "MAX_NODES"]

#: Largest number of quadrature nodes per subject (``n_nodes ** q``).
MAX_NODES = 20_000

_MAX_ITER = 50


# ------------------------------------------------------------------ conditional models
def _gaussian_conditional(model, f, y, rr):
    """``log p(y|eta)`` (B,), its derivative in ``f`` (B, n), in the error parameters
    (B, r), and the conditional information of each sample in ``f`` (B, n)."""
    B, n = f.shape
    v, dvdf, dvds = model._residual_variance(f.ravel(), np.tile(rr, B))
    v, dvdf, dvds = v.reshape(B, n), dvdf.reshape(B, n), dvds.reshape(B, n, -1)
    res = y - f
    u = 0.5 * (res * res / (v * v) - 1.0 / v)
    ll = -0.5 * np.sum(np.log(2 * np.pi * v) + res * res / v, axis=1)
    a = res / v + u * dvdf
    gr = np.einsum("bn,bnr->br", u, dvds)
    w = 1.0 / v + 0.5 * (dvdf / v) ** 2
    return ll, a, gr, w


def _gaussian_sample(model, f, rr, rng):
    B, n = f.shape
    v = model._residual_variance(f.ravel(), np.tile(rr, B))[0].reshape(B, n)
    return f + np.sqrt(v) * rng.standard_normal(f.shape)


def _family(model):
    """``(conditional, sample, check_y)`` of a population model."""
    if isinstance(model, PopulationModel):
        if model.iov_idx.size:
            raise ValueError("model: the exact (MC-AGQ) FIM does not support "
                             "inter-occasion variability (iov) yet; use model.fim (FO)")
        return (lambda f, y, rr: _gaussian_conditional(model, f, y, rr),
                lambda f, rr, rng: _gaussian_sample(model, f, rr, rng),
                lambda y: None)
    cond = getattr(model, "_conditional", None)
    if cond is None:
        raise TypeError("model must be a PopulationModel or a DiscretePopulationModel, got "
                        f"{type(model).__name__}")
    return cond, model._sample, model._check_y


# ------------------------------------------------------------------ structural batch
def _predict(model, times, dose, resp, etas):
    """``f`` (B, n), ``df/dbeta`` (B, n, p) and ``Z = df/deta`` (B, n, q) at etas (B, q).

    One structural evaluation per random-effect vector (the structural models are
    vectorised over sampling times, not over parameters).
    """
    B = etas.shape[0]
    n, p, ridx = times.size, model.n_beta, model.random_idx
    st = model.structural
    f, Jb, Z = np.empty((B, n)), np.empty((B, n, p)), np.empty((B, n, ridx.size))
    phis = []
    for b in range(B):
        phi, c, g, _ = model._phi(etas[b])
        phis.append(phi)
        if not (np.all(phi > st.lower) and np.all(phi < st.upper)):
            j = int(np.flatnonzero(~((phi > st.lower) & (phi < st.upper)))[0])
            raise ValueError(
                f"omega: a random effect eta = {etas[b].tolist()} gives the individual "
                f"parameter {st.param_names[j]} = {phi[j]:.4g}, outside its range "
                f"({st.lower[j]:g}, {st.upper[j]:g}); use an exponential eta_model or a "
                "smaller omega")
        fb, Jp = st.evaluate(times, phi, dose, resp, order=1, validate=False)
        f[b], Jb[b], Z[b] = fb, Jp * c, Jp[:, ridx] * g
    return f, Jb, Z


def _log_prior(eta, Oi):
    return -0.5 * np.einsum("bq,qr,br->b", eta, Oi, eta)


# ------------------------------------------------------------------ the engine
class _Subjects:
    """Scores of a batch of subjects of one group by Louis' identity and AGQ."""

    def __init__(self, model, group: Group, n_nodes: int):
        self.dose, self.resp = model._check_group(group)
        # a covariate model: the group's typical values, scores by the chain rule (C)
        self.model, self.C = (model._at(group) if isinstance(model, PopulationModel)
                              else (model, None))
        model = self.model
        self.times = group.times
        self.cond, self.sample, self.check_y = _family(model)
        q = model.random_idx.size
        self.q = q
        self.Oi = np.linalg.inv(model.omega) if q else np.zeros((0, 0))
        z, w = np.polynomial.hermite.hermgauss(n_nodes)
        if q:
            grid = np.stack(np.meshgrid(*([z] * q), indexing="ij"), -1).reshape(-1, q)
            lw = np.sum(np.log(np.stack(np.meshgrid(*([w] * q), indexing="ij"), -1)
                               ).reshape(-1, q), axis=1)
        else:  # no random effects: one "node", the score is the conditional one
            grid, lw = np.zeros((1, 0)), np.zeros(1)
        self.nodes, self.log_w = grid, lw + np.sum(grid * grid, axis=1)

    def _joint(self, y, eta):
        """Log joint density (up to a constant) and its pieces at etas (B, q)."""
        f, Jb, Z = _predict(self.model, self.times, self.dose, self.resp, eta)
        ll, a, gr, w = self.cond(f, y, self.resp)
        return ll + _log_prior(eta, self.Oi), (a, gr, w, Jb, Z)

    def _curvature(self, parts):
        a, _, w, _, Z = parts
        return np.einsum("bnq,bn,bnr->bqr", Z, w, Z) + self.Oi

    def mode(self, y):
        """Posterior modes (B, q) and the curvature there (B, q, q) by Fisher scoring."""
        B, q = y.shape[0], self.q
        eta = np.zeros((B, q))
        h, parts = self._joint(y, eta)
        for _ in range(_MAX_ITER):
            a, _, w, _, Z = parts
            grad = np.einsum("bn,bnq->bq", a, Z) - eta @ self.Oi
            H = self._curvature(parts)
            step = np.linalg.solve(H, grad[..., None])[..., 0]
            dec = np.einsum("bq,bq->b", grad, step)
            act = dec > 1e-12
            if not act.any():
                break
            t = np.ones(B)
            for _ in range(30):  # step halving where the log joint does not increase
                idx = np.flatnonzero(act)
                new = eta[idx] + t[idx, None] * step[idx]
                try:
                    hn, pn = self._joint(y[idx], new)
                except ValueError:
                    hn, pn = np.full(idx.size, -np.inf), None
                good = np.isfinite(hn) & (hn >= h[idx] - 1e-12 * np.abs(h[idx]))
                if pn is not None and good.any():
                    gi = idx[good]
                    eta[gi], h[gi] = new[good], hn[good]
                    parts = tuple(P if P is None else _put(P, gi, Pn[good])
                                  for P, Pn in zip(parts, pn, strict=True))
                act[idx[good]] = False
                t[idx[~good]] *= 0.5
                if not act.any():
                    break
        return eta, self._curvature(parts)

    def scores(self, y):
        """Complete scores (B, P) of all parameters and ``log p(y)`` (B,) up to the
        normalising constant of the conditional density."""
        model = self.model
        B, q = y.shape[0], self.q
        eta0, H = self.mode(y)
        K = self.nodes.shape[0]
        if q:
            L = np.linalg.cholesky(H)
            off = np.sqrt(2.0) * np.linalg.solve(np.swapaxes(L, 1, 2)[:, None],
                                                 np.broadcast_to(self.nodes[None, :, :, None],
                                                                 (B, K, q, 1)))[..., 0]
            etas = (eta0[:, None, :] + off).reshape(B * K, q)
            logdet = -np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1) \
                + 0.5 * q * np.log(2.0)
        else:
            etas, logdet = np.zeros((B, 0)), np.zeros(B)
        yk = np.repeat(y, K, axis=0)
        h, (a, gr, _, Jb, _) = self._joint(yk, etas)
        lw = (h + np.tile(self.log_w, B)).reshape(B, K)
        post = np.exp(lw - logsumexp(lw, axis=1, keepdims=True))
        # complete-data scores at each node
        g_beta = np.einsum("bn,bnp->bp", a, Jb)
        pat = model._omega_pattern
        if pat:
            Oe = etas @ self.Oi
            A = Oe[:, :, None] * Oe[:, None, :] - self.Oi
            ia, ib = np.array(pat).T
            g_om = np.where(ia == ib, 0.5, 1.0) * A[:, ia, ib]
        else:
            g_om = np.zeros((B * K, 0))
        G = np.concatenate([g_beta, g_om, gr], axis=1).reshape(B, K, -1)
        S = np.einsum("bk,bkp->bp", post, G)
        if self.C is not None:  # d/d(beta, covariate effects) = d/d beta_g @ C
            p = self.C.shape[0]
            S = np.concatenate([S[:, :p] @ self.C, S[:, p:]], axis=1)
        const = -0.5 * (q * np.log(2 * np.pi) + np.linalg.slogdet(model.omega)[1]) if q \
            else 0.0
        return S, logsumexp(lw, axis=1) + logdet + const

    def simulate(self, n, rng):
        """``n`` simulated subjects' observations (n, n_samples)."""
        q = self.q
        eta = (rng.standard_normal((n, q)) @ np.linalg.cholesky(self.model.omega).T
               if q else np.zeros((n, 0)))
        f, _, _ = _predict(self.model, self.times, self.dose, self.resp, eta)
        return self.sample(f, self.resp, rng)

    def simulate_common(self, n, entropy, key):
        """``n`` subjects simulated from streams fixed by ``(entropy, key)`` alone.

        ``key`` is a tuple of ints. The random effects of subject ``i`` are the ``i``-th
        draws of the stream ``(*key, 0)`` and its ``j``-th observation uses the ``i``-th
        draw of the stream ``(*key, j + 1)``, whatever the sampling times and their number:
        two designs simulated with the same ``entropy`` and ``key`` share the random
        effects of every subject and the residuals of every sample slot they both have
        (common random numbers), and distinct subjects never share a draw.
        """
        def stream(*k):
            return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=k))

        q = self.q
        eta = (stream(*key, 0).standard_normal((n, q)) @ np.linalg.cholesky(self.model.omega).T
               if q else np.zeros((n, 0)))
        f, _, _ = _predict(self.model, self.times, self.dose, self.resp, eta)
        # one stream per sample slot (a loop over the few sampling times, vectorised over
        # subjects): the samples are independent given eta, so column-wise draws are
        # draws of the same conditional distribution
        return np.column_stack([self.sample(f[:, j:j + 1], self.resp[j:j + 1],
                                            stream(*key, j + 1))
                                for j in range(f.shape[1])])


def _put(P, idx, values):
    P = P.copy()
    P[idx] = values
    return P


def check_nodes(model, n_nodes):
    """The checked ``n_nodes`` (and model type): ``n_nodes ** q <= MAX_NODES``."""
    _family(model)  # the model type
    n_nodes = check_int(n_nodes, "n_nodes", low=1)
    q = model.random_idx.size
    if n_nodes ** q > MAX_NODES:
        raise ValueError(f"n_nodes: {n_nodes}**{q} = {n_nodes ** q} quadrature nodes per "
                         f"subject for {q} random effects exceeds {MAX_NODES}; n_nodes must be "
                         f"<= {int(MAX_NODES ** (1 / q))}")
    return n_nodes


# ------------------------------------------------------------------ public functions
def exact_scores(model, group: Group, y, *, n_nodes: int = 5, return_loglik: bool = False):
    r"""Scores :math:`\nabla_\psi \log p(y_i; \psi)` of observed subjects, by Louis'
    identity and adaptive Gauss-Hermite quadrature (module documentation).

    Parameters
    ----------
    model : PopulationModel or DiscretePopulationModel
    group : Group
        The elementary design of the subjects (times, dose, responses).
    y : array_like, shape (B, n)
        One row of observations per subject (``n = group.n_samples``), in the support of
        the response (0/1, counts, categories ``0..K-1`` for discrete models).
    n_nodes : int
        Gauss-Hermite nodes per random effect (``n_nodes ** q <= MAX_NODES``).
    return_loglik : bool
        Also return the marginal log-likelihood :math:`\log p(y_i)` (B,) by the same
        quadrature.

    Returns
    -------
    ndarray, shape (B, k)
        The scores of the estimated parameters (``model.estimated_names``).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import Additive, Group, PopulationModel, UserModel
    >>> lin = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
    ...                 lambda t, th, d: np.stack([np.ones_like(t), t], 1),
    ...                 bounds=[(-np.inf, np.inf)] * 2)
    >>> model = PopulationModel(lin, [1.0, 0.5], [0.2, 0.0], Additive(0.1),
    ...                         eta_model="additive")
    >>> model.param_names
    ('a', 'b', 'om2_a', 'sig2_add')

    Linear in :math:`\eta`, the score is that of :math:`y \sim N(X\beta, V)`, here
    :math:`X^T V^{-1} r = (3, 4)` and :math:`\frac12 r^T V^{-1} \partial V V^{-1} r
    - \frac12 \operatorname{tr}(V^{-1}\partial V) = 2.5` for both variances:

    >>> exact_scores(model, Group([0.0, 1.0]), [[1.5, 2.5]]).round(6)
    array([[3. , 4. , 2.5, 2.5]])
    """
    if not isinstance(group, Group):
        raise TypeError(f"group must be a Group, got {type(group).__name__}")
    n_nodes = check_nodes(model, n_nodes)
    eng = _Subjects(model, group, n_nodes)
    return_loglik = check_bool(return_loglik, "return_loglik")
    y = as_float_array(y, "y", ndim=(1, 2), allow_empty=True)
    if y.ndim != 2 or y.shape[1] != group.n_samples or y.shape[0] < 1:
        raise ValueError(f"y must have shape (B, {group.n_samples}) (one row of "
                         f"{group.n_samples} observations per subject), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("y must be finite")
    eng.check_y(y)
    S, logp = eng.scores(y)
    S = S[:, model.estimated]
    return (S, logp) if return_loglik else S


def exact_fim(model, design, *, n_samples: int = 500, n_nodes: int = 5,
              rng=None) -> PopulationFIM:
    r"""Exact population FIM of a design, by Monte Carlo over the observations and adaptive
    Gauss-Hermite quadrature over the random effects (MC-AGQ; module documentation).

    Parameters
    ----------
    model : PopulationModel or DiscretePopulationModel
    design : Group or sequence of Group
    n_samples : int
        Simulated subjects per group (``>= 2``; the Monte Carlo standard error falls as
        ``1/sqrt(n_samples)``).
    n_nodes : int
        Gauss-Hermite nodes per random effect (``n_nodes ** q <= MAX_NODES``).
    rng : None, int or Generator
        Seed of the simulated subjects.

    Returns
    -------
    PopulationFIM
        ``fim='full'``, ``approximation='MC-AGQ'``; ``info.method`` is
        ``'monte_carlo'`` and ``info.stderr`` the entrywise Monte Carlo standard error of
        the study FIM, :math:`(\sum_g N_g^2 \mathrm{se}_g^2)^{1/2}`; ``ofv_stderr`` the
        delta-method standard error of ``ofv`` (:math:`\ln\det`). No shrinkage.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import exact_fim, warfarin_example
    >>> model, design = warfarin_example()
    >>> res = exact_fim(model, design, n_samples=40, n_nodes=3, rng=1)
    >>> res.param_names == model.fim(design, fim="full").param_names
    True
    >>> res.approximation, res.info.stderr.shape
    ('MC-AGQ', (7, 7))
    """
    n_samples = check_int(n_samples, "n_samples", low=2)
    n_nodes = check_nodes(model, n_nodes)
    rng = check_random_state(rng)
    groups = as_groups(design)
    full = []
    for g in groups:
        eng = _Subjects(model, g, n_nodes)
        full.append(eng.scores(eng.simulate(n_samples, rng))[0])
    return _exact_result(model, groups, full)


def common_exact_fim(model, groups, n_samples: int, n_nodes: int, entropy: int):
    """The exact FIM of ``groups`` from the common-random-number streams of
    :meth:`_Subjects.simulate_common` (group ``g`` keyed ``(0, g)``), and each group's
    scores (n_samples, k) of the estimated parameters (arguments checked by the caller;
    :func:`fisherstat.pkpd.compare_designs`)."""
    full = []
    for g_idx, g in enumerate(groups):
        eng = _Subjects(model, g, n_nodes)
        full.append(eng.scores(eng.simulate_common(n_samples, entropy, (0, g_idx)))[0])
    return _exact_result(model, groups, full), [S[:, model.estimated] for S in full]


def _exact_result(model, groups, full_scores) -> PopulationFIM:
    """The MC-AGQ :class:`PopulationFIM` from each group's simulated subjects' scores
    (n_samples, P) of all the parameters."""
    P = len(model.param_names)
    M, V = np.zeros((P, P)), np.zeros((P, P))
    est = model.estimated
    scores = []
    n_samples = full_scores[0].shape[0]
    for g, S in zip(groups, full_scores, strict=True):
        outer = S[:, :, None] * S[:, None, :]
        M += g.size * outer.mean(axis=0)
        V += g.size ** 2 * outer.var(axis=0, ddof=1) / n_samples
        scores.append((g.size, S[:, est]))
    ofv_se = _ofv_stderr(M[np.ix_(est, est)], scores)
    info = FisherInfo(M[np.ix_(est, est)], model.estimated_names,
                      n_obs=float(sum(g.size for g in groups)), method="monte_carlo",
                      stderr=np.sqrt(V[np.ix_(est, est)]), n_samples=n_samples)
    return PopulationFIM(info, model.values[est], "full", "MC-AGQ", {}, ofv_se)


def _ofv_stderr(M, scores):
    r"""Delta-method Monte Carlo standard error of :math:`\ln\det M`.

    :math:`d \ln\det M = \operatorname{tr}(M^{-1} dM)` and :math:`M = \sum_g N_g
    \overline{s s^T}_g`, so the estimate is, to first order, a sum of group means of
    :math:`N_g s_i^T M^{-1} s_i`: its variance is :math:`\sum_g N_g^2
    \operatorname{var}_i(s_i^T M^{-1} s_i)/n`. NaN when ``M`` is singular.
    """
    sign, _ = np.linalg.slogdet(M)
    if sign <= 0:
        return float("nan")
    Mi = np.linalg.inv(M)
    var = sum(size ** 2 * np.var(np.einsum("bi,ij,bj->b", S, Mi, S), ddof=1) / S.shape[0]
              for size, S in scores)
    return float(np.sqrt(var))
