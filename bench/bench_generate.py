#!/usr/bin/env python
"""Benchmark batched generation: the same prompts through `HFBackend.complete` one at a time vs. as one batch.

Greedy decoding; throughput is the completion tokens generated divided by wall time. One warm-up generation
precedes the timings; each timing is the best of `--repeats` runs, both measured in the same process on the same
machine, at `--dtype` (default: the dtype the commands use, `auto`: bfloat16 on a CPU with native bfloat16).

Batching must not change a greedy completion. That is asserted in float32, on a float32 copy of the model: there the
arithmetic of a row does not depend on its batch, and one-at-a-time and batched texts are identical. In bfloat16 they
need not be: a row's sums are rounded differently when it is computed beside others (other kernels, other padding),
and where the two best next tokens are nearly tied the greedy choice flips. So at the timed dtype the script reports
how many completions differ and, for each, the gap between the two tokens' logits where the texts part (computed
alone, at that dtype); it fails only if a gap exceeds `--tie` (default 0.5 logits: many bfloat16 roundings, far
below a real preference), which would mean the batched path computes something else, not a rounding.

With `--drop-finished`, it instead compares two batched runs: rows kept in the batch until the longest ends
(`drop_finished=False`, what transformers' `generate` does) against rows dropped as they end (the default).
Greedy, so both must give the same completions (asserted).

Usage: `python bench/bench_generate.py [--model smollm2] [--prompts 8] [--max-tokens 32] [--repeats 2] [--drop-finished] [--json FILE]`
"""
from __future__ import annotations
import argparse, json, os, platform, sys, time
from pathlib import Path

import torch

from josh_nb.backends import HFBackend, make_backend

REQUESTS = ["Find me a cheap restaurant in the centre of town.", "I need a train to Cambridge on Friday morning.",
            "Is there a museum in the west I could visit?",
            "Book a table for four at an Italian place tonight at 7pm, somewhere near the river if you can.",
            "What is a good hotel with free parking?", "I'd like a taxi from the station to the hotel at 5pm.",
            "Tell me about the attractions in the north of the city.", "Hi!"]


def prompts(n:int) -> list:
    "`n` one-turn chat prompts of different lengths."
    return [[{"role": "system", "content": "You are a helpful travel agent in Cambridge."},
             {"role": "user", "content": REQUESTS[i % len(REQUESTS)]}] for i in range(n)]


def openings(env, split:str, n:int, copies:int=1) -> list:
    "Conversations holding only the user's first message, for the first `n` dialogues of `split`, each `copies` times (a beam)."
    from josh_nb.core import Conversation
    return [Conversation(env.data[i], env.reset(env.data[i]), [{"role": "user", "content": env.data[i].user_turns[0]}])
            for i in env.data.split(split)[:n] for _ in range(copies)]


def timed(fn, repeats:int) -> tuple:
    "(best wall time in seconds, result of the last call)."
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t0)
    return best, out


def hardware() -> str:
    "A one-line description of the machine this ran on."
    if torch.cuda.is_available(): return f"GPU {torch.cuda.get_device_name(0)}"
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): pass
    return f"CPU {cpu}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, no GPU"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2", help="model spec for make_backend (default: smollm2)")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--drop-finished", action="store_true", help="compare batched runs keeping vs dropping finished rows")
    ap.add_argument("--dtype", default="auto", help="dtype of the timed runs (auto, bfloat16, float16, float32)")
    ap.add_argument("--tie", type=float, default=0.5, help="largest logit gap a differing greedy token may have at the timed dtype")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args(argv)
    if a.drop_finished: return compare_drop(a)

    b = make_backend(a.model, dtype=a.dtype)
    if not isinstance(b, HFBackend): sys.exit("bench_generate measures local (HF) generation: use smollm2 or hf:...")
    ps = prompts(a.prompts)
    exact = exact_in_float32(a.model, ps, a.max_tokens)   # the batching code's invariant, where arithmetic allows it
    b.batch_size = len(ps)
    b.complete(ps[:1], max_tokens=4)  # warm-up
    t_one, one = timed(lambda: [b.complete([p], max_tokens=a.max_tokens)[0] for p in ps], a.repeats)
    t_batch, batch = timed(lambda: b.complete(ps, max_tokens=a.max_tokens), a.repeats)
    gaps = [tie_gap(b, p, x.text, y.text) for p, x, y in zip(ps, one, batch) if x.text != y.text]
    toks = sum(c.completion_tokens for c in batch)
    res = {"model": b.name, "dtype": str(b.model.dtype).removeprefix("torch."), "hardware": hardware(), "prompts": len(ps),
           "max_tokens": a.max_tokens, "float32_batched_equals_alone": exact,
           "differing_at_dtype": len(gaps), "largest_tie_gap": round(max(gaps), 4) if gaps else None,
           "completion_tokens": toks, "one_at_a_time_s": round(t_one, 3), "batched_s": round(t_batch, 3),
           "one_at_a_time_tok_s": round(toks / t_one, 1), "batched_tok_s": round(toks / t_batch, 1),
           "speedup": round(t_one / t_batch, 2)}
    print(f"{res['model']} ({res['dtype']}) on {res['hardware']}")
    print(f"float32: batched greedy completions equal one-at-a-time ones: {exact}")
    print(f"{res['dtype']}: {len(gaps)} of {len(ps)} completions differ" + (f", each where two tokens' logits are within "
          f"{res['largest_tie_gap']} (a near-tie flipped by rounding)" if gaps else ""))
    print(f"{len(ps)} prompts, {toks} completion tokens (greedy, max {a.max_tokens} each; best of {a.repeats})")
    print(f"one at a time: {res['one_at_a_time_s']:7.2f} s  {res['one_at_a_time_tok_s']:7.1f} tokens/s")
    print(f"batched:       {res['batched_s']:7.2f} s  {res['batched_tok_s']:7.1f} tokens/s")
    print(f"batched / one at a time: {res['speedup']:.2f}x")
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    assert exact, "in float32, batched greedy output differs from one-at-a-time output: the batching code changed a result"
    assert not gaps or max(gaps) <= a.tie, (f"at {res['dtype']}, a batched greedy token differs where the logits are "
                                            f"{max(gaps):.3f} apart (more than --tie {a.tie}): not a rounding near-tie")
    return res


