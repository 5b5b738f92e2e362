"Every notebook in nbs/ runs top to bottom, as `nbdev_test` would run it, in under two minutes."
from configparser import ConfigParser
import pytest
from nbdev.test import test_nb as run_notebook  # renamed so pytest does not collect it
from conftest import ROOT

cfg = ConfigParser(); cfg.read(ROOT/"settings.ini")
SKIP = cfg["DEFAULT"].get("tst_flags", "").split()   # space-separated, as nbdev_test reads it
NBS = sorted(p for p in (ROOT/"nbs").glob("*.ipynb") if not p.name.startswith("_"))

@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, shared_data, monkeypatch):
    monkeypatch.setenv("JOSH_NB_DATA", str(shared_data))
    ok, secs = run_notebook(nb, skip_flags=SKIP)
    assert ok, f"{nb.name} failed (traceback above)"
    assert secs < 120, f"{nb.name} took {secs:.0f}s; notebooks must run in under 2 minutes"
