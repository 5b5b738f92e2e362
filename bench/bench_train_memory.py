#!/usr/bin/env python
"""Training on a CPU with and without gradient checkpointing (and LoRA dropout): peak resident memory and seconds per step, side by side.

The same LoRA training (the paper's KTO recipe unless `--algo`, `--steps` optimiser steps of `--batch` rows, no gradient
accumulation) runs once per setting (each checkpointing setting with each `--dropouts` value), each in a fresh process
so that its peak resident memory is its own. The rows are real harvest rows: JOSH with the scripted coin agent (no
model needed) over the first 6 dialogues of a ToolWOZ split (the embedded mini dataset's train split, or `--split` of
`--data`), the `--rows` longest of them; or the rows of `--run` (a harvest run directory).

Usage: `python bench/bench_train_memory.py [--algo kto] [--rows 4] [--batch 2] [--steps 2] [--settings off,on] [--dropouts 0.05] [--data DIR --split val | --run DIR] [--log FILE]`
The figures go to the log `data/bench/train_memory.json` (with commit, machine, date, command and load; `--log -` for
none), which the training chapter shows.
"""
from __future__ import annotations
import argparse, json, subprocess, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def harvest_rows(algo:str, tmp:Path, data=None, split:str="train", limit:int=6) -> list:
    "The `algo` rows of a scripted-agent JOSH harvest over the first `limit` dialogues of a ToolWOZ split."
    from josh_nb.eval import ENVS, make_eval_user
    from josh_nb.harvest import build_datasets, harvest, make_harvest_agent
    env = ENVS["toolwoz"](data)
    harvest(env, make_harvest_agent("scripted-random", env), make_eval_user("rule"), env.data.split(split)[:limit], tmp/"run",
            beam_size=4, max_steps=15, progress=False)
    build_datasets(tmp/"run")
    return [json.loads(l) for l in (tmp/"run"/f"{algo}.jsonl").read_text().splitlines()]


def child(a):
    "Train once with the setting `a.child`; print the metrics as one JSON line."
    from josh_nb.train import train
    rows = [json.loads(l) for l in Path(a.rows_file).read_text().splitlines()]
    res = train(rows, algo=a.algo, model=a.model, out=Path(a.rows_file).parent/f"out-{a.child}-{a.dropout:g}", device="cpu", quiet=True,
                max_steps=a.steps, batch_size=a.batch, grad_accum=1, save_steps=10_000, grad_checkpointing=a.child == "on",
                lora_dropout=a.dropout)
    print(json.dumps(res["metrics"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--algo", default="kto", choices=["kto", "sft", "dpo"])
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--rows", type=int, default=4, help="train on the N longest rows")
    ap.add_argument("--batch", type=int, default=2, help="rows per step (KTO needs >= 2)")
    ap.add_argument("--steps", type=int, default=2, help="optimiser steps")
    ap.add_argument("--settings", default="off,on", help="gradient checkpointing settings to compare, in this order")
    ap.add_argument("--dropouts", default="0.05", help="LoRA dropout values to compare with each setting (default: the recipes' 0.05)")
    ap.add_argument("--data", help="harvest the rows on this ToolWOZ data directory (default: the embedded mini dataset)")
    ap.add_argument("--split", default="train", help="... on the first 6 dialogues of this split (default train; val with --data)")
    ap.add_argument("--run", help="take the rows from this harvest run directory instead")
    ap.add_argument("--log", default=str(Path(__file__).resolve().parent.parent/"data"/"bench"/"train_memory.json"),
                    help="write the results with commit, machine, date, command and load here (default: "
                         "data/bench/train_memory.json; '-' for none)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--dropout", type=float, default=0.05, help=argparse.SUPPRESS)
    ap.add_argument("--rows-file", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child: return child(a)
    from bench_generate import hardware
    from benchlog import write_log
    from transformers import AutoTokenizer
    from josh_nb.train import model_path
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        rows = ([json.loads(l) for l in (Path(a.run)/f"{a.algo}.jsonl").read_text().splitlines()] if a.run
                else harvest_rows(a.algo, tmp, a.data, a.split))
        if len(rows) < a.batch: sys.exit(f"bench_train_memory: only {len(rows)} {a.algo} rows; need at least {a.batch}")
        size = lambda r: len(json.dumps(r))
        rows = sorted(rows, key=size, reverse=True)[:a.rows]
        tok = AutoTokenizer.from_pretrained(model_path(a.model))
        ntok = [len(tok.apply_chat_template(r.get("prompt", r.get("messages")) + (r.get("completion") or r.get("chosen") or []),
                                            tokenize=True, return_dict=False)) for r in rows]
        (tmp/"rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{a.algo} training of {a.model} on {hardware()}: {len(rows)} rows of {min(ntok)}-{max(ntok)} tokens, "
              f"{a.steps} steps of {a.batch} rows, LoRA r=64")
        print(f"{'gradient checkpointing':<24}{'LoRA dropout':>14}{'seconds':>9}{'s/step':>9}{'peak RSS GB':>13}")
        source = f"{a.run}" if a.run else f"scripted-agent harvest, {a.data or 'embedded mini dataset'}, {a.split} split"
        table = []
        for s, dr in ((s, float(dr)) for s in a.settings.split(",") for dr in a.dropouts.split(",")):
            p = subprocess.run([sys.executable, __file__, "--child", s, "--dropout", str(dr), "--rows-file", str(tmp/"rows.jsonl"),
                                "--algo", a.algo, "--model", a.model, "--steps", str(a.steps), "--batch", str(a.batch)],
                               capture_output=True, text=True)
            if p.returncode: sys.exit(f"bench_train_memory: the run with checkpointing {s}, LoRA dropout {dr:g} failed:\n{p.stderr[-3000:]}")
            m = json.loads(p.stdout.strip().splitlines()[-1])
            print(f"{s:<24}{dr:>14g}{m['train_seconds']:>9.1f}{m['train_seconds'] / max(m['steps'], 1):>9.1f}{m['peak_rss_gb']:>13.2f}")
            table.append({"rows": f"{source}: {len(rows)} rows of {min(ntok)}-{max(ntok)} tokens", "checkpointing": s, "LoRA dropout": dr,
                          "seconds": round(m["train_seconds"], 1), "seconds per step": round(m["train_seconds"] / max(m["steps"], 1), 1),
                          "peak RSS GB": round(m["peak_rss_gb"], 2)})
        write_log(a.log, rows=table, algo=a.algo, model=a.model, steps=a.steps, batch=a.batch, lora_r=64,
                  hardware=hardware(), tokens=ntok)


if __name__ == "__main__": main()
