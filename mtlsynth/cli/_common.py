"""What the commands share: messages on stderr, tables of measures, options."""

from __future__ import annotations

import sys

__all__ = ["holdout", "log", "table"]

_COLUMNS = (
    ("mcd_db", "MCD dB"),
    ("f0_rmse_hz", "F0 RMSE Hz"),
    ("vuv_error_pct", "V/UV %"),
    ("bap_db", "BAP dB"),
    ("dur_rmse_ms", "dur RMSE ms"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(results: dict[str, dict[str, float]]) -> str:
    head = f"{'dialect':16s}" + "".join(f"{title:>13s}" for _, title in _COLUMNS)
    lines = [head]
    for dialect, values in results.items():
        lines.append(
            f"{dialect:16s}" + "".join(f"{values[k]:13.2f}" for k, _ in _COLUMNS)
        )
    if len(results) > 1:
        mean = {
            k: sum(v[k] for v in results.values()) / len(results) for k, _ in _COLUMNS
        }
        lines.append(f"{'mean':16s}" + "".join(f"{mean[k]:13.2f}" for k, _ in _COLUMNS))
    return "\n".join(lines)


def holdout(value: str) -> float | int:
    number = float(value)
    return int(number) if number >= 1 else number
