class TransitionNotAllowed(Exception):
    """A status change that the weekly cycle does not allow; the message says why."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.field = field


class StaleAnswer(TransitionNotAllowed):
    """The answer changed underneath the person saving it."""
