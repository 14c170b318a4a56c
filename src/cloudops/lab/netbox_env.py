"""Where the lab's NetBox comes from and lives: a Python new enough for it (NetBox 4.x needs >= 3.12), the
venv shared by every lab of the machine (keyed by NetBox and Python version), its paths and ports, and the
small process helpers the supervision uses. ``lab.netbox`` runs NetBox with them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.errors import Unavailable
from cloudops.lab import netns
from cloudops.lab.layout import DEFAULT_PORT_BASE as LAB_PORT_BASE
from cloudops.lab.layout import NETBOX_PORT_OFFSET

NETBOX_VERSION = "4.7.3"
MIN_PYTHON = (3, 12)
# PostgreSQL = base, Redis = base + 1, NetBox HTTP = base + 2; base = the lab's base port + 50 (the lab core
# keeps offsets 50-99 for the companion components: layout.NETBOX_PORT_OFFSET), or $CLOUDOPS_LAB_NETBOX_PORT.
MIGRATE_TIMEOUT = 1200.0
# The denominators of the first start's progress ("n of ~N"), counted on a NetBox 4.7.3 install.
NETBOX_EXPECTED_PACKAGES = 100  # 99 installed on a fresh machine (4.7.3, 2026-12-06)
NETBOX_EXPECTED_MIGRATIONS = 336
READY_TIMEOUT = 120.0

Progress = Callable[[str], None]


def quiet(_: str) -> None:
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


def run_streamed(
    argv: list[str],
    *,
    what: str,
    log: Path,
    timeout: float,
    on_line: Progress = quiet,
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


def run(argv: list[str], *, what: str, log: Path | None = None, timeout: float = 120, **kw: Any) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if log is not None:
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(argv[:6])}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        words = " ".join((proc.stderr or proc.stdout).split())[-300:]
        where = f"; read {log}" if log else ""
        raise Unavailable(f"NetBox lab: {what} failed (exit {proc.returncode}): {words}{where}")
    return str(proc.stdout)


def pg_bin() -> Path:
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda d: int(d.parent.parent.name))
    if not dirs:
        raise Unavailable(
            "NetBox lab needs PostgreSQL (Debian package postgresql): apt-get install postgresql"
        )
    return dirs[-1].parent


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_port_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


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
