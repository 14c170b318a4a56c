"""A real NetBox for the lab: NetBox 4.x from PyPI, private PostgreSQL and Redis, gunicorn, an API token.

Layout (``<labdir>/netbox/``): ``root/conf/configuration.py`` (``NETBOX_ROOT``), ``redis/``, ``gunicorn.pid``,
logs, ``state.json``, ``token`` (0600). PostgreSQL refuses to run as root and cannot traverse ``/root``,
so its cluster lives in ``/var/tmp/cloudops-<prefix>-netbox/`` (owned by ``postgres``; the lab dir links to
it as ``pgdata``). NetBox itself lives in a venv shared by every lab of the machine and keyed by NetBox
version and Python version: ``~/.cache/cloudops/netbox-venv/<version>-py<X.Y>/``.

NetBox 4.x requires Python >= 3.12. ``find_python`` looks for one (pyenv versions, ``python3.13``/``python3.12``
on PATH, the system ``python3``); **when there is none, ``up`` raises Unavailable with one line and the lab
runs without NetBox** — nothing else depends on it.

Migrations take minutes (≈200 s on 2 cores). They run once per NetBox version: right after them (and the
admin user and token) the empty, migrated database is dumped next to the venv (``ready.dump``). A lab's
database is kept between runs (``down`` stops processes, keeps data); a new lab restores the dump in about
a second instead of migrating; ``load`` resets the database to that dump and loads the registry again —
the data is reloaded, never the schema.

``load`` maps the site registry onto NetBox as docs/ops-repo.md ("The registry in NetBox") describes:
regions, sites, racks, device roles, devices, interfaces (BMC too), IP roles, VLANs, prefixes, IP ranges,
IP addresses (interfaces, BMC, VIPs, gateways, DNS/NTP servers) — every object tagged ``cloudops:<site>``.

Long because: it still holds four jobs (NetBox's supervision, the registry→NetBox mapping's use, a
pynetbox writer, a benchmark helper); the lab's restructure (issue 21) splits them.
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
from typing import Any

from cloudops.errors import Unavailable
from cloudops.ipam.desired import netbox_objects
from cloudops.ipam.write import load_registry_into
from cloudops.lab import netns, procs
from cloudops.lab.progress import MigrateProgress, PipProgress

NETBOX_VERSION = "4.7.3"
MIN_PYTHON = (3, 12)
# PostgreSQL = base, Redis = base + 1, NetBox HTTP = base + 2; base = the lab's base port + 50 (the lab core
# keeps offsets 50-99 for the companion components), or $CLOUDOPS_LAB_NETBOX_PORT.
NETBOX_PORT_OFFSET = 50
LAB_PORT_BASE = 16000
MIGRATE_TIMEOUT = 1200.0
# The denominators of the first start's progress ("n of ~N"), counted on a NetBox 4.7.3 install.
NETBOX_EXPECTED_PACKAGES = 60
NETBOX_EXPECTED_MIGRATIONS = 336
READY_TIMEOUT = 120.0

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------------------- Python, venv


def _python_version(exe: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(exe), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


#: The distribution's own Python, the last place looked.
SYSTEM_PYTHON = Path("/usr/bin/python3")


def python_candidates() -> list[Path]:
    """Where a Python >= 3.12 may be: pyenv versions (newest first), then PATH, then the system one."""
    found: list[Path] = []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    versions = pyenv_root / "versions"
    if versions.is_dir():
        found += sorted(versions.glob("3.1[2-9]*/bin/python3"), reverse=True)
    for name in ("python3.13", "python3.12", "python3"):
        exe = shutil.which(name)
        if exe:
            found.append(Path(exe))
    found.append(SYSTEM_PYTHON)
    unique: list[Path] = []
    for p in found:
        if p.exists() and p not in unique:
            unique.append(p)
    return unique


def find_python() -> tuple[Path, tuple[int, int]] | None:
    """The Python NetBox's venv is made with (>= 3.12, 3.12 preferred: NetBox's tested version)."""
    usable = []
    for exe in python_candidates():
        version = _python_version(exe)
        if version is not None and version >= MIN_PYTHON:
            usable.append((exe, version))
    usable.sort(key=lambda ev: ev[1])
    return usable[0] if usable else None


NO_PYTHON = (
    "NetBox {version} needs Python >= 3.12 and none was found (pyenv versions, python3.12/3.13 on PATH, "
    "/usr/bin/python3): the lab runs without NetBox"
)


def venv_cache() -> Path:
    """NetBox's venvs and ready dumps: ``$CLOUDOPS_NETBOX_CACHE``, else ~/.cache/cloudops/netbox-venv."""
    override = os.environ.get("CLOUDOPS_NETBOX_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "cloudops" / "netbox-venv"


# --------------------------------------------------------------------------------------------- paths


@dataclass(frozen=True, slots=True)
class NetBoxPaths:
    labdir: Path
    version: str = NETBOX_VERSION

    @property
    def base(self) -> Path:
        return self.labdir / "netbox"

    @property
    def root(self) -> Path:  # NETBOX_ROOT
        return self.base / "root"

    @property
    def config(self) -> Path:
        return self.root / "conf" / "configuration.py"

    @property
    def pg_home(self) -> Path:
        return Path("/var/tmp") / f"cloudops-{netns.lab_prefix(self.labdir)}-netbox"

    @property
    def pg_data(self) -> Path:
        return self.pg_home / "pg"

    @property
    def pg_sock(self) -> Path:
        return self.pg_home / "sock"

    @property
    def pg_log(self) -> Path:
        return self.pg_home / "log" / "postgresql.log"

    @property
    def redis_dir(self) -> Path:
        return self.base / "redis"

    @property
    def redis_pid(self) -> Path:
        return self.redis_dir / "redis.pid"

    @property
    def gunicorn_pid(self) -> Path:
        return self.base / "gunicorn.pid"

    @property
    def gunicorn_log(self) -> Path:
        return self.base / "gunicorn.log"

    @property
    def state(self) -> Path:
        return self.base / "state.json"

    @property
    def token_file(self) -> Path:
        return self.base / "token"

    def venv(self, py: tuple[int, int]) -> Path:
        return venv_cache() / f"{self.version}-py{py[0]}.{py[1]}"

    @property
    def ready_dump(self) -> Path:
        """The migrated, empty database (with the admin user and token), shared by every lab."""
        return venv_cache() / f"{self.version}-ready.dump"

    @property
    def ready_token(self) -> Path:
        return venv_cache() / f"{self.version}-ready.token"


@dataclass(frozen=True, slots=True)
class Ports:
    postgres: int
    redis: int
    http: int

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(base, base + 1, base + 2)


def default_base_port() -> int:
    explicit = os.environ.get("CLOUDOPS_LAB_NETBOX_PORT")
    if explicit:
        return int(explicit)
    return int(os.environ.get("CLOUDOPS_LAB_PORT_BASE", LAB_PORT_BASE)) + NETBOX_PORT_OFFSET


# ------------------------------------------------------------------------------------------ helpers


def _run_streamed(
    argv: list[str],
    *,
    what: str,
    log: Path,
    timeout: float,
    on_line: Progress = _quiet,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> None:
    """Run a long step with its output going to ``log`` line by line (so it can be followed while it
    runs), each line also handed to ``on_line`` (progress)."""
    from cloudops.lab.procs import run_streaming

    with log.open("a") as out:
        out.write(f"$ {' '.join(argv[:6])}\n")
        out.flush()

        def tee(line: str) -> None:
            out.write(line + "\n")
            out.flush()
            on_line(line)

        res = run_streaming(argv, timeout=timeout, on_line=tee, env=env, cwd=cwd)
    if res.returncode == 124 and res.stderr.startswith("(timed out"):
        raise Unavailable(f"NetBox lab: {what} took more than {timeout:.0f} s; read {log}")
    code = res.returncode
    if code != 0:
        tail = " ".join(log.read_text(errors="replace").split()[-40:])[-300:]
        raise Unavailable(f"NetBox lab: {what} failed (exit {code}): {tail}; read {log}")


def _run(argv: list[str], *, what: str, log: Path | None = None, timeout: float = 120, **kw: Any) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if log is not None:
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(argv[:6])}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        words = " ".join((proc.stderr or proc.stdout).split())[-300:]
        where = f"; read {log}" if log else ""
        raise Unavailable(f"NetBox lab: {what} failed (exit {proc.returncode}): {words}{where}")
    return str(proc.stdout)


def _pg_bin() -> Path:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda d: int(d.parent.parent.name))
    if not dirs:
        raise Unavailable(
            "NetBox lab needs PostgreSQL (Debian package postgresql): apt-get install postgresql"
        )
    return dirs[-1].parent


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_port_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive_pid(path: Path) -> int | None:
    pid = _read_pid(path)
    return pid if pid is not None and procs.pid_alive(pid) else None


