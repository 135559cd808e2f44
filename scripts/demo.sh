#!/usr/bin/env bash
# The main job: train the fmnist-best conditional GAN on Fashion-MNIST for a fixed time, draw per-class
# samples, measure them. Running it again continues the same run (nothing to do once its budget is spent).
set -euo pipefail
PY=${PY:-.venv/bin/python}
DEMO_DIR=${DEMO_DIR:-runs/demo}
DEMO_MINUTES=${DEMO_MINUTES:-8}

# The same command both times, with --resume once the run exists: it continues a run that was stopped
# (Ctrl-C), or extends a finished one to a larger DEMO_MINUTES.
RESUME=()
[ -e "$DEMO_DIR/config.json" ] && RESUME=(--resume)
"$PY" -m fashiongan train --preset fmnist-best --minutes "$DEMO_MINUTES" --out "$DEMO_DIR" "${RESUME[@]}"
"$PY" -m fashiongan generate "$DEMO_DIR" --n 100 --out "$DEMO_DIR/generated.png" --force
"$PY" -m fashiongan generate "$DEMO_DIR" --n 1000 --out "$DEMO_DIR/generated.npz" --force
"$PY" -m fashiongan evaluate "$DEMO_DIR" --force
echo
echo "Demo done. Look at:"
echo "  $DEMO_DIR/generated.png   100 new images, one row per class"
echo "  $DEMO_DIR/progress.gif    the fixed-noise grid, epoch by epoch"
echo "  $DEMO_DIR/losses.png and accuracy.png"
echo "  $DEMO_DIR/eval.json and $DEMO_DIR/eval/report.md   the numbers, next to the real-data floor"
