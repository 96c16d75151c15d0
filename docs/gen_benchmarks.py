"""Renders the benchmarks page's tables from `benchmarks/results/*.json`.

`docs/benchmarks.md` holds the prose and, for each benchmark, a pair of
markers, `<!-- results:NAME -->` and `<!-- /results:NAME -->`; what lies
between them is the table of `benchmarks/results/NAME.json` (written by the
benchmark scripts through `benchmarks/result_json.py`).

    python docs/gen_benchmarks.py     # rewrites docs/benchmarks.md in place

Run by mkdocs-gen-files (listed in mkdocs.yml's `gen-files` scripts), it
renders the page into the built site from the JSON files as they are, so
the site never shows stale figures; `tests/test_docs.py` checks that the
committed page is what this renders.
"""

import json
import pathlib
import re
import textwrap

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE = DOCS / "benchmarks.md"
MARKERS = re.compile(
    r"(<!-- results:(?P<name>[\w.-]+) -->\n).*?(<!-- /results:(?P=name) -->)",
    re.DOTALL,
)


def number(value) -> str:
    """A figure as the tables print it: 3 significant digits."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(result: dict) -> str:
    """The Markdown table and the provenance line of one result file."""
    lines = [
        "| figure | median | min | max | unit | goal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in result["figures"]:
        cells = [
            entry["name"],
            number(entry["median"]),
            number(entry.get("min")),
            number(entry.get("max")),
            entry["unit"],
            entry.get("goal", ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    # Wrapped at 100 columns, the command kept on one line (the page
    # quotes it whole).
    command = result["command"].replace(" ", "\0")
    measured = (
        f"Measured on {result['date']}, {result['machine']}: `{command}`."
        + (f" {result['note']}" if result.get("note") else "")
    )
    wrapped = textwrap.fill(
        measured, 100, break_long_words=False, break_on_hyphens=False
    )
    lines.append(wrapped.replace("\0", " "))
    return "\n".join(lines) + "\n"


def render(text: str, results: pathlib.Path = RESULTS) -> str:
    """`text` with each marked table rendered from its JSON file."""

    def replace(match):
        path = results / f"{match['name']}.json"
        result = json.loads(path.read_text())
        return match.group(1) + table(result) + match.group(3)

    return MARKERS.sub(replace, text)


def page() -> str:
    """The benchmarks page, rendered from the committed JSON files."""
    return render(PAGE.read_text())


if __name__ == "__main__":
    PAGE.write_text(page())
    print(f"wrote {PAGE}")
else:
    try:
        import mkdocs_gen_files
    except ImportError:  # Imported by the tests, outside a docs build.
        mkdocs_gen_files = None
    if mkdocs_gen_files is not None and __name__ == "<run_path>":
        with mkdocs_gen_files.open("benchmarks.md", "w") as rendered:
            rendered.write(page())
