"""Handler cold-start import time against `import boto3` alone (DESIGN.md s9 target: <= 1.2x).

Each measurement is a fresh interpreter (as a new Lambda container), median of N runs,
interleaved so machine load hits both alike.

    .venv/bin/python -m bench.cold_start [--runs 15] [--lambda] [--root DIR] [--before DIR] [--clock cpu] [--only NAME]
                                         [--env dev]

--env layer (the default) measures with what deploys: the Lambda layer's pinned packages
(shared/requirements.txt, installed once into .bench/layer) and an interpreter whose site-packages is
empty, as in Lambda; the dev venv also holds the test and local-stack tools, and PynamoDB imports one of
them (blinker, Flask's, 2.4 M instructions) when it finds it. --env dev measures in the dev venv.

--lambda sets LAMBDA_TASK_ROOT as Lambda does, so the handlers build the real Powertools Tracer
(X-Ray SDK, botocore patched); without it they get the no-op stand-in, as the local stack does.
--root measures the functions/ and shared/ of another checkout (e.g. `git archive` of an older commit);
--before DIR measures another checkout in the same run too, interleaved, for a before/after on a busy machine.
--clock cpu times the interpreter's CPU time (time.process_time) instead of the wall clock: on a shared,
loaded machine the wall clock also counts the time other processes hold the cores, CPU time much less so.
--clock instructions counts the instructions the import executes (valgrind's callgrind, minus those of an
interpreter that imports nothing): the same on a loaded machine as on a quiet one, so one run is enough
to compare two versions of the code; it leaves out file reads and cache misses, so it is a proxy for time.
Both processes end with os._exit once imported, as the other clocks stop there: Lambda never tears an
interpreter down between requests, and the teardown (Py_FinalizeEx) is not cold start. Until 2026-12-02
the count included it (~50 M instructions for boto3, more for a handler with more modules), which put
every ratio about 0.01 higher; RESULTS.md's earlier tables were measured so.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import venv
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {"AWS_DEFAULT_REGION": "us-east-1", "CONTACTS_TABLE": "c", "EVENTS_TABLE": "e", "HISTORY_TABLE": "h",
       "IMPORT_BUCKET": "b", "WORK_QUEUE_URL": "q", "LINK_SECRET_ARN": "s", "PATH": "/usr/bin:/bin"}
TIMER = "import time, importlib.util, sys; t = time.{clock}(); {body}; print(time.{clock}() - t)"
CLOCKS = {"wall": "perf_counter", "cpu": "process_time", "instructions": ""}
PREAMBLE = "import time, importlib.util, sys"
BENCH = ROOT / ".bench"
PYTHON = [sys.executable]  # the interpreter measured: the dev venv's, or (--env layer) one without site-packages


def _layer() -> Path:
    """The Lambda layer's packages at their pinned versions, and a bare interpreter (installed once)."""
    pinned = ROOT / "shared" / "requirements.txt"
    requirements = pinned.read_text()
    layer, stamp = BENCH / "layer", BENCH / "layer.requirements"
    if not stamp.exists() or stamp.read_text() != requirements:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target", str(layer),
                        "-r", str(pinned)], check=True)
        venv.EnvBuilder(with_pip=False, clear=True).create(BENCH / "python")
        stamp.write_text(requirements)
    PYTHON[:] = [str(BENCH / "python" / "bin" / "python")]
    return layer


def _load(path: Path) -> str:
    return (f"sys.path.insert(0, {str(path.parent)!r}); s = importlib.util.spec_from_file_location('app', {str(path)!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m)")


def _instructions(code: str, env: dict) -> float:
    code = f"{code}; import os; os._exit(0)"  # import only: no teardown (see the module docstring)
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *PYTHON, "-c", code],
                         env=dict(env, PYTHONHASHSEED="0"), capture_output=True, text=True, check=True)
    return float(re.search(r"Collected : (\d+)", out.stderr).group(1))


@cache
def _preamble(env: tuple) -> float:
    return _instructions(PREAMBLE, dict(env))


def _once(body: str, env: dict | None = None, clock: str = "wall") -> float:
    if clock == "instructions":  # reported in the "ms" column as millions of instructions
        env = env or ENV
        return (_instructions(f"{PREAMBLE}; {body}", env) - _preamble(tuple(sorted(env.items())))) / 1e9
    code = TIMER.format(body=body, clock=CLOCKS[clock])
    out = subprocess.run([*PYTHON, "-c", code], env=env or ENV, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--lambda", dest="in_lambda", action="store_true", help="Measure as inside Lambda (real Tracer).")
    parser.add_argument("--root", type=Path, default=ROOT, help="Checkout whose functions/ and shared/ are measured.")
    parser.add_argument("--only", action="append", default=[], metavar="FUNCTION", help="Measure these functions only.")
    parser.add_argument("--before", type=Path, help="Another checkout measured in the same run, interleaved (ratio in a last column).")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall clock (default) or CPU time.")
    parser.add_argument("--env", choices=("layer", "dev"), default="layer",
                        help="the Lambda layer's packages in a bare interpreter (default), or the dev venv")
    args = parser.parse_args()
    env = dict(ENV)
    if args.env == "layer":
        env["PYTHONPATH"] = str(_layer())
    if args.in_lambda:
        env.update({"LAMBDA_TASK_ROOT": "/var/task", "AWS_LAMBDA_FUNCTION_NAME": "bench", "POWERTOOLS_SERVICE_NAME": "guestlist"})
    roots = {"": args.root} | ({"before": args.before} if args.before else {})
    layer = [env["PYTHONPATH"]] if args.env == "layer" else []
    # a checkout's shared/ first: ahead of the layer, and of the dev venv's editable install of this one
    envs = {label: dict(env, PYTHONPATH=":".join([str(root / "shared"), *layer])) if root != ROOT or layer else env
            for label, root in roots.items()}
    names = [h.parent.name for h in sorted((args.root / "functions").glob("*/app.py")) if not args.only or h.parent.name in args.only]
    samples: dict[tuple[str, str], list[float]] = {("boto3", ""): []}
    _once("import boto3", env, "wall")  # not counted: a first import writes the bytecode caches
    for name in names:
        for label, root in roots.items():
            if (root / "functions" / name / "app.py").exists():
                _once(_load(root / "functions" / name / "app.py"), envs[label], "wall")
    for _ in range(args.runs):
        samples[("boto3", "")].append(_once("import boto3", env, args.clock))
        for name in names:
            for label, root in roots.items():
                handler = root / "functions" / name / "app.py"
                if handler.exists():
                    samples.setdefault((name, label), []).append(_once(_load(handler), envs[label], args.clock))
    # The median, and beside it the least-disturbed run (min): on a shared machine a run is only ever slowed
    # by others, and single runs here vary by a third, so the minimum is the steadier estimate of the cost.
    floor, least = statistics.median(samples[("boto3", "")]), min(samples[("boto3", "")])
    print(f"{'import':<18} {'median ms':>10} {'ratio':>7} {'min':>7}" + (f" {'before':>7} {'min':>7}" if args.before else ""))
    for name in ["boto3", *names]:
        mine, before = samples[(name, "")], samples.get((name, "before"))
        print(f"{name:<18} {statistics.median(mine) * 1000:>10.1f} {statistics.median(mine) / floor:>6.2f}x {min(mine) / least:>6.2f}x"
              + (f" {statistics.median(before) / floor:>6.2f}x {min(before) / least:>6.2f}x" if before else ""))

if __name__ == "__main__":
    main()
