"""Entrywise mean and standard error of iid (p, p) Monte Carlo terms, merged over chunks."""

from __future__ import annotations

import numpy as np

__all__ = ["Moments"]


class Moments:
    """Entrywise mean and sum of squared deviations of iid (p, p) terms, merged over chunks.

    Chunks are combined with the pairwise update of Chan, Golub & LeVeque (1983, "Algorithms
    for computing the sample variance", Am. Stat. 37, eq. 2.1), so that entries which do not
    vary get a standard error of exactly 0 instead of the ``sqrt(eps)`` noise of the one-pass
    formula ``E[T^2] - E[T]^2``.
    """

    def __init__(self, p):
        self.n, self.mean, self.m2 = 0, np.zeros((p, p)), np.zeros((p, p))

    def add(self, c, mean, m2):
        n = self.n + c
        delta = mean - self.mean
        self.mean = self.mean + delta * (c / n)
        self.m2 = self.m2 + m2 + delta**2 * (self.n * c / n)
        self.n = n

    def add_terms(self, T):
        """Add explicit terms, shape (c, p, p) (two-pass within the chunk).

        Entries that are constant over the chunk keep their exact value and zero deviation
        (the Hessian estimator of a location parameter, say, is non-random).
        """
        const = T.min(axis=0) == T.max(axis=0)
        mean = np.where(const, T[0], T.mean(axis=0))
        m2 = np.where(const, 0.0, ((T - mean) ** 2).sum(axis=0))
        self.add(T.shape[0], mean, m2)

    def add_scores(self, s):
        """Add the terms ``s_i s_i^T`` of scores ``s`` (c, p) without forming (c, p, p).

        Within the chunk the one-pass formula is used; it is accurate here because score
        products have a coefficient of variation of order one (they are never constant).
        """
        c = s.shape[0]
        mean = s.T @ s / c
        s2 = s * s
        self.add(c, mean, np.clip(s2.T @ s2 - c * mean**2, 0.0, None))

    def add_scores_einsum(self, s):
        """:meth:`add_scores` computed by ``einsum`` instead of BLAS products.

        For cache-sized chunks of many rows and few columns ``einsum`` starts no BLAS
        threads and is faster (the stratified and quasi-Monte Carlo estimators of
        :func:`fisherstat.fisher` use it); the rounding differs from :meth:`add_scores`.
        """
        c = s.shape[0]
        mean = np.einsum("na,nb->ab", s, s) / c
        s2 = s * s
        self.add(c, mean, np.clip(np.einsum("na,nb->ab", s2, s2) - c * mean**2, 0, None))

    def stderr(self):
        return np.sqrt(self.m2 / (self.n - 1) / self.n)
