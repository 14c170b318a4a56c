"""What an executable runbook is (pure): its front matter and its steps, each of one kind.

A runbook is Markdown an operator reads on any Git forge. Its steps are the fenced blocks whose info string
names a kind; every other block (``bash`` included) is prose:

- ``audit`` — a read-only shell script; it runs freely (the gate's classifier must agree it is read-only).
- ``change`` — a mutation, as a YAML mapping: ``run`` (the command), ``what`` (what it changes, in words),
  ``revert`` (a command, or ``none: …`` the words of what cannot be undone and what rebuilds it),
  ``verify`` and optionally ``pre_audit``; it goes through the gate (plan, approval, apply).
- ``assert`` — a cloudops check that must pass before the next step: ``layer:`` (hosts, deployment, data,
  apis, agents …) judged by ``assert`` — ``accept: PASS`` where a WARN must stop the run too (a model still
  settling), ``PASS, WARN`` by default — or ``command:`` a cloudops read-only command that must exit 0.
- ``manual`` — what a person does, in words; the run waits for them to confirm it.

A step is titled by the heading above it. Site facts are never typed in: ``{{ vip("keystone-internal") }}``,
``{{ hosts(role="kvm") }}`` and the like are resolved from the registry when the runbook is rendered
(``cloudops.runbooks.render``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from cloudops.health.layers import Layer


class StepKind(enum.StrEnum):
    AUDIT = "audit"
    CHANGE = "change"
    ASSERT = "assert"
    MANUAL = "manual"


#: The layers an ``assert`` step may name: ``cloudops assert``'s own (a test holds them equal).
LAYERS = tuple(layer.key for layer in Layer)
#: What a layer assert may accept; the default lets a WARN pass.
ACCEPT = {"PASS": frozenset({"PASS"}), "PASS, WARN": frozenset({"PASS", "WARN"})}

#: The keys each structured kind takes, and which of them it must have.
KEYS: dict[StepKind, tuple[frozenset[str], frozenset[str]]] = {
    StepKind.CHANGE: (
        frozenset({"run", "what", "revert", "verify", "pre_audit"}),
        frozenset({"run", "what", "revert", "verify"}),
    ),
    StepKind.ASSERT: (frozenset({"layer", "command", "why", "accept"}), frozenset()),
}


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # 1-based, in reading order
    kind: StepKind
    title: str  # the heading above the block
    slug: str
    line: int  # the fence's line in the file (1-based)
    body: str  # the block as written (templates unresolved)
    fields: dict[str, Any] = field(default_factory=dict)  # change and assert: the parsed mapping
    section: str = ""  # the heading above the step's own ("Shutdown"): consecutive changes group within it

    @property
    def ref(self) -> str:
        """How an operator names the step: ``3-ceph-set-noout``."""
        return f"{self.number}-{self.slug}"


@dataclass(frozen=True, slots=True)
class Preconditions:
    # A preflight PASS of this HEAD, journaled within this many hours (None: not required).
    preflight_within_hours: float | None = None


@dataclass(frozen=True, slots=True)
class Runbook:
    path: str  # relative to the ops repository
    title: str
    summary: str  # the first paragraph under the title
    preconditions: Preconditions
    steps: tuple[Step, ...]
    meta: dict[str, Any] = field(default_factory=dict)  # the rest of the front matter

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".md")

    @property
    def executable(self) -> bool:
        return bool(self.steps)

    def step(self, ref: str) -> Step:
        """A step by number (``3``), by ref (``3-ceph-set-noout``) or by slug (``ceph-set-noout``)."""
        for s in self.steps:
            if ref in (str(s.number), s.ref, s.slug):
                return s
        from cloudops.errors import InputError

        known = ", ".join(s.ref for s in self.steps) or "none"
        raise InputError(f"runbook {self.name} has no step {ref!r} (steps: {known})", field="--from")
