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
=====================  =================================================================
"""

from .fisher import KINDS, STRUCTURES, fisher, per_sample_traces
from .layers import ACTIVATIONS, Activation, Affine
from .mlp import MLP
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
]
