"""A real OpenSSH server in every lab host, and the client side: one key, one ssh_config, known hosts.

Each host's sshd runs inside its namespaces (network + hostname) with its own ed25519 host key, key-only
authentication (no passwords, no keyboard-interactive, no PAM) and its files under
``<labdir>/hosts/<hostname>/``. The lab writes ``<labdir>/hosts/ssh_config`` (one ``Host`` block per lab
host, strict host-key checking against ``<labdir>/hosts/known_hosts``) and the client key
``<labdir>/hosts/id_ed25519``, so ``ssh -F <labdir>/hosts/ssh_config kvm-01`` and
``asyncssh.connect("kvm-01", config=[…])`` both work without touching ``~/.ssh``.

``HostLab`` is the hosts' part of the one ``Lab`` (``lab.hosts``): ``up(n)``, ``down()``, ``status()``, ``env()``;
the sshd it starts are recorded in the lab's one ``run/``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cloudops.errors import Unavailable
from cloudops.lab import netns, procs
from cloudops.lab.netns import HostPlan, HostSpec, PlaneSpec, PlannedHost

SSHD = "/usr/sbin/sshd"
SSH_PORT = 22
READY_TIMEOUT = 20.0


def client_key(labdir: Path) -> Path:
    return netns.hosts_dir(labdir) / "id_ed25519"


def ssh_config_path(labdir: Path) -> Path:
    return netns.hosts_dir(labdir) / "ssh_config"


def known_hosts_path(labdir: Path) -> Path:
    return netns.hosts_dir(labdir) / "known_hosts"


def authorized_keys_path(labdir: Path) -> Path:
    return netns.hosts_dir(labdir) / "authorized_keys"


def host_key(labdir: Path, hostname: str) -> Path:
    return netns.host_dir(labdir, hostname) / "ssh_host_ed25519_key"


def sshd_pidfile(labdir: Path, hostname: str) -> Path:
    return netns.host_dir(labdir, hostname) / "sshd.pid"


def sshd_config_path(labdir: Path, hostname: str) -> Path:
    return netns.host_dir(labdir, hostname) / "sshd_config"


def sshd_log(labdir: Path, hostname: str) -> Path:
    return netns.host_dir(labdir, hostname) / "sshd.log"


def sshd_unavailable() -> str | None:
    """Why sshd hosts cannot run here (one line), or None."""
    for tool, package in ((SSHD, "openssh-server"), ("ssh-keygen", "openssh-client")):
        if shutil.which(tool) is None:
            return f"lab hosts need {tool} (Debian {package}): apt-get install {package}"
    return None


def _keygen(path: Path, comment: str) -> None:
    if path.exists() and path.with_suffix(".pub").exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_suffix(".pub")):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    proc = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0:
        raise Unavailable(f"ssh-keygen for {path} failed: {' '.join(proc.stderr.split())[:200]}")


def ensure_client_key(labdir: Path) -> Path:
    """The lab's client key pair (created once) and the authorized_keys every host trusts."""
    key = client_key(labdir)
    _keygen(key, "cloudops-lab-client")
    authorized_keys_path(labdir).write_text(key.with_suffix(".pub").read_text())
    return key


