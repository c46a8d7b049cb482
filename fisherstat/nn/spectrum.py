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

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import optimize, special

from .._validation import as_float_array, check_int, check_random_state, check_scalar
from ..plot import check_axes
from ._checks import check_bool, finite_result, overflow_error
from .layers import Activation, get_activation
from .mlp import MLP
from .operators import _RowFactorBlock
from .outputs import Bernoulli, Categorical

__all__ = [
    "OrderParameters",
    "order_parameters",
    "SpectrumStatistics",
    "predicted_statistics",
    "measured_statistics",
    "ntk_eigenvalues",
    "WidthSweep",
    "width_sweep",
]

OUTPUTS = ("linear", "softmax", "sigmoid")

#: Largest number of quadrature nodes per dimension (the Stieltjes procedure in float64
#: keeps the rules exact to ~1e-15 for the integrands here up to this size).
MAX_QUAD = 64

# =============================================================================== quadrature


@cache
def _half_range_rule(n: int, power: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Gauss rule of the weight :math:`r^{power} e^{-r^2/2}` on :math:`[0, \infty)`.

    The recurrence coefficients come from the discretised Stieltjes procedure on a
    composite 24-point Gauss-Legendre discretisation of :math:`[0, 26]` (the weight is
    below 1e-146 beyond), then the Golub-Welsch eigenvalue problem gives nodes and
    weights.
    """
    xg, wg = np.polynomial.legendre.leggauss(24)
    edges = np.linspace(0.0, 26.0, 261)
    lo, hi = edges[:-1, None], edges[1:, None]
    t = (0.5 * (hi - lo) * xg + 0.5 * (hi + lo)).ravel()
    w = (0.5 * (hi - lo) * wg).ravel() * t**power * np.exp(-0.5 * t * t)
    alpha, beta = np.zeros(n), np.zeros(n)
    p_prev, p, norm_prev = np.zeros_like(t), np.ones_like(t), 1.0
    for k in range(n):
        norm = float(np.sum(w * p * p))
        alpha[k] = float(np.sum(w * t * p * p)) / norm
        beta[k] = norm / norm_prev if k > 0 else norm
        p_prev, p = p, (t - alpha[k]) * p - (beta[k] if k > 0 else 0.0) * p_prev
        norm_prev = norm
    off = np.sqrt(beta[1:])
    nodes, vecs = np.linalg.eigh(np.diag(alpha) + np.diag(off, 1) + np.diag(off, -1))
    return nodes, beta[0] * vecs[0] ** 2


def _expect1(g, q: float, n: int) -> float:
    r""":math:`E[g(u)]`, :math:`u \sim N(0, q)` (half-range Gauss rule on g(u) + g(-u))."""
    if q <= 0.0:
        return float(g(np.zeros(1))[0])
    r, w = _half_range_rule(n, 0)
    s = np.sqrt(q)
    return float(np.sum(w * (g(s * r) + g(-s * r))) / np.sqrt(2.0 * np.pi))


def _expect2(g, h, q: float, c: float, n: int) -> float:
    r""":math:`E[g(u_1) h(u_2)]`, :math:`(u_1, u_2) \sim N(0, [[q, c], [c, q]])` (polar rule)."""
    if q <= 0.0:
        return float(g(np.zeros(1))[0] * h(np.zeros(1))[0])
    theta0 = float(np.arccos(np.clip(c / q, -1.0, 1.0)))
    cuts = np.sort(np.mod([0.5 * np.pi, 1.5 * np.pi, theta0 + 0.5 * np.pi,
                           theta0 + 1.5 * np.pi], 2.0 * np.pi))
    cuts = np.append(cuts, cuts[0] + 2.0 * np.pi)
    xa, wa = np.polynomial.legendre.leggauss(n)
    lo, hi = cuts[:-1, None], cuts[1:, None]
    ang = (0.5 * (hi - lo) * xa + 0.5 * (hi + lo)).ravel()
    w_ang = (0.5 * (hi - lo) * wa).ravel() / (2.0 * np.pi)
    r, w_r = _half_range_rule(n, 1)
    s = np.sqrt(q)
    u1 = s * np.outer(np.cos(ang), r)
    u2 = s * np.outer(np.cos(ang - theta0), r)
    return float(np.sum(w_ang[:, None] * w_r[None, :] * g(u1) * h(u2)))


# ========================================================================= order parameters
def _fmt(x) -> str:
    return " ".join(f"{v:9.5g}" for v in np.atleast_1d(x))


@dataclass(frozen=True, eq=False)
class OrderParameters:
    r"""Mean-field order parameters of a random MLP (Karakida et al. 2019a).

    Built by :func:`order_parameters`. Arrays are indexed by layer as in the paper, shifted
    to start at 0: ``q1[l - 1]`` is :math:`q_1^l` (layers :math:`l = 1..L`),
    ``q1_hat[l]`` is :math:`\hat q_1^l` (:math:`l = 0..L-1`, ``q1_hat[0]`` the input) and
    ``q1_tilde[l - 1]`` is :math:`\tilde q_1^l` (:math:`l = 1..L`, the last one 1).

    Attributes
    ----------
    activation : str
    sigma_w2, sigma_b2 : float
    alphas : tuple of float
        Width ratios :math:`(\alpha_0, \dots, \alpha_{L-1})` of the input and hidden
        layers, :math:`M_l = \alpha_l M`.
    q1, q2 : ndarray, shape (L,)
        Variance of a pre-activation for one input, covariance for two independent
        inputs (:math:`q_1^L, q_2^L` describe the logits).
    q1_hat, q2_hat : ndarray, shape (L,)
        :math:`\frac1{M_l}\sum_i h_i^l(x)^2` and :math:`\frac1{M_l}\sum_i h_i^l(x)
        h_i^l(x')` in the limit.
    q1_tilde, q2_tilde : ndarray, shape (L,)
        :math:`\sum_i \delta_i^l(x)^2` and :math:`\sum_i \delta_i^l(x)\delta_i^l(x')`,
        :math:`\delta^l = \partial f_k/\partial u^l`.
    n_quad : int
        Quadrature nodes per dimension.

    Examples
    --------
    >>> from fisherstat.nn.spectrum import order_parameters
    >>> op = order_parameters("linear", 1.0, 0.0, n_layers=2)
    >>> float(op.kappa1), float(op.kappa2), float(op.alpha)
    (2.0, 0.0, 1.0)
    """

    activation: str
    sigma_w2: float
    sigma_b2: float
    alphas: tuple
    q1: np.ndarray
    q2: np.ndarray
    q1_hat: np.ndarray
    q2_hat: np.ndarray
    q1_tilde: np.ndarray
    q2_tilde: np.ndarray
    n_quad: int

    @property
    def n_layers(self) -> int:
        """``L``, the number of affine layers (the last one gives the outputs)."""
        return int(self.q1.size)

    @property
    def alpha(self) -> float:
        r""":math:`\alpha = \sum_{l=1}^{L-1}\alpha_l\alpha_{l-1}`: :math:`P \approx \alpha M^2`."""
        a = np.asarray(self.alphas)
        return float(np.sum(a[1:] * a[:-1]))

    @property
    def kappa1(self) -> float:
        r""":math:`\kappa_1 = \sum_l \frac{\alpha_{l-1}}{\alpha}\tilde q_1^l\hat q_1^{l-1}`."""
        return float(np.sum(np.asarray(self.alphas) * self.q1_tilde * self.q1_hat) / self.alpha)

    @property
    def kappa2(self) -> float:
        r""":math:`\kappa_2 = \sum_l \frac{\alpha_{l-1}}{\alpha}\tilde q_2^l\hat q_2^{l-1}`."""
        return float(np.sum(np.asarray(self.alphas) * self.q2_tilde * self.q2_hat) / self.alpha)

    def widths(self, width: int, n_outputs: int) -> tuple:
        """Layer sizes ``(M_0, M_1, ..., M_{L-1}, C)`` at width ``M`` (``MLP(sizes)``).

        Examples
        --------
        >>> from fisherstat.nn.spectrum import order_parameters
        >>> order_parameters("tanh", 2.0, 0.1, 3, alphas=[0.5, 1, 2]).widths(100, 10)
        (50, 100, 200, 10)
        """
        width = check_int(width, "width", low=1)
        n_outputs = check_int(n_outputs, "n_outputs", low=1)
        return tuple(max(1, int(round(a * width))) for a in self.alphas) + (n_outputs,)

    def kernel(self, width: int, n_outputs: int = 1, *, bias: bool = True,
               finite_width: bool = True) -> tuple[float, float, int]:
        r"""Neural-tangent-kernel values and parameter count at width ``M``.

        Returns ``(theta1, theta2, P)``: :math:`\Theta(x, x)`, :math:`\Theta(x, x')` for
        independent inputs, and the number of weights. ``finite_width=False`` gives the
        leading order :math:`(\alpha M\kappa_1, \alpha M\kappa_2, \alpha M^2)`; otherwise
        :math:`\theta_i = \sum_l \tilde q_i^l (M_{l-1}\hat q_i^{l-1} + b)` and
        :math:`P = \sum_l M_l (M_{l-1} + b)`, with ``b = 1`` for biases.

        Examples
        --------
        >>> from fisherstat.nn.spectrum import order_parameters
        >>> op = order_parameters("linear", 1.0, 0.0, n_layers=2)
        >>> op.kernel(100, 1, bias=False)        # |x|^2 + |W1 x|^2 = 200, P = 100^2 + 100
        (200.0, 0.0, 10100)
        >>> op.kernel(100, 1, finite_width=False)
        (200.0, 0.0, 10000)
        """
        sizes = self.widths(width, n_outputs)
        bias = check_bool(bias, "bias")
        finite_width = check_bool(finite_width, "finite_width")
        if not np.isfinite(self.alpha * float(sizes[0]) * float(max(sizes[:-1])) * 2.0):
            raise ValueError(f"width must be small enough for the number of weights (about "
                             f"alpha width^2) to fit in float64, got {width}")
        if not finite_width:
            a = self.alpha
            return (a * width * self.kappa1, a * width * self.kappa2,
                    int(round(a * width * width)))
        b = float(bool(bias))
        m = np.asarray(sizes[:-1], dtype=float)
        theta1 = float(np.sum(self.q1_tilde * (m * self.q1_hat + b)))
        theta2 = float(np.sum(self.q2_tilde * (m * self.q2_hat + b)))
        P = int(sum(o * (i + int(b)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)))
        return theta1, theta2, P

    def summary(self) -> str:
        """The order parameters layer by layer and kappa_1, kappa_2, alpha.

        Examples
        --------
        >>> from fisherstat.nn.spectrum import order_parameters
        >>> print(order_parameters("relu", 2.0, 0.0, 2).summary().splitlines()[0])
        order parameters: relu, sigma_w^2 = 2, sigma_b^2 = 0, L = 2 layers, 48 nodes
        """
        lines = [f"order parameters: {self.activation}, sigma_w^2 = {self.sigma_w2:g}, "
                 f"sigma_b^2 = {self.sigma_b2:g}, L = {self.n_layers} layers, "
                 f"{self.n_quad} nodes",
                 f"{'l':>3} {'alpha_l-1':>9} {'q1^l':>9} {'q2^l':>9} {'q1^_l-1':>9} "
                 f"{'q2^_l-1':>9} {'q1~^l':>9} {'q2~^l':>9}"]
        for li in range(self.n_layers):
            lines.append(f"{li + 1:>3} " + _fmt([
                self.alphas[li], self.q1[li], self.q2[li], self.q1_hat[li], self.q2_hat[li],
                self.q1_tilde[li], self.q2_tilde[li]]))
        lines.append(f"kappa1 = {self.kappa1:.6g}, kappa2 = {self.kappa2:.6g}, "
                     f"alpha = {self.alpha:.6g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def order_parameters(activation: str | Activation, sigma_w2: float, sigma_b2: float,
                     n_layers: int, alphas: Sequence[float] | None = None, *,
                     q1_input: float = 1.0, q2_input: float = 0.0,
                     n_quad: int = 48) -> OrderParameters:
    r"""Order parameters :math:`q, \hat q, \tilde q` and :math:`\kappa_1, \kappa_2` by quadrature.

    Parameters
    ----------
    activation : str or Activation
        Hidden nonlinearity (see :mod:`fisherstat.nn.layers`).
    sigma_w2 : float
        Weight variance times fan-in, > 0.
    sigma_b2 : float
        Bias variance, >= 0.
    n_layers : int
        ``L >= 2``, the number of affine layers (``L - 1`` hidden layers).
    alphas : sequence of float, optional
        Width ratios :math:`(\alpha_0, \dots, \alpha_{L-1}) > 0` of the input and hidden
        layers (default all 1: input and hidden layers of width ``M``).
    q1_input, q2_input : float
        :math:`\hat q_1^0 = |x|^2/M_0` and :math:`\hat q_2^0 = x\cdot x'/M_0` of the
        inputs (default: i.i.d. standard normal entries, 1 and 0);
        :math:`|q_2| \le q_1`.
    n_quad : int, default 48
        Quadrature nodes per dimension, in [4, 64] (module notes).

    Returns
    -------
    OrderParameters

    Notes
    -----
    The recursions of the module notes (Karakida et al. 2019a, eqs. for :math:`q_1^l,
    q_2^l` forward and :math:`\tilde q_1^l, \tilde q_2^l` backward). Closed
    forms, used by the tests: for ``'erf'``,
    :math:`E[\operatorname{erf}(u_1)\operatorname{erf}(u_2)] = \frac2\pi\arcsin\frac{2c}
    {1 + 2q}` (Williams 1997, "Computing with infinite networks", NeurIPS); for
    ``'relu'`` the arc-cosine kernel :math:`\frac{q}{2\pi}(\sin t + (\pi - t)\cos t)`,
    :math:`\cos t = c/q`, and :math:`E[\phi'\phi'] = (\pi - t)/(2\pi)` (Cho & Saul 2009,
    "Kernel methods for deep learning", NeurIPS).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.spectrum import order_parameters
    >>> op = order_parameters("relu", 2.0, 0.0, n_layers=3)
    >>> np.round(op.q1, 12)                      # He initialisation keeps q_1 = 2
    array([2., 2., 2.])
    >>> round(op.kappa1, 6), round(op.kappa2, 6)
    (1.5, 0.342854)
    """
    act = get_activation(activation)
    sigma_w2 = check_scalar(sigma_w2, "sigma_w2", low=0)
    sigma_b2 = check_scalar(sigma_b2, "sigma_b2", low=0, low_open=False)
    L = check_int(n_layers, "n_layers", low=2)
    if alphas is None:
        alphas = np.ones(L)
    else:
        if isinstance(alphas, (str, bytes)):
            raise TypeError(f"alphas must be a sequence of {L} positive ratios, got {alphas!r}")
        alphas = as_float_array(alphas, "alphas", shape=(L,))
        if np.any(alphas <= 0):
            raise ValueError(f"alphas must be > 0, got {alphas.tolist()}")
    q1_input = check_scalar(q1_input, "q1_input", low=0)
    q2_input = check_scalar(q2_input, "q2_input", low=-q1_input, high=q1_input,
                            low_open=False, high_open=False)
    n = check_int(n_quad, "n_quad", low=4, high=MAX_QUAD)

    phi = act.forward

    def dphi(z):
        return act.derivative(z, act.forward(z))

    q1, q2 = np.empty(L), np.empty(L)
    h1, h2 = np.empty(L), np.empty(L)
    h1[0], h2[0] = q1_input, q2_input
    for li in range(L):  # layer l = li + 1
        q1[li] = sigma_w2 * h1[li] + sigma_b2
        q2[li] = sigma_w2 * h2[li] + sigma_b2
        if li + 1 < L:
            h1[li + 1] = _expect1(lambda z: phi(z) ** 2, q1[li], n)
            h2[li + 1] = _expect2(phi, phi, q1[li], q2[li], n)
    t1, t2 = np.ones(L), np.ones(L)
    for li in range(L - 2, -1, -1):  # layer l = li + 1 < L
        t1[li] = sigma_w2 * t1[li + 1] * _expect1(lambda z: dphi(z) ** 2, q1[li], n)
        t2[li] = sigma_w2 * t2[li + 1] * _expect2(dphi, dphi, q1[li], q2[li], n)
    if not all(np.all(np.isfinite(a)) for a in (q1, q2, h1, h2, t1, t2)):
        raise ValueError(f"sigma_w2 = {sigma_w2:g}, sigma_b2 = {sigma_b2:g} and q1_input = "
                         f"{q1_input:g} give non-finite order parameters over {L} layers "
                         "(float64 overflow): the variances must be smaller")
    return OrderParameters(
        activation=act.name or type(act).__name__, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
        alphas=tuple(float(a) for a in alphas), q1=q1, q2=q2, q1_hat=h1, q2_hat=h2,
        q1_tilde=t1, q2_tilde=t2, n_quad=n)


# ==================================================================== spectrum statistics
@dataclass(frozen=True, eq=False)
class SpectrumStatistics:
    r"""Mean eigenvalue, second moment and largest eigenvalue of a network's Fisher.

    Returned by :func:`predicted_statistics` (theory) and :func:`measured_statistics`.

    Attributes
    ----------
    m1 : float
        :math:`m_\lambda = \frac1P\sum_i\lambda_i = \operatorname{tr}F/P`.
    m2 : float
        :math:`s_\lambda = \frac1P\sum_i\lambda_i^2 = \|F\|_F^2/P`.
    lambda_max : float
        :math:`\lambda_{\max}`.
    outlier_mean : float
        Mean of the ``n_outliers`` largest eigenvalues (``C``; ``C - 1`` for softmax).
    n_params : int
        ``P``, the number of weights.
    n_samples : int or None
        ``N``, the inputs averaged over (None: the population, :math:`N \to \infty`).
    n_outputs : int
    output : str
    center : bool
        Mean-subtracted output.
    source : str
        ``'measured'``, ``'theory'`` or ``'theory (leading order)'``.
    eigenvalues : ndarray or None
        Measured only: the eigenvalues of the Gram matrix (ascending), i.e. all eigenvalues
        of :math:`F` except ``P - N R`` zeros.
    stderr : dict or None
        Monte Carlo standard errors of the statistics (theory averaged over random logits).

    Examples
    --------
    >>> from fisherstat.nn.spectrum import order_parameters, predicted_statistics
    >>> op = order_parameters("tanh", 3.0, 0.64, n_layers=4)
    >>> s = predicted_statistics(op, width=1000, n_outputs=10, finite_width=False)
    >>> round(s.m1 * 1000 / 10, 6) == round(op.kappa1, 6)     # m = kappa_1 C / M
    True
    >>> lo, hi = s.lambda_max_bounds
    >>> bool(lo <= s.lambda_max <= hi)
    True
    """

    m1: float
    m2: float
    lambda_max: float
    outlier_mean: float
    n_params: int
    n_samples: int | None
    n_outputs: int
    output: str
    center: bool
    source: str
    eigenvalues: np.ndarray | None = None
    stderr: dict | None = None

    @property
    def n_outliers(self) -> int:
        """``C`` outliers (``C - 1`` for softmax: the logit shift is in the null space)."""
        return self.n_outputs - 1 if self.output == "softmax" else self.n_outputs

    @property
    def lambda_max_bounds(self) -> tuple[float, float]:
        r""":math:`(s_\lambda/m_\lambda, \sqrt{P s_\lambda})` (Karakida et al. 2019a, Theorem 1).

        Valid for every positive semi-definite matrix: :math:`\sum\lambda^2 \le
        \lambda_{\max}\sum\lambda` and :math:`\lambda_{\max}^2 \le \sum\lambda^2`.
        """
        lo = self.m2 / self.m1 if self.m1 > 0 else 0.0
        return float(lo), float(np.sqrt(self.n_params * self.m2))

    def summary(self) -> str:
        """A short text table.

        Examples
        --------
        >>> from fisherstat.nn.spectrum import order_parameters, predicted_statistics
        >>> op = order_parameters("relu", 2.0, 0.1, 3)
        >>> print(predicted_statistics(op, 200, 2, n_samples=50).summary().splitlines()[0])
        theory: linear output, C = 2, N = 50, P = 80802
        """
        n = "inf" if self.n_samples is None else str(self.n_samples)
        head = (f"{self.source}: {self.output} output{', mean-subtracted' if self.center else ''}"
                f", C = {self.n_outputs}, N = {n}, P = {self.n_params}")
        se = self.stderr or {}

        def row(name, key, value):
            s = f"  {name:<28} {value:12.6g}"
            return s + (f"  (MC SE {se[key]:.2g})" if key in se else "")

        lo, hi = self.lambda_max_bounds
        return "\n".join([
            head, row("mean eigenvalue m1", "m1", self.m1),
            row("second moment m2", "m2", self.m2),
            row("largest eigenvalue", "lambda_max", self.lambda_max),
            row(f"mean of {self.n_outliers} largest", "outlier_mean", self.outlier_mean),
            f"  {'bounds m2/m1, sqrt(P m2)':<28} {lo:12.6g} {hi:12.6g}"])

    def __str__(self) -> str:
        return self.summary()


def _output_fisher(output: str, f: np.ndarray, sigma2: float = 1.0) -> np.ndarray:
    """Output-space Fisher Lambda_n (N, C, C) at outputs (logits) ``f``."""
    N, C = f.shape
    if output == "linear":
        return np.broadcast_to(np.eye(C) / sigma2, (N, C, C))
    if output == "softmax":
        p = special.softmax(f, axis=1)
        return p[:, :, None] * np.eye(C) - p[:, :, None] * p[:, None, :]
    p = special.expit(f)
    return (p * (1.0 - p))[:, :, None] * np.eye(C)


class _LambdaSet:
    """Output Fishers Lambda_n (N, C, C) and what the mean-field statistics need of them.

    ``constant_set(Lam0, N)`` stands for N copies of one matrix without storing them.
    """

    def __init__(self, Lam: np.ndarray):
        self.Lam = Lam
        self.N, self.C = Lam.shape[:2]
        self.tr1 = float(np.einsum("nii->", Lam))
        self.tr2 = float(np.einsum("nij,nji->", Lam, Lam))
        self.S = np.sum(Lam, axis=0)
        self.constant = bool(np.allclose(Lam, Lam[:1]))
        self._eig = self._compressed = None

    @classmethod
    def constant_set(cls, Lam0: np.ndarray, N: int) -> _LambdaSet:
        new = cls(Lam0[None])
        new.N, new.tr1, new.tr2, new.S = N, N * new.tr1, N * new.tr2, N * new.S
        return new

    def eig(self):
        if self._eig is None:
            mu, Q = np.linalg.eigh(self.Lam)
            self._eig = (np.clip(mu, 0.0, None), Q)
        return self._eig

    def compressed(self) -> np.ndarray:
        r"""Eigenvalues (descending) of :math:`\Lambda^{1/2}(H \otimes I)\Lambda^{1/2}`."""
        if self._compressed is None:
            N, C = self.N, self.C
            mu, Q = self.eig()
            V = np.einsum("nij,nj,nkj->nik", Q, np.sqrt(mu), Q).reshape(N * C, C)
            G4 = (-(V @ V.T) / N).reshape(N, C, N, C)  # rows of V: Lambda_n^{1/2}
            diag = np.arange(N)
            G4[diag, :, diag, :] += self.Lam
            G = G4.reshape(N * C, N * C)
            self._compressed = np.linalg.eigvalsh(0.5 * (G + G.T))[::-1]
        return self._compressed


def _top_roots(a: float, b: float, lam: _LambdaSet, k: int) -> np.ndarray:
    r"""The ``k`` largest eigenvalues of :math:`\frac1N(a\Lambda + bVV^T)`, ``b > 0``.

    Roots above the bulk edge :math:`e = \frac aN\max\mu` of
    :math:`\mu_j(M(\lambda)) = 1`, :math:`M(\lambda) = \frac bN\sum_n Q_n
    \operatorname{diag}(\mu_n/(\lambda - a\mu_n/N))Q_n^T` (decreasing in
    :math:`\lambda`); an outlier that does not separate from the bulk is reported at the
    edge.
    """
    N = lam.N
    mu, Q = lam.eig()
    edge = a * float(mu.max()) / N
    hi = edge + b * float(np.linalg.eigvalsh(lam.S)[-1]) / N
    span = max(hi - edge, np.finfo(float).tiny)

    def eig_m(x):
        d = mu / np.maximum(x - a * mu / N, np.finfo(float).tiny)
        Mx = (b / N) * np.einsum("nij,nj,nkj->ik", Q, d, Q)
        return np.linalg.eigvalsh(0.5 * (Mx + Mx.T))[::-1]

    lo = edge + 1e-13 * span
    at_lo = eig_m(lo)
    roots = np.full(k, edge)
    for j in range(min(k, lam.C)):  # loop over the C outliers
        if at_lo[j] > 1.0:
            roots[j] = optimize.brentq(lambda x, j=j: eig_m(x)[j] - 1.0, lo,
                                       hi + 1e-12 * span, xtol=1e-14 * max(hi, 1.0),
                                       rtol=1e-13)
    return roots


def _mean_field_statistics(theta1, theta2, lam: _LambdaSet, P, center, n_out):
    """(m1, m2, lambda_max, outlier_mean) of the mean-field Gram given the Lambda_n."""
    N = lam.N
    a = theta1 - theta2
    b = -a / N if center else theta2
    m1 = (a + b) / N * lam.tr1 / P
    m2 = ((a * a + 2.0 * a * b) * lam.tr2 + b * b * float(np.sum(lam.S * lam.S))) / (N * N) / P
    if lam.constant:  # one output Fisher for all inputs: closed form
        mu = lam.eig()[0][0]
        parts = [(a / N + b) * mu] + ([a / N * mu] if N > 1 else [])
        top = np.sort(np.concatenate(parts))[::-1]
    elif center:  # b = -a/N: a / N times the compressed spectrum
        top = a / N * lam.compressed()
    else:
        top = _top_roots(a, b, lam, n_out)
    return m1, m2, float(top[0]), float(np.mean(top[:max(n_out, 1)]))


def _gp_logits(op: OrderParameters, rng, n_draws: int, N: int, C: int) -> np.ndarray:
    """Logits of ``n_draws`` random networks on ``N`` inputs: g + eps (Gaussian-process limit)."""
    qv = float(op.q1[-1])
    qc = float(np.clip(op.q2[-1], 0.0, qv))
    g = rng.standard_normal((n_draws, 1, C)) * np.sqrt(qc)
    eps = rng.standard_normal((n_draws, N, C)) * np.sqrt(qv - qc)
    return g + eps


def _ensemble(order, output, N, C, center, n_mc, rng) -> list:
    """Output-Fisher sets of ``n_mc`` Gaussian-process draws of the logits (one per network)."""
    draws = _gp_logits(order, rng, n_mc, N, C)
    if center:
        draws = draws - draws.mean(axis=1, keepdims=True)
    return [_LambdaSet(_output_fisher(output, f)) for f in draws]


def _ensemble_statistics(theta1, theta2, P, sets, center, n_out, population):
    """Mean over the draws of the conditional statistics, and their standard errors."""
    vals = np.empty((len(sets), 4))
    for i, lam in enumerate(sets):  # loop over random networks (Monte Carlo draws)
        if population:  # N -> infinity: theta1 E tr Lambda, theta2 Lambda_bar
            Lbar = lam.S / lam.N
            ev = np.linalg.eigvalsh(Lbar)[::-1]
            vals[i] = (theta1 * lam.tr1 / lam.N / P, theta2**2 * float(np.sum(Lbar * Lbar)) / P,
                       theta2 * ev[0], theta2 * float(np.mean(ev[:n_out])))
        else:
            vals[i] = _mean_field_statistics(theta1, theta2, lam, P, center, n_out)
    se = vals.std(axis=0, ddof=1) / np.sqrt(len(sets))
    names = ("m1", "m2", "lambda_max", "outlier_mean")
    return vals.mean(axis=0), {k: float(v) for k, v in zip(names, se, strict=True)}


def predicted_statistics(order: OrderParameters, width: int, n_outputs: int = 1, *,
                         output: str = "linear", n_samples: int | None = None,
                         center: bool = False, logits=None, bias: bool = True,
                         finite_width: bool = True, sigma2: float = 1.0, n_mc: int = 64,
                         rng=0) -> SpectrumStatistics:
    r"""Mean-field prediction of :math:`m_\lambda`, :math:`s_\lambda` and :math:`\lambda_{\max}`.

    Parameters
    ----------
    order : OrderParameters
        From :func:`order_parameters` (activation, variances, depth, width ratios).
    width : int
        ``M``; the layers have ``round(alpha_l M)`` units.
    n_outputs : int, default 1
        ``C`` (classes for softmax, >= 2).
    output : {'linear', 'softmax', 'sigmoid'}
        Gaussian output with variance ``sigma2`` (Karakida et al. 2019a's FIM for
        ``sigma2 = 1``), categorical or Bernoulli outputs.
    n_samples : int, optional
        ``N``, the number of inputs of the empirical-input Fisher; None for the population
        Fisher :math:`E_x` (``N`` to infinity; not with ``center``).
    center : bool, default False
        Mean-subtracted output :math:`f(x) - \frac1N\sum_m f(x_m)` (needs ``n_samples``).
    logits : array_like, shape (N, C), optional
        Softmax/sigmoid: the network outputs at which to evaluate the output Fisher
        (e.g. ``net.forward(theta, X)``): the prediction *conditional* on them. Default:
        the average over ``n_mc`` draws of the Gaussian-process logits
        :math:`g + \varepsilon_n` (module notes), with Monte Carlo standard errors.
    bias : bool, default True
        Whether the layers have biases (only for ``finite_width``).
    finite_width : bool, default True
        Exact parameter count and bias terms (:meth:`OrderParameters.kernel`); False:
        Karakida's leading-order expressions.
    sigma2 : float, default 1
        Noise variance of the linear output (the Fisher scales as 1/sigma2).
    n_mc : int, default 64
        Monte Carlo draws of random logits (softmax/sigmoid without ``logits``).
    rng : int or np.random.Generator, default 0
        For those draws.

    Returns
    -------
    SpectrumStatistics

    Notes
    -----
    Linear output (Karakida et al. 2019a, Theorem 1; finite ``N``: Karakida et al.
    2021): :math:`m_1 = C\theta_1/P`, :math:`m_2 = C(\theta_2^2 +
    (\theta_1^2 - \theta_2^2)/N)/P`, :math:`\lambda_{\max} = \theta_2 + (\theta_1 -
    \theta_2)/N` with :math:`\theta_i = \alpha M\kappa_i` and :math:`P = \alpha M^2` to
    leading order; mean-subtracted: :math:`m_1 = C(1 - 1/N)(\theta_1 - \theta_2)/P`,
    :math:`\lambda_{\max} = (\theta_1 - \theta_2)/N`. Softmax and sigmoid: the
    general formulas of the module notes with the output Fisher :math:`\Lambda_n`
    (:math:`m_1 = \theta_1\overline{\operatorname{tr}\Lambda}/P`; population
    :math:`\lambda_{\max} = \theta_2\lambda_{\max}(E_x\Lambda)`), an assumption-free
    consequence of the same mean-field Gram matrix, conditional on the logits.

    Examples
    --------
    >>> from fisherstat.nn.spectrum import order_parameters, predicted_statistics
    >>> op = order_parameters("tanh", 3.0, 0.64, n_layers=4)
    >>> lin = predicted_statistics(op, 400, 10, n_samples=100, finite_width=False)
    >>> cen = predicted_statistics(op, 400, 10, n_samples=100, finite_width=False, center=True)
    >>> round(lin.lambda_max / cen.lambda_max, 2)      # 1 + N kappa2 / (kappa1 - kappa2)
    21.36
    >>> sm = predicted_statistics(op, 400, 10, output="softmax", n_samples=100, n_mc=8)
    >>> bool(sm.lambda_max < lin.lambda_max / 4)       # Lambda = diag(p) - p p^T is small
    True
    """
    if not isinstance(order, OrderParameters):
        raise TypeError(f"order must be an OrderParameters (from order_parameters), "
                        f"got {type(order).__name__}")
    width = check_int(width, "width", low=1)
    C = check_int(n_outputs, "n_outputs", low=1)
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if output == "softmax" and C < 2:
        raise ValueError(f"output='softmax' needs n_outputs >= 2 classes, got {C}")
    sigma2 = check_scalar(sigma2, "sigma2", low=0)
    n_mc = check_int(n_mc, "n_mc", low=2)
    if logits is not None:
        if output == "linear":
            raise ValueError("logits apply to output='softmax' or 'sigmoid' only")
        logits = as_float_array(logits, "logits", ndim=2)
        if logits.shape[1] != C:
            raise ValueError(f"logits must have shape (N, {C}) (n_outputs columns), "
                             f"got {logits.shape}")
        if n_samples is not None and check_int(n_samples, "n_samples", low=1) != \
                logits.shape[0]:
            raise ValueError(f"n_samples ({n_samples}) must equal the rows of logits "
                             f"({logits.shape[0]})")
        n_samples = logits.shape[0]
    center = check_bool(center, "center")
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", low=1)
    elif center:
        raise ValueError("center=True needs n_samples (the mean over N inputs is subtracted)")
    theta1, theta2, P = order.kernel(width, C, bias=bias, finite_width=finite_width)
    n_out = C - 1 if output == "softmax" else C
    source = "theory" if finite_width else "theory (leading order)"
    common = dict(n_params=P, n_samples=n_samples, n_outputs=C, output=output,
                  center=bool(center), source=source)

    if output == "linear" or logits is not None:
        if output == "linear":
            N = 1 if n_samples is None else n_samples
            lam = _LambdaSet.constant_set(np.eye(C) / sigma2, N)
        else:
            f = logits - logits.mean(axis=0) if center else logits
            lam = _LambdaSet(_output_fisher(output, f))
        if n_samples is None:  # population (linear only): a/N -> 0, C outliers theta2/sigma2
            lam_out = theta2 / sigma2
            return SpectrumStatistics(theta1 * C / sigma2 / P, theta2**2 * C / sigma2**2 / P,
                                      lam_out, lam_out, **common)
        return SpectrumStatistics(*_mean_field_statistics(theta1, theta2, lam, P, center,
                                                          n_out), **common)
    N = 1024 if n_samples is None else n_samples
    sets = _ensemble(order, output, N, C, center, n_mc, check_random_state(rng))
    vals, se = _ensemble_statistics(theta1, theta2, P, sets, center, n_out, n_samples is None)
    return SpectrumStatistics(*map(float, vals), **common, stderr=se)


# ============================================================================ measurement
def _check_net(net):
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fisherstat.nn.MLP, got {type(net).__name__}")


def _ntk(net: MLP, theta, X) -> np.ndarray:
    """Theta = J J^T (N C, N C), summed layer by layer from the back-propagated unit vectors.

    The Gram matrix of the exact Fisher of a unit-noise Gaussian output (the factor
    storage of :func:`fisherstat.nn.fisher`, :meth:`DenseOperator.gram` times N).
    """
    cache = net._forward(theta, X)
    N, C = cache.f.shape
    U = np.ascontiguousarray(np.broadcast_to(np.eye(C), (N, C, C)))
    deltas = net._backward(theta, cache, U)
    acts = [layer._augment(cache.inputs[li]) for li, layer in enumerate(net.layers)]
    return _RowFactorBlock(deltas, acts, net.slices, 1.0).gram()


def _fisher_gram(net: MLP, theta, X, K, center: bool) -> np.ndarray:
    """Gram matrix (N R, N R) of the (optionally mean-subtracted) Fisher from the NTK K."""
    N, C = X.shape[0], net.n_outputs
    K4 = K.reshape(N, C, N, C)
    f = net._forward(theta, X).f
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


def _stats_from_gram(G, P, net, N, center) -> SpectrumStatistics:
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
    X = net._inputs(X)
    center = check_bool(center, "center")
    return _measured(net, theta, X, center)[-1]


@finite_result("theta", "X", what="Fisher spectrum")
def _measured(net, theta, X, center):
    K = _finite_ntk(net, theta, X)
    G = _fisher_gram(net, theta, X, K, center)
    s = _stats_from_gram(G, net.n_weights, net, X.shape[0], center)
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
    return _ntk_eigenvalues(net, theta, net._inputs(X))


@finite_result("theta", "X", what="NTK")
def _ntk_eigenvalues(net, theta, X):
    return np.linalg.eigvalsh(_finite_ntk(net, theta, X))


def _finite_ntk(net, theta, X):
    """:func:`_ntk`, whose entries must be finite (else the eigensolver fails)."""
    K = _ntk(net, theta, X)
    if not np.all(np.isfinite(K)):
        raise overflow_error({"theta": theta, "X": X}, "neural tangent kernel")
    return K


# =========================================================================== width sweep
_STATS = ("m1", "m2", "lambda_max", "outlier_mean", "lambda_max_centered")


@dataclass(frozen=True, eq=False)
class WidthSweep:
    r"""Measured vs predicted spectrum statistics of random networks of growing width.

    Built by :func:`width_sweep`. Measured arrays have shape ``(n_widths, n_networks)``;
    predictions (finite-width bookkeeping, :func:`predicted_statistics`) and Karakida's
    leading order have shape ``(n_widths,)``.

    Attributes
    ----------
    widths : ndarray of int
    n_params : ndarray of int
    order : OrderParameters
    output : str
    n_outputs, n_samples, n_networks, depth : int
    measured : dict
        ``'m1'``, ``'m2'``, ``'lambda_max'``, ``'outlier_mean'`` and
        ``'lambda_max_centered'`` (mean-subtracted output) -> (n_widths, n_networks).
    predicted, leading : dict
        The same keys -> (n_widths,).
    seconds : float
        Wall time of the sweep.

    Examples
    --------
    >>> from fisherstat.nn.spectrum import width_sweep
    >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2, rng=0)
    >>> sw.measured["m1"].shape, sw.predicted["m1"].shape
    ((2, 2), (2,))
    >>> sw.n_params.tolist()                     # MLP([M, M, M, 2])
    [2178, 8450]
    """

    widths: np.ndarray
    n_params: np.ndarray
    order: OrderParameters
    output: str
    n_outputs: int
    n_samples: int
    n_networks: int
    depth: int
    measured: dict
    predicted: dict
    leading: dict
    seconds: float

    def mean(self, name: str) -> np.ndarray:
        """Mean over the networks of a measured statistic, (n_widths,)."""
        return self.measured[self._key(name)].mean(axis=1)

    def stderr(self, name: str) -> np.ndarray:
        """Standard error of that mean over the ``n_networks`` networks (NaN for one)."""
        v = self.measured[self._key(name)]
        if v.shape[1] < 2:
            return np.full(v.shape[0], np.nan)
        return v.std(axis=1, ddof=1) / np.sqrt(v.shape[1])

    def _key(self, name):
        if name not in _STATS:
            raise ValueError(f"name must be one of {_STATS}, got {name!r}")
        return name

    def slopes(self, source: str = "measured") -> dict:
        """Least-squares slopes of log(statistic) on log(width) (theory: -1, 0, 1, 1, 1).

        ``source`` is ``'measured'`` (of the means over networks), ``'predicted'`` or
        ``'leading'``.
        """
        if source not in ("measured", "predicted", "leading"):
            raise ValueError(f"source must be 'measured', 'predicted' or 'leading', "
                             f"got {source!r}")
        x = np.log(self.widths)
        out = {}
        for k in _STATS:
            y = self.mean(k) if source == "measured" else getattr(self, source)[k]
            out[k] = float(np.polyfit(x, np.log(y), 1)[0]) if self.widths.size > 1 \
                else float("nan")
        return out

    def summary(self) -> str:
        """Theory vs measurement, one row per width.

        Examples
        --------
        >>> from fisherstat.nn.spectrum import width_sweep
        >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2)
        >>> print(sw.summary().splitlines()[0][:60])
        Karakida spectrum statistics: tanh, sigma_w^2 = 3, sigma_b^2
        """
        o = self.order
        lines = [
            f"Karakida spectrum statistics: {o.activation}, sigma_w^2 = {o.sigma_w2:g}, "
            f"sigma_b^2 = {o.sigma_b2:g}, depth {self.depth} (L = {o.n_layers}), "
            f"{self.output} output, C = {self.n_outputs}, N = {self.n_samples}, "
            f"{self.n_networks} networks per width ({self.seconds:.1f} s)",
            f"kappa1 = {o.kappa1:.4g}, kappa2 = {o.kappa2:.4g}, alpha = {o.alpha:.4g}; "
            "measured: mean (standard error); theory: finite-width [leading order]",
            f"{'M':>5} {'P':>9} | {'m1 measured':>19} {'theory':>9} | "
            f"{'m2 measured':>17} {'theory':>8} | {'lambda_max meas.':>18} "
            f"{'theory':>8} {'[leading]':>9} | {'outlier mean':>16} {'theory':>8} | "
            f"{'centred max':>16} {'theory':>8}"]
        for i, M in enumerate(self.widths):
            def ms(k, fmt, i=i):
                return f"{self.mean(k)[i]:{fmt}} ({self.stderr(k)[i]:.2g})"
            p, ld = self.predicted, self.leading
            lines.append(
                f"{M:>5d} {self.n_params[i]:>9d} | {ms('m1', '10.4g'):>19} "
                f"{p['m1'][i]:>9.4g} | {ms('m2', '8.4g'):>17} {p['m2'][i]:>8.4g} | "
                f"{ms('lambda_max', '8.4g'):>18} {p['lambda_max'][i]:>8.4g} "
                f"[{ld['lambda_max'][i]:>7.4g}] | {ms('outlier_mean', '7.4g'):>16} "
                f"{p['outlier_mean'][i]:>8.4g} | {ms('lambda_max_centered', '7.4g'):>16} "
                f"{p['lambda_max_centered'][i]:>8.4g}")
        s = self.slopes()
        lines.append("log-log slopes (measured): " + ", ".join(
            f"{k} {v:+.2f}" for k, v in s.items()) + "  (theory: m1 -1, m2 0, others +1)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None):
        """Log-log theory lines and measured points (mean and standard error).

        Solid lines: the finite-width predictions; dotted: Karakida's leading order. The
        mean-subtracted prediction is the mean-field bulk, which the measurement follows
        only for N C << M (module notes). ``ax``: None (a new figure with three panels)
        or a sequence of three Axes. Returns the array of Axes.
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter

        if ax is None:
            _, ax = plt.subplots(1, 3, figsize=(12, 3.6))
        ax = np.asarray(ax, dtype=object).ravel()
        if ax.size != 3:
            raise ValueError(f"ax must be a sequence of 3 Axes, got {ax.size}")
        for a in ax:
            check_axes(a, "ax")
        M = self.widths
        panels = [("m1", [("m1", "C0", r"$m_\lambda$")], r"mean eigenvalue $m_\lambda$"),
                  ("m2", [("m2", "C1", r"$s_\lambda$")], r"second moment $s_\lambda$"),
                  ("lambda_max", [("lambda_max", "C2", r"$\lambda_{\max}$"),
                                  ("lambda_max_centered", "C3",
                                   r"$\lambda_{\max}$, mean-subtracted")],
                   "largest eigenvalue")]
        for a, (_, series, title) in zip(ax, panels, strict=True):
            for key, color, label in series:
                a.plot(M, self.predicted[key], "-", color=color, label=f"theory {label}")
                a.plot(M, self.leading[key], ":", color=color, lw=1)
                a.errorbar(M, self.mean(key), yerr=self.stderr(key), fmt="o", color=color,
                           ms=4, capsize=2, label=f"measured {label}")
            a.set_xscale("log")
            a.set_yscale("log")
            a.set_xticks(M)
            a.set_xticklabels([str(m) for m in M])
            a.xaxis.set_minor_formatter(NullFormatter())
            a.set_xlabel("width M")
            a.set_title(title, fontsize=10)
            a.legend(fontsize=7)
        return ax


