r"""Spectrum statistics of the Fisher information of wide random networks (mean-field theory).

Karakida, Akaho & Amari (2019a, "Universal statistics of Fisher information in deep neural
networks: mean field approach", AISTATS, PMLR 89, 1032-1041) showed that at a random
initialisation the Fisher information of a wide network is *pathological*: its mean
eigenvalue vanishes like :math:`1/M` with the width :math:`M`, while a few outlying
eigenvalues grow like :math:`M`. This module computes their theory and measures it.

**Setting.** An MLP with :math:`L` affine layers, widths :math:`M_l = \alpha_l M`
(:math:`l = 0` the input, :math:`l = L` the :math:`C` outputs), weights
:math:`W^l_{ij} \sim N(0, \sigma_w^2/M_{l-1})`, biases :math:`b^l_i \sim N(0, \sigma_b^2)`
(:meth:`MLP.init <fisherstat.nn.MLP.init>`), inputs with i.i.d. standard normal entries.
For a linear output with unit noise the Fisher of :math:`N` inputs is
:math:`F = \frac1N\sum_n \sum_k \nabla f_k(x_n) \nabla f_k(x_n)^T` (:math:`P` weights).

**Order parameters** (Karakida et al. 2019a, after Poole et al. 2016 and
Schoenholz et al. 2017). Forward, for one input and for two independent inputs:

.. math::

    q_1^l = \sigma_w^2 \hat q_1^{l-1} + \sigma_b^2, \quad
    \hat q_1^l = \int Du\, \phi(\sqrt{q_1^l}\,u)^2, \qquad
    q_2^l = \sigma_w^2 \hat q_2^{l-1} + \sigma_b^2, \quad
    \hat q_2^l = I_\phi[q_1^l, q_2^l],

with :math:`\hat q_1^0 = 1`, :math:`\hat q_2^0 = 0` (independent normal inputs) and
:math:`I_\phi[q, c] = E[\phi(u_1)\phi(u_2)]`,
:math:`(u_1, u_2) \sim N(0, [[q, c], [c, q]])`. Backward (the chain rule under the
gradient-independence assumption), with :math:`\tilde q_1^L = \tilde q_2^L = 1`:

.. math::

    \tilde q_1^l = \sigma_w^2 \tilde q_1^{l+1} \int Du\, \phi'(\sqrt{q_1^l}\,u)^2, \qquad
    \tilde q_2^l = \sigma_w^2 \tilde q_2^{l+1} I_{\phi'}[q_1^l, q_2^l].

Then, with :math:`\alpha = \sum_{l=1}^{L-1}\alpha_l\alpha_{l-1}` (so :math:`P \approx
\alpha M^2`),

.. math::

    \kappa_1 = \sum_{l=1}^L \frac{\alpha_{l-1}}{\alpha} \tilde q_1^l \hat q_1^{l-1},
    \qquad
    \kappa_2 = \sum_{l=1}^L \frac{\alpha_{l-1}}{\alpha} \tilde q_2^l \hat q_2^{l-1}.

They are the two values of the neural tangent kernel :math:`\Theta(x, x') = \sum_l
(\delta^l \cdot \delta'^l)(\bar h^{l-1} \cdot \bar h'^{l-1})` of the wide network:
:math:`\Theta(x, x) \approx \theta_1 = \alpha M\kappa_1` and, for independent inputs,
:math:`\Theta(x, x') \approx \theta_2 = \alpha M \kappa_2` (Jacot, Gabriel & Hongler 2018),
times :math:`\delta_{kk'}` between outputs :math:`k, k'`.

**Statistics** (Karakida et al. 2019a, Theorem 1 and the largest eigenvalue from the
:math:`C` eigenvectors :math:`E_x[\nabla f_k]`; with :math:`N` inputs, Karakida, Akaho &
Amari 2021, "Pathological spectra of the Fisher information metric and its variants in
deep neural networks", Neural Computation 33(8), 2274): the non-zero eigenvalues of
:math:`F` are those of the :math:`NC \times NC` Gram matrix
:math:`\Theta/N \approx [(\theta_1 - \theta_2) I_N + \theta_2 \mathbf 1\mathbf 1^T]
\otimes I_C / N`, hence

.. math::

    m_\lambda = \frac{\kappa_1 C}{M}, \qquad
    s_\lambda = \alpha C\Big(\kappa_2^2 + \frac{\kappa_1^2 - \kappa_2^2}{N}\Big), \qquad
    \lambda_{\max} = \alpha M\Big(\kappa_2 + \frac{\kappa_1 - \kappa_2}{N}\Big)

(:math:`C` outliers; the other :math:`(N-1)C` non-zero eigenvalues equal
:math:`\alpha M(\kappa_1 - \kappa_2)/N`). For :math:`N \to \infty` this is Theorem 1:
:math:`m_\lambda \sim \kappa_1 C/M`, :math:`s_\lambda \sim \alpha C\kappa_2^2`,
:math:`\lambda_{\max} \sim \alpha\kappa_2 M`, within the bounds
:math:`s_\lambda/m_\lambda \le \lambda_{\max} \le \sqrt{P s_\lambda}`. The mean
vanishes while the outliers grow: the landscape is flat in almost every direction and
steep in :math:`C` of them.

**Other outputs** (derived here in the same approximation; Karakida et al. 2021 treat the
softmax). With the output Fisher :math:`\Lambda_n` (:mod:`fisherstat.nn.outputs`) the
Gram matrix becomes :math:`\frac1N \Lambda^{1/2}(\Theta\otimes I)\Lambda^{1/2}`,
:math:`\Lambda = \operatorname{blockdiag}(\Lambda_n)`. Writing :math:`\Theta = a I + b
\mathbf 1 \mathbf 1^T` (:math:`a = \theta_1 - \theta_2`, :math:`b = \theta_2`) and
:math:`S = \sum_n \Lambda_n`:

.. math::

    \operatorname{tr} = \frac{a + b}{N}\sum_n \operatorname{tr}\Lambda_n, \qquad
    \|\cdot\|_F^2 = \frac{(a^2 + 2ab)\sum_n \operatorname{tr}\Lambda_n^2 + b^2\|S\|_F^2}{N^2},

and the outliers are the roots :math:`\lambda > \frac aN \max\operatorname{eig}\Lambda_n`
of :math:`\operatorname{eig}_j\big(\frac bN\sum_n \Lambda_n(\lambda I - \frac aN
\Lambda_n)^{-1}\big) = 1` (a rank-:math:`C` update of a block-diagonal matrix; Golub
1973, "Some modified matrix eigenvalue problems", SIAM Review 15). For the softmax the
:math:`C - 1` outliers are spread by the eigenvalues of the mean output Fisher
:math:`\bar\Lambda = S/N`: :math:`\lambda \approx \theta_2 \operatorname{eig}\bar\Lambda`.
:math:`\Lambda_n` depends on the logits of the random network, which are Gaussian in the
wide limit: :math:`f(x_n) = g + \varepsilon_n`, :math:`g \sim N(0, q_2^L I_C)` shared by
the inputs, :math:`\varepsilon_n \sim N(0, (q_1^L - q_2^L) I_C)` (the Gaussian-process
limit, de Finetti form). The predictions either condition on given logits or average
over draws of them (Monte Carlo).

**Mean subtraction** (Karakida, Akaho & Amari 2019b, "The normalization method for
alleviating pathological sharpness in wide neural networks", NeurIPS): replacing the
output by :math:`f(x) - \frac1N\sum_m f(x_m)` (batch normalisation of the last layer
without scaling) centres the Jacobians, :math:`\Theta \to H\Theta H` with :math:`H = I -
\mathbf 1\mathbf 1^T/N`: :math:`b` becomes :math:`-a/N`, the :math:`C` outliers vanish
and the largest eigenvalue falls to the bulk, :math:`\alpha M(\kappa_1 - \kappa_2)/N`,
by a factor :math:`1 + N\kappa_2/(\kappa_1 - \kappa_2)` (of order :math:`M` when
:math:`N \propto M`). The rest of the spectrum stays: by Cauchy interlacing the
compression to the :math:`(N-1)C` centred directions has eigenvalues between
:math:`\lambda_{i+C}` and :math:`\lambda_i` of the uncentred one.

**Quadrature.** One-dimensional integrals use the Gauss rule of the half-range Gaussian
weight :math:`e^{-u^2/2}` on :math:`[0, \infty)` applied to :math:`g(u) + g(-u)`
("half-range Gauss-Hermite"); two-dimensional ones use polar coordinates
:math:`u_1 = \sqrt q\, r\cos\vartheta`, :math:`u_2 = \sqrt q\, r\cos(\vartheta -
\vartheta_0)`, :math:`\cos\vartheta_0 = c/q`, with Gauss-Legendre nodes in
:math:`\vartheta` on the four arcs between the lines :math:`u_1 = 0`, :math:`u_2 = 0` and
the Gauss rule of :math:`r e^{-r^2/2}` in :math:`r`. Both rules come from the Stieltjes
procedure on a fine discretisation (Gautschi 2004, *Orthogonal Polynomials: Computation
and Approximation*, Oxford). A kink or jump at 0 (ReLU and its derivative) then
lies on a panel boundary: the rules are exact for ReLU and converge exponentially for
smooth activations, whereas plain tensor Gauss-Hermite errs by about 1e-2 for
:math:`E[\mathbb 1(u_1 > 0)\mathbb 1(u_2 > 0)]` with 100 x 100 nodes.

**Validity.** The predictions are the :math:`M \to \infty` limit at fixed :math:`N, C`. At
finite width the measured :math:`m_1` agrees to :math:`O(1/M)`; the entries of the Gram
matrix fluctuate by :math:`O(\sqrt M)` around :math:`\theta_{1,2} = O(M)`, which adds
about :math:`C^2/(\alpha M)` times a constant to :math:`s_\lambda` and makes
:math:`\lambda_{\max}`, the largest of :math:`C` fluctuating outliers, exceed the
prediction by :math:`O(\sqrt M)` (a relative :math:`O(1/\sqrt M)`); the mean of the
outliers is pushed up only at second order, a relative :math:`O(1/M)`. The bulk (after
mean subtraction) follows the prediction only for :math:`NC \ll M`. With
``finite_width=True`` (default) the predictions use the exact parameter count and the bias
terms of the actual widths (:math:`\theta_1 = \sum_l \tilde q_1^l(M_{l-1}\hat q_1^{l-1} +
1)`, :math:`P = \sum_l M_l(M_{l-1} + 1)`); ``finite_width=False`` gives the leading-order
expressions above exactly.
"""

