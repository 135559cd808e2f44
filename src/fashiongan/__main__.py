"""Lets ``python -m fashiongan`` run the command line."""

from fashiongan.cli import main

raise SystemExit(main())
