"""Property-based fuzzing of the loaders and the cleaner: hostile input must never crash or hang them.

What is fuzzed, and why:

- `load_file` on random bytes named as every supported format (also gzipped, also as a raw
  `.gz` that is no gzip at all), on text with NULs, control characters and invalid UTF-8 (lone
  surrogates written out as bytes), on JSON/JSONL mixing good records with garbage, on 2-5 MB
  single-word lines, on deeply nested and very wide HTML, on gzip bombs, and on PDFs with
  flipped, cut, dropped and inserted bytes. The loaders' contract (index/loaders.py) is that
  a file either gives documents or raises `LoadError` whose message is one line starting
  with the file's path; any other exception is a bug, and so is a file that never finishes.
- The text helpers that run on whole files (`clean_text`, `markdown_to_text`,
  `reflow_pdf_text`) on long runs of the characters their regular expressions key on, where a
  backtracking pattern turns quadratic. This found hangs in the cleaner's caption check, the
  Markdown patterns, the PDF reflow and `split_authors` (all fixed; kept as regression examples
  below), and JSONL records beyond the JSON parser's limits that failed the whole file.
- `clean_text` on arbitrary Unicode: it must return the body as a subsequence of the input's
  non-blank lines (normalised by the module's own `normalise_line`), account for every
  non-blank line as either kept or listed in `dropped`, and never clean a text with content to
  nothing, which is what its code and docstring promise. It does not promise idempotence, so
  that is not asserted.

Time limits here are hang guards, not speed tests: a SIGALRM stops any single call still
running after HANG_LIMIT_S (a hang would otherwise stall the suite forever), by raising an
exception the loaders' own broad `except Exception` cannot swallow; the bound is far above the
few milliseconds to seconds these calls take. Examples are bounded so the file runs in well
under a minute.
"""

from __future__ import annotations

import gzip
import io
import json
import signal
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from test_loaders import make_pdf

from newsrag.index.clean import clean_document, clean_text, normalise_line
from newsrag.index.documents import Document
from newsrag.index.loaders import (
    GZ_CHUNK_BYTES,
    GZ_RATIO_GRACE_BYTES,
    HTML_MAX_ELEMENTS,
    LoadError,
    LoadResult,
    load_file,
    markdown_to_text,
    reflow_pdf_text,
)
from newsrag.settings import IngestSettings

RAW = IngestSettings(clean=False)
CLEAN = IngestSettings()
# A call still running after this long is a hang (they take milliseconds to a few seconds).
HANG_LIMIT_S = 20.0
# Hypothesis settings shared by every property: no per-example deadline (the hang guard is
# the time limit), no health check for the large inputs that are built on purpose.
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MB = 1_000_000

SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf")
# Formats read through decode_text: only valid UTF-8 without NULs can load.
UTF8_SUFFIXES = (".txt", ".md", ".json", ".jsonl")
GZIP_MAGIC = b"\x1f\x8b"


# --- harness ------------------------------------------------------------------------------
class Hang(BaseException):
    """A call outlived HANG_LIMIT_S. A BaseException, so the loaders' `except Exception`
    (which turns parser failures into LoadError) cannot hide it."""


@contextmanager
def hang_guard(what: str, seconds: float = HANG_LIMIT_S) -> Iterator[None]:
    """Fail with Hang when the block runs longer than `seconds`.

    A SIGALRM interrupts the block (regular expressions and parsers check for signals), so a
    real hang fails the test instead of stalling the run; where no alarm is available the
    elapsed time is still checked afterwards.
    """
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous = None
    if use_alarm:

        def expire(signum: int, frame: object) -> None:
            raise Hang(f"{what}: still running after {seconds:g} s (a hang)")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"{what}: took {elapsed:.1f} s (hang guard {seconds:g} s)"


def assert_one_line_naming(message: str, path: Path) -> None:
    """A loader message: a single line (no break of any kind) that starts with the file's path."""
    assert len(message.splitlines()) == 1, f"message is not one line: {message!r}"
    assert message.startswith(f"{path}: ") and message[len(f"{path}: ") :].strip(), message


