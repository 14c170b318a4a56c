"""The OpenStack services' configuration files, as data (pure): sections of options, rendered to INI.

Settings chosen for a lab on a small machine: one worker per service, short report intervals and
down-times (liveness changes within seconds), cheap password hashing, loopback everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

Sections = dict[str, dict[str, str]]

REGION = "RegionOne"
SERVICE_PROJECT = "service"
PHYSNET = "physnet1"

# Every OpenStack service: its catalog type(s), the catalog path, and its service user.
SERVICES: dict[str, tuple[tuple[str, ...], str]] = {
    "keystone": (("identity",), "/v3"),
    "placement": (("placement",), ""),
    "glance": (("image",), ""),
    "nova-api": (("compute",), "/v2.1"),
    "neutron": (("network",), ""),
    "cinder-api": (("block-storage", "volumev3"), "/v3/%(project_id)s"),
}
SERVICE_USERS = ("placement", "glance", "nova", "neutron", "cinder")


def render_ini(sections: Mapping[str, Mapping[str, str]]) -> str:
    out = []
    for name, opts in sections.items():
        out.append(f"[{name}]")
        out.extend(f"{k} = {v}" for k, v in opts.items())
        out.append("")
    return "\n".join(out)


@dataclass(frozen=True)
class Settings:
    """What the configuration files depend on: ports, paths, URLs and secrets of one lab."""

    root: Path
    venv: Path
    ports: Mapping[str, int]
    db: Mapping[str, str]  # database name -> SQLAlchemy URL
    transport_url: str
    service_password: str
    ceph_conf: Path
    bridge: str
    host: str
    port_base: int

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    @property
    def auth_url(self) -> str:
        return self.url("keystone", "/v3")

    def etc(self, service: str) -> Path:
        return self.root / "etc" / service

    def state(self, service: str) -> Path:
        return self.root / "data" / service

    def auth(self, user: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        opts = {
            "auth_url": self.auth_url,
            "auth_type": "password",
            "username": user,
            "password": self.service_password,
            "project_name": SERVICE_PROJECT,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
            "region_name": REGION,
        }
        opts.update(extra or {})
        return opts

    def authtoken(self, user: str) -> dict[str, str]:
        opts = self.auth(
            user, {"www_authenticate_uri": self.auth_url, "service_token_roles_required": "true"}
        )
        opts.pop("region_name")
        return opts

    @property
    def vni_range(self) -> str:
        """VXLAN IDs unique per lab (two labs on one host must not share a VNI on 127.0.0.1)."""
        first = self.port_base * 10 + 1
        return f"{first}:{first + 199}"


def common(s: Settings, service: str) -> dict[str, str]:
    return {
        "debug": "false",
        "use_stderr": "true",
        "state_path": str(s.state(service)),
        "transport_url": s.transport_url,
    }


def keystone(s: Settings) -> Sections:
    return {
        "DEFAULT": {"debug": "false", "use_stderr": "true"},
        "database": {"connection": s.db["keystone"]},
        "token": {"provider": "fernet", "expiration": "86400"},
        "fernet_tokens": {"key_repository": str(s.state("keystone") / "fernet-keys")},
        # Receipts (multi-factor auth) are signed with the same keys; the default is /etc/keystone/fernet-keys/.
        "fernet_receipts": {"key_repository": str(s.state("keystone") / "fernet-keys")},
        "credential": {"key_repository": str(s.state("keystone") / "credential-keys")},
        # The lab's passwords are throwaway: bcrypt at its cheapest keeps user creation and auth fast.
        "identity": {"password_hash_algorithm": "bcrypt", "password_hash_rounds": "4"},
        # One keystone process: an in-process cache is coherent and saves database round trips.
        "cache": {"enabled": "true", "backend": "oslo_cache.dict", "expiration_time": "600"},
        "oslo_policy": {"enforce_new_defaults": "true", "enforce_scope": "false"},
        "oslo_concurrency": {"lock_path": str(s.state("keystone") / "lock")},
    }


def placement(s: Settings) -> Sections:
    return {
        "DEFAULT": {"debug": "false", "use_stderr": "true"},
        "placement_database": {"connection": s.db["placement"]},
        "api": {"auth_strategy": "keystone"},
        "keystone_authtoken": s.authtoken("placement"),
        "oslo_concurrency": {"lock_path": str(s.state("placement") / "lock")},
    }


def glance(s: Settings) -> Sections:
    return {
        "DEFAULT": {
            "debug": "false",
            "use_stderr": "true",
            "bind_host": "127.0.0.1",
            "bind_port": str(s.ports["glance"]),
            "workers": "1",
            "enabled_backends": "rbd:rbd",
            "show_image_direct_url": "true",
            "transport_url": s.transport_url,
        },
        "database": {"connection": s.db["glance"]},
        "keystone_authtoken": s.authtoken("glance"),
        "paste_deploy": {
            "flavor": "keystone",
            "config_file": str(s.venv / "etc/glance/glance-api-paste.ini"),
        },
        "glance_store": {"default_backend": "rbd"},
        "rbd": {
            "rbd_store_pool": "images",
            "rbd_store_user": "glance",
            "rbd_store_ceph_conf": str(s.ceph_conf),
            "rbd_store_chunk_size": "8",
        },
        "os_glance_staging_store": {"filesystem_store_datadir": str(s.state("glance") / "staging")},
        "os_glance_tasks_store": {"filesystem_store_datadir": str(s.state("glance") / "tasks")},
        "oslo_messaging_notifications": {"driver": "noop"},
        "oslo_concurrency": {"lock_path": str(s.state("glance") / "lock")},
    }


def _nova_base(s: Settings) -> Sections:
    return {
        "DEFAULT": {
            **common(s, "nova"),
            "my_ip": "127.0.0.1",
            "report_interval": "5",
            "service_down_time": "20",
            "heal_instance_info_cache_interval": "-1",
            # Periodic tasks (the scheduler's host discovery among them) start at once, not after a
            # random delay of up to a minute.
            "periodic_fuzzy_delay": "0",
        },
        "api": {"auth_strategy": "keystone"},
        "wsgi": {"api_paste_config": str(s.etc("nova") / "api-paste.ini")},
        "keystone_authtoken": s.authtoken("nova"),
        "placement": s.auth("placement"),
        "neutron": s.auth("neutron"),
        "cinder": {"os_region_name": REGION, **s.auth("cinder")},
        "glance": {"region_name": REGION},
        "service_user": {"send_service_user_token": "true", **s.auth("nova")},
        "conductor": {"workers": "1"},
        "scheduler": {"workers": "1", "discover_hosts_in_cells_interval": "3"},
        "vnc": {"enabled": "false"},
        "oslo_messaging_notifications": {"driver": "noop"},
        "oslo_concurrency": {"lock_path": str(s.state("nova") / "lock")},
        "os_vif_linux_bridge": {"use_ipv6": "false"},
    }


def nova(s: Settings) -> Sections:
    cfg = _nova_base(s)
    cfg["api_database"] = {"connection": s.db["nova_api"]}
    cfg["database"] = {"connection": s.db["nova"]}
    cfg["DEFAULT"]["osapi_compute_workers"] = "1"
    cfg["DEFAULT"]["metadata_workers"] = "1"
    return cfg


def nova_compute(s: Settings, host: str) -> Sections:
    """nova-compute has no database access: its config has no [database] sections."""
    cfg = _nova_base(s)
    cfg["DEFAULT"].update(
        {
            "host": host,
            "compute_driver": "fake.FakeDriverWithoutFakeNodes",
            "state_path": str(s.state("nova") / f"compute-{host}"),
            "instances_path": str(s.state("nova") / f"compute-{host}" / "instances"),
            # A boot from a volume Cinder never creates gives up in ~10 s, not the default 3 min: the lab
            # rehearses that failure (nova's VolumeNotCreated) in a test's time.
            "block_device_allocate_retries": "10",
            "block_device_allocate_retries_interval": "1",
        }
    )
    cfg["compute"] = {"resource_provider_association_refresh": "0"}
    return cfg


def neutron(s: Settings) -> Sections:
    return {
        "DEFAULT": {
            **common(s, "neutron"),
            "core_plugin": "ml2",
            "service_plugins": "router",
            "auth_strategy": "keystone",
            "bind_host": "127.0.0.1",
            "bind_port": str(s.ports["neutron"]),
            "api_workers": "1",
            "rpc_workers": "1",
            "rpc_state_report_workers": "0",  # agents' reports go to the one RPC worker
            "allow_overlapping_ips": "true",
            "notify_nova_on_port_status_changes": "true",
            "notify_nova_on_port_data_changes": "true",
            "agent_down_time": "15",
            "api_paste_config": str(s.venv / "etc/neutron/api-paste.ini"),
            "dhcp_agents_per_network": "1",
        },
        # Agents run as root: commands run directly (no sudo), privsep daemons start without
        # sudo (data/lab/run_privsep_without_sudo.py).
        "agent": {"root_helper": "", "report_interval": "5"},
        "database": {"connection": s.db["neutron"]},
        "keystone_authtoken": s.authtoken("neutron"),
        "nova": s.auth("nova"),
        "experimental": {"linuxbridge": "true"},
        "oslo_concurrency": {"lock_path": str(s.state("neutron") / "lock")},
        "oslo_messaging_notifications": {"driver": "noop"},
    }


def ml2(s: Settings) -> Sections:
    return {
        "ml2": {
            "type_drivers": "flat,vxlan",
            "tenant_network_types": "vxlan",
            "mechanism_drivers": "linuxbridge",
            "extension_drivers": "port_security",
        },
        "ml2_type_flat": {"flat_networks": PHYSNET},
        "ml2_type_vxlan": {"vni_ranges": s.vni_range},
        "securitygroup": {"enable_security_group": "true", "firewall_driver": "noop"},
    }


def neutron_agent(s: Settings, host: str) -> Sections:
    """The options every agent of ``host`` shares (loaded after neutron.conf). A short RPC timeout: an
    agent's first call can be lost while the server's RPC workers are still starting, and the default
    (60 s, then a back-off) would hold the lab's readiness for a minute and a half."""
    return {"DEFAULT": {"host": host, "rpc_response_timeout": "10"}}


