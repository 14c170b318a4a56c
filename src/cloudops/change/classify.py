"""The class of a shell command or API action: read-only, mutating, destructive, secret-handling.

Pure and table-driven: one small rule set per tool (openstack, juju, virsh, ceph, rbd, systemctl, ip,
mysql, rabbitmqctl, kubectl, clusterctl, vault, and a few read-only utilities). Anything not known is
**mutating** — the gate errs on the side of asking. Wrappers (``sudo``, ``env A=B``, ``timeout N``,
``ip netns exec NS``) are looked through; a shell string is split on pipes and ``;``/``&&``/``||`` and
the worst part wins; an output redirection or a command substitution makes it mutating at least.

Long because: the classifier is one table per tool, and the default-deny rules are read, reviewed
and tested in one place; split per tool, a reviewer would lose the one view of what the gate lets through.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cloudops.change.model import ChangeClass

RO = ChangeClass.READ_ONLY
MUT = ChangeClass.MUTATING
DES = ChangeClass.DESTRUCTIVE
SEC = ChangeClass.SECRET


@dataclass(frozen=True, slots=True)
class Classification:
    change_class: ChangeClass
    reason: str

    @property
    def read_only(self) -> bool:
        return self.change_class == RO


def _c(cls: ChangeClass, reason: str) -> Classification:
    return Classification(cls, reason)


def _words(args: Sequence[str], value_opts: frozenset[str] = frozenset()) -> Iterator[tuple[bool, str]]:
    """(is an option, word) up to ``--``, skipping the value of options known to take one."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            return
        if arg.startswith("-"):
            skip = "=" not in arg and (
                arg in value_opts or any(arg.startswith(p[:-1]) for p in value_opts if p.endswith("*"))
            )
        yield arg.startswith("-"), arg


def _positionals(args: Sequence[str], value_opts: frozenset[str] = frozenset()) -> list[str]:
    """Words that are not options, skipping the value of options known to take one."""
    return [arg for is_option, arg in _words(args, value_opts) if not is_option]


# -- openstack ---------------------------------------------------------------------------------------

_OS_RO_VERBS = frozenset({"list", "show", "check", "validate", "get", "versions", "search", "ls"})
_OS_MUT_VERBS = frozenset(
    {
        "create", "set", "unset", "add", "remove", "start", "stop", "reboot", "pause", "unpause",
        "suspend", "resume", "lock", "unlock", "shelve", "unshelve", "rescue", "unrescue", "resize",
        "migrate", "evacuate", "rebuild", "restore", "attach", "detach", "import", "save", "upload",
        "update", "enable", "disable", "adopt", "manage", "unmanage", "failover", "accept", "revert",
        "confirm", "abort", "force", "extend", "retype", "snapshot", "backup", "move", "trigger",
        "apply", "execute", "cancel", "finish", "upgrade", "scale", "rotate", "stage", "deploy",
        "undeploy", "provide", "inspect", "clean", "power", "rollback", "resolve", "associate",
        "disassociate", "register", "unregister", "export", "ssh", "rebalance", "reset", "revoke",
    }
)  # fmt: skip
_OS_DES_VERBS = frozenset({"delete", "purge", "destroy", "erase", "cleanup", "prune"})
_OS_VALUE_OPTS = frozenset(
    {"-f", "--format", "-c", "--column", "--max-width", "--sort-column", "--log-file", "--os-*"}
)


def _openstack(args: Sequence[str]) -> Classification:
    words = _positionals(args, _OS_VALUE_OPTS)
    if not words or words[0] in ("help", "complete") or "--help" in args or "--version" in args:
        return _c(RO, "openstack help/version")
    joined = " ".join(words)
    # Credentials: creating or printing them.
    if joined.startswith(("token issue", "ec2 credentials create", "ec2 credentials show")):
        return _c(SEC, f"openstack {' '.join(words[:3])} prints a credential")
    if joined.startswith(("application credential create", "credential create", "credential show")):
        return _c(SEC, "openstack creates or prints a credential")
    if joined.startswith(("credential list", "ec2 credentials list", "secret get", "secret store")):
        return _c(SEC, "openstack lists or stores secret material")
    if joined.startswith(("coe cluster config", "console url show")):
        return _c(SEC, "openstack writes or prints an access credential")
    if (
        words[0] == "user"
        and len(words) > 1
        and words[1] in ("create", "set", "password")
        and any(a.startswith("--password") for a in args)
    ):
        return _c(SEC, "openstack sets a user's password")
    if joined.startswith("configuration show") and "--unmask" in args:
        return _c(SEC, "openstack configuration show --unmask prints passwords")
    for word in words:
        if word in _OS_DES_VERBS:
            return _c(DES, f"openstack verb {word!r}")
        if word in _OS_RO_VERBS:
            return _c(RO, f"openstack verb {word!r}")
        if word in _OS_MUT_VERBS:
            return _c(MUT, f"openstack verb {word!r}")
    if words[0] in ("module", "extension", "versions", "catalog", "limits", "usage") and len(words) <= 2:
        return _c(RO, "openstack listing")
    return _c(MUT, "unknown openstack verb: treated as mutating")


# -- juju --------------------------------------------------------------------------------------------

_JUJU_RO = frozenset(
    {
        "status", "version", "help", "whoami", "models", "controllers", "clouds", "regions", "machines",
        "spaces", "subnets", "storage", "storage-pools", "offers", "secrets", "actions", "operations",
        "debug-log", "export-bundle", "charms", "users", "applications", "units", "resources",
        "find-offers", "find", "info", "download", "wait-for", "constraints", "get-constraints",
        "model-constraints", "get-model-constraints", "firewall-rules", "list-firewall-rules",
        "model-defaults", "controller-config", "documentation", "show-status-log", "status-history",
        "charm-resources", "metrics", "payloads", "sla", "budgets", "cached-images", "agreements",
        "dashboard", "list-models", "list-controllers", "ls", "show-model", "bundle",
        "diff-bundle", "credentials", "show-credential", "show-credentials", "secret-backends",
    }
)  # fmt: skip
_JUJU_SEC = frozenset(
    {
        "add-secret", "update-secret", "grant-secret", "revoke-secret", "add-credential",
        "update-credential", "autoload-credentials", "change-user-password", "add-user", "register",
        "login", "add-secret-backend", "update-secret-backend", "show-secret-backend",
    }
)  # fmt: skip
_JUJU_KV_COMMANDS = frozenset({"config", "model-config", "controller-config", "model-defaults"})


