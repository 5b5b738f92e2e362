"""Training: one KTO, one SFT and one DPO step on a tiny model built from a config, on data made by
josh_harvest, the saved adapter loaded back into the HF backend, the reference model as the adapter-disabled base, resuming, and the command line."""
import gc, json, math, warnings
from pathlib import Path
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")
from josh_nb.core import mini_dir, read_jsonl
from josh_nb.train_data import load_rows, for_template, sft_rows
from josh_nb.train import train, make_trainer, load_base, recipe, read_log, josh_train, RECIPES

SHORT = "You are a booking assistant."

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    "A two-layer Llama with random weights and SmolLM2's tokenizer (read from the GGUF file), saved as a checkpoint."
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from josh_nb.models import smollm2_gguf
    g = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(g.parent, gguf_file=g.name)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
    d = tmp_path_factory.mktemp("tiny")
    LlamaForCausalLM(cfg).save_pretrained(d); tok.save_pretrained(d)
    return d

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    "A harvest run directory (josh_harvest: the scripted coin agent, the script user, 4 mini val dialogues, beam 4)."
    from josh_nb.harvest import josh_harvest
    d = tmp_path_factory.mktemp("harvest")/"RUN"
    josh_harvest(["--env", "toolwoz", "--split", "val", "--limit", "4", "--beam-size", "4", "--agent", "scripted-random",
                  "--user", "script", "--data", str(mini_dir()), "--out", str(d), "--quiet"])
    for k in ("sft", "kto", "dpo"): assert read_jsonl(d/f"{k}.jsonl"), f"the harvest made no {k} rows"
    return d

FAST = dict(max_steps=1, batch_size=2, grad_accum=1, lora_r=8, lr=1e-3, max_length=256, quiet=True)

def _check_saved(out:Path, res:dict, steps:int=1):
    assert res["metrics"]["steps"] == steps
    assert math.isfinite(res["metrics"]["final_loss"]) and math.isfinite(res["metrics"]["mean_loss"])
    for f in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "README.md", "train_log.jsonl",
              "loss.png", "train_result.json"): assert (out/f).is_file(), f
    assert not list(out.glob("checkpoint-*"))
    assert [r["step"] for r in read_log(out)] == list(range(1, steps + 1))
    cfg = json.loads((out/"adapter_config.json").read_text())
    assert cfg["r"] == 8 and cfg["lora_alpha"] == 8 and set(cfg["target_modules"]) >= {"q_proj", "down_proj"}

@pytest.fixture(scope="module")
def kto(tiny, run, tmp_path_factory):
    "(output folder, record) of two KTO steps."
    out = tmp_path_factory.mktemp("kto")/"adapter"
    return out, train(run, "kto", model=tiny, out=out, **{**FAST, "max_steps": 2})

def test_kto_step(tiny, run, kto):
    out, res = kto
    _check_saved(out, res, steps=2)
    rows, _ = load_rows(run, "kto")
    assert res["counts"] == {"desirable": sum(r["label"] for r in rows), "undesirable": sum(not r["label"] for r in rows)}
    assert res["counts"]["undesirable"] > 0
    assert res["recipe"]["undesirable_weight"] == 2.71 and res["recipe"]["beta"] == 0.1
    card = (out/"README.md").read_text()
    assert "desirable" in card and "trl" in card and str(run) in card
    # finished: a second call is a no-op that returns the same record
    assert train(run, "kto", model=tiny, out=out, **FAST) == res

def test_kto_reference_is_the_adapter_disabled_base(tiny, run, tmp_path):
    from transformers import LlamaForCausalLM
    from peft import PeftModel
    model, tok = load_base(tiny, device="cpu")
    rows, _ = load_rows(run, "kto")
    def n_models():
        gc.collect()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # isinstance on some lazily deprecated module objects warns
            return sum(isinstance(o, LlamaForCausalLM) for o in gc.get_objects())
    before = n_models()
    tr = make_trainer("kto", model, tok, for_template(rows, tok, "kto"), tmp_path/"o", recipe("kto", lora_r=8))
    assert tr.ref_model is None and isinstance(tr.model, PeftModel)
    assert n_models() == before          # no second copy of the model
    # the reference log-probs are the base model's: with the adapter disabled the output is the plain model's
    batch = tr.data_collator([tr.train_dataset[i] for i in range(2)])
    with torch.no_grad():
        ref_logps, _ = tr.compute_ref_log_probs(tr.model, batch)
        with tr.model.disable_adapter():
            ids, am = batch["input_ids"], batch["attention_mask"]
            logits = tr.model(input_ids=ids, attention_mask=am).logits[:, :-1].float()
    lab = ids[:, 1:]; mask = batch["completion_mask"][:, 1:].bool()
    base = (torch.log_softmax(logits, -1).gather(-1, lab[..., None])[..., 0] * mask).sum(-1)
    assert torch.allclose(ref_logps, base, atol=1e-3), (ref_logps, base)

