"""Formulas and DataFrames (issue 15, point 1): ``from_formula`` on the regression models.

The references are statsmodels' formula models on datasets shipped with statsmodels
(``spector``: Spector & Mazzeo 1980, 32 students; ``cpunish``: 17 US states' executions),
compared at the tolerance the mathematics allows: the same quantity computed two ways.
"""

import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

import fisherstat as fs  # noqa: E402
from fisherstat.models.formula import FormulaData, design_from_formula  # noqa: E402

SPECTOR = "GRADE ~ GPA + TUCE + PSI"
#: The same quantity (the MLE, or the inverse expected information at one point) computed by
#: two Newton/Cholesky codes: spector's information has condition number 5.7e4 (TUCE ~ 20,
#: ``info.summary()``), cpunish's ~1e5, so the rounding error is ~ cond * eps ~ 2e-11
#: relative (measured: 3e-14 for the logit cov_params); 1e-8 leaves over two orders of
#: margin on any BLAS and is still far below any modelling difference.
SAME = 1e-8


@pytest.fixture(scope="module")
def spector():
    return sm.datasets.spector.load_pandas().data


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def test_names_k_and_intercept_are_inferred_from_the_design_columns(spector):
    m, d = fs.models.LogisticRegression.from_formula(SPECTOR, spector)
    assert isinstance(m, fs.models.LogisticRegression) and isinstance(d, FormulaData)
    assert m.k == d.k == 4
    assert m.param_names == d.param_names == ("Intercept", "GPA", "TUCE", "PSI")
    np.testing.assert_array_equal(d.x[:, 0], 1.0)  # the implicit intercept
    np.testing.assert_array_equal(d.x[:, 1:], spector[["GPA", "TUCE", "PSI"]].to_numpy())
    np.testing.assert_array_equal(d.y, spector["GRADE"].to_numpy())
    assert d.n_obs == 32 and d.n_dropped == 0
    assert not d.x.flags.writeable and not d.y.flags.writeable
    m0, d0 = fs.models.LogisticRegression.from_formula("GRADE ~ GPA + TUCE - 1", spector)
    assert m0.param_names == ("GPA", "TUCE") and m0.k == 2
    assert "Intercept, GPA, TUCE, PSI" in d.summary()


def test_linear_regression_names_end_with_sigma2_and_mle_matches_ols(spector):
    m, d = fs.models.LinearRegression.from_formula("GPA ~ TUCE + C(PSI)", spector)
    assert m.param_names == ("Intercept", "C(PSI)[T.1.0]", "TUCE", "sigma2")
    ols = smf.ols("GPA ~ TUCE + C(PSI)", spector).fit()
    theta = m.fit(d.y, x=d.x)
    # the least-squares coefficients, and sigma2 = RSS / n (statsmodels' scale is RSS/(n-k))
    assert _rel(theta[:-1], ols.params.to_numpy()) < SAME
    assert _rel(theta[-1], ols.ssr / ols.nobs) < SAME


def test_categorical_levels_are_named_and_coded_as_in_statsmodels():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"g": np.array(["a", "b", "c"])[rng.integers(0, 3, 60)],
                       "t": rng.normal(size=60)})
    df["y"] = rng.poisson(np.exp(0.3 + 0.5 * df["t"] + (df["g"] == "c")))
    formula = "y ~ C(g) + t"
    m, d = fs.models.PoissonRegression.from_formula(formula, df)
    ref = smf.poisson(formula, df)
    assert m.param_names == ("Intercept", "C(g)[T.b]", "C(g)[T.c]", "t")
    assert list(m.param_names) == list(ref.exog_names)
    np.testing.assert_array_equal(d.x, ref.exog)
    # a string column is categorical without C(), with the same names
    m2, _ = fs.models.PoissonRegression.from_formula("y ~ g + t", df)
    assert m2.param_names == ("Intercept", "g[T.b]", "g[T.c]", "t")