def render_sshd_config(labdir: Path, hostname: str) -> str:
    """The sshd configuration of one host: key-only, its own host key, pid file and no PAM."""
    return "\n".join(
        [
            f"# cloudops lab host {hostname}: generated, do not edit",
            f"Port {SSH_PORT}",
            "ListenAddress 0.0.0.0",
            f"HostKey {host_key(labdir, hostname)}",
            f"PidFile {sshd_pidfile(labdir, hostname)}",
            f"AuthorizedKeysFile {authorized_keys_path(labdir)}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitEmptyPasswords no",
            "AuthenticationMethods publickey",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            # the lab dir may sit below a world-writable /tmp; the keys themselves are 0600
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "MaxStartups 64:30:200",
            "LoginGraceTime 20",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def render_ssh_config(labdir: Path, plan: HostPlan) -> str:
    key = client_key(labdir)
    known = known_hosts_path(labdir)
    blocks = [f"# cloudops lab hosts ({labdir}): generated, do not edit"]
    for h in plan.hosts:
        blocks.append(
            "\n".join(
                [
                    f"Host {h.hostname}",
                    f"  HostName {h.address}",
                    f"  Port {SSH_PORT}",
                    "  User root",
                    f"  IdentityFile {key}",
                    "  IdentitiesOnly yes",
                    f"  UserKnownHostsFile {known}",
                    "  GlobalKnownHostsFile /dev/null",
                    "  StrictHostKeyChecking yes",
                    "  PasswordAuthentication no",
                    "  BatchMode yes",
                    "  ConnectTimeout 5",
                    "  LogLevel ERROR",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


def render_known_hosts(labdir: Path, plan: HostPlan) -> str:
    lines = []
    for h in plan.hosts:
        pub = host_key(labdir, h.hostname).with_suffix(".pub")
        if not pub.exists():
            continue
        kind, blob = pub.read_text().split()[:2]
        lines.append(f"{h.hostname},{h.address} {kind} {blob}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_client_files(labdir: Path, plan: HostPlan) -> None:
    ssh_config_path(labdir).write_text(render_ssh_config(labdir, plan))
    known_hosts_path(labdir).write_text(render_known_hosts(labdir, plan))


def _record_name(hostname: str) -> str:
    return f"sshd-{hostname}"


def sshd_pid(labdir: Path, hostname: str) -> int | None:
    """The PID of the host's running sshd (its supervisor record; else its pid file), or None."""
    rec = procs.supervisor(labdir).record(_record_name(hostname))
    if rec is not None:
        return rec.pid if procs.pid_alive(rec.pid, rec.start_ticks) else None
    path = sshd_pidfile(labdir, hostname)
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not procs.pid_alive(pid):
        return None
    try:
        exe = Path(f"/proc/{pid}/exe").resolve().name
    except OSError:
        return None
    return pid if exe == "sshd" else None


def _launch_sshd(labdir: Path, host: PlannedHost) -> subprocess.Popen[bytes]:
    """Start one host's sshd (it daemonises and writes its pid file); returns the launching process."""
    cfg = sshd_config_path(labdir, host.hostname)
    cfg.write_text(render_sshd_config(labdir, host.hostname))
    # a dead one's record goes; the new one is adopted once it answers
    procs.supervisor(labdir).forget(_record_name(host.hostname))
    with contextlib.suppress(FileNotFoundError):
        sshd_pidfile(labdir, host.hostname).unlink()
    log = sshd_log(labdir, host.hostname)
    return subprocess.Popen(
        [*netns.nsenter_argv(labdir, host.hostname, host.netns), SSHD, "-f", str(cfg), "-E", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def start_sshd(labdir: Path, hosts: Sequence[PlannedHost], timeout: float = READY_TIMEOUT) -> dict[str, int]:
    """Start sshd in every given host that has none running; wait until each answers with its banner."""
    reason = sshd_unavailable()
    if reason:
        raise Unavailable(reason)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    ensure_client_key(labdir)
    launches = {}
    for h in hosts:
        _keygen(host_key(labdir, h.hostname), f"root@{h.hostname}")
        if sshd_pid(labdir, h.hostname) is None:
            launches[h.hostname] = (h, _launch_sshd(labdir, h))
    for name, (_, proc) in launches.items():
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise Unavailable(
                f"sshd of lab host {name} did not start; read {sshd_log(labdir, name)}"
            ) from None
        if proc.returncode != 0:
            words = " ".join(err.decode(errors="replace").split())[:200]
            raise Unavailable(f"sshd of lab host {name} failed: {words}; read {sshd_log(labdir, name)}")
    pids = {}
    sup = procs.supervisor(labdir)
    for h in hosts:
        # Each host's own bound, from when it is asked: a thousand sshd answer one after another, and
        # the last would otherwise share one bound with the first.
        deadline = time.monotonic() + timeout
        while True:
            pid = sshd_pid(labdir, h.hostname)
            if pid is not None and ssh_banner(str(h.address), timeout=1.0):
                pids[h.hostname] = pid
                if h.hostname in launches:  # it daemonised: the supervisor adopts it by its pid file
                    sup.adopt(_record_name(h.hostname), "sshd", pid, sshd_log(labdir, h.hostname))
                break
            if time.monotonic() > deadline:
                raise Unavailable(
                    f"sshd of lab host {h.hostname} does not answer on {h.address}:{SSH_PORT}; "
                    f"read {sshd_log(labdir, h.hostname)}"
                )
            time.sleep(0.02)
    return pids


def stop_sshd(labdir: Path, hostname: str) -> int | None:
    """Stop the host's sshd (listener) by its recorded PID; returns that PID or None if none ran."""
    pid = sshd_pid(labdir, hostname)
    if pid is not None:
        procs.terminate([pid], timeout=3)
    procs.supervisor(labdir).forget(_record_name(hostname))
    return pid


def ssh_banner(address: str, port: int = SSH_PORT, timeout: float = 2.0) -> bool:
    """True when an SSH server answers at address:port with its ``SSH-2.0`` banner within ``timeout``."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


# -------------------------------------------------------------------------------------------- HostLab


@dataclass(frozen=True, slots=True)
class HostStatus:
    hostname: str
    netns: str
    address: str
    sshd_pid: int | None
    state: str  # "up" (sshd answers), "no-ssh" (namespace up, sshd down), "down" (namespace gone)


class HostLab:
    """The lab's namespace hosts, as one object: ``up``, ``down``, ``status``, ``env``."""

    def __init__(self, labdir: Path | None = None, planes: Sequence[PlaneSpec] | None = None) -> None:
        """``planes``: where the hosts go; by default the lab's /24s, or blocks sized for more hosts than
        they hold (``netns.planes_for``)."""
        self.labdir = netns.lab_dir(labdir)
        self.given_planes = tuple(planes) if planes is not None else None
        self.notes: list[str] = []  # what the last ``up`` did beside its hosts (planes reclaimed)

    def planes(self, n: int) -> tuple[PlaneSpec, ...]:
        return self.given_planes if self.given_planes is not None else netns.planes_for(n)

    def plan(self, n: int = 4, specs: Sequence[HostSpec] | None = None) -> HostPlan:
        planes = self.planes(len(specs) if specs is not None else n)
        hosts = list(specs) if specs is not None else netns.default_host_specs(n, planes)
        return netns.plan_hosts(self.labdir, hosts, planes)

    def up(
        self,
        n: int = 4,
        specs: Sequence[HostSpec] | None = None,
        *,
        sshd: bool = True,
        site_services: bool = True,
    ) -> HostPlan:
        """Create the hosts (idempotent: an existing host is left as it is), start their sshd, and serve
        the site's DNS and NTP on the first plane's bridge (``siteservices``)."""
        from cloudops.lab import siteservices

        plan = self.plan(n, specs)
        self.labdir.mkdir(parents=True, exist_ok=True)
        existed = netns.load_plan(self.labdir) is not None
        try:
            self.notes = netns.create_hosts(self.labdir, plan)
            if sshd:
                ensure_client_key(self.labdir)
                start_sshd(self.labdir, plan.hosts)
                write_client_files(self.labdir, plan)
            if site_services:
                address = plan.planes[0].gateway.ip
                self.notes += siteservices.up(self.labdir, address, netns.etc_hosts_file(self.labdir))
        except BaseException:
            if not existed:  # what this up created goes again; hosts of an earlier up stay
                siteservices.down(self.labdir)
                netns.destroy_hosts(self.labdir)
            raise
        return plan

    def down(self) -> list[str]:
        """Stop every process in the hosts (by PID), delete namespaces, bridges, veths, hostname mounts.
        The faults recorded against them are the caller's to forget (``companions.hosts_gone``)."""
        from cloudops.lab import siteservices

        siteservices.down(self.labdir)  # before their bridge address goes
        plan = netns.load_plan(self.labdir)
        removed = netns.destroy_hosts(self.labdir)  # every process in the namespaces, sshd included
        for host in plan.hosts if plan is not None else ():
            procs.supervisor(self.labdir).forget(_record_name(host.hostname))
        for path in (ssh_config_path(self.labdir), known_hosts_path(self.labdir)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return removed

    def status(self) -> list[HostStatus]:
        plan = netns.load_plan(self.labdir)
        if plan is None:
            return []
        out = []
        for h in plan.hosts:
            exists = (netns.NETNS_DIR / h.netns).exists()
            pid = sshd_pid(self.labdir, h.hostname) if exists else None
            if not exists:
                state = "down"
            elif pid is not None and ssh_banner(str(h.address), timeout=1.0):
                state = "up"
            else:
                state = "no-ssh"
            out.append(HostStatus(h.hostname, h.netns, str(h.address), pid, state))
        return out

    def env(self) -> dict[str, str]:
        """What ``cloudops lab env`` exports for the hosts."""
        return {
            "CLOUDOPS_LAB_SSH_CONFIG": str(ssh_config_path(self.labdir)),
            "CLOUDOPS_LAB_SSH_KEY": str(client_key(self.labdir)),
        }
