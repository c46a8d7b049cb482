"""Run every ``>>>`` example of the documentation pages as a doctest.

``pyproject.toml`` puts ``docs`` in ``testpaths`` and collects ``*.rst`` files with
``--doctest-glob``, so ``python -m pytest`` (the README's test command) runs each page's
examples as one doctest item, with the project's ``doctest_optionflags``. This file keeps
the collection to the hand-written pages: Sphinx's generated API pages repeat the
docstrings (already doctested from ``fisherstat/`` by ``--doctest-modules``), the
templates are Jinja, and ``conf.py`` is configuration, not a module with examples.

A page whose examples import an optional dependency (the ``[plot]`` extra's matplotlib,
tqdm, pandas) is skipped, with the reason, when that dependency is not installed.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "api/generated/*", "_templates/*"]

#: Optional dependencies: a page that imports one of these is skipped when it is missing.
OPTIONAL = ("matplotlib", "tqdm", "pandas")

_IMPORT = re.compile(r"^\s*(?:>>>|\.\.\.)\s+(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = getattr(item, "path", None)
        if path is None or path.suffix != ".rst":
            continue
        used = set(_IMPORT.findall(path.read_text(encoding="utf-8")))
        missing = sorted(m for m in used & set(OPTIONAL) if importlib.util.find_spec(m) is None)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"{path.name} needs {', '.join(missing)}"))
