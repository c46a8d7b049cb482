r"""The plateau of a two-hidden-unit network near the overlap singularity, and its escape.

A teacher-student regression problem in the style of Saad & Solla (1995, "On-line learning
in soft committee machines", *Physical Review E* 52, 4225) and Amari, Park & Ozeki (2006,
"Singularities affect dynamics of learning in neuromanifolds", *Neural Computation* 18,
1007-1065, section 6): Gaussian inputs :math:`x \sim N(0, I_d)`, noiseless labels from a
teacher :math:`y = v^*_1\phi(w^*_1\cdot x) + v^*_2\phi(w^*_2\cdot x)` with two distinct
hidden units, and a student of the same architecture,

.. math::

    f(x; \theta) = v_1\phi(w_1\cdot x) + v_2\phi(w_2\cdot x),
    \qquad \theta = (w_1, w_2, v_1, v_2),

an :class:`~fisherstat.nn.MLP` ``[d, 2, 1]`` without biases and with a Gaussian output
(:math:`\sigma^2 = 1`), so the loss is half the mean squared error plus a constant.

**The overlap singularity.** With :math:`v = v_1 + v_2`, :math:`z = (v_1 - v_2)/v`,
:math:`w = (v_1 w_1 + v_2 w_2)/v` and :math:`u = w_1 - w_2` (Amari, Park & Ozeki 2006;
Wei, Zhang, Cousseau, Ozeki & Amari 2008, "Dynamics of learning near singularities in layered
networks", *Neural Computation* 20, 813-843), a second-order expansion in :math:`u` gives

.. math::

    f(x; \theta) = v\,\phi(w\cdot x) + \frac{v(1 - z^2)}{8}\,\phi''(w\cdot x)\,(u\cdot x)^2
    + O(\|u\|^3).

At :math:`u = 0` the two units act as one and :math:`z` does not enter: the set
:math:`\{u = 0\}` is the overlap singularity, where the Fisher information loses rank
:math:`d + 1` (the directions :math:`u` and :math:`z`). If :math:`(w^\dagger, v^\dagger)`
is the best one-unit fit, the line :math:`\{u = 0, w = w^\dagger, v = v^\dagger\}` (any
:math:`z`) is a line of critical points of the two-unit loss: the **plateau**. Near it, with
the one-unit residual :math:`r^\dagger = v^\dagger\phi(w^\dagger\cdot x) - y` and
:math:`A = E[r^\dagger\phi''(w^\dagger\cdot x)\,x x^{\mathsf T}]`,

.. math::

    \nabla_u L \approx \frac{v(1 - z^2)}{4} A u = O(\|u\|), \qquad
    \nabla_z L = O(\|u\|^2), \qquad
    F_{uu} = O(\|u\|^2), \qquad F_{zz} = O(\|u\|^4).

Gradient descent multiplies :math:`u` by :math:`I - \eta\, v(1-z^2) A / 4` per step: it
leaves along a negative eigendirection of :math:`(1 - z^2) A` at a rate proportional to
that small eigenvalue, while its learning rate is bounded by the largest curvature of the
loss, so it spends about :math:`\kappa \log(1/\|u_0\|)` iterations on the plateau
(:math:`\kappa` the ratio of the two curvatures). Where :math:`(1-z^2)A` is positive
definite the line attracts (the Milnor-like attractor of Amari et al. 2006). The natural
gradient divides by the Fisher, which vanishes faster than the gradient:
:math:`F_{uu}^{-1}\nabla_u L = O(1/\|u\|)` does not vanish on the plateau (and
:math:`F_{zz}^{-1}\nabla_z L = O(1/\|u\|^2)` even blows up along the line, which is why
damping or a trust region is needed), so it leaves in a few steps (Amari 1998; Park, Amari
& Fukumizu 2000, "Adaptive natural gradient learning algorithms for various stochastic
models", *Neural Networks* 13, 755-764).

:func:`teacher_student` builds the problem (data, teacher, the plateau point),
:meth:`TeacherStudent.start` a starting point near the singularity, and
:func:`escape_run` runs an optimizer from it and records the loss, the separation of the
units and (on request) the Fisher spectrum along the path; :func:`escape_iteration` is the
definition of "escaped" used throughout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..._figures import check_axes
from ..._validation import (
    as_float_array,
    check_int,
    check_random_state,
    check_scalar,
    readonly,
)
from ...exceptions import FitError
from ..fisher import fisher
from ..layers import Activation
from ..mlp import MLP
from ..optim import Optimizer, train

__all__ = ["TeacherStudent", "teacher_student", "EscapeRun", "escape_run", "escape_iteration",
           "ESCAPE_FACTOR", "DEFAULT_TEACHER", "FISHER_FLOOR"]

#: The loss gap must fall to this fraction of the plateau's gap to count as escaped.
ESCAPE_FACTOR = 0.1

#: Relative rounding level of Fisher eigenvalues (plots clip below it).
FISHER_FLOOR = 1e-16

#: Default teacher ``(W, v)`` (d = 2): a strong unit :math:`w^*_1 = (2, 0)` and a weak one,
#: :math:`w^*_2 = 0.5(\cos 15^\circ, \sin 15^\circ)`, with :math:`v^* = (1, 1)`.
DEFAULT_TEACHER = (
    np.array([[2.0, 0.0], [0.5 * np.cos(np.pi / 12), 0.5 * np.sin(np.pi / 12)]]),
    np.array([1.0, 1.0]),
)


def escape_iteration(loss_gap, plateau_gap: float, factor: float = ESCAPE_FACTOR):
    r"""First iteration whose loss gap is at most ``factor`` times the plateau's gap.

    The loss gap is :math:`L(\theta_t) - L_{\min}` (for the noiseless teacher-student
    problem :math:`L_{\min}` is the loss of the teacher, i.e. the gap is half the mean
    squared error). "Escaped" means the gap is a decade (``factor = 0.1``) below the gap
    :math:`L(\theta^\dagger) - L_{\min}` of the best one-unit fit, the plateau.

    Parameters
    ----------
    loss_gap : array_like, shape (T,)
        Gaps at iterations ``0, 1, ..., T - 1`` (NaN counts as not escaped).
    plateau_gap : float
        Gap of the plateau, > 0.
    factor : float in (0, 1), default :data:`ESCAPE_FACTOR`

    Returns
    -------
    int or None
        The iteration, or None if the gap never gets there.

    Examples
    --------
    >>> from fisherstat.nn.plateau import escape_iteration
    >>> escape_iteration([0.5, 0.011, 0.0101, 0.002, 0.0005], plateau_gap=0.01)
    4
    >>> escape_iteration([0.5, 0.011], plateau_gap=0.01) is None
    True
    """
    gap = as_float_array(loss_gap, "loss_gap", ndim=1, finite=False)
    plateau_gap = check_scalar(plateau_gap, "plateau_gap", low=0)
    factor = check_scalar(factor, "factor", low=0, high=1)
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(gap <= factor * plateau_gap)
    return int(hit[0]) if hit.size else None


@dataclass(frozen=True, eq=False, repr=False)
class TeacherStudent:
    r"""A teacher-student regression problem and the plateau of its overlap singularity.

    Built by :func:`teacher_student`; immutable, arrays read-only.

    Attributes
    ----------
    net : MLP
        The architecture of teacher and student: ``[d, 2, 1]``, no biases, Gaussian output
        with :math:`\sigma^2 = 1` (parameters ``W1[0,:], W1[1,:], W2[0,0], W2[0,1]``).
    teacher : ndarray, shape (2 d + 2,)
        The teacher's parameters (the global minimum of the loss).
    X : ndarray, shape (n, d)
        Gaussian inputs.
    y : ndarray, shape (n,)
        Noiseless teacher outputs.
    one_unit : ndarray, shape (d + 1,)
        Best fit :math:`(w^\dagger, v^\dagger)` of a one-unit network ``[d, 1, 1]``.
    plateau : ndarray, shape (2 d + 2,)
        The one-unit fit on the overlap singularity: :math:`w_1 = w_2 = w^\dagger`,
        :math:`v_1 = v_2 = v^\dagger/2` (a critical point of the two-unit loss).
    loss_min : float
        Loss of the teacher, :math:`\tfrac12\log 2\pi`.
    plateau_gap : float
        :math:`L(\text{plateau}) - L_{\min}`.
    """

    net: MLP
    teacher: np.ndarray
    X: np.ndarray
    y: np.ndarray
    one_unit: np.ndarray
    plateau: np.ndarray
    loss_min: float
    plateau_gap: float

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.net.n_inputs

    def loss_gap(self, theta) -> float:
        r""":math:`L(\theta) - L_{\min}` on the problem's data.

        Examples
        --------
        >>> from fisherstat.nn.plateau import teacher_student
        >>> p = teacher_student(n=200, rng=0)
        >>> p.loss_gap(p.teacher), p.loss_gap(p.plateau) == p.plateau_gap
        (0.0, True)
        """
        return float(self.net.loss(theta, self.X, self.y) - self.loss_min)

    def separation(self, theta) -> np.ndarray | float:
        r"""Distance of the two units from overlapping: :math:`\|w_1 - w_2\|`.

        For odd activations :math:`w_1 = -w_2` is the same singularity (with
        :math:`v_2 \to -v_2`), so the distance is
        :math:`\min(\|w_1 - w_2\|, \|w_1 + w_2\|)`, as in
        :meth:`MLP.singularities <fisherstat.nn.MLP.singularities>`.

        Parameters
        ----------
        theta : array_like, shape (P,) or (T, P)

        Returns
        -------
        float or ndarray, shape (T,)

        Examples
        --------
        >>> from fisherstat.nn.plateau import teacher_student
        >>> p = teacher_student(n=200, rng=0)
        >>> p.separation(p.plateau), round(float(p.separation(p.teacher)), 4)
        (0.0, 1.5225)
        """
        t = as_float_array(theta, "theta", ndim=(1, 2))
        if t.shape[-1] != self.net.n_params:
            raise ValueError(f"theta must have {self.net.n_params} entries per row, "
                             f"got {t.shape[-1]}")
        d = self.d
        w1, w2 = t[..., :d], t[..., d: 2 * d]
        s = np.linalg.norm(w1 - w2, axis=-1)
        if self.net.activation.odd:
            s = np.minimum(s, np.linalg.norm(w1 + w2, axis=-1))
        return float(s) if t.ndim == 1 else s

    def start(self, eps: float = 1e-5, rng=None, *, z: float = 0.0,
              sigma_w2: float = 1.0) -> np.ndarray:
        r"""A starting point near the overlap singularity: two copies of one random unit.

        :math:`w_1 = w_0 + \varepsilon\xi_1`, :math:`w_2 = w_0 + \varepsilon\xi_2`,
        :math:`v_1 = v_0(1 + z)/2`, :math:`v_2 = v_0(1 - z)/2`, with
        :math:`(w_0, v_0)` a random one-unit network (``MLP([d, 1, 1]).init(rng,
        sigma_w2)``: :math:`w_0 \sim N(0, \sigma_w^2 I/d)`, :math:`v_0 \sim N(0, 1)`) and
        :math:`\xi_i \sim N(0, I_d)`. Near :math:`u = 0` both output weights get the same
        gradient, so :math:`v_1 - v_2` is (nearly) conserved and ``z`` sets where on the
        singular line the path arrives: :math:`z = 0` (the default) is the middle of the
        repelling part; :math:`|z| > 1` (output weights of opposite signs) the region
        where :math:`(1 - z^2) A` changes sign.

        Parameters
        ----------
        eps : float, default 1e-5
            Size of the perturbation, > 0.
        rng : int or np.random.Generator, optional
        z : float, default 0
        sigma_w2 : float, default 1

        Returns
        -------
        ndarray, shape (2 d + 2,)

        Examples
        --------
        >>> from fisherstat.nn.plateau import teacher_student
        >>> p = teacher_student(n=200, rng=0)
        >>> theta0 = p.start(eps=1e-5, rng=1)
        >>> p.separation(theta0) < 1e-4
        True
        """
        eps = check_scalar(eps, "eps", low=0)
        z = check_scalar(z, "z")
        sigma_w2 = check_scalar(sigma_w2, "sigma_w2", low=0)
        rng = check_random_state(rng)
        d = self.d
        one = MLP([d, 1, 1], self.net.activation, bias=False).init(rng, sigma_w2=sigma_w2)
        w0, v0 = one[:d], one[d]
        W = np.vstack([w0, w0]) + eps * rng.standard_normal((2, d))
        return np.concatenate([W.ravel(), [v0 * (1 + z) / 2, v0 * (1 - z) / 2]])

    def summary(self) -> str:
        """The problem in a few lines.

        Examples
        --------
        >>> from fisherstat.nn.plateau import teacher_student
        >>> print(teacher_student(n=200, rng=0).summary())  # doctest: +ELLIPSIS
        teacher-student regression, MLP [2, 2, 1] (erf, no bias), n = 200
        teacher: w1 = [2 0], w2 = [0.483 0.129], v = [1 1]
        one-unit fit (the plateau): w = [...], v = ...
        loss gap of the plateau: ...
        """
        d = self.d
        t, o = self.teacher, self.one_unit
        fmt = {"float_kind": lambda x: f"{x:.3g}"}
        return "\n".join([
            f"teacher-student regression, MLP {list(self.net.sizes)} "
            f"({self.net.activation.name}, no bias), n = {self.X.shape[0]}",
            f"teacher: w1 = {np.array2string(t[:d], formatter=fmt)}, w2 = "
            f"{np.array2string(t[d:2 * d], formatter=fmt)}, v = "
            f"{np.array2string(t[2 * d:], formatter=fmt)}",
            f"one-unit fit (the plateau): w = {np.array2string(o[:d], formatter=fmt)}, "
            f"v = {o[d]:.4g}",
            f"loss gap of the plateau: {self.plateau_gap:.4g} (escaped: gap <= "
            f"{ESCAPE_FACTOR:g} x that)",
        ])

    def __repr__(self) -> str:
        return (f"TeacherStudent(d={self.d}, n={self.X.shape[0]}, "
                f"activation={self.net.activation.name!r}, plateau_gap={self.plateau_gap:.4g})")


def teacher_student(teacher=None, *, n: int = 1000, activation: str | Activation = "erf",
                    rng=None) -> TeacherStudent:
    r"""A teacher-student problem with two hidden units, and its plateau.

    Parameters
    ----------
    teacher : (W, v), optional
        Incoming weights ``W`` (2, d) and outgoing weights ``v`` (2,) of the teacher.
        Default :data:`DEFAULT_TEACHER` (d = 2): a strong unit and a weak, nearly parallel
        one, a case where the one-unit fit is good and gradient descent is slow to leave
        it.
    n : int, default 1000
        Number of inputs :math:`x \sim N(0, I_d)` (a fixed training set: full-batch
        training follows the averaged learning equation of Amari et al. 2006).
    activation : str or Activation, default 'erf'
        Hidden nonlinearity (``'erf'`` as in Saad & Solla 1995, or ``'tanh'``, ...).
    rng : int or np.random.Generator, optional
        Draws the inputs.

    Returns
    -------
    TeacherStudent

    Notes
    -----
    The plateau is located by fitting a one-unit network ``[d, 1, 1]`` to the teacher's
    outputs (:meth:`MLP.fit <fisherstat.nn.MLP.fit>`: Fisher scoring from the best of
    five random starts) and placing it on the overlap singularity,
    :math:`w_1 = w_2 = w^\dagger`, :math:`v_1 = v_2 = v^\dagger/2`.

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat.nn.plateau import teacher_student
    >>> p = teacher_student(n=500, rng=0)
    >>> g = p.net.grad(p.plateau, p.X, p.y)          # the plateau is a critical point
    >>> bool(np.max(np.abs(g)) < 1e-6), round(p.plateau_gap, 4)
    (True, 0.0037)
    """
    if teacher is None:
        W, v = DEFAULT_TEACHER
    else:
        try:
            W, v = teacher
        except (TypeError, ValueError):
            raise TypeError("teacher must be a pair (W, v) with W of shape (2, d) and v of "
                            "shape (2,)") from None
        W = as_float_array(W, "teacher W", shape=(2, None))
        v = as_float_array(v, "teacher v", shape=(2,))
    d = W.shape[1]
    n = check_int(n, "n", low=2 * d + 3)
    rng = check_random_state(rng)
    net = MLP([d, 2, 1], activation, bias=False)
    theta_t = np.concatenate([W.ravel(), v])
    X = rng.standard_normal((n, d))
    y = net.forward(theta_t, X)[:, 0]
    loss_min = float(net.loss(theta_t, X, y))
    one = MLP([d, 1, 1], net.activation, bias=False)
    try:
        t1 = one.fit(y, x=X)
    except FitError as exc:
        raise FitError(f"could not fit the one-unit network that defines the plateau: {exc}"
                       ) from exc
    w, c = t1[:d], t1[d]
    plateau = np.concatenate([w, w, [c / 2, c / 2]])
    gap = float(net.loss(plateau, X, y) - loss_min)
    if not gap > 1e-10:
        raise ValueError("the teacher is (nearly) a one-unit network: its two units must be "
                         f"distinct and both active (plateau loss gap {gap:.3g})")
    return TeacherStudent(net, readonly(theta_t), readonly(X), readonly(y), readonly(t1),
                          readonly(plateau), loss_min, gap)


@dataclass(frozen=True, eq=False, repr=False)
class EscapeRun:
    r"""The path of one optimizer from near the overlap singularity.

    Returned by :func:`escape_run`; immutable, arrays read-only.

    Attributes
    ----------
    problem : TeacherStudent
    optimizer : str
        ``repr`` of the optimizer.
    thetas : ndarray, shape (T + 1, P)
        Parameters after ``0, ..., T`` iterations.
    loss_gap : ndarray, shape (T + 1,)
        :math:`L(\theta_t) - L_{\min}` (full batch).
    escape : int or None
        :func:`escape_iteration` of ``loss_gap`` (None: still on the plateau, or diverged).
    factor : float
        The escape threshold, as a fraction of the plateau's gap.
    diverged : bool
        True if the run stopped on non-finite parameters (the record ends before).
    seconds : float
    """

    problem: TeacherStudent
    optimizer: str
    thetas: np.ndarray
    loss_gap: np.ndarray
    escape: int | None
    factor: float
    diverged: bool
    seconds: float
    _cache: dict = field(default_factory=dict, compare=False)

    @property
    def n_steps(self) -> int:
        """Iterations recorded ``T``."""
        return self.thetas.shape[0] - 1

    @property
    def separation(self) -> np.ndarray:
        r""":meth:`TeacherStudent.separation` along the path, shape (T + 1,)."""
        if "sep" not in self._cache:
            self._cache["sep"] = readonly(self.problem.separation(self.thetas))
        return self._cache["sep"]

    @property
    def final_gap(self) -> float:
        """Loss gap after the last recorded iteration."""
        return float(self.loss_gap[-1])

    @property
    def plateau_steps(self) -> int:
        r"""Iterations before the escape spent on the plateau: gap within 10% of its gap."""
        end = self.n_steps + 1 if self.escape is None else self.escape
        g = self.loss_gap[:end]
        return int(np.sum(np.abs(g - self.problem.plateau_gap) <= 0.1 * self.problem.plateau_gap))

    def fisher_eigenvalues(self, steps=None) -> np.ndarray:
        r"""Eigenvalues (ascending) of the exact Fisher of the weights along the path.

        :func:`fisherstat.nn.fisher` ``(net, theta_t, X, 'exact')`` (the mean information of
        one input; :math:`J^{\mathsf T} J` here) at the given iterations.

        Parameters
        ----------
        steps : array_like of int, optional
            Iterations (default: about 40, evenly spaced on a log scale).

        Returns
        -------
        ndarray, shape (len(steps), P)

        Examples
        --------
        >>> from fisherstat.nn import SGD
        >>> from fisherstat.nn.plateau import teacher_student, escape_run
        >>> p = teacher_student(n=200, rng=0)
        >>> run = escape_run(p, SGD(lr=1.0), p.start(rng=1), n_steps=50)
        >>> ev = run.fisher_eigenvalues([0, 50])
        >>> ev.shape, bool(ev[0, 0] < 1e-12 * ev[0, -1])   # nearly singular at the start
        ((2, 6), True)
        """
        if isinstance(steps, (str, bytes)) or (steps is not None and not isinstance(
                steps, (list, tuple, np.ndarray, range, int, np.integer))):
            raise TypeError(f"steps must be a 1-D array of integer iterations, got "
                            f"{type(steps).__name__}")
        steps = self._default_steps() if steps is None else np.asarray(steps)
        if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer) or steps.size == 0:
            raise ValueError("steps must be a non-empty 1-D array of integer iterations")
        if steps.min() < 0 or steps.max() > self.n_steps:
            raise ValueError(f"steps must be in [0, {self.n_steps}], got {steps.min()} .. "
                             f"{steps.max()}")
        p = self.problem
        return np.array([fisher(p.net, self.thetas[s], p.X, "exact").eigvalsh()
                         for s in steps])

    def _default_steps(self, k: int = 40) -> np.ndarray:
        return np.unique(np.r_[0, np.geomspace(1, max(self.n_steps, 1), k).astype(int)])

    def summary(self) -> str:
        """The run in a few lines.

        Examples
        --------
        >>> from fisherstat.nn import NaturalGradient
        >>> from fisherstat.nn.plateau import teacher_student, escape_run
        >>> p = teacher_student(n=200, rng=0)
        >>> run = escape_run(p, NaturalGradient("dense", damping=1e-3, lr=0.5),
        ...                  p.start(rng=1), n_steps=40)
        >>> print(run.summary())  # doctest: +ELLIPSIS
        NaturalGradient(structure='dense', damping=0.001, lr=0.5, kind='exact'): 40 iterations
        escaped at iteration ... (gap <= 0.1 x plateau gap ...)
        ...
        """
        p = self.problem
        lines = [f"{self.optimizer}: {self.n_steps} iterations"
                 + (" (diverged: stopped on non-finite parameters)" if self.diverged else "")]
        if self.escape is None:
            lines.append(f"not escaped (gap never <= {self.factor:g} x plateau gap "
                         f"{p.plateau_gap:.4g})")
        else:
            lines.append(f"escaped at iteration {self.escape} (gap <= {self.factor:g} x "
                         f"plateau gap {p.plateau_gap:.4g}); {self.plateau_steps} iteration(s) "
                         "on the plateau (gap within 10% of it)")
        lines.append(f"loss gap: start {self.loss_gap[0]:.4g}, final {self.final_gap:.4g}")
        sep = self.separation
        lines.append(f"separation |w1 - w2|: start {sep[0]:.3g}, min {np.min(sep):.3g}, "
                     f"final {sep[-1]:.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"EscapeRun({self.optimizer}, n_steps={self.n_steps}, escape={self.escape}, "
                f"final_gap={self.final_gap:.3g})")

    def plot(self, ax=None, quantity: str = "loss", label: str | None = None, **kwargs):
        """Plot the loss gap, the separation or the Fisher spectrum against the iteration.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn into a new figure when omitted (matplotlib is imported only here).
        quantity : {'loss', 'separation', 'fisher'}
            The loss gap (with the plateau's gap dashed), :math:`\\|w_1 - w_2\\|`, or the
            eigenvalues of the Fisher (:meth:`fisher_eigenvalues`; the smallest solid, the
            others dotted, all clipped below at :data:`FISHER_FLOOR` times the largest, the
            rounding level); log-log axes (iteration + 1 on the x axis).
        label : str, optional
        **kwargs
            Passed to ``ax.plot``.

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> from fisherstat.nn import SGD
        >>> from fisherstat.nn.plateau import teacher_student, escape_run
        >>> p = teacher_student(n=200, rng=0)
        >>> ax = escape_run(p, SGD(lr=1.0), p.start(rng=1), n_steps=20).plot()
        >>> ax.get_xscale(), ax.get_yscale()
        ('log', 'log')
        """
        if quantity not in ("loss", "separation", "fisher"):
            raise ValueError(f"quantity must be 'loss', 'separation' or 'fisher', got "
                             f"{quantity!r}")
        check_axes(ax)
        if ax is None:
            try:
                import matplotlib.pyplot as plt
            except ImportError as exc:  # pragma: no cover - optional dependency
                raise ImportError("plot() needs matplotlib: pip install 'fisherstat[plot]'") \
                    from exc
            ax = plt.figure().add_subplot()
        label = self.optimizer if label is None else label
        t = np.arange(self.n_steps + 1) + 1
        if quantity == "loss":
            ax.plot(t, np.maximum(self.loss_gap, 1e-16), label=label, **kwargs)
            ax.axhline(self.problem.plateau_gap, color="0.6", ls="--", lw=0.8)
            ax.set_ylabel("loss gap  L - L_min")
        elif quantity == "separation":
            ax.plot(t, np.maximum(self.separation, 1e-16), label=label, **kwargs)
            ax.set_ylabel("separation |w1 - w2|")
        else:
            steps = self._default_steps()
            ev = self.fisher_eigenvalues(steps)
            floor = FISHER_FLOOR * np.max(ev[:, -1])
            lines = ax.plot(steps + 1, np.maximum(ev[:, 0], floor), label=label, **kwargs)
            kw = {k: v for k, v in kwargs.items() if k not in ("lw", "linewidth", "ls",
                                                               "linestyle")}
            kw.setdefault("color", lines[0].get_color())
            ax.plot(steps + 1, np.maximum(ev[:, 1:], floor), lw=0.6, ls=":", **kw)
            ax.set_ylabel("Fisher eigenvalues")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iteration + 1")
        return ax


def escape_run(problem: TeacherStudent, optimizer: Optimizer, theta0, n_steps: int, *,
               stop_below: float | None = None, factor: float = ESCAPE_FACTOR,
               progress: bool = False) -> EscapeRun:
    r"""Run ``optimizer`` (full batch) from ``theta0`` and record the path.

    Parameters
    ----------
    problem : TeacherStudent
    optimizer : Optimizer
        :class:`~fisherstat.nn.SGD`, :class:`~fisherstat.nn.Adam`,
        :class:`~fisherstat.nn.NaturalGradient`, ... (reset first).
    theta0 : array_like, shape (2 d + 2,)
        Start, e.g. :meth:`TeacherStudent.start`.
    n_steps : int
        Iteration budget.
    stop_below : float, optional
        Stop at the first iteration whose loss gap is at most this (e.g.
        ``factor * problem.plateau_gap`` to stop at the escape).
    factor : float, default :data:`ESCAPE_FACTOR`
        Escape threshold (:func:`escape_iteration`).
    progress : bool, default False
        Show the iterations on stderr (as in :func:`~fisherstat.nn.train`); the result is
        the same as without.

    Returns
    -------
    EscapeRun
        A run that diverges (:func:`~fisherstat.nn.train` raises ``FloatingPointError``) is
        returned with ``diverged=True``, its record up to the last finite iterate, and
        ``escape=None`` unless it escaped before.

    Examples
    --------
    >>> from fisherstat.nn import SGD, NaturalGradient
    >>> from fisherstat.nn.plateau import teacher_student, escape_run
    >>> p = teacher_student(n=300, rng=0)
    >>> theta0 = p.start(eps=1e-5, rng=1)
    >>> gd = escape_run(p, SGD(lr=1.0), theta0, n_steps=2000, stop_below=0.1 * p.plateau_gap)
    >>> ng = escape_run(p, NaturalGradient("dense", damping=1e-3, lr=0.5), theta0,
    ...                 n_steps=200, stop_below=0.1 * p.plateau_gap)
    >>> gd.escape > 10 * ng.escape
    True
    """
    if not isinstance(problem, TeacherStudent):
        raise TypeError(f"problem must be a TeacherStudent, got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    theta0 = problem.net.validate(theta0, "theta0")
    n_steps = check_int(n_steps, "n_steps", low=1)
    factor = check_scalar(factor, "factor", low=0, high=1)
    if stop_below is not None:
        stop_below = check_scalar(stop_below, "stop_below", low=0, low_open=False)
    thetas = [theta0.copy()]

    def callback(step, theta, batch_loss, grad):
        thetas.append(theta.copy())
        # batch_loss (full batch) is the loss of the iterate before this step
        return stop_below is not None and batch_loss - problem.loss_min <= stop_below

    t0 = time.perf_counter()
    diverged = False
    try:
        res = train(problem.net, theta0, problem.X, problem.y, optimizer, n_steps=n_steps,
                    record_every=n_steps, callback=callback, progress=progress)
        gaps = np.append(res.batch_loss, res.loss[-1]) - problem.loss_min
    except FloatingPointError:
        diverged = True  # the callback saw only the finite iterates
        net, X, y = problem.net, problem.X, problem.y
        yy = y[:, None]  # the internal (n, 1) form of the regression responses
        with np.errstate(over="ignore", invalid="ignore"):
            gaps = np.array([-np.mean(net._loglik(t, yy, X)) for t in thetas]) - problem.loss_min
    seconds = time.perf_counter() - t0
    thetas = np.array(thetas)
    gaps = gaps[: thetas.shape[0]]
    return EscapeRun(problem, repr(optimizer), readonly(thetas), readonly(gaps),
                     escape_iteration(gaps, problem.plateau_gap, factor), factor, diverged,
                     seconds)
