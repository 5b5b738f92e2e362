#!/usr/bin/env python
"""Learnability: per gold call, what the greedy agent earns (pass@1) against what k sampled conversations find (pass@k).

For each setting (`f` free-form, `s` structured, `g` grounded ReAct actions, followed by the sampling temperature,
e.g. `g1.0`), the agent talks with the rule user on the first `--limit` dialogues of a split: once greedily, and
`--trials` times sampled at that temperature. Every conversation's record goes to `<out>/<setting>-greedy.jsonl` and
`<out>/<setting>-sampled.jsonl` (resumable: re-run the same command), and `<out>/runs.jsonl` gets one line per
finished setting with its wall time, the commit and the machine. `--report` prints the tables from those files
only (10_loop reads them the same way): pass@1 greedy and pass@k sampled per gold-call kind and domain, and why
the missed gold calls were missed.

Usage: `python bench/learnability.py --data ../shared/data --split val --limit 12 --settings s1.0,g1.0,f1.0 --trials 8 --out LOG`
       `python bench/learnability.py --out LOG --report`
"""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware
from josh_nb.core import read_jsonl, write_jsonl
from josh_nb.eval import ENVS, evaluate, make_agent, make_eval_user, select_ids
from josh_nb.harvest import git_commit
from josh_nb.loop import gold_outcomes, pass_rates, failure_table

MODES = {"f": dict(structured=False, grounded=False), "s": dict(structured=True, grounded=False),
         "g": dict(structured=True, grounded=True)}


def report(out:Path, data=None):
    "The learnability tables of every finished setting in `out`."
    import pandas as pd
    runs = read_jsonl(out/"runs.jsonl") if (out/"runs.jsonl").is_file() else []
    if not runs: sys.exit(f"learnability: no finished setting in {out}")
    env = ENVS["toolwoz"](data or runs[-1]["data"])
    for r in runs:
        g = gold_outcomes(env, read_jsonl(out/f"{r['setting']}-greedy.jsonl"))
        s = gold_outcomes(env, read_jsonl(out/f"{r['setting']}-sampled.jsonl"))
        print(f"\n== {r['setting']} ({r['model']}, {r['split']} x{r['n']}, {r['trials']} sampled trials at temperature "
              f"{r['temperature']}; {r['seconds']:.0f} s; commit {r['commit']}; {r['machine']})")
        t = pd.concat([pass_rates(g, ks=(1,), by=("kind", "domain")).rename(columns={"pass@1": "greedy"}),
                       pass_rates(s, ks=(1, 2, 4, 8), by=("kind", "domain")).drop(columns="gold_calls")], axis=1)
        print(t.to_string())
        print("why sampled conversations missed a gold call:")
        print(failure_table(s).to_string())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="ToolWOZ data directory (default: $JOSH_NB_DATA, else the embedded mini dataset)")
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=12, help="the first N dialogues of the split")
    ap.add_argument("--settings", default="s1.0,g1.0,f1.0", help="f/s/g (free-form, structured, grounded) + temperature")
    ap.add_argument("--trials", type=int, default=8, help="sampled conversations per dialogue (pass@k for k up to this)")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--max-messages", type=int, default=10)
    ap.add_argument("--plan-chars", type=int, default=300)
    ap.add_argument("--out", required=True, help="log directory (resumed when it exists)")
    ap.add_argument("--report", action="store_true", help="only print the tables of the finished settings in --out")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if a.report: return report(out, a.data)
    for s in a.settings.split(","):
        if s[:1] not in MODES: ap.error(f"setting {s!r}: start it with f, s or g")
        float(s[1:])
    from josh_nb.backends import make_backend
    env = ENVS["toolwoz"](a.data)
    ids = select_ids(env, a.split, a.limit)
    backend = make_backend(a.model, batch_size=64)
    done = {r["setting"] for r in read_jsonl(out/"runs.jsonl")} if (out/"runs.jsonl").is_file() else set()
    for s in a.settings.split(","):
        if s in done: print(f"{s}: done already", file=sys.stderr); continue
        mode, temp, t0 = MODES[s[0]], float(s[1:]), time.time()
        for name, temperature, trials in (("greedy", 0.0, 1), ("sampled", temp, a.trials)):
            agent = make_agent("react", env, backend, temperature=temperature, max_tokens=a.max_tokens,
                               plan_chars=a.plan_chars, **mode)
            evaluate(env, ids, agent, make_eval_user("rule"), out=out/f"{s}-{name}.jsonl", resume=True, trials=trials,
                     max_messages=a.max_messages, batch_size=64)
        write_jsonl(out/"runs.jsonl", dict(setting=s, model=a.model, split=a.split, n=len(ids), trials=a.trials,
                                           temperature=temp, max_tokens=a.max_tokens, max_messages=a.max_messages,
                                           plan_chars=a.plan_chars, seconds=round(time.time() - t0, 1),
                                           data=str(env.data.root), commit=git_commit(), machine=hardware()))
    report(out, a.data)


if __name__ == "__main__":
    main()
