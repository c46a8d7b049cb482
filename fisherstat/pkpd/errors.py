"""Residual-error models of population designs: :mod:`fisherstat.models.errors`.

The residual-error models are shared with :class:`~fisherstat.models.NonlinearRegression`
and live in :mod:`fisherstat.models.errors`; this module re-exports them under their
``fisherstat.pkpd`` names.
"""

from ..models.errors import CONVENTIONS, Additive, Combined, Proportional, ResidualError

__all__ = ["ResidualError", "Additive", "Proportional", "Combined", "CONVENTIONS"]
