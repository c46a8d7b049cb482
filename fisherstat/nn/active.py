r"""Active learning with the expected gradient length (EGL) and the Fisher information.

Pool-based active learning labels, round after round, the pool points that the current
network finds most useful. Expected gradient length (Settles, Craven & Ray 2008,
"Multiple-instance active learning", NeurIPS; Settles & Craven 2008, "An analysis of
active learning strategies for sequence labeling tasks", EMNLP, eq. 7) queries the point
whose label would change the model most: the expected norm of the gradient that the new
example would add to the training objective,

.. math::

    \mathrm{EGL}(x) = \sum_y p_\theta(y \mid x)\,\big\|\nabla_w \ell(x, y)\big\|,
    \qquad \ell(x, y) = -\log p_\theta(y \mid x)

(the gradient of the whole objective with :math:`(x, y)` added is the gradient of this one
term, since the gradient on the labelled set vanishes at the fitted :math:`\theta`). Its
squared version is the Fisher information in disguise:

.. math::

    \mathrm{EGL}_2(x) = E_{y \sim p_\theta(\cdot \mid x)}\big\|\nabla_w \log p_\theta(y
    \mid x)\big\|^2 = \operatorname{tr} E[g g^T] = \operatorname{tr} M(x),

the trace of the information :math:`M(x) = J^T \Lambda J` of one observation at
:math:`x`: :func:`fisherstat.nn.per_sample_traces` (``kind='exact'``) computes it. Querying
:math:`\arg\max_x \operatorname{tr} M(x)` is the first step of a sequential design that
increases :math:`\operatorname{tr} M(\xi)` -- an "anti-A" (T-) criterion. The D- and
A-optimal choices weight :math:`M(x)` by the current inverse information instead:
:math:`\operatorname{tr} M(\xi)^{-1} M(x)` (the D sensitivity, i.e. the predictive
variance of the Laplace posterior; MacKay 1992, "Information-based objective functions
for active data selection", Neural Computation 4) and
:math:`\operatorname{tr} M(\xi)^{-2} M(x)` (A) -- see
:mod:`fisherstat.design.criteria`. EGL uses no :math:`M(\xi)^{-1}`: it is cheap (one
backward pass of the pool) and scale-dependent.

**Computation** (vectorised over the pool, no loop over points). A per-sample gradient of
layer :math:`l` is the outer product :math:`\delta_l \bar a_{l-1}^T`, so its squared norm
is :math:`\sum_l \|\delta_l\|^2 \|\bar a_{l-1}\|^2`. Back-propagating one output signal per
possible label at once gives every label's gradient norm:

* softmax: the ``C`` signals :math:`p - e_c` (the residual of label ``c``), weights
  :math:`p_c`;
* sigmoid (``C`` independent Bernoulli outputs): the :math:`2^C` signals :math:`p - y`,
  :math:`y \in \{0, 1\}^C`, weights :math:`\prod_c p_c^{y_c}(1 - p_c)^{1 - y_c}`
  (``C <= 10``);
* Gaussian :math:`N(f, \sigma^2 I_C)`: :math:`g = -J^T \varepsilon / \sigma`,
  :math:`\varepsilon \sim N(0, I_C)`, so :math:`\|g\|^2 = \varepsilon^T K \varepsilon` with
  :math:`K = J J^T / \sigma^2` (C x C, from the ``C`` unit signals) and
  :math:`E\|g\| = E\sqrt{\sum_i \lambda_i z_i^2}` over the eigenvalues :math:`\lambda_i` of
  :math:`K`. This is computed from :math:`\sqrt q = \frac{1}{2\sqrt\pi}\int_0^\infty
  (1 - e^{-tq})\,t^{-3/2}\,dt` and the chi-square Laplace transform
  :math:`E e^{-t\lambda z^2} = (1 + 2t\lambda)^{-1/2}`:

  .. math::

      E\|g\| = \frac{1}{2\sqrt\pi}\int_0^\infty \Big(1 - \prod_i (1 + 2t\lambda_i)^{-1/2}
      \Big)\, t^{-3/2}\, dt,

  by the trapezoidal rule in :math:`s = \log t` (the integrand decays like
  :math:`e^{-|s|/2}` and is analytic in the strip :math:`|\operatorname{Im} s| < \pi`,
  so the rule converges geometrically: Trefethen & Weideman 2014, "The exponentially
  convergent trapezoidal rule", SIAM Review 56, section 5); :math:`C = 1` gives
  :math:`\sqrt{2/\pi}\,\sqrt{K}`. For an estimated ``sigma2`` both versions cover the
  weights only (the score of ``sigma2`` has the same distribution at every ``x``).

The loop :func:`active_learning` and the paired comparison :func:`compare_strategies` are
described in their docstrings and in the user guide (:doc:`/nn_active`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._figures import check_axes
from .._validation import as_float_array, check_choice, check_int, check_random_state, check_scalar
from ..parallel import one_blas_thread
from ._checks import finite_result
from ._signals import raw_traces, signal_sq_norms
from .mlp import MLP
from .optim import Optimizer, train

__all__ = [
    "STRATEGIES",
    "expected_gradient_length",
    "entropy_scores",
    "query_scores",
    "active_learning",
    "ActiveLearningResult",
]

#: Query strategies of :func:`active_learning`: EGL (Settles & Craven), its squared
#: (Fisher-trace) version, three uncertainty measures and uniform random sampling.
STRATEGIES = ("egl", "egl_squared", "entropy", "margin", "least_confident", "random")
#: Largest number of sigmoid outputs for the unsquared EGL (2^C label vectors).
MAX_SIGMOID_OUTPUTS = 10
#: Trapezoidal nodes in s = log t for the Gaussian unsquared EGL: step 0.5 on [-75, 75].
_S_NODES = np.linspace(-75.0, 75.0, 301)


def _check_net(net, theta, X, name="X_pool"):
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    return net.validate(theta), net.check_inputs(X, name)


def _signal_grams(net, theta, cache, U):
    r"""Gram matrices ``(J^T u_r) . (J^T u_s)`` of the signals, (N, R, R)."""
    deltas = net.backward_pass(cache, np.ascontiguousarray(U))
    out = np.zeros(U.shape[:2] + U.shape[1:2])
    for d, a in zip(deltas, net.layer_inputs(cache), strict=True):
        out += np.matmul(d, np.swapaxes(d, 1, 2)) * np.sum(
            a * a, axis=1)[:, None, None]
    return out


def _expected_sqrt_quadratic(lam):
    r""":math:`E\sqrt{\sum_i \lambda_i z_i^2}`, :math:`z_i` iid N(0, 1), for rows of ``lam`` >= 0.

    Trapezoidal rule on :math:`\frac{1}{2\sqrt\pi}\int (1 - \prod_i (1 + 2 e^s
    \mu_i)^{-1/2}) e^{-s/2} ds` with :math:`\mu = \lambda / \sum\lambda`, times
    :math:`\sqrt{\sum\lambda}` (see the module notes).
    """
    lam = np.clip(lam, 0.0, None)
    total = lam.sum(axis=1)
    mu = lam / np.where(total > 0, total, 1.0)[:, None]
    t = np.exp(_S_NODES)
    log_m = -0.5 * np.sum(np.log1p(2.0 * t[None, :, None] * mu[:, None, :]), axis=2)
    integrand = -np.expm1(log_m) * np.exp(-0.5 * _S_NODES)
    h = _S_NODES[1] - _S_NODES[0]
    return np.sqrt(total) * h * integrand.sum(axis=1) / (2.0 * np.sqrt(np.pi))


@finite_result("theta", "X_pool", what="expected gradient length")
def expected_gradient_length(net, theta, X_pool, *, squared: bool = True) -> np.ndarray:
    r"""Expected gradient length of every pool point, shape (N,).

    .. math::

        \text{squared=True:}\quad E_{y \sim p_\theta(\cdot|x)}\|\nabla_w \log p_\theta(y
        \mid x)\|^2 = \operatorname{tr} M(x), \qquad
        \text{squared=False:}\quad \sum_y p_\theta(y \mid x)\,\|\nabla_w \log p_\theta(y
        \mid x)\|

    The unsquared score is Settles & Craven's EGL (Settles, Craven & Ray 2008, NeurIPS;
    Settles & Craven 2008, EMNLP, eq. 7); the squared one is the trace of the point's
    Fisher information (:func:`fisherstat.nn.per_sample_traces`). Both are computed for the
    whole pool by back-propagating one output signal per label (see the module notes);
    for a Gaussian output the unsquared expectation over :math:`y` is an exact
    one-dimensional integral (trapezoidal rule, error below 1e-13 relative).

    Parameters
    ----------
    net : MLP
    theta : array_like, shape (n_params,)
    X_pool : array_like, shape (N, d_in)
        Candidate inputs.
    squared : bool, default True
        The Fisher-trace version (True) or Settles & Craven's expected norm (False).

    Returns
    -------
    ndarray, shape (N,)
        Nonnegative scores (larger: more informative). The gradient is that of one
        observation's negative log-likelihood (not divided by the training-set size).

    Notes
    -----
    For multinomial logistic regression (``MLP([d, C], output='softmax')``) the gradient of
    label ``c`` is :math:`(p - e_c) \otimes \bar x`, so
    :math:`\operatorname{tr} M(x) = (1 - \|p\|^2)(\|x\|^2 + 1)` and
    :math:`\mathrm{EGL}(x) = \sqrt{\|x\|^2 + 1}\,\sum_c p_c \|p - e_c\|`: both vanish
    exactly when :math:`p` is a vertex of the simplex (a certain prediction), and both
    grow with :math:`\|x\|` -- EGL prefers uncertain points with large inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.active import expected_gradient_length
    >>> net = MLP([2, 3], output="softmax")                 # multinomial logistic regression
    >>> theta = net.init(rng=0)
    >>> X = np.array([[0.5, -1.0], [2.0, 1.0]])
    >>> P = net.predict(theta, X)
    >>> closed = (1 - np.sum(P**2, axis=1)) * (np.sum(X**2, axis=1) + 1)
    >>> bool(np.allclose(expected_gradient_length(net, theta, X), closed))
    True
    >>> egl = expected_gradient_length(net, theta, X, squared=False)
    >>> bool(np.all(egl**2 <= closed))                     # Jensen: (E|g|)^2 <= E|g|^2
    True
    """
    theta, X = _check_net(net, theta, X_pool)
    if not isinstance(squared, (bool, np.bool_)):
        raise TypeError(f"squared must be True or False, got {squared!r}")
    if squared:
        return raw_traces(net, theta, X, "exact", None, None, 1)
    cache = net.forward_pass(theta, X)
    f = cache.f
    N, C = f.shape
    if net.output == "softmax":
        p = special.softmax(f, axis=1)
        U = p[:, None, :] - np.eye(C)[None, :, :]  # residual of each label c
        return np.sum(p * np.sqrt(signal_sq_norms(net, cache, U)), axis=1)
    if net.output == "sigmoid":
        if C > MAX_SIGMOID_OUTPUTS:
            raise ValueError(
                f"squared=False with output='sigmoid' enumerates 2^C label vectors; C must "
                f"be <= {MAX_SIGMOID_OUTPUTS}, got {C} (use squared=True)")
        Y = (np.arange(2**C)[:, None] >> np.arange(C)[None, :]) & 1  # (2^C, C)
        p = special.expit(f)
        U = p[:, None, :] - Y[None, :, :]
        lp, lq = -np.logaddexp(0.0, -f), -np.logaddexp(0.0, f)  # log p, log(1 - p)
        logw = Y @ lp.T + (1 - Y) @ lq.T  # (2^C, N): log P(y) of every label vector
        return np.sum(np.exp(logw.T) * np.sqrt(signal_sq_norms(net, cache, U)), axis=1)
    s2 = theta[-1] if net.estimate_sigma2 else net.sigma2
    U = np.broadcast_to(np.eye(C) / np.sqrt(s2), (N, C, C))
    K = _signal_grams(net, theta, cache, U)
    if C == 1:
        return np.sqrt(2.0 / np.pi) * np.sqrt(np.clip(K[:, 0, 0], 0.0, None))
    return _expected_sqrt_quadratic(np.linalg.eigvalsh(K))


MEASURES = ("entropy", "margin", "least_confident")


@finite_result("theta", "X_pool", what="score")
def entropy_scores(net, theta, X_pool, *, measure: str = "entropy") -> np.ndarray:
    r"""Uncertainty of the predictive distribution at every pool point, shape (N,).

    * ``'entropy'``: :math:`H = -\sum_y p(y|x)\log p(y|x)` in nats (Shannon 1948; as an
      active-learning strategy, Settles 2009, "Active learning literature survey",
      section 3.1); for sigmoid outputs the sum of the ``C`` Bernoulli entropies (the
      entropy of the joint label vector, the outputs being independent).
    * ``'margin'``: :math:`1 - (p_{(1)} - p_{(2)})` with the two largest label
      probabilities (Scheffer, Decomain & Wrobel 2001); ``'least_confident'``:
      :math:`1 - p_{(1)}` (Lewis & Gale 1994). For sigmoid outputs both use the joint
      distribution of the label vector: :math:`p_{(1)} = \prod_c m_c` with
      :math:`m_c = \max(p_c, 1 - p_c)` and :math:`p_{(2)} = p_{(1)} \max_c (1 - m_c)/m_c`.

    Larger is more uncertain for all three.

    Parameters
    ----------
    net : MLP
        With ``output='softmax'`` or ``'sigmoid'`` (the predictive entropy of a Gaussian
        output with a fixed variance does not depend on ``x``).
    theta : array_like
    X_pool : array_like, shape (N, d_in)
    measure : {'entropy', 'margin', 'least_confident'}

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.active import entropy_scores
    >>> net = MLP([1, 2], output="softmax")
    >>> theta = np.array([1.0, 0.0, -1.0, 0.0])       # logits (x, -x)
    >>> X = np.array([[0.0], [3.0]])
    >>> np.round(entropy_scores(net, theta, X), 4)     # log 2 at the boundary
    array([0.6931, 0.0174])
    >>> np.round(entropy_scores(net, theta, X, measure="margin"), 4)
    array([1.    , 0.0049])
    """
    theta, X = _check_net(net, theta, X_pool)
    check_choice(measure, "measure", MEASURES)
    if net.output == "linear":
        raise ValueError("entropy_scores needs output='softmax' or 'sigmoid': the predictive "
                         "entropy of a Gaussian output with fixed variance is the same at "
                         "every x")
    f = net.forward_pass(theta, X).f
    if net.output == "softmax":
        logp = special.log_softmax(f, axis=1)
        p = np.exp(logp)
        if measure == "entropy":
            return -np.sum(p * logp, axis=1)
        top2 = -np.partition(-p, 1, axis=1)[:, :2]
        if measure == "margin":
            return 1.0 - (top2[:, 0] - top2[:, 1])
        return 1.0 - top2[:, 0]
    # independent Bernoulli outputs: log p = -log(1 + e^-f), log(1 - p) = -log(1 + e^f)
    lp, lq = -np.logaddexp(0.0, -f), -np.logaddexp(0.0, f)
    if measure == "entropy":
        return -np.sum(np.exp(lp) * lp + np.exp(lq) * lq, axis=1)
    log_m = np.maximum(lp, lq)
    log_top = np.sum(log_m, axis=1)
    top = np.exp(log_top)
    if measure == "least_confident":
        return -np.expm1(log_top)
    second = top * np.exp(np.max(np.minimum(lp, lq) - log_m, axis=1))
    return 1.0 - (top - second)


def query_scores(net, theta, X_pool, strategy: str, rng=None) -> np.ndarray:
    r"""Scores of one query strategy for every pool point (larger: query first), (N,).

    ``'egl'`` and ``'egl_squared'`` call :func:`expected_gradient_length` (unsquared and
    squared), ``'entropy'``, ``'margin'`` and ``'least_confident'`` call
    :func:`entropy_scores`, and ``'random'`` returns independent uniform draws (so that the
    top-``k`` points are a uniform random subset).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.active import query_scores
    >>> net = MLP([2, 2], output="softmax")
    >>> X = np.random.default_rng(0).standard_normal((4, 2))
    >>> query_scores(net, net.init(rng=0), X, "random", rng=1).shape
    (4,)
    """
    check_choice(strategy, "strategy", STRATEGIES)
    if strategy == "random":
        _, X = _check_net(net, theta, X_pool)
        return check_random_state(rng).random(X.shape[0])
    if strategy.startswith("egl"):
        return expected_gradient_length(net, theta, X_pool, squared=strategy == "egl_squared")
    return entropy_scores(net, theta, X_pool, measure=strategy)


# ------------------------------------------------------------------- the loop
@dataclass(frozen=True)
class ActiveLearningResult:
    """Learning curve of one :func:`active_learning` run.

    Attributes
    ----------
    strategy : str
    n_labelled : ndarray of int, shape (n_rounds + 1,)
        Labelled-set size at each evaluation (after the initial set and after each round).
    test_accuracy, test_loss : ndarray, shape (n_rounds + 1,)
        Accuracy and mean negative log-likelihood on the test set of the network trained
        on the labelled set of that size.
    train_loss : ndarray, shape (n_rounds + 1,)
        Final (penalised) training loss of each fit.
    initial : ndarray of int, shape (n_initial,)
        Pool indices of the initial labelled set.
    queried : ndarray of int, shape (n_rounds, batch_size)
        Pool indices queried in each round, best score first.
    theta : ndarray
        Parameters after the last fit.
    seconds : float
        Wall time.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.active import active_learning
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, (300, 2))
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0.3).astype(int)
    >>> r = active_learning(MLP([2, 2], output="softmax"), X[:200], y[:200], X[200:],
    ...                     y[200:], strategy="egl", n_initial=4, batch_size=2,
    ...                     n_rounds=3, n_steps=100, rng=0)
    >>> r.n_labelled.tolist(), r.queried.shape
    ([4, 6, 8, 10], (3, 2))
    """

    strategy: str
    n_labelled: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    initial: np.ndarray
    queried: np.ndarray
    theta: np.ndarray
    seconds: float

    @property
    def labelled(self) -> np.ndarray:
        """All labelled pool indices in the order they were labelled."""
        return np.concatenate([self.initial, self.queried.ravel()])

    def summary(self) -> str:
        """One line per round: labelled-set size, test accuracy, test loss."""
        lines = [f"active learning, strategy {self.strategy!r} ({self.seconds:.2f} s)",
                 f"{'labels':>7} {'test acc':>9} {'test loss':>10} {'train loss':>11}"]
        for i, n in enumerate(self.n_labelled):
            lines.append(f"{n:>7d} {self.test_accuracy[i]:>9.4f} {self.test_loss[i]:>10.4f} "
                         f"{self.train_loss[i]:>11.4f}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Test accuracy against the number of labels; returns the axes."""
        check_axes(ax)
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots()[1]
        ax.plot(self.n_labelled, self.test_accuracy, "o-", ms=3, label=self.strategy)
        ax.set_xlabel("labelled examples")
        ax.set_ylabel("test accuracy")
        ax.legend()
        return ax