def exact_in_float32(model:str, ps:list, max_tokens:int) -> bool:
    "Are greedy completions in one batch identical to one-at-a-time ones, on a float32 copy of `model`?"
    b = make_backend(model, dtype="float32", quiet=True, batch_size=len(ps))
    one = [b.complete([p], max_tokens=max_tokens)[0].text for p in ps]
    same = one == [c.text for c in b.complete(ps, max_tokens=max_tokens)]
    del b
    return same


def tie_gap(b, prompt, alone:str, batched:str) -> float:
    "Where the greedy texts `alone` and `batched` part, the gap between the two tokens' logits for that position, computed alone."
    tok = b.tokenizer
    x, y = (tok(t, add_special_tokens=False)["input_ids"] for t in (alone, batched))
    k = next((i for i, (u, v) in enumerate(zip(x, y)) if u != v), min(len(x), len(y)))
    if k >= min(len(x), len(y)): return 0.0   # one text is the other cut short: an end token tied with a continuation
    ids = tok(b.render(prompt), add_special_tokens=False)["input_ids"] + x[:k]
    with torch.no_grad(): logits = b.model(input_ids=torch.tensor([ids], device=b.device)).logits[0, -1].float()
    return abs(logits[x[k]] - logits[y[k]]).item()


def compare_drop(a) -> dict:
    "Batched greedy generation with finished rows kept to the end vs dropped as they end; same prompts, same run."
    b = make_backend(a.model)
    if not isinstance(b, HFBackend): sys.exit("bench_generate measures local (HF) generation: use smollm2 or hf:...")
    ps = prompts(a.prompts)
    b.batch_size, b.kv_cache_mb = len(ps), 0    # every run computes its prompts afresh: the decoding loop is what differs
    b.complete(ps[:1], max_tokens=4)  # warm-up
    def run(drop):
        b.drop_finished = drop
        return b.complete(ps, max_tokens=a.max_tokens)
    t_keep, keep = timed(lambda: run(False), a.repeats)
    t_drop, drop = timed(lambda: run(True), a.repeats)
    assert [c.text for c in keep] == [c.text for c in drop], "dropping finished rows changed a greedy completion"
    lens = [c.completion_tokens for c in drop]
    toks = sum(lens)
    res = {"model": b.name, "hardware": hardware(), "dtype": str(b.model.dtype), "prompts": len(ps), "max_tokens": a.max_tokens,
           "completion_tokens": toks, "mean_row_fraction": round(toks / (len(ps) * max(lens)), 3),
           "keep_finished_s": round(t_keep, 3), "drop_finished_s": round(t_drop, 3),
           "keep_tok_s": round(toks / t_keep, 1), "drop_tok_s": round(toks / t_drop, 1), "speedup": round(t_keep / t_drop, 2)}
    print(f"{res['model']} ({res['dtype']}) on {res['hardware']}")
    print(f"{len(ps)} prompts in one batch, {toks} completion tokens (greedy, max {a.max_tokens}, longest {max(lens)}; "
          f"rows average {res['mean_row_fraction']:.0%} of the longest; best of {a.repeats})")
    print(f"finished rows kept:    {res['keep_finished_s']:7.2f} s  {res['keep_tok_s']:7.1f} tokens/s")
    print(f"finished rows dropped: {res['drop_finished_s']:7.2f} s  {res['drop_tok_s']:7.1f} tokens/s")
    print(f"dropped / kept: {res['speedup']:.2f}x")
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__": main()
