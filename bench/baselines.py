#!/usr/bin/env python
"""The paper's baseline table for the offline models: avg reward and success on real ToolWOZ test dialogues,
per model and action format (free-form, structured, grounded ReAct), with the rule user or a model goal user.

Each cell of the table is one setting `MODEL:MODE[:USER]` (MODE `f`, `s` or `g`; USER `rule`, the default, or
`goal=MODEL2`, a goal user played by MODEL2). Its conversations go to `<out>/<setting>.jsonl` (one record per
dialogue, as `josh_eval --out` writes them) and each invocation appends its wall time to `<out>/times.jsonl`, so
an interrupted setting resumes where it stopped and its seconds add up across sessions. `--report` prints the
table from those files only (06_eval reads them the same way): n, avg reward and success with 95% intervals,
wall seconds per dialogue, and the commit and machine of every invocation.

Usage: `python bench/baselines.py --data ../shared/data --limit 50 --settings smollm2:f,smollm2:s,smollm2:g --out LOG`
       `python bench/baselines.py --out LOG --report`
"""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware
from josh_nb.core import read_jsonl, write_jsonl, summarize, DataError
from josh_nb.eval import ENVS, evaluate, make_agent, make_eval_user, select_ids, baseline_setting, baseline_rows
from josh_nb.harvest import git_commit

from learnability import MODES as AGENT_KW   # f/s/g -> the agent's structured/grounded flags


def table(out:Path):
    "The baseline table of every setting logged in `out`, as a DataFrame (one row per setting)."
    import pandas as pd
    return pd.DataFrame(baseline_rows(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="ToolWOZ data directory (default: $JOSH_NB_DATA, else the embedded mini dataset)")
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=50, help="the first N dialogues of the split")
    ap.add_argument("--settings", default="smollm2:f,smollm2:s,smollm2:g", help="comma-separated MODEL:MODE[:USER]")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--max-messages", type=int, default=10)
    ap.add_argument("--plan-chars", type=int, default=60)
    ap.add_argument("--batch", type=int, default=16, help="conversations side by side")
    ap.add_argument("--out", required=True, help="log directory (resumed when it exists)")
    ap.add_argument("--report", action="store_true", help="only print the table of the logged settings in --out")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    try:
        if a.report:
            print(table(out).to_string(index=False)); return
        if a.limit < 1: raise DataError("--limit must be at least 1")
        settings = [baseline_setting(s) for s in a.settings.split(",")]
        from josh_nb.backends import make_backend
        env = ENVS["toolwoz"](a.data)
        ids = select_ids(env, a.split, a.limit)
        backends = {}
        for st in settings:
            done = {r["id"] for r in read_jsonl(out/f"{st['name']}.jsonl")} if (out/f"{st['name']}.jsonl").is_file() else set()
            if set(ids) <= done: print(f"{st['name']}: done already", file=sys.stderr); continue
            for m in [st["model"]] + ([st["user"][5:]] if st["user"] != "rule" else []):
                if m not in backends: backends[m] = make_backend(m, batch_size=64)
            agent = make_agent("react", env, backends[st["model"]], temperature=0.0, max_tokens=a.max_tokens,
                               plan_chars=a.plan_chars, **AGENT_KW[st["mode"]])
            user = make_eval_user("rule") if st["user"] == "rule" else make_eval_user("goal", backends[st["user"][5:]])
            t0 = time.time()
            recs = evaluate(env, ids, agent, user, out=out/f"{st['name']}.jsonl", resume=True,
                            max_messages=a.max_messages, batch_size=a.batch)
            write_jsonl(out/"times.jsonl", dict(setting=":".join([st["model"], st["mode"]] + ([st["user"]] if st["user"] != "rule" else [])),
                                                new=len(set(r["id"] for r in recs) - done), seconds=round(time.time() - t0, 1),
                                                split=a.split, limit=a.limit, max_tokens=a.max_tokens, max_messages=a.max_messages,
                                                plan_chars=a.plan_chars, data=str(env.data.root), commit=git_commit(), machine=hardware()))
        print(table(out).to_string(index=False))
    except DataError as e: sys.exit(f"baselines: error: {e}")


if __name__ == "__main__":
    main()
