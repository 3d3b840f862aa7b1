"""Reports: every eval run writes `report.md` and `report.json` (and PNG plots) into one folder.

Each report names the git commit and the machine (CPU model, cores), because absolute times
only mean something on the machine that measured them; ratios measured within one run are
the figures to compare across machines.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

REPORT_MD = "report.md"
REPORT_JSON = "report.json"


def git_commit(cwd: Path | None = None) -> str:
    """`git rev-parse --short HEAD` of the working directory, "unknown" outside a repository."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else "unknown"


def machine_info() -> dict[str, Any]:
    """CPU model, logical cores and memory of this machine (from /proc where available)."""
    info: dict[str, Any] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count() or 0}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
        if models:
            info["cpu"] = models[0]
            info["cores"] = len(models)
    except OSError:
        pass
    try:
        info["usable_cores"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        info["usable_cores"] = info["cores"]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    info["python"] = platform.python_version()
    info["platform"] = platform.platform()
    return info


def machine_line(info: Mapping[str, Any]) -> str:
    """One line describing the machine, for the top of every report."""
    memory = f", {info['memory_gb']} GB RAM" if "memory_gb" in info else ""
    return f"{info.get('cpu', '?')}, {info.get('cores', '?')} cores ({info.get('usable_cores', '?')} usable){memory}, Python {info.get('python', '?')}"


def default_out_dir(kind: str) -> Path:
    """`eval-reports/<timestamp>-<kind>/` under the current directory."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / "eval-reports" / f"{stamp}-{kind}"


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a Markdown table: fixed decimals, '–' for missing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def md_escape(text: Any, limit: int | None = None) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, newlines folded, optionally cut)."""
    value = " ".join(str(text).split())
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("|", "\\|")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_escape(fmt(cell)) for cell in row) + " |")
    return "\n".join(lines)


@dataclass
class Report:
    """A report being assembled: Markdown sections, JSON data and plot files."""

    kind: str
    title: str
    out_dir: Path
    data: dict[str, Any] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.machine = machine_info()
        self.commit = git_commit()
        self.created = datetime.datetime.now().astimezone().isoformat(timespec="seconds")

    def add(self, markdown: str) -> None:
        """Append a Markdown block."""
        self.sections.append(markdown.rstrip() + "\n")

    def plot_path(self, name: str) -> Path:
        """Where a plot of this report goes; recorded so the Markdown can embed it."""
        path = self.out_dir / name
        self.plots.append(name)
        return path

    def write(self) -> tuple[Path, Path]:
        """Write report.md and report.json; returns their paths."""
        header = [
            f"# {self.title}",
            "",
            f"- created: {self.created}",
            f"- git commit: {self.commit}",
            f"- machine: {machine_line(self.machine)}",
            f"- command: `{' '.join(['newsrag', 'eval', *map(str, self.data.get('argv', []))])}`",
            "",
        ]
        images = [f"![{name}]({name})" for name in self.plots if (self.out_dir / name).exists()]
        body = "\n".join(header) + "\n" + "\n".join(self.sections)
        if images:
            body += "\n## Plots\n\n" + "\n\n".join(images) + "\n"
        md_path = self.out_dir / REPORT_MD
        md_path.write_text(body, encoding="utf-8")
        payload = {
            "kind": self.kind,
            "title": self.title,
            "created": self.created,
            "git_commit": self.commit,
            "machine": self.machine,
            "plots": [name for name in self.plots if (self.out_dir / name).exists()],
            **self.data,
        }
        json_path = self.out_dir / REPORT_JSON
        json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8")
        return md_path, json_path


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


# ----- plots (matplotlib imported lazily, Agg backend: no display needed) ------------------------
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_hit_curves(curves: Mapping[str, Sequence[float]], path: Path, title: str = "hit@k by configuration") -> Path:
    """hit@k for k = 1..K, one line per configuration."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, values in curves.items():
        ks = list(range(1, len(values) + 1))
        ax.plot(ks, values, marker="o", label=name)
    ax.set_xlabel("k (articles)")
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(distributions: Mapping[str, Sequence[float]], path: Path, title: str, unit: str = "ms") -> Path:
    """Latency distributions side by side (box plot with the points' spread)."""
    plt = _pyplot()
    names = [name for name, values in distributions.items() if len(values)]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 2), 4.2))
    if names:
        ax.boxplot([list(distributions[n]) for n in names], showfliers=True)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_scaling(sizes: Sequence[int], series: Mapping[str, Sequence[float]], path: Path, title: str, ylabel: str) -> Path:
    """Values against collection size on log-log axes (one line per series)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, values in series.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the collection")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
