"""A real NetBox for the lab: NetBox 4.x from PyPI, private PostgreSQL and Redis, gunicorn, an API token.

Layout (``<labdir>/netbox/``): ``root/conf/configuration.py`` (``NETBOX_ROOT``), ``redis/``, ``gunicorn.pid``,
logs, ``state.json``, ``token`` (0600). PostgreSQL, Redis and gunicorn are recorded by the lab's one
supervisor (``<labdir>/run/netbox-*.json``: PID and the kernel's start time, as every lab process — a stop
never signals a PID that was recycled after NetBox's process ended; the daemons' own pid files only find
one to adopt).
PostgreSQL refuses to run as root and cannot traverse ``/root``, so its cluster lives in
``/var/tmp/cloudops-<prefix>-netbox/`` (owned by ``postgres``; the lab dir links to it as ``pgdata``).
NetBox itself lives in a venv shared by every lab of the machine and keyed by NetBox
version and Python version: ``~/.cache/cloudops/netbox-venv/<version>-py<X.Y>/``; one NetBox at a time
prepares that cache (``prepare.lock`` there), and another that starts meanwhile waits for it.

NetBox 4.x requires Python >= 3.12. ``find_python`` looks for one (pyenv versions, ``python3.13``/``python3.12``
on PATH, the system ``python3``); **when there is none, ``up`` raises Unavailable with one line and the lab
runs without NetBox** — nothing else depends on it.

Migrations take minutes (≈200-310 s on 2 cores). They run once per NetBox version: right after them (and the
admin user and token) the empty, migrated database is dumped next to the venv (``ready.dump``). A lab's
database is kept between runs (``down`` stops processes, keeps data); a new lab restores the dump in about
a second instead of migrating; ``load`` resets the database to that dump and loads the registry again —
the data is reloaded, never the schema.

``load`` maps the site registry onto NetBox as docs/ops-repo.md ("The registry in NetBox") describes:
regions, sites, racks, device roles, devices, interfaces (BMC too), IP roles, VLANs, prefixes, IP ranges,
IP addresses (interfaces, BMC, VIPs, gateways, DNS/NTP servers) — every object tagged ``cloudops:<site>``.

Where NetBox comes from (a Python, the venv, paths and ports) is ``lab.netbox_env``; the registry→NetBox
mapping is ``ipam.desired`` and its writer ``ipam.write``; this module supervises NetBox and loads it.

Long because: NetBox's supervision is one object of many steps (PostgreSQL's cluster, Redis, the venv,
migrations or the ready dump, gunicorn, the token), each with its one-line failure and its timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import Unavailable
from cloudops.filelock import waiting
from cloudops.ipam.desired import netbox_objects
from cloudops.ipam.write import load_registry_into
from cloudops.lab import netns, procs
from cloudops.lab.netbox_env import (
    CONFIG_TEMPLATE,
    MIGRATE_TIMEOUT,
    NETBOX_EXPECTED_MIGRATIONS,
    NETBOX_EXPECTED_PACKAGES,
    NETBOX_VERSION,
    READY_TIMEOUT,
    SHELL_ADMIN,
    NetBoxPaths,
    Ports,
    Progress,
    default_base_port,
    find_python,
    netbox_unavailable,
    pg_bin,
    port_free,
    quiet,
    read_pid,
    run,
    run_streamed,
    venv_cache,
    wait_port_free,
)
from cloudops.lab.progress import MigrateProgress, PipProgress

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView

__all__ = ["NETBOX_VERSION", "ComponentStatus", "NetBoxLab", "Timings", "netbox_unavailable"]

# How long a NetBox waits for another's set-up of the shared cache: a venv install and a migration, both slow.
PREPARE_TIMEOUT = 1800.0

# NetBox's processes by their supervisor records' names.
PROCESSES = {"postgres": "netbox-postgres", "redis": "netbox-redis", "gunicorn": "netbox-gunicorn"}


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.monotonic()
        try:
            return fn()
        finally:
            self.steps[name] = round(time.monotonic() - t0, 2)

    @property
    def total(self) -> float:
        return round(sum(v for k, v in self.steps.items() if "." not in k), 2)


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    component: str
    state: str  # up | down
    pid: int | None
    port: int | None
    log: str


class NetBoxLab:
    """The lab's NetBox: ``up``, ``down``, ``status``, ``load`` (from a registry), ``url``, ``token``."""

    # Two gunicorn workers, as NetBox is served in production (its docs: 2n+1 per n cores): a list of
    # roosevelt's 681 addresses is answered beside the devices and prefixes, not after them.
    def __init__(self, labdir: Path | None = None, *, base_port: int | None = None, workers: int = 2) -> None:
        self.labdir = netns.lab_dir(labdir)
        self.paths = NetBoxPaths(self.labdir)
        self.ports = Ports.from_base(base_port if base_port is not None else default_base_port())
        self.workers = workers
        # The lab's one supervisor; an older lab's records under ``netbox/run`` move there once.
        self.sup = procs.supervisor(self.labdir, legacy=[self.paths.base / "run"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def token(self) -> str:
        try:
            return self.paths.token_file.read_text().strip()
        except OSError:
            raise Unavailable(
                f"the lab's NetBox has no token yet ({self.paths.token_file}): lab up --with netbox"
            ) from None

    # -------------------------------------------------------------------------------------- up
    def up(self, progress: Progress = quiet) -> Timings:
        """Bring NetBox up (idempotent); returns the time each step took."""
        reason = netbox_unavailable()
        if reason:
            raise Unavailable(reason)
        timings = Timings()
        found = find_python()
        assert found is not None
        python, pyver = found
        self.paths.base.mkdir(parents=True, exist_ok=True)
        venv = self.paths.venv(pyver)
        started: list[str] = []
        try:
            # The venv and the migrated snapshot are shared by every NetBox of this cache (two labs, the
            # tests' own): one prepares them at a time, and the next finds them ready.
            with waiting(
                venv_cache() / "prepare.lock",
                holder=f"NetBox of {self.labdir}",
                timeout=PREPARE_TIMEOUT,
                on_wait=lambda who: progress(f"NetBox: waiting for another NetBox's set-up to end ({who})"),
            ):
                if not (venv / ".cloudops-complete").exists():
                    progress(f"NetBox {NETBOX_VERSION}: installing into {venv} (about a minute, once)")
                timings.time("venv", lambda: self._ensure_venv(python, venv, progress))
                self._write_config()
                progress("NetBox: PostgreSQL")
                timings.time("postgres", lambda: self._ensure_postgres(started))
                progress("NetBox: Redis")
                timings.time("redis", lambda: self._ensure_redis(started))
                timings.time("database", lambda: self._ensure_database(venv, progress, timings))
            progress("NetBox: gunicorn")
            timings.time("gunicorn", lambda: self._ensure_gunicorn(venv, started))
            timings.time("ready", self._wait_ready)
        except BaseException:
            self._stop(started)
            raise
        return timings

    def _ensure_venv(self, python: Path, venv: Path, progress: Progress = quiet) -> None:
        marker = venv / ".cloudops-complete"
        if marker.exists():
            return
        venv.parent.mkdir(parents=True, exist_ok=True)
        log = venv.parent / f"{venv.name}.pip.log"
        if not (venv / "bin" / "python").exists():
            run([str(python), "-m", "venv", str(venv)], what="creating NetBox's venv", log=log)
        run_streamed(
            [str(venv / "bin" / "pip"), "install", "--no-input", "--progress-bar", "off",
             "--disable-pip-version-check", f"netbox=={NETBOX_VERSION}"],
            what=f"pip install netbox=={NETBOX_VERSION}",
            log=log,
            timeout=900,
            on_line=PipProgress(progress, "NetBox venv", NETBOX_EXPECTED_PACKAGES).feed,
        )  # fmt: skip
        marker.write_text(f"netbox=={NETBOX_VERSION}\n")

    def _write_config(self) -> None:
        cfg = self.paths.config
        cfg.parent.mkdir(parents=True, exist_ok=True)
        secrets_file = self.paths.base / "secrets.json"
        if secrets_file.exists():
            sec = json.loads(secrets_file.read_text())
        else:
            sec = {"secret": secrets.token_urlsafe(60), "pepper": secrets.token_urlsafe(60)}
            secrets_file.touch(mode=0o600)
            secrets_file.write_text(json.dumps(sec))
        text = CONFIG_TEMPLATE.format(
            pg=self.ports.postgres, redis=self.ports.redis, secret=sec["secret"], pepper=sec["pepper"]
        )
        (cfg.parent / "__init__.py").touch()
        if not cfg.exists() or cfg.read_text() != text:
            cfg.touch(mode=0o600)
            cfg.write_text(text)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NETBOX_ROOT"] = str(self.paths.root)
        env.pop("NETBOX_CONFIGURATION", None)
        return env

    # -- the processes, by their records
    def _pidfile(self, which: str) -> Path:
        p = self.paths
        return {"postgres": p.pg_data / "postmaster.pid", "redis": p.redis_pid, "gunicorn": p.gunicorn_pid}[
            which
        ]

    def _where(self, which: str) -> tuple[int, Path]:
        p = self.paths
        return {
            "postgres": (self.ports.postgres, p.pg_log),
            "redis": (self.ports.redis, p.redis_dir / "redis.log"),
            "gunicorn": (self.ports.http, p.gunicorn_log),
        }[which]

    def _identity(self, which: str) -> tuple[str, ...]:
        """What the command line of this lab's process holds: the program and its port (gunicorn's
        master may retitle itself ``gunicorn: master [netbox.wsgi]``: the app it serves, then)."""
        if which == "gunicorn":
            return ("gunicorn", "netbox.wsgi")
        return ("postgres", f"-p {self.ports.postgres}") if which == "postgres" else (
            "redis-server", f":{self.ports.redis}"
        )  # fmt: skip

    def _pid(self, which: str) -> int | None:
        """The running process's PID: its record's, while that PID is still the process recorded (same
        start time); else the daemon's pid file's, adopted only when that process is NetBox's own (its
        command line: ``_identity``), so that a recycled PID is never taken for it."""
        name = PROCESSES[which]
        rec = self.sup.record(name)
        if rec is not None:
            if procs.pid_alive(rec.pid, rec.start_ticks):
                return rec.pid
            self.sup.forget(name)
        pid = read_pid(self._pidfile(which))
        if pid is None or not procs.pid_alive(pid):
            return None
        port, log = self._where(which)
        cmdline = procs.read_cmdline(pid)
        if not all(word in cmdline for word in self._identity(which)):
            return None
        self.sup.adopt(name, "netbox", pid, log, port)
        return pid

    # -- PostgreSQL
    def _pg_running(self) -> int | None:
        return self._pid("postgres")

    def _as_postgres(self, argv: list[str], what: str, timeout: float = 60) -> str:
        return run(["runuser", "-u", "postgres", "--", *argv], what=what, timeout=timeout, cwd="/")

    def _ensure_postgres(self, started: list[str]) -> None:
        p = self.paths
        pg = pg_bin()
        if self._pg_running():
            return
        if not port_free(self.ports.postgres):
            raise Unavailable(
                f"NetBox lab: port {self.ports.postgres} (PostgreSQL) is taken by another process"
            )
        for d in (p.pg_home, p.pg_sock, p.pg_log.parent):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.chown(d, "postgres", "postgres")
        link = p.base / "pgdata"
        if not link.is_symlink():
            link.symlink_to(p.pg_home)
        if not (p.pg_data / "PG_VERSION").exists():
            if p.pg_data.exists():
                shutil.rmtree(p.pg_data)
            self._as_postgres(
                [
                    str(pg / "initdb"),
                    "-D",
                    str(p.pg_data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                "initdb",
            )
            (p.base / "state.json").unlink(missing_ok=True)
        opts = (
            f"-p {self.ports.postgres} -k {p.pg_sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._as_postgres(
            [
                str(pg / "pg_ctl"),
                "-D",
                str(p.pg_data),
                "-l",
                str(p.pg_log),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
            f"PostgreSQL start (read {p.pg_log})",
        )
        started.append("postgres")
        if self._pid("postgres") is None:
            raise Unavailable(f"NetBox lab: PostgreSQL started but is not running; read {p.pg_log}")

    def _psql(self, *sql: str, db: str = "postgres") -> str:
        argv = [
            str(pg_bin() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.ports.postgres),
            "-U",
            "postgres",
            "-d",
            db,
            "-v",
            "ON_ERROR_STOP=1",
            "-tA",
        ]
        for s in sql:
            argv += ["-c", s]
        return run(argv, what="psql")

    # -- Redis
    def _ensure_redis(self, started: list[str]) -> None:
        p = self.paths
        if self._pid("redis"):
            return
        if not port_free(self.ports.redis):
            raise Unavailable(f"NetBox lab: port {self.ports.redis} (Redis) is taken by another process")
        p.redis_dir.mkdir(parents=True, exist_ok=True)
        run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.ports.redis),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(p.redis_dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(p.redis_pid),
                "--logfile",
                str(p.redis_dir / "redis.log"),
                "--protected-mode",
                "yes",
            ],
            what="redis-server start",
        )
        started.append("redis")
        deadline = time.monotonic() + 10
        while not self._pid("redis"):
            if time.monotonic() > deadline:
                raise Unavailable(f"NetBox lab: Redis did not start; read {p.redis_dir / 'redis.log'}")
            time.sleep(0.05)

    def _redis_flush(self) -> None:
        run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.ports.redis), "flushall"], what="redis flushall")

    # -- the database: migrated once per version, restored from the ready dump otherwise
    def _state(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.paths.state.read_text())
            return data
        except (OSError, ValueError):
            return {}

    def _ensure_database(self, venv: Path, progress: Progress, timings: Timings) -> None:
        p = self.paths
        state = self._state()
        if state.get("migrated") == NETBOX_VERSION and p.token_file.exists():
            return
        exists = self._psql("SELECT 1 FROM pg_roles WHERE rolname='netbox'").strip() == "1"
        if not exists:
            self._psql("CREATE ROLE netbox LOGIN CREATEDB")
        if p.ready_dump.exists() and p.ready_token.exists():
            progress("NetBox: restoring the migrated database (no migrations)")
            timings.time("database.restore", self._restore_ready)
        else:
            progress(f"NetBox: migrating a new database (minutes; log {p.base / 'migrate.log'})")
            # migrate continues a database an interrupted run left (and is a quick no-op on a migrated one)
            if self._psql("SELECT 1 FROM pg_database WHERE datname='netbox'").strip() != "1":
                self._psql("CREATE DATABASE netbox OWNER netbox")
            log = p.base / "migrate.log"
            timings.time(
                "database.migrate",
                lambda: run_streamed(
                    [str(venv / "bin" / "netbox"), "migrate", "--no-input"],
                    what="netbox migrate",
                    log=log,
                    timeout=MIGRATE_TIMEOUT,
                    on_line=MigrateProgress(progress, "NetBox", NETBOX_EXPECTED_MIGRATIONS).feed,
                    env=self._env(),
                    cwd=str(p.base),
                ),
            )
            token = secrets.token_hex(20)
            env = self._env() | {"NB_LAB_TOKEN": token}
            timings.time(
                "database.admin",
                lambda: run(
                    [str(venv / "bin" / "netbox"), "shell", "-c", SHELL_ADMIN],
                    what="admin user and token",
                    log=log,
                    env=env,
                    cwd=str(p.base),
                ),
            )
            p.ready_dump.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.ready_dump.with_suffix(".tmp")
            tmp.touch(mode=0o600)
            run(
                [
                    str(pg_bin() / "pg_dump"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.ports.postgres),
                    "-U",
                    "netbox",
                    "-Fc",
                    "-f",
                    str(tmp),
                    "netbox",
                ],
                what="pg_dump of the migrated database",
            )
            p.ready_token.touch(mode=0o600)
            p.ready_token.write_text(token + "\n")
            tmp.replace(p.ready_dump)
        p.token_file.touch(mode=0o600)
        p.token_file.write_text(p.ready_token.read_text())
        ports = {"postgres": self.ports.postgres, "redis": self.ports.redis, "http": self.ports.http}
        p.state.write_text(json.dumps({"migrated": NETBOX_VERSION, "ports": ports}))

    def _restore_ready(self) -> None:
        self._psql("DROP DATABASE IF EXISTS netbox WITH (FORCE)", "CREATE DATABASE netbox OWNER netbox")
        run(
            [
                str(pg_bin() / "pg_restore"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.ports.postgres),
                "-U",
                "netbox",
                "--no-owner",
                "-d",
                "netbox",
                str(self.paths.ready_dump),
            ],
            what="pg_restore of the migrated database",
        )
        # the dump holds its own admin token: this lab's token is that one from now on
        self.paths.token_file.touch(mode=0o600)
        self.paths.token_file.write_text(self.paths.ready_token.read_text())

    def reset_data(self) -> None:
        """Back to the migrated, empty database (admin and token kept): the data only, not the schema."""
        if not self.paths.ready_dump.exists():
            raise Unavailable(
                f"no migrated snapshot of NetBox {NETBOX_VERSION} in {self.paths.ready_dump.parent} for the NetBox of "
                f"{self.labdir} (migrated against another cache, or not yet): destroy it and start it again"
            )
        self._restore_ready()
        self._redis_flush()

    # -- gunicorn
    def _ensure_gunicorn(self, venv: Path, started: list[str]) -> None:
        p = self.paths
        if self._pid("gunicorn"):
            return
        if not wait_port_free(self.ports.http, 10):
            raise Unavailable(f"NetBox lab: port {self.ports.http} (NetBox HTTP) is taken by another process")
        with p.gunicorn_log.open("ab") as out:
            proc = subprocess.Popen(
                [
                    str(venv / "bin" / "gunicorn"),
                    "--no-control-socket",
                    "--bind",
                    f"127.0.0.1:{self.ports.http}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                    "--graceful-timeout",  # kept-alive client connections must not hold a stop for 30 s
                    "3",
                    "--pid",
                    str(p.gunicorn_pid),
                    "netbox.wsgi",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env(),
                cwd=str(p.base),
                start_new_session=True,
            )
        started.append("gunicorn")
        port, log = self._where("gunicorn")
        self.sup.adopt(PROCESSES["gunicorn"], "netbox", proc.pid, log, port)  # it runs in the foreground
        deadline = time.monotonic() + 20
        while read_pid(p.gunicorn_pid) != proc.pid:  # its pid file: the master is up
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Unavailable(f"NetBox lab: gunicorn did not start; read {p.gunicorn_log}")
            time.sleep(0.05)

    def api_status(self, timeout: float = 3.0) -> dict[str, Any] | None:
        """NetBox's /api/status/ (with the token), or None when it does not answer."""
        req = urllib.request.Request(
            f"{self.url}/api/status/",
            headers={"Authorization": f"Token {self.token}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                data: dict[str, Any] = json.load(resp)
                return data
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while self.api_status(timeout=3.0) is None:
            if not self._pid("gunicorn") or time.monotonic() > deadline:
                raise Unavailable(
                    f"NetBox does not answer on {self.url}/api/status/; read {self.paths.gunicorn_log}"
                )
            time.sleep(0.2)

    # ------------------------------------------------------------------------------------ down
    def _stop(self, which: Iterable[str]) -> None:
        """Stop by the supervisor's records (the process and its descendants), gunicorn, Redis, then
        PostgreSQL — which is asked to stop by its own pg_ctl first."""
        which = set(which)
        for name in ("gunicorn", "redis", "postgres"):
            if name not in which or self._pid(name) is None:
                continue
            if name == "postgres":
                with contextlib.suppress(Unavailable):
                    self._as_postgres(
                        [str(pg_bin() / "pg_ctl"), "-D", str(self.paths.pg_data), "-m", "fast", "-w", "stop"],
                        "PostgreSQL stop",
                    )
            self.sup.stop([PROCESSES[name]], timeout=15 if name == "gunicorn" else 10)

    def down(self) -> None:
        """Stop gunicorn, then Redis, then PostgreSQL (by PID); keep the data for the next ``up``."""
        self._stop(["gunicorn", "redis", "postgres"])

    def destroy(self) -> None:
        """``down`` and remove this lab's NetBox state (the shared venv and ready dump stay)."""
        self.down()
        shutil.rmtree(self.paths.pg_home, ignore_errors=True)
        shutil.rmtree(self.paths.base, ignore_errors=True)

    def pids(self) -> dict[str, int]:
        out = {}
        for name in ("gunicorn", "redis", "postgres"):
            pid = self._pid(name)
            if pid:
                out[name] = pid
        return out

    def status(self) -> list[ComponentStatus]:
        pids = self.pids()
        p = self.paths
        rows = [
            ("netbox-postgres", pids.get("postgres"), self.ports.postgres, p.pg_log),
            ("netbox-redis", pids.get("redis"), self.ports.redis, p.redis_dir / "redis.log"),
            ("netbox", pids.get("gunicorn"), self.ports.http, p.gunicorn_log),
        ]
        return [
            ComponentStatus(name, "up" if pid else "down", pid, port, str(log))
            for name, pid, port, log in rows
        ]

    def env(self) -> dict[str, str]:
        """What ``lab env`` exports for NetBox (the token is read from its 0600 file, not printed)."""
        return {
            "CLOUDOPS_LAB_NETBOX_URL": self.url,
            "CLOUDOPS_LAB_NETBOX_TOKEN_FILE": str(self.paths.token_file),
            # what `netbox diff` and preflight's ipam gate read, so that they find the lab's NetBox
            "CLOUDOPS_NETBOX_URL": self.url,
            "CLOUDOPS_NETBOX_TOKEN_FILE": str(self.paths.token_file),
        }

    # ------------------------------------------------------------------------------------ load
    def api(self) -> Any:
        import pynetbox

        return pynetbox.api(self.url, token=self.token)

    def load(self, registry: RegistryView, site: str, *, reset: bool = True) -> dict[str, int]:
        """Load the registry into NetBox (after resetting the data to the migrated snapshot)."""
        if reset:
            self.reset_data()
        return load_registry_into(self.api(), netbox_objects(registry, site))
