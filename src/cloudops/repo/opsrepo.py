"""Finding the ops repository and reading ``cloudops.yaml``, its root file.

Search order (the first that answers wins): ``--repo``, ``$CLOUDOPS_REPO`` (click fills --repo from
it), the nearest ``cloudops.yaml`` above the working directory, then ``~/openstack-caracal-ipv4``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudops.errors import InputError, Location

# Where the repository is found lives apart (no pydantic there): shell completion finds it too.
from cloudops.repo.locate import CONFIG_NAME, DEFAULT_REPO, find_root

if TYPE_CHECKING:
    from cloudops.site.registry import Registry

__all__ = ["CONFIG_NAME", "DEFAULT_REPO", "OpsRepo", "find_root"]

# The ops-repository format this cloudops reads and writes. Bump it when the layout or a schema changes
# incompatibly; docs/ops-repo.md keeps the history.
FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteInfo(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    phase: Literal["design", "rehearsal", "deploy", "production", "lab"]
    # How the cloud is deployed: by Juju (bundle.yaml and versions.yaml are required), or none — a site
    # without a deployment layer (the lab), where they are optional.
    deployment: Literal["juju", "none"] = "juju"
    description: str = ""


class Defaults(_Strict):
    cloud: str | None = None  # the cloud's name in clouds.yaml (OS_CLOUD)
    juju_model: str | None = None
    netbox_url: str | None = None


class Approvals(_Strict):
    """How apply judges approvals (change.signing): a terminal's yes, or that and signatures."""

    signed: bool = False
    allowed_signers: str = "approvers/allowed_signers"  # in the repository, ssh-keygen's format
    signers: dict[Literal["mutating", "secret-handling", "destructive"], int] = Field(default_factory=dict)


class RepoConfig(_Strict):
    format: int = Field(ge=1)
    site: SiteInfo
    defaults: Defaults = Defaults()
    approvals: Approvals = Approvals()


@dataclass(frozen=True)
class FormatSkew:
    """The repository and this cloudops disagree on the format version."""

    repo: int
    tool: int

    def describe(self) -> str:
        if self.repo > self.tool:
            return (
                f"the repository is format {self.repo}, newer than this cloudops (format {self.tool}): "
                "upgrade cloudops before trusting its reading"
            )
        return (
            f"the repository is format {self.repo}, older than this cloudops (format {self.tool}): "
            "see docs/ops-repo.md for what changed, then raise `format:` in cloudops.yaml"
        )


@dataclass
class OpsRepo:
    root: Path
    config: RepoConfig

    @classmethod
    def discover(cls, explicit: str | Path | None = None, *, cwd: Path | None = None) -> OpsRepo:
        return cls.load(find_root(explicit, cwd=cwd))

    @classmethod
    def load(cls, root: Path) -> OpsRepo:
        from cloudops.repo import schema, yamlfile

        path = root / CONFIG_NAME
        node = yamlfile.load(path)
        if node is None:
            raise InputError("empty file: it needs format, site.name and site.phase", where=Location(path))
        config, errors = schema.validate(RepoConfig, node, str(path))
        if config is None:
            raise InputError(errors[0].message, where=errors[0].where)
        return cls(root=root, config=config)

    @property
    def name(self) -> str:
        return self.config.site.name

    @property
    def format_skew(self) -> FormatSkew | None:
        if self.config.format == FORMAT_VERSION:
            return None
        return FormatSkew(self.config.format, FORMAT_VERSION)

    @cached_property
    def registry(self) -> Registry:
        """The validated site registry; raises InputError listing every problem when it is invalid."""
        from cloudops.site.load import load_registry

        return load_registry(self.root).require_valid()

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)