from __future__ import annotations

import numpy as np

from ._blocks import RowFactorBlock
from ._checks import check_bool, finite_result, overflow_error
from .mean_field import (  # noqa: F401 (the theory, re-exported: fisherstat.nn.spectrum.X)
    MAX_QUAD,
    OUTPUTS,
    OrderParameters,
    SpectrumStatistics,
    ensemble,
    ensemble_statistics,
    order_parameters,
    predicted_statistics,
)
from .mlp import MLP
from .outputs import Bernoulli, Categorical

__all__ = [
    "OrderParameters",
    "order_parameters",
    "SpectrumStatistics",
    "predicted_statistics",
    "measured_statistics",
    "ntk_eigenvalues",
]

def _check_net(net):
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")


def ntk_gram(net: MLP, theta, X) -> np.ndarray:
    """Theta = J J^T (N C, N C), summed layer by layer from the back-propagated unit vectors.

    The Gram matrix of the exact Fisher of a unit-noise Gaussian output (the factor
    storage of :func:`fisherstat.nn.fisher`, :meth:`DenseOperator.gram` times N).
    """
    cache = net.forward_pass(theta, X)
    N, C = cache.f.shape
    U = np.ascontiguousarray(np.broadcast_to(np.eye(C), (N, C, C)))
    deltas = net.backward_pass(cache, U)
    return RowFactorBlock(deltas, net.layer_inputs(cache), net.slices, 1.0).gram()