def load_checked(path: Path, limits: IngestSettings, seconds: float = HANG_LIMIT_S) -> LoadResult | str:
    """Load a file under the hang guard: its checked LoadResult, or its checked LoadError message.

    Any exception other than LoadError propagates and fails the test: that is the property.
    """
    with hang_guard(f"loading {path.name!r}", seconds):
        try:
            result = load_file(path, path.parent, limits)
        except LoadError as error:
            assert_one_line_naming(str(error), path)
            return str(error)
    assert result.documents, "a file that loads gives at least one document (else LoadError)"
    for document in result.documents:
        assert isinstance(document.doc_id, str) and document.doc_id.strip()
        assert isinstance(document.text, str)
        if not limits.clean:  # cleaning may empty a text; ingest reports those documents itself
            assert document.text.strip()
    for problem in result.problems:
        assert_one_line_naming(problem, path)
    return result


def is_utf8(data: bytes) -> bool:
    """Whether bytes decode as UTF-8 (a BOM allowed), as the text loaders require."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole module (hypothesis runs many examples per test function)."""
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, name: str, data: bytes) -> Path:
    """Write bytes to folder/name and return the path."""
    path = folder / name
    path.write_bytes(data)
    return path


# --- strategies ---------------------------------------------------------------------------
# File names as people write them: letters of any script, digits, punctuation, single spaces.
NAME_CHARS = st.characters(categories=("L", "N"), include_characters="-_()[]'&,+=#%!~")
file_stems = st.lists(st.text(NAME_CHARS, min_size=1, max_size=8), min_size=1, max_size=3).map(" ".join)

# Starts of real formats, so random tails reach past the first checks of each loader.
FORMAT_PREFIXES = (
    b"%PDF-1.4\n",
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    b"<html><head><meta charset='utf-8'></head><body><p>",
    b'{"id": "a", "text": "',
    b'[{"text": "',
    b"---\ntitle: ",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    GZIP_MAGIC + b"\x08\x00",
)
# Byte sequences text files must be refused for, or must survive: NUL and other controls,
# encoded surrogates and overlong forms (invalid UTF-8), BOMs, every kind of line break.
ODD_BYTES = (
    b"\x00", b"\x01", b"\x08", b"\x1b", b"\x7f", b"\x85", b"\xc0\x80", b"\xed\xa0\x80", b"\xed\xbf\xbf",
    b"\xf4\x90\x80\x80", b"\xff", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\x0b", b"\x0c", b"\x1c",
    "\u2028".encode(), "\u200b".encode(), "\u00a0".encode(), "\ufffd".encode(),
)  # fmt: skip

random_payloads = st.one_of(
    st.binary(max_size=2048),
    st.text(st.characters(exclude_categories=()), max_size=512).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from(FORMAT_PREFIXES), st.binary(max_size=1024)).map(b"".join),
)
odd_texts = st.lists(st.one_of(st.sampled_from(ODD_BYTES), st.text(max_size=40).map(str.encode)), max_size=40).map(b"".join)


def outcome_event(outcome: LoadResult | str, path: Path) -> None:
    """Record what happened, for `--hypothesis-show-statistics`: loaded, or the cause's first words."""
    if isinstance(outcome, str):
        cause = outcome[len(f"{path}: ") :].split("(")[0]
        event("LoadError: " + " ".join(cause.split()[:4]))
    else:
        event("loaded")


def check_format_rules(payload: bytes, suffix: str, outcome: LoadResult | str) -> None:
    """What decode_text guarantees for the UTF-8 formats: NULs, invalid UTF-8 and empty input never load."""
    if suffix not in UTF8_SUFFIXES:
        return
    if not is_utf8(payload) or b"\x00" in payload[:8192] or not payload.strip():
        assert isinstance(outcome, str), f"{suffix} loaded from bytes that are not UTF-8 text: {payload[:60]!r}"


