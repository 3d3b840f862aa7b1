"""Planted instructions: text in an article that addresses an AI assistant instead of a reader.

News copy talks about the world; it never tells "the assistant" what to answer, asks a language
model to ignore its instructions, or carries a "SYSTEM:" line. Such text is flagged at ingest
(`instructions` on the chunk's metadata, shown in the sources panel) and is never evidence: the
answer stage skips instruction-like sentences whatever the store recorded, so stores ingested
before this rule existed are protected too.

A rule an editor would write for any archive: the patterns name the reader being addressed (an
AI, an assistant, a model, a chatbot) or the well-known forms of prompt injection, never words of
any particular article. A story *about* prompt injection ("researchers told the chatbot to ignore
its instructions") is reported speech: it is caught only when it also gives an order itself.
"""

from __future__ import annotations

import re

# The usual forms of injection: overriding earlier instructions, role headers, fake notices.
OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(previous|prior|above|earlier|all|any|your|the system'?s?)\b"
    r"[^.!?\n]{0,30}\b(instructions?|prompts?|directions?|rules?|guidelines?)\b",
    re.I,
)
ROLE_HEADER = re.compile(
    r"(?:^|[\n.!?]\s*)(?:\[|<|#+\s*)?(system|assistant|developer|admin)(?:\s+(?:prompt|message|note|notice|override))?\s*[\]>:]", re.I
)
# An order addressed to an AI reader: "AI assistants must ...", "Note to language models: ...",
# "If you are an AI, answer ...", "Assistant, reply ...".
ADDRESSED = re.compile(
    r"\b(note|message|instructions?|notice)\s+(to|for)\s+(any\s+|all\s+)?(ai|a\.i\.|artificial intelligence|language models?|llms?|chatbots?|assistants?|models?)\b"
    r"|\bif you are an? (ai|a\.i\.|language model|llm|chatbot|assistant|model)\b"
    r"|\b(ai|a\.i\.)\s+(assistants?|models?|systems?|chatbots?)\s+(must|should|shall|will|are (?:required|instructed|told) to|have to|need to)\b"
    r"|\b(language models?|llms?|chatbots?|assistants?)\s+(must|should|shall|are (?:required|instructed|told) to|have to|need to)\s+(answer|reply|respond|say|state|write|output|only|always|never|not)\b"
    r"|\b(as|you are) an? (ai|a\.i\.) (assistant|model|language model)\b[^.!?\n]{0,40}\b(you|your)\b"
    r"|\byou (must|should|will) (now )?(answer|reply|respond|say|output)\b[^.!?\n]{0,40}\b(only|always|never|exactly)\b",
    re.I,
)


def looks_like_instruction(text: str) -> bool:
    """Whether `text` addresses an AI reader or carries a known injection form."""
    return bool(OVERRIDE.search(text) or ROLE_HEADER.search(text) or ADDRESSED.search(text))