def fisher_gram(net: MLP, theta, X, K, center: bool) -> np.ndarray:
    """Gram matrix (N R, N R) of the (optionally mean-subtracted) Fisher from the NTK K."""
    N, C = X.shape[0], net.n_outputs
    K4 = K.reshape(N, C, N, C)
    f = net.forward_pass(theta, X).f
    if center:
        K4 = K4 - K4.mean(axis=0, keepdims=True)
        K4 = K4 - K4.mean(axis=2, keepdims=True)
        f = f - f.mean(axis=0)
    if net.output == "linear":
        s2 = float(theta[-1]) if net.estimate_sigma2 else float(net.sigma2)
        return np.ascontiguousarray(K4.reshape(N * C, N * C)) / (N * s2)
    unit = Categorical() if net.output == "softmax" else Bernoulli()
    Lf = unit.factor(f)  # (N, C, R), L L^T = Lambda
    R = Lf.shape[2]
    T = np.einsum("ncr,ncmd->nrmd", Lf, K4)
    G = np.einsum("nrmd,mds->nrms", T, Lf).reshape(N * R, N * R) / N
    return 0.5 * (G + G.T)


def stats_from_gram(G, P, net, N, center) -> SpectrumStatistics:
    ev = np.linalg.eigvalsh(G)
    C = net.n_outputs
    n_out = C - 1 if net.output == "softmax" else C
    top = ev[::-1][:n_out]
    return SpectrumStatistics(
        m1=float(np.trace(G)) / P, m2=float(np.sum(G * G)) / P, lambda_max=float(ev[-1]),
        outlier_mean=float(np.mean(top)), n_params=P, n_samples=N, n_outputs=C,
        output=net.output, center=bool(center), source="measured", eigenvalues=ev)


