#!/bin/bash
# Start or resume the --train-on new twin of toolwoz_qwen05_bf16, on that run's code from round 2's training on (a33f830)
# and in its dtype. Rounds 0 and 1 and round 2's harvest are that run's records, copied (run.json says why they are the
# same computation); from round 2's training on, each round goes on training the last round's adapter on its own
# harvest alone, so the training per round stays about the same where the twin's grows with every harvest.
# Only what git keeps survives a session: records, evaluation logs and the harvests' trees; an adapter a later stage
# needs is retrained from the trees (with 'new', the chain of adapters before it too).
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
  --eval-split test --eval-limit 200 --rounds 3 --max-steps 5 --lr 1e-4 --train-on new --out "$REPO/data/runs/toolwoz_qwen05_bf16_new"