def test_logit_mle_and_inverse_information_equal_statsmodels_on_spector(spector):
    m, d = fs.models.LogisticRegression.from_formula(SPECTOR, spector)
    ref = smf.logit(SPECTOR, spector).fit(disp=0, tol=1e-12)
    assert list(ref.params.index) == list(m.param_names)
    beta = m.fit(d.y, x=d.x)
    assert _rel(beta, ref.params.to_numpy()) < SAME
    # statsmodels' cov_params() is the inverse of the expected (= observed, canonical link)
    # information of the 32 rows at its MLE; fisher() is the mean information per row.
    info = fs.fisher(m, ref.params.to_numpy(), x=d.x)
    assert info.param_names == m.param_names and info.n_obs == 32
    assert _rel(info.covariance(d.n_obs), ref.cov_params().to_numpy()) < SAME
    assert _rel(info.standard_errors(d.n_obs), ref.bse.to_numpy()) < SAME


def test_probit_and_poisson_mles_equal_statsmodels_on_shipped_data(spector):
    m, d = fs.models.ProbitRegression.from_formula(SPECTOR, spector)
    ref = smf.probit(SPECTOR, spector).fit(disp=0, tol=1e-12)
    assert _rel(m.fit(d.y, x=d.x), ref.params.to_numpy()) < SAME
    cp = sm.datasets.cpunish.load_pandas().data
    formula = "EXECUTIONS ~ np.log(INCOME) + PERPOVERTY + SOUTH"
    m, d = fs.models.PoissonRegression.from_formula(formula, cp)
    ref = smf.poisson(formula, cp).fit(disp=0, tol=1e-12)
    assert m.param_names == ("Intercept", "np.log(INCOME)", "PERPOVERTY", "SOUTH")
    beta = m.fit(d.y, x=d.x)
    # log(INCOME) ~ 10 with an intercept: condition number ~1e5, rounding ~1e-11 relative
    assert _rel(beta, ref.params.to_numpy()) < SAME
    info = fs.fisher(m, ref.params.to_numpy(), x=d.x)
    assert _rel(info.covariance(d.n_obs), ref.cov_params().to_numpy()) < SAME


def test_a_missing_column_raises_value_error_naming_it(spector):
    with pytest.raises(ValueError, match=r"'AGE', which is not a column of data.*GPA"):
        fs.models.LogisticRegression.from_formula("GRADE ~ GPA + AGE", spector)
    with pytest.raises(ValueError, match=r"'AGE', which is not a column"):
        fs.models.LogisticRegression.from_formula("AGE ~ GPA", spector)


def test_nan_rows_are_refused_naming_the_columns_unless_dropped_and_counted(spector):
    df = spector.copy()
    df.loc[[2, 5], "TUCE"] = np.nan
    df.loc[5, "GRADE"] = np.nan
    df.loc[7, "GPA"] = np.nan
    with pytest.raises(ValueError, match=r"'GRADE' \(1 rows\).*'TUCE' \(2 rows\).*"
                                         r"missing='drop'") as err:
        fs.models.LogisticRegression.from_formula("GRADE ~ TUCE + PSI", df)
    assert "GPA" not in str(err.value)  # a column the formula does not use is not reported
    m, d = fs.models.LogisticRegression.from_formula(SPECTOR, df, missing="drop")
    assert d.n_dropped == 3 and d.n_obs == 29  # rows 2, 5 (twice) and 7
    assert "dropped for missing values: 3" in d.summary()
    np.testing.assert_array_equal(d.index, np.setdiff1d(np.arange(32), [2, 5, 7]))
    kept = spector.drop(index=[2, 5, 7])
    ref = smf.logit(SPECTOR, kept).fit(disp=0, tol=1e-12)
    assert _rel(m.fit(d.y, x=d.x), ref.params.to_numpy()) < SAME
    with pytest.raises(ValueError, match="missing must be one of"):
        fs.models.LogisticRegression.from_formula(SPECTOR, df, missing="skip")


