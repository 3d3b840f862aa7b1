"""Files in, `Document`s out: one loader per format family, with limits that keep bad input out.

Supported: `.txt` and `.md` (UTF-8, optional front matter), `.html`/`.htm` (trafilatura, no
network), `.pdf` (pypdf), `.jsonl` and `.json` (records with `text`/`body`), and any of them
gzipped (`x.jsonl.gz`). A file that cannot be read raises `LoadError`, whose message is one
line naming the file and the cause; a JSONL/JSON file with some bad records loads the good
ones and reports each bad one as a one-line problem in `LoadResult.problems`.

Document ids are the file's path relative to the folder it was found in (POSIX separators,
without a final `.gz`); records in JSON files carry their own `id`/`doc_id`, else
`<relpath>#<line>` (JSONL) or `<relpath>#<item>` (JSON list).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsrag.index.clean import clean_document
from newsrag.index.documents import Document
from newsrag.index.metadata import normalise_date, normalise_source, pick_field, split_authors, split_front_matter
from newsrag.settings import IngestSettings

# Formats by suffix; each may also come gzipped (".gz" after it).
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl", ".json")
GZ_SUFFIX = ".gz"
# Text compresses well: the ratio limit applies only once a .gz has inflated past this size.
GZ_RATIO_GRACE_BYTES = 8_000_000
# Inflate .gz files in pieces of this size, so a bomb is stopped before it fills memory.
GZ_CHUNK_BYTES = 1 << 20
# Bytes looked at to tell text from binary content.
BINARY_SAMPLE_BYTES = 8192
# Share of control characters (other than tab, newline, carriage return, form feed) that marks binary content.
BINARY_CONTROL_SHARE = 0.10
# Control bytes that text files do contain.
TEXT_CONTROLS = b"\t\n\r\f\x1b"
# HTML elements that hold no article text: removed before counting and extraction.
HTML_NON_CONTENT_TAGS = ("script", "style", "noscript", "svg", "template", "iframe", "object", "canvas")
# Elements above which an HTML page is refused: extraction time grows with the element count.
HTML_MAX_ELEMENTS = 20_000
# A charset the page declares itself (meta tag or XML declaration), looked for near the top.
HTML_DECLARED_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset|<\?xml[^>]{0,100}?encoding""", re.I)
HTML_CHARSET_WINDOW = 4096
# Fields that hold a record's id and its text, in order of preference.
ID_FIELDS = ("id", "doc_id")
TEXT_FIELDS = ("text", "body", "content")
# Longest cause kept in a one-line message (library errors can be long).
MAX_CAUSE_CHARS = 160
# Libraries that log warnings about the damaged files we already report as LoadError.
QUIET_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "justext")
# Markdown syntax removed from .md text: images, links (keeping their text), heading marks, bold.
# Link text stops at the next bracket, a URL at the next unpaired paren (it may hold one level of
# pairs: ".../Foo_(bar)"), bold text at the next marker: each scan ends where another match could
# begin, so time is linear on text full of unclosed "[", "![", "](" or "**" (unbounded runs
# made such a file take hours).
MARKDOWN_URL = r"\((?:[^()]|\([^()]*\))*\)"
MARKDOWN_IMAGE = re.compile(r"!\[[^\[\]]*\]" + MARKDOWN_URL)
MARKDOWN_LINK = re.compile(r"\[([^\[\]]+)\]" + MARKDOWN_URL)
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
MARKDOWN_BOLD = re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1")
# Sentence ends inside PDF text, where a wrapped line may end a paragraph.
PDF_PARAGRAPH_END = re.compile(r"[.!?:…][\"'”’)\]]*$")

for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class LoadError(Exception):
    """A file that cannot be loaded; `str()` is one line: "<path>: <cause>"."""


@dataclass
class LoadResult:
    """What one file (or several) gave: its documents, and one-line messages about bad records."""

    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _RecordError(Exception):
    """A bad record inside a JSON/JSONL file: reported, not fatal."""


