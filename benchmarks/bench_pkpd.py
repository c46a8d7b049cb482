"""Population PK/PD benchmarks: the PopED warfarin FIM and its sampling-time optimisation,
with the analytic Jacobians of the structural model next to numeric Jacobians (same run)."""

from __future__ import annotations

import numpy as np
from _table import Table, best_time

from fisherstat.pkpd import (
    Group,
    OneCompartment,
    PopulationModel,
    Proportional,
    UserModel,
    exact_fim,
    optimize_design,
)

GOALS = [
    "PopED warfarin population FIM (FO, 8 samples, 7 parameters): reduced FIM in about a "
    "millisecond, and faster with the analytic Jacobian than with numeric Jacobians of "
    "the same model (which must agree to 1e-6).",
    "D-optimal 8 sampling times of the warfarin design (window [0.01, 120]) in a few "
    "seconds, analytic vs numeric Jacobians reaching the same ln det.",
    "Exact (MC-AGQ) warfarin population FIM (3 random effects, 3 Gauss-Hermite nodes each, "
    "500 simulated subjects): its time at the Monte Carlo standard error it states, next "
    "to the FO time (no goal beyond recording the price of not linearising).",
]

T = [0.5, 1, 2, 6, 24, 36, 72, 120]


def _models():
    """The warfarin population model with analytic and with numeric Jacobians."""
    pk = OneCompartment("oral")
    numeric = UserModel(lambda t, th, dose: pk._eval(t, th, pk.check_dose(dose),
                                                     np.zeros(t.size, int), False)[0],
                        ["CL", "V", "KA"], needs_dose=True)
    kw = dict(theta=[0.15, 8.0, 1.0], omega=[0.07, 0.02, 0.6], error=Proportional(0.01))
    return PopulationModel(pk, **kw), PopulationModel(numeric, **kw)


def run(table: Table, quick: bool) -> None:
    analytic, numeric = _models()
    design = Group(T, 32, 70)
    for fim in ("reduced", "full"):
        a, n = analytic.fim(design, fim=fim), numeric.fim(design, fim=fim)
        rel = abs(a.det / n.det - 1)
        ta = best_time(lambda fim=fim: analytic.fim(design, fim=fim), repeat=5)
        tn = best_time(lambda fim=fim: numeric.fim(design, fim=fim), repeat=5)
        ref = {"reduced": 5.996147e22, "full": 1.220371e24}[fim]
        table.add(f"warfarin population FIM ({fim}), det {a.det:.6e} (PopED {ref:.6e})",
                  f"{ta * 1e3:.2f} ms", "same, numeric Jacobians",
                  f"{tn * 1e3:.2f} ms (det rel. diff {rel:.1e})", f"{tn / ta:.1f}x faster")
    n_sub = 100 if quick else 500
    ex = {}
    te = best_time(lambda: ex.__setitem__("r", exact_fim(analytic, design, n_samples=n_sub,
                                                         n_nodes=3, rng=1)), repeat=1)
    r = ex["r"]
    rel = np.max(r.info.stderr.diagonal() / r.matrix.diagonal())
    tf = best_time(lambda: analytic.fim(design, fim="full"), repeat=5)
    table.add(f"exact warfarin FIM (MC-AGQ, {n_sub} subjects, 3^3 nodes), ln det "
              f"{r.ofv:.2f} +- {r.ofv_stderr:.2f}",
              f"{te:.1f} s (max diag. MC s.e. {100 * rel:.0f}%)", "FO full (linearised)",
              f"{tf * 1e3:.2f} ms (ln det {analytic.fim(design, fim='full').ofv:.2f})",
              f"{te / tf:.0f}x slower")
    starts = 1 if quick else 3
    res = {}
    for label, model in (("analytic", analytic), ("numeric", numeric)):
        t = best_time(lambda model=model, label=label: res.__setitem__(
            label, optimize_design(model, design, windows=(0.01, 120), n_starts=starts,
                                   rng=1)), repeat=1)
        res[label + "_t"] = t
    a, n = res["analytic"], res["numeric"]
    table.add(f"D-optimal 8 sampling times ({starts} start(s)), ln det "
              f"{a.start_value:.4f} -> {a.value:.4f}",
              f"{res['analytic_t']:.2f} s ({a.n_evaluations} group FIMs)",
              "same, numeric Jacobians",
              f"{res['numeric_t']:.2f} s (ln det {n.value:.4f})",
              f"{res['numeric_t'] / res['analytic_t']:.1f}x faster")
