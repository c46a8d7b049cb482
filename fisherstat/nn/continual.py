r"""Continual learning: elastic weight consolidation (EWC), online EWC, L2 anchoring.

A network trained on task A and then on task B forgets A ("catastrophic forgetting",
McCloskey & Cohen 1989). Elastic weight consolidation (Kirkpatrick et al. 2017,
"Overcoming catastrophic forgetting in neural networks", PNAS 114, 3521-3526, eq. 3)
adds to the loss of task B the quadratic penalty

.. math::

    \Omega(\theta) = \frac{\lambda}{2} \sum_i F_i\, (\theta_i - \theta^*_{A,i})^2,

with :math:`\theta^*_A` the parameters found for task A and :math:`F` the diagonal of
the Fisher information of task A at :math:`\theta^*_A`: moving a weight costs in
proportion to how much information task A's data carry about it.

**Laplace approximation and the scaling convention.** With a flat prior the posterior
after task A is :math:`\log p(\theta \mid D_A) \approx \text{const} - \frac{N_A}{2}
(\theta - \theta^*_A)^T F (\theta - \theta^*_A)` (MacKay 1992; Kirkpatrick et al. eq. 2),
where :math:`F` is the Fisher of *one average observation* (the mean over task A's
inputs, :func:`fisherstat.nn.fisher`) and :math:`N_A` the number of observations.
fisherstat's :func:`~fisherstat.nn.train` minimises the **mean** negative log-likelihood
of task B, i.e. :math:`-\log p(D_B \mid \theta) / N_B`; the posterior of all data, divided
by :math:`N_B`, is therefore the mean loss of B plus this penalty with

.. math::

    \lambda_{\text{Laplace}} = N_A / N_B \qquad (= 1 \text{ for tasks of equal size}).

``lam`` multiplies the **mean** Fisher: the penalty's Hessian is exactly ``lam * F``.
In practice (as in Kirkpatrick et al., who tune :math:`\lambda` on held-out tasks) larger
values protect the old tasks better than the Laplace value, because the diagonal
discards the correlations between weights and the Laplace approximation is local.

**The Fisher kind is explicit** (``kind`` is required), because implementations
differ and the difference matters (Kunstner, Balles & Hennig 2019; van de Ven 2025, "On
the computation of the Fisher information in continual learning", ICLR blog track):

* ``'exact'``: :math:`\operatorname{diag} \frac1N \sum_n J_n^T \Lambda_n J_n`, the
  expectation over the model's own labels computed in closed form;
* ``'monte_carlo'``: squared gradients at labels *sampled from the model*
  (``n_samples`` per input), the estimator described by Kirkpatrick et al.; unbiased for
  ``'exact'``;
* ``'empirical'``: squared gradients at the *observed* labels (needs ``y``); not the
  Fisher unless the model fits, and near zero on examples that the network already
  classifies confidently.

Each diagonal comes from :func:`fisherstat.nn.fisher` with ``structure='diag'``: the
squared *per-example* gradients are summed layer by layer from one backward pass
(:math:`\sum_r (\delta_{nr}^l)^2 \otimes (\bar a_n^l)^2`); no per-example loop, and
not the square of mini-batch gradients.

**Many tasks.** Kirkpatrick et al. keep one penalty per task (a sum of :class:`EWC`
penalties: ``ewc_1 + ewc_2``). Huszár (2018, "Note on the quadratic penalties in
elastic weight consolidation", PNAS 115, E2496-E2497) shows that the recursive Laplace
approximation instead gives *one* penalty, anchored at the latest parameters, with the
sum of the Fishers as its precision; Schwarz et al. (2018, "Progress & Compress: a
scalable framework for continual learning", ICML, section 2.2 "online EWC") add a decay
:math:`\gamma \le 1`:

.. math::

    F^*_t = \gamma F^*_{t-1} + F_t, \qquad
    \Omega_t(\theta) = \frac{\lambda}{2} \sum_i F^*_{t,i} (\theta_i - \theta^*_{t,i})^2,

which is :meth:`EWC.consolidate`. (Schwarz et al. write the penalty with
:math:`\gamma F^*_{t-1}` while learning task :math:`t`; that constant factor
:math:`\gamma` is absorbed into :math:`\lambda`: our ``lam`` is their
:math:`\lambda\gamma`.) :class:`L2Anchor` is the same penalty with :math:`F = 1`
(the baseline of Kirkpatrick et al., Fig. 2A). Penalties add: ``p + q`` is a
:class:`PenaltySum`.

The experiment (:func:`continual_learning`) trains one network on a sequence of tasks
with each method from the same initialisation and on the same mini-batches, and reports
the accuracy matrix and the average accuracy and forgetting of Chaudhry, Dokania,
Ajanthan & Torr (2018, "Riemannian walk for incremental learning: understanding
forgetting and intransigence", ECCV, section 4.1). :func:`make_permuted_tasks` makes
the tasks (permuted inputs, as in Goodfellow et al. 2014 and Kirkpatrick et al.).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_scalar,
    readonly,
)
from ._checks import overflow_error
from .fisher import KINDS, fisher
from .mlp import MLP

__all__ = [
    "Penalty",
    "QuadraticPenalty",
    "EWC",
    "L2Anchor",
    "PenaltySum",
    "fisher_diagonal",
]



# ------------------------------------------------------------------ penalties
class Penalty:
    """Base class of the penalties: ``penalty(theta) -> (value, gradient)``.

    That is the hook of :func:`fisherstat.nn.train` (``penalty=``): the value is added to
    the *mean* loss and the gradient to its gradient. Penalties add (``p + q``, and
    ``sum([p, q])``) into a :class:`PenaltySum`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.continual import L2Anchor
    >>> p = L2Anchor([0.0, 0.0], lam=2.0) + L2Anchor([1.0, 1.0], lam=2.0)
    >>> p(np.array([1.0, 0.0]))                    # (2/2) (1 + 0) + (2/2) (0 + 1)
    (2.0, array([ 2., -2.]))
    """

    #: number of parameters the penalty applies to
    n_params: int

    def __call__(self, theta) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def value(self, theta) -> float:
        """The penalty at ``theta``."""
        return self(theta)[0]

    def gradient(self, theta) -> np.ndarray:
        """Its gradient at ``theta``, shape (n_params,)."""
        return self(theta)[1]

    def __add__(self, other):
        if isinstance(other, (int, float)) and other == 0:  # sum([...]) starts at 0
            return self
        if not isinstance(other, Penalty):
            return NotImplemented
        return PenaltySum(_terms(self) + _terms(other))

    __radd__ = __add__


def _terms(p: Penalty) -> tuple:
    return p.terms if isinstance(p, PenaltySum) else (p,)


class PenaltySum(Penalty):
    r"""The sum of penalties (e.g. one EWC penalty per task, Kirkpatrick et al. 2017, eq. 3).

    Parameters
    ----------
    terms : sequence of Penalty
        At least one; all for the same number of parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.continual import L2Anchor, PenaltySum
    >>> s = PenaltySum([L2Anchor([0.0], lam=1.0), L2Anchor([2.0], lam=1.0)])
    >>> s(np.array([1.0]))                          # 1/2 + 1/2; gradients 1 - 1
    (1.0, array([0.]))
    """

    def __init__(self, terms: Sequence[Penalty]):
        if isinstance(terms, (Penalty, str, bytes)) or not hasattr(terms, "__iter__"):
            raise TypeError(f"terms must be a sequence of Penalty, got {type(terms).__name__}")
        terms = tuple(terms)
        if not terms:
            raise ValueError("terms must hold at least one Penalty")
        for i, t in enumerate(terms):
            if not isinstance(t, Penalty):
                raise TypeError(f"terms[{i}] must be a Penalty, got {type(t).__name__}")
        sizes = {t.n_params for t in terms}
        if len(sizes) != 1:
            raise ValueError(f"terms must all have the same n_params, got {sorted(sizes)}")
        self._terms = terms
        self.n_params = sizes.pop()

    @property
    def terms(self) -> tuple:
        """The penalties summed."""
        return self._terms

    def __call__(self, theta):
        value, grad = 0.0, np.zeros(self.n_params)
        for t in self._terms:
            v, g = t(theta)
            value += v
            grad += g
        return value, grad

    def __repr__(self) -> str:
        return f"PenaltySum({list(self._terms)!r})"

    def summary(self) -> str:
        """One line per term."""
        return "\n".join(t.summary() for t in self._terms)


class QuadraticPenalty(Penalty):
    r"""Diagonal quadratic penalty :math:`\frac{\lambda}{2}\sum_i F_i(\theta_i - \theta^*_i)^2`.

    Parameters
    ----------
    anchor : array_like, shape (P,)
        :math:`\theta^*`.
    precision : array_like, shape (P,)
        :math:`F \geq 0` (for EWC the diagonal of the mean Fisher of the old task).
    lam : float
        :math:`\lambda \geq 0`, the weight of the penalty relative to the *mean* loss
        (module notes: :math:`N_{old}/N_{new}` is the Laplace value).

    Notes
    -----
    Value and gradient: :math:`\Omega = \frac{\lambda}{2}\sum_i F_i d_i^2`,
    :math:`\nabla\Omega = \lambda F \odot d` with :math:`d = \theta - \theta^*`; the
    Hessian is :math:`\lambda \operatorname{diag}(F)`. The object is immutable (its
    arrays are read-only copies).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.continual import QuadraticPenalty
    >>> p = QuadraticPenalty([1.0, 2.0], precision=[4.0, 0.0], lam=0.5)
    >>> p(np.array([2.0, 5.0]))                     # 0.5/2 * 4 * 1; only the first weight
    (1.0, array([2., 0.]))
    """

    def __init__(self, anchor, precision, lam: float):
        anchor = as_float_array(anchor, "anchor", ndim=1)
        precision = as_float_array(precision, "precision", shape=anchor.shape)
        if np.any(precision < 0):
            i = int(np.argmin(precision))
            raise ValueError(f"precision must be >= 0 (a Fisher diagonal); entry {i} is "
                             f"{precision[i]!r}")
        self._anchor = readonly(anchor)
        self._precision = readonly(precision)
        self._lam = check_scalar(lam, "lam", low=0, low_open=False)
        self.n_params = anchor.size

    anchor = property(lambda self: self._anchor, doc=r":math:`\theta^*` (read-only).")
    precision = property(lambda self: self._precision, doc=":math:`F` (read-only).")
    lam = property(lambda self: self._lam, doc=r":math:`\lambda`.")

    def __call__(self, theta):
        theta = as_float_array(theta, "theta", shape=(self.n_params,))
        with np.errstate(over="ignore", invalid="ignore"):
            d = theta - self._anchor
            w = self._lam * self._precision
            value, grad = 0.5 * float(np.dot(w * d, d)), w * d
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            raise overflow_error({"theta": theta}, "penalty")
        return value, grad

    def hessian_diagonal(self) -> np.ndarray:
        r""":math:`\lambda F`, the (constant) diagonal Hessian.

        Examples
        --------
        >>> from fisherstat.nn.continual import QuadraticPenalty
        >>> QuadraticPenalty([0.0, 0.0], [1.0, 3.0], lam=2.0).hessian_diagonal()
        array([2., 6.])
        """
        return self._lam * self._precision

    def _label(self) -> str:
        return type(self).__name__

    def summary(self) -> str:
        """One line: the weight, the precision's range and total."""
        F = self._precision
        return (f"{self._label()}: lam = {self._lam:g}, P = {self.n_params}, F in "
                f"[{F.min():.3g}, {F.max():.3g}], sum F = {F.sum():.4g}")

    def __repr__(self) -> str:
        return f"<{self.summary()}>"


