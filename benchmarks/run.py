"""fisherstat benchmarks: one command, one table, the peer timed in the same run.

Usage::

    python benchmarks/run.py                 # every benchmarks/bench_*.py, print the table
    python benchmarks/run.py --quick         # smaller sizes (smoke run)
    python benchmarks/run.py --only information design
    python benchmarks/run.py --output docs/performance.md    # also write the docs page

Each ``bench_<topic>.py`` module defines ``run(table, quick)``, which adds rows to the
table, and ``GOALS`` (a list of sentences for the docs page); every row times fisherstat
and its peer (statsmodels, a naive implementation or another algorithm) in the same run
and reports the ratio.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# time the fisherstat of this checkout, not whichever one is installed (a script's
# directory, not the working directory, is on sys.path)
sys.path.insert(1, str(HERE.parent))

from _table import Table  # noqa: E402


def topics() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", nargs="+", choices=topics(), help="run only these topics")
    parser.add_argument("--output", help="write the Markdown docs page to this path")
    args = parser.parse_args(argv)
    import fisherstat

    print(f"fisherstat {fisherstat.__version__} from {Path(fisherstat.__file__).parent}")
    table, goals = Table(), []
    for topic in args.only or topics():
        print(f"-- {topic}", flush=True)
        module = importlib.import_module(f"bench_{topic}")
        module.run(table, args.quick)
        goals += getattr(module, "GOALS", [])
    text = table.render()
    print(text)
    if args.output:
        write_page(args.output, text, goals)
    return text


def write_page(path: str, text: str, goals: list[str]) -> None:
    """Write the Markdown performance page (``docs/performance.md``; Sphinx includes it)."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    goal_lines = "\n".join("- " + g for g in goals)
    page = f"""# Performance

Produced by `python benchmarks/run.py --output docs/performance.md` on {machine}
({time.strftime('%Y-%m-%d')}). Each row times fisherstat and its peer (statsmodels, a naive
implementation or another algorithm) in the same run, best of several repeats; a ratio
above 1 means fisherstat is faster.

```text
{text}
```

## Goals

{goal_lines}
"""
    Path(path).write_text(page)


if __name__ == "__main__":
    main()
