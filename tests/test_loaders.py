"""Loaders on real files of every format, on every kind of bad input, and on the shared corpus.

Fixtures are written into tmp_path; bad input must give a LoadError (or a per-record problem)
whose message is one line naming the file, never a traceback.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import time
from pathlib import Path

import pytest

from newsrag.index.loaders import LoadError, discover, document_id, load_file, load_paths, reflow_pdf_text
from newsrag.settings import IngestSettings

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_CORPUS = SHARED / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz"
TOPIC_CORPUS = SHARED / "corpus" / "realtimeqa" / "topic_ukraine_russia_iran.jsonl.gz"
SEEDS = SHARED / "corpus" / "seed-articles"

RAW = IngestSettings(clean=False)
CLEAN = IngestSettings()

PARAGRAPHS = [
    "Russian drones struck the Ukrainian capital overnight, officials said on Tuesday, damaging several buildings.",
    "Air defences shot down most of the 30 drones launched, the air force said in a statement on Telegram.",
    "There were no immediate reports of casualties, according to the city administration.",
]
ARTICLE = "\n\n".join(PARAGRAPHS) + "\n"


def _load(path: Path, limits: IngestSettings = RAW) -> list:
    """The documents of one file found in its own folder."""
    return load_file(path, path.parent, limits).documents


def _error(path: Path, limits: IngestSettings = RAW) -> str:
    """The LoadError message of a file that must fail, checked to be one line naming the file."""
    with pytest.raises(LoadError) as caught:
        load_file(path, path.parent, limits)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def make_pdf(lines: list[str], title: str = "") -> bytes:
    """A minimal one-page PDF with text in Helvetica, written by hand (offsets computed)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        f"<< /Title ({escape(title)}) /Author (Jane Doe) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


