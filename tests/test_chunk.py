"""Sentence splitting and chunking: whole sentences, exact offsets, within the encoder's limit."""

from __future__ import annotations

from newsrag.index.chunk import Chunker, pack
from newsrag.index.documents import Document
from newsrag.index.sentences import split_sentences
from newsrag.settings import ChunkSettings


def split_texts(text: str) -> list[str]:
    """The texts of `text`'s sentences, once every sentence's offsets are checked to point at its text."""
    sentences = split_sentences(text)
    assert all(text[s.start : s.end] == s.text for s in sentences)
    return [s.text for s in sentences]


def test_sentences_keep_abbreviations_and_offsets():
    text = (
        "WASHINGTON (AP) — The U.S. official said on Feb. 24 that John F. Kennedy spoke. "
        "“We are concerned,” Kirby said. Is it? Yes!\nA new line at 9 a.m. Officials said so."
    )
    assert split_texts(text) == [
        "WASHINGTON (AP) — The U.S. official said on Feb. 24 that John F. Kennedy spoke.",
        "“We are concerned,” Kirby said.",
        "Is it?",
        "Yes!",
        "A new line at 9 a.m.",
        "Officials said so.",
    ]


def test_a_quoted_exclamation_or_question_does_not_end_its_sentence():
    """Punkt ends a sentence at '!' or '?' even inside a quotation; what goes on after the closing
    quote (a colon, a comma, a word in lower case) is joined back. "iPhone" starts a sentence."""
    text = (
        "'Bullseye!!!': Trump again says the sites were hit. He shouted “Stop!” and ran. "
        '"Why now?", the minister asked. Wow!!! That was close. Is it over? iPhone sales fell.'
    )
    assert split_texts(text) == [
        "'Bullseye!!!': Trump again says the sites were hit.",
        "He shouted “Stop!” and ran.",
        '"Why now?", the minister asked.',
        "Wow!!!",
        "That was close.",
        "Is it over?",
        "iPhone sales fell.",
    ]
    assert split_texts("Who won?\nthe vote was close.") == ["Who won?", "the vote was close."]  # a line break still ends it


def test_sentences_end_after_an_abbreviation_only_when_a_sentence_follows():
    text = (
        "He flew to the U.S. The talks began on Monday. The answer was no. The minister left. "
        "California Gov. Gavin Newsom has until Sept. 30 to sign it. He reached world No. 1 in May. "
        "Owensboro, Ky. is on the river. It was 3 p.m. when he left."
    )
    assert split_texts(text) == [
        "He flew to the U.S.",
        "The talks began on Monday.",
        "The answer was no.",
        "The minister left.",
        "California Gov. Gavin Newsom has until Sept. 30 to sign it.",
        "He reached world No. 1 in May.",
        "Owensboro, Ky. is on the river.",
        "It was 3 p.m. when he left.",
    ]


def test_pack_respects_budget_and_overlap():
    assert pack([10, 10, 10, 10, 10], budget=25, overlap=1) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert pack([10, 10, 10, 10, 10], budget=25, overlap=0) == [(0, 1), (2, 3), (4, 4)]
    assert pack([30, 10], budget=25, overlap=1) == [(0, 0), (1, 1)]  # an oversized sentence stands alone


def test_chunks_fit_the_encoder_and_point_into_the_text(encoder):
    body = " ".join(f"Sentence number {i} tells of drones, missiles and the war in Ukraine." for i in range(60))
    long_sentence = " ".join(["word"] * 900) + "."
    document = Document("a.txt", body + "\n" + long_sentence, title="A title about the war")
    chunker = Chunker(ChunkSettings(max_tokens=120, overlap_sentences=1), encoder.count_tokens, encoder.max_tokens)
    chunks = chunker.run(document)
    assert len(chunks) > 5
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert encoder.count_tokens([chunk.embedding_text()])[0] <= encoder.max_tokens - 2
        assert chunk.doc_chunks == len(chunks) and chunk.doc_hash == document.content_hash
    assert [c.position for c in chunks] == list(range(len(chunks)))
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(document.text) if not ch.isspace())  # nothing lost
    assert chunks[0].chunk_id != Document("a.txt", body + " changed", title="A title").content_hash


def test_token_counting_has_its_own_tokenizer(encoder):
    """Ingestion counts tokens in its prefetch thread while the main thread encodes; a shared
    Hugging Face tokenizer flips padding off under a running encode (a real ingest failed with
    "expected sequence of length 247 at dim 1 (got 254)"), so counting must use its own copy."""
    model = getattr(encoder, "model", None)
    if model is not None:  # the torch encoder; the ONNX one owns separate tokenizers already
        assert encoder.tokenizer is not model.tokenizer
        assert encoder.count_tokens(["Iran sent drones."]) == [
            len(model.tokenizer("Iran sent drones.", add_special_tokens=False)["input_ids"])
        ]
