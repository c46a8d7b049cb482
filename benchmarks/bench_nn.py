"""Neural-network benchmarks: the exact dense Fisher of an MLP and natural-gradient steps."""

from __future__ import annotations

import time

import numpy as np
from _table import Table, best_time

from fisherstat.nn import MLP, NaturalGradient, fisher

GOALS = [
    "Exact dense Fisher of an MLP [20, 50, 50, 10] (tanh, softmax; P = 4110) on N = 500 "
    "inputs: at least 20x a per-sample Python loop (J_n^T Lambda_n J_n accumulated row by "
    "row), and within 1.5x of the 'physical limit', one NumPy product A^T A of an "
    "(N C x P) matrix timed in the same run. fisherstat contracts the Kronecker structure "
    "of the per-sample Jacobians (O(N P^2) operations, independent of C) and can beat that "
    "limit.",
    "Natural-gradient step on a batch of 128 for an MLP [20, w, w, 10], w = 64..512: time "
    "per step (Fisher + solve) of the exact damped step (dense: Woodbury identity on the "
    "N (C - 1) Gram matrix, summed layer by layer), K-FAC and conjugate gradients on "
    "matrix-free Fisher-vector products, with the cosine between each step and the exact "
    "one; at w = 64 also the exact step through the (P, P) matrix and its Cholesky factor.",
]


def _net_data(sizes, n, seed=0):
    net = MLP(sizes, "tanh", "softmax")
    rng = np.random.default_rng(seed)
    theta = net.init(rng, sigma_b2=0.1)
    X = rng.standard_normal((n, sizes[0]))
    y = net.sample(theta, rng=rng, x=X)
    return net, theta, X, y


def per_sample_loop(net, theta, X):
    """The naive peer: one row at a time, J_n (C, P) then F += J_n^T Lambda_n J_n."""
    P = net.n_weights
    F = np.zeros((P, P))
    for n in range(X.shape[0]):
        J = net.jacobian(theta, X[n : n + 1])[0]
        p = net.predict(theta, X[n : n + 1])[0]
        F += J.T @ ((np.diag(p) - np.outer(p, p)) @ J)
    return F / X.shape[0]


def dense_fisher(table: Table, quick: bool) -> None:
    sizes, N = ([20, 20, 20, 10], 200) if quick else ([20, 50, 50, 10], 500)
    net, theta, X, _ = _net_data(sizes, N)
    P, C = net.n_weights, sizes[-1]
    t_ours = best_time(lambda: fisher(net, theta, X, "exact"), repeat=3)
    n_loop = 20 if quick else 50
    t0 = time.perf_counter()
    F_loop = per_sample_loop(net, theta, X[:n_loop])
    t_loop = (time.perf_counter() - t0) * N / n_loop
    F_ours = fisher(net, theta, X[:n_loop], "exact").to_dense()
    rel = np.max(np.abs(F_ours - F_loop)) / np.max(np.abs(F_loop))
    table.add(f"exact dense FIM, MLP {sizes} (P={P}), N={N}", f"{t_ours:.3f} s",
              f"per-sample loop ({n_loop} rows, x{N // n_loop})",
              f"{t_loop:.2f} s (max rel diff {rel:.1e})", f"{t_loop / t_ours:.0f}x faster")
    A = np.random.default_rng(1).standard_normal((N * C, P))
    t_ata = best_time(lambda: A.T @ A, repeat=3)
    table.add(f"exact dense FIM, MLP {sizes} (P={P}), N={N}", f"{t_ours:.3f} s",
              f"NumPy A^T A, A of ({N * C} x {P})", f"{t_ata:.3f} s",
              f"{t_ata / t_ours:.2f}x (goal >= 0.67x)")


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def natural_gradient_steps(table: Table, quick: bool) -> None:
    widths = (64, 128) if quick else (64, 128, 256, 512)
    batch, damping = 128, 1e-3
    for w in widths:
        net, theta, X, y = _net_data([20, w, w, 10], batch, seed=w)
        g = net.grad(theta, X, y)
        P = net.n_weights
        steps, times = {}, {}
        for name, opt in (
            ("dense", NaturalGradient("dense", damping=damping)),
            ("kfac", NaturalGradient("kfac", damping=damping)),
            ("cg", NaturalGradient("implicit", damping=damping, cg_maxiter=50)),
        ):
            times[name] = best_time(
                lambda o=opt, t=theta, g=g, n=net, X=X: o.step(t, g, net=n, X=X), repeat=2)
            steps[name] = theta - opt.step(theta, g, net=net, X=X)
            if name == "cg":
                iters = opt.cg_iterations
        exact = steps["dense"]
        for name, label in (("kfac", "K-FAC (pi-damped)"),
                            ("cg", f"CG, {iters} matrix-free products")):
            table.add(f"NG step, MLP [20, {w}, {w}, 10] (P={P}), batch {batch}",
                      f"{label}: {times[name] * 1e3:.0f} ms "
                      f"(cos to exact {_cos(steps[name], exact):.3f})",
                      "dense (exact, Woodbury)", f"{times['dense'] * 1e3:.0f} ms",
                      f"{times['dense'] / times[name]:.1f}x faster")
    if not quick:  # the dense (P, P) route, feasible only for the smallest width
        net, theta, X, y = _net_data([20, 64, 64, 10], batch, seed=64)
        g = net.grad(theta, X, y)

        def cholesky_step():
            F = fisher(net, theta, X, "exact", factor="never")
            return F.solve(g, damping)

        t = best_time(cholesky_step, repeat=1)
        t_wood = best_time(lambda: fisher(net, theta, X, "exact").solve(g, damping), repeat=2)
        table.add(f"NG step, MLP [20, 64, 64, 10] (P={net.n_weights}), batch {batch}",
                  f"Woodbury on the {batch * 9}-row Gram: {t_wood * 1e3:.0f} ms",
                  "dense (P x P) Cholesky", f"{t * 1e3:.0f} ms", f"{t / t_wood:.1f}x faster")


def run(table: Table, quick: bool) -> None:
    dense_fisher(table, quick)
    natural_gradient_steps(table, quick)


if __name__ == "__main__":
    import sys

    t = Table()
    run(t, "--quick" in sys.argv)
    print(t.render())
