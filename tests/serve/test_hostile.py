"""1,000 random and malformed requests, some concurrent: never a 5xx, never a traceback in a body."""

from __future__ import annotations

import random
import string
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="serve needs the [serve] extra (fastapi, uvicorn, httpx)")
from fastapi.testclient import TestClient  # noqa: E402

from fashiongan.serve.app import create_app  # noqa: E402
from tests.serve.helpers import train_tiny_run  # noqa: E402

PATHS = ["/api/generate", "/api/interpolate", "/api/zip", "/api/info", "/", "/page.js", "/api/../etc/passwd",
         "/api/generate/", "/api/%00", "/static/../../x"]
NAMES = ["class", "n", "seed", "seed_a", "seed_b", "steps", "truncation", "", "N", "class[]", "x" * 300, "é", "\x00"]
VALUES = ["", "0", "1", "-1", "256", "257", "3", "1e9", "1e400", "-0", "+4", "0x10", "nan", "inf", "-inf", "0.5",
          "1.0000001", "Sneaker", "sneaker", "SNEAKER", "all", "Ankle boot", "T-shirt/top", "3", "4", "99", "random",
          "9" * 30, "9" * 5000, "18446744073709551616", "4294967039", "٣", "１２", "🙂", "<script>", "' OR 1=1",
          "../../etc/passwd", "%00", "\u202e", "None", "null", "[]", "{}", "true", " 5 ", "\t"]


def random_query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(NAMES)
        value = rng.choice(VALUES) if rng.random() < 0.85 else "".join(
            rng.choice(string.printable) for _ in range(rng.randint(1, 20)))
        parts.append(f"{quote(name, safe='')}={quote(value, safe='')}" if rng.random() < 0.95 else quote(name))
    return "&".join(parts)


def random_url(rng: random.Random) -> str:
    path = rng.choice(PATHS[:3]) if rng.random() < 0.8 else rng.choice(PATHS)
    return f"{path}?{random_query(rng)}"


def check(client: TestClient, url: str) -> tuple[str, int, str]:
    response = client.get(url)
    body = response.content[:4000].decode("utf-8", "replace") if "image" not in response.headers.get(
        "content-type", "") and "zip" not in response.headers.get("content-type", "") else ""
    return url, response.status_code, body


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    run_dir: Path = train_tiny_run(tmp_path_factory.mktemp("hostile") / "run")
    return TestClient(create_app(run_dir))


def test_thousand_hostile_requests(client: TestClient):
    rng = random.Random(0)
    urls = [random_url(rng) for _ in range(1000)]
    sequential, concurrent = urls[:600], urls[600:]
    results = [check(client, url) for url in sequential]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results += list(pool.map(lambda url: check(client, url), concurrent))
    server_errors = [(url, status) for url, status, _ in results if status >= 500]
    tracebacks = [url for url, _, body in results if "Traceback" in body or 'File "' in body]
    assert not server_errors, server_errors[:5]
    assert not tracebacks, tracebacks[:5]
    statuses = {status for _, status, _ in results}
    assert 200 in statuses and 400 in statuses  # the mix holds both valid and invalid requests


def test_concurrent_requests_do_not_mix_results(client: TestClient):
    """The same request answered alone and among 40 others in 8 threads gives the same bytes."""
    queries = [{"n": 1 + i % 9, "seed": i, "class": ["all", "Sneaker", "1"][i % 3],
                "truncation": ["1", "0.7"][i % 2]} for i in range(40)]
    alone = [client.get("/api/generate", params=q).content for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda q: client.get("/api/generate", params=q).content, queries))
    assert together == alone
