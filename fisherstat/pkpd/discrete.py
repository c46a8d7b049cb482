r"""Population models of discrete responses: binary, counts, ordered categories.

The structural model gives a *linear predictor* :math:`f(t, \phi_i, D)` per sample, with
the individual parameters :math:`\phi_i = \phi(\beta, \eta_i)`,
:math:`\eta_i \sim N(0, \Omega)` as in :class:`~fisherstat.pkpd.PopulationModel`, and the
samples are independent given :math:`\eta_i` with

=============  ===============================================  ==========================
``response``   :math:`p(y_j \mid \eta)`                          support
=============  ===============================================  ==========================
``binary``     :math:`P(y=1) = \operatorname{expit}(f)`          ``{0, 1}``
``poisson``    Poisson with :math:`\log \lambda = f`             ``{0, 1, 2, ...}``
``ordinal``    :math:`P(y \le k) = \operatorname{expit}(c_{k+1}  ``{0, ..., K-1}``
               - f)`, :math:`c_1 < \dots < c_{K-1}`
=============  ===============================================  ==========================

(the logistic and Poisson mixed models of Ueckert & Mentré 2017, *Comput. Stat. Data
Anal.* 111, 203-219, and the proportional-odds model of McCullagh 1980, *J. R. Stat. Soc.
B* 42, 109-142; MIXFIM writes the same models as R functions of the linear predictor).
The cut points :math:`c_k` (``cut_1, ...``) are parameters of the response, estimated like
residual-error parameters; an intercept in ``f`` is then not identified together with
them (fix one of them). The conditional likelihood is in closed form, the marginal one is
not, and there is no FO/FOCE linearisation of a discrete response: the Fisher information
is the exact one, :func:`~fisherstat.pkpd.exact_fim`.

Numerics: :math:`\log\operatorname{expit}` by ``scipy.special.log_expit``; an ordinal
category probability :math:`\operatorname{expit}(x) - \operatorname{expit}(z)`, :math:`x >
z`, as :math:`\operatorname{expit}(x)\operatorname{expit}(-z)(1 - e^{z - x})` (no
cancellation in either tail).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import expit, gammaln, log_expit

from .._validation import as_float_array, check_choice
from .errors import Additive
from .exact import exact_fim
from .population import PopulationFIM, PopulationModel, check_fixed
from .structural import StructuralModel

__all__ = ["DiscretePopulationModel", "RESPONSE_TYPES"]

#: Discrete response families.
RESPONSE_TYPES = ("binary", "poisson", "ordinal")


class DiscretePopulationModel:
    r"""A mixed-effects model of a discrete response (binary, count, ordered categorical).

    Parameters
    ----------
    structural : StructuralModel
        The linear predictor ``f(t, phi, dose)`` (logit, log rate or ordinal location).
    theta, omega, eta_model, fixed
        As for :class:`~fisherstat.pkpd.PopulationModel` (``fixed`` may also name cut
        points).
    response : {'binary', 'poisson', 'ordinal'}
    cutpoints : array_like, shape (K-1,), optional
        Strictly increasing cut points of an ordinal response with ``K >= 2`` categories
        (required for, and only for, ``'ordinal'``).

    Notes
    -----
    Parameter names: the fixed effects, ``om2_*``/``om_*_*`` as for the Gaussian model,
    then ``cut_1, ..., cut_{K-1}``. :meth:`fim` is the exact (MC-AGQ) population FIM.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.pkpd import DiscretePopulationModel, Group, UserModel
    >>> logit = UserModel(lambda t, th, d: th[0] + th[1] * t, ["b0", "b1"],
    ...                   lambda t, th, d: np.stack([np.ones_like(t), t], 1),
    ...                   bounds=[(-np.inf, np.inf)] * 2)
    >>> model = DiscretePopulationModel(logit, [-1.0, 1.0], [0.5, 0.0], "binary",
    ...                                 eta_model="additive")
    >>> model.param_names
    ('b0', 'b1', 'om2_b0')
    >>> res = model.fim(Group([0.0, 1.0, 2.0], size=100), n_samples=200, rng=0)
    >>> res.approximation, res.matrix.shape
    ('MC-AGQ', (3, 3))
    """

    def __init__(self, structural: StructuralModel, theta, omega, response: str = "binary",
                 *, cutpoints=None, eta_model="exponential", fixed: Sequence[str] = ()):
        check_choice(response, "response", RESPONSE_TYPES)
        # the random-effect part (theta, omega, eta_model checks and names) is that of the
        # Gaussian population model; its placeholder error is not part of this model
        re = PopulationModel(structural, theta, omega, Additive(1.0), eta_model=eta_model)
        self._re = re
        self.response = response
        self.structural = structural
        self.beta, self.omega, self.random_idx = re.beta, re.omega, re.random_idx
        self.random_names, self.eta_model = re.random_names, re.eta_model
        self._omega_pattern = re._omega_pattern
        if response == "ordinal":
            if cutpoints is None:
                raise ValueError("cutpoints: an ordinal response needs K-1 >= 1 increasing "
                                 "cut points")
            c = np.atleast_1d(as_float_array(cutpoints, "cutpoints", ndim=(0, 1)))
            if c.size < 1 or np.any(np.diff(c) <= 0):
                raise ValueError(f"cutpoints must be strictly increasing (K-1 >= 1 of them), "
                                 f"got {c.tolist()}")
            c.flags.writeable = False
        elif cutpoints is not None:
            raise ValueError(f"cutpoints: only an ordinal response has cut points, not "
                             f"response={response!r}")
        else:
            c = np.zeros(0)
        self.cutpoints = c
        n_re = re.n_beta + len(self._omega_pattern)
        self.param_names = re.param_names[:n_re] + tuple(f"cut_{k + 1}" for k in range(c.size))
        self.values = np.concatenate([re.values[:n_re], c])
        self.values.flags.writeable = False
        self.fixed, self.estimated = check_fixed(fixed, self.param_names)

    # ------------------------------------------------------------ shared with the Gaussian
    n_beta = PopulationModel.n_beta
    estimated_names = PopulationModel.estimated_names

    @property
    def n_categories(self) -> int | None:
        """Number of categories of an ordinal response (None otherwise)."""
        return self.cutpoints.size + 1 if self.response == "ordinal" else None

    def _phi(self, eta):
        return self._re._phi(eta)

    def _check_group(self, g):
        return self._re._check_group(g)

    def __repr__(self) -> str:
        return (f"DiscretePopulationModel({self.structural!r}, response={self.response!r}, "
                f"random effects on {list(self.random_names)})")

    def fim(self, design, *, n_samples: int = 500, n_nodes: int = 5,
            rng=None) -> PopulationFIM:
        """The exact population FIM (:func:`~fisherstat.pkpd.exact_fim`).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.pkpd import DiscretePopulationModel, Group, UserModel
        >>> lin = UserModel(lambda t, th, d: th[0] * t, ["b"],
        ...                 lambda t, th, d: t[:, None], bounds=[(-np.inf, np.inf)])
        >>> m = DiscretePopulationModel(lin, [0.5], [0.3], "poisson", eta_model="additive")
        >>> m.fim(Group([1.0, 2.0], size=50), n_samples=100, rng=0).param_names
        ('b', 'om2_b')
        """
        return exact_fim(self, design, n_samples=n_samples, n_nodes=n_nodes, rng=rng)

    # ------------------------------------------------------------ conditional likelihood
    def _check_y(self, y):
        """Observations must be in the support of the response."""
        r = self.response
        integer = np.all(y == np.round(y))
        if r == "binary" and not (integer and np.all((y == 0) | (y == 1))):
            raise ValueError("y: a binary response must be 0 or 1")
        if r == "poisson" and not (integer and np.all(y >= 0)):
            raise ValueError("y: a count (poisson) response must be an integer >= 0")
        if r == "ordinal" and not (integer and np.all((y >= 0) & (y < self.n_categories))):
            raise ValueError(f"y: an ordinal response must be a category 0..."
                             f"{self.n_categories - 1}")

    def _conditional(self, f, y, rr):
        """``log p(y|eta)`` (B,), ``d/df`` (B, n), ``d/dcut`` (B, K-1), information in
        ``f`` (B, n) (see :func:`fisherstat.pkpd.exact` for the layout)."""
        B = f.shape[0]
        if self.response == "binary":
            ll = np.sum(y * log_expit(f) + (1 - y) * log_expit(-f), axis=1)
            p = expit(f)
            return ll, y - p, np.zeros((B, 0)), p * (1 - p)
        if self.response == "poisson":
            with np.errstate(over="ignore"):
                lam = np.exp(f)
            if not np.all(np.isfinite(lam)):
                raise ValueError("the Poisson rate exp(f) overflows float64; theta and omega "
                                 "must keep the log rate below 709")
            ll = np.sum(y * f - lam - gammaln(y + 1), axis=1)
            return ll, y - lam, np.zeros((B, 0)), lam
        c = np.concatenate([[-np.inf], self.cutpoints, [np.inf]])
        k = y.astype(int)
        x, z = c[k + 1] - f, c[k] - f  # P(y = k) = expit(x) - expit(z)
        logp = log_expit(x) + log_expit(-z) + np.log(-np.expm1(z - x))
        p = np.exp(logp)
        dx, dz = expit(x) * expit(-x), expit(z) * expit(-z)
        a = -(dx - dz) / p
        K1 = self.cutpoints.size
        gc = np.zeros(f.shape + (K1,))
        j = np.arange(K1)
        gc += np.where(k[..., None] == j, (dx / p)[..., None], 0.0)  # c_{k+1} = cut j
        gc -= np.where(k[..., None] == j + 1, (dz / p)[..., None], 0.0)  # c_k = cut j
        # information in f: sum over categories of (dP_k/df)^2 / P_k
        X = c[None, None, 1:] - f[..., None]
        Zc = c[None, None, :-1] - f[..., None]
        Pk = np.exp(log_expit(X) + log_expit(-Zc) + np.log(-np.expm1(Zc - X)))
        dP = expit(X) * expit(-X) - expit(Zc) * expit(-Zc)
        w = np.sum(dP * dP / Pk, axis=-1)
        return np.sum(logp, axis=1), a, gc.sum(axis=1), w

    def _sample(self, f, rr, rng):
        if self.response == "binary":
            return (rng.random(f.shape) < expit(f)).astype(float)
        if self.response == "poisson":
            return rng.poisson(np.exp(f)).astype(float)
        u = rng.random(f.shape)
        cdf = expit(self.cutpoints[None, None, :] - f[..., None])
        return np.sum(u[..., None] > cdf, axis=-1).astype(float)
