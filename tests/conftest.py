"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence) so that every Monte Carlo
comparison is reproducible: a test either always passes or always fails on a given
checkout. Monte Carlo comparisons use 4 standard errors.
"""

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
