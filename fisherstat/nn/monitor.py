r"""A training monitor: running statistics of the mini-batch Fisher (Liao et al. 2020).

:class:`FisherMonitor` is a callback for :func:`fisherstat.nn.train`. At every
``every``-th step it takes the mini-batch :math:`\mathcal B` of that step and the
parameters :math:`\theta` at which its gradient was computed, and records, from **one
forward and one backward pass** of the batch (the cost of the gradient itself, no
:math:`B \times P` array):

.. math::

    \operatorname{tr}\hat F_{\mathcal B}
      = \operatorname{tr}\Big(\frac1B\sum_{b\in\mathcal B} g_b g_b^{\mathsf T}\Big)
      = \frac1B\sum_b \|g_b\|^2,
    \qquad \|g_b\|^2 = \sum_l \|\delta^l_b\|^2\,\|\bar a^l_b\|^2,

the trace of the mini-batch empirical Fisher (:math:`g_b` the gradient of row ``b``'s
negative log-likelihood in the weights, :math:`\delta^l_b` its back-propagated signal
and :math:`\bar a^l_b` the augmented input of layer :math:`l`: the gradient of a layer
is the outer product :math:`\delta^l_b \bar a^{l\,\mathsf T}_b`, whose squared Frobenius
norm is the product of the squared norms), and the squared norm of the mean gradient
:math:`\|\bar g\|^2`. They split the trace exactly into signal and noise,

.. math::

    \operatorname{tr}\hat F_{\mathcal B} = \|\bar g\|^2
      + \operatorname{tr}\Big(\frac1B\sum_b (g_b - \bar g)(g_b - \bar g)^{\mathsf T}\Big),

so where the full-data gradient vanishes the trace is pure gradient noise: its
expectation is then :math:`B` times the total variance of the mini-batch gradient for
batches drawn with replacement (:math:`B(N-1)/(N-B)` times, without replacement from
:math:`N` rows, as :func:`~fisherstat.nn.train` draws them). Optionally
(``exact=True``) it also records the trace of the Fisher of the batch,
:math:`\frac1B\sum_b \operatorname{tr}(J_b^{\mathsf T}\Lambda_b J_b)`
(:func:`fisherstat.nn.per_sample_traces`, one backward pass of the ``C - 1`` (softmax) or
``C`` output signals), the quantity whose early-phase growth Jastrzebski et al. (2021)
call "catastrophic Fisher explosion"; and (``spectrum=True``) the eigenvalues of the
:math:`B \times B` Gram matrix :math:`G G^{\mathsf T}` of the per-sample gradients,
summed layer by layer, which Liao et al. (2020) use.

**Averages.** Mini-batch traces are noisy, so the record carries two smoothings:

* an exponential moving average with half-life ``halflife`` steps and Adam's bias
  correction (Kingma & Ba 2015, Algorithm 1): :math:`m_k = \beta m_{k-1} + (1-\beta)
  x_k`, :math:`m_0 = 0`, :math:`\hat m_k = m_k / (1 - \beta^k)` with
  :math:`\beta = 2^{-\text{every}/\text{halflife}}` per record; :math:`\hat m_k` is a
  weighted mean of the records so far (weights summing to one), so a constant sequence is
  reproduced exactly from the first record on;
* the running average :math:`\bar x_K = \frac1K\sum_{k=1}^K x_k` of all records so far
  (``window=None``), the average Liao et al. apply to their per-iteration measurements
  (their :math:`\bar C_K`), or the trailing mean of the last ``window`` records.

**Liao et al.'s two measurements** (as computed by the authors' released code,
``zhibinliao89/fisher.info.mat.torch``, ``matlab/read_model.m``), with :math:`G_k` the
(B, P) matrix of per-sample gradients of iteration :math:`k` and :math:`s_i` its
singular values (:math:`s_i^2` the eigenvalues of :math:`G_k G_k^{\mathsf T} = B\,
\hat F_k` on its range):

* :math:`\bar C_K = \frac1K\sum_{k\le K} c_k`, :math:`c_k = s_{\max}/s_{\min}` over the
  non-zero singular values (the "truncated condition number"): the running average of
  :attr:`MonitorRecord.condition` (``spectrum=True``);
* :math:`L_K = \sum_{k\le K} \frac{\eta_k}{B_k}\|G_k\|_F = \sum_k \eta_k
  \sqrt{\operatorname{tr}\hat F_k / B_k}`, the learning-rate-weighted cumulative
  "energy" of the Fisher: :attr:`MonitorRecord.energy` (needs the learning rate ``lr``;
  with ``every = k`` each record stands for ``k`` steps, as the authors rescale by their
  sampling ratio).

Their experiments (ResNets and DenseNets on CIFAR, a grid of batch sizes and learning
rates) relate the two measurements at the end of training to the test error, and their
"dynamic sampling" changes the batch size and the learning rate during training, guided
by them, to train faster at a competitive accuracy. Jastrzebski et
al. (2021, "Catastrophic Fisher explosion: early phase Fisher matrix impacts
generalization", ICML) find that a small learning rate lets the trace of the Fisher
grow to a large value early in training, that this goes with worse generalisation, and
that SGD with a large learning rate implicitly penalises it. ``examples/training_monitor.py``
and ``docs/nn_monitor.rst`` check both on a small problem: the trace ordering holds
(tested), the generalisation gap does not show there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._figures import check_axes
from .._validation import EPS, as_float_array, check_choice, check_int, check_scalar
from ._checks import check_bool, overflow_error
from ._signals import signal_sq_norms
from .mlp import MLP

__all__ = ["FisherMonitor", "MonitorRecord", "exponential_average", "running_average"]


def _decay(halflife: float, every: int = 1) -> float:
    beta = 0.5 ** (every / halflife)
    if beta == 1.0:  # float64 cannot tell the decay from 1: no average is defined
        raise ValueError(f"halflife must be at most {every * 2**52:g} steps (every = {every}: "
                         f"longer half-lives round the decay to 1 in float64), got {halflife!r}")
    return beta


def exponential_average(values, halflife: float, *, every: int = 1) -> np.ndarray:
    r"""Bias-corrected exponential moving average of a sequence of records.

    :math:`m_k = \beta m_{k-1} + (1-\beta) x_k` from :math:`m_0 = 0`, returned as
    :math:`\hat m_k = m_k / (1-\beta^k)` (Kingma & Ba 2015, "Adam: a method for stochastic
    optimization", ICLR, Algorithm 1), with :math:`\beta = 2^{-\text{every}/\text{halflife}}`:
    the weight of a record halves every ``halflife`` steps when the records are ``every``
    steps apart. Equivalently :math:`\hat m_k = \sum_{j\le k} w_{kj} x_j` with
    :math:`w_{kj} = (1-\beta)\beta^{k-j}/(1-\beta^k)`, weights summing to one.

    Parameters
    ----------
    values : array_like, shape (K,)
    halflife : float
        Half-life in steps, > 0.
    every : int, default 1
        Steps between two records.

    Returns
    -------
    ndarray, shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.monitor import exponential_average
    >>> exponential_average([3.0, 3.0, 3.0], halflife=1.0)     # constants are kept
    array([3., 3., 3.])
    >>> exponential_average([1.0, 0.0], halflife=1.0)          # beta = 1/2: (1/2) / (3/4)
    array([1.        , 0.33333333])
    """
    x = as_float_array(values, "values", ndim=1, allow_empty=True)
    halflife = check_scalar(halflife, "halflife", low=0)
    every = check_int(every, "every", low=1)
    if x.size == 0:
        return x.copy()
    beta = _decay(halflife, every)
    from scipy import signal  # lazily: scipy.signal is slow to import

    m = signal.lfilter([1.0 - beta], [1.0, -beta], x)  # the recursion, from m_0 = 0
    with np.errstate(divide="ignore"):  # beta = 0 (tiny half-life): log 0 = -inf, weight 1
        out = m / -np.expm1(np.arange(1, x.size + 1) * np.log(beta))
    if not np.all(np.isfinite(out)):
        raise overflow_error({"values": x}, "average")
    return out


def running_average(values, window: int | None = None) -> np.ndarray:
    r"""Running average of a sequence: all records so far, or the last ``window``.

    ``window=None`` gives :math:`\bar x_K = \frac1K\sum_{k\le K} x_k`, the running
    average of Liao, Drummond, Reid & Carneiro (2020, "Approximate Fisher information
    matrix to characterize the training of deep neural networks", IEEE TPAMI 42, their
    :math:`\bar C_K`); an integer gives the mean of the last ``min(K, window)`` records.

    Examples
    --------
    >>> from fisherstat.nn.monitor import running_average
    >>> running_average([1.0, 3.0, 5.0, 7.0])
    array([1., 2., 3., 4.])
    >>> running_average([1.0, 3.0, 5.0, 7.0], window=2)
    array([1., 2., 4., 6.])
    """
    x = as_float_array(values, "values", ndim=1, allow_empty=True)
    if window is not None:
        window = check_int(window, "window", low=1)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _running_average(x, window)
    if not np.all(np.isfinite(out)):
        raise overflow_error({"values": x}, "running sum")
    return out


def _running_average(x, window):
    c = np.concatenate([[0.0], np.cumsum(x)])
    k = np.arange(1, x.size + 1)
    if window is None:
        return c[1:] / k
    lo = np.maximum(k - window, 0)
    return (c[k] - c[lo]) / (k - lo)


@dataclass(frozen=True)
class MonitorRecord:
    r"""What a :class:`FisherMonitor` measured, one entry per recorded step.

    Attributes
    ----------
    steps : ndarray of int
        Training steps whose mini-batch was measured (at the parameters *before* the
        step, where its gradient was computed).
    batch_size : ndarray of int
        Rows of each measured batch.
    batch_loss : ndarray
        Mini-batch loss (mean negative log-likelihood; penalty included when
        :func:`~fisherstat.nn.train` has one).
    trace : ndarray
        :math:`\operatorname{tr}\hat F_{\mathcal B}`, the mean squared per-sample gradient
        norm (weights only; no penalty).
    grad_norm2 : ndarray
        :math:`\|\bar g\|^2`, the squared norm of the mean gradient of the batch
        likelihood (no penalty).
    exact_trace : ndarray or None
        Trace of the Fisher of the batch (``exact=True``).
    max_eigenvalue, condition : ndarray or None
        Largest eigenvalue of :math:`\hat F_{\mathcal B}` and the truncated condition
        number :math:`s_{\max}/s_{\min}` of the per-sample gradient matrix
        (``spectrum=True``).
    trace_ema : ndarray
        Bias-corrected exponential moving average of ``trace`` (half-life ``halflife``
        steps), updated online.
    trace_average : ndarray
        Running average of ``trace``: since the start (``window=None``, Liao et al.) or
        over the last ``window`` records.
    energy : ndarray or None
        Liao et al.'s :math:`L_K = \sum_k \eta \sqrt{\operatorname{tr}\hat F_k/B_k}` (times
        ``every``), when the monitor was given ``lr``.
    halflife : float
    window : int or None
    every : int
    lr : float or None

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, SGD, train
    >>> from fisherstat.nn.monitor import FisherMonitor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((64, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> net = MLP([2, 8, 2], output="softmax")
    >>> mon = FisherMonitor(net, halflife=5)
    >>> _ = train(net, net.init(rng=1), X, y, SGD(lr=0.5), n_steps=20, batch_size=16,
    ...           rng=0, callback=mon)
    >>> rec = mon.record
    >>> rec.steps[:3], rec.trace.shape
    (array([1, 2, 3]), (20,))
    >>> bool(np.all(rec.trace >= rec.grad_norm2))        # trace = signal + noise
    True
    """

    steps: np.ndarray
    batch_size: np.ndarray
    batch_loss: np.ndarray
    trace: np.ndarray
    grad_norm2: np.ndarray
    exact_trace: np.ndarray | None
    max_eigenvalue: np.ndarray | None
    condition: np.ndarray | None
    trace_ema: np.ndarray
    trace_average: np.ndarray
    energy: np.ndarray | None
    halflife: float
    window: int | None
    every: int
    lr: float | None

    _NAMES = ("trace", "grad_norm2", "noise", "batch_loss", "exact_trace", "max_eigenvalue",
              "condition")

    def _name(self, name):
        check_choice(name, "name", self._NAMES)
        return name

    def __len__(self) -> int:
        return int(self.steps.size)

    @property
    def noise(self) -> np.ndarray:
        r"""``trace - grad_norm2``: the trace of the per-sample gradient covariance (1/B)."""
        return self.trace - self.grad_norm2

    @property
    def condition_average(self) -> np.ndarray | None:
        r"""Liao et al.'s :math:`\bar C_K`: the running average of ``condition``."""
        return None if self.condition is None else running_average(self.condition)

    def ema(self, name: str = "trace") -> np.ndarray:
        """Bias-corrected exponential moving average of a recorded series (``halflife``).

        ``name`` is one of ``'trace'``, ``'grad_norm2'``, ``'noise'``, ``'batch_loss'``,
        ``'exact_trace'``, ``'max_eigenvalue'``, ``'condition'``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn.monitor import FisherMonitor
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 1], activation="linear")
        >>> mon = FisherMonitor(net, halflife=2.0)
        >>> X, y = np.array([[1.0], [2.0]]), np.array([0.0, 1.0])
        >>> for step in (1, 2, 3):
        ...     _ = mon.on_step(step, np.zeros(2), 0.0, None, X=X, y=y)
        >>> rec = mon.record
        >>> np.allclose(rec.ema("trace"), rec.trace_ema)
        True
        """
        values = getattr(self, self._name(name))
        if values is None:
            raise ValueError(f"{name!r} was not recorded (see the FisherMonitor options)")
        return exponential_average(values, self.halflife, every=self.every)

    def peak(self, name: str = "trace", *, smooth: bool = True) -> tuple[int, float]:
        """``(step, value)`` of the largest (smoothed) value of a recorded series.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> from fisherstat.nn.monitor import FisherMonitor
        >>> net = MLP([1, 1], activation="linear")
        >>> mon = FisherMonitor(net, halflife=1.0)
        >>> X = np.array([[1.0], [2.0]])
        >>> for step, target in enumerate((0.0, 5.0, 0.0), start=1):
        ...     _ = mon.on_step(step, np.zeros(2), 0.0, None, X=X, y=[target, target])
        >>> mon.record.peak("trace", smooth=False)[0]
        2
        """
        smooth = check_bool(smooth, "smooth")
        values = self.ema(name) if smooth else getattr(self, self._name(name))
        if values is None:
            raise ValueError(f"{name!r} was not recorded (see the FisherMonitor options)")
        if len(values) == 0:
            raise ValueError("the record is empty")
        i = int(np.argmax(values))
        return int(self.steps[i]), float(values[i])

    def summary(self, rows: int = 10) -> str:
        """Text table: the series at up to ``rows`` evenly spaced records, then the peaks.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> from fisherstat.nn.monitor import FisherMonitor
        >>> net = MLP([1, 1], activation="linear")
        >>> mon = FisherMonitor(net)
        >>> _ = mon.on_step(1, np.zeros(2), 0.5, None, X=[[1.0], [2.0]], y=[0.0, 1.0])
        >>> print(mon.record.summary())  # doctest: +ELLIPSIS
        Fisher monitor: 1 records (every 1 steps), EMA half-life 20 steps
        ...
        """
        rows = check_int(rows, "rows", low=1)
        n = len(self)
        head = (f"Fisher monitor: {n} records (every {self.every} steps), EMA half-life "
                f"{self.halflife:g} steps")
        avg = "running mean" if self.window is None else f"mean of last {self.window}"
        cols = [("step", None), ("batch loss", self.batch_loss), ("tr F_emp", self.trace),
                ("|mean g|^2", self.grad_norm2), ("EMA tr", self.trace_ema),
                (avg, self.trace_average)]
        if self.exact_trace is not None:
            cols.append(("tr F", self.exact_trace))
        if self.condition is not None:
            cols += [("lambda_max", self.max_eigenvalue), ("C_K bar", self.condition_average)]
        if self.energy is not None:
            cols.append(("L_K", self.energy))
        width = [max(10, len(c)) for c, _ in cols]
        lines = [head, " ".join(f"{c:>{w}}" for (c, _), w in zip(cols, width, strict=True))]
        if n == 0:
            return "\n".join(lines + ["(no records)"])
        idx = np.unique(np.linspace(0, n - 1, min(rows, n)).round().astype(int))
        for i in idx:
            cells = [f"{self.steps[i]:>{width[0]}d}"]
            cells += [f"{v[i]:>{w}.4g}" for (_, v), w in zip(cols[1:], width[1:], strict=True)]
            lines.append(" ".join(cells))
        s, v = self.peak("trace")
        lines.append(f"peak of the EMA of tr F_emp: {v:.4g} at step {s}; final EMA "
                     f"{self.trace_ema[-1]:.4g}, final {avg} {self.trace_average[-1]:.4g}")
        if self.exact_trace is not None:
            s, v = self.peak("exact_trace")
            lines.append(f"peak of the EMA of tr F (exact): {v:.4g} at step {s}")
        return "\n".join(lines)

    def plot(self, ax=None, *, label: str | None = None, exact: bool = True):
        """Trace of the empirical Fisher (thin), its EMA (bold) and running average (dashed).

        With ``exact`` and an exact trace recorded, its EMA is added (dotted). Log scale.
        Needs matplotlib (imported here). Returns the axes.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from fisherstat.nn import MLP
        >>> from fisherstat.nn.monitor import FisherMonitor
        >>> net = MLP([1, 1], activation="linear")
        >>> mon = FisherMonitor(net)
        >>> for step in (1, 2):
        ...     _ = mon.on_step(step, np.zeros(2), 0.5, None, X=[[1.0], [2.0]], y=[0.0, 1.0])
        >>> ax = mon.record.plot(label="demo")
        >>> ax.get_yscale()
        'log'
        """
        check_axes(ax)
        exact = check_bool(exact, "exact")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.6))
        prefix = f"{label}: " if label else ""
        (line,) = ax.plot(self.steps, self.trace, lw=0.6, alpha=0.35)
        c = line.get_color()
        ax.plot(self.steps, self.trace_ema, color=c, lw=1.8, label=f"{prefix}EMA tr F_emp")
        ax.plot(self.steps, self.trace_average, color=c, lw=1.0, ls="--",
                label=f"{prefix}running average")
        if exact and self.exact_trace is not None:
            ax.plot(self.steps, self.ema("exact_trace"), color=c, lw=1.2, ls=":",
                    label=f"{prefix}EMA tr F (exact)")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("trace of the mini-batch Fisher")
        ax.legend(fontsize=7)
        return ax


