"""Run the commands the pages show; write their outputs and figures.

A ```bash block right after a line `<!-- run: NAME -->` runs: its commands
(`ktk ...` or `python examples/NAME.py ...`) in order, in a temporary
folder of its own (relative paths such as `runs/stats` land there), with
the environment of CI's docs phase. The command lines and their standard
output go to `docs/outputs/NAME.txt`, which the page includes after the
block (`--8<-- "docs/outputs/NAME.txt"` in a ```text block), so the page
shows what this run printed:

- Keras' progress bars and `Epoch i/n` lines become one `...` line;
- the time in a run folder's name becomes `<time>` and the durations of
  `ktk tune`'s progress lines `m:ss`, so that a rerun writes the same text.

The marker may name figures to copy into `docs/images`:
`<!-- run: NAME figures: runs/x/curves.png=curves.png, ... -->` (a source
path may be a glob, relative to the block's folder). A command that exits
other than 0 fails the script. A marker that ends `outside CI: <reason>`
(a run of minutes) is run only when named; its output file starts with a
line giving the reason, the date, the machine and the time it took. A
block whose first line is `# not run: <reason>` is not run (the page says
why); tests/test_docs.py checks that every command of the pages is in one
or the other and that each output file holds its block's commands.

    python docs/run_commands.py             # every block CI runs, 2 at a time
    python docs/run_commands.py NAME ...    # only these blocks
"""

