"""The one redaction module: every sink (journal, session logs, plan files, error messages) goes through it.

What is hidden:
- literal secret values known to this process: passwords, tokens and application-credential secrets
  from ``clouds.yaml``/``secure.yaml`` (openstacksdk's search path) and from the environment
  (``OS_PASSWORD``, ``OS_TOKEN`` and any variable whose name looks secret), plus values registered
  with :meth:`Redactor.add`;
- values of secret-looking keys (``password``, ``token``, ``secret``, ``api_key``, ...) in mappings,
  in ``key=value`` / ``key: value`` / ``"key": "value"`` text, and after ``--password``-style options;
- bearer tokens and ``X-Auth-Token``/``X-Subject-Token`` headers, Keystone Fernet tokens, passwords in
  URLs (``scheme://user:pass@host``), and PEM private-key blocks.

A redacted value becomes ``<redacted>``. Over-redaction is preferred to a leak.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

MASK = "<redacted>"
MIN_SECRET_LEN = 6  # shorter literal values would mask ordinary words
# Values a secret-named variable may hold that are not secrets (flags), never masked as literals.
_NOT_SECRET_VALUES = frozenset({"true", "false", "none", "null", "enabled", "disabled", "required"})

_SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|auth[_-]?key|"
    r"unseal|root[_-]?key|keyring|client[_-]?key)"
)
# Keys that match the pattern above but hold no secret; kept short on purpose.
_NOT_SECRET_KEYS = frozenset({"token_expiration", "password_expires_at", "secret_ref_count"})

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys, whole block (also a torn block: up to the end of the text).
    (
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
        ),
        f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----",
    ),
    # HTTP authorisation headers and bearer tokens.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    (re.compile(r"(?i)\b(x-(auth|subject)-token)(\s*[:=]\s*)\S+"), rf"\1\3{MASK}"),
    # Keystone Fernet tokens (they start with gAAAAA and are long).
    (re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{60,}"), MASK),
    # user:password@ in URLs.
    (
        re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://[^\s:/@]+):(?![\"']?\ue000)[^\s@/]+@"),
        rf"\1:{MASK}@",
    ),
    # Command-line options that carry a secret: --password X, --os-password=X, --secret X, --token X.
    (
        re.compile(
            r"(?i)(--[a-z0-9-]*(password|passwd|secret|token|api-key|private-key)[a-z0-9-]*)"
            r"(?<!-prompt)(?<!-file)(=|\s+)(?!-|[\"']?\ue000)(\"[^\"]*\"|'[^']*'|\S+)"
        ),
        rf"\1\3{MASK}",
    ),
    # mysql -pPASSWORD (no space)
    (re.compile(r"(?<=\s)-p(?=[^\s-])(?![\"']?\ue000)\S+"), f"-p{MASK}"),
    # "key": "value" (JSON), key: value (YAML), key=value (ini, env, CLI).
    (
        re.compile(
            r"""(?ix)
            (?P<k>(?<![a-z0-9_.-])["']?[a-z0-9_.-]*(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|
               auth[_-]?key|unseal[_-]?key|root[_-]?key)[a-z0-9_.-]*["']?)
            (?P<sep>\s*[:=]\s*)
            (?!["']?\ue000)(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s,;}"'\]]+)
            """
        ),
        "",  # handled by _key_value
    ),
)


# A reference to a secret given at apply time (change.secret_refs): text, not a secret. While the patterns
# run it is held as a private-use character that no pattern takes for a value.
SECRET_REF = re.compile(r"\{\{secret:[A-Z0-9_]+\}\}")
_HELD = "\ue000"

# Every pattern above needs one of these words or marks; text without any is returned untouched.
_HINT = re.compile(
    r"(?i)pass|secret|token|key|unseal|credential|bearer|basic|x-auth|x-subject|gAAAAA|://|-p\S|-----BEGIN"
)


def _key_value(match: re.Match[str]) -> str:
    key = match.group("k").strip("\"'").lower()
    value = match.group("v")
    if key in _NOT_SECRET_KEYS or value.strip("\"'") in ("", "null", "None", MASK, "~"):
        return match.group(0)
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match.group('k')}{match.group('sep')}{quote}{MASK}{quote}"


def is_secret_key(key: str) -> bool:
    """True for a mapping key whose value must not be written anywhere (``password``, ``os_token``...)."""
    return key.lower() not in _NOT_SECRET_KEYS and bool(_SECRET_KEY.search(key))


class Redactor:
    """Masks secrets in text and in JSON-like data. Build one with :func:`default`, or directly in tests."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._literal: re.Pattern[str] | None = None
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        """Remember a literal secret value: it will be masked wherever it appears."""
        value = value.strip()
        if len(value) < MIN_SECRET_LEN or value == MASK or value.lower() in _NOT_SECRET_VALUES:
            return
        self._secrets.add(value)
        # Longest first, so that a secret containing another is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._literal = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def known(self) -> int:
        return len(self._secrets)

    def text(self, text: str) -> str:
        """``text`` with every known secret and every secret-looking pattern masked. A secret reference
        (``{{secret:NAME}}``, change.secret_refs) is no secret: it is set aside while the patterns run."""
        if self._literal is not None:
            text = self._literal.sub(MASK, text)
        refs = SECRET_REF.findall(text)
        if refs:
            text = SECRET_REF.sub(lambda _m: _HELD, text)
        if _HINT.search(text):
            for pattern, repl in _PATTERNS:
                text = pattern.sub(repl, text) if repl else pattern.sub(_key_value, text)
        if refs:
            held = iter(refs)
            text = re.sub(_HELD, lambda _m: next(held), text)
        return text

    def data(self, data: Any) -> Any:
        """A copy of JSON-like ``data`` with secret-key values masked and every string redacted."""
        if isinstance(data, Mapping):
            out: dict[Any, Any] = {}
            for key, value in data.items():
                if (
                    isinstance(key, str)
                    and is_secret_key(key)
                    and value not in (None, "", [], {})
                    and not isinstance(value, bool)
                ):
                    out[key] = MASK
                else:
                    out[key] = self.data(value)
            return out
        if isinstance(data, list | tuple):
            return self.argv(data) if all(isinstance(x, str) for x in data) else [self.data(x) for x in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def argv(self, argv: Iterable[str]) -> list[str]:
        """An argument vector with the value after a secret option (``--password X``) masked."""
        out: list[str] = []
        mask_next = False
        for arg in argv:
            if mask_next and not arg.startswith("-") and not SECRET_REF.fullmatch(arg):
                out.append(MASK)
                mask_next = False
                continue
            mask_next = False
            if re.fullmatch(
                r"(?i)--?[a-z0-9-]*(password|passwd|secret|token|api-key|private-key)[a-z0-9-]*", arg
            ):
                mask_next = True
            out.append(self.text(arg))
        return out

    def contains_secret(self, text: str) -> bool:
        return self.text(text) != text


# -- where the secrets come from ---------------------------------------------------------------------


def _clouds_files() -> list[Path]:
    """clouds.yaml and secure.yaml in openstacksdk's search order (OS_CLIENT_CONFIG_FILE first)."""
    names = ("clouds.yaml", "clouds.yml", "secure.yaml", "secure.yml")
    dirs = [Path.cwd(), Path("~/.config/openstack").expanduser(), Path("/etc/openstack")]
    files = [d / n for d in dirs for n in names]
    explicit = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if explicit:
        files.insert(0, Path(explicit))
    return [f for f in files if f.is_file()]


def _secret_values(data: Any) -> Iterable[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and is_secret_key(key) and isinstance(value, str | int):
                yield str(value)
            else:
                yield from _secret_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from _secret_values(item)


def secrets_from_clouds_yaml(paths: Iterable[Path] | None = None) -> list[str]:
    """Every secret-key value in the clouds.yaml/secure.yaml files (unreadable files are skipped)."""
    from ruamel.yaml import YAML

    found: list[str] = []
    yaml = YAML(typ="safe")
    for path in _clouds_files() if paths is None else paths:
        try:
            found.extend(_secret_values(yaml.load(path.read_text())))
        except Exception:  # a broken clouds.yaml is openstacksdk's to report, not ours
            continue
    return found


def secrets_from_environment(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names look secret (OS_PASSWORD, VAULT_TOKEN, ...)."""
    env = os.environ if env is None else env
    return [v for k, v in env.items() if is_secret_key(k) and v]


@lru_cache(maxsize=1)
def default() -> Redactor:
    """The process-wide redactor: secrets from clouds.yaml and from the environment."""
    return Redactor([*secrets_from_environment(), *secrets_from_clouds_yaml()])


def refuse_secret(value: str, field: str) -> None:
    """An InputError when ``value`` — text an operator gives for a record written to the ops repository
    (ledger, decisions, changelog) — holds what looks like a secret. It is refused, not masked: a record
    describes an exposure, it never carries one. The message names the field, never the value."""
    if value and default().contains_secret(value):
        from cloudops.errors import InputError

        raise InputError(
            "holds what looks like a secret (a password, token or key): describe it, never paste it; "
            "nothing was written",
            field=field,
        )


def redact(text: str) -> str:
    """Shorthand for ``default().text(text)``."""
    return default().text(text)


def redact_data(data: Any) -> Any:
    """Shorthand for ``default().data(data)``."""
    return default().data(data)