# --- random bytes in every format ---------------------------------------------------------
@settings(max_examples=400, **FUZZ)
@given(
    payload=random_payloads,
    suffix=st.sampled_from(SUFFIXES),
    wrapping=st.sampled_from(["plain", "gzipped", "fake .gz"]),
    stem=file_stems,
    clean=st.booleans(),
)
def test_random_bytes_load_or_fail_with_one_line_error(
    workdir: Path, payload: bytes, suffix: str, wrapping: str, stem: str, clean: bool
) -> None:
    if wrapping == "plain":
        path = write(workdir, stem + suffix, payload)
    else:
        path = write(workdir, stem + suffix + ".gz", gzip.compress(payload) if wrapping == "gzipped" else payload)
    outcome = load_checked(path, CLEAN if clean else RAW)
    outcome_event(outcome, path)
    if wrapping == "fake .gz":  # the bytes themselves are the "gzip" stream
        if payload and not payload.startswith(GZIP_MAGIC):
            assert isinstance(outcome, str) and "truncated or damaged .gz" in outcome
    else:
        check_format_rules(payload, suffix, outcome)


@settings(max_examples=300, **FUZZ)
@given(
    payload=odd_texts,
    suffix=st.sampled_from([".txt", ".md", ".json", ".jsonl", ".html"]),
    gzipped=st.booleans(),
    clean=st.booleans(),
)
def test_text_with_nuls_controls_and_bad_utf8_is_refused_or_read_verbatim(
    workdir: Path, payload: bytes, suffix: str, gzipped: bool, clean: bool
) -> None:
    """NULs, control characters, encoded surrogates, overlong forms, BOMs, odd line breaks."""
    name = "odd" + suffix + (".gz" if gzipped else "")
    path = write(workdir, name, gzip.compress(payload) if gzipped else payload)
    outcome = load_checked(path, CLEAN if clean else RAW)
    outcome_event(outcome, path)
    check_format_rules(payload, suffix, outcome)
    if suffix == ".txt" and not clean and not isinstance(outcome, str):
        # a plain text file is read verbatim: line breaks unified, outer whitespace stripped
        text = payload.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        if not text.lstrip("\ufeff").startswith("---"):  # no front matter to take out
            assert outcome.documents[0].text == text.strip()


# --- JSON and JSONL: good records survive their bad neighbours ----------------------------
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
# Values of the metadata fields, of every JSON type (the loaders must coerce or ignore them).
metadata = st.dictionaries(
    st.sampled_from(["title", "headline", "source", "url", "published", "date", "authors", "author", "byline"]),
    json_values,
    max_size=4,
)
# Text of every kind, lone surrogates included (JSON escapes can hold them).
record_texts = st.text(st.characters(exclude_categories=()), min_size=1, max_size=200).filter(str.strip)


@st.composite
def json_files(draw: st.DrawFn) -> tuple[list[object], dict[str, str], str]:
    """Records for a JSON(L) file: ("good", id -> expected text) for records that must load,
    the others random values, garbage and records without text, none able to take a good id."""
    entries: list[object] = []
    good: dict[str, str] = {}
    for number in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["good", "good", "value", "garbage", "no text", "blank"]))
        if kind == "good":
            text = draw(record_texts)
            record = {**draw(metadata), "id": f" good-{number} ", "text": text}
            good[f"good-{number}"] = text.replace("\r\n", "\n").strip()
            entries.append(record)
        elif kind == "value":  # any JSON value without an id field
            value = draw(json_values)
            if isinstance(value, dict):
                value = {key: item for key, item in value.items() if key not in ("id", "doc_id")}
            entries.append(value)
        elif kind == "no text":
            entries.append({**draw(metadata), "text": draw(st.sampled_from(["", "  ", [], 7, {"a": 1}]))})
        elif kind == "garbage":
            # no control characters: those make the whole file binary, which is not this test's subject
            garbage = draw(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=60))
            entries.append(("garbage", "~" + " ".join(garbage.splitlines())))
        else:
            entries.append(("blank", draw(st.sampled_from(["", "  ", "\t"]))))
    return entries, good, draw(st.sampled_from([".jsonl", ".json"]))