import argparse
import concurrent.futures
import glob
import hashlib
import json
import logging
import os
import pathlib
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import typing

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [DOCS / "index.md"] + sorted((DOCS / "guides").glob("*.md"))
OUTPUTS = DOCS / "outputs"
IMAGES = DOCS / "images"
BLOCK = re.compile(
    r"^(?:<!-- run: (?P<name>[\w-]+)(?: figures: (?P<figures>[^>]*?))?"
    r"(?: outside CI: (?P<reason>[^>]*?))? -->\n)?"
    r"```(?P<language>\w*)\n(?P<code>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
SKIP = "# not run:"
PROGRESS = re.compile(r"^Epoch \d+/\d+$|━|\d+/step|/step ")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
STAMP = re.compile(r"-\d{8}-\d{6}(-\d+)?\b")
NATIVE_LOG = re.compile(r"[IWEF]\d{4} |WARNING: All log messages before absl")
DURATION = re.compile(r"\b\d+(:\d\d)+ (elapsed|left)")


def commands(code):
    """The command lines of a bash block, continuation lines joined."""
    lines = []
    for line in code.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+", " ", line.strip())
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


class Block(typing.NamedTuple):
    """A fenced block of a page; `name` is `None` for one not run."""

    name: str | None
    figures: list
    language: str
    code: str
    outside_ci: str | None


class RunBlock(typing.NamedTuple):
    """A block to run: its page, name, figures and command lines."""

    page: pathlib.Path
    name: str
    figures: list
    commands: list
    outside_ci: str | None


def blocks(page):
    """A page's fenced blocks, as `Block`s."""
    found = []
    for match in BLOCK.finditer(page.read_text()):
        figures = []
        for pair in (match["figures"] or "").split(","):
            if pair.strip():
                source, target = pair.strip().split("=")
                figures.append((source, target))
        found.append(
            Block(
                match["name"],
                figures,
                match["language"],
                match["code"],
                match["reason"],
            )
        )
    return found


def run_blocks(pages=PAGES):
    """Every marked block of the pages, as `RunBlock`s."""
    return [
        RunBlock(page, b.name, b.figures, commands(b.code), b.outside_ci)
        for page in pages
        for b in blocks(page)
        if b.name
    ]


def clean(text):
    """A command's output as the page shows it (see the module's doc)."""
    lines = []
    for line in ANSI.sub("", text).splitlines():
        line = line.split("\r")[-1].rstrip()
        if not line and lines[-1:] == ["..."]:
            continue
        if PROGRESS.search(line):
            if not lines or lines[-1] != "...":
                lines.append("...")
            continue
        line = STAMP.sub("-<time>", line)
        lines.append(DURATION.sub(r"m:ss \2", line))
    return lines


def environment():
    return dict(
        os.environ,
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONHASHSEED="0",
        COLUMNS="100",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    )


def run_worker(blocks, scratch):
    """Runs `blocks` in one process of their own (imports paid once);
    copies their figures; returns `{name: seconds}`."""
    started = time.perf_counter()
    names = ",".join(block.name for block in blocks)
    result = subprocess.run(
        [sys.executable, __file__, "--blocks", names, "--folder", scratch],
        env=environment(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{names}: " + result.stdout + result.stderr)
    for block in blocks:
        name = block.name
        for source, target in block.figures:
            pattern = os.path.join(scratch, name, source)
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise RuntimeError(f"{name}: no figure {source}")
            shutil.copyfile(matches[-1], IMAGES / target)
    took = time.perf_counter() - started
    return {names.replace(",", "+"): took}


def _split(blocks, jobs):
    """`blocks` in `jobs` lists of about equal numbers of commands."""
    lists = [[] for _ in range(jobs)]
    for block in sorted(blocks, key=lambda block: -len(block.commands)):
        min(lists, key=lambda job: sum(len(b.commands) for b in job)).append(
            block
        )
    return [blocks for blocks in lists if blocks]


def _preload():
    """What every `ktk` command imports, imported once per worker."""
    import keras  # noqa: F401
    import keras_tuner  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import tensorflow  # noqa: F401

    import keras_training_kit.callbacks  # noqa: F401
    import keras_training_kit.cli.main
    import keras_training_kit.plotting  # noqa: F401
    import keras_training_kit.tuning  # noqa: F401

    return keras_training_kit.cli.main.main


def _forked(command, folder, path):
    """Runs `command()` in a child forked from this process; its exit code.

    The child starts where a new process would be after its imports
    (nothing has run in this process but imports), in `folder`, with its
    standard output going to `path` and its standard error to
    `path + ".err"`.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    code = 1
    try:
        os.chdir(folder)
        for descriptor, name in ((1, path), (2, path + ".err")):
            file = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(file, descriptor)
        code = command() or 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def _command(words, ktk):
    """`ktk ...` or `python examples/NAME.py ...` as a function to fork."""
    if words[0] == "ktk":
        sys.argv = words
        return lambda: ktk(words[1:])
    if words[0] == "python" and words[1:2] and words[1].startswith("examples/"):
        sys.argv = words[1:]
        # The package's warnings (a diverged trial) as `ktk` shows them,
        # which the check of standard error accepts.
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        path = str(ROOT / words[1])
        return lambda: runpy.run_path(path, run_name="__main__") and 0
    return None


def _header(block, seconds):
    """The first line of the output of a block CI does not run."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from result_json import machine

    date = time.strftime("%Y-%m-%d")
    return (
        f"# CI does not run this ({block.outside_ci}): the run of {date} on "
        f"{machine()}, {seconds:.0f} s"
    )


def _write_sources(block):
    """`docs/outputs/NAME.json`: the SHA-256 of the examples a block runs,
    so that a test sees when its output is older than an example."""
    sources = {}
    for line in block.commands:
        words = shlex.split(line, comments=True)
        if words[0] == "python":
            digest = hashlib.sha256((ROOT / words[1]).read_bytes())
            sources[words[1]] = digest.hexdigest()
    text = json.dumps({"sources": sources}, indent=2) + "\n"
    (OUTPUTS / f"{block.name}.json").write_text(text)


def block_process(name, folder, ktk):
    """Runs a block's commands in `folder`; writes its output file."""
    (block,) = [b for b in run_blocks() if b.name == name]
    output = []
    started = time.perf_counter()
    for index, line in enumerate(block.commands):
        words = shlex.split(line, comments=True)
        path = os.path.join(folder, f".output-{index}")
        command = _command(words, ktk)
        code = _forked(command, folder, path) if command else None
        stdout = pathlib.Path(path).read_text() if command else ""
        stderr = pathlib.Path(path + ".err").read_text() if command else ""
        # stderr holds only the package's own warnings (a broken model's
        # findings): no traceback, no library noise. An example, a plain
        # Python script, also shows TensorFlow's C++ log lines (`ktk`
        # hides them).
        noise = [
            text
            for text in stderr.splitlines()
            if not text.startswith("WARNING keras_training_kit.")
            and not (words[0] == "python" and NATIVE_LOG.match(text))
        ]
        if code != 0 or noise:
            print(f"`{line}` exited {code}\n{stdout[-3000:]}{stderr[-3000:]}")
            return 1
        shown = re.sub(r"\s+#.*$", "", line)
        output += [f"$ {shown}"] + clean(stdout)
    if block.outside_ci:
        output.insert(0, _header(block, time.perf_counter() - started))
        _write_sources(block)
    (OUTPUTS / f"{name}.txt").write_text("\n".join(output) + "\n")
    return 0


def worker_process(names, scratch):
    """`--blocks NAMES`: the blocks' commands, one block after the other,
    each command forked from this process after its imports."""
    ktk = _preload()
    for name in names.split(","):
        folder = os.path.join(scratch, name)
        os.mkdir(folder)
        if block_process(name, folder, ktk):
            return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="only these blocks")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--blocks", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.blocks:
        return worker_process(args.blocks, args.folder)
    todo = [
        block
        for block in run_blocks()
        if block.name in args.names or not (args.names or block.outside_ci)
    ]
    unknown = set(args.names) - {block.name for block in run_blocks()}
    if unknown:
        parser.error(f"no block is named {', '.join(sorted(unknown))}")
    OUTPUTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        # One process per job, each paying the imports once: the blocks
        # split so that the jobs run about as many commands each.
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [
                pool.submit(run_worker, blocks, scratch)
                for blocks in _split(todo, args.jobs)
            ]
            for future in concurrent.futures.as_completed(futures):
                for names, took in future.result().items():
                    print(f"{names}: {took:.1f} s", flush=True)
    total = time.perf_counter() - started
    print(f"{len(todo)} blocks in {total:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
