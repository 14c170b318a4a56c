"""The lab reads nothing of the host: every program of the services venv runs through data/lab/isolate.py,
which hides the OpenStack defaults (/etc/keystone, /etc/nova.conf, /var/lib/nova, ...) in a private mount
namespace. Tested with real mounts: on the launcher itself, and on the running lab's processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from cloudops.lab.context import Lab
from cloudops.lab.layout import COMPANION_COMPONENTS, LabLayout
from tests.conftest import skip_or_fail

ISOLATE = str(resources.files("cloudops") / "data" / "lab" / "isolate.py")


def placed(path: Path, text: str) -> Iterator[Path]:
    """``path`` written on the host for the test, and everything the test created removed after it."""
    created = [p for p in [*reversed(path.parents), path] if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    try:
        yield path
    finally:
        for p in reversed(created):
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)


@pytest.fixture
def keystone_marker() -> Iterator[Path]:
    if os.geteuid() != 0:
        skip_or_fail("the isolation needs root (mount namespaces)")
    yield from placed(Path("/etc/keystone/cloudops-test-marker"), "a leftover of the host\n")


def isolated(tmp_path: Path, *cmd: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    argv = [*prefix, "/usr/bin/python3", "-I", "-S", ISOLATE, str(tmp_path / "stage"), str(tmp_path / "home"),
            "--", *cmd]  # fmt: skip
    (tmp_path / "stage").mkdir(exist_ok=True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


# -- where the launcher goes (pure) ------------------------------------------------------------------------


def test_the_launcher_goes_before_the_first_program_of_the_services_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    lab = Lab(LabLayout(root=tmp_path / "lab", port_base=16000, venv=venv))
    iso = tmp_path / "lab" / "isolation"
    launcher = [
        "/usr/bin/python3",
        "-I",
        "-S",
        str(iso / "isolate.py"),
        str(iso / "stage"),
        str(iso / "home"),
        "--",
    ]
    assert lab.isolated([f"{venv}/bin/nova-api", "--config-file", "x"]) == [
        *launcher, f"{venv}/bin/nova-api", "--config-file", "x"
    ]  # fmt: skip
    host_prefix = ["nsenter", "--net=/run/netns/x", "--", "sh", "-c", 'exec "$@"', "w"]
    assert lab.isolated([*host_prefix, f"{venv}/bin/python3", "agent.py"]) == [
        *host_prefix, *launcher, f"{venv}/bin/python3", "agent.py"
    ]  # fmt: skip
    # Debian's programs (MariaDB, RabbitMQ, Ceph, ip) run as they are.
    assert lab.isolated(["/usr/sbin/mariadbd", "--no-defaults"]) == ["/usr/sbin/mariadbd", "--no-defaults"]
    # A venv whose path merely starts like the services venv's is not it.
    assert lab.isolated([f"{venv}2/bin/x"]) == [f"{venv}2/bin/x"]
    assert (iso / "isolate.py").read_bytes() == Path(ISOLATE).read_bytes()


# -- the launcher, with real mounts ---------------------------------------------------------------------


def test_a_leftover_in_etc_keystone_is_invisible(tmp_path: Path, keystone_marker: Path) -> None:
    res = isolated(tmp_path, "sh", "-c", f"ls -a /etc/keystone; cat {keystone_marker}; echo HOME=$HOME")
    assert res.returncode == 0, res.stderr
    assert "No such file or directory" in res.stderr
    assert "a leftover of the host" not in res.stdout
    assert f"HOME={tmp_path / 'home'}" in res.stdout
    assert keystone_marker.read_text() == "a leftover of the host\n"  # the host's file is untouched


def test_what_a_service_creates_in_a_hidden_place_stays_off_the_host(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        skip_or_fail("the isolation needs root (mount namespaces)")
    host = Path("/etc/nova")  # hidden inside whether or not this host has one: mkdir succeeds either way

    def seen() -> list[str] | None:
        return sorted(p.name for p in host.iterdir()) if host.is_dir() else None

    before = seen()
    res = isolated(
        tmp_path, "sh", "-c", "mkdir /etc/nova && echo x > /etc/nova/nova.conf && cat /etc/nova/nova.conf"
    )
    assert (res.returncode, res.stdout) == (0, "x\n"), res.stderr
    assert seen() == before  # the host's /etc/nova (or its absence) is as it was
    assert "cloudops-lab-isolate" not in Path("/proc/self/mountinfo").read_text()


def test_the_rest_of_etc_is_the_hosts_and_mounts_below_it_stay(tmp_path: Path) -> None:
    """A lab host binds its own /etc/hosts before the launcher runs: it must still be seen."""
    if os.geteuid() != 0:
        skip_or_fail("the isolation needs root (mount namespaces)")
    own = tmp_path / "etc-hosts"
    own.write_text("198.18.10.11 kvm-01\n")
    prefix = ("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
              f'mount --bind {own} /etc/hosts && exec "$@"', "bind")  # fmt: skip
    res = isolated(tmp_path, "sh", "-c", "cat /etc/hosts; cat /etc/os-release | head -n 1", prefix=prefix)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "198.18.10.11 kvm-01"
    assert lines[1] == Path("/etc/os-release").read_text().splitlines()[0]


def test_the_launcher_fails_in_one_line_with_a_usage_error(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, ISOLATE, "x"], capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert res.stderr == "usage: isolate.py STAGE_DIR HOME_DIR -- PROGRAM [ARGS...]\n"


# -- the running lab ------------------------------------------------------------------------------------


NOT_OPENSTACK = ("mariadb", "rabbitmq", "ceph-")


def _openstack_processes(lab: Lab) -> dict[str, int]:
    """Every running lab process of an OpenStack service (all but MariaDB, RabbitMQ, Ceph): name -> PID."""
    from cloudops.lab.procs import pid_alive

    return {
        r.name: r.pid
        for r in lab.sup.records()
        if not r.name.startswith(NOT_OPENSTACK)
        and r.component not in COMPANION_COMPONENTS  # sshd, dnsmasq, NetBox: Debian's and NetBox's own
        and pid_alive(r.pid, r.start_ticks)
    }


@pytest.mark.live
def test_the_running_services_do_not_see_the_hosts_etc_keystone(lab_up: Lab, keystone_marker: Path) -> None:
    procs = _openstack_processes(lab_up)
    # the control plane's, and those of the namespace hosts when they are up (their records are checked too)
    assert {"keystone", "nova-api", "nova-conductor", "neutron-server", "cinder-volume", "glance",
            "nova-compute-lab-ctl"} <= set(procs)  # fmt: skip
    for name, pid in procs.items():
        mounts = Path(f"/proc/{pid}/mountinfo").read_text()
        assert " /etc rw" in mounts and "overlay" in mounts, name
        # /proc/PID/root is the process's own view of the file system (its mount namespace).
        assert not Path(f"/proc/{pid}/root{keystone_marker}").exists(), name
        assert Path(f"/proc/{pid}/root/etc/os-release").exists(), name


@pytest.mark.live
def test_a_one_shot_command_of_the_lab_is_isolated_too(lab_up: Lab, keystone_marker: Path) -> None:
    probe = "import os, json; print(json.dumps([os.path.exists(p) for p in ('/etc/keystone', '/etc/os-release')]))"
    out = lab_up.run("isolation-test", [str(lab_up.layout.venv_bin("python3")), "-c", probe])
    assert json.loads(out) == [False, True]