# --- finding files ------------------------------------------------------------------------
def format_suffix(path: Path) -> str:
    """The format suffix of a file, looking through a final .gz ("a.jsonl.gz" -> ".jsonl")."""
    name = path.name.lower()
    if name.endswith(GZ_SUFFIX):
        name = name[: -len(GZ_SUFFIX)]
    return Path(name).suffix


def is_supported(path: Path) -> bool:
    """Whether a file name has a format the loaders read."""
    return format_suffix(path) in SUPPORTED_SUFFIXES


def _hidden(name: str) -> bool:
    """Dot files and folders (.git, .DS_Store) are never articles."""
    return name.startswith(".")


def _walk(root: Path) -> Iterator[Path]:
    """Supported files under a folder, in sorted order, skipping hidden names and not following
    folder links (no loops)."""

    def fail(error: OSError) -> None:
        """An unreadable root is an error; an unreadable subfolder is skipped."""
        if Path(error.filename or "") == root:
            raise LoadError(_collapsed(f"{root}: {_os_cause(error)}"))

    for folder, subfolders, files in os.walk(root, onerror=fail):
        subfolders[:] = sorted(name for name in subfolders if not _hidden(name))
        for name in sorted(files):
            path = Path(folder) / name
            if not _hidden(name) and is_supported(path) and path.is_file():
                yield path


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(file, root) pairs for the given files and folders: folders are walked recursively.

    The root is what ids are relative to: the folder given, or a given file's parent (so a
    file's id is its name). Order is deterministic (sorted walk, then the order given); a file
    reached twice is listed once. A missing path or a named file of unsupported type raises
    LoadError: the user asked for it explicitly.
    """
    pairs: list[tuple[Path, Path]] = []
    seen: set[Path] = set()

    def add(file: Path, root: Path) -> None:
        """List a file once, however it was reached."""
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            pairs.append((file, root))

    for given in paths:
        path = Path(given)
        if not path.exists():
            raise LoadError(f"{path}: no such file or directory")
        if path.is_dir():
            for file in _walk(path):
                add(file, path)
        elif is_supported(path):
            add(path, path.parent)
        else:
            raise LoadError(f"{path}: unsupported file type (supported: {', '.join(SUPPORTED_SUFFIXES)}, and .gz of them)")
    return pairs


def document_id(path: Path, root: Path) -> str:
    """The id of a file's document: its path relative to root, POSIX separators, without .gz."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    return relative[: -len(GZ_SUFFIX)] if relative.lower().endswith(GZ_SUFFIX) else relative


# --- reading bytes ------------------------------------------------------------------------
def _collapsed(message: str) -> str:
    """A library's message with its whitespace collapsed (newsrag.messages.one_line escapes what is left)."""
    return " ".join(message.split())


def _cause(error: BaseException) -> str:
    """A library error as a short phrase for a message."""
    text = _collapsed(str(error)) or type(error).__name__
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 1] + "…"


def _os_cause(error: OSError) -> str:
    """An OS error as a cause: "permission denied", "no such file or directory", ..."""
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    return f"cannot read ({(error.strerror or type(error).__name__).lower()})"


def _megabytes(size: int) -> str:
    """A byte limit as people say it: 50000000 -> "50 MB"."""
    return f"{size / 1_000_000:g} MB"


def read_bytes(path: Path, limits: IngestSettings) -> bytes:
    """A file's bytes, its size checked against the limit before reading (and while reading,
    in case it grows)."""
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise LoadError(f"{path}: larger than {_megabytes(limits.max_file_bytes)} limit ({_megabytes(size)})")
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as error:
        raise LoadError(f"{path}: {_os_cause(error)}") from None
    if len(data) > limits.max_file_bytes:
        raise LoadError(f"{path}: larger than {_megabytes(limits.max_file_bytes)} limit")
    return data