def measured_statistics(net, theta, X, *, center: bool = False) -> SpectrumStatistics:
    r"""Measured :math:`m_\lambda`, :math:`s_\lambda`, :math:`\lambda_{\max}` of the exact Fisher.

    The Fisher of the inputs ``X`` is :math:`F = \frac1N\sum_n J_n^T\Lambda_n J_n`
    (:func:`fisherstat.nn.fisher` with ``kind='exact'``, the mean over rows), never formed
    as a (P, P) matrix: its non-zero eigenvalues are those of the (N R, N R) Gram matrix
    :math:`G = \frac1N U J J^T U^T` (:math:`U_n = L_n^T`, :math:`L_nL_n^T = \Lambda_n`),
    so :math:`m_1 = \operatorname{tr}G/P` and :math:`m_2 = \|G\|_F^2/P` with ``P`` the
    number of weights (the zero eigenvalues count in the mean).

    Parameters
    ----------
    net : MLP
    theta : array_like, shape (n_params,)
    X : array_like, shape (N, d_in)
    center : bool, default False
        Mean-subtracted output :math:`\tilde f(x_n) = f(x_n) - \frac1N\sum_m f(x_m)`:
        Jacobians minus their batch mean, and (softmax, sigmoid) the output Fisher at the
        centred logits (Karakida et al. 2019b).

    Returns
    -------
    SpectrumStatistics
        With ``eigenvalues``, the N R Gram eigenvalues.

    Notes
    -----
    The neural tangent kernel :math:`\Theta = JJ^T` is computed layer by layer from the
    back-propagated signals (:meth:`DenseOperator.gram
    <fisherstat.nn.DenseOperator.gram>` of the linear-output network), in
    :math:`O((NC)^2\sum_l n_l)` operations; centring is :math:`\Theta \to H\Theta H`.
    Cost is dominated by the eigenvalues of the (N R)-square Gram matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> from fisherstat.nn.spectrum import measured_statistics
    >>> net = MLP([10, 20, 20, 3], "tanh")
    >>> theta = net.init(rng=0, sigma_w2=3.0, sigma_b2=0.64)
    >>> X = np.random.default_rng(1).standard_normal((10, 10))
    >>> s = measured_statistics(net, theta, X)
    >>> lam = fisher(net, theta, X, "exact", factor="never").eigvalsh()   # the (P, P) way
    >>> bool(np.isclose(s.m1, lam.mean()) and np.isclose(s.lambda_max, lam[-1]))
    True
    >>> c = measured_statistics(net, theta, X, center=True)   # mean-subtracted output
    >>> round(s.lambda_max, 1), round(c.lambda_max, 1)
    (14.0, 6.5)
    >>> bool(s.eigenvalues[-4] <= c.lambda_max)    # interlacing: >= lambda_{C+1}, C = 3
    True
    """
    _check_net(net)
    theta = net.validate(theta)
    X = net.check_inputs(X)
    center = check_bool(center, "center")
    return _measured(net, theta, X, center)[-1]


@finite_result("theta", "X", what="Fisher spectrum")
def _measured(net, theta, X, center):
    K = _finite_ntk(net, theta, X)
    G = fisher_gram(net, theta, X, K, center)
    s = stats_from_gram(G, net.n_weights, net, X.shape[0], center)
    return s.eigenvalues, s.m1, s.m2, s


def ntk_eigenvalues(net, theta, X) -> np.ndarray:
    r"""Eigenvalues (ascending) of the neural tangent kernel :math:`\Theta = JJ^T`, (N C,).

    :math:`\Theta_{(n,c),(m,d)} = \nabla f_c(x_n)\cdot\nabla f_d(x_m)` (Jacot, Gabriel &
    Hongler 2018), over the network weights. For a linear output with unit noise the Fisher
    :math:`F = J^TJ/N` and :math:`\Theta` share their non-zero eigenvalues up to the
    factor ``N`` (Karakida et al. 2021 treat the NTK as a variant of the FIM): the NTK inherits the
    pathological spectrum, :math:`C` eigenvalues near :math:`\alpha M(N\kappa_2 +
    \kappa_1 - \kappa_2)` and the rest near :math:`\alpha M(\kappa_1 - \kappa_2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn import MLP, fisher
    >>> from fisherstat.nn.spectrum import ntk_eigenvalues
    >>> net = MLP([5, 40, 2], "tanh")
    >>> theta, X = net.init(rng=0), np.random.default_rng(1).standard_normal((6, 5))
    >>> ev = ntk_eigenvalues(net, theta, X)
    >>> lam = fisher(net, theta, X, "exact").eigvalsh()[-12:]
    >>> bool(np.allclose(ev, 6 * lam))
    True
    """
    _check_net(net)
    theta = net.validate(theta)
    return _ntk_eigenvalues(net, theta, net.check_inputs(X))


@finite_result("theta", "X", what="NTK")
def _ntk_eigenvalues(net, theta, X):
    return np.linalg.eigvalsh(_finite_ntk(net, theta, X))


def _finite_ntk(net, theta, X):
    """:func:`ntk_gram`, whose entries must be finite (else the eigensolver fails)."""
    K = ntk_gram(net, theta, X)
    if not np.all(np.isfinite(K)):
        raise overflow_error({"theta": theta, "X": X}, "neural tangent kernel")
    return K
