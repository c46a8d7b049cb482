"""Textbook optimal designs reproduced with ``fisherstat.design``.

1. Quadratic regression ``E[y] = b0 + b1 x + b2 x^2`` on [-1, 1] (Pukelsheim 1993,
   *Optimal Design of Experiments*, chapter 9; Atkinson, Donev & Tobias 2007, chapter 11):
   the D-, A-, E- and I-optimal approximate designs all sit at -1, 0, 1, with weights
   1/3, 1/3, 1/3 (det M = 4/27), 1/4, 1/2, 1/4 (trace M^-1 = 8), 1/5, 3/5, 1/5
   (lambda_min = 1/5) and 1/4, 1/2, 1/4 (average variance 32/15 for the uniform measure).
2. D-optimal polynomial regression of degree d: +-1 and the roots of the derivative of the
   Legendre polynomial P_d, equal weights (Guest 1958, *Ann. Math. Statist.* 29, 294-299).
3. Michaelis-Menten kinetics with the Puromycin estimates (Bates & Watts 1988): the
   locally D-optimal design on [0, x_max] puts weight 1/2 at x_max and at
   Km x_max / (2 Km + x_max) (Duggleby 1979, *J. Theor. Biol.* 81, 671-684), and the
   efficiency of the design actually used (6 concentrations, twice each) against it.
4. Exact designs of N runs by efficient rounding and exchange, with their efficiencies.

Run::

    python examples/optimal_designs.py                  # tables only
    python examples/optimal_designs.py --plot designs.png
"""

from __future__ import annotations

import argparse

import numpy as np
from numpy.polynomial import legendre

import fisherstat as fs
from fisherstat import design

QUAD_PUBLISHED = {
    # criterion: (weights at -1, 0, 1; criterion value; its label)
    "D": ((1 / 3, 1 / 3, 1 / 3), np.log(4 / 27), "log det M = log(4/27)"),
    "A": ((1 / 4, 1 / 2, 1 / 4), 8.0, "trace M^-1 = 8"),
    "E": ((1 / 5, 3 / 5, 1 / 5), 0.2, "lambda_min = 1/5"),
    "I": ((1 / 4, 1 / 2, 1 / 4), 32 / 15, "average variance = 32/15"),
}


def quadratic_table():
    quad = design.polynomial(1, degree=2)
    print("1. Quadratic regression on [-1, 1] (continuous region, refined from a grid)")
    head = (f"{'crit':>4} {'w(-1)':>9} {'w(0)':>9} {'w(1)':>9} {'value':>12} "
            f"{'published':>12}  {'max |dw|':>9} {'eff. bound':>12}")
    print(head)
    print("-" * len(head))
    out = {}
    for crit, (w_pub, v_pub, label) in QUAD_PUBLISHED.items():
        res = design.optimal_design(quad, x_bounds=[(-1.0, 1.0)], criterion=crit, rng=0)
        w = {round(float(x), 6): wt for x, wt in zip(res.design.points, res.design.weights,
                                                      strict=True)}
        got = np.array([w.get(-1.0, 0.0), w.get(0.0, 0.0), w.get(1.0, 0.0)])
        print(f"{crit:>4} {got[0]:>9.6f} {got[1]:>9.6f} {got[2]:>9.6f} {res.value:>12.8f} "
              f"{v_pub:>12.8f}  {np.max(np.abs(got - w_pub)):>9.1e} "
              f"{res.efficiency_bound:>12.10f}   ({label})")
        out[crit] = res
    return out


def legendre_table(degrees=(2, 3, 4, 5, 6)):
    print("\n2. D-optimal polynomial regression of degree d on [-1, 1]: +-1 and the roots "
          "of P'_d")
    print(f"{'d':>3} {'support points':<58} {'max |x - root|':>15} {'max |w - 1/(d+1)|':>18}")
    for d in degrees:
        res = design.optimal_design(design.polynomial(1, degree=d), x_bounds=[(-1.0, 1.0)], rng=0)
        coef = np.zeros(d + 1)
        coef[-1] = 1.0
        want = np.sort(np.r_[-1.0, legendre.legroots(legendre.legder(coef)), 1.0])
        order = np.argsort(res.design.points)
        pts = res.design.points[order]
        print(f"{d:>3} {np.array2string(pts, precision=5, separator=', '):<58} "
              f"{np.max(np.abs(pts - want)):>15.1e} "
              f"{np.max(np.abs(res.design.weights - 1 / (d + 1))):>18.1e}")


def michaelis_menten():
    model = fs.models.MichaelisMenten()
    theta = [212.68, 0.06412, 1.0]  # Puromycin (treated) estimates; sigma2 only scales
    xmax = 1.1
    km = theta[1]
    res = design.optimal_design(model, theta, x_bounds=[(0.0, xmax)], rng=0)
    print("\n3. Michaelis-Menten, Vmax = 212.68, Km = 0.06412 on [0, 1.1]")
    print(res.design)
    x_star = km * xmax / (2 * km + xmax)
    print(f"analytic interior point Km xmax / (2 Km + xmax) = {x_star:.8f}; found "
          f"{np.min(res.design.points):.8f}")
    used = design.Design(np.repeat([0.02, 0.06, 0.11, 0.22, 0.56, 1.10], 2))
    print(f"D-efficiency of the 12-run Puromycin design: {design.efficiency(used, res):.4f}")
    return res


def exact_table(quad_d):
    print("\n4. Exact D-optimal quadratic designs of N runs (efficient rounding + exchange)")
    quad = design.polynomial(1, degree=2)
    grid = np.linspace(-1.0, 1.0, 21)
    for N in (3, 4, 5, 6, 7, 9):
        ex = design.exact_design(quad, None, grid, N, approximate=quad_d, rng=0)
        runs = ", ".join(f"{c} x {p:g}" for p, c in zip(ex.design.points, ex.design.counts,
                                                         strict=True))
        print(f"N = {N}: {runs:<32} efficiency {ex.efficiency:.6f} "
              f"(after rounding {ex.rounded_efficiency:.6f})")


def plot(results, mm, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, crit in zip(axes[:2], ("D", "A"), strict=True):
        results[crit].plot(ax=ax)
    mm.plot(ax=axes[2])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"\nfigure saved to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH", help="save the sensitivity functions")
    args = parser.parse_args(argv)
    results = quadratic_table()
    legendre_table()
    mm = michaelis_menten()
    exact_table(results["D"])
    if args.plot:
        plot(results, mm, args.plot)


if __name__ == "__main__":
    main()
