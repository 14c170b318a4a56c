"""A tenant as the ops repository declares it: ``tenants/<name>.yaml``, one file per tenant, keyed by its
name (the Keystone project's). Strict (an unknown key is a typo), read with positions so a bad spec is
named at file:line:column.

Roles follow Keystone 2024.1's personas: ``reader`` ⊂ ``member`` ⊂ ``manager`` (the tenant's own admin, who
manages the project's users), all below the cloud's ``admin``, which no tenant is ever granted.
"""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    automation: bool = Field(
        default=False,
        description="a user for machines, owner of the tenant's application credentials: nobody knows its "
        "password (cloudops sets a random one, kept nowhere, only to create a credential)",
    )


class ApplicationCredential(_Strict):
    """An application credential for the tenant's automation, owned by one of its automation users.
    Secret-handling: each is its own change, confirmed alone; its secret is shown once at the terminal that
    applies it and written nowhere (repository, plan, journal, logs). To rotate one, give it a new name."""

    name: str = Field(pattern=NAME)
    user: str = Field(pattern=NAME, description="its owner: a user of this tenant with automation: true")
    roles: tuple[str, ...] = Field(min_length=1, description="a subset of its owner's roles")
    expires: date | None = Field(default=None, description="the day it stops working (UTC midnight)")
    description: str = ""


class Quotas(_Strict):
    """Per service, Nova's, Neutron's and Cinder's own quota names (``instances``, ``cores``, ``ram`` in MiB;
    ``networks``, ``subnets``, ``ports``, ``routers``, ``floating_ips``, ``security_groups``; ``volumes``,
    ``gigabytes``, ``snapshots``). -1 is unlimited, as the services say it."""

    compute: dict[str, int] = {}
    network: dict[str, int] = {}
    volume: dict[str, int] = {}


class Subnet(_Strict):
    """A subnet whose CIDR cloudops allocates from a registry tenant pool (the next free block, kept once
    the subnet exists). ``cidr`` pins one only for a subnet that exists already (a migrated tenant): it
    must lie in the pool and collide with nothing."""

    name: str = Field(pattern=NAME)
    pool: str = Field(pattern=NAME, description="the registry's tenant pool it is allocated from")
    prefix_length: int | None = Field(default=None, ge=8, le=29, description="else the pool's")
    cidr: IPv4Network | None = None
    dhcp: bool = True


class Network(_Strict):
    name: str = Field(pattern=NAME)
    subnets: tuple[Subnet, ...] = Field(min_length=1)


class Router(_Strict):
    name: str = Field(pattern=NAME)
    external_network: str | None = Field(default=None, description="its gateway, by the network's name")
    subnets: tuple[str, ...] = Field(default=(), description="the tenant's subnets it routes, by name")


class Rule(_Strict):
    """One security-group rule, IPv4, identified by all of its fields (Neutron's rules have no name)."""

    direction: Literal["ingress", "egress"] = "ingress"
    protocol: Literal["tcp", "udp", "icmp", "any"] = "tcp"
    ports: str | None = Field(
        default=None, pattern=r"^[0-9]{1,5}(-[0-9]{1,5})?$", description="22 or 8000-8080"
    )
    remote: IPv4Network = IPv4Network("0.0.0.0/0")

    @model_validator(mode="after")
    def _ports(self) -> Rule:
        if self.ports is not None:
            if self.protocol not in ("tcp", "udp"):
                raise ValueError(f"ports are for tcp and udp, not {self.protocol}")
            low, _, high = self.ports.partition("-")
            if not 1 <= int(low) <= int(high or low) <= 65535:
                raise ValueError(f"ports {self.ports}: 1-65535, low to high")
        return self

    @property
    def port_range(self) -> tuple[int, int] | tuple[None, None]:
        if self.ports is None:
            return None, None
        low, _, high = self.ports.partition("-")
        return int(low), int(high or low)

    @property
    def identity(self) -> tuple[str, str, int | None, int | None, str]:
        return (self.direction, self.protocol, *self.port_range, str(self.remote))


class SecurityGroup(_Strict):
    name: str = Field(pattern=NAME)
    description: str = ""
    rules: tuple[Rule, ...] = ()


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
    networks: tuple[Network, ...] = ()
    routers: tuple[Router, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    application_credentials: tuple[ApplicationCredential, ...] = ()
    offboarding: Offboarding

    @model_validator(mode="after")
    def _names(self) -> Tenant:
        """Names are the identity inside a tenant: unique, and a router routes subnets the tenant has."""
        subnets = [s.name for n in self.networks for s in n.subnets]
        for kind, names in (
            ("networks", [n.name for n in self.networks]),
            ("subnets", subnets),
            ("routers", [r.name for r in self.routers]),
            ("security_groups", [g.name for g in self.security_groups]),
        ):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind}: {twice[0]!r} is named twice")
        creds = [(c.user, c.name) for c in self.application_credentials]
        twice_creds = sorted({c for c in creds if creds.count(c) > 1})
        if twice_creds:
            raise ValueError(
                f"application_credentials: {twice_creds[0][1]!r} of {twice_creds[0][0]} is named twice"
            )
        people = {u.name: u for u in self.users}
        for c in self.application_credentials:
            owner = people.get(c.user)
            if owner is None or not owner.automation:
                raise ValueError(
                    f"application_credentials[{c.name}].user: {c.user!r} is not one of this tenant's users with "
                    "automation: true (a credential's owner is a user for machines, never a person)"
                )
            beyond = sorted(set(c.roles) - set(owner.roles))
            if beyond:
                raise ValueError(
                    f"application_credentials[{c.name}].roles: {', '.join(beyond)} beyond its owner {c.user}'s "
                    f"roles ({', '.join(owner.roles)})"
                )
        for r in self.routers:
            unknown = sorted(set(r.subnets) - set(subnets))
            if unknown:
                raise ValueError(
                    f"routers[{r.name}].subnets: no subnet {unknown[0]!r} in this tenant's networks"
                )
        return self

    def subnet(self, name: str) -> tuple[Network, Subnet]:
        for n in self.networks:
            for s in n.subnets:
                if s.name == name:
                    return n, s
        raise KeyError(name)


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