def _juju(args: Sequence[str]) -> Classification:
    words = _positionals(
        args, frozenset({"-m", "--model", "-c", "--controller", "--format", "-o", "--output"})
    )
    if not words or "--help" in args or "-h" in args:
        return _c(RO, "juju help")
    cmd = words[0]
    rest = words[1:]
    if cmd == "show-secret":
        if "--reveal" in args or "-r" in args:
            return _c(SEC, "juju show-secret --reveal prints a secret value")
        return _c(RO, "juju show-secret without --reveal")
    if cmd in ("credentials", "show-credential", "show-credentials", "list-credentials") and (
        "--show-secrets" in args
    ):
        return _c(SEC, f"juju {cmd} --show-secrets prints credentials")
    if cmd in _JUJU_SEC:
        return _c(SEC, f"juju {cmd} handles a credential or secret")
    if cmd in _JUJU_KV_COMMANDS:
        if any("=" in w for w in rest) or any(
            a in ("--reset", "--file") or a.startswith(("--reset=", "--file=")) for a in args
        ):
            return _c(MUT, f"juju {cmd} with an assignment")
        from cloudops.redact import is_secret_key

        keys = rest[1:] if cmd == "config" else rest
        if any(is_secret_key(k) for k in keys):
            return _c(SEC, f"juju {cmd} prints a secret-looking key")
        return _c(RO, f"juju {cmd} without an assignment")
    if cmd in ("switch",):
        return _c(RO if not rest else MUT, "juju switch")
    if cmd in ("run", "run-action", "exec", "ssh", "scp", "debug-hooks", "debug-code"):
        if cmd in ("run", "run-action") and any(
            w in ("authorize-charm", "generate-root-ca", "get-csr", "upload-signed-csr") for w in rest
        ):
            return _c(SEC, "juju run of an action handling secret material")
        return _c(MUT, f"juju {cmd} runs code on units")
    if cmd in _JUJU_RO or cmd.startswith(("show-", "list-")):
        return _c(RO, f"juju {cmd}")
    if cmd.startswith(("remove-", "destroy-")) or cmd in ("kill-controller", "detach-storage"):
        return _c(DES, f"juju {cmd}")
    if cmd.startswith(
        ("add-", "set-", "upgrade-", "enable-", "disable-", "import-", "create-", "attach-")
    ) or cmd in (
        "deploy",
        "integrate",
        "relate",
        "refresh",
        "upgrade",
        "expose",
        "unexpose",
        "scale-application",
        "bootstrap",
        "consume",
        "offer",
        "migrate",
        "resolve",
        "resolved",
        "trust",
        "bind",
        "suspend-relation",
        "resume-relation",
        "move-to-space",
        "rename-space",
        "reload-spaces",
        "grant",
        "revoke",
        "sync-agent-binaries",
        "retry-provisioning",
        "model-secret-backend",
        "cancel-task",
        "upgrade-charm",
        "upgrade-model",
    ):
        return _c(MUT, f"juju {cmd}")
    return _c(MUT, f"unknown juju command {cmd!r}: treated as mutating")


# -- virsh -------------------------------------------------------------------------------------------

_VIRSH_RO = frozenset(
    {
        "list", "dominfo", "domstate", "dumpxml", "domiflist", "domblklist", "domifaddr", "domblkinfo",
        "domstats", "dommemstat", "domjobinfo", "domuuid", "domname", "domid", "vcpuinfo", "vcpucount",
        "nodeinfo", "capabilities", "version", "hostname", "uri", "sysinfo", "net-list", "net-info",
        "net-dumpxml", "net-dhcp-leases", "pool-list", "pool-info", "pool-dumpxml", "vol-list",
        "vol-info", "vol-dumpxml", "vol-path", "snapshot-list", "snapshot-info", "snapshot-dumpxml",
        "snapshot-current", "iface-list", "nodedev-list", "nodedev-dumpxml", "secret-list",
        "freecell", "nodememstats", "nodecpustats", "domdisplay", "help", "domblkstat", "domifstat",
        "domcontrol", "domtime", "iothreadinfo", "emulatorpin", "vncdisplay", "nwfilter-list",
        "net-port-list", "checkpoint-list", "domhostname", "guestinfo", "domfsinfo", "cpu-stats",
        "nodesuspend-info",
    }
)  # fmt: skip
_VIRSH_DES = frozenset(
    {
        "destroy", "undefine", "vol-delete", "vol-wipe", "pool-delete", "pool-destroy", "net-destroy",
        "net-undefine", "pool-undefine", "snapshot-delete", "reset", "managedsave-remove",
        "nodedev-destroy", "iface-undefine", "iface-destroy", "checkpoint-delete", "secret-undefine",
    }
)  # fmt: skip


def _virsh(args: Sequence[str]) -> Classification:
    words = _positionals(args, frozenset({"-c", "--connect", "-l", "--log", "-k", "-K"}))
    if not words:
        return _c(MUT, "virsh interactive shell")
    cmd = words[0]
    if cmd in ("secret-get-value", "secret-set-value"):
        return _c(SEC, f"virsh {cmd} handles secret material")
    if cmd in _VIRSH_RO:
        return _c(RO, f"virsh {cmd}")
    if cmd in _VIRSH_DES:
        return _c(DES, f"virsh {cmd}")
    return _c(MUT, f"virsh {cmd}" if cmd else "virsh")


# -- ceph / rbd --------------------------------------------------------------------------------------

_CEPH_RO_WORDS = frozenset(
    {
        "status", "health", "df", "tree", "stat", "dump", "ls", "list", "get", "detail", "versions",
        "quorum_status", "show", "query", "report", "version", "perf", "metadata", "count-metadata",
        "find", "usage", "info", "stats", "lspools", "top", "ok-to-stop", "safe-to-destroy",
        "ok-to-upgrade", "blocked-by", "utilization", "check", "summary", "map", "services",
        "get-or-list", "log-last", "last", "diff", "inspect", "crash-ls", "du", "watch", "-s", "-w",
    }
)  # fmt: skip
_CEPH_DES_WORDS = frozenset(
    {"rm", "del", "delete", "purge", "destroy", "remove", "zap", "flatten", "trash-purge"}
)
_CEPH_VALUE_OPTS = frozenset(
    {
        "-c",
        "--conf",
        "-n",
        "--name",
        "--id",
        "-i",
        "-k",
        "--keyring",
        "--cluster",
        "-f",
        "--format",
        "-o",
        "--out-file",
    }
)


def _ceph(args: Sequence[str]) -> Classification:
    if args and args[0] in ("-s", "-w", "--status", "--version", "-v") and len(args) == 1:
        return _c(RO, "ceph status")
    words = _positionals(args, _CEPH_VALUE_OPTS)
    if not words:
        return _c(RO, "ceph status") if "-s" in args else _c(MUT, "ceph interactive")
    if words[0] == "auth" and len(words) > 1:
        if words[1] in (
            "ls",
            "list",
            "get",
            "get-key",
            "print-key",
            "print_key",
            "export",
            "get-or-create",
            "get-or-create-key",
            "add",
            "import",
        ):
            return _c(SEC, f"ceph auth {words[1]} creates or prints keys")
        if words[1] in ("del", "rm"):
            return _c(DES, f"ceph auth {words[1]}")
        return _c(SEC, f"ceph auth {words[1]} touches keys")
    if words[:2] == ["config-key", "get"] or words[:2] == ["config-key", "dump"]:
        return _c(SEC, "ceph config-key prints stored keys")
    last_verb = words[-1]
    # the verb is the first word that classifies; ceph puts arguments after it
    for word in words:
        if word in _CEPH_DES_WORDS:
            return _c(DES, f"ceph {word}")
        if word in (
            "set",
            "unset",
            "create",
            "enable",
            "disable",
            "out",
            "in",
            "down",
            "up",
            "reweight",
            "add",
            "apply",
            "repair",
            "scrub",
            "deep-scrub",
            "pause",
            "unpause",
            "fail",
            "restart",
            "mark_unfound_lost",
            "redeploy",
            "start",
            "stop",
            "upgrade",
            "move",
            "rename",
            "tell",
            "import",
            "application",
            "crush",
            "reset",
            "archive",
            "lost",
            "config-key",
        ):
            if word in ("crush", "application", "config-key"):
                continue
            return _c(MUT, f"ceph {word}")
        if word in _CEPH_RO_WORDS:
            return _c(RO, f"ceph {word}")
    return _c(MUT, f"unknown ceph command ending {last_verb!r}: treated as mutating")


