"""Figures of fisherstat results (optional: needs matplotlib, the ``[plot]`` extra).

matplotlib is imported only when a figure is drawn, so that ``import fisherstat`` never
needs it. The functions return a :class:`matplotlib.figure.Figure`; save it with
``fig.savefig(path)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_study", "plot_convergence", "require_matplotlib"]

_MAX_PARAMS = 6  # parameters shown in the per-parameter rows of a study figure
_COLORS = {"expected": "C0", "observed": "C1", "opg": "C2", "sandwich": "C3"}


def require_matplotlib():
    """Import and return ``matplotlib.pyplot``, or raise an ImportError naming the extra.

    Examples
    --------
    >>> from fisherstat.plot import require_matplotlib
    >>> plt = require_matplotlib()
    >>> hasattr(plt, "figure")
    True
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib: install it with `pip install 'fisherstat[plot]'` "
            f"(or `pip install matplotlib`); the import failed with: {exc}"
        ) from exc
    return plt


def _check_report(report, *, single: bool):
    """``report`` must be an AsymptoticReport (of one sample size when ``single``)."""
    from .asymptotics import AsymptoticReport

    if not isinstance(report, AsymptoticReport):
        raise TypeError("report must be an AsymptoticReport (from check_asymptotics), got "
                        f"{type(report).__name__}")
    if single and len(report.sizes) != 1:
        raise ValueError(f"report must be of one sample size, got the sizes {report.sizes}: "
                         "use report.at(n) or plot_convergence")


def _check_figure(fig, plt):
    """``fig`` must be None or a matplotlib Figure."""
    from matplotlib.figure import Figure

    if fig is not None and not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None, got {type(fig).__name__}")


