r"""The active-learning experiment: strategies compared on one pool, a redundant pool.

The library side (:func:`~fisherstat.nn.expected_gradient_length`, the uncertainty
scores, :func:`~fisherstat.nn.active_learning`) is :mod:`fisherstat.nn.active`; this module
holds the experiment around it: :func:`compare_strategies` (repeated runs of every
strategy, :class:`LearningCurves`) and :func:`make_redundant_pool` (the pool on which
uncertainty sampling beats random sampling). Re-exported from :mod:`fisherstat.nn`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..._figures import check_axes
from ..._progress import progress_bar
from ..._validation import check_bool, check_choice, check_int, check_random_state, check_scalar
from ..active import STRATEGIES, active_learning

__all__ = ["LearningCurves", "compare_strategies", "make_redundant_pool"]


# ----------------------------------------------------------- paired comparison
@dataclass(frozen=True)
class LearningCurves:
    r"""Learning curves of several strategies over paired seeds (:func:`compare_strategies`).

    Attributes
    ----------
    strategies : tuple of str
    n_labelled : ndarray of int, shape (n_rounds + 1,)
    accuracy, loss : ndarray, shape (n_strategies, n_seeds, n_rounds + 1)
        Test accuracy and test loss of every run; seed ``s`` is the same initial labelled
        set and initial weights for every strategy.
    seconds : ndarray, shape (n_strategies,)
        Total wall time of each strategy.
    labelled : ndarray of int, shape (n_strategies, n_seeds, n_labelled[-1]), optional
        Pool indices of every run's labelled set, in labelling order (the initial set
        first).

    Notes
    -----
    **Area under the learning curve** (:meth:`auc`): the trapezoidal mean of the test
    accuracy over the labelled-set sizes, normalised by their range, so that it is an
    average accuracy in [0, 1]. Differences between strategies are *paired* (same seed),
    and their standard errors are those of the per-seed differences.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import LearningCurves
    >>> acc = np.array([[[0.5, 0.9, 1.0]], [[0.5, 0.7, 0.9]]])
    >>> lc = LearningCurves(("egl", "random"), np.array([2, 4, 6]), acc, 1 - acc,
    ...                     np.zeros(2))
    >>> lc.auc()[:, 0]                     # (0.5 + 2 * 0.9 + 1.0) / 4, (0.5 + 1.4 + 0.9) / 4
    array([0.825, 0.7  ])
    >>> lc.labels_to_reach(0.9)
    {'egl': 4, 'random': 6}
    """

    strategies: tuple
    n_labelled: np.ndarray
    accuracy: np.ndarray
    loss: np.ndarray
    seconds: np.ndarray
    labelled: np.ndarray | None = None

    @property
    def n_seeds(self) -> int:
        """Number of paired seeds."""
        return self.accuracy.shape[1]

    def _index(self, strategy, name="strategy"):
        check_choice(strategy, name, self.strategies)
        return self.strategies.index(strategy)

    def mean(self, metric: str = "accuracy") -> np.ndarray:
        """Mean curve of each strategy over the seeds, (n_strategies, n_rounds + 1)."""
        return self._metric(metric).mean(axis=1)

    def se(self, metric: str = "accuracy") -> np.ndarray:
        """Standard error of :meth:`mean` (NaN with one seed)."""
        a = self._metric(metric)
        if self.n_seeds < 2:
            return np.full(a.shape[::2], np.nan)
        return a.std(axis=1, ddof=1) / np.sqrt(self.n_seeds)

    def _metric(self, metric):
        if metric not in ("accuracy", "loss"):
            raise ValueError(f"metric must be 'accuracy' or 'loss', got {metric!r}")
        return self.accuracy if metric == "accuracy" else self.loss

    def auc(self, metric: str = "accuracy") -> np.ndarray:
        """Normalised area under each run's learning curve, (n_strategies, n_seeds)."""
        a = self._metric(metric)
        n = self.n_labelled.astype(float)
        if n.size < 2:
            return a[..., 0].copy()
        w = np.diff(n)
        return np.sum(0.5 * (a[..., 1:] + a[..., :-1]) * w, axis=-1) / (n[-1] - n[0])

    def auc_difference(self, strategy: str, baseline: str = "random",
                       metric: str = "accuracy") -> tuple[float, float]:
        """Paired mean difference of :meth:`auc`, ``strategy - baseline``, and its SE."""
        i, b = self._index(strategy), self._index(baseline, "baseline")
        d = self.auc(metric)[i] - self.auc(metric)[b]
        se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.nan
        return float(d.mean()), float(se)

    def labels_to_reach(self, target: float) -> dict:
        """Labels each strategy needs to reach ``target`` accuracy *and stay there*.

        The smallest labelled-set size from which the strategy's mean accuracy is at
        least ``target`` at every later size (None if it ends below): a noisy curve that
        touches the target early and falls back does not count.
        """
        target = check_scalar(target, "target", low=0, high=1, low_open=False,
                              high_open=False)
        out = {}
        for s, m in zip(self.strategies, self.mean("accuracy"), strict=True):
            below = np.flatnonzero(m < target)
            if below.size == 0:
                out[s] = int(self.n_labelled[0])
            elif below[-1] == m.size - 1:
                out[s] = None
            else:
                out[s] = int(self.n_labelled[below[-1] + 1])
        return out

    def summary(self, target: float | None = None, baseline: str | None = None) -> str:
        """Table: final accuracy, AUC (mean +- SE), paired AUC gain over the baseline and
        labels needed to reach ``target`` (default: the baseline's final mean accuracy).

        ``baseline`` defaults to ``'random'`` if it was run, else the first strategy.
        """
        if baseline is None:
            baseline = "random" if "random" in self.strategies else self.strategies[0]
        b = self._index(baseline, "baseline")
        mean, se = self.mean(), self.se()
        if target is None:
            target = float(mean[b, -1])
        reach = self.labels_to_reach(target)
        auc = self.auc()
        auc_se = (auc.std(axis=1, ddof=1) / np.sqrt(self.n_seeds) if self.n_seeds > 1
                  else np.full(len(self.strategies), np.nan))
        lines = [
            f"{len(self.strategies)} strategies x {self.n_seeds} paired seeds, labels "
            f"{self.n_labelled[0]}..{self.n_labelled[-1]}; mean +- SE",
            f"{'strategy':>16} {'final acc':>16} {'AUC':>16} {'AUC - ' + baseline:>18} "
            f"{f'labels to {target:.3f}':>17} {'seconds':>8}"]
        for i, s in enumerate(self.strategies):
            d, dse = self.auc_difference(s, baseline) if i != b else (0.0, 0.0)
            lines.append(
                f"{s:>16} {mean[i, -1]:>8.4f} +- {se[i, -1]:.4f} "
                f"{auc[i].mean():>8.4f} +- {auc_se[i]:.4f} {d:>+10.4f} +- {dse:.4f} "
                f"{str(reach[s]):>17} {self.seconds[i]:>8.2f}")
        return "\n".join(lines)

    def plot(self, ax=None, metric: str = "accuracy"):
        """Mean learning curves with +- 1 SE bands; returns the axes."""
        check_axes(ax)
        self._metric(metric)
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots()[1]
        mean, se = self.mean(metric), self.se(metric)
        for i, s in enumerate(self.strategies):
            line = ax.plot(self.n_labelled, mean[i], label=s)[0]
            if self.n_seeds > 1:
                ax.fill_between(self.n_labelled, mean[i] - se[i], mean[i] + se[i],
                                color=line.get_color(), alpha=0.2, lw=0)
        ax.set_xlabel("labelled examples")
        ax.set_ylabel(f"test {metric}")
        ax.legend()
        return ax


