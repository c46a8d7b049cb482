r"""Formulas and DataFrames: the design matrix of a regression model from an R-style formula.

One mechanism for every regression model whose covariates are the columns of a design
matrix (:class:`~fisherstat.models.LinearRegression`, ``LogisticRegression``,
``ProbitRegression``, ``PoissonRegression``): :func:`design_from_formula` turns
``"y ~ a + C(g)"`` and a pandas DataFrame (or any mapping of columns) into the response
``y``, the design matrix ``x`` and the coefficient names, and the models'
``from_formula`` classmethod builds the model with ``k`` and ``param_names`` taken from the
design-matrix columns.

The formula language is **patsy**'s (Smith et al., https://patsy.readthedocs.io), the one
statsmodels 0.14 uses and still supports in 0.15 (where formulaic became the default). patsy
is a dependency of every statsmodels version fisherstat supports, so the formula route adds
no dependency; its column names (``Intercept``, ``C(g)[T.b]``, ``np.log(age)``) are the ones
statsmodels prints, and for numeric terms and treatment-coded categoricals formulaic builds
the same columns under the same names. patsy and pandas are imported only here, only when a
formula is used: NumPy users import neither. String columns reach patsy as pandas
Categorical (its fast path; the same design matrix: see
:mod:`fisherstat.models._formula_categorical`).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_int, readonly
from ._formula_categorical import fast_C, with_categorical_columns

__all__ = ["FormulaData", "design_from_formula"]

_MISSING = ("raise", "drop")
_NAME_ERROR = re.compile(r"name '([^']+)' is not defined")


@dataclass(frozen=True)
class FormulaData:
    """Response, design matrix and names built from a formula (read-only arrays).

    Attributes
    ----------
    formula : str
        The formula, as given.
    y : ndarray, shape (n,)
        The response (the left-hand side).
    x : ndarray, shape (n, k)
        The design matrix (the right-hand side), statsmodels' ``exog``; shape (n,) for the
        single covariate of :meth:`NonlinearRegression.from_formula
        <fisherstat.models.NonlinearRegression.from_formula>`.
    param_names : tuple of str
        The names of the ``k`` columns of ``x`` (``"Intercept"``, ``"age"``,
        ``"C(g)[T.b]"``, ...).
    n_dropped : int
        The number of rows dropped for missing values (0 unless ``missing="drop"``).
    index : pandas.Index, length n
        The row labels of ``data`` that were used: the DataFrame's own index object (a
        ``DatetimeIndex`` stays one), or positions (a ``RangeIndex``) for a mapping.
        :func:`fisherstat.fit` keeps it as ``FitResult.row_labels``.
    """

    formula: str
    y: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    param_names: tuple[str, ...]
    n_dropped: int = 0
    index: np.ndarray = field(default=None, repr=False)

    @property
    def n_obs(self) -> int:
        """The number of observations (rows) used."""
        return int(self.x.shape[0])

    @property
    def k(self) -> int:
        """The number of columns of the design matrix."""
        return 1 if self.x.ndim == 1 else int(self.x.shape[1])

    def summary(self) -> str:
        """Formula, numbers of rows used and dropped, and the design-matrix columns."""
        return (f"FormulaData: {self.formula}\n"
                f"  observations used: {self.n_obs}, dropped for missing values: "
                f"{self.n_dropped}\n"
                f"  design matrix columns (k = {self.k}): {', '.join(self.param_names)}")


def _variables(formula: str, columns) -> list:
    """The columns of the data that the formula's names refer to, in order of appearance."""
    names = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(formula).readline):
            if tok.type == tokenize.NAME and tok.string in columns and tok.string not in names:
                names.append(tok.string)
    except (tokenize.TokenError, SyntaxError):  # unbalanced brackets: patsy reports them
        pass
    return names


def check_formula(formula) -> tuple[str, str]:
    """The response and right-hand side of ``"y ~ ..."``; ``TypeError`` / ``ValueError``
    (naming ``formula``) for a non-str or a formula without a response."""
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a str such as 'y ~ x1 + x2', got "
                        f"{type(formula).__name__}")
    lhs, tilde, rhs = formula.partition("~")
    if not tilde or not lhs.strip():
        raise ValueError(f"formula must have a response: 'y ~ ...', got {formula!r}")
    return lhs, rhs


