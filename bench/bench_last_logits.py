#!/usr/bin/env python
"""Benchmark the output layer on the last position of a multi-token step: a slice of the hidden states against an index.

A prefill (or the first step of a generation) feeds each row several tokens, but only the last position's logits are
needed. Transformers' `logits_to_keep=1` slices `hidden[:, -1:]`, a strided view; `last_logit_kwargs` passes the
position as an index tensor instead, which gathers a contiguous copy. This script multiplies both by an output layer
of a real model's shape (random bfloat16 weights: the cost depends on the shapes, not the values), side by side in
one process, for several batch sizes: milliseconds, the resident memory the product adds at its peak (sampled every
millisecond by a thread), the largest difference between the two results, and the ATen operators each runs.

Usage: `python bench/bench_last_logits.py [--rows 1 8 16 32] [--tokens 33] [--dtype bfloat16] [--log FILE]`
The figures go to `data/bench/last_logits.json` (with commit, machine, date, command and load; `--log -` for none),
which the KV chapter shows.
"""
from __future__ import annotations
import argparse, os, sys, threading, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from benchlog import add_log_option, describe, write_log

SHAPES = {"Qwen2.5-0.5B": (151936, 896), "SmolLM2-135M": (49152, 576)}   # output layer: vocabulary × hidden size
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    "Resident bytes of this process now."
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * PAGE


class Peak:
    "The highest resident memory a thread sees while the `with` block runs (sampled every millisecond)."
    def __enter__(self):
        self.base = self.peak = rss(); self._on = True
        self._t = threading.Thread(target=self._watch, daemon=True); self._t.start()
        return self
    def _watch(self):
        while self._on: self.peak = max(self.peak, rss()); time.sleep(0.001)
    def __exit__(self, *exc):
        self._on = False; self._t.join(); self.peak = max(self.peak, rss())
    @property
    def extra_gb(self) -> float: return round((self.peak - self.base) / 2**30, 2)


def linear_ops(h, W) -> list:
    "The ATen operators one `linear` runs (a profile of one call)."
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof, torch.inference_mode():
        torch.nn.functional.linear(h, W)
    return sorted({e.key for e in prof.key_averages()} & {"aten::mm", "aten::bmm", "aten::addmm", "aten::clone", "aten::contiguous"})


def measure(model:str, rows:int, tokens:int, dtype) -> dict:
    vocab, hidden = SHAPES[model]
    g = torch.Generator().manual_seed(0)
    W = torch.randn(vocab, hidden, generator=g).to(dtype)
    h = torch.randn(rows, tokens, hidden, generator=g).to(dtype)
    out = dict(model=model, rows=rows, tokens_fed=tokens)
    res = {}
    for name, x in (("slice", h[:, -1:]), ("index", h[:, torch.tensor([tokens - 1])])):
        with torch.inference_mode(), Peak() as pk:
            t0 = time.perf_counter(); res[name] = torch.nn.functional.linear(x, W); dt = time.perf_counter() - t0
        out.update({f"{name}_ms": round(dt * 1e3, 1), f"{name}_extra_gb": pk.extra_gb, f"{name}_ops": linear_ops(x[:1], W)})
        print(f"{model:13s} rows {rows:3d}  {name:5s} {dt * 1e3:10.1f} ms  +{pk.extra_gb:5.2f} GB  {out[f'{name}_ops']}", flush=True)
    out["max_abs_diff"] = float((res["slice"].float() - res["index"].float()).abs().max())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1, 8, 16, 32], help="batch sizes (default: 1 8 16 32)")
    ap.add_argument("--tokens", type=int, default=33, help="tokens fed per row in the step (default 33)")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"], help="weights and activations")
    ap.add_argument("--models", nargs="+", default=list(SHAPES), choices=list(SHAPES), help="output-layer shapes")
    add_log_option(ap, "last_logits")
    a = ap.parse_args(argv)
    if a.tokens < 2: ap.error("--tokens must be at least 2: with one token the slice is contiguous already")
    print(describe())
    dtype = getattr(torch, a.dtype)
    rows = [measure(m, r, a.tokens, dtype) for m in a.models for r in a.rows]
    write_log(a.log, dtype=a.dtype, rows=rows)


if __name__ == "__main__":
    main()
