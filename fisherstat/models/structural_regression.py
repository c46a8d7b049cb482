r"""A structural PK/PD model as a regression on the sampling time.

The structural models of :mod:`fisherstat.models.structural` (one and two compartments,
any route and regimen, linked PD, a user's function) are the mean functions of the
population models of :mod:`fisherstat.pkpd`. The same object is the mean of a
*regression* for one subject: :class:`StructuralRegression` observes

.. math::

    y_i = f(t_i, \beta, \text{dose}) + \varepsilon_i, \qquad
    \varepsilon_i \sim N\big(0, v(f)\big),

at sampling times :math:`t_i` (the covariate ``x``), with the residual errors of
:mod:`fisherstat.models.errors`. It is a :class:`~fisherstat.models.NonlinearRegression`,
so the information, the estimators, the simulation checks and the design module
(locally optimal sampling times for one subject) apply to it unchanged.
"""

from __future__ import annotations

import numpy as np

from .nonlinear import NonlinearRegression
from .structural import StructuralModel

__all__ = ["StructuralRegression"]


class StructuralRegression(NonlinearRegression):
    r"""A structural model :math:`f(t, \beta, \text{dose})` observed with residual error.

    Parameters
    ----------
    structural : StructuralModel
        The mean function and its analytic Jacobian (e.g.
        ``fisherstat.pkpd.TwoCompartment("oral")``).
    dose : float or Regimen, optional
        The dose regimen of the subject (required when the structural model needs a
        dose).
    error : {'additive', 'proportional', 'combined'} or ResidualError
        Residual-variance model (see :class:`~fisherstat.models.NonlinearRegression`).
    response : str or int, optional
        The response observed (default: the first, e.g. ``'conc'``; ``'effect'`` for
        the PD response of a :class:`~fisherstat.models.structural.LinkedPD`).
    example_theta : array_like, optional
        A typical full parameter (structural parameters, then error parameters).
    example_x : array_like, optional
        Typical sampling times.

    Notes
    -----
    ``x`` is the vector of sampling times (``>= 0``; not before a steady-state dose). The
    parameters are the structural parameters followed by the error parameters; the
    information at a design of times is :math:`\sum_i M(t_i)` of
    :class:`~fisherstat.models.NonlinearRegression` with :math:`\nabla f` the structural
    model's Jacobian. Fits need ``start``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.models.structural import OneCompartment
    >>> m = fs.models.StructuralRegression(OneCompartment("oral"), dose=70, error="combined")
    >>> m.param_names
    ('CL', 'V', 'KA', 'sigma2_add', 'sigma2_prop')
    >>> t = [0.5, 2.0, 24.0, 120.0]
    >>> np.round(m.predict([0.15, 8.0, 1.0, 0.25, 0.01], t), 4)  # PopED's warfarin mean
    array([3.4254, 7.3822, 5.6859, 0.9399])
    >>> info = fs.fisher(m, [0.15, 8.0, 1.0, 0.25, 0.01], x=t)
    >>> info.n_obs, info.param_names[:3]
    (4.0, ('CL', 'V', 'KA'))
    """

    def __init__(self, structural: StructuralModel, dose=None, error="additive", *,
                 response=None, example_theta=None, example_x=None):
        if not isinstance(structural, StructuralModel):
            raise TypeError(f"structural must be a StructuralModel (e.g. "
                            f"fisherstat.pkpd.OneCompartment('oral')), got "
                            f"{type(structural).__name__}")
        self.structural = structural
        self.dose = structural.check_dose(dose)
        self._response = structural.check_response(response, 1)[0]
        self.response = structural.responses[self._response]
        super().__init__(self._f, self._jac, error, param_names=structural.param_names,
                         bounds=list(zip(structural.lower, structural.upper, strict=True)),
                         example_theta=example_theta, example_x=example_x)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.structural!r}, dose={self.dose!r}, "
                f"error={self.error!r}, response={self.response!r})")

    def _check_x(self, x):
        if x.ndim == 2:
            if x.shape[1] != 1:
                raise ValueError(f"x must be the sampling times, shape (n,) or (n, 1), got "
                                 f"shape {x.shape}")
            x = x[:, 0]
        return self.structural.check_schedule(x, self.dose, "x")

    def _f(self, x, beta):
        return self.structural.evaluate(x, beta, self.dose, np.full(x.size, self._response),
                                        0, validate=False, check_finite=False)

    def _jac(self, x, beta):
        return self.structural.evaluate(x, beta, self.dose, np.full(x.size, self._response),
                                        1, validate=False, check_finite=False)[1]

