"""Record a shell under a pty as asciicast v2 (playable with ``asciinema play``), redacted.

The operator sees the raw terminal; the file gets the output stream through the redactor a whole line at
a time, so a secret echoed to the screen is masked in the recording however slowly it came: a secret
printed after a pause, or a command line typed one key at a time (its echo), is redacted as the line it
ends up in. A partial line (a prompt) is therefore written when its line ends, at the time it began.
Keystrokes are not recorded (typed passwords never reach the file).
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import struct
import termios
import time
import tty
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from cloudops.redact import Redactor

POLL = 0.3  # seconds between checks of the pty (and of a window resize)
FLUSH_SIZE = 65536  # a line longer than this (a full-screen program's redraw) is written as it is


@dataclass
class CastStats:
    path: Path
    exit_status: int
    duration: float
    events: int
    bytes_out: int


class CastWriter:
    """Writes the header and ``[time, "o", text]`` events; text is redacted line by line."""

    def __init__(self, fh: IO[str], redactor: Redactor, start: float) -> None:
        self._fh = fh
        self._redactor = redactor
        self._start = start
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._pending_since = 0.0
        self.events = 0
        self.bytes_out = 0

    def header(self, width: int, height: int, title: str, env: Mapping[str, str]) -> None:
        head = {
            "version": 2,
            "width": width,
            "height": height,
            "timestamp": int(self._start),
            "title": title,
            "env": {k: env[k] for k in ("SHELL", "TERM") if k in env},
        }
        self._fh.write(json.dumps(head) + "\n")
        self._fh.flush()

    def output(self, data: bytes, now: float) -> None:
        self.bytes_out += len(data)
        text = self._decoder.decode(data)
        if not text:
            return
        if not self._pending:
            self._pending_since = now
        self._pending += text
        cut = self._pending.rfind("\n")
        if cut >= 0:
            self._event(self._pending[: cut + 1], self._pending_since)
            self._pending = self._pending[cut + 1 :]
            self._pending_since = now
        if len(self._pending) >= FLUSH_SIZE:
            self.flush(now)

    def flush(self, now: float) -> None:
        if self._pending:
            self._event(self._pending, self._pending_since)
            self._pending = ""

    def resize(self, width: int, height: int, now: float) -> None:
        self._write([round(now - self._start, 6), "r", f"{width}x{height}"])

    def _event(self, text: str, when: float) -> None:
        self._write([round(when - self._start, 6), "o", self._redactor.text(text)])

    def _write(self, event: list[Any]) -> None:
        self._fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._fh.flush()
        self.events += 1


def _winsize(fd: int) -> tuple[int, int]:
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
        if rows and cols:
            return cols, rows
    except OSError:
        pass
    return 80, 24


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def record(
    cast_path: Path,
    argv: Sequence[str],
    *,
    title: str,
    env: Mapping[str, str],
    redactor: Redactor,
) -> CastStats:
    """Run ``argv`` under a new pty, mirror it to this terminal, record its output to ``cast_path``."""
    start = time.time()
    stdin_tty = os.isatty(0)
    cols, rows = _winsize(0) if stdin_tty else (80, 24)
    cast_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(cast_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        writer = CastWriter(fh, redactor, start)
        writer.header(cols, rows, title, env)
        pid, master = pty.fork()
        if pid == 0:  # the child: the operator's shell
            try:
                os.execvpe(argv[0], list(argv), dict(env))
            finally:
                os._exit(127)
        _set_winsize(master, cols, rows)
        saved = termios.tcgetattr(0) if stdin_tty else None
        old_handler: Any = None
        if stdin_tty:

            def on_winch(_sig: int, _frame: FrameType | None) -> None:
                c, r = _winsize(0)
                _set_winsize(master, c, r)
                writer.resize(c, r, time.time())

            old_handler = signal.signal(signal.SIGWINCH, on_winch)
            tty.setraw(0)
        status = 0
        try:
            _pump(master, writer, stdin_open=True)
        finally:
            if saved is not None:
                termios.tcsetattr(0, termios.TCSAFLUSH, saved)
                signal.signal(signal.SIGWINCH, old_handler)
            writer.flush(time.time())
            os.close(master)
            _, wait_status = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(wait_status)
    return CastStats(cast_path, status, time.time() - start, writer.events, writer.bytes_out)


def _pump(master: int, writer: CastWriter, *, stdin_open: bool) -> None:
    while True:
        fds = [master, 0] if stdin_open else [master]
        try:
            ready, _, _ = select.select(fds, [], [], POLL)
        except InterruptedError:
            continue
        now = time.time()
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the shell has exited and the pty is closed
                data = b""
            if not data:
                return
            os.write(1, data)
            writer.output(data, now)
        if stdin_open and 0 in ready:
            data = os.read(0, 65536)
            if not data:
                stdin_open = False
            else:
                os.write(master, data)
