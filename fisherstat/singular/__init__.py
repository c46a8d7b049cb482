r"""Singular and ill-conditioned Fisher information: spectra, ranks, diagnoses.

:func:`analyze` turns any :class:`~fisherstat.FisherInfo` (analytic, Monte Carlo, empirical,
observed) into a :class:`SpectrumReport`: the eigenvalues, a numerical rank that does not
depend on the units of the parameters and, for Monte Carlo information, accounts for the
simulation error, the condition number, the **null and near-null directions written as
readable combinations of the parameter names** (``"mu1 - mu2"``), the effective dimension
and the spectrum moments. :func:`diagnose` combines this with the singular sets that a
model knows about (``model.singularities``) and says in words which one is near and how
far.

Amari, Park & Ozeki (2006, *Neural Computation* 18, 1007-1065) show that the information
of multilayer perceptrons, Gaussian mixtures and ARMA models degenerates on whole subsets
of the parameter space; there the maximum-likelihood estimate is not asymptotically
normal, the likelihood-ratio statistic is not chi-square and AIC/BIC lose their
justification. Two of their toy models are ready-made models of
:mod:`fisherstat.models` (defined in :mod:`fisherstat.models.toy`, importable from here
too):

* :class:`TwoUnitNetwork` -- the regression network
  :math:`f(x) = v_1\tanh(w_1x) + v_2\tanh(w_2 x)`, singular at :math:`v_i = 0`,
  :math:`w_i = 0` and :math:`w_1 = \pm w_2`;
* :class:`LocationMixture` -- :math:`(1 - v) N(0, 1) + v N(w, 1)`, singular at
  :math:`v = 0` and :math:`w = 0`, with a fast profile-likelihood fit and the
  likelihood-ratio statistic of one against two components (:meth:`LocationMixture.lrt`).

See the user guide page *Singular information* for the mathematics and the simulation
studies (``examples/singularities.py``).

==========================  ==============================================================
module                      contents
==========================  ==============================================================
:mod:`.analysis`            :func:`analyze`, :class:`SpectrumReport`, ``RANK_TOL_FACTOR``,
                            ``CONDITION_INDEX``
:mod:`.diagnosis`           :func:`diagnose`, :class:`Diagnosis`
:mod:`.lrt`                 :func:`lrt_limit_sample` (limit law of
                            :meth:`LocationMixture.lrt`)
``._directions``            :class:`Direction`, sparse null-space bases and their text
==========================  ==============================================================

Data flow: models -> information -> singular (this package imports models, never the
other way round).
"""

from __future__ import annotations

from ..models.toy import LocationMixture, TwoUnitNetwork
from ._directions import Direction
from .analysis import CONDITION_INDEX, RANK_TOL_FACTOR, SpectrumReport, analyze
from .diagnosis import Diagnosis, diagnose
from .lrt import lrt_limit_sample

__all__ = [
    "analyze",
    "diagnose",
    "SpectrumReport",
    "Direction",
    "Diagnosis",
    "TwoUnitNetwork",
    "LocationMixture",
    "RANK_TOL_FACTOR",
    "CONDITION_INDEX",
    "lrt_limit_sample",
]
