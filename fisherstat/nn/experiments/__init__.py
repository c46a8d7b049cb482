"""Experiment harnesses built on the library of :mod:`fisherstat.nn` (one module a family).

=====================================  ==========================================================
module                                 contents
=====================================  ==========================================================
:mod:`.continual`                      :class:`Task`, :func:`make_permuted_tasks`,
                                       :func:`continual_learning`, :class:`ContinualResult`
:mod:`.active_learning`                :func:`compare_strategies`, :class:`LearningCurves`,
                                       :func:`make_redundant_pool`
:mod:`.width_sweep`                    :func:`width_sweep`, :class:`WidthSweep` (Karakida et al.)
:mod:`.plateau`                        :func:`teacher_student`, :func:`escape_run` (the
                                       overlap-singularity plateau)
=====================================  ==========================================================

Library modules never import these; every name is re-exported from :mod:`fisherstat.nn`.
"""

from .active_learning import LearningCurves, compare_strategies, make_redundant_pool
from .continual import METHODS, ContinualResult, Task, continual_learning, make_permuted_tasks
from .plateau import (
    DEFAULT_TEACHER,
    ESCAPE_FACTOR,
    FISHER_FLOOR,
    EscapeRun,
    TeacherStudent,
    escape_iteration,
    escape_run,
    teacher_student,
)
from .width_sweep import WidthSweep, width_sweep

__all__ = [
    "Task", "make_permuted_tasks", "continual_learning", "ContinualResult", "METHODS",
    "compare_strategies", "LearningCurves", "make_redundant_pool",
    "width_sweep", "WidthSweep",
    "teacher_student", "TeacherStudent", "escape_run", "EscapeRun", "escape_iteration",
    "ESCAPE_FACTOR", "DEFAULT_TEACHER", "FISHER_FLOOR",
]
