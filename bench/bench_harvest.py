#!/usr/bin/env python
"""Benchmark a JOSH harvest in the authors' sequential mode against the batched mode, in one run.

The same harvest — same model, agent, user, seed, beam and dialogues — runs twice:

1. sequential: one conversation at a time, each live leaf sent to the model alone (the authors' loop);
2. batched: `--batch` conversations side by side, the live leaves of all of them sent to the model as one
   batch per generation round (one batched decoding loop on the transformers backend).

Both build the same kind of trees; with a model the samples differ (a batch shares one random stream), so the
figures compared are rates: completion tokens per second, agent generations per second and conversations per
hour, plus how many model calls served the generations. Wall-clock rates depend on what else the machine runs;
`tokens_per_cpu_s` (completion tokens per CPU-second of this process) is less sensitive to a busy machine.

Usage (from the repo root):
    python bench/bench_harvest.py [--model smollm2] [--limit 4] [--beam-size 4] [--max-steps 4] [--max-tokens 64]
                                  [--user rule] [--data DIR] [--log FILE]
The figures go to the log `data/bench/harvest.json` (with commit, machine, date, command and load; `--log -` for
none), which the harvest chapter shows.
`--agent scripted-random` benchmarks the search machinery alone (no model).
"""
from __future__ import annotations
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path

from josh_nb.eval import ENVS, default_user, make_eval_user, select_ids
from josh_nb.harvest import harvest, make_harvest_agent, read_trees
from josh_nb.josh import tree_stats
from josh_nb.backends import backend_kwargs

sys.path.insert(0, str(Path(__file__).parent))
from benchlog import add_log_option, write_log

DEFAULT_DATA = (Path(__file__).resolve().parent.parent/".."/"shared"/"data").resolve()

class Counting:
    "A backend proxy counting the `complete` calls (model batches) and the prompts in them."
    def __init__(self, b): self.b, self.calls, self.prompts = b, 0, 0
    def complete(self, prompts, **kw):
        self.calls += 1; self.prompts += len(prompts)
        return self.b.complete(prompts, **kw)
    def __getattr__(self, k): return getattr(self.b, k)

def run_mode(env, backend, args, ids, sequential:bool) -> dict:
    "One harvest in a fresh run directory; its timing and counts."
    cb = Counting(backend) if backend is not None else None
    agent = make_harvest_agent(args.agent, env, cb, args.temperature, args.max_tokens, args.structured or args.grounded,
                               grounded=args.grounded)
    user = make_eval_user(args.user, backend, temperature=args.temperature, seed=args.seed)
    with tempfile.TemporaryDirectory() as d:
        t0, c0 = time.perf_counter(), time.process_time()
        harvest(env, agent, user, ids, Path(d)/"RUN", beam_size=args.beam_size, max_steps=args.max_steps,
                seed=args.seed, batch=args.batch, sequential=sequential, progress=not args.quiet)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        trees = read_trees(Path(d)/"RUN")
    u = lambda k: sum(t["usage"].get(k, 0) for t in trees)
    per_dialogue = [{k: st[k] for k in ("id", "reward", "steps", "stop", "generations", "tokens", "sft", "kto_desirable", "kto_undesirable", "dpo")}
                    for st in map(tree_stats, trees)]
    return dict(mode="sequential" if sequential else f"batched ({args.batch} conversations)", seconds=round(wall, 1),
                conversations=len(trees), avg_reward=round(sum(t["reward"] for t in trees)/len(trees), 3),
                generations=int(u("generations")), completion_tokens=int(u("completion_tokens")),
                prompt_tokens=int(u("prompt_tokens")), model_calls=cb.calls if cb else None,
                tokens_per_s=round(u("completion_tokens")/wall, 1), generations_per_s=round(u("generations")/wall, 2),
                conversations_per_hour=round(len(trees)/wall*3600, 1), cpu_seconds=round(cpu, 1),
                tokens_per_cpu_s=round(u("completion_tokens")/cpu, 1) if cpu else None, dialogues=per_dialogue)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--env", default="toolwoz")
    p.add_argument("--split", default="val")
    p.add_argument("--limit", type=int, default=4)
    p.add_argument("--beam-size", type=int, default=4)
    p.add_argument("--max-steps", type=int, default=4)
    p.add_argument("--agent", default="react")
    p.add_argument("--model", default="smollm2")
    p.add_argument("--structured", action="store_true")
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--user", help="user simulator (default: rule on ToolWOZ, tau-offline on tau-bench)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=4, help="conversations side by side in the batched mode")
    p.add_argument("--gen-batch", type=int, default=64, help="rows per generate call (transformers backend)")
    p.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_dir() else None)
    add_log_option(p, "harvest")
    p.add_argument("--modes", default="sequential,batched",
                   help="the modes to run, in order (default both; 'batched' alone is what josh_harvest does)")
    p.add_argument("--grounded", action="store_true", help="grounded structured actions (implies --structured)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    args.user = args.user or default_user(args.env)
    env = ENVS[args.env](args.data)
    ids = select_ids(env, args.split, args.limit)
    backend = None
    if args.agent != "scripted-random":
        from josh_nb.backends import make_backend
        backend = make_backend(args.model, **backend_kwargs(args.model, args))
    import torch
    hw = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}" + \
         (f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU")
    print(f"bench_harvest: {args.env} {args.split} {len(ids)} dialogues, agent {args.agent}"
          f"{'' if backend is None else f' on {args.model}'}, user {args.user}, beam {args.beam_size}, "
          f"{args.max_steps} steps, max {args.max_tokens} tokens/generation; {hw}", flush=True)
    modes = args.modes.split(",")
    if not modes or set(modes) - {"sequential", "batched"}: p.error(f"--modes {args.modes!r}: sequential and/or batched")
    rows = [run_mode(env, backend, args, ids, sequential=m == "sequential") for m in modes]
    cols = ["mode", "seconds", "conversations", "avg_reward", "generations", "model_calls", "completion_tokens",
            "tokens_per_s", "generations_per_s", "conversations_per_hour", "cpu_seconds", "tokens_per_cpu_s"]
    w = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.rjust(w[c]) for c in cols))
    for r in rows: print("  ".join(str(r[c]).rjust(w[c]) for c in cols))
    speed = None
    if modes == ["sequential", "batched"]:
        s, b = rows
        speed = {k: round(b[k]/s[k], 2) if s[k] else None for k in ("tokens_per_s", "generations_per_s", "conversations_per_hour", "tokens_per_cpu_s")}
        print("batched / sequential:", json.dumps(speed))
    write_log(args.log, rows=rows, speedup=speed, config=vars(args), hardware=hw)

if __name__ == "__main__": main()
