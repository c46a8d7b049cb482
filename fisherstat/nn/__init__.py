"""Hand-written neural networks and their Fisher information (no automatic differentiation).

=====================  =================================================================
module                 contents
=====================  =================================================================
:mod:`.layers`         activations and the affine layer (forward next to backward)
:mod:`.outputs`        output distributions: Gaussian, categorical, Bernoulli
:mod:`.mlp`            :class:`MLP`, a :class:`~fisherstat.models.RegressionModel`
:mod:`.fisher`         :func:`fisher` (kinds x structures), :func:`per_sample_traces`
:mod:`.operators`      the operators: dense, diagonal, block, K-FAC, EKFAC, implicit
:mod:`.optim`          :class:`SGD`, :class:`Adam`, :class:`NaturalGradient`, :func:`train`,
                       :func:`expected_squared_batch_gradient`
:mod:`.continual`      :class:`EWC` (and online EWC), :class:`L2Anchor`,
                       :func:`fisher_diagonal`
:mod:`.active`         expected gradient length, uncertainty scores, the active-learning loop
:mod:`.monitor`        :class:`FisherMonitor`: running mini-batch Fisher statistics
:mod:`.spectrum`       Karakida et al.'s spectrum statistics of wide random networks:
                       measurement (the Gram route), NTK eigenvalues; re-exports
:mod:`.mean_field`     the theory: order parameters, predicted statistics
:mod:`.experiments`    the experiment harnesses, one module a family:
                       :func:`make_permuted_tasks`, :func:`continual_learning`
                       (``.continual``); :func:`compare_strategies`,
                       :func:`make_redundant_pool` (``.active_learning``);
                       :func:`width_sweep` (``.width_sweep``); :func:`teacher_student`,
                       :func:`escape_run` (``.plateau``, also :mod:`.plateau`)
=====================  =================================================================

Private modules shared inside ``nn``: ``_blocks`` (the storages of the operators),
``_signals`` (output signals of the three kinds and their gradient norms), ``_checks``.
The low-level forward/backward API of :class:`MLP` (:meth:`MLP.forward_pass`,
:meth:`MLP.backward_pass`, :meth:`MLP.tangent`, ...) is what every module here uses.
"""

from .active import (
    STRATEGIES,
    ActiveLearningResult,
    active_learning,
    entropy_scores,
    expected_gradient_length,
    query_scores,
)
from .continual import (
    EWC,
    L2Anchor,
    Penalty,
    PenaltySum,
    QuadraticPenalty,
    fisher_diagonal,
)
from .experiments import (
    METHODS,
    ContinualResult,
    EscapeRun,
    LearningCurves,
    Task,
    TeacherStudent,
    WidthSweep,
    compare_strategies,
    continual_learning,
    escape_iteration,
    escape_run,
    make_permuted_tasks,
    make_redundant_pool,
    teacher_student,
    width_sweep,
)
from .fisher import KINDS, STRUCTURES, fisher, per_sample_traces
from .layers import ACTIVATIONS, Activation, Affine
from .mlp import MLP, ForwardPass
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
from .optim import (
    SGD,
    Adam,
    NaturalGradient,
    Optimizer,
    TrainResult,
    expected_squared_batch_gradient,
    train,
)
from .spectrum import (
    OrderParameters,
    SpectrumStatistics,
    measured_statistics,
    ntk_eigenvalues,
    order_parameters,
    predicted_statistics,
)

__all__ = [
    "MLP",
    "ForwardPass",
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
    "expected_squared_batch_gradient",
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
