"Shared test set-up: where the public reference data lives."
import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JOSH_NB_DATA") or ROOT.parent/"shared"/"data")

@pytest.fixture(scope="session")
def shared_data():
    "The reference data directory (`$JOSH_NB_DATA`, else `../shared/data` beside the repo)."
    if not (SHARED/"multiwoz").is_dir(): pytest.fail(f"reference data not found at {SHARED}; set JOSH_NB_DATA")
    return SHARED
