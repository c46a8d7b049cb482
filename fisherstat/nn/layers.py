r"""Building blocks of the MLP: activations and the affine layer, forward next to backward.

Each unit is small enough to check by eye (the micrograd habit): an activation is a pair
``forward(z) -> h`` and ``derivative(z, h) -> phi'(z)``; the :class:`Affine` layer has
``forward`` next to its three derivatives (input cotangent, parameter gradient, per-sample
gradient rows) and its forward-mode tangent.

**Parameter layout of a layer ("unit-major").** A layer with ``n_in`` inputs and ``n_out``
units stores ``V = [W | b]``, shape ``(n_out, n_in + 1)`` (``(n_out, n_in)`` without bias),
flattened row by row: unit ``j``'s incoming weights followed by its bias. With the
*augmented input* :math:`\bar a = (a, 1)` the layer is :math:`z = V \bar a` and the
gradient of a scalar with respect to ``V`` is the outer product :math:`\delta \bar a^T`,
whose row-major flattening is the Kronecker product :math:`\delta \otimes \bar a`. This is
the layout in which K-FAC's factors act directly: :math:`(G \otimes A)\,\mathrm{vec}(V) =
\mathrm{vec}(G V A)` (Martens & Grosse 2015, section 3, with homogeneous coordinates).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import as_float_array, check_int
from ._checks import check_bool

__all__ = ["Activation", "ACTIVATIONS", "Affine", "get_activation"]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


class Activation:
    r"""An elementwise nonlinearity :math:`h = \phi(z)` with its derivative.

    Subclasses define ``forward(z)`` and ``derivative(z, h)`` (:math:`\phi'(z)`, given
    both ``z`` and ``h = forward(z)`` so that e.g. ``tanh`` reuses ``h``). Both are
    vectorised over arrays of any shape. ``odd`` says whether :math:`\phi(-z) = -\phi(z)`
    (hidden units of odd activations have a sign-flip symmetry).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.layers import get_activation
    >>> act = get_activation("tanh")
    >>> z = np.array([0.0, 1.0])
    >>> h = act.forward(z)
    >>> np.round(act.derivative(z, h), 6)
    array([1.      , 0.419974])
    """

    name: str = ""
    odd: bool = False

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Tanh(Activation):
    r""":math:`\phi(z) = \tanh z`, :math:`\phi' = 1 - \phi^2`."""

    name, odd = "tanh", True

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, h):
        return 1.0 - h * h


class ReLU(Activation):
    r""":math:`\phi(z) = \max(z, 0)`, :math:`\phi' = 1[z > 0]` (0 at the kink)."""

    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z, h):
        return (z > 0).astype(float)


class Sigmoid(Activation):
    r""":math:`\phi(z) = 1 / (1 + e^{-z})`, :math:`\phi' = \phi (1 - \phi)`."""

    name = "sigmoid"

    def forward(self, z):
        return special.expit(z)

    def derivative(self, z, h):
        return h * (1.0 - h)


class Erf(Activation):
    r""":math:`\phi(z) = \operatorname{erf}(z)`, :math:`\phi' = \tfrac{2}{\sqrt\pi} e^{-z^2}`.

    The activation of the mean-field and Fisher-spectrum literature (e.g. Karakida, Akaho &
    Amari 2019), where Gaussian integrals of it have closed forms.
    """

    name, odd = "erf", True

    def forward(self, z):
        return special.erf(z)

    def derivative(self, z, h):
        return _TWO_OVER_SQRT_PI * np.exp(-z * z)


class Softplus(Activation):
    r""":math:`\phi(z) = \log(1 + e^z)` (as ``logaddexp(0, z)``), :math:`\phi' = \sigma(z)`."""

    name = "softplus"

    def forward(self, z):
        return np.logaddexp(0.0, z)

    def derivative(self, z, h):
        return special.expit(z)


class Linear(Activation):
    r""":math:`\phi(z) = z`, :math:`\phi' = 1` (deep linear networks)."""

    name, odd = "linear", True

    def forward(self, z):
        return z

    def derivative(self, z, h):
        return np.ones_like(z)


#: Activations by name.
ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (Tanh(), ReLU(), Sigmoid(), Erf(), Softplus(), Linear())
}


def get_activation(name) -> Activation:
    """The activation called ``name`` (one of :data:`ACTIVATIONS`), or ``name`` itself.

    Examples
    --------
    >>> from fisherstat.nn.layers import get_activation
    >>> get_activation("erf").name
    'erf'
    >>> get_activation("gelu")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of ['tanh', 'relu', 'sigmoid', 'erf', 'softplus', \
'linear'] or an Activation instance, got 'gelu'
    """
    if isinstance(name, Activation):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise ValueError(
        f"activation must be one of {list(ACTIVATIONS)} or an Activation instance, got {name!r}"
    )


class Affine:
    r"""The affine layer :math:`z = W a + b = V \bar a` and its derivatives.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    bias : bool
        Whether the layer has a bias (then :math:`\bar a = (a, 1)`, else :math:`\bar a = a`).

    Notes
    -----
    With inputs ``a`` (N, n_in) and a cotangent :math:`\delta = \partial\ell/\partial z`:

    * forward: :math:`z = a W^T + b`;
    * input cotangent: :math:`\partial\ell/\partial a = \delta W`;
    * parameter gradient summed over samples: :math:`\sum_n \delta_n \bar a_n^T`;
    * per-sample gradient rows: :math:`\delta_n \otimes \bar a_n` (unit-major flattening);
    * forward-mode tangent: :math:`\dot z = \dot a W^T + \bar a \dot V^T`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.layers import Affine
    >>> layer = Affine(2, 1)
    >>> V = np.array([[1.0, -1.0, 0.5]])     # W = [1, -1], b = 0.5
    >>> layer.forward(V, np.array([[2.0, 1.0]]))
    array([[1.5]])
    >>> layer.gradient(np.array([[2.0, 1.0]]), np.array([[3.0]]))  # delta a_bar^T
    array([[6., 3., 3.]])
    """

    def __init__(self, n_in: int, n_out: int, bias: bool = True):
        self.n_in = check_int(n_in, "n_in", low=1)
        self.n_out = check_int(n_out, "n_out", low=1)
        self.bias = check_bool(bias, "bias")
        self.n_cols = self.n_in + self.bias  # columns of V
        self.n_params = self.n_out * self.n_cols
        self.shape = (self.n_out, self.n_cols)

    def __repr__(self) -> str:
        return f"Affine({self.n_in}, {self.n_out}, bias={self.bias})"

    def _split(self, V: np.ndarray):
        """``(W, b)`` views of ``V`` (``b`` is None without bias)."""
        return (V[:, : self.n_in], V[:, self.n_in]) if self.bias else (V, None)

    def _augment(self, a: np.ndarray) -> np.ndarray:
        r"""The augmented input :math:`\bar a = (a, 1)` (``a`` itself without bias)."""
        if not self.bias:
            return a
        return np.concatenate([a, np.ones(a.shape[:-1] + (1,))], axis=-1)

    # --- forward ------------------------------------------------------------------
    def _forward(self, V, a):
        W, b = self._split(V)
        z = a @ W.T
        return z + b if self.bias else z

    # --- backward -----------------------------------------------------------------
    def _input_cotangent(self, V, delta):
        """``d loss / d a = delta W`` (any leading axes)."""
        return delta @ self._split(V)[0]

    def _gradient(self, a, delta):
        r"""``sum_n delta_n a_bar_n^T``, shape ``(n_out, n_cols)``."""
        return delta.T @ self._augment(a)

    def _per_sample_rows(self, a, delta, out=None):
        r"""Rows :math:`\delta_{nr} \otimes \bar a_n`, shape (N, R, n_params).

        ``delta`` has shape (N, R, n_out): ``R`` back-propagated signals per sample.
        """
        ab = self._augment(a)
        N, R = delta.shape[:2]
        if out is None:
            out = np.empty((N, R, self.n_params))
        view = out.reshape(N, R, self.n_out, self.n_cols)
        if np.shares_memory(view, out):  # splitting the last axis of a slice is a view
            np.multiply(delta[:, :, :, None], ab[:, None, None, :], out=view)
        else:  # pragma: no cover - defensive: numpy could not make a view
            out[...] = (delta[:, :, :, None] * ab[:, None, None, :]).reshape(out.shape)
        return out

    # --- forward mode -------------------------------------------------------------
    def _tangent(self, V, dV, a, da):
        r"""``dz = da W^T + a_bar dV^T`` (``da`` may be None: the input is data)."""
        dz = self._augment(a) @ dV.T
        if da is not None:
            dz += da @ self._split(V)[0].T
        return dz

    # --- the public, checked versions (the network calls the private ones) ---------
    def _check_V(self, V, name="V"):
        return as_float_array(V, name, shape=self.shape)

    def _check_rows(self, a, name, width, ndim=2):
        a = as_float_array(a, name, ndim=ndim)
        if a.shape[-1] != width:
            raise ValueError(f"{name} must have {width} columns (shape (N, {width})), got "
                             f"{a.shape}")
        return a

    def _check_pair(self, a, delta, delta_ndim=2):
        a = self._check_rows(a, "a", self.n_in)
        delta = self._check_rows(delta, "delta", self.n_out, delta_ndim)
        if delta.shape[0] != a.shape[0]:
            raise ValueError(f"a and delta must have the same number of rows, got "
                             f"{a.shape[0]} and {delta.shape[0]}")
        return a, delta

    def split(self, V):
        """``(W, b)`` views of ``V`` (``b`` is None without bias)."""
        return self._split(self._check_V(V))

    def augment(self, a):
        r"""The augmented input :math:`\bar a = (a, 1)` (``a`` itself without bias)."""
        return self._augment(self._check_rows(a, "a", self.n_in))

    def forward(self, V, a):
        """``z = a W^T + b``, (N, n_out)."""
        return self._forward(self._check_V(V), self._check_rows(a, "a", self.n_in))

    def input_cotangent(self, V, delta):
        """``d loss / d a = delta W``, (N, n_in)."""
        return self._input_cotangent(self._check_V(V),
                                     self._check_rows(delta, "delta", self.n_out, (2, 3)))

    def gradient(self, a, delta):
        r"""``sum_n delta_n a_bar_n^T``, shape ``(n_out, n_cols)``."""
        return self._gradient(*self._check_pair(a, delta))

    def per_sample_rows(self, a, delta):
        r"""Rows :math:`\delta_{nr} \otimes \bar a_n`, shape (N, R, n_params).

        ``delta`` has shape (N, R, n_out): ``R`` back-propagated signals per sample.
        """
        return self._per_sample_rows(*self._check_pair(a, delta, 3))

    def tangent(self, V, dV, a, da=None):
        r"""``dz = da W^T + a_bar dV^T`` (``da`` may be None: the input is data)."""
        V, dV = self._check_V(V), self._check_V(dV, "dV")
        a = self._check_rows(a, "a", self.n_in)
        if da is not None:
            da = self._check_rows(da, "da", self.n_in)
            if da.shape != a.shape:
                raise ValueError(f"da must have the shape of a {a.shape}, got {da.shape}")
        return self._tangent(V, dV, a, da)