def test_bad_formulas_and_responses_raise_clear_errors(spector):
    with pytest.raises(TypeError, match="formula must be a str"):
        design_from_formula(["GRADE", "GPA"], spector)
    with pytest.raises(ValueError, match="must have a response"):
        design_from_formula("GPA + TUCE", spector)
    df = spector.assign(passed=np.where(spector["GRADE"] > 0, "yes", "no"))
    with pytest.raises(ValueError, match="must be one numeric column"):
        design_from_formula("passed ~ GPA", df)
    # a mapping of columns works like a DataFrame
    d = design_from_formula("GRADE ~ GPA", {c: spector[c].to_numpy() for c in spector})
    assert d.param_names == ("Intercept", "GPA") and d.n_obs == 32


def test_formula_functions_are_looked_up_in_the_callers_namespace(spector):
    def centred(v):
        return v - v.mean()

    m, d = fs.models.LinearRegression.from_formula("GPA ~ centred(TUCE)", spector)
    assert m.param_names == ("Intercept", "centred(TUCE)", "sigma2")
    assert abs(d.x[:, 1].mean()) < 1e-12  # centred: the mean of 32 values ~20, eps * 20


def test_numpy_users_import_neither_pandas_nor_patsy():
    code = ("import sys, numpy as np, fisherstat as fs; "
            "m = fs.models.LogisticRegression(2); "
            "fs.fisher(m, [0.0, 1.0], x=np.column_stack([np.ones(3), [-1.0, 0.0, 1.0]])); "
            "print(sorted(k for k in ('pandas', 'patsy') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# --- string columns handed to patsy as pandas Categorical (the fast path) -----------------
# Equality, not closeness: the design matrix is 0/1 dummies and copies of the numeric
# columns, so the fast path and patsy's own row-by-row path must agree bit for bit
# (np.array_equal), with the same column names, rows and error messages.

@pytest.fixture(scope="module")
def strframe():
    rng = np.random.default_rng(11)
    n = 240
    levels = np.array(["b", "a", "B", "\u00e9", "10", "9"])  # code-point order matters
    df = pd.DataFrame({
        "y": rng.normal(size=n),
        "x1": rng.normal(size=n),
        "g": rng.choice(np.array(["a", "b", "c", "d"]), n),
        "h": levels[rng.integers(0, levels.size, n)],
        "b": rng.random(n) < 0.4,
        "k": pd.Categorical(rng.choice(np.array(["a", "b", "c", "d"]), n),
                            categories=["c", "a", "d", "b"]),
    })
    df["go"] = df["g"].astype(object)  # object dtype, not pandas' str dtype
    return df


def _same_as_patsy(formula, df, **kw):
    import patsy

    before = df.copy(deep=True)
    d = design_from_formula(formula, df, **kw)
    y_ref, x_ref = patsy.dmatrices(formula, df, return_type="dataframe",
                                   eval_env=patsy.EvalEnvironment.capture(0)
                                   .with_outer_namespace({"np": np}))
    assert np.array_equal(d.x, x_ref.to_numpy(dtype=np.float64)), formula
    assert np.array_equal(d.y, y_ref.to_numpy(dtype=np.float64)[:, 0]), formula
    assert d.param_names == tuple(x_ref.columns), (formula, d.param_names)
    assert d.index.equals(x_ref.index)
    pd.testing.assert_frame_equal(df, before)  # the user's frame is not modified
    for c in df.columns:  # nor its dtypes
        assert df[c].dtype == before[c].dtype
    return d


@pytest.mark.parametrize("formula", [
    "y ~ x1 + C(g)", "y ~ C(g, Treatment('c'))", "y ~ C(g, levels=['d','c','b','a'])",
    "y ~ x1:C(g) + g", "y ~ 0 + g", "y ~ x1 + h + C(h, Sum)", "y ~ go + C(go):x1",
    "y ~ b + C(g)", "y ~ k + C(k):x1", "y ~ C(k, levels=['d', 'b', 'a', 'c'])",
    "y ~ C(k, Treatment('d'))", "y ~ g * h",
    # uses a Categorical would change (map: the levels' order; replace: an error), so
    # these columns stay strings
    "y ~ I(g == 'b') + g", "y ~ C(g.str.upper())",
    "y ~ g + C(g.map(dict(a='z', b='y', c='x', d='w')))", "y ~ C(g.replace('a', 'z'))",
])
def test_string_columns_give_patsys_own_design_matrix(strframe, formula):
    _same_as_patsy(formula, strframe)


def test_string_columns_reach_patsy_as_categorical_without_a_row_by_row_visit(
        strframe, monkeypatch):
    # the point of the fast path: patsy's per-row NA test is not called for the plainly
    # used string and Categorical columns (old code: 2 calls per row and factor)
    import patsy.missing

    calls = []
    orig = patsy.missing.NAAction.is_categorical_NA
    monkeypatch.setattr(patsy.missing.NAAction, "is_categorical_NA",
                        lambda self, v: calls.append(1) or orig(self, v))
    for formula in ("y ~ x1 + C(g)", "y ~ x1:C(g) + g + h", "y ~ C(k) + go",
                    "y ~ C(g, levels=['d','c','b','a'])", "y ~ C(g, Treatment('c'))"):
        design_from_formula(formula, strframe)
    assert not calls
    design_from_formula("y ~ I(g == 'b') + C(g.str.upper())", strframe)
    assert calls  # an expression of a column: patsy's own path


def test_string_column_levels_that_miss_a_value_give_patsys_error(strframe):
    import patsy

    formula = "y ~ C(g, levels=['a', 'b', 'c'])"
    with pytest.raises(patsy.PatsyError) as ref:
        patsy.dmatrices(formula, strframe)
    with pytest.raises(ValueError, match="must be a valid patsy formula") as err:
        design_from_formula(formula, strframe)
    assert str(err.value).endswith(str(ref.value))
    assert "'d' does not match any of the expected levels" in str(err.value)


def test_missing_values_in_a_string_column_are_refused_or_dropped_as_before(strframe):
    df = strframe.copy()
    df["g"] = df["g"].astype(object)
    df.loc[[3, 17], "g"] = None
    df.loc[[5], "g"] = np.nan
    df.loc[[17, 40], "x1"] = np.nan
    with pytest.raises(ValueError, match=r"column\(s\) 'x1' \(2 rows\), 'g' \(3 rows\); "
                                         r"pass missing='drop'"):
        design_from_formula("y ~ x1 + C(g)", df)
    # missing="drop" drops the 4 rows first, then builds the design as patsy does on the
    # remaining rows
    d = design_from_formula("y ~ x1 + C(g)", df, missing="drop")
    kept = df.dropna(subset=["x1", "g"])
    assert d.n_dropped == 4 and d.n_obs == len(kept) == len(df) - 4
    ref = _same_as_patsy("y ~ x1 + C(g)", kept)
    assert np.array_equal(d.x, ref.x) and d.param_names == ref.param_names
    assert d.index.equals(kept.index)
    # a level present only in a dropped row is not a column (as before: rows are dropped
    # before the levels are found)
    df.loc[3, "g"] = "only-in-a-dropped-row"
    df.loc[3, "x1"] = np.nan
    d2 = design_from_formula("y ~ x1 + C(g)", df, missing="drop")
    assert d2.param_names == d.param_names and np.array_equal(d2.x, d.x)


def test_a_callers_own_C_sees_the_string_column_unchanged(strframe):
    seen = []

    def C(data, *args):  # noqa: N802 -- shadows patsy's C, as a user may
        seen.append(data.dtype)
        return data.astype(object)

    d = design_from_formula("y ~ C(g)", strframe)
    assert seen and not isinstance(seen[0], pd.CategoricalDtype)
    assert d.param_names == ("Intercept", "C(g)[T.b]", "C(g)[T.c]", "C(g)[T.d]")
