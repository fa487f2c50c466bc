"""The --trace file: Chrome trace-event JSON that Perfetto and chrome://tracing open.

* Each rank is one thread (tid = rank) of one process.
* Every send and every receive is a complete ("X") slice of category
  "send"/"recv" with args peer, tag and bytes; it covers the posting of the
  message only, and the MPI_Waitall that completes a level's messages is a
  "wait" slice after them, so the message slices of one rank never overlap
  (drawn until the end of the wait they would stack as if nested), nor
  overlap a host <-> GPU copy made between two of them.
* A flow arrow joins each send to the receive that matches it: a flow start
  ("s") inside the send's slice and a flow end ("f", "bp": "e", bound to the
  enclosing slice) inside the receive's slice, with the same id, category
  and name.  The k-th send from rank s to rank d with tag t matches the k-th
  receive on d from s with tag t (MPI does not let them overtake).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e import EXAMPLES, build_example, load, mpirun
from markers import needs_mpi

Event = dict[str, Any]

# Examples whose 2-rank runs move data: halo exchanges in a time loop (the
# same peers and tags in every iteration) and a GPU result copied to the
# host right before it is sent.
TRACED = ["jacobi_loop.mlir", "pipeline.mlir", "split_broadcast.mlir"]


def inside(e: Event, ts: float) -> bool:
    return float(e["ts"]) <= ts <= float(e["ts"]) + float(e["dur"])


def check_flows(events: list[Event]) -> int:
    """Asserts the module's rules on EVENTS; the number of messages."""
    slices = [e for e in events if e["ph"] == "X"]
    messages = [e for e in slices if e["cat"] in ("send", "recv")]
    flows = [e for e in events if e["ph"] in ("s", "f")]
    # Each message slice holds exactly one flow event of the right kind.
    by_id: dict[int, dict[str, Event]] = {}
    for m in messages:
        want = "s" if m["cat"] == "send" else "f"
        mine = [f for f in flows if f["tid"] == m["tid"] and inside(m, float(f["ts"]))]
        assert [f["ph"] for f in mine] == [want], (m, mine)
        (flow,) = mine
        assert flow["cat"] == "message" and flow["name"] == "message" and flow["pid"] == m["pid"]
        if want == "f":
            assert flow["bp"] == "e"
        by_id.setdefault(int(flow["id"]), {})[m["cat"]] = m
    assert len(flows) == len(messages)
    # Each id joins one send to its receive: same bytes and tag, peers swapped.
    ids = Counter((int(f["id"]), f["ph"]) for f in flows)
    assert set(ids.values()) == {1} and len(ids) == 2 * len(by_id)
    for pair in by_id.values():
        send, recv = pair["send"], pair["recv"]
        assert (send["tid"], send["args"]["peer"]) == (recv["args"]["peer"], recv["tid"])
        assert send["args"]["tag"] == recv["args"]["tag"]
        assert send["args"]["bytes"] == recv["args"]["bytes"]
    # The k-th send from s to d with tag t goes to the k-th such receive.
    for kind, me, other in (("send", "tid", "peer"), ("recv", "peer", "tid")):
        order: dict[tuple[int, int, int], list[int]] = {}
        for m in sorted((e for e in messages if e["cat"] == kind), key=lambda e: e["ts"]):
            src = m["tid"] if me == "tid" else m["args"]["peer"]
            dst = m["args"]["peer"] if other == "peer" else m["tid"]
            flow_id = next(
                int(f["id"]) for f in flows if f["tid"] == m["tid"] and inside(m, float(f["ts"]))
            )
            order.setdefault((src, dst, m["args"]["tag"]), []).append(flow_id)
        if kind == "send":
            sent = order
        else:
            assert order == sent
    # Messages, waits and host <-> GPU copies of one rank never overlap.
    for rank in {e["tid"] for e in slices}:
        spans = sorted(
            (float(e["ts"]), float(e["ts"]) + float(e["dur"]))
            for e in slices
            if e["tid"] == rank and e["cat"] in ("send", "recv", "wait", "h2d", "d2h")
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 0.0015, f"rank {rank}: overlapping message slices"
    return len(by_id)


@needs_mpi
@pytest.mark.parametrize("name", TRACED)
def test_every_send_flows_to_its_receive(name: str, tmp_path: Path) -> None:
    exe = build_example(load(EXAMPLES / name), tmp_path, "barrier")
    trace = tmp_path / "trace.json"
    run = mpirun(exe, 2, ["--trace", str(trace)])
    assert run.returncode == 0, run.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    assert check_flows(events) > 0
    assert {e["cat"] for e in events if e["ph"] == "X"} >= {"task", "send", "recv", "wait"}


def test_the_checker_catches_a_missing_or_crossed_arrow() -> None:
    def slice_(cat: str, tid: int, ts: float, peer: int) -> Event:
        return {"ph": "X", "cat": cat, "name": cat, "pid": 0, "tid": tid, "ts": ts, "dur": 2.0,
                "args": {"peer": peer, "tag": 0, "bytes": 8}}  # fmt: skip

    def flow(ph: str, tid: int, ts: float, flow_id: int) -> Event:
        e: Event = {"ph": ph, "cat": "message", "name": "message", "pid": 0, "tid": tid,
                    "ts": ts, "id": flow_id}  # fmt: skip
        if ph == "f":
            e["bp"] = "e"
        return e

    good = [slice_("send", 0, 0, 1), flow("s", 0, 1, 1), slice_("send", 0, 3, 1),
            flow("s", 0, 4, 2), slice_("recv", 1, 0, 0), flow("f", 1, 1, 1),
            slice_("recv", 1, 3, 0), flow("f", 1, 4, 2)]  # fmt: skip
    assert check_flows(good) == 2
    crossed = [*good[:5], flow("f", 1, 1, 2), good[6], flow("f", 1, 4, 1)]
    with pytest.raises(AssertionError):
        check_flows(crossed)
    with pytest.raises(AssertionError):
        check_flows(good[:-1])
