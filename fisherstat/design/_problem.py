r"""The design problem in weight space: factors, parameters of interest, objective, gradient.

Everything the algorithms need is built once from ``(model, theta, candidates)``:

* the factor rows :math:`F_i` of the information :math:`M(x_i) = s F_i F_i^T` of the
  *kept* parameters (``s`` a scalar; for a model that declares a Gaussian linear mean,
  :meth:`~fisherstat.models.RegressionModel.linear_mean_scale`, as
  :class:`~fisherstat.models.LinearRegression` does, :math:`F_i = x_i` and
  :math:`s = 1/\sigma^2`, so no copy of the candidates is made);
* the split of the kept parameters into the parameters of interest ``T`` and the coupled
  nuisance parameters ``N``. Nuisance parameters whose information is *decoupled* (zero
  cross-information with every other parameter at every candidate, as ``sigma2`` of a
  linear or additive-error model) drop out of the Schur complement and are removed, and
  so are columns of the factor that vanish on the kept parameters. A linear model thus
  becomes the classical (n, m) regression matrix.

For a prior sample :math:`\theta_1..\theta_J` with weights :math:`\pi_j` (pseudo-Bayesian
designs) there is one such *local* problem per :math:`\theta_j` and the objective is
:math:`\sum_j \pi_j \Phi(M_j)`; its sensitivity is :math:`\sum_j \pi_j d_j(x)` and the
bound :math:`\sum_j \pi_j b_j` (see :mod:`fisherstat.design.bayesian`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.base import RegressionModel
from .criteria import Criterion, G, I, L, c, quad_rows, schur, sqrt_psd

__all__ = ["Local", "Problem", "build_problem", "mean_param_names", "resolve_targets"]

#: Range of the largest per-candidate information ``s ||F_i||^2`` in which the algorithms'
#: products and inverses of information matrices stay finite in float64 (1e308 / 1e28
#: leaves room for sums over candidates and for the inverse).
_INFO_RANGE = (1e-280, 1e280)


def _declaring(model):
    """The model that declares the structure: the wrapped one of a polynomial design model
    (:class:`~fisherstat.design.polynomial.BasisModel` delegates to ``inner``)."""
    return getattr(model, "inner", model)


def mean_param_names(model) -> tuple:
    """The mean (design-relevant) parameters: all but the error parameters.

    What the model declares in ``mean_param_names`` (``LinearRegression``: the ``k``
    coefficients; ``NonlinearRegression``: the mean parameters ``beta``; other regression
    models: all parameters), named as the (possibly wrapping) ``model`` names them.
    """
    return tuple(model.param_names[: len(_declaring(model).mean_param_names)])


def resolve_targets(model, params, criterion: Criterion) -> tuple:
    """Names of the parameters of interest (``Ds`` overrides ``params``)."""
    names = tuple(model.param_names)
    cp = getattr(criterion, "params", None) if criterion.name == "Ds" else None
    if cp is not None:
        if params is not None:
            raise ValueError("params: pass the parameters of interest either to Ds(...) or as "
                             "params=..., not both")
        params = [names[i] if not isinstance(i, str) else i for i in cp]
    if params is None:
        return mean_param_names(model)
    if isinstance(params, str):
        if params == "all":
            return names
        params = [params]
    if not isinstance(params, (list, tuple, np.ndarray)):
        raise TypeError(f"params must be a parameter name, a sequence of names or 'all', "
                        f"got {type(params).__name__}")
    params = tuple(params)
    for p in params:
        if not isinstance(p, str) or p not in names:
            raise ValueError(f"params: unknown parameter {p!r}; expected names from {names} "
                             "or 'all'")
    if len(set(params)) != len(params) or not params:
        raise ValueError(f"params must be distinct parameter names, got {params}")
    return tuple(n for n in names if n in params)


@dataclass
class Local:
    """One parameter value: factor rows of the kept parameters and the target split."""

    F: np.ndarray  # (n, q) or (n, q, r)
    scale: float
    T: np.ndarray
    N: np.ndarray
    crit: Criterion
    keep: np.ndarray  # indices of the kept parameters in model.param_names
    theta: np.ndarray
    model: object = None
    cols: np.ndarray | None = None  # kept factor columns (None: the linear-model shortcut)

    def factor_at(self, X) -> np.ndarray:
        """The factor rows at new points, reduced exactly as the candidates' were."""
        if self.cols is None:
            return self.model.check_x(X)
        F = self.model.point_factor(self.theta, X)[:, self.keep, :][:, :, self.cols]
        return F[:, :, 0] if F.shape[2] == 1 else F

    @property
    def r(self) -> int:
        return 1 if self.F.ndim == 2 else int(self.F.shape[2])

    @property
    def q(self) -> int:
        return int(self.F.shape[1])

    def info(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``s * sum_i w_i F_i F_i^T`` over the rows ``idx``."""
        f = self.F[idx]
        if f.ndim == 2:
            M = (f.T * w) @ f
        else:
            g = np.moveaxis(f * np.sqrt(w)[:, None, None], 1, 0).reshape(f.shape[1], -1)
            M = g @ g.T
        return self.scale * 0.5 * (M + M.T)

    def point_matrices(self, idx) -> np.ndarray:
        """``s * F_i F_i^T`` for a few rows (k, q, q)."""
        f = self.F[idx]
        if f.ndim == 2:
            return self.scale * np.einsum("ki,kj->kij", f, f)
        return self.scale * np.einsum("kir,kjr->kij", f, f)


def _factor(model, theta, X, target_names):
    """Reduced factor, scale, target/nuisance split, kept parameters and kept columns."""
    names = tuple(model.param_names)
    inner = _declaring(model)
    scale = inner.linear_mean_scale(theta)
    k = len(inner.mean_param_names)
    beta = names[:k]
    if scale is not None and set(target_names) <= set(beta):
        Xe = model.check_x(X)
        T = np.array([beta.index(t) for t in target_names], dtype=int)
        N = np.setdiff1d(np.arange(k), T)
        return Xe, float(scale), T, N, np.arange(k), None
    F = model.point_factor(theta, X)
    p = F.shape[1]
    tset = [names.index(t) for t in target_names]
    nuis = [j for j in range(p) if j not in tset]
    decoupled = []
    for j in nuis:
        others = [i for i in range(p) if i != j]
        cross = np.einsum("nr,nor->no", F[:, j, :], F[:, others, :])
        if not np.any(cross != 0.0):
            decoupled.append(j)
    keep = np.array([j for j in range(p) if j not in decoupled], dtype=int)
    Fk = F[:, keep, :]
    cols = np.flatnonzero(np.any(Fk != 0.0, axis=(0, 1)))
    Fk = Fk[:, :, cols]
    if Fk.shape[2] == 1:
        Fk = Fk[:, :, 0]
    kept = [names[j] for j in keep]
    T = np.array([kept.index(t) for t in target_names], dtype=int)
    N = np.setdiff1d(np.arange(keep.size), T)
    return Fk, 1.0, T, N, keep, cols


def _bind(crit: Criterion, loc: Local, target_names) -> Criterion:
    """Criterion with its problem constants (``I``: the integrated ``L``)."""
    T = loc.T
    if isinstance(crit, I) and crit.matrix is None:
        if crit.points is None:
            FI = loc.F
            wI = np.full(FI.shape[0], 1.0 / FI.shape[0])
        else:
            try:
                FI = loc.factor_at(crit.points)
            except ValueError as exc:
                raise ValueError(f"I: points: {exc}") from None
            wI = (np.full(FI.shape[0], 1.0 / FI.shape[0]) if crit.weights is None
                  else crit.weights)
        if FI.ndim == 2:
            ft = FI[:, T]
            Lm = loc.scale * (ft.T * wI) @ ft
        else:
            ft = FI[:, T, :]
            Lm = loc.scale * np.einsum("n,nir,njr->ij", wI, ft, ft)
        crit = crit._bind(matrix=0.5 * (Lm + Lm.T))
    if not isinstance(crit, G):
        crit._check(T.size, target_names)
    return crit


def build_problem(model, thetas, prior, X, crit: Criterion, target_names, *,
                  name: str = "candidates") -> Problem:
    """One :class:`Local` per parameter value; validates the candidates."""
    if not isinstance(model, RegressionModel):
        raise TypeError(f"model must be a regression model (y | x with point_factor), got "
                        f"{type(model).__name__}")
    locs = []
    for th in thetas:
        try:
            F, scale, T, N, keep, cols = _factor(model, th, X, target_names)
        except ValueError as exc:
            msg = str(exc)
            if msg.startswith("theta"):
                raise
            raise ValueError(f"{name}: {msg}") from None
        # max and min: one pass each, no temporary (a NaN or inf propagates to them)
        amax = max(float(F.max()), -float(F.min())) if F.size else 0.0
        if not np.isfinite(amax):
            bad = ~np.all(np.isfinite(F.reshape(F.shape[0], -1)), axis=1)
            raise ValueError(f"{name}: the information is not finite at candidate "
                             f"{int(np.flatnonzero(bad)[0])}")
        # the largest entry of a candidate's information s F F^T is within a factor of the
        # number of factor entries of s max|F|^2, far inside the range's slack
        big = scale * amax**2
        if big > 0 and not _INFO_RANGE[0] <= big <= _INFO_RANGE[1]:
            raise ValueError(
                f"{name}: the largest information of a candidate is {big:.3g}; it must lie in "
                f"[{_INFO_RANGE[0]:g}, {_INFO_RANGE[1]:g}] for float64 computations (theta = "
                f"{np.asarray(th).tolist()}); rescale the covariates or the variance")
        loc = Local(F, scale, T, N, crit, keep, th, model, cols)
        loc.crit = _bind(crit, loc, target_names)
        locs.append(loc)
    return Problem(locs, prior, crit, target_names)


@dataclass
class State:
    """Objective, gradient factors and bound at one design."""

    ok: bool
    Ms: list
    loss: float
    values: np.ndarray  # natural criterion value per local
    b: float = np.nan
    Bs: list | None = None  # sqrt factors of the (prior-weighted, scaled) sensitivity matrices
    phi: float = 0.0


class Problem:
    """The objective ``sum_j pi_j Phi(M_j(w))`` over candidate weights ``w``."""

    def __init__(self, locs, prior, crit, target_names):
        self.locals = locs
        self.prior = np.asarray(prior, dtype=float)
        self.crit = crit
        self.target_names = tuple(target_names)
        fam = crit.family
        if fam == "c" and len(locs) > 1:
            fam = "L"  # Bayesian c: the average variance, smooth where non-singular
        self.family = fam
        self.n = int(locs[0].F.shape[0])
        self.s = int(locs[0].T.size)
        self.q = locs[0].q

    @property
    def fast(self) -> bool:
        """Rank-one factors and no coupled nuisance: closed-form pair steps apply."""
        return self.family in ("D", "L") and all(lc.r == 1 and lc.N.size == 0
                                                 for lc in self.locals)

    @property
    def single_rank_one(self) -> bool:
        return len(self.locals) == 1 and self.locals[0].r == 1

    # ------------------------------------------------------------ objective
    def _combine(self, values) -> float:
        if self.family == "D":
            return -float(self.prior @ values)
        if self.family == "E":
            return -float(values[0])
        return float(self.prior @ values)

    def loss_of(self, Ms) -> float:
        """Loss (to be minimised) of information matrices ``Ms`` (one per local)."""
        vals = np.empty(len(Ms))
        for j, (lc, M) in enumerate(zip(self.locals, Ms, strict=True)):
            C, _ = schur(M, lc.T, lc.N)
            vals[j] = lc.crit._value(C)
        if self.family in ("D", "E"):
            if np.any(vals == -np.inf):
                return np.inf
        elif not np.all(np.isfinite(vals)):
            return np.inf
        return self._combine(vals)

    def state(self, w: np.ndarray, *, idx=None, gradient: bool = True) -> State:
        """Information, loss and sensitivity factors at the weights ``w`` (length ``n``)."""
        if idx is None:
            idx = np.flatnonzero(w > 0)
            wv = w[idx]
        else:
            wv = w
        Ms, vals, Bs, bs = [], np.empty(len(self.locals)), [], np.empty(len(self.locals))
        for j, lc in enumerate(self.locals):
            M = lc.info(idx, wv)
            Ms.append(M)
            C, K = schur(M, lc.T, lc.N)
            vals[j] = lc.crit._value(C)
            if not gradient:
                continue
            wb = lc.crit._weight(C)
            if wb is None:
                return State(False, Ms, np.inf, vals)
            Am = K @ wb[0] @ K.T
            Bs.append(np.sqrt(self.prior[j] * lc.scale) * sqrt_psd(Am))
            bs[j] = wb[1]
        loss = self.loss_of(Ms) if not gradient else self._combine(vals)
        if not np.isfinite(loss):
            return State(False, Ms, np.inf, vals)
        if not gradient:
            return State(True, Ms, loss, vals)
        b = float(self.prior @ bs)
        return State(True, Ms, loss, vals, b, Bs, self.phi_of(loss))

    def phi_of(self, loss: float) -> float:
        """Homogeneous information function of the combined criterion."""
        if not np.isfinite(loss):
            return 0.0
        if self.family == "D":
            return float(np.exp(-loss / self.s))
        if self.family == "E":
            return max(-loss, 0.0)
        return 1.0 / loss if loss > 0 else 0.0

    def sensitivity(self, st: State, rows=None) -> np.ndarray:
        """``sum_j pi_j d_j(x)`` at the candidate rows (all by default)."""
        d = None
        for lc, B in zip(self.locals, st.Bs, strict=True):
            F = lc.F if rows is None else lc.F[rows]
            dj = quad_rows(F, B)
            d = dj if d is None else d + dj
        return d

    def point_matrices(self, j_rows):
        """Per-local point information of a few candidate rows: list of (k, q, q)."""
        return [lc.point_matrices(j_rows) for lc in self.locals]


def lmat_of(crit: Criterion, s: int) -> np.ndarray:
    """The ``L`` of an L-type criterion (``A``: identity; ``c``: ``c c^T``)."""
    if isinstance(crit, c):
        return np.outer(crit.vector, crit.vector)
    if isinstance(crit, L):
        return crit.matrix
    return np.eye(s)