def inflate(path: Path, data: bytes, limits: IngestSettings) -> bytes:
    """Decompress gzip data in bounded pieces.

    Refused once the output passes `max_gz_bytes`, or passes GZ_RATIO_GRACE_BYTES while being
    more than `max_gz_ratio` times the compressed size (a bomb); a truncated or damaged
    stream raises LoadError too.
    """
    pieces: list[bytes] = []
    total = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while piece := stream.read(GZ_CHUNK_BYTES):
                total += len(piece)
                if total > limits.max_gz_bytes:
                    raise LoadError(f"{path}: .gz inflates beyond limit (more than {_megabytes(limits.max_gz_bytes)})")
                if total > GZ_RATIO_GRACE_BYTES and total > limits.max_gz_ratio * len(data):
                    raise LoadError(f"{path}: .gz inflates beyond limit (more than {limits.max_gz_ratio}x its size)")
                pieces.append(piece)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as error:
        raise LoadError(_collapsed(f"{path}: truncated or damaged .gz ({_cause(error)})")) from None
    return b"".join(pieces)


def _is_binary(data: bytes) -> bool:
    """Whether bytes look like binary content: NUL bytes, or many control characters."""
    sample = data[:BINARY_SAMPLE_BYTES]
    if b"\x00" in sample:
        return True
    controls = sample.translate(None, bytes(range(32, 256)) + TEXT_CONTROLS)
    return len(controls) > BINARY_CONTROL_SHARE * max(1, len(sample))


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text (a BOM is accepted) with newlines normalised; empty, binary and non-UTF-8
    content raise LoadError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(f"{path}: not UTF-8 text (UTF-16; save it as UTF-8)")
    if not data.strip() or data.strip() == b"\xef\xbb\xbf":
        raise LoadError(f"{path}: empty file")
    if _is_binary(data):
        raise LoadError(f"{path}: binary content")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LoadError(f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- one loader per format ----------------------------------------------------------------
def _require_text(path: Path, text: str, what: str = "no text") -> str:
    """The text, stripped; LoadError when nothing is left."""
    text = text.strip()
    if not text:
        raise LoadError(f"{path}: {what}")
    return text


def _front_matter_document(doc_id: str, path: Path, text: str) -> Document:
    """A Document from .txt/.md text whose front matter (if any) gives its metadata."""
    fields, body = split_front_matter(text)
    return Document(
        doc_id=doc_id,
        text=body,
        title=str(pick_field(fields, "title") or "").strip(),
        source=normalise_source(pick_field(fields, "source")),
        url=str(pick_field(fields, "url") or "").strip(),
        published=normalise_date(pick_field(fields, "published")),
        authors=split_authors(pick_field(fields, "authors")),
        path=str(path),
    )


def markdown_to_text(text: str) -> str:
    """Markdown as plain text: images dropped, links kept as their words, heading marks and
    bold markers removed. Enough for news written in Markdown; no renderer needed."""
    text = MARKDOWN_IMAGE.sub("", text)
    text = MARKDOWN_LINK.sub(r"\1", text)
    text = MARKDOWN_HEADING.sub("", text)
    return MARKDOWN_BOLD.sub(r"\2", text)


def load_text(path: Path, doc_id: str, data: bytes) -> list[Document]:
    """A .txt or .md file: one Document, metadata from front matter when present.

    In Markdown, a first-level heading gives the title when the front matter does not.
    """
    document = _front_matter_document(doc_id, path, decode_text(path, data))
    if format_suffix(path) == ".md":
        if not document.title:
            heading = re.search(r"^#\s+(.+)$", document.text, re.MULTILINE)
            document.title = heading.group(1).strip() if heading else ""
        document.text = markdown_to_text(document.text)
    document.text = _require_text(path, document.text, "no text after the front matter")
    return [document]


def _parse_html(path: Path, data: bytes) -> Any:
    """The lxml tree of an HTML page, without scripts and styles, refused when too large."""
    import lxml.etree
    import lxml.html

    if _is_binary(data):
        raise LoadError(f"{path}: binary content")
    try:
        tree = lxml.html.fromstring(data, parser=_html_parser(data))
    except (lxml.etree.ParserError, ValueError) as error:
        raise LoadError(_collapsed(f"{path}: not an HTML page ({_cause(error)})")) from None
    lxml.etree.strip_elements(tree, *HTML_NON_CONTENT_TAGS, with_tail=False)
    elements = sum(1 for _ in tree.iter())
    if elements > HTML_MAX_ELEMENTS:
        raise LoadError(f"{path}: HTML too large to extract ({elements:,} elements; limit {HTML_MAX_ELEMENTS:,})")
    return tree


def _html_parser(data: bytes) -> Any:
    """A UTF-8 parser for pages that declare no charset but are valid UTF-8; else None (lxml decides).

    Why: without a declaration libxml2 assumes Latin-1, and "café" saved by any modern editor
    would be stored as "cafÃ©". A declared charset is always honoured.
    """
    import lxml.html

    if data.startswith(b"\xef\xbb\xbf") or HTML_DECLARED_CHARSET.search(data[:HTML_CHARSET_WINDOW]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return lxml.html.HTMLParser(encoding="utf-8")


def load_html(path: Path, doc_id: str, data: bytes) -> list[Document]:
    """An HTML page: main text and metadata by trafilatura, from the bytes given (never a URL,
    so never a network call)."""
    if not data.strip():
        raise LoadError(f"{path}: empty file")
    tree = _parse_html(path, data)
    import trafilatura

    result = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False, include_tables=True)
    if result is None or not (result.text or "").strip():
        raise LoadError(f"{path}: no article text found in the HTML")
    return [
        Document(
            doc_id=doc_id,
            text=result.text.strip(),
            title=(result.title or "").strip(),
            source=normalise_source(result.sitename or result.hostname),
            url=result.url or "",
            published=normalise_date(result.date),
            authors=split_authors(result.author),
            path=str(path),
        )
    ]


def reflow_pdf_text(text: str) -> str:
    """PDF page text with hard-wrapped lines joined back into paragraphs.

    A line joins the next unless it ends a sentence and the next starts like a new one;
    "exam-\\nple" hyphenation is undone. Both rules look only at the last line of the paragraph
    being built, and its pieces are joined once at its end: time stays linear in the page
    (re-scanning and re-copying the whole paragraph at every line made a page of many short
    lines take minutes).
    """
    paragraphs: list[str] = []
    pieces: list[str] = []  # the paragraph being built: its lines and the separators between them
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            if pieces:
                paragraphs.append("".join(pieces))
            pieces = []
            continue
        last = pieces[-1] if pieces else ""  # the paragraph's last line: the rules need no more
        if not pieces:
            pieces = [line]
        elif last.endswith("-") and line[:1].islower():
            pieces[-1] = last[:-1]
            pieces.append(line)
        elif PDF_PARAGRAPH_END.search(last) and not line[:1].islower():
            paragraphs.append("".join(pieces))
            pieces = [line]
        else:
            pieces += (" ", line)
    if pieces:
        paragraphs.append("".join(pieces))
    return "\n\n".join(paragraphs)


def _open_pdf(path: Path, data: bytes) -> Any:
    """A pypdf reader for the bytes; encrypted PDFs are opened with the empty password or refused."""
    import pypdf

    if not data.strip():
        raise LoadError(f"{path}: empty file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise LoadError(f"{path}: not a PDF (no %PDF header)")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")
        except Exception as error:  # pypdf raises several types for ciphers it cannot handle
            raise LoadError(_collapsed(f"{path}: encrypted PDF ({_cause(error)})")) from None
        if not unlocked:
            raise LoadError(f"{path}: encrypted PDF (needs a password)")
    return reader


def load_pdf(path: Path, doc_id: str, data: bytes) -> list[Document]:
    """A PDF: the text of all pages, reflowed into paragraphs; title and author from its info."""
    try:
        reader = _open_pdf(path, data)
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title or "").strip() if info else ""
        author = str(info.author or "").strip() if info else ""
    except LoadError:
        raise
    except Exception as error:  # pypdf signals damage with many exception types
        raise LoadError(_collapsed(f"{path}: truncated or damaged PDF ({_cause(error)})")) from None
    text = "\n\n".join(reflow_pdf_text(page) for page in pages if page.strip())
    text = _require_text(path, text, "PDF has no extractable text (scanned pages?)")
    return [Document(doc_id=doc_id, text=text, title=title, authors=split_authors(author), path=str(path))]