class L2Anchor(QuadraticPenalty):
    r"""L2 anchoring :math:`\frac{\lambda}{2}\|\theta - \theta^*\|^2` (EWC with :math:`F = 1`).

    The baseline of Kirkpatrick et al. (2017, Fig. 2A): it protects every weight equally,
    including those the old task does not need, so a weight strong enough to keep the old
    task also keeps the network from learning new ones.

    Parameters
    ----------
    anchor : array_like, shape (P,)
    lam : float
        :math:`\lambda \geq 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.continual import L2Anchor
    >>> L2Anchor([1.0, 1.0], lam=3.0)(np.array([2.0, 0.0]))    # 3/2 * (1 + 1)
    (3.0, array([ 3., -3.]))
    """

    def __init__(self, anchor, lam: float):
        anchor = as_float_array(anchor, "anchor", ndim=1)
        super().__init__(anchor, np.ones_like(anchor), lam)


def fisher_diagonal(net, theta, X, y=None, *, kind: str | None = None, rng=None,
                    n_samples: int = 1) -> np.ndarray:
    r"""Diagonal of the mean Fisher of ``net`` at ``theta`` on ``X``, padded to ``n_params``.

    ``fisher(net, theta, X, kind, 'diag', ...).diagonal()`` (:func:`fisherstat.nn.fisher`);
    an estimated noise variance (the last entry of ``theta``) gets 0: EWC does not anchor
    it.

    Parameters
    ----------
    net : MLP
    theta : array_like, shape (n_params,)
    X : array_like, shape (N, d_in)
    y : array_like, optional
        Observed responses: required for, and only for, ``kind='empirical'``.
    kind : {'exact', 'monte_carlo', 'empirical'}
        Required (see the module notes: the kinds differ).
    rng : int or np.random.Generator, optional
        Labels of ``'monte_carlo'``.
    n_samples : int, default 1
        Labels per input for ``'monte_carlo'``.

    Returns
    -------
    ndarray, shape (n_params,)

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn.continual import fisher_diagonal
    >>> net = MLP([3, 4, 2], output="softmax")
    >>> theta, X = net.init(rng=0), np.random.default_rng(0).standard_normal((50, 3))
    >>> y = net.sample(theta, rng=1, x=X)
    >>> G = net.per_sample_grad(theta, X, y)          # squared observed gradients
    >>> bool(np.allclose(fisher_diagonal(net, theta, X, y, kind="empirical"),
    ...                  np.mean(G**2, axis=0)))
    True
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    check_kind(kind)
    if kind == "empirical" and y is None:
        raise ValueError("kind='empirical' needs the observed labels y of the task")
    if kind != "empirical":
        y = None  # the observed labels play no part in 'exact' and 'monte_carlo'
    d = fisher(net, theta, X, kind, "diag", y=y, rng=rng, n_samples=n_samples).diagonal()
    if net.estimate_sigma2:
        d = np.append(d, 0.0)
    return np.asarray(d, dtype=float)


def check_kind(kind):
    """The ``kind`` of a continual-learning Fisher (required; shared with the experiments)."""
    if kind is None:
        raise ValueError(f"kind is required: the Fisher to use, one of {KINDS} (see "
                         "fisherstat.nn.continual: 'exact' is the Fisher, 'monte_carlo' "
                         "Kirkpatrick et al.'s sampled-label estimate, 'empirical' the "
                         "squared observed gradients)")
    check_choice(kind, "kind", KINDS)


class EWC(QuadraticPenalty):
    r"""Elastic weight consolidation (Kirkpatrick et al. 2017, PNAS, eq. 3), and online EWC.

    :math:`\Omega(\theta) = \frac{\lambda}{2}\sum_i F_i(\theta_i - \theta^*_i)^2` with
    :math:`F` the diagonal of the mean Fisher of the consolidated task(s). Build it with
    :meth:`from_task`; :meth:`consolidate` folds in the next task (online EWC). See the
    module notes for the scaling of ``lam`` and the choice of ``kind``.

    Parameters
    ----------
    anchor, precision : array_like, shape (P,)
        :math:`\theta^*` and :math:`F`.
    lam : float
        :math:`\lambda \geq 0`.
    kind : str
        How ``precision`` was computed: one of :data:`fisherstat.nn.KINDS`, or
        ``'given'``.
    gamma : float, default 1
        Decay of online EWC used so far (1: Huszár's recursive Laplace approximation).
    n_tasks : int, default 1
        Tasks consolidated.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, SGD, train
    >>> from fisherstat.nn.continual import EWC
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> net = MLP([2, 4, 2], output="softmax")
    >>> theta_A = train(net, net.init(rng=0), X, y, SGD(lr=0.5), n_steps=50).theta
    >>> ewc = EWC.from_task(net, theta_A, X, kind="exact", lam=10.0)
    >>> ewc(theta_A)[0], bool(np.all(ewc(theta_A)[1] == 0))
    (0.0, True)
    >>> r = train(net, theta_A, X, 1 - y, SGD(lr=0.5), n_steps=50, penalty=ewc)
    >>> ewc.n_params == net.n_params, ewc.kind
    (True, 'exact')
    """

    def __init__(self, anchor, precision, lam: float, *, kind: str = "given",
                 gamma: float = 1.0, n_tasks: int = 1):
        super().__init__(anchor, precision, lam)
        check_choice(kind, "kind", KINDS + ("given",))
        self._kind = kind
        self._gamma = check_scalar(gamma, "gamma", low=0, high=1, low_open=False,
                                   high_open=False)
        self._n_tasks = check_int(n_tasks, "n_tasks", low=1)

    kind = property(lambda self: self._kind, doc="How the Fisher diagonal was computed.")
    gamma = property(lambda self: self._gamma, doc=r"Online decay :math:`\gamma`.")
    n_tasks = property(lambda self: self._n_tasks, doc="Tasks consolidated.")

    @classmethod
    def from_task(cls, net, theta_star, X, y=None, *, kind: str | None = None,
                  lam: float, rng=None, n_samples: int = 1) -> EWC:
        r"""The EWC penalty of a trained task: anchor ``theta_star``, Fisher on ``X``.

        Parameters
        ----------
        net : MLP
        theta_star : array_like, shape (n_params,)
            Parameters after training on the task.
        X : array_like, shape (N, d_in)
            The task's inputs (its training set).
        y : array_like, optional
            The task's labels: required for, and only used by, ``kind='empirical'``.
        kind : {'exact', 'monte_carlo', 'empirical'}
            **Required.** The Fisher of the penalty (module notes).
        lam : float
            :math:`\lambda \geq 0`, relative to the *mean* loss of the next task.
        rng : int or np.random.Generator, optional
            Sampled labels of ``'monte_carlo'``.
        n_samples : int, default 1
            Labels per input for ``'monte_carlo'`` (Kirkpatrick et al.: one).

        Returns
        -------
        EWC

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP, fisher
        >>> from fisherstat.nn.continual import EWC
        >>> net = MLP([2, 3, 2], output="softmax")
        >>> theta, X = net.init(rng=0), np.random.default_rng(1).standard_normal((30, 2))
        >>> ewc = EWC.from_task(net, theta, X, kind="exact", lam=2.0)
        >>> F = fisher(net, theta, X, "exact").to_dense()
        >>> bool(np.allclose(ewc.precision, np.diag(F)))
        True
        """
        theta_star = check_theta(net, theta_star, "theta_star")
        lam = check_scalar(lam, "lam", low=0, low_open=False)
        F = fisher_diagonal(net, theta_star, X, y, kind=kind, rng=rng, n_samples=n_samples)
        return cls(theta_star, F, lam, kind=kind)

    def consolidate(self, net, theta_star, X, y=None, *, gamma: float = 1.0, rng=None,
                    n_samples: int = 1) -> EWC:
        r"""Online EWC: fold in the next task, :math:`F \leftarrow \gamma F + F_t`.

        The new penalty is anchored at ``theta_star`` (the parameters after the new task)
        with precision :math:`\gamma F + F_t`, :math:`F_t` the Fisher diagonal of the new
        task (same ``kind``) at ``theta_star`` (Schwarz et al. 2018, section 2.2; with
        :math:`\gamma = 1` the recursive Laplace approximation of Huszár 2018). ``lam``
        is kept. ``self`` is not changed.

        Parameters
        ----------
        net : MLP
        theta_star : array_like, shape (n_params,)
        X : array_like
            Inputs of the new task.
        y : array_like, optional
            Its labels (``kind='empirical'`` only).
        gamma : float in [0, 1], default 1
            Decay of the old tasks' Fisher.
        rng : int or np.random.Generator, optional
        n_samples : int, default 1

        Returns
        -------
        EWC

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> from fisherstat.nn.continual import EWC, fisher_diagonal
        >>> net = MLP([2, 3, 2], output="softmax")
        >>> rng = np.random.default_rng(0)
        >>> X1, X2 = rng.standard_normal((20, 2)), rng.standard_normal((20, 2)) + 1
        >>> t1, t2 = net.init(rng=1), net.init(rng=2)
        >>> e = EWC.from_task(net, t1, X1, kind="exact", lam=1.0)
        >>> e2 = e.consolidate(net, t2, X2, gamma=0.5)
        >>> F2 = fisher_diagonal(net, t2, X2, kind="exact")
        >>> bool(np.allclose(e2.precision, 0.5 * e.precision + F2)), e2.n_tasks
        (True, 2)
        """
        if self._kind not in KINDS:
            raise ValueError("consolidate needs the kind of the Fisher; this penalty has "
                             "kind='given' (build it with EWC.from_task)")
        theta_star = check_theta(net, theta_star, "theta_star")
        if theta_star.size != self.n_params:
            raise ValueError(f"theta_star must have length {self.n_params}, got "
                             f"{theta_star.size}")
        gamma = check_scalar(gamma, "gamma", low=0, high=1, low_open=False, high_open=False)
        F_t = fisher_diagonal(net, theta_star, X, y, kind=self._kind, rng=rng,
                              n_samples=n_samples)
        return EWC(theta_star, gamma * self._precision + F_t, self._lam, kind=self._kind,
                   gamma=gamma, n_tasks=self._n_tasks + 1)

    def _label(self) -> str:
        online = f", online gamma = {self._gamma:g}" if self._n_tasks > 1 else ""
        return f"EWC ({self._kind} Fisher, {self._n_tasks} task(s){online})"


def check_theta(net, theta, name):
    """``theta`` of ``net`` checked under the argument's own name (shared with the experiments)."""
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")
    theta = as_float_array(theta, name, ndim=1)
    if theta.shape != (net.n_params,):
        raise ValueError(f"{name} must have length net.n_params = {net.n_params}, got "
                         f"{theta.size}")
    return net.validate(theta)
