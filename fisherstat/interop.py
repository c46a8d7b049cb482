"""Interoperability with statsmodels: the Fisher information of a fitted statsmodels model.

statsmodels is imported lazily, inside :func:`from_statsmodels`, so that ``import fisherstat``
stays fast.
"""

from __future__ import annotations

import numpy as np

from .information import FisherInfo

__all__ = ["from_statsmodels"]

_KINDS = ("expected", "observed")


def _unwrap(results):
    """The bare statsmodels ``LikelihoodModelResults`` behind ``results`` (or TypeError)."""
    try:
        from statsmodels.base.model import LikelihoodModelResults
        from statsmodels.base.wrapper import ResultsWrapper
    except ImportError as exc:  # pragma: no cover - statsmodels is a dependency
        raise ImportError("from_statsmodels needs statsmodels installed") from exc
    res = results._results if isinstance(results, ResultsWrapper) else results
    if not isinstance(res, LikelihoodModelResults):
        raise TypeError(
            "results must be a fitted statsmodels likelihood-model results object "
            "(e.g. sm.Logit(y, X).fit()), got " + type(results).__name__
        )
    return res


def _param_names(model, p: int) -> tuple[str, ...]:
    names = getattr(model, "exog_names", None)
    if names is not None and len(names) == p:
        names = tuple(str(n) for n in names)
        if all(names) and len(set(names)) == p:  # FisherInfo needs distinct names
            return names
    return tuple(f"param_{i}" for i in range(p))


def _information(res, params: np.ndarray, kind: str) -> tuple[np.ndarray, str]:
    """Information matrix of the whole sample and the FisherInfo ``method`` label."""
    from statsmodels.discrete.discrete_model import Logit, Poisson, Probit
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.regression.linear_model import GLS, WLS

    model = res.model
    observed = kind == "observed"
    label = "observed" if observed else "analytic"
    if isinstance(model, GLM):
        # GLM.hessian(observed=False) is the expected Hessian, which GLM.information also
        # returns *without* the sign change (statsmodels issues #3548, #4454): negate it.
        return -model.hessian(params, scale=float(res.scale), observed=observed), label
    if isinstance(model, (GLS, WLS)):  # OLS derives from WLS
        wx = np.asarray(model.wexog, dtype=float)
        return wx.T @ wx / float(res.scale), label
    if isinstance(model, (Logit, Poisson)):
        # canonical links: the Hessian does not depend on y, observed = expected
        return -model.hessian(params), label
    if isinstance(model, Probit) and not observed:
        # statsmodels' Probit has only the observed Hessian; the expected one is GLM's
        offset = getattr(model, "offset", None)
        glm = GLM(model.endog, model.exog, offset=offset,
                  family=families.Binomial(link=families.links.Probit()))
        return -glm.hessian(params, scale=1.0, observed=False), "analytic"
    try:
        H = model.hessian(params)
    except NotImplementedError:
        raise TypeError(
            f"{type(model).__name__} provides no Hessian; from_statsmodels needs a "
            "likelihood model (GLM, OLS/WLS/GLS, Logit, Probit, Poisson, ...)"
        ) from None
    return -np.asarray(H, dtype=float), "observed"


def from_statsmodels(results, *, kind: str = "expected") -> FisherInfo:
    """Fisher information of a fitted statsmodels likelihood model at its estimate.

    Parameters
    ----------
    results : statsmodels results
        The object returned by ``fit()`` of a statsmodels likelihood model (``GLM``,
        ``OLS``/``WLS``/``GLS``, ``Logit``, ``Probit``, ``Poisson``, ``NegativeBinomial``,
        ``GenericLikelihoodModel`` ...).
    kind : {'expected', 'observed'}
        ``'expected'`` (default) returns the expected information where statsmodels has
        it and falls back to the observed information otherwise; ``'observed'`` returns
        minus the Hessian of the log-likelihood. The ``method`` of the result says which
        one you got: ``'analytic'`` (expected) or ``'observed'``.

    Returns
    -------
    FisherInfo
        The information of the whole sample at ``results.params``: ``n_obs = results.nobs``,
        ``param_names`` from the model's ``exog_names`` (``param_0 ...`` when they do not
        match the number of parameters, e.g. for multinomial models).

    Raises
    ------
    TypeError
        If ``results`` is not a fitted statsmodels likelihood-model results object, or its
        model has no Hessian.
    ValueError
        If ``kind`` is not ``'expected'`` or ``'observed'``.

    Notes
    -----
    Sign and scale conventions (statsmodels 0.14/0.15):

    * statsmodels' ``hessian`` is the Hessian of the log-likelihood (negative definite at
      a maximum); the information is its negative.
    * ``GLM``: expected information ``X^T W X / scale`` with the IRLS weights
      ``W = iweights / (g'(mu)^2 V(mu))`` (McCullagh & Nelder 1989, section 2.5), from
      ``-GLM.hessian(params, scale=results.scale, observed=False)``. ``GLM.information``
      returns this matrix with the *wrong* sign (negative definite; statsmodels issues
      #3548 and #4454), so it is not used. ``scale`` is 1 for the binomial and Poisson
      families and the estimated dispersion (Pearson chi2 / df_resid) otherwise.
    * ``OLS``/``WLS``/``GLS``: ``wexog^T wexog / scale`` (``X^T X / scale`` for OLS), the
      information of the coefficients with the variance fixed at ``results.scale`` =
      ``RSS / df_resid``. The variance is not a parameter in statsmodels; since it is
      orthogonal to the coefficients, the inverse of this matrix equals the
      non-robust ``results.cov_params()``. (fisherstat's ``LinearRegression`` includes
      ``sigma2`` as a parameter; its coefficient block at ``sigma2 = scale`` is this matrix.)
    * ``Logit``, ``Poisson`` (canonical links): ``-model.hessian(params)``, which does not
      depend on the response and so is the expected information (offset and exposure
      included).
    * ``Probit``: statsmodels' Hessian is the observed one; the expected information
      ``X^T diag(phi^2 / (Phi (1 - Phi))) X`` is taken from the equivalent
      ``GLM(family=Binomial(link=Probit()))`` (with the model's offset).
    * Anything else: the observed information ``-model.hessian(params)``
      (``method='observed'``).

    Examples
    --------
    >>> import numpy as np
    >>> import statsmodels.api as sm
    >>> import fisherstat as fs
    >>> rng = np.random.default_rng(0)
    >>> X = sm.add_constant(rng.normal(size=200))
    >>> y = (rng.random(200) < 1 / (1 + np.exp(-X @ [0.2, 1.0]))).astype(float)
    >>> res = sm.Logit(y, X).fit(disp=0)
    >>> info = fs.from_statsmodels(res)
    >>> info.param_names, info.method, info.n_obs
    (('const', 'x1'), 'analytic', 200.0)
    >>> bool(np.allclose(info.inverse(), res.cov_params()))
    True
    >>> own = fs.models.LogisticRegression(2).fisher(res.params, x=X)
    >>> bool(np.allclose(info.matrix, own, rtol=1e-12))
    True
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'expected' or 'observed', got {kind!r}")
    res = _unwrap(results)
    params = np.asarray(res.params, dtype=float)
    matrix, method = _information(res, params, kind)
    matrix = np.asarray(matrix, dtype=float)
    names = _param_names(res.model, matrix.shape[0])
    return FisherInfo(0.5 * (matrix + matrix.T), names, float(res.nobs), method)