HTML_PAGE = """<!doctype html><html><head><title>Drones hit Kyiv overnight | Example News</title>
<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2024-03-05T08:00:00Z">
<meta property="og:site_name" content="Example News"><link rel="canonical" href="https://news.example.com/kyiv-drones">
<script>var tracking = "Subscribe to our newsletter";</script><style>p {{ color: red }}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article><h1>Drones hit Kyiv overnight</h1>{paragraphs}</article>
<footer><p>Sign up for our newsletter: the latest news delivered to your inbox.</p><p>© 2024 Example News</p></footer>
</body></html>"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test on any attempt to open a connection or resolve a name."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network call attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- formats ------------------------------------------------------------------------------
def test_txt_loads_with_file_name_as_id(tmp_path: Path) -> None:
    path = tmp_path / "kyiv.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    [doc] = _load(path)
    assert doc.doc_id == "kyiv.txt" and doc.path == str(path)
    assert doc.text == ARTICLE.strip()


def test_txt_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.replace("\n", "\r\n").encode("utf-8"))
    [doc] = _load(path)
    assert doc.text == ARTICLE.strip()


def test_md_front_matter_gives_metadata_and_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        '---\ntitle: "Drones hit Kyiv"\nsource: www.example.com\npublished: 2024/03/05\n'
        "url: https://example.com/a\nauthors:\n  - Jane Doe\n  - John Roe\n---\n"
        "## Overnight attack\n\n" + PARAGRAPHS[0] + " See [the map](https://example.com/map).\n",
        encoding="utf-8",
    )
    [doc] = _load(path)
    assert (doc.title, doc.source, doc.published, doc.url) == (
        "Drones hit Kyiv",
        "example.com",
        "2024-03-05",
        "https://example.com/a",
    )
    assert doc.authors == ["Jane Doe", "John Roe"]
    assert "---" not in doc.text and "title:" not in doc.text
    assert doc.text.startswith("Overnight attack") and doc.text.endswith("See the map.")


def test_txt_front_matter_with_inline_list(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("---\ntitle: A\nauthor: [Jane Doe, John Roe]\ndate: March 5, 2024\n---\n" + ARTICLE, encoding="utf-8")
    [doc] = _load(path)
    assert (doc.title, doc.authors, doc.published) == ("A", ["Jane Doe", "John Roe"], "2024-03-05")
    assert doc.text == ARTICLE.strip()


def test_html_main_text_and_metadata_without_network(tmp_path: Path, no_network: None) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE.format(paragraphs="".join(f"<p>{p}</p>" for p in PARAGRAPHS)), encoding="utf-8")
    started = time.perf_counter()
    [doc] = _load(path, CLEAN)
    assert time.perf_counter() - started < 5
    assert all(p in doc.text for p in PARAGRAPHS)
    assert "Home" not in doc.text and "newsletter" not in doc.text and "tracking" not in doc.text
    assert (doc.title, doc.source, doc.published, doc.url) == (
        "Drones hit Kyiv overnight", "Example News", "2024-03-05", "https://news.example.com/kyiv-drones",
    )  # fmt: skip
    assert doc.authors == ["Jane Doe"] and doc.doc_id == "page.html"


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ("", "utf-8"),
        ('<meta charset="windows-1252">', "windows-1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', "latin-1"),
    ],
)
def test_html_text_decodes_by_declared_charset_else_utf8(tmp_path: Path, head: str, encoding: str) -> None:
    body = "<p>Le café de Zürich a rouvert ses portes après des travaux de rénovation longs de deux ans.</p>"
    path = tmp_path / "page.html"
    path.write_bytes(f"<html><head>{head}<title>Café</title></head><body><article>{body}</article></body></html>".encode(encoding))
    [doc] = _load(path)
    assert "café de Zürich" in doc.text and "Ã" not in doc.text


def test_html_too_many_elements_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "huge.htm"
    path.write_text("<html><body>" + "<p>x <b>y</b></p>" * 15_000 + "</body></html>")
    started = time.perf_counter()
    assert "HTML too large" in _error(path)
    assert time.perf_counter() - started < 5


def test_html_deeply_nested_does_not_hang(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * 5000 + "<p>Deep text.</p>" + "</div>" * 5000 + "</body></html>")
    started = time.perf_counter()
    try:
        load_file(path, tmp_path, RAW)
    except LoadError as error:
        assert str(error).startswith(f"{path}: ")
    assert time.perf_counter() - started < 10


def test_pdf_text_of_all_pages_and_title(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(
        make_pdf(
            [
                "Kyiv said on Monday that the drones were shot down over the",
                "capital, and officials confirmed no casualties.",
                "A second paragraph starts here.",
            ],
            title="Drone attack on Kyiv",
        )
    )
    [doc] = _load(path)
    assert doc.title == "Drone attack on Kyiv" and doc.authors == ["Jane Doe"]
    assert doc.text == (
        "Kyiv said on Monday that the drones were shot down over the capital, and officials confirmed no casualties."
        "\n\nA second paragraph starts here."
    )


def test_reflow_joins_wrapped_lines_and_hyphenation() -> None:
    assert reflow_pdf_text("The exam-\nple shows a wrapped\nline.\nNext one.") == "The example shows a wrapped line.\n\nNext one."


def test_jsonl_records_ids_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    records = [
        {"id": "a1", "title": "First", "text": PARAGRAPHS[0], "url": "https://cnn.com/x", "source": "www.cnn.com",
         "publish_date": "2022/06/12", "authors": ["Ramishah Maruf"]},
        {"doc_id": 42, "title": "Second", "body": PARAGRAPHS[1], "published_at": "2022-06-13T10:00:00Z", "authors": "Jane Doe and John Roe"},
        {"title": "Third", "text": PARAGRAPHS[2], "published": ""},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    result = load_file(path, tmp_path, RAW)
    assert result.problems == []
    first, second, third = result.documents
    assert (first.doc_id, first.title, first.source, first.published, first.authors, first.url) == (
        "a1", "First", "cnn.com", "2022-06-12", ["Ramishah Maruf"], "https://cnn.com/x",
    )  # fmt: skip
    assert (second.doc_id, second.text, second.published, second.authors) == (
        "42",
        PARAGRAPHS[1],
        "2022-06-13",
        ["Jane Doe", "John Roe"],
    )
    assert (third.doc_id, third.published) == ("news.jsonl#3", "")


def test_jsonl_bad_lines_are_reported_good_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"id": "ok1", "text": PARAGRAPHS[0]}),
        '{"id": "broken", "text": "no closing brace"',
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "empty", "text": "", "url": "https://x"}),
        json.dumps({"id": "ok1", "text": "a later record with the same id"}),
        json.dumps({"id": "ok2", "text": PARAGRAPHS[1]}),
        json.dumps({"id": "notitle", "text": {"nested": True}}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = load_file(path, tmp_path, RAW)
    assert [d.doc_id for d in result.documents] == ["ok1", "ok2"]
    assert result.documents[0].text == PARAGRAPHS[0]
    assert len(result.problems) == 5
    for problem, line in zip(result.problems, (2, 3, 4, 5, 7), strict=True):
        assert problem.startswith(f"{path}: line {line}: ") and "\n" not in problem
    assert "malformed JSON" in result.problems[0] and "not a JSON object" in result.problems[1]
    assert "no text" in result.problems[2] and "duplicate id 'ok1'" in result.problems[3]


def test_jsonl_record_with_title_but_no_text_keeps_its_title(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": "t", "title": "Headline only", "text": ""}), encoding="utf-8")
    [doc] = _load(path)
    assert doc.text == "Headline only"


def test_jsonl_with_no_valid_record_fails_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{nope\n[1, 2]\n", encoding="utf-8")
    message = _error(path)
    assert "no valid records (2 bad" in message and "line 1: malformed JSON" in message


def test_json_list_and_single_object(tmp_path: Path) -> None:
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"title": "A", "text": PARAGRAPHS[0]}, {"id": "b", "text": PARAGRAPHS[1]}, 7]), encoding="utf-8")
    result = load_file(listing, tmp_path, RAW)
    assert [d.doc_id for d in result.documents] == ["list.json#1", "b"]
    assert result.problems == [f"{listing}: item 3: not a JSON object (int)"]
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"title": "One", "text": PARAGRAPHS[2], "authors": [{"name": "Jane Doe"}]}), encoding="utf-8")
    [doc] = _load(single)
    assert (doc.doc_id, doc.title, doc.authors) == ("one.json", "One", ["Jane Doe"])


def test_json_malformed_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"text": "a"},\n  {"text": }\n]', encoding="utf-8")
    assert "line 3: malformed JSON" in _error(path)


def test_gz_of_each_format_and_ids_without_gz(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt.gz").write_bytes(gzip.compress(ARTICLE.encode()))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps({"text": PARAGRAPHS[0]}).encode()))
    page = HTML_PAGE.format(paragraphs="".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(page.encode()))
    result = load_paths([tmp_path], RAW)
    assert [d.doc_id for d in result.documents] == ["b.jsonl#1", "c.html", "sub/a.txt"]
    assert result.documents[2].text == ARTICLE.strip() and result.problems == []


def test_cleaning_applies_when_enabled(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text("Home > World > Europe\nSubscribe\n" + ARTICLE + "veryGood! (12)\nRelated Topics\n", encoding="utf-8")
    assert _load(path, CLEAN)[0].text == "\n\n".join(PARAGRAPHS)
    assert "veryGood!" in _load(path, RAW)[0].text


# --- bad input ----------------------------------------------------------------------------
def test_empty_file(tmp_path: Path) -> None:
    for name in ("empty.txt", "blank.md", "empty.jsonl", "empty.html", "empty.pdf"):
        path = tmp_path / name
        path.write_bytes(b"" if name != "blank.md" else b"  \n\n ")
        assert _error(path).endswith("empty file")


def test_binary_content(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert _error(path).endswith("binary content")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café in Kyiv reopened on Monday.".encode("latin-1"))
    assert "not UTF-8 text (byte 0xe9 at offset 3)" in _error(path)
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(ARTICLE.encode("utf-16"))
    assert "not UTF-8 text (UTF-16" in _error(utf16)


def test_truncated_pdf(tmp_path: Path) -> None:
    data = make_pdf(["A line of text in the report."], title="Report")
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated or damaged PDF" in _error(path)


def test_not_a_pdf_and_encrypted_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_text("This is plain text, not a PDF.")
    assert "not a PDF" in _error(fake)
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf(["Secret text."])))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(buffer.getvalue())
    assert "encrypted PDF" in _error(locked)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(ARTICLE)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read mode-000 files (root)")
        assert _error(path).endswith("permission denied")
    finally:
        path.chmod(0o644)


def test_permission_denied_message_when_running_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads mode-000 files, so the OS refusal is simulated where the loader opens files."""
    path = tmp_path / "secret.txt"
    path.write_text(ARTICLE)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("newsrag.index.loaders.open", refuse, raising=False)
    assert _error(path).endswith("permission denied")