def dump(value: object, ascii_only: bool) -> str:
    """One JSON text; non-ASCII written raw when asked and encodable (lone surrogates are not)."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text


@settings(max_examples=200, **FUZZ)
@given(spec=json_files(), ascii_only=st.booleans(), crlf=st.booleans(), clean=st.booleans())
def test_json_records_good_ones_load_bad_ones_are_one_line_problems(
    workdir: Path, spec: tuple[list[object], dict[str, str], str], ascii_only: bool, crlf: bool, clean: bool
) -> None:
    entries, good, suffix = spec
    if suffix == ".jsonl":
        lines = [entry[1] if isinstance(entry, tuple) else dump(entry, ascii_only) for entry in entries]
        path = write(workdir, "records.jsonl", ("\r\n" if crlf else "\n").join(lines).encode())
        expected_items = sum(1 for line in lines if line.strip())
    else:
        items = [entry for entry in entries if not isinstance(entry, tuple)]  # garbage cannot sit in a list
        path = write(workdir, "records.json", dump(items, ascii_only).encode())
        expected_items = len(items)
    outcome = load_checked(path, CLEAN if clean else RAW)
    outcome_event(outcome, path)
    if isinstance(outcome, str):
        assert not good, f"a file with good records {sorted(good)} was refused: {outcome}"
        return
    # every record is accounted for: a document or a one-line problem naming its place
    assert len(outcome.documents) + len(outcome.problems) == expected_items
    where = "line" if suffix == ".jsonl" else "item"
    assert all(problem.startswith(f"{path}: {where} ") for problem in outcome.problems)
    loaded = {document.doc_id: document for document in outcome.documents}
    for doc_id, text in good.items():
        assert doc_id in loaded, f"good record {doc_id} lost; problems: {outcome.problems}"
        if not clean:
            assert loaded[doc_id].text == text


# --- huge lines, odd characters -----------------------------------------------------------
@settings(max_examples=8, **FUZZ)
@given(
    unit=st.text(st.characters(categories=("L", "N"), include_characters=".,;:-'"), min_size=1, max_size=8),
    size=st.integers(2 * MB, 5 * MB),
    suffix=st.sampled_from([".txt", ".md", ".jsonl", ".json", ".html"]),
    clean=st.booleans(),
)
def test_huge_single_line_loads_whole_without_hanging(workdir: Path, unit: str, size: int, suffix: str, clean: bool) -> None:
    """A 2-5 MB line with no space or newline: a text file of one word, read whole."""
    line = unit * (size // len(unit.encode()))
    if suffix in (".jsonl", ".json"):
        data = json.dumps({"text": line}, ensure_ascii=False).encode()
    elif suffix == ".html":
        data = f"<html><body><article><p>{line}</p></article></body></html>".encode()
    else:
        data = line.encode()
    outcome = load_checked(write(workdir, "huge" + suffix, data), CLEAN if clean else RAW)
    if suffix != ".html":  # trafilatura may judge a one-word page to hold no article; others may not
        assert not isinstance(outcome, str), outcome
        [document] = outcome.documents
        assert len(document.text) == len(line)


# Characters and pieces the regular expressions of the cleaner and the Markdown and PDF helpers
# key on: brackets, credits, bullets, markers, separators, odd spaces, line breaks.
SYNTAX_PIECES = tuple("()[]{}/.!?:,;-_*#>›»|&'\"”’ aA1\t\n\u00a0\u200b") + (
    "![", "](", "**", "__", "photo", " via ", "(Reuters)", "by ", "Home", "said", "you ", "sign up ",
    "newsletter", "2023-01-02", "12:30", "(AP) —", "---\n", "title: x\n", "Related", "- ", "-\n", ".\n\n",
)  # fmt: skip


@settings(max_examples=20, **FUZZ)
@given(
    prefix=st.sampled_from(["", "one two three four ", "By Jane Doe\n", "w w w ("]),
    unit=st.lists(st.sampled_from(SYNTAX_PIECES), min_size=1, max_size=5).map("".join),
    repeats=st.integers(2_000, 20_000),
    suffix=st.sampled_from(["", ")", ".)", ".))", ")."]),
)
@example(prefix="w w w (", unit="/", repeats=300_000, suffix=".))")  # caption credit check was quadratic
@example(prefix="", unit="![", repeats=300_000, suffix="")  # Markdown image pattern was quadratic
@example(prefix="", unit="[a](", repeats=200_000, suffix="")  # Markdown link URL was quadratic
@example(prefix="", unit="**x ", repeats=200_000, suffix="")  # Markdown bold was quadratic
@example(prefix="", unit="word word\n", repeats=100_000, suffix="")  # PDF reflow was quadratic in lines
def test_text_helpers_stay_linear_on_long_syntax_runs(prefix: str, unit: str, repeats: int, suffix: str) -> None:
    text = prefix + unit * repeats + suffix
    with hang_guard(f"clean_text on {unit!r} x {repeats}"):
        assert isinstance(clean_text(text).text, str)
    with hang_guard(f"markdown_to_text on {unit!r} x {repeats}"):
        assert len(markdown_to_text(text)) <= len(text)
    with hang_guard(f"reflow_pdf_text on {unit!r} x {repeats}"):
        assert isinstance(reflow_pdf_text(text), str)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("caption.txt", "A photo of the square, taken (" + "/" * 300_000 + ".))\n"),
        ("brackets.md", "Intro paragraph of the article.\n\n" + "![" * 300_000),
        ("urls.md", "Intro paragraph of the article.\n\n" + "[a](" * 200_000),
        ("bold.md", "Intro paragraph of the article.\n\n" + "**x " * 200_000),
    ],
)
def test_files_that_hung_the_loader_now_load(workdir: Path, name: str, content: str) -> None:
    """Regression: each of these took from minutes to hours in load_file (quadratic patterns)."""
    outcome = load_checked(write(workdir, name, content.encode()), CLEAN)
    assert not isinstance(outcome, str), outcome


def test_pdf_page_of_many_short_lines_loads(workdir: Path) -> None:
    """Regression: a page of 40,000 short lines took over a minute to reflow (quadratic joining)."""
    outcome = load_checked(write(workdir, "lines.pdf", make_pdf(["word word word"] * 40_000)), RAW)
    assert not isinstance(outcome, str), outcome
    assert outcome.documents[0].text.count("word") == 120_000


# --- HTML: depth and width ----------------------------------------------------------------
@settings(max_examples=8, **FUZZ)
@given(
    depth=st.integers(500, 20_000),
    tag=st.sampled_from(["div", "span", "b", "section", "li", "table", "a", "p"]),
    closed=st.booleans(),
    text=st.text(max_size=200),
)
def test_deeply_nested_html_does_not_crash_or_hang(workdir: Path, depth: int, tag: str, closed: bool, text: str) -> None:
    inner = f"<p>{text} Officials confirmed the report on Monday, the ministry said.</p>"
    page = "<html><body>" + f"<{tag}>" * depth + inner + (f"</{tag}>" * depth if closed else "") + "</body></html>"
    load_checked(write(workdir, "deep.html", page.encode("utf-8", "surrogatepass")), CLEAN)


@settings(max_examples=6, **FUZZ)
@given(count=st.integers(5_000, 40_000), tag=st.sampled_from(["p", "div", "span", "li", "a", "section"]))
def test_html_with_many_elements_is_refused_or_loaded_in_bounded_time(workdir: Path, count: int, tag: str) -> None:
    page = "<html><body>" + f"<{tag}>Some text here.</{tag}>" * count + "</body></html>"
    outcome = load_checked(write(workdir, "wide.html", page.encode()), CLEAN)
    # the parser adds a few elements of its own (html, body): the limit is checked with a margin
    if count > HTML_MAX_ELEMENTS:
        assert isinstance(outcome, str) and "HTML too large" in outcome
    elif count < HTML_MAX_ELEMENTS - 10 and isinstance(outcome, str):
        assert "HTML too large" not in outcome


# --- gzip bombs ---------------------------------------------------------------------------
def bomb(unit: bytes, members: int) -> bytes:
    """A multi-member gzip stream inflating to `members` MB of `unit` repeated: cheap to build,
    as the members are copies of one compressed megabyte."""
    block = (unit * (MB // len(unit) + 1))[:MB]
    return gzip.compress(block, compresslevel=9) * members


def traced_peak(action: object) -> int:
    """Peak bytes allocated by Python while `action()` runs."""
    tracemalloc.start()
    try:
        action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def load_traced(path: Path, limits: IngestSettings) -> tuple[LoadResult | str, int]:
    """`load_checked`'s outcome and the peak of Python memory allocated while loading."""
    outcomes: list[LoadResult | str] = []
    peak = traced_peak(lambda: outcomes.append(load_checked(path, limits)))
    return outcomes[0], peak


