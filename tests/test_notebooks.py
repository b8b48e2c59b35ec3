"""Execute the notebooks in notebooks/ (stored without outputs) on the demo region."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_coverage.ipynb", "02_siting.ipynb", "03_publish.ipynb"]

#: Noise no cell may print: a solver's banner (HiGHS writes one from C++ on its first
#: model), the siting models' warning about demand rows no candidate covers (the plan
#: hands them only rows some candidate reaches), and Python warnings of any kind.
NOISE = {
    "solver banner": re.compile(r"Running HiGHS|Copyright \(c\)|Welcome to the CBC"),
    "uncoverable-rows warning": re.compile(r"covered by no allowed candidate"),
    "Python warning": re.compile(r"\b[A-Z]\w*Warning\b"),
}


def _assert_quiet(nb: nbformat.NotebookNode) -> None:
    printed = [
        (i, o.get("name", ""), o.get("text", ""))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream"
    ]
    for what, pattern in NOISE.items():
        noisy = [f"cell {i} ({name}): {text.strip()[:200]}" for i, name, text in printed
                 if pattern.search(text)]  # fmt: skip
        assert not noisy, f"{what} in the notebook's output:\n" + "\n".join(noisy)


def test_all_notebooks_listed() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
    _assert_quiet(nb)
    assert seconds < 90, f"{name} took {seconds:.0f} s"
    if name == "03_publish.ipynb":
        out = tmp_path / "maps"
        assert (out / "planner_map.html").is_file()
        assert (out / "assets" / "leaflet" / "leaflet.js").is_file()
        assert (out / "proposal.html").is_file() and (out / "proposal.md").is_file()
        assert (out / "proposal.docx").is_file()