def test_enormous_file_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(ARTICLE * 50)
    assert "larger than 0.001 MB limit" in _error(path, IngestSettings(max_file_bytes=1_000))


def test_gzip_bomb_refused_by_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"a" * 200_000))
    assert ".gz inflates beyond limit" in _error(path, IngestSettings(max_gz_bytes=100_000))


def test_gzip_bomb_refused_by_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b" " * 12_000_000, compresslevel=9))
    message = _error(path, IngestSettings(max_gz_ratio=50))
    assert ".gz inflates beyond limit (more than 50x" in message


def test_small_gz_may_compress_well(tmp_path: Path) -> None:
    """The ratio limit waits for a few MB: short text compresses far better than 50:1."""
    path = tmp_path / "repetitive.txt.gz"
    path.write_bytes(gzip.compress(((PARAGRAPHS[0] + "\n") * 20_000).encode()))
    assert len(_load(path)) == 1


def test_truncated_gz(tmp_path: Path) -> None:
    data = gzip.compress(ARTICLE.encode() * 20)
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated or damaged .gz" in _error(path)
    junk = tmp_path / "junk.json.gz"
    junk.write_bytes(b"this was never gzip")
    assert "truncated or damaged .gz" in _error(junk)


# --- discovery ----------------------------------------------------------------------------
def test_discover_walks_sorted_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "z/c.jsonl.gz", "z/d.htm", ".hidden.txt", ".git/e.txt", "notes.docx", "f.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    pairs = discover([tmp_path, tmp_path / "b.txt"])
    assert [p.relative_to(tmp_path).as_posix() for p, _ in pairs] == [
        "a.md",
        "b.txt",
        "f.json",
        "z/c.jsonl.gz",
        "z/d.htm",
    ]
    assert all(root == tmp_path for _, root in pairs)
    assert discover([tmp_path / "z" / "d.htm"]) == [(tmp_path / "z" / "d.htm", tmp_path / "z")]
    assert document_id(tmp_path / "z" / "c.jsonl.gz", tmp_path) == "z/c.jsonl"