def _rbd(args: Sequence[str]) -> Classification:
    words = _positionals(args, frozenset({"-p", "--pool", "--id", "-c", "--conf", "--format", "-k"}))
    if not words:
        return _c(MUT, "rbd")
    cmd = words[0]
    if cmd in (
        "ls",
        "list",
        "info",
        "status",
        "du",
        "showmapped",
        "diff",
        "snap",
        "children",
        "device",
        "trash",
        "lock",
        "mirror",
        "perf",
        "pool",
    ) and (len(words) < 2 or words[1] in ("ls", "list", "info", "status", "iostat")):
        return _c(RO, f"rbd {' '.join(words[:2])}")
    if cmd in ("ls", "list", "info", "status", "du", "showmapped", "diff", "children"):
        return _c(RO, f"rbd {cmd}")
    if cmd in ("rm", "remove", "purge") or (len(words) > 1 and words[1] in ("rm", "remove", "purge")):
        return _c(DES, f"rbd {' '.join(words[:2])}")
    return _c(MUT, f"rbd {cmd}")


# -- systemctl / journalctl ---------------------------------------------------------------------------

_SYSTEMCTL_RO = frozenset(
    {
        "status", "show", "cat", "is-active", "is-enabled", "is-failed", "is-system-running",
        "list-units", "list-unit-files", "list-timers", "list-sockets", "list-dependencies",
        "list-jobs", "list-machines", "show-environment", "get-default", "help",
    }
)  # fmt: skip
_SYSTEMCTL_DES = frozenset({"poweroff", "reboot", "halt", "kexec", "soft-reboot", "emergency", "rescue"})


def _systemctl(args: Sequence[str]) -> Classification:
    words = _positionals(
        args,
        frozenset(
            {
                "-H",
                "--host",
                "-M",
                "--machine",
                "-p",
                "--property",
                "-t",
                "--type",
                "--state",
                "-n",
                "--lines",
                "-o",
                "--output",
            }
        ),
    )
    if not words:
        return _c(RO, "systemctl lists units")
    cmd = words[0]
    if cmd in _SYSTEMCTL_RO:
        return _c(RO, f"systemctl {cmd}")
    if cmd in _SYSTEMCTL_DES:
        return _c(DES, f"systemctl {cmd} takes the host down")
    return _c(MUT, f"systemctl {cmd}")


# -- ip ----------------------------------------------------------------------------------------------

_IP_OBJECTS = (
    "address", "addrlabel", "link", "route", "rule", "neighbour", "neighbor", "ntable", "tunnel",
    "tuntap", "maddress", "mroute", "mrule", "monitor", "xfrm", "netns", "l2tp", "fou", "macsec",
    "tcp_metrics", "token", "netconf", "ila", "vrf", "sr", "nexthop", "mptcp", "ioam", "stats",
)  # fmt: skip
# iproute2 matches a verb by prefix in this order (ipaddress.c): "a" is add, "s" is show.
_IP_VERBS: tuple[tuple[str, ChangeClass], ...] = (
    ("add", MUT), ("change", MUT), ("chg", MUT), ("replace", MUT), ("delete", DES), ("flush", DES),
    ("show", RO), ("lst", RO), ("list", RO), ("get", RO), ("save", RO), ("showdump", RO),
    ("restore", MUT), ("set", MUT), ("append", MUT), ("prepend", MUT), ("help", RO),
    ("exec", MUT), ("identify", RO), ("pids", RO), ("monitor", RO), ("attach", MUT), ("del", DES),
)  # fmt: skip


def _ip(args: Sequence[str]) -> Classification:
    words = _positionals(
        args, frozenset({"-n", "-netns", "--netns", "-f", "-family", "-b", "-batch", "-rc", "-c"})
    )
    if any(a in ("-b", "-batch", "-force") for a in args):
        return _c(MUT, "ip batch file: contents unknown")
    if not words:
        return _c(RO, "ip help")
    obj = next((o for o in _IP_OBJECTS if o.startswith(words[0])), None)
    if obj is None:
        return _c(MUT, f"unknown ip object {words[0]!r}")
    if obj == "monitor":
        return _c(RO, "ip monitor")
    if len(words) == 1:
        return _c(RO, f"ip {obj} (show)")
    verb = words[1]
    if obj == "netns" and "exec".startswith(verb) and len(words) > 3:
        inner = list(args[args.index(words[2]) + 1 :])
        return classify_argv(inner)
    if obj == "route" and verb.startswith("g"):
        return _c(RO, "ip route get")
    for name, cls in _IP_VERBS:
        if name.startswith(verb):
            return _c(cls, f"ip {obj} {name}")
    # `ip link dev X` and similar: no verb → show for most objects
    return _c(MUT, f"unknown ip {obj} verb {verb!r}")


# -- mysql and SQL -----------------------------------------------------------------------------------

_SQL_RO = re.compile(r"(?is)^\s*(select|show|describe|desc|explain|use|help|status|checksum|check)\b")
_SQL_SECRET = re.compile(
    r"(?is)(identified\s+(by|with)|set\s+password|password\s*\(|authentication_string|from\s+mysql\.user)"
)
_SQL_DES = re.compile(r"(?is)^\s*(drop|delete|truncate|purge|reset)\b")


def classify_sql(sql: str) -> Classification:
    statements = [s for s in sql.split(";") if s.strip()]
    results: list[Classification] = []
    for stmt in statements:
        if _SQL_SECRET.search(stmt):
            results.append(_c(SEC, "SQL touching passwords"))
        elif _SQL_DES.match(stmt):
            results.append(_c(DES, f"SQL {stmt.split()[0].upper()}"))
        elif _SQL_RO.match(stmt):
            results.append(_c(RO, f"SQL {stmt.split()[0].upper()}"))
        else:
            results.append(_c(MUT, f"SQL {stmt.split()[0].upper() if stmt.split() else ''}".strip()))
    return _worst(results) if results else _c(MUT, "empty SQL")


def _mysql(args: Sequence[str]) -> Classification:
    for i, arg in enumerate(args):
        if (arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--")) or arg.startswith(
            "--password="
        ):
            return _c(SEC, "mysql with a password on the command line")
        if arg in ("-e", "--execute") and i + 1 < len(args):
            return classify_sql(args[i + 1])
        if arg.startswith("--execute="):
            return classify_sql(arg.split("=", 1)[1])
        if arg.startswith("-e") and len(arg) > 2:
            return classify_sql(arg[2:])
    return _c(MUT, "interactive mysql or SQL from stdin: contents unknown")


