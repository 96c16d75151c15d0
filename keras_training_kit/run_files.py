"""Crash-safe run-folder files: write-then-rename, and tolerant readers.

The readers skip torn lines.

A process may be killed at any instant (SIGKILL, a preempted machine). Every
state or result file of the package is therefore written to a temporary file
beside its destination and renamed into place, which is atomic on local file
systems: a reader sees the old file or the new one, never half of one.
Append-only logs (`history.csv`, the callbacks' CSVs) may end in a torn last
line after a kill; `read_csv_rows` skips it.
"""

import contextlib
import csv
import json
import os


def temporary_path(path: str) -> str:
    """Returns the temporary path `path` is written to before its rename.

    The temporary file lies in the same folder (so the rename is atomic),
    is hidden, and keeps the full extension (`.weights.h5`, `.keras`,
    `.png`), which Keras and matplotlib read the format from.
    """
    folder, name = os.path.split(os.fspath(path))
    stem, dot, extension = name.partition(".")
    return os.path.join(folder, f".{stem}.tmp{dot}{extension}")


def remove_temporary_files(folder: str) -> list:
    """Removes the temporary files a kill left under `folder`; returns them.

    They are the files named by `temporary_path` whose rename never came.
    """
    removed = []
    for root, _, names in os.walk(folder):
        for name in names:
            if name.startswith(".") and ".tmp" in name:
                os.remove(os.path.join(root, name))
                removed.append(os.path.join(root, name))
    return removed


@contextlib.contextmanager
def atomic_path(path: str):
    """Yields a temporary path; renames it to `path` when the block succeeds.

    On an exception the temporary file is removed and `path` is untouched.

    Example:

    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "metrics.json")
    >>> with atomic_path(path) as temporary:
    ...     with open(temporary, "w") as f:
    ...         json.dump({"test_accuracy": 0.98}, f)
    >>> json.load(open(path))
    {'test_accuracy': 0.98}
    """
    temporary = temporary_path(path)
    try:
        yield temporary
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    os.replace(temporary, path)


def write_json(path: str, data, *, indent: int | None = 2) -> str:
    """Writes `data` as JSON to `path` atomically; returns `path`."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            json.dump(data, f, indent=indent)
    return path


def write_text(path: str, text: str) -> str:
    """Writes `text` to `path` atomically; returns `path`."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            f.write(text)
    return path


def _complete_rows(path):
    """The CSV rows of `path` whose line ended with a newline."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        lines = f.read().splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]
    return list(csv.reader(lines))


def read_csv_rows(path: str) -> list:
    r"""Reads a CSV log with a header as a list of dicts, skipping a torn line.

    A process killed while appending leaves a last line without its newline
    (or with fewer fields than the header): that row was never completed and
    is left out. Returns `[]` for a missing or empty file.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "history.csv")
    >>> _ = open(path, "w").write("epoch,loss\n0,0.5\n1,0.4")
    >>> read_csv_rows(path)
    [{'epoch': '0', 'loss': '0.5'}]
    """
    rows = _complete_rows(path)
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row)) for row in body if len(row) == len(header)]


def truncate_csv_log(path: str, keep) -> None:
    """Rewrites a CSV log keeping only complete rows for which `keep(row)`.

    Used before appending to a log again after a resume, so a torn last line
    or rows of work that will be redone do not stay in it. A log without a
    complete header line is removed. The rewrite is atomic.

    Args:
        path: str, the CSV file (nothing happens when it does not exist).
        keep: callable taking a row dict and returning whether to keep it.
    """
    rows = _complete_rows(path)
    if not rows:
        if os.path.exists(path):
            os.remove(path)
        return
    header = rows[0]
    kept = [row for row in read_csv_rows(path) if keep(row)]
    with atomic_path(path) as temporary:
        with open(temporary, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(kept)