def linuxbridge_agent(s: Settings, local_ip: str = "127.0.0.1") -> Sections:
    return {
        "linux_bridge": {"bridge_mappings": f"{PHYSNET}:{s.bridge}"},
        "vxlan": {"enable_vxlan": "true", "local_ip": local_ip, "l2_population": "false"},
        # The fake virt driver never plugs a tap: security-group rules would guard nothing.
        "securitygroup": {"enable_security_group": "false", "firewall_driver": "noop"},
        "agent": {"polling_interval": "2"},
    }


def l3_agent(s: Settings) -> Sections:
    return {"DEFAULT": {"interface_driver": "linuxbridge"}}


def dhcp_agent(s: Settings) -> Sections:
    return {
        "DEFAULT": {
            "interface_driver": "linuxbridge",
            "dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq",
            "enable_isolated_metadata": "false",
        }
    }


def cinder(s: Settings) -> Sections:
    return {
        "DEFAULT": {
            **common(s, "cinder"),
            "auth_strategy": "keystone",
            "host": s.host,
            "my_ip": "127.0.0.1",
            "enabled_backends": "ceph",
            "default_volume_type": "lab-rbd",
            "api_paste_config": str(s.venv / "etc/cinder/api-paste.ini"),
            "resource_query_filters_file": str(s.venv / "etc/cinder/resource_filters.json"),
            "osapi_volume_workers": "1",
            "report_interval": "5",
            "service_down_time": "20",
            # The first capability report reaches the scheduler within seconds, not the default minute.
            "periodic_interval": "5",
            "periodic_fuzzy_delay": "0",
            "glance_api_servers": s.url("glance"),
        },
        "ceph": {
            "volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
            "volume_backend_name": "ceph",
            "rbd_pool": "volumes",
            "rbd_user": "cinder",
            "rbd_ceph_conf": str(s.ceph_conf),
            # The lab's one OSD is a few GB and RBD volumes are thin: over-subscribe enough for scale
            # rehearsals (hundreds of 1 GB volumes that are never written; Cinder's default 20 allows ~180).
            "max_over_subscription_ratio": "200",
            "rbd_flatten_volume_from_snapshot": "false",
            "rbd_max_clone_depth": "5",
            "rados_connect_timeout": "10",
            "report_discard_supported": "true",
        },
        "database": {"connection": s.db["cinder"]},
        "keystone_authtoken": s.authtoken("cinder"),
        "nova": s.auth("nova"),
        "oslo_concurrency": {"lock_path": str(s.state("cinder") / "lock")},
        "oslo_messaging_notifications": {"driver": "noop"},
    }


