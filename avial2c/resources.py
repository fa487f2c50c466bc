"""Where the files that ship beside the package live.

``grammar/``, ``templates/`` and ``runtime_c/`` stay at the top of the
repository; an installed copy of avial2c carries them as package data.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "avial.lark"
TEMPLATES = ROOT / "templates"
RUNTIME = ROOT / "runtime_c"
