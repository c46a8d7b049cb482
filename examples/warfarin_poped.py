"""PopED's warfarin example: population FIM by FO, reduced and full, and optimal sampling.

The model of the PopED software comparison (Nyberg et al. 2012, *Comput. Methods Programs
Biomed.* 108, 789-805; Nyberg et al. 2015, *Br. J. Clin. Pharmacol.* 79, 6-17): one
compartment with first-order absorption after a single oral dose of 70,

    f(t) = D KA / (V (KA - CL/V)) (exp(-CL/V t) - exp(-KA t)),

CL = 0.15, V = 8, KA = 1, exponential random effects with variances (0.07, 0.02, 0.6), a
proportional residual error with variance 0.01, 32 subjects sampled at
t = (0.5, 1, 2, 6, 24, 36, 72, 120). The script

* computes the FO population FIM, reduced (PopED's default, block diagonal) and full, and
  prints det(FIM), ln det (PopED's "ofv") and RSE% next to PopED's published values;
* optimises the 8 sampling times for D-optimality in the window [0.01, 120] (PopED's
  ``minxt``/``maxxt``), once freely and once with a minimum spacing of 0.5 between
  samples, and prints the designs, ln det and RSE%.

Run::

    python examples/warfarin_poped.py                    # tables only
    python examples/warfarin_poped.py --plot warfarin.png  # also save the figure
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fisherstat.pkpd import optimize_design, warfarin_example

#: PopED's published values (PopED's documentation and test suite, warfarin_basic.R).
POPED = {
    "det_reduced": 5.996147e22,
    "det_full": 1.220371e24,
    "rse_reduced": [4.74, 2.76, 13.93, 25.63, 30.34, 25.78, 11.17],
    "rse_full": [3.6, 2.6, 4.8, 26.3, 30.9, 26.5, 12.4],  # test_evaluate.fim.R, 1 decimal
}


def evaluate():
    """FO population FIM of the warfarin design, reduced and full, against PopED."""
    model, design = warfarin_example()
    red = model.fim(design, fim="reduced")
    full = model.fim(design, fim="full")
    print("PopED warfarin example: FO population FIM, 32 subjects, 8 samples each\n")
    print(f"{'':<22}{'fisherstat':>16}{'PopED':>16}{'rel. difference':>18}")
    for label, res, ref in (("det FIM (reduced)", red, POPED["det_reduced"]),
                            ("det FIM (full)", full, POPED["det_full"])):
        print(f"{label:<22}{res.det:>16.7e}{ref:>16.6e}{res.det / ref - 1:>18.2e}")
    print(f"{'ln det (ofv, reduced)':<22}{red.ofv:>16.6f}{np.log(POPED['det_reduced']):>16.6f}")
    print(f"\n{'RSE%':<10}" + "".join(f"{n:>10}" for n in red.param_names))
    for label, vals in (("reduced", red.rse), ("PopED", POPED["rse_reduced"]),
                        ("full", full.rse), ("PopED", POPED["rse_full"])):
        print(f"{label:<10}" + "".join(f"{v:>10.2f}" for v in vals))
    print("\nexpected shrinkage (variance scale): "
          + ", ".join(f"{k} {v:.3f}" for k, v in red.shrinkage["var"].items()))
    return model, design


def optimise(model, design):
    """D-optimal sampling times in [0.01, 120], free and with a minimum spacing of 0.5."""
    results = []
    for spacing in (0.0, 0.5):
        t0 = time.perf_counter()
        res = optimize_design(model, design, windows=(0.01, 120), min_spacing=spacing,
                              n_starts=3, rng=1)
        results.append(res)
        print(f"\nD-optimal times (min spacing {spacing:g}), {time.perf_counter() - t0:.2f} s:")
        print("  " + ", ".join(f"{t:.3f}" for t in res.design[0].times))
        print(f"  ln det {res.start_value:.4f} -> {res.value:.4f}; D-efficiency of the "
              f"original design {res.efficiency:.4f}")
        print("  RSE%: " + ", ".join(f"{n} {r:.2f}" for n, r in
                                    zip(res.fim.param_names, res.fim.rse, strict=True)))
    return results


def plot(results, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, res, title in zip(axes, results, ("free", "min spacing 0.5"), strict=True):
        res.plot(ax=ax)
        ax.plot(res.start[0].times, res.model.predict(res.start[0].times, 70), "x",
                color="k", label="PopED's design")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_title(f"D-optimal times ({title})")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"\nfigure saved to {path}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH", help="save the figure to PATH")
    args = parser.parse_args(argv)
    model, design = evaluate()
    results = optimise(model, design)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
