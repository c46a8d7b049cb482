"""Hand-written neural networks and their Fisher information (no automatic differentiation).

=====================  =================================================================
module                 contents
=====================  =================================================================
:mod:`.layers`         activations and the affine layer (forward next to backward)
:mod:`.outputs`        output distributions: Gaussian, categorical, Bernoulli
:mod:`.mlp`            :class:`MLP`, a :class:`~fisherstat.models.RegressionModel`
:mod:`.fisher`         :func:`fisher` (kinds x structures), :func:`per_sample_traces`
:mod:`.operators`      the operators: dense, diagonal, block, K-FAC, EKFAC, implicit
:mod:`.optim`          :class:`SGD`, :class:`Adam`, :class:`NaturalGradient`, :func:`train`
:mod:`.continual`      :class:`EWC` (and online EWC), :class:`L2Anchor`,
                       :func:`make_permuted_tasks`, :func:`continual_learning`
:mod:`.active`         expected gradient length, uncertainty scores, the active-learning loop
:mod:`.monitor`        :class:`FisherMonitor`: running mini-batch Fisher statistics
:mod:`.spectrum`       Karakida et al.'s spectrum statistics of wide random networks:
                       order parameters, theory vs measurement, NTK eigenvalues
:mod:`.plateau`        the teacher-student plateau at the overlap singularity:
                       :func:`teacher_student`, :func:`escape_run`
=====================  =================================================================
"""

from .active import (
    STRATEGIES,
    ActiveLearningResult,
    LearningCurves,
    active_learning,
    compare_strategies,
    entropy_scores,
    expected_gradient_length,
    make_redundant_pool,
    query_scores,
)
from .continual import (
    EWC,
    METHODS,
    ContinualResult,
    L2Anchor,
    Penalty,
    PenaltySum,
    QuadraticPenalty,
    Task,
    continual_learning,
    fisher_diagonal,
    make_permuted_tasks,
)
from .fisher import KINDS, STRUCTURES, fisher, per_sample_traces
from .layers import ACTIVATIONS, Activation, Affine
from .mlp import MLP
from .monitor import FisherMonitor, MonitorRecord, exponential_average, running_average
from .operators import (
    BlockDiagonalOperator,
    DenseOperator,
    DiagonalOperator,
    EKFACOperator,
    FisherOperator,
    ImplicitOperator,
    KFACOperator,
)
from .optim import SGD, Adam, NaturalGradient, Optimizer, TrainResult, train
from .plateau import EscapeRun, TeacherStudent, escape_iteration, escape_run, teacher_student
from .spectrum import (
    OrderParameters,
    SpectrumStatistics,
    WidthSweep,
    measured_statistics,
    ntk_eigenvalues,
    order_parameters,
    predicted_statistics,
    width_sweep,
)

__all__ = [
    "MLP",
    "Activation",
    "ACTIVATIONS",
    "Affine",
    "fisher",
    "per_sample_traces",
    "KINDS",
    "STRUCTURES",
    "FisherOperator",
    "DenseOperator",
    "DiagonalOperator",
    "BlockDiagonalOperator",
    "KFACOperator",
    "EKFACOperator",
    "ImplicitOperator",
    "Optimizer",
    "SGD",
    "Adam",
    "NaturalGradient",
    "TrainResult",
    "train",
    # continual learning
    "Penalty",
    "PenaltySum",
    "QuadraticPenalty",
    "EWC",
    "L2Anchor",
    "fisher_diagonal",
    "Task",
    "make_permuted_tasks",
    "METHODS",
    "continual_learning",
    "ContinualResult",
    # active learning
    "expected_gradient_length",
    "entropy_scores",
    "query_scores",
    "STRATEGIES",
    "active_learning",
    "ActiveLearningResult",
    "compare_strategies",
    "LearningCurves",
    "make_redundant_pool",
    # training monitor
    "FisherMonitor",
    "MonitorRecord",
    "exponential_average",
    "running_average",
    # spectra
    "order_parameters",
    "OrderParameters",
    "predicted_statistics",
    "measured_statistics",
    "SpectrumStatistics",
    "ntk_eigenvalues",
    "width_sweep",
    "WidthSweep",
    # plateaus
    "TeacherStudent",
    "teacher_student",
    "EscapeRun",
    "escape_run",
    "escape_iteration",
]