def _mysqladmin(args: Sequence[str]) -> Classification:
    words = _positionals(args, frozenset({"-u", "--user", "-h", "--host", "-P", "--port", "-S", "--socket"}))
    if any(a.startswith("-p") and len(a) > 2 for a in args) or "password" in words:
        return _c(SEC, "mysqladmin with a password")
    ro = {"status", "extended-status", "processlist", "variables", "version", "ping", "ext", "proc"}
    if words and all(w in ro for w in words):
        return _c(RO, f"mysqladmin {' '.join(words)}")
    if any(w in ("drop", "shutdown", "kill") for w in words):
        return _c(DES, f"mysqladmin {words[0]}")
    return _c(MUT, "mysqladmin")


# -- rabbitmqctl -------------------------------------------------------------------------------------


def _rabbitmqctl(args: Sequence[str]) -> Classification:
    words = _positionals(args, frozenset({"-n", "--node", "-p", "--vhost", "-t", "--timeout", "-l"}))
    if not words:
        return _c(RO, "rabbitmqctl help")
    cmd = words[0]
    if cmd in ("add_user", "change_password", "authenticate_user", "hash_password", "export_definitions"):
        return _c(SEC, f"rabbitmqctl {cmd} handles a password")
    if cmd.startswith("list_") or cmd in (
        "status",
        "cluster_status",
        "environment",
        "report",
        "ping",
        "node_health_check",
        "version",
        "help",
        "await_startup",
        "wait",
        "list",
        "schema_info",
        "resolve_hostname",
    ):
        return _c(RO, f"rabbitmqctl {cmd}")
    if cmd.startswith(("delete_", "clear_", "purge_")) or cmd in (
        "reset",
        "force_reset",
        "forget_cluster_node",
        "close_all_connections",
        "close_connection",
    ):
        return _c(DES, f"rabbitmqctl {cmd}")
    return _c(MUT, f"rabbitmqctl {cmd}")


# -- kubectl / clusterctl ----------------------------------------------------------------------------

_KUBE_VALUE_OPTS = frozenset(
    {"-n", "--namespace", "--context", "--kubeconfig", "-s", "--server", "--cluster", "--user", "--token",
     "--as", "-o", "--output", "-l", "--selector", "-f", "--filename", "-c", "--container",
     "--field-selector"}
)  # fmt: skip
_KUBE_RO = frozenset(
    {"get", "describe", "logs", "top", "explain", "version", "cluster-info", "api-resources", "api-versions",
     "diff", "events", "wait", "completion", "plugin", "options", "help"}
)  # fmt: skip


def _kubectl(args: Sequence[str]) -> Classification:
    words = _positionals(args, _KUBE_VALUE_OPTS)
    if not words:
        return _c(RO, "kubectl help")
    cmd = words[0]
    rest = words[1:]
    kinds = [w.lower() for w in rest]
    if (
        cmd == "get"
        and any(k.split("/")[0] in ("secret", "secrets") for k in kinds)
        and any(a in ("-o", "--output") or a.startswith(("-o", "--output=")) for a in args)
    ):
        return _c(SEC, "kubectl get secret with an output format prints its data")
    if cmd == "create" and kinds and kinds[0] in ("secret", "token"):
        return _c(SEC, f"kubectl create {kinds[0]}")
    if cmd == "config":
        sub = rest[0] if rest else "view"
        if sub == "view":
            return _c(
                SEC if "--raw" in args else RO, "kubectl config view" + (" --raw" if "--raw" in args else "")
            )
        if sub.startswith(("get-", "current-")):
            return _c(RO, f"kubectl config {sub}")
        return _c(MUT, f"kubectl config {sub}")
    if cmd == "auth":
        return _c(RO, "kubectl auth can-i/whoami")
    if cmd == "rollout":
        sub = rest[0] if rest else ""
        return _c(RO if sub in ("status", "history") else MUT, f"kubectl rollout {sub}")
    if cmd in _KUBE_RO:
        return _c(RO, f"kubectl {cmd}")
    if cmd in ("delete", "drain"):
        return _c(DES, f"kubectl {cmd}")
    return _c(MUT, f"kubectl {cmd}")


def _clusterctl(args: Sequence[str]) -> Classification:
    words = _positionals(
        args,
        frozenset(
            {
                "-n",
                "--namespace",
                "--kubeconfig",
                "--config",
                "-i",
                "--infrastructure",
                "--to-kubeconfig",
                "--kubeconfig-context",
            }
        ),
    )
    if not words:
        return _c(RO, "clusterctl help")
    cmd = words[0]
    sub = words[1] if len(words) > 1 else ""
    if cmd == "get" and sub == "kubeconfig":
        return _c(SEC, "clusterctl get kubeconfig prints cluster credentials")
    if (
        cmd in ("describe", "version", "help", "completion")
        or (cmd == "config" and sub in ("repositories", ""))
        or (cmd == "generate")
        or (cmd == "upgrade" and sub == "plan")
        or (cmd == "move" and "--dry-run" in args)
    ):
        return _c(RO, f"clusterctl {cmd} {sub}".strip())
    if cmd == "init" and sub == "list-images":
        return _c(RO, "clusterctl init list-images")
    if cmd == "delete":
        return _c(DES, "clusterctl delete")
    return _c(MUT, f"clusterctl {cmd} {sub}".strip())


# -- vault -------------------------------------------------------------------------------------------


def _vault(args: Sequence[str]) -> Classification:
    words = _positionals(args, frozenset({"-address", "-format", "-field", "-namespace"}))
    if not words:
        return _c(RO, "vault help")
    cmd, sub = words[0], (words[1] if len(words) > 1 else "")
    if (
        cmd == "status"
        or cmd == "version"
        or (cmd == "secrets" and sub == "list")
        or (cmd == "auth" and sub == "list")
    ):
        return _c(RO, f"vault {cmd} {sub}".strip())
    if cmd == "operator" and sub in ("init", "unseal", "generate-root", "rekey", "seal"):
        return _c(SEC, f"vault operator {sub} handles unseal/root keys")
    if cmd in ("read", "kv", "token", "login", "write", "unwrap", "print"):
        if cmd == "kv" and sub in ("delete", "destroy", "metadata"):
            return _c(DES, f"vault kv {sub}")
        return _c(SEC, f"vault {cmd} reads or writes secret material")
    if cmd == "delete":
        return _c(DES, "vault delete")
    return _c(MUT, f"vault {cmd} {sub}".strip())


# -- read-only utilities -----------------------------------------------------------------------------

_PLAIN_RO = frozenset(
    {
        "cat", "ls", "grep", "egrep", "head", "tail", "less", "more", "ps", "df", "du", "free", "uptime",
        "hostname", "ping", "dig", "host", "ss", "netstat", "whoami", "id", "date", "uname", "lsblk",
        "echo", "true", "wc", "sort", "uniq", "journalctl", "lscpu", "lspci", "lsusb", "stat", "file",
        "which", "pwd", "env", "printenv", "arp", "traceroute", "tracepath", "nslookup", "findmnt",
        "mount", "blkid", "dmesg", "top", "vmstat", "iostat", "mpstat", "nproc", "getent", "awk", "cut",
        "tr", "jq", "yq", "diff", "cmp", "sha256sum", "md5sum", "test", "[", "ethtool", "lsof",
        "resolvectl", "timedatectl", "hostnamectl", "networkctl", "chronyc", "ovs-vsctl", "ovs-ofctl",
        "ovs-appctl", "bridge", "lsmod", "sysctl", "curl",
    }
)  # fmt: skip