def _record_text(record: dict[str, Any]) -> str:
    """A record's article text: the first non-empty text field (a list of paragraphs is joined).

    A record with a title but an empty text (a scrape that failed) is kept with its title as
    text, so that it can still be found by its headline; one with neither is refused.
    """
    for key in TEXT_FIELDS:
        value = record.get(key)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "\n\n".join(value)
        if isinstance(value, str) and value.strip():
            return value.replace("\r\n", "\n").strip()
        if value not in (None, "", []) and not isinstance(value, str):
            raise _RecordError(f"field '{key}' is not text")
    title = pick_field(record, "title")
    if isinstance(title, str) and title.strip():
        return " ".join(title.split())
    raise _RecordError("no text (fields: " + "/".join(TEXT_FIELDS) + ") and no title")


def _record_id(record: dict[str, Any], fallback: str) -> str:
    """A record's id: its `id` or `doc_id` field, else the fallback (file id and position)."""
    for key in ID_FIELDS:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return fallback


def record_document(record: object, fallback_id: str, path: Path) -> Document:
    """A Document from one JSON record; _RecordError says what is wrong with a bad one."""
    if not isinstance(record, dict):
        raise _RecordError(f"not a JSON object ({type(record).__name__})")
    return Document(
        doc_id=_record_id(record, fallback_id),
        text=_record_text(record),
        title=" ".join(str(pick_field(record, "title") or "").split()),
        source=normalise_source(pick_field(record, "source")),
        url=str(pick_field(record, "url") or "").strip(),
        published=normalise_date(pick_field(record, "published")),
        authors=split_authors(pick_field(record, "authors")),
        path=str(path),
    )


