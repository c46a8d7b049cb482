r"""Derived quantities of the fixed effects (AUC, Cmax, any ``g(beta)``) and their
gradients: the vector of the c-criterion of population designs."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .. import _numdiff
from .._validation import check_scalar
from ._criterion import check_model
from .population import PopulationModel
from .structural import as_regimen

__all__ = ["derived_gradient"]


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
    check_model(model)
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
