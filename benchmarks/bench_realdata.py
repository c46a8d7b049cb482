"""Real-data workflows (issue 15): a logistic regression from a formula on 10^6 rows and an
ARMAX(2,1) with 3 regressors on 10^4 points, each against statsmodels in the same run."""

from __future__ import annotations

import time
import warnings

import numpy as np
from _table import Table, best_time

import fisherstat as fs
from fisherstat.models.armax import ARMAX

GOALS = [
    "Logistic regression from a formula (3 numeric columns and a 4-level categorical) on "
    "10^6 rows: formula + fit + standard errors at least as fast as statsmodels' "
    "``smf.logit(formula, df).fit()`` + ``.bse``, params and bse agreeing to 1e-6 relative "
    "(asserted); the split formula / fit / information is shown. A second peer row runs "
    "statsmodels on the same frame with the string column pre-converted to a pandas "
    "Categorical (fisherstat's own formula step does that conversion, timed).",
    "ARMAX(2,1) with 3 regressors on 10^4 points: fit + exact information at least as fast "
    "as ``SARIMAX(y, exog=X, order=(2, 0, 1), trend='n').fit(disp=0)`` + ``.bse``; "
    "log-likelihoods at the optima within 1e-6 relative and params within SE/100 (asserted).",
]

FORMULA = "y ~ x1 + x2 + x3 + C(g)"


def _frame(n: int):
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    g = rng.choice(np.array(["a", "b", "c", "d"]), n)
    eta = 0.3 + x @ [0.5, -0.25, 0.1] + np.select([g == "b", g == "c", g == "d"],
                                                  [0.2, -0.3, 0.4])
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "g": g})


def logistic_formula(table: Table, n: int, repeat: int) -> None:
    import pandas as pd
    import statsmodels.formula.api as smf

    df = _frame(n)
    m, d = fs.models.LogisticRegression.from_formula(FORMULA, df)
    t_formula = best_time(lambda: fs.models.LogisticRegression.from_formula(FORMULA, df),
                          repeat)
    t_fit = best_time(lambda: m.fit(d.y, x=d.x), repeat)
    res = fs.fit(m, d.y, x=d.x)
    t_total_fit = best_time(lambda: fs.fit(m, d.y, x=d.x), repeat)

    def ours():
        mm, dd = fs.models.LogisticRegression.from_formula(FORMULA, df)
        return fs.fit(mm, dd.y, x=dd.x).bse

    t_ours = best_time(ours, repeat)

    def statsmodels_run(frame):
        """Time statsmodels on ``frame``; its params and bse relative to ours (asserted)."""
        def peer():
            r = smf.logit(FORMULA, frame).fit(disp=0)
            return r.params.to_numpy(), r.bse.to_numpy()

        params, bse = peer()
        t = best_time(peer, repeat)
        dp = float(np.max(np.abs(res.params - params) / np.abs(params)))
        db = float(np.max(np.abs(res.bse - bse) / bse))
        assert dp < 1e-6 and db < 1e-6, (dp, db)
        return t, dp, db

    t_sm, dp, db = statsmodels_run(df)
    # the same peer on a copy of the frame whose string column g is already a pandas
    # Categorical (converted outside the timing): what fisherstat hands patsy itself
    df_cat = df.copy(deep=False)
    df_cat["g"] = pd.Categorical(df["g"])
    t_sm_cat, dpc, dbc = statsmodels_run(df_cat)
    t_info = max(t_total_fit - t_fit, 0.0)
    label = f"logistic regression from formula, n={n:.0e}, k={m.k}"
    table.add(label,
              f"{t_ours:.2f} s (formula {t_formula:.2f}, fit {t_fit:.2f}, "
              f"info+llf ~{t_info:.2f})",
              "statsmodels smf.logit(formula).fit() + bse",
              f"{t_sm:.2f} s (params rel. diff {dp:.1e}, bse {db:.1e})",
              f"{t_sm / t_ours:.2f}x faster")
    table.add(label, f"{t_ours:.2f} s",
              "same, g pre-converted to pandas Categorical",
              f"{t_sm_cat:.2f} s (params rel. diff {dpc:.1e}, bse {dbc:.1e})",
              f"{t_sm_cat / t_ours:.2f}x faster")


def armax(table: Table, n: int, repeat: int) -> None:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = ARMAX(2, 1, 3)
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    theta0 = np.array([1.0, 0.5, -0.3, 0.5, -0.2, 0.3, 1.0])
    y = model.sample(theta0, x=X, rng=2)

    def ours():
        th = model.fit(y, x=X)
        return th, model.fisher(th, x=X)

    th, info = ours()
    t_ours = best_time(ours, repeat)
    se = np.sqrt(np.diag(np.linalg.inv(info)))

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = SARIMAX(y, exog=X, order=(2, 0, 1), trend="n").fit(disp=0)
        return r.params, r.bse, r.llf

    p_sm, bse_sm, llf_sm = peer()
    t_sm = best_time(peer, repeat)
    llf = float(np.sum(model.loglik(th, y, x=X)))
    dl = abs(llf - llf_sm) / abs(llf_sm)
    dz = float(np.max(np.abs(th - p_sm) / se))
    assert dl < 1e-6 or llf > llf_sm, (llf, llf_sm)
    assert dz < 1e-2, dz
    db = float(np.max(np.abs(se - bse_sm) / bse_sm))
    table.add(f"ARMAX(2,1), 3 regressors, n={n:.0e}: fit + exact information",
              f"{t_ours:.2f} s", "statsmodels SARIMAX(exog).fit() + bse",
              f"{t_sm:.2f} s (llf rel. diff {dl:.1e}, max|dparams|/SE {dz:.1e}, "
              f"bse rel. diff {db:.1e})",
              f"{t_sm / t_ours:.2f}x faster")


def run(table: Table, quick: bool) -> None:
    t0 = time.perf_counter()
    logistic_formula(table, 10**5 if quick else 10**6, 1 if quick else 3)
    armax(table, 2000 if quick else 10**4, 1 if quick else 3)
    print(f"   ({time.perf_counter() - t0:.0f} s)")
