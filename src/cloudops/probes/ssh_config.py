"""An OpenSSH client config read once for a whole sweep, resolved per host in microseconds.

asyncssh parses the config file again for every connection; with a config that lists every host (a
200-host lab's has 2,800 lines) that is 24 ms of CPU per host, 5 s per sweep, O(hosts²). Here the files are
read and split once, and ``resolve(host)`` walks the parsed lines.

Only what a read-only probe needs is resolved: HostName, Port, User, IdentityFile, IdentitiesOnly and the
known-hosts files. Anything that would change how the connection is made and is not resolved here
(``Match``, ProxyJump, ProxyCommand, certificates, a relaxed StrictHostKeyChecking, an unknown ``%`` token
…) makes ``resolve`` return None, and the caller lets asyncssh parse the config for that host itself — the
slow path, with asyncssh's own semantics. Pure except ``ClientConfig.load`` (reads the files).
"""

from __future__ import annotations

import fnmatch
import functools
import getpass
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Options resolved here (lower case). IdentityFile accumulates; every other option: the first one wins.
RESOLVED = {
    "hostname",
    "port",
    "user",
    "identityfile",
    "identitiesonly",
    "userknownhostsfile",
    "globalknownhostsfile",
    "stricthostkeychecking",
}
#: Options that do not change a non-interactive probe's connection: read and ignored.
IGNORED = {
    "addkeystoagent", "batchmode", "checkhostip", "compression", "connectionattempts", "connecttimeout",
    "controlmaster", "controlpath", "controlpersist", "forwardagent", "forwardx11", "forwardx11trusted",
    "hashknownhosts", "kbdinteractiveauthentication", "challengeresponseauthentication", "loglevel",
    "passwordauthentication", "pubkeyauthentication", "requesttty", "sendenv", "serveraliveinterval",
    "serveralivecountmax", "setenv", "tcpkeepalive", "updatehostkeys", "visualhostkey", "gssapiauthentication",
    "gssapidelegatecredentials", "verifyhostkeydns", "addressfamily", "escapechar", "exitonforwardfailure",
    "nohostauthenticationforlocalhost", "permitlocalcommand", "localcommand", "forwardx11timeout",
}  # fmt: skip
_STRICT_OK = {"yes", "ask", "true"}
_MAX_INCLUDE_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Line:
    """One option line and the ``Host`` patterns it sits under (None: before any Host line)."""

    patterns: tuple[str, ...] | None
    key: str  # lower case
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolved:
    """What asyncssh needs to connect to one host, as the config gives it."""

    alias: str
    hostname: str
    port: int | None
    user: str | None
    identity_files: tuple[str, ...]
    identities_only: bool
    known_hosts_files: tuple[str, ...]  # user files then global ones; empty: asyncssh's defaults


def _split(text: str) -> list[str]:
    # key value, key=value, key = value; shlex only where quotes need it (it is slow)
    words = shlex.split(text) if '"' in text or "'" in text else text.split()
    if words and "=" in words[0]:
        head, _, rest = words[0].partition("=")
        words = [head, *([rest] if rest else []), *words[1:]]
    if len(words) > 1 and words[1].startswith("="):
        words[1] = words[1][1:]
        if not words[1]:
            del words[1]
    return words


def parse(text: str, *, base: Path | None = None, depth: int = 0) -> tuple[list[Line], bool]:
    """Lines of a config text (``Include`` followed, relative to ``base``); True when it has ``Match``."""
    lines: list[Line] = []
    has_match = False
    patterns: tuple[str, ...] | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        words = _split(stripped)
        if not words:
            continue
        key, args = words[0].lower(), tuple(words[1:])
        if key == "host":
            patterns = tuple(a.lower() for a in args)
        elif key == "match":
            has_match = True
            patterns = ("!*",)  # nothing below applies on the fast path: the caller falls back anyway
        elif key == "include":
            if depth >= _MAX_INCLUDE_DEPTH:
                has_match = True  # a loop: let asyncssh say so
                continue
            for pattern in args:
                path = Path(pattern).expanduser()
                if not path.is_absolute():
                    path = (base or Path("~/.ssh").expanduser()) / path
                for found in sorted(Path(path.anchor).glob(str(path.relative_to(path.anchor)))):
                    sub, sub_match = parse(found.read_text(), base=base, depth=depth + 1)
                    has_match |= sub_match
                    # an included file's lines apply only where the Include line applies
                    lines += [
                        ln if ln.patterns is not None else Line(patterns, ln.key, ln.args) for ln in sub
                    ]
        else:
            lines.append(Line(patterns, key, args))
    return lines, has_match


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    """OpenSSH's Host matching: any positive pattern matches and no negated one does (case-insensitive)."""
    name = host.lower()
    matched = False
    for pattern in patterns:
        for p in pattern.split(","):
            if p.startswith("!"):
                if fnmatch.fnmatchcase(name, p[1:]):
                    return False
            elif fnmatch.fnmatchcase(name, p):
                matched = True
    return matched