def check_axes(ax, name: str = "ax"):
    """``ax`` if it is ``None`` or a matplotlib ``Axes``, else a ``TypeError`` naming ``name``.

    The one check of every ``plot(ax=...)`` method, made before any figure is drawn;
    matplotlib is imported only for an ``ax`` that is given.

    Examples
    --------
    >>> from fisherstat.plot import check_axes
    >>> check_axes(None) is None
    True
    >>> check_axes("ax")
    Traceback (most recent call last):
    ...
    TypeError: ax must be a matplotlib Axes or None, got str
    """
    if ax is None:
        return None
    try:
        from matplotlib.axes import Axes
    except ImportError:  # without matplotlib nothing is an Axes
        Axes = ()
    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def plot_study(report, fig=None):
    """Histograms, QQ plots, Wald coverage and a chi-square QQ plot of one sample size.

    Parameters
    ----------
    report : AsymptoticReport
        A report of a single sample size (``report.at(n)`` of a convergence study).
    fig : matplotlib.figure.Figure, optional
        Drawn into (cleared first); a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Poisson(), [3.0], n=40, reps=200, rng=0)
    >>> fig = rep.plot()
    >>> len(fig.axes)
    4
    """
    from scipy import stats

    _check_report(report, single=True)
    plt = require_matplotlib()
    _check_figure(fig, plt)
    from .asymptotics import COVERAGE_METHODS

    r = report._results[0]
    names = report.param_names
    shown = list(range(min(len(names), _MAX_PARAMS)))
    cols = max(len(shown), 2)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * cols + 0.6, 7.2), layout="constrained")
    else:
        fig.clear()
    gs = fig.add_gridspec(3, cols)
    est = r["estimates"]
    ok = np.all(np.isfinite(est), axis=1)
    Z = np.sqrt(r["n"]) * (est[ok] - report.theta0)
    sd_ref = np.sqrt(np.diag(r["reference_cov"]))
    for c, j in enumerate(shown):
        ax = fig.add_subplot(gs[0, c])
        z = Z[:, j]
        ax.hist(z, bins=min(50, max(10, int(np.sqrt(z.size)))), density=True, color="0.75",
                edgecolor="0.55", linewidth=0.4)
        lim = max(4 * sd_ref[j], np.max(np.abs(z), initial=0.0))
        g = np.linspace(-lim, lim, 200)
        ax.plot(g, stats.norm.pdf(g, scale=sd_ref[j]), "C0", lw=1.5)
        ax.set_title(f"{names[j]}: ratio {r['variance_ratio'][j]:.2f}", fontsize=9)
        ax.set_xlabel(r"$\sqrt{n}(\hat\theta-\theta_0)$", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
        ax = fig.add_subplot(gs[1, c])
        s = np.sort(z / sd_ref[j])
        q = stats.norm.ppf((np.arange(1, s.size + 1) - 0.5) / max(s.size, 1))
        ax.plot(q, s, ".", ms=2, color="0.3")
        e = max(np.max(np.abs(q), initial=1.0), 1.0)
        ax.plot([-e, e], [-e, e], "C0", lw=1)
        ax.set_xlabel("N(0, 1) quantile", fontsize=8)
        if c == 0:
            ax.set_ylabel("standardised by CRLB", fontsize=8)
        ax.set_title(f"AD p = {r['normality_pvalue'][j]:.2g}", fontsize=9)
        ax.tick_params(labelsize=7)
    ax = fig.add_subplot(gs[2, : cols - 1])
    x = np.arange(len(names))
    width = 0.8 / len(COVERAGE_METHODS)
    for k, m in enumerate(COVERAGE_METHODS):
        cov, ci = r["coverage"][k], r["coverage_ci"][k]
        pos = x - 0.4 + width * (k + 0.5)
        good = np.isfinite(cov)
        ax.errorbar(pos[good], cov[good],
                    yerr=[cov[good] - ci[good, 0], ci[good, 1] - cov[good]],
                    fmt="o", ms=3, color=_COLORS[m], label=m, capsize=2, lw=1)
    ax.axhline(report.level, color="k", lw=0.8, ls="--")
    ax.set_xticks(x, names, fontsize=8, rotation=30 if len(names) > 6 else 0)
    ax.set_ylabel(f"coverage of {report.level:.0%} Wald", fontsize=8)
    ax.legend(fontsize=6, ncol=2, loc="best")
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(gs[2, cols - 1])
    p = len(names)
    Vinv = np.linalg.pinv(r["reference_cov"])
    d2 = np.sort(np.einsum("ia,ab,ib->i", Z, Vinv, Z))
    q = stats.chi2.ppf((np.arange(1, d2.size + 1) - 0.5) / max(d2.size, 1), p)
    ax.plot(q, d2, ".", ms=2, color="0.3")
    top = max(np.max(q, initial=1.0), 1.0)
    ax.plot([0, top], [0, top], "C0", lw=1)
    ax.set_xlabel(rf"$\chi^2_{{{p}}}$ quantile", fontsize=8)
    ax.set_ylabel("Mahalanobis $d^2$", fontsize=8)
    ax.set_title(f"KS p = {r['mahalanobis_pvalue']:.2g}", fontsize=9)
    ax.tick_params(labelsize=7)
    verdict = "consistent" if not r["flags"] else f"{len(r['flags'])} flag(s)"
    fig.suptitle(f"{report.model}, n = {r['n']}, {report.reps} replicates: {verdict}",
                 fontsize=10)
    return fig


def plot_convergence(report, fig=None):
    """Variance ratio and Wald coverage against ``n`` for a convergence study.

    Left: the variance ratio of every parameter with its simultaneous confidence
    interval (1 is the Cramér-Rao bound). Right: the coverage of the Wald intervals of
    each information estimator, averaged over the parameters (bars: smallest and largest
    parameter).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Poisson(), [3.0], n=[10, 40], reps=100, rng=0)
    >>> len(rep.plot().axes)
    2
    """
    _check_report(report, single=False)
    plt = require_matplotlib()
    _check_figure(fig, plt)
    from .asymptotics import COVERAGE_METHODS

    if fig is None:
        fig = plt.figure(figsize=(9, 3.6), layout="constrained")
    else:
        fig.clear()
    ax1, ax2 = fig.subplots(1, 2)
    ns = np.array(report.sizes, dtype=float)
    order = np.argsort(ns)
    ns = ns[order]
    res = [report._results[i] for i in order]
    p = len(report.param_names)
    shift = np.exp(np.linspace(-0.03, 0.03, p)) if p > 1 else np.ones(1)
    for j, nm in enumerate(report.param_names):
        ratio = np.array([r["variance_ratio"][j] for r in res])
        ci = np.array([r["variance_ratio_ci"][j] for r in res])
        ax1.errorbar(ns * shift[j], ratio, yerr=[ratio - ci[:, 0], ci[:, 1] - ratio], fmt="o-",
                     ms=3, capsize=2, lw=1, label=nm)
    ax1.axhline(1.0, color="k", lw=0.8, ls="--")
    ax1.set_xscale("log")
    ax1.set_xlabel("n")
    ax1.set_ylabel("variance / Cramér-Rao bound")
    ax1.legend(fontsize=7)
    for k, m in enumerate(COVERAGE_METHODS):
        cov = np.array([r["coverage"][k] for r in res])  # (sizes, p)
        if not np.isfinite(cov).any():
            continue
        mean = np.nanmean(cov, axis=1)
        ax2.errorbar(ns, mean, yerr=[mean - np.nanmin(cov, axis=1), np.nanmax(cov, axis=1) - mean],
                     fmt="o-", ms=3, capsize=2, lw=1, color=_COLORS[m], label=m)
    ax2.axhline(report.level, color="k", lw=0.8, ls="--")
    ax2.set_xscale("log")
    ax2.set_xlabel("n")
    ax2.set_ylabel(f"coverage of {report.level:.0%} Wald intervals")
    ax2.legend(fontsize=7)
    fig.suptitle(f"{report.model}: convergence with n ({report.reps} replicates each)",
                 fontsize=10)
    return fig
