#!/usr/bin/env python
"""What `HFBackend.free_memory` gives back: resident memory after a harvest-like load, the KV store cleared alone vs `free_memory`.

Three sampled generation rounds of the ReAct agent (structured actions, 96 tokens) over 24 rows (the embedded mini
train split's 6 dialogues x a beam of 4) fill the backend's KV store, as a harvest does before the loop trains in
the same process. Then the store is cleared (the baseline), and `free_memory` is called (which also asks glibc to
hand freed heap memory back); the process's resident memory is printed after each.

Usage: `python bench/bench_free_memory.py [--rounds 3]`
"""
from __future__ import annotations
import argparse, resource, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware, openings
from josh_nb.backends import make_backend
from josh_nb.eval import ENVS, make_agent


def rss_gb() -> float:
    "Resident memory of this process now, in GB (Linux)."
    return round(int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 1e9, 2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    env = ENVS["toolwoz"](None)
    b = make_backend("smollm2", batch_size=64, quiet=True)
    agent = make_agent("react", env, b, temperature=1.0, max_tokens=96, structured=True)
    convs = openings(env, "train", 6, copies=4)
    print(f"{b.name} on {hardware()}")
    print(f"loaded: {rss_gb()} GB resident")
    for r in range(a.rounds):
        outs = b.complete([agent.prompt(c) for c in convs], temperature=1.0, max_tokens=96, schema=agent.schema)
        for c, o in zip(convs, outs): c.messages += [{"role": "assistant", "content": o.text}, {"role": "user", "content": "APIRETURN []"}]
        print(f"after generation round {r + 1}: {rss_gb()} GB resident")
    b._kv.clear()
    print(f"KV store cleared (baseline): {rss_gb()} GB resident")
    b.free_memory()
    print(f"free_memory(): {rss_gb()} GB resident")


if __name__ == "__main__": main()
