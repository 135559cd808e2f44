"""The page in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download).

Starts the server on a free loopback port, picks a class, generates, checks the image's natural size,
walks between two seeds, shows an error, and downloads the zip.
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="serve needs the [serve] extra (fastapi, uvicorn)")
pytest.importorskip("playwright", reason="the browser test needs Playwright for Python (pip install playwright)")
import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from fashiongan.serve.app import create_app  # noqa: E402
from tests.serve.helpers import train_tiny_run  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (Debian: apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory) -> Iterator[str]:
    app = create_app(train_tiny_run(tmp_path_factory.mktemp("browser") / "run"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def natural_size(page, selector: str) -> tuple[int, int]:
    page.wait_for_selector(f'{selector}[data-loaded="1"]', timeout=10_000)
    return tuple(page.eval_on_selector(selector, "img => [img.naturalWidth, img.naturalHeight]"))


def test_generate_walk_and_download_in_chromium(server_url: str, tmp_path: Path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(accept_downloads=True)
            page.goto(server_url)
            page.wait_for_selector('body[data-ready="1"]', timeout=10_000)
            page.select_option("#class", "Sneaker")
            page.fill("#n", "6")
            page.fill("#seed", "5")
            page.click("#generate")
            assert natural_size(page, "#grid") == (3 * 30 + 2, 2 * 30 + 2)  # 6 images, 3 columns, 2 px padding
            assert page.text_content("#seed-used") == "5"
            rendering = page.eval_on_selector("#grid", "img => getComputedStyle(img).imageRendering")
            assert rendering == "pixelated"  # the page's own stylesheet applied (allowed by its CSP)
            assert page.eval_on_selector("#grid", "img => img.getBoundingClientRect().width") == 3 * 92

            page.fill("#steps", "4")
            page.click("#walk")  # from the grid's seed (5) to the next (6)
            assert natural_size(page, "#strip") == (4 * 30 + 2, 32)

            with page.expect_download(timeout=10_000) as download_info:
                page.click("#download-zip")
            saved = tmp_path / "images.zip"
            download_info.value.save_as(saved)
            names = zipfile.ZipFile(io.BytesIO(saved.read_bytes())).namelist()
            assert len(names) == 6 and all(name.startswith("Sneaker_seed") for name in names)

            page.fill("#n", "999")
            page.click("#generate")
            page.wait_for_selector("#error:not(:empty)", timeout=10_000)  # (the page's CSP forbids eval)
            assert "n must be an integer from 1 to 256" in page.text_content("#error")
        finally:
            browser.close()
