"""Settings: flags over environment over the TOML config file over defaults, merged per field."""

from __future__ import annotations

from newsrag.settings import Settings, load_settings


def test_flags_over_environment_over_config_file_over_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSRAG_CONFIG", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nbackend = "openai"\nmodel = "from-file"\n[retrieval]\ntop_k = 9\n')
    from_file = load_settings(config_file=config)
    assert (from_file.llm.backend, from_file.llm.model, from_file.retrieval.top_k) == ("openai", "from-file", 9)
    assert from_file.retrieval.keyword_weight == Settings().retrieval.keyword_weight  # the rest of a section keeps its defaults

    monkeypatch.setenv("NEWSRAG_LLM__MODEL", "from-env")
    flags = {"llm": {"backend": "extractive", "model": None}, "retrieval": {"top_k": None}}  # None: a flag not given
    merged = load_settings(flags, config_file=config)
    assert (merged.llm.backend, merged.llm.model, merged.retrieval.top_k) == ("extractive", "from-env", 9)


def test_the_home_folders_config_file_is_read_and_a_named_one_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSRAG_CONFIG", raising=False)
    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text("[retrieval]\ntop_k = 7\n")
    assert load_settings().retrieval.top_k == 7
    named = tmp_path / "other.toml"
    named.write_text("[retrieval]\ntop_k = 4\n")
    monkeypatch.setenv("NEWSRAG_CONFIG", str(named))
    assert load_settings().retrieval.top_k == 4
    assert Settings().retrieval.top_k == Settings.model_fields["retrieval"].default.top_k  # no config file outside load_settings
