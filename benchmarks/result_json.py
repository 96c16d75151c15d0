"""The one way a benchmark records its figures: `results/<benchmark>.json`.

Each benchmark prints one line per figure and also collects them with
`figure(...)` and writes them with `write_result(...)` at the end, so the
latest figures are a file the documentation renders (`docs/benchmarks.md`,
`docs/gen_benchmarks.py`). The file is committed by hand after a run on an
idle machine: CI does not run benchmarks.

    {"benchmark": "maxout", "date": "2026-12-07", "machine": "...",
     "command": "python benchmarks/maxout.py",
     "figures": [{"name": ..., "median": ..., "min": ..., "max": ...,
                  "unit": "x", "goal": "<= 1.15"}]}

`KTK_BENCHMARK_RESULTS` names another folder to write to (a quick or
trial run that must not replace the committed figures).
"""

import datetime
import json
import os
import platform
import statistics
import sys

RESULTS_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "results"
)


def figure(name: str, values, unit: str, goal: str | None = None) -> dict:
    """One figure: the median, min and max of per-round `values`.

    `values` is a list of per-round measurements (or ratios), or one number
    when the benchmark measures it once (then min and max are that number).
    """
    if isinstance(values, (int, float)):
        values = [values]
    values = [float(v) for v in values]
    if not values:
        raise ValueError(f"Figure {name!r} has no values. Received: {values}")
    entry = {
        "name": name,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "unit": unit,
    }
    if goal is not None:
        entry["goal"] = goal
    return entry


def machine(device: str | None = None) -> str:
    """The machine in words: the device (if given), CPU count and OS."""
    cpus = f"{os.cpu_count()} CPU cores"
    described = f"{device}, {cpus}" if device else cpus
    return f"{described}, {platform.system()} {platform.machine()}"


def write_result(
    benchmark: str,
    figures: list,
    *,
    device: str | None = None,
    command: str | None = None,
    note: str | None = None,
    directory: str | None = None,
) -> str:
    """Writes `<directory>/<benchmark>.json` and returns its path.

    `device` names the accelerator, if any (the machine's CPU count and OS
    are added); `command` defaults to the command line that ran; `note` is
    a sentence the benchmarks page prints under the figures.
    """
    directory = directory or os.environ.get(
        "KTK_BENCHMARK_RESULTS", RESULTS_DIR
    )
    if command is None:
        script = os.path.relpath(sys.argv[0])
        command = " ".join(["python", script] + sys.argv[1:])
    result = {
        "benchmark": benchmark,
        "date": datetime.date.today().isoformat(),
        "machine": machine(device),
        "command": command,
        "figures": figures,
    }
    if note:
        result["note"] = note
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{benchmark}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {path}")
    return path
