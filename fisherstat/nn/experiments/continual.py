r"""The continual-learning experiment: permuted tasks, the train-in-sequence harness.

The library side (the penalties :class:`~fisherstat.nn.EWC`, :class:`~fisherstat.nn.L2Anchor`
and :func:`~fisherstat.nn.fisher_diagonal`) is :mod:`fisherstat.nn.continual`; this module
builds the benchmark of Kirkpatrick et al. (2017) around it: :class:`Task`,
:func:`make_permuted_tasks` (Goodfellow et al. 2013's permuted inputs),
:func:`continual_learning` (train on the tasks in sequence under each method) and its
:class:`ContinualResult`. Everything is re-exported from :mod:`fisherstat.nn`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..._figures import check_axes
from ..._progress import progress_bar
from ..._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_random_state,
    check_scalar,
    readonly,
)
from .._checks import check_bool
from .._signals import KINDS
from ..continual import EWC, L2Anchor, check_kind, check_theta
from ..mlp import MLP
from ..optim import SGD, Optimizer, train

__all__ = ["Task", "make_permuted_tasks", "ContinualResult", "continual_learning", "METHODS"]

#: Methods of :func:`continual_learning`.
METHODS = ("sgd", "l2", "ewc", "online_ewc")


# ------------------------------------------------------------------ the tasks
#: Largest class label of a Task (labels are stored as integers).
_MAX_LABEL = 2**31 - 1

@dataclass(frozen=True)
class Task:
    """One task of a sequence: training and test data and the input permutation.

    ``X[:, permutation]`` of the base problem's inputs (``permutation[k]`` is the base
    feature shown at input ``k``).

    Examples
    --------
    >>> from fisherstat.nn import make_permuted_tasks
    >>> t = make_permuted_tasks(2, n_train=10, n_test=5, rng=0)[1]
    >>> t.X_train.shape, t.X_test.shape, t.n_classes
    ((10, 48), (5, 48), 10)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    permutation: np.ndarray

    def __post_init__(self):
        arrays = {}
        for which in ("train", "test"):
            X = as_float_array(getattr(self, f"X_{which}"), f"X_{which}", ndim=2)
            y = as_float_array(getattr(self, f"y_{which}"), f"y_{which}", ndim=1)
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"y_{which} and X_{which} must have the same number of rows, "
                                 f"got {y.shape[0]} and {X.shape[0]}")
            bad = (y < 0) | (y != np.round(y)) | (y > _MAX_LABEL)
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"y_{which} must be integer class labels in [0, "
                                 f"{_MAX_LABEL}]; entry {i} is {y[i]!r}")
            arrays[f"X_{which}"], arrays[f"y_{which}"] = X, y
        d = arrays["X_train"].shape[1]
        if arrays["X_test"].shape[1] != d:
            raise ValueError(f"X_test must have the {d} columns of X_train, got "
                             f"{arrays['X_test'].shape[1]}")
        p = as_float_array(self.permutation, "permutation", ndim=1)
        if p.size != d or not np.array_equal(np.sort(p), np.arange(d)):
            raise ValueError(f"permutation must be a permutation of 0..{d - 1} (one entry per "
                             "input)")
        for k in ("X_train", "X_test"):
            object.__setattr__(self, k, readonly(arrays[k]))
        for k in ("y_train", "y_test"):
            object.__setattr__(self, k, _frozen_int(arrays[k]))
        object.__setattr__(self, "permutation", _frozen_int(p))

    @property
    def n_features(self) -> int:
        """Input dimension."""
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes of the base problem (largest label + 1)."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def make_permuted_tasks(n_tasks: int, *, n_train: int = 2000, n_test: int = 1000,
                        n_features: int = 48, n_classes: int = 10, n_latent: int = 8,
                        n_sources: int = 12, separation: float = 3.0, noise: float = 0.05,
                        rng=None) -> tuple[Task, ...]:
    r"""A sequence of permuted-input classification tasks (the "permuted MNIST" protocol).

    **Base problem** (drawn once from ``rng``): ``n_classes`` Gaussian prototypes
    :math:`\mu_c \sim N(0, \tfrac{s^2}{2} I_k)` in a latent space of dimension
    :math:`k` = ``n_latent`` (:math:`s` = ``separation``: two prototypes are
    :math:`s\sqrt k` apart on average); an example of class :math:`c` is
    :math:`z = \mu_c + \varepsilon`, :math:`\varepsilon \sim N(0, I_k)`, seen through a
    fixed random nonlinear map to :math:`m` = ``n_sources`` features and a fixed random
    linear mixing of those into :math:`d` = ``n_features`` inputs,

    .. math::

        x = E^T \tanh(A^T z + b) + \eta, \qquad A_{ij} \sim N(0, 2.25/k),\
        b_j \sim N(0, 1/4),\ E_{jl} \sim N(0, 1/m),\ \eta \sim N(0,
        \text{noise}^2 I_d),

    then standardised with the training set's means and standard deviations. Labels are
    uniform. Like images, the inputs are many (d) but vary along few directions (about
    m): a one-hidden-layer MLP learns the problem to 92-95 % test accuracy (defaults),
    not 100 % (the classes overlap).

    **Tasks**: task 1 is the base problem; task :math:`t > 1` shows the *same* examples
    with the inputs permuted by a fixed random permutation :math:`\pi_t`
    (``X[:, pi_t]``), as in Goodfellow, Mirza, Xiao, Courville & Bengio (2014, "An
    empirical investigation of catastrophic forgetting in gradient-based neural
    networks", ICLR) and Kirkpatrick et al. (2017, Fig. 2). All tasks are equally hard
    for a fresh network, and one network can solve all of them at once (different
    input weights), so forgetting is the learner's, not the tasks'. Because each task's
    inputs fill only an m-dimensional subspace of :math:`R^d`, and the permuted
    subspaces differ, the first layer has room for several tasks (a change of a weight
    row orthogonal to a task's inputs does not change its outputs).

    Parameters
    ----------
    n_tasks : int
        Number of tasks (>= 1).
    n_train, n_test : int
        Examples per task (the same examples in every task, permuted).
    n_features, n_classes, n_latent, n_sources : int
        :math:`d \geq 2`, :math:`C \geq 2`, :math:`k \geq 1`, :math:`m \geq 1`.
    separation : float
        :math:`s > 0`: larger is easier.
    noise : float
        Standard deviation of the input noise (>= 0).
    rng : int or np.random.Generator, optional

    Returns
    -------
    tuple of Task

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import make_permuted_tasks
    >>> tasks = make_permuted_tasks(3, n_train=100, n_test=50, rng=0)
    >>> bool(np.array_equal(tasks[0].permutation, np.arange(48)))
    True
    >>> p = tasks[2].permutation
    >>> bool(np.array_equal(tasks[2].X_train, tasks[0].X_train[:, p]))
    True
    """
    n_tasks = check_int(n_tasks, "n_tasks", low=1)
    n_train = check_int(n_train, "n_train", low=2)
    n_test = check_int(n_test, "n_test", low=1)
    d = check_int(n_features, "n_features", low=2)
    C = check_int(n_classes, "n_classes", low=2)
    k = check_int(n_latent, "n_latent", low=1)
    m = check_int(n_sources, "n_sources", low=1)
    s = check_scalar(separation, "separation", low=0)
    noise = check_scalar(noise, "noise", low=0, low_open=False)
    rng = check_random_state(rng)
    mu = rng.standard_normal((C, k)) * s / np.sqrt(2.0)
    A = rng.standard_normal((k, m)) * 1.5 / np.sqrt(k)
    b = rng.standard_normal(m) * 0.5
    E = rng.standard_normal((m, d)) / np.sqrt(m)

    def draw(n):
        y = rng.integers(0, C, n)
        z = mu[y] + rng.standard_normal((n, k))
        return np.tanh(z @ A + b) @ E + noise * rng.standard_normal((n, d)), y

    X_tr, y_tr = draw(n_train)
    X_te, y_te = draw(n_test)
    mean, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    X_tr, X_te = (X_tr - mean) / sd, (X_te - mean) / sd
    tasks = []
    for t in range(n_tasks):
        p = np.arange(d) if t == 0 else rng.permutation(d)
        tasks.append(Task(readonly(X_tr[:, p]), _frozen_int(y_tr), readonly(X_te[:, p]),
                          _frozen_int(y_te), _frozen_int(p)))
    return tuple(tasks)


