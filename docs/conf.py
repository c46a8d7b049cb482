"""Sphinx configuration of the fisherstat documentation.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from datetime import date

# Document the source tree next to this file (also works without installing the package).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import fisherstat  # noqa: E402

project = "fisherstat"
author = "fisherstat developers"
copyright = f"{date.today().year}, {author}"  # noqa: A001
release = fisherstat.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
]

# No network in CI: no intersphinx, no remote images.
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary ---------------------------------------------------------------
autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section documents the types
autoclass_content = "class"

# -- numpydoc ------------------------------------------------------------------------------
# Members are listed by the autosummary templates in docs/_templates/autosummary; numpydoc
# would otherwise add a second (toctree-less) list of them and warn about it.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- plot directive ---------------------------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.4, 3.6), "figure.dpi": 110, "font.size": 10}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fisherstat {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_static_path: list[str] = []
html_show_sourcelink = False
