"""pycuda.driver on host memory (see __init__.py)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np


class Error(Exception):
    pass


class LogicError(Error):
    pass


def log(**record: Any) -> None:
    path = os.environ.get("FAKE_PYCUDA_LOG")
    if path:
        record["pid"] = os.getpid()
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


_state = {"init": False, "contexts": 0}


def init() -> None:
    _state["init"] = True
    log(call="init")


class Context:
    def pop(self) -> None:
        _state["contexts"] -= 1
        log(call="pop")

    @staticmethod
    def synchronize() -> None:
        if _state["contexts"] != 1:
            raise LogicError("synchronize without a current context")
        log(call="synchronize")


class Device:
    def __init__(self, n: int) -> None:
        if not _state["init"]:
            raise LogicError("cuInit has not been called")
        self.n = n

    @staticmethod
    def count() -> int:
        return int(os.environ.get("FAKE_PYCUDA_DEVICES", "1"))

    def make_context(self) -> Context:
        _state["contexts"] += 1
        log(call="make_context", device=self.n)
        return Context()


_allocations: list[DeviceAllocation] = []  # by address: int(a) is a pointer into a


class DeviceAllocation:
    def __init__(self, nbytes: int) -> None:
        self.data = np.zeros(nbytes, np.uint8)
        self.freed = False
        last = _allocations[-1] if _allocations else None
        self.address = (int(last) + len(last.data) + 4096) if last is not None else 1 << 20
        _allocations.append(self)

    def __int__(self) -> int:
        return self.address

    def free(self) -> None:
        self.freed = True
        log(call="free", bytes=len(self.data))


def _at(pointer: DeviceAllocation | int) -> tuple[DeviceAllocation, int]:
    """The allocation a device pointer points into, and its offset there."""
    if isinstance(pointer, DeviceAllocation):
        return pointer, 0
    for a in _allocations:
        if a.address <= pointer < a.address + max(len(a.data), 1):
            if a.freed:
                raise LogicError("a copy to or from a freed allocation")
            return a, pointer - a.address
    raise LogicError(f"no allocation at device address {pointer}")


def mem_alloc(nbytes: int) -> DeviceAllocation:
    if _state["contexts"] != 1:
        raise LogicError("mem_alloc without a current context")
    log(call="mem_alloc", bytes=nbytes)
    return DeviceAllocation(nbytes)


def memcpy_htod(dest: DeviceAllocation | int, src: np.ndarray) -> None:
    assert src.flags.c_contiguous
    raw = src.reshape(-1).view(np.uint8)
    a, off = _at(dest)
    assert off + len(raw) <= len(a.data), "a copy past the end of the allocation"
    a.data[off : off + len(raw)] = raw
    log(call="htod", bytes=len(raw), offset=off)


def memcpy_dtoh(dest: np.ndarray, src: DeviceAllocation | int) -> None:
    assert dest.flags.c_contiguous
    raw = dest.reshape(-1).view(np.uint8)
    a, off = _at(src)
    assert off + len(raw) <= len(a.data), "a copy past the end of the allocation"
    raw[...] = a.data[off : off + len(raw)]
    log(call="dtoh", bytes=len(raw), offset=off)
