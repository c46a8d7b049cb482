"""Bad input to every public constructor and method of the models (the table's model rows).

The table, its kinds of bad value and the completeness check are in
``tests/test_bad_input_core.py``; this file runs the rows of ``fisherstat.models`` and of the
toy models of ``fisherstat.singular`` (split off to keep each file fast).
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bad_input_core import (
    GENERATED,
    MODEL_KEYS,
    MODELS,
    N_EXAMPLES,
    check_generated,
    check_listed,
)


@pytest.mark.parametrize("key", MODEL_KEYS)
def test_listed_bad_values_are_rejected_naming_the_argument(key):
    check_listed(key)


@pytest.mark.parametrize("key", [k for k in MODEL_KEYS if GENERATED[k]])
@settings(max_examples=N_EXAMPLES)
@given(data=st.data())
def test_generated_bad_values_are_rejected_naming_the_argument(key, data):
    check_generated(key, data)


def _near_overflow_inputs(model, theta, data):
    """Data with one entry at +-1e308, and theta with one entry at 1e308 where it is valid."""
    for v in (1e308, -1e308):
        d = np.array(data, dtype=float, copy=True)
        d.flat[0] = v
        yield f"data={v:g}", theta, d, "data"
    for j in range(theta.size):
        t = theta.copy()
        t[j] = 1e308
        try:
            model.validate(t)
        except ValueError:
            continue
        yield f"theta[{j}]=1e308", t, data, "theta"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_values_near_overflow_give_a_finite_result_or_a_value_error(name):
    """Never a silent inf/NaN (nor a RuntimeWarning): a finite answer or a ValueError naming
    the argument, for loglik, score and hessian at entries of +-1e308."""
    checked = 0
    for model, theta, data, x, _, _ in MODELS[name]:
        for label, t, d, arg in _near_overflow_inputs(model, theta, data):
            for method in ("loglik", "score", "hessian"):
                try:
                    out = getattr(model, method)(t, d, x=x)
                except ValueError as exc:
                    assert re.search(arg, str(exc)), f"{name}.{method} [{label}]: {exc}"
                else:
                    assert np.all(np.isfinite(out)), f"{name}.{method} [{label}]: {out}"
                checked += 1
    assert checked >= 6
