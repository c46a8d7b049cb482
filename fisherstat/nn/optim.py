r"""Optimizers for :class:`~fisherstat.nn.MLP` and a small training loop.

Every optimizer has ``step(theta, grad, *, net=None, X=None, y=None, rng=None)`` returning
the new parameters (``net, X, y, rng`` describe the mini-batch; only
:class:`NaturalGradient` uses them) and ``reset()``. :func:`train` runs one of them over
mini-batches and records the loss and accuracy.

**Adam and the diagonal empirical Fisher.** Adam's second moment is an exponential moving
average of squared mini-batch gradients (Kingma & Ba 2015, Algorithm 1). With batches of
one row drawn uniformly (with replacement) at a fixed ``theta``, its bias-corrected value
:math:`\hat v_t` has expectation exactly :math:`\operatorname{diag}` of the empirical
Fisher :math:`\frac1N\sum_n g_n g_n^T`, which is why Adam is often described as a
diagonal (square-root) empirical-Fisher method. With batches of ``B`` rows,
:math:`E[\bar g_B^2] = \bar g^2 + c_B(\operatorname{diag}F_{emp} - \bar g^2)`
(:math:`\bar g` the full-batch gradient, :math:`c_B = 1/B` with replacement,
:math:`(N-B)/(B(N-1))` without, as :func:`train` draws them;
:func:`expected_squared_batch_gradient`): away from a minimum the squared mean gradient
dominates, not the Fisher. And the empirical Fisher itself is not the
Fisher: Kunstner, Balles & Hennig (2019, "Limitations of the empirical Fisher approximation
for natural gradient descent", NeurIPS, Fig. 1) show on linear least squares that the
Fisher (there equal to the Hessian) preconditions the gradient into the exact Newton step,
while the empirical Fisher :math:`\frac1N\sum_n r_n^2 x_n x_n^T` weights each row by its
squared residual and turns the gradient away from the minimum. Both facts are tested in
``tests/test_nn_optim.py``; ``examples/adam_diagonal_fisher.py`` follows the three
diagonals over training.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar
from .._validation import as_float_array, check_choice, check_int, check_random_state, check_scalar
from ._checks import NonFiniteError, check_bool
from .fisher import KINDS, STRUCTURES, fisher
from .mlp import MLP
from .operators import conjugate_gradient

__all__ = ["Optimizer", "SGD", "Adam", "NaturalGradient", "TrainResult", "train",
           "expected_squared_batch_gradient"]


class Optimizer:
    """Base class: ``step`` maps ``(theta, grad)`` to new parameters; ``reset`` clears state.

    Subclass it and define ``step`` (and ``reset`` if it keeps state) to use your own
    rule in :func:`train`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import Optimizer
    >>> class SignSGD(Optimizer):
    ...     def step(self, theta, grad, **batch):
    ...         return theta - 0.1 * np.sign(grad)
    >>> SignSGD().step(np.zeros(2), np.array([3.0, -0.5]))
    array([-0.1,  0.1])
    """

    def reset(self) -> None:
        """Forget the state (momentum, moments, step count)."""
        self.t = 0

    def step(self, theta, grad, *, net=None, X=None, y=None, rng=None) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _check_step(theta, grad):
        """The checked ``(theta, grad)`` of a step: finite 1-D arrays of one shape."""
        theta = as_float_array(theta, "theta", ndim=1)
        grad = as_float_array(grad, "grad", ndim=1)
        if grad.shape != theta.shape:
            raise ValueError(f"grad must have the shape of theta {theta.shape}, got "
                             f"{grad.shape}")
        return theta, grad

    @staticmethod
    def _checked_update(new, *extra):
        """``new`` if it (and ``extra`` state) is finite, else a :class:`StepOverflow`."""
        if not (np.all(np.isfinite(new)) and all(np.all(np.isfinite(e)) for e in extra)):
            raise StepOverflow("theta and grad give a non-finite step (float64 overflow; max "
                               "|grad| too large for the update rule): rescale them")
        return new

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict:
        return {}


class StepOverflow(NonFiniteError):
    """A step whose update overflows (``train`` reports it as divergence)."""


class SGD(Optimizer):
    r"""Stochastic gradient descent with (heavy-ball or Nesterov) momentum.

    :math:`v \leftarrow \mu v + g`, :math:`\theta \leftarrow \theta - \eta v` (Nesterov:
    :math:`\theta \leftarrow \theta - \eta (g + \mu v)`), the convention of
    ``torch.optim.SGD`` (Sutskever, Martens, Dahl & Hinton 2013, eq. 1-2, up to the
    placement of the learning rate).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float in [0, 1)
    nesterov : bool

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import SGD
    >>> opt = SGD(lr=0.1, momentum=0.5)
    >>> theta = opt.step(np.array([1.0]), np.array([2.0]))
    >>> theta, opt.step(theta, np.array([2.0]))
    (array([0.8]), array([0.5]))
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        self.lr = check_scalar(lr, "lr", low=0)
        self.momentum = check_scalar(momentum, "momentum", low=0, high=1, low_open=False)
        self.nesterov = check_bool(nesterov, "nesterov")
        self.reset()

    def _params(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}

    def reset(self):
        super().reset()
        self._v = None

    def step(self, theta, grad, *, net=None, X=None, y=None, rng=None):
        theta, grad = self._check_step(theta, grad)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.momentum == 0:
                new, v = theta - self.lr * grad, None
            else:
                v = grad.copy() if self._v is None else self.momentum * self._v + grad
                d = grad + self.momentum * v if self.nesterov else v
                new = theta - self.lr * d
        self._checked_update(new, *(() if v is None else (v,)))
        self.t += 1
        self._v = v
        return new


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015, "Adam: a method for stochastic optimization", Algorithm 1).

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v +
    (1-\beta_2) g^2`, :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} +
    \epsilon)` with :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat v = v/(1-\beta_2^t)`.
    :attr:`second_moment` is :math:`\hat v` (see the module notes on its relation to the
    diagonal empirical Fisher).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import Adam
    >>> opt = Adam(lr=0.1)
    >>> opt.step(np.array([1.0, 1.0]), np.array([3.0, -0.5]))  # first step: lr * sign(g)
    array([0.9, 1.1])
    >>> opt.second_moment
    array([9.  , 0.25])
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.lr = check_scalar(lr, "lr", low=0, low_open=False)
        self.beta1 = check_scalar(beta1, "beta1", low=0, high=1, low_open=False)
        self.beta2 = check_scalar(beta2, "beta2", low=0, high=1, low_open=False)
        self.eps = check_scalar(eps, "eps", low=0, low_open=False)
        self.reset()

    def _params(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def reset(self):
        super().reset()
        self._m = self._v = None

    @property
    def second_moment(self) -> np.ndarray | None:
        r"""Bias-corrected :math:`\hat v_t` (None before the first step)."""
        return None if self._v is None else self._v / (1.0 - self.beta2**self.t)

    @property
    def first_moment(self) -> np.ndarray | None:
        r"""Bias-corrected :math:`\hat m_t` (None before the first step)."""
        return None if self._m is None else self._m / (1.0 - self.beta1**self.t)

    def step(self, theta, grad, *, net=None, X=None, y=None, rng=None):
        theta, grad = self._check_step(theta, grad)
        m0, v0 = ((np.zeros_like(grad), np.zeros_like(grad)) if self._m is None
                  else (self._m, self._v))
        t = self.t + 1
        with np.errstate(over="ignore", invalid="ignore"):
            m = self.beta1 * m0 + (1.0 - self.beta1) * grad
            v = self.beta2 * v0 + (1.0 - self.beta2) * grad * grad
            new = theta - self.lr * (m / (1.0 - self.beta1**t)) / (
                np.sqrt(v / (1.0 - self.beta2**t)) + self.eps)
        self._checked_update(new, m, v)  # g^2 overflows for |g| > 1e154
        self.t, self._m, self._v = t, m, v
        return new


def expected_squared_batch_gradient(grads, batch_size: int, *,
                                    replace: bool = False) -> np.ndarray:
    r"""Expected squared mini-batch gradient :math:`E[\bar g_B \odot \bar g_B]` at fixed theta.

    The target of Adam's bias-corrected second moment :math:`\hat v_t` while the parameters
    stand still: the mean of ``batch_size`` rows of ``grads`` drawn uniformly, squared
    entrywise, in expectation over the draw.

    Parameters
    ----------
    grads : array_like, shape (N, P)
        Per-sample gradients :math:`g_n` (e.g. :meth:`MLP.per_sample_grad`).
    batch_size : int
        Rows per batch, :math:`B` (at most ``N`` unless ``replace``).
    replace : bool, default False
        Rows drawn with replacement; ``False`` is a simple random sample without
        replacement, as every batch of :func:`train` is (a slice of a random permutation).

    Returns
    -------
    ndarray, shape (P,)
        :math:`(1 - c_B)\,\bar g^2 + c_B \operatorname{diag} F_{\mathrm{emp}}`, see Notes.

    Notes
    -----
    With :math:`\bar g = \frac1N\sum_n g_n` and the population variance
    :math:`\sigma^2 = \frac1N\sum_n (g_n - \bar g)^2` (entrywise), the mean of a simple
    random sample of :math:`B` rows without replacement has variance
    :math:`\frac{S^2}{B}(1 - \frac BN)` with :math:`S^2 = \frac{N}{N-1}\sigma^2` (Cochran
    1977, *Sampling Techniques*, 3rd ed., Theorem 2.2), i.e. :math:`c_B \sigma^2` with
    :math:`c_B = \frac{N-B}{B(N-1)}`; with replacement :math:`c_B = 1/B`. Hence

    .. math::

        E[\bar g_B^2] = \bar g^2 + c_B \sigma^2
                      = (1 - c_B)\,\bar g^2 + c_B \operatorname{diag} F_{\mathrm{emp}},
        \qquad \operatorname{diag} F_{\mathrm{emp}} = \tfrac1N \textstyle\sum_n g_n^2 .

    Adam's :math:`\hat v_t = \sum_{s \le t} w_{ts}\, \bar g_{B,s}^2` with weights
    :math:`w_{ts} = (1-\beta_2)\beta_2^{t-s}/(1-\beta_2^t)` summing to one (Kingma & Ba
    2015, Algorithm 1 and Sec. 3), so at fixed parameters :math:`E[\hat v_t]` is this
    vector: the diagonal empirical Fisher scaled by :math:`c_B` only where the squared mean
    gradient is negligible, i.e. near a stationary point (Kunstner, Balles & Hennig 2019,
    Sec. 5). It is computed in the centred (two-pass) form, without the cancellation of
    :math:`\frac1N\sum g_n^2 - \bar g^2`.

    Examples
    --------
    >>> import itertools
    >>> import numpy as np
    >>> from fisherstat.nn import expected_squared_batch_gradient
    >>> G = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0], [2.0, 0.0]])
    >>> enum = np.mean([G[list(b)].mean(axis=0) ** 2               # all 6 batches of 2
    ...                 for b in itertools.combinations(range(4), 2)], axis=0)
    >>> bool(np.allclose(expected_squared_batch_gradient(G, 2), enum))
    True
    >>> expected_squared_batch_gradient(G, 1), np.mean(G**2, axis=0)  # diag F_emp
    (array([3.75  , 1.3125]), array([3.75  , 1.3125]))
    """
    G = as_float_array(grads, "grads", ndim=2)
    N = G.shape[0]
    replace = check_bool(replace, "replace")
    B = check_int(batch_size, "batch_size", low=1, high=None if replace else N)
    c = 1.0 / B if replace else (0.0 if N == 1 else (N - B) / (B * (N - 1.0)))
    with np.errstate(over="ignore", invalid="ignore"):
        gbar = G.mean(axis=0)
        var = np.mean((G - gbar) ** 2, axis=0)
        out = gbar * gbar + c * var
    if not np.all(np.isfinite(out)):
        raise ValueError("grads too large: their squares overflow float64 (entries must "
                         "stay below about 1e154 in absolute value)")
    return out


class NaturalGradient(Optimizer):
    r"""Natural gradient descent :math:`\theta \leftarrow \theta - \eta (F + d I)^{-1} g`.

    The Fisher :math:`F` of the mini-batch comes from :func:`fisherstat.nn.fisher` with the
    chosen ``structure`` and ``kind`` (Amari 1998, "Natural gradient works efficiently in
    learning", Neural Computation 10, eq. 3.2); it is recomputed every ``update_every``
    steps. The solve is the operator's own (Cholesky or Woodbury for ``'dense'``, Kronecker
    eigen-inverses for ``'kfac'``/``'ekfac'``, conjugate gradients for ``'implicit'``), or
    conjugate gradients on ``matvec`` with ``solver='cg'``. An estimated noise variance is
    preconditioned by its own information :math:`C/(2\sigma^4)` (orthogonal to the weights).

    Parameters
    ----------
    structure : str, default 'kfac'
        One of :data:`fisherstat.nn.STRUCTURES`.
    damping : float, default 1e-3
        Tikhonov damping ``d`` (factored, with pi, for ``'kfac'``).
    lr : float, default 1.0
    kind : str, default 'exact'
        One of :data:`fisherstat.nn.KINDS` (``'empirical'`` uses the batch labels).
    n_samples : int, default 1
        Labels per input for ``kind='monte_carlo'``.
    momentum : float in [0, 1), default 0
    solver : {'direct', 'cg'}
    cg_maxiter : int, default 50
        Iterations of conjugate gradients (``solver='cg'`` or ``structure='implicit'``).
    kl_clip : float, optional
        Rescale the step so that its quadratic KL, :math:`\tfrac12\eta^2 \Delta^T F \Delta`,
        is at most ``kl_clip`` (the trust region of Ba, Grosse & Martens 2017, "Distributed
        second-order optimization using Kronecker-factored approximations", ICLR).
    update_every : int, default 1
    pi_damping : bool, default True

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, NaturalGradient
    >>> net = MLP([1, 1], activation="linear")               # linear regression y = w x + b
    >>> X = np.linspace(-1, 3, 20)[:, None]
    >>> y = 2.0 * X[:, 0] - 1.0
    >>> opt = NaturalGradient("dense", damping=0.0)
    >>> theta = np.zeros(2)
    >>> theta = opt.step(theta, net.grad(theta, X, y), net=net, X=X, y=y)
    >>> np.round(theta, 10)        # least squares: F is the Hessian, one step is Newton's
    array([ 2., -1.])
    """

    def __init__(self, structure: str = "kfac", damping: float = 1e-3, lr: float = 1.0, *,
                 kind: str = "exact", n_samples: int = 1, momentum: float = 0.0,
                 solver: str = "direct", cg_maxiter: int = 50, kl_clip: float | None = None,
                 update_every: int = 1, pi_damping: bool = True):
        check_choice(structure, "structure", STRUCTURES)
        check_choice(kind, "kind", KINDS)
        if solver not in ("direct", "cg"):
            raise ValueError(f"solver must be 'direct' or 'cg', got {solver!r}")
        self.structure, self.kind, self.solver = structure, kind, solver
        self.damping = check_scalar(damping, "damping", low=0, low_open=False)
        self.lr = check_scalar(lr, "lr", low=0)
        self.n_samples = check_int(n_samples, "n_samples", low=1)
        self.momentum = check_scalar(momentum, "momentum", low=0, high=1, low_open=False)
        self.cg_maxiter = check_int(cg_maxiter, "cg_maxiter", low=1)
        self.kl_clip = None if kl_clip is None else check_scalar(kl_clip, "kl_clip", low=0)
        self.update_every = check_int(update_every, "update_every", low=1)
        self.pi_damping = check_bool(pi_damping, "pi_damping")
        self.reset()

    def _params(self):
        return {"structure": self.structure, "damping": self.damping, "lr": self.lr,
                "kind": self.kind}

    def reset(self):
        super().reset()
        self._v = None
        #: the curvature operator of the last update
        self.curvature = None
        #: conjugate-gradient iterations of the last step (0 for direct solves)
        self.cg_iterations = 0

    def _solve(self, g):
        op = self.curvature
        if self.structure == "implicit":
            op.maxiter = self.cg_maxiter
            x = op.solve(g, self.damping)
            self.cg_iterations = op.last_iterations
            return x
        if self.solver == "cg":
            x, self.cg_iterations = conjugate_gradient(
                lambda p: op.matvec(p) + self.damping * p, g, 1e-10, self.cg_maxiter)
            return x
        return op.solve(g, self.damping)

    def step(self, theta, grad, *, net=None, X=None, y=None, rng=None):
        if not isinstance(net, MLP) or X is None:
            raise TypeError("NaturalGradient.step needs the batch: net=MLP, X= (and y= for "
                            "kind='empirical')")
        theta, grad = self._check_step(theta, grad)
        theta = net.validate(theta)
        try:
            if self.t % self.update_every == 0 or self.curvature is None:
                self.curvature = fisher(net, theta, X, self.kind, self.structure,
                                        y=y if self.kind == "empirical" else None, rng=rng,
                                        n_samples=self.n_samples, pi_damping=self.pi_damping)
            P = net.n_weights
            d = np.empty_like(grad)
            with np.errstate(over="ignore", invalid="ignore"):
                d[:P] = self._solve(grad[:P])
            self._checked_update(d[:P])
        except NonFiniteError as exc:  # overflow of the curvature or of its solve
            msg = str(exc) if isinstance(exc, StepOverflow) else (
                f"{exc} (in the natural-gradient step; grad and the batch must be finite "
                "within float64)").replace("v and damping", "grad and damping")
            raise StepOverflow(msg) from None
        self.t += 1
        if net.estimate_sigma2:
            s2 = theta[-1]
            d[P] = grad[P] / (0.5 * net.n_outputs / s2**2 + self.damping)
        if self.kl_clip is not None:
            q = self.lr**2 * float(d[:P] @ self.curvature.matvec(d[:P]))
            if q > 2.0 * self.kl_clip:
                d *= np.sqrt(2.0 * self.kl_clip / q)
        if self.momentum > 0:
            self._v = d if self._v is None else self.momentum * self._v + d
            d = self._v
        with np.errstate(over="ignore", invalid="ignore"):
            new = theta - self.lr * d
        return self._checked_update(new)


@dataclass(frozen=True)
class TrainResult:
    """The record of a :func:`train` run.

    Attributes
    ----------
    theta : ndarray
        Final parameters.
    steps : ndarray of int
        Steps at which the full-data loss was recorded (0 = start).
    loss, accuracy : ndarray
        Training loss (mean NLL, plus the penalty) and accuracy (NaN for regression) at
        ``steps``.
    test_loss, test_accuracy : ndarray or None
        The same on ``X_test, y_test`` when given.
    batch_loss : ndarray
        Mini-batch loss before each step.
    reached_target : int or None
        First recorded step with ``loss <= target_loss``.
    seconds : float
        Wall time.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, SGD, train
    >>> net = MLP([1, 1], activation="linear")
    >>> X, y = np.array([[0.0], [1.0]]), np.array([1.0, 3.0])
    >>> r = train(net, [0.0, 0.0], X, y, SGD(lr=0.5), n_steps=200, target_loss=0.919)
    >>> r.reached_target is not None, np.round(r.theta, 2)
    (True, array([1.98, 1.01]))
    """

    theta: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    test_loss: np.ndarray | None
    test_accuracy: np.ndarray | None
    batch_loss: np.ndarray
    reached_target: int | None
    seconds: float

    def summary(self) -> str:
        """One line per recorded step."""
        lines = [f"{'step':>7} {'loss':>12} {'accuracy':>9}"
                 + (f" {'test loss':>12} {'test acc':>9}" if self.test_loss is not None else "")]
        for i, s in enumerate(self.steps):
            line = f"{s:>7d} {self.loss[i]:>12.6g} {self.accuracy[i]:>9.4f}"
            if self.test_loss is not None:
                line += f" {self.test_loss[i]:>12.6g} {self.test_accuracy[i]:>9.4f}"
            lines.append(line)
        return "\n".join(lines)


def _full_loss(net, theta, X, y, penalty):
    with np.errstate(over="ignore", invalid="ignore"):
        loss = float(-np.mean(net._loglik(theta, y, X)))
        if penalty is not None:
            loss += float(penalty(theta)[0])
        acc = np.nan if net.output == "linear" else net._accuracy(theta, X, y)
    return loss, acc


def train(net, theta, X, y, optimizer: Optimizer, *, n_steps: int = 100,
          batch_size: int | None = None, rng=None, X_test=None, y_test=None,
          record_every: int = 1, target_loss: float | None = None,
          penalty: Callable | None = None, callback: Callable | None = None,
          progress: bool = False) -> TrainResult:
    r"""Minimise the mean negative log-likelihood of ``net`` with ``optimizer``.

    Parameters
    ----------
    net : MLP
    theta : array_like
        Starting parameters (copied).
    X, y : array_like
        Training data.
    optimizer : Optimizer
        :class:`SGD`, :class:`Adam`, :class:`NaturalGradient` or your own (it is reset).
    n_steps : int
        Number of optimizer steps.
    batch_size : int, optional
        Rows per step, drawn without replacement within each pass over the data (epoch);
        default: the full batch.
    rng : int or np.random.Generator, optional
        Shuffling (and Monte Carlo labels of a natural gradient).
    X_test, y_test : array_like, optional
        Held-out data, recorded alongside.
    record_every : int
        Record the full-data loss every this many steps (and at the start and the end).
    target_loss : float, optional
        Stop at the first recorded step whose training loss is at most this.
    penalty : callable, optional
        ``penalty(theta) -> (value, gradient)`` added to the loss (e.g. EWC, L2 anchoring).
    callback : callable or object with an ``on_step`` method, optional
        Called after each step; return True to stop. A plain callable is called as
        ``callback(step, theta, batch_loss, grad)`` (``theta`` the new parameters, ``grad``
        the mini-batch gradient, penalty included, that produced them). An object with an
        ``on_step`` method (e.g. :class:`~fisherstat.nn.FisherMonitor`) is called
        as ``callback.on_step(step, theta, batch_loss, grad, X=Xb, y=yb,
        theta_before=...)``: it also sees the mini-batch ``Xb, yb`` of the step and the
        parameters ``theta_before`` at which ``batch_loss`` and ``grad`` were computed.
    progress : bool, default False
        Show the steps on stderr with the mini-batch loss (tqdm if installed, plain text
        otherwise); the result is the same as without.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, SGD, NaturalGradient, train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(float)
    >>> net = MLP([2, 8, 2], output="softmax")
    >>> theta0 = net.init(rng=1)
    >>> ng = train(net, theta0, X, y, NaturalGradient("dense", damping=1e-2), n_steps=30)
    >>> gd = train(net, theta0, X, y, SGD(lr=0.5), n_steps=30)
    >>> bool(ng.loss[-1] < gd.loss[-1])
    True
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    theta = net.validate(theta).copy()
    y, X = net.check_labelled(y, X)
    has_test = X_test is not None or y_test is not None
    if has_test:
        y_test, X_test = net.check_labelled(y_test, X_test, "y_test", "X_test")
    n_steps = check_int(n_steps, "n_steps", low=0)
    N = X.shape[0]
    batch_size = N if batch_size is None else check_int(batch_size, "batch_size", low=1,
                                                         high=N)
    record_every = check_int(record_every, "record_every", low=1)
    if target_loss is not None:
        target_loss = check_scalar(target_loss, "target_loss")
    if penalty is not None:
        if not callable(penalty):
            raise TypeError("penalty must be callable, penalty(theta) -> (value, gradient), "
                            f"got {type(penalty).__name__}")
        n_pen = getattr(penalty, "n_params", net.n_params)
        if n_pen != net.n_params:
            raise ValueError(f"penalty must be for net.n_params = {net.n_params} parameters, "
                             f"got a penalty of {n_pen}")
    rng = check_random_state(rng)
    progress = check_bool(progress, "progress")
    on_step = getattr(callback, "on_step", None)
    if callback is not None and on_step is None and not callable(callback):
        raise TypeError("callback must be callable or have an on_step method, got "
                        f"{type(callback).__name__}")
    optimizer.reset()
    steps, losses, accs, tl, ta, batch_losses = [], [], [], [], [], []
    reached = None
    t0 = time.perf_counter()

    def record(step):
        nonlocal reached
        loss, acc = _full_loss(net, theta, X, y, penalty)
        steps.append(step)
        losses.append(loss)
        accs.append(acc)
        if has_test:
            loss_t, acc_t = _full_loss(net, theta, X_test, y_test, None)
            tl.append(loss_t)
            ta.append(acc_t)
        if target_loss is not None and reached is None and loss <= target_loss:
            reached = step

    record(0)
    if not np.isfinite(losses[0]):
        raise ValueError(f"theta, x and data give a non-finite initial loss {losses[0]} "
                         "(float64 overflow; rescale the inputs or the starting weights)")
    if has_test and not np.isfinite(tl[0]):
        raise ValueError(f"theta, X_test and y_test give a non-finite initial test loss {tl[0]} "
                         "(float64 overflow; rescale the inputs or the starting weights)")
    order, pos = rng.permutation(N), 0
    bar = progress_bar(progress, f"train ({type(optimizer).__name__})", n_steps, unit="step")
    for step in range(1, n_steps + 1):
        if reached is not None:
            break
        if batch_size == N:
            Xb, yb = X, y
        else:
            if pos + batch_size > N:
                order, pos = rng.permutation(N), 0
            idx = order[pos: pos + batch_size]
            pos += batch_size
            Xb, yb = X[idx], y[idx]
        with np.errstate(over="ignore", invalid="ignore"):
            loss, g, cache = net._weight_loss_grad(theta, Xb, yb)
            if net.estimate_sigma2:
                g = np.append(g, -np.mean(net._sigma2_score(theta, cache.f, yb)))
            if penalty is not None:
                pv, pg = penalty(theta)
                loss, g = loss + float(pv), g + pg
            theta_before = theta.copy() if on_step is not None else None
            diverged = not (np.isfinite(loss) and np.all(np.isfinite(g)))
            if not diverged:  # the optimizers reject non-finite gradients as bad input
                try:
                    theta = optimizer.step(theta, g, net=net, X=Xb, y=yb, rng=rng)
                except StepOverflow:
                    diverged = True
        batch_losses.append(float(loss))
        if bar is not None:
            bar.update(1, f"batch loss {float(loss):.6g}")
        if diverged or not np.all(np.isfinite(theta)):
            if bar is not None:
                bar.close("diverged")
            raise FloatingPointError(f"training diverged at step {step} (non-finite loss "
                                     "or parameters): lower the learning rate")
        if on_step is not None:
            stop = bool(on_step(step, theta, float(loss), g, X=Xb, y=yb,
                                theta_before=theta_before))
        else:
            stop = bool(callback(step, theta, float(loss), g)) if callback is not None else False
        if step % record_every == 0 or step == n_steps or stop:
            record(step)
        if stop:
            break
    if bar is not None:
        bar.close()
    arr = np.asarray
    return TrainResult(theta, arr(steps), arr(losses), arr(accs),
                       arr(tl) if has_test else None, arr(ta) if has_test else None,
                       arr(batch_losses), reached, time.perf_counter() - t0)
