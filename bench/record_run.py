#!/usr/bin/env python
"""Keep the small files of a finished `josh_loop` run in the repository, for the notebooks to read.

Copies the run's `config.json`, `results.json`, every stage's `done.json`, the evaluation records and the
training logs (not the adapters, not the harvest trees) into `data/runs/<name>/`, and writes `run.json` beside
them: the commit the run was made on, the machine, and what the caller measured (wall time, peak memory).

Usage: `python bench/record_run.py RUN_DIR NAME --commit SHA --wall-s 712 --peak-rss-gb 8.1 [--command "josh_loop ..."]`
"""
from __future__ import annotations
import argparse, json, shutil, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_generate import hardware

KEEP = ("config.json", "results.json", "done.json", "results.jsonl", "train_log.jsonl", "stats.json", "train_result.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="the josh_loop run directory")
    ap.add_argument("name", help="folder name under data/runs/")
    ap.add_argument("--commit", required=True, help="the commit the run was made on")
    ap.add_argument("--wall-s", type=float, help="measured wall time of the whole command, seconds")
    ap.add_argument("--peak-rss-gb", type=float, help="measured peak resident memory, GB")
    ap.add_argument("--command", help="the command that made the run")
    ap.add_argument("--note", help="anything else a reader needs to know")
    a = ap.parse_args(argv)
    run, dest = Path(a.run), Path(__file__).resolve().parent.parent/"data"/"runs"/a.name
    if not (run/"config.json").is_file(): sys.exit(f"record_run: {run} is not a josh_loop run (no config.json)")
    shutil.rmtree(dest, ignore_errors=True)
    for f in sorted(run.rglob("*")):   # small files only: never the adapters' weights or the harvest trees
        if f.name in KEEP and f.is_file():
            (dest/f.relative_to(run)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest/f.relative_to(run))
    info = dict(commit=a.commit, machine=hardware(), wall_s=a.wall_s, peak_rss_gb=a.peak_rss_gb, command=a.command, note=a.note)
    (dest/"run.json").write_text(json.dumps({k: v for k, v in info.items() if v is not None}, indent=1) + "\n")
    print(f"record_run: {sum(1 for _ in dest.rglob('*') if _.is_file())} files in {dest}")


if __name__ == "__main__":
    main()
