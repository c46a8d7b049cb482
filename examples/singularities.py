"""What happens near a singularity of the Fisher information (Amari, Park & Ozeki 2006).

Amari, Park & Ozeki (2006, Neural Computation 18, 1007-1065) show that the Fisher
information of multilayer perceptrons, Gaussian mixtures and ARMA models degenerates on
whole subsets of the parameter space, and that near them the maximum-likelihood estimate
is not asymptotically normal and the likelihood-ratio statistic is not chi-square. This
script reproduces their phenomena with ``fisherstat.singular`` and prints one table each:

1. the two-hidden-unit network f = v1 tanh(w1 x) + v2 tanh(w2 x): the numerical rank and
   null directions at v2 = 0, w1 = w2 and w1 = -w2 (Amari et al. sec. 2);
2. the mixture (1 - v) N(0, 1) + v N(w, 1): the information and the Cramer-Rao standard
   deviations as (v, w) approach the singular set, against the small-w expansions
   sd(v_hat) ~ sqrt(2/n)/w^2 and sd(w_hat) ~ sqrt(2/n)/(v w), cross-checked with
   ``GaussianMixture``;
3. ARMA(1,1) with nearly cancelling roots: the simulated variance of phi_hat against the
   formula (1 + phi theta)^2 (1 - phi^2) / (n (phi + theta)^2) and the coverage of Wald
   intervals built from it;
4. the likelihood-ratio test of one against two components: the simulated null
   distribution against chi-square(1), chi-square(2) and the limit law
   sup_w max(Z(w), 0)^2, and the fraction of AIC/BIC (``fisherstat.selection``) choosing two
   components under the null;
5. ``check_asymptotics`` at, near and away from the mixture singularity: its report flags
   the non-normal MLE.

Run::

    python examples/singularities.py                  # about half a minute
    python examples/singularities.py --full           # the numbers of docs/singular.rst
    python examples/singularities.py --plot sing.png  # also save a figure (matplotlib)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy import stats

import fisherstat as fs
from fisherstat.models import LocationMixture, TwoUnitNetwork
from fisherstat.selection import information_criteria
from fisherstat.singular import analyze, diagnose, lrt_limit_sample

X_NET = np.linspace(-3.0, 3.0, 31)


# ------------------------------------------------------------------ 1. network
def network_table():
    net = TwoUnitNetwork()
    points = [
        ("regular", [1.0, 1.0, -1.0, 2.5, 0.1]),
        ("v2 = 0", [1.0, 1.0, 0.0, 2.5, 0.1]),
        ("w2 = 0", [1.0, 1.0, 1.0, 0.0, 0.1]),
        ("w1 = w2", [1.0, 1.5, 0.5, 1.5, 0.1]),
        ("w1 = -w2", [1.0, 1.5, 0.5, -1.5, 0.1]),
        ("w1 = w2 + 0.05", [1.0, 1.55, 0.5, 1.5, 0.1]),
    ]
    rows = []
    for label, theta in points:
        r = analyze(fs.fisher(net, theta, x=X_NET))
        rows.append(dict(label=label, theta=theta, rank=r.rank, cond=r.scaled_condition_number,
                         null="; ".join(map(str, r.null_directions)) or "-",
                         near="; ".join(map(str, r.near_null_directions)) or "-", report=r))
    return rows


def print_network(rows):
    print("1. Two-hidden-unit network f = v1 tanh(w1 x) + v2 tanh(w2 x), 31 inputs in "
          "[-3, 3], sigma2 = 0.1")
    head = f"{'point':>15} {'rank':>5} {'scaled cond':>12}  null directions | near-null"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['label']:>15} {r['rank']:>4}/5 {r['cond']:>12.3g}  {r['null']} | "
              f"{r['near']}")
    d = diagnose(TwoUnitNetwork(), rows[-1]["theta"], x=X_NET)
    print("\ndiagnose() at w1 = w2 + 0.05:\n  " + str(d))


# ------------------------------------------------------------------ 2. mixture
def mixture_table():
    m = LocationMixture()
    try:
        from fisherstat.models.mixture import GaussianMixture

        gm = GaussianMixture(2)
    except ImportError:  # pragma: no cover - the mixture module is optional here
        gm = None
    rows = []
    for v, w in [(0.3, 2.0), (0.3, 1.0), (0.3, 0.5), (0.3, 0.2), (0.3, 0.1), (0.3, 0.05),
                 (0.3, 0.02), (0.3, 0.0), (0.1, 1.0), (0.01, 1.0), (0.001, 1.0)]:
        info = fs.fisher(m, [v, w])
        r = analyze(info)
        info_m = info.matrix
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fs.SingularFisherWarning)
            sd = np.sqrt(np.diag(info.inverse())) if r.rank == 2 else np.full(2, np.inf)
        diff = np.nan
        if gm is not None:  # (v, w) are (w1, mu1) of GaussianMixture(2) at mu2 = 0
            diff = float(np.max(np.abs(gm.fisher([v, w, 0.0, 1.0, 1.0])[:2, :2] - info_m)))
        rows.append(dict(v=v, w=w, I=info_m, sd=sd, mu_min=r.scaled_eigenvalues[0], rank=r.rank,
                         null="; ".join(map(str, r.null_directions)) or "-",
                         sd_v_theory=np.sqrt(2) / w**2 if 0 < w <= 0.5 else np.nan,
                         sd_w_theory=np.sqrt(2) / (v * w) if 0 < w <= 0.5 else np.nan,
                         diff=diff))
    return rows


def print_mixture(rows):
    print("\n2. Mixture (1 - v) N(0,1) + v N(w,1): information of one observation and "
          "Cramer-Rao sd * sqrt(n)")
    head = (f"{'v':>6} {'w':>5} {'I_vv':>10} {'I_vw':>10} {'I_ww':>10} {'sd(v)':>9} "
            f"{'~2^.5/w^2':>9} {'sd(w)':>9} {'~2^.5/vw':>9} {'mu_min(C)':>10} {'rank':>4} "
            f"{'null':>5} {'|I - GM|':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        im = r["I"]
        tv, tw = (f"{t:>9.4g}" if np.isfinite(t) else f"{'-':>9}"
                  for t in (r["sd_v_theory"], r["sd_w_theory"]))
        print(f"{r['v']:>6g} {r['w']:>5g} {im[0, 0]:>10.4g} {im[0, 1]:>10.4g} {im[1, 1]:>10.4g} "
              f"{r['sd'][0]:>9.4g} {tv} {r['sd'][1]:>9.4g} {tw} {r['mu_min']:>10.3g} "
              f"{r['rank']:>4} {r['null']:>5} {r['diff']:>9.1e}")
    w = 1.0
    lim = 1 / np.sqrt(np.exp(w * w) * (1 + w * w) - w * w * np.exp(2 * w * w) / np.expm1(w * w))
    print("~ columns: the small-w expansions (shown for w <= 0.5); |I - GM|: largest "
          "difference from the (w1, mu1) block of GaussianMixture(2)")
    print(f"as v -> 0 at w = 1: v * sd(w) -> {lim:.4f}; I_vv -> e^(w^2) - 1 = "
          f"{np.expm1(w * w):.4f}")


# --------------------------------------------------------------------- 3. ARMA
def arma_table(phi, thetas, n, reps, seed):
    from fisherstat.models.arma import ARMA

    model = ARMA(1, 1)
    rng = np.random.default_rng(seed)
    z = stats.norm.ppf(0.975)
    rows = []
    for th in thetas:
        theta0 = np.array([phi, th, 1.0])
        Y = model.sample_paths(theta0, n, reps, rng=rng)
        est, fails = [], 0
        for y in Y:  # one exact-likelihood fit per series
            try:
                est.append(model.fit(y))
            except fs.FitError:
                fails += 1
        est = np.array(est)
        formula = (1 + phi * th) ** 2 * (1 - phi**2) / (phi + th) ** 2  # n Var(phi_hat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fs.SingularFisherWarning)
            se_hat = np.array([np.sqrt(max(fs.fisher(model, t).inverse()[0, 0], 0.0) / n)
                               for t in est])
        cover_plugin = np.mean(np.abs(est[:, 0] - phi) <= z * se_hat)
        cover_true = np.mean(np.abs(est[:, 0] - phi) <= z * np.sqrt(formula / n))
        d = est[:, 0] - phi
        var = np.var(d, ddof=1) * n
        c4 = np.mean((d - d.mean()) ** 4) * n**2
        m = d.size
        var_se = np.sqrt(max(c4 - var**2 * (m - 3) / (m - 1), 0.0) / m)
        r = analyze(fs.fisher(model, theta0))
        rows.append(dict(theta=th, s=phi + th, formula=formula, var=var, var_se=var_se,
                         cover_plugin=cover_plugin, cover_true=cover_true, fails=fails,
                         m=m, near="; ".join(map(str, r.near_null_directions)) or "-",
                         mu_min=r.scaled_eigenvalues[0]))
    return rows


def print_arma(rows, phi, n, reps):
    print(f"\n3. ARMA(1,1), phi = {phi}, n = {n}, {reps} series each: n Var(phi_hat), "
          "simulated vs formula, and 95% Wald coverage")
    head = (f"{'theta':>6} {'phi+theta':>9} {'formula':>9} {'simulated':>10} {'(s.e.)':>7} "
            f"{'ratio':>6} {'cover(plug-in)':>14} {'cover(true sd)':>14} {'fails':>5} "
            f"{'mu_min(C)':>9}  near-null direction")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['theta']:>6g} {r['s']:>9.3g} {r['formula']:>9.4g} {r['var']:>10.4g} "
              f"{r['var_se']:>7.2g} {r['var'] / r['formula']:>6.3f} {r['cover_plugin']:>14.3f} "
              f"{r['cover_true']:>14.3f} {r['fails']:>5} {r['mu_min']:>9.2g}  {r['near']}")
    print("formula: (1 + phi theta)^2 (1 - phi^2) / (phi + theta)^2 (Brockwell & Davis 1991, "
          f"sec. 8.8); s.e. of a coverage near 0.95: {np.sqrt(0.95 * 0.05 / reps):.3f}")


# ---------------------------------------------------------------------- 4. LRT
def lrt_table(cases, reps, seed):
    """T, and whether AIC / BIC pick two components, for ``reps`` null samples per case.

    The null N(0, 1) has no free parameter (k = 0), the mixture k = 2; the mixture's
    maximum may lie on the boundary (v = 0 or 1), where ``information_criteria`` takes the
    supremum ``LocationMixture.max_loglik``.
    """
    rng = np.random.default_rng(seed)
    null = fs.models.Normal()
    rows = []
    for W, n in cases:
        m = LocationMixture(w_max=W)
        T, aic2, bic2 = np.empty(reps), np.empty(reps, bool), np.empty(reps, bool)
        for i in range(reps):
            y = rng.standard_normal(n)
            ic0 = information_criteria(null, y, theta=[0.0, 1.0], k=0)
            ic1 = information_criteria(m, y)
            T[i] = 2.0 * (ic1.loglik - ic0.loglik)
            aic2[i], bic2[i] = ic1.aic < ic0.aic, ic1.bic < ic0.bic
        rows.append(dict(W=W, n=n, T=T, aic=aic2, bic=bic2))
    return rows


def print_lrt(rows, limit_draws, seed):
    print("\n4. LRT of N(0,1) against (1 - v) N(0,1) + v N(w,1), |w| <= W, under the null")
    head = (f"{'W':>5} {'n':>6} {'mean':>6} {'q90':>6} {'q95':>6} {'P(T>3.84)':>9} "
            f"{'AIC: P(T>4)':>11} {'BIC: P(T>2logn)':>15}")
    print(head)
    print("-" * len(head))
    refs = {}
    for r in rows:
        T, n = r["T"], r["n"]
        print(f"{r['W']:>5g} {n:>6} {T.mean():>6.3f} {np.quantile(T, 0.9):>6.3f} "
              f"{np.quantile(T, 0.95):>6.3f} {np.mean(T > 3.841):>9.3f} {r['aic'].mean():>11.3f} "
              f"{r['bic'].mean():>15.4f}")
        if np.isfinite(r["W"]) and r["W"] not in refs:
            refs[r["W"]] = lrt_limit_sample(r["W"], limit_draws, rng=seed)
    for W, L in refs.items():  # the limit law has no likelihoods: AIC picks 2 iff T > 2 * 2
        print(f"{W:>5g} {'limit':>6} {L.mean():>6.3f} {np.quantile(L, 0.9):>6.3f} "
              f"{np.quantile(L, 0.95):>6.3f} {np.mean(L > 3.841):>9.3f} {np.mean(L > 4):>11.3f}"
              f" {'0':>15}")
    for k in (1, 2):
        c = stats.chi2(k)
        print(f"{'chi2':>5} {k:>6} {c.mean():>6.3f} {c.ppf(0.9):>6.3f} {c.ppf(0.95):>6.3f} "
              f"{c.sf(3.841):>9.3f} {c.sf(4):>11.3f} {'1/n (k=2)':>15}")
    return refs


# ------------------------------------------------------------ 5. check_asymptotics
def asymptotics_table(points, n, reps, seed):
    from fisherstat.asymptotics import check_asymptotics

    m = LocationMixture()
    out = []
    for theta in points:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fs.SingularFisherWarning)
            rep = check_asymptotics(m, theta, n=n, reps=reps, rng=seed)
        out.append((theta, rep))
    return out


def print_asymptotics(out, n, reps):
    print(f"\n5. check_asymptotics(LocationMixture(), theta0, n={n}, reps={reps})")
    head = (f"{'theta0 (v, w)':>14} {'failed':>6} {'boundary':>8} {'var ratio v, w':>16} "
            f"{'coverage v, w':>14} {'AD p-value v, w':>18} {'flags':>5}")
    print(head)
    print("-" * len(head))
    for theta, rep in out:
        vr, cov, pv = rep.variance_ratio, rep.coverage[0], rep.normality_pvalue
        print(f"{str(tuple(theta)):>14} {rep.n_failed:>6} {rep.n_boundary:>8} {vr[0]:>7.3g} "
              f"{vr[1]:>8.3g} "
              f"{cov[0]:>6.3f} {cov[1]:>7.3f} {pv[0]:>8.2g} {pv[1]:>9.2g} {len(rep.flags):>5}")
    for theta, rep in out:
        print(f"  flags at {tuple(theta)}:" + ("" if rep.flags else " none (ok)"))
        for f in rep.flags[:4]:
            print("    - " + f)
        if len(rep.flags) > 4:
            print(f"    ... and {len(rep.flags) - 4} more")


# ---------------------------------------------------------------------- figure
def plot(net_rows, mix_rows, arma_rows, arma_phi, lrt_rows, refs, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install '.[plot]'") from exc
    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    a = ax[0, 0]
    for r in net_rows[:4]:
        mu = np.maximum(np.abs(r["report"].scaled_eigenvalues[::-1]), 1e-17)
        a.semilogy(np.arange(1, 6), mu, "o-", label=r["label"])
    a.set(title="network: spectrum of the scaled information", xlabel="index",
          ylabel="eigenvalue of C")
    a.legend(fontsize=8)
    a = ax[0, 1]
    rw = [r for r in mix_rows if r["v"] == 0.3 and r["w"] > 0]
    w = np.array([r["w"] for r in rw])
    a.loglog(w, [r["sd"][0] for r in rw], "o", label=r"sd($\hat v$) $\sqrt{n}$")
    a.loglog(w, [r["sd"][1] for r in rw], "s", label=r"sd($\hat w$) $\sqrt{n}$")
    a.loglog(w, np.sqrt(2) / w**2, "k--", lw=0.8, label=r"$\sqrt{2}/w^2$")
    a.loglog(w, np.sqrt(2) / (0.3 * w), "k:", lw=0.8, label=r"$\sqrt{2}/(vw)$")
    a.set(title="mixture, v = 0.3: Cramér-Rao sd as w -> 0", xlabel="w")
    a.legend(fontsize=8)
    a = ax[1, 0]
    s = np.array([r["s"] for r in arma_rows])
    a.loglog(s, [r["formula"] for r in arma_rows], "k--", label="formula")
    a.errorbar(s, [r["var"] for r in arma_rows], yerr=[2 * r["var_se"] for r in arma_rows],
               fmt="o", label=r"simulated $n\,$Var($\hat\phi$)")
    a.set(title=f"ARMA(1,1), phi = {arma_phi}", xlabel=r"$\phi + \theta$")
    a.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    a.legend(fontsize=8)
    a = ax[1, 1]
    t = np.linspace(0, 10, 400)
    for r in lrt_rows:
        if np.isfinite(r["W"]):
            a.plot(np.sort(r["T"]), np.linspace(0, 1, r["T"].size), label=f"LRT, W={r['W']:g}, "
                   f"n={r['n']}")
    for W, L in refs.items():
        a.plot(np.sort(L), np.linspace(0, 1, L.size), "k-", lw=1, label=f"limit law, W={W:g}")
    a.plot(t, stats.chi2(1).cdf(t), "k:", label=r"$\chi^2_1$")
    a.plot(t, stats.chi2(2).cdf(t), "k--", label=r"$\chi^2_2$")
    a.set(xlim=(0, 10), title="LRT one vs two components under the null", xlabel="statistic",
          ylabel="CDF")
    a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nfigure saved to {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true",
                    help="the larger simulations of docs/singular.rst (several minutes)")
    ap.add_argument("--plot", metavar="PATH", help="save a figure")
    ap.add_argument("--seed", type=int, default=20060501)
    args = ap.parse_args(argv)
    t0 = time.time()
    net = network_table()
    print_network(net)
    mix = mixture_table()
    print_mixture(mix)
    phi = 0.5
    if args.full:
        thetas, n_arma, reps_arma = (0.3, 0.0, -0.3, -0.4, -0.45), 400, 400
        lrt_cases, lrt_reps, limit_draws = [(1.0, 100), (1.0, 1000), (1.0, 10000),
                                            (np.inf, 100), (np.inf, 1000), (np.inf, 10000)], \
            1000, 200_000
        asy_n, asy_reps = 500, 400
    else:
        thetas, n_arma, reps_arma = (0.3, -0.3, -0.45), 200, 60
        lrt_cases, lrt_reps, limit_draws = [(1.0, 100), (1.0, 1000), (np.inf, 1000)], 300, \
            50_000
        asy_n, asy_reps = 300, 150
    arma = arma_table(phi, thetas, n_arma, reps_arma, args.seed)
    print_arma(arma, phi, n_arma, reps_arma)
    lrt = lrt_table(lrt_cases, lrt_reps, args.seed)
    refs = print_lrt(lrt, limit_draws, args.seed)
    asy = asymptotics_table([[0.5, 0.0], [0.5, 0.5], [0.5, 3.0]], asy_n, asy_reps, args.seed)
    print_asymptotics(asy, asy_n, asy_reps)
    print(f"\n({time.time() - t0:.0f} s)")
    if args.plot:
        plot(net, mix, arma, phi, lrt, refs, args.plot)


if __name__ == "__main__":
    main()
