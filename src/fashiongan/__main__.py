"""Lets ``python -m fashiongan`` run the command line (and ``torchrun … -m fashiongan``)."""

import os
import sys

if os.environ.get("RANK", "0") not in ("", "0") and os.environ.get("WORLD_SIZE", "1") not in ("", "1"):
    # Under torchrun only rank 0 prints; every rank's errors still reach stderr.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (open for the whole run)

from fashiongan.cli import main  # noqa: E402

raise SystemExit(main())
