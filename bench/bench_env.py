#!/usr/bin/env python
"""Benchmark the ToolWOZ environment against a straightforward pandas implementation of the same rules.

Three figures, measured side by side in one run:

1. search throughput: `ToolWOZEnv.execute` (shared equality indexes) vs. per-conversation pandas DataFrames
   filtered with boolean masks and converted with `to_dict("records")`, as the authors' release does;
   both must return the same entity for every benchmarked call (asserted before timing);
2. per-conversation set-up: `env.reset(task)` vs. building the 4 domain DataFrames of a conversation;
3. copying a conversation state with ~6 recorded calls: `ToolWOZState.copy()` vs. `copy.deepcopy`
   of the pandas state (its DataFrames and its recorded calls).

Usage: `python bench/bench_env.py [--data DIR] [--log FILE]` (from the repo root). The figures go to the log
`data/bench/env.json` (with commit, machine, date, command and load; `--log -` for none), which the environment
chapter shows.
"""
from __future__ import annotations
import argparse, copy, gc, json, os, platform, random, statistics, sys, time
from pathlib import Path

import pandas as pd

from josh_nb.core import clean, is_empty, is_subset, norm
from josh_nb.toolwoz_data import DOMAINS, ToolWOZData, search_filters, uid_key
from josh_nb.toolwoz_env import ToolWOZEnv

sys.path.insert(0, str(Path(__file__).parent))
from benchlog import add_log_option, describe, write_log

DEFAULT_DATA = (Path(__file__).resolve().parent.parent/".."/"shared"/"data").resolve()

# ---------------------------------------------------------------------------------------------------------------
# The pandas baseline: one DataFrame per domain per conversation, boolean masks per call.

class PandasState:
    "A conversation in the pandas implementation: its own DataFrames, the task's gold info and the recorded calls."
    def __init__(self, task, dbs:dict):
        self.task = task
        self.dfs = {d: pd.DataFrame(dbs[d]) for d in DOMAINS}
        self.gold = {}
        for d in task.domains:
            s = next((g for g in task.gold if g["name"] == f"search_{d}"), None)
            b = next((g for g in task.gold if g["name"] == f"book_{d}"), None)
            self.gold[d] = (clean(s["parameters"]) if s else {}, b["unique_id"] if b else "")
        self.calls = []

def pandas_matches(df:pd.DataFrame, filters:dict) -> list:
    "The rows of `df` matching every normalised filter (equality; strict `leaveAt`/`arriveBy`), as dicts."
    mask = pd.Series(True, index=df.index)
    for k, v in filters.items():
        if k not in df.columns: return []
        col = df[k]
        if k == "leaveAt": mask &= col > v
        elif k == "arriveBy": mask &= col < v
        else: mask &= col == v
    return df[mask].to_dict("records")

def pandas_search(st:PandasState, d:str, args:dict):
    "The one entity (or None) a `search_<d>` with normalised `args` returns, by the rules of `ToolWOZEnv._search`."
    hits = pandas_matches(st.dfs[d], search_filters(args))
    if not hits: return None
    if d not in st.gold: return hits[0]
    gsearch, uid = st.gold[d]
    key = uid_key(d)
    correct = next((h for h in hits if h.get(key) == uid), None) if uid else None
    def wrong():
        return next((h for h in reversed(hits) if not all(norm(h.get(k)) == v for k, v in gsearch.items())), None)
    if is_subset(gsearch, args):
        if uid: return correct or wrong()
    elif is_subset(args, gsearch):
        w = wrong()
        if w is not None: return w
        if correct is not None: return correct
    return hits[0]

def pandas_execute(st:PandasState, call:dict):
    "Run a search call in the pandas implementation, record it, and return what the agent sees."
    name, params = call["name"], call["parameters"]
    args = {k: norm(v) for k, v in params.items()}
    ent = pandas_search(st, name.split("_")[1], args)
    st.calls.append({"name": name, "parameters": params, "returned": ent})
    return [ent] if ent is not None else []

def same_entity(env_ent:dict, pd_rec:dict) -> bool:
    "Is the pandas record (NaN where the entity lacks a field) the environment's entity?"
    rec = {k: v for k, v in pd_rec.items() if not (isinstance(v, float) and v != v)}
    return rec == env_ent

# ---------------------------------------------------------------------------------------------------------------
# The call mix: gold searches, an under-specified and an over-specified (or other) variant of each.

