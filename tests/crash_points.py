"""Runs a package command and SIGKILLs it right after its N-th state change.

Usage:
    python tests/crash_points.py FOLDER N EVENTS -- (-m MODULE | SCRIPT) ARGS...

N may also be a state change itself, `"kind path"` (e.g. `"h5
search/trial_1/checkpoint.weights.h5"`): the process is stopped right after
its first such change, for a process whose writes no reference run lists
(a distributed worker).

A state change is a change of a file or folder under FOLDER made by this
process: a folder created (`mkdir`), a file written by Python's `open` (at
its `close`, or at each `flush` of a file opened for appending, as Keras'
`CSVLogger` does), an HDF5 file closed after writing through h5py (`h5`), a
file renamed into place (`rename`) or deleted (`delete`; `shutil.rmtree`
deletes file by file here, so a kill can fall in the middle). Each state
change is appended to EVENTS as `kind path`; with `N >= 1` the process is
killed with SIGKILL (or sent `KTK_CRASH_SIGNAL`, e.g. INT for a Ctrl-C)
right after the N-th, with `N = 0` never. Every
`keras.Model.fit` call is logged as `fit INITIAL_EPOCH`, so a test can count
the training that ran. Writes through TensorFlow's C++ file system (for
example TensorBoard event files) cannot be seen here.

This makes a kill land at a chosen point of an update, deterministically,
instead of at a moment found by polling. Tests use `run` and `pick` below;
`KTK_CRASH_SWEEP=all` makes them try every kill point instead of a sample
(see `sweep_points`).
"""

import builtins
import io
import os
import runpy
import shutil
import signal
import subprocess
import sys

FOLDER = EVENTS = None
KILL_AT = 0
KILL_ON = None  # a state change, "kind path"
# The signal sent at the chosen point: KILL, or INT (Ctrl-C) / TERM to see
# what the process does with them (`KTK_CRASH_SIGNAL`).
SIGNAL = signal.SIGKILL
_count = 0


def _under(path):
    try:
        path = os.path.abspath(os.fsdecode(path))
    except TypeError:  # a file descriptor or a file object
        return False
    return path == FOLDER or path.startswith(FOLDER + os.sep)


