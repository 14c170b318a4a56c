"""Where a lab lives and which ports it uses: pure, computed from two settings.

A lab is one directory (``$CLOUDOPS_LAB_DIR``, default ``$XDG_CACHE_HOME/cloudops/lab``) and one base
port (``$CLOUDOPS_LAB_PORT_BASE``, default 16000); every port is ``base + offset``, so two labs with two
bases coexist on one machine. The services' venv is shared between labs: its path is keyed by the hash of
the vendored upper-constraints file, so a new constraints file means a new venv and an old one is reused.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from cloudops.errors import InputError

DEFAULT_PORT_BASE = 16000
NETBOX_PORT_OFFSET = 50  # NetBox, its PostgreSQL and Redis: the first of the companions' offsets (50-99)
LEGACY_HOSTS_DIR = "nshosts"  # where the hosts lived, apart, before the lab had one directory layout

# The components of the lab's companions (namespace hosts, the site's DNS and NTP, NetBox): recorded by
# the lab's one supervisor like the core's processes; `lab status` shows them in their own rows.
COMPANION_COMPONENTS = frozenset({"sshd", "forwarder", "siteservices", "netbox"})
CONSTRAINTS_NAME = "upper-constraints-2024.1.txt"

# Offsets from the base port. 50-99 are reserved for the companion components (NetBox, PostgreSQL,
# Redis, sshd): see lab.netns / lab.netbox.
PORT_OFFSETS: dict[str, int] = {
    "mariadb": 0,
    "rabbitmq": 1,
    "rabbitmq-dist": 2,
    "epmd": 3,
    "ceph-mon-v2": 4,
    "ceph-mon-v1": 5,
    "rabbitmq-mgmt": 6,  # the management plugin's HTTP API (assert reads the cluster state there)
    "keystone": 10,
    "placement": 11,
    "glance": 12,
    "nova-api": 13,
    "neutron": 14,
    "cinder-api": 15,
    "magnum-api": 16,
    # The management cluster's Kubernetes API named by the lab's kubeconfig: nothing listens there (no
    # Kubernetes API server can run on this machine), so Magnum fails as it does when that cluster is down.
    "capi-management": 17,
    # Ceph's mgr and OSD pick their ports from [ceph-ms-min, ceph-ms-max].
    "ceph-ms-min": 20,
    "ceph-ms-max": 39,
}

# The OpenStack services from PyPI, at the latest release of each Caracal (2024.1) series.
SERVICE_PACKAGES: tuple[str, ...] = (
    "keystone==25.0.0",
    "glance==28.2.0",
    "openstack-placement==11.0.1",
    "nova==29.4.0",
    "neutron==24.2.2",
    "cinder==24.5.0",
    # Magnum (2024.1) and its Cluster API driver: started only by `lab up --with magnum`.
    "magnum==18.0.1",
    "magnum-cluster-api==0.38.2",
    "PyMySQL",
    "uwsgi",
    # The client a new user types after `eval "$(cloudops lab env)"` (lab env puts it on PATH).
    "python-openstackclient",
    "osc-placement",
    "python-magnumclient",  # `openstack coe ...` against the lab's Magnum
)


def cache_home() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) if xdg else Path.home() / ".cache"


def constraints_text() -> bytes:
    return (resources.files("cloudops") / "data" / "lab" / CONSTRAINTS_NAME).read_bytes()


def constraints_hash() -> str:
    """The services venv's key: the first 12 hex digits of the SHA-256 of the vendored constraints file
    and the package list (a package added means a new venv, not a stale one reused)."""
    digest = hashlib.sha256(constraints_text())
    digest.update("\n".join(SERVICE_PACKAGES).encode())
    return digest.hexdigest()[:12]


def services_venv_path() -> Path:
    """Where the services venv lives: ``$CLOUDOPS_LAB_VENV`` or a path keyed by the constraints hash."""
    override = os.environ.get("CLOUDOPS_LAB_VENV")
    if override:
        return Path(override)
    return cache_home() / "cloudops" / "venvs" / f"services-{constraints_hash()}"


@dataclass(frozen=True)
class LabLayout:
    """Every path and port of one lab, derived from its directory and its base port."""

    root: Path
    port_base: int = DEFAULT_PORT_BASE
    venv: Path | None = None

    def __post_init__(self) -> None:
        if not 1024 <= self.port_base <= 65535 - 100:
            raise InputError(
                f"base port {self.port_base} is out of range (1024..65435)", field="CLOUDOPS_LAB_PORT_BASE"
            )
        if not self.root.is_absolute():
            raise InputError(f"lab directory {self.root} must be an absolute path", field="CLOUDOPS_LAB_DIR")

    @classmethod
    def from_env(cls, root: Path | None = None, port_base: int | None = None) -> LabLayout:
        env_root = os.environ.get("CLOUDOPS_LAB_DIR")
        chosen = root or (Path(env_root) if env_root else cache_home() / "cloudops" / "lab")
        if port_base is None:
            raw = os.environ.get("CLOUDOPS_LAB_PORT_BASE")
            try:
                port_base = int(raw) if raw else DEFAULT_PORT_BASE
            except ValueError:
                raise InputError(f"not a port number: {raw!r}", field="CLOUDOPS_LAB_PORT_BASE") from None
        return cls(root=chosen.expanduser().absolute(), port_base=port_base)

    def port(self, name: str) -> int:
        return self.port_base + PORT_OFFSETS[name]

    @cached_property
    def services_venv(self) -> Path:
        return self.venv or services_venv_path()

    def venv_bin(self, name: str) -> Path:
        return self.services_venv / "bin" / name

    # Directories
    @property
    def hosts_dir(self) -> Path:
        """The root the namespace hosts' files hang from: the lab's own directory (``hosts/`` for their
        plan, keys and sshd, ``siteservices/`` for DNS and NTP), so their processes are recorded in the
        lab's one ``run/``. A lab made before that kept them in ``nshosts/`` with their own records: it
        keeps that tree, and its running hosts, until ``lab down --purge``."""
        legacy = self.root / LEGACY_HOSTS_DIR
        return legacy if legacy.is_dir() else self.root

    @property
    def run_dir(self) -> Path:
        """Process records (one JSON file per supervised process)."""
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def etc_dir(self) -> Path:
        return self.root / "etc"

    @property
    def state_dir(self) -> Path:
        """Markers of the one-time steps done (db synced, users created, ...): what makes `up` resumable."""
        return self.root / "state"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def clients_bin(self) -> Path:
        """The clients a user runs against the lab (``openstack``), put on PATH by ``lab env``."""
        return self.root / "bin"

    @property
    def isolation_dir(self) -> Path:
        """The isolation launcher, its (always empty) stage mount point and the services' own HOME."""
        return self.root / "isolation"

    @property
    def ceph_dir(self) -> Path:
        return self.root / "ceph"

    @property
    def ceph_conf(self) -> Path:
        return self.ceph_dir / "ceph.conf"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    @property
    def mysql_socket(self) -> Path:
        return self.data_dir / "mariadb" / "mysqld.sock"

    def log(self, component: str) -> Path:
        return self.log_dir / f"{component}.log"

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port(service)}{path}"

    @property
    def netbox_port_base(self) -> int:
        """NetBox's first port (its HTTP; PostgreSQL and Redis follow): offset 50, the companions' range."""
        return self.port_base + NETBOX_PORT_OFFSET

    @property
    def bridge(self) -> str:
        """The Linux bridge of the flat external network (physnet1), unique per base port (≤ 15 chars)."""
        return f"clab{self.port_base}x"

    @property
    def host(self) -> str:
        """The host name of the lab's own nova-compute and Neutron agents (the control node)."""
        return "lab-ctl"
