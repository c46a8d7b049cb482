r"""Optimal experimental design on top of the Fisher information.

=======================================  ==================================================
:class:`Design`, :class:`ExactDesign`    approximate (weights) and exact (runs) designs
:class:`D`, :class:`A`, :class:`E`,      optimality criteria: value, gradient, sensitivity
:class:`c`, :class:`L`, :class:`I`,      function and its bound
:class:`G`, :class:`Ds`
:func:`optimal_design`                   locally optimal designs: ``rex``,
                                         ``multiplicative``, ``fedorov_wynn``; exact
                                         methods for ``E`` and ``c``; refinement on boxes
:func:`check_equivalence`                equivalence theorem on points or a box
:func:`efficiency`                       relative efficiency under a criterion
:func:`exact_design`,                    designs of ``N`` runs: rounding and exchange
:func:`efficient_rounding`
:func:`bayesian_design`,                 pseudo-Bayesian and maximin-efficiency designs
:func:`maximin_design`
:func:`polynomial`, :func:`formula`      regression functions and grids of several factors
:func:`optimal_weights`                  designs over candidates given by information
                                         matrices, with costs
=======================================  ==================================================

See the user guide page :doc:`/design` for the mathematics and references.
"""

from .bayesian import MaximinResult, bayesian_design, maximin_design
from .criteria import A, Criterion, D, Ds, E, G, I, L, as_criterion, c
from .designs import Design, ExactDesign
from .equivalence import EquivalenceResult, check_equivalence, efficiency
from .exact import ExactDesignResult, efficient_rounding, exact_design
from .matrices import InformationCandidates, optimal_weights
from .optimal import DesignResult, optimal_design
from .polynomial import BasisModel, Polynomial, formula, polynomial

__all__ = [
    "Design", "ExactDesign",
    "Criterion", "D", "A", "E", "c", "L", "I", "G", "Ds", "as_criterion",
    "optimal_design", "DesignResult",
    "check_equivalence", "EquivalenceResult", "efficiency",
    "exact_design", "efficient_rounding", "ExactDesignResult",
    "bayesian_design", "maximin_design", "MaximinResult",
    "polynomial", "formula", "Polynomial", "BasisModel",
    "optimal_weights", "InformationCandidates",
]