@settings(max_examples=10, **FUZZ)
@given(
    unit=st.binary(min_size=1, max_size=16),
    members=st.integers(96, 200),
    max_gz_bytes=st.integers(1_000, 4 * MB),
    inner=st.sampled_from([".txt", ".jsonl", ".html", ".json", ".md", ".pdf"]),
)
def test_gz_bomb_refused_by_size_limit_without_inflating_it(
    workdir: Path, unit: bytes, members: int, max_gz_bytes: int, inner: str
) -> None:
    path = write(workdir, "bomb" + inner + ".gz", bomb(unit, members))
    limits = IngestSettings(max_gz_bytes=max_gz_bytes, max_file_bytes=2 * MB)
    outcome, peak = load_traced(path, limits)
    assert isinstance(outcome, str) and f".gz inflates beyond limit (more than {max_gz_bytes / MB:g} MB)" in outcome
    # never the whole payload in memory: at most the limit plus a few inflate pieces (and the file)
    assert peak < 3 * (max_gz_bytes + GZ_CHUNK_BYTES) + limits.max_file_bytes
    assert peak < members * MB / 4


@settings(max_examples=8, **FUZZ)
@given(
    unit=st.binary(min_size=1, max_size=16),
    members=st.integers(72, 160),
    ratio=st.integers(2, 30),
    inner=st.sampled_from([".txt", ".jsonl", ".html"]),
)
def test_gz_bomb_refused_by_ratio_without_inflating_it(workdir: Path, unit: bytes, members: int, ratio: int, inner: str) -> None:
    data = bomb(unit, members)
    stop = max(GZ_RATIO_GRACE_BYTES, ratio * len(data))  # where the ratio check refuses it
    assume(members * MB > 8 * stop)  # a bomb far larger than what may be inflated before refusal
    path = write(workdir, "ratio" + inner + ".gz", data)
    limits = IngestSettings(max_gz_ratio=ratio, max_file_bytes=2 * MB)
    outcome, peak = load_traced(path, limits)
    assert isinstance(outcome, str) and f".gz inflates beyond limit (more than {ratio}x its size)" in outcome
    assert peak < 3 * (stop + GZ_CHUNK_BYTES) + limits.max_file_bytes
    assert peak < members * MB / 4