_PLAIN_DES = frozenset(
    {"rm", "rmdir", "shred", "dd", "wipefs", "truncate", "sgdisk", "fdisk", "parted", "sfdisk", "blkdiscard",
     "lvremove", "vgremove", "pvremove", "zap", "reboot", "poweroff", "halt", "shutdown", "kill", "pkill",
     "killall"}
)  # fmt: skip


# Default deny for the read-only utilities: the options each is known to take without writing or running
# anything (from their man pages). An option not listed makes the command mutating — the gate asks. Short
# flags may be combined (`ls -la`); `--name=value` counts as `--name`. ``None``: every option is read-only
# (the tool has no option that writes, executes or changes the system).
_COMMON_RO = frozenset({"-h", "--help", "--version"})
_PLAIN_OPTS: dict[str, frozenset[str] | None] = {
    "cat": None, "head": None, "tail": None, "less": None, "more": None, "wc": None, "cut": None, "tr": None,
    "diff": None, "cmp": None, "sha256sum": None, "md5sum": None, "stat": None, "file": None, "which": None,
    "pwd": None, "whoami": None, "id": None, "uname": None, "nproc": None, "lscpu": None, "lspci": None,
    "lsusb": None, "lsblk": None, "free": None, "uptime": None, "ps": None, "getent": None, "findmnt": None,
    "echo": None, "true": None, "test": None, "[": None, "printenv": None, "env": None, "arp": None,
    "ping": None, "dig": None, "host": None, "nslookup": None, "traceroute": None, "tracepath": None,
    "ss": None, "netstat": None, "vmstat": None, "iostat": None, "mpstat": None, "lsmod": None, "lsof": None,
    "df": None, "du": None, "top": None, "bridge": None, "grep": None, "egrep": None, "ls": None,
    "ethtool": None, "sysctl": None, "ovs-vsctl": None, "ovs-ofctl": None, "ovs-appctl": None,
    "resolvectl": None, "timedatectl": None, "hostnamectl": None, "networkctl": None, "chronyc": None,
    "blkid": frozenset({"-o", "-s", "-t", "-l", "-L", "-U", "-p", "-i", "-u", "-n", "-c", "-d", "-k"}),
    "dmesg": frozenset({"-T", "-H", "-k", "-x", "-l", "--level", "-f", "--facility", "-t", "-L", "--color",
                        "-w", "--follow", "-W", "-r", "--raw", "--time-format", "-e", "-P", "--nopager",
                        "-S", "--syslog", "--kernel", "--since", "--until", "--json", "-J"}),
    "sort": frozenset({"-b", "-d", "-f", "-g", "-i", "-M", "-h", "-n", "-R", "-r", "-V", "-c", "-C", "-k",
                       "-m", "-s", "-t", "-u", "-z", "--key", "--field-separator", "--reverse", "--unique",
                       "--numeric-sort", "--human-numeric-sort", "--version-sort", "--stable", "--check",
                       "--ignore-case", "--general-numeric-sort", "--month-sort", "--merge", "--zero-terminated",
                       "--ignore-leading-blanks", "--dictionary-order", "--random-sort"}),
    "uniq": frozenset({"-c", "-d", "-D", "-f", "-i", "-s", "-u", "-w", "-z", "--count", "--repeated",
                       "--unique", "--ignore-case", "--skip-fields", "--skip-chars", "--check-chars"}),
    "date": frozenset({"-u", "--utc", "--universal", "-d", "--date", "-R", "--rfc-email", "-I",
                       "--iso-8601", "--rfc-3339", "-r", "--reference"}),
    "hostname": frozenset({"-f", "--fqdn", "--long", "-s", "--short", "-i", "--ip-address", "-I",
                           "--all-ip-addresses", "-d", "--domain", "-A", "--all-fqdns", "-a", "--alias"}),
    "journalctl": frozenset({"-u", "--unit", "-n", "--lines", "-f", "--follow", "-b", "--boot", "-k", "--dmesg",
                             "-p", "--priority", "-o", "--output", "--since", "--until", "-S", "-U", "--no-pager",
                             "-x", "--catalog", "-e", "--pager-end", "-r", "--reverse", "--utc", "-t",
                             "--identifier", "-g", "--grep", "--list-boots", "-a", "--all", "-q", "--quiet",
                             "--no-hostname", "--disk-usage", "--user-unit", "-l", "--full", "--no-full",
                             "-m", "--merge", "-D", "--directory", "--file", "-M", "--machine", "--case-sensitive",
                             "--output-fields", "--system", "--user", "-F", "--field", "-N", "--fields"}),
    "mount": frozenset({"-l", "--show-labels", "-t", "--types"}),
    "curl": frozenset({"-s", "--silent", "-S", "--show-error", "-f", "--fail", "-k", "--insecure", "-v",
                       "--verbose", "-i", "--include", "-I", "--head", "-L", "--location", "-H", "--header",
                       "-m", "--max-time", "--connect-timeout", "--cacert", "--capath", "-w", "--write-out",
                       "-g", "--globoff", "--compressed", "-4", "-6", "--retry", "--retry-delay", "-G", "--get",
                       "-X", "--request", "--noproxy", "--resolve", "-A", "--user-agent", "-sS", "-fsS"}),
    "jq": frozenset({"-r", "--raw-output", "-c", "--compact-output", "-S", "--sort-keys", "-e", "--exit-status",
                     "-s", "--slurp", "-n", "--null-input", "-j", "--join-output", "-a", "--ascii-output",
                     "-M", "--monochrome-output", "-C", "--color-output", "--tab", "--indent", "--arg",
                     "--argjson", "-R", "--raw-input", "--seq", "--stream"}),
    "yq": frozenset({"-r", "--raw-output", "-o", "--output-format", "-p", "--input-format", "-e",
                     "--exit-status", "-c", "--compact-output", "-j", "-P", "--prettyPrint", "-y", "--yaml-output",
                     "-M", "-C", "-N", "--no-doc", "--arg", "--argjson", "-s", "--slurp", "-n", "--null-input"}),
    "awk": frozenset({"-F", "--field-separator", "-v", "--assign"}),
}  # fmt: skip
# Per tool, the options whose value is the next word (so the value is not taken for a positional).
_PLAIN_VALUE_OPTS: dict[str, frozenset[str]] = {
    "blkid": frozenset({"-o", "-s", "-t", "-L", "-U", "-c"}),
    "dmesg": frozenset({"-l", "--level", "-f", "--facility", "--time-format", "--since", "--until"}),
    "sort": frozenset({"-k", "--key", "-t", "--field-separator"}),
    "uniq": frozenset({"-f", "--skip-fields", "-s", "--skip-chars", "-w", "--check-chars"}),
    "date": frozenset({"-d", "--date", "-r", "--reference"}),
    "journalctl": frozenset({"-u", "--unit", "-n", "--lines", "-b", "--boot", "-p", "--priority", "-o", "--output",
                             "--since", "--until", "-S", "-U", "-t", "--identifier", "-g", "--grep", "-D",
                             "--directory", "--file", "-M", "--machine", "--output-fields", "-F", "--field",
                             "--user-unit"}),
    "mount": frozenset({"-t", "--types"}),
    "curl": frozenset({"-H", "--header", "-m", "--max-time", "--connect-timeout", "--cacert", "--capath", "-w",
                       "--write-out", "--retry", "--retry-delay", "-X", "--request", "--noproxy", "--resolve",
                       "-A", "--user-agent"}),
    "jq": frozenset({"--indent", "--arg", "--argjson"}),
    "yq": frozenset({"-o", "--output-format", "-p", "--input-format", "--arg", "--argjson"}),
    "awk": frozenset({"-F", "--field-separator", "-v", "--assign"}),
}  # fmt: skip
# awk programs that write or run something: system(), pipes to or from commands, output redirection.
_AWK_UNSAFE = re.compile(r"system|\||>|getline|close|fflush|printf?\s*\(?[^;}]*>|ENVIRON|PROCINFO")


