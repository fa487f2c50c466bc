"""Type inference by unification, for the seed form's untyped values.

Every scalar value, untyped constant and memref element type is a node;
op rules unify nodes (same type) or fix them to a concrete type.  Nodes that
end without a concrete type take the default of the arithmetic applied to
them (integer ops → i32, float ops → f32), as docs/language.md says.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from avial2c.diagnostics import DiagnosticEngine
from avial2c.ir import F32, I32, ScalarType, Span

Key = Hashable

DEFAULTS = {"int": I32, "float": F32}


@dataclass
class _Class:
    concrete: ScalarType | None = None
    hint: str | None = None  # "int" or "float": the default when nothing fixes the type
    why: str = ""  # what fixed or hinted the type, for notes


class TypeSolver:
    def __init__(self, engine: DiagnosticEngine) -> None:
        self.engine = engine
        self._parent: dict[Key, Key] = {}
        self._classes: dict[Key, _Class] = {}

    def _find(self, key: Key) -> Key:
        if key not in self._parent:
            self._parent[key] = key
            self._classes[key] = _Class()
            return key
        root = key
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[key] != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def register(self, key: Key) -> None:
        self._find(key)

    def fix(self, key: Key, t: ScalarType, span: Span, what: str, why: str = "") -> None:
        """Key has type t; `what` describes the constraint for a mismatch message."""
        cls = self._classes[self._find(key)]
        if cls.concrete is None:
            cls.concrete, cls.why = t, why or cls.why
        elif cls.concrete != t:
            self.engine.error(f"type mismatch: {what}, found {cls.concrete} and {t}", span)

    def unify(self, a: Key, b: Key, span: Span, what: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        ca, cb = self._classes[ra], self._classes[rb]
        if ca.concrete is not None and cb.concrete is not None and ca.concrete != cb.concrete:
            self.engine.error(
                f"type mismatch: {what}, found {ca.concrete} and {cb.concrete}", span
            )
            return
        self._parent[rb] = ra
        ca.concrete = ca.concrete or cb.concrete
        ca.why = ca.why if ca.concrete is not None and ca.why else (ca.why or cb.why)
        if ca.hint is None:
            ca.hint = cb.hint
        del self._classes[rb]

    def hint(self, key: Key, kind: str, why: str) -> None:
        cls = self._classes[self._find(key)]
        if cls.hint is None:
            cls.hint = kind
            if not cls.why:
                cls.why = why

    def resolve(self, key: Key) -> tuple[ScalarType | None, str]:
        """The type of key (concrete, else its default), and why; None if undetermined."""
        cls = self._classes[self._find(key)]
        if cls.concrete is not None:
            return cls.concrete, cls.why
        if cls.hint is not None:
            return DEFAULTS[cls.hint], cls.why
        return None, ""

    def known(self, key: Key) -> bool:
        return key in self._parent
