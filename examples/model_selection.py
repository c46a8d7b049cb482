"""AIC, BIC and the chi-square likelihood-ratio test at singularities, by simulation.

The regular theory says: if the smaller of two nested models is true, the likelihood-ratio
statistic T = 2 (l_alt - l_null) is chi-square with df = k_alt - k_null degrees of freedom
(Wilks 1938), AIC picks the larger model when T > 2 df and BIC when T > df log n. At a
singularity of the larger model none of this holds (Amari, Park & Ozeki 2006, Neural
Computation 18, 1007-1065). ``fisherstat.likelihood_ratio_test`` simulates the null
distribution of T (parametric bootstrap from the fitted null, both models refitted on every
replicate); this script prints, for four pairs of models, the simulated 95% quantile against
the chi-square one, the actual size of the chi-square test at nominal 5% and how often AIC
and BIC pick the larger model under the null:

1. regular control: N(0, 1) against N(mu, sigma2) (df 2);
2. the location mixture (1 - v) N(0, 1) + v N(w, 1), |w| <= 1, against N(0, 1): under the
   null v = 0 or w = 0, the other parameter is not identified (naive df 2);
3. the same with an unbounded location (Hartigan 1985: T grows without bound in n);
4. ARMA(1, 1) against white noise: under the null every phi = -theta cancels (a common
   root), a line of parameters giving one model (naive df 2);
5. regular control: ARMA(1, 1) against AR(1) with phi = 0.5 (theta = 0 is an ordinary
   interior point, df 1).

Run::

    python examples/model_selection.py                   # about 40 s
    python examples/model_selection.py --plot sel.png    # also save the figure (matplotlib)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

import fisherstat as fs
from fisherstat.models import LocationMixture, Normal
from fisherstat.models.arma import ARMA

N_OBS = 200
#: Bootstrap replicates per case: the s.e. of a simulated rate r is sqrt(r (1 - r) / B),
#: 0.010 at r = 0.05 for B = 500.
N_BOOT = {"iid": 1000, "arma": 500}


def cases():
    """(label, null, alternative, kind) of the five comparisons."""
    return [
        ("N(0,1) vs N(mu, s2) [regular]", (Normal(), [0.0, 1.0]), Normal(), "iid"),
        ("mixture |w| <= 1 vs N(0,1)", (Normal(), [0.0, 1.0]), LocationMixture(w_max=1.0),
         "iid"),
        ("mixture, w free vs N(0,1)", (Normal(), [0.0, 1.0]), LocationMixture(), "iid"),
        ("ARMA(1,1) vs white noise", ARMA(0, 0), ARMA(1, 1), "arma"),
        ("ARMA(1,1) vs AR(1) [regular]", ARMA(1, 0), ARMA(1, 1), "arma"),
    ]


def data_for(null, seed):
    """One observed series from the null (phi = 0.5 for the AR(1) null)."""
    model, theta = null if isinstance(null, tuple) else (null, None)
    if theta is None:
        theta = [0.5, 1.0] if model.n_params == 2 else [1.0]
    return model.sample(theta, N_OBS, rng=seed)


def run(seed):
    out = []
    for i, (label, null, alt, kind) in enumerate(cases()):
        y = data_for(null, seed + i)
        r = fs.likelihood_ratio_test(null, alt, y, n_boot=N_BOOT[kind], rng=seed + 100 + i)
        out.append((label, r))
    return out


def print_table(results):
    print(f"Likelihood-ratio statistic under the null, n = {N_OBS}; simulated from the fitted "
          "null (parametric bootstrap)")
    head = (f"{'comparison':<31} {'df':>2} {'B':>5} {'fail':>4} {'mean T':>6} {'q95 sim':>7} "
            f"{'q95 chi2':>8} {'chi2 test 5%':>13} {'AIC picks alt':>14} {'(chi2)':>6} "
            f"{'BIC picks alt':>14} {'(chi2)':>6}")
    print(head)
    print("-" * len(head))
    for label, r in results:
        rates = r.rejection_rates(0.05)
        t = r.null_sample[np.isfinite(r.null_sample)]
        print(f"{label:<31} {r.df:>2} {r.n_boot:>5} {r.n_failed:>4} {t.mean():>6.2f} "
              f"{r.null_quantile(0.95):>7.2f} {stats.chi2(r.df).ppf(0.95):>8.2f} "
              f"{rates['chi2'][0]:>6.3f} ({rates['chi2'][1]:.3f}) "
              f"{rates['aic'][0]:>6.3f} ({rates['aic'][1]:.3f}) {rates['aic'][2]:>6.3f} "
              f"{rates['bic'][0]:>6.3f} ({rates['bic'][1]:.3f}) {rates['bic'][2]:>6.3f}")
    print("(s.e.) Monte Carlo standard errors; (chi2) what the chi-square law predicts. "
          "fail: replicates whose fit failed (not in the rates)")
    for label, r in results:
        if r.n_failed:
            print(f"\n{label}: {r.n_failed} failed fits, e.g. {r.failures[0][1][:110]}...")


def plot(results, path):
    from fisherstat.plot import require_matplotlib

    plt = require_matplotlib()
    fig, ax = plt.subplots(1, 4, figsize=(14, 3.4))
    for a, (label, r) in zip(ax, results[1:], strict=True):
        r.plot(ax=a, bins=30)
        a.set(title=label, xlim=(0, 14))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nfigure saved to {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plot", metavar="PATH", help="save a figure")
    ap.add_argument("--seed", type=int, default=2006)
    args = ap.parse_args(argv)
    t0 = time.time()
    results = run(args.seed)
    print_table(results)
    print(f"\n({time.time() - t0:.0f} s)")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
