"""callgrind_out: reading a callgrind output file (shared by the *_callgrind.py scripts).

Each of those scripts runs its workload twice under ``valgrind --tool=callgrind``
(two lengths) and divides the difference in instructions by the difference in
operations, so start-up cancels; this module is the part they all read back.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_LINE = re.compile(r"\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*)")


def total_instructions(out: Path) -> int:
    """The whole run's instruction count (the ``totals:``/``summary:`` line)."""
    return next(int(ln.split()[1]) for ln in out.read_text().splitlines()
                if ln.startswith(("totals:", "summary:")))


def functions(out: Path) -> dict[str, int]:
    """Self cost per function, from ``callgrind_annotate``."""
    text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", str(out)],
                          capture_output=True, text=True, check=True).stdout
    costs = {}
    for ln in text.splitlines():
        m = _LINE.match(ln)
        if m and ":" in m.group(2) and "=>" not in ln:
            costs[m.group(2).strip()] = int(m.group(1).replace(",", ""))
    return costs
