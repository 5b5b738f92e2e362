#!/bin/bash
# Start or resume the real-ToolWOZ loop recorded here on its own code, whatever main holds now: a2407b8 for round 0's
# evaluation, be13f92 for round 1's harvest and training, 6479a2d for round 1's evaluation and round 2's harvest (a2407b8 plus each
# adapter's sha256 recorded, a lost adapter retrained for the next harvest too, and an unfinished evaluation whose adapter
# was lost set aside unless the retrained one is the same bit for bit), a33f830 from round 2's training on (6479a2d with
# a finished evaluation left standing when its adapter is retrained; the same computation for this run), in bfloat16
# (pinned, so that a machine without native bfloat16 resumes it in the same dtype, slowly). Only what git keeps survives
# a session: records, evaluation logs and the harvests' trees; an adapter a later stage needs is retrained from the trees.
# SIGINT gets Python's handler back (a job started with & from a script ignores it): `kill -INT` stops it cleanly.
# The worktree's josh_nb must come first on sys.path: run from a folder outside the repository whose ../shared/data is
# the data directory config.json names.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
CODE=/tmp/loopcode_a33f830
git -C "$REPO" worktree prune
[ -d $CODE ] || git -C "$REPO" worktree add -f --detach $CODE a33f830
mkdir -p "$REPO/../loopcwd" && cd "$REPO/../loopcwd"
export PYTHONPATH=$CODE
exec python -c 'import signal, sys, josh_nb; signal.signal(signal.SIGINT, signal.default_int_handler); assert josh_nb.__file__.startswith(sys.path[1]), josh_nb.__file__; from josh_nb.loop import josh_loop; sys.argv=["josh_loop"]+sys.argv[1:]; sys.exit(josh_loop())' \
  --env toolwoz --data ../shared/data --model qwen2.5-coder-0.5b --dtype bfloat16 --harvest-split val --limit 40 \
  --eval-split test --eval-limit 200 --rounds 3 --max-steps 5 --lr 1e-4 --out "$REPO/data/runs/toolwoz_qwen05_bf16"
