"""SSH connections for the host probes (asyncssh, honouring an OpenSSH client config): connect arguments
read once per sweep, connections kept between a watch's sweeps, and the two ways a command is run on one —
a bare session of its own, or the shell kept on a kept connection (``KeptShell``)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from cloudops.probes.ssh_config import ClientConfig, Resolved

#: The ciphers offered first where the client config names none: AES-GCM (AES-NI, one AEAD call per
#: packet) costs this process ~1.5 ms less per connection than asyncssh's first choice, ChaCha20-Poly1305
#: (several calls per packet). Both are OpenSSH defaults on either side; the rest of asyncssh's list follows.
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def import_asyncssh() -> Any:
    """asyncssh, its first import without cryptography's notice that DSA is deprecated: asyncssh names the
    DSA key types as it loads, whatever key is used (cloudops never uses one), so the notice printed on
    every run would ask an operator about keys they do not have. Only that notice, only from asyncssh."""
    import sys

    if "asyncssh" not in sys.modules:
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh\.")
            import asyncssh
    import asyncssh

    return asyncssh


class Connector:
    """asyncssh's connect arguments for every host of a sweep, from one reading of the client config.

    Keys and known-hosts files are loaded once per set of paths. A host the fast reading cannot resolve
    faithfully (``ssh_config.ClientConfig.resolve`` returns None) gets asyncssh's own per-host parsing.

    ``keep``: the connections stay open for the next sweep on the same event loop (``health.watch``); a
    connection that fails is dropped and the next sweep connects afresh, and one older than ``keep_for``
    seconds is renewed, so an sshd that stopped taking new logins (a kept session outlives its listener)
    is found within that bound. ``opened`` counts connections made, so a watch can show it reuses them.
    """

    def __init__(self, config: Path | None = None, *, keep: bool = False, keep_for: float = 600.0) -> None:
        self.config = config
        self.keep = keep
        self.keep_for = keep_for
        self.opened = 0
        self._kept: dict[str, tuple[Any, float]] = {}  # host → (asyncssh connection, when it was opened)
        self._shells: dict[str, KeptShell] = {}  # host → the shell kept on its kept connection
        self._parsed: ClientConfig | None = None
        self._failed = False
        self._keys: dict[tuple[str, ...], Any] = {}
        self._known: dict[tuple[str, ...], Any] = {}

    async def connect(self, host: str, timeout: float) -> tuple[Any, bool]:
        """A connection to ``host`` and whether it was kept from an earlier sweep."""
        asyncssh = import_asyncssh()

        kept = self._kept.pop(host, None)
        if kept is not None:
            conn, since = kept
            if not conn.is_closed() and time.monotonic() - since < self.keep_for:
                self._kept[host] = kept
                return conn, True
            conn.close()  # its time is up: renewed below, through the listener
        conn = await asyncssh.connect(connect_timeout=timeout, login_timeout=timeout, **self.kwargs(host))
        self.opened += 1
        if self.keep:
            self._kept[host] = (conn, time.monotonic())
        return conn, False

    async def run(self, host: str, conn: Any, command: str) -> str:
        """``command``'s standard output from ``host``: in a session of its own, or — on a kept
        connection — in the shell kept on it (``KeptShell``)."""
        if not self.keep:
            return await run_gathered(conn, command)
        shell = self._shells.get(host)
        if shell is None or shell.conn is not conn or shell.closed:
            if shell is not None:
                shell.close()
            shell = self._shells[host] = await KeptShell.open(conn)
        return await shell.run(command)

    async def release(self, host: str, conn: Any, *, failed: bool) -> None:
        """After a probe: close what is not kept, and drop a kept connection that failed."""
        if failed and host in self._shells:  # cut short mid-answer, it may still be writing: never reused
            self._shells.pop(host).close()
        if failed or not self.keep:
            if self._kept.get(host, (None,))[0] is conn:
                del self._kept[host]
            if failed:  # a silent peer would hold a graceful close until TCP gives up
                conn.abort()
                return
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    async def close(self) -> None:
        """Close every kept connection (at the end of a watch, on its loop)."""
        for shell in self._shells.values():
            shell.close()
        self._shells.clear()
        kept, self._kept = [conn for conn, _ in self._kept.values()], {}
        for conn in kept:
            conn.close()
        for conn in kept:
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    def _client_config(self) -> ClientConfig | None:
        if self._parsed is None and not self._failed:
            try:
                self._parsed = ClientConfig.load([self.config] if self.config else None)
            except (OSError, ValueError):
                self._failed = True  # asyncssh reads it per host and says what is wrong
        return self._parsed

    def slow(self, host: str) -> dict[str, Any]:
        return {"host": host, **({"config": [str(self.config)]} if self.config else {})}

    def kwargs(self, host: str) -> dict[str, Any]:
        """``asyncssh.connect`` keyword arguments for ``host``."""
        cfg = self._client_config()
        resolved = cfg.resolve(host) if cfg is not None else None
        if resolved is None:
            return self.slow(host)
        try:
            return self._fast(resolved)
        except (OSError, ValueError, ImportError):
            return self.slow(host)  # a key or known-hosts file asyncssh will report on itself

    def _fast(self, r: Resolved) -> dict[str, Any]:
        asyncssh = import_asyncssh()

        kw: dict[str, Any] = {"host": r.hostname, "config": None}
        # the config names no Ciphers (``resolve`` would have left it to asyncssh): our preference first
        kw["encryption_algs"] = [*PREFERRED_CIPHERS, *_other_ciphers()]
        if r.port is not None:
            kw["port"] = r.port
        if r.user is not None:
            kw["username"] = r.user
        if r.identity_files:
            present = tuple(f for f in r.identity_files if Path(f).exists())
            if not present:
                raise FileNotFoundError(r.identity_files[0])
            if present not in self._keys:
                self._keys[present] = asyncssh.load_keypairs(
                    list(present), skip_public=r.identities_only, ignore_encrypted=True
                )
            kw["client_keys"] = self._keys[present]
            if r.identities_only:
                kw["agent_path"] = None  # the agent could offer only these same keys
        if r.known_hosts_files:
            files = tuple(f for f in r.known_hosts_files if Path(f).exists())
            if files not in self._known:
                self._known[files] = asyncssh.read_known_hosts(list(files))
            kw["known_hosts"] = self._known[files]
        return kw


def _other_ciphers() -> list[str]:
    from asyncssh.encryption import get_default_encryption_algs

    return [a.decode() for a in get_default_encryption_algs() if a.decode() not in PREFERRED_CIPHERS]


_GATHER: Any = None


def _gather_class() -> Any:
    """The session ``run_gathered`` opens (made on first use: asyncssh is imported lazily)."""
    global _GATHER
    if _GATHER is None:
        import_asyncssh()
        import asyncssh

        class Gather(asyncssh.SSHClientSession):  # type: ignore[type-arg]
            def __init__(self) -> None:
                self.chunks: list[bytes] = []

            def data_received(self, data: bytes, datatype: int | None) -> None:
                if datatype is None:  # stdout; stderr (EXTENDED_DATA) is not read, as `run` did not
                    self.chunks.append(data)

        _GATHER = Gather
    return _GATHER


async def run_gathered(conn: Any, command: str) -> str:
    """Run ``command`` in a session on ``conn`` and return its standard output once the channel closes.

    asyncssh's ``conn.run`` builds a process with stream readers and writers for every command; at a
    thousand hosts a sweep that only needs stdout spends ~0.2 ms per host less on a bare session."""
    chan, session = await conn.create_session(_gather_class(), command, encoding=None)
    await chan.wait_closed()
    return b"".join(session.chunks).decode(errors="replace")


class KeptShell:
    """One shell kept on a kept connection, the probe script defined in it once as a function and called
    once a sweep; each answer ends at a line naming a random marker.

    On a kept connection a new session per sweep still costs the host a session process and a shell's
    start-up (~4 ms of its CPU: a fifth of the host's whole answer), and costs this process the session's
    opening and closing packets. The shell is the login shell's kind (``$SHELL``, as sshd runs a command
    with), reading commands from its standard input. A call cut short (a timeout) leaves the shell in an
    unknown state: the connector drops it with its connection (``Connector.release``)."""

    FUNCTION = "__cloudops_probe"

    def __init__(self, conn: Any, chan: Any, session: Any, marker: str) -> None:
        self.conn, self._chan, self._session, self._marker = conn, chan, session, marker
        self._defined: str | None = None

    @classmethod
    async def open(cls, conn: Any) -> KeptShell:
        import secrets

        marker = f"@@end-{secrets.token_hex(8)}"
        chan, session = await conn.create_session(
            _shell_session_class(), 'exec "${SHELL:-/bin/sh}" -s', encoding=None
        )
        session.marker = marker.encode()
        return cls(conn, chan, session, marker)

    @property
    def closed(self) -> bool:
        return bool(self._session.ended)

    async def run(self, command: str) -> str:
        import asyncio

        if command != self._defined:  # the same script every sweep: sent once
            self._chan.write(f"{self.FUNCTION}() {{\n{command}\n}}\n".encode())
            self._defined = command
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._session.begin(waiter)
        # </dev/null: the shell reads its commands from the channel, and a program of the script that read
        # its standard input would swallow the commands after it (and wait for more)
        self._chan.write(f"{self.FUNCTION} </dev/null; printf '\\n%s\\n' {self._marker}\n".encode())
        await waiter
        text = b"".join(self._session.chunks).decode(errors="replace")
        return text[: text.rfind(self._marker)]

    def close(self) -> None:
        self._chan.close()


_SHELL_SESSION: Any = None


def _shell_session_class() -> Any:
    """The session a ``KeptShell`` reads (made on first use: asyncssh is imported lazily)."""
    global _SHELL_SESSION
    if _SHELL_SESSION is None:
        import_asyncssh()
        import asyncssh

        class ShellSession(asyncssh.SSHClientSession):  # type: ignore[type-arg]
            def __init__(self) -> None:
                self.marker = b""
                self.chunks: list[bytes] = []
                self.ended = False
                self._tail = b""
                self._waiter: Any = None

            def begin(self, waiter: Any) -> None:
                self.chunks, self._tail, self._waiter = [], b"", waiter

            def data_received(self, data: bytes, datatype: int | None) -> None:
                if datatype is not None:  # stderr, as a session of its own would not read it
                    return
                self.chunks.append(data)
                seen = self._tail + data  # the marker may come split across packets
                self._tail = seen[-len(self.marker) :]
                if self.marker in seen and self._waiter is not None and not self._waiter.done():
                    self._waiter.set_result(None)

            def connection_lost(self, exc: Exception | None) -> None:
                self.ended = True
                if self._waiter is not None and not self._waiter.done():
                    self._waiter.set_exception(exc or ConnectionResetError("the host's shell ended"))

        _SHELL_SESSION = ShellSession
    return _SHELL_SESSION
