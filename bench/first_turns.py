#!/usr/bin/env python
"""Sampled first agent turns on ToolWOZ: how often does one earn a gold call, call a gold API, or break?

A cheap look at what a JOSH beam can find. For each of the first `--ids` dialogues of a split, the rule user's
opening message is answered `--k` times by the ReAct agent at temperature 1.0 (one whole agent turn: up to three
generations, API calls executed), in each of the configurations given (`s` structured actions, `g` grounded
structured actions, or `f` free-form, followed by the backend's `top_p`, e.g. `s1.0,g1.0,f1.0`). Counted per sampled turn: it earned a gold call (the
sparse reward), it called an API among the dialogue's gold calls, such a call had at least one gold value right, an
agent reply could not be read or was an error, the turn ran out of generation rounds.

Usage: `python bench/first_turns.py --data ../shared/data [--split val] [--ids 12] [--k 6] [--configs s1.0,s0.9,f1.0,f0.9,g1.0] [--max-tokens 128] [--log FILE]`
The figures go to the log `data/bench/first_turns.json` (with commit, machine, date, command and load; `--log -` for
none), which the loop chapter shows.
"""
from __future__ import annotations
import argparse, collections, json, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware
from benchlog import add_log_option, write_log
from josh_nb.backends import make_backend
from josh_nb.core import Conversation
from josh_nb.eval import ENVS, agent_turn, make_eval_user, user_turn
from josh_nb.harvest import make_harvest_agent


def counts(env, convs:list) -> dict:
    "What the sampled first turns of `convs` did."
    n = collections.Counter()
    for c in convs:
        gold = {g["name"]: g["parameters"] for g in c.task.gold}
        to_gold = [x for x in c.state.calls if x.get("name") in gold]
        right = [sum(str(v).lower() == str(gold[x["name"]].get(k, "")).lower() for k, v in (x.get("parameters") or {}).items() if v)
                 for x in to_gold]
        n["earned_gold"] += bool(env.satisfied(c.state))
        n["called_gold_api"] += bool(to_gold)
        n["gold_api_one_right_value"] += any(r >= 1 for r in right)
        n["error_reply"] += any(m["role"] == "user" and m["content"].startswith('APIRETURN "ERROR') for m in c.messages)
        n["out_of_rounds"] += any(m["role"] == "assistant" and "ran out of retries" in m["content"] for m in c.messages)
    return dict(n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="ToolWOZ data directory (default: $JOSH_NB_DATA, else the embedded mini dataset)")
    ap.add_argument("--split", default="val")
    ap.add_argument("--ids", type=int, default=12, help="the first N dialogues of the split")
    ap.add_argument("--k", type=int, default=6, help="sampled turns per dialogue")
    ap.add_argument("--configs", default="s1.0,s0.9,f1.0,f0.9")
    ap.add_argument("--max-tokens", type=int, default=128)
    add_log_option(ap, "first_turns")
    a = ap.parse_args(argv)
    env = ENVS["toolwoz"](a.data)
    ids, user = env.data.split(a.split)[:a.ids], make_eval_user("rule")
    first = []
    for i in ids:
        c = Conversation(env.data[i], env.reset(env.data[i])); user_turn([c], user); first.append(c)
    b = make_backend("smollm2", batch_size=64)
    print(f"{b.name} on {hardware()}; {a.split} x{len(ids)}, {a.k} sampled first turns each, temperature 1.0, max {a.max_tokens} tokens")
    out = []
    for cfg in a.configs.split(","):
        if cfg[0] not in "sgf": ap.error(f"config {cfg!r}: start it with s (structured), g (grounded) or f (free-form)")
        b.top_p = float(cfg[1:])
        agent = make_harvest_agent("react", env, b, 1.0, a.max_tokens, structured=cfg[0] == "s", grounded=cfg[0] == "g")
        convs = [c.copy() for c in first for _ in range(a.k)]
        t0 = time.perf_counter(); agent_turn(env, convs, agent)
        r = dict(config={"s": "structured", "g": "grounded", "f": "free-form"}[cfg[0]] + f", top_p {b.top_p}", turns=len(convs),
                 seconds=round(time.perf_counter() - t0, 1), **counts(env, convs))
        print("  " + "  ".join(f"{k} {v}" for k, v in r.items()), flush=True); out.append(r)
    write_log(a.log, rows=out, model=b.name, split=a.split, dialogues=len(ids), k=a.k, temperature=1.0, max_tokens=a.max_tokens,
              data=a.data or "embedded mini dataset", hardware=hardware())
    return out


if __name__ == "__main__": main()