def design_from_formula(formula: str, data, *, missing: str = "raise",
                        eval_env: int = 0) -> FormulaData:
    """Response, design matrix and column names of a formula evaluated on ``data``.

    Parameters
    ----------
    formula : str
        An R-style formula in patsy's language, ``"y ~ x1 + x2"`` (an intercept is added
        unless the formula says ``- 1`` or ``+ 0``; ``C(g)`` makes a treatment-coded
        categorical; ``np.log(x)`` and ``I(x**2)`` transform).
    data : pandas.DataFrame or mapping of str to array
        The variables. String, boolean and pandas categorical columns are categorical.
    missing : {"raise", "drop"}, default "raise"
        Rows with a missing value (NaN, None) in a variable of the formula raise
        ``ValueError`` naming the column(s), unless ``"drop"``: then those rows are dropped
        and counted in :attr:`FormulaData.n_dropped`.
    eval_env : int, default 0
        Where the formula's functions are looked up: 0 is the namespace of the caller of
        this function (or of the model's ``from_formula``), 1 its caller, and so on; ``np``
        is always numpy.

    Returns
    -------
    FormulaData

    Raises
    ------
    ValueError
        A name in the formula that is neither a column of ``data`` nor defined in the
        calling namespace (the message names it); missing values with ``missing="raise"``;
        a response that is not one numeric column; any other error of the formula.

    Examples
    --------
    >>> import pandas as pd
    >>> from fisherstat.models.formula import design_from_formula
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "g": ["a", "b", "a", "b"],
    ...                    "t": [0.0, 1.0, 2.0, 3.0]})
    >>> d = design_from_formula("y ~ t + C(g)", df)
    >>> d.param_names
    ('Intercept', 'C(g)[T.b]', 't')
    >>> d.x
    array([[1., 0., 0.],
           [1., 1., 1.],
           [1., 0., 2.],
           [1., 1., 3.]])
    """
    import pandas as pd
    import patsy

    check_formula(formula)
    missing = check_choice(missing, "missing", _MISSING)
    eval_env = check_int(eval_env, "eval_env", low=0)
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        try:
            frame = pd.DataFrame(dict(data))
        except (TypeError, ValueError) as exc:
            raise TypeError("data must be a pandas DataFrame or a mapping of column names to "
                            f"equal-length arrays, got {type(data).__name__}: {exc}") from None

    used = _variables(formula, frame.columns)
    n_dropped = 0
    if used:
        na = frame[used].isna()
        bad = na.any(axis=1).to_numpy()
        if bad.any():
            if missing == "raise":
                counts = na.sum()
                which = ", ".join(f"{c!r} ({int(counts[c])} rows)" for c in used if counts[c])
                raise ValueError(
                    f"data has missing values (NaN/None) in the formula's column(s) {which}; "
                    "pass missing='drop' to drop those rows (they are counted in n_dropped)"
                )
            n_dropped = int(bad.sum())
            frame = frame.loc[~bad]

    env = patsy.EvalEnvironment.capture(eval_env + 1).with_outer_namespace(
        {"np": np, "C": fast_C})
    # string columns as pandas Categorical: patsy's fast path, the same design matrix
    # (see _formula_categorical); the user's frame is not modified
    patsy_frame = with_categorical_columns(frame, formula, used, env)
    try:
        y, x = patsy.dmatrices(formula, patsy_frame, eval_env=env, NA_action="raise",
                               return_type="dataframe")
    except patsy.PatsyError as exc:
        match = _NAME_ERROR.search(str(exc))
        if match:
            raise ValueError(
                f"formula {formula!r} refers to {match.group(1)!r}, which is not a column of "
                "data: each name must be a column or a function of the calling namespace "
                f"(columns: {', '.join(map(str, frame.columns))})"
            ) from None
        if "missing values" in str(exc):
            raise ValueError(f"formula {formula!r}: a term evaluates to missing values (NaN) "
                             f"on the data: {exc}") from None
        raise ValueError(f"formula {formula!r} must be a valid patsy formula on data: "
                         f"{exc}") from None
    if y.shape[1] != 1:
        raise ValueError(
            f"the response of {formula!r} must be one numeric column, got the {y.shape[1]} "
            f"columns {list(y.columns)} (a categorical or boolean response: code it as 0/1, "
            "e.g. with I(y == 'yes') * 1 or data['y'].astype(float))"
        )
    return FormulaData(
        formula=formula,
        y=readonly(y.to_numpy(dtype=np.float64)[:, 0]),
        x=readonly(x.to_numpy(dtype=np.float64)),
        param_names=tuple(str(c) for c in x.columns),
        n_dropped=n_dropped,
        index=x.index,
    )