def _frozen_int(a):
    a = np.array(a, dtype=np.intp, copy=True)
    a.flags.writeable = False
    return a


# ------------------------------------------------------------------ the experiment
@dataclass(frozen=True)
class ContinualResult:
    r"""Accuracy matrices of a :func:`continual_learning` run.

    Attributes
    ----------
    methods : tuple of str
    accuracy : mapping str -> ndarray (T, T)
        ``accuracy[m][i, j]``: test accuracy on task ``j`` after training on tasks
        ``0..i`` with method ``m`` (row ``i`` = after task ``i``).
    thetas : mapping str -> ndarray (T, n_params)
        The parameters after each task.
    lam : mapping str -> float
        :math:`\lambda` of each penalised method.
    kind : str or None
        Fisher kind of the EWC methods.
    gamma : float
        Decay of online EWC.
    n_steps : int
        Optimizer steps per task.
    batch_size : int or None
        Mini-batch size (None: full batch).
    seconds : mapping str -> float
        Wall time of each method (training and Fisher).

    Notes
    -----
    With :math:`a_{k,j}` the accuracy on task :math:`j` after task :math:`k`
    (counted from 1), Chaudhry et al. (2018, ECCV, section 4.1) define the **average
    accuracy** :math:`A_k = \frac1k\sum_{j=1}^k a_{k,j}` and the **forgetting** of task
    :math:`j` after task :math:`k`, :math:`f^k_j = \max_{l < k} a_{l,j} - a_{k,j}`,
    averaged as :math:`F_k = \frac{1}{k-1}\sum_{j<k} f^k_j`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import ContinualResult
    >>> A = np.array([[0.9, 0.1], [0.5, 0.8]])
    >>> r = ContinualResult(("sgd",), {"sgd": A}, {"sgd": np.zeros((2, 1))}, {}, None,
    ...                     1.0, 10, 5, {"sgd": 0.0})
    >>> r.average_accuracy("sgd"), r.forgetting("sgd")
    (array([0.9 , 0.65]), array([nan, 0.4]))
    """

    methods: tuple
    accuracy: Mapping
    thetas: Mapping
    lam: Mapping
    kind: str | None
    gamma: float
    n_steps: int
    batch_size: int | None
    seconds: Mapping

    def __post_init__(self):
        for name in ("accuracy", "thetas", "lam", "seconds"):
            value = getattr(self, name)
            if name in ("accuracy", "thetas"):
                value = {k: readonly(v) for k, v in value.items()}
            object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def n_tasks(self) -> int:
        """Number of tasks T."""
        return self.accuracy[self.methods[0]].shape[0]

    def _A(self, method):
        check_choice(method, "method", self.methods)
        return self.accuracy[method]

    def first_task(self, method: str) -> np.ndarray:
        """Accuracy on task 1 after each task, (T,)."""
        return self._A(method)[:, 0].copy()

    def average_accuracy(self, method: str) -> np.ndarray:
        r""":math:`A_k` for k = 1..T (Chaudhry et al. 2018), (T,)."""
        A = self._A(method)
        T = A.shape[0]
        return np.array([A[k, : k + 1].mean() for k in range(T)])

    def forgetting(self, method: str) -> np.ndarray:
        r""":math:`F_k` for k = 1..T (NaN for k = 1; Chaudhry et al. 2018), (T,)."""
        A = self._A(method)
        T = A.shape[0]
        out = np.full(T, np.nan)
        for k in range(1, T):
            out[k] = np.mean(A[:k, :k].max(axis=0) - A[k, :k])
        return out

    def summary(self) -> str:
        """The accuracy matrix of each method, then one line per method."""
        T = self.n_tasks
        head = "after   " + " ".join(f"{'task ' + str(j + 1):>7}" for j in range(T))
        lines = []
        for m in self.methods:
            lam = f", lam = {self.lam[m]:g}" if m in self.lam else ""
            extra = f", {self.kind} Fisher" if m in ("ewc", "online_ewc") else ""
            extra += f", gamma = {self.gamma:g}" if m == "online_ewc" else ""
            lines += [f"{_LABELS[m]}{lam}{extra}: test accuracy on task j (columns) after "
                      "training on task i (rows)", head]
            A = self.accuracy[m]
            for i in range(T):
                lines.append(f"task {i + 1:<3}" + " ".join(f"{a:>7.3f}" for a in A[i]))
            lines.append("")
        lines.append(f"{'method':<22}{'task 1 first':>13}{'task 1 last':>12}"
                     f"{'avg acc A_T':>12}{'forgetting F_T':>15}{'seconds':>9}")
        for m in self.methods:
            A = self.accuracy[m]
            f = self.forgetting(m)[-1]
            lines.append(f"{_LABELS[m]:<22}{A[0, 0]:>13.3f}{A[-1, 0]:>12.3f}"
                         f"{self.average_accuracy(m)[-1]:>12.3f}"
                         f"{(f if np.isfinite(f) else 0.0):>15.3f}"
                         f"{self.seconds[m]:>9.1f}")
        return "\n".join(lines)

    def plot(self, ax=None, *, average: bool = True):
        """Accuracy on task 1 (solid) and average accuracy (dotted) against tasks seen.

        Returns the matplotlib axes.
        """
        check_axes(ax)
        average = check_bool(average, "average")
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.figure(figsize=(5.5, 3.8)).add_subplot()
        k = np.arange(1, self.n_tasks + 1)
        for m in self.methods:
            (line,) = ax.plot(k, self.first_task(m), "o-", label=f"{_LABELS[m]}: task 1")
            if average:
                ax.plot(k, self.average_accuracy(m), ":", color=line.get_color(),
                        label=f"{_LABELS[m]}: average")
        ax.set_xlabel("tasks trained on")
        ax.set_ylabel("test accuracy")
        ax.set_xticks(k)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7, ncol=2)
        return ax


