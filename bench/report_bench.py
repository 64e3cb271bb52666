"""`transcript-bot report` over a large usage log: wall time and peak RSS of the whole command.

    python -m bench.report_bench                 # 1,000,000 usage rows (the log is built once, then reused)
    python -m bench.report_bench --rows 100000

The report runs in its own process (`python -m bot report`), so its peak RSS is measured alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.usage_log import create, fill

REPO = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = 5.0
LIMIT_RSS_MB = 300.0


def main(argv: list[str] | None = None) -> int:
    """Build the log, run the report, print seconds and peak RSS; exit 1 when over the limits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "transcript-bot-report-bench")
    args = parser.parse_args(argv)
    database = args.dir / f"usage-{args.rows}.sqlite3"
    if not database.exists():
        args.dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        partial = database.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        create(partial)
        fill(partial, args.rows)
        partial.rename(database)
        print(f"built {args.rows:,} usage rows in {time.perf_counter() - started:.1f} s")
    out = args.dir / "report.html"
    env = {**os.environ, "BOT_DATABASE": str(database), "BOT_HASH_SALT": "bench-salt-0123456789"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bot", "report", "--out", str(out)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr.strip(), file=sys.stderr)
        return 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    size_kb = out.stat().st_size / 1024
    print(f"report over {args.rows:,} usage rows: {seconds:.2f} s ({cpu:.2f} CPU-s), peak RSS {rss_mb:.0f} MB, "
          f"page {size_kb:.0f} KB (limits {LIMIT_SECONDS:.0f} s, {LIMIT_RSS_MB:.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0 if seconds <= LIMIT_SECONDS and rss_mb <= LIMIT_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
