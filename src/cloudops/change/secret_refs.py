"""Secrets on a command line are never written down: at plan time each is replaced by a reference, and the
value is given again at apply time (the environment, or a prompt at the terminal) and kept in memory only.

A reference is the literal text ``{{secret:NAME}}`` inside an argument (``--password {{secret:…}}``,
``admin:{{secret:…}}`` for ``curl -u``); NAME is the environment variable apply reads
(``CLOUDOPS_SECRET_1``, ``CLOUDOPS_SECRET_2``, … in the order they appear in the plan).

What is taken for a secret (pure, from the argument vector):
- the value of an option whose name says secret (``--password X``, ``--os-password=X``, ``--token``,
  ``--secret``, ``--api-key``, ``--private-key``, ``--auth-key``) — not ``--password-prompt`` or
  ``--password-file PATH`` (no value, or a path);
- MySQL's glued ``-pVALUE``; curl's ``-u/--user USER:PASSWORD`` (the password part);
- the password of a URL (``scheme://user:PASSWORD@host``);
- ``KEY=VALUE`` words whose key says secret (``juju config app admin-password=X``, ``vault kv put p token=X``);
- positional secrets of the commands that take one: ``rabbitmqctl change_password|add_user USER PW``,
  ``vault login TOKEN``, ``vault operator unseal KEY``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cloudops.change.model import ShellAction
from cloudops.errors import InputError, Refusal

PREFIX = "CLOUDOPS_SECRET_"
_REF = re.compile(r"\{\{secret:([A-Z0-9_]+)\}\}")
_SECRET_WORD = r"(pass(word|wd|phrase)?|secret|token|api-?key|private-?key|auth-?key|credential)"
_SECRET_OPT = re.compile(rf"(?i)^--[a-z0-9-]*{_SECRET_WORD}[a-z0-9-]*$")
_NOT_VALUE_OPT = re.compile(r"(?i)-(prompt|file|stdin|expires-at|expiration|policy|length|reset|required)$")
_SECRET_KEY = re.compile(rf"(?i)^[a-z0-9_.-]*{_SECRET_WORD.replace('-?', '[-_]?')}[a-z0-9_.-]*$")
_URL_PW = re.compile(r"(?i)^([a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@.*)$")
_POSITIONAL: dict[tuple[str, ...], int] = {
    # (tool, subcommand...) -> index among the positionals after them that holds the secret
    ("rabbitmqctl", "change_password"): 1,
    ("rabbitmqctl", "add_user"): 1,
    ("vault", "login"): 0,
    ("vault", "operator", "unseal"): 0,
}


@dataclass(frozen=True, slots=True)
class Extracted:
    argv: tuple[str, ...]
    names: tuple[str, ...]  # the references made, in order
    where: tuple[str, ...]  # for each, what it was (e.g. "--password"), for the operator's message


def references(argv: Sequence[str]) -> list[str]:
    return [m.group(1) for a in argv for m in _REF.finditer(a)]


def _ref(name: str) -> str:
    return "{{secret:" + name + "}}"


def extract(argv: Sequence[str], first: int = 1) -> Extracted:
    """``argv`` with every secret replaced by a reference numbered from ``first``."""
    out = list(argv)
    names: list[str] = []
    where: list[str] = []

    def take(i: int, label: str, before: str = "", after: str = "") -> None:
        name = f"{PREFIX}{first + len(names)}"
        names.append(name)
        where.append(label)
        out[i] = f"{before}{_ref(name)}{after}"

    tool = out[0].rsplit("/", 1)[-1] if out else ""
    i = 1
    while i < len(out):
        arg = out[i]
        if _REF.search(arg):
            i += 1
            continue
        opt, eq, _value = arg.partition("=")
        if _SECRET_OPT.match(opt) and not _NOT_VALUE_OPT.search(opt):
            if eq:
                take(i, opt, before=f"{opt}=")
            elif i + 1 < len(out) and not out[i + 1].startswith("-"):
                take(i + 1, opt)
                i += 1
        elif (
            tool in ("mysql", "mariadb", "mysqladmin", "mysqldump") and arg.startswith("-p") and len(arg) > 2
        ):
            take(i, "-p", before="-p")
        elif tool == "curl" and arg in ("-u", "--user") and i + 1 < len(out) and ":" in out[i + 1]:
            user = out[i + 1].split(":", 1)[0]
            take(i + 1, f"{arg} {user}:", before=f"{user}:")
            i += 1
        elif m := _URL_PW.match(arg):
            take(i, "the password in a URL", before=m.group(1), after=m.group(3))
        elif eq and not arg.startswith("-") and _SECRET_KEY.match(opt):
            take(i, f"{opt}=", before=f"{opt}=")
        i += 1
    for key, index in _POSITIONAL.items():
        if tuple(a.rsplit("/", 1)[-1] if n == 0 else a for n, a in enumerate(out[: len(key)])) != key:
            continue
        rest = [n for n in range(len(key), len(out)) if not out[n].startswith("-") and "=" not in out[n]]
        if len(rest) > index and not _REF.search(out[rest[index]]):
            take(rest[index], " ".join(key))
    return Extracted(tuple(out), tuple(names), tuple(where))


def extract_action(action: ShellAction, first: int = 1) -> tuple[ShellAction, Extracted]:
    """The action with its secrets replaced by references. A shell string cannot be taken apart safely:
    one that holds a secret is refused (give the command as an argument vector)."""
    if action.argv is None:
        from cloudops.redact import redact

        shell = action.shell or ""
        if redact(shell) != shell:
            raise InputError(
                "a shell string that holds a secret would be written to the plan: give the command as "
                "arguments after --, where cloudops replaces the secret with a reference",
                field="--shell",
            )
        return action, Extracted((), (), ())
    found = extract(action.argv, first)
    if not found.names:
        return action, found
    return action.model_copy(update={"argv": found.argv}), found


def resolve(
    argv: Sequence[str], source: Callable[[str], str | None], *, what: str = ""
) -> tuple[tuple[str, ...], list[str]]:
    """``argv`` with each reference replaced by its value from ``source``; (argv, the values) — the values
    for the redactor. A reference with no value is a refusal naming the variable to set."""
    values: dict[str, str] = {}
    for name in references(argv):
        if name in values:
            continue
        value = source(name)
        if not value:
            raise Refusal(
                f"{what}needs the value of {name} (a secret, never written down): set it in the "
                "environment, or run apply at a terminal to be asked for it"
            )
        values[name] = value
    resolved = tuple(_REF.sub(lambda m: values[m.group(1)], a) for a in argv)
    return resolved, list(values.values())


def env_source(env: Mapping[str, str]) -> Callable[[str], str | None]:
    return env.get
