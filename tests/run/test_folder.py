"""run/folder.py: a run folder's config.json is read as data; it never chooses where fashiongan writes."""

from __future__ import annotations

import json

from fashiongan import make_config
from fashiongan.run.folder import load_run_config


def test_a_stored_cache_dir_is_not_used(tmp_path, fashiongan_caplog):
    run = tmp_path / "downloaded"
    run.mkdir()
    config = make_config("fmnist", {"data.cache_dir": str(tmp_path / "anywhere")}).to_dict()
    (run / "config.json").write_text(json.dumps(config))
    fashiongan_caplog.set_level("INFO", logger="fashiongan")
    loaded = load_run_config(run)
    assert loaded.data.cache_dir is None and loaded.data.image_size == 28
    assert "not using data.cache_dir" in fashiongan_caplog.text
    assert load_run_config(run).data.cache_dir is None  # read again (evaluate does): ignored again, said once
    assert fashiongan_caplog.text.count("not using data.cache_dir") == 1
