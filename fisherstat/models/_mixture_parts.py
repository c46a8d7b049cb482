"""Component quantities of a Gaussian mixture at one parameter value (shared by the
:class:`~fisherstat.models.GaussianMixture` modules)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

_LOG_2PI = np.log(2.0 * np.pi)


def _tall_matmul(A, M):
    """``A @ M`` for a tall ``A`` (..., d) and a small ``M`` (d, q), computed as
    ``(M^T A^T)^T``: OpenBLAS handles the wide product consistently fast, while the tall one
    can be ~30x slower when its threads compete for cores."""
    flat = A.reshape(-1, A.shape[-1])
    return (M.T @ flat.T).T.reshape(A.shape[:-1] + (M.shape[1],))


class _Parts(NamedTuple):
    """Component quantities at one parameter value (all arrays over the k components)."""

    pi: np.ndarray  # (k,)  weights, pi_k = 1 - sum of the free ones
    mu: np.ndarray  # (k, d)
    cov: np.ndarray  # (k, d, d)
    linv: np.ndarray  # (k, d, d)  inverse of the lower Cholesky factor
    prec: np.ndarray  # (k, d, d)  Sigma_j^{-1}
    logdet: np.ndarray  # (k,)