def netbox_unavailable() -> str | None:
    """Why NetBox cannot run here (one line), or None."""
    if find_python() is None:
        return NO_PYTHON.format(version=NETBOX_VERSION)
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return "NetBox lab needs PostgreSQL (Debian package postgresql): the lab runs without NetBox"
    if shutil.which("redis-server") is None:
        return "NetBox lab needs Redis (Debian package redis-server): the lab runs without NetBox"
    if os.geteuid() != 0:
        return (
            "NetBox lab runs PostgreSQL as the postgres user and needs root for that: running without NetBox"
        )
    return None


CONFIG_TEMPLATE = """\
# cloudops lab NetBox: generated, do not edit (secrets: mode 0600, never logged)
import os
ALLOWED_HOSTS = ['*']
DATABASES = {{'default': {{
    'ENGINE': 'django.db.backends.postgresql', 'NAME': os.environ.get('NB_DB_NAME', 'netbox'),
    'USER': 'netbox', 'PASSWORD': '', 'HOST': '127.0.0.1', 'PORT': '{pg}',
    'CONN_MAX_AGE': 300, 'CONN_HEALTH_CHECKS': True,
}}}}
REDIS = {{
    'tasks': {{'HOST': '127.0.0.1', 'PORT': {redis}, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 0, 'SSL': False}},
    'caching': {{'HOST': '127.0.0.1', 'PORT': {redis}, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 1, 'SSL': False}},
}}
SECRET_KEY = {secret!r}
API_TOKEN_PEPPERS = {{1: {pepper!r}}}
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None
ENFORCE_GLOBAL_UNIQUE = True
"""