def _expand(value: str, tokens: dict[str, str]) -> str | None:
    """``~`` and ``%`` tokens; None when a token is not one of ``tokens`` (or an ``${ENV}`` reference)."""
    if "${" in value:
        return None
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "%" and i + 1 < len(value):
            token = value[i + 1]
            if token not in tokens:
                return None
            out.append(tokens[token])
            i += 2
            continue
        out.append(c)
        i += 1
    text = "".join(out)
    return str(Path(text).expanduser()) if text.startswith("~") else text


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines under the same ``Host`` patterns: matched once per host, not once per line."""

    patterns: tuple[str, ...] | None
    lines: tuple[Line, ...]


def blocks_of(lines: Sequence[Line]) -> tuple[Block, ...]:
    out: list[Block] = []
    for line in lines:
        if out and out[-1].patterns is line.patterns:
            out[-1] = Block(line.patterns, (*out[-1].lines, line))
        else:
            out.append(Block(line.patterns, (line,)))
    return tuple(out)


# what getpass.getuser and Path.home read: a sweep asks them once, not once a host (pwd is ~90 µs a call)
_WHO = ("HOME", "LOGNAME", "USER", "LNAME", "USERNAME")


@functools.lru_cache(maxsize=4)
def _me(*_who: object) -> tuple[str, str]:
    """The home directory and user name (%d, %u), for this environment and uid."""
    return str(Path.home()), getpass.getuser()


def _literal(patterns: tuple[str, ...]) -> frozenset[str] | None:
    """The names a block's patterns match, where every one is a plain name (no wildcard, no negation):
    such a block matches a host by its name alone. None for any other block."""
    names = [p for pattern in patterns for p in pattern.split(",")]
    if any(not n or n[0] == "!" or "*" in n or "?" in n or "[" in n for n in names):
        return None
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The parsed lines of one or more config files (``~/.ssh/config`` when none is named)."""

    blocks: tuple[Block, ...]
    has_match: bool
    sources: tuple[str, ...] = ()
    # Which blocks may match a host, in order: a config that lists every host in a block of its own (a
    # lab's, an inventory's) would otherwise be walked whole for each host, O(hosts²) a sweep (1,000 hosts:
    # a million pattern matches). Blocks of plain names are found by the name; the others always asked.
    _always: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _named: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        always: list[int] = []
        named: dict[str, list[int]] = {}
        for n, block in enumerate(self.blocks):
            names = None if block.patterns is None else _literal(block.patterns)
            if names is None:
                always.append(n)
            for name in names or ():
                named.setdefault(name, []).append(n)
        object.__setattr__(self, "_always", tuple(always))
        object.__setattr__(self, "_named", {k: tuple(v) for k, v in named.items()})

    def _candidates(self, host: str) -> list[Block]:
        """The blocks that may match the host, in the config's order."""
        named = self._named.get(host.lower(), ())
        order = sorted((*self._always, *named)) if named else self._always
        return [self.blocks[n] for n in order]

    @classmethod
    def from_lines(cls, lines: Sequence[Line], has_match: bool = False) -> ClientConfig:
        return cls(blocks_of(lines), has_match)

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None) -> ClientConfig:
        chosen = list(paths) if paths else [Path("~/.ssh/config").expanduser()]
        lines: list[Line] = []
        has_match = False
        read: list[str] = []
        for path in chosen:
            if not path.exists() and not paths:
                continue  # no ~/.ssh/config: every option at its default
            text = path.read_text()
            got, match = parse(text)
            lines += got
            has_match |= match
            read.append(str(path))
        return cls(blocks_of(lines), has_match, tuple(read))

    def resolve(self, host: str) -> Resolved | None:
        """The host's settings, or None when only asyncssh's own parsing is faithful for it."""
        if self.has_match:
            return None
        first: dict[str, tuple[str, ...]] = {}
        identity: list[str] = []
        for block in self._candidates(host):
            if block.patterns is not None and not host_matches(host, block.patterns):
                continue
            for line in block.lines:
                if line.key in IGNORED:
                    continue
                if line.key not in RESOLVED:
                    return None
                if line.key == "identityfile":
                    identity += line.args
                else:
                    first.setdefault(line.key, line.args)
        strict = first.get("stricthostkeychecking", ("ask",))[0].lower()
        if strict not in _STRICT_OK:
            return None
        hostname = _expand(first.get("hostname", (host,))[0], {"h": host, "%": "%"})
        port_words = first.get("port")
        if hostname is None or (port_words and not port_words[0].isdigit()):
            return None
        user = first.get("user", (None,))[0]
        if user is not None and "%" in user:
            return None
        home, me = _me(*(os.environ.get(k) for k in _WHO), os.getuid())
        tokens = {"%": "%", "h": hostname, "d": home, "u": me}
        tokens["r"] = user or tokens["u"]
        files = [_expand(f, tokens) for f in identity]
        # as asyncssh: the configured user files plus the configured global ones; none configured: defaults
        user_known = first.get("userknownhostsfile", ())
        known_words = [*user_known, *first.get("globalknownhostsfile", ())] if user_known else []
        known = [_expand(f, tokens) for f in known_words]
        if any(f is None or f.lower() == "none" for f in [*files, *known]):
            return None  # an unknown token, or "none": asyncssh's own reading decides
        return Resolved(
            alias=host,
            hostname=hostname,
            port=int(port_words[0]) if port_words else None,
            user=user,
            identity_files=tuple(f for f in files if f is not None),
            identities_only=first.get("identitiesonly", ("no",))[0].lower() in {"yes", "true"},
            known_hosts_files=tuple(f for f in known if f is not None),
        )
