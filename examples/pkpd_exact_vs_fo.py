"""FO, FOCE and the exact (MC-AGQ) population Fisher information, and the designs they pick.

Two models (docs/pkpd_exact.rst):

* PopED's warfarin example (one compartment, oral, 3 exponential random effects,
  proportional error; Nyberg et al. 2012): ln det and RSE% by FO reduced/full, FOCE
  reduced/full and the exact FIM (Riviere, Ueckert & Mentré 2016) with 3 and 5
  Gauss-Hermite nodes per random effect.
* A strongly nonlinear one: a one-compartment bolus model with a 100% CV (omega^2 = 1) on
  CL, which makes the concentration far from linear in eta, and a combined error; three
  3-sample designs compared by ln det under each approximation, with the Monte Carlo
  standard error of the exact ln det.

Run::

    python examples/pkpd_exact_vs_fo.py            # about a minute
    python examples/pkpd_exact_vs_fo.py --quick    # fewer simulated subjects
"""

from __future__ import annotations

import argparse
import time

from fisherstat.pkpd import (
    Combined,
    Group,
    OneCompartment,
    PopulationModel,
    exact_fim,
    warfarin_example,
)

DESIGNS = {"early (0.5, 2, 6)": [0.5, 2, 6], "spread (0.5, 6, 24)": [0.5, 6, 24],
           "late (1, 24, 48)": [1, 24, 48]}


def nonlinear_model() -> PopulationModel:
    """One compartment, bolus, CL = 1 (omega^2 = 1), V = 10 (omega^2 = 0.05)."""
    return PopulationModel(OneCompartment("bolus"), {"CL": 1.0, "V": 10.0},
                           omega=[1.0, 0.05], error=Combined(0.01, 0.04))


def warfarin_table(n: int) -> None:
    model, design = warfarin_example()
    rows = [("FO reduced", model.fim(design)), ("FO full", model.fim(design, fim="full")),
            ("FOCE reduced", model.fim(design, approximation="FOCE", rng=0)),
            ("FOCE full", model.fim(design, fim="full", approximation="FOCE", rng=0))]
    for k in (3, 5):
        t0 = time.perf_counter()
        res = exact_fim(model, design, n_samples=n, n_nodes=k, rng=1)
        rows.append((f"exact, {k} nodes ({time.perf_counter() - t0:.0f} s)", res))
    names = rows[0][1].param_names
    print(f"warfarin, {n} simulated subjects for the exact FIM")
    print(f"{'approximation':<26}{'ln det':>16}" + "".join(f"{x:>10}" for x in names))
    for label, r in rows:
        ofv = f"{r.ofv:.2f}" + ("" if r.ofv_stderr is None else f" +- {r.ofv_stderr:.2f}")
        print(f"{label:<26}{ofv:>16}" + "".join(f"{x:>10.2f}" for x in r.rse))


def design_table(n: int) -> None:
    model = nonlinear_model()
    print(f"\nbolus, omega^2_CL = 1, 50 subjects, dose 100; exact: {n} subjects, 5 nodes")
    print(f"{'design':<22}{'FO red.':>9}{'FO full':>9}{'FOCE red.':>11}{'exact':>16}")
    for label, times in DESIGNS.items():
        g = Group(times, size=50, dose=100)
        ex = exact_fim(model, g, n_samples=n, n_nodes=5, rng=1)
        print(f"{label:<22}{model.fim(g).ofv:>9.2f}{model.fim(g, fim='full').ofv:>9.2f}"
              f"{model.fim(g, approximation='FOCE', rng=0).ofv:>11.2f}"
              f"{f'{ex.ofv:.2f} +- {ex.ofv_stderr:.2f}':>16}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="200 simulated subjects")
    a = p.parse_args(argv)
    n = 200 if a.quick else 1000
    warfarin_table(n)
    design_table(n)


if __name__ == "__main__":
    main()
