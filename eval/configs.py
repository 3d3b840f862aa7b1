"""Configurations compared side by side in one eval run.

A configuration is written on the command line as one of:
- `ours` (the settings as given), `baseline` (plain llama-index, see `eval.baseline`);
- a preset: `vectors` (vector retrieval only), `bm25` (keyword retrieval only), `no-as-of`
  (questions asked without their date: today's archive, no time window);
- overrides of settings fields, comma-separated, optionally named before a colon:
  `rrf20:rrf_k=20`, `keyword_weight=1.5,per_document=1`. A bare
  field is looked up in `retrieval`, then `llm`, then `chunk`; others need `section.field`
  (`embed.backend=onnx-int8`, `chunk.max_tokens=256`).

Overrides are validated by the settings models, so a typo fails before any work starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from newsrag.settings import Settings

BASELINE_NAMES = ("baseline", "llama-index", "llamaindex")
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "ours": {},
    "newsrag": {},
    "vectors": {"retrieval": {"keyword_weight": 0.0}},
    "bm25": {"retrieval": {"vector_weight": 0.0}},
}
BARE_FIELD_SECTIONS = ("retrieval", "llm", "chunk")
SECTIONS = ("store", "embed", "chunk", "ingest", "retrieval", "llm")


class ConfigError(ValueError):
    """A configuration on the command line cannot be understood."""


@dataclass
class EvalConfig:
    """One configuration to evaluate: newsrag with settings overrides, or the llama-index baseline."""

    name: str
    baseline: bool = False
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    question_dates: bool = True  # ask dated questions (RealTime QA) as of their date

    def describe(self) -> str:
        """Short human description for reports."""
        if self.baseline:
            return "plain llama-index baseline"
        if not self.question_dates:
            return "newsrag, questions asked without their date"
        if not self.overrides:
            return "newsrag, settings as given"
        return "newsrag with " + ", ".join(f"{s}.{k}={v}" for s, values in self.overrides.items() for k, v in values.items())

    def apply(self, settings: Settings) -> Settings:
        """The settings with this configuration's overrides, validated."""
        return apply_overrides(settings, self.overrides)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _section_of(key: str) -> tuple[str, str]:
    if "." in key:
        section, name = key.split(".", 1)
        if section not in SECTIONS or name not in type(getattr(Settings(), section)).model_fields:
            raise ConfigError(f"unknown setting {key!r}")
        return section, name
    for section in BARE_FIELD_SECTIONS:
        if key in type(getattr(Settings(), section)).model_fields:
            return section, key
    raise ConfigError(f"unknown setting {key!r} (write section.field, e.g. retrieval.rrf_k)")


def parse_config(text: str) -> EvalConfig:
    """Read one configuration from the command line (see the module docstring for the syntax)."""
    text = text.strip()
    if not text:
        raise ConfigError("empty configuration")
    if text.lower() in BASELINE_NAMES:
        return EvalConfig("llama-index baseline", baseline=True)
    if text.lower() in ("no-as-of", "undated"):
        return EvalConfig("no-as-of", question_dates=False)
    if text.lower() in PRESETS:
        return EvalConfig(text.lower(), overrides={s: dict(v) for s, v in PRESETS[text.lower()].items()})
    name, _, body = text.partition(":") if ":" in text.split("=", 1)[0] else ("", "", text)
    overrides: dict[str, dict[str, Any]] = {}
    for part in body.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{part!r}: expected field=value")
        section, field_name = _section_of(key.strip())
        overrides.setdefault(section, {})[field_name] = _value(value.strip())
    config = EvalConfig(name or body, overrides=overrides)
    apply_overrides(Settings(), overrides)  # validate now, not after an hour of work
    return config


def apply_overrides(settings: Settings, overrides: dict[str, dict[str, Any]]) -> Settings:
    """A copy of the settings with section fields replaced, each section re-validated."""
    from pydantic import ValidationError

    update: dict[str, Any] = {}
    for section, values in overrides.items():
        current = getattr(settings, section)
        try:
            update[section] = type(current).model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"invalid {section}.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return settings.model_copy(update=update)


def parse_configs(values: list[str] | None, default: str = "baseline") -> list[EvalConfig]:
    """The configurations of `--compare` (none given: the baseline), after `ours`.

    Returns `ours` first, then each compared configuration, with unique names.
    """
    configs = [EvalConfig("ours")]
    if values is None:
        return configs
    for text in values or [default]:
        config = parse_config(text)
        if config.baseline or config.overrides or not config.question_dates or config.name not in ("ours", "newsrag"):
            configs.append(config)
    names: set[str] = set()
    for config in configs:
        base, number = config.name, 2
        while config.name in names:
            config.name = f"{base} ({number})"
            number += 1
        names.add(config.name)
    return configs