def _unknown_option(tool: str, args: Sequence[str]) -> str | None:
    """The first option of ``args`` not known to be read-only for ``tool``; None when all are."""
    allowed = _PLAIN_OPTS.get(tool, frozenset())
    if allowed is None:
        return None
    known = allowed | _COMMON_RO
    takes_value = _PLAIN_VALUE_OPTS.get(tool, frozenset())
    for is_option, arg in _words(args, takes_value):
        if not is_option or arg == "-" or re.fullmatch(r"-\d+", arg) or arg.split("=", 1)[0] in known:
            continue
        if not arg.startswith("--") and len(arg) > 2:
            flags = [f"-{ch}" for ch in arg[1:]]
            if all(f in known for f in flags):
                continue
            if f"-{arg[1]}" in known and f"-{arg[1]}" in takes_value:
                continue  # a value glued to its option: -n5, -F:
        return arg
    return None


def _plain(tool: str, args: Sequence[str]) -> Classification:
    unknown = _unknown_option(tool, args)
    if unknown is not None:
        return _c(MUT, f"{tool} with an option not known to be read-only: {unknown}")
    words = _positionals(args, _PLAIN_VALUE_OPTS.get(tool, frozenset()))
    if tool == "awk":
        program = words[0] if words else ""
        if not program or _AWK_UNSAFE.search(program):
            return _c(MUT, "an awk program that may write or run commands")
        return _c(RO, "awk program that only reads and prints")
    if tool == "date" and any(not w.startswith("+") for w in words):
        return _c(MUT, "date with a value sets the clock")
    if tool == "hostname" and words:
        return _c(MUT, "hostname NAME sets the host name")
    if tool == "uniq" and len(words) > 1:
        return _c(MUT, "uniq INPUT OUTPUT writes a file")
    if tool == "curl":
        method = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-X", "--request")), None)
        method = method or next((a.split("=", 1)[1] for a in args if a.startswith("--request=")), None)
        if method is not None and method.upper() not in ("GET", "HEAD"):
            return _c(MUT, f"curl -X {method} sends a request that may change state")
    if tool in ("env", "printenv"):
        return _c(SEC, f"{tool} prints the environment (credentials)") if not words else _c(MUT, tool)
    if tool == "sysctl" and (any("=" in w for w in words) or "-w" in args or "-p" in args):
        return _c(MUT, "sysctl write")
    if (
        tool == "ovs-vsctl"
        and words
        and not words[0].startswith(("show", "list", "get", "find", "br-exists", "list-"))
    ):
        return _c(MUT, f"ovs-vsctl {words[0]}")
    if (
        tool == "ovs-ofctl"
        and words
        and words[0] not in ("show", "dump-flows", "dump-ports", "dump-tables", "dump-ports-desc")
    ):
        return _c(MUT, f"ovs-ofctl {words[0]}")
    if (
        tool == "ovs-appctl"
        and words
        and not any(k in words[0] for k in ("show", "list", "dump", "status", "trace"))
    ):
        return _c(MUT, f"ovs-appctl {words[0]}")
    if tool == "curl" and any(
        a in ("-d", "--data", "-T", "--upload-file", "-F", "--form", "-o", "-O") for a in args
    ):
        return _c(MUT, "curl that sends data or writes a file")
    if (
        tool in ("chronyc", "timedatectl", "hostnamectl", "resolvectl", "networkctl")
        and words
        and words[0]
        not in (
            "status",
            "sources",
            "sourcestats",
            "tracking",
            "show",
            "list",
            "query",
            "dns",
            "domain",
            "statistics",
            "timesync-status",
            "show-timesync",
        )
    ):
        return _c(MUT, f"{tool} {words[0]}")
    if tool == "mount" and words:
        return _c(MUT, "mount of a file system")
    if tool == "top" and "-b" not in args:
        return _c(RO, "top")
    if tool == "cat" and any(
        re.search(r"(clouds|secure)\.ya?ml$|\.pem$|\.key$|keyring|secrets?\b|id_rsa|id_ed25519", w)
        for w in words
    ):
        return _c(SEC, "cat of a credential file")
    return _c(RO, f"{tool} reads only")


# -- entry points ------------------------------------------------------------------------------------

# -- cloudops itself ----------------------------------------------------------------------------------

# Its audits, so that a known issue's check or a runbook's `audit` step may ask cloudops's own verdict. Only
# the forms that read: `assert` without --smoke/--capture/--maintenance/--html/--prometheus (all outside
# the option table below, so default deny makes them mutating), `lint`, `status` and `preflight` (its gates
# read; it journals its verdict, as an audit does). Not `triage`: it writes the recorded fix as a plan.
_CLOUDOPS_RO = frozenset({"assert", "lint", "status", "preflight"})
# Read-only subcommands of groups: the lab's status and exports, runbooks listed, shown or rendered, and
# the queries of the registry, the records, the journal, plans, NetBox and bills of materials (what the
# agent's interface, cloudops.agent, may run). `plan observe`, `netbox plan`, `hosts allocate`,
# `decisions new` and the ledger's `add`/`close` write, so they are not here.
_CLOUDOPS_RO_SUB = frozenset({
    ("lab", "status"), ("lab", "env"), ("runbook", "list"), ("runbook", "show"), ("runbook", "render"),
    ("site", "show"), ("site", "validate"), ("net", "planes"), ("net", "whois"), ("net", "free"),
    ("hosts", "list"), ("hosts", "show"), ("decisions", "list"), ("decisions", "show"),
    ("decisions", "grep"), ("decisions", "governing"), ("decisions", "next"), ("ledger", "list"),
    ("journal", "show"), ("journal", "verify"), ("journal", "path"), ("plan", "show"), ("plan", "check"),
    ("netbox", "diff"), ("bom", "diff"),
})  # fmt: skip
_CLOUDOPS_VALUE_OPTS = frozenset(
    {"--repo", "-f", "--format", "-c", "--column", "--os-cloud", "--targets", "--from", "--juju-status",
     "--ceph-status", "--hosts", "--timeout", "--concurrency", "--rule", "--dir", "--port-base", "--dc",
     "--stage", "--expect", "--explain", "--netbox", "--netbox-token-file", "--role", "--status",
     "--session", "--kind", "-n", "--last", "--count", "--pool"}
)  # fmt: skip


