"""Typed errors that carry the user-facing message; pages show `.message` next to `.field`."""

from __future__ import annotations


class PortalError(Exception):
    """A refusal the customer should read. `field` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(PortalError):
    """One or more fields are wrong; `errors` maps field → message, all reported at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors


class ConfirmationNeeded(InvalidInput):
    """The values are possible but unusual: the fields say why, and the same form sent again with the
    confirmation ('confirm') goes through."""


class TooManyAttempts(PortalError):
    """A rate limit or lockout refused the action."""


class AuthenticationFailed(PortalError):
    """Login, code or link did not check out; the text never says which part was wrong."""


class NotAllowed(PortalError):
    """The action is not available (profile, state, missing session)."""


class ReauthRequired(PortalError):
    """The password was last typed too long ago for this change: ask for it again, then retry."""
