#!/usr/bin/env bash
# The main job: train the default conditional DCGAN on Fashion-MNIST, draw per-class samples, measure them.
# Running it again continues the same run (nothing to do once it has all its epochs).
set -euo pipefail
PY=${PY:-.venv/bin/python}
DEMO_DIR=${DEMO_DIR:-runs/demo}
DEMO_EPOCHS=${DEMO_EPOCHS:-10}

if [ -d "$DEMO_DIR/checkpoints" ]; then
    "$PY" -m fashiongan train --resume --out "$DEMO_DIR" --epochs "$DEMO_EPOCHS"
else
    "$PY" -m fashiongan train --preset fmnist --epochs "$DEMO_EPOCHS" --out "$DEMO_DIR"
fi
"$PY" -m fashiongan generate "$DEMO_DIR" --n 100 --out "$DEMO_DIR/generated.png" --force
"$PY" -m fashiongan generate "$DEMO_DIR" --n 1000 --out "$DEMO_DIR/generated.npz" --force
"$PY" -m fashiongan evaluate "$DEMO_DIR"
echo
echo "Demo done. Look at:"
echo "  $DEMO_DIR/generated.png   100 new images, one row per class"
echo "  $DEMO_DIR/progress.gif    the fixed-noise grid, epoch by epoch"
echo "  $DEMO_DIR/losses.png and accuracy.png"
echo "  $DEMO_DIR/eval.json and $DEMO_DIR/eval/report.md   the numbers, next to the real-data floor"
