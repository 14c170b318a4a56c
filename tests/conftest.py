"""Shared fixtures: paths of the example sites and a copy-on-write ops repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# The real lab, one per test session, for every live test (tests/lab_fixture.py).
pytest_plugins = ["tests.lab_fixture", "tests.netbox_fixture"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def minisite(tmp_path: Path) -> Path:
    """A private copy of tests/data/minisite that a test may break."""
    dest = tmp_path / "minisite"
    shutil.copytree(DATA / "minisite", dest)
    return dest


@pytest.fixture
def minisite_registry(minisite: Path):  # type: ignore[no-untyped-def]
    from cloudops.site.load import load_registry

    return load_registry(minisite).require_valid()


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A process that is none of the lab's (what a recycled PID would be): one no stop may ever signal."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def skip_or_fail(reason: str) -> None:
    """A missing runtime (root, a Debian package, a Python) skips a developer's run with the reason, but
    fails in CI (CI=true), where `make test` installs everything and the live tests must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)


# -- CI proves the fresh-machine path ------------------------------------------------------------------
# Under CI=true the session's lab is built from nothing: a new lab directory, a new services venv (so its
# db snapshot too) and a new NetBox cache, all under one directory removed at the end. Only pip's download
# cache is reused. A developer's run keeps reusing ~/.cache/cloudops (CLOUDOPS_LAB_DIR given also wins).
FRESH_LAB = {
    "CLOUDOPS_LAB_DIR": "lab",
    "CLOUDOPS_LAB_VENV": "services-venv",
    "CLOUDOPS_NETBOX_CACHE": "netbox-venv",
    "CLOUDOPS_LAB_TOOLS": "tools",  # chronyd, unpacked from Debian's package (cloudops.lab.siteservices)
    # the tests' own NetBox (tests/netbox_fixture.py): a developer's, migrated against another cache, would
    # find no migrated snapshot in this one
    "CLOUDOPS_TEST_NETBOX_DIR": "test-netbox",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    if not in_ci() or any(name in os.environ for name in FRESH_LAB):
        return
    root = Path(tempfile.mkdtemp(prefix="cloudops-ci-", dir="/var/tmp"))
    for name, sub in FRESH_LAB.items():
        os.environ[name] = str(root / sub)
    config.stash[_fresh_root] = root
    print(f"cloudops: CI: a lab from nothing in {root} (pip's download cache reused)")
    if "not live" not in (config.getoption("markexpr", "") or ""):
        _start_netbox_warm(config, root)


# NetBox's shared cache (its venv, the migrated snapshot) is built from nothing in CI: minutes of one core
# that overlap the first tests when started here (tests/netbox_warm.py), instead of delaying the first test
# that needs NetBox. Its own NetBox (on these ports) is removed when it is done, or at the session's end.
WARM_PORT = 28600
_warm = pytest.StashKey["subprocess.Popen[bytes]"]()


def _start_netbox_warm(config: pytest.Config, root: Path) -> None:
    import sys

    with (root / "netbox-warm.log").open("ab") as log:
        config.stash[_warm] = subprocess.Popen(
            [sys.executable, "-m", "tests.netbox_warm", str(root / "netbox-warm"), str(WARM_PORT)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def pytest_unconfigure(config: pytest.Config) -> None:
    from cloudops.lab.procs import lab_members

    root = config.stash.get(_fresh_root, None)
    if root is None:
        return
    warm = config.stash.get(_warm, None)
    if warm is not None and warm.poll() is None:  # a short session: it has not finished; it is ours to stop
        warm.terminate()
        try:
            warm.wait(timeout=30)
        except Exception:
            warm.kill()
            warm.wait()
    labdir = root / FRESH_LAB["CLOUDOPS_LAB_DIR"]
    alive = lab_members(labdir)
    if alive:  # never pull a directory from under running processes
        print(f"cloudops: CI: {root} kept: lab processes still run ({len(alive)})")
        return
    # The lab's NetBox keeps its PostgreSQL cluster outside the lab dir (/var/tmp/cloudops-<prefix>-netbox).
    from cloudops.lab.netbox import NetBoxLab

    netboxes = (
        (labdir, None),
        (root / FRESH_LAB["CLOUDOPS_TEST_NETBOX_DIR"], 28500),
        (root / "netbox-warm", WARM_PORT),
    )
    for netbox_dir, port in netboxes:
        try:
            NetBoxLab(netbox_dir, base_port=port).destroy()
        except Exception as exc:  # a cleanup problem must not fail a green run; say it
            print(f"cloudops: CI: the NetBox state of {netbox_dir} was not removed: {exc}")
    shutil.rmtree(root, ignore_errors=True)


_fresh_root = pytest.StashKey[Path]()


def _tree_digest(root: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session", autouse=True)
def examples_stay_untouched() -> object:
    """The example ops repositories are read by many tests and written by none: a test that writes must
    work on a copy (a fuzz of `decisions new` once wrote into examples/testcloud)."""
    before = _tree_digest(EXAMPLES)
    yield
    assert _tree_digest(EXAMPLES) == before, "a test wrote into examples/: give it a copy (tests/conftest.py)"
