"""The install footprint: site-packages gains one name, `newsrag` (issue #16)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_the_wheel_installs_one_top_level_package(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("newsrag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"newsrag"}
    top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    if top_level:
        assert zipfile.ZipFile(wheel).read(top_level[0]).decode().split() == ["newsrag"]
    for module in (
        "newsrag/index/store.py",
        "newsrag/rag/pipeline.py",
        "newsrag/rag/backends/__init__.py",
        "newsrag/ui/app.py",
        "newsrag/eval/answers.py",
        "newsrag/commands/serve.py",
        "newsrag/eval/questions/topic_written.jsonl",
    ):
        assert module in names, module
