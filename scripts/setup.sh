#!/usr/bin/env bash
# Installs everything fashiongan needs into a virtual environment (default .venv).
# Idempotent: each step checks first and skips what is already there.
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
FMNIST_SYSTEM_DIR=/usr/share/datasets/fashion-mnist

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# 1. Fashion-MNIST from Debian's package, where apt exists. Not fatal: fashiongan can also
#    download the official files into its cache.
if [ ! -f "$FMNIST_SYSTEM_DIR/train-images-idx3-ubyte.gz" ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's dataset-fashion-mnist"
    { as_root apt-get update -qq && as_root apt-get install -y -qq dataset-fashion-mnist >/dev/null; } ||
        echo "setup: could not install dataset-fashion-mnist; fashiongan will download the files on first use"
fi

# 2. A virtual environment that can see an already installed torch (e.g. a CUDA build).
if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    if ! "$PYTHON" -m venv --system-site-packages "$VENV"; then
        command -v apt-get >/dev/null && as_root apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv --system-site-packages "$VENV"
    fi
fi

# 3. torch: keep an importable one; otherwise the pinned CPU wheel.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    echo "setup: installing torch (CPU)"
    "$VENV/bin/python" -m pip install -q torch==2.13.0
fi

# 4. The package itself, editable, with the test tools (dev also pulls the serve, export and hub extras).
echo "setup: installing fashiongan"
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "setup: done ($VENV)"