# --- broken PDFs --------------------------------------------------------------------------
def _pdf_bases() -> list[bytes]:
    """Valid PDFs to damage: the hand-written one of test_loaders, and pypdf's rewrite of it
    with compressed content streams (so damage also hits Flate data and a generated xref)."""
    import pypdf

    plain = make_pdf(
        ["Kyiv said on Monday that the drones were shot down over the", "capital, officials said.", "A second line."],
        title="Drone attack",
    )
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(plain))
    for page in writer.pages:
        page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    return [plain, buffer.getvalue()]


PDF_BASES = _pdf_bases()
pdf_edits = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("drop"), st.integers(0, 10**6), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=32)),
)


def damage(data: bytes, edits: list[tuple[str, int, object]]) -> bytes:
    """Apply byte edits at positions taken modulo the current length."""
    buffer = bytearray(data)
    for kind, position, value in edits:
        at = position % (len(buffer) + 1)
        if kind == "flip" and at < len(buffer):
            buffer[at] = int(value)  # type: ignore[arg-type]
        elif kind == "cut":
            del buffer[at:]
        elif kind == "drop":
            del buffer[at : at + int(value)]  # type: ignore[arg-type]
        elif kind == "insert":
            buffer[at:at] = value  # type: ignore[assignment]
    return bytes(buffer)


