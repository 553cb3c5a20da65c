"""The error of a flow the bot will not run."""


class FlowError(Exception):
    """A flow file the bot will not start with; the message names the file and the place."""
