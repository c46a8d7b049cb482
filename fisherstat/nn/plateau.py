"""The teacher-student plateau at the overlap singularity (re-exported).

The experiment lives in :mod:`fisherstat.nn.experiments.plateau`; this module keeps its
names importable from ``fisherstat.nn.plateau``.
"""

from .experiments.plateau import (
    DEFAULT_TEACHER,
    ESCAPE_FACTOR,
    FISHER_FLOOR,
    EscapeRun,
    TeacherStudent,
    escape_iteration,
    escape_run,
    teacher_student,
)

__all__ = ["TeacherStudent", "teacher_student", "EscapeRun", "escape_run", "escape_iteration",
           "ESCAPE_FACTOR", "DEFAULT_TEACHER", "FISHER_FLOOR"]
