r"""Mean-field theory of the Fisher spectrum of wide random networks (Karakida, Akaho &
Amari 2019): order parameters and the predicted spectrum statistics.

The measurement side (the Gram route on real networks), the notation and the derivation
are in :mod:`fisherstat.nn.spectrum`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import optimize, special

from .._validation import as_float_array, check_choice, check_int, check_random_state, check_scalar
from ._checks import check_bool
from .layers import Activation, get_activation

__all__ = ["OUTPUTS", "MAX_QUAD", "OrderParameters", "order_parameters", "SpectrumStatistics",
           "predicted_statistics", "ensemble", "ensemble_statistics"]

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
        :math:`\lambda_{\max}` (a lower bound for the theory of a mean-subtracted output:
        ``is_lower_bound``).
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
    def is_lower_bound(self) -> bool:
        r"""Whether ``lambda_max`` and ``outlier_mean`` are lower bounds, not predictions.

        True for the mean-field theory of the mean-subtracted output (``center`` and a
        ``'theory'`` source): it gives the largest eigenvalues of the expected Gram matrix
        :math:`E G`, where all :math:`(N - 1)C` centred eigenvalues coincide at
        :math:`(\theta_1 - \theta_2)/N` (linear output). :math:`\lambda_{\max}` and the
        sum of the :math:`k` largest eigenvalues are convex functions of a symmetric
        matrix (Ky Fan 1949), so by Jensen's inequality :math:`E\lambda_{\max}(G) \ge
        \lambda_{\max}(E G)` (with the mean-field approximation of :math:`E G`): the
        fluctuations of the Gram entries spread the degenerate bulk and raise its top at
        first order in their size (1.7-6.6 times the bound in the documented sweep, widths
        800 down to 50). For the linear output the bound is also the mean of the non-zero
        centred eigenvalues, a trace, which the measurement matches (tested). Without
        centring the outliers are isolated and the same inequality costs only a
        second-order bias.
        """
        return self.center and self.source.startswith("theory")

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
            s = f"  {name:<34} {value:12.6g}"
            return s + (f"  (MC SE {se[key]:.2g})" if key in se else "")

        lo, hi = self.lambda_max_bounds
        bound = " (lower bound)" if self.is_lower_bound else ""
        lines = [
            head, row("mean eigenvalue m1", "m1", self.m1),
            row("second moment m2", "m2", self.m2),
            row(f"largest eigenvalue{bound}", "lambda_max", self.lambda_max),
            row(f"mean of {self.n_outliers} largest{bound}", "outlier_mean", self.outlier_mean),
            f"  {'bounds m2/m1, sqrt(P m2)':<34} {lo:12.6g} {hi:12.6g}"]
        if bound:
            lines += ["  (lower bound: the top of the mean-field Gram matrix E G, where the "
                      "centred bulk is",
                      "  degenerate; E lambda_max(G) >= lambda_max(E G) by Jensen, and the "
                      "spread of the bulk",
                      "  is not modelled: see SpectrumStatistics.is_lower_bound)"]
        return "\n".join(lines)

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


def ensemble(order, output, N, C, center, n_mc, rng) -> list:
    """Output-Fisher sets of ``n_mc`` Gaussian-process draws of the logits (one per network)."""
    draws = _gp_logits(order, rng, n_mc, N, C)
    if center:
        draws = draws - draws.mean(axis=1, keepdims=True)
    return [_LambdaSet(_output_fisher(output, f)) for f in draws]


def ensemble_statistics(theta1, theta2, P, sets, center, n_out, population):
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
                         rng=None) -> SpectrumStatistics:
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
    rng : int, np.random.Generator or None, default None
        For those draws (None: fresh entropy, as NumPy; pass a seed to reproduce them).

    Returns
    -------
    SpectrumStatistics

    Notes
    -----
    Linear output (Karakida et al. 2019a, Theorem 1; finite ``N``: Karakida et al.
    2021): :math:`m_1 = C\theta_1/P`, :math:`m_2 = C(\theta_2^2 +
    (\theta_1^2 - \theta_2^2)/N)/P`, :math:`\lambda_{\max} = \theta_2 + (\theta_1 -
    \theta_2)/N` with :math:`\theta_i = \alpha M\kappa_i` and :math:`P = \alpha M^2` to
    leading order; mean-subtracted: :math:`m_1 = C(1 - 1/N)(\theta_1 - \theta_2)/P`
    and :math:`\lambda_{\max} = (\theta_1 - \theta_2)/N`, the mean of the non-zero
    centred eigenvalues and only a **lower bound** of the largest
    (:attr:`SpectrumStatistics.is_lower_bound`). Softmax and sigmoid: the
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
    check_choice(output, "output", OUTPUTS)
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
    sets = ensemble(order, output, N, C, center, n_mc, check_random_state(rng))
    vals, se = ensemble_statistics(theta1, theta2, P, sets, center, n_out, n_samples is None)
    return SpectrumStatistics(*map(float, vals), **common, stderr=se)


# ============================================================================ measurement
