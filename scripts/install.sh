#!/usr/bin/env bash
# Create .venv at the repository root and install newsrag with the given extras.
# PyTorch is pinned to the CPU wheel (torch==2.13.0) and installed first, alone, so that no
# dependency can pull a CUDA build; plain pip is used on purpose (uv ignores the local wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-ui,llm,eval}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
