r"""The forward and backward passes of :class:`~fisherstat.nn.MLP` (its low-level API).

:class:`Backprop` holds the passes of the network (a mixin of :class:`~fisherstat.nn.MLP`,
which supplies the layers, the activation and the parameter layout): the private
unchecked kernels ``_forward``/``_backward``/``_tangent``/``_gradient``/``_rows`` and the
public, documented API built on them -- :meth:`~fisherstat.nn.MLP.forward_pass`,
:meth:`~fisherstat.nn.MLP.backward_pass`, :meth:`~fisherstat.nn.MLP.tangent`,
:meth:`~fisherstat.nn.MLP.weight_gradient`, :meth:`~fisherstat.nn.MLP.signal_gradients`,
:meth:`~fisherstat.nn.MLP.layer_inputs`, :meth:`~fisherstat.nn.MLP.output_distribution` --
that every other module of ``fisherstat.nn`` uses.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import as_float_array

__all__ = ["ForwardPass", "Backprop", "float_array"]


class ForwardPass(NamedTuple):
    r"""The forward pass of an :class:`MLP`: what back-propagation and tangents need.

    Returned by :meth:`MLP.forward_pass`; the other methods of the low-level API
    (:meth:`MLP.backward_pass`, :meth:`MLP.tangent`, :meth:`MLP.weight_gradient`,
    :meth:`MLP.signal_gradients`, :meth:`MLP.layer_inputs`) take it instead of ``theta``
    and ``X``.

    Attributes
    ----------
    inputs : list of ndarray
        ``inputs[l]`` is the input :math:`a_{l}` of layer ``l + 1`` (``inputs[0] = X``),
        (N, n_l).
    pre : list of ndarray
        ``pre[l]`` is the pre-activation :math:`z_{l+1}` of hidden layer ``l + 1``.
    f : ndarray, shape (N, C)
        The network output (the natural parameter of the output distribution).
    theta : ndarray
        The (validated) parameters of the pass.
    """

    inputs: list
    pre: list
    f: np.ndarray
    theta: np.ndarray


#: Former name of :class:`ForwardPass`.
Cache = ForwardPass


def float_array(a, name: str) -> np.ndarray:
    """``a`` as float64 without a copy or a finiteness check (signals of the low-level API
    may overflow: their callers check what they compute)."""
    if isinstance(a, np.ndarray) and a.dtype == np.float64:
        return a
    return as_float_array(a, name, finite=False)


class Backprop:
    """Forward pass, back-propagation and tangents of an :class:`~fisherstat.nn.MLP`."""

    # ------------------------------------------------------- forward / backward
    def _forward(self, theta, X) -> ForwardPass:
        """Forward pass storing what back-propagation needs."""
        inputs, pre = [X], []
        a = X
        Vs = self._matrices(theta)
        act = self.activation
        for li, (V, layer) in enumerate(zip(Vs, self.layers, strict=True)):
            z = layer._forward(V, a)
            if li == self.n_layers - 1:
                return ForwardPass(inputs, pre, z, theta)
            pre.append(z)
            a = act.forward(z)
            inputs.append(a)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backward(self, theta, cache: Cache, U: np.ndarray) -> list:
        """Back-propagate output cotangents ``U`` (N, C) or (N, R, C) to every layer.

        Returns the list of ``delta_l = d(.)/dz_l`` with the same leading shape as ``U``.
        """
        Vs = self._matrices(theta)
        deltas = [None] * self.n_layers
        d = U
        act = self.activation
        for li in range(self.n_layers - 1, -1, -1):
            deltas[li] = d
            if li == 0:
                break
            dphi = act.derivative(cache.pre[li - 1], cache.inputs[li])
            g = self.layers[li]._input_cotangent(Vs[li], d)
            d = g * (dphi if d.ndim == 2 else dphi[:, None, :])
        return deltas

    def _tangent(self, theta, cache: Cache, v) -> np.ndarray:
        """Forward-mode derivative of the output along weights ``v`` (n_weights,): J v, (N, C)."""
        Vs = self._matrices(theta)
        dVs = self._matrices(v)
        act = self.activation
        da = None
        for li, layer in enumerate(self.layers):
            dz = layer._tangent(Vs[li], dVs[li], cache.inputs[li], da)
            if li == self.n_layers - 1:
                return dz
            da = act.derivative(cache.pre[li], cache.inputs[li + 1]) * dz
        raise AssertionError("unreachable")  # pragma: no cover

    def _gradient(self, cache: Cache, deltas) -> np.ndarray:
        """Flat ``sum_n delta_n (x) a_bar_n`` over the rows (deltas of shape (N, C_l))."""
        return np.concatenate([layer._gradient(cache.inputs[li], deltas[li]).ravel()
                               for li, layer in enumerate(self.layers)])

    def _rows(self, cache: Cache, deltas) -> np.ndarray:
        """Per-sample rows ``delta_{n r} (x) a_bar_n`` of every layer, (N, R, n_weights)."""
        N, R = deltas[-1].shape[:2]
        B = np.empty((N, R, self.n_weights))
        for li, layer in enumerate(self.layers):
            layer._per_sample_rows(cache.inputs[li], deltas[li], out=B[:, :, self.slices[li]])
        return B

    # ------------------------------------------ low-level forward / backward API
    def forward_pass(self, theta, X) -> ForwardPass:
        r"""The forward pass of the rows of ``X``, kept for back-propagation.

        The entry point of the low-level API (in the style of BackPACK, Dangel, Kunstner &
        Hennig 2020, and nngeometry, George 2021): one forward pass, then any number of
        :meth:`backward_pass` es of output signals (residuals, the factor of the output
        Fisher, sampled labels), :meth:`tangent` s and per-layer products. No finiteness
        check: the callers check what they compute from it.

        Parameters
        ----------
        theta : array_like, shape (n_params,)
        X : array_like, shape (N, d_in)

        Returns
        -------
        ForwardPass

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 1])
        >>> theta, X = net.init(rng=0), np.ones((4, 2))
        >>> fp = net.forward_pass(theta, X)
        >>> bool(np.array_equal(fp.f, net.forward(theta, X))), len(fp.inputs)
        (True, 2)
        """
        theta = self.validate(theta)
        return self._forward(theta, self._inputs(X, "X"))

    def _check_pass(self, cache) -> None:
        if not isinstance(cache, ForwardPass):
            raise TypeError("cache must be a forward pass of this network "
                            f"(MLP.forward_pass), got {type(cache).__name__}")
        if cache.theta.shape != (self.n_params,) or len(cache.inputs) != self.n_layers:
            raise ValueError("cache must be a forward pass of this network (MLP.forward_pass)")

    def backward_pass(self, cache: ForwardPass, grad_out) -> list:
        r"""Back-propagate output signals to the pre-activation of every layer.

        With :math:`\delta_L = u` and :math:`\delta_l = (\delta_{l+1} W_{l+1}) \odot
        \phi'(z_l)` (Rumelhart, Hinton & Williams 1986). Back-propagating the residual
        :math:`\partial \ell / \partial f` gives the gradient of the loss; ``R`` signals per
        row (e.g. the ``C`` unit vectors, or the rows of :math:`L^T` with
        :math:`L L^T = \Lambda(f)`) give ``R`` gradients per row at once.

        Parameters
        ----------
        cache : ForwardPass
            From :meth:`forward_pass`.
        grad_out : array_like, shape (N, C) or (N, R, C)
            Output signals (cotangents of ``f``).

        Returns
        -------
        list of ndarray
            ``deltas[l]`` (N, n_{l+1}) or (N, R, n_{l+1}): the signal at the
            pre-activation of layer ``l + 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2])
        >>> theta, X = net.init(rng=0), np.ones((4, 2))
        >>> fp = net.forward_pass(theta, X)
        >>> U = np.broadcast_to(np.eye(2), (4, 2, 2))   # the C unit vectors: the Jacobian
        >>> J = net.signal_gradients(fp, net.backward_pass(fp, U))
        >>> bool(np.allclose(J, net.jacobian(theta, X)))
        True
        """
        self._check_pass(cache)
        U = float_array(grad_out, "grad_out")
        if U.ndim not in (2, 3) or U.shape[0] != cache.f.shape[0] or U.shape[-1] != self.n_outputs:
            raise ValueError(f"grad_out must have shape ({cache.f.shape[0]}, [R,] "
                             f"{self.n_outputs}) (rows of the pass, outputs), got {U.shape}")
        return self._backward(cache.theta, cache, U)

    def tangent(self, cache: ForwardPass, v) -> np.ndarray:
        """Forward-mode derivative of the output along the weights ``v``: ``J v``, (N, C).

        Pearlmutter's (1994) R-operator on a stored :meth:`forward_pass`.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2])
        >>> theta, X, v = net.init(rng=0), np.ones((4, 2)), np.ones(17)
        >>> fp = net.forward_pass(theta, X)
        >>> bool(np.allclose(net.tangent(fp, v), net.jacobian(theta, X) @ v))
        True
        """
        self._check_pass(cache)
        v = float_array(v, "v")
        if v.shape != (self.n_weights,):
            raise ValueError(f"v must have shape ({self.n_weights},) (one entry per weight), "
                             f"got {v.shape}")
        return self._tangent(cache.theta, cache, v)

    def _check_deltas(self, cache, deltas, ndim):
        self._check_pass(cache)
        if not isinstance(deltas, (list, tuple)) or len(deltas) != self.n_layers:
            raise TypeError(f"deltas must be the list of {self.n_layers} signals of "
                            "MLP.backward_pass")
        if any(getattr(d, "ndim", None) not in ndim for d in deltas):
            raise ValueError(f"deltas must be arrays with {' or '.join(map(str, ndim))} "
                             "dimensions (from MLP.backward_pass)")

    def weight_gradient(self, cache: ForwardPass, deltas) -> np.ndarray:
        r"""The flat :math:`\sum_n \delta_{l,n} ar a_{l-1,n}^T` of every layer, (n_weights,).

        For ``deltas`` of one signal per row (from grad_out (N, C)): the vector-Jacobian
        product :math:`\sum_n J_n^T u_n`.

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 2])
        >>> theta, X, u = net.init(rng=0), np.ones((4, 2)), np.ones((4, 2))
        >>> fp = net.forward_pass(theta, X)
        >>> g = net.weight_gradient(fp, net.backward_pass(fp, u))
        >>> bool(np.allclose(g, net.vjp(theta, X, u)))
        True
        """
        self._check_deltas(cache, deltas, (2,))
        return self._gradient(cache, deltas)

    def signal_gradients(self, cache: ForwardPass, deltas) -> np.ndarray:
        r"""Per-row gradients of ``R`` signals, :math:`(\delta_{l,nr} \otimes ar a_{l-1,n})_l`,
        shape (N, R, n_weights) (``deltas`` from a grad_out of shape (N, R, C)).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 1])
        >>> fp = net.forward_pass(net.init(rng=0), np.ones((4, 2)))
        >>> net.signal_gradients(fp, net.backward_pass(fp, np.ones((4, 1, 1)))).shape
        (4, 1, 13)
        """
        self._check_deltas(cache, deltas, (3,))
        return self._rows(cache, deltas)

    def layer_inputs(self, cache: ForwardPass) -> list:
        r"""The augmented inputs :math:`ar a_{l-1} = (a_{l-1}, 1)` of every layer, (N, cols_l).

        With :meth:`backward_pass`, the two factors of every per-layer gradient
        :math:`\delta_l ar a_{l-1}^T` (K-FAC's :math:`A_l` is their second moment).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3, 1])
        >>> [a.shape for a in net.layer_inputs(net.forward_pass(net.init(rng=0), np.ones((4, 2))))]
        [(4, 3), (4, 4)]
        """
        self._check_pass(cache)
        return [layer._augment(cache.inputs[li]) for li, layer in enumerate(self.layers)]

    def output_distribution(self, theta):
        r"""The output unit at ``theta``: :class:`~fisherstat.nn.outputs.Gaussian` (with the
        current noise variance), :class:`~fisherstat.nn.outputs.Categorical` or
        :class:`~fisherstat.nn.outputs.Bernoulli`.

        Its ``loglik``, ``residual`` (:math:`\partial \ell / \partial f`), ``factor``
        (:math:`L` with :math:`L L^T = \Lambda(f)`) and ``sampled_residuals`` are the
        output signals that :meth:`backward_pass` propagates.

        Examples
        --------
        >>> from fisherstat.nn import MLP
        >>> net = MLP([2, 3], output="softmax")
        >>> type(net.output_distribution(net.init(rng=0))).__name__
        'Categorical'
        """
        return self._out(self.validate(theta))
