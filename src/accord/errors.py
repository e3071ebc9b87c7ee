"""The error tree. Messages are safe to show to users; every surface maps these once."""

from __future__ import annotations


class AccordError(Exception):
    """A failure the user can understand and act on."""

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class NotFound(AccordError): ...


class PermissionDenied(AccordError): ...


class NotAuthenticated(PermissionDenied): ...


class InvalidInput(AccordError): ...


class TooLarge(InvalidInput): ...


class Conflict(AccordError): ...


class IllegalTransition(Conflict): ...


class RateLimited(AccordError):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


HTTP_STATUS: dict[type[AccordError], int] = {
    NotAuthenticated: 401,
    NotFound: 404,
    PermissionDenied: 403,
    TooLarge: 413,
    InvalidInput: 422,
    Conflict: 409,
    RateLimited: 429,
    AccordError: 400,
}

EXIT_CODE: dict[type[AccordError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    PermissionDenied: 4,
    Conflict: 5,
    RateLimited: 6,
    AccordError: 1,
}


def lookup(table: dict[type[AccordError], int], exc: AccordError) -> int:
    """Walk the MRO so a domain subclass inherits its parent's code."""
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return table[AccordError]
