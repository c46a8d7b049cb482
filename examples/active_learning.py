"""Expected gradient length active learning vs entropy and random sampling: learning curves.

Reproduces, on small two-dimensional problems, the qualitative findings of Settles &
Craven (2008, "An analysis of active learning strategies for sequence labeling tasks",
EMNLP; Settles, Craven & Ray 2008, NeurIPS): expected gradient length (EGL) and
uncertainty (entropy) sampling reach a given accuracy with far fewer labels than random
sampling when the pool is redundant -- and the known failure of uncertainty-driven
sampling (Dasgupta & Hsu 2008, "Hierarchical sampling for active learning", ICML; Settles
2009, "Active learning literature survey", section 6.1): with a nonlinear boundary and an
uninformative start it queries only around its current boundary and never finds the
parts it gets wrong (sampling bias).

Three problems, each over paired seeds (same initial labelled set and initial weights for
every strategy), mean +- standard error:

A. a redundant pool (:func:`fisherstat.nn.make_redundant_pool`: 80% of the points
   in two easy clusters, 20% on a strip around a linear boundary), multinomial logistic
   regression MLP [2, 2]; 4 initial labels + 15 rounds of 2;
B. the same pool with a hidden layer, MLP [2, 4, 2] (tanh);
C. a uniform pool on [-3, 3]^2 with a circular class boundary (radius 1.5), MLP
   [2, 8, 2]; 10 initial labels + 14 rounds of 5.

Strategies: 'egl' (Settles & Craven: sum_y p(y|x) ||grad||), 'egl_squared' (the Fisher
view: E ||grad||^2 = tr M(x), the trace of the point's Fisher information), 'entropy' and
'random'. Every fit is the posterior mode under a N(0, 10 I) prior, by L-BFGS, warm
started from the previous round. The table gives the final test accuracy, the normalised
area under the learning curve (AUC, a mean accuracy), its paired difference to random,
and the labels needed to reach and keep a target test accuracy.

Run::

    python examples/active_learning.py                 # the three tables (~1.5 min)
    python examples/active_learning.py --quick         # fewer seeds, a smoke run
    python examples/active_learning.py --plot al.png   # also save the figure
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fisherstat.nn import MLP, compare_strategies, make_redundant_pool

STRATEGIES = ("egl", "egl_squared", "entropy", "random")


def circle_pool(n, seed, radius=1.5, box=3.0):
    """Uniform inputs on [-box, box]^2, label 1 inside the circle (about 20% of the pool)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-box, box, (n, 2))
    return X, (np.sum(X**2, axis=1) < radius**2).astype(int)


def line_distance(X):
    """Distance to the boundary x1 = 0.3 + 0.2 x2 of the redundant pool."""
    return np.abs(X[..., 0] - 0.3 - 0.2 * X[..., 1]) / np.sqrt(1.04)


def problems(quick):
    s = 3 if quick else 1
    Xr, yr = make_redundant_pool(2000, rng=0)
    Xc, yc = circle_pool(2000, seed=0)
    redundant = dict(n_initial=4, batch_size=2, n_rounds=15 // s)
    return {
        "A. redundant pool, MLP [2, 2] (logistic regr.)": dict(
            net=MLP([2, 2], output="softmax"), data=(Xr, yr), n_seeds=10 // s,
            target=0.98, kw=redundant, distance=line_distance),
        "B. redundant pool, MLP [2, 4, 2] tanh": dict(
            net=MLP([2, 4, 2], "tanh", "softmax"), data=(Xr, yr), n_seeds=6 // s,
            target=0.98, kw=dict(redundant, sigma_w2=2.0), distance=line_distance),
        "C. uniform pool, circle, MLP [2, 8, 2] tanh": dict(
            net=MLP([2, 8, 2], "tanh", "softmax"), data=(Xc, yc), n_seeds=6 // s,
            target=0.93, kw=dict(n_initial=10, batch_size=5, n_rounds=14 // s,
                                 sigma_w2=2.0),
            distance=lambda X: np.abs(np.linalg.norm(X, axis=-1) - 1.5)),
    }


def where_queried(p, lc, X_pool):
    """Share of the queried points near the true boundary, and their median norm."""
    q = lc.labelled[:, :, p["kw"]["n_initial"]:]  # (strategies, seeds, queries)
    near = p["distance"](X_pool[q]) < 0.3
    norm = np.linalg.norm(X_pool[q], axis=-1)
    print("queries within 0.3 of the true boundary: " + ", ".join(
        f"{s} {100 * near[i].mean():.0f}%" for i, s in enumerate(lc.strategies)))
    print("median |x| of the queries:               " + ", ".join(
        f"{s} {np.median(norm[i]):.2f}" for i, s in enumerate(lc.strategies)))


def run(quick=False):
    results = {}
    for name, p in problems(quick).items():
        X, y = p["data"]
        t0 = time.perf_counter()
        lc = compare_strategies(p["net"], X[:1000], y[:1000], X[1000:], y[1000:],
                                strategies=STRATEGIES, n_seeds=p["n_seeds"], rng=0,
                                **p["kw"])
        print(f"{name}  ({time.perf_counter() - t0:.1f} s)")
        print(lc.summary(target=p["target"]))
        where_queried(p, lc, X[:1000])
        print()
        results[name] = (p, lc)
    return results


def plot(path, results):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    from fisherstat.nn.active import active_learning

    fig, axes = plt.subplots(1, 4, figsize=(17, 3.8))
    for ax, (name, (p, lc)) in zip(axes[:3], results.items(), strict=True):
        lc.plot(ax=ax)
        ax.axhline(p["target"], color="0.6", lw=0.8, ls=":")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    # where EGL queries on the circle problem (one seed): around its own boundary only
    p, _ = results[list(results)[2]]
    X, y = p["data"]
    ax = axes[3]
    r = active_learning(p["net"], X[:1000], y[:1000], X[1000:], y[1000:], strategy="egl",
                        rng=0, **p["kw"])
    g = np.linspace(-3, 3, 200)
    G = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    prob = p["net"].predict(r.theta, G)[:, 1].reshape(200, 200)
    ax.contourf(g, g, prob, levels=[0, 0.5, 1], colors=["#f4f4f4", "#d8e6f3"])
    ax.contour(g, g, prob, levels=[0.5], colors="C0")
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(1.5 * np.cos(t), 1.5 * np.sin(t), "k--", lw=1, label="true boundary")
    Xi, Xq = X[r.initial], X[r.queried.ravel()]
    ax.plot(*Xi.T, "ks", ms=4, label="initial")
    ax.plot(*Xq.T, "o", color="C3", ms=3, label="EGL queries")
    ax.set_aspect("equal")
    ax.set_title(f"C: EGL queries, final accuracy {r.test_accuracy[-1]:.3f}", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and rounds")
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    args = parser.parse_args(argv)
    results = run(args.quick)
    if args.plot:
        plot(args.plot, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
