#!/bin/bash
# Resume the real-ToolWOZ loop recorded here on the code it started with (5878d4b), whatever main holds now.
# The worktree's josh_nb must come first on sys.path: run from a folder outside the repository (python puts the
# current folder first) whose ../shared/data is the data directory config.json names.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
[ -d /tmp/loopcode ] || git -C "$REPO" worktree add -f /tmp/loopcode 5878d4b
mkdir -p "$REPO/../loopcwd" && cd "$REPO/../loopcwd"
export PYTHONPATH=/tmp/loopcode
exec python -c 'import sys, josh_nb; assert josh_nb.__file__.startswith("/tmp/loopcode"), josh_nb.__file__; from josh_nb.loop import josh_loop; sys.argv=["josh_loop"]+sys.argv[1:]; sys.exit(josh_loop())' \
  --env toolwoz --data ../shared/data --model qwen2.5-coder-0.5b --harvest-split val --limit 40 --eval-split test \
  --eval-limit 100 --rounds 3 --max-steps 5 --lr 1e-4 --out "$REPO/data/runs/toolwoz_qwen05"
