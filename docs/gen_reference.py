"""Writes the API and command-line references at build time.

Run by mkdocs-gen-files (mkdocs.yml): `api/*.md` from each area's
`__all__`, `cli.md` from `ktk`'s parsers. The pages exist only in the built
site; the generators are `api_reference.py` and `cli_reference.py`.
"""

import pathlib
import sys

import mkdocs_gen_files
from mkdocs.structure.files import InclusionLevel

# mkdocs-gen-files runs this file by path: its neighbours are not importable
# otherwise.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import api_reference  # noqa: E402
import cli_reference  # noqa: E402

for name, text in api_reference.pages().items():
    with mkdocs_gen_files.open(f"api/{name}", "w") as page:
        page.write(text)
# The section's navigation (mkdocs-literate-nav reads it), not a page.
files = mkdocs_gen_files.FilesEditor.current().files
summary = files.get_file_from_path("api/SUMMARY.md")
summary.inclusion = InclusionLevel.EXCLUDED

with mkdocs_gen_files.open("cli.md", "w") as page:
    page.write(cli_reference.page())
