"""pycuda.compiler.SourceModule that compiles nothing and runs no kernel (see __init__.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from pycuda.driver import DeviceAllocation, LogicError, log


class Function:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, grid: tuple[int, ...], block: tuple[int, ...]) -> None:
        kinds = []
        for a in args:
            if isinstance(a, DeviceAllocation):
                if a.freed:
                    raise LogicError("a freed allocation passed to a kernel")
                kinds.append("pointer")
            elif isinstance(a, np.int64):
                kinds.append("int64")
            else:
                raise LogicError(f"kernel argument of type {type(a).__name__}")
        log(call="launch", name=self.name, grid=list(grid), block=list(block), args=kinds)


class SourceModule:
    def __init__(self, source: str, options: list[str] | None = None, no_extern_c: bool = False,
                 include_dirs: list[str] | None = None, **kw: Any) -> None:  # fmt: skip
        headers = re.findall(r'#include "([^"]+)"', source)
        found = all(any((Path(d) / h).is_file() for d in include_dirs or []) for h in headers)
        self.names = set(re.findall(r'extern "C" __global__ void (\w+)\(', source))
        log(call="SourceModule", options=options or [], no_extern_c=no_extern_c,
            headers_found=found, kernels=sorted(self.names))  # fmt: skip

    def get_function(self, name: str) -> Function:
        if name not in self.names:
            raise LogicError(f"cuModuleGetFunction failed: named symbol not found: {name}")
        return Function(name)
