#!/usr/bin/env bash
# The main job: train the default conditional DCGAN on Fashion-MNIST, then draw per-class samples.
# Running it again continues the same run (nothing to do once it has all its epochs).
set -euo pipefail
PY=${PY:-.venv/bin/python}
DEMO_DIR=${DEMO_DIR:-runs/demo}
DEMO_EPOCHS=${DEMO_EPOCHS:-10}

if [ -f "$DEMO_DIR/config.json" ]; then
    "$PY" -m fashiongan train --resume --out "$DEMO_DIR" --epochs "$DEMO_EPOCHS"
else
    "$PY" -m fashiongan train --preset fmnist --epochs "$DEMO_EPOCHS" --out "$DEMO_DIR"
fi
"$PY" -m fashiongan generate "$DEMO_DIR" --n 100 --out "$DEMO_DIR/generated.png" --force
"$PY" -m fashiongan generate "$DEMO_DIR" --n 1000 --out "$DEMO_DIR/generated.npz" --force
echo
echo "Demo done. Look at:"
echo "  $DEMO_DIR/generated.png   100 new images, one row per class"
echo "  $DEMO_DIR/progress.gif    the fixed-noise grid, epoch by epoch"
echo "  $DEMO_DIR/losses.png and accuracy.png"