def _astuple(s: SpectrumStatistics) -> tuple:
    return s.m1, s.m2, s.lambda_max, s.outlier_mean


def width_sweep(widths: Sequence[int], *, depth: int = 3, activation: str = "tanh",
                sigma_w2: float = 3.0, sigma_b2: float = 0.64, output: str = "linear",
                n_outputs: int = 3, n_samples: int = 100, n_networks: int = 3,
                alphas: Sequence[float] | None = None, n_mc: int = 64,
                rng=None) -> WidthSweep:
    r"""Measure the Fisher spectrum statistics of random networks of growing width.

    For each width ``M`` and each of ``n_networks`` networks: ``MLP([M_0, M_1, ...,
    M_depth, C])`` with ``M_l = round(alpha_l M)`` initialised by
    ``init(rng, sigma_w2, sigma_b2)``, ``N = n_samples`` fresh standard normal inputs,
    and :func:`measured_statistics` with and without mean subtraction; next to
    :func:`predicted_statistics` (finite width, and the leading order).

    Parameters
    ----------
    widths : sequence of int
        Widths ``M >= 2``, increasing.
    depth : int, default 3
        Hidden layers (``L = depth + 1`` affine layers).
    activation, sigma_w2, sigma_b2
        As in :func:`order_parameters`; the defaults (tanh, 3, 0.64) have
        :math:`\kappa_2 > 0`.
    output : {'linear', 'softmax', 'sigmoid'}
    n_outputs, n_samples, n_networks : int
        ``C``, ``N`` and the networks per width.
    alphas : sequence of float, optional
        ``depth + 1`` width ratios of the input and hidden layers (default all 1).
    n_mc : int
        Monte Carlo draws of logits for softmax/sigmoid predictions.
    rng : int or np.random.Generator, optional

    Returns
    -------
    WidthSweep

    Examples
    --------
    >>> from fisherstat.nn.spectrum import width_sweep
    >>> sw = width_sweep([32, 64], depth=2, n_outputs=2, n_samples=8, n_networks=2, rng=0)
    >>> bool(sw.mean("lambda_max")[1] > sw.mean("lambda_max")[0])
    True
    """
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__") or len(widths) == 0:
        raise TypeError(f"widths must be a non-empty sequence of int, got {widths!r}")
    widths = np.array([check_int(w, "widths", low=2) for w in widths])
    if np.any(np.diff(widths) <= 0):
        raise ValueError(f"widths must be strictly increasing, got {widths.tolist()}")
    depth = check_int(depth, "depth", low=1)
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    C = check_int(n_outputs, "n_outputs", low=2 if output == "softmax" else 1)
    N = check_int(n_samples, "n_samples", low=2)
    R = check_int(n_networks, "n_networks", low=1)
    n_mc = check_int(n_mc, "n_mc", low=2)
    rng = check_random_state(rng)
    t0 = time.perf_counter()
    op = order_parameters(activation, sigma_w2, sigma_b2, depth + 1, alphas)
    measured = {k: np.empty((widths.size, R)) for k in _STATS}
    predicted = {k: np.empty(widths.size) for k in _STATS}
    leading = {k: np.empty(widths.size) for k in _STATS}
    n_params = np.empty(widths.size, dtype=int)
    n_out = C - 1 if output == "softmax" else C
    if output != "linear":  # the same logit draws for every width (as predicted_statistics)
        sets = _ensemble(op, output, N, C, False, n_mc, check_random_state(1))
        sets_c = _ensemble(op, output, N, C, True, n_mc, check_random_state(1))
    for i, M in enumerate(widths):  # loop over widths and networks
        sizes = op.widths(int(M), C)
        net = MLP(sizes, activation, output)
        n_params[i] = net.n_weights
        for r in range(R):
            theta = net.init(rng, sigma_w2, sigma_b2)
            X = rng.standard_normal((N, sizes[0]))
            K = _ntk(net, theta, X)
            s = _stats_from_gram(_fisher_gram(net, theta, X, K, False), net.n_weights, net,
                                 N, False)
            c = _fisher_gram(net, theta, X, K, True)
            for k in ("m1", "m2", "lambda_max", "outlier_mean"):
                measured[k][i, r] = getattr(s, k)
            measured["lambda_max_centered"][i, r] = float(np.linalg.eigvalsh(c)[-1])
        for target, fw in ((predicted, True), (leading, False)):
            theta1, theta2, P = op.kernel(int(M), C, finite_width=fw)
            if output == "linear":
                kw = dict(n_samples=N, finite_width=fw)
                p = _astuple(predicted_statistics(op, int(M), C, **kw))
                pc = _astuple(predicted_statistics(op, int(M), C, center=True, **kw))
            else:
                p = _ensemble_statistics(theta1, theta2, P, sets, False, n_out, False)[0]
                pc = _ensemble_statistics(theta1, theta2, P, sets_c, True, n_out, False)[0]
            for j, k in enumerate(("m1", "m2", "lambda_max", "outlier_mean")):
                target[k][i] = p[j]
            target["lambda_max_centered"][i] = pc[2]
    return WidthSweep(widths=widths, n_params=n_params, order=op, output=output,
                      n_outputs=C, n_samples=N, n_networks=R, depth=depth,
                      measured=measured, predicted=predicted, leading=leading,
                      seconds=time.perf_counter() - t0)
