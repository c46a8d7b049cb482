"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence) so that every Monte Carlo
comparison is reproducible: a test either always passes or always fails on a given
checkout. Monte Carlo comparisons use 4 standard errors.
"""

import numpy as np
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fisherstat",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("fisherstat")

#: Number of Monte Carlo standard errors allowed in comparisons with a known value.
N_SE = 4.0

#: float64 unit roundoff (times 2): the spacing of floats at 1.
EPS = float(np.finfo(float).eps)


def sum_atol(abs_sum, depth):
    """Derived absolute tolerance between two float64 evaluations of the same sums of products.

    A sum of products evaluated in any order or blocking, each term passing through at most
    ``depth`` roundings (additions along its path plus its multiplications), is within
    ``gamma_depth * abs_sum`` of the exact value, ``abs_sum`` being the sum of the terms'
    absolute values and ``gamma_k = k eps / (1 - k eps)`` (Higham 2002, *Accuracy and
    Stability of Numerical Algorithms*, Lemma 3.1 and eq. 3.5; eps here is the spacing at
    1, twice the unit roundoff, which covers the constant). Two evaluations by different
    routes (BLAS kernels, loops, blockings) differ by at most twice that. Returns the largest
    entry, for ``assert_allclose(..., atol=)``.
    """
    k = depth + 2
    return float(2.0 * k * EPS / (1.0 - k * EPS) * np.max(np.abs(abs_sum)))


# ------------------------------------------------------------ documentation pages as doctests
# ``pyproject.toml`` puts ``docs`` in ``testpaths`` and collects ``*.rst`` files with
# ``--doctest-glob``, so ``python -m pytest`` (the README's test command) runs every page's
# ``>>>`` examples as one doctest item. These two hooks are global (pytest calls them for every
# collected path and item); they live here, not in a ``docs/conftest.py``, because the tests
# import this module as ``conftest`` and a second top-level ``conftest`` module would shadow
# it. They keep the collection to the hand-written pages: Sphinx's generated API pages repeat
# the docstrings (already doctested from ``fisherstat/`` by ``--doctest-modules``), the
# templates are Jinja, and ``conf.py`` is configuration. A page whose examples import an
# optional dependency (the ``[plot]`` extra's matplotlib, tqdm) is skipped, with the reason,
# when that dependency is not installed.
import importlib.util as _importlib_util  # noqa: E402
import re as _re  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

import pytest as _pytest  # noqa: E402

_DOCS = _Path(__file__).resolve().parent.parent / "docs"
_DOCS_IGNORED = ("conf.py", "_build", "_templates", "api/generated")
#: Optional dependencies: a page that imports one of these is skipped when it is missing.
_OPTIONAL = ("matplotlib", "tqdm", "pandas")
_IMPORT = _re.compile(r"^\s*(?:>>>|\.\.\.)\s+(?:import|from)\s+([A-Za-z_]\w*)", _re.MULTILINE)


def pytest_ignore_collect(collection_path, config):
    path = _Path(collection_path).resolve()
    for part in _DOCS_IGNORED:
        ignored = _DOCS / part
        if path == ignored or ignored in path.parents:
            return True
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = getattr(item, "path", None)
        if path is None or path.suffix != ".rst":
            continue
        used = set(_IMPORT.findall(path.read_text(encoding="utf-8")))
        missing = sorted(m for m in used & set(_OPTIONAL)
                         if _importlib_util.find_spec(m) is None)
        if missing:
            item.add_marker(_pytest.mark.skip(reason=f"{path.name} needs {', '.join(missing)}"))
