"""The log a benchmark leaves: `data/bench/<name>.json`, what it measured with where, when and how.

Every figure a chapter shows from a benchmark is read from such a log by a cell, never typed in, so the log says
what a reader needs to judge it: the commit (and the tracked files that differed from it), the machine, the date,
the command line, and the load on the machine while it ran (`load`: the 1-, 5- and 15-minute load averages before
and after, and the CPU count; a run sharing its cores with other work says so here). A script writes the log
itself, from what it measured: a log is never written by hand.

    from benchlog import add_log_option, write_log
    add_log_option(parser, "env")                # --log FILE (default data/bench/env.json; '-' for none)
    ...
    write_log(args.log, rows=[...], notes=...)   # rows: one dict per table row
"""
from __future__ import annotations
import json, os, platform, shlex, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT/"data"/"bench"

def _git(*args) -> str:
    try: return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError): return ""

def machine() -> str:
    "A one-line description of this machine: CPU model and cores, torch's threads and GPU when torch is loaded."
    cpu = platform.processor() or platform.machine()
    try: cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): pass
    out = f"CPU {cpu}, {os.cpu_count()} cores"
    torch = sys.modules.get("torch")
    if torch is not None:
        out += f", torch {torch.__version__} with {torch.get_num_threads()} threads"
        out += f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"
    return out

def load() -> str:
    "The load averages (1, 5, 15 min) and the CPU count: how busy the machine is."
    return "load average {:.2f}, {:.2f}, {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count())

def context() -> dict:
    "Where and how this run happens: commit, tracked files changed since it, machine, date, command line, load."
    changed = _git("diff", "--name-only", "HEAD").splitlines()
    argv = [Path(sys.argv[0]).resolve().relative_to(ROOT).as_posix() if Path(sys.argv[0]).resolve().is_relative_to(ROOT)
            else sys.argv[0], *sys.argv[1:]]
    return dict(commit=_git("rev-parse", "HEAD") or None, changed_files=changed, machine=machine(),
                date=time.strftime("%Y-%m-%dT%H:%M:%S%z"), command=shlex.join(["python", *argv]), load_before=load())

START = context()   # taken when the script imports this module, before it measures anything

def describe(ctx:dict=START) -> str:
    "The run's context in two lines, for a script to print before its figures."
    dirty = f" (+ changes to {', '.join(ctx['changed_files'])})" if ctx["changed_files"] else ""
    return f"commit {(ctx['commit'] or 'unknown')[:7]}{dirty}; {machine()}\n{ctx['load_before']}"

def add_log_option(parser, name:str):
    "Add `--log FILE` to an argparse `parser`: where the log goes (default data/bench/<name>.json; '-': no log)."
    parser.add_argument("--log", default=str(BENCH_DIR/f"{name}.json"),
                        help=f"write the results with commit, machine, date, command and load here "
                             f"(default: data/bench/{name}.json; '-' for none)")

def write_log(path, **results) -> Path|None:
    "Write the log (the run's context, the load now, and `results`) to `path` unless it is '-' or empty; its path."
    if not path or path == "-": return None
    p = Path(path); p.parent.mkdir(parents=True, exist_ok=True)
    log = dict(START, machine=machine(), load=f"before: {START['load_before']}; after: {load()}", **results)
    del log["load_before"]
    p.write_text(json.dumps(log, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {p}")
    return p
