"""Exceptions and warnings raised by fisherstat."""

import numpy as np

__all__ = ["FitError", "BoundaryEstimateError", "NumericalDerivativeWarning",
           "SingularFisherWarning", "WorkerLostWarning"]


class FitError(RuntimeError):
    """A maximum-likelihood fit failed; the message states the reason.

    Examples
    --------
    >>> from fisherstat import FitError
    >>> issubclass(FitError, RuntimeError)
    True
    """


class BoundaryEstimateError(FitError):
    """The maximum of the likelihood lies on the boundary of the parameter space.

    The supremum is attained at a point of the *closure* of the model's open parameter box
    (an all-zero Poisson sample: ``lam = 0``; a mixture weight of 0 or 1): a valid
    maximum-likelihood estimate, but not a parameter the model accepts (its information is
    defined on the open set), so :meth:`~fisherstat.Model.fit` raises instead of returning
    it. ``estimate`` holds it, with NaN for the components the likelihood does not determine
    there (the location of a component of weight 0). Simulation studies
    (:func:`fisherstat.check_asymptotics`) count such replicates as boundary estimates, not
    as failed fits. A subclass of :class:`FitError`, so ``except FitError`` still catches it.

    Parameters
    ----------
    message : str
        The reason, as for :class:`FitError`.
    estimate : array_like, shape (p,)
        The boundary estimate.

    Examples
    --------
    >>> from fisherstat import BoundaryEstimateError, FitError
    >>> from fisherstat.models import Poisson
    >>> try:
    ...     Poisson().fit([0.0, 0.0, 0.0])
    ... except BoundaryEstimateError as exc:
    ...     print(exc.estimate, isinstance(exc, FitError))
    [0.] True
    """

    def __init__(self, message: str, estimate):
        super().__init__(message)
        self.estimate = np.array(estimate, dtype=np.float64).ravel()
        self.estimate.flags.writeable = False

    def __reduce__(self):  # picklable across processes despite the second argument
        return type(self), (str(self), self.estimate)


class SingularFisherWarning(UserWarning):
    """The Fisher information is (numerically) rank deficient.

    The message reports the numerical rank and the dimension. Computations continue with a
    pseudo-inverse of that explicit rank.

    Examples
    --------
    >>> import warnings
    >>> from fisherstat import SingularFisherWarning
    >>> issubclass(SingularFisherWarning, UserWarning)
    True
    """


class WorkerLostWarning(UserWarning):
    """A worker process of ``executor=k`` died (or could not unpickle a chunk).

    Its unfinished chunks ran again on a fresh pool, so the result is complete and
    unchanged: no chunk is lost or counted twice.

    Examples
    --------
    >>> from fisherstat import WorkerLostWarning
    >>> issubclass(WorkerLostWarning, UserWarning)
    True
    """


class NumericalDerivativeWarning(UserWarning):
    """A numerical score or Hessian has a large estimated error.

    Raised by models without analytic derivatives (e.g. :meth:`fisherstat.Model.from_logpdf`)
    when the error estimate of the Richardson-extrapolated differences exceeds
    ``fisherstat.models.base.DERIVATIVE_RTOL`` relative to the derivative; the message
    names the entry and suggests passing the parameters' typical scale.

    Examples
    --------
    >>> from fisherstat import NumericalDerivativeWarning
    >>> issubclass(NumericalDerivativeWarning, UserWarning)
    True
    """
