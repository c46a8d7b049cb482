"""Figures of fisherstat results (optional: needs matplotlib, the ``[plot]`` extra).

matplotlib is imported only when a figure is drawn, so that ``import fisherstat`` never
needs it. The functions return a :class:`matplotlib.figure.Figure`; save it with
``fig.savefig(path)``.

This module is the public face of the figures; they live next to what they draw:
:func:`plot_study` and :func:`plot_convergence` with :class:`~fisherstat.AsymptoticReport`
(``fisherstat/_asymptotics/report.py``), the matplotlib plumbing (:func:`require_matplotlib`,
:func:`check_axes`) in ``fisherstat/_figures.py``.
"""

from __future__ import annotations

from ._asymptotics.report import plot_convergence, plot_study
from ._figures import check_axes, require_matplotlib  # noqa: F401  (public here)

__all__ = ["plot_study", "plot_convergence", "require_matplotlib"]
