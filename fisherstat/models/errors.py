r"""Residual-error models, with the two conventions in use named explicitly.

An observation is :math:`y = f + \varepsilon` with :math:`\varepsilon \sim N(0, v(f))`.
Two conventions for the *parameters* of :math:`v` are in use, and results (RSE%, the FIM
itself) depend on which one is estimated:

=================  ====================================  ====================================
``convention``     ``'variance'`` (PopED)                ``'sd'`` (PFIM)
=================  ====================================  ====================================
additive           :math:`v = \sigma^2_{add}`            :math:`v = a^2`
                   (``sig2_add``)                        (``sd_add``)
proportional       :math:`v = \sigma^2_{prop} f^2`       :math:`v = b^2 f^2`
                   (``sig2_prop``)                       (``sd_prop``)
combined           :math:`v = \sigma^2_{add} +           :math:`v = (a + b|f|)^2`
                   \sigma^2_{prop} f^2`                  (``sd_add``, ``sd_prop``)
=================  ====================================  ====================================

PopED writes :math:`y = f(1 + \varepsilon_1) + \varepsilon_2` with the variances of
:math:`\varepsilon_{1,2}` as parameters (Nyberg et al. 2012, *Comput. Methods Programs
Biomed.* 108, 789-805); PFIM models the *standard deviation* :math:`\sigma_{inter} +
\sigma_{slope} f` (Retout & Mentré 2003, *J. Biopharm. Stat.* 13, 209-227; Bazzoli,
Retout & Mentré 2010, *Comput. Methods Programs Biomed.* 98, 55-65). The two combined
models are different models, not reparametrisations of each other.

Each error model is a small object holding its parameter values, with
``variance(f) -> (v, dv/df, dv/dparams)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .._validation import as_float_array, check_choice, check_in_interval

__all__ = ["ResidualError", "Additive", "Proportional", "Combined", "CONVENTIONS"]

#: The two parameter conventions: ``'variance'`` (PopED) and ``'sd'`` (PFIM).
CONVENTIONS = ("variance", "sd")


class ResidualError:
    """Base class: a residual-variance model ``v(f, params)`` with its parameter values.

    Attributes
    ----------
    param_names : tuple of str
        Names of the error parameters.
    values : ndarray
        Their values (all ``> 0``).
    convention : {'variance', 'sd'}
        Whether the parameters are variances (PopED) or standard deviations (PFIM).
    """

    kind = "?"
    _default_names: dict = {}

    def __init__(self, values, convention: str, names: Sequence[str] | None):
        check_choice(convention, "convention", CONVENTIONS,
                     what="('variance': PopED's variances, 'sd': PFIM's "
                     "standard deviations)")
        self.convention = convention
        default = self._default_names[convention]
        if names is not None and not isinstance(names, (str, Sequence)):
            raise TypeError(f"names must be {len(default)} non-empty strings, got "
                            f"{type(names).__name__}")
        names = default if names is None else tuple([names] if isinstance(names, str)
                                                    else names)
        if len(names) != len(default) or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"names must be {len(default)} non-empty strings, got {names!r}")
        self.param_names = tuple(names)
        _check_reals(values, self.param_names)
        v = as_float_array(values, "error parameters", shape=(len(default),))
        check_in_interval(v, "error parameters", low=0, labels=list(self.param_names))
        v.flags.writeable = False
        self.values = v

    def with_values(self, values) -> ResidualError:
        """A copy with other parameter values."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.values = self._check_values(values, "values")
        return new

    def _check_values(self, values, name):
        if isinstance(values, (str, bytes)):
            raise TypeError(f"{name} must be {len(self.param_names)} real numbers "
                            f"{self.param_names}, got {values!r}")
        v = as_float_array(values, name, shape=(len(self.param_names),))
        check_in_interval(v, name, low=0, labels=list(self.param_names))
        v.flags.writeable = False
        return v

    def variance(self, f, values=None, *, validate: bool = True):
        """Residual variance ``v`` (n,), ``dv/df`` (n,) and ``dv/dparams`` (n, r) at ``f``.

        ``values`` (default: the object's own) are the error parameters. With
        ``validate=False``, ``f`` must be a float64 array and ``values`` a float64 (r,)
        array (for models that evaluate the variance inside a fit and check the result
        themselves).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.errors import Combined
        >>> v, dvf, dvp = Combined(0.25, 0.01).variance(np.array([10.0]))
        >>> v, dvf, dvp
        (array([1.25]), array([0.2]), array([[  1., 100.]]))
        """
        if not validate:
            return self._variance(f, self.values if values is None else values)
        f = as_float_array(f, "f", allow_empty=True)
        p = self.values if values is None else self._check_values(values, "values")
        return self._variance(f, p)

    def _variance(self, f, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        vals = ", ".join(f"{n}={v:g}" for n, v in zip(self.param_names, self.values,
                                                      strict=True))
        return f"{type(self).__name__}({vals}, convention={self.convention!r})"


def _check_reals(values, names):
    """Each error parameter must be a real number (not a string, None, complex, ...)."""
    for n, x in zip(names, values, strict=False):
        if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
            raise TypeError(f"error parameters: {n} must be a real number > 0, got {x!r}")
        if not np.isfinite(x):
            raise ValueError(f"error parameters: {n} must be finite and > 0, got {x!r}")


class Additive(ResidualError):
    r"""Additive error: :math:`v = \sigma^2` (``'variance'``) or :math:`v = a^2` (``'sd'``).

    Parameters
    ----------
    value : float
        The variance :math:`\sigma^2` (``convention='variance'``) or the standard deviation
        ``a`` (``'sd'``), ``> 0``.
    convention : {'variance', 'sd'}
    name : str, optional
        Parameter name (default ``'sig2_add'`` or ``'sd_add'``).

    Examples
    --------
    >>> from fisherstat.models.errors import Additive
    >>> Additive(0.25)
    Additive(sig2_add=0.25, convention='variance')
    >>> Additive(0.5, convention="sd").variance([3.0])[0]
    array([0.25])
    """

    kind = "additive"
    _default_names = {"variance": ("sig2_add",), "sd": ("sd_add",)}

    def __init__(self, value: float, *, convention: str = "variance", name: str | None = None):
        super().__init__([value], convention, name)

    def _variance(self, f, p):
        n = f.shape
        if self.convention == "variance":
            return np.full(n, p[0]), np.zeros(n), np.ones(n + (1,))
        return np.full(n, p[0] ** 2), np.zeros(n), np.full(n + (1,), 2 * p[0])


class Proportional(ResidualError):
    r"""Proportional error: :math:`v = \sigma^2 f^2` (``'variance'``) or :math:`b^2 f^2`.

    Parameters
    ----------
    value : float
        The variance :math:`\sigma^2_{prop}` (PopED) or the coefficient of variation ``b``
        (PFIM, ``convention='sd'``), ``> 0``.
    convention : {'variance', 'sd'}
    name : str, optional
        Parameter name (default ``'sig2_prop'`` or ``'sd_prop'``).

    Examples
    --------
    >>> from fisherstat.models.errors import Proportional
    >>> Proportional(0.01).variance([10.0])
    (array([1.]), array([0.2]), array([[100.]]))
    """

    kind = "proportional"
    _default_names = {"variance": ("sig2_prop",), "sd": ("sd_prop",)}

    def __init__(self, value: float, *, convention: str = "variance", name: str | None = None):
        super().__init__([value], convention, name)

    def _variance(self, f, p):
        f2 = f * f
        if self.convention == "variance":
            return p[0] * f2, 2 * p[0] * f, f2[..., None]
        return p[0] ** 2 * f2, 2 * p[0] ** 2 * f, (2 * p[0] * f2)[..., None]


class Combined(ResidualError):
    r"""Combined additive and proportional error, in PopED's or PFIM's convention.

    Parameters
    ----------
    add, prop : float
        ``convention='variance'`` (PopED): the variances :math:`\sigma^2_{add}`,
        :math:`\sigma^2_{prop}` in :math:`v = \sigma^2_{add} + \sigma^2_{prop} f^2`.
        ``convention='sd'`` (PFIM): the standard-deviation coefficients ``a``, ``b`` in
        :math:`\mathrm{sd} = a + b|f|`, :math:`v = (a + b|f|)^2`.
    convention : {'variance', 'sd'}
    names : sequence of two str, optional
        Default ``('sig2_add', 'sig2_prop')`` or ``('sd_add', 'sd_prop')``.

    Notes
    -----
    Derivatives. PopED: :math:`\partial v/\partial f = 2\sigma^2_{prop} f`,
    :math:`\nabla_\sigma v = (1, f^2)`. PFIM: with :math:`s = a + b|f|`,
    :math:`\partial v/\partial f = 2 s b \operatorname{sign}(f)`,
    :math:`\nabla v = (2s, 2s|f|)`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.models.errors import Combined
    >>> Combined(0.1, 0.2, convention="sd").variance(np.array([2.0]))[0]  # (0.1 + 0.4)^2
    array([0.25])
    """

    kind = "combined"
    _default_names = {"variance": ("sig2_add", "sig2_prop"), "sd": ("sd_add", "sd_prop")}

    def __init__(self, add: float, prop: float, *, convention: str = "variance",
                 names: Sequence[str] | None = None):
        super().__init__([add, prop], convention, names)

    def _variance(self, f, p):
        if self.convention == "variance":
            f2 = f * f
            return p[0] + p[1] * f2, 2 * p[1] * f, np.stack([np.ones_like(f), f2], axis=-1)
        af = np.abs(f)
        s = p[0] + p[1] * af
        return s * s, 2 * s * p[1] * np.sign(f), np.stack([2 * s, 2 * s * af], axis=-1)
