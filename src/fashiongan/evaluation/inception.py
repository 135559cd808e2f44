"""Optional standard InceptionV3 FID/KID, through torch-fidelity, for comparing with published numbers.

The domain evaluator (``features.py``) is what fashiongan's metrics use; Inception numbers are
offered on top when the user has torch-fidelity (``pip install 'fashiongan[inception]'``) and its
InceptionV3 weights are already in the torch hub cache. This module never downloads anything:
torch-fidelity is always given the weights file explicitly, and a missing file is a ``UserError``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch

from fashiongan.errors import UserError

# torch-fidelity's InceptionV3 ("inception-v3-compat", the TF FID graph's weights). torch-fidelity
# fetches it with torch.hub.load_state_dict_from_url, which keeps it in <torch hub dir>/checkpoints/.
WEIGHTS_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
)
WEIGHTS_NAME = WEIGHTS_URL.rsplit("/", 1)[1]
KID_SUBSET_SIZE = 1000  # torch-fidelity's default, as in Binkowski et al. (2018)


def inception_weights_path() -> Path:
    """Where torch-fidelity keeps the InceptionV3 weights: ``$TORCH_HOME/hub/checkpoints`` (torch.hub.get_dir)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME


def _import_fidelity() -> Any:
    try:
        return importlib.import_module("torch_fidelity")
    except ImportError:
        raise UserError(
            "--inception needs torch-fidelity, which is not installed: pip install 'fashiongan[inception]', "
            f"then download {WEIGHTS_URL} into {inception_weights_path().parent}"
        ) from None


def check_inception() -> Path:
    """The InceptionV3 weights file, after checking torch-fidelity imports; else a one-line ``UserError``."""
    _import_fidelity()
    path = inception_weights_path()
    if not path.is_file():
        raise UserError(
            f"--inception needs the InceptionV3 weights file {path}, which is not there: download {WEIGHTS_URL} "
            "to that path (or run torch-fidelity once with internet); fashiongan never downloads it itself"
        )
    try:  # a truncated or foreign file fails here, with a clear message, instead of deep in torch-fidelity
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        reason = type(exc).__name__
        raise UserError(f"InceptionV3 weights {path} are corrupt ({reason}); download {WEIGHTS_URL} again") from None
    return path


class _Uint8RGB(torch.utils.data.Dataset):
    """uint8 (N, C, H, W) images as torch-fidelity wants them: uint8 (3, H, W) items, gray repeated to RGB."""

    def __init__(self, images: torch.Tensor) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"expected uint8 images (N, 1|3, H, W); got {images.dtype} {tuple(images.shape)}")
        self.images = images.cpu()

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> torch.Tensor:
        image = self.images[index]
        return image.expand(3, -1, -1).contiguous() if image.shape[0] == 1 else image


def inception_fid_kid(
    real: torch.Tensor, fake: torch.Tensor, device: str | torch.device = "cpu", batch_size: int = 64
) -> dict[str, Any]:
    """Standard InceptionV3 FID and KID between uint8 ``real`` and ``fake`` images (N, 1|3, H, W).

    Gray images are repeated to three channels; torch-fidelity resizes them to 299x299 itself.
    KID uses subsets of min(1000, N_real, N_fake) images. Returns ``fid``, ``kid``, ``kid_std``,
    ``num_real``, ``num_fake``, ``kid_subset_size`` and ``library``.
    """
    weights = check_inception()
    fidelity = _import_fidelity()
    if min(len(real), len(fake)) < 2:
        raise UserError(f"Inception FID/KID need at least 2 real and 2 fake images; got {len(real)} and {len(fake)}")
    subset_size = min(KID_SUBSET_SIZE, len(real), len(fake))
    metrics = fidelity.calculate_metrics(
        input1=_Uint8RGB(real), input2=_Uint8RGB(fake), cuda=torch.device(device).type == "cuda",
        batch_size=batch_size, fid=True, kid=True, kid_subset_size=subset_size,
        feature_extractor_weights_path=str(weights), cache=False, verbose=False,
    )  # fmt: skip
    return {
        "fid": float(metrics["frechet_inception_distance"]),
        "kid": float(metrics["kernel_inception_distance_mean"]),
        "kid_std": float(metrics["kernel_inception_distance_std"]),
        "num_real": len(real),
        "num_fake": len(fake),
        "kid_subset_size": subset_size,
        "library": f"torch-fidelity {getattr(fidelity, '__version__', '?')}",
    }