def _cloudops(args: Sequence[str]) -> Classification:
    words = _positionals(args, _CLOUDOPS_VALUE_OPTS)
    if not words or "--help" in args or "-h" in args or "--version" in args:
        return _c(RO, "cloudops help/version")
    if words[0] in _CLOUDOPS_RO:
        return _c(RO, f"cloudops {words[0]} reads")
    if tuple(words[:2]) in _CLOUDOPS_RO_SUB:
        return _c(RO, f"cloudops {words[0]} {words[1]} reads")
    return _c(
        MUT,
        f"cloudops {' '.join(words[:2])}: treated as mutating (only assert, lint, status, preflight and "
        "the queries of the registry, records, journal, plans, runbooks and the lab are audits)",
    )


_TOOLS: dict[str, Callable[[Sequence[str]], Classification]] = {
    "openstack": _openstack,
    "juju": _juju,
    "virsh": _virsh,
    "ceph": _ceph,
    "rbd": _rbd,
    "systemctl": _systemctl,
    "ip": _ip,
    "mysql": _mysql,
    "mariadb": _mysql,
    "mysqladmin": _mysqladmin,
    "rabbitmqctl": _rabbitmqctl,
    "kubectl": _kubectl,
    "clusterctl": _clusterctl,
    "vault": _vault,
    "cloudops": _cloudops,
}


# Options known to shape only what a read-only form reads or prints, per tool; a read-only form with any
# other option is mutating (default deny: `-o FILE`, `--log-file`, `--out-file`, `--admin-daemon` …
# write or reach further). A trailing `*` is a prefix. The option's value, where it takes one, is skipped.
_OUTPUT_OPTS = frozenset({"-h", "--help", "--version", "-v", "--verbose", "-q", "--quiet"})
_TOOL_OPTS: dict[str, frozenset[str]] = {
    "openstack": frozenset({
        "--absolute", "--agent-type", "--aggregate", "--all", "--all-projects", "--any-tags",
        "--availability-zone", "--binary", "--changes-before", "--changes-since", "--children", "--cluster",
        "--column", "--community", "--compute", "--default", "--deleted", "--description", "--detail",
        "--device-id", "--device-owner", "--disabled", "--domain", "--effective", "--egress", "--enabled",
        "--endpoint", "--ethertype", "--events", "--external", "--fields", "--fit-width", "--fixed-ip",
        "--flavor", "--floating-ip-address", "--format", "--group", "--group-domain", "--hidden", "--host",
        "--hypervisor", "--id", "--image", "--in-tree", "--ingress", "--inherited", "--instance",
        "--interface", "--internal", "--ip-address", "--ip-version", "--limit", "--long", "--mac-address",
        "--marker", "--matching", "--max-width", "--member-of", "--mine", "--name", "--names", "--nested",
        "--network", "--network-agents", "--no-share", "--noindent", "--not-any-tags", "--not-tags",
        "--os-*", "--owner", "--parent", "--parents", "--port", "--prefix", "--print-empty", "--private",
        "--project", "--project-domain", "--property", "--protocol", "--provider-network-type",
        "--provider-physical-network", "--provider-segment", "--public", "--quote", "--region",
        "--remote-group", "--remote-ip", "--required", "--reserved", "--resource", "--resource-class",
        "--role", "--router", "--security-group", "--server", "--service", "--share", "--shared",
        "--snapshot", "--sort", "--sort-ascending", "--sort-column", "--sort-descending", "--sort-dir",
        "--sort-key", "--status", "--subnet", "--tags", "--tenant", "--type", "--user", "--user-domain",
        "--uuid", "--visibility", "--volume", "--volumes", "--zone", "-c", "-f"
    }),
    "juju": frozenset({
        "--all", "--application", "--base", "--channel", "--color", "--controller", "--days",
        "--exact-time", "--exclude", "--exclude-module", "--format", "--format=*", "--include",
        "--include-module", "--integrations", "--level", "--limit", "--lines", "--log", "--machine",
        "--model", "--no-color", "--no-tail", "--query", "--relations", "--replay", "--revision",
        "--revisions", "--schema", "--series", "--show-log", "--status", "--storage", "--tail", "--timeout",
        "--type", "--unit", "--utc", "--uuid", "--watch", "-c", "-m", "-n"
    }),
    "ceph": frozenset({
        "--cluster", "--conf", "--connect-timeout", "--detail", "--format", "--id", "--keyring", "--name",
        "--status", "--user", "--watch", "--watch-channel", "--watch-debug", "--watch-error",
        "--watch-info", "--watch-sec", "--watch-warn", "-c", "-f", "-k", "-n", "-s", "-w"
    }),
    "rbd": frozenset({
        "--cluster", "--conf", "--format", "--id", "--keyring", "--long", "--namespace", "--pool",
        "--pretty-format", "-c", "-k", "-l", "-p"
    }),
    "rabbitmqctl": frozenset({
        "--erlang-cookie*", "--formatter", "--longnames", "--no-table-headers", "--node", "--silent",
        "--timeout", "--vhost", "-l", "-n", "-p", "-q", "-s", "-t"
    }),
    "systemctl": frozenset({
        "--after", "--all", "--before", "--failed", "--full", "--host", "--lines", "--machine",
        "--no-legend", "--no-pager", "--output", "--plain", "--property", "--recursive", "--reverse",
        "--show-types", "--state", "--system", "--type", "--user", "--value", "--with-dependencies", "-H",
        "-M", "-a", "-l", "-n", "-o", "-p", "-t"
    }),
    "virsh": frozenset({
        "--all", "--autostart", "--config", "--connect", "--details", "--domain", "--full", "--inactive",
        "--interface", "--live", "--name", "--no-autostart", "--persistent", "--pretty", "--readonly",
        "--security-info", "--source", "--state-running", "--state-shutoff", "--table", "--title",
        "--transient", "--uuid", "-c", "-r"
    }),
    "ip": frozenset({
        "-4", "-6", "-N", "-a", "-all", "-br", "-brief", "-c", "-color", "-d", "-details", "-f", "-family",
        "-h", "-human", "-j", "-json", "-n", "-netns", "-o", "-oneline", "-p", "-pretty", "-s", "-stats"
    }),
    "kubectl": frozenset({
        "--all-containers", "--all-namespaces", "--chunk-size", "--cluster", "--container", "--context",
        "--field-selector", "--follow", "--kubeconfig", "--label-columns", "--namespace", "--no-headers",
        "--output", "--previous", "--raw", "--request-timeout", "--selector", "--show-kind",
        "--show-labels", "--show-managed-fields", "--since", "--since-time", "--sort-by", "--tail",
        "--template", "--timestamps", "--watch", "-A", "-L", "-c", "-f", "-l", "-n", "-o", "-p", "-w",
        "--timeout", "--revision"
    }),
    "clusterctl": frozenset({
        "--addon", "--bootstrap", "--config", "--control-plane", "--core", "--disable-grouping",
        "--dry-run", "--echo", "--grouping", "--infrastructure", "--ipam", "--kubeconfig",
        "--kubeconfig-context", "--namespace", "--show-conditions", "--show-machinesets",
        "--show-resourcesets", "--show-templates", "--to-kubeconfig", "--to-kubeconfig-context", "-n", "-v"
    }),
    "vault": frozenset({
        "--format", "-address", "-ca-cert", "-ca-path", "-detailed", "-field", "-format", "-namespace",
        "-no-color", "-non-interactive", "-tls-skip-verify"
    }),
    "mysql": frozenset({
        "--batch", "--database", "--defaults-extra-file", "--defaults-file", "--execute", "--host",
        "--html", "--port", "--protocol", "--raw", "--silent", "--skip-column-names", "--socket", "--table",
        "--user", "--vertical", "--xml", "-B", "-D", "-E", "-H", "-N", "-P", "-S", "-X", "-e", "-h", "-r",
        "-s", "-t", "-u"
    }),
}  # fmt: skip
_TOOL_OPTS["mariadb"] = _TOOL_OPTS["mysql"]
_TOOL_OPTS["cloudops"] = _CLOUDOPS_VALUE_OPTS | {
    "--fit-width",
    "--list-rules",
    "--offline",
    "--no-checks",
    "--assert",
    "--open",
    "-v",
    "--verbose",
}