def _ridge(l2, n):
    """Penalty ``l2 ||w||^2 / (2 n)`` on the mean loss: a N(0, 1/l2) prior on the sum."""
    c = l2 / n

    def penalty(theta):
        return 0.5 * c * float(theta @ theta), c * theta

    return penalty


def _fit_lbfgs(net, theta, X, y, penalty, maxiter):
    """Minimise the mean NLL plus ``penalty`` by L-BFGS from ``theta``: ``(theta, loss)``."""
    def fun(w):
        with np.errstate(over="ignore", invalid="ignore"):
            loss, g, _ = net._weight_loss_grad(w, X, y)
        if penalty is not None:
            pv, pg = penalty(w)
            loss, g = loss + pv, g + pg
        return loss, g

    if maxiter == 0:
        return theta.copy(), float(fun(theta)[0])
    from scipy import optimize  # lazily: slow to import

    res = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B",
                            options={"maxiter": maxiter, "gtol": 1e-8, "ftol": 1e-13})
    return res.x, float(res.fun)


def _streams(rng):
    """Independent generators for the initial set and weights, the queries and training."""
    if isinstance(rng, np.random.SeedSequence):  # a fresh copy: spawning mutates it
        ss = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                    pool_size=rng.pool_size)
    else:
        ss = np.random.SeedSequence(int(check_random_state(rng).integers(2**63)))
    return [np.random.default_rng(s) for s in ss.spawn(3)]


