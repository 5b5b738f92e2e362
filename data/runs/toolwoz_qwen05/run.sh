#!/bin/bash
# Resume the real-ToolWOZ loop recorded here on the code it started with (5878d4b), whatever main holds now.
# The worktree's josh_nb must come first on sys.path: run from a folder outside the repository (python puts the
# current folder first) whose ../shared/data is the data directory config.json names.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
[ -d /tmp/loopcode ] || git -C "$REPO" worktree add -f /tmp/loopcode 5878d4b
mkdir -p "$REPO/../loopcwd" && cd "$REPO/../loopcwd"
export PYTHONPATH=/tmp/loopcode
# From round 2's harvest on, the backend's KV store (past keys/values kept for reuse: a cache, it changes no setting of
# the run) is capped at JOSH_KV_MB MiB instead of the code's 4096: with 4096, round 2's harvest was killed by the kernel's
# OOM killer at JOSH step 3, twice on 2026-12-05: at 22.9 GB resident (a 1.5 GB test ran beside it) and at 24.4 GB (alone).
export JOSH_KV_MB=${JOSH_KV_MB:-1024}
exec python -c 'import os, sys, josh_nb; assert josh_nb.__file__.startswith("/tmp/loopcode"), josh_nb.__file__
import josh_nb.backends as B; make = B.make_backend
def capped(*a, **k):
    b = make(*a, **k); b.kv_cache_mb = int(os.environ["JOSH_KV_MB"]); return b
B.make_backend = capped
from josh_nb.loop import josh_loop; sys.argv=["josh_loop"]+sys.argv[1:]; sys.exit(josh_loop())' \
  --env toolwoz --data ../shared/data --model qwen2.5-coder-0.5b --harvest-split val --limit 40 --eval-split test \
  --eval-limit 100 --rounds 3 --max-steps 5 --lr 1e-4 --out "$REPO/data/runs/toolwoz_qwen05"