def test_discover_missing_and_unsupported(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or directory"):
        discover([tmp_path / "missing"])
    (tmp_path / "notes.docx").write_text("x")
    with pytest.raises(LoadError, match="unsupported file type"):
        discover([tmp_path / "notes.docx"])


def test_load_paths_reports_failures_and_cross_file_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "text": PARAGRAPHS[0]}))
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "x", "text": PARAGRAPHS[1]}))
    (tmp_path / "c.txt").write_bytes(b"")
    result = load_paths([tmp_path], RAW)
    assert [d.text for d in result.documents] == [PARAGRAPHS[0]]
    assert result.problems == [
        f"{tmp_path / 'b.jsonl'}: duplicate id 'x' (also in {tmp_path / 'a.jsonl'}); kept the first",
        f"{tmp_path / 'c.txt'}: empty file",
    ]


# --- the shared corpus --------------------------------------------------------------------
def test_seed_articles_load_with_file_names_as_ids() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} not found")
    result = load_paths([SEEDS], CLEAN)
    assert [d.doc_id for d in result.documents] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert result.problems == []
    assert all("veryGood!" not in d.text and "Subscribe" not in d.text for d in result.documents)


def test_dev_corpus_loads_every_record() -> None:
    """2,890 records: 2,877 with text or a title become documents; 13 have neither and are reported."""
    if not DEV_CORPUS.is_file():
        pytest.skip(f"{DEV_CORPUS} not found")
    started = time.perf_counter()
    result = load_file(DEV_CORPUS, DEV_CORPUS.parent, RAW)
    elapsed = time.perf_counter() - started
    assert len(result.documents) + len(result.problems) == 2890
    assert len(result.documents) == 2877
    assert all("no text" in problem and "line " in problem for problem in result.problems)
    assert len({d.doc_id for d in result.documents}) == len(result.documents)
    first = result.documents[0]
    assert (first.doc_id, first.source, first.published, first.authors) == (
        "rtqa-79cf4a583ca4",
        "cnn.com",
        "2022-06-12",
        ["Ramishah Maruf"],
    )
    assert elapsed < 20


@pytest.mark.slow
@pytest.mark.parametrize("corpus", [DEV_CORPUS, TOPIC_CORPUS], ids=["dev", "topic"])
def test_shared_corpora_load_cleaned(corpus: Path) -> None:
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found")
    result = load_file(corpus, corpus.parent, CLEAN)
    assert len(result.documents) > 900 and all(d.text.strip() for d in result.documents)


def test_publication_dates_are_read_in_any_usual_form_and_implausible_ones_dropped():
    import datetime as dt

    from newsrag.index.metadata import normalise_date

    assert normalise_date("2022/06/12") == normalise_date("June 12, 2022") == normalise_date("20220612") == "2022-06-12"
    assert normalise_date("2022-02-30") == ""  # not a calendar date
    assert normalise_date("1492-10-12") == ""  # before any newspaper archive
    next_year = dt.date.today().year + 1
    assert normalise_date(f"{next_year}-01-15") == ""  # a publication date cannot be in the future
