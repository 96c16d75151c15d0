"""The documentation runs: the README's and the guides' code, as written.

Every ```python block of a page runs, the page's blocks in order in one
namespace, in a process of its own in a temporary folder; a block whose
first line is `# not run: <reason>` is skipped (the page says why).
Every `ktk` command of a ```bash block parses with `ktk`'s own parser,
every `python examples/...` or `benchmarks/...` script exists, every
image a page shows exists, and the benchmarks page is what
`docs/gen_benchmarks.py` renders from `benchmarks/results/*.json`.

The site's `ktk` commands (docs/index.md and the guides; the README's are
the same as the home page's) run in CI's docs phase: each ```bash block
holding one is marked `<!-- run: NAME -->` (docs/run_commands.py runs it
and writes `docs/outputs/NAME.txt`, which the page includes after the
block) or starts with `# not run: <reason>`. An output file must hold its
block's commands as the page shows them now, and no page shows a pasted
`$ ktk` output.
"""

import contextlib
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "docs" / "index.md"] + sorted(
    (ROOT / "docs" / "guides").glob("*.md")
)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
SKIP = "# not run:"


def _blocks(page, language):
    return [
        code
        for lang, code in FENCE.findall(page.read_text())
        if lang == language
    ]


def _name(page):
    return str(page.relative_to(ROOT))