def test_pdf_bases_are_valid(workdir: Path) -> None:
    """The fuzz below damages real PDFs: both bases load, with their text."""
    for number, data in enumerate(PDF_BASES):
        outcome = load_checked(write(workdir, f"base{number}.pdf", data), RAW)
        assert not isinstance(outcome, str), outcome
        assert "drones were shot down" in outcome.documents[0].text


@settings(max_examples=400, **FUZZ)
@given(
    base=st.sampled_from(range(len(PDF_BASES))),
    edits=st.lists(pdf_edits, min_size=1, max_size=6),
    clean=st.booleans(),
)
def test_damaged_pdf_loads_or_fails_with_one_line_error(
    workdir: Path, base: int, edits: list[tuple[str, int, object]], clean: bool
) -> None:
    path = write(workdir, "damaged.pdf", damage(PDF_BASES[base], edits))
    outcome_event(load_checked(path, CLEAN if clean else RAW), path)


# --- the cleaner --------------------------------------------------------------------------
NEWS_LINES = (
    "Home > World > Europe", "Subscribe", "veryGood! (726)", "12 comments", "By Jane Doe and John Roe, CNN",
    "Updated: 2024-03-05 09:37", "3:44 PM", "Share this article", "twitter facebook email", "_____",
    "Sign up for our newsletter: the latest news delivered to your inbox.", "Related Topics", "Read more",
    "- Another headline about the war in the east", "Jane Doe", "Senior Editor",
    "Jane Doe is a national security correspondent for The Example Times.",
    "KYIV, Ukraine (Reuters) - Russian drones struck the capital overnight, officials said on Tuesday.",
    "Air defences shot down most of the 30 drones launched, the air force said in a statement.",
    "Rescuers at the scene of the strike on Monday. (REUTERS/Jane Doe)",
    "Drones hit Kyiv overnight as talks stall", "Become a member today and support our journalism.",
    "There were no immediate reports of casualties, according to the city administration.",
)  # fmt: skip
any_unicode = st.characters(exclude_categories=())  # lone surrogates included
cleaner_texts = st.one_of(
    st.text(any_unicode, max_size=400),
    st.lists(st.one_of(st.sampled_from(NEWS_LINES), st.text(any_unicode, max_size=80)), max_size=60).map("\n".join),
    st.lists(st.text(any_unicode, max_size=3), max_size=400).map("\n".join),  # many short lines
    st.builds(
        lambda word, count, tail: " ".join([word] * count) + tail,
        st.sampled_from(["said", "Kyiv", "(AP)", "photo/", "»", "**"]),
        st.integers(200, 5_000),
        st.sampled_from(["", ".", ")", ".)"]),
    ),  # long lines
)


def is_subsequence(items: list[str], sequence: list[str]) -> bool:
    """Whether `items` appear in `sequence` in the same order (gaps allowed)."""
    remaining = iter(sequence)
    return all(any(item == candidate for candidate in remaining) for item in items)


