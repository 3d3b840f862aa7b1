"""Uploaded files: saved under generated folders inside the store, never where a client says.

A browser names its files; that name is untrusted (`../../etc/passwd`, absolute paths, control
characters, look-alike slashes). We keep only a cleaned last component, as the document id
(`newsrag ingest` uses the file name too), and put it in a fresh `uploads/<uuid>/` folder.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

UPLOADS_FOLDER = "uploads"
# Suffixes kept whole when a name is cleaned: every format `newsrag ingest` reads, and its .gz.
FORMAT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl", ".json")
KEPT_SUFFIXES = tuple(s + ".gz" for s in FORMAT_SUFFIXES) + FORMAT_SUFFIXES
MAX_NAME_BYTES = 200  # file systems allow 255 bytes a name; CJK takes 3 bytes a character
FALLBACK_STEM = "upload"
# Any character other than a letter, digit, dot, dash or underscore becomes "_".
_UNSAFE = re.compile(r"[^\w.\-]", re.UNICODE)
_RUNS = re.compile(r"_{2,}")


def sanitise_filename(name: str) -> str:
    """A safe, readable file name from a client-supplied one (only its last path component).

    >>> sanitise_filename("../../etc/passwd")
    'passwd'
    >>> sanitise_filename("C:\\\\Users\\\\me\\\\Iran drones (AP).txt")
    'Iran_drones_AP.txt'
    """
    text = unicodedata.normalize("NFKC", str(name))  # fullwidth "／" becomes "/" before we split
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # controls, bidi overrides, zero-width
    text = re.split(r"[/\\]", text)[-1].strip()
    text = _RUNS.sub("_", _UNSAFE.sub("_", text))
    text = text.lstrip("._-")  # no hidden files, no "..", no option-looking names
    suffix = next((s for s in KEPT_SUFFIXES if text.lower().endswith(s)), Path(text).suffix.lower())
    stem = text[: len(text) - len(suffix)] if suffix else text
    stem = _truncate_bytes(stem.strip("._-"), MAX_NAME_BYTES - len(suffix)).rstrip("._-") or FALLBACK_STEM
    return stem + suffix.lower()


def _truncate_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `limit` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def is_supported(name: str) -> bool:
    """Whether `newsrag ingest` reads files with this name (the loaders decide)."""
    from newsrag.index.loaders import is_supported as loader_reads

    return loader_reads(Path(name))


def uploads_dir(store_path: Path) -> Path:
    """The folder that holds every uploaded file of a store."""
    return Path(store_path) / UPLOADS_FOLDER


@dataclass
class SavedUpload:
    """An uploaded file copied into the store's uploads folder."""

    original_name: str
    path: Path


def save_upload(source: Path, original_name: str, root: Path) -> SavedUpload:
    """Copy an uploaded file to `root/<uuid>/<sanitised name>` and return where it went.

    The destination is checked to lie inside `root` after resolving, whatever the name was.
    """
    root = Path(root).resolve()
    folder = root / uuid.uuid4().hex
    target = (folder / sanitise_filename(original_name)).resolve()
    if target.parent != folder or not target.is_relative_to(root):
        raise ValueError(f"refusing upload name {original_name!r}")
    folder.mkdir(parents=True, exist_ok=False)
    shutil.copyfile(source, target)
    return SavedUpload(original_name, target)
