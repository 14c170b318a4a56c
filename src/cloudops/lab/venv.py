"""The services' venv: Debian's Python (so rados/rbd import), system site packages, pinned by the
vendored 2024.1 upper-constraints. Built once, reused by every lab with the same constraints file and
package list. The build takes minutes the first time, so it reports its progress from pip's own output."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.layout import SERVICE_PACKAGES, cache_home, constraints_hash, constraints_text
from cloudops.lab.progress import PipProgress

STAMP = ".cloudops-complete"
DEBIAN_PYTHON = Path("/usr/bin/python3")
# How many distributions pip resolves for SERVICE_PACKAGES (measured on a build, 2026-12-05): the
# denominator of "collected n of ~N". An estimate only; a different count is not an error.
EXPECTED_PACKAGES = 216


def venv_ready(path: Path) -> bool:
    stamp = path / STAMP
    return stamp.exists() and stamp.read_text().strip() == constraints_hash()


def pip_cache_dir() -> str:
    """pip's own cache, named explicitly: the build runs isolated, with a HOME of the lab's own."""
    return os.environ.get("PIP_CACHE_DIR") or str(cache_home() / "pip")


def ensure_venv(lab: Lab) -> bool:
    """Build the services venv unless it is complete. True when it was built now."""
    venv = lab.layout.services_venv
    if venv_ready(venv):
        return False
    log = lab.layout.log("venv")
    if not DEBIAN_PYTHON.exists():
        raise LabFailure("venv", f"{DEBIAN_PYTHON} is missing", fix="apt-get install -y python3 python3-venv")
    if not Path("/usr/include/python3.11/Python.h").exists() or shutil.which("gcc") is None:
        raise LabFailure(
            "venv",
            "uWSGI builds from source and needs the Python headers and gcc",
            fix="apt-get install -y --no-install-recommends python3-dev gcc",
        )
    lab.say(f"venv: building the services venv at {venv} (a few minutes, once; log: {log})")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    lab.run("venv", [str(DEBIAN_PYTHON), "-m", "venv", "--system-site-packages", str(venv)], timeout=300)
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as fh:
        fh.write(constraints_text())
        constraints = fh.name
    progress = PipProgress(lab.say, "venv", EXPECTED_PACKAGES)
    try:
        lab.run(
            "venv",
            [
                str(venv / "bin/pip"),
                "install",
                "--no-input",
                "--progress-bar",
                "off",
                "--disable-pip-version-check",
                "-c",
                constraints,
                *SERVICE_PACKAGES,
            ],
            timeout=1800,
            env={"PIP_CACHE_DIR": pip_cache_dir()},
            on_line=progress.feed,
            fix=f"read {log}; check network access to the package index, then `cloudops lab up` again",
        )
    finally:
        Path(constraints).unlink(missing_ok=True)
    lab.run(
        "venv",
        [
            str(venv / "bin/python"),
            "-c",
            "import rados, rbd, keystone, nova, neutron, cinder, glance, magnum",
        ],
        fix="apt-get install -y python3-rados python3-rbd",
    )
    (venv / STAMP).write_text(constraints_hash() + "\n")
    return True


CLIENTS = ("openstack",)


def link_clients(lab: Lab) -> Path:
    """``<lab>/bin`` with the clients a user runs (python-openstackclient with osc-placement, from the
    services venv): what `cloudops lab env` puts on PATH. Nothing else of the venv goes on PATH."""
    bin_dir = lab.layout.clients_bin
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in CLIENTS:
        link, target = bin_dir / name, lab.layout.venv_bin(name)
        if link.is_symlink() and link.readlink() == target:
            continue
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return bin_dir