def test_sft_step(tiny, run, tmp_path):
    res = train(run, "sft", model=tiny, out=tmp_path/"sft", **FAST)
    _check_saved(tmp_path/"sft", res)
    assert res["recipe"]["epochs"] == 3 and res["counts"]["conversations"] == len(read_jsonl(run/"sft.jsonl"))

def test_sft_rows_follow_the_template(tiny, run):
    "SmolLM2's template has no assistant marks: one tokenized row per conversation, masked to the agent's turns; a template TRL can mask keeps whole conversations."
    from transformers import AutoTokenizer
    import trl
    tok = AutoTokenizer.from_pretrained(tiny)
    rows, _ = load_rows(run, "sft")
    masked, multi = sft_rows(rows, tok)
    assert not multi and len(masked) == len(rows)
    for r, m in zip(rows, masked):
        said = tok.decode([t for t, k in zip(m["input_ids"], m["assistant_masks"]) if k])
        assert said == "".join(x["content"] + "<|im_end|>\n" for x in r["messages"] if x["role"] == "assistant")
    tok.chat_template = (Path(trl.__file__).parent/"chat_templates"/"qwen2_5.jinja").read_text()
    same, multi = sft_rows(rows, tok)
    assert multi and same is rows

def test_dpo_step_from_the_command_line(tiny, run, tmp_path, capsys):
    out = tmp_path/"dpo"
    josh_train(["--algo", "dpo", "--run", str(run), "--model", str(tiny), "--out", str(out), "--max-steps", "1",
                "--batch-size", "2", "--grad-accum", "1", "--lora-r", "8", "--lr", "1e-3", "--quiet"])
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rec["out"] == str(out) and rec["steps"] == 1
    res = json.loads((out/"train_result.json").read_text())
    _check_saved(out, res)
    assert res["counts"] == {"pairs": len(read_jsonl(run/"dpo.jsonl"))}

