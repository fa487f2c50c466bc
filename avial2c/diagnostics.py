"""Diagnostics in the style of MLIR and clang.

    FILE:LINE:COL: error: MESSAGE
    <the source line>
    <spaces>^~~~

A stage reports through a :class:`DiagnosticEngine`; a fatal problem raises
:class:`CompileError` (the driver prints what was collected and exits 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from avial2c.ir import Span

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    span: Span
    # Stable identifier of a warning kind, e.g. "unused-access"; "" for errors.
    id: str = ""

    def render(self, source_lines: list[str] | None) -> str:
        head = f"{self.span.file}:{self.span.line}:{self.span.col}: {self.severity}: {self.message}"
        if self.id:
            head += f" [-W{self.id}]"
        if source_lines is None or not 1 <= self.span.line <= len(source_lines):
            return head
        text = source_lines[self.span.line - 1].rstrip("\n").expandtabs(1)
        col = max(1, min(self.span.col, len(text) + 1))
        if self.span.end_line == self.span.line and self.span.end_col > self.span.col:
            width = max(1, min(self.span.end_col, len(text) + 1) - col)
        else:
            width = 1
        return f"{head}\n{text}\n{' ' * (col - 1)}^{'~' * (width - 1)}"


class CompileError(Exception):
    """A fatal error; the diagnostic has not been reported to the engine yet."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic("error", message, span)


@dataclass
class DiagnosticEngine:
    source: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic("error", message, span))

    def warning(self, message: str, span: Span, id: str) -> None:
        self.diagnostics.append(Diagnostic("warning", message, span, id))

    def note(self, message: str, span: Span, id: str = "") -> None:
        self.diagnostics.append(Diagnostic("note", message, span, id))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def render(
        self, verbose: bool = True, quiet: bool = False, disabled: frozenset[str] = frozenset()
    ) -> str:
        """Errors always; warnings unless QUIET or their id is DISABLED
        (-Wno-ID); notes one by one when VERBOSE, else one summary line per
        kind and file, none when QUIET or disabled."""
        lines = self.source.splitlines() if self.source else None
        out: list[str] = []
        grouped: dict[tuple[str, str], list[Diagnostic]] = {}
        for d in self.diagnostics:
            shown = d.severity == "error" or not (quiet or d.id in disabled)
            if not shown:
                continue
            if d.severity == "note" and not verbose:
                grouped.setdefault((d.span.file, d.id), []).append(d)
                continue
            out.append(d.render(lines))
        for (file, id), notes in grouped.items():
            if len(notes) == 1:
                out.append(notes[0].render(lines))
                continue
            what = NOTE_SUMMARIES.get(id, "{n} notes").format(n=len(notes))
            tag = f" [-W{id}]" if id else ""
            out.append(f"{file}: note: {what} (-v shows each){tag}")
        return "\n".join(out)


# One line for many notes of a kind, when not verbose.
NOTE_SUMMARIES = {"inferred-type": "inferred the types of {n} memrefs from their uses"}
