"""The one error type raised by the form's parsers, carrying the text shown to the applicant."""


class InputError(ValueError):
    """A user's answer that cannot be accepted; `.message` is Chinese text for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
