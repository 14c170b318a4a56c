"""Run a lab program with the host's OpenStack defaults out of sight (cloudops lab).

    /usr/bin/python3 -I -S isolate.py STAGE_DIR HOME_DIR -- PROGRAM [ARGS...]

The program gets a private mount namespace in which /etc, /var/lib, /var/log and /usr/local/lib are
overlays whose upper layer (a tmpfs) holds a whiteout for every name an OpenStack service, its libraries
or its clients look for by default (/etc/nova, /etc/nova.conf, /var/lib/nova, /etc/openstack, ...). The
names are hidden whether or not they exist on the host, and stay hidden if the host creates them later;
a service that creates one writes to the tmpfs, never to the host. Everything else of the host is as it
was. HOME is the lab's own (oslo.config also searches ~/.nova/ and ~/), and Python's user site is off.

Standalone on purpose: it runs under Debian's Python with -I -S (a few milliseconds), imports nothing of
cloudops, and execs the program, so the PID the lab records is the program's own. Stdlib only.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PROJECTS = ("keystone", "glance", "placement", "nova", "neutron", "cinder", "os-brick", "oslo", "privsep")
# oslo.config looks for /etc/<project>.conf, /etc/<project>/..., /etc/<project>.conf.d and /etc/<prog>.conf;
# the prog names are those of the programs the lab runs (their own .conf in /etc would be read too).
PROGRAMS = (
    "keystone-manage", "keystone-wsgi-public", "glance-api", "glance-manage", "placement-api",
    "placement-manage", "nova-api", "nova-api-wsgi", "nova-manage", "nova-conductor", "nova-scheduler",
    "nova-compute", "neutron-server", "neutron-db-manage", "neutron-linuxbridge-agent", "neutron-l3-agent",
    "neutron-dhcp-agent", "neutron-metadata-agent", "cinder-api", "cinder-wsgi", "cinder-manage",
    "cinder-scheduler", "cinder-volume", "privsep-helper", "uwsgi",
)  # fmt: skip
HIDDEN: dict[str, tuple[str, ...]] = {
    "/etc": (
        *PROJECTS,
        *(f"{p}.conf" for p in PROJECTS),
        *(f"{p}.conf.d" for p in PROJECTS),
        *(f"{p}.conf" for p in PROGRAMS),
        "openstack",  # clouds.yaml of openstacksdk / os-client-config
        "ceph",  # librados' default ceph.conf and keyrings
        "uwsgi",
        "sudoers.d",  # privsep and rootwrap would go through sudo
    ),
    "/var/lib": (*PROJECTS, "ceph", "openstack"),
    "/var/log": (*PROJECTS, "ceph", "uwsgi"),
    # pip-installed packages of the host's Python: the services' venv sees Debian's dist-packages only.
    "/usr/local/lib": ("python3", *(f"python3.{minor}" for minor in range(6, 20))),
}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cloudops lab isolate: {what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def _mount_points() -> list[str]:
    with Path("/proc/self/mountinfo").open() as fh:
        points = [line.split()[4] for line in fh]
    # mountinfo escapes space, tab, newline and backslash as octal
    return [p.encode().decode("unicode_escape") for p in points]


def _submounts(base: str, points: list[str]) -> list[str]:
    """Mounts strictly below ``base`` that are not below another of them (each is re-bound recursively)."""
    below = sorted({p for p in points if p.startswith(base + "/")})
    tops: list[str] = []
    for p in below:
        if not any(p.startswith(t + "/") for t in tops):
            tops.append(p)
    return tops


def _hidden(path: str, base: str, names: tuple[str, ...]) -> bool:
    first = path[len(base) + 1 :].split("/", 1)[0]
    return first in names


def isolate(stage: str) -> None:
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the host
    mount("cloudops-lab-isolate", stage, "tmpfs", 0, "mode=0700")
    points = _mount_points()
    for i, (base, names) in enumerate(HIDDEN.items()):
        if not Path(base).is_dir():
            continue
        layer = Path(stage, str(i))
        upper, work, held = layer / "upper", layer / "work", layer / "held"
        for d in (upper, work, held):
            d.mkdir(parents=True)
        for name in names:
            os.mknod(upper / name, stat.S_IFCHR | 0o600, os.makedev(0, 0))  # an overlay whiteout
        # Mounts below the base (a container's /etc/hosts, a lab host's own /etc/resolv.conf) would be
        # covered by the overlay: hold them aside and put them back on top.
        keep = [p for p in _submounts(base, points) if not _hidden(p, base, names)]
        spots: list[tuple[str, str]] = []
        for j, point in enumerate(keep):
            spot = held / str(j)
            if Path(point).is_dir():
                spot.mkdir()
            else:
                spot.touch()
            mount(point, str(spot), None, MS_BIND | MS_REC)
            spots.append((str(spot), point))
        mount("overlay", base, "overlay", 0, f"lowerdir={base},upperdir={upper},workdir={work}")
        for held_at, point in spots:
            mount(held_at, point, None, MS_BIND | MS_REC)
    # The overlays keep their layers; the stage itself need not stay visible.
    _check(_libc.umount2(stage.encode(), MNT_DETACH), f"umount {stage}")


def main(argv: list[str]) -> int:
    if len(argv) < 5 or argv[3] != "--":
        print("usage: isolate.py STAGE_DIR HOME_DIR -- PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    stage, home, program = argv[1], argv[2], argv[4:]
    try:
        isolate(stage)
    except OSError as exc:
        print(f"cloudops lab isolate: {exc}", file=sys.stderr)
        return 126
    Path(home).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["HOME"] = home
    os.environ["PYTHONNOUSERSITE"] = "1"
    os.environ.pop("XDG_CONFIG_HOME", None)
    os.environ.pop("XDG_CACHE_HOME", None)
    os.execvp(program[0], program)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
