"""Pathological Fisher spectra of wide random networks: mean-field theory vs measurement.

Reproduces the scaling laws of Karakida, Akaho & Amari (2019, "Universal statistics of
Fisher information in deep neural networks: mean field approach", AISTATS, Theorem 1, and
its finite-sample form in Karakida, Akaho & Amari 2021, Neural Computation 33(8)): at a
random initialisation of a network of width M the mean eigenvalue of the Fisher
information vanishes like kappa_1 C / M, its second moment stays of order one, and C
outlying eigenvalues grow like alpha kappa_2 M, while subtracting the mean output
(Karakida et al. 2019, NeurIPS, "The normalization method for alleviating pathological
sharpness in wide neural networks") removes the outliers. For the mean-subtracted output
the mean-field value is a lower bound of the largest eigenvalue (the mean of the centred
bulk, which the finite-width fluctuations spread), labelled so in the table and figure.

The default sweep: tanh networks MLP([M, M, M, M, C]) (depth 3, input width M) with
sigma_w^2 = 3, sigma_b^2 = 0.64, C = 3 outputs, N = 100 standard normal inputs, widths
M = 50, 100, 200, 400, 800 (up to 1.9 million weights), 3 random networks per width, for
a linear (Gaussian, unit noise) and a softmax output. The order parameters come from
quadrature; the statistics are measured from the N C Gram matrix of the exact Fisher,
never the (P, P) matrix. The softmax theory averages over Gaussian-process draws of the
logits (the network-to-network spread is large: few networks give a noisy mean).

Run::

    python examples/karakida_spectra.py                    # the default sweep (~15 s)
    python examples/karakida_spectra.py --quick            # smaller (~3 s)
    python examples/karakida_spectra.py --plot spectra.png # also save the figure
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fisherstat.nn import order_parameters, width_sweep

#: The documented default sweep (also timed by benchmarks/bench_spectrum.py).
DEFAULT = dict(widths=(50, 100, 200, 400, 800), depth=3, activation="tanh", sigma_w2=3.0,
               sigma_b2=0.64, n_outputs=3, n_samples=100, n_networks=3)
QUICK = dict(DEFAULT, widths=(32, 64, 128), n_samples=30, n_networks=2)


def run(quick: bool = False, rng: int = 0, verbose: bool = True) -> dict:
    """Both sweeps (linear and softmax output); returns ``{output: WidthSweep}``."""
    cfg = QUICK if quick else DEFAULT
    if verbose:
        op = order_parameters(cfg["activation"], cfg["sigma_w2"], cfg["sigma_b2"],
                              cfg["depth"] + 1)
        print(op.summary(), "\n")
    out = {}
    for k, output in enumerate(("linear", "softmax")):
        out[output] = width_sweep(output=output, rng=np.random.default_rng([rng, k]), **cfg)
        if verbose:
            print(out[output].summary(), "\n")
    return out


def plot(path: str, sweeps: dict) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for row, (output, sw) in zip(axes, sweeps.items(), strict=True):
        sw.plot(ax=row)
        row[0].set_ylabel(f"{output} output")
    fig.suptitle("Fisher spectrum of random tanh networks: theory (lines; dotted: leading "
                 "order; mean-subtracted: a lower bound) vs measured (points)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure saved to {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast sweep")
    parser.add_argument("--plot", metavar="FILE", help="save a figure (needs matplotlib)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    sweeps = run(args.quick)
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.plot:
        plot(args.plot, sweeps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
