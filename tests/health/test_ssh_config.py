"""The one-pass OpenSSH client config reading (probes.ssh_config): what it resolves agrees with asyncssh's
own per-host parsing of the same file, and what it cannot resolve faithfully it hands back (None)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from cloudops.probes.ssh_config import ClientConfig, host_matches, parse
from cloudops.probes.ssh_connect import import_asyncssh

asyncssh = import_asyncssh()

CONFIG = """\
# a site's config: global defaults first, per-host blocks, a catch-all last
IdentitiesOnly yes
Host kvm-0? !kvm-09
  HostName 198.18.10.1%h
  User ops
  IdentityFile ~/.ssh/id_site
Host kvm-01
  Port 2222
  User ignored-second-value
Host bastion
  ProxyJump jump.example
Host lenient
  StrictHostKeyChecking no
Host tokens
  IdentityFile /keys/%r@%h
  UserKnownHostsFile /kh/%C
Host *
  User root
  IdentityFile ~/.ssh/id_fallback
  UserKnownHostsFile /etc/cloudops/known_hosts
  GlobalKnownHostsFile /dev/null
  ServerAliveInterval 30
"""


@pytest.fixture
def config(tmp_path: Path) -> tuple[Path, ClientConfig]:
    path = tmp_path / "ssh_config"
    path.write_text(CONFIG)
    return path, ClientConfig.load([path])


def test_host_patterns_match_as_openssh_does() -> None:
    assert host_matches("KVM-01", ["kvm-0?"])
    assert not host_matches("kvm-09", ["kvm-0?", "!kvm-09"])
    assert host_matches("a.example", ["b.example,*.example"])
    assert not host_matches("anything", ["!nothing"])  # a negation alone matches nothing


def test_first_value_wins_identity_files_accumulate_and_tokens_expand(
    config: tuple[Path, ClientConfig],
) -> None:
    _, cfg = config
    r = cfg.resolve("kvm-01")
    assert r is not None
    home = str(Path.home())
    assert (r.hostname, r.port, r.user) == ("198.18.10.1kvm-01", 2222, "ops")
    assert r.identity_files == (f"{home}/.ssh/id_site", f"{home}/.ssh/id_fallback")
    assert r.identities_only is True
    assert r.known_hosts_files == ("/etc/cloudops/known_hosts", "/dev/null")
    other = cfg.resolve("db-1")
    assert other is not None and (other.hostname, other.port, other.user) == ("db-1", None, "root")


@pytest.mark.parametrize("host", ["bastion", "lenient", "tokens"])
def test_what_changes_the_connection_and_is_not_resolved_is_handed_back(
    config: tuple[Path, ClientConfig], host: str
) -> None:
    _, cfg = config
    assert cfg.resolve(host) is None  # ProxyJump; StrictHostKeyChecking no; the %C token


def test_a_match_block_hands_every_host_back(tmp_path: Path) -> None:
    path = tmp_path / "c"
    path.write_text("Host a\n  User x\nMatch host b\n  User y\n")
    assert ClientConfig.load([path]).resolve("a") is None


def test_include_is_followed_where_the_include_line_applies(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "kvm.conf").write_text("User from-include\nPort 2200\n")
    lines, has_match = parse("Host kvm-*\n  Include conf.d/*.conf\nHost *\n  User root\n", base=tmp_path)
    assert not has_match
    cfg = ClientConfig.from_lines(lines)
    kvm, other = cfg.resolve("kvm-01"), cfg.resolve("db-1")
    assert kvm is not None and (kvm.user, kvm.port) == ("from-include", 2200)
    assert other is not None and (other.user, other.port) == ("root", None)


@pytest.mark.parametrize("host", ["kvm-01", "kvm-02", "kvm-09", "db-1"])
def test_it_agrees_with_asyncssh_reading_the_same_file(config: tuple[Path, ClientConfig], host: str) -> None:
    path, cfg = config
    ours = cfg.resolve(host)
    assert ours is not None
    theirs = asyncssh.config.SSHClientConfig.load(
        None, [str(path)], False, False, False, getpass.getuser(), (), host, ()
    )
    assert ours.hostname == theirs.get("Hostname", host)
    assert ours.port == theirs.get("Port")
    assert ours.user == theirs.get("User")
    assert list(ours.identity_files) == [str(Path(p).expanduser()) for p in theirs.get("IdentityFile", [])]
    assert ours.identities_only == bool(theirs.get("IdentitiesOnly"))
    assert list(ours.known_hosts_files) == [
        *theirs.get("UserKnownHostsFile", []),
        *theirs.get("GlobalKnownHostsFile", []),
    ]


def test_a_config_of_a_block_per_host_is_resolved_by_name_as_by_walking_every_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lab's or an inventory's config lists every host in a block of its own: each host asks the blocks
    of its own name and those with a wildcard or a negation, not all of them, and resolves the same."""
    text = ["IdentitiesOnly yes", "Host *-mgmt !db-*", "  User mgmt"]
    for n in range(1000):
        text += [
            f"Host node-{n:04d}" + (f",alias-{n}" if n % 7 == 0 else ""),
            f"  HostName 198.18.{n // 250}.{n % 250}",
        ]
        if n % 100 == 0:
            text += [f"Host node-{n:04d} db-{n}", "  Port 2200", "Host node-0*", "  User early"]
    text += [
        "Host Node-0001",
        "  Port 1111",
        "Host node-00?1",
        "  Port 3333",
        "Host node-0[0-1]*2",
        "  Port 4444",
    ]
    text += ["Host *", "  User root", "  IdentityFile ~/.ssh/id_all"]
    lines, _ = parse("\n".join(text) + "\n")
    fast = ClientConfig.from_lines(lines)
    with monkeypatch.context() as m:
        m.setattr("cloudops.probes.ssh_config._literal", lambda patterns: None)
        walked = ClientConfig.from_lines(lines)
    assert walked._named == {} and fast._named
    hosts = ["node-0000", "node-0001", "NODE-0007", "alias-7", "alias-8", "db-100", "node-0500-mgmt",
             "db-1-mgmt", "node-0999", "other", "node-0100", "node-0011", "node-0102"]  # fmt: skip
    for host in hosts:
        assert fast.resolve(host) == walked.resolve(host), host
    # its own two blocks and the 15 with a wildcard or none, of 1,026
    assert len(fast._candidates("node-0500")) == 17 and len(fast.blocks) == 1026
    assert fast.resolve("node-0011").port == 3333 and fast.resolve("node-0102").port == 4444  # type: ignore[union-attr]
    assert fast.resolve("node-0100").port == 2200 and fast.resolve("node-0100").user == "early"  # type: ignore[union-attr]


def test_home_and_user_tokens_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """%d and %u are read once a sweep, not once a host, and still follow HOME and the user name."""
    lines, _ = parse("Host *\n  IdentityFile %d/.ssh/%u-key\n")
    config = ClientConfig.from_lines(lines)
    for home, user in ((tmp_path / "a", "alice"), (tmp_path / "b", "bob"), (tmp_path / "a", "alice")):
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("LOGNAME", user)
        assert config.resolve("kvm-01").identity_files == (f"{home}/.ssh/{user}-key",)  # type: ignore[union-attr]
