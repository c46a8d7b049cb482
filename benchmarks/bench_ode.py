"""ODE structural models: the FO population FIM with forward sensitivities vs with
finite-difference Jacobians of the same ODE solution (same run), time and accuracy."""

from __future__ import annotations

import numpy as np
from _table import Table, best_time

from fisherstat.pkpd import (
    Group,
    OneCompartmentMM,
    OneCompartmentODE,
    PopulationModel,
    Proportional,
    warfarin_example,
)

GOALS = [
    "FO population FIM of an ODE model (warfarin as an ODE; Michaelis-Menten oral): forward "
    "sensitivities faster than finite-difference Jacobians of the same ODE solution and "
    "more accurate (error about rtol instead of rtol / eps^(1/5)) against the closed form "
    "or a tight-tolerance reference.",
]

WARFARIN = {"CL": 0.15, "V": 8.0, "KA": 1.0}


def _scaled_error(M, ref):
    """max |M - ref| / sqrt(ref_ii ref_jj): the error relative to the information scale."""
    d = np.sqrt(np.diag(ref))
    return float(np.max(np.abs(M - ref) / np.outer(d, d)))


def _row(table, label, make, design, ref, fim="reduced"):
    fwd, fd = make("forward"), make("finite_differences")
    ef = _scaled_error(fwd.fim(design, fim=fim).matrix, ref)
    en = _scaled_error(fd.fim(design, fim=fim).matrix, ref)
    tf = best_time(lambda: fwd.fim(design, fim=fim), repeat=3)
    tn = best_time(lambda: fd.fim(design, fim=fim), repeat=3)
    table.add(label, f"{tf * 1e3:.1f} ms (error {ef:.1e})",
              "same ODE, finite-difference Jacobians",
              f"{tn * 1e3:.1f} ms (error {en:.1e})",
              f"{tn / tf:.1f}x faster, {en / max(ef, 1e-300):.0f}x more accurate")


def run(table: Table, quick: bool) -> None:
    closed, design = warfarin_example()
    ref = closed.fim(design).matrix
    for rtol in ((1e-8,) if quick else (1e-6, 1e-8, 1e-10)):
        def make(sens, rtol=rtol):
            return PopulationModel(
                OneCompartmentODE("oral", rtol=rtol, atol=rtol * 1e-2, sensitivities=sens),
                WARFARIN, omega=[0.07, 0.02, 0.6], error=Proportional(0.01))

        _row(table, f"warfarin as ODE, FO reduced FIM, rtol={rtol:g} (vs closed form)",
             make, design, ref)

    groups = [Group([0.5, 2, 8, 24], 20, 100), Group([1, 4, 12, 36], 20, 300)]
    theta, omega = [10.0, 2.0, 10.0, 1.0], [0.1, 0.1, 0.1, 0.1]

    def mm(sens, rtol=1e-8):
        return PopulationModel(OneCompartmentMM("oral", rtol=rtol, atol=rtol * 1e-2,
                                                sensitivities=sens),
                               theta, omega=omega, error=Proportional(0.01))

    ref = mm("forward", 1e-12).fim(groups).matrix
    _row(table, "Michaelis-Menten oral, 2 groups, FO reduced FIM, rtol=1e-08 (vs rtol=1e-12)",
         mm, groups, ref)
