r"""FO, FOCE and the exact population information compared across candidate designs.

:func:`compare_designs` evaluates ``ln det`` of the population FIM of each candidate
design under the first-order approximations (FO reduced/full, FOCE reduced/full,
:meth:`PopulationModel.fim`) and the exact MC-AGQ information
(:func:`~fisherstat.pkpd.exact_fim`), reports the design each approximation picks (the
largest ``ln det``) and whether the exact information, a Monte Carlo estimate, can tell
the best designs apart.

**Common random numbers.** ``exact_fim`` with the same seed simulates the same random
effects and residuals for two designs only when their groups have the same numbers of
samples in the same order (the residuals are drawn row by row after the random effects,
so a different number of samples shifts every later draw). ``compare_designs`` therefore
simulates from streams that depend on the subject and sample slot only
(``fisherstat.pkpd.exact.common_exact_fim``): subject ``i`` of group ``g`` has the same
:math:`\eta_i` in every design and the same standardised residual (or uniform, for
discrete responses) in every sample slot both designs have, and distinct subjects never
share a draw. The exact ``ln det`` of design :math:`d` is, to first order (delta method,
:math:`d\ln\det M = \operatorname{tr}(M^{-1}dM)`), the mean over the simulated subjects of
:math:`L_{d,i} = \sum_g N_g s_{g,i}^{\mathsf T} M_d^{-1} s_{g,i}` (:math:`s_{g,i}` the
score of subject :math:`i` in group :math:`g`), and the pairs :math:`(L_{a,i}, L_{b,i})`
are independent across :math:`i`, so the standard error of the difference of two designs
is :math:`\operatorname{sd}_i(L_{a,i} - L_{b,i})/\sqrt N`. Since

.. math::

    \operatorname{var}(\hat\ell_a - \hat\ell_b) = \operatorname{var}\hat\ell_a
    + \operatorname{var}\hat\ell_b - 2\operatorname{cov}(\hat\ell_a, \hat\ell_b),

it is smaller than the standard error of either value as soon as the correlation the
common draws induce exceeds :math:`\tfrac12` (equal variances): common random numbers
(Law & Kelton 2000, *Simulation Modeling and Analysis*, 3rd ed., ch. 11). Measured
(docs/pkpd_exact.rst): 0.7 to 1.0 for designs that differ in one sampling time, whose
differences are then several times more precise than the values; little gain for very
different designs. FOCE's draws of :math:`\eta` are common to all designs as well (one
seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._figures import axes_or_new
from .._validation import check_int, check_random_state, check_scalar, readonly
from .exact import check_nodes, common_exact_fim
from .population import PopulationFIM, PopulationModel, as_groups

__all__ = ["COMPARE_APPROXIMATIONS", "DesignComparison", "compare_designs"]

#: The information approximations :func:`compare_designs` evaluates.
COMPARE_APPROXIMATIONS = ("FO reduced", "FO full", "FOCE reduced", "FOCE full", "exact")

#: ``spawn_key`` of the FOCE draws (the exact subjects use ``(0, g, slot)``).
FOCE_KEY = (1,)


@dataclass(frozen=True, eq=False)
class DesignComparison:
    r"""``ln det`` of candidate designs under FO, FOCE and the exact information.

    Attributes
    ----------
    labels : tuple of str
        The designs' names.
    approximations : tuple of str
        The approximations evaluated (``'exact'`` last).
    ofv : ndarray, shape (n_approximations, n_designs)
        ``ln det`` of the study FIM (PopED's ``ofv``).
    exact_stderr : ndarray, shape (n_designs,)
        Monte Carlo standard error of the exact ``ln det`` (``PopulationFIM.ofv_stderr``).
    difference_stderr : ndarray, shape (n_designs, n_designs)
        Standard error of the difference of the exact ``ln det`` of two designs, from the
        paired subjects (common random numbers; module documentation).
    fims : dict
        ``{approximation: tuple of PopulationFIM}``, one per design.
    n_params : int
        Number of estimated parameters :math:`k` (for the D-efficiency
        :math:`\exp(\Delta\ln\det / k)`).
    z : float
        Two exact designs are *distinguishable* when their difference exceeds ``z``
        standard errors.
    entropy : int
        The seed of all the draws: exact subjects from
        ``SeedSequence(entropy, spawn_key=(0, g, slot))``, FOCE from
        ``SeedSequence(entropy, spawn_key=(1,))``.
    n_samples, n_nodes : int
        Simulated subjects per group and Gauss-Hermite nodes of the exact FIM.

    Examples
    --------
    A model linear in :math:`\eta`, where the exact information is FO's:

    >>> import numpy as np
    >>> from fisherstat.pkpd import Additive, Group, PopulationModel, UserModel
    >>> from fisherstat.pkpd import compare_designs
    >>> lin = UserModel(lambda t, th, d: th[0] + th[1] * t, ["a", "b"],
    ...                 lambda t, th, d: np.stack([np.ones_like(t), t], 1),
    ...                 bounds=[(-np.inf, np.inf)] * 2)
    >>> model = PopulationModel(lin, [1.0, 0.5], [0.2, 0.3], Additive(0.1),
    ...                         eta_model="additive")
    >>> res = compare_designs(model, {"narrow": Group([0, 1, 2], 10),
    ...                               "wide": Group([0, 1, 4], 10)},
    ...                       approximations=["FO full", "exact"], n_samples=500,
    ...                       n_nodes=2, rng=0)
    >>> res.picks
    {'FO full': 'wide', 'exact': 'wide'}
    >>> res.labels[res.best], res.n_params
    ('wide', 5)
    >>> d, se = res.exact_difference("wide", "narrow")
    >>> bool(abs(d - (res.ofv[0, 1] - res.ofv[0, 0])) < 4 * se)  # = FO within 4 s.e.
    True
    >>> res.exact_efficiency()["FO full"]
    (1.0, 0.0)
    """

    labels: tuple
    approximations: tuple
    ofv: np.ndarray = field(repr=False)
    exact_stderr: np.ndarray = field(repr=False)
    difference_stderr: np.ndarray = field(repr=False)
    fims: dict = field(repr=False)
    n_params: int
    z: float
    entropy: int = field(repr=False)
    n_samples: int = 0
    n_nodes: int = 0

    def _row(self, approximation):
        return self.ofv[self.approximations.index(approximation)]

    @property
    def picks(self) -> dict:
        """``{approximation: label}`` of the design with the largest ``ln det``."""
        return {a: self.labels[int(np.argmax(row))]
                for a, row in zip(self.approximations, self.ofv, strict=True)}

    @property
    def best(self) -> int:
        """Index of the design the exact information picks."""
        return int(np.argmax(self._row("exact")))

    def exact_difference(self, a, b) -> tuple:
        """Exact ``ln det`` of design ``a`` minus that of ``b``, and its paired standard
        error (class Examples).

        Parameters
        ----------
        a, b : str or int
            Labels or indices of two designs.

        Returns
        -------
        tuple of float
            ``(difference, standard error)``.
        """
        i, j = self._index(a, "a"), self._index(b, "b")
        ex = self._row("exact")
        return float(ex[i] - ex[j]), float(self.difference_stderr[i, j])

    def exact_efficiency(self) -> dict:
        r"""``{approximation: (eff, se)}``: the exact D-efficiency of the design each
        approximation picks relative to the exact pick,
        :math:`\exp((\ell_{\text{pick}} - \ell_{\text{best}})/k)`, with its delta-method
        standard error ``eff * se(difference) / k`` (class Examples).

        Returns
        -------
        dict
            ``{approximation: (efficiency, standard error)}``.
        """
        out = {}
        for a, lab in self.picks.items():
            d, se = self.exact_difference(lab, self.best)
            eff = float(np.exp(d / self.n_params))
            out[a] = (eff, eff * se / self.n_params)
        return out

    @property
    def distinguishable(self) -> bool:
        """Whether the exact pick beats the runner-up by more than ``z`` paired standard
        errors (``True`` for a single design)."""
        ex = self._row("exact")
        if ex.size < 2:
            return True
        second = int(np.argsort(ex)[-2])
        d, se = self.exact_difference(self.best, second)
        return bool(d > self.z * se)

    def _index(self, key, name):
        if isinstance(key, str) and key in self.labels:
            return self.labels.index(key)
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) \
                and -len(self.labels) <= key < len(self.labels):
            return int(key) % len(self.labels)
        raise ValueError(f"{name} must be one of the labels {list(self.labels)} or an index "
                         f"in [0, {len(self.labels)}), got {key!r}")

    def summary(self) -> str:
        """The ``ln det`` table (``*``: each approximation's pick), the exact values with
        their standard errors and their paired differences to the exact pick, and the
        picks with their exact D-efficiency.

        Examples
        --------
        >>> from fisherstat.pkpd import (Combined, Group, OneCompartment, PopulationModel,
        ...                              compare_designs)
        >>> model = PopulationModel(OneCompartment("bolus"), {"CL": 1.0, "V": 10.0},
        ...                         omega=[1.0, 0.05], error=Combined(0.01, 0.04))
        >>> cands = {"spread": Group([0.5, 6, 24], 50, dose=100),
        ...          "late": Group([1, 24, 48], 50, dose=100)}
        >>> res = compare_designs(model, cands, approximations=["FO reduced", "exact"],
        ...                       n_samples=30, n_nodes=2, rng=0)
        >>> print(res.summary())  # doctest: +ELLIPSIS
        ln det of the population FIM (exact: MC-AGQ, 30 subjects per group, 2 nodes; common...
        design  FO reduced   exact            exact - best
        spread  30.37        ...
        late    35.35 *      ...
        picks (exact D-efficiency of the pick):
          FO reduced -> late (...)
          exact -> ...
        exact: ... ahead of ... by ... (paired): ...distinguishable at z = 2 standard errors
        """
        w = max(6, *(len(lab) for lab in self.labels)) + 2
        cols = [max(10, len(a)) + 3 for a in self.approximations[:-1]]
        head = (f"ln det of the population FIM (exact: MC-AGQ, {self.n_samples} subjects per "
                f"group, {self.n_nodes} nodes; common random numbers)")
        lines = [head, f"{'design':<{w}}" + "".join(f"{a:<{c}}" for a, c in
                                                    zip(self.approximations, cols, strict=False))
                 + f"{'exact':<17}exact - best"]
        picks = {a: int(np.argmax(r)) for a, r in zip(self.approximations, self.ofv,
                                                       strict=True)}
        ex, b = self._row("exact"), self.best
        for i, lab in enumerate(self.labels):
            row = f"{lab:<{w}}"
            for k, (a, c) in enumerate(zip(self.approximations[:-1], cols, strict=True)):
                star = " *" if picks[a] == i else ""
                row += f"{f'{self.ofv[k, i]:.2f}{star}':<{c}}"
            star = " *" if i == b else ""
            row += f"{f'{ex[i]:.2f} +- {self.exact_stderr[i]:.2f}{star}':<17}"
            row += ("0 (best)" if i == b
                    else f"{ex[i] - ex[b]:.2f} +- {self.difference_stderr[i, b]:.2f}")
            lines.append(row)
        lines.append("picks (exact D-efficiency of the pick):")
        for a, (eff, se) in self.exact_efficiency().items():
            lab = self.picks[a]
            lines.append(f"  {a} -> {lab} (" + ("1)" if lab == self.labels[b]
                                                  else f"{eff:.3f} +- {se:.3f})"))
        if ex.size > 1:
            s = int(np.argsort(ex)[-2])
            d, se = self.exact_difference(b, s)
            verdict = "distinguishable" if self.distinguishable else "not distinguishable"
            lines.append(f"exact: {self.labels[b]} ahead of {self.labels[s]} by {d:.2f} +- "
                         f"{se:.2f} (paired): {verdict} at z = {self.z:g} standard errors")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, *, x=None, relative: bool = False):
        """``ln det`` of each approximation across the designs, the exact one with error
        bars of one Monte Carlo standard error; each approximation's pick is a star.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        x : array_like, shape (n_designs,), optional
            Positions of the designs (e.g. the sampling time that moves); default
            ``0, 1, ...`` labelled with the designs' names.
        relative : bool
            Plot each value minus the same approximation's value at the exact pick, the
            exact error bars then being the paired standard errors of the differences
            (which design each approximation ranks first, and how sure the exact one is).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from fisherstat.pkpd import Group, compare_designs, warfarin_example
        >>> model, design = warfarin_example()
        >>> res = compare_designs(model, [design, Group(design.times[1:], 32, dose=70)],
        ...                       approximations=["FO reduced", "exact"], n_samples=20,
        ...                       n_nodes=2, rng=0)
        >>> ax = res.plot(relative=True)
        >>> len(ax.get_lines()) > 0
        True
        """
        from .._validation import as_float_array, check_bool

        relative = check_bool(relative, "relative")
        n = len(self.labels)
        pos = (np.arange(n, dtype=float) if x is None
               else as_float_array(x, "x", ndim=1))
        if pos.size != n:
            raise ValueError(f"x must have one position per design ({n}), got {pos.size}")
        ax = axes_or_new(ax, figsize=(7, 4))
        b = self.best
        for k, a in enumerate(self.approximations):
            y = self.ofv[k] - (self.ofv[k, b] if relative else 0.0)
            pick = int(np.argmax(y))
            if a == "exact":
                err = self.difference_stderr[:, b] if relative else self.exact_stderr
                cont = ax.errorbar(pos, y, yerr=err, fmt="o-", color="k", capsize=3,
                                   label="exact (MC-AGQ) +- 1 s.e.")
                color = cont[0].get_color()
            else:
                line, = ax.plot(pos, y, "o--" if "FOCE" in a else "s:", label=a)
                color = line.get_color()
            ax.plot(pos[pick], y[pick], "*", ms=15, color=color, mec="k", zorder=5)
        if x is None:
            ax.set_xticks(pos)
            ax.set_xticklabels(self.labels, rotation=20, fontsize=8)
        ax.set_ylabel("ln det FIM" + (" - value at the exact pick" if relative else ""))
        ax.legend(fontsize=8)
        return ax


def _labels(designs):
    """``(labels, designs)`` from a mapping or a sequence of designs."""
    if isinstance(designs, Mapping):
        labels = tuple(designs)
        if not all(isinstance(k, str) and k for k in labels):
            raise TypeError(f"designs: the keys of a mapping must be non-empty str, got "
                            f"{list(labels)!r}")
        items = tuple(designs.values())
    elif isinstance(designs, Sequence) and not isinstance(designs, str):
        items = tuple(designs)
        labels = None
    else:
        raise TypeError("designs must be a sequence of designs (each a Group or a sequence "
                        f"of Groups) or a mapping label -> design, got {type(designs).__name__}")
    if len(items) < 1:
        raise ValueError("designs must hold at least one design, got none")
    try:
        groups = tuple(as_groups(d) for d in items)
    except TypeError as exc:
        raise TypeError(f"designs: each design must be a Group or a non-empty sequence of "
                        f"Groups ({exc})") from None
    if labels is None:
        labels = tuple("(" + ", ".join(f"{t:g}" for t in g[0].times) + ")" if len(g) == 1
                       else f"design {i}" for i, g in enumerate(groups))
        if len(set(labels)) != len(labels):
            labels = tuple(f"design {i}" for i in range(len(groups)))
    return labels, groups


def _approximations(model, approximations):
    linear = isinstance(model, PopulationModel)
    default = COMPARE_APPROXIMATIONS if linear else ("exact",)
    if approximations is None:
        return default
    if isinstance(approximations, str) or not isinstance(approximations, Sequence):
        raise TypeError(f"approximations must be a sequence of names from {list(default)}, "
                        f"got {approximations!r}")
    approximations = tuple(approximations)
    if not all(isinstance(a, str) and a in default for a in approximations) \
            or len(set(approximations)) != len(approximations) or "exact" not in approximations:
        raise ValueError(f"approximations must be distinct names from {list(default)}, "
                         f"including 'exact' (FO and FOCE only for a PopulationModel), got "
                         f"{list(approximations)!r}")
    # in the order of COMPARE_APPROXIMATIONS: 'exact' last
    return tuple(a for a in default if a in approximations)


def compare_designs(model, designs, *, approximations=None, n_samples: int = 500,
                    n_nodes: int = 5, n_draws: int = 1000, z: float = 2.0,
                    rng=None) -> DesignComparison:
    r"""``ln det`` of candidate designs under FO, FOCE and the exact information, the
    design each picks, and whether the exact information can tell the best apart.

    Parameters
    ----------
    model : PopulationModel or DiscretePopulationModel
        A discrete model has only the exact information.
    designs : sequence or mapping
        The candidate designs (each a :class:`Group` or a sequence of Groups), or a
        mapping ``label -> design``. Sequence labels are the sampling times of
        single-group designs, else ``'design i'``.
    approximations : sequence of str, optional
        Names from :data:`COMPARE_APPROXIMATIONS` including ``'exact'``; default all
        (``('exact',)`` for a discrete model).
    n_samples : int
        Simulated subjects per group of the exact FIM (``>= 2``).
    n_nodes : int
        Gauss-Hermite nodes per random effect of the exact FIM.
    n_draws : int
        Random-effect draws of FOCE (``>= 1``).
    z : float
        Number of paired standard errors by which the exact pick must beat the runner-up
        to be *distinguishable* (``> 0``).
    rng : None, int or Generator
        Seed of all the draws; the same draws serve every design (common random numbers,
        module documentation).

    Returns
    -------
    DesignComparison

    Notes
    -----
    The FO and FOCE entries are ``model.fim(design, fim, approximation)``, FOCE with the
    generator ``SeedSequence(result.entropy, spawn_key=(1,))`` for every design. The exact
    entries are :func:`exact_fim`'s estimator with the common-random-number streams of the
    module documentation (so they differ from ``exact_fim(rng=...)`` by Monte Carlo error
    only). Cost: that of ``exact_fim`` per design (it dominates).

    Examples
    --------
    The strongly nonlinear model of ``docs/pkpd_exact.rst`` (:math:`\omega^2_{CL} = 1`):
    FO picks the late design; with common random numbers the difference between two
    neighbouring designs is far more precise than either value (few subjects here, for
    speed: use ``n_samples >= 1000`` for this model, docs/pkpd_exact.rst):

    >>> from fisherstat.pkpd import (Combined, Group, OneCompartment, PopulationModel,
    ...                              compare_designs)
    >>> model = PopulationModel(OneCompartment("bolus"), {"CL": 1.0, "V": 10.0},
    ...                         omega=[1.0, 0.05], error=Combined(0.01, 0.04))
    >>> cands = {"spread": Group([0.5, 6, 24], 50, dose=100),
    ...          "later": Group([0.5, 10, 24], 50, dose=100),
    ...          "late": Group([1, 24, 48], 50, dose=100)}
    >>> res = compare_designs(model, cands, approximations=["FO reduced", "exact"],
    ...                       n_samples=100, n_nodes=3, rng=1)
    >>> res.picks["FO reduced"]
    'late'
    >>> d, se = res.exact_difference("spread", "later")
    >>> bool(se < 0.5 * min(res.exact_stderr[:2]))
    True
    """
    check_nodes(model, 1)  # the model type, before anything else
    labels, groups = _labels(designs)
    approximations = _approximations(model, approximations)
    n_samples = check_int(n_samples, "n_samples", low=2)
    n_nodes = check_nodes(model, n_nodes)
    n_draws = check_int(n_draws, "n_draws", low=1)
    z = check_scalar(z, "z", low=0)
    entropy = int(check_random_state(rng).integers(2 ** 63 - 1))

    fims = {a: [] for a in approximations}
    infl = []  # per design: L_i (n_samples,), the first-order influence on ln det
    for gs in groups:
        for a in approximations[:-1]:
            approx, fim = a.split()
            seed = np.random.SeedSequence(entropy, spawn_key=FOCE_KEY)
            fims[a].append(model.fim(gs, fim=fim, approximation=approx, n_draws=n_draws,
                                     rng=seed) if approx == "FOCE"
                           else model.fim(gs, fim=fim))
        res, scores = common_exact_fim(model, gs, n_samples, n_nodes, entropy)
        fims["exact"].append(res)
        infl.append(_influence(res, gs, scores))
    ofv = np.array([[r.ofv for r in fims[a]] for a in approximations])
    L = np.array(infl)  # (n_designs, n_samples)
    D = L[:, None, :] - L[None, :, :]
    dse = np.sqrt(np.var(D, axis=2, ddof=1) / n_samples)
    k = len(fims["exact"][0].param_names)
    return DesignComparison(
        labels=labels, approximations=approximations, ofv=readonly(ofv),
        exact_stderr=readonly([np.nan if r.ofv_stderr is None else r.ofv_stderr
                               for r in fims["exact"]]),
        difference_stderr=readonly(dse), fims={a: tuple(v) for a, v in fims.items()},
        n_params=k, z=z, entropy=entropy, n_samples=n_samples, n_nodes=n_nodes)


def _influence(res: PopulationFIM, groups, scores) -> np.ndarray:
    r"""Per subject :math:`L_i = \sum_g N_g s_{g,i}^{\mathsf T} M^{-1} s_{g,i}`, whose mean
    is the first-order (delta-method) expansion of :math:`\ln\det\hat M` (NaN when the
    estimate is singular)."""
    sign, _ = np.linalg.slogdet(res.matrix)
    if sign <= 0:
        return np.full(scores[0].shape[0], np.nan)
    Mi = np.linalg.inv(res.matrix)
    return sum(g.size * np.einsum("bi,ij,bj->b", S, Mi, S)
               for g, S in zip(groups, scores, strict=True))
