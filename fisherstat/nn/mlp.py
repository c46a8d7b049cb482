r"""The multilayer perceptron as a statistical model, with hand-written derivatives.

Everything here is plain NumPy: the forward pass, back-propagation of one or many output
signals at once, forward-mode tangents (Jacobian-vector products) and the per-sample
gradients and Jacobians, all computed layer by layer. There is no automatic
differentiation; the tests check every derivative against central differences.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_in_interval,
    check_int,
    check_random_state,
    check_scalar,
)
from ..models.base import RegressionModel, Singularity
from ._backprop import Backprop, ForwardPass
from ._checks import finite_result, overflow_error
from ._scoring import N_STARTS, FisherScoring
from .layers import Activation, Affine, get_activation
from .outputs import Bernoulli, Categorical, Gaussian

__all__ = ["MLP", "ForwardPass", "N_STARTS"]

#: Former name of :class:`ForwardPass`.
Cache = ForwardPass

OUTPUTS = ("linear", "softmax", "sigmoid")

class MLP(Backprop, FisherScoring, RegressionModel):
    r"""Fully connected network :math:`f(x; w)` with a Gaussian, categorical or Bernoulli output.

    Parameters
    ----------
    sizes : sequence of int
        Widths ``(d_in, n_1, ..., n_{L-1}, C)``: inputs, hidden layers, outputs.
    activation : str or Activation, default 'tanh'
        Hidden nonlinearity: ``'tanh'``, ``'relu'``, ``'sigmoid'``, ``'erf'``,
        ``'softplus'`` or ``'linear'`` (see :mod:`fisherstat.nn.layers`).
    output : {'linear', 'softmax', 'sigmoid'}
        The likelihood of ``y`` given the output ``f``: Gaussian
        :math:`N(f, \sigma^2 I_C)`, categorical with probabilities
        :math:`\operatorname{softmax}(f)` (``C >= 2``; ``y`` integer labels ``0..C-1``), or
        ``C`` independent Bernoulli variables with probabilities :math:`\sigma(f_c)`
        (``y`` in {0, 1}).
    bias : bool, default True
        Whether every layer has a bias.
    sigma2 : float or None, default 1.0
        Noise variance of the Gaussian output: a fixed value, or ``None`` to estimate it
        (then ``theta`` ends with the parameter ``'sigma2'``). Only for
        ``output='linear'``.

    Notes
    -----
    **The network.** :math:`a_0 = x`, :math:`z_l = W_l a_{l-1} + b_l`,
    :math:`a_l = \phi(z_l)` for the hidden layers and :math:`f = z_L` (no activation on the
    output layer: ``f`` is the natural parameter of the output distribution, i.e. the logits
    for softmax and sigmoid outputs).

    **Parameters** ("unit-major"): layer by layer, the matrix :math:`V_l = [W_l \mid b_l]`
    row by row, i.e. each unit's incoming weights followed by its bias; names
    ``'W1[j,k]'``, ``'b1[j]'``, ... (layers counted from 1). ``n_weights`` counts them;
    ``theta`` has one more entry, ``'sigma2'``, when the noise variance is estimated.
    :meth:`unflatten` and :meth:`flatten` convert to and from ``(W, b)`` pairs.

    **Likelihood and loss.** ``loglik`` is the log-density of one observation:

    .. math::

        \log p(y \mid x) = \begin{cases}
            -\tfrac C2 \log(2\pi\sigma^2) - \|y - f\|^2 / (2\sigma^2) & \text{linear} \\
            f_y - \log\sum_c e^{f_c} & \text{softmax} \\
            \sum_c y_c f_c - \log(1 + e^{f_c}) & \text{sigmoid}
        \end{cases}

    and :meth:`loss` is the *mean* negative log-likelihood over the rows (cross-entropy;
    for the Gaussian with :math:`\sigma^2 = 1`, half the summed squared error plus a
    constant: PyTorch's ``MSELoss()`` is :math:`2/C` times this loss minus the constant, so
    its gradients, Hessians and generalised Gauss-Newton matrices are :math:`2/C` times
    ours).

    **Derivatives** (back-propagation, Rumelhart, Hinton & Williams 1986): with
    :math:`\delta_L = \partial\ell/\partial f` and
    :math:`\delta_l = (\delta_{l+1} W_{l+1}) \odot \phi'(z_l)`, the gradient of layer
    :math:`l` is :math:`\delta_l \bar a_{l-1}^T`. Back-propagating the ``C`` unit
    vectors instead of one residual gives the Jacobian :math:`J = \partial f/\partial w`,
    (N, C, P), row by row :math:`\delta_{l,c} \otimes \bar a_{l-1}` (never by differences);
    :meth:`jvp` pushes a tangent forward (Pearlmutter 1994, "Fast exact multiplication by
    the Hessian", the R-operator).

    **Information.** The information of one observation at ``x`` is
    :math:`M(x) = J^T \Lambda(f) J` for the weights, with :math:`\Lambda` the output-space
    Fisher (:mod:`fisherstat.nn.outputs`), plus :math:`C / (2\sigma^4)` for an estimated
    ``sigma2`` (orthogonal to the weights). The per-point factor is
    :math:`F(x) = J^T L` with :math:`L L^T = \Lambda`. So ``fisherstat.fisher(net, theta,
    x=X)`` is the *sum* over the rows of ``X``; :func:`fisherstat.nn.fisher` returns the
    *mean* (and structured approximations).

    The Hessian of the log-likelihood is the central-difference Jacobian of the analytic
    score (the base-class fallback). ``fit`` minimises the loss by Fisher scoring with
    Levenberg-Marquardt damping (L-BFGS beyond 2000 weights), from ``start`` (the estimate
    then keeps the orientation of ``start``) or else from the best of ``N_STARTS = 5``
    random initialisations, returned in :meth:`canonical` form (the likelihood of a
    network has many equivalent maxima). With an estimated ``sigma2`` it fits the weights
    by least squares and sets :math:`\hat\sigma^2` to the mean squared residual per
    output.

    Examples
    --------
    >>> import numpy as np
    >>> import fisherstat as fs
    >>> from fisherstat.nn import MLP
    >>> net = MLP([2, 3, 1], activation="tanh")
    >>> net.n_params, net.param_names[:4]
    (13, ('W1[0,0]', 'W1[0,1]', 'b1[0]', 'W1[1,0]'))
    >>> theta = net.init(rng=0)
    >>> X = np.random.default_rng(1).standard_normal((5, 2))
    >>> net.forward(theta, X).shape, net.jacobian(theta, X).shape
    ((5, 1), (5, 1, 13))
    >>> info = fs.fisher(net, theta, x=X)            # sum over the 5 rows, Gaussian output
    >>> J = net.jacobian(theta, X)[:, 0, :]
    >>> bool(np.allclose(info.matrix, J.T @ J))      # J^T J / sigma2 with sigma2 = 1
    True
    """

    has_analytic_fisher = True

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation = "tanh",
        output: str = "linear",
        bias: bool = True,
        sigma2: float | None = 1.0,
    ):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a sequence of int widths, got {sizes!r}")
        sizes = tuple(check_int(s, "sizes", low=1) for s in sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least (d_in, C), got {sizes}")
        check_choice(output, "output", OUTPUTS)
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError(f"output='softmax' needs sizes[-1] >= 2 classes, got {sizes[-1]}")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        if output != "linear":
            if sigma2 is None or sigma2 != 1.0:
                raise ValueError(f"sigma2 applies to output='linear' only, got {sigma2!r}")
            sigma2 = 1.0
        elif sigma2 is not None:
            sigma2 = check_scalar(sigma2, "sigma2", low=0)
        self.sizes, self.output, self.bias = sizes, output, bool(bias)
        self.activation = get_activation(activation)
        self.sigma2 = sigma2
        self.estimate_sigma2 = output == "linear" and sigma2 is None
        self.layers = [Affine(a, b, self.bias) for a, b in zip(sizes[:-1], sizes[1:],
                                                                strict=True)]
        offsets = np.cumsum([0] + [layer.n_params for layer in self.layers])
        #: slice of each layer's parameters in ``theta``
        self.slices = [slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:],
                                                             strict=True)]
        self.n_weights = int(offsets[-1])
        names = []
        for li, layer in enumerate(self.layers, start=1):
            for j in range(layer.n_out):
                names += [f"W{li}[{j},{k}]" for k in range(layer.n_in)]
                if self.bias:
                    names.append(f"b{li}[{j}]")
        bounds = [(-np.inf, np.inf)] * self.n_weights
        if self.estimate_sigma2:
            names.append("sigma2")
            bounds.append((0.0, np.inf))
        super().__init__(names, bounds)

    # ------------------------------------------------------------------ basics
    @property
    def n_inputs(self) -> int:
        """Input dimension ``d_in``."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """Output dimension ``C`` (classes for softmax)."""
        return self.sizes[-1]

    @property
    def n_layers(self) -> int:
        """Number of affine layers ``L``."""
        return len(self.layers)

    def __repr__(self) -> str:
        s2 = "" if self.output != "linear" else f", sigma2={self.sigma2!r}"
        return (f"MLP(sizes={self.sizes}, activation={self.activation.name!r}, "
                f"output={self.output!r}, bias={self.bias}{s2})")

    def validate(self, theta, name: str = "theta") -> np.ndarray:
        """Check ``theta`` (vectorised: only ``sigma2``, if estimated, is bounded).

        ``name`` is the argument's name in the messages (for callers with parameters
        called e.g. ``theta0``).
        """
        return self._validate(theta, name)

    def _validate(self, theta, name: str) -> np.ndarray:
        """:meth:`validate` with the argument's own name in the messages."""
        theta = as_float_array(theta, name, ndim=1)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"{name} must have length {self.n_params} (n_weights = {self.n_weights}"
                f"{' + sigma2' if self.estimate_sigma2 else ''}), got {theta.size}"
            )
        if self.estimate_sigma2:
            check_in_interval(theta[-1:], name, low=0, labels=["sigma2"])
        return theta

    def _check_x(self, x, name: str = "x"):
        if x.ndim == 1 and self.n_inputs == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"{name} must have shape (n, {self.n_inputs}) (one column per input; a 1-D "
                f"{name} only when d_in = 1), got {x.shape}"
            )
        return x

    def check_inputs(self, X, name: str = "x") -> np.ndarray:
        """Check inputs ``X`` (N, d_in) (a 1-D ``X`` when ``d_in = 1``) named ``name``.

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> MLP([1, 2]).check_inputs([0.5, 1.0]).shape
        (2, 1)
        """
        return self._inputs(X, name)

    def check_labelled(self, y, X, yname: str = "data", xname: str = "x"):
        """Check responses and inputs together: ``(y, X)`` in internal form (see
        :meth:`check_y`), the messages naming ``yname`` and ``xname``.

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> y, X = MLP([1, 2], output="softmax").check_labelled([0, 1], [[0.5], [1.0]])
        >>> y, X.shape
        (array([0, 1]), (2, 1))
        """
        return self._labelled(y, X, yname, xname)

    def _inputs(self, X, name: str = "x") -> np.ndarray:
        """Check inputs ``X`` (N, d_in) under the argument's own name."""
        if X is None:
            raise TypeError(f"{name} must be an array of inputs of shape (n, {self.n_inputs}), "
                            "got None")
        return self._check_x(as_float_array(X, name, ndim=(1, 2)), name)

    def _labelled(self, y, X, yname: str = "data", xname: str = "x"):
        """Check responses and inputs of the public methods: ``(y, X)`` in internal form."""
        X = self._inputs(X, xname)
        return self._check_y(y, X.shape[0], yname, xname), X

    def _forward_checked(self, theta, X, xname: str = "X") -> Cache:
        """Forward pass whose output must be finite (else a ValueError naming the inputs)."""
        with np.errstate(over="ignore", invalid="ignore"):
            cache = self._forward(theta, X)
        if not np.all(np.isfinite(cache.f)):
            raise overflow_error({"theta": theta, xname: X}, "network output")
        return cache

    def check_y(self, data, n: int | None = None) -> np.ndarray:
        """Validate responses: real (n, C) for 'linear', labels 0..C-1 for 'softmax',
        0/1 (n, C) for 'sigmoid'; ``(n,)`` is accepted when ``C = 1``.

        Returns the internal form: (n, C) float, or (n,) int labels for softmax.

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> MLP([2, 3], output="softmax").check_y([0, 2, 1])
        array([0, 2, 1])
        >>> MLP([2, 3], output="softmax").check_y([0, 3])
        Traceback (most recent call last):
        ...
        ValueError: data: entry 1 must be in [0, 2], got 3.0
        """
        if n is not None:
            n = check_int(n, "n", low=0)
        return self._check_y(data, n, "data", "x")

    def _check_y(self, data, n, name: str, xname: str) -> np.ndarray:
        """:meth:`check_y` with the arguments' own names in the messages."""
        C = self.n_outputs
        y = as_float_array(data, name, ndim=(1, 2))
        if n is not None and y.shape[0] != n:
            raise ValueError(
                f"{name} and {xname} must have the same number of rows, got {y.shape[0]} and "
                f"{n}"
            )
        if self.output == "softmax":
            if y.ndim != 1:
                raise ValueError(f"{name} must be integer labels of shape (n,), got {y.shape}")
            check_in_interval(y, name, low=0, high=C - 1, low_open=False, high_open=False)
            if np.any(y != np.round(y)):
                i = int(np.flatnonzero(y != np.round(y))[0])
                raise ValueError(f"{name} must be integer class labels; entry {i} is {y[i]!r}")
            return y.astype(np.intp)
        if y.ndim == 1:
            if C != 1:
                raise ValueError(f"{name} must have shape (n, {C}), got {y.shape}")
            y = y[:, None]
        if y.shape[1] != C:
            raise ValueError(f"{name} must have shape (n, {C}), got {y.shape}")
        if self.output == "sigmoid" and np.any((y != 0) & (y != 1)):
            raise ValueError(f"{name} must be 0 or 1 for output='sigmoid'")
        return y

    def check_data(self, data, x=None):
        y = self.check_y(data)
        x = self.check_x(x)
        if y.shape[0] != x.shape[0]:
            raise ValueError(
                f"data and x must have the same number of rows, got {y.shape[0]} and "
                f"{x.shape[0]}")
        return y, x

    def _out(self, theta):
        """The output distribution unit (with the current noise variance)."""
        if self.output == "softmax":
            return Categorical()
        if self.output == "sigmoid":
            return Bernoulli()
        return Gaussian(theta[-1] if self.estimate_sigma2 else self.sigma2)

    # ------------------------------------------------------- parameters
    def _matrices(self, theta) -> list:
        """The layer matrices ``V_l = [W_l | b_l]`` as views of ``theta``."""
        return [theta[s].reshape(layer.shape) for s, layer in zip(self.slices, self.layers,
                                                                  strict=True)]

    def unflatten(self, theta) -> list:
        """Layer parameters ``[(W_1, b_1), ..., (W_L, b_L)]`` (copies; ``b`` None without bias).

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 1])
        >>> [(W.shape, b.shape) for W, b in net.unflatten(net.init(rng=0))]
        [((3, 2), (3,)), ((1, 3), (1,))]
        """
        theta = self.validate(theta)
        out = []
        for V, layer in zip(self._matrices(theta), self.layers, strict=True):
            W, b = layer._split(V)
            out.append((W.copy(), None if b is None else b.copy()))
        return out

    def flatten(self, weights, sigma2: float | None = None) -> np.ndarray:
        """Inverse of :meth:`unflatten`: ``theta`` from ``[(W_1, b_1), ...]``.

        ``sigma2`` is required (and only allowed) when the noise variance is estimated.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 1])
        >>> theta = net.init(rng=0)
        >>> bool(np.array_equal(net.flatten(net.unflatten(theta)), theta))
        True
        """
        if isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
            raise TypeError(f"weights must be a sequence of {self.n_layers} (W, b) pairs, got "
                            f"{type(weights).__name__}")
        weights = list(weights)
        if len(weights) != self.n_layers:
            raise ValueError(
                f"weights must have {self.n_layers} (W, b) pairs, got {len(weights)}")
        parts = []
        for li, (pair, layer) in enumerate(zip(weights, self.layers, strict=True), start=1):
            try:
                W, b = pair
            except (TypeError, ValueError):
                raise TypeError(f"weights[{li - 1}] must be a pair (W{li}, b{li}), got "
                                f"{type(pair).__name__}") from None
            W = as_float_array(W, f"W{li}", shape=(layer.n_out, layer.n_in))
            if self.bias:
                b = as_float_array(b, f"b{li}", shape=(layer.n_out,))
                W = np.column_stack([W, b])
            elif b is not None:
                raise ValueError(f"b{li} must be None for a network without bias")
            parts.append(W.ravel())
        if self.estimate_sigma2:
            parts.append([check_scalar(sigma2, "sigma2", low=0)])
        elif sigma2 is not None:
            raise ValueError("sigma2 is only a parameter when MLP(..., sigma2=None)")
        return np.concatenate(parts)

    def init(self, rng=None, sigma_w2: float = 1.0, sigma_b2: float = 0.0) -> np.ndarray:
        r"""Random weights :math:`N(0, \sigma_w^2/n_{in})` and biases :math:`N(0, \sigma_b^2)`.

        The mean-field (LeCun) convention of Poole et al. (2016) and Karakida,
        Akaho & Amari (2019): the variance of a pre-activation stays of order one as the
        width grows. An estimated ``sigma2`` starts at 1.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([400, 400, 1])
        >>> W1 = net.unflatten(net.init(rng=0, sigma_w2=2.0))[0][0]
        >>> round(float(W1.var() * 400), 1)
        2.0
        """
        rng = check_random_state(rng)
        sw = check_scalar(sigma_w2, "sigma_w2", low=0, low_open=False)
        sb = check_scalar(sigma_b2, "sigma_b2", low=0, low_open=False)
        parts = []
        for layer in self.layers:
            V = np.empty(layer.shape)
            V[:, : layer.n_in] = rng.standard_normal((layer.n_out, layer.n_in)) * np.sqrt(
                sw / layer.n_in)
            if self.bias:
                V[:, layer.n_in] = rng.standard_normal(layer.n_out) * np.sqrt(sb)
            parts.append(V.ravel())
        if self.estimate_sigma2:
            parts.append([1.0])
        return np.concatenate(parts)

    def _weight_loss_grad(self, theta, X, y, out=None):
        """Mean NLL, its gradient in the weights, and the residual (internal, no checks)."""
        cache = self._forward(theta, X)
        out = self._out(theta) if out is None else out
        N = X.shape[0]
        loss = -np.mean(out.loglik(cache.f, y))
        r = out.residual(cache.f, y) / N
        g = self._gradient(cache, self._backward(theta, cache, r))
        return loss, g, cache

    def _sigma2_score(self, theta, f, y):
        """Per-row score of an estimated sigma2: ``-C/(2 s2) + ||y - f||^2 / (2 s2^2)``."""
        s2 = theta[-1]
        r = y - f
        return -0.5 * f.shape[1] / s2 + 0.5 * np.sum(r * r, axis=1) / s2**2

    # ----------------------------------------------------------- public API
    def forward(self, theta, X) -> np.ndarray:
        """Network output ``f`` (N, C): the mean (linear) or the logits (softmax, sigmoid).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 1], activation="linear")        # f = w . x + b
        >>> net.forward([1.0, -1.0, 0.5], np.array([[2.0, 1.0]]))
        array([[1.5]])
        """
        theta = self.validate(theta)
        return self._forward_checked(theta, self._inputs(X)).f

    def predict(self, theta, X) -> np.ndarray:
        """``E[y | x]``: the mean, the class probabilities (N, C) or the success probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 4, 3], output="softmax")
        >>> P = net.predict(net.init(rng=0), np.ones((2, 2)))
        >>> np.allclose(P.sum(axis=1), 1.0)
        True
        """
        theta = self.validate(theta)
        return self._out(theta).mean(self._forward_checked(theta, self._inputs(X)).f)

    @finite_result("theta", "X", "y", what="loss")
    def loss(self, theta, X, y) -> float:
        """Mean negative log-likelihood (cross-entropy; Gaussian NLL) over the rows.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 2], output="softmax")
        >>> theta = np.zeros(net.n_params)                 # uniform probabilities
        >>> round(net.loss(theta, np.ones((3, 1)), [0, 1, 1]), 6)   # log 2
        0.693147
        """
        theta = self.validate(theta)
        y, X = self._labelled(y, X)
        return float(-np.mean(self._loglik(theta, y, X)))

    @finite_result("theta", "X", "y", what="loss or gradient")
    def loss_and_grad(self, theta, X, y) -> tuple[float, np.ndarray]:
        """:meth:`loss` and its gradient (n_params,) from one forward and backward pass.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 2, 1])
        >>> theta = net.init(rng=0)
        >>> X, y = np.array([[0.5], [-1.0]]), np.array([1.0, 0.0])
        >>> loss, g = net.loss_and_grad(theta, X, y)
        >>> g.shape
        (7,)
        """
        theta = self.validate(theta)
        y, X = self._labelled(y, X)
        loss, g, cache = self._weight_loss_grad(theta, X, y)
        if self.estimate_sigma2:
            g = np.append(g, -np.mean(self._sigma2_score(theta, cache.f, y)))
        return float(loss), g

    def grad(self, theta, X, y) -> np.ndarray:
        """Gradient of :meth:`loss` (the mean), shape (n_params,).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 1], activation="linear")          # loss = mean (y - w x - b)^2 / 2
        >>> net.grad([0.0, 0.0], np.array([[1.0], [3.0]]), [1.0, 1.0])   # -mean(r x), -mean(r)
        array([-2., -1.])
        """
        return self.loss_and_grad(theta, X, y)[1]

    def per_sample_grad(self, theta, X, y) -> np.ndarray:
        """Gradients of each row's negative log-likelihood, (N, n_params) (= -score).

        Their mean is :meth:`grad`. One backward pass for all rows.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 1], activation="linear")
        >>> net.per_sample_grad([0.0, 0.0], np.array([[1.0], [3.0]]), [1.0, 1.0])
        array([[-1., -1.],
               [-3., -1.]])
        """
        theta = self.validate(theta)
        y, X = self._labelled(y, X)
        return self._per_sample_grad(theta, X, y)

    @finite_result("theta", "X", "y", what="per-sample gradients")
    def _per_sample_grad(self, theta, X, y):
        return -self._score(theta, y, X)

    def jacobian(self, theta, X) -> np.ndarray:
        r"""Per-sample Jacobian :math:`\partial f_c(x_n) / \partial w_p`, shape (N, C, n_weights).

        Computed layer-wise from one backward pass of the ``C`` unit vectors (never by
        finite differences).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 1], activation="linear")
        >>> net.jacobian([1.0, -1.0, 0.5], np.array([[2.0, 3.0]]))   # d f / d (w1, w2, b)
        array([[[2., 3., 1.]]])
        """
        theta = self.validate(theta)
        return self._jacobian(theta, self._inputs(X))

    @finite_result("theta", "X", what="Jacobian")
    def _jacobian(self, theta, X):
        cache = self._forward(theta, X)
        N, C = cache.f.shape
        U = np.broadcast_to(np.eye(C), (N, C, C))
        return self._rows(cache, self._backward(theta, cache, U))

    def jvp(self, theta, X, v) -> np.ndarray:
        """Jacobian-vector product ``J v``, (N, C), by forward mode (``v``: n_weights,).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2])
        >>> t, X, v = net.init(rng=0), np.ones((4, 2)), np.arange(net.n_weights) / 10
        >>> bool(np.allclose(net.jvp(t, X, v), net.jacobian(t, X) @ v))
        True
        """
        theta = self.validate(theta)
        v = as_float_array(v, "v", shape=(self.n_weights,))
        return self._jvp(theta, self._inputs(X), v)

    @finite_result("theta", "X", "v", what="Jacobian-vector product")
    def _jvp(self, theta, X, v):
        return self._tangent(theta, self._forward(theta, X), v)

    def vjp(self, theta, X, u) -> np.ndarray:
        """Vector-Jacobian product ``sum_n J_n^T u_n``, (n_weights,), by back-propagation.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2])
        >>> t, X, u = net.init(rng=0), np.ones((4, 2)), np.ones((4, 2))
        >>> bool(np.allclose(net.vjp(t, X, u), np.einsum("ncp,nc->p", net.jacobian(t, X), u)))
        True
        """
        theta = self.validate(theta)
        X = self._inputs(X)
        u = as_float_array(u, "u", shape=(X.shape[0], self.n_outputs))
        return self._vjp(theta, X, u)

    @finite_result("theta", "X", "u", what="vector-Jacobian product")
    def _vjp(self, theta, X, u):
        cache = self._forward(theta, X)
        return self._gradient(cache, self._backward(theta, cache, u))

    def kl_divergence(self, theta, theta2, X) -> np.ndarray:
        r"""Per-row :math:`\mathrm{KL}(p_\theta(\cdot|x_n) \,\|\, p_{\theta_2}(\cdot|x_n))`, (N,).

        Closed forms for the three outputs; with an estimated ``sigma2``, the Gaussian KL of
        two variances. Near ``theta``, ``2 KL`` approaches :math:`d^T M(x) d`.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2], output="softmax")
        >>> t = net.init(rng=0)
        >>> float(net.kl_divergence(t, t, np.ones((1, 2)))[0])
        0.0
        """
        theta, theta2 = self.validate(theta), self._validate(theta2, "theta2")
        return self._kl(theta, theta2, self._inputs(X))

    @finite_result("theta", "theta2", "X", what="KL divergence")
    def _kl(self, theta, theta2, X):
        f1, f2 = self._forward(theta, X).f, self._forward(theta2, X).f
        if not self.estimate_sigma2:
            return self._out(theta).kl(f1, f2)
        s1, s2 = theta[-1], theta2[-1]
        C = f1.shape[1]
        d = f1 - f2
        return 0.5 * (C * (s1 / s2 - 1.0 - np.log(s1 / s2)) + np.sum(d * d, axis=1) / s2)

    def accuracy(self, theta, X, y) -> float:
        """Fraction of correct predictions (argmax for softmax, p > 1/2 for sigmoid).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 1], activation="linear", output="sigmoid")   # p = sigmoid(w x + b)
        >>> net.accuracy([1.0, 0.0], np.array([[-1.0], [2.0], [3.0]]), [0, 1, 0])
        0.6666666666666666
        """
        if self.output == "linear":
            raise ValueError("accuracy needs output='softmax' or 'sigmoid'")
        theta = self.validate(theta)
        y, X = self._labelled(y, X)
        self._forward_checked(theta, X)
        return self._accuracy(theta, X, y)

    def _accuracy(self, theta, X, y) -> float:
        f = self._forward(theta, X).f
        if self.output == "softmax":
            return float(np.mean(np.argmax(f, axis=1) == y))
        return float(np.mean((f > 0) == (y > 0.5)))

    # ------------------------------------------------------------ Model hooks
    def _loglik(self, theta, data, x):
        out = self._out(theta)
        return out.loglik(self._forward(theta, x).f, data)

    def _score(self, theta, data, x):
        cache = self._forward(theta, x)
        r = -self._out(theta).residual(cache.f, data)
        S = self._rows(cache, self._backward(theta, cache, r[:, None, :]))[:, 0, :]
        if self.estimate_sigma2:
            S = np.column_stack([S, self._sigma2_score(theta, cache.f, data)])
        return S

    def _point_factor(self, theta, x):
        cache = self._forward(theta, x)
        L = self._out(theta).factor(cache.f)  # (N, C, r)
        U = np.ascontiguousarray(np.swapaxes(L, 1, 2))  # rows L^T: (N, r, C)
        B = self._rows(cache, self._backward(theta, cache, U))  # (N, r, P)
        F = np.swapaxes(B, 1, 2)
        if self.estimate_sigma2:
            N, P, r = F.shape
            G = np.zeros((N, P + 1, r + 1))
            G[:, :P, :r] = F
            G[:, P, r] = np.sqrt(0.5 * self.n_outputs) / theta[-1]
            return G
        return F

    def _sample(self, theta, n, rng, x):
        y = self._out(theta).sample(self._forward(theta, x).f, rng)
        if self.output != "softmax" and self.n_outputs == 1:
            return y[:, 0]
        return y.astype(float) if self.output == "softmax" else y

    def _example_theta(self):
        """A draw of ``init(sigma_w2=4, sigma_b2=1)`` (units in their nonlinear range).

        Small networks are easily nearly unidentified (a unit with tiny incoming weights
        is almost linear or constant); for ``n_weights <= 200`` the example is the best
        identified of ten fixed seeds: the smallest condition number of the
        correlation-scaled information at :meth:`example_x`; in :meth:`canonical` form.
        """
        best = None
        for seed in range(10 if self.n_weights <= 200 else 1):
            theta = self.init(rng=seed, sigma_w2=4.0, sigma_b2=1.0)
            if self.estimate_sigma2:
                theta[-1] = 0.25
            if self.n_weights > 200:
                return self.canonical(theta)
            F = self._point_factor(theta, self._check_x(np.asarray(self._example_x())))
            G = np.moveaxis(F, 1, 0).reshape(F.shape[1], -1)
            d = np.sqrt(np.sum(G * G, axis=1))
            cond = np.linalg.cond(G / np.where(d > 0, d, 1.0)[:, None]) ** 2
            if best is None or cond < best[0]:
                best = (cond, theta)
        return self.canonical(best[1])

    def _example_x(self):
        if self.n_inputs == 1:
            return np.linspace(-2.0, 2.0, 20)[:, None]
        return np.random.default_rng(0).standard_normal((20, self.n_inputs))

    def canonical(self, theta) -> np.ndarray:
        r"""The representative of ``theta`` that fixes the network's symmetries.

        Permuting the units of a hidden layer (with their outgoing weights) and, for odd
        activations, negating a unit's incoming and outgoing weights leave the function
        unchanged (Chen, Lu & Hecht-Nielsen 1993, "On the geometry of feedforward neural
        network error surfaces", Neural Computation 5): the likelihood has
        :math:`\prod_l n_l!\,2^{n_l}` equivalent maxima. The representative has, layer by
        layer from the input, non-negative biases (odd activations; the first incoming
        weight without bias) and units sorted by increasing bias (first weight).
        :meth:`fit` without ``start`` returns it, and :meth:`example_theta` is one.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 2, 1])
        >>> theta = net.flatten([([[1.0], [2.0]], [0.5, -0.3]), ([[1.5, -1.0]], [0.0])])
        >>> c = net.canonical(theta)
        >>> net.unflatten(c)[0]
        (array([[-2.],
               [ 1.]]), array([0.3, 0.5]))
        >>> X = np.linspace(-2, 2, 5)[:, None]
        >>> bool(np.allclose(net.forward(c, X), net.forward(theta, X)))
        True
        """
        theta = self.validate(theta).copy()
        Vs = self._matrices(theta)  # views of the copy
        for li in range(self.n_layers - 1):
            V, nxt = Vs[li], self.layers[li + 1]
            W_next = Vs[li + 1][:, : nxt.n_in]
            key = V[:, -1] if self.bias else V[:, 0]
            if self.activation.odd:
                flip = key < 0
                V[flip] *= -1.0
                W_next[:, flip] *= -1.0
            order = np.argsort(V[:, -1] if self.bias else V[:, 0], kind="stable")
            V[...] = V[order]
            W_next[...] = W_next[:, order]
        return theta

    def singularities(self, theta) -> list[Singularity]:
        r"""Named singular sets of the network near ``theta``.

        * ``'logit shift'`` (softmax only, always on it): adding one vector to every row
          of :math:`V_L` leaves the probabilities unchanged; rank drop ``n_{L-1} + bias``.
        * ``'eliminated unit'`` (per hidden layer): a unit whose outgoing weights vanish;
          its incoming weights are then not identified. Distance: the smallest norm of a
          column of :math:`W_{l+1}`; rank drop ``n_{l-1} + bias`` (Fukumizu & Amari 2000,
          *Neural Networks* 13, 317-327).
        * ``'overlapping units'`` (per hidden layer with >= 2 units): two units with equal
          incoming weights (or opposite, for odd activations) act as one; distance: the
          smallest :math:`\min(\|v_j - v_k\|, \|v_j + v_k\|)` over pairs of rows of
          :math:`V_l`. Rank drop: the ``n_{l+1}`` differences of their outgoing weights
          (one fewer beyond the logit shift of a softmax output layer), plus
          ``n_{l-1} + bias`` incoming directions when ``n_{l+1} = 1`` (Fukumizu & Amari
          2000; Amari, Park & Ozeki 2006, *Neural Computation* 18, 1007-1065).

        Rank drops are counted from the generic rank of the weights' information.

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> net = MLP([1, 2, 1])
        >>> theta = net.flatten([([[1.0], [2.0]], [0.0, 0.0]), ([[0.5, 0.0]], [0.0])])
        >>> [(s.name, s.distance) for s in net.singularities(theta)][0]
        ('eliminated unit', 0.0)
        """
        theta = self.validate(theta)
        Vs = self._matrices(theta)
        found = []
        for li in range(self.n_layers - 1):
            layer, nxt = self.layers[li], self.layers[li + 1]
            W_next = nxt._split(Vs[li + 1])[0]
            dist = float(np.min(np.linalg.norm(W_next, axis=0)))
            found.append(Singularity(
                "eliminated unit", f"hidden layer {li + 1}: a unit with zero outgoing weights "
                "leaves its incoming weights unidentified", dist, layer.n_cols))
            if layer.n_out >= 2:
                V = Vs[li]
                G = V @ V.T
                sq = np.diag(G)
                iu = np.triu_indices(layer.n_out, 1)
                cross = np.abs(G[iu]) if self.activation.odd else G[iu]
                d = np.sqrt(np.clip(sq[iu[0]] + sq[iu[1]] - 2.0 * cross, 0.0, None))
                # an outgoing difference along (1, ..., 1) is already a logit shift
                shift = int(self.output == "softmax" and li + 2 == self.n_layers)
                drop = nxt.n_out - shift + (layer.n_cols if nxt.n_out == 1 else 0)
                found.append(Singularity(
                    "overlapping units", f"hidden layer {li + 1}: two units with equal (or, "
                    "for odd activations, opposite) incoming weights act as one",
                    float(d.min()), drop))
        if self.output == "softmax":
            found.append(Singularity(
                "logit shift", "adding a vector to every row of the last layer leaves the "
                "softmax unchanged (the information is always singular)", 0.0,
                self.layers[-1].n_cols))
        return found
