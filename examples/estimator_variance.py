"""Which Monte Carlo estimator of the Fisher information has lower variance?

For every built-in model at its example parameter, estimate the information with the
score estimator (mean of s s^T) and the Hessian estimator (mean of -H) from the same
number of draws, and print the ratio of their standard errors on the diagonal
(> 1: the Hessian estimator is more precise). Soen & Sun (2021, NeurIPS, "On the variance
of the Fisher information for deep learning") analyse the two estimators; this table shows
the pattern on classical models: in exponential families with natural or location
parameters the Hessian is (nearly) constant, so the Hessian estimator wins by orders of
magnitude, while for scale and shape parameters of heavy-tailed families neither dominates.
Where the Hessian does not depend on the data at all (location parameters, GLMs with a
canonical link, the linear coefficients of a nonlinear regression) the Hessian estimator
has no variance: its standard error is exactly 0 (fisherstat sets a spread of rounding
size, below 2^10 eps relative, to 0; see ``fisherstat._moments.ROUNDING_SPREAD``) and the
ratio column reads "exact" instead of a meaningless 1e13.

Run: ``python examples/estimator_variance.py`` (about ten seconds).
"""

import numpy as np

import fisherstat as fs
from fisherstat.models import REGISTRY


def ratio_text(se_score: float, se_hessian: float) -> str:
    """``se_score / se_hessian``, or "exact" where the Hessian estimator has no variance.

    fisherstat reports a standard error of exactly 0 for terms that vary only by rounding,
    so a zero test is enough here.

    >>> ratio_text(0.01, 0.0), ratio_text(0.0, 0.0), ratio_text(0.3, 0.1)
    ('exact', 'both exact', '3')
    """
    if se_hessian == 0:
        return "both exact" if se_score == 0 else "exact"
    return f"{se_score / se_hessian:.3g}"


def main(n_samples: int = 20_000) -> None:
    print(f"{'model':<22}{'parameter':<12}{'se(score)':>12}{'se(hessian)':>12}{'ratio':>11}")
    for name, cls in REGISTRY.items():
        model = cls()
        theta = model.example_theta()
        ctx = {"x": model.example_x()} if model.is_regression else {}
        n = n_samples if not model.is_regression else n_samples // 10
        se = {
            est: fs.fisher(model, theta, method="monte_carlo", estimator=est, n_samples=n,
                           rng=0, **ctx).stderr
            for est in ("score", "hessian")
        }
        for j, p in enumerate(model.param_names):
            a, b = se["score"][j, j], se["hessian"][j, j]
            ratio = ratio_text(a, b)
            print(f"{name:<22}{p:<12}{a:>12.3g}{b:>12.3g}{ratio:>11}")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
