"""Progress bars for long loops: ``tqdm`` when installed, else plain text lines on stderr.

One class, :class:`Progress`, serves two kinds of loops:

* a known number of units (replicates of a simulation study, networks of a sweep): the
  plain-text fallback prints a line every ~10 %;
* an unknown number (iterations of a design algorithm until it converges): ``total=None``;
  the plain-text fallback prints a line at iterations 1, 2, 4, 8, ... and when the bar is
  closed, each with the current ``postfix`` (e.g. the equivalence-theorem gap).

Functions with a ``progress=False`` keyword call :func:`progress_bar`, which returns
``None`` when progress is off, so that a loop pays nothing but an ``is not None`` check.
Nothing here touches the computation: no random numbers, no change of any result.
"""

from __future__ import annotations

import math
import sys
import time

from ._validation import check_bool

__all__ = ["Progress", "progress_bar"]

_TQDM_UNITS = {"iteration": "it", "replicate": "rep"}  # tqdm's short forms (it/s)


class Progress:
    """A progress bar: ``tqdm`` when installed, else a plain text line every ~10 %.

    Writes to ``sys.stderr``. ``enabled=False`` makes every call a no-op.

    Parameters
    ----------
    total : int or None
        Number of units; ``None`` for a loop that stops when it converges.
    desc : str
        Label in front of the bar.
    enabled : bool
    file : file-like, optional
        Default ``sys.stderr``.
    unit : str
        Name of one unit (plain text adds an ``s``).

    Examples
    --------
    >>> import io
    >>> from fisherstat._progress import Progress
    >>> buf = io.StringIO()
    >>> with Progress(None, "demo", file=buf, unit="iteration") as bar:
    ...     for k in range(5):
    ...         bar.update(1, postfix=f"gap {10.0 ** -k:.0e}")
    >>> "demo" in buf.getvalue()
    True
    """

    def __init__(self, total: int | None = None, desc: str = "", enabled: bool = True,
                 file=None, unit: str = "replicate"):
        self.total = None if total is None else int(total)
        self.desc, self.enabled, self.unit = desc, bool(enabled), unit
        self.file = sys.stderr if file is None else file
        self.done, self._bar, self._next, self.postfix = 0, None, 0.0, ""
        self._printed = -1
        if not self.enabled:
            return
        self._t0 = time.perf_counter()
        try:
            from tqdm.auto import tqdm
        except ImportError:
            if self.total is None:
                self._next = 1.0
            return
        self._bar = tqdm(total=self.total, desc=desc, unit=_TQDM_UNITS.get(unit, f" {unit}s"),
                         file=self.file, dynamic_ncols=True)

    def update(self, k: int = 1, postfix: str | None = None) -> None:
        """Advance by ``k`` units (``k = 0`` only refreshes ``postfix``)."""
        self.done += int(k)
        if not self.enabled:
            return
        self._set_postfix(postfix)
        if self._bar is not None:
            self._bar.update(int(k))
            return
        if self.total is None:
            if self.done >= self._next:
                self._print()
                while self._next <= self.done:
                    self._next *= 2
            return
        frac = self.done / max(self.total, 1)
        if frac >= self._next or self.done >= self.total:
            self._print()
            self._next = math.floor(frac * 10 + 1) / 10

    def _set_postfix(self, postfix: str | None) -> None:
        if postfix is not None:
            self.postfix = postfix
            if self._bar is not None:
                self._bar.set_postfix_str(postfix, refresh=False)

    def _print(self, closing: bool = False) -> None:
        elapsed = time.perf_counter() - self._t0
        if self.total is None:
            count = (f"done after {self.done} {self.unit}{'' if self.done == 1 else 's'}"
                     if closing else f"{self.unit} {self.done}")
        else:
            frac = self.done / max(self.total, 1)
            count = f"{self.done}/{self.total} {self.unit}s ({100 * frac:.0f}%,"
        tail = f"; {self.postfix}" if self.postfix else ""
        if self.total is None:
            line = f"{self.desc}: {count} ({elapsed:.1f} s{tail})"
        else:
            line = f"{self.desc}: {count} {elapsed:.1f} s{tail})"
        print(line, file=self.file, flush=True)
        self._printed = self.done

    def close(self, postfix: str | None = None) -> None:
        """End the bar (plain text: a last line with the final count and ``postfix``)."""
        if not self.enabled:
            return
        self._set_postfix(postfix)
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._printed != self.done or postfix is not None:
            self._print(closing=True)
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_bar(progress, desc: str, total: int | None = None,
                 unit: str = "iteration") -> Progress | None:
    """A started :class:`Progress` if ``progress`` is True, else ``None`` (checked bool).

    Examples
    --------
    >>> from fisherstat._progress import progress_bar
    >>> progress_bar(False, "rex") is None
    True
    >>> progress_bar("yes", "rex")
    Traceback (most recent call last):
    ...
    TypeError: progress must be True or False, got 'yes'
    """
    if not check_bool(progress, "progress"):
        return None
    return Progress(total, desc, unit=unit)
