"""The site check's rule that every figure a chapter states comes from a cell (`.ci/site.py`, step 5), on small
synthetic notebooks: a markdown table of measurements fails, a table of facts passes, a table of facts with numbers
passes only where `FACT_TABLES`-style allowances name it, and a notebook with code to run but no stored output fails."""
import importlib.util, json
import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("site_builder", ROOT/".ci"/"site.py")
site = importlib.util.module_from_spec(spec); spec.loader.exec_module(site)

def md(text): return {"cell_type": "markdown", "metadata": {}, "source": text}
def code(text, outputs=()): return {"cell_type": "code", "metadata": {}, "execution_count": None, "source": text, "outputs": list(outputs)}
STREAM = {"output_type": "stream", "name": "stdout", "text": "42\n"}

def notebook(tmp_path, *cells, name="02_chapter.ipynb"):
    p = tmp_path/name
    p.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return p

MEASURED = """Measured on a 2-core CPU:

| implementation | calls/s | µs per call |
|---|---|---|
| `ToolWOZEnv` | 92,684 | 10.8 |
| pandas | 701 | 1,425.7 |
"""

def test_measurement_table_fails(tmp_path):
    p = notebook(tmp_path, md("# Title\n> summary"), md(MEASURED), code("1 + 1", [STREAM]))
    bad = site.typed_measurements(p, facts={})
    assert len(bad) == 1 and "02_chapter.ipynb, cell 1" in bad[0] and "4 numbers" in bad[0] and "'92,684'" in bad[0]
    with pytest.raises(site.SiteError, match="figures no cell produced"): site.check_figures(tmp_path)   # what the build runs

@pytest.mark.parametrize("cell", ["0.0104", "**0.0104**", "8.76 GB", "132x", "1 × 1,000", "−3", "97%", "`12`", "1,998"])
def test_numbers(cell): assert site.is_number(cell)

@pytest.mark.parametrize("cell", ["§3.1", "—", "", "off", "9dd7078", "`qwen2.5-coder-0.5b`", "[Core](core.html)", "3a_kvcache", "v2"])
def test_not_numbers(cell): assert not site.is_number(cell)

def test_fact_tables_pass(tmp_path):
    "Tables of names and words (a chapter list, model specs, options) are facts, not measurements."
    facts = """| chapter | paper | what it gives you |
|---|---|---|
| [Core](core.html) | — | empty values |
| [Env](toolwoz_env.html) | §3.1–3.2 | the reward |

| spec | backend |
|:---|---:|
| `smollm2` | `HFBackend` on SmolLM2-135M |
"""
    assert site.typed_measurements(notebook(tmp_path, md(facts)), facts={}) == []

def test_tables_in_code_and_outputs_pass(tmp_path):
    "A table in a fenced code block is text to copy, and a table a cell printed is produced by that cell."
    fenced = "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```\n"
    out = {"output_type": "execute_result", "execution_count": 1, "metadata": {},
           "data": {"text/markdown": MEASURED, "text/plain": "..."}}
    assert site.typed_measurements(notebook(tmp_path, md(fenced), code("table()", [out])), facts={}) == []

def test_allowed_facts_are_narrow(tmp_path):
    "An allowance names one notebook and one header row: the same table elsewhere, or another table there, still fails."
    sizes = "| spec | GGUF file |\n|---|---|\n| `qwen` | 491,400,064 bytes |\n"
    allow = {"03_models.ipynb": {"| spec | GGUF file |": "pinned file sizes, checked by the chapter's code"}}
    assert site.typed_measurements(notebook(tmp_path, md(sizes), name="03_models.ipynb"), facts=allow) == []
    assert len(site.typed_measurements(notebook(tmp_path, md(sizes), name="04_other.ipynb"), facts=allow)) == 1
    assert len(site.typed_measurements(notebook(tmp_path, md(sizes + "\n" + MEASURED), name="03_models.ipynb"), facts=allow)) == 1

def test_the_real_allowances_name_real_tables():
    "Every allowance in FACT_TABLES still names a table of its notebook (a stale one would allow nothing, or a successor)."
    for nb, heads in site.FACT_TABLES.items():
        found = {h for c in json.loads((ROOT/"nbs"/nb).read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"
                 for h, _ in site.markdown_tables("".join(c["source"]))}
        assert set(heads) <= found, (nb, set(heads) - found)

def test_notebook_without_outputs_fails(tmp_path):
    "Code to run and no stored output: not executed. Hidden and exported cells alone need none."
    assert "no stored output" in site.missing_outputs(notebook(tmp_path, md("# T"), code("print(42)")))[0]
    assert site.missing_outputs(notebook(tmp_path, md("# T"), code("print(42)", [STREAM]), code("x = 1"))) == []
    assert site.missing_outputs(notebook(tmp_path, md("# T"), code("#| export\ndef f(): pass"), code("#| hide\nimport os"))) == []
