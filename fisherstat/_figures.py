"""The matplotlib plumbing shared by every ``plot`` of fisherstat (a leaf: no package imports).

matplotlib is optional (the ``[plot]`` extra) and imported only when a figure is drawn, so
that ``import fisherstat`` never needs it. :func:`require_matplotlib` imports it or raises an
``ImportError`` naming the extra; :func:`check_axes` and :func:`check_figure` refuse a wrong
``ax``/``fig`` before anything is drawn; :func:`axes_or_new` is the first line of every
``plot(ax=None)`` method. Public through :mod:`fisherstat.plot`.
"""

from __future__ import annotations

__all__ = ["require_matplotlib", "check_axes", "check_figure", "axes_or_new"]


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


def check_figure(fig, name: str = "fig"):
    """``fig`` if it is ``None`` or a matplotlib ``Figure``, else a ``TypeError`` naming ``name``.

    Call it after :func:`require_matplotlib` (it imports ``matplotlib.figure``).

    Examples
    --------
    >>> from fisherstat._figures import check_figure
    >>> check_figure(None) is None
    True
    >>> check_figure(3)
    Traceback (most recent call last):
    ...
    TypeError: fig must be a matplotlib Figure or None, got int
    """
    from matplotlib.figure import Figure

    if fig is not None and not isinstance(fig, Figure):
        raise TypeError(f"{name} must be a matplotlib Figure or None, got {type(fig).__name__}")
    return fig


def axes_or_new(ax, name: str = "ax", **subplots_kw):
    """``ax`` checked by :func:`check_axes`, or new axes (``plt.subplots(**subplots_kw)``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fisherstat._figures import axes_or_new
    >>> ax = axes_or_new(None)
    >>> axes_or_new(ax) is ax
    True
    """
    if check_axes(ax, name) is None:
        _, ax = require_matplotlib().subplots(**subplots_kw)
    return ax
