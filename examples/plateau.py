"""Natural gradient vs gradient descent and Adam on the plateau of a two-hidden-unit network.

Reproduces, on a small teacher-student problem, the central dynamical claim of Amari,
Park & Ozeki (2006, "Singularities affect dynamics of learning in neuromanifolds", Neural
Computation 18, 1007-1065) and Park, Amari & Fukumizu (2000, "Adaptive natural gradient
learning algorithms for various stochastic models", Neural Networks 13, 755-764): near the
overlap singularity w1 = w2 of f(x) = v1 erf(w1.x) + v2 erf(w2.x), gradient descent first
drops the loss to the best one-unit fit, stays on that plateau for many iterations (the
gradient in the direction that separates the units vanishes there), and then escapes;
the natural gradient, whose Fisher vanishes faster than the gradient, leaves in a few
steps. (Saad & Solla 1995 describe the same plateau for on-line learning.)

Set-up: d = 2 Gaussian inputs, n = 1000, noiseless teacher with a strong unit (2, 0) and
a weak one 0.5 (cos 15 deg, sin 15 deg), v* = (1, 1); the student starts as two copies
of one random unit plus a perturbation of size 1e-5. "Escaped" = the loss gap
L - L_min is a tenth of the plateau's gap. Each method (full batch: the averaged
dynamics of the papers) gets the same budget: five learning rates a factor 2 apart and
the same iteration budget, on the same five starts; the table shows its best learning
rate (smallest median iterations to escape). The natural gradient uses the exact dense
Fisher with damping 1e-3; a second table shows the effect of the damping.

Run::

    python examples/plateau.py                  # the tables (~1 min)
    python examples/plateau.py --plot plateau.png
    python examples/plateau.py --quick          # smoke run (~15 s)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from fisherstat.exceptions import SingularFisherWarning
from fisherstat.nn import SGD, Adam, NaturalGradient
from fisherstat.nn.plateau import ESCAPE_FACTOR, escape_run, teacher_student

#: Five learning rates a factor 2 apart for every method (the same grid budget).
GRIDS = {
    "GD": [0.125, 0.25, 0.5, 1.0, 2.0],
    "Adam": [0.05, 0.1, 0.2, 0.4, 0.8],
    "NG (dense, damping 1e-3)": [0.125, 0.25, 0.5, 1.0, 2.0],
}
DAMPINGS = [1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]


def make(method: str, lr: float, damping: float = 1e-3, kl_clip=None):
    if method == "GD":
        return SGD(lr=lr)
    if method == "Adam":
        return Adam(lr=lr)
    return NaturalGradient("dense", damping=damping, lr=lr, kl_clip=kl_clip)


def escapes(problem, opt, starts, n_steps):
    """Iterations to escape from each start (inf: not within n_steps, or diverged)."""
    stop = ESCAPE_FACTOR * problem.plateau_gap
    out = []
    for theta0 in starts:
        r = escape_run(problem, opt, theta0, n_steps, stop_below=stop)
        out.append(np.inf if r.escape is None else r.escape)
    return np.array(out, dtype=float)


def fmt_escape(e):
    ok = np.isfinite(e)
    if not ok.any():
        return f"{0:>2d}/{e.size}", f"{'-':>7}", f"{'-':>14}"
    med = np.median(e)
    rng = f"[{e[ok].min():.0f}, {e[ok].max():.0f}]" if ok.all() else \
        f"[{e[ok].min():.0f}, inf]"
    return f"{ok.sum():>2d}/{e.size}", f"{med:>7.0f}" if np.isfinite(med) else f"{'inf':>7}", \
        f"{rng:>14}"


def compare(problem, starts, n_steps):
    print(f"Iterations to escape (median over {len(starts)} starts, [min, max]); best of "
          "5 learning rates per method\n")
    head = (f"{'method':>26} {'lr':>7} {'escaped':>8} {'median':>7} {'[min, max]':>14} "
            f"{'on plateau':>11} {'final gap':>10}")
    print(head)
    print("-" * len(head))
    best_runs = {}
    for method, grid in GRIDS.items():
        scores = []
        for lr in grid:
            e = escapes(problem, make(method, lr), starts, n_steps)
            scores.append((np.median(e), np.max(e), lr, e))
        med, _, lr, e = min(scores, key=lambda s: (s[0], s[1]))
        # full-budget runs at the chosen learning rate (stop only once solved)
        runs = [escape_run(problem, make(method, lr), t0, n_steps,
                           stop_below=1e-9 * problem.plateau_gap) for t0 in starts]
        best_runs[method] = (lr, runs)
        plateau = np.median([r.plateau_steps for r in runs])
        final = np.median([r.final_gap for r in runs])
        k, m, rng = fmt_escape(e)
        print(f"{method:>26} {lr:>7g} {k:>8} {m} {rng} {plateau:>11.0f} {final:>10.2g}")
        grid_line = ", ".join(f"{g:g}: {s[0]:.0f}" for g, s in zip(grid, scores, strict=True))
        print(f"{'':>26} (median by lr: {grid_line})")
    print(f"\n'on plateau': iterations with the loss gap within 10% of the plateau's "
          f"(median); 'final gap': L - L_min after {n_steps} iterations or once below "
          "1e-9 x the plateau gap (median)\n")
    return best_runs


def damping_table(problem, starts, n_steps, lr):
    print(f"Natural gradient (dense exact Fisher, lr = {lr:g}): effect of the damping\n")
    head = f"{'damping':>20} {'escaped':>8} {'median':>7} {'[min, max]':>14} {'final gap':>10}"
    print(head)
    print("-" * len(head))
    rows = []
    settings = [(dmp, None) for dmp in DAMPINGS] + [(1e-6, 1e-2)]
    for dmp, clip in settings:
        e, finals = [], []
        for t0 in starts:
            r = escape_run(problem, make("NG", lr, dmp, clip), t0, n_steps,
                           stop_below=1e-9 * problem.plateau_gap)
            e.append(np.inf if r.escape is None else r.escape)
            finals.append(r.final_gap)
        e = np.array(e, dtype=float)
        k, m, rng = fmt_escape(e)
        name = f"{dmp:g}" + (f", kl_clip {clip:g}" if clip else "")
        print(f"{name:>20} {k:>8} {m} {rng} {np.median(finals):>10.2g}")
        rows.append((dmp, clip, e))
    print()
    return rows


def fisher_table(run):
    ev_steps = [0, 10, 100]
    if run.escape is not None:
        ev_steps += [run.escape // 2, run.escape, min(2 * run.escape, run.n_steps)]
    ev_steps = sorted({s for s in ev_steps if s <= run.n_steps})
    ev = run.fisher_eigenvalues(ev_steps)
    print(f"Along the gradient-descent path ({run.optimizer}, first start): the Fisher is "
          f"nearly singular on the plateau\n")
    head = (f"{'iteration':>9} {'loss gap':>10} {'|w1 - w2|':>10} {'3 smallest eigenvalues':>33}"
            f" {'rank':>5}")
    print(head)
    print("-" * len(head))
    for s, lam in zip(ev_steps, ev, strict=True):
        rank = int(np.sum(lam > 1e-10 * lam[-1]))
        small = " ".join(f"{x:>10.2e}" for x in lam[:3])
        print(f"{s:>9d} {run.loss_gap[s]:>10.3g} {run.separation[s]:>10.2e} {small:>33} "
              f"{rank:>3d}/{lam.size}")
    print("(rank: eigenvalues above 1e-10 x the largest)\n")


def plot(path, best_runs, damping_rows, problem):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    colors = {"GD": "C0", "Adam": "C1"}
    for method, (lr, runs) in best_runs.items():
        r = runs[0]
        c = colors.get(method, "C2")
        label = f"{method.split(' (')[0]}, lr {lr:g}"
        r.plot(axes[0], "loss", label=label, color=c)
        r.plot(axes[1], "separation", label=label, color=c)
        if method != "Adam":
            r.plot(axes[2], "fisher", label=label, color=c)
    axes[0].set_title("loss gap (dashed: the plateau)", fontsize=10)
    axes[1].set_title("separation of the two units", fontsize=10)
    axes[2].set_title("Fisher eigenvalues, GD and NG (solid: smallest)", fontsize=10)
    axes[0].legend(fontsize=7)
    ax = axes[3]
    d = [row[0] for row in damping_rows if row[1] is None]
    med = [np.median(row[2]) for row in damping_rows if row[1] is None]
    ax.plot(d, np.where(np.isfinite(med), med, np.nan), "o-")
    gd = np.median([r.escape if r.escape is not None else np.inf
                    for r in best_runs["GD"][1]])
    ax.axhline(gd, color="C0", ls=":", label="GD (best lr)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("damping")
    ax.set_ylabel("median iterations to escape")
    ax.set_title("natural gradient: damping", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    parser.add_argument("--quick", action="store_true", help="fewer starts, smaller budget")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    # the grids include learning rates that diverge on purpose; their last steps warn
    warnings.simplefilter("ignore", SingularFisherWarning)
    n_starts, n_steps = (2, 1200) if args.quick else (5, 3000)
    problem = teacher_student(n=1000, rng=0)
    print(problem.summary() + "\n")
    starts = [problem.start(eps=1e-5, rng=s) for s in range(n_starts)]
    best_runs = compare(problem, starts, n_steps)
    fisher_table(best_runs["GD"][1][0])
    ng_lr = best_runs["NG (dense, damping 1e-3)"][0]
    rows = damping_table(problem, starts, 300 if args.quick else 1000, ng_lr)
    if args.plot:
        plot(args.plot, best_runs, rows, problem)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