def active_learning(net, X_pool, y_pool, X_test, y_test, *, strategy: str = "egl",
                    n_initial: int = 10, batch_size: int = 5, n_rounds: int = 10,
                    optimizer: Optimizer | None = None, n_steps: int = 200,
                    l2: float = 0.1, warm_start: bool = True, theta0=None,
                    sigma_w2: float = 1.0, rng=None) -> ActiveLearningResult:
    r"""Pool-based active learning of a classifier network with one query strategy.

    Start from ``n_initial`` pool points drawn uniformly; then ``n_rounds`` times: fit the
    network to the labelled set, record its test accuracy and loss, score every unlabelled
    pool point by ``strategy`` (:func:`query_scores`, vectorised over the pool) and label
    the ``batch_size`` best (top-``k``, no diversity term). A last fit gives the final
    point of the learning curve.

    Parameters
    ----------
    net : MLP
        A classifier: ``output='softmax'`` or ``'sigmoid'``.
    X_pool, y_pool : array_like
        The pool and its labels (an oracle: a label is only used once queried).
    X_test, y_test : array_like
        Held-out data for the learning curve.
    strategy : str, default 'egl'
        One of :data:`STRATEGIES`.
    n_initial : int, default 10
        Size of the random initial labelled set (>= 1).
    batch_size : int, default 5
        Points queried per round.
    n_rounds : int, default 10
        Query rounds; ``n_initial + n_rounds * batch_size`` must not exceed the pool.
    optimizer : Optimizer, optional
        Default (None): fit to convergence by L-BFGS (``scipy.optimize.minimize``, at most
        ``n_steps`` iterations, gradient tolerance 1e-8). EGL assumes that the gradient
        on the labelled set vanishes at the fitted weights (module notes), so the
        default fits the posterior mode rather than stopping early. Otherwise an
        :class:`~fisherstat.nn.Optimizer` run by :func:`fisherstat.nn.train` for
        ``n_steps`` full-batch steps.
    n_steps : int, default 200
        Iterations (L-BFGS) or optimizer steps per fit.
    l2 : float, default 0.1
        Gaussian prior precision on the weights: the fit minimises the mean negative
        log-likelihood plus :math:`\frac{l_2}{2n}\|w\|^2` (``n`` labelled points), i.e.
        the posterior mode (MAP) under :math:`w \sim N(0, I/l_2)`. Needed because small
        labelled sets are often separable: the maximum-likelihood weights then diverge,
        every prediction becomes certain and every score vanishes. ``0`` disables it.
    warm_start : bool, default True
        True: each fit starts from the previous one (the first from ``theta0``). With fits
        to convergence this follows one mode of the likelihood as the labelled set grows
        and costs a fraction of the iterations; for a convex loss (no hidden layer) the
        result is the same as restarting. False: every fit restarts from ``theta0`` (the
        fit then depends only on the labelled set, not on the order of the queries; for
        SGD-trained deep networks Ash & Adams 2020, "On warm-starting neural network
        training", NeurIPS, found restarting generalises better).
    theta0 : array_like, optional
        Initial weights; default ``net.init(sigma_w2=sigma_w2)`` from ``rng``.
    sigma_w2 : float, default 1.0
        Weight variance of the default initialisation.
    rng : int, np.random.Generator or np.random.SeedSequence, optional
        Three independent streams are derived from it: (initial set, initial weights),
        random queries, and training (used only by an ``optimizer``). Two calls with the
        same integer seed and different strategies therefore share the initial set and
        the initial weights (paired runs).

    Returns
    -------
    ActiveLearningResult

    Notes
    -----
    The rounds run with one BLAS thread (:func:`fisherstat.parallel.one_blas_thread`): the
    linear algebra is tiny, and on a busy machine a multi-threaded OpenBLAS made each
    L-BFGS iteration several times slower.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.active import active_learning
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, (400, 2))
    >>> y = (X[:, 0] - X[:, 1] > 0.5).astype(int)
    >>> net = MLP([2, 2], output="softmax")
    >>> kw = dict(n_initial=4, batch_size=2, n_rounds=4, n_steps=150, rng=3)
    >>> egl = active_learning(net, X[:300], y[:300], X[300:], y[300:], strategy="egl", **kw)
    >>> rnd = active_learning(net, X[:300], y[:300], X[300:], y[300:], strategy="random",
    ...                       **kw)
    >>> bool(np.array_equal(egl.initial, rnd.initial))        # paired: same start
    True
    >>> print(egl.summary().splitlines()[1])
     labels  test acc  test loss  train loss
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    if net.output == "linear":
        raise ValueError("active_learning needs a classifier: net.output must be 'softmax' "
                         "or 'sigmoid'")
    check_choice(strategy, "strategy", STRATEGIES)
    X_pool = as_float_array(X_pool, "X_pool", ndim=(1, 2))
    X_test = as_float_array(X_test, "X_test", ndim=(1, 2))
    y_pool, X_pool = _check_labelled(net, y_pool, X_pool, "pool")
    y_test, X_test = _check_labelled(net, y_test, X_test, "test")
    N = X_pool.shape[0]
    n_initial = check_int(n_initial, "n_initial", low=1, high=N)
    batch_size = check_int(batch_size, "batch_size", low=1, high=N)
    n_rounds = check_int(n_rounds, "n_rounds", low=0)
    if n_initial + n_rounds * batch_size > N:
        raise ValueError(
            f"n_initial + n_rounds * batch_size must be <= the pool size {N}, got "
            f"{n_initial} + {n_rounds} * {batch_size} = {n_initial + n_rounds * batch_size}")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    n_steps = check_int(n_steps, "n_steps", low=0)
    l2 = check_scalar(l2, "l2", low=0, low_open=False)
    if not isinstance(warm_start, (bool, np.bool_)):
        raise TypeError(f"warm_start must be True or False, got {warm_start!r}")
    sigma_w2 = check_scalar(sigma_w2, "sigma_w2", low=0)
    init_rng, query_rng, train_rng = _streams(rng)
    initial = np.sort(init_rng.choice(N, size=n_initial, replace=False))
    theta0 = (net.init(init_rng, sigma_w2=sigma_w2) if theta0 is None
              else net.validate(theta0, "theta0").copy())

    t0 = time.perf_counter()
    with one_blas_thread():  # tiny problems: threads only contend (and change the bits)
        out = _loop(net, X_pool, y_pool, X_test, y_test, strategy, initial, theta0,
                    batch_size, n_rounds, optimizer, n_steps, l2, warm_start, query_rng,
                    train_rng)
    return ActiveLearningResult(strategy, *out[:-1], initial, out[-1][0], out[-1][1],
                                time.perf_counter() - t0)


def _loop(net, X_pool, y_pool, X_test, y_test, strategy, initial, theta0, batch_size,
          n_rounds, optimizer, n_steps, l2, warm_start, query_rng, train_rng):
    """The rounds of :func:`active_learning` (arguments checked)."""
    N = X_pool.shape[0]
    labelled = np.zeros(N, dtype=bool)
    labelled[initial] = True
    theta = theta0
    sizes, accs, losses, train_losses, queried = [], [], [], [], []
    for rnd in range(n_rounds + 1):
        idx = np.flatnonzero(labelled)
        start = theta if warm_start else theta0
        penalty = _ridge(l2, idx.size) if l2 > 0 else None
        if optimizer is None:
            theta, train_loss = _fit_lbfgs(net, start, X_pool[idx], y_pool[idx], penalty,
                                           n_steps)
        else:
            fit = train(net, start, X_pool[idx], y_pool[idx], optimizer, n_steps=n_steps,
                        rng=train_rng, record_every=max(n_steps, 1), penalty=penalty)
            theta, train_loss = fit.theta, float(fit.loss[-1])
        sizes.append(idx.size)
        train_losses.append(train_loss)
        accs.append(net._accuracy(theta, X_test, y_test))
        losses.append(float(-np.mean(net._loglik(theta, y_test, X_test))))
        if rnd == n_rounds:
            break
        cand = np.flatnonzero(~labelled)
        scores = query_scores(net, theta, X_pool[cand], strategy, rng=query_rng)
        best = cand[np.argsort(-scores, kind="stable")[:batch_size]]
        labelled[best] = True
        queried.append(best)
    arr = np.asarray
    return (arr(sizes), arr(accs), arr(losses), arr(train_losses),
            (arr(queried, dtype=np.intp).reshape(n_rounds, batch_size), theta))


def _check_labelled(net, y, X, which):
    return net.check_labelled(y, X, f"y_{which}", f"X_{which}")
