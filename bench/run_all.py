"""Run every benchmark (``make bench``); each prints its ratio against its named baseline.

python bench/run_all.py [NAME ...]     # e.g. probe uas
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["world", "probe", "uas", "prune", "pretrain", "blimp"]


def main() -> int:
    names = sys.argv[1:] or BENCHES
    failed = []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"== {name}: no {script.name}, skipped")
            continue
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)])
        print(f"== {name}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
