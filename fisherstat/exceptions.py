"""Exceptions and warnings raised by fisherstat."""

__all__ = ["FitError", "SingularFisherWarning"]


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