def compare_strategies(net, X_pool, y_pool, X_test, y_test, *,
                       strategies=("egl", "entropy", "random"), n_seeds: int = 5, rng=None,
                       progress: bool = False, **kwargs) -> LearningCurves:
    r"""Run :func:`active_learning` for several strategies over paired seeds.

    Seed ``s`` (a child of ``np.random.SeedSequence`` from ``rng``) gives every strategy
    the same initial labelled set, the same initial weights and the same training stream,
    so that differences between strategies are paired.

    Parameters
    ----------
    net, X_pool, y_pool, X_test, y_test
        As in :func:`active_learning`.
    strategies : sequence of str
        Members of :data:`STRATEGIES` (no repeats).
    n_seeds : int, default 5
    rng : int or np.random.Generator, optional
    progress : bool, default False
        Show the finished runs (strategy x seed) on stderr (tqdm if installed, plain text
        otherwise); the result is the same as without.
    **kwargs
        Passed to :func:`active_learning` (``n_initial``, ``batch_size``, ``n_rounds``,
        ``optimizer``, ``n_steps``, ``l2``, ``warm_start``, ``sigma_w2``).

    Returns
    -------
    LearningCurves

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP
    >>> from fisherstat.nn import compare_strategies
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, (300, 2))
    >>> y = (X[:, 0] > 0.4).astype(int)
    >>> lc = compare_strategies(MLP([2, 2], output="softmax"), X[:200], y[:200], X[200:],
    ...                         y[200:], strategies=("egl", "random"), n_seeds=2,
    ...                         n_initial=4, batch_size=2, n_rounds=3, n_steps=100, rng=0)
    >>> lc.accuracy.shape, lc.n_labelled.tolist()
    ((2, 2, 4), [4, 6, 8, 10])
    """
    if isinstance(strategies, str) or not hasattr(strategies, "__iter__"):
        raise TypeError(f"strategies must be a sequence of strategy names, got {strategies!r}")
    strategies = tuple(strategies)
    if not strategies:
        raise ValueError("strategies must not be empty")
    for s in strategies:
        check_choice(s, "strategies", STRATEGIES)
    if len(set(strategies)) != len(strategies):
        raise ValueError(f"strategies must not repeat, got {strategies}")
    for key in ("strategy", "rng"):
        if key in kwargs:
            raise TypeError(f"compare_strategies does not take {key!r} in kwargs")
    n_seeds = check_int(n_seeds, "n_seeds", low=1)
    progress = check_bool(progress, "progress")
    ss = np.random.SeedSequence(int(check_random_state(rng).integers(2**63)))
    seeds = ss.spawn(n_seeds)
    acc, loss, secs, sizes, chosen = [], [], [], None, []
    bar = progress_bar(progress, "compare_strategies", len(strategies) * n_seeds, unit="run")
    for s in strategies:
        runs = []
        for seed in seeds:
            runs.append(active_learning(net, X_pool, y_pool, X_test, y_test, strategy=s,
                                        rng=seed, **kwargs))
            if bar is not None:
                bar.update(1, f"strategy {s}")
        acc.append([r.test_accuracy for r in runs])
        loss.append([r.test_loss for r in runs])
        secs.append(sum(r.seconds for r in runs))
        chosen.append([r.labelled for r in runs])
        sizes = runs[0].n_labelled
    if bar is not None:
        bar.close()
    return LearningCurves(strategies, sizes, np.asarray(acc), np.asarray(loss),
                          np.asarray(secs), np.asarray(chosen, dtype=np.intp))


