"""Changes, plans and approvals as pure data (frozen pydantic models), hashed over one canonical JSON form.

A :class:`Change` says what will run (a shell command or an API action), against what (a target named
by stable identity), what it changes in plain words, its class, a read-only pre-audit with the state it
observed when the plan was made, a verification, and a revert. A :class:`Plan` is the ordered changes;
its hash is the sha256 of its canonical JSON. An :class:`Approval` binds a person's yes to that hash and
to the change ids, each destructive or secret-handling change confirmed on its own.
"""

from __future__ import annotations

import enum
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from cloudops.journal.chain import canonical

PLAN_FORMAT = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _omit_when_none(data: Any, *names: str) -> Any:
    """Drop optional keys that are not set, so that a field added later leaves the canonical JSON (and
    so the hash) of every plan that does not use it unchanged: an approved plan stays approved."""
    if isinstance(data, dict):
        for name in names:
            if data.get(name) is None:
                data.pop(name, None)
    return data


class _Hashed(_Frozen):
    """A document a signature or an approval binds: hashed over its one canonical JSON form (sorted keys,
    no spaces, aliases, UTF-8), so the same content always gives the same sha256."""

    def canonical(self) -> bytes:
        return canonical(self.model_dump(mode="json", by_alias=True))  # the journal's form: one for all

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class ChangeClass(enum.StrEnum):
    READ_ONLY = "read-only"
    MUTATING = "mutating"
    SECRET = "secret-handling"
    DESTRUCTIVE = "destructive"

    @property
    def rank(self) -> int:
        return list(ChangeClass).index(self)

    @property
    def individual(self) -> bool:
        """Destructive and secret-handling changes are confirmed one by one, never in a batch."""
        return self in (ChangeClass.SECRET, ChangeClass.DESTRUCTIVE)

    @staticmethod
    def worst(classes: list[ChangeClass]) -> ChangeClass:
        return max(classes, key=lambda c: c.rank, default=ChangeClass.READ_ONLY)


class ShellAction(_Frozen):
    """A command: an argument vector run without a shell, or — only when the operator gave one — a shell
    string run by ``/bin/sh -c``."""

    type: Literal["shell"] = "shell"
    argv: tuple[str, ...] | None = None
    shell: str | None = None
    timeout: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _one_form(self) -> ShellAction:
        if (self.argv is None) == (self.shell is None):
            raise ValueError("give exactly one of argv (a list) or shell (a string)")
        if self.argv is not None and not self.argv:
            raise ValueError("argv is empty")
        return self

    def display(self) -> str:
        import shlex

        if self.argv is not None:
            return shlex.join(self.argv)
        return f"sh -c {shlex.quote(self.shell or '')}"


class ApiAction(_Frozen):
    """An API call described as data, e.g. ``{"service": "identity", "action": "create_project",
    "args": {"name": "demo"}}``; an adapter maps it to the SDK call. ``fields`` keeps only these keys
    of a read's result, so that volatile fields (timestamps, links) do not make a plan stale.
    ``cloud`` names the clouds.yaml cloud the call is made as (a tenant's, say); None: the cloud the
    apply is given (``--cloud``, the repository's default)."""

    type: Literal["api"] = "api"
    service: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    action: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    args: dict[str, Any] = Field(default_factory=dict)
    fields: tuple[str, ...] | None = None
    cloud: str | None = Field(default=None, min_length=1)

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _omit_when_none(handler(self), "cloud")

    def display(self) -> str:
        args = ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(self.args.items()))
        call = f"{self.service}.{self.action}({args})"
        return f"{call} as cloud {self.cloud}" if self.cloud else call


Action = Annotated[ShellAction | ApiAction, Field(discriminator="type")]


class Observation(_Frozen):
    """What a read-only action saw: its exit status and its normalised, redacted output.

    ``shown_once``: what a secret-handling action made and only a person may see (an application
    credential's secret): never in ``output``, never serialised; apply shows it at the terminal, once."""

    rc: int
    output: str
    shown_once: str | None = Field(default=None, exclude=True, repr=False)

    def summary(self, limit: int = 400) -> str:
        text = self.output if len(self.output) <= limit else self.output[:limit] + " …"
        return f"rc={self.rc} {text}".rstrip()


class Expect(_Frozen):
    rc: int | None = 0
    contains: str | None = None
    equals: str | None = None
    json_subset: Any = None  # every key/value here must appear in the JSON output

    def judge(self, seen: Observation) -> str | None:
        """None when ``seen`` meets the expectation, else why not (one line)."""
        if self.rc is not None and seen.rc != self.rc:
            return f"exit status {seen.rc}, expected {self.rc}"
        if self.contains is not None and self.contains not in seen.output:
            return f"output lacks {self.contains!r}"
        if self.equals is not None and seen.output.strip() != self.equals.strip():
            return f"output is {seen.output.strip()[:80]!r}, expected {self.equals.strip()[:80]!r}"
        if self.json_subset is not None:
            try:
                actual = json.loads(seen.output)
            except ValueError:
                return "output is not JSON"
            missing = _subset_mismatch(self.json_subset, actual, "")
            if missing:
                return missing
        return None


