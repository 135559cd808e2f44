"""The API through Starlette's TestClient: images, seeds, classes, truncation, walks, zips and errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="serve needs the [serve] extra (fastapi, uvicorn, httpx)")
from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402

from fashiongan.generate import generate  # noqa: E402
from fashiongan.serve.app import create_app  # noqa: E402
from tests.serve.helpers import CLASS_NAMES, train_tiny_run  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("serve") / "run")


@pytest.fixture(scope="module")
def client(run_dir: Path) -> TestClient:
    return TestClient(create_app(run_dir))


def png(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(response.content)))


def cell(grid: np.ndarray, i: int, columns: int, size: int = 28, padding: int = 2) -> np.ndarray:
    row, col = divmod(i, columns)
    top, left = padding + row * (size + padding), padding + col * (size + padding)
    return grid[top : top + size, left : left + size]


def test_info(client: TestClient):
    info = client.get("/api/info").json()
    assert info["classes"] == CLASS_NAMES and info["conditional"] is True
    assert (info["image_size"], info["channels"], info["z_dim"], info["max_n"]) == (28, 1, 100, 256)


def test_page_and_script_are_served_from_the_package(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/page.js">' in page.text and "http" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "fetch(" in client.get("/page.js").text


def test_grid_matches_the_sampling_path(client: TestClient, run_dir: Path):
    response = client.get("/api/generate", params={"class": "Sneaker", "n": 5, "seed": 3})
    grid = png(response)
    assert response.headers["x-seed"] == "3" and response.headers["x-columns"] == "3"
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2)  # 5 images in 3 columns, 2 px padding
    expected = generate(run_dir, n=5, class_index="Sneaker", seed=3, device="cpu").images
    for i in range(5):
        assert np.array_equal(cell(grid, i, 3), expected[i, 0].numpy())


def test_random_seed_is_picked_and_returned(client: TestClient):
    first = client.get("/api/generate", params={"n": 2})
    seed = first.headers["x-seed"]
    again = client.get("/api/generate", params={"n": 2, "seed": seed})
    assert first.content == again.content
    other = client.get("/api/generate", params={"n": 2, "seed": int(seed) + 7})
    assert other.content != first.content


def test_truncation_shrinks_the_noise(client: TestClient):
    full = png(client.get("/api/generate", params={"n": 4, "seed": 0}))
    same = png(client.get("/api/generate", params={"n": 4, "seed": 0, "truncation": "1.0"}))
    tight = png(client.get("/api/generate", params={"n": 4, "seed": 0, "truncation": "0.2"}))
    assert np.array_equal(full, same) and not np.array_equal(full, tight)


def test_interpolation_strip_ends_at_the_two_seeds(client: TestClient, run_dir: Path):
    response = client.get("/api/interpolate", params={"class": "Trouser", "seed_a": 4, "seed_b": 9, "steps": 5})
    strip = png(response)
    assert strip.shape == (32, 5 * 30 + 2)
    a = generate(run_dir, n=1, class_index="Trouser", seed=4, device="cpu").images[0, 0].numpy()
    b = generate(run_dir, n=1, class_index="Trouser", seed=9, device="cpu").images[0, 0].numpy()
    assert np.abs(cell(strip, 0, 5).astype(int) - a).max() <= 1  # slerp's end points equal the seeds' noise
    assert np.abs(cell(strip, 4, 5).astype(int) - b).max() <= 1


def test_zip_holds_one_png_per_image(client: TestClient):
    response = client.get("/api/zip", params={"n": 6, "seed": 10})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["T-shirt-top_seed10.png", "Trouser_seed11.png", "Sneaker_seed12.png", "Ankle_boot_seed13.png",
                     "T-shirt-top_seed14.png", "Trouser_seed15.png"]
    first = Image.open(io.BytesIO(zipfile.ZipFile(io.BytesIO(response.content)).read(names[0])))
    assert first.size == (28, 28)


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("/api/generate", {"class": "Sandal"}, "unknown class 'Sandal'"),
        ("/api/generate", {"n": 1000}, "n must be an integer from 1 to 256"),
        ("/api/zip", {"seed": "abc"}, "seed must be an integer"),
        ("/api/interpolate", {"steps": 100}, "steps must be an integer from 2 to 32"),
        ("/api/interpolate", {"path": "/etc/passwd"}, "unknown parameter 'path'"),
    ],
)
def test_errors_are_400_json(client: TestClient, path: str, query: dict, message: str):
    response = client.get(path, params=query)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_unknown_route_and_method_are_4xx(client: TestClient):
    assert client.get("/api/nothing").status_code == 404
    assert client.post("/api/generate").status_code == 405


def test_a_model_folder_serves_the_same_images(run_dir: Path, tmp_path: Path):
    from fashiongan.export.hub import export_model_folder

    folder = export_model_folder(run_dir, tmp_path / "model")
    served = TestClient(create_app(folder)).get("/api/generate", params={"n": 3, "seed": 1})
    original = TestClient(create_app(run_dir)).get("/api/generate", params={"n": 3, "seed": 1})
    assert served.status_code == 200 and served.content == original.content


def test_unconditional_run(tmp_path: Path):
    client = TestClient(create_app(train_tiny_run(tmp_path / "uncond", conditional=False)))
    assert client.get("/api/info").json()["classes"] == []
    assert png(client.get("/api/generate", params={"n": 4})).shape == (62, 62)
    assert client.get("/api/generate", params={"class": "Trouser"}).status_code == 400
    assert client.get("/api/interpolate", params={"steps": 3}).status_code == 200


def test_the_host_header_is_checked_against_the_bound_address(run_dir: Path):
    app = create_app(run_dir, bound_host="127.0.0.1")
    assert TestClient(app, base_url="http://127.0.0.1:7860").get("/api/info").status_code == 200
    assert TestClient(app, base_url="http://localhost:7860").get("/").status_code == 200
    refused = TestClient(app, base_url="http://attacker.example:7860").get("/api/generate", params={"n": 1})
    assert refused.status_code == 400
    assert refused.json() == {"error": "the Host header does not name this server (127.0.0.1); open the page by "
                                       "its address"}
