"""``fisherstat models``: the built-in models and their parameters."""

from __future__ import annotations

NAME = "models"
HELP = "list the built-in models and their parameters"


def register(sub) -> None:
    sub.add_parser(NAME, help=HELP, description=HELP)


def run(args, out) -> None:
    from ..models.registry import REGISTRY

    for name, cls in REGISTRY.items():
        m = cls()
        kind = "regression" if m.is_regression else "iid"
        print(f"{name:<22}{kind:<12}{', '.join(m.param_names)}", file=out)
