"""Every documentation page's ``>>>`` examples run as doctests in the default test run.

The mechanism is configuration (``pyproject.toml``: ``docs`` in ``testpaths`` and
``--doctest-glob='*.rst'``; hooks in ``tests/conftest.py`` keep Sphinx's generated pages out): this
test checks that the README's command ``python -m pytest`` collects exactly the hand-written
pages that have examples, so a new page cannot silently go untested.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLE = re.compile(r"^\s*>>> ", re.MULTILINE)


def _pages_with_examples():
    return sorted(p.name for p in DOCS.glob("*.rst")
                  if EXAMPLE.search(p.read_text(encoding="utf-8")))


@pytest.mark.skipif(not (DOCS / "conf.py").exists(),
                    reason="docs/ is not part of this installation")
def test_default_run_collects_every_page_with_examples_as_a_doctest():
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    collected = sorted(set(re.findall(r"^docs/([\w.]+\.rst)::", out.stdout, re.MULTILINE)))
    assert collected == _pages_with_examples(), out.stdout + out.stderr
    # the page for R and statsmodels users is among them (its tables are doctests)
    assert "r_and_statsmodels.rst" in collected
    assert not any("generated" in line for line in out.stdout.splitlines()
                   if line.startswith("docs/"))