class PreAudit(_Frozen):
    """A read-only action run when the plan is made (its result kept in ``observed``) and again just
    before the change is applied; the two must agree. When the state before this change depends on
    earlier changes of the same plan, give ``expect`` instead: the re-run must then meet it."""

    action: Action
    observed: Observation | None = None
    expect: Expect | None = None


def _subset_mismatch(want: Any, have: Any, path: str) -> str | None:
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return f"{path or '.'}: expected an object"
        for key, value in want.items():
            if key not in have:
                return f"{path}.{key}: missing"
            bad = _subset_mismatch(value, have[key], f"{path}.{key}")
            if bad:
                return bad
        return None
    if want != have:
        return f"{path or '.'}: is {have!r}, expected {want!r}"
    return None


class Verify(_Frozen):
    """How to check the change took: a read-only action (None: the change's own result) and what to expect.

    ``wait`` (seconds) is for a change that completes after its call returns (a volume is ``creating``
    for a while): the gate re-runs the read-only action until it meets the expectation or the bound
    passes; None: it is read once. ``give_up`` names a final state (a volume in ``error``): a reading
    that meets it ends the wait at once, as a failure."""

    action: Action | None = None
    expect: Expect = Expect()
    wait: float | None = Field(default=None, gt=0, le=3600)
    give_up: Expect | None = None

    @model_validator(mode="after")
    def _wait_needs_action(self) -> Verify:
        if self.wait is not None and self.action is None:
            raise ValueError("verify.wait re-runs the verify action: give one")
        if self.give_up is not None and self.wait is None:
            raise ValueError("verify.give_up ends a wait: give verify.wait")
        return self

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _omit_when_none(handler(self), "wait", "give_up")


class Revert(_Frozen):
    action: Action | None = None
    procedure: str | None = None

    @model_validator(mode="after")
    def _something(self) -> Revert:
        if self.action is None and not (self.procedure or "").strip():
            raise ValueError("a revert needs an action or a procedure")
        return self

    def display(self) -> str:
        parts = []
        if self.action is not None:
            parts.append(self.action.display())
        if self.procedure:
            parts.append(self.procedure)
        return " — ".join(parts)


class Change(_Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    title: str = Field(min_length=1)
    target: str = Field(min_length=1, description="what is changed, by stable identity (name, not UUID)")
    action: Action
    what: str = Field(min_length=1, description="what it changes, in plain words")
    why: str = ""
    change_class: ChangeClass = Field(alias="class")
    pre_audit: PreAudit | None = None
    verify: Verify = Verify()
    revert: Revert | None = None
    decision: str | None = Field(default=None, pattern=r"^D-\d{3,}$")
    shown_once: bool | None = Field(
        default=None,
        description="true: it makes a secret that is shown once at the terminal that applies it, and "
        "recorded nowhere (apply refuses without a terminal)",
    )

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _omit_when_none(handler(self), "shown_once")

    @model_validator(mode="after")
    def _revert_needed(self) -> Change:
        if self.change_class != ChangeClass.READ_ONLY and self.revert is None:
            raise ValueError(f"change {self.id}: a {self.change_class} change needs a revert")
        if self.shown_once and self.change_class != ChangeClass.SECRET:
            raise ValueError(f"change {self.id}: a change that shows a secret is secret-handling")
        return self


class Creator(_Frozen):
    user: str
    host: str
    at: str


class Noop(_Frozen):
    """A change left out of the plan because its verification already holds (pyinfra's noop reason)."""

    change_id: str
    title: str
    reason: str


class Plan(_Hashed):
    format: Literal[1] = 1
    site: str = Field(min_length=1)
    title: str = Field(min_length=1)
    created: Creator
    changes: tuple[Change, ...]
    noops: tuple[Noop, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Plan:
        if not self.changes and not self.noops:
            raise ValueError("a plan needs at least one change")
        seen: set[str] = set()
        for change_id in [*(c.id for c in self.changes), *(n.change_id for n in self.noops)]:
            if change_id in seen:
                raise ValueError(f"change id {change_id} is used twice")
            seen.add(change_id)
        return self

    def change(self, change_id: str) -> Change:
        for change in self.changes:
            if change.id == change_id:
                return change
        raise KeyError(change_id)


class ItemApproval(_Frozen):
    change_id: str
    change_class: ChangeClass = Field(alias="class")
    how: Literal["individual", "blanket"]


class Approval(_Hashed):
    approval_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    plan_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    plan_path: str
    site: str
    items: tuple[ItemApproval, ...]
    user: str
    host: str
    at: str
    terminal: str
