"""The ASGI app: one page, and a JSON/PNG API over a generator loaded once at start.

    GET /                 the page (page.html + page.js, served from the package: works offline)
    GET /api/info         classes, z_dim, image size, channels, limits
    GET /api/generate     PNG grid             ?class=&n=&seed=&truncation=
    GET /api/interpolate  PNG strip            ?class=&seed_a=&seed_b=&steps=&truncation=
    GET /api/zip          zip of one PNG each  ?class=&n=&seed=&truncation=

Model calls are serialised with a lock (one generator, eval mode, shared by the worker threads), and each
request is bounded (n <= 256, steps <= 32), so memory and time per request stay small.
"""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from importlib import resources
from pathlib import Path

import torch
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from torch import nn

from fashiongan.generate import class_labels, load_generator, noise_for_seeds, sample, slerp
from fashiongan.models.layers import to_uint8
from fashiongan.serve import params
from fashiongan.viz.grids import make_grid, to_pil

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; style-src 'self' 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


class Model:
    """The loaded generator with its class names, and the lock that serialises calls to it."""

    def __init__(self, generator: nn.Module, conditional: bool, class_names: list[str]) -> None:
        self.generator, self.conditional, self.class_names = generator, conditional, class_names
        self.device = next(generator.parameters()).device
        self.lock = threading.Lock()

    def labels(self, n: int, class_index: int | None) -> torch.Tensor | None:
        return class_labels(n, len(self.class_names), class_index) if self.conditional else None

    def images(self, seeds: list[int], labels: torch.Tensor | None, truncation: float) -> torch.Tensor:
        """uint8 (N, C, H, W); image i from seeds[i], its noise scaled by ``truncation``."""
        with self.lock:
            if truncation == 1.0:
                return sample(self.generator, seeds, labels, self.device)
            return self._run(noise_for_seeds(seeds, self.generator.z_dim) * truncation, labels)

    def walk(self, p: params.InterpolateParams) -> torch.Tensor:
        """uint8 (steps, C, H, W): a spherical walk from seed_a's noise to seed_b's."""
        ends = noise_for_seeds([p.seed_a, p.seed_b], self.generator.z_dim)
        t = torch.linspace(0, 1, p.steps).view(p.steps, 1)
        z = slerp(ends[:1], ends[1:], t) * p.truncation  # (steps, z_dim)
        with self.lock:
            return self._run(z, self.labels(p.steps, 0 if p.class_index is None else p.class_index))

    @torch.no_grad()
    def _run(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        labels = None if labels is None else labels.to(self.device)
        return to_uint8(self.generator.eval()(z.to(self.device), labels)).cpu()


def png_bytes(images: torch.Tensor, nrow: int, padding: int = 2) -> bytes:
    buffer = io.BytesIO()
    to_pil(make_grid(images, nrow, padding)).save(buffer, format="PNG")
    return buffer.getvalue()


def grid_columns(n: int) -> int:
    """Columns of a near-square grid of n images."""
    return max(1, int(n**0.5 + 0.999999))


def zip_bytes(images: torch.Tensor, names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for image, name in zip(images, names, strict=True):
            archive.writestr(name, png_bytes(image[None], 1, padding=0))
    return buffer.getvalue()


def image_names(model: Model, seeds: list[int], labels: torch.Tensor | None) -> list[str]:
    if labels is None:
        return [f"seed{s}.png" for s in seeds]
    return [f"{model.class_names[int(k)].replace('/', '-').replace(' ', '_')}_seed{s}.png"
            for s, k in zip(seeds, labels, strict=True)]


def bad_request(exc: params.BadRequest) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


def page_file(name: str) -> str:
    return resources.files("fashiongan.serve").joinpath(name).read_text(encoding="utf-8")


def add_host_check(app: FastAPI, bound_host: str) -> None:
    """Refuse (400) requests whose Host header does not name the server: a DNS-rebinding page's do not."""
    machine_names = (socket.gethostname(), socket.getfqdn())

    @app.middleware("http")
    async def check_host(request: Request, call_next):  # Starlette's middleware signature
        if not params.host_allowed(request.headers.get("host", ""), bound_host, machine_names):
            return JSONResponse({"error": f"the Host header does not name this server ({bound_host}); "
                                          "open the page by its address"}, status_code=400)
        return await call_next(request)


def create_app(run_dir_or_model_folder: str | Path, checkpoint: str = "last", device: str = "cpu",
               bound_host: str | None = None) -> FastAPI:
    """Load the generator once (raises UserError for a bad folder) and build the app around it.

    ``bound_host`` is the address the server listens on (``fashiongan serve --host``): requests whose Host
    header names anything else are refused with a 400 (see ``params.host_allowed``). None: no check, for an
    app run in-process or behind a proxy that checks it.
    """
    generator, config, class_names = load_generator(run_dir_or_model_folder, checkpoint, device)
    model = Model(generator, config.model.conditional, class_names)
    app = FastAPI(title="fashiongan", docs_url=None, redoc_url=None, openapi_url=None)
    page, script = page_file("page.html"), page_file("page.js")
    if bound_host is not None:
        add_host_check(app, bound_host)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    @app.get("/page.js")
    def page_js() -> Response:
        return Response(script, media_type="text/javascript", headers=PAGE_HEADERS)

    @app.get("/api/info")
    def info() -> dict:
        return {
            "classes": model.class_names if model.conditional else [],
            "conditional": model.conditional,
            "z_dim": int(generator.z_dim),
            "image_size": int(generator.image_size),
            "channels": int(generator.channels),
            "truncation": True,  # the noise is scaled in the server, so every model supports it
            "max_n": params.MAX_N,
            "max_steps": params.MAX_STEPS,
        }

    def draw(request: Request) -> tuple[params.GenerateParams, list[int], torch.Tensor | None, torch.Tensor]:
        p = params.generate_params(list(request.query_params.multi_items()), model.class_names, model.conditional)
        seeds = list(range(p.seed, p.seed + p.n))
        labels = model.labels(p.n, p.class_index)
        return p, seeds, labels, model.images(seeds, labels, p.truncation)

    @app.get("/api/generate")
    def generate(request: Request) -> Response:
        try:
            p, _, _, images = draw(request)
        except params.BadRequest as exc:
            return bad_request(exc)
        columns = grid_columns(p.n)
        headers = {"X-Seed": str(p.seed), "X-Columns": str(columns), "Cache-Control": "no-store"}
        return Response(png_bytes(images, columns), media_type="image/png", headers=headers)

    @app.get("/api/interpolate")
    def interpolate(request: Request) -> Response:
        try:
            p = params.interpolate_params(list(request.query_params.multi_items()), model.class_names,
                                          model.conditional)
        except params.BadRequest as exc:
            return bad_request(exc)
        headers = {"X-Seed-A": str(p.seed_a), "X-Seed-B": str(p.seed_b), "Cache-Control": "no-store"}
        return Response(png_bytes(model.walk(p), p.steps), media_type="image/png", headers=headers)

    @app.get("/api/zip")
    def zip_images(request: Request) -> Response:
        try:
            p, seeds, labels, images = draw(request)
        except params.BadRequest as exc:
            return bad_request(exc)
        headers = {"X-Seed": str(p.seed), "Content-Disposition": f'attachment; filename="fashiongan-seed{p.seed}.zip"'}
        return Response(zip_bytes(images, image_names(model, seeds, labels)), media_type="application/zip",
                        headers=headers)

    return app