def variants(task, g:dict, dbs:dict, rng:random.Random) -> list:
    "`(kind, call)` pairs for the gold search `g` of `task`: gold, under-specified, over-specified or other."
    d, params = g["domain"], g["parameters"]
    out = [("gold", dict(name=g["name"], parameters=dict(params)))]
    full = [k for k, v in params.items() if not is_empty(v)]
    if full:  # under-specified: drop one non-empty parameter
        k = rng.choice(full)
        out.append(("under", dict(name=g["name"], parameters={**params, k: ""})))
    db = dbs[d]
    uid = task.booked.get(d, {}).get(uid_key(d))
    ref = next((e for e in db if uid and e.get(uid_key(d)) == uid), None) or (db[0] if db else {})
    empty = [k for k, v in params.items() if is_empty(v) and k != "name" and isinstance(ref.get(k), str)]
    if empty:  # over-specified: add a parameter, `area` where possible, valued as the booked (or first) entity
        k = "area" if "area" in empty else rng.choice(empty)
        out.append(("over", dict(name=g["name"], parameters={**params, k: ref[k]})))
    else:      # other: change one value to another one the database holds (neither sub- nor superset of gold)
        ks = [k for k in full if k != "name"]
        if ks:
            k = rng.choice(ks)
            vals = sorted({e[k] for e in db if isinstance(e.get(k), str) and norm(e[k]) != norm(params[k])})
            if vals: out.append(("other", dict(name=g["name"], parameters={**params, k: rng.choice(vals)})))
    return out

def call_mix(data:ToolWOZData, ids:list, seed:int) -> list:
    "`(task id, kind, call)` for every gold search of the tasks `ids` and its variants."
    rng, mix = random.Random(seed), []
    for tid in ids:
        t = data[tid]
        for g in t.gold:
            if g["name"].startswith("search_"):
                mix += [(tid, kind, c) for kind, c in variants(t, g, data.dbs, rng)]
    return mix

# ---------------------------------------------------------------------------------------------------------------
# Timing helpers.

def timed(fn, repeats:int) -> list:
    "Seconds taken by `fn()` in each of `repeats` runs (garbage collection off while timing, as `timeit` does)."
    out = []
    for _ in range(repeats):
        gc_was = gc.isenabled(); gc.disable()
        try:
            t0 = time.perf_counter(); fn(); out.append(time.perf_counter() - t0)
        finally:
            if gc_was: gc.enable()
    return out

def machine() -> dict:
    return dict(processor=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                python=sys.version.split()[0], platform=platform.platform(), pandas=pd.__version__)

