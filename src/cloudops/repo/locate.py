"""Finding the ops repository: ``--repo``, ``$CLOUDOPS_REPO`` (click fills --repo from it), the nearest
``cloudops.yaml`` above the working directory, then ``~/openstack-caracal-ipv4``. Stdlib only: shell
completion finds the repository on every key press."""

from __future__ import annotations

from pathlib import Path

from cloudops.errors import InputError

CONFIG_NAME = "cloudops.yaml"
DEFAULT_REPO = Path("~/openstack-caracal-ipv4")


def find_root(explicit: str | Path | None = None, *, cwd: Path | None = None) -> Path:
    if explicit:
        root = Path(explicit).expanduser()
        if not (root / CONFIG_NAME).is_file():
            raise InputError(f"no {CONFIG_NAME} there: not an ops repository", where=str(root))
        return root.resolve()
    here = (cwd or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    default = DEFAULT_REPO.expanduser()
    if (default / CONFIG_NAME).is_file():
        return default.resolve()
    raise InputError(
        f"no ops repository found: give --repo DIR or set CLOUDOPS_REPO (looked for {CONFIG_NAME} above "
        f"{here} and in {DEFAULT_REPO})"
    )
