"""Bad input and interrupted runs through the real command lines: every case exits non-zero with one line naming
the option or file, no traceback, and every input and earlier output is left byte for byte as it was."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT
from josh_nb.core import mini_dir

def run(cmd:str, *args, data=None):
    "Run the console script `cmd` with `args`; return (exit code, stdout, stderr)."
    exe = Path(sys.executable).with_name(cmd)
    exe = str(exe) if exe.exists() else shutil.which(cmd)
    assert exe, f"the {cmd} command is not installed: pip install -e ."
    extra = ["--data", str(data)] if data else []
    p = subprocess.run([exe, *map(str, args), *extra], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "JOSH_NB_DATA": ""})
    return p.returncode, p.stdout, p.stderr

def snapshot(*dirs) -> dict:
    "Every file under `dirs`, path -> bytes."
    return {p: p.read_bytes() for d in dirs for p in sorted(Path(d).rglob("*")) if p.is_file()}

def refused(rc, err, msg):
    "Exit code 1 (argparse: 2), `msg` in the last line, no traceback, at most the mini-dataset note (or argparse's usage) before it."
    lines = [l for l in err.strip().splitlines() if not l.startswith(("josh_nb: no data directory given", "usage:", " "))]
    assert rc in (1, 2) and "Traceback" not in err, err
    assert len(lines) == 1 and msg in lines[0], err

def eval_out(tmp_path, *args):
    "A finished `josh_eval --out` of the first 4 mini test dialogues (oracle), and its bytes."
    f = tmp_path/"run.jsonl"
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--quiet", *args)
    assert rc == 0, err
    return f

# --- josh_eval: options -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,msg", [
    (["--limit", "0"], "--limit must be at least 1, got 0"),
    (["--limit", "-5"], "--limit must be at least 1, got -5"),
    (["--max-messages", "0"], "--max-messages must be at least 1, got 0"),
    (["--max-messages", "-3"], "--max-messages must be at least 1, got -3"),
    (["--batch", "0"], "--batch must be at least 1, got 0"),
    (["--num-trials", "0"], "--num-trials must be at least 1"),
    (["--ids", "MINI0001,MINI0001"], "--ids names MINI0001 more than once"),
    (["--ids", "MINI0010"], "--ids: MINI0010 (in 'val') not in split 'test'"),
    (["--ids", "NOPE1"], "no ToolWOZ task 'NOPE1'"),
    (["--resume"], "--resume needs --out"),
    (["--out", "/proc/josh_eval.jsonl"], "cannot write /proc/josh_eval.jsonl"),
    (["--agent", "react", "--model", "foo"], "unknown model spec 'foo'"),
    (["--agent", "react", "--model", "hf:/nonexistent"], "hf:/nonexistent: no such folder"),
    (["--agent", "react", "--quantize", "4bit"], "needs a CUDA GPU"),
    (["--agent", "react", "--base-url", "http://127.0.0.1:9/v1"], "is for openai:MODEL specs"),
])
def test_eval_options(args, msg):
    rc, out, err = run("josh_eval", *args, "--quiet")
    refused(rc, err, msg)

def test_eval_split_without_dialogues(shared_data, tmp_path):
    "A data directory without multiwoz/test.json.zip: an error naming the split, not n 0 and NaN intervals."
    d = tmp_path/"data"; shutil.copytree(shared_data/"multiwoz", d/"multiwoz"); shutil.copytree(shared_data/"toolwoz", d/"toolwoz")
    (d/"multiwoz"/"test.json.zip").unlink()
    rc, out, err = run("josh_eval", "--split", "test", "--quiet", data=d)
    refused(rc, err, "split 'test' of")
    assert "holds no dialogues" in err

def test_eval_out_below_a_file(tmp_path):
    f = tmp_path/"a_file"; f.write_text("keep")
    rc, out, err = run("josh_eval", "--out", f/"run.jsonl", "--quiet")
    refused(rc, err, "a_file is a file, not a folder")
    assert f.read_text() == "keep"

# --- josh_eval: outputs are never lost ----------------------------------------------------------------------------

def test_eval_existing_out_refused(tmp_path):
    f = eval_out(tmp_path); before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--quiet")
    refused(rc, err, "already holds records: --resume continues it, --force replaces it")
    assert snapshot(tmp_path) == before
    rc, out, err = run("josh_eval", "--limit", 2, "--out", f, "--force", "--quiet")   # asked for: replaced
    assert rc == 0 and len(f.read_text().splitlines()) == 2

def test_eval_out_is_the_calls_file(tmp_path):
    calls = tmp_path/"calls.jsonl"
    calls.write_text(json.dumps({"id": "MINI0001", "calls": [{"name": "search_restaurant", "parameters": {"food": "thai"}}]}) + "\n")
    before = snapshot(tmp_path)
    for extra in ([], ["--force"]):
        rc, out, err = run("josh_eval", "--agent", "replay", "--calls", calls, "--out", calls, *extra, "--quiet")
        refused(rc, err, "is the --calls file")
        assert snapshot(tmp_path) == before

def test_eval_resume_smaller_selection_keeps_records(tmp_path):
    f = eval_out(tmp_path); before = f.read_bytes()
    rc, out, err = run("josh_eval", "--limit", 2, "--out", f, "--resume", "--quiet")
    assert rc == 0 and json.loads(out.splitlines()[-1])["n"] == 2
    assert "also holds 2 record(s) outside this selection" in err
    assert f.read_bytes() == before

@pytest.mark.parametrize("args,msg", [
    (["--agent", "silent"], "agent: 'oracle' there, 'silent' now"),
    (["--seed", "3"], "seed: 0 there, 3 now"),
    (["--max-messages", "6"], "max_messages: 15 there, 6 now"),
])
def test_eval_resume_other_settings_refused(tmp_path, args, msg):
    f = eval_out(tmp_path); before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--resume", *args, "--quiet")
    refused(rc, err, msg)
    assert snapshot(tmp_path) == before

def test_eval_resume_other_data_refused(shared_data, tmp_path):
    f = eval_out(tmp_path); before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--resume", "--quiet", data=shared_data)
    refused(rc, err, "data: ")
    assert snapshot(tmp_path) == before

def test_eval_resume_without_settings_refused(tmp_path):
    f = eval_out(tmp_path); Path(f"{f}.settings.json").unlink(); before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--resume", "--quiet")
    refused(rc, err, "has no run.jsonl.settings.json")
    assert snapshot(tmp_path) == before

def test_eval_resume_corrupt_line(tmp_path):
    f = eval_out(tmp_path)
    lines = f.read_text().splitlines(); lines[1] = lines[1][:30]
    f.write_text("\n".join(lines) + "\n"); before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--resume", "--quiet")
    refused(rc, err, "run.jsonl:2 is not a JSON record")
    assert snapshot(tmp_path) == before

def test_eval_resume_torn_last_line_continues(tmp_path):
    "The one damage a kill leaves, a torn last line, is what --resume repairs."
    f = eval_out(tmp_path)
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines[:3]) + "\n" + lines[3][:25])
    rc, out, err = run("josh_eval", "--limit", 4, "--out", f, "--resume", "--quiet")
    assert rc == 0 and json.loads(out.splitlines()[-1])["n"] == 4 and len(f.read_text().splitlines()) == 4

def test_eval_calls_not_utf8(tmp_path):
    calls = tmp_path/"calls.jsonl"
    calls.write_bytes(b'{"id": "MINI0001", "calls": [{"name": "search_restaurant", "parameters": {"name": "caf\xe9"}}]}\n')
    before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--agent", "replay", "--calls", calls, "--quiet")
    refused(rc, err, "calls.jsonl is not UTF-8 text")
    assert snapshot(tmp_path) == before

def test_eval_null_database_entry(tmp_path):
    d = tmp_path/"data"; shutil.copytree(mini_dir(), d)
    p = d/"multiwoz"/"db"/"hotel_db.json"; db = json.loads(p.read_text()); db.insert(1, None); p.write_text(json.dumps(db))
    before = snapshot(tmp_path)
    rc, out, err = run("josh_eval", "--quiet", data=d)
    refused(rc, err, "hotel_db.json: entry 1 is null, not an entity")
    assert snapshot(tmp_path) == before

def test_eval_malformed_api_defs(tmp_path):
    d = tmp_path/"data"; shutil.copytree(mini_dir(), d)
    p = d/"toolwoz"/"valid_api_defs.json"; defs = json.loads(p.read_text()); defs["hotel"]["search_hotel"] = 5
    p.write_text(json.dumps(defs))
    rc, out, err = run("josh_eval", "--quiet", data=d)
    refused(rc, err, "valid_api_defs.json")

# --- josh_harvest -----------------------------------------------------------------------------------------------------

HARVEST = ["--agent", "scripted-random", "--user", "script", "--split", "val", "--limit", 2, "--beam-size", 2, "--max-steps", 2, "--quiet"]

@pytest.fixture
def harvested(tmp_path):
    "A finished two-dialogue harvest on the mini dataset."
    out = tmp_path/"RUN"
    rc, o, err = run("josh_harvest", *HARVEST, "--out", out)
    assert rc == 0, err
    return out

@pytest.mark.parametrize("args,msg", [
    (["--limit", "0"], "--limit must be at least 1, got 0"), (["--limit", "-5"], "--limit must be at least 1, got -5"),
    (["--batch", "0"], "--batch must be at least 1"), (["--gen-batch", "0"], "--gen-batch: wants a positive integer or 'auto'"),
    (["--beam-size", "0"], "--beam-size must be at least 1"), (["--ids", "MINI0010,MINI0010"], "more than once"),
])
def test_harvest_options(tmp_path, args, msg):
    rc, o, err = run("josh_harvest", "--agent", "scripted-random", "--user", "script", "--split", "val", *args,
                     "--out", tmp_path/"RUN", "--quiet")
    refused(rc, err, msg)
    assert not (tmp_path/"RUN"/"manifest.json").exists()

def test_harvest_out_below_a_file(tmp_path):
    f = tmp_path/"a_file"; f.write_text("keep")
    for out in (f, f/"RUN"):
        rc, o, err = run("josh_harvest", *HARVEST, "--out", out)
        refused(rc, err, "a_file is a file")
    assert f.read_text() == "keep"

def test_harvest_trees_without_manifest(harvested):
    (harvested/"manifest.json").unlink(); before = snapshot(harvested)
    rc, o, err = run("josh_harvest", *HARVEST, "--out", harvested)
    refused(rc, err, "holds trees.jsonl but no manifest.json")
    assert snapshot(harvested) == before

@pytest.mark.parametrize("text,msg", [('{"config": ', "manifest.json is not valid JSON"), ("[1, 2]", "is not a harvest manifest")])
def test_harvest_malformed_manifest(harvested, text, msg):
    (harvested/"manifest.json").write_text(text); before = snapshot(harvested)
    rc, o, err = run("josh_harvest", *HARVEST, "--out", harvested)
    refused(rc, err, msg)
    assert snapshot(harvested) == before

def test_harvest_damaged_tree(harvested):
    t = harvested/"trees.jsonl"; lines = t.read_text().splitlines()
    t.write_text(lines[0][:50] + "\n" + "\n".join(lines[1:]) + "\n"); before = snapshot(harvested)
    rc, o, err = run("josh_harvest", *HARVEST, "--out", harvested)
    refused(rc, err, "trees.jsonl:1 is not a JSON record")
    assert snapshot(harvested) == before

def test_harvest_resume_other_data(harvested, tmp_path):
    d = tmp_path/"data"; shutil.copytree(mini_dir(), d)
    p = d/"multiwoz"/"db"/"hotel_db.json"; p.write_text(p.read_text() + " ")        # the same data, one byte changed
    before = snapshot(harvested)
    rc, o, err = run("josh_harvest", *HARVEST, "--out", harvested, data=d)
    refused(rc, err, "data_id: ")
    assert snapshot(harvested) == before

# --- josh_loop --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,msg", [
    (["--limit", "0"], "--limit must be at least 1, got 0"), (["--eval-limit", "-5"], "--eval-limit must be at least 1"),
    (["--max-messages", "0"], "--max-messages must be at least 1"), (["--batch", "0"], "--batch must be at least 1"),
    (["--lr", "0"], "--lr must be above 0"), (["--rounds", "-1"], "--rounds must be at least 0"),
    (["--out", "/proc/josh_loop"], "cannot write /proc/josh_loop"),
])
def test_loop_options(args, msg):
    rc, o, err = run("josh_loop", *args, "--quiet")
    refused(rc, err, msg)

def test_loop_malformed_config(tmp_path):
    (tmp_path/"config.json").write_text("[1]"); before = snapshot(tmp_path)
    rc, o, err = run("josh_loop", "--out", tmp_path, "--quiet")
    refused(rc, err, "config.json is not a settings object")
    assert snapshot(tmp_path) == before
