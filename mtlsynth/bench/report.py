"""Tables and plots of the speech benchmark's results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mtlsynth.bench.methods import METHODS
from mtlsynth.plotting import plot_task_similarity

__all__ = []


def _pivot(records, value, keep) -> tuple[list, list, dict]:
    """Mean of ``value`` per (method, level) over the records ``keep`` accepts."""
    cells: dict[tuple[str, int], list] = {}
    for r in records:
        if keep(r):
            cells.setdefault((r["method"], r["target_level"]), []).append(value(r))
    methods = [m for m in METHODS if any(k[0] == m for k in cells)]
    levels = sorted({k[1] for k in cells})
    return methods, levels, {k: float(np.mean(v)) for k, v in cells.items()}


def _table(records, value, keep, fmt="{:.2f}") -> list[str]:
    methods, levels, cells = _pivot(records, value, keep)
    lines = [
        "| method | " + " | ".join(str(n) for n in levels) + " |",
        "|---|" + "---|" * len(levels),
    ]
    for m in methods:
        row = [fmt.format(cells[m, n]) if (m, n) in cells else "" for n in levels]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    return lines


def markdown_report(records: list[dict], target: str) -> str:
    """Markdown tables of a benchmark's records.

    Parameters
    ----------
    records : list of dict
        Records of ``results.json`` (one per method, level and dialect).
    target : str
        The dialect whose training data were reduced.

    Returns
    -------
    str
        The tables: the target's measures per method and level, the gain of
        each method over independent models, and the other dialects' mean.
    """
    is_target = lambda r: r["dialect"] == target  # noqa: E731
    others = lambda r: r["dialect"] != target  # noqa: E731
    lines = [
        "# mtlsynth speech benchmark",
        "",
        f"Target dialect {target}; columns: its training utterances (the other "
        "dialects keep all of theirs; the last column is every dialect at full "
        "size). Held-out sentences of every dialect, reference durations.",
    ]
    for key, title in (
        ("mcd_db", "MCD (dB)"),
        ("f0_rmse_hz", "F0 RMSE (Hz)"),
        ("vuv_error_pct", "V/UV error (%)"),
        ("bap_db", "BAP distortion (dB)"),
        ("dur_rmse_ms", "duration RMSE (ms)"),
    ):
        lines += ["", f"## {title}, target dialect", ""]
        lines += _table(records, lambda r, k=key: r[k], is_target)
    lines += ["", "## MCD gain over independent models, target dialect (dB)", ""]
    base = {
        (r["target_level"], r["dialect"]): r["mcd_db"]
        for r in records
        if r["method"] == "independent"
    }
    paired = [r for r in records if (r["target_level"], r["dialect"]) in base]
    gain = lambda r: base[r["target_level"], r["dialect"]] - r["mcd_db"]  # noqa: E731
    lines += _table(paired, gain, is_target, "{:+.2f}")
    lines += [
        "",
        "## MCD gain over independent models, mean of the other dialects (dB)",
        "",
    ]
    lines += _table(paired, gain, others, "{:+.3f}")
    levels = sorted({r["target_level"] for r in records})
    if levels:
        full = levels[-1]
        lines += ["", f"## MCD per dialect, every dialect at full size ({full})", ""]
        dialects = sorted({r["dialect"] for r in records})
        lines += ["| method | " + " | ".join(dialects) + " | mean |"]
        lines += ["|---|" + "---|" * (len(dialects) + 1)]
        for m in METHODS:
            row = {
                r["dialect"]: r["mcd_db"]
                for r in records
                if r["method"] == m and r["target_level"] == full
            }
            if row:
                cells = [f"{row[d]:.2f}" if d in row else "" for d in dialects]
                mean = f"{np.mean(list(row.values())):.3f}"
                lines.append(f"| {m} | " + " | ".join(cells) + f" | {mean} |")
    lines += ["", "## Fit time of the final models (s)", ""]
    lines += _table(records, lambda r: r["fit_s"], is_target, "{:.1f}")
    lines += ["", "## Cross-validation time (s)", ""]
    lines += _table(records, lambda r: r["cv_s"], is_target, "{:.0f}")
    return "\n".join(lines) + "\n"


def write_plots(records: list[dict], target: str, out: Path) -> None:
    """Learning curves and the dialects' clustered similarity (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    methods, levels, cells = _pivot(
        records, lambda r: r["mcd_db"], lambda r: r["dialect"] == target
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in methods:
        xs = [n for n in levels if (m, n) in cells]
        ax.plot(xs, [cells[m, n] for n in xs], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xlabel(f"training utterances of {target}")
    ax.set_ylabel("MCD (dB)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "learning_curves.png", dpi=120)
    plt.close(fig)
    sim_path = out / "dialect_similarity.json"
    if sim_path.is_file():
        sim = json.loads(sim_path.read_text(encoding="utf-8"))
        ax = plot_task_similarity(
            (sim["dialects"], sim["cosine"]),
            title="cosine similarity of the dialect parts V_t",
        )
        ax.figure.savefig(out / "dialect_similarity.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