def host_config_files(
    s: Settings,
    host: str,
    *,
    transport_url: str | None = None,
    local_ip: str = "127.0.0.1",
    bridge: str | None = None,
) -> dict[Path, str]:
    """The files of one compute host: its nova-compute, its agents' [DEFAULT] host and its linuxbridge
    agent. A host in a network namespace passes the AMQP URL and VXLAN address it reaches from there."""
    compute = nova_compute(s, host)
    agent = neutron_agent(s, host)
    if transport_url:
        compute["DEFAULT"]["transport_url"] = transport_url
        agent["DEFAULT"]["transport_url"] = transport_url
    lb = linuxbridge_agent(s, local_ip)
    if bridge:
        lb["linux_bridge"]["bridge_mappings"] = f"{PHYSNET}:{bridge}"
    return {
        s.etc("nova") / f"nova-compute-{host}.conf": render_ini(compute),
        s.etc("neutron") / f"agent-{host}.conf": render_ini(agent),
        s.etc("neutron") / f"linuxbridge_agent-{host}.ini": render_ini(lb),
    }


def wsgi_overlay() -> Sections:
    """Read after the service's own file by the API services uWSGI serves (nova-api, cinder-api).

    Between requests a uWSGI worker sits in uWSGI's C loop, so oslo.messaging's heartbeat never runs in
    a green thread: RabbitMQ closes the connection after 60 s ("missed heartbeats from client"), the
    reply queue goes with it, and the next RPC call waits out rpc_response_timeout (seen here:
    ``openstack hypervisor list --long`` failing after 60 s with MessagingTimeout). oslo.messaging says to
    set this for WSGI services only; the eventlet services keep the shared file's default."""
    return {"oslo_messaging_rabbit": {"heartbeat_in_pthread": "true"}}


def config_files(s: Settings) -> dict[Path, str]:
    """Every configuration file of the lab's services (and of its own compute host): path -> text."""
    files: dict[Path, Sections] = {
        s.etc("keystone") / "keystone.conf": keystone(s),
        s.etc("placement") / "placement.conf": placement(s),
        s.etc("glance") / "glance-api.conf": glance(s),
        s.etc("nova") / "nova.conf": nova(s),
        s.etc("nova") / "nova-api.conf": wsgi_overlay(),
        s.etc("neutron") / "neutron.conf": neutron(s),
        s.etc("neutron") / "ml2_conf.ini": ml2(s),
        s.etc("neutron") / "l3_agent.ini": l3_agent(s),
        s.etc("neutron") / "dhcp_agent.ini": dhcp_agent(s),
        s.etc("cinder") / "cinder.conf": cinder(s),
        s.etc("cinder") / "cinder-api.conf": wsgi_overlay(),
    }
    out = {path: render_ini(sections) for path, sections in files.items()}
    out.update(host_config_files(s, s.host))
    return out
