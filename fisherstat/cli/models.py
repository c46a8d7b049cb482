"""``fisherstat models``: the built-in models, their kind and their parameters.

One line per entry of :data:`fisherstat.registry.REGISTRY`: name, kind (iid, regression,
time series, time series regression, population, network) and the parameter names at the
default options.
"""

from __future__ import annotations

NAME = "models"
HELP = "list the built-in models and their parameters"


def register(sub) -> None:
    sub.add_parser(NAME, help=HELP, description=HELP)


def run(args, out) -> None:
    from ..registry import KINDS, REGISTRY

    width = max(len(k) for k in KINDS) + 2
    for name, entry in REGISTRY.items():
        names = entry.names(entry.build())
        print(f"{name:<22}{entry.kind:<{width}}{', '.join(names)}", file=out)
