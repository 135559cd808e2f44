"""`fashiongan serve`: a local page to generate images by class, walk between seeds and download them."""

from __future__ import annotations

import argparse
import ipaddress

from fashiongan.cli.common import int_at_least
from fashiongan.cli.options import add_device_flag
from fashiongan.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="a local web page and API to generate images from a trained run",
                              description="Serve RUN_DIR (a run folder or an exported model folder) on a web page: "
                              "pick a class, generate, walk between seeds, download. Binds 127.0.0.1 unless told.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder or a model folder from `fashiongan export`")
    p.add_argument("--host", default="127.0.0.1", metavar="HOST", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int_at_least(0), default=7860, metavar="PORT", help="port (default 7860)")
    p.add_argument("--checkpoint", choices=("last", "best"), default="last", help="which checkpoint (default last)")
    add_device_flag(p, default="cpu")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run(args: argparse.Namespace) -> int:
    if args.port > 65535:
        raise UserError(f"--port must be from 0 to 65535; got {args.port}")
    try:
        import uvicorn

        from fashiongan.serve.app import create_app
    except ImportError:
        raise UserError("serve needs FastAPI and uvicorn: pip install 'fashiongan[serve]'") from None
    app = create_app(args.run_dir, args.checkpoint, args.device, bound_host=args.host)
    if not is_loopback(args.host):
        print(f"fashiongan: note: serving on {args.host}, reachable from other machines")
    print(f"Serving {args.run_dir} on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
