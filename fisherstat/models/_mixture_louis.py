r"""Louis' (1982) observed information of a Gaussian mixture: complete minus missing.

The :class:`LouisInformation` methods of :class:`~fisherstat.models.GaussianMixture`
(with the component labels as the missing data) and their result,
:class:`MissingInformation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .._fisherinfo import FisherInfo
from ._mixture_parts import _tall_matmul

__all__ = ["MissingInformation", "LouisInformation"]


@dataclass(frozen=True)
class MissingInformation:
    r"""Louis' (1982) decomposition of the observed information of a mixture, per observation.

    Attributes
    ----------
    complete : ndarray, shape (p, p)
        :math:`\frac1n\sum_i E[-\nabla^2 \log p(y_i, z_i) \mid y_i]`, the conditional expected
        complete-data information (the labels ``z`` are the missing data).
    missing : ndarray, shape (p, p)
        :math:`\frac1n\sum_i \operatorname{Cov}[\nabla \log p(y_i, z_i) \mid y_i]`, the
        missing information.
    param_names : tuple of str

    Notes
    -----
    ``observed = complete - missing`` is minus the Hessian of the observed log-likelihood
    per observation (Louis 1982, JRSS-B 44, eq. 3.1). At the MLE, the eigenvalues of
    ``complete^{-1} missing`` are the rates of the EM iteration in its eigen-directions; the
    largest is its linear rate of convergence (Dempster, Laird & Rubin 1977, JRSS-B 39,
    sec. 3; Meng & Rubin 1991, JASA 86, 899-909, eq. 2.2.1).
    """

    complete: np.ndarray
    missing: np.ndarray
    param_names: tuple

    @property
    def observed(self) -> FisherInfo:
        """Observed information per observation, ``complete - missing``."""
        m = self.complete - self.missing
        return FisherInfo(0.5 * (m + m.T), self.param_names, 1.0, "observed")

    def fraction_missing(self) -> np.ndarray:
        """Eigenvalues of ``complete^{-1} missing``, in decreasing order."""
        lam = linalg.eigvals(self.missing, self.complete)
        return np.sort(lam.real)[::-1]

    @property
    def em_rate(self) -> float:
        """Largest fraction of missing information: the linear rate of EM at the MLE."""
        return float(self.fraction_missing()[0])


class LouisInformation:
    """Louis' decomposition for :class:`~fisherstat.models.GaussianMixture` (a mixin: it
    uses the mixture's responsibilities, local scores and component quantities)."""

    def _louis_sums(self, theta, X):
        """Summed complete information ``sum_i E[-B_z | y_i]``, summed ``E[A_z A_z^T | y_i]``,
        ``sum_i s_i s_i^T`` and the summed score (no per-observation (p, p) arrays)."""
        pt, a, tau, loc, s = self._score_parts(theta, X)
        p, d = self.n_params, self.dim
        Ic, AA = np.zeros((p, p)), np.zeros((p, p))
        w = self._w_idx
        G = self._weight_scores(pt.pi) if self.k > 1 else None
        for j in range(self.k):
            idx = self._loc_idx[j]
            t = tau[j]
            T = t.sum()
            P = pt.prec[j]
            Ea = self._times_E(a[j].T)  # (n, m, d)
            PEa = _tall_matmul(Ea, P)
            PE = np.einsum("iq,aql->ail", P, self._E)
            blk = np.empty((d + self._m, d + self._m))
            blk[:d, :d] = T * P
            blk[d:, :d] = np.tensordot(t, PEa, axes=(0, 0))
            blk[:d, d:] = blk[d:, :d].T
            blk[d:, d:] = (np.tensordot(t[:, None, None] * PEa, Ea, axes=([0, 2], [0, 2]))
                           - 0.5 * T * np.einsum("ail,bli->ab", PE, PE))
            Ic[idx[:, None], idx[None, :]] += blk
            lj = loc[j]  # (d + m, n)
            AA[idx[:, None], idx[None, :]] += np.einsum("an,bn->ab", lj * t, lj)
            if G is not None:
                gg = T * np.outer(G[j], G[j])
                Ic[w[:, None], w[None, :]] += gg
                AA[w[:, None], w[None, :]] += gg
                cross = np.outer(G[j], lj @ t)
                AA[w[:, None], idx[None, :]] += cross
                AA[idx[:, None], w[None, :]] += cross.T
        return Ic, AA, np.einsum("an,bn->ab", s, s), s.sum(axis=1)

    def missing_information(self, theta, data) -> MissingInformation:
        r"""Louis' decomposition observed = complete - missing, per observation.

        With the component labels :math:`z` as missing data, the complete-data score is
        :math:`A_{z}` and its Hessian :math:`B_{z}` (see the class Notes), so
        :math:`E[-B_z \mid y] = -\sum_j \tau_j B_j` and
        :math:`\operatorname{Cov}[A_z \mid y] = \sum_j \tau_j A_j A_j^T - s s^T`
        (Louis 1982, JRSS-B 44, 226-233, eq. 3.1). They are accumulated as sums over the
        observations (no per-observation (p, p) arrays).

        Examples
        --------
        >>> import numpy as np
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2)
        >>> x = m.sample([0.5, 0.0, 3.0, 1.0, 1.0], 2000, rng=1)
        >>> res = m.missing_information(m.fit(x), x)
        >>> round(res.em_rate, 2)  # EM gains ~7% of the remaining distance per iteration
        0.93
        """
        theta = self.validate(theta)
        X, _ = self.check_data(data)
        Ic, AA, SS, _ = self._louis_sums(theta, X)
        n = X.shape[0]
        Im = AA - SS
        return MissingInformation(0.5 * (Ic + Ic.T) / n, 0.5 * (Im + Im.T) / n,
                                  self.param_names)

    def observed_information_louis(self, theta, data) -> FisherInfo:
        """Observed information per observation by Louis' (1982) missing-information identity.

        Equal to :func:`fisherstat.observed_information` (minus the mean Hessian) computed
        as ``complete - missing`` from the posterior responsibilities; see
        :meth:`missing_information`.

        Examples
        --------
        >>> import numpy as np
        >>> import fisherstat as fs
        >>> from fisherstat.models.mixture import GaussianMixture
        >>> m = GaussianMixture(2)
        >>> x = m.sample(m.example_theta(), 500, rng=2)
        >>> th = m.fit(x)
        >>> bool(np.allclose(m.observed_information_louis(th, x).matrix,
        ...                  fs.observed_information(m, th, x).matrix, rtol=1e-10, atol=1e-12))
        True
        """
        return self.missing_information(theta, data).observed
