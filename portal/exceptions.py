class PortalError(Exception):
    """A rule of the portal was broken; `message` is translated and safe to show the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