def _log(line):
    fd = os.open(EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def event(kind, path):
    """Records a state change; kills the process if it is the chosen one."""
    global _count
    _count += 1
    line = f"{kind} {os.path.relpath(os.path.abspath(path), FOLDER)}"
    _log(line)
    if _count == KILL_AT or line == KILL_ON:
        os.kill(os.getpid(), SIGNAL)


class _TrackedFile:
    """A file opened for writing; reports its close (and appends' flushes)."""

    def __init__(self, file, path, append):
        self._file, self._path, self._append = file, path, append
        self._dirty = False

    def write(self, data):
        self._dirty = True
        return self._file.write(data)

    def writelines(self, lines):
        self._dirty = True
        return self._file.writelines(lines)

    def flush(self):
        self._file.flush()
        if self._append and self._dirty:
            self._dirty = False
            event("append", self._path)

    def close(self):
        if self._file.closed:
            return
        self._file.close()
        if not self._append:
            event("write", self._path)
        elif self._dirty:
            event("append", self._path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return iter(self._file)

    def __getattr__(self, name):
        return getattr(self._file, name)


def _install():
    original_open = builtins.open

    def tracked_open(file, mode="r", *args, **kwargs):
        handle = original_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+") and _under(file):
            return _TrackedFile(handle, os.fsdecode(file), "a" in mode)
        return handle

    builtins.open = io.open = tracked_open

    for name, kind in (("replace", "rename"), ("rename", "rename")):
        original = getattr(os, name)

        def renamed(src, dst, *args, _original=original, _kind=kind, **kwargs):
            _original(src, dst, *args, **kwargs)
            if _under(dst):
                event(_kind, dst)

        setattr(os, name, renamed)

    for name in ("remove", "unlink"):
        original = getattr(os, name)

        def removed(path, *args, _original=original, **kwargs):
            _original(path, *args, **kwargs)
            if _under(path):
                event("delete", path)

        setattr(os, name, removed)

    original_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        original_mkdir(path, *args, **kwargs)
        if _under(path):
            event("mkdir", path)

    os.mkdir = mkdir

    original_rmtree = shutil.rmtree

    def rmtree(path, ignore_errors=False, *args, **kwargs):
        if not _under(path) or not os.path.isdir(path):
            return original_rmtree(path, ignore_errors, *args, **kwargs)
        for root, folders, files in os.walk(path, topdown=False):
            for name in sorted(files):
                os.remove(os.path.join(root, name))
            for name in folders:
                os.rmdir(os.path.join(root, name))
        os.rmdir(path)
        event("delete", path)

    shutil.rmtree = rmtree

    import h5py

    original_close = h5py.File.close

    def close(self):
        name = writable = None
        if self.id.valid:
            name, writable = self.filename, self.mode == "r+"
        original_close(self)
        if writable and _under(name):
            event("h5", name)

    h5py.File.close = close

    import keras

    original_fit = keras.Model.fit

    def fit(self, *args, **kwargs):
        _log(f"fit {kwargs.get('initial_epoch', 0)}")
        return original_fit(self, *args, **kwargs)

    keras.Model.fit = fit


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(
    folder,
    kill_at,
    events,
    command,
    *,
    timeout=300,
    signal_name="KILL",
    env=None,
):
    """Runs `python -m keras_training_kit COMMAND...` under the kill hook.

    `kill_at` is a state change's number (1-based; 0: never) or the state
    change itself, `"kind path"`. `signal_name` is the signal sent at the
    chosen point (`"KILL"`, `"INT"` for a Ctrl-C, `"TERM"`); `env` holds
    extra environment variables. Returns the `subprocess.CompletedProcess`
    (return code -9 when killed).
    """
    extra = env or {}
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        TF_CPP_MIN_LOG_LEVEL="3",
        KTK_CRASH_SIGNAL=signal_name,
    )
    env.pop("KERASTUNER_TUNER_ID", None)
    env.update(extra)
    return subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            os.fspath(folder),
            str(kill_at),
            os.fspath(events),
            "--",
            "-m",
            "keras_training_kit",
            *command,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_events(path):
    """The `(kind, path)` pairs of an events file, `fit` lines included."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [tuple(line.split(" ", 1)) for line in f.read().splitlines()]


def state_changes(events):
    """The events that count as state changes (all but the `fit` lines)."""
    return [e for e in events if e[0] != "fit"]


def pick(events, kind, path, occurrence=1):
    """The kill point (1-based) right after the `occurrence`-th `kind path`."""
    seen = 0
    for index, event in enumerate(state_changes(events), start=1):
        if event == (kind, path):
            seen += 1
            if seen == occurrence:
                return index
    raise LookupError(f"no {occurrence}. event {kind} {path} in {events}")


def sweep_points(events, sample):
    """Every kill point with `KTK_CRASH_SWEEP=all`, else `sample`."""
    if os.environ.get("KTK_CRASH_SWEEP") == "all":
        return list(range(1, len(state_changes(events)) + 1))
    return sample


def leftovers(folder):
    """Temporary files (`.name.tmp.ext`) still in `folder` after a run."""
    return [
        os.path.relpath(os.path.join(root, name), folder)
        for root, _, names in os.walk(folder)
        for name in names
        if name.startswith(".") and ".tmp" in name
    ]


def main(argv):
    global FOLDER, EVENTS, KILL_AT, KILL_ON, SIGNAL
    separator = argv.index("--")
    folder, kill_at, events = argv[:separator]
    FOLDER, EVENTS = os.path.abspath(folder), events
    if kill_at.isdigit():
        KILL_AT = int(kill_at)
    else:
        KILL_ON = kill_at
    SIGNAL = getattr(signal, "SIG" + os.environ.get("KTK_CRASH_SIGNAL", "KILL"))
    target = argv[separator + 1 :]
    _install()
    if target[0] == "-m":
        sys.argv = [target[1]] + target[2:]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = target
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
