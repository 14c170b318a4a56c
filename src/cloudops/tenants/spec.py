"""A tenant as the ops repository declares it: ``tenants/<name>.yaml``, one file per tenant, keyed by its
name (the Keystone project's). Strict (an unknown key is a typo), read with positions so a bad spec is
named at file:line:column.

Roles follow Keystone 2024.1's personas: ``reader`` ⊂ ``member`` ⊂ ``manager`` (the tenant's own admin, who
manages the project's users), all below the cloud's ``admin``, which no tenant is ever granted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudops.errors import InputError

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
TENANTS_DIR = "tenants"
# Keystone 2024.1's default roles, each implying the ones after it.
PERSONAS = ("admin", "manager", "member", "reader")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class User(_Strict):
    name: str = Field(pattern=NAME)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    roles: tuple[str, ...] = Field(min_length=1)


class Quotas(_Strict):
    """Per service, Nova's, Neutron's and Cinder's own quota names (``instances``, ``cores``, ``ram`` in MiB;
    ``networks``, ``subnets``, ``ports``, ``routers``, ``floating_ips``, ``security_groups``; ``volumes``,
    ``gigabytes``, ``snapshots``). -1 is unlimited, as the services say it."""

    compute: dict[str, int] = {}
    network: dict[str, int] = {}
    volume: dict[str, int] = {}


class Offboarding(_Strict):
    policy: str = Field(min_length=1, description="what happens to the tenant's data when it leaves")
    retain_days: int = Field(default=0, ge=0)


class Tenant(_Strict):
    name: str = Field(pattern=NAME, description="the Keystone project's name: the tenant's identity")
    description: str = ""
    domain: str = "Default"
    contact: Contact
    admin: str = Field(pattern=NAME, description="the user who administers the tenant (role manager)")
    users: tuple[User, ...] = ()
    quotas: Quotas = Quotas()
    offboarding: Offboarding


def load(root: Path, name: str) -> Tenant:
    """``tenants/<name>.yaml`` of the ops repository at ``root``; InputError at file:line:column."""
    from cloudops.repo import schema, yamlfile

    rel = f"{TENANTS_DIR}/{name}.yaml"
    path = root / rel
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (root / TENANTS_DIR).glob("*.yaml"))) or "none"
        raise InputError(f"no tenant {name!r} (tenants: {known})", where=rel)
    node = yamlfile.load(path, display=rel)
    model, errors = schema.validate(Tenant, node, rel)
    if model is None:
        first = errors[0]
        raise InputError(first.message, where=first.where)
    if model.name != name:
        raise InputError(
            f"name: {model.name!r}, but the file is {rel}: a tenant's file is its name", where=rel
        )
    return model


def names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / TENANTS_DIR).glob("*.yaml"))


def json_schema() -> dict[str, Any]:
    return Tenant.model_json_schema()