SHELL_ADMIN = """\
import os
from users.models import User, Token
u = User.objects.filter(username='admin').first() or User(username='admin')
u.is_superuser = True; u.is_active = True; u.set_unusable_password(); u.save()
Token.objects.filter(user=u).delete()
Token(user=u, version=1, token=os.environ['NB_LAB_TOKEN'], description='cloudops lab').save()
print('admin-token-ok')
"""


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
    def up(self, progress: Progress = _quiet) -> Timings:
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
        if not (venv / ".cloudops-complete").exists():
            progress(f"NetBox {NETBOX_VERSION}: installing into {venv} (about a minute, once)")
        timings.time("venv", lambda: self._ensure_venv(python, venv, progress))
        self._write_config()
        started: list[str] = []
        try:
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

    def _ensure_venv(self, python: Path, venv: Path, progress: Progress = _quiet) -> None:
        marker = venv / ".cloudops-complete"
        if marker.exists():
            return
        venv.parent.mkdir(parents=True, exist_ok=True)
        log = venv.parent / f"{venv.name}.pip.log"
        if not (venv / "bin" / "python").exists():
            _run([str(python), "-m", "venv", str(venv)], what="creating NetBox's venv", log=log)
        _run_streamed(
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

    # -- PostgreSQL
    def _pg_running(self) -> int | None:
        try:
            pid = int((self.paths.pg_data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if procs.pid_alive(pid) else None

    def _as_postgres(self, argv: list[str], what: str, timeout: float = 60) -> str:
        return _run(["runuser", "-u", "postgres", "--", *argv], what=what, timeout=timeout, cwd="/")

    def _ensure_postgres(self, started: list[str]) -> None:
        p = self.paths
        pg = _pg_bin()
        if self._pg_running():
            return
        if not _port_free(self.ports.postgres):
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

    def _psql(self, *sql: str, db: str = "postgres") -> str:
        argv = [
            str(_pg_bin() / "psql"),
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
        return _run(argv, what="psql")

    # -- Redis
    def _ensure_redis(self, started: list[str]) -> None:
        p = self.paths
        if _alive_pid(p.redis_pid):
            return
        if not _port_free(self.ports.redis):
            raise Unavailable(f"NetBox lab: port {self.ports.redis} (Redis) is taken by another process")
        p.redis_dir.mkdir(parents=True, exist_ok=True)
        _run(
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
        while not _alive_pid(p.redis_pid):
            if time.monotonic() > deadline:
                raise Unavailable(f"NetBox lab: Redis did not start; read {p.redis_dir / 'redis.log'}")
            time.sleep(0.05)

    def _redis_flush(self) -> None:
        _run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.ports.redis), "flushall"], what="redis flushall")

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
                lambda: _run_streamed(
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
                lambda: _run(
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
            _run(
                [
                    str(_pg_bin() / "pg_dump"),
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
        _run(
            [
                str(_pg_bin() / "pg_restore"),
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
        if _alive_pid(p.gunicorn_pid):
            return
        if not _wait_port_free(self.ports.http, 10):
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
        deadline = time.monotonic() + 20
        while not _alive_pid(p.gunicorn_pid):
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
            if not _alive_pid(self.paths.gunicorn_pid) or time.monotonic() > deadline:
                raise Unavailable(
                    f"NetBox does not answer on {self.url}/api/status/; read {self.paths.gunicorn_log}"
                )
            time.sleep(0.2)

    # ------------------------------------------------------------------------------------ down
    def _stop(self, which: Iterable[str]) -> None:
        which = set(which)
        p = self.paths
        if "gunicorn" in which:
            pid = _alive_pid(p.gunicorn_pid)
            if pid:
                procs.terminate([pid, *procs.descendants(pid)], timeout=15)
        if "redis" in which:
            pid = _alive_pid(p.redis_pid)
            if pid:
                procs.terminate([pid], timeout=10)
        if "postgres" in which and self._pg_running():
            with contextlib.suppress(Unavailable):
                self._as_postgres(
                    [str(_pg_bin() / "pg_ctl"), "-D", str(p.pg_data), "-m", "fast", "-w", "stop"],
                    "PostgreSQL stop",
                )
            pid = self._pg_running()
            if pid:
                procs.terminate([pid], timeout=10)

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
        for name, pid in (
            ("gunicorn", _alive_pid(self.paths.gunicorn_pid)),
            ("redis", _alive_pid(self.paths.redis_pid)),
            ("postgres", self._pg_running()),
        ):
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

    def load(self, registry: Any, site: str, *, reset: bool = True) -> dict[str, int]:
        """Load the registry into NetBox (after resetting the data to the migrated snapshot)."""
        if reset:
            self.reset_data()
        return load_registry_into(self.api(), netbox_objects(registry, site))


# ------------------------------------------------------------------------------------------ benchmark


def benchmark_netbox(
    base_port: int = 28600, *, cold: bool = False, registry: Any = None, site: str = "lab"
) -> dict[str, Any]:
    """NetBox start in a new lab dir (restore of the ready dump; with ``cold``, a full migrate) vs reuse.

    ``cold`` moves the machine's ready dump aside for the run (and puts it back), so the first start
    migrates a new database as on a fresh machine. Everything is stopped and removed afterwards.
    """
    import tempfile

    paths = NetBoxPaths(Path("/nonexistent"))
    parked: list[tuple[Path, Path]] = []
    if cold:
        for f in (paths.ready_dump, paths.ready_token):
            if f.exists():
                f.rename(f.with_name(f.name + ".parked"))
                parked.append((f.with_name(f.name + ".parked"), f))
    out: dict[str, Any] = {"first_start_kind": "migrate" if not paths.ready_dump.exists() else "restore"}
    try:
        with tempfile.TemporaryDirectory(prefix="cloudops-nb-bench-") as tmp:
            lab = NetBoxLab(Path(tmp) / "lab", base_port=base_port)
            try:
                first = lab.up()
                out["first_start"] = {"total_s": first.total, **first.steps}
                if registry is not None:
                    t0 = time.monotonic()
                    held = lab.load(registry, site)
                    out["load"] = {"seconds": round(time.monotonic() - t0, 2), **held}
                lab.down()
                again = lab.up()
                out["reuse"] = {"total_s": again.total, **again.steps}
                out["pss_mib"] = {name: _pss_mib(pid) for name, pid in lab.pids().items()}
            finally:
                lab.destroy()
    finally:
        for src, dst in parked:
            if dst.exists():
                src.unlink()
            else:
                src.rename(dst)
    return out


def _pss_mib(pid: int) -> float:
    """PSS of a process and its descendants, in MiB."""
    total = 0
    for p in (pid, *procs.descendants(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)