@settings(max_examples=500, **FUZZ)
@given(text=cleaner_texts, title=st.sampled_from(["", "Drones hit Kyiv overnight as talks stall"]))
def test_cleaner_keeps_only_input_lines_and_accounts_for_every_line(text: str, title: str) -> None:
    """The body is made of the input's own lines (normalised), in order, each either kept or
    listed in `dropped`; a text with any content never cleans to nothing."""
    with hang_guard("clean_text"):
        result = clean_text(text, title=title)
    assert isinstance(result.text, str) and isinstance(result.title, str)
    present = [line for line in (normalise_line(raw) for raw in text.splitlines()) if line]
    kept = result.text.split("\n\n") if result.text else []
    assert is_subsequence(kept, present), "the cleaner wrote a line that was not in its input"
    assert Counter(kept) + Counter(line for _, line in result.dropped) == Counter(present)
    assert bool(kept) == bool(present), "cleaning lost a whole article"


@settings(max_examples=100, **FUZZ)
@given(
    text=cleaner_texts,
    title=st.text(max_size=30),
    source=st.text(max_size=20),
    published=st.sampled_from(["", "2024-03-05"]),
    authors=st.lists(st.text(min_size=1, max_size=20), max_size=3),
)
def test_clean_document_fields_given_win_and_nothing_else_changes(
    text: str, title: str, source: str, published: str, authors: list[str]
) -> None:
    document = Document("doc-1", text, title, source, "https://example.com/a", published, list(authors), "a.txt")
    with hang_guard("clean_document"):
        cleaned = clean_document(document)
    assert cleaned.text == clean_text(text, title=title).text
    assert (cleaned.doc_id, cleaned.url, cleaned.path) == ("doc-1", "https://example.com/a", "a.txt")
    for name in ("title", "source", "published"):
        if getattr(document, name):
            assert getattr(cleaned, name) == getattr(document, name)
    if authors:
        assert cleaned.authors == authors
    assert document.text == text and document.authors == authors  # the input is left alone


@settings(max_examples=200, **FUZZ)
@given(text=st.text(st.characters(exclude_categories=(), exclude_characters="-"), max_size=600))
def test_pdf_reflow_changes_only_whitespace_when_nothing_is_hyphenated(text: str) -> None:
    """Without hyphens the reflow only joins lines: every other character stays, in order."""
    with hang_guard("reflow_pdf_text"):
        reflowed = reflow_pdf_text(text)
    assert "".join(reflowed.split()) == "".join(text.split())


@settings(max_examples=200, **FUZZ)
@given(text=st.text(any_unicode, max_size=600))
def test_markdown_to_text_only_removes(text: str) -> None:
    """Markdown stripping removes syntax and never adds; text without Markdown syntax is unchanged."""
    with hang_guard("markdown_to_text"):
        plain = markdown_to_text(text)
    assert len(plain) <= len(text)
    if not any(mark in text for mark in "[]()*_#"):
        assert plain == text


# --- found by this fuzzing and fixed in index/metadata.py and index/loaders.py ------------------
def test_long_whitespace_in_an_author_field_does_not_hang(workdir: Path) -> None:
    record = {"id": "a", "text": "Officials said the drones were shot down.", "authors": "Jane" + " " * 200_000 + "Doe"}
    path = write(workdir, "authors.jsonl", json.dumps(record).encode())
    # a linear split takes milliseconds; the quadratic one needs many minutes for this input
    load_checked(path, RAW, seconds=3.0)


@pytest.mark.parametrize("bad_line", ['{"id": ' + "1" * 5_000 + ', "text": "x"}', "[" * 100_000], ids=["bigint", "deep"])
def test_jsonl_line_beyond_parser_limits_is_one_problem(workdir: Path, bad_line: str) -> None:
    path = write(workdir, "limits.jsonl", (json.dumps({"id": "ok", "text": "Good record."}) + "\n" + bad_line).encode())
    result = load_file(path, workdir, RAW)
    assert [document.doc_id for document in result.documents] == ["ok"] and len(result.problems) == 1
