"""Run one command without a shell, with a timeout that kills it; or read its recorded output."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cloudops.errors import InputError


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command printed: the input of every command-backed parser (recorded or live)."""

    source: str  # the command line, or "recorded:<file>"
    rc: int
    stdout: str
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False


def run(argv: list[str], *, timeout: float) -> CommandResult:
    """Run ``argv``; a command that outlives ``timeout`` is killed and reported as timed out."""
    shown = " ".join(argv)
    if shutil.which(argv[0]) is None:
        return CommandResult(shown, 127, "", f"{argv[0]}: command not found")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return CommandResult(
            shown, 124, out, f"timed out after {timeout:g}s", time.monotonic() - start, timed_out=True
        )
    return CommandResult(shown, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def recorded(path: Path) -> CommandResult:
    """A command's recorded stdout, as if it had just run (rc 0)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read recorded output: {exc.strerror}", where=str(path)) from None
    return CommandResult(f"recorded:{path}", 0, text)


def json_error(exc: ValueError | RecursionError) -> str:
    """Why a command's output is not JSON, in one line (a syntax error with its line, an integer too long,
    nesting too deep for the parser)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    msg, line = getattr(exc, "msg", None), getattr(exc, "lineno", None)
    return f"{msg} at line {line}" if msg and line else str(exc)[:120]