@contextlib.contextmanager
def _working_directory(path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _commands(code):
    """The shell lines of a bash block, continuation lines joined."""
    return [
        line.strip()
        for line in code.replace("\\\n", " ").splitlines()
        if line.strip()
    ]


def _words(line):
    """A command line's words without the environment and a trailing `&`."""
    words = shlex.split(line, comments=True)
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
        words.pop(0)
    if words and words[-1] == "&":
        words.pop()
    return words


# Runs in a process of its own, as a reader would: one page's blocks in one
# namespace, no state shared with other tests (a `tf.distribute` strategy, the
# dtype policy, Keras' seeds).
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for where, code in json.load(open(sys.argv[1])):
    print(f"--- {where}", flush=True)
    exec(compile(code, where, "exec"), namespace)
"""


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if _blocks(p, "python")],
    ids=_name,
)
def test_python_blocks_run(page, tmp_path):
    blocks = [
        (f"{_name(page)}, python block {index + 1}", code)
        for index, code in enumerate(_blocks(page, "python"))
        if not code.lstrip().startswith(SKIP)
    ]
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    environment = dict(
        os.environ,
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    )
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(tmp_path / "blocks.json")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"{_name(page)}: exit {result.returncode}\n"
        + result.stdout[-3000:]
        + result.stderr[-5000:]
    )


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_ktk_commands_parse(page, tmp_path):
    from keras_training_kit.cli.main import build_parser

    parser = build_parser()
    checked = 0
    with _working_directory(tmp_path):
        for code in _blocks(page, "bash"):
            for line in _commands(code):
                words = _words(line)
                if words[:1] == ["ktk"]:
                    try:
                        parser.parse_args(words[1:])
                    except SystemExit as exit:
                        assert exit.code == 0, f"{_name(page)}: {line}"
                    checked += 1
                elif words[:1] in (["python"], ["python3"]) and words[1:2]:
                    script = words[1]
                    if script.split("/")[0] in ("examples", "benchmarks"):
                        assert (ROOT / script).is_file(), line
    if page.name != "README.md":
        return
    # The README's quickstarts show `ktk train` and `ktk tune`.
    assert checked >= 4


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_images_exist(page):
    for target in IMAGE.findall(page.read_text()):
        assert (page.parent / target).is_file(), f"{_name(page)}: {target}"


def _module(name):
    path = ROOT / "docs" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generator():
    return _module("gen_benchmarks")


RUNNER_MODULE = _module("run_commands")
INCLUDE = '```text\n--8<-- "docs/outputs/{}.txt"\n```'


def _runnable(line):
    """Whether a command line is one the runner runs: `ktk` or an example."""
    words = _words(line)
    return words[:1] == ["ktk"] or (
        words[:1] == ["python"]
        and words[1:2] != []
        and words[1][:9] == "examples/"
    )


@pytest.mark.parametrize("page", RUNNER_MODULE.PAGES, ids=_name)
def test_commands_run_or_say_why_not(page):
    for name, figures, language, code, _ in RUNNER_MODULE.blocks(page):
        lines = RUNNER_MODULE.commands(code)
        if name:
            assert language == "bash", (_name(page), name)
            for line in lines:
                assert _runnable(line), (_name(page), line)
        elif language == "bash" and any(_runnable(line) for line in lines):
            assert code.startswith(SKIP), (
                f"{_name(page)}: mark the block `<!-- run: NAME -->` or "
                f"start it with `{SKIP} <reason>`:\n{code}"
            )


@pytest.mark.parametrize("page", RUNNER_MODULE.PAGES, ids=_name)
def test_outputs_are_the_runs_of_the_blocks(page):
    text = page.read_text()
    for name, figures, language, code, reason in RUNNER_MODULE.blocks(page):
        if language not in ("python", "bash"):
            assert not re.search(
                r"^\$ (ktk|python examples/)", code, re.MULTILINE
            ), (
                f"{_name(page)}: a pasted `ktk` output; mark its command's "
                "block `<!-- run: NAME -->` and include docs/outputs/NAME.txt"
            )
        if not name:
            continue
        assert INCLUDE.format(name) in text, (_name(page), name)
        output = ROOT / "docs" / "outputs" / f"{name}.txt"
        assert output.is_file(), f"run `python docs/run_commands.py {name}`"
        shown = [
            line[2:]
            for line in output.read_text().splitlines()
            if line.startswith("$ ")
        ]
        expected = [
            re.sub(r"\s+#.*$", "", line)
            for line in RUNNER_MODULE.commands(code)
        ]
        assert shown == expected, (
            f"{_name(page)}: docs/outputs/{name}.txt is another command's "
            f"output: run `python docs/run_commands.py {name}`"
        )
        for source, target in figures:
            assert f"images/{target})" in text, (_name(page), target)
        if reason:
            _check_outside_ci(name, reason, output)


def _check_outside_ci(name, reason, output):
    """A block CI does not run: its output says why and when, and comes
    from the examples as they are now."""
    first = output.read_text().splitlines()[0]
    assert first.startswith(f"# CI does not run this ({reason}): the run of ")
    sources = json.loads((output.parent / f"{name}.json").read_text())
    for path, digest in sources["sources"].items():
        now = hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
        assert now == digest, (
            f"{path} changed since docs/outputs/{name}.txt was written: run "
            f"`python docs/run_commands.py {name}`"
        )


def test_not_run_commands_stay_few():
    not_run = [
        code
        for page in RUNNER_MODULE.PAGES
        for name, figures, language, code, _ in RUNNER_MODULE.blocks(page)
        if language == "bash"
        and code.startswith(SKIP)
        and any(_runnable(line) for line in RUNNER_MODULE.commands(code))
    ]
    # An install, a download, the distributed chief and workers.
    assert len(not_run) <= 3, not_run


def test_run_names_are_unique():
    names = [block.name for block in RUNNER_MODULE.run_blocks()]
    assert names and len(names) == len(set(names))
    written = {p.stem for p in (ROOT / "docs" / "outputs").glob("*.txt")}
    assert written == set(names), "docs/outputs holds files no page runs"


def test_output_cleaning():
    lines = RUNNER_MODULE.clean(
        "Epoch 1/2\n\x1b[1m1/41\x1b[0m ━━ 5ms/step - loss: 2\n\n"
        "Epoch 2/2\ntest accuracy 0.9. Run folder: "
        "runs/train-digits-cnn-20261207-150102\n"
        "trial 0 (1/4): ... 0:42 elapsed, about 1:10:03 left\n"
    )
    assert lines == [
        "...",
        "test accuracy 0.9. Run folder: runs/train-digits-cnn-<time>",
        "trial 0 (1/4): ... m:ss elapsed, about m:ss left",
    ]


def test_benchmarks_page_shows_the_recorded_figures():
    generator = _generator()
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    assert page == generator.page(), (
        "docs/benchmarks.md is not what benchmarks/results/*.json render: "
        "run `python docs/gen_benchmarks.py`"
    )
    results = sorted((ROOT / "benchmarks" / "results").glob("*.json"))
    assert results
    for path in results:
        result = json.loads(path.read_text())
        assert result["benchmark"] == path.stem
        assert f"<!-- results:{path.stem} -->" in page, path.name
        for key in ("date", "machine", "command"):
            assert result[key] in page, (path.name, key)
        for figure in result["figures"]:
            row = (
                f"| {figure['name']} | {generator.number(figure['median'])} "
                f"| {generator.number(figure['min'])} "
                f"| {generator.number(figure['max'])} | {figure['unit']} |"
            )
            assert row in page, (path.name, figure["name"])


def test_benchmark_result_files_match_the_writer(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    sys.modules.pop("result_json", None)
    import result_json

    written = result_json.write_result(
        "example",
        [result_json.figure("a / b", [1.0, 1.2, 0.9], "x", "<= 1.05")],
        command="python benchmarks/example.py",
        directory=str(tmp_path),
    )
    example = json.loads(pathlib.Path(written).read_text())
    assert example["figures"] == [
        {
            "name": "a / b",
            "median": 1.0,
            "min": 0.9,
            "max": 1.2,
            "unit": "x",
            "goal": "<= 1.05",
        }
    ]
    for path in (ROOT / "benchmarks" / "results").glob("*.json"):
        result = json.loads(path.read_text())
        assert set(example) <= set(result) <= set(example) | {"note"}
        for figure in result["figures"]:
            assert {"name", "median", "min", "max", "unit"} <= set(figure)
            assert figure["min"] <= figure["median"] <= figure["max"]


def test_the_interrupt_line_is_ktks(tmp_path, monkeypatch):
    """The home page's Ctrl-C line (wrapped there) is what `ktk train`
    prints when it is interrupted in a new run folder."""
    from keras_training_kit.cli.main import _interrupted
    from keras_training_kit.cli.main import build_parser

    monkeypatch.chdir(tmp_path)
    folder = "runs/train-digits-cnn-<time>"
    os.makedirs(folder)
    args = build_parser().parse_args(["train"])
    args.output_dir = folder
    line = _interrupted(args, given=None)
    text = (ROOT / "docs" / "index.md").read_text()
    shown = re.search(r"```text\n(ktk train: interrupted.*?)```", text, re.S)
    assert shown and " ".join(shown[1].split()) == line
