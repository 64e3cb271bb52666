"""Every benchmark, as `make bench` runs them: search quality beside the baselines, search speed and scale, and
(when their modules are present) command throughput and daily broadcasts in their quick modes.

    python -m bench.run_all            # search benchmarks in full (about a minute), the others quick
    python -m bench.run_all --quick    # search speed on 1 and 100 talks only
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def steps(quick: bool) -> list[tuple[str, list[str]]]:
    """(title, module and arguments) of every benchmark to run."""
    sizes = ["--sizes", "1", "100", "--rounds", "1"] if quick else []
    return [
        ("Search quality beside the baselines", ["bench.baselines"]),
        ("Search speed and scale", ["bench.search_bench", *sizes]),
        ("Command throughput (quick)", ["bench.throughput", "--seconds", "3"]),
        ("Daily broadcast (quick)", ["bench.broadcast", "--count", "200"]),
        ("Import of a three-hour caption file", ["bench.import_bench"]),
        ("Live reload", ["bench.reload_bench", "--talks", "100" if quick else "1000"]),
        ("Owner's report", ["bench.report_bench", "--rows", "100000" if quick else "1000000"]),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run each benchmark in its own process; exit 1 when any of them failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller search corpora")
    args = parser.parse_args(argv)
    failed: list[str] = []
    for title, command in steps(args.quick):
        module = command[0]
        if not (REPO / Path(*module.split("."))).with_suffix(".py").exists():
            print(f"## {title}\n\n(skipped: {module} is not there)\n", flush=True)
            continue
        print(f"## {title}\n", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", *command], cwd=REPO, check=False).returncode
        print(f"\n({module}: {time.perf_counter() - started:.0f} s, exit {code})\n", flush=True)
        if code:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
