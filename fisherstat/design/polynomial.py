r"""Linear (and generalized-linear) models on several factors: regression functions and grids.

:func:`polynomial` builds the regression functions :math:`f(x)` of a polynomial in ``d``
factors (intercept, main effects, interactions, powers up to a total degree) and
:func:`formula` those of a patsy formula (patsy comes with statsmodels). Either gives a
:class:`Polynomial`, which expands raw factor settings into regressors, makes candidate
grids and turns into a model whose covariates ``x`` are the raw factor settings, so that
designs are printed, refined and plotted in the factors, not in the regressors.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .._validation import as_float_array, check_choice, check_int, check_scalar
from ..models.base import Model, RegressionModel
from ..models.glm import (
    LinearRegression,
    LogisticRegression,
    PoissonRegression,
    ProbitRegression,
)

__all__ = ["Polynomial", "BasisModel", "polynomial", "formula"]

_FAMILIES = {
    "linear": LinearRegression,
    "logistic": LogisticRegression,
    "probit": ProbitRegression,
    "poisson": PoissonRegression,
}


def _factor_names(factors) -> tuple:
    if isinstance(factors, (int, np.integer)) and not isinstance(factors, bool):
        d = check_int(factors, "factors", low=1)
        return ("x",) if d == 1 else tuple(f"x{j}" for j in range(1, d + 1))
    if isinstance(factors, str):
        factors = (factors,)
    if not isinstance(factors, Sequence):
        raise TypeError(f"factors must be an int >= 1 or a sequence of identifier names, got "
                        f"{type(factors).__name__}")
    names = tuple(factors)
    if not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise ValueError(f"factors must be an int >= 1 or a sequence of identifier names, "
                         f"got {factors!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"factors must be distinct, got {names}")
    return names


class Polynomial:
    r"""Regression functions :math:`f(x)` of ``d`` factors (see :func:`polynomial`).

    Attributes
    ----------
    factors : tuple of str
        Names of the factors (columns of the raw settings ``x``).
    terms : tuple of str
        Names of the regression functions (the coefficients of the model).
    bounds : ndarray, shape (d, 2)
        Default region of each factor (for :meth:`grid`).
    """

    def __init__(self, factors, terms, expand_fn, bounds=None, exponents=None):
        self.factors = _factor_names(factors)
        if isinstance(terms, str) or not isinstance(terms, Sequence) \
                or not all(isinstance(t, str) for t in terms):
            raise TypeError(f"terms must be a sequence of names of the regression functions, "
                            f"got {terms!r}")
        self.terms = tuple(terms)
        if expand_fn is not None and not callable(expand_fn):
            raise TypeError(f"expand_fn must be callable: expand_fn(X (n, d)) -> (n, m), got "
                            f"{expand_fn!r}")
        self._expand = expand_fn
        if exponents is not None:
            e = as_float_array(exponents, "exponents", shape=(len(self.terms), None))
            if np.any(e < 0) or np.any(e != np.round(e)):
                raise ValueError("exponents must be non-negative integers, one row per term")
            exponents = np.asarray(exponents)
        self.exponents = exponents
        d = len(self.factors)
        b = (np.tile([-1.0, 1.0], (d, 1)) if bounds is None
             else as_float_array(bounds, "bounds", ndim=(1, 2), finite=False))
        if b.ndim == 1:
            b = b[None, :]
        if b.shape != (d, 2) or np.any(~np.isfinite(b)) or np.any(b[:, 0] >= b[:, 1]):
            raise ValueError(f"bounds must be {d} finite intervals (low, high) with low < high, "
                             f"got {np.array(bounds).tolist()}")
        self.bounds = b

    @property
    def n_terms(self) -> int:
        """Number of regression functions ``m``."""
        return len(self.terms)

    def check_x(self, x) -> np.ndarray:
        """Raw factor settings as (n, d) (a 1-D array is one factor)."""
        X = as_float_array(x, "x", ndim=(1, 2))
        d = len(self.factors)
        if X.ndim == 1:
            if d != 1:
                raise ValueError(f"x must have shape (n, {d}) (factors {list(self.factors)}), "
                                 f"got shape {X.shape}")
            X = X[:, None]
        if X.shape[1] != d:
            raise ValueError(f"x must have {d} columns (factors {list(self.factors)}), got "
                             f"shape {X.shape}")
        return X

    def expand(self, x) -> np.ndarray:
        """Regressors :math:`f(x_i)^T` as rows, shape (n, m).

        Examples
        --------
        >>> from fisherstat.design import polynomial
        >>> polynomial(2, degree=2).expand([[1.0, 2.0]])
        array([[1., 1., 2., 1., 2., 4.]])
        """
        X = self.check_x(x)
        with np.errstate(over="ignore", invalid="ignore"):
            F = np.asarray(self._expand(X), dtype=float)
        if not np.all(np.isfinite(F)):
            i = int(np.flatnonzero(~np.all(np.isfinite(F), axis=1))[0])
            raise ValueError(f"x: the regression functions overflow at row {i} "
                             f"({X[i].tolist()}); the factors must be small enough for the "
                             f"terms {list(self.terms)} to be finite")
        return F

    def grid(self, levels: int | Sequence[int] = 21, bounds=None) -> np.ndarray:
        """Product grid of equally spaced levels in the bounds: (levels^d, d) (or (levels,)).

        Examples
        --------
        >>> from fisherstat.design import polynomial
        >>> polynomial(2).grid(3).shape
        (9, 2)
        """
        d = len(self.factors)
        b = self.bounds if bounds is None else Polynomial(self.factors, (), None, bounds).bounds
        lv = [levels] * d if np.ndim(levels) == 0 else list(levels)
        if len(lv) != d:
            raise ValueError(f"levels must be an int or {d} ints, got {levels!r}")
        axes = [np.linspace(lo, hi, check_int(k, "levels", low=2))
                for (lo, hi), k in zip(b, lv, strict=True)]
        if d == 1:
            return axes[0]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.column_stack([g.ravel() for g in mesh])

    def model(self, family: str = "linear", sigma2: float = 1.0) -> BasisModel:
        """A model of ``y | x`` on the raw factors ``x`` with these regression functions.

        Parameters
        ----------
        family : {'linear', 'logistic', 'probit', 'poisson'}
            The regression family on the linear predictor :math:`f(x)^T\\beta`.
        sigma2 : float
            Error variance of the example parameter of the linear family (default 1, so
            that criterion values are those of the textbooks).

        Examples
        --------
        >>> from fisherstat.design import polynomial
        >>> polynomial(1, degree=2).model().param_names
        ('Intercept', 'x', 'x^2', 'sigma2')

        The coefficients are named after their regression functions, the constant
        ``1`` as ``Intercept`` (as statsmodels and R name it), so that a parameter
        reads ``Intercept = 0.5`` rather than ``1 = 0.5``.
        """
        check_choice(family, "family", tuple(_FAMILIES))
        sigma2 = check_scalar(sigma2, "sigma2", low=0)
        names = tuple("Intercept" if t == "1" else t for t in self.terms)
        inner = _FAMILIES[family](self.n_terms, param_names=names)
        ex = None
        if family == "linear":
            ex = np.append(np.zeros(self.n_terms), sigma2)
        return BasisModel(self, inner, example_theta=ex)

    def __repr__(self) -> str:
        return f"Polynomial(factors={list(self.factors)}, terms={list(self.terms)})"


def polynomial(factors, degree: int = 2, interactions: bool = True,
               bounds=None) -> Polynomial:
    r"""Polynomial regression functions in ``d`` factors up to a total degree.

    Parameters
    ----------
    factors : int or sequence of str
        Number of factors (named ``x`` or ``x1 .. xd``) or their names.
    degree : int
        Largest total degree of a term.
    interactions : bool
        Include products of different factors (else intercept and pure powers only).
    bounds : sequence of (low, high), optional
        Region of each factor (default ``[-1, 1]``), used by :meth:`Polynomial.grid`.

    Returns
    -------
    Polynomial

    Notes
    -----
    The full polynomial of degree :math:`k` in :math:`d` factors has
    :math:`\binom{d + k}{k}` terms (10 for the quadratic in three factors); terms are
    ordered by degree, then lexicographically. For one factor the D-optimal design on
    :math:`[-1, 1]` puts equal weights at :math:`\pm1` and the roots of
    :math:`P'_k` (Guest 1958, *Ann. Math. Statist.* 29, 294-299).

    Examples
    --------
    >>> from fisherstat.design import polynomial
    >>> polynomial(["a", "b"], degree=2).terms
    ('1', 'a', 'b', 'a^2', 'a*b', 'b^2')
    >>> polynomial(3, degree=2, interactions=False).terms
    ('1', 'x1', 'x2', 'x3', 'x1^2', 'x2^2', 'x3^2')
    """
    names = _factor_names(factors)
    degree = check_int(degree, "degree", low=0)
    if not isinstance(interactions, (bool, np.bool_)):
        raise TypeError(f"interactions must be True or False, got {interactions!r}")
    d = len(names)
    exps = []
    for total in range(degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), total):
            e = np.bincount(np.array(combo, dtype=int), minlength=d)
            if not interactions and np.count_nonzero(e) > 1:
                continue
            exps.append(e)
    # within a degree: lexicographic in the exponent vectors, largest first
    exps.sort(key=lambda e: (int(e.sum()), tuple(-e)))
    E = np.array(exps, dtype=int)

    def term(e):
        parts = [n if k == 1 else f"{n}^{k}" for n, k in zip(names, e, strict=True) if k]
        return "*".join(parts) if parts else "1"

    def expand(X):
        out = np.empty((X.shape[0], E.shape[0]))
        for i, e in enumerate(E):
            col = np.ones(X.shape[0])
            for j in np.flatnonzero(e):
                col = col * X[:, j] ** e[j]
            out[:, i] = col
        return out

    return Polynomial(names, [term(e) for e in E], expand, bounds, E)


def formula(spec: str, factors, bounds=None) -> Polynomial:
    """Regression functions from a patsy formula (right-hand side), e.g. ``"x1 + x2 + x1:x2"``.

    Parameters
    ----------
    spec : str
        A patsy right-hand side (an intercept is included unless ``- 1`` or ``0 +``);
        stateless transforms only (``I(x1**2)``, ``np.log(x1)``), since the basis is
        built once from the factor names.
    factors : int or sequence of str
        The factor names used in ``spec``.
    bounds : sequence of (low, high), optional

    Returns
    -------
    Polynomial

    Examples
    --------
    >>> from fisherstat.design import formula
    >>> f = formula("x1 + x2 + x1:x2 + I(x1**2)", ["x1", "x2"])
    >>> f.terms
    ('Intercept', 'x1', 'x2', 'x1:x2', 'I(x1 ** 2)')
    >>> f.expand([[2.0, 3.0]])
    array([[1., 2., 3., 6., 4.]])
    """
    import patsy

    if not isinstance(spec, str):
        raise TypeError(f"spec must be a patsy formula string, got {type(spec).__name__}")
    names = _factor_names(factors)
    dummy = {n: np.array([0.0, 0.5, 1.0]) for n in names}
    try:
        info = patsy.dmatrix(spec, dummy, return_type="matrix").design_info
    except patsy.PatsyError as exc:
        raise ValueError(f"spec: not a valid formula in the factors {list(names)}: "
                         f"{str(exc).splitlines()[0]}") from None

    def expand(X):
        data = {n: X[:, j] for j, n in enumerate(names)}
        return np.asarray(patsy.build_design_matrices([info], data)[0], dtype=float)

    return Polynomial(names, info.column_names, expand, bounds)


class BasisModel(RegressionModel):
    """A regression model whose covariates are raw factor settings mapped by a basis.

    Every hook delegates to the inner model (``LinearRegression``, ``LogisticRegression``,
    ...) after :meth:`check_x` has expanded the factor settings into regressors; so
    ``fisher``, ``sample``, ``fit`` and ``point_factor`` all take raw settings.

    Parameters
    ----------
    basis : Polynomial
    inner : RegressionModel
        A model whose ``x`` are the ``basis.n_terms`` regressors.
    example_theta : array_like, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.design import polynomial
    >>> m = polynomial(1, degree=1).model("logistic")
    >>> m.fisher([0.0, 0.0], x=[-1.0, 1.0])  # p(1-p) = 1/4 at each point
    array([[0.5, 0. ],
           [0. , 0.5]])
    """

    def __init__(self, basis: Polynomial, inner: RegressionModel, example_theta=None):
        if not isinstance(basis, Polynomial):
            raise TypeError(f"basis must be a Polynomial, got {type(basis).__name__}")
        if not isinstance(inner, RegressionModel):
            raise TypeError(f"inner must be a RegressionModel, got {type(inner).__name__}")
        self.basis, self.inner = basis, inner
        Model.__init__(self, inner.param_names,
                       np.column_stack([inner.lower, inner.upper]).tolist())
        if example_theta is not None:
            try:
                example_theta = self.validate(example_theta)
            except ValueError as exc:
                raise ValueError(f"example_theta: {exc}") from None
            except TypeError as exc:
                raise TypeError(f"example_theta: {exc}") from None
        self._example = example_theta

    def __repr__(self) -> str:
        return f"{type(self.inner).__name__}({' + '.join(self.basis.terms)})"

    def _check_x(self, x):
        return self.inner.check_x(self.basis.expand(x))

    def _check_theta(self, theta):
        self.inner._check_theta(theta)

    def _check_data(self, data):
        return self.inner._check_data(data)

    def _example_theta(self):
        return self.inner.example_theta() if self._example is None else self._example

    def _example_x(self):
        return self.basis.grid(5)

    def _loglik(self, theta, data, x):
        return self.inner._loglik(theta, data, x)

    def _score(self, theta, data, x):
        return self.inner._score(theta, data, x)

    def _hessian(self, theta, data, x):
        return self.inner._hessian(theta, data, x)

    def _point_factor(self, theta, x):
        return self.inner._point_factor(theta, x)

    def _sample(self, theta, n, rng, x):
        return self.inner._sample(theta, n, rng, x)

    def _fit(self, data, x, start):
        return self.inner._fit(data, x, start)
