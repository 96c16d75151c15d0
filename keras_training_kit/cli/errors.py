"""The two ways a `ktk` command ends without a traceback.

`cli/main` prints either as one line, `ktk <command>: error: <message>`:
a `UsageError` (a command line `ktk` refuses before any work) exits 2, a
`RunFailed` (the work ran and did not succeed: no usable trial, a range test
with no finite loss, a download with no network) exits 1. Any other
exception is a bug and shows its traceback.
"""


class UsageError(ValueError):
    """A command line `ktk` refuses, before any work: exit 2, one line.

    The message names the flag, the value received and what is allowed. A
    `ValueError`, so Python callers of the checks may catch either.

    Example:

    >>> raise UsageError("`--epochs` must be >= 1")
    Traceback (most recent call last):
    ...
    keras_training_kit.cli.errors.UsageError: `--epochs` must be >= 1
    """


class RunFailed(RuntimeError):
    """The work ran and did not succeed: exit 1, one line saying why.

    Example:

    >>> raise RunFailed("every trial diverged")
    Traceback (most recent call last):
    ...
    keras_training_kit.cli.errors.RunFailed: every trial diverged
    """
