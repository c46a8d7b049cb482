r"""The width sweep: Karakida, Akaho & Amari's (2019) spectrum statistics, theory against
measurement, over network widths (the experiment of :mod:`fisherstat.nn.spectrum`).

:func:`width_sweep` measures the Fisher spectrum statistics of random networks of growing
width and compares them with the mean-field prediction; :class:`WidthSweep` holds the
table, the fitted slopes and a plot. Re-exported from :mod:`fisherstat.nn` and
:mod:`fisherstat.nn.spectrum`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..._figures import check_axes
from ..._progress import progress_bar
from ..._validation import check_bool, check_choice, check_int, check_random_state
from ..mean_field import (
    OUTPUTS,
    OrderParameters,
    SpectrumStatistics,
    ensemble,
    ensemble_statistics,
    order_parameters,
    predicted_statistics,
)
from ..mlp import MLP
from ..spectrum import fisher_gram, ntk_gram, stats_from_gram

__all__ = ["WidthSweep", "width_sweep"]

# =========================================================================== width sweep
_STATS = ("m1", "m2", "lambda_max", "outlier_mean", "lambda_max_centered")


@dataclass(frozen=True, eq=False)
class WidthSweep:
    r"""Measured vs predicted spectrum statistics of random networks of growing width.

    Built by :func:`width_sweep`. Measured arrays have shape ``(n_widths, n_networks)``;
    predictions (finite-width bookkeeping, :func:`predicted_statistics`) and Karakida's
    leading order have shape ``(n_widths,)``.

    Attributes
    ----------
    widths : ndarray of int
    n_params : ndarray of int
    order : OrderParameters
    output : str
    n_outputs, n_samples, n_networks, depth : int
    measured : dict
        ``'m1'``, ``'m2'``, ``'lambda_max'``, ``'outlier_mean'`` and
        ``'lambda_max_centered'`` (mean-subtracted output) -> (n_widths, n_networks).
    predicted, leading : dict
        The same keys -> (n_widths,); ``'lambda_max_centered'`` is a lower bound, not a
        prediction (:attr:`~fisherstat.nn.SpectrumStatistics.is_lower_bound`).
    seconds : float
        Wall time of the sweep.

    Examples
    --------
    >>> from fisherstat.nn import width_sweep
    >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2, rng=0)
    >>> sw.measured["m1"].shape, sw.predicted["m1"].shape
    ((2, 2), (2,))
    >>> sw.n_params.tolist()                     # MLP([M, M, M, 2])
    [2178, 8450]
    """

    widths: np.ndarray
    n_params: np.ndarray
    order: OrderParameters
    output: str
    n_outputs: int
    n_samples: int
    n_networks: int
    depth: int
    measured: dict
    predicted: dict
    leading: dict
    seconds: float

    def mean(self, name: str) -> np.ndarray:
        """Mean over the networks of a measured statistic, (n_widths,)."""
        return self.measured[self._key(name)].mean(axis=1)

    def stderr(self, name: str) -> np.ndarray:
        """Standard error of that mean over the ``n_networks`` networks (NaN for one)."""
        v = self.measured[self._key(name)]
        if v.shape[1] < 2:
            return np.full(v.shape[0], np.nan)
        return v.std(axis=1, ddof=1) / np.sqrt(v.shape[1])

    def _key(self, name):
        check_choice(name, "name", _STATS)
        return name

    def slopes(self, source: str = "measured") -> dict:
        """Least-squares slopes of log(statistic) on log(width) (theory: -1, 0, 1, 1, 1).

        ``source`` is ``'measured'`` (of the means over networks), ``'predicted'`` or
        ``'leading'``.
        """
        if source not in ("measured", "predicted", "leading"):
            raise ValueError(f"source must be 'measured', 'predicted' or 'leading', "
                             f"got {source!r}")
        x = np.log(self.widths)
        out = {}
        for k in _STATS:
            y = self.mean(k) if source == "measured" else getattr(self, source)[k]
            out[k] = float(np.polyfit(x, np.log(y), 1)[0]) if self.widths.size > 1 \
                else float("nan")
        return out

    def summary(self) -> str:
        """Theory vs measurement, one row per width.

        Examples
        --------
        >>> from fisherstat.nn import width_sweep
        >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2)
        >>> print(sw.summary().splitlines()[0][:60])
        Karakida spectrum statistics: tanh, sigma_w^2 = 3, sigma_b^2
        """
        o = self.order
        lines = [
            f"Karakida spectrum statistics: {o.activation}, sigma_w^2 = {o.sigma_w2:g}, "
            f"sigma_b^2 = {o.sigma_b2:g}, depth {self.depth} (L = {o.n_layers}), "
            f"{self.output} output, C = {self.n_outputs}, N = {self.n_samples}, "
            f"{self.n_networks} networks per width ({self.seconds:.1f} s)",
            f"kappa1 = {o.kappa1:.4g}, kappa2 = {o.kappa2:.4g}, alpha = {o.alpha:.4g}; "
            "measured: mean (standard error); theory: finite-width [leading order]; "
            "centred max: the theory is a lower bound (the mean-field bulk)",
            f"{'M':>5} {'P':>9} | {'m1 measured':>19} {'theory':>9} | "
            f"{'m2 measured':>17} {'theory':>8} | {'lambda_max meas.':>18} "
            f"{'theory':>8} {'[leading]':>9} | {'outlier mean':>16} {'theory':>8} | "
            f"{'centred max':>16} {'lower bd':>8}"]
        for i, M in enumerate(self.widths):
            def ms(k, fmt, i=i):
                return f"{self.mean(k)[i]:{fmt}} ({self.stderr(k)[i]:.2g})"
            p, ld = self.predicted, self.leading
            lines.append(
                f"{M:>5d} {self.n_params[i]:>9d} | {ms('m1', '10.4g'):>19} "
                f"{p['m1'][i]:>9.4g} | {ms('m2', '8.4g'):>17} {p['m2'][i]:>8.4g} | "
                f"{ms('lambda_max', '8.4g'):>18} {p['lambda_max'][i]:>8.4g} "
                f"[{ld['lambda_max'][i]:>7.4g}] | {ms('outlier_mean', '7.4g'):>16} "
                f"{p['outlier_mean'][i]:>8.4g} | {ms('lambda_max_centered', '7.4g'):>16} "
                f"{p['lambda_max_centered'][i]:>8.4g}")
        s = self.slopes()
        lines.append("log-log slopes (measured): " + ", ".join(
            f"{k} {v:+.2f}" for k, v in s.items()) + "  (theory: m1 -1, m2 0, others +1)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None):
        """Log-log theory lines and measured points (mean and standard error).

        Solid lines: the finite-width predictions; dotted: Karakida's leading order. For
        the mean-subtracted output the (dashed) line is a *lower bound*, labelled so: the largest
        eigenvalue of the mean-field Gram matrix, where the centred bulk is degenerate
        (:attr:`SpectrumStatistics.is_lower_bound`); the measurement lies above it, close
        only for N C << M. ``ax``: None (a new figure with three panels) or a sequence of
        three Axes. Returns the array of Axes.
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter

        if ax is None:
            _, ax = plt.subplots(1, 3, figsize=(12, 3.6))
        ax = np.asarray(ax, dtype=object).ravel()
        if ax.size != 3:
            raise ValueError(f"ax must be a sequence of 3 Axes, got {ax.size}")
        for a in ax:
            check_axes(a, "ax")
        M = self.widths
        panels = [("m1", [("m1", "C0", r"$m_\lambda$", "theory")],
                   r"mean eigenvalue $m_\lambda$"),
                  ("m2", [("m2", "C1", r"$s_\lambda$", "theory")], r"second moment $s_\lambda$"),
                  ("lambda_max", [("lambda_max", "C2", r"$\lambda_{\max}$", "theory"),
                                  ("lambda_max_centered", "C3",
                                   r"$\lambda_{\max}$, mean-subtracted",
                                   "mean-field lower bound,")],
                   "largest eigenvalue")]
        for a, (_, series, title) in zip(ax, panels, strict=True):
            for key, color, label, kind in series:
                style = "-" if kind == "theory" else "--"  # a bound: dashed
                a.plot(M, self.predicted[key], style, color=color, label=f"{kind} {label}")
                a.plot(M, self.leading[key], ":", color=color, lw=1)
                a.errorbar(M, self.mean(key), yerr=self.stderr(key), fmt="o", color=color,
                           ms=4, capsize=2, label=f"measured {label}")
            a.set_xscale("log")
            a.set_yscale("log")
            a.set_xticks(M)
            a.set_xticklabels([str(m) for m in M])
            a.xaxis.set_minor_formatter(NullFormatter())
            a.set_xlabel("width M")
            a.set_title(title, fontsize=10)
            a.legend(fontsize=7)
        return ax


