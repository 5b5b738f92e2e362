"Shared test set-up: where the public reference data lives."
import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JOSH_NB_DATA") or ROOT.parent/"shared"/"data")

@pytest.fixture(scope="session")
def shared_data():
    "The reference data directory (`$JOSH_NB_DATA`, else `../shared/data` beside the repo); a test that needs it is skipped without it."
    if not (SHARED/"multiwoz").is_dir(): pytest.skip(f"needs the public reference data (MultiWOZ 2.0 and ToolWOZ), not found at {SHARED}: "
                                                     "set JOSH_NB_DATA or run `josh_data download` (the embedded mini dataset serves only the other tests)")
    return SHARED