_LABELS = {"sgd": "SGD", "l2": "L2 anchoring", "ewc": "EWC", "online_ewc": "online EWC"}


def continual_learning(net, tasks, *, methods: Sequence[str] = ("sgd", "l2", "ewc"),
                       kind: str | None = None, lam=None, gamma: float = 1.0,
                       optimizer: Optimizer | None = None, n_steps: int = 1000,
                       batch_size: int | None = 32, theta0=None, n_samples: int = 1,
                       rng=None, progress: bool = False) -> ContinualResult:
    r"""Train ``net`` on ``tasks`` in sequence with each method; the accuracy matrices.

    Every method starts from the same ``theta0`` and, task by task, sees the same
    mini-batches (the same seed), so the comparison is paired: after task 1 (no
    penalty yet) all methods have identical parameters.

    ================  ========================================================================
    method            penalty while training on task :math:`t > 1`
    ================  ========================================================================
    ``'sgd'``         none (plain fine-tuning)
    ``'l2'``          :math:`\sum_{s<t}` :class:`L2Anchor` at :math:`\theta^*_s`, one per task
    ``'ewc'``         :math:`\sum_{s<t}` :class:`EWC` of task :math:`s` (Kirkpatrick et al.)
    ``'online_ewc'``  one :class:`EWC`, :meth:`EWC.consolidate` after each task (Schwarz
                      et al. 2018; :math:`\gamma = 1`: Huszár 2018)
    ================  ========================================================================

    Parameters
    ----------
    net : MLP
        A classifier (softmax or sigmoid output).
    tasks : sequence of Task
        E.g. :func:`make_permuted_tasks`.
    methods : sequence of str
        From :data:`METHODS`.
    kind : {'exact', 'monte_carlo', 'empirical'}
        The Fisher of the EWC methods; required when one is run.
    lam : float or mapping
        :math:`\lambda` of the penalised methods (one value for all, or a mapping
        method -> value); required when one is run. EWC and L2 need different values
        (the Fisher diagonal is not 1).
    gamma : float in [0, 1], default 1
        Online EWC decay.
    optimizer : Optimizer, optional
        Default ``SGD(lr=0.05)`` (plain SGD, as the name of the baseline says).
    n_steps : int, default 1000
        Optimizer steps per task.
    batch_size : int or None, default 32
        ``None``: full batch.
    theta0 : array_like, optional
        Initial parameters; default ``net.init(rng)``.
    n_samples : int, default 1
        Labels per input for ``kind='monte_carlo'``.
    rng : int or np.random.Generator, optional
    progress : bool, default False
        Show the tasks trained (method x task) on stderr (tqdm if installed, plain text
        otherwise); the result is the same as without.

    Returns
    -------
    ContinualResult

    Examples
    --------
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn import continual_learning, make_permuted_tasks
    >>> tasks = make_permuted_tasks(2, n_train=300, n_test=300, n_features=8, rng=0)
    >>> net = MLP([8, 16, 10], "tanh", "softmax")
    >>> r = continual_learning(net, tasks, methods=("sgd", "ewc"), kind="exact",
    ...                        lam=30.0, n_steps=150, rng=0)
    >>> r.accuracy["sgd"].shape, bool((r.accuracy["sgd"][0] == r.accuracy["ewc"][0]).all())
    ((2, 2), True)
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    if net.output == "linear":
        raise ValueError("net must be a classifier (output='softmax' or 'sigmoid'): the "
                         "experiment reports accuracies")
    if isinstance(tasks, Task) or not isinstance(tasks, Sequence):
        raise TypeError("tasks must be a sequence of Task (e.g. make_permuted_tasks(...))")
    tasks = tuple(tasks)
    if not tasks:
        raise ValueError("tasks must hold at least one Task")
    for i, t in enumerate(tasks):
        if not isinstance(t, Task):
            raise TypeError(f"tasks[{i}] must be a Task, got {type(t).__name__}")
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must name at least one of {METHODS}")
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"methods must be drawn from {METHODS}, got {m!r}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods must not repeat, got {methods}")
    uses_ewc = any(m in ("ewc", "online_ewc") for m in methods)
    if uses_ewc:
        check_kind(kind)
    elif kind is not None:
        check_choice(kind, "kind", KINDS)
    penalised = [m for m in methods if m != "sgd"]
    lams = {}
    if penalised:
        if lam is None:
            raise ValueError(f"lam is required for the penalised methods {penalised} "
                             "(a float, or a mapping method -> float)")
        for m in penalised:
            if isinstance(lam, Mapping):
                if m not in lam:
                    raise ValueError(f"lam has no value for method {m!r}")
                lams[m] = check_scalar(lam[m], f"lam[{m!r}]", low=0, low_open=False)
            else:
                lams[m] = check_scalar(lam, "lam", low=0, low_open=False)
    gamma = check_scalar(gamma, "gamma", low=0, high=1, low_open=False, high_open=False)
    optimizer = SGD(lr=0.05) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    n_steps = check_int(n_steps, "n_steps", low=1)
    n_samples = check_int(n_samples, "n_samples", low=1)
    progress = check_bool(progress, "progress")
    rng = check_random_state(rng)
    theta0 = net.init(rng) if theta0 is None else check_theta(net, theta0, "theta0")
    data = []
    for t in tasks:
        y, X = net.check_data(t.y_train, t.X_train)
        yt, Xt = net.check_data(t.y_test, t.X_test)
        data.append((X, y, Xt, yt))
    bs = [None if batch_size is None else check_int(batch_size, "batch_size", low=1,
                                                    high=X.shape[0]) for X, *_ in data]
    # one seed per task for the batches and one for Monte Carlo labels: shared by methods
    seeds = rng.integers(0, 2**63, size=(len(tasks), 2))

    T = len(tasks)
    acc, thetas, seconds = {}, {}, {}
    bar = progress_bar(progress, "continual_learning", len(methods) * T, unit="task")
    for m in methods:
        t0 = time.perf_counter()
        theta = theta0.copy()
        A = np.empty((T, T))
        Th = np.empty((T, net.n_params))
        penalty = None
        for i, (X, y, _, _) in enumerate(data):
            r = train(net, theta, X, y, optimizer, n_steps=n_steps, batch_size=bs[i],
                      rng=np.random.default_rng(seeds[i, 0]), record_every=n_steps,
                      penalty=penalty)
            theta = r.theta
            Th[i] = theta
            for j, (_, _, Xt, yt) in enumerate(data):
                A[i, j] = net._accuracy(theta, Xt, yt)
            if bar is not None:
                bar.update(1, f"{m}, task {i + 1}: accuracy {A[i, i]:.3f}")
            if i == T - 1 or m == "sgd":
                continue
            if m == "l2":
                new = L2Anchor(theta, lams[m])
            else:
                fisher_rng = np.random.default_rng(seeds[i, 1])
                if m == "online_ewc" and penalty is not None:
                    new = penalty.consolidate(net, theta, X, y if kind == "empirical"
                                              else None, gamma=gamma, rng=fisher_rng,
                                              n_samples=n_samples)
                else:
                    new = EWC.from_task(net, theta, X, y if kind == "empirical" else None,
                                        kind=kind, lam=lams[m], rng=fisher_rng,
                                        n_samples=n_samples)
            if m == "online_ewc":
                penalty = new
            else:
                penalty = new if penalty is None else penalty + new
        acc[m], thetas[m] = A, Th
        seconds[m] = time.perf_counter() - t0
    if bar is not None:
        bar.close()
    return ContinualResult(methods, acc, thetas, lams, kind if uses_ewc else None, gamma,
                           n_steps, None if batch_size is None else int(batch_size), seconds)
