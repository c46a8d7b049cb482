"""Fisher information of a Gaussian mixture near its singular set, and the EM convergence rate.

Part 1 -- the degenerate metric of Amari, Park & Ozeki (2006, "Singularities affect
dynamics of learning in neuromanifolds", Neural Computation 18, 1007-1065). In the model

    p(x; v, w) = (1 - v) N(x; 0, 1) + v N(x; w, 1)

the same distribution N(0, 1) is obtained on the whole singular set {v = 0} U {w = 0}, and
the Fisher information of (v, w) degenerates there. Expanding p in Hermite polynomials
(``exp(w x - w^2/2) = sum_k w^k He_k(x) / k!``) gives, with the Cauchy-Binet formula,

    det I(v, w) = v^2 w^4 / 2 * (1 + O(w))                      as w -> 0,
    det I(v, w) = v^2 e^{w^2} (e^{w^2} - 1 - w^2) * (1 + O(v))     as v -> 0,

(and I_vv -> w^2, I_vw -> v w, I_ww -> v^2 as w -> 0: a rank-one matrix). The script
computes the exact information by quadrature (``GaussianMixture(2).fisher``; v = 1 - w1,
w = mu2, the other parameters known, so the information of (v, w) is the sub-block) and
prints its ratio to these limits, which tends to 1.

Part 2 -- Louis' (1982) missing information and the rate of EM (Dempster, Laird & Rubin
1977, sec. 3; Meng & Rubin 1991, JASA 86, 899-909): EM converges linearly at the MLE with
rate equal to the largest eigenvalue of I_c^{-1} I_m, the fraction of missing information,
where I_c and I_m are the complete and missing parts of Louis' identity
I_obs = I_c - I_m. The log-likelihood increments then shrink by the square of that rate per
iteration. For data from 0.4 N(0, 1) + 0.6 N(delta, 0.5) the script compares the rate read
off the EM log-likelihood path with the one predicted by Louis' decomposition at the fit,
and with the population value lambda_max(I_c^{-1}(I_c - I)) from the exact information.

Run::

    python examples/mixture_information.py                  # tables only
    python examples/mixture_information.py --plot mix.png   # also save a figure
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import linalg

from fisherstat.models.mixture import GaussianMixture

MODEL = GaussianMixture(2)  # (w1, mu1, mu2, sigma2_1, sigma2_2)


def information_vw(v: float, w: float) -> np.ndarray:
    """Exact information of (v, w) in (1 - v) N(0, 1) + v N(w, 1) (quadrature)."""
    full = MODEL.fisher([1.0 - v, 0.0, w, 1.0, 1.0])
    sub = full[np.ix_([0, 2], [0, 2])]  # (w1, mu2) with the other parameters known
    J = np.diag([-1.0, 1.0])  # v = 1 - w1
    return J @ sub @ J


def part1(v: float, ws, w_fixed: float, vs):
    rows = []
    for w in ws:
        info = information_vw(v, w)
        rows.append(dict(v=v, w=w, I=info, det=np.linalg.det(info),
                         limit=v**2 * w**4 / 2, lam=np.linalg.eigvalsh(info)[0]))
    cols = []
    e = np.exp(w_fixed**2)
    for vv in vs:
        info = information_vw(vv, w_fixed)
        cols.append(dict(v=vv, w=w_fixed, I=info, det=np.linalg.det(info),
                         limit=vv**2 * e * (e - 1 - w_fixed**2),
                         lam=np.linalg.eigvalsh(info)[0]))
    return rows, cols


def print_part1(rows, cols) -> None:
    print("Part 1: information of (v, w) in (1-v) N(0,1) + v N(w,1) (exact quadrature)\n")
    head = (f"{'v':>7} {'w':>7} {'I_vv':>10} {'I_vw':>10} {'I_ww':>10} {'det I':>11}"
            f" {'limit':>11} {'det/limit':>10} {'lambda_min':>11}")
    for title, table in (("w -> 0 at fixed v; limit v^2 w^4 / 2", rows),
                         ("v -> 0 at fixed w; limit v^2 e^{w^2} (e^{w^2} - 1 - w^2)", cols)):
        print(title)
        print(head)
        print("-" * len(head))
        for r in table:
            info = r["I"]
            print(f"{r['v']:>7.3g} {r['w']:>7.3g} {info[0, 0]:>10.4g} {info[0, 1]:>10.4g} "
                  f"{info[1, 1]:>10.4g} {r['det']:>11.4g} {r['limit']:>11.4g} "
                  f"{r['det'] / r['limit']:>10.5f} {r['lam']:>11.4g}")
        print()


def em_rates(deltas, n: int, seed: int):
    rows = []
    for i, delta in enumerate(deltas):
        theta = np.array([0.4, 0.0, delta, 1.0, 0.5])
        x = MODEL.sample(theta, n, rng=seed + i)
        res = MODEL.fit_em(x, tol=1e-15, n_init=2, max_iter=100_000, rng=0)
        inc = np.diff(res.loglik_path)
        ok = (inc > 1e-11 * abs(res.loglik)) & (inc < 1e-4 * abs(res.loglik))
        ratios = (inc[1:] / inc[:-1])[ok[1:] & ok[:-1]]
        observed = float(np.sqrt(np.median(ratios))) if ratios.size >= 3 else np.nan
        louis = MODEL.missing_information(res.theta, x)
        complete, info = MODEL.complete_information(theta), MODEL.fisher(theta)
        population = float(np.max(linalg.eigvals(complete - info, complete).real))
        se_louis = louis.observed.standard_errors(n)
        rows.append(dict(delta=delta, n_iter=res.n_iter, observed=observed,
                         louis=louis.em_rate, population=population,
                         se_mu2=se_louis[2], theta=res.theta))
    return rows


def print_part2(rows, n: int) -> None:
    print(f"Part 2: EM rate vs Louis' fraction of missing information, n = {n}, data from "
          "0.4 N(0,1) + 0.6 N(delta, 0.5)\n")
    head = (f"{'delta':>6} {'EM iters':>9} {'rate from EM path':>18} "
            f"{'Louis lambda_max':>17} {'population':>11} {'SE(mu2) Louis':>14}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['delta']:>6.2f} {r['n_iter']:>9d} {r['observed']:>18.4f} "
              f"{r['louis']:>17.4f} {r['population']:>11.4f} {r['se_mu2']:>14.4g}")
    print("\nrate from EM path = sqrt(median ratio of successive log-likelihood increments); "
          "it equals\nLouis' lambda_max(I_c^-1 I_m) at the fit (Dempster, Laird & Rubin 1977), "
          "which tends to the\npopulation value as n grows. EM slows down as the components "
          "overlap (rate -> 1).")


def plot(rows1, rows2, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    w = np.array([r["w"] for r in rows1])
    axes[0].loglog(w, [r["det"] for r in rows1], "o", label="det I(v, w) (quadrature)")
    axes[0].loglog(w, [r["limit"] for r in rows1], "-", label="v^2 w^4 / 2")
    axes[0].loglog(w, [r["lam"] for r in rows1], "s", label="smallest eigenvalue")
    axes[0].set_xlabel("separation w")
    axes[0].set_title(f"(1-v) N(0,1) + v N(w,1), v = {rows1[0]['v']:g}")
    axes[0].legend(fontsize=8)
    d = [r["delta"] for r in rows2]
    axes[1].plot(d, [r["observed"] for r in rows2], "o", label="rate from the EM path")
    axes[1].plot(d, [r["louis"] for r in rows2], "x", ms=9, label="Louis lambda_max at fit")
    axes[1].plot(d, [r["population"] for r in rows2], "-", label="population value")
    axes[1].set_xlabel("delta (mean separation)")
    axes[1].set_title("EM convergence rate")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--v", type=float, default=0.5, help="weight for the w -> 0 table")
    parser.add_argument("--n", type=int, default=5000, help="observations for part 2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    args = parser.parse_args(argv)
    if not 0 < args.v < 1:
        parser.error(f"--v must be in (0, 1), got {args.v}")
    if args.n < 100:
        parser.error(f"--n must be >= 100, got {args.n}")
    rows, cols = part1(args.v, [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01], 1.0,
                       [0.5, 0.2, 0.1, 0.01, 1e-3, 1e-4])
    print_part1(rows, cols)
    rows2 = em_rates([2.0, 2.5, 3.0, 3.5, 4.0], args.n, args.seed)
    print_part2(rows2, args.n)
    if args.plot:
        plot(rows, rows2, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
