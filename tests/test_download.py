"""The downloader against the authors' repository as it is: every URL `josh_data download` builds names a file that
the recorded layout of asappresearch/josh-llm-simulation-training holds, at the pinned commit, with the recorded blob."""
import hashlib, json, zipfile
from pathlib import Path
import pytest
from josh_nb.core import DataError
from josh_nb.toolwoz_data import (AUTHORS_COMMIT, AUTHORS_FILES, AUTHORS_KTO, AUTHORS_REPO, TOOLWOZ_NAMES, authors_url, download,
                                  fetch_authors_file, git_blob_sha1, josh_data)

# `git ls-tree fc6b4943bc3b5f8af39726e01eb7b7bc1fffc3de` of the repository's root files and its data/ folder, recorded
# from a clone of the authors' repository (main, 2024-10-08): path -> git blob sha1.
LAYOUT = {
    ".gitignore": "c92eeb87a435284f35a8bd3792beff2848617228", "README.md": "c5149f26ba684c0a6523e91a40a9af6e5e7d594e",
    "final_file_push.py": "1aa8c7690a3881eb053b45e5194cb96edc93359f", "final_file_push_kto.py": "4062dbae1be5ef7f2f38a8b2153af362fb408af5",
    "final_file_push_taubench.py": "745a6a4bc30af7bce78a88447eb4318f96ea48d8",
    "final_file_push_taubench_kto.py": "5cfa73f1f5ebfe374069ce7b2e4faf9f0b65f394",
    "instructionsToRunMTBench.md": "883572cc74f7ea8065e2097979f606fc788f2f9a", "mtbencheval.zip": "7eadbf60bd96958a20d01c0737830753c7dba72e",
    "pyproject.toml": "0d1bc636794c691f315b3569f2d48bbe94ebfcd6", "requirements.txt": "31583481a8c63d03f4ee1a00d6185d9da59d367e",
    "setup.cfg": "9dc7f7b7ae687c4761e535bcbb8f7493f3fb442a", "setup.py": "4c4da9197edb50c2e2de20935d6510aa135d57d2",
    "takeAggregateWithOptBaseline.py": "cd550501bf03acc0bff0d255262d6c5b9d1afa85",
    "training_fnames.json": "8b5e95a13ba36f3cf0b924e74b341d998f7274a1",
    "josh_train/training_fnames.json": "8b5e95a13ba36f3cf0b924e74b341d998f7274a1",
    "data/api_examples.json": "2f1429fa394ee76ad0126f5d1cd89438d017f1d0", "data/dataset.zip": "97784cd79d4a878a8b54022ee91e0baa4852a4f6",
    "data/llama3-josh-toolwoz-for-KTO.zip": "60639666e231442cfaea77897c82cf505204c4eb",
    "data/testListFile.json": "21b8510f4dbaec5d38eb3ccd991d0fa3e5fd447b", "data/tools.json": "57f2296a2a6f806cbba343534738ae9270e47bce",
    "data/valListFile.json": "b730c3205758ee92b26abf8e4bb3848c14ef436e",
    "data/valid_api_defs.json": "44e7f07b798302a94a125eab65853b2048398bee"}
COMMIT = "fc6b4943bc3b5f8af39726e01eb7b7bc1fffc3de"


def test_urls_match_the_recorded_layout():
    "Each file the downloader fetches is at its recorded path (training_fnames.json at the root), at the pinned commit."
    assert (AUTHORS_REPO, AUTHORS_COMMIT) == ("asappresearch/josh-llm-simulation-training", COMMIT)
    assert set(TOOLWOZ_NAMES) | {AUTHORS_KTO} == set(AUTHORS_FILES)
    for name, (path, blob) in AUTHORS_FILES.items():
        assert LAYOUT[path] == blob, name
        assert Path(path).name == name
        assert authors_url(name) == f"https://raw.githubusercontent.com/asappresearch/josh-llm-simulation-training/{COMMIT}/{path}"
    assert AUTHORS_FILES["training_fnames.json"][0] == "training_fnames.json"    # not data/training_fnames.json
    assert "data/training_fnames.json" not in LAYOUT


def test_reference_copies_are_the_recorded_blobs(shared_data):
    "The reference data's copies of the authors' files hash to the recorded blobs: the check a download passes."
    for name in TOOLWOZ_NAMES:
        assert git_blob_sha1(shared_data/"toolwoz"/name) == AUTHORS_FILES[name][1], name
    assert len(json.loads((shared_data/"toolwoz"/"training_fnames.json").read_text())) == 926


def test_git_blob_sha1(tmp_path):
    (tmp_path/"f").write_bytes(b"hello\n")
    assert git_blob_sha1(tmp_path/"f") == "ce013625030ba8dba906f756967f9e9ca394464a"   # `echo hello | git hash-object --stdin`


def test_a_download_is_checked(tmp_path, shared_data):
    "A file with other bytes than the recorded blob is deleted and reported; the right one is kept."
    def serve(good):
        def fetch(url, dest):
            name = url.rsplit("/", 1)[-1]
            Path(dest).write_bytes((shared_data/"toolwoz"/name).read_bytes() if good else b'{"moved": true}')
        return fetch
    with pytest.raises(DataError, match="git sha1 is .* not the 8b5e95a"):
        fetch_authors_file("training_fnames.json", tmp_path/"t.json", serve(False))
    assert not (tmp_path/"t.json").exists()
    assert fetch_authors_file("training_fnames.json", tmp_path/"t.json", serve(True)).is_file()


def test_kto_flag_fetches_the_authors_zip(tmp_path, shared_data, monkeypatch):
    "josh_data download --kto asks for the KTO zip at its recorded URL (a stand-in answers; its blob is checked)."
    asked = []
    def fetch(url, dest):
        asked.append(url)
        name = url.rsplit("/", 1)[-1]
        if name == "MultiWOZ_2.0.zip":
            with zipfile.ZipFile(dest, "w") as z:
                z.writestr("MULTIWOZ2 2/data.json", json.dumps({"MUL0001.json": {"goal": {}, "log": []}}))
        elif name.endswith("_db.json"): Path(dest).write_text((shared_data/"multiwoz"/"db"/name).read_text())
        elif name == AUTHORS_KTO: Path(dest).write_bytes(b"not the zip")
        else: Path(dest).write_bytes((shared_data/"toolwoz"/name).read_bytes())
    with pytest.raises(DataError, match="not the 60639666"): download(tmp_path, fetch=fetch, kto=True)
    assert asked[-1] == authors_url(AUTHORS_KTO) and asked[-1].endswith(f"{COMMIT}/data/llama3-josh-toolwoz-for-KTO.zip")
    assert not (tmp_path/"toolwoz"/AUTHORS_KTO).exists()
