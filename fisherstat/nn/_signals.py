r"""Output signals of the three kinds of Fisher and their gradients' squared norms.

Private to ``fisherstat.nn``: shared by :mod:`.fisher` (the operators and
:func:`~fisherstat.nn.per_sample_traces`), :mod:`.active` (expected gradient length) and
:mod:`.monitor` (the running trace). Everything goes through the public forward/backward
API of :class:`~fisherstat.nn.MLP` (:meth:`~fisherstat.nn.MLP.forward_pass`,
:meth:`~fisherstat.nn.MLP.backward_pass`, :meth:`~fisherstat.nn.MLP.layer_inputs`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int, check_random_state

__all__ = ["KINDS", "output_signals", "raw_traces", "signal_sq_norms"]

#: The kinds of Fisher: exact, Monte Carlo, empirical (also ``fisherstat.nn.KINDS``).
KINDS = ("exact", "monte_carlo", "empirical")


def output_signals(net, theta, X, kind, y, rng, n_samples):
    """Forward pass and the (N, R, C) output signals ``U`` of the kind (``theta`` checked).

    ``exact``: the rows of :math:`L^T` with :math:`L L^T = \\Lambda(f)` (R = C, or the rank
    of :math:`\\Lambda`); ``monte_carlo``: ``n_samples`` sampled residuals scaled by
    :math:`1/\\sqrt S`; ``empirical``: the observed residual (R = 1).
    """
    check_choice(kind, "kind", KINDS)
    if kind == "empirical":
        if y is None:
            raise ValueError("kind='empirical' needs the observed responses y")
        y, X = net.check_labelled(y, X)
    else:
        if y is not None:
            raise ValueError(f"y is only used by kind='empirical', not kind={kind!r}")
        X = net.check_inputs(X)
    cache = net.forward_pass(theta, X)
    out = net.output_distribution(theta)
    if kind == "exact":
        U = np.swapaxes(out.factor(cache.f), 1, 2)
    elif kind == "monte_carlo":
        S = check_int(n_samples, "n_samples", low=1)
        U = out.sampled_residuals(cache.f, check_random_state(rng), S) / np.sqrt(S)
    else:
        U = out.residual(cache.f, y)[:, None, :]
    return cache, np.ascontiguousarray(U)


def raw_traces(net, theta, X, kind, y, rng, n_samples):
    """Per-row trace of the Fisher term (no finiteness check; see ``per_sample_traces``)."""
    cache, U = output_signals(net, theta, X, kind, y, rng, n_samples)
    return np.sum(signal_sq_norms(net, cache, U), axis=1)


def signal_sq_norms(net, cache, U) -> np.ndarray:
    r"""Squared norms :math:`\|J_n^T u_{nr}\|^2` of the gradients of signals ``U`` (N, R, C).

    One backward pass of the R signals per row; with the per-layer gradient the outer
    product :math:`\delta^l_{nr} \bar a^{l\,T}_n`, its squared norm is
    :math:`\sum_l \|\delta^l_{nr}\|^2 \|\bar a^l_n\|^2` -- no (N, P) array. ``cache`` is
    the forward pass of the rows (:meth:`~fisherstat.nn.MLP.forward_pass`). Returns (N, R).
    """
    deltas = net.backward_pass(cache, np.ascontiguousarray(U))
    out = np.zeros(U.shape[:2])
    for d, a in zip(deltas, net.layer_inputs(cache), strict=True):
        out += np.sum(d**2, axis=2) * np.sum(a * a, axis=1)[:, None]
    return out