def _collect(path: Path, items: Iterator[tuple[str, Callable[[], Document]]]) -> LoadResult:
    """Build the documents of a multi-record file, reporting bad records and repeated ids.

    `items` yields (where, build): "line 7" and a function that parses that record. The first
    record with an id wins; a later one is reported and skipped.
    """
    result = LoadResult()
    first_seen: dict[str, str] = {}
    for where, build in items:
        try:
            document = build()
        except _RecordError as error:
            result.problems.append(_collapsed(f"{path}: {where}: {error}"))
            continue
        if document.doc_id in first_seen:
            result.problems.append(
                _collapsed(f"{path}: {where}: duplicate id '{document.doc_id}' (first at {first_seen[document.doc_id]}); kept the first")
            )
            continue
        first_seen[document.doc_id] = where
        result.documents.append(document)
    if not result.documents:
        detail = f"; first problem: {result.problems[0].split(': ', 1)[1]}" if result.problems else ""
        raise LoadError(_collapsed(f"{path}: no valid records ({len(result.problems)} bad{detail})"))
    return result


def _json_line(line: str, fallback: str, path: Path) -> Document:
    """Parse one JSONL line into a Document."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _RecordError(f"malformed JSON ({error.msg} at column {error.colno})") from None
    except (ValueError, RecursionError) as error:  # beyond the parser's limits: huge integers, deep nesting
        raise _RecordError(f"JSON beyond the parser's limits ({type(error).__name__})") from None
    return record_document(record, fallback, path)


def load_jsonl(path: Path, doc_id: str, data: bytes) -> LoadResult:
    """A JSONL file: one record per line; blank lines skipped, bad lines reported."""
    text = decode_text(path, data)

    def items() -> Iterator[tuple[str, Callable[[], Document]]]:
        """(where, build) for each non-blank line."""
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield f"line {number}", lambda line=line, number=number: _json_line(line, f"{doc_id}#{number}", path)

    return _collect(path, items())


def load_json(path: Path, doc_id: str, data: bytes) -> LoadResult:
    """A JSON file: one record object, or a list of them (bad items reported)."""
    text = decode_text(path, data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise LoadError(f"{path}: line {error.lineno}: malformed JSON ({error.msg} at column {error.colno})") from None
    if isinstance(value, dict):
        try:
            return LoadResult([record_document(value, doc_id, path)])
        except _RecordError as error:
            raise LoadError(_collapsed(f"{path}: {error}")) from None
    if not isinstance(value, list):
        raise LoadError(f"{path}: JSON is neither an object nor a list of objects")
    items = ((f"item {n}", lambda r=record, n=n: record_document(r, f"{doc_id}#{n}", path)) for n, record in enumerate(value, start=1))
    return _collect(path, items)


# --- the entry points ---------------------------------------------------------------------
def _load_format(path: Path, doc_id: str, data: bytes, suffix: str) -> LoadResult:
    """Dispatch bytes to the loader of their format."""
    if suffix == ".jsonl":
        return load_jsonl(path, doc_id, data)
    if suffix == ".json":
        return load_json(path, doc_id, data)
    if suffix in (".html", ".htm"):
        return LoadResult(load_html(path, doc_id, data))
    if suffix == ".pdf":
        return LoadResult(load_pdf(path, doc_id, data))
    if suffix in (".txt", ".md"):
        return LoadResult(load_text(path, doc_id, data))
    raise LoadError(f"{path}: unsupported file type")


def load_file(path: Path, root: Path, limits: IngestSettings) -> LoadResult:
    """Load one file into Documents (cleaned when `limits.clean`).

    Raises LoadError, with a one-line message naming the file, when the whole file is
    unusable (unreadable, too large, empty, binary, not UTF-8, damaged); bad records of a
    JSON/JSONL file are reported in `problems` instead. Never lets a library traceback out
    for bad input.
    """
    path = Path(path)
    data = read_bytes(path, limits)
    if path.name.lower().endswith(GZ_SUFFIX):
        data = inflate(path, data, limits)
    try:
        result = _load_format(path, document_id(path, root), data, format_suffix(path))
    except (LoadError, MemoryError):
        raise
    except RecursionError:
        raise LoadError(f"{path}: content nested too deeply to read") from None
    except Exception as error:  # a parser bug on odd input must not stop an ingest run
        raise LoadError(_collapsed(f"{path}: could not be read ({type(error).__name__}: {_cause(error)})")) from None
    if limits.clean:
        result.documents = [clean_document(document) for document in result.documents]
    return result


def load_paths(paths: list[Path], limits: IngestSettings) -> LoadResult:
    """Discover and load files and folders; every failure becomes a one-line problem.

    Ids must be unique across files too: a later document with an id already loaded is
    reported and skipped. Missing paths still raise LoadError (see `discover`).
    """
    result = LoadResult()
    seen: dict[str, str] = {}
    for path, root in discover(paths):
        try:
            loaded = load_file(path, root, limits)
        except LoadError as error:
            result.problems.append(str(error))
            continue
        result.problems.extend(loaded.problems)
        for document in loaded.documents:
            if document.doc_id in seen:
                result.problems.append(f"{path}: duplicate id '{document.doc_id}' (also in {seen[document.doc_id]}); kept the first")
                continue
            seen[document.doc_id] = str(path)
            result.documents.append(document)
    return result
