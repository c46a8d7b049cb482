"""The benchmark table and timer shared by every ``bench_*.py`` module."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def best_time(f: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls (seconds): the code's cost, not the machine's noise."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


class Table:
    """Rows of (benchmark, fisherstat, peer, peer result, ratio / note), rendered as RST."""

    HEAD = ("benchmark", "fisherstat", "peer", "peer result", "ratio / note")

    def __init__(self):
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells) -> None:
        if len(cells) != len(self.HEAD):
            raise ValueError(f"a row has {len(self.HEAD)} cells, got {len(cells)}")
        self.rows.append(tuple(str(c) for c in cells))
        print("  ".join(self.rows[-1]), flush=True)

    def render(self) -> str:
        rows = [self.HEAD, *self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.HEAD))]
        rule = "  ".join("=" * w for w in widths)

        def fmt(r):
            return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

        return "\n".join([rule, fmt(self.HEAD), rule, *map(fmt, self.rows), rule])
