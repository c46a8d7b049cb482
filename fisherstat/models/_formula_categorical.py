r"""patsy's fast path for string columns: hand them over as pandas Categorical.

patsy finds the levels of a string column by visiting every row in Python
(``patsy.categorical.CategoricalSniffer.sniff``, then ``categorical_to_int``: two
``is_categorical_NA`` calls per row, ~2.7 s on 10^6 rows); for a pandas Categorical it takes
``.cat.categories`` and ``.cat.codes`` directly. The levels patsy's sniffer picks for a
column of ``str`` are the sorted set of its values, which are exactly the categories of
``pd.Categorical(column)`` (both sort by code point), so the design matrix, its column names
and its rows are the same -- provided that

* the column is only used as a bare factor (``g``, ``x:g``) or as the first argument of
  patsy's own ``C`` (``C(g)``, ``C(g, Treatment('c'))``, ``C(g, levels=[...])``), never in
  an expression such as ``I(g == 'a')`` or ``g.map(...)``, whose value a Categorical could
  change (:func:`categorical_safe_columns` checks every factor of the parsed formula);
* missing values were refused or dropped before (``design_from_formula`` does), so the
  categories are those of the rows used.

patsy's ``C`` wraps its argument in a box that ``categorical_to_int`` unwraps and then
visits row by row again; :func:`fast_C` returns the Categorical itself with the box's
``contrast`` attribute, which patsy's sniffer reads (``hasattr(data, "contrast")``), and,
for ``levels=[...]`` of strings covering the values, the Categorical recoded to those
levels. Anything else goes to patsy's ``C`` unchanged.
"""

from __future__ import annotations

import io
import tokenize

import numpy as np

__all__ = ["categorical_safe_columns", "fast_C", "with_categorical_columns"]


def _tokens(code: str) -> list:
    """The significant tokens of a Python expression (no NEWLINE/ENDMARKER)."""
    skip = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
            tokenize.DEDENT, tokenize.COMMENT)
    return [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type not in skip]


def _plain_use(toks: list, name: str) -> bool:
    """Whether every use of ``name`` in the factor ``toks`` is the factor itself or the
    first argument of a call ``C(name, ...)`` that spans the whole factor."""
    uses = [i for i, t in enumerate(toks) if t.type == tokenize.NAME and t.string == name]
    if not uses:
        return True
    if len(uses) != 1:
        return False
    if len(toks) == 1:
        return True
    head = [t.string for t in toks[:3]]
    if head != ["C", "(", name] or uses[0] != 2 or toks[3].string not in (",", ")"):
        return False
    depth = 0
    for i, t in enumerate(toks[1:], start=1):  # the bracket opened by C( closes last
        if t.type == tokenize.OP and t.string in "([{":
            depth += 1
        elif t.type == tokenize.OP and t.string in ")]}":
            depth -= 1
            if depth == 0:
                return i == len(toks) - 1
    return False


def categorical_safe_columns(formula: str, names, own_c: bool) -> list:
    """The ``names`` that every factor of ``formula`` uses plainly (see the module
    docstring); none if patsy cannot parse the formula (patsy then reports the error on
    the untouched data). ``own_c``: ``C`` in the formula is patsy's (or :func:`fast_C`),
    not a function of the caller's namespace."""
    import patsy

    try:
        desc = patsy.ModelDesc.from_formula(formula)
        factors = [_tokens(f.code) for term in desc.lhs_termlist + desc.rhs_termlist
                   for f in term.factors]
    except (patsy.PatsyError, tokenize.TokenError, SyntaxError, AttributeError):
        return []
    safe = []
    for name in names:
        if name == "C":
            continue
        ok = all(_plain_use(toks, name) for toks in factors)
        if ok and not own_c:  # a caller's C(...) might treat a Categorical differently
            ok = not any(len(toks) > 1 and any(t.string == name for t in toks)
                         for toks in factors)
        if ok:
            safe.append(name)
    return safe


def _is_str_column(col) -> bool:
    import pandas as pd

    return (not isinstance(col.dtype, pd.CategoricalDtype)
            and pd.api.types.infer_dtype(col, skipna=True) == "string")


def with_categorical_columns(frame, formula: str, used, env):
    """``frame`` (a shallow copy if anything changes) with the string columns that the
    formula uses plainly turned into pandas Categorical; ``used`` are the columns that the
    formula's names refer to, ``env`` the patsy ``EvalEnvironment`` it is evaluated in.
    The user's frame is never modified.

    Examples
    --------
    >>> import pandas as pd, patsy
    >>> from fisherstat.models._formula_categorical import with_categorical_columns
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": ["b", "a", "b"]})
    >>> env = patsy.EvalEnvironment.capture()
    >>> with_categorical_columns(df, "y ~ C(g)", ["y", "g"], env)["g"].cat.categories.tolist()
    ['a', 'b']
    >>> with_categorical_columns(df, "y ~ I(g == 'a')", ["y", "g"], env) is df  # g in I()
    True
    >>> df["g"].dtype == "category"
    False
    """
    import pandas as pd
    import patsy

    names = [c for c in used
             if isinstance(frame[c], pd.Series) and _is_str_column(frame[c])]
    if not names:
        return frame
    ns = env.namespace
    own_c = "C" not in ns or ns["C"] is patsy.builtins.C or ns["C"] is fast_C
    names = categorical_safe_columns(formula, names, own_c)
    if not names:
        return frame
    out = frame.copy(deep=False)
    for c in names:
        out[c] = pd.Categorical(frame[c].to_numpy(dtype=object))
    return out


def fast_C(data, contrast=None, levels=None):
    """patsy's ``C`` (same arguments, same design matrix), without the row-by-row visit
    for a pandas Categorical Series with ``str`` categories.

    Examples
    --------
    >>> import numpy as np, pandas as pd, patsy
    >>> from fisherstat.models._formula_categorical import fast_C
    >>> g = pd.Series(pd.Categorical(["b", "a", "c"]))
    >>> formula = "0 + C(g, levels=['c', 'b', 'a'])"
    >>> fast = patsy.dmatrix(formula, {"g": g, "C": fast_C})
    >>> np.asarray(fast)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    >>> bool((fast == patsy.dmatrix(formula, {"g": g.astype(object)})).all())
    True
    """
    import pandas as pd
    from patsy.builtins import C

    if not (isinstance(data, pd.Series) and isinstance(data.dtype, pd.CategoricalDtype)
            and pd.api.types.infer_dtype(data.cat.categories, skipna=False) == "string"):
        return C(data, contrast, levels)
    if levels is None:
        out = data.copy(deep=False)
    else:
        lv = tuple(levels)
        if not (all(type(v) is str for v in lv) and len(set(lv)) == len(lv)):
            return C(data, contrast, levels)
        codes = data.cat.codes.to_numpy()
        present = data.cat.categories[np.unique(codes[codes >= 0])]
        if not set(present) <= set(lv):  # patsy names the value that matches no level
            return C(data, contrast, levels)
        out = data.cat.set_categories(list(lv))
    object.__setattr__(out, "contrast", contrast)  # read by patsy's CategoricalSniffer
    return out