class FisherMonitor:
    r"""Callback for :func:`fisherstat.nn.train` recording the mini-batch Fisher's trace.

    At every ``every``-th step it measures the batch of that step at the parameters
    where its gradient was computed (see the module notes): the trace of the empirical
    Fisher of the batch, the squared norm of the mean gradient, optionally the trace of
    the exact Fisher of the batch and the spectrum of the per-sample gradients; and keeps
    an exponential moving average and a running average of the trace online
    (:attr:`ema`). It never changes training (no random numbers are drawn) and never
    stops it. :attr:`record` returns a :class:`MonitorRecord`.

    Parameters
    ----------
    net : MLP
        The network being trained.
    every : int, default 1
        Measure every this many steps.
    halflife : float, default 20
        Half-life, in steps, of the exponential moving average.
    window : int, optional
        Running average over the last ``window`` records; default: over all records since
        the start (Liao et al. 2020).
    exact : bool, default False
        Also record the trace of the (exact) Fisher of the batch.
    spectrum : bool, default False
        Also record the largest eigenvalue of the batch's empirical Fisher and Liao et
        al.'s truncated condition number (eigenvalues of the :math:`B \times B` Gram
        matrix of the per-sample gradients: :math:`O(B^2 \sum_l (n_l + n_{l-1}) + B^3)`).
    lr : float, optional
        The (constant) learning rate, for Liao et al.'s :math:`L_K`
        (:attr:`MonitorRecord.energy`).

    Notes
    -----
    Cost per measured step: one forward and one backward pass of the batch, like the
    gradient (the monitor does not reuse :func:`train`'s pass, whose per-layer signals
    are not exposed), plus one backward pass of the output factor with ``exact``. A
    step number not larger than the last one seen starts a new run (the records are
    cleared), so one monitor can serve several consecutive :func:`train` calls.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, SGD, fisher, train
    >>> from fisherstat.nn.monitor import FisherMonitor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((128, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> net = MLP([2, 8, 2], output="softmax")
    >>> mon = FisherMonitor(net, every=5, exact=True)
    >>> r = train(net, net.init(rng=1), X, y, SGD(lr=0.5), n_steps=50, batch_size=32,
    ...           rng=0, callback=mon)
    >>> rec = mon.record
    >>> rec.steps
    array([ 5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
    >>> one = FisherMonitor(net)                      # any batch: the empirical Fisher's trace
    >>> _ = one.on_step(1, r.theta, 0.0, None, X=X, y=y)
    >>> F = fisher(net, r.theta, X, "empirical", y=y)
    >>> bool(np.isclose(one.record.trace[0], F.trace()))
    True
    """

    def __init__(self, net, *, every: int = 1, halflife: float = 20.0,
                 window: int | None = None, exact: bool = False, spectrum: bool = False,
                 lr: float | None = None):
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
        self.net = net
        self.every = check_int(every, "every", low=1)
        self.halflife = check_scalar(halflife, "halflife", low=0)
        self.window = None if window is None else check_int(window, "window", low=1)
        for name, flag in (("exact", exact), ("spectrum", spectrum)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        self.exact, self.spectrum = bool(exact), bool(spectrum)
        self.lr = None if lr is None else check_scalar(lr, "lr", low=0)
        self._beta = _decay(self.halflife, self.every)
        self.reset()

    def __repr__(self) -> str:
        return (f"FisherMonitor(every={self.every}, halflife={self.halflife:g}, "
                f"window={self.window}, exact={self.exact}, spectrum={self.spectrum}, "
                f"lr={self.lr})")

    def reset(self) -> None:
        """Clear the records and the running averages."""
        self._rows: dict[str, list] = {k: [] for k in (
            "steps", "batch_size", "batch_loss", "trace", "grad_norm2", "exact_trace",
            "max_eigenvalue", "condition", "trace_ema", "trace_average", "energy")}
        self._m = 0.0
        self._t = 0
        self._sum = 0.0
        self._energy = 0.0
        self._last = 0

    @property
    def ema(self) -> float:
        """Current bias-corrected exponential moving average of the trace (NaN if none)."""
        return self._m / (1.0 - self._beta**self._t) if self._t else float("nan")

    # ------------------------------------------------------------- measurement
    def _measure(self, theta, X, y):
        net = self.net
        cache = net.forward_pass(theta, X)
        out = net.output_distribution(theta)
        B = X.shape[0]
        deltas = net.backward_pass(cache, out.residual(cache.f, y))  # (B, n_l) each
        acts = net.layer_inputs(cache)
        sq = np.zeros(B)
        mean_g2 = 0.0
        for d, a in zip(deltas, acts, strict=True):
            sq += np.sum(d * d, axis=1) * np.sum(a * a, axis=1)
            gl = d.T @ a / B
            mean_g2 += float(np.sum(gl * gl))
        row = {"trace": float(sq.mean()), "grad_norm2": mean_g2}
        if self.exact:
            U = np.swapaxes(out.factor(cache.f), 1, 2)  # (B, R, C)
            row["exact_trace"] = float(np.sum(signal_sq_norms(net, cache, U)) / B)
        if self.spectrum:
            K = np.zeros((B, B))
            for d, a in zip(deltas, acts, strict=True):
                K += (d @ d.T) * (a @ a.T)
            lam = np.linalg.eigvalsh(0.5 * (K + K.T))
            top = lam[-1]
            keep = lam[lam > top * max(B, net.n_weights) * EPS]
            row["max_eigenvalue"] = float(top / B)
            row["condition"] = float(np.sqrt(keep[-1] / keep[0])) if keep.size else np.nan
        return row

    def on_step(self, step, theta, batch_loss, grad, *, X, y, theta_before=None) -> bool:
        """Record the batch ``X, y`` of training step ``step``; returns False (never stops).

        Parameters
        ----------
        step : int
            Training step (from 1).
        theta : array_like
            Parameters after the step (used when ``theta_before`` is not given).
        batch_loss : float
            Loss of the batch (recorded as given).
        grad : array_like or None
            The step's gradient (unused: the monitor recomputes it without penalty).
        X, y : array_like
            The mini-batch.
        theta_before : array_like, optional
            Parameters at which the batch's gradient was computed (what
            :func:`~fisherstat.nn.train` passes); measured there.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> from fisherstat.nn.monitor import FisherMonitor
        >>> net = MLP([1, 1], activation="linear")             # g_b = -(y_b - f_b) (x_b, 1)
        >>> mon = FisherMonitor(net)
        >>> mon.on_step(1, np.zeros(2), 0.0, None, X=[[1.0], [2.0]], y=[1.0, 1.0])
        False
        >>> mon.record.trace, mon.record.grad_norm2                  # (2 + 5)/2; 1.5^2 + 1
        (array([3.5]), array([3.25]))
        """
        net = self.net
        step = check_int(step, "step", low=1)
        theta = net.validate(theta)
        if theta_before is not None:
            theta = net.validate(theta_before, "theta_before")
        batch_loss = check_scalar(batch_loss, "batch_loss")
        if grad is not None:
            as_float_array(grad, "grad", shape=(net.n_params,))
        y, X = net.check_labelled(y, X)
        if step <= self._last:
            self.reset()
        self._last = step
        if step % self.every:
            return False
        with np.errstate(over="ignore", invalid="ignore"):
            row = self._measure(theta, X, y)
        if not all(np.isfinite(v) for k, v in row.items() if k != "condition"):
            raise overflow_error({"theta": theta, "X": X}, "Fisher trace")
        B = X.shape[0]
        self._t += 1
        self._m = self._beta * self._m + (1.0 - self._beta) * row["trace"]
        self._sum += row["trace"]
        rows = self._rows
        rows["trace"].append(row["trace"])
        if self.window is None:
            avg = self._sum / self._t
        else:
            recent = rows["trace"][-self.window:]
            avg = sum(recent) / len(recent)
        if self.lr is not None:
            self._energy += self.every * self.lr * np.sqrt(row["trace"] / B)
        rows["steps"].append(step)
        rows["batch_size"].append(B)
        rows["batch_loss"].append(float(batch_loss))
        rows["grad_norm2"].append(row["grad_norm2"])
        rows["exact_trace"].append(row.get("exact_trace"))
        rows["max_eigenvalue"].append(row.get("max_eigenvalue"))
        rows["condition"].append(row.get("condition"))
        rows["trace_ema"].append(self.ema)
        rows["trace_average"].append(avg)
        rows["energy"].append(self._energy)
        return False

    @property
    def record(self) -> MonitorRecord:
        """The records so far, as an immutable :class:`MonitorRecord` (copies)."""
        r = self._rows

        def arr(name, dtype=float, on=True):
            return np.array(r[name], dtype=dtype) if on else None

        return MonitorRecord(
            steps=arr("steps", int), batch_size=arr("batch_size", int),
            batch_loss=arr("batch_loss"), trace=arr("trace"), grad_norm2=arr("grad_norm2"),
            exact_trace=arr("exact_trace", on=self.exact),
            max_eigenvalue=arr("max_eigenvalue", on=self.spectrum),
            condition=arr("condition", on=self.spectrum),
            trace_ema=arr("trace_ema"), trace_average=arr("trace_average"),
            energy=arr("energy", on=self.lr is not None), halflife=self.halflife,
            window=self.window, every=self.every, lr=self.lr)
