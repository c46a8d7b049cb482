r"""The result of :func:`fisherstat.check_asymptotics` and its figures.

:class:`AsymptoticReport` holds the estimates and the statistics of every sample size
(computed by :mod:`fisherstat._asymptotics.statistics`) with their text summary, table and
figures; :func:`plot_study` and :func:`plot_convergence` draw those figures (matplotlib is
imported only when a figure is drawn). Public through :mod:`fisherstat.asymptotics` and
:mod:`fisherstat.plot`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np

from .._figures import check_figure, require_matplotlib
from .._fitting import SE_METHODS
from .._validation import check_int
from .statistics import group_reasons

__all__ = ["AsymptoticReport", "COVERAGE_METHODS", "plot_study", "plot_convergence"]

#: Covariance estimators behind the Wald intervals, in the order of the coverage arrays.
COVERAGE_METHODS = SE_METHODS

_MAX_PARAMS = 6  # parameters shown in the per-parameter rows of a study figure
_COLORS = {"expected": "C0", "observed": "C1", "opg": "C2", "sandwich": "C3"}


# ============================================================================ report

class _PerSize:
    """A statistic of every sample size: the array for a single n, stacked for a list."""

    def __init__(self, key: str, doc: str):
        self.key, self.__doc__ = key, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        values = [r[self.key] for r in obj._results]
        if obj._scalar:
            return values[0]
        if isinstance(values[0], tuple):
            return tuple(values)
        out = np.stack([np.asarray(v) for v in values])
        out.flags.writeable = False
        return out


@dataclass(frozen=True, eq=False, repr=False)
class AsymptoticReport:
    r"""Result of :func:`check_asymptotics`: estimates and their comparison with the theory.

    For a single ``n`` every statistic is an array over the parameters (``(p,)``,
    ``(4, p)`` for coverages, ...); for a list of sample sizes the arrays get a leading axis
    over ``n``, and :meth:`at` picks one size. Arrays are read-only.

    Attributes
    ----------
    model : str
        ``repr`` of the model.
    param_names : tuple of str
    theta0 : ndarray, shape (p,)
        The true parameter of the simulation; in a misspecification study the pseudo-true
        parameter :math:`\theta^*` (also ``pseudo_true``), on which the estimates are
        centred.
    n : int or tuple of int
        Observations per replicate.
    reps : int
        Replicates per sample size (failed fits included).
    level : float
        Nominal level of the Wald intervals, and the family-wise confidence of the checks.
    reference : str
        Which information the theory uses (and how it was obtained).
    estimates : ndarray, shape (reps, p)
        The maximum-likelihood estimates; NaN rows for failed fits; boundary estimates
        included (NaN only in a component the boundary leaves undetermined).
    failures : tuple of (int, str)
        ``(replicate, reason)`` of every failed fit (no estimate).
    n_failed : int
    on_boundary : ndarray of bool, shape (reps,)
        True where the MLE lies on the boundary of the parameter space (see
        :class:`~fisherstat.BoundaryEstimateError`): a valid estimate, not a failure. It
        counts in the bias, covariance, variance ratio and normality statistics, but has no
        standard error, hence no Wald interval (Self & Liang 1987).
    boundary_estimates : tuple of (int, str)
        ``(replicate, reason)`` of every boundary estimate; ``n_boundary`` their number.
    bias : ndarray, shape (p,)
        Mean of ``theta_hat - theta0`` over the successful fits; ``bias_se`` its standard
        error (including that of an estimated ``theta*``).
    covariance : ndarray, shape (p, p)
        Empirical covariance of ``sqrt(n)(theta_hat - theta0)``.
    asymptotic_covariance : ndarray, shape (p, p)
        ``I(theta0)^{-1}`` per observation (for regression: ``n`` times the inverse
        information of the n-row design), the theory's value of ``covariance``; in a
        misspecification study the sandwich ``A^-1 B A^-1`` at ``theta*``.
    model_based_covariance : ndarray, shape (p, p)
        The inverse information ``I(theta0)^{-1}`` per observation (equal to
        ``asymptotic_covariance`` unless the study is misspecified);
        ``model_based_variance_ratio`` (p,) is ``diag(covariance)`` over its diagonal, with
        the simultaneous interval ``model_based_variance_ratio_ci`` (p, 2). Reported, not a
        check.
    variance_ratio : ndarray, shape (p,)
        ``diag(covariance) / diag(asymptotic_covariance)``: 1 when the Cramér-Rao bound is
        attained; ``variance_ratio_ci`` (p, 2) its simultaneous confidence interval.
    coverage : ndarray, shape (4, p)
        Fraction of Wald intervals ``theta_hat +/- z se`` containing ``theta0``, for the
        standard errors of :data:`COVERAGE_METHODS`; ``coverage_ci`` (4, p, 2) simultaneous
        Clopper-Pearson intervals; ``coverage_count`` how many replicates had a standard
        error (NaN where an estimator's matrix was not positive definite).
    normality_statistic, normality_pvalue : ndarray, shape (p,)
        Anderson-Darling test of normality of each parameter's estimates.
    mahalanobis_statistic, mahalanobis_pvalue : float
        Kolmogorov-Smirnov test of the Mahalanobis distances against chi-square(p).
    mardia_skewness, mardia_skewness_pvalue, mardia_kurtosis, mardia_kurtosis_pvalue : float
        Mardia's multivariate skewness (0 under normality) and kurtosis (``p(p+2)``).
    n_checks : int
        Number of checks behind the verdict; ``simultaneous_level`` the confidence of each
        interval (Bonferroni, so that all hold together with probability ``level``).
    flags : tuple of str
        Every check that fails, in words; empty when the theory is consistent with the
        simulation. ``ok`` is ``not flags``.
    misspecified : bool
        True when the data came from a separate process (``dgp``); then ``dgp`` describes
        it, ``pseudo_true`` and ``pseudo_true_se`` give :math:`\theta^*` and its Monte Carlo
        standard error (NaN when it was given), ``sandwich_covariance`` and
        ``sandwich_covariance_se`` the sandwich per observation, and ``misspecification``
        all the Monte Carlo estimates (``A``, ``B`` with their standard errors, ``draws``).
    """

    model: str
    param_names: tuple
    theta0: np.ndarray
    sizes: tuple
    reps: int
    level: float
    reference: str
    design_rows: int | None
    _results: tuple
    _scalar: bool = True
    _misspec: dict | None = None

    estimates = _PerSize("estimates", "Maximum-likelihood estimates (reps, p); NaN rows failed.")
    failures = _PerSize("failures", "(replicate, reason) of every failed fit.")
    n_failed = _PerSize("n_failed", "Number of failed fits.")
    bias = _PerSize("bias", "Mean of theta_hat - theta0 over the successful fits.")
    bias_se = _PerSize("bias_se", "Monte Carlo standard error of ``bias``.")
    covariance = _PerSize("covariance", "Empirical covariance of sqrt(n)(theta_hat - theta0).")
    asymptotic_covariance = _PerSize("reference_cov", "Inverse information per observation.")
    variance_ratio = _PerSize("variance_ratio", "Empirical over asymptotic variance.")
    variance_ratio_ci = _PerSize("variance_ratio_ci", "Simultaneous CI of ``variance_ratio``.")
    coverage = _PerSize("coverage", "Coverage (4, p) of the Wald intervals.")
    coverage_ci = _PerSize("coverage_ci", "Simultaneous Clopper-Pearson CI of ``coverage``.")
    coverage_count = _PerSize("coverage_count", "Replicates with a standard error (4, p).")
    normality_statistic = _PerSize("normality_statistic", "Anderson-Darling A^2 per parameter.")
    normality_pvalue = _PerSize("normality_pvalue", "Anderson-Darling p-value per parameter.")
    mahalanobis_statistic = _PerSize("mahalanobis_statistic", "KS distance to chi2(p).")
    mahalanobis_pvalue = _PerSize("mahalanobis_pvalue", "KS p-value against chi2(p).")
    mardia_skewness = _PerSize("mardia_skewness", "Mardia's b_{1,p}.")
    mardia_skewness_pvalue = _PerSize("mardia_skewness_pvalue", "p-value of Mardia's skewness.")
    mardia_kurtosis = _PerSize("mardia_kurtosis", "Mardia's b_{2,p}.")
    mardia_kurtosis_pvalue = _PerSize("mardia_kurtosis_pvalue", "p-value of Mardia's kurtosis.")
    n_checks = _PerSize("n_checks", "Number of checks behind the verdict.")
    simultaneous_level = _PerSize("simultaneous_level", "Confidence of each interval.")
    flags = _PerSize("flags", "Failed checks, in words.")
    on_boundary = _PerSize("on_boundary", "True where the MLE is on the boundary (reps,).")
    boundary_estimates = _PerSize("boundary_estimates",
                                  "(replicate, reason) of every boundary estimate.")
    n_boundary = _PerSize("n_boundary", "Number of estimates on the boundary.")
    model_based_covariance = _PerSize("model_based_cov",
                                      "Inverse information per observation (model-based).")
    model_based_variance_ratio = _PerSize("model_based_variance_ratio",
                                          "Empirical over model-based (I^-1) variance.")
    model_based_variance_ratio_ci = _PerSize("model_based_variance_ratio_ci",
                                             "Simultaneous CI of model_based_variance_ratio.")

    # ----------------------------------------------------------- misspecification
    @property
    def misspecified(self) -> bool:
        """True when the data came from a separate data-generating process (``dgp``)."""
        return self._misspec is not None

    @property
    def dgp(self) -> str | None:
        """Description of the data-generating process (None: the fitted model itself)."""
        return None if self._misspec is None else self._misspec["description"]

    @property
    def pseudo_true(self):
        """The pseudo-true parameter theta* (p,) of a misspecification study, else None."""
        return None if self._misspec is None else self.theta0

    @property
    def pseudo_true_se(self):
        """Monte Carlo standard error of ``pseudo_true`` (NaN where it was given)."""
        return None if self._misspec is None else self._misspec["theta_se"]

    @property
    def sandwich_covariance(self):
        """The sandwich A^-1 B A^-1 at theta* per observation (misspecification), else None."""
        return None if self._misspec is None else self._misspec["sandwich"]

    @property
    def sandwich_covariance_se(self):
        """Monte Carlo (jackknife) standard errors of ``sandwich_covariance``."""
        return None if self._misspec is None else self._misspec["sandwich_se"]

    @property
    def misspecification(self):
        """All Monte Carlo estimates of a misspecification study (read-only), else None."""
        return None if self._misspec is None else types.MappingProxyType(self._misspec)

    # ----------------------------------------------------------------- access
    @property
    def n(self):
        """Observations per replicate (an int, or a tuple for a convergence study)."""
        return self.sizes[0] if self._scalar else self.sizes

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def ok(self):
        """True when no check fails (a tuple of bools for a list of sample sizes)."""
        oks = tuple(not r["flags"] for r in self._results)
        return oks[0] if self._scalar else oks

    def at(self, n: int) -> AsymptoticReport:
        """The report of one sample size of a convergence study."""
        n = check_int(n, "n", low=1)
        if n not in self.sizes:
            raise ValueError(f"n must be one of the study's sample sizes {self.sizes}, got {n}")
        i = self.sizes.index(n)
        return AsymptoticReport(self.model, self.param_names, self.theta0, (n,), self.reps,
                                self.level, self.reference, self.design_rows,
                                (self._results[i],), True, self._misspec)

    # ----------------------------------------------------------------- output
    def summary(self) -> str:
        """A text report: per-parameter table, coverage table, joint tests and the verdict.

        Examples
        --------
        >>> import fisherstat as fs
        >>> from fisherstat.asymptotics import check_asymptotics
        >>> rep = check_asymptotics(fs.models.Poisson(), [4.0], n=50, reps=200, rng=0)
        >>> print(rep.summary())  # doctest: +ELLIPSIS
        Asymptotic normality check: Poisson(lam)
        ...
        verdict at n = 50: CONSISTENT ...
        """
        if not self._scalar:
            return self._summary_convergence()
        r = self._results[0]
        return "\n".join(self._header(r) + self._tables(r) + self._verdict(r))

    @property
    def _t0(self) -> str:
        """The name of the centring parameter in the text."""
        return "theta*" if self._misspec else "theta0"

    @property
    def _theory(self) -> str:
        return "A^-1 B A^-1" if self._misspec else "I^-1"

    def _theta_lines(self):
        if not self._misspec:
            th = ", ".join(f"{nm} = {v:.6g}" for nm, v in zip(self.param_names, self.theta0,
                                                              strict=True))
            return [f"theta0: {th}"]
        ms = self._misspec
        if ms["fitted"]:
            th = ", ".join(f"{nm} = {v:.6g} ({se:.2g})" for nm, v, se in
                           zip(self.param_names, self.theta0, ms["theta_se"], strict=True))
            how = f"MLE of {ms['draws']} draws from the dgp, Monte Carlo s.e."
        else:
            th = ", ".join(f"{nm} = {v:.6g}" for nm, v in zip(self.param_names, self.theta0,
                                                              strict=True))
            how = "given"
        return [f"MISSPECIFIED: the data come from {ms['description']}, not from the model",
                f"pseudo-true theta* = argmax E_dgp[log f(Y; theta)] ({how}): {th}"]

    def _counts(self, r) -> str:
        out = f"{r['n_failed']} failed fits"
        if r["n_boundary"]:
            out += (f", {r['n_boundary']} estimates on the boundary of the parameter space "
                    "(valid MLEs)")
        return out

    def _theory_line(self) -> str:
        if not self._misspec:
            return f"theory: sqrt(n)(theta_hat - theta0) ~ N(0, I^-1), I = {self.reference}"
        return (f"theory: sqrt(n)(theta_hat - theta*) ~ N(0, A^-1 B A^-1), the sandwich at "
                f"theta* (White 1982; A, B from {self._misspec['draws']} draws); model-based "
                f"I = {self.reference}")

    def _header(self, r):
        design = (f" (the {self.design_rows} covariate rows cycled to n rows, a fixed design)"
                  if self.design_rows else "")
        return [f"Asymptotic normality check: {self.model}"] + self._theta_lines() + [
            f"n = {r['n']} observations per replicate{design}; {self.reps} replicates; "
            + self._counts(r),
            self._theory_line(),
            f"intervals [lo, hi]: simultaneous {self.level:.0%} over {r['n_checks']} checks "
            f"(Bonferroni: each at {100 * r['simultaneous_level']:.2f}%)",
        ]

    def _misspec_table(self, r, w):
        """Variances against the sandwich and the model-based inverse information."""
        V_se = self._misspec["sandwich_se"]
        lines = ["", "misspecified: variance of sqrt(n)(theta_hat - theta*), simulated vs "
                 "sandwich (Monte Carlo s.e.) vs model-based I^-1 [CI]:",
                 f"{'parameter':<{w}}{'simulated':>11}{'sandwich':>11}{'(s.e.)':>9}  "
                 f"{'ratio [CI]':<24}{'I^-1':>10}  {'ratio [CI]':<24}"]
        for j, nm in enumerate(self.param_names):
            cells = []
            for key in ("variance_ratio", "model_based_variance_ratio"):
                lo, hi = r[f"{key}_ci"][j]
                cells.append(f"{r[key][j]:.3f} [{lo:.3f}, {hi:.3f}]")
            lines.append(f"{nm:<{w}}{r['covariance'][j, j]:>11.4g}"
                         f"{r['reference_cov'][j, j]:>11.4g}{V_se[j, j]:>9.2g}  "
                         f"{cells[0]:<24}{r['model_based_cov'][j, j]:>10.4g}  {cells[1]:<24}")
        lines.append("(the checks test the sandwich; the model-based ratio shows the error of "
                     "the usual standard errors under this misspecification)")
        return lines

    def _tables(self, r):
        names = self.param_names
        w = max(9, *(len(s) for s in names)) + 1
        sd = np.sqrt(np.diag(r["covariance"]))
        sd_ref = np.sqrt(np.diag(r["reference_cov"]))
        sd_name = "sd sandw." if self._misspec else "sd CRLB"
        lines = ["", f"{'parameter':<{w}}{self._t0:>10}{'bias':>11}{'(s.e.)':>10}"
                 f"{'sd':>10}{sd_name:>10}  {'var ratio [CI]':<24}{'AD p':>8}"]
        for j, nm in enumerate(names):
            lo, hi = r["variance_ratio_ci"][j]
            ratio = f"{r['variance_ratio'][j]:.3f} [{lo:.3f}, {hi:.3f}]"
            lines.append(f"{nm:<{w}}{self.theta0[j]:>10.4g}{r['bias'][j]:>11.3g}"
                         f"{r['bias_se'][j]:>10.2g}{sd[j]:>10.4g}{sd_ref[j]:>10.4g}  "
                         f"{ratio:<24}{r['normality_pvalue'][j]:>8.3g}")
        if self._misspec:
            lines += self._misspec_table(r, w)
        if 1 < len(names) <= 6:
            lines += ["", f"covariance of sqrt(n)(theta_hat - {self._t0}): simulated | theory "
                      f"{self._theory}"]
            cwid = 10
            head = "".join(f"{nm[:cwid - 1]:>{cwid}}" for nm in names)
            lines.append(f"{'':<{w}}{head}   |{head}")
            for i, nm in enumerate(names):
                sim = "".join(f"{v:>{cwid}.4g}" for v in r["covariance"][i])
                ref = "".join(f"{v:>{cwid}.4g}" for v in r["reference_cov"][i])
                lines.append(f"{nm:<{w}}{sim}   |{ref}")
        lines += ["", f"coverage of {self.level:.0%} Wald intervals"
                  + (" of theta*" if self._misspec else "")
                  + ", by the information behind the standard error [CI]:"]
        cw = 23
        lines.append(f"{'parameter':<{w}}" + "".join(f"{m:>{cw}}" for m in SE_METHODS))
        for j, nm in enumerate(names):
            cells = []
            for k in range(4):
                c = r["coverage"][k, j]
                lo, hi = r["coverage_ci"][k, j]
                cells.append("n/a" if not np.isfinite(c) else f"{c:.3f} [{lo:.3f}, {hi:.3f}]")
            lines.append(f"{nm:<{w}}" + "".join(f"{c:>{cw}}" for c in cells))
        missing = [f"{m}: {r['m'] - int(r['coverage_count'][k].min())}"
                   for k, m in enumerate(SE_METHODS)
                   if r["m"] and r["coverage_count"][k].min() < r["m"]]
        if missing:
            lines.append("replicates without a standard error (matrix not positive definite, "
                         "no closed form, or an estimate on the boundary): "
                         + ", ".join(missing))
        p = self.n_params
        lines += ["", f"joint normality (p = {p}): Mahalanobis d^2 vs chi2({p}): KS D = "
                  f"{r['mahalanobis_statistic']:.3g}, p = {r['mahalanobis_pvalue']:.3g}; "
                  f"Mardia skewness b1 = {r['mardia_skewness']:.3g} (p = "
                  f"{r['mardia_skewness_pvalue']:.3g}); kurtosis b2 = "
                  f"{r['mardia_kurtosis']:.4g} (theory {p * (p + 2)}, p = "
                  f"{r['mardia_kurtosis_pvalue']:.3g})"]
        if r["failures"]:
            lines += ["", "failed fits by reason:"]
            for msg, cnt in group_reasons(r["failures"])[:5]:
                lines.append(f"  {cnt:>6} x {msg}")
        if r["boundary_estimates"]:
            lines += ["", "estimates on the boundary (valid MLEs, in the statistics, without "
                      "Wald intervals) by reason:"]
            for msg, cnt in group_reasons(r["boundary_estimates"])[:5]:
                lines.append(f"  {cnt:>6} x {msg}")
        return lines

    def _verdict(self, r):
        if not r["flags"]:
            weak = (f"; with only {r['m']} replicates the checks have little power"
                    if r["m"] < 100 else "")
            return ["", f"verdict at n = {r['n']}: CONSISTENT with sqrt(n)(theta_hat - "
                    f"{self._t0}) ~ N(0, {self._theory}) (none of {r['n_checks']} checks "
                    f"fails{weak})"]
        return ["", f"verdict at n = {r['n']}: the asymptotic approximation FAILS "
                f"({len(r['flags'])} flag{'s' if len(r['flags']) > 1 else ''}):"] + [
                    f"  - {f}" for f in r["flags"]]

    def _summary_convergence(self):
        lines = [f"Asymptotic normality check: {self.model}"] + self._theta_lines() + [
            f"sample sizes n = {', '.join(map(str, self.sizes))}; {self.reps} replicates each"
            + (f" (the {self.design_rows} covariate rows cycled to n rows)"
               if self.design_rows else ""),
            self._theory_line(),
            "", "convergence (var ratio = empirical / "
            + ("sandwich variance; vs I^-1: empirical / model-based" if self._misspec
               else "inverse-information")
            + f" variance; coverage of {self.level:.0%} Wald intervals):",
        ]
        w = max(9, *(len(s) for s in self.param_names)) + 1
        bnd = any(r["n_boundary"] for r in self._results)
        mis = self._misspec is not None
        lines.append(f"{'n':>7} {'parameter':<{w}}{'var ratio [CI]':<25}"
                     + (f"{'vs I^-1':>9}" if mis else "")
                     + "".join(f"{m:>10}" for m in SE_METHODS) + f"{'AD p':>9}{'failed':>8}"
                     + (f"{'boundary':>10}" if bnd else ""))
        for r in self._results:
            for j, nm in enumerate(self.param_names):
                lo, hi = r["variance_ratio_ci"][j]
                ratio = f"{r['variance_ratio'][j]:.3f} [{lo:.3f}, {hi:.3f}]"
                model = f"{r['model_based_variance_ratio'][j]:>9.3f}" if mis else ""
                cov = "".join(f"{c:>10.3f}" for c in r["coverage"][:, j])
                lines.append(f"{r['n']:>7} {nm:<{w}}{ratio:<25}{model}{cov}"
                             f"{r['normality_pvalue'][j]:>9.3g}"
                             f"{r['n_failed'] if j == 0 else '':>8}"
                             + (f"{r['n_boundary'] if j == 0 else '':>10}" if bnd else ""))
        lines.append("")
        for r in self._results:
            if r["flags"]:
                lines.append(f"verdict at n = {r['n']}: FAILS ({len(r['flags'])} "
                             f"flag{'s' if len(r['flags']) > 1 else ''}):")
                lines += [f"  - {f}" for f in r["flags"]]
            else:
                lines.append(f"verdict at n = {r['n']}: CONSISTENT (none of {r['n_checks']} "
                             "checks fails)")
        lines.append("(report.at(n).summary() gives the full report of one sample size)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"AsymptoticReport(model={self.model}, n={self.n}, reps={self.reps}, "
                f"ok={self.ok})")

    def to_frame(self):
        """The per-parameter statistics as a ``pandas.DataFrame`` indexed by (n, parameter).

        Examples
        --------
        >>> import fisherstat as fs
        >>> from fisherstat.asymptotics import check_asymptotics
        >>> rep = check_asymptotics(fs.models.Normal(), [0.0, 1.0], n=[20, 80], reps=100,
        ...                         rng=1)
        >>> df = rep.to_frame()
        >>> df.shape[0], "variance_ratio" in df.columns
        (4, True)
        """
        import pandas as pd

        rows, index = [], []
        for r in self._results:
            sd_ref = np.sqrt(np.diag(r["reference_cov"]))
            for j, nm in enumerate(self.param_names):
                row = {
                    "theta0": self.theta0[j], "bias": r["bias"][j], "bias_se": r["bias_se"][j],
                    "sd": float(np.sqrt(r["covariance"][j, j])), "sd_crlb": sd_ref[j],
                    "variance_ratio": r["variance_ratio"][j],
                    "variance_ratio_lo": r["variance_ratio_ci"][j, 0],
                    "variance_ratio_hi": r["variance_ratio_ci"][j, 1],
                    "model_based_variance_ratio": r["model_based_variance_ratio"][j],
                }
                for k, m in enumerate(SE_METHODS):
                    row[f"coverage_{m}"] = r["coverage"][k, j]
                    row[f"coverage_{m}_lo"] = r["coverage_ci"][k, j, 0]
                    row[f"coverage_{m}_hi"] = r["coverage_ci"][k, j, 1]
                row.update(normality_pvalue=r["normality_pvalue"][j],
                           n_failed=r["n_failed"], n_boundary=r["n_boundary"],
                           ok=not r["flags"])
                rows.append(row)
                index.append((r["n"], nm))
        return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index,
                                                                  names=["n", "parameter"]))

    def plot(self, n: int | None = None, *, fig=None):
        """Figure of the study (needs matplotlib, the ``[plot]`` extra).

        One sample size: histograms of ``sqrt(n)(theta_hat - theta0)`` with the
        ``N(0, I^-1)`` density (the sandwich ``N(0, A^-1 B A^-1)`` around ``theta*`` in a
        misspecification study), normal QQ plots of the estimates standardised by the
        theory's standard deviation (points on the diagonal when the theory holds), the
        coverage of the Wald intervals with their confidence intervals, and a chi-square QQ
        plot of the Mahalanobis distances. A list of sample sizes: how the variance ratio
        and the coverage converge with ``n``, one coverage panel per parameter with the
        exact Clopper-Pearson intervals (:func:`plot_convergence`; ``n=`` picks one size
        instead).

        Returns
        -------
        matplotlib.figure.Figure
        """
        if n is not None:
            return plot_study(self.at(n), fig=fig)
        if self._scalar:
            return plot_study(self, fig=fig)
        return plot_convergence(self, fig=fig)


# =========================================================================== figures
def _check_report(report, *, single: bool):
    """``report`` must be an AsymptoticReport (of one sample size when ``single``)."""
    if not isinstance(report, AsymptoticReport):
        raise TypeError("report must be an AsymptoticReport (from check_asymptotics), got "
                        f"{type(report).__name__}")
    if single and len(report.sizes) != 1:
        raise ValueError(f"report must be of one sample size, got the sizes {report.sizes}: "
                         "use report.at(n) or plot_convergence")


def plot_study(report, fig=None):
    """Histograms, QQ plots, Wald coverage and a chi-square QQ plot of one sample size.

    Parameters
    ----------
    report : AsymptoticReport
        A report of a single sample size (``report.at(n)`` of a convergence study).
    fig : matplotlib.figure.Figure, optional
        Drawn into (cleared first); a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Poisson(), [3.0], n=40, reps=200, rng=0)
    >>> fig = rep.plot()
    >>> len(fig.axes)
    4
    """
    from scipy import stats

    _check_report(report, single=True)
    plt = require_matplotlib()
    check_figure(fig)

    r = report._results[0]
    names = report.param_names
    shown = list(range(min(len(names), _MAX_PARAMS)))
    cols = max(len(shown), 2)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * cols + 0.6, 7.2), layout="constrained")
    else:
        fig.clear()
    gs = fig.add_gridspec(3, cols)
    est = r["estimates"]
    ok = np.all(np.isfinite(est), axis=1)
    Z = np.sqrt(r["n"]) * (est[ok] - report.theta0)
    sd_ref = np.sqrt(np.diag(r["reference_cov"]))
    for c, j in enumerate(shown):
        ax = fig.add_subplot(gs[0, c])
        z = Z[:, j]
        ax.hist(z, bins=min(50, max(10, int(np.sqrt(z.size)))), density=True, color="0.75",
                edgecolor="0.55", linewidth=0.4)
        lim = max(4 * sd_ref[j], np.max(np.abs(z), initial=0.0))
        g = np.linspace(-lim, lim, 200)
        ax.plot(g, stats.norm.pdf(g, scale=sd_ref[j]), "C0", lw=1.5)
        ax.set_title(f"{names[j]}: ratio {r['variance_ratio'][j]:.2f}", fontsize=9)
        ax.set_xlabel(r"$\sqrt{n}(\hat\theta-\theta^*)$" if report.misspecified
                      else r"$\sqrt{n}(\hat\theta-\theta_0)$", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
        ax = fig.add_subplot(gs[1, c])
        s = np.sort(z / sd_ref[j])
        q = stats.norm.ppf((np.arange(1, s.size + 1) - 0.5) / max(s.size, 1))
        ax.plot(q, s, ".", ms=2, color="0.3")
        e = max(np.max(np.abs(q), initial=1.0), 1.0)
        ax.plot([-e, e], [-e, e], "C0", lw=1)
        ax.set_xlabel("N(0, 1) quantile", fontsize=8)
        if c == 0:
            ax.set_ylabel("standardised by " + ("sandwich" if report.misspecified
                                                else "CRLB"), fontsize=8)
        ax.set_title(f"AD p = {r['normality_pvalue'][j]:.2g}", fontsize=9)
        ax.tick_params(labelsize=7)
    ax = fig.add_subplot(gs[2, : cols - 1])
    x = np.arange(len(names))
    width = 0.8 / len(COVERAGE_METHODS)
    for k, m in enumerate(COVERAGE_METHODS):
        cov, ci = r["coverage"][k], r["coverage_ci"][k]
        pos = x - 0.4 + width * (k + 0.5)
        good = np.isfinite(cov)
        ax.errorbar(pos[good], cov[good],
                    yerr=[cov[good] - ci[good, 0], ci[good, 1] - cov[good]],
                    fmt="o", ms=3, color=_COLORS[m], label=m, capsize=2, lw=1)
    ax.axhline(report.level, color="k", lw=0.8, ls="--")
    ax.set_xticks(x, names, fontsize=8, rotation=30 if len(names) > 6 else 0)
    ax.set_ylabel(f"coverage of {report.level:.0%} Wald", fontsize=8)
    ax.legend(fontsize=6, ncol=2, loc="best")
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(gs[2, cols - 1])
    p = len(names)
    Vinv = np.linalg.pinv(r["reference_cov"])
    d2 = np.sort(np.einsum("ia,ab,ib->i", Z, Vinv, Z))
    q = stats.chi2.ppf((np.arange(1, d2.size + 1) - 0.5) / max(d2.size, 1), p)
    ax.plot(q, d2, ".", ms=2, color="0.3")
    top = max(np.max(q, initial=1.0), 1.0)
    ax.plot([0, top], [0, top], "C0", lw=1)
    ax.set_xlabel(rf"$\chi^2_{{{p}}}$ quantile", fontsize=8)
    ax.set_ylabel("Mahalanobis $d^2$", fontsize=8)
    ax.set_title(f"KS p = {r['mahalanobis_pvalue']:.2g}", fontsize=9)
    ax.tick_params(labelsize=7)
    verdict = "consistent" if not r["flags"] else f"{len(r['flags'])} flag(s)"
    fig.suptitle(f"{report.model}{', misspecified' if report.misspecified else ''}, "
                 f"n = {r['n']}, {report.reps} replicates: {verdict}",
                 fontsize=10)
    return fig


def plot_convergence(report, fig=None):
    """Variance ratio and Wald coverage against ``n`` for a convergence study.

    Left: the variance ratio of every parameter with its simultaneous confidence
    interval (1 is the Cramér-Rao bound). Right: one panel per parameter (titled with its
    name) with the coverage of the Wald intervals of each information estimator against
    ``n``, its exact Clopper-Pearson interval (Clopper & Pearson 1934, *Biometrika* 26,
    404-413; the ``coverage_ci`` of the report: simultaneous over the checks of each ``n``,
    Bonferroni) and the nominal level (dashed). A method without standard errors for a
    parameter (``coverage`` NaN) has no points in its panel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fisherstat as fs
    >>> from fisherstat.asymptotics import check_asymptotics
    >>> rep = check_asymptotics(fs.models.Poisson(), [3.0], n=[10, 40], reps=100, rng=0)
    >>> [ax.get_title() for ax in rep.plot().axes]       # variance ratio, coverage of lam
    ['', 'lam']
    """
    _check_report(report, single=False)
    plt = require_matplotlib()
    check_figure(fig)

    names = report.param_names
    p = len(names)
    rows = -(-p // 3)                       # coverage panels: at most 3 per row
    cols = -(-p // rows)
    if fig is None:
        fig = plt.figure(figsize=(4.5 + 2.8 * cols, max(3.6, 2.6 * rows)),
                         layout="constrained")
    else:
        fig.clear()
    gs = fig.add_gridspec(rows, 1 + cols, width_ratios=[1.5] + [1.0] * cols)
    ax1 = fig.add_subplot(gs[:, 0])
    ns = np.array(report.sizes, dtype=float)
    order = np.argsort(ns)
    ns = ns[order]
    res = [report._results[i] for i in order]
    shift = np.exp(np.linspace(-0.03, 0.03, p)) if p > 1 else np.ones(1)
    for j, nm in enumerate(names):
        ratio = np.array([r["variance_ratio"][j] for r in res])
        ci = np.array([r["variance_ratio_ci"][j] for r in res])
        ax1.errorbar(ns * shift[j], ratio, yerr=[ratio - ci[:, 0], ci[:, 1] - ratio], fmt="o-",
                     ms=3, capsize=2, lw=1, label=nm)
    ax1.axhline(1.0, color="k", lw=0.8, ls="--")
    _sizes_axis(ax1, ns)
    ax1.set_xlabel("n")
    ax1.set_ylabel("variance / Cramér-Rao bound")
    ax1.legend(fontsize=7)
    cov = np.array([r["coverage"] for r in res])        # (sizes, 4, p)
    ci = np.array([r["coverage_ci"] for r in res])      # (sizes, 4, p, 2)
    k_m = len(COVERAGE_METHODS)
    mshift = np.exp(np.linspace(-0.06, 0.06, k_m))     # methods side by side at each n
    first = None
    for j, nm in enumerate(names):
        ax = fig.add_subplot(gs[j // cols, 1 + j % cols], sharey=first)
        first = first or ax
        for k, m in enumerate(COVERAGE_METHODS):
            c, lo, hi = cov[:, k, j], ci[:, k, j, 0], ci[:, k, j, 1]
            good = np.isfinite(c)
            if not good.any():
                continue
            ax.errorbar(ns[good] * mshift[k], c[good], yerr=[c[good] - lo[good],
                                                               hi[good] - c[good]],
                        fmt="o-", ms=3, capsize=2, lw=1, color=_COLORS[m], label=m)
        ax.axhline(report.level, color="k", lw=0.8, ls="--", label=f"nominal {report.level:g}")
        _sizes_axis(ax, ns)
        ax.set_title(nm, fontsize=9)
        ax.tick_params(labelsize=7)
        if j // cols == rows - 1:
            ax.set_xlabel("n", fontsize=8)
        if j % cols == 0:
            ax.set_ylabel(f"coverage of {report.level:.0%} Wald intervals", fontsize=8)
        if j == 0:
            ax.legend(fontsize=6, loc="best")
    fig.suptitle(f"{report.model}: convergence with n ({report.reps} replicates each); "
                 f"coverage bars: exact Clopper-Pearson, simultaneous {report.level:.0%}",
                 fontsize=10)
    return fig


def _sizes_axis(ax, ns):
    """A log axis of sample sizes, ticked at the sizes (no overlapping minor labels)."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_xticks(ns, [f"{v:g}" for v in ns])
    ax.xaxis.set_minor_formatter(NullFormatter())
