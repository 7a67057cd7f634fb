"""Run every `benchmarks/bench_*.py` in its own process and pass its BENCH lines through.

Each benchmark needs its own Django settings and real components, so one process per module
keeps them from disturbing each other. `python -m benchmarks mongodb` runs only matching ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if any(word in m for word in argv)]
    failed = []
    for module in modules:
        print(f"# {module}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{module}"], cwd=here.parent)
        if code:
            failed.append(module)
    if failed:
        print(f"# benchmarks that could not run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
