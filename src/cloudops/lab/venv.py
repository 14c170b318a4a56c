"""The services' venv: Debian's Python (so rados/rbd import), system site packages, pinned by the
vendored 2024.1 upper-constraints. Built once, reused by every lab with the same constraints file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.layout import SERVICE_PACKAGES, constraints_hash, constraints_text

STAMP = ".cloudops-complete"
DEBIAN_PYTHON = Path("/usr/bin/python3")


def venv_ready(path: Path) -> bool:
    stamp = path / STAMP
    return stamp.exists() and stamp.read_text().strip() == constraints_hash()


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
    lab.say(f"building the services venv at {venv} (a few minutes, once)")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    lab.run("venv", [str(DEBIAN_PYTHON), "-m", "venv", "--system-site-packages", str(venv)], timeout=300)
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as fh:
        fh.write(constraints_text())
        constraints = fh.name
    try:
        lab.run(
            "venv",
            [
                str(venv / "bin/pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-c",
                constraints,
                *SERVICE_PACKAGES,
            ],
            timeout=1800,
            fix=f"read {log}; check network access to the package index, then `cloudops lab up` again",
        )
    finally:
        Path(constraints).unlink(missing_ok=True)
    lab.run(
        "venv",
        [str(venv / "bin/python"), "-c", "import rados, rbd, keystone, nova, neutron, cinder, glance"],
        fix="apt-get install -y python3-rados python3-rbd",
    )
    (venv / STAMP).write_text(constraints_hash() + "\n")
    return True