def test_adapter_loads_into_the_hf_backend(tiny, kto):
    from josh_nb.backends import HFBackend
    out = kto[0]
    be = HFBackend(tiny, adapter=out, device="cpu")
    assert be.adapter == str(out)
    prompt = [{"role": "system", "content": SHORT}, {"role": "user", "content": "A cheap hotel in the north, please."}]
    c = be.complete([prompt], max_tokens=6)[0]
    assert c.completion_tokens > 0 and isinstance(c.text, str)
    ids = be.tokenizer(be.render(prompt), return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        tuned = be.model(ids).logits
        with be.model.disable_adapter(): plain = be.model(ids).logits
    assert not torch.allclose(tuned, plain)   # the trained adapter changes the model

def test_resume_from_checkpoint(tiny, run, tmp_path):
    from transformers import TrainerCallback
    class Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 2: raise KeyboardInterrupt   # before step 2's checkpoint is written
    out, kw = tmp_path/"kto", {**FAST, "max_steps": 2, "save_steps": 1}
    with pytest.raises(KeyboardInterrupt): train(run, "kto", model=tiny, out=out, callbacks=[Stop()], **kw)
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-1"] and not (out/"train_result.json").exists()
    res = train(run, "kto", model=tiny, out=out, **kw)
    assert res["resumed_from"] == "checkpoint-1"
    _check_saved(out, res, steps=2)

def test_bad_input(tiny, run, tmp_path):
    with pytest.raises(ValueError, match="at least 2 rows per device"): train(run, "kto", model=tiny, out=tmp_path/"x", batch_size=1)
    with pytest.raises(FileNotFoundError, match="josh_harvest"): train(tmp_path/"nothing", "kto", model=tiny)
    with pytest.raises(ValueError, match="unknown algorithm"): train(run, "ppo", model=tiny, out=tmp_path/"x")
    with pytest.raises(TypeError, match="unknown sft recipe setting"): train(run, "sft", model=tiny, out=tmp_path/"x", beta=0.3)
    (tmp_path/"empty").mkdir(); (tmp_path/"empty"/"kto.jsonl").write_text("")
    with pytest.raises(ValueError, match="no kto rows"): train(tmp_path/"empty", "kto", model=tiny)
    with pytest.raises(FileNotFoundError, match="no transformers checkpoint"): train(run, "kto", model=tmp_path, out=tmp_path/"x")
    assert set(RECIPES) == {"kto", "sft", "dpo"}

def test_continue_from_an_adapter(tiny, run, kto, tmp_path):
    "A later round starts from the previous adapter; its reference is that adapter's frozen copy, not a second model."
    out = tmp_path/"round2"
    res = train(run, "kto", model=tiny, out=out, adapter=kto[0], **FAST)
    _check_saved(out, res)
    assert res["adapter_init"] == str(kto[0])
    assert not (out/"ref").exists()   # only the trained adapter is saved, not TRL's frozen reference copy

def test_recipe_warmup_leaves_a_short_run_training(tiny, run, tmp_path):
    "The paper's recipe (10% warm-up, lr 5e-7) on a harvest of a few rows: its first step already moves the adapter."
    from safetensors.torch import load_file
    res = train(run, "kto", model=tiny, out=tmp_path/"a", lora_r=8, max_length=256, quiet=True)
    assert res["recipe"]["warmup"] == 0.1 and res["recipe"]["lr"] == 5e-7 and res["metrics"]["steps"] <= 9
    log = read_log(tmp_path/"a")
    assert log[0]["learning_rate"] > 0, log[0]
    b = [t for k, t in load_file(str(tmp_path/"a"/"adapter_model.safetensors")).items() if "lora_B" in k]
    assert b and all(t.abs().max() > 0 for t in b)   # LoRA B starts at zero: non-zero means the step trained


def test_rows_longer_than_max_length_are_an_error(tiny, run, tmp_path):
    "TRL's KTO drops rows longer than max_length; when it drops them all, training says so instead of running zero steps."
    with pytest.raises(ValueError, match="kept none of the .* kto rows"):
        train(run, "kto", model=tiny, out=tmp_path/"kto", **{**FAST, "max_length": 16})

def test_ctrl_c_checkpoints_and_resumes(tiny, run, tmp_path):
    "The first SIGINT during training: a checkpoint at the end of that step, then KeyboardInterrupt; the same call resumes."
    import os, signal
    from transformers import TrainerCallback
    class CtrlC(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 1: os.kill(os.getpid(), signal.SIGINT)   # as Ctrl-C in a terminal or a notebook
    out, kw = tmp_path/"kto", {**FAST, "max_steps": 3, "save_steps": 50}
    # Python's own Ctrl-C handler, as in a terminal: a process started in the background by a non-interactive shell
    # (as CI may be) begins with SIGINT ignored, and then `train` rightly leaves it ignored
    was = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted after step 2 of 3"):
            train(run, "kto", model=tiny, out=out, callbacks=[CtrlC()], **kw)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # the handler is put back
    finally: signal.signal(signal.SIGINT, was)
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-2"] and not (out/"train_result.json").exists()
    res = train(run, "kto", model=tiny, out=out, **kw)
    assert res["resumed_from"] == "checkpoint-2"
    _check_saved(out, res, steps=3)

def test_eval_with_adapter_merges_it(tiny, kto, tmp_path, capsys):
    "josh_eval --adapter: the trained adapter folded into the (unquantised) weights, and the evaluation runs."
    from josh_nb.core import parse_config
    from josh_nb.eval import EvalConfig, eval_parts, josh_eval
    out, _ = kto
    args = ["--agent", "react", "--model", f"hf:{tiny}", "--adapter", str(out), "--data", str(mini_dir()), "--split", "val",
            "--limit", "1", "--max-tokens", "4", "--max-messages", "4", "--quiet"]
    _, agent, _, _ = eval_parts(parse_config(EvalConfig, args))
    be = agent.backend
    assert be.adapter == str(out) and be._merged and not hasattr(be.model, "peft_config")   # a plain model, the update folded in
    josh_eval(args + ["--out", str(tmp_path/"r.jsonl")])
    assert len(read_jsonl(tmp_path/"r.jsonl")) == 1 and '"avg_reward"' in capsys.readouterr().out
    with pytest.raises(SystemExit, match="needs a transformers model"):
        josh_eval(["--agent", "react", "--model", "openai:gpt-4o-mini", "--base-url", "http://127.0.0.1:9/v1",
                   "--adapter", str(out), "--data", str(mini_dir()), "--limit", "1"])


# --- one base model for generation and training; the authors' KTO data; --overwrite deletes only its own

def _digest(d:Path) -> str:
    import hashlib
    h = hashlib.sha256()
    for p in sorted(Path(d).rglob("*")):
        h.update(str(p.relative_to(d)).encode())
        if p.is_file(): h.update(p.read_bytes())
    return h.hexdigest()

def test_overwrite_never_deletes_the_harvest(tiny, run, tmp_path, capsys, monkeypatch):
    "josh_train --run H --out H --overwrite (or ., or H's parent, or a folder of other files) refuses, and H is byte-for-byte intact."
    was = _digest(run)
    other = tmp_path/"notes"; other.mkdir(); (other/"mine.txt").write_text("keep me")
    monkeypatch.chdir(run)
    for out in (run, run.parent, ".", other, run/"kto.jsonl"):
        with pytest.raises(SystemExit) as e:
            josh_train(["--algo", "kto", "--run", str(run), "--out", str(out), "--overwrite", "--model", str(tiny), "--quiet"])
        assert str(e.value.code).startswith("josh_train: error: refusing to overwrite") and "\n" not in str(e.value.code), e.value.code
    with pytest.raises(SystemExit, match="does not exist"):   # the data are checked before any deletion
        josh_train(["--algo", "kto", "--run", str(tmp_path/"nowhere"), "--out", str(other), "--overwrite"])
    assert _digest(run) == was and (other/"mine.txt").read_text() == "keep me"

def test_overwrite_retrains_a_previous_output(tiny, run, tmp_path):
    out = tmp_path/"adapter"
    first = train(run, "kto", model=tiny, out=out, **FAST)
    again = train(run, "kto", model=tiny, out=out, overwrite=True, **{**FAST, "seed": 1})
    assert again["recipe"]["seed"] == 1 and first["recipe"]["seed"] == 0

def test_authors_kto_zip_trains(tiny, tmp_path, capsys):
    "A zip in the authors' released format (their kto_ft.py's JSON lines, no final newline) trains through josh_train."
    import zipfile
    sys_msg = {"role": "system", "content": SHORT}
    rows = [{"prompt": [sys_msg, {"role": "user", "content": f"A hotel in the {a}."}],
             "completion": [{"role": "assistant", "content": f'APICALL {{"name": "search_hotel", "parameters": {{"area": "{a}"}}}}'}],
             "label": ok} for a, ok in (("north", True), ("south", False), ("east", True), ("west", False))]
    z = tmp_path/"llama3-josh-toolwoz-for-KTO.zip"
    with zipfile.ZipFile(z, "w") as f: f.writestr("train_data_kto_just_div.jsonl", "\n".join(json.dumps(r) for r in rows))
    josh_train(["--algo", "kto", "--run", str(z), "--model", str(tiny), "--out", str(tmp_path/"a"), "--max-steps", "1",
                "--batch-size", "2", "--grad-accum", "1", "--lora-r", "8", "--quiet"])
    res = json.loads((tmp_path/"a"/"train_result.json").read_text())
    assert res["counts"] == {"desirable": 2, "undesirable": 2} and res["data"] == str(z) and res["metrics"]["steps"] == 1

def test_train_on_the_generating_backend(tiny, run, tmp_path):
    "train(model=<HFBackend>) trains a LoRA on the backend's own module (one copy), then gives the base back unchanged."
    from josh_nb.backends import HFBackend
    from transformers import TrainerCallback
    be = HFBackend(str(tiny), device="cpu", dtype="float32", batch_size=2)
    base = be.model
    before = {n: p.detach().clone() for n, p in base.named_parameters()}
    prompt = [{"role": "system", "content": SHORT}, {"role": "user", "content": "A cheap hotel."}]
    said = be.complete([prompt], max_tokens=6)[0].text
    seen = {}
    class See(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kw): seen["model"] = model
    res = train(run, "kto", model=be, out=tmp_path/"a", callbacks=[See()], **FAST)
    assert seen["model"].get_base_model() is base and be.model is base and res["shared_with_generation"] is True
    assert all(torch.equal(p, before[n]) for n, p in base.named_parameters())
    assert not any("lora" in n for n, _ in base.named_modules()) and not base.training
    assert not getattr(base, "is_activation_checkpointing", False) and base.config.use_cache
    assert be.complete([prompt], max_tokens=6)[0].text == said
    # continuing from that adapter, still on the shared base: the reference is its frozen copy, the base stays as it was
    res2 = train(run, "kto", model=be, out=tmp_path/"b", adapter=tmp_path/"a", **FAST)
    assert res2["adapter_init"] == str(tmp_path/"a") and all(torch.equal(p, before[n]) for n, p in base.named_parameters())
    be.load_adapter(tmp_path/"b")
    assert be.complete([prompt], max_tokens=6)[0].completion_tokens > 0
