r"""The result type of every information computation: :class:`FisherInfo`.

A leaf of the package (it imports no other fisherstat module but the shared validation
and exceptions), so that every layer -- the models included, whose own estimators such as
Louis' observed information return it -- can build one. :mod:`fisherstat.information`
re-exports everything here together with the estimators (:func:`~fisherstat.fisher`,
...); import it from there (or as ``fisherstat.FisherInfo``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import linalg

from ._validation import (
    EPS,
    as_float_array,
    check_choice,
    check_finite_result,
    check_int,
    check_names,
    check_operand,
    check_scalar,
    check_square_matrix,
    readonly,
)
from .exceptions import SingularFisherWarning

METHODS = ("analytic", "monte_carlo", "empirical", "observed", "numeric", "combined")


def default_rank_tol(eigenvalues: np.ndarray) -> float:
    """Default tolerance for the numerical rank: ``max|lambda| * p * eps`` (as ``matrix_rank``)."""
    # p * eps first (exact: eps is a power of 2), so that max|lambda| near 1e308 cannot overflow
    return float(np.max(np.abs(eigenvalues), initial=0.0) * (eigenvalues.size * EPS))


def _equilibrated_pd(matrix: np.ndarray) -> bool:
    """True when ``D^-1 M D^-1`` (``D`` = powers of 2 near ``sqrt M_jj``) is numerically PD."""
    d = np.diag(matrix)
    if not np.all(d > 0):
        return False
    s = np.exp2(np.round(0.5 * np.log2(d)))
    with np.errstate(over="ignore", invalid="ignore"):
        S = (matrix / s[:, None]) / s[None, :]
    if not np.all(np.isfinite(S)):  # |M_ij| >> sqrt(M_ii M_jj): far from PD
        return False
    ws = np.linalg.eigvalsh(0.5 * (S + S.T))
    return bool(ws[0] > default_rank_tol(ws))


def pinv_psd(matrix: np.ndarray, tol: float | None = None, *, what: str = "information"):
    """Inverse of a symmetric matrix, or its pseudo-inverse of explicit rank when singular.

    Returns ``(inverse, rank)``. Full-rank positive definite matrices are inverted through
    a Cholesky factorisation; otherwise eigenvalues with ``|lambda| <= tol`` are dropped and a
    :class:`SingularFisherWarning` reports the rank.

    With the default ``tol``, a matrix that fails the rule ``max|lambda| p eps`` only because
    its parameters have very different units (e.g. ``diag(1/s2, 1/(2 s2^2))`` at
    ``s2 = 1e-12``) is still inverted through Cholesky when its equilibrated form
    ``D^-1 M D^-1``, ``D = diag(sqrt M_jj)`` (rounded to powers of 2, so exactly), passes
    the same rule: Cholesky is invariant under diagonal scaling, and its inverse then has
    relative error of order ``cond(D^-1 M D^-1) p eps`` (van der Sluis 1969, *Numer. Math.*
    14, 14-23; Higham 2002, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
    sec. 10.1 and 14.3), whereas the pseudo-inverse would drop a well-determined direction.
    """
    p = matrix.shape[0]
    w, V = np.linalg.eigh(matrix)
    equilibrate = tol is None
    tol = default_rank_tol(w) if tol is None else tol
    keep = np.abs(w) > tol
    rank = int(keep.sum())
    if (rank == p and w[0] > 0) or (equilibrate and _equilibrated_pd(matrix)):
        try:
            c = linalg.cho_factor(matrix)
        except linalg.LinAlgError:  # not numerically positive definite after all
            pass
        else:
            inv = linalg.cho_solve(c, np.eye(p))
            return 0.5 * (inv + inv.T), p
    if rank < p:
        warnings.warn(
            f"the {what} matrix is singular: numerical rank {rank} < {p} "
            f"(tolerance {tol:.3g}); using the pseudo-inverse of rank {rank}",
            SingularFisherWarning,
            stacklevel=3,
        )
    inv = (V[:, keep] / w[keep]) @ V[:, keep].T
    return 0.5 * (inv + inv.T), rank


@runtime_checkable
class InformationOperator(Protocol):
    r"""What every Fisher information offers, however it is stored.

    A dense :class:`FisherInfo` is an operator, and so is every structured network Fisher of
    :func:`fisherstat.nn.fisher` (dense, block, diagonal, K-FAC, EKFAC, implicit): a consumer
    that needs only products, solves, traces or log-determinants (natural gradient, design
    criteria, spectrum statistics) accepts any of them.

    **What ``n_obs`` means.** An information is the information of ``n_obs`` observations *in
    total*: ``to_dense() / n_obs`` is the information per observation, and the Cramer-Rao
    bound for ``n`` observations is ``(to_dense() / n_obs)^{-1} / n``
    (:meth:`FisherInfo.covariance`). The information of one observation of an iid model has
    ``n_obs = 1``; a regression model's information at a design of ``k`` rows is their sum,
    with ``n_obs = k``; a network's structured Fisher is the *mean* over its ``N`` inputs (the
    information of one example drawn from them), so it has ``n_obs = 1`` and records
    ``N`` as ``n_inputs``.

    Attributes
    ----------
    param_names : tuple of str
        One name per row.
    n_obs : float
        Number of observations this is the information of.
    n_params : int
        Number of parameters ``p``.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> info = fs.fisher(fs.models.Normal(), [0.0, 4.0])
    >>> isinstance(info, fs.InformationOperator)
    True
    >>> info.solve(np.ones(2), damping=0.0)
    array([ 4., 32.])
    """

    param_names: tuple
    n_obs: float

    @property
    def n_params(self) -> int: ...

    def matvec(self, v) -> np.ndarray:
        """``M v`` for ``v`` of shape (p,) or (p, k)."""

    def solve(self, v, damping: float = 0.0) -> np.ndarray:
        """Solve ``(M + damping I) x = v``; the minimum-norm solution when singular."""

    def to_dense(self) -> np.ndarray:
        """The (p, p) matrix."""

    def diagonal(self) -> np.ndarray:
        """``diag M``."""

    def trace(self) -> float:
        """``tr M``."""

    def logdet(self, damping: float = 0.0) -> float:
        """``log det(M + damping I)`` (``-inf`` when singular and undamped)."""

    def eigvalsh(self) -> np.ndarray:
        """All eigenvalues in ascending order."""

    def to_info(self) -> FisherInfo:
        """The dense :class:`FisherInfo` (itself, for a ``FisherInfo``)."""


@dataclass(frozen=True, eq=False)
class FisherInfo:
    """A Fisher information matrix with its parameter names and provenance.

    Parameters
    ----------
    matrix : array_like, shape (p, p)
        Symmetric information matrix (of ``n_obs`` observations).
    param_names : sequence of str
        Parameter names, in the order of the rows.
    n_obs : float, default 1
        How many observations ``matrix`` is the information of, in total (see
        :class:`InformationOperator`): ``matrix / n_obs`` is the information per
        observation, whatever the source (a model, a design, a network, a population).
    method : str
        One of ``'analytic'``, ``'monte_carlo'``, ``'empirical'``, ``'observed'``,
        ``'numeric'``, ``'combined'``.
    stderr : array_like, shape (p, p), optional
        Entrywise Monte Carlo standard errors.
    n_samples : int, optional
        Number of Monte Carlo draws (replicated data sets for regression models).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat import FisherInfo
    >>> info = FisherInfo(np.diag([1.0, 0.5]), ("mu", "sigma2"))
    >>> info.covariance(100)  # Cramer-Rao bound for 100 observations
    array([[0.01, 0.  ],
           [0.  , 0.02]])
    >>> (info + info).n_obs
    2.0
    """

    matrix: np.ndarray
    param_names: tuple
    n_obs: float = 1.0
    method: str = "analytic"
    stderr: np.ndarray | None = None
    n_samples: int | None = None
    _eig: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        m = check_square_matrix(self.matrix, "matrix", rtol=1e-6)
        names = check_names(self.param_names, "param_names")
        if len(names) != m.shape[0]:
            raise ValueError(
                f"param_names must be {m.shape[0]} strings (one per row), got {names!r}"
            )
        check_choice(self.method, "method", METHODS)
        n_obs = check_scalar(self.n_obs, "n_obs", low=0)
        se = self.stderr
        if se is not None:
            se = as_float_array(se, "stderr", shape=m.shape)
            if np.any(se < 0):
                raise ValueError("stderr must be non-negative")
            se = readonly(se)
        n_samples = None if self.n_samples is None else check_int(self.n_samples, "n_samples",
                                                                   low=1)
        object.__setattr__(self, "matrix", readonly(m))
        object.__setattr__(self, "param_names", names)
        object.__setattr__(self, "n_obs", n_obs)
        object.__setattr__(self, "stderr", se)
        object.__setattr__(self, "n_samples", n_samples)
        w, V = np.linalg.eigh(self.matrix)
        object.__setattr__(self, "_eig", (readonly(w), readonly(V)))

    # ------------------------------------------------------------ spectrum
    @property
    def n_params(self) -> int:
        """Number of parameters ``p``."""
        return len(self.param_names)

    def eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of ``matrix``."""
        return self._eig

    # ------------------------------------------ the InformationOperator protocol
    @property
    def shape(self) -> tuple[int, int]:
        """``(p, p)``."""
        return self.matrix.shape

    def per_observation(self) -> FisherInfo:
        """The information of one observation, ``matrix / n_obs`` (with ``n_obs = 1``).

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> X = np.column_stack([np.ones(4), np.arange(4.0)])
        >>> info = fs.fisher(fs.models.LogisticRegression(), [0.0, 1.0], x=X)
        >>> info.n_obs, info.per_observation().n_obs
        (4.0, 1.0)
        >>> np.allclose(info.per_observation().covariance(10), info.covariance(10))
        True
        """
        if self.n_obs == 1.0:
            return self
        return self * (1.0 / self.n_obs)

    def to_dense(self) -> np.ndarray:
        """``matrix`` (read-only)."""
        return self.matrix

    def to_info(self) -> FisherInfo:
        """``self``: a dense information is already a :class:`FisherInfo`."""
        return self

    def _vec(self, v, name="v"):
        return check_operand(v, name, self.n_params, f"one per parameter {self.param_names}")

    def matvec(self, v) -> np.ndarray:
        """``M v`` for ``v`` of shape (p,) or (p, k)."""
        v = self._vec(v)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.matrix @ v
        return check_finite_result(out, "v", "the product M v")

    def solve(self, v, damping: float = 0.0) -> np.ndarray:
        """Solve ``(M + damping I) x = v``; the minimum-norm solution when singular.

        Undamped, this is ``inverse() @ v`` (the pseudo-inverse with its rank warning when
        ``M`` is singular); damped, ``M + damping I`` is positive definite and is solved
        through its eigendecomposition.
        """
        v = self._vec(v)
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            if damping == 0.0:
                out = self.inverse() @ v
            else:
                w, V = self._eig
                d = np.clip(w, 0.0, None) + damping
                out = V @ ((V.T @ v) / (d if v.ndim == 1 else d[:, None]))
        return check_finite_result(out, "v", "the solution of (M + damping I) x = v")

    def diagonal(self) -> np.ndarray:
        """``diag M`` (a copy), shape (p,)."""
        return np.diag(self.matrix).copy()

    def trace(self) -> float:
        """``tr M``."""
        return float(np.trace(self.matrix))

    def logdet(self, damping: float = 0.0) -> float:
        """``log det(M + damping I)``; ``-inf`` when ``M`` is singular and undamped."""
        damping = check_scalar(damping, "damping", low=0, low_open=False)
        if damping == 0.0:
            if self.rank < self.n_params:
                return float("-inf")
            # Cholesky of the equilibrated matrix D^-1 M D^-1 (D = diag(sqrt M_jj)): exact to
            # cond(D^-1 M D^-1) eps even where the smallest eigenvalue of M is not
            d = np.sqrt(np.diag(self.matrix))
            c = linalg.cholesky(self.matrix / np.outer(d, d), lower=True, check_finite=False)
            return float(2.0 * np.sum(np.log(d)) + 2.0 * np.sum(np.log(np.diag(c))))
        w = np.clip(self._eig[0], 0.0, None) + damping
        return float(np.sum(np.log(w)))

    def eigvalsh(self) -> np.ndarray:
        """Eigenvalues in ascending order (read-only)."""
        return self._eig[0]

    @property
    def rank(self) -> int:
        """Numerical rank with tolerance ``max|lambda| * p * eps``.

        A matrix that fails this rule only through the units of its parameters (its
        equilibrated form ``D^-1 M D^-1``, ``D = diag(sqrt M_jj)``, passes it) has full rank,
        as :meth:`inverse` treats it.
        """
        w = self._eig[0]
        r = int(np.sum(np.abs(w) > default_rank_tol(w)))
        if r < self.n_params:
            eq = self.__dict__.get("_equilibrated_pd")
            if eq is None:  # computed once (the matrix is immutable)
                eq = _equilibrated_pd(self.matrix)
                object.__setattr__(self, "_equilibrated_pd", eq)
            if eq:
                return self.n_params
        return r

    @property
    def is_singular(self) -> bool:
        """True when ``rank < p``."""
        return self.rank < self.n_params

    @property
    def condition_number(self) -> float:
        """``lambda_max / lambda_min`` (``inf`` when singular or indefinite)."""
        w = self._eig[0]
        if w[0] > default_rank_tol(w):
            return float(w[-1] / w[0])
        if self.rank < self.n_params:
            return float("inf")
        # full rank only after equilibration: lambda_min = 1 / lambda_max of the Cholesky
        # inverse, accurate to cond(D^-1 M D^-1) eps where the eigenvalue itself is not
        return float(w[-1] * np.linalg.eigvalsh(pinv_psd(self.matrix)[0])[-1])

    # ------------------------------------------------------------- inverse
    def inverse(self, tol: float | None = None) -> np.ndarray:
        """Inverse of ``matrix``; the rank-``r`` pseudo-inverse (with a warning) when singular.

        Parameters
        ----------
        tol : float, optional
            Eigenvalues with ``|lambda| <= tol`` count as zero (default ``max|lambda| p eps``).
        """
        if tol is not None:
            tol = check_scalar(tol, "tol", low=0, low_open=False)
        return pinv_psd(self.matrix, tol)[0]

    def covariance(self, n: float | None = None) -> np.ndarray:
        """Cramer-Rao bound: covariance of an efficient estimator from ``n`` observations.

        ``n`` defaults to ``n_obs`` (the data this information describes), giving
        ``inverse()``; otherwise the bound is ``inverse() * n_obs / n``.
        """
        n = self.n_obs if n is None else check_scalar(n, "n", low=0)
        with np.errstate(over="ignore", invalid="ignore"):
            cov = self.inverse() * (self.n_obs / n)
        return check_finite_result(cov, "n", "inverse() * n_obs / n")

    @property
    def unidentified(self) -> np.ndarray:
        r"""Which parameters have a component in the null space of a singular information.

        Parameter :math:`j` is locally unidentified when :math:`e_j` is not in the range of
        the information, i.e. :math:`\|N^{\mathsf T} e_j\| > 0` for an orthonormal basis
        :math:`N` of its numerical null space (the eigenvectors dropped by :attr:`rank`);
        then no unbiased estimator of :math:`\theta_j` has finite variance (the Cramér-Rao
        bound of :math:`e_j^{\mathsf T}\theta` is infinite; Stoica & Marzetta 2001, *IEEE
        Trans. Signal Process.* 49, 87-90). The row norm :math:`\|N^{\mathsf T} e_j\|`
        does not depend on the choice of basis. A computed eigenvector carries an error
        of about :math:`p\,\epsilon\,\lambda_{max}/\mathrm{gap}` (Davis & Kahan
        1970; the gap is the smallest eigenvalue kept), so components below 100 times
        that (at least :math:`\sqrt\epsilon`) count as zero.

        Returns
        -------
        ndarray of bool, shape (p,)
            All False when the information has full rank.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import FisherInfo
        >>> FisherInfo(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]),
        ...            ["a", "b", "c"]).unidentified  # only a + b is identified
        array([ True,  True, False])
        """
        p = self.n_params
        if self.rank == p:
            return np.zeros(p, dtype=bool)
        w, V = self._eig
        tol = default_rank_tol(w)
        drop = np.abs(w) <= tol
        kept = np.abs(w[~drop])
        scale = np.max(np.abs(w), initial=0.0)
        gap = kept.min() if kept.size else scale
        comp_tol = np.sqrt(EPS) if not gap > 0 else max(
            np.sqrt(EPS), 100.0 * p * EPS * scale / gap)
        return np.linalg.norm(V[:, drop], axis=1) > min(comp_tol, 0.5)

    def standard_errors(self, n: float | None = None) -> np.ndarray:
        """Square roots of the diagonal of :meth:`covariance`; ``inf`` for the parameters
        that a singular information does not identify (:attr:`unidentified`).

        The pseudo-inverse :meth:`covariance` bounds only the identified combinations;
        a parameter with a component in the null space has no finite Cramér-Rao bound,
        so its standard error is reported as ``inf`` (with the
        :class:`~fisherstat.SingularFisherWarning` that gives the rank), never as a
        finite number from the pseudo-inverse.

        Examples
        --------
        >>> import warnings
        >>> import numpy as np
        >>> from fisherstat import FisherInfo
        >>> info = FisherInfo(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]),
        ...                   ["a", "b", "c"])
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     info.standard_errors()
        array([       inf,        inf, 0.70710678])
        """
        se = np.sqrt(np.clip(np.diag(self.covariance(n)), 0.0, None))
        return np.where(self.unidentified, np.inf, se)

    # ----------------------------------------------------- transformations
    def reparametrize(self, jacobian, names: Sequence[str]) -> FisherInfo:
        """Information in new parameters ``eta``: ``I_eta = J^T I_theta J``.

        Parameters
        ----------
        jacobian : array_like, shape (p, q)
            ``J[i, j] = d theta_i / d eta_j`` at the point.
        names : sequence of str
            The ``q`` names of ``eta``.

        Notes
        -----
        Monte Carlo standard errors are not propagated (they would need the covariance of the
        entries); the result has ``stderr=None``.

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> info = fs.fisher(fs.models.Normal(), [0.0, 4.0])
        >>> # eta = (mu, log sigma): d sigma2 / d log sigma = 2 sigma2
        >>> info.reparametrize(np.diag([1.0, 8.0]), ["mu", "log_sigma"]).matrix
        array([[0.25, 0.  ],
               [0.  , 2.  ]])
        """
        J = as_float_array(jacobian, "jacobian", ndim=2)
        if J.shape[0] != self.n_params:
            raise ValueError(f"jacobian must have {self.n_params} rows, got shape {J.shape}")
        names = check_names(names, "names", n=J.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            m = J.T @ self.matrix @ J
        check_finite_result(m, "jacobian", "J^T I J")
        return FisherInfo(m, names, self.n_obs, self.method, None, self.n_samples)

    def _indices(self, names: Sequence[str]) -> np.ndarray:
        if isinstance(names, str):
            names = [names]
        try:
            names = list(names)
        except TypeError:
            raise TypeError(f"names must be a sequence of parameter names, got "
                            f"{type(names).__name__}") from None
        if not names:
            raise ValueError(f"names must name at least one of {self.param_names}")
        idx = []
        for n in names:
            if not isinstance(n, str):
                raise TypeError(f"names must be str (parameter names), got {n!r}")
            if n not in self.param_names:
                raise ValueError(f"names: unknown parameter {n!r}; expected one of "
                                 f"{self.param_names}")
            idx.append(self.param_names.index(n))
        if len(set(idx)) != len(idx):
            raise ValueError(f"names must be distinct, got {list(names)}")
        return np.array(idx, dtype=int)

    def marginal(self, names: Sequence[str]) -> FisherInfo:
        """Efficient information of ``names`` with the other parameters as nuisance.

        The Schur complement ``I_aa - I_ab I_bb^{-1} I_ba``; its inverse is the ``aa`` block of
        the inverse information.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat import FisherInfo
        >>> info = FisherInfo(np.array([[2.0, 1.0], [1.0, 1.0]]), ("a", "b"))
        >>> info.marginal(["a"]).matrix
        array([[1.]])
        """
        a = self._indices(names)
        b = np.setdiff1d(np.arange(self.n_params), a)
        M = self.matrix
        m = M[np.ix_(a, a)]
        if b.size:
            Mbb_inv = pinv_psd(M[np.ix_(b, b)], what="nuisance block of the information")[0]
            m = m - M[np.ix_(a, b)] @ Mbb_inv @ M[np.ix_(b, a)]
        return FisherInfo(m, tuple(self.param_names[i] for i in a), self.n_obs, self.method,
                          None, self.n_samples)

    def kl_quadratic(self, delta) -> np.ndarray | float:
        """Quadratic approximation ``1/2 d^T I d`` of ``KL(p_theta || p_{theta + d})``.

        ``delta`` may be (p,) or (m, p) (one value per row).
        """
        d = as_float_array(delta, "delta", ndim=(1, 2))
        if d.shape[-1] != self.n_params:
            raise ValueError(f"delta must have {self.n_params} columns, got shape {d.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            q = 0.5 * np.einsum("...i,ij,...j->...", d, self.matrix, d)
        check_finite_result(q, "delta", "1/2 d^T I d")
        return float(q) if d.ndim == 1 else q

    # ---------------------------------------------------------- arithmetic
    def __add__(self, other: FisherInfo) -> FisherInfo:
        """Information of independent data adds (matrices, ``n_obs`` and MC variances)."""
        if not isinstance(other, FisherInfo):
            return NotImplemented
        if other.param_names != self.param_names:
            raise ValueError(
                f"cannot add information of parameters {other.param_names} to {self.param_names}"
                f": other must have the same parameters {self.param_names}"
            )
        ses = [s.stderr for s in (self, other)]
        with np.errstate(over="ignore", invalid="ignore"):
            se = None if all(s is None for s in ses) else np.sqrt(
                sum(np.zeros_like(self.matrix) if s is None else s**2 for s in ses))
            total = self.matrix + other.matrix
        check_finite_result(total, "other", "the sum of the information matrices")
        if se is not None:
            check_finite_result(se, "other", "the sum of the Monte Carlo variances")
        method = self.method if self.method == other.method else "combined"
        ns = None if None in (self.n_samples, other.n_samples) else min(self.n_samples,
                                                                       other.n_samples)
        return FisherInfo(total, self.param_names,
                          self.n_obs + other.n_obs, method, se, ns)

    def __mul__(self, c) -> FisherInfo:
        """Information of ``c`` times as many observations (``c > 0``)."""
        c = check_scalar(c, "c", low=0)
        with np.errstate(over="ignore"):
            m, n_obs = self.matrix * c, self.n_obs * c
            se = None if self.stderr is None else self.stderr * c
        check_finite_result(m, "c", "c * matrix")
        check_finite_result(n_obs if se is None else [n_obs, *se.ravel()], "c",
                            "c * n_obs (or c * stderr)")
        return FisherInfo(m, self.param_names, n_obs, self.method, se, self.n_samples)

    __rmul__ = __mul__

    # -------------------------------------------------------------- output
    def to_frame(self):
        """The matrix as a ``pandas.DataFrame`` labelled with the parameter names."""
        import pandas as pd

        return pd.DataFrame(self.matrix, index=self.param_names, columns=self.param_names)

    def summary(self) -> str:
        """A text table: the matrix, Monte Carlo errors, Cramer-Rao standard errors, spectrum.

        Examples
        --------
        >>> import fisherstat as fs
        >>> print(fs.fisher(fs.models.Normal(), [0.0, 2.0]).summary())  # doctest: +ELLIPSIS
        Fisher information (analytic), n_obs = 1
        ...
        """
        names = self.param_names
        width = max(10, *(len(n) for n in names)) + 2
        fmt = lambda v: f"{v:>{width}.6g}"  # noqa: E731
        head = " " * width + "".join(f"{n:>{width}}" for n in names)
        lines = [f"Fisher information ({self.method}), n_obs = {self.n_obs:g}"
                 + (f", {self.n_samples} Monte Carlo samples" if self.n_samples else ""), head]
        for i, n in enumerate(names):
            lines.append(f"{n:>{width}}" + "".join(fmt(v) for v in self.matrix[i]))
        if self.stderr is not None:
            lines += ["Monte Carlo standard errors", head]
            for i, n in enumerate(names):
                lines.append(f"{n:>{width}}" + "".join(fmt(v) for v in self.stderr[i]))
            if np.any(self.stderr == 0):
                lines.append("0: the terms did not vary over the draws (to rounding): exact "
                             "where the term does not depend on the data (e.g. the Hessian "
                             "of a location parameter)")
        w = self._eig[0]
        lines.append(f"rank {self.rank} of {self.n_params}; condition number "
                     f"{self.condition_number:.4g}; eigenvalues "
                     + ", ".join(f"{v:.4g}" for v in w))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SingularFisherWarning)
            se = self.standard_errors()
        lines.append(f"Cramer-Rao standard errors for the n_obs = {self.n_obs:g} observations "
                     "this information describes:")
        lines.append("".join(f"{n:>{width}}" for n in names))
        lines.append("".join(fmt(v) for v in se))
        if np.isinf(se).any():
            lines.append("inf: not identified (a component in the null space of the singular "
                         "information; no finite Cramer-Rao bound): "
                         + ", ".join(n for n, u in zip(names, self.unidentified, strict=True)
                                     if u))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"FisherInfo(p={self.n_params}, method={self.method!r}, n_obs={self.n_obs:g}, "
                f"rank={self.rank}, params={self.param_names})")
