"""Natural gradient vs gradient descent: two published results, reproduced without autodiff.

1. Kunstner, Balles & Hennig (2019, "Limitations of the empirical Fisher approximation for
   natural gradient descent", NeurIPS), Fig. 1: on least-squares linear regression (a
   network [1, 1] with a linear output: y = w x + b + noise, inputs not centred, so the
   loss is ill-conditioned) the natural gradient with the Fisher reaches the minimum in
   one step from anywhere (the Fisher is the Hessian), gradient descent needs many steps,
   and "preconditioning" with the empirical Fisher distorts the field: its direction is
   not the direction to the minimum and its steps are far too short away from it. The
   table gives, for several starting points, the cosine between each update and the
   direction to the minimum, the step length relative to the distance, and the iterations
   to reach the minimal loss (+1e-6) at step size 1 (gradient descent: the largest stable
   step 1 / lambda_max, times 0.9).
2. Martens & Grosse (2015, "Optimizing neural networks with Kronecker-factored approximate
   curvature", ICML, Fig. 2-3), qualitatively: natural-gradient methods (exact Fisher,
   K-FAC, EKFAC, conjugate gradients on Fisher-vector products) need an order of magnitude
   fewer iterations than well-tuned SGD with momentum or Adam. Here: a [2, 20, 20, 2] tanh
   network on the two-spirals problem (full batch), iterations and seconds to reach a
   training cross-entropy of 0.1; first-order methods get the best of a grid of learning
   rates, natural-gradient methods use damping 1e-3 and a KL trust region of 0.01 (Ba,
   Grosse & Martens 2017).

Run::

    python examples/natural_gradient.py                  # both tables (~30 s)
    python examples/natural_gradient.py --plot ng.png    # also save a figure
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fisherstat.nn import MLP, SGD, Adam, NaturalGradient, fisher, train


# ------------------------------------------------------------- 1. least squares
def least_squares_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 1.0, n)
    y = 2.0 * x - 1.0 + rng.standard_normal(n)
    net = MLP([1, 1], activation="linear")  # theta = (w, b); Gaussian output, sigma2 = 1
    X = x[:, None]
    theta_hat = np.linalg.lstsq(np.column_stack([x, np.ones(n)]), y, rcond=None)[0]
    return net, X, y, theta_hat


def directions(net, X, y, theta):
    """-g, -F^{-1} g and -F_emp^{-1} g at theta."""
    g = net.grad(theta, X, y)
    F = fisher(net, theta, X, "exact").to_dense()
    E = fisher(net, theta, X, "empirical", y=y).to_dense()
    return {"gradient": -g, "natural (Fisher)": -np.linalg.solve(F, g),
            "empirical Fisher": -np.linalg.solve(E, g)}


def least_squares_table(offsets):
    net, X, y, theta_hat = least_squares_data()
    F = fisher(net, theta_hat, X, "exact").to_dense()  # constant: X-bar^T X-bar / n
    lr_gd = 0.9 / np.linalg.eigvalsh(F)[-1]
    best = net.loss(theta_hat, X, y)
    print("1. Least squares (Kunstner et al. 2019, Fig. 1): w, b at "
          f"({theta_hat[0]:.3f}, {theta_hat[1]:.3f}); condition number of F "
          f"{np.linalg.cond(F):.0f}\n")
    head = (f"{'start - minimum':>16} {'update':>18} {'cos to min':>11} {'|step|/dist':>12} "
            f"{'iterations':>11}")
    print(head)
    print("-" * len(head))
    rows = []
    for off in offsets:
        theta = theta_hat + np.asarray(off, float)
        to_min = theta_hat - theta
        runs = {"gradient": SGD(lr=lr_gd),
                "natural (Fisher)": NaturalGradient("dense", damping=0.0),
                "empirical Fisher": NaturalGradient("dense", damping=0.0, kind="empirical")}
        for name, d in directions(net, X, y, theta).items():
            scale = lr_gd if name == "gradient" else 1.0
            r = train(net, theta, X, y, runs[name], n_steps=5000, target_loss=best + 1e-6)
            cos = d @ to_min / (np.linalg.norm(d) * np.linalg.norm(to_min))
            rel = scale * np.linalg.norm(d) / np.linalg.norm(to_min)
            it = r.reached_target if r.reached_target is not None else ">5000"
            print(f"{str(tuple(off)):>16} {name:>18} {cos:>11.3f} {rel:>12.3f} {it!s:>11}")
            rows.append((tuple(off), name, cos, rel, r.reached_target))
    print()
    return rows


# ------------------------------------------------------------- 2. two spirals
def spirals(n=400, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n // 2)) * 3 * np.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (3 * np.pi)
    X = np.vstack([arm, -arm]) + 0.02 * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n // 2), np.ones(n // 2)]


def spirals_table(target=0.1, max_steps=1500):
    X, y = spirals()
    net = MLP([2, 20, 20, 2], "tanh", "softmax")
    theta0 = net.init(rng=1, sigma_w2=2.0)
    print(f"2. Two spirals, MLP {list(net.sizes)} (P = {net.n_weights}), N = {len(y)}: "
          f"iterations to training loss {target}\n")
    candidates = {
        "SGD + momentum 0.9": [SGD(lr=lr, momentum=0.9) for lr in (0.1, 0.3, 1.0)],
        "Adam": [Adam(lr=lr) for lr in (0.01, 0.03, 0.1)],
        "NG, exact Fisher": [NaturalGradient("dense", damping=1e-3, kl_clip=0.01)],
        "NG, K-FAC": [NaturalGradient("kfac", damping=1e-3, kl_clip=0.01)],
        "NG, EKFAC": [NaturalGradient("ekfac", damping=1e-3, kl_clip=0.01)],
        "NG, CG (implicit)": [NaturalGradient("implicit", damping=1e-3, kl_clip=0.01,
                                              cg_maxiter=50)],
    }
    head = f"{'method':>20} {'setting':>22} {'iterations':>11} {'seconds':>8} {'accuracy':>9}"
    print(head)
    print("-" * len(head))
    results = {}
    for name, opts in candidates.items():
        best = None
        for opt in opts:
            t0 = time.perf_counter()
            try:
                r = train(net, theta0, X, y, opt, n_steps=max_steps, target_loss=target)
            except FloatingPointError:
                continue
            sec = time.perf_counter() - t0
            it = r.reached_target if r.reached_target is not None else np.inf
            if best is None or it < best[1]:
                best = (opt, it, sec, r)
        opt, it, sec, r = best
        setting = f"lr={opt.lr:g}" if not isinstance(opt, NaturalGradient) else \
            f"damping={opt.damping:g}"
        print(f"{name:>20} {setting:>22} {it!s:>11} {sec:>8.2f} {r.accuracy[-1]:>9.3f}")
        results[name] = r
    print()
    return results


def plot(path, spiral_runs):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    net, X, y, theta_hat = least_squares_data()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    w = np.linspace(theta_hat[0] - 4, theta_hat[0] + 4, 13)
    b = np.linspace(theta_hat[1] - 8, theta_hat[1] + 8, 13)
    W, B = np.meshgrid(w, b)
    ww, bb = np.meshgrid(np.linspace(w[0], w[-1], 80), np.linspace(b[0], b[-1], 80))
    loss = np.array([[net.loss(np.array([p, q]), X, y) for p, q in zip(r1, r2, strict=True)]
                     for r1, r2 in zip(ww, bb, strict=True)])
    for ax, name in zip(axes[:3], ("gradient", "natural (Fisher)", "empirical Fisher"),
                        strict=True):
        U = np.zeros_like(W)
        V = np.zeros_like(W)
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                d = directions(net, X, y, np.array([W[i, j], B[i, j]]))[name]
                U[i, j], V[i, j] = d / np.linalg.norm(d)
        ax.contour(ww, bb, loss, levels=12, colors="0.8", linewidths=0.7)
        ax.quiver(W, B, U, V, angles="xy", width=0.004)
        ax.plot(*theta_hat, "r*", ms=10)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("w")
    axes[0].set_ylabel("b")
    ax = axes[3]
    for name, r in spiral_runs.items():
        ax.plot(r.steps, r.loss, "--" if "CG" in name else "-", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title("two spirals: training loss", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    args = parser.parse_args(argv)
    least_squares_table([(3.0, 3.0), (-2.0, 4.0), (1.0, -5.0), (0.5, 0.5)])
    runs = spirals_table()
    if args.plot:
        plot(args.plot, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
