"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence) so that every Monte Carlo
comparison is reproducible: a test either always passes or always fails on a given
checkout. Monte Carlo comparisons use 4 standard errors.
"""

import numpy as np
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fisherstat",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("fisherstat")

#: Number of Monte Carlo standard errors allowed in comparisons with a known value.
N_SE = 4.0

#: float64 unit roundoff (times 2): the spacing of floats at 1.
EPS = float(np.finfo(float).eps)


def sum_atol(abs_sum, depth):
    """Derived absolute tolerance between two float64 evaluations of the same sums of products.

    A sum of products evaluated in any order or blocking, each term passing through at most
    ``depth`` roundings (additions along its path plus its multiplications), is within
    ``gamma_depth * abs_sum`` of the exact value, ``abs_sum`` being the sum of the terms'
    absolute values and ``gamma_k = k eps / (1 - k eps)`` (Higham 2002, *Accuracy and
    Stability of Numerical Algorithms*, Lemma 3.1 and eq. 3.5; eps here is the spacing at
    1, twice the unit roundoff, which covers the constant). Two evaluations by different
    routes (BLAS kernels, loops, blockings) differ by at most twice that. Returns the largest
    entry, for ``assert_allclose(..., atol=)``.
    """
    k = depth + 2
    return float(2.0 * k * EPS / (1.0 - k * EPS) * np.max(np.abs(abs_sum)))
