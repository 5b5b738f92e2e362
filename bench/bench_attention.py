#!/usr/bin/env python
"""Benchmark a decoding step's attention on CPU: transformers' SDPA against `shared_prefix_attention`.

Two measurements, each side by side with its baseline in the same process:

1. The attention of one decoding step (one query token per row) at SmolLM2-135M's shapes (9 query heads, 3
   key/value heads, head size 64): SDPA as transformers calls it, with a padding mask and without one (as when
   no row is padded), vs `shared_prefix_attention` told the shared prefix a JOSH batch has (in 16 bits it runs
   `grouped_decode_attention`; in float32 the prefix split); milliseconds per call and the largest difference.
2. Generation with the ReAct agent's real prompts (structured actions, the embedded mini dataset's first user
   turns, the same prompt repeated as JOSH's beam does), greedy, through `HFBackend.complete`: the model's
   attention set to SDPA vs `shared_prefix_attention`; tokens per second and how many texts came out the same
   (they need not all: the two sum in different orders, and bfloat16 rounding can flip a near-tie).

Usage: `python bench/bench_attention.py [--rows 8] [--copies 4] [--max-tokens 64] [--repeats 2] [--dtype bfloat16] [--json FILE]`
"""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware, timed
from josh_nb.backends import SHARED_PREFIX, make_backend, shared_prefix_attention


class _Attn:   # what the attention functions read from the module: SmolLM2's grouping
    num_key_value_groups, is_causal, training = 3, True, False


def kernel(dtype, B:int, S:int, P:int, n:int=30) -> dict:
    "ms per call, one layer, of one decoding step's attention: SDPA with and without a padding mask, and ours."
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    g = torch.Generator().manual_seed(0)
    q = torch.randn(B, 9, 1, 64, generator=g).to(dtype)
    k, v = (torch.randn(B, 3, S, 64, generator=g).to(dtype) for _ in range(2))
    k[:, :, :P], v[:, :, :P] = k[:1, :, :P], v[:1, :, :P]
    mask = torch.ones(B, 1, 1, S, dtype=torch.bool); mask[B // 2:, ..., P:P + 20] = False   # some rows padded
    def ms(f):
        for _ in range(3): f()
        t0 = time.perf_counter()
        for _ in range(n): out = f()
        return round((time.perf_counter() - t0) / n * 1e3, 3), out[0]
    def ours():
        tok = SHARED_PREFIX.set(P)   # what `_generate` says of a JOSH batch: the first P slots are the same in every row
        try: return shared_prefix_attention(_Attn(), q, k, v, mask, scaling=0.125)
        finally: SHARED_PREFIX.reset(tok)
    t_mask, ref = ms(lambda: sdpa_attention_forward(_Attn(), q, k, v, mask, scaling=0.125))
    t_none, _ = ms(lambda: sdpa_attention_forward(_Attn(), q, k, v, None, scaling=0.125))
    t_ours, out = ms(ours)
    return dict(dtype=str(dtype).removeprefix("torch."), rows=B, slots=S, shared=P, sdpa_masked_ms=t_mask,
                sdpa_unmasked_ms=t_none, ours_ms=t_ours, ours_path="grouped" if dtype != torch.float32 else "prefix split",
                max_abs_diff=float(f"{(out.float() - ref.float()).abs().max().item():.2g}"))


def generation(a) -> dict:
    "Greedy generation with the agent's real prompts, SDPA vs ours, same backend, same process."
    from josh_nb.core import Conversation
    from josh_nb.eval import ENVS, make_agent
    env = ENVS["toolwoz"](None)
    b = make_backend("smollm2", dtype=a.dtype, quiet=True)
    agent = make_agent("react", env, b, temperature=0.0, max_tokens=a.max_tokens, structured=True)
    ids = env.data.split("test")[:a.rows // a.copies]
    ps = [agent.prompt(Conversation(env.data[i], env.reset(env.data[i]), [{"role": "user", "content": env.data[i].user_turns[0]}]))
          for i in ids for _ in range(a.copies)]
    b.batch_size = len(ps)
    ours = b._kv_store() is not None and b.shared_prefix_attention   # switches the model to ours on CPU
    if not ours: sys.exit("bench_attention: shared_prefix_attention is not in use here (needs a CPU and the KV store)")
    def run(impl):
        b.model.set_attn_implementation(impl); b.shared_prefix_attention = impl != "sdpa"
        b.free_memory()                          # the same prefill work in both runs
        return b.complete(ps, max_tokens=a.max_tokens, schema=agent.schema)
    run("josh_shared_prefix")                    # warm-up: the grammar compiles once
    t_ref, ref = timed(lambda: run("sdpa"), a.repeats)
    t_new, new = timed(lambda: run("josh_shared_prefix"), a.repeats)
    same = sum(x.text == y.text for x, y in zip(ref, new))
    tr, tn = sum(c.completion_tokens for c in ref), sum(c.completion_tokens for c in new)
    return dict(model=b.name, dtype=str(b.model.dtype).removeprefix("torch."), prompts=len(ps),
                prompt_tokens=round(sum(c.prompt_tokens for c in new) / len(ps)), max_tokens=a.max_tokens,
                sdpa_s=round(t_ref, 2), ours_s=round(t_new, 2), sdpa_tok_s=round(tr / t_ref, 1), ours_tok_s=round(tn / t_new, 1),
                speedup=round((tn / t_new) / (tr / t_ref), 2), same_texts=f"{same}/{len(ps)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=8, help="prompts generated together")
    ap.add_argument("--copies", type=int, default=4, help="copies of each prompt (JOSH's beam branches)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dtype", default=None, help="model dtype (default: the backend's)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args(argv)
    print(hardware())
    ks = [kernel(dt, B, S, P) for dt in (torch.bfloat16, torch.float32) for B, S, P in ((1, 1000, 0), (8, 1000, 900), (8, 3000, 900), (64, 1500, 1000))]
    print("one decoding step's attention, SmolLM2-135M shapes (ms per call, one layer):")
    for k in ks: print("  " + "  ".join(f"{n} {v}" for n, v in k.items()))
    g = generation(a)
    print(f"generation, {g['model']} ({g['dtype']}), {g['prompts']} agent prompts of ~{g['prompt_tokens']} tokens, greedy, max {g['max_tokens']} tokens, best of {a.repeats}:")
    print(f"  SDPA:                   {g['sdpa_s']:7.2f} s  {g['sdpa_tok_s']:7.1f} tokens/s")
    print(f"  shared_prefix_attention: {g['ours_s']:6.2f} s  {g['ours_tok_s']:7.1f} tokens/s")
    print(f"  speed-up {g['speedup']}x; same texts: {g['same_texts']}")
    res = dict(hardware=hardware(), kernel=ks, generation=g)
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__": main()
