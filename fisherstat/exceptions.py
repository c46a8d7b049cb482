"""Exceptions and warnings raised by fisherstat."""

__all__ = ["FitError", "SingularFisherWarning", "WorkerLostWarning"]


class FitError(RuntimeError):
    """A maximum-likelihood fit failed; the message states the reason.

    Examples
    --------
    >>> from fisherstat import FitError
    >>> issubclass(FitError, RuntimeError)
    True
    """


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
