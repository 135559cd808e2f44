"""The one exception type the command line turns into a one-line message."""


class UserError(Exception):
    """A problem the user can fix: a bad flag, a missing file, corrupt data.

    The message is one sentence that names the file or flag and, where there are any,
    the valid choices. ``fashiongan.cli.main`` prints it and exits with code 2.
    """
