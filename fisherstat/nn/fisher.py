r"""Fisher information of a network's weights: three kinds, six structures.

For inputs :math:`x_1, \dots, x_N` the (mean) Fisher information of the weights is

.. math::

    F = \frac1N \sum_{n=1}^N J_n^T \Lambda_n J_n
      = \frac1N \sum_n E_{y \sim p_\theta(\cdot \mid x_n)}\big[g_n(y) g_n(y)^T\big],
    \qquad g_n(y) = \nabla_w \log p_\theta(y \mid x_n) = -J_n^T r_n(y),

with :math:`J_n = \partial f(x_n)/\partial w` (C, P), :math:`\Lambda_n` the output-space
Fisher and :math:`r_n` the residual (:mod:`fisherstat.nn.outputs`). Every kind is written
as :math:`F = \frac1N \sum_n J_n^T U_n^T U_n J_n` with an (R, C) matrix :math:`U_n` whose
rows are back-propagated like a loss gradient:

==================  =============================  ======================================
``kind``            rows of :math:`U_n`            what it is
==================  =============================  ======================================
``'exact'``         :math:`L_n^T`, with            the Fisher (= generalised Gauss-Newton
                    :math:`L_n L_n^T = \Lambda_n`  matrix of the loss): R = C - 1 for
                                                   softmax, C otherwise
``'monte_carlo'``   :math:`r_n(y_{ns})/\sqrt S`,   unbiased estimate of the Fisher from
                    :math:`y_{ns} \sim p_\theta`   ``n_samples = S`` labels drawn from the
                                                   model per input (R = S)
``'empirical'``     :math:`r_n(y_n)` (observed)    the "empirical Fisher" (R = 1): the
                                                   mean outer product of per-sample
                                                   gradients; not the Fisher unless the
                                                   model fits (Kunstner et al. 2019)
==================  =============================  ======================================

**Scaling (read this before comparing with PyTorch libraries).** :math:`F` is the
information of *one average observation*: the mean over the N rows, not the sum
(:func:`fisherstat.fisher` with ``x=X`` returns the sum, ``N F``). It is the Fisher of the
mean negative log-likelihood loss :meth:`MLP.loss`. For the Gaussian output the noise
variance enters as :math:`\Lambda = I/\sigma^2`. Conversions:

* nngeometry ``FIM(model, loader, representation, n_output, variant='classif_logits')``
  averages over the examples like us (for ``variant='regression'`` it uses
  :math:`\Lambda = I`, i.e. :math:`\sigma^2 = 1`).
* BackPACK's ``GGNExact``/``KFAC``/``DiagGGNExact`` and curvlinops' ``GGNLinearOperator``
  are curvature matrices of *the loss as the loss function reduces it*: with
  ``CrossEntropyLoss(reduction='mean')`` they equal our ``'exact'`` F; with
  ``reduction='sum'`` they are N F. With ``MSELoss(reduction='mean')`` (mean over N and
  C, no 1/2) they are :math:`\frac{2}{C} F` at :math:`\sigma^2 = 1`; with
  ``MSELoss(reduction='sum')``, :math:`2 N F`.
* BackPACK's ``KFAC`` is our ``'kfac'`` with ``kind='monte_carlo'`` (one sample,
  ``mc_samples=1``); ``KFLR`` is ``kind='exact'``. ``BatchGrad``/``SumGradSquared`` refer
  to gradients of the *reduced* loss, so with ``reduction='mean'`` each per-sample gradient
  carries a factor 1/N (BackPACK's ``BatchGrad`` then sums, not averages, to the gradient).

**Structures** are described in :mod:`fisherstat.nn.operators`. The dense matrix
is assembled without forming :math:`J` (N, C, P): for layers :math:`l, m` the block
:math:`F_{lm} = \frac1N \sum_n D^{lm}_n \otimes \bar a^{l}_n {\bar a^m_n}^T`, with
:math:`D^{lm}_n = \sum_r \delta^l_{nr} {\delta^m_{nr}}^T`, is one matrix product of
(out_l out_m, N) by (N, cols_l cols_m): O(N P^2) operations whatever R, against
O(N R P^2 / 2) for :math:`B^T B` with :math:`B` the (N R, P) matrix of the rows
:math:`U_n J_n` (which is used when R <= 2). When :math:`N R < P` the operator keeps
the per-layer signals and inputs instead of any (P, P) matrix: products with :math:`B` and
:math:`B^T` are layer contractions, and the N R x N R Gram matrix :math:`B B^T`, summed
layer by layer, gives the spectrum and the Woodbury solve.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice
from ._blocks import DenseBlock, DiagBlock, EigenKronBlock, KronBlock, RowFactorBlock
from ._checks import check_bool, finite_result
from ._signals import KINDS, output_signals, raw_traces
from .mlp import MLP
from .operators import (
    BlockDiagonalOperator,
    DenseOperator,
    DiagonalOperator,
    EKFACOperator,
    ImplicitOperator,
    KFACOperator,
)

__all__ = ["fisher", "per_sample_traces", "KINDS", "STRUCTURES"]

STRUCTURES = ("dense", "block", "diag", "kfac", "ekfac", "implicit")

#: Largest number of floats of the (chunk, cols_l * cols_m) array in the pair contraction.
_CHUNK_FLOATS = 4_000_000


def _check_net(net):
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")


def _pair_block(delta_l, delta_m, a_l, a_m):
    r"""``sum_n (sum_r delta_l delta_m^T) (x) a_l a_m^T`` as a (P_l, P_m) matrix (unit-major).

    One product of (out_l out_m, N) by (N, cols_l cols_m), chunked over the rows.
    """
    N = a_l.shape[0]
    ol, om, cl, cm = delta_l.shape[2], delta_m.shape[2], a_l.shape[1], a_m.shape[1]
    acc = np.zeros((ol * om, cl * cm))
    step = max(1, _CHUNK_FLOATS // max(cl * cm, ol * om))
    for i in range(0, N, step):
        sl = slice(i, i + step)
        D = np.matmul(np.swapaxes(delta_l[sl], 1, 2), delta_m[sl]).reshape(-1, ol * om)
        E = (a_l[sl, :, None] * a_m[sl, None, :]).reshape(-1, cl * cm)
        acc += D.T @ E
    return acc.reshape(ol, om, cl, cm).transpose(0, 2, 1, 3).reshape(ol * cl, om * cm)


def _dense_matrix(net, cache, deltas, acts, N, R, layers=None):
    """Dense matrix (or only the diagonal blocks ``layers``) by the cheaper of two routes."""
    L = net.n_layers
    if R <= 2:
        B = net.signal_gradients(cache, deltas).reshape(N * R, net.n_weights)
        if layers is None:
            M = (B.T @ B) / N
            return 0.5 * (M + M.T)
        out = []
        for li in layers:
            Bl = np.ascontiguousarray(B[:, net.slices[li]])
            Ml = (Bl.T @ Bl) / N
            out.append(0.5 * (Ml + Ml.T))
        return out
    if layers is not None:
        out = []
        for li in layers:
            Ml = _pair_block(deltas[li], deltas[li], acts[li], acts[li]) / N
            out.append(0.5 * (Ml + Ml.T))
        return out
    M = np.empty((net.n_weights, net.n_weights))
    for li in range(L):
        for m in range(li, L):
            blk = _pair_block(deltas[li], deltas[m], acts[li], acts[m]) / N
            if m == li:
                M[net.slices[li], net.slices[li]] = 0.5 * (blk + blk.T)
            else:
                M[net.slices[li], net.slices[m]] = blk
                M[net.slices[m], net.slices[li]] = blk.T
    return M


def _mc_stderr(net, cache, deltas, N, S):
    """Entrywise standard error of the Monte Carlo mean, pooling the N S terms ``g g^T``.

    Pooling over rows includes the between-row spread of ``E[g g^T | x_n]`` (not random
    given X), so this overstates the error: a conservative standard error.
    """
    G = net.signal_gradients(cache, deltas).reshape(N * S, net.n_weights) * np.sqrt(S)
    n = N * S
    mean = (G.T @ G) / n
    G2 = G * G
    m2 = (G2.T @ G2) / n - mean * mean
    return np.sqrt(np.clip(m2, 0.0, None) * n / (n - 1) / n) if n > 1 else np.full_like(mean,
                                                                                        np.inf)


def fisher(net, theta, X, kind: str, structure: str = "dense", y=None, rng=None, *,
           n_samples: int = 1, pi_damping: bool = True, factor: str = "auto"):
    r"""Fisher information of a network's weights at ``theta`` on inputs ``X``, as an operator.

    Parameters
    ----------
    net : MLP
    theta : array_like, shape (n_params,)
        Network parameters (with ``sigma2`` last when estimated; the operator covers the
        ``n_weights`` network weights, orthogonal in the information to ``sigma2``).
    X : array_like, shape (N, d_in)
        Inputs.
    kind : {'exact', 'monte_carlo', 'empirical'}
        Required: the Fisher :math:`J^T\Lambda J`, its Monte Carlo estimate from
        ``n_samples`` labels drawn from the model per input, or the empirical Fisher of the
        observed ``y``.
    structure : {'dense', 'block', 'diag', 'kfac', 'ekfac', 'implicit'}
        See :mod:`fisherstat.nn.operators`.
    y : array_like, optional
        Observed responses (only, and necessarily, for ``kind='empirical'``).
    rng : int or np.random.Generator, optional
        For ``kind='monte_carlo'``.
    n_samples : int, default 1
        Monte Carlo labels per input.
    pi_damping : bool, default True
        K-FAC only: damp the factors with Martens & Grosse's ``pi`` (``damped``/``solve``).
    factor : {'auto', 'never', 'always'}
        Dense only: keep the per-sample factor :math:`M = B^T B / N` (``B`` of N R rows,
        never formed) instead of the (P, P) matrix; ``'auto'`` when ``N R < P``.

    Returns
    -------
    FisherOperator
        The *mean* over the rows of ``X`` (see the scaling notes of this module).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> net = MLP([4, 16, 3], output="softmax")
    >>> theta = net.init(rng=0)
    >>> X = np.random.default_rng(1).standard_normal((200, 4))
    >>> F = fisher(net, theta, X, "exact")
    >>> J = net.jacobian(theta, X)
    >>> P = net.predict(theta, X)
    >>> Lam = np.einsum("nc,cd->ncd", P, np.eye(3)) - np.einsum("nc,nd->ncd", P, P)
    >>> bool(np.allclose(F.to_dense(), np.einsum("nca,ncd,ndb->ab", J, Lam, J) / 200))
    True
    >>> K = fisher(net, theta, X, "exact", "kfac")
    >>> K.solve(np.ones(net.n_weights), damping=1e-2).shape
    (131,)
    """
    _check_net(net)
    theta = net.validate(theta)
    check_choice(structure, "structure", STRUCTURES)
    if factor not in ("auto", "never", "always"):
        raise ValueError(f"factor must be 'auto', 'never' or 'always', got {factor!r}")
    pi_damping = check_bool(pi_damping, "pi_damping")
    return _fisher(net, theta, X, kind, structure, y, rng, n_samples, pi_damping, factor)


@finite_result("theta", "X", what="Fisher information")
def _fisher(net, theta, X, kind, structure, y, rng, n_samples, pi_damping, factor):
    """:func:`fisher` after the checks of its options (a non-finite trace is bad input)."""
    cache, U = output_signals(net, theta, X, kind, y, rng, n_samples)
    names = net.param_names[: net.n_weights]
    N, R = U.shape[:2]
    common = dict(kind=kind, param_names=names, n_inputs=N)
    if structure == "implicit":
        return ImplicitOperator(net, theta, cache, U, kind=kind, param_names=names)
    deltas = net.backward_pass(cache, U)
    acts = net.layer_inputs(cache)
    L, P = net.n_layers, net.n_weights
    every = [slice(0, P)]
    if structure == "dense":
        if factor == "always" or (factor == "auto" and N * R < P):
            block = RowFactorBlock(deltas, acts, net.slices, 1.0 / N)
            return DenseOperator([block], every, **common)
        op = DenseOperator([DenseBlock(_dense_matrix(net, cache, deltas, acts, N, R))],
                           every, **common)
        if kind == "monte_carlo":
            op._stderr_fn = lambda: _mc_stderr(net, cache, deltas, N, R)
        return op
    if structure == "block":
        mats = _dense_matrix(net, cache, deltas, acts, N, R, layers=range(L))
        return BlockDiagonalOperator([DenseBlock(m) for m in mats], net.slices, **common)
    if structure == "diag":
        d = np.concatenate([(np.einsum("nrw,nrw->wn", dl, dl) @ (a * a)).ravel()
                            for dl, a in zip(deltas, acts, strict=True)]) / N
        return DiagonalOperator([DiagBlock(d)], every, **common)
    Gs, As = [], []
    for dl, a in zip(deltas, acts, strict=True):
        d2 = dl.reshape(N * R, -1)
        G = (d2.T @ d2) / N
        A = (a.T @ a) / N
        Gs.append(0.5 * (G + G.T))
        As.append(0.5 * (A + A.T))
    if structure == "kfac":
        blocks = [KronBlock(G, A, bool(pi_damping)) for G, A in zip(Gs, As, strict=True)]
        return KFACOperator(blocks, net.slices, **common)
    blocks = []
    for dl, a, G, A in zip(deltas, acts, Gs, As, strict=True):
        QG = np.linalg.eigh(G)[1]
        QA = np.linalg.eigh(A)[1]
        s = (np.sum((dl @ QG) ** 2, axis=1).T @ ((a @ QA) ** 2)) / N
        blocks.append(EigenKronBlock(QG, QA, s))
    return EKFACOperator(blocks, net.slices, **common)


def per_sample_traces(net, theta, X, kind: str = "exact", y=None, rng=None, *,
                      n_samples: int = 1) -> np.ndarray:
    r"""Trace of each row's Fisher term, :math:`\operatorname{tr}(J_n^T U_n^T U_n J_n)`, (N,).

    For ``kind='exact'`` this is :math:`E_{y \sim p_\theta(\cdot|x_n)}\|\nabla_w \log
    p_\theta(y \mid x_n)\|^2`, the expected gradient length of Settles & Craven's active
    learning; for ``'empirical'``, the squared norm of each observed per-sample gradient.
    Cost: one backward pass of R signals, no (N, P) array:
    :math:`\sum_l \sum_r \|\delta^l_{nr}\|^2 \|\bar a^l_n\|^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher, per_sample_traces
    >>> net = MLP([2, 5, 3], output="softmax")
    >>> t, X = net.init(rng=0), np.random.default_rng(0).standard_normal((7, 2))
    >>> bool(np.isclose(per_sample_traces(net, t, X).mean(), fisher(net, t, X, "exact").trace()))
    True
    """
    _check_net(net)
    theta = net.validate(theta)
    return _traces(net, theta, X, kind, y, rng, n_samples)


_traces = finite_result("theta", "X", what="per-sample trace")(raw_traces)
