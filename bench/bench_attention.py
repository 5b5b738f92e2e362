#!/usr/bin/env python
"""Benchmark a decoding step's attention on CPU: transformers' SDPA against `shared_prefix_attention`.

Two measurements, each side by side with its baseline in the same process:

1. The attention of one decoding step (one query token per row) at SmolLM2-135M's shapes (9 query heads, 3
   key/value heads, head size 64): SDPA as transformers calls it, with a padding mask and without one (as when
   no row is padded), vs `shared_prefix_attention` told the shared prefix a JOSH batch has (the prefix split when
   rows share one, else in 16 bits `grouped_decode_attention`); milliseconds per call and the largest difference.
2. Generation with the ReAct agent's real prompts (structured actions, the embedded mini dataset's first user
   turns, the same prompt repeated as JOSH's beam does), greedy, through `HFBackend.complete`: the model's
   attention set to SDPA, to the prefix split for every batched decoding step and SDPA otherwise (the backend
   before `grouped_decode_attention`), and to `shared_prefix_attention`; tokens per second and how many
   texts came out as SDPA's (they need not all: the sums run in different orders, and bfloat16 rounding can flip
   a near-tie).

Usage: `python bench/bench_attention.py [--rows 16] [--copies 4] [--max-tokens 96] [--repeats 2] [--dtype bfloat16] [--kernels-only] [--log FILE]`
The figures go to the log `data/bench/attention.json` (with commit, machine, date, command and load; `--log -` for
none), which the KV chapter shows.
"""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware, openings, timed
from benchlog import add_log_option, describe, write_log
from josh_nb.backends import make_backend
from josh_nb.kvcache import SHARED_PREFIX, prefix_split_attention, shared_prefix_attention


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
                sdpa_unmasked_ms=t_none, ours_ms=t_ours, ours_path="prefix split" if P and B > 1 else "grouped" if dtype != torch.float32 else "SDPA",
                max_abs_diff=float(f"{(out.float() - ref.float()).abs().max().item():.2g}"))


def generation(a, env, b, agent, rows:int, copies:int) -> dict:
    "Greedy generation with the agent's real prompts: SDPA, the prefix split and ours, same backend, same process."
    ps = [agent.prompt(c) for c in openings(env, "test", max(1, rows // copies), copies)]
    b.batch_size = len(ps)
    ours = b._kv_store() is not None and b.shared_prefix_attention   # switches the model to ours on CPU
    if not ours: sys.exit("bench_attention: shared_prefix_attention is not in use here (needs a CPU and the KV store)")
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    def split_always(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kw):   # before grouped_decode_attention
        P = SHARED_PREFIX.get()
        if query.shape[2] == 1 and query.shape[0] > 1 and 0 < P < key.shape[2] and not dropout:
            return prefix_split_attention(query, key, value, attention_mask, P, scaling)
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kw)
    AttentionInterface.register("bench_split", split_always); AttentionMaskInterface.register("bench_split", sdpa_mask)
    def run(impl):
        b.model.set_attn_implementation(impl); b.shared_prefix_attention = impl != "sdpa"
        b.free_memory()                          # the same prefill work in every run
        return b.complete(ps, max_tokens=a.max_tokens, schema=agent.schema)
    run("josh_shared_prefix")                    # warm-up: the grammar compiles once
    res = {}
    for name, impl in (("sdpa", "sdpa"), ("split", "bench_split"), ("ours", "josh_shared_prefix")):
        t, out = timed(lambda: run(impl), a.repeats)
        res[name] = (t, out, sum(c.completion_tokens for c in out))
    ref = res["sdpa"][1]
    return dict(model=b.name, dtype=str(b.model.dtype).removeprefix("torch."), prompts=len(ps),
                prompt_tokens=round(sum(c.prompt_tokens for c in ref) / len(ps)), max_tokens=a.max_tokens,
                **{f"{n}_s": round(t, 2) for n, (t, _, _) in res.items()},
                **{f"{n}_tok_s": round(k / t, 1) for n, (t, _, k) in res.items()},
                **{f"{n}_same_texts_as_sdpa": f"{sum(x.text == y.text for x, y in zip(ref, o))}/{len(ps)}" for n, (_, o, _) in res.items() if n != "sdpa"})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=16, help="prompts generated together")
    ap.add_argument("--copies", type=int, default=4, help="copies of each prompt (JOSH's beam branches)")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dtype", default=None, help="model dtype (default: the backend's)")
    ap.add_argument("--kernels-only", action="store_true", help="only the attention of one decoding step (seconds), no generation")
    ap.add_argument("--calls", type=int, default=30, help="timed calls per kernel measurement")
    add_log_option(ap, "attention")
    a = ap.parse_args(argv)
    print(describe())
    ks = [kernel(dt, B, S, P, n=a.calls) for dt in (torch.bfloat16, torch.float32) for B, S, P in ((1, 1000, 0), (8, 1000, 900), (8, 3000, 900), (64, 1500, 1000))]
    print("one decoding step's attention, SmolLM2-135M shapes (ms per call, one layer):")
    for k in ks: print("  " + "  ".join(f"{n} {v}" for n, v in k.items()))
    if a.kernels_only:
        write_log(a.log, kernel=ks, generation=[])
        return dict(hardware=hardware(), kernel=ks, generation=[])
    from josh_nb.eval import ENVS, make_agent
    env = ENVS["toolwoz"](None)
    b = make_backend("smollm2", dtype=a.dtype, quiet=True)
    agent = make_agent("react", env, b, temperature=0.0, max_tokens=a.max_tokens, structured=True)
    gs = [generation(a, env, b, agent, a.rows, a.copies), generation(a, env, b, agent, 1, 1)]   # a JOSH batch; one row, as at the end of an evaluation
    for g in gs:
        print(f"generation, {g['model']} ({g['dtype']}), {g['prompts']} agent prompt(s) of ~{g['prompt_tokens']} tokens, greedy, max {g['max_tokens']} tokens, best of {a.repeats}:")
        for n, label in (("sdpa", "SDPA"), ("split", "prefix split, else SDPA"), ("ours", "shared_prefix_attention")):
            same = f"  same texts as SDPA {g[n + '_same_texts_as_sdpa']}" if n != "sdpa" else ""
            print(f"  {label:28s} {g[n + '_s']:7.2f} s  {g[n + '_tok_s']:7.1f} tokens/s{same}")
    write_log(a.log, kernel=ks, generation=gs)
    return dict(hardware=hardware(), kernel=ks, generation=gs)


if __name__ == "__main__": main()