def main(argv=None):
    p = argparse.ArgumentParser(description="ToolWOZ environment vs. a pandas implementation: search throughput, "
                                            "per-conversation set-up and state copies.")
    p.add_argument("--data", default=str(DEFAULT_DATA), help=f"data directory (default: {DEFAULT_DATA})")
    p.add_argument("--split", default="test", help="split whose tasks make the call mix (default: test)")
    p.add_argument("--repeats", type=int, default=5, help="timed passes over the call mix, per implementation")
    p.add_argument("--pandas-calls", type=int, default=0,
                   help="time the pandas side on (and the env on the same) first N calls only; 0 = all")
    p.add_argument("--setup-n", type=int, default=150, help="conversations per timed pandas set-up pass")
    p.add_argument("--seed", type=int, default=0, help="seed for the call variants")
    add_log_option(p, "env")
    a = p.parse_args(argv)

    m = machine()
    print(describe())
    print(f"machine: processor={m['processor']!r} cpu_count={m['cpu_count']} python={m['python']} "
          f"pandas={m['pandas']} ({m['platform']})")
    t0 = time.perf_counter()
    data = ToolWOZData(a.data)
    env = ToolWOZEnv(data)
    ids = data.split(a.split)
    tasks = [data[i] for i in ids]
    print(f"data: {data.root} ({len(ids)} tasks in split {a.split!r}; loaded with indexes in "
          f"{time.perf_counter() - t0:.1f} s)")

    # --- call mix, and the check that both implementations return the same entity for every call
    mix = call_mix(data, ids, a.seed)
    if a.pandas_calls: mix = mix[:a.pandas_calls]
    mix_ids = sorted({tid for tid, _, _ in mix})
    t0 = time.perf_counter()
    pstates = {tid: PandasState(data[tid], data.dbs) for tid in mix_ids}
    build_s = time.perf_counter() - t0
    estates = {tid: env.reset(tid) for tid in mix_ids}
    kinds, empty = {}, 0
    for tid, kind, call in mix:
        got_env, got_pd = env.execute(estates[tid], call), pandas_execute(pstates[tid], call)
        assert len(got_env) == len(got_pd), (tid, call, got_env, got_pd)
        if got_env: assert same_entity(got_env[0], got_pd[0]), (tid, call, got_env[0], got_pd[0])
        else: empty += 1
        kinds[kind] = kinds.get(kind, 0) + 1
    n = len(mix)
    print(f"call mix: {n} search calls over {len(mix_ids)} conversations ({', '.join(f'{v} {k}' for k, v in kinds.items())}; "
          f"{empty} return nothing); both implementations return the same entity for all {n}")

    # --- 1. search throughput (same calls, same order, fresh recorded-call lists per pass)
    def run_env():
        st = {tid: env.reset(tid) for tid in mix_ids}
        calls = [(st[tid], c) for tid, _, c in mix]
        ex = env.execute
        t = time.perf_counter()
        for s, c in calls: ex(s, c)
        return time.perf_counter() - t
    def run_pd():
        for s in pstates.values(): s.calls = []
        calls = [(pstates[tid], c) for tid, _, c in mix]
        t = time.perf_counter()
        for s, c in calls: pandas_execute(s, c)
        return time.perf_counter() - t
    env_reps = max(a.repeats*4, 20)  # the env pass takes milliseconds: more passes for a stable median
    env_times, pd_times = [], []
    for times, fn, reps in ((env_times, run_env, env_reps), (pd_times, run_pd, a.repeats)):
        for _ in range(reps):
            gc_was = gc.isenabled(); gc.disable()
            try: times.append(fn())
            finally:
                if gc_was: gc.enable()
    env_call_us = statistics.median(env_times)/n*1e6
    pd_call_us = statistics.median(pd_times)/n*1e6

    # --- 2. per-conversation set-up
    setup_n = min(a.setup_n, len(tasks))
    env_setup = timed(lambda: [env.reset(t) for t in tasks], 50)
    pd_setup = timed(lambda: [PandasState(t, data.dbs) for t in tasks[:setup_n]], 3)
    env_setup_us = statistics.median(env_setup)/len(tasks)*1e6
    pd_setup_us = statistics.median(pd_setup)/setup_n*1e6

    # --- 3. copying a conversation state with ~6 recorded calls
    tid = next((t for t in mix_ids if sum(1 for x, _, _ in mix if x == t) >= 6), mix_ids[0])
    six = [c for x, _, c in mix if x == tid][:6]
    es, ps = env.reset(tid), PandasState(data[tid], data.dbs)
    for c in six: env.execute(es, c); pandas_execute(ps, c)
    k_env, k_pd = 100_000, 20
    env_copy = timed(lambda: [es.copy() for _ in range(k_env)], 5)
    env_deep = timed(lambda: [copy.deepcopy(es) for _ in range(k_pd*10)], 3)
    pd_copy = timed(lambda: [copy.deepcopy(ps) for _ in range(k_pd)], 3)
    env_copy_us = statistics.median(env_copy)/k_env*1e6
    env_deep_us = statistics.median(env_deep)/(k_pd*10)*1e6
    pd_copy_us = statistics.median(pd_copy)/k_pd*1e6

    # --- report
    rows = [("ToolWOZEnv (shared indexes)", 1e6/env_call_us, env_call_us, env_setup_us, env_copy_us),
            ("pandas (DataFrames per conversation)", 1e6/pd_call_us, pd_call_us, pd_setup_us, pd_copy_us)]
    hdr = ("implementation", "search calls/s", "µs per call", "set-up µs per conversation", "state copy µs")
    w0 = max(len(hdr[0]), *(len(r[0]) for r in rows))
    widths = [w0] + [len(h) for h in hdr[1:]]
    line = lambda cells: " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print()
    print(line(hdr)); print("-+-".join("-"*w for w in widths))
    for name, cps, us, su, cp in rows:
        print(line((name, f"{cps:,.0f}", f"{us:,.1f}", f"{su:,.2f}", f"{cp:,.2f}")))
    print()
    print(f"notes: medians of {env_reps} (env) / {a.repeats} (pandas) passes over the same {n} calls; set-up over "
          f"{len(tasks)} (env, x50) / {setup_n} (pandas, x3) conversations; the initial pandas build of "
          f"{len(mix_ids)} conversations took {build_s:.1f} s. State copy: env `state.copy()` vs `copy.deepcopy` "
          f"of the pandas state, {len(es.calls)} recorded calls (env `copy.deepcopy(state)`: {env_deep_us:.1f} µs).")
    sp = dict(search=pd_call_us/env_call_us, setup=pd_setup_us/env_setup_us, copy=pd_copy_us/env_copy_us)
    print(f"speedup: search {sp['search']:,.0f}x, setup {sp['setup']:,.0f}x, state copy {sp['copy']:,.0f}x")

    out = dict(machine_details=m, data=str(data.root), split=a.split, n_calls=n, n_conversations=len(mix_ids),
               call_kinds=kinds, empty_results=empty, seed=a.seed,
               env=dict(calls_per_s=1e6/env_call_us, us_per_call=env_call_us,
                        us_per_call_best=min(env_times)/n*1e6, setup_us=env_setup_us,
                        setup_us_best=min(env_setup)/len(tasks)*1e6, state_copy_us=env_copy_us,
                        state_deepcopy_us=env_deep_us, passes=env_reps),
               pandas=dict(calls_per_s=1e6/pd_call_us, us_per_call=pd_call_us,
                           us_per_call_best=min(pd_times)/n*1e6, setup_us=pd_setup_us,
                           setup_us_best=min(pd_setup)/setup_n*1e6, state_deepcopy_us=pd_copy_us,
                           passes=a.repeats, setup_conversations=setup_n),
               state_copy_calls=len(es.calls), speedup=sp)
    table = [{h: v for h, v in zip(hdr, (name, round(cps), round(us, 1), round(su, 2), round(cp, 2)))}
             for name, cps, us, su, cp in rows]
    write_log(a.log, rows=table, **out)
    return out

if __name__ == "__main__":
    main()
