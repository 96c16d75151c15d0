"""Hides TensorFlow's C++ log lines from the command line's output.

TensorFlow and XLA write their C++ logs (absl's `I0000 ...` lines, CUDA's
`failed call to cuInit` on a CPU machine) straight to file descriptor 2, in
part before `TF_CPP_MIN_LOG_LEVEL` is read. While a command runs, descriptor
2 is pointed at the null device and Python's `sys.stderr` at a copy of the
real one, so Python warnings, errors and tracebacks still show (a
`sys.stderr` that is not descriptor 2, such as pytest's capture, is kept).
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def hidden_native_logs():
    """Within the block, only Python's `sys.stderr` reaches the terminal."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2
        yield
        return
    python_stderr = sys.stderr
    try:
        writes_to_fd_2 = python_stderr.fileno() == 2
    except (OSError, ValueError, AttributeError):  # e.g. captured by pytest
        writes_to_fd_2 = False
    if writes_to_fd_2:
        sys.stderr = open(saved, "w", buffering=1, closefd=False)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        if writes_to_fd_2:
            sys.stderr.close()
        os.close(saved)
        sys.stderr = python_stderr
