"""Entrywise mean and standard error of iid (p, p) Monte Carlo terms, merged over chunks."""

from __future__ import annotations

import numpy as np

from ._validation import EPS

__all__ = ["Moments", "ROUNDING_SPREAD", "rounding_zero"]

#: Relative standard deviation of Monte Carlo terms that rounding alone can produce.
#: A term computed by at most K floating-point operations carries a relative error of at
#: most gamma_K = K u / (1 - K u), u = eps / 2 (Higham, *Accuracy and Stability of
#: Numerical Algorithms*, 2nd ed., 2002, Lemma 3.1 and eq. 3.5, for sums and products of
#: terms of one sign); terms that are mathematically equal, e.g. the Hessian of a location
#: parameter or of a GLM with canonical link, which does not depend on the data, therefore
#: have a sample standard deviation of at most gamma_K |mean|. K = 2^11 operations (a sum
#: over up to ~2000 covariate rows, as a regression term is) gives gamma_K ~ 2^10 eps
#: = 2.3e-13. A genuinely random term with a smaller coefficient of variation cannot be
#: told from rounding in float64 anyway. (With cancellation rounding can exceed this: then
#: the tiny standard error is reported as computed.)
ROUNDING_SPREAD = 2.0**10 * EPS


def rounding_zero(sd, mean):
    """``sd`` with 0 where it is at most :data:`ROUNDING_SPREAD` times ``|mean|`` (rounding).

    So that the standard error of an estimator whose terms do not vary is exactly 0 on every
    BLAS and in every order of summation, not ``1e-17`` (whose ratio to another standard
    error would be a meaningless 1e13).

    Examples
    --------
    >>> import numpy as np
    >>> from fisherstat._moments import rounding_zero
    >>> rounding_zero(np.array([1e-17, 0.1, 1e-17]), np.array([0.5, 0.5, 0.0])).tolist()
    [0.0, 0.1, 1e-17]
    """
    sd = np.asarray(sd, dtype=float)
    return np.where(sd <= ROUNDING_SPREAD * np.abs(mean), 0.0, sd)


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

        The corrected two-pass algorithm (Chan, Golub & LeVeque 1983, eq. 1.7): the mean
        plus the mean deviation from it, and the squared deviations minus ``c`` times that
        correction squared. A sum along the first axis of a (c, p, p) array is not pairwise
        in NumPy; its error, of order ``c eps |T|`` (1e-12 relative for a million terms),
        would otherwise pass for Monte Carlo spread. Entries that are constant over the
        chunk (the Hessian estimator of a location parameter, say, is non-random) keep
        their exact value: the correction removes the rounding of their mean, and their
        remaining deviation is rounding, which :meth:`stderr` reports as 0.
        """
        mean = T.mean(axis=0)
        d = T - mean
        corr = d.mean(axis=0)
        mean = mean + corr
        m2 = np.maximum((d * d).sum(axis=0) - T.shape[0] * corr**2, 0.0)
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
        """Entrywise ``sd(T) / sqrt(n)``; exactly 0 where ``sd(T)`` is rounding only."""
        return rounding_zero(np.sqrt(self.m2 / (self.n - 1)), self.mean) / np.sqrt(self.n)
