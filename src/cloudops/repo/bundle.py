"""The Juju bundle (``bundle.yaml``): applications, machines, relations, bindings — with positions.

The file is a real Juju bundle (``juju deploy ./bundle.yaml`` reads it); cloudops adds two conventions
that ``cloudops lint`` checks against the site registry:

* **Placement.** Every bundle machine names the registry host it lands on with the MAAS tag constraint
  ``tags=<hostname>`` (MAAS matches machine tags, so the operator tags each host with its own hostname).
  A machine without such a tag, or whose tag is no registry host, is a finding (``bundle.placement``).
* **Bindings.** Every endpoint binding names a Juju space, and a space is a registry plane of the same
  name (``bundle.binding``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudops.findings import Finding, Verdict
from cloudops.repo.schema import Positioned, load_model, locate
from cloudops.repo.versions import CHANNEL

BUNDLE_FILE = "bundle.yaml"
TAG = re.compile(r"(?:^|\s)tags=([^\s]+)")
# A placement directive: a machine id, a container on one (lxd:3), a new container (lxd), or a unit.
PLACEMENT = re.compile(r"^(?:(?P<kind>lxd|kvm):)?(?P<target>[0-9]+|new|[a-z][a-z0-9-]*(?:/[0-9]+)?)?$")


class _Open(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Machine(_Open):
    constraints: str | None = None
    base: str | None = None
    series: str | None = None
    annotations: dict[str, Any] = {}

    @property
    def hostname(self) -> str | None:
        """The registry host this machine lands on: its first ``tags=`` value's first tag."""
        m = TAG.search(self.constraints or "")
        return m.group(1).split(",")[0] if m else None


class Application(_Open):
    charm: str = Field(min_length=1)
    channel: str | None = Field(default=None, pattern=CHANNEL)
    revision: int | None = Field(default=None, ge=1)
    base: str | None = None
    series: str | None = None
    num_units: int | None = Field(default=None, ge=0)
    scale: int | None = Field(default=None, ge=0)
    to: list[str] = []
    options: dict[str, Any] = {}
    bindings: dict[str, str] = {}
    constraints: str | None = None
    annotations: dict[str, Any] = {}
    expose: bool | None = None
    trust: bool | None = None
    resources: dict[str, Any] = {}
    storage: dict[str, Any] = {}

    @property
    def charm_name(self) -> str:
        """``ch:keystone`` → ``keystone``; ``./local-charm`` → ``local-charm``."""
        name = self.charm.removeprefix("ch:").removeprefix("cs:").rstrip("/")
        return name.rsplit("/", 1)[-1]


class Bundle(_Open):
    description: str | None = None
    name: str | None = None
    series: str | None = None
    default_base: str | None = Field(default=None, alias="default-base")
    variables: dict[str, Any] = {}
    machines: dict[str, Machine | None] = {}
    applications: dict[str, Application] = Field(min_length=1)
    relations: list[list[str]] = []
    saas: dict[str, Any] = {}


@dataclass(frozen=True)
class LoadedBundle(Positioned):
    bundle: Bundle
    node: Any
    file: str


def _machine_ids_as_strings(node: Any) -> Any:
    """Juju writes machine ids as strings ('0') or ints (0); normalise for the model only."""
    if isinstance(node, dict) and isinstance(node.get("machines"), dict):
        plain = dict(node)
        plain["machines"] = {str(k): v for k, v in node["machines"].items()}
        return plain
    return node


def load_bundle(root: Path, *, display: str = BUNDLE_FILE) -> tuple[LoadedBundle | None, list[Finding]]:
    """Parse and validate ``bundle.yaml``; every problem a finding at file:line:column."""
    bundle, node, findings = load_model(
        root / BUNDLE_FILE, Bundle, "bundle.parse", display, prepare=_machine_ids_as_strings
    )
    for i, rel in enumerate(bundle.relations if bundle else []):
        if len(rel) != 2:
            findings.append(
                Finding(
                    "bundle.parse",
                    Verdict.FAIL,
                    f"relations[{i}]",
                    f"relations[{i}]: a relation joins exactly two endpoints, got {len(rel)}",
                    where=locate(node, ["relations", i], display),
                )
            )
    if findings or bundle is None:
        return None, findings
    return LoadedBundle(bundle, node, display), []
