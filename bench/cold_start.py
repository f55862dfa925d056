"""Handler cold-start import time against `import boto3` alone (DESIGN.md s9 target: <= 1.2x).

Each measurement is a fresh interpreter (as a new Lambda container), median of N runs,
interleaved so machine load hits both alike.

    .venv/bin/python -m bench.cold_start [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {"AWS_DEFAULT_REGION": "us-east-1", "CONTACTS_TABLE": "c", "EVENTS_TABLE": "e", "HISTORY_TABLE": "h",
       "IMPORT_BUCKET": "b", "WORK_QUEUE_URL": "q", "LINK_SECRET_ARN": "s", "PATH": "/usr/bin:/bin"}
TIMER = "import time, importlib.util, sys; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"


def _load(path: Path) -> str:
    return (f"sys.path.insert(0, {str(path.parent)!r}); s = importlib.util.spec_from_file_location('app', {str(path)!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m)")


def _once(body: str) -> float:
    out = subprocess.run([sys.executable, "-c", TIMER.format(body=body)], env=ENV, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    samples: dict[str, list[float]] = {"boto3": []} | {h.parent.name: [] for h in handlers}
    for _ in range(args.runs):
        samples["boto3"].append(_once("import boto3"))
        for handler in handlers:
            samples[handler.parent.name].append(_once(_load(handler)))
    floor = statistics.median(samples["boto3"])
    print(f"{'import':<18} {'median ms':>10} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<18} {median * 1000:>10.1f} {median / floor:>6.2f}x")


if __name__ == "__main__":
    main()
