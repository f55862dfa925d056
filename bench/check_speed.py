"""Benchmark of `guestlist check` (DESIGN.md s9): our read_workbook against its floor and openpyxl.

    python -m bench.check_speed [--rows 100000] [--memory-rows 10000,100000,200000]

(a) read_workbook, the whole check path; (b) the floor: a bare python-calamine read of the same
file plus the same email-validator and phonenumbers calls on the same cells; (c) a bare openpyxl
read-only values pass. Each workbook is generated once and cached in the temp directory.
Peak memory is the max RSS of a fresh subprocess running (a) alone (it includes calamine's Rust heap).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADERS = (
    "Identifier", "E-Mail", "Mobile", "Vorname", "Nachname", "Firma",
    "PLZ", "Ort", "Strasse", "Sprache", "Job title", "Diet",
)
FIRST = ("Anna", "Luca", "Marie", "Jonas", "Sofia", "Noah", "Lea", "Elias", "Chiara", "Louis")
LAST = ("Müller", "Rossi", "Favre", "Meier", "Bianchi", "Dubois", "Keller", "Weber", "Bernasconi", "Girard")
CITIES = (("Zürich", 8001), ("Genève", 1201), ("Lugano", 6900), ("Bern", 3011), ("Lausanne", 1003))
LANGS = ("de", "fr", "it", "en", "Deutsch", "FR", "fr-CH")


def workbook_path(rows: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "guestlist-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"check-{rows}x12.xlsx"
    if not path.exists():
        _generate(path, rows)
    return path


def _generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Guests")
    sheet.append(HEADERS)
    for i in range(rows):
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        city, zip_code = CITIES[i % 5]
        sheet.append(
            [
                f"C{i:07d}",
                f"{first.lower()}.{last.lower()}{i}@example{i % 50}.ch",
                f"+41 79 {i % 1000:03d} {i // 1000 % 100:02d} {i % 97:02d}",
                first,
                last,
                f"Company {i % 300}",
                zip_code,
                city,
                f"Bahnhofstrasse {i % 200 + 1}",
                LANGS[i % len(LANGS)],
                "Manager" if i % 3 else "Engineer",
                "vegetarian" if i % 4 == 0 else "none",
            ]
        )
    tmp = path.with_suffix(".tmp")
    book.save(tmp)
    tmp.rename(path)


def run_ours(path: Path) -> int:
    from guestlist.workbook import read_workbook

    report = read_workbook(path)
    # every generated row is valid: ours then makes the same validation calls as the floor
    assert report.status == "valid" and not report.issues, (report.error, report.issues[:3])
    return len(report.rows)


def run_floor(path: Path) -> int:
    """The floor: calamine values plus the same validation calls on the same cells, nothing else."""
    import phonenumbers
    from email_validator import validate_email
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).iter_rows()
    next(rows)
    count = 0
    e164 = phonenumbers.PhoneNumberFormat.E164
    for row in rows:
        validate_email(row[1], check_deliverability=False)
        number = phonenumbers.parse(row[2], "CH")
        phonenumbers.is_valid_number(number)
        phonenumbers.format_number(number, e164)
        count += 1
    return count


def run_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    count = 0
    for _row in book.worksheets[0].iter_rows(min_row=2, values_only=True):
        count += 1
    book.close()
    return count


def timed(fn, path: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, rows)."""
    wall, cpu = time.perf_counter(), time.process_time()
    rows = fn(path)
    return time.perf_counter() - wall, time.process_time() - cpu, rows



def _peak_rss_kb() -> int:
    # ru_maxrss survives exec on Linux (the child would report the parent's peak): prefer VmHWM.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory_mb(rows: int) -> float:
    """Max RSS of a fresh interpreter that runs read_workbook once."""
    path = workbook_path(rows)
    out = subprocess.run(
        [sys.executable, "-m", "bench.check_speed", "--memory-probe", str(path)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout)["max_rss_mb"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and of the floor (best counts)")
    parser.add_argument("--memory-rows", default="10000,100000,200000")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_probe:
        run_ours(Path(args.memory_probe))
        print(json.dumps({"max_rss_mb": _peak_rss_kb() / 1024}))
        return 0

    path = workbook_path(args.rows)
    size_mb = os.path.getsize(path) / 1024**2
    print(f"workbook: {args.rows} rows x 12 columns, {size_mb:.1f} MB ({path})")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    # Ours and the floor alternate, best of --repeat each, so a busy moment hits both alike.
    # Ratios use CPU time (this process only): on a shared machine wall time mostly measures
    # the neighbours; wall time is printed too.
    wall = {"ours": float("inf"), "floor": float("inf")}
    cpu = dict(wall)
    for _ in range(args.repeat):
        for name, fn in (("ours", run_ours), ("floor", run_floor)):
            seconds, cpu_seconds, rows = timed(fn, path)
            assert rows == args.rows, (name, rows)
            wall[name] = min(wall[name], seconds)
            cpu[name] = min(cpu[name], cpu_seconds)
    wall["openpyxl"], cpu["openpyxl"], rows = timed(run_openpyxl, path)
    assert rows == args.rows
    rate = {name: args.rows / seconds for name, seconds in cpu.items()}
    for name in cpu:
        print(
            f"  {name:<9} cpu {cpu[name]:6.2f} s  {rate[name]:9,.0f} rows/s"
            f"   (wall {wall[name]:6.2f} s  {args.rows / wall[name]:9,.0f} rows/s)"
        )
    floor_ratio = rate["ours"] / rate["floor"]
    openpyxl_ratio = rate["ours"] / rate["openpyxl"]
    print(f"  ours/floor    = {floor_ratio:.2f}x (target >= 0.8)  {'OK' if floor_ratio >= 0.8 else 'MISSED'}"
          f"   [wall {wall['floor'] / wall['ours']:.2f}x]")
    print(f"  ours/openpyxl = {openpyxl_ratio:.2f}x (target >= 1.0)  {'OK' if openpyxl_ratio >= 1.0 else 'MISSED'}"
          f"   [wall {wall['openpyxl'] / wall['ours']:.2f}x]")
    for rows in (int(n) for n in args.memory_rows.split(",") if n):
        mb = peak_memory_mb(rows)
        print(f"  peak memory at {rows:>7,} rows: {mb:6.0f} MB (max RSS of the process; target <= 400 MB at 200,000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
