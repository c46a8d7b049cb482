r"""``optimal_design``: locally optimal (and pseudo-Bayesian) approximate designs.

The problem: over the probability measures :math:`w` on the candidate points
:math:`x_1..x_n`, optimise a criterion of the information :math:`M(w, \theta) = \sum_i w_i
M(x_i, \theta)` of the parameters of interest (by default the mean parameters; the error
parameters are nuisance, see :mod:`fisherstat.design._problem`). The differentiable
criteria (``D``, ``Ds``, ``A``, ``L``, ``I``; ``G`` through ``D``) are solved by one of the
first-order algorithms of :mod:`fisherstat.design.algorithms`; ``E`` and ``c`` by exact
convex programs (:mod:`fisherstat.design._sdp`; Elfving's linear program for ``c`` with
rank-one information). Every result carries the equivalence-theorem efficiency lower bound
of the returned design.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from .._validation import (
    check_bool,
    check_choice,
    check_int,
    check_random_state,
    check_scalar,
)
from ._common import (  # noqa: F401  (as_model ... are re-exported: their home until 0.x)
    DesignResult,
    as_model,
    bind_region,
    box_grid,
    check_candidates,
    gauss_legendre_box,
    prior_thetas,
)
from ._problem import Problem, build_problem, resolve_targets
from ._sdp import elfving_lp, solve_exact
from ._sensitivity import design_certificate
from .algorithms import ALGORITHMS, greedy_start, run_algorithm
from .criteria import G, as_criterion, quad_rows
from .designs import Design
from .refine import check_inside, refine

__all__ = ["DesignResult", "optimal_design"]

def optimal_design(
    model,
    theta=None,
    candidates=None,
    criterion="D",
    algorithm: str = "rex",
    tol: float = 1e-6,
    x_bounds=None,
    *,
    params: Sequence[str] | str | None = None,
    prior_weights=None,
    max_iter: int | None = None,
    max_time: float = 600.0,
    prune: bool = True,
    rng=None,
    progress: bool = False,
) -> DesignResult:
    r"""Locally optimal (or pseudo-Bayesian) approximate design on a candidate set.

    Parameters
    ----------
    model : RegressionModel or Polynomial
        Any regression model of :mod:`fisherstat.models` (its ``point_factor`` gives the
        information of one observation), or a :class:`~fisherstat.design.Polynomial`
        (its linear model).
    theta : array_like, shape (p,) or (J, p), optional
        Parameter value (locally optimal design); a (J, p) prior sample gives the
        pseudo-Bayesian design of :func:`~fisherstat.design.bayesian_design`. Default:
        ``model.example_theta()``. For linear models only ``sigma2`` matters (as a scale).
    candidates : array_like, shape (n,) or (n, d), optional
        Candidate points (rows of covariates ``x``). Default: a grid in ``x_bounds``.
    criterion : str or Criterion
        ``'D'``, ``'A'``, ``'E'``, ``'G'``, ``'I'`` or an instance (``c(vector)``,
        ``L(matrix)``, ``I(points)``, ``Ds(params)``).
    algorithm : {'rex', 'multiplicative', 'fedorov_wynn'}
        For the differentiable criteria; ``E`` and ``c`` use exact methods (reported in
        the result's ``algorithm``).
    tol : float
        Stop when the efficiency lower bound is ``>= 1 - tol``.
    x_bounds : sequence of (low, high), optional
        The design region is the box, not the candidate set: the support found on the
        candidates is refined by local optimisation of points and weights
        (:mod:`fisherstat.design.refine`), and the bound is computed on the box.
    params : sequence of str or 'all', optional
        Parameters of interest; default: the mean parameters (error variances are
        nuisance parameters, see Notes).
    prior_weights : array_like, shape (J,), optional
        Weights of the prior sample (default uniform).
    max_iter, max_time : int, float
        Limits of the first-order algorithms (the result says whether it converged);
        ``max_iter`` defaults to 10^4 (``rex``), 10^7 (``multiplicative``) and 10^8
        (``fedorov_wynn``, whose iterations are cheap).
    prune : bool
        Delete candidates by the Harman-Pronzato bound (``D``, rank-one information).
    rng : None, int or Generator
        Randomness of ``rex`` (the pair order); ``None`` (default) draws fresh entropy, so
        pass a seed for reproducible iteration counts.
    progress : bool, default False
        Show the iterations of the first-order algorithm on stderr (tqdm if installed,
        plain text otherwise) with the equivalence-theorem gap ``1 - efficiency bound``
        against ``tol``; the result is the same as without.

    Returns
    -------
    DesignResult

    Notes
    -----
    **Nuisance parameters.** The criterion acts on the efficient information of the
    parameters of interest, the Schur complement :math:`M_{TT} - M_{TN} M_{NN}^{-}
    M_{NT}` (:meth:`FisherInfo.marginal <fisherstat.FisherInfo.marginal>`). For a linear
    model, or a nonlinear model with additive error, the information is block diagonal
    with a ``sigma2`` block that does not depend on the design, so the criterion on the
    mean parameters is exactly the classical one (:math:`X^TWX/\sigma^2`), and the
    computations use the (n, m) regressor matrix. With ``params='all'`` the error
    parameters are included (for a linear model this adds a design-independent constant
    to ``D`` and ``A``); with proportional or combined error the variance depends on the
    mean, the blocks are coupled and the Schur complement is used.

    **Stopping.** The equivalence theorem gives the lower bound ``bound / max_x d(x)`` on
    the efficiency of the current design (:mod:`fisherstat.design.criteria`); the
    algorithms stop when it reaches ``1 - tol`` (for ``D``: :math:`m / \max d(x) \ge 1 -
    \mathrm{tol}`).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import design
    >>> quad = design.polynomial(1, degree=2)            # 1, x, x^2 on [-1, 1]
    >>> res = design.optimal_design(quad, candidates=np.linspace(-1, 1, 21), rng=0)
    >>> print(res.design)
    Design: 3 points
             x    weight
            -1  0.333333
             0  0.333333
             1  0.333333
    >>> round(float(np.exp(res.value)), 6), res.efficiency_bound > 1 - 1e-6   # det = 4/27
    (0.148148, True)
    """
    t0 = time.perf_counter()
    model = as_model(model)
    crit = as_criterion(criterion)
    check_choice(algorithm, "algorithm", ALGORITHMS)
    tol = check_scalar(tol, "tol", low=0, high=1)
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", low=1)
    max_time = check_scalar(max_time, "max_time", low=0)
    rng = check_random_state(rng)
    progress = check_bool(progress, "progress")
    thetas, prior, bayes = prior_thetas(model, theta, prior_weights)
    bounds = None
    if candidates is None:
        if x_bounds is None:
            raise TypeError("pass candidates (points) or x_bounds (a box region)")
        bounds, X = box_grid(x_bounds)
    else:
        X = check_candidates(candidates)
        if x_bounds is not None:
            bounds = box_grid(x_bounds, levels=2)[0]
    targets = resolve_targets(model, params, crit)
    crit = bind_region(crit, X, bounds)
    problem = build_problem(model, thetas, prior, X, crit, targets)
    if bounds is not None:
        check_inside(bounds, X, "candidates")

    if problem.family == "E" and bayes:
        raise ValueError("criterion: Bayesian designs need a differentiable criterion "
                         "(D, Ds, A, L, I, c); E is not supported")
    iterations, n_deleted, trace = 0, 0, ()
    if problem.family == "E" or (problem.family == "c" and not bayes):
        w, algo_name, iterations = _exact(problem, tol, rng)
    else:
        w, info = run_algorithm(problem, algorithm, tol=tol, max_iter=max_iter,
                                max_time=max_time, rng=rng, prune=prune, progress=progress)
        algo_name, iterations, n_deleted = algorithm, info.iterations, info.n_deleted
        trace = tuple(info.trace)
    w = np.where(w > 1e-10, w, 0.0)  # e.g. the vanishing weights of 'multiplicative'
    w = w / w.sum()
    supp = np.flatnonzero(w > 0)
    names = getattr(getattr(model, "basis", None), "factors", None)
    dsg = Design(X[supp], w[supp], names=names)
    if bounds is not None:
        dsg = refine(problem, dsg, bounds, tol, X)
    cert = _certificate(problem, dsg, X, bounds)
    value = cert["value"]
    if isinstance(crit, G):
        value = cert["max_sensitivity"]
    cand, sens = cert["points"], cert["sensitivity"]
    eff = cert["efficiency_bound"]
    return DesignResult(
        design=dsg, criterion=crit, params=targets, value=value, efficiency_bound=eff,
        max_sensitivity=cert["max_sensitivity"], bound=cert["bound"], algorithm=algo_name,
        iterations=iterations, seconds=time.perf_counter() - t0,
        converged=bool(eff >= 1.0 - tol), model=model,
        theta=thetas if bayes else thetas[0], prior_weights=prior if bayes else None,
        candidates=cand, sensitivity=sens, n_deleted=n_deleted, trace=trace,
        x_bounds=bounds, tol=tol,
    )


def _exact(problem: Problem, tol, rng):
    """E (and multi-column c) by the LMI barrier; c with rank-one factors by Elfving's LP."""
    lc = problem.locals[0]
    if problem.family == "c" and lc.r == 1:
        cfull = np.zeros(lc.q)
        cfull[lc.T] = lc.crit.vector
        out = elfving_lp(lc.F * np.sqrt(lc.scale), cfull)
        if out is None:
            raise ValueError(
                f"candidates: c = {lc.crit.vector.tolist()} is not estimable from the "
                f"candidates (not in the range of their information); no design has a "
                f"finite c-criterion")
        w = out[0]
        w = np.where(w > 1e-10, w, 0.0)
        return w / w.sum(), "elfving-lp", 1
    start, _ = greedy_start(problem)
    n = problem.n
    if n <= 300:
        rows = np.arange(n)
    else:
        # screening: the D-sensitivity of the greedy design picks the promising candidates
        w0 = np.zeros(n)
        w0[start] = 1.0 / start.size
        M = lc.info(start, w0[start])
        try:
            B = np.linalg.cholesky(np.linalg.inv(M))
            dd = quad_rows(lc.F, B)
            top = np.argsort(-dd)[: min(n, 60 + 8 * lc.q)]
        except np.linalg.LinAlgError:
            top = np.array([], dtype=int)
        even = np.linspace(0, n - 1, min(n, 60)).astype(int)
        rows = np.union1d(np.union1d(start, top), even)
    w, _, _, info = solve_exact(problem, tol, rng, rows)
    return w, "sdp", info["iterations"]


def _certificate(problem: Problem, dsg: Design, X, bounds):
    """Equivalence certificate of the final design on the candidates or the box."""
    return design_certificate(problem, dsg, X, bounds)
