"""Where the files that ship beside the package live.

``grammar/``, ``templates/`` and ``runtime_c/`` stay at the top of the
repository.  In a checkout (or an editable install) they are found there; an
installed wheel carries them as the package data ``avial2c.grammar``,
``avial2c.templates`` and ``avial2c.runtime_c`` (pyproject.toml).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shipped(folder: str, probe: str) -> Path:
    """The folder FOLDER of the repository, or its copy in the installed package
    (PROBE, a file in it, tells a checkout's folder from an unrelated one)."""
    beside = ROOT / folder
    if (beside / probe).is_file():
        return beside
    # The data folders hold no __init__.py: namespace packages, found by their spec.
    spec = find_spec(f"avial2c.{folder}")
    for place in (spec.submodule_search_locations or []) if spec else []:
        if (Path(place) / probe).is_file():
            return Path(place)
    return beside  # not found: the error names the path in the repository


GRAMMAR = shipped("grammar", "avial.lark") / "avial.lark"
TEMPLATES = shipped("templates", "program.c.j2")
RUNTIME = shipped("runtime_c", "avial_rt.h")
