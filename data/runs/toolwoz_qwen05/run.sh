#!/bin/bash
# Resume the real-ToolWOZ loop recorded here on its own code, whatever main holds now. Rounds 0 and 1 ran on 5878d4b;
# from round 2's harvest on it runs on 9602242: 5878d4b with two changes, because round 2's harvest was killed by the
# kernel's OOM killer at JOSH step 3 three times on 2026-12-05 (22.9, 24.4 and 24.3 GB resident, 24 GB machine):
# a long prefill runs in chunks (prefill_positions, 6d295c0; not enough alone), and the last position's logits are
# asked for by index, not by slice (9602242; main's last_logit_kwargs): the slice made torch copy the 272 MB output
# layer once per row on every multi-token step, 8 GB for 32 rows, which was the peak.
# SIGINT gets Python's handler back: a job started with & from a script ignores it, and then `kill -INT` could not make
# the training stage checkpoint and stop. The worktree's josh_nb must come first on sys.path: run from a folder outside the repository (python puts the
# current folder first) whose ../shared/data is the data directory config.json names.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
CODE=/tmp/loopcode3
[ -d $CODE ] || git -C "$REPO" worktree add -f $CODE 9602242
mkdir -p "$REPO/../loopcwd" && cd "$REPO/../loopcwd"
export PYTHONPATH=$CODE
exec python -c 'import signal, sys, josh_nb; signal.signal(signal.SIGINT, signal.default_int_handler); assert josh_nb.__file__.startswith(sys.path[1]), josh_nb.__file__; from josh_nb.loop import josh_loop; sys.argv=["josh_loop"]+sys.argv[1:]; sys.exit(josh_loop())' \
  --env toolwoz --data ../shared/data --model qwen2.5-coder-0.5b --harvest-split val --limit 40 --eval-split test \
  --eval-limit 100 --rounds 3 --max-steps 5 --lr 1e-4 --out "$REPO/data/runs/toolwoz_qwen05"