def make_redundant_pool(n: int, *, hard_fraction: float = 0.2, slope: float = 10.0,
                        rng=None) -> tuple[np.ndarray, np.ndarray]:
    r"""A two-class pool where most points are easy and redundant: the case for active learning.

    A fraction ``1 - hard_fraction`` of the inputs lies in two tight clusters far from the
    class boundary, :math:`N((\pm 3, 0), 0.5^2 I)`; the rest is uniform on the strip
    :math:`[-1.5, 1.5] \times [-2, 2]` around it. Labels follow a logistic model with the
    linear boundary :math:`x_1 = 0.3 + 0.2 x_2` and logit
    :math:`\text{slope} \cdot (x_1 - 0.3 - 0.2 x_2)`. Random sampling spends most labels
    on the clusters, which any boundary between them classifies correctly; only the strip
    points locate the boundary. This is the regime in which uncertainty sampling is
    expected to beat random sampling (Settles 2009, "Active learning literature survey",
    section 6: redundant, imbalanced pools).

    Parameters
    ----------
    n : int
        Number of points.
    hard_fraction : float in (0, 1), default 0.2
        Expected fraction of strip points.
    slope : float, default 10
        Steepness of the logistic labels (larger: less label noise).
    rng : int or np.random.Generator, optional

    Returns
    -------
    X : ndarray, shape (n, 2)
    y : ndarray of int, shape (n,)

    Examples
    --------
    >>> from fisherstat.nn import make_redundant_pool
    >>> X, y = make_redundant_pool(1000, rng=0)
    >>> X.shape, round(float(y.mean()), 2)
    ((1000, 2), 0.48)
    """
    n = check_int(n, "n", low=1)
    hard_fraction = check_scalar(hard_fraction, "hard_fraction", low=0, high=1)
    slope = check_scalar(slope, "slope", low=0)
    rng = check_random_state(rng)
    hard = rng.random(n) < hard_fraction
    strip = np.column_stack([rng.uniform(-1.5, 1.5, n), rng.uniform(-2.0, 2.0, n)])
    side = np.where(rng.random(n) < 0.5, -3.0, 3.0)
    blobs = np.column_stack([side, np.zeros(n)]) + 0.5 * rng.standard_normal((n, 2))
    X = np.where(hard[:, None], strip, blobs)
    logit = slope * (X[:, 0] - 0.3 - 0.2 * X[:, 1])
    y = (rng.random(n) < special.expit(logit)).astype(int)
    return X, y