def _astuple(s: SpectrumStatistics) -> tuple:
    return s.m1, s.m2, s.lambda_max, s.outlier_mean


def width_sweep(widths: Sequence[int], *, depth: int = 3, activation: str = "tanh",
                sigma_w2: float = 3.0, sigma_b2: float = 0.64, output: str = "linear",
                n_outputs: int = 3, n_samples: int = 100, n_networks: int = 3,
                alphas: Sequence[float] | None = None, n_mc: int = 64,
                rng=None, progress: bool = False) -> WidthSweep:
    r"""Measure the Fisher spectrum statistics of random networks of growing width.

    For each width ``M`` and each of ``n_networks`` networks: ``MLP([M_0, M_1, ...,
    M_depth, C])`` with ``M_l = round(alpha_l M)`` initialised by
    ``init(rng, sigma_w2, sigma_b2)``, ``N = n_samples`` fresh standard normal inputs,
    and :func:`measured_statistics` with and without mean subtraction; next to
    :func:`predicted_statistics` (finite width, and the leading order).

    Parameters
    ----------
    widths : sequence of int
        Widths ``M >= 2``, increasing.
    depth : int, default 3
        Hidden layers (``L = depth + 1`` affine layers).
    activation, sigma_w2, sigma_b2
        As in :func:`order_parameters`; the defaults (tanh, 3, 0.64) have
        :math:`\kappa_2 > 0`.
    output : {'linear', 'softmax', 'sigmoid'}
    n_outputs, n_samples, n_networks : int
        ``C``, ``N`` and the networks per width.
    alphas : sequence of float, optional
        ``depth + 1`` width ratios of the input and hidden layers (default all 1).
    n_mc : int
        Monte Carlo draws of logits for softmax/sigmoid predictions.
    rng : int or np.random.Generator, optional
    progress : bool, default False
        Show the networks measured on stderr (tqdm if installed, plain text otherwise)
        with the current width; the result is the same as without.

    Returns
    -------
    WidthSweep

    Examples
    --------
    >>> from fisherstat.nn import width_sweep
    >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2, rng=0)
    >>> bool(sw.mean("lambda_max")[1] > sw.mean("lambda_max")[0])
    True
    """
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__") or len(widths) == 0:
        raise TypeError(f"widths must be a non-empty sequence of int, got {widths!r}")
    widths = np.array([check_int(w, "widths", low=2) for w in widths])
    if np.any(np.diff(widths) <= 0):
        raise ValueError(f"widths must be strictly increasing, got {widths.tolist()}")
    depth = check_int(depth, "depth", low=1)
    check_choice(output, "output", OUTPUTS)
    C = check_int(n_outputs, "n_outputs", low=2 if output == "softmax" else 1)
    N = check_int(n_samples, "n_samples", low=2)
    R = check_int(n_networks, "n_networks", low=1)
    n_mc = check_int(n_mc, "n_mc", low=2)
    rng = check_random_state(rng)
    progress = check_bool(progress, "progress")
    t0 = time.perf_counter()
    op = order_parameters(activation, sigma_w2, sigma_b2, depth + 1, alphas)
    measured = {k: np.empty((widths.size, R)) for k in _STATS}
    predicted = {k: np.empty(widths.size) for k in _STATS}
    leading = {k: np.empty(widths.size) for k in _STATS}
    n_params = np.empty(widths.size, dtype=int)
    n_out = C - 1 if output == "softmax" else C
    if output != "linear":  # the same logit draws for every width (as predicted_statistics)
        sets = ensemble(op, output, N, C, False, n_mc, check_random_state(1))
        sets_c = ensemble(op, output, N, C, True, n_mc, check_random_state(1))
    bar = progress_bar(progress, "width_sweep", widths.size * R, unit="network")
    for i, M in enumerate(widths):  # loop over widths and networks
        sizes = op.widths(int(M), C)
        net = MLP(sizes, activation, output)
        n_params[i] = net.n_weights
        for r in range(R):
            theta = net.init(rng, sigma_w2, sigma_b2)
            X = rng.standard_normal((N, sizes[0]))
            K = ntk_gram(net, theta, X)
            s = stats_from_gram(fisher_gram(net, theta, X, K, False), net.n_weights, net,
                                 N, False)
            c = fisher_gram(net, theta, X, K, True)
            for k in ("m1", "m2", "lambda_max", "outlier_mean"):
                measured[k][i, r] = getattr(s, k)
            measured["lambda_max_centered"][i, r] = float(np.linalg.eigvalsh(c)[-1])
            if bar is not None:
                bar.update(1, f"width {int(M)}")
        for target, fw in ((predicted, True), (leading, False)):
            theta1, theta2, P = op.kernel(int(M), C, finite_width=fw)
            if output == "linear":
                kw = dict(n_samples=N, finite_width=fw)
                p = _astuple(predicted_statistics(op, int(M), C, **kw))
                pc = _astuple(predicted_statistics(op, int(M), C, center=True, **kw))
            else:
                p = ensemble_statistics(theta1, theta2, P, sets, False, n_out, False)[0]
                pc = ensemble_statistics(theta1, theta2, P, sets_c, True, n_out, False)[0]
            for j, k in enumerate(("m1", "m2", "lambda_max", "outlier_mean")):
                target[k][i] = p[j]
            target["lambda_max_centered"][i] = pc[2]
    if bar is not None:
        bar.close()
    return WidthSweep(widths=widths, n_params=n_params, order=op, output=output,
                      n_outputs=C, n_samples=N, n_networks=R, depth=depth,
                      measured=measured, predicted=predicted, leading=leading,
                      seconds=time.perf_counter() - t0)