def _unknown_tool_option(tool: str, args: Sequence[str]) -> str | None:
    """The first option of a read-only form not known to be safe for ``tool``; None when all are."""
    known = _TOOL_OPTS.get(tool)
    if known is None:
        return None
    known = known | _OUTPUT_OPTS
    prefixes = tuple(k[:-1] for k in known if k.endswith("*"))
    for is_option, arg in _words(args):  # a value that looks like an option is refused: the safe side
        if not is_option or arg in ("-", "--"):
            continue
        name = arg.split("=", 1)[0]
        if name in known or (prefixes and arg.startswith(prefixes)) or re.fullmatch(r"-\d+", arg):
            continue
        if (
            not arg.startswith("--")
            and len(arg) > 2
            and (all(f"-{ch}" in known for ch in arg[1:]) or arg[:2] in known)
        ):
            continue  # bundled short flags (-Ao), or a known short option with its value glued on (-fvalue)
        return arg
    return None


def _worst(results: Sequence[Classification]) -> Classification:
    return max(results, key=lambda r: r.change_class.rank)


def _strip_wrappers(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    while args:
        head = args[0].rsplit("/", 1)[-1]
        if head == "sudo":
            args = args[1:]
            while args and args[0].startswith("-"):
                opt = args.pop(0)
                if opt in ("-u", "-g", "-h", "-p", "-U", "-C", "-D", "-r", "-t", "-T") and args:
                    args.pop(0)
            continue
        if head == "env" and len(args) > 1 and ("=" in args[1] or args[1].startswith("-")):
            args = args[1:]
            while args and ("=" in args[0] or args[0].startswith("-")):
                opt = args.pop(0)
                if opt in ("-u", "--unset", "-C", "--chdir") and args:
                    args.pop(0)
            continue
        if head in ("timeout", "nice", "ionice", "stdbuf", "time", "nohup"):
            args = args[1:]
            while args and args[0].startswith("-"):
                opt = args.pop(0)
                if opt in ("-n", "-c", "-s", "-k", "--signal", "--kill-after") and args:
                    args.pop(0)
            if head == "timeout" and args:
                args = args[1:]  # the duration
            continue
        if "=" in args[0] and not args[0].startswith("-") and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", args[0]):
            args = args[1:]  # VAR=value prefix
            continue
        break
    return args


def classify_argv(argv: Sequence[str]) -> Classification:
    """The class of one command given as an argument vector (no shell)."""
    args = _strip_wrappers(argv)
    if not args:
        return _c(RO, "empty command")
    tool = args[0].rsplit("/", 1)[-1]
    handler = _TOOLS.get(tool)
    if handler is not None:
        result = handler(args[1:])
        unknown = _unknown_tool_option(tool, args[1:]) if result.read_only else None
        if unknown is not None:
            return _c(MUT, f"{result.reason}, with an option not known to be read-only: {unknown}")
        return result
    if tool in _PLAIN_RO:
        return _plain(tool, args[1:])
    if tool in _PLAIN_DES or tool.startswith("mkfs"):
        return _c(DES, f"{tool} destroys data or stops processes")
    return _c(MUT, f"unknown command {tool!r}: treated as mutating")


_SPLIT = re.compile(r"\|\||&&|[|;&\n]")


def classify_shell(command: str) -> Classification:
    """The class of a shell string: the worst of its parts; redirections and substitutions count."""
    if "$(" in command or "`" in command or "<(" in command:
        base = _c(MUT, "command substitution: contents unknown")
    else:
        base = _c(RO, "")
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return _c(MUT, "unparsable shell string")
    parts: list[list[str]] = [[]]
    results = [base]
    redirect_next = False
    for tok in tokens:
        if redirect_next:
            redirect_next = False
            if tok != "/dev/null":
                results.append(_c(MUT, f"redirection to {tok}"))
            continue
        if tok in (">", ">>", ">|", "&>", ">&", "&>>"):
            redirect_next = True
            continue
        if tok in ("<", "<<", "<<<"):
            continue
        if tok and all(ch in ";&|" for ch in tok):
            parts.append([])
            continue
        if re.fullmatch(r"\d>&?\d?", tok):
            continue
        parts[-1].append(tok)
    for part in parts:
        if not part:
            continue
        if part[0].rsplit("/", 1)[-1] == "tee" and len(part) > 1:
            results.append(_c(MUT, "tee writes a file"))
            continue
        results.append(classify_argv(part))
    worst = _worst(results)
    if worst.change_class == RO:
        reasons = [r.reason for r in results if r.reason]
        return _c(RO, "; ".join(reasons) or "read-only")
    return worst


# -- API actions -------------------------------------------------------------------------------------

_API_SECRET = re.compile(r"(credential|password|secret|token|keypair|private_key)")
# Reads whose name mentions a credential but whose answer holds none: Keystone returns an application
# credential's secret once, in the answer to its creation, never again.
_API_NO_SECRET = frozenset(
    {"get_application_credential", "find_application_credential", "application_credentials"}
)


def classify_api(service: str, action: str) -> Classification:
    """The class of an SDK call by its name: get_/find_/list_ read; delete_ destroys; the rest mutate."""
    name = action.lower()
    if name in _API_NO_SECRET:
        return _c(RO, f"{service}.{action}: Keystone never returns the secret after its creation")
    if _API_SECRET.search(name) and not name.startswith(("list_", "delete_")):
        return _c(SEC, f"{service}.{action} handles credentials")
    if name.startswith(("get_", "find_", "list_", "search_", "show_", "fetch_", "wait_for_")) or name in (
        "projects",
        "users",
        "servers",
        "flavors",
        "images",
        "networks",
        "ports",
        "routers",
        "subnets",
        "domains",
        "roles",
        "role_assignments",
        "services",
        "endpoints",
        "regions",
        "hypervisors",
        "aggregates",
        "volumes",
        "quotas",
        "limits",
        "availability_zones",
        "security_groups",
    ):
        return _c(RO, f"{service}.{action} reads")
    if name.startswith(("delete_", "purge_", "destroy_", "remove_")):
        return _c(DES, f"{service}.{action} deletes")
    return _c(MUT, f"{service}.{action} changes state")
