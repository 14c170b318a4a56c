"""`assert --watch` on real namespace hosts: one SSH connection per host kept through many sweeps, a host
that stops answering seen at once and reconnected when it answers again, and a kept connection renewed
when its time is up (so an sshd that stopped taking logins is found within that bound)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cloudops.health import assemble
from cloudops.health.targets import Targets
from cloudops.health.watch import Kept
from cloudops.lab.sshd import HostLab, ssh_config_path


def _inputs(hostlab: HostLab, names: list[str], timeout: float = 3.0) -> assemble.Inputs:
    targets = Targets(
        ssh_config=ssh_config_path(hostlab.labdir), ssh=True, hosts=tuple(names), timeout=timeout
    )
    return assemble.Inputs(targets=targets, hosts=tuple(assemble.HostTarget(n) for n in names))


def _reachable(rep: object) -> dict[str, str]:
    return {f.host or "": f.verdict.name for f in rep.findings if f.check == "hosts.reachable"}  # type: ignore[attr-defined]


def _sessions(netns: str) -> int:
    """Established SSH connections inside one host (its sshd's side of each kept connection)."""
    out = subprocess.run(["ip", "netns", "exec", netns, "ss", "-Htn", "state", "established", "( sport = :22 )"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return len(out.stdout.splitlines())


def test_a_watch_keeps_one_connection_per_host_and_reconnects_one_that_failed(hostlab: HostLab) -> None:
    plan = hostlab.up(3, site_services=False)
    names = [h.hostname for h in plan.hosts]
    inp = _inputs(hostlab, names)
    with Kept() as kept:
        for _ in range(3):
            rep, _ = assemble.run(inp, kept=kept)
            assert _reachable(rep) == dict.fromkeys(names, "PASS")
        assert kept.opened == 3  # one connection per host, through three sweeps
        assert [_sessions(h.netns) for h in plan.hosts] == [1, 1, 1]
        cut = plan.hosts[1]
        link = cut.links[0].ns_if
        subprocess.run(["ip", "-n", cut.netns, "link", "set", link, "down"], check=True)
        try:
            rep, _ = assemble.run(inp, kept=kept)
            assert _reachable(rep) == {names[0]: "PASS", names[1]: "FAIL", names[2]: "PASS"}
        finally:
            subprocess.run(["ip", "-n", cut.netns, "link", "set", link, "up"], check=True)
        rep, _ = assemble.run(inp, kept=kept)
        assert _reachable(rep) == dict.fromkeys(names, "PASS")
        assert kept.opened == 4  # the failed one was dropped and made afresh; the others kept
    # The watch closed what it kept. The cut host's side of the connection dropped while its link was
    # down may not have heard the reset (TCP does not retry one): it lingers there until the host's own
    # TCP retries and is answered, or gives up, as after any network cut.
    left = [_sessions(h.netns) for h in plan.hosts]
    assert left[0] == left[2] == 0 and left[1] <= 1


def test_a_kept_connection_is_renewed_when_its_time_is_up(hostlab: HostLab) -> None:
    plan = hostlab.up(2, site_services=False)
    names = [h.hostname for h in plan.hosts]
    with Kept(keep_for=0.0) as kept:
        for sweep in (1, 2, 3):
            rep, _ = assemble.run(_inputs(hostlab, names), kept=kept)
            assert _reachable(rep) == dict.fromkeys(names, "PASS")
            assert kept.opened == 2 * sweep
            assert [_sessions(h.netns) for h in plan.hosts] == [1, 1]  # the old one closed, not leaked


def test_the_cli_watch_prints_one_json_line_per_sweep(hostlab: HostLab, tmp_path: Path) -> None:
    plan = hostlab.up(2, site_services=False)
    names = ",".join(h.hostname for h in plan.hosts)
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"ssh_config: {ssh_config_path(hostlab.labdir)}\ntimeout: 5\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CLOUDOPS_TARGETS"))}
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(targets), "--hosts", names,
         "--watch", "1", "--count", "3", "-f", "json", "--html", str(tmp_path / "r.html"),
         "--prometheus", str(tmp_path / "r.prom")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stderr
    reports = [json.loads(line) for line in lines]
    assert [r["schema"] for r in reports] == ["cloudops-assert/1"] * 3
    for r in reports:  # the load average is the machine's, shared by its hosts: reachability is the point
        reach = {f["host"]: f["verdict"] for f in r["findings"] if f["check"] == "hosts.reachable"}
        assert reach == dict.fromkeys(names.split(","), "PASS")
    assert out.returncode == reports[-1]["exit_code"]  # the last sweep's
    # the files are rewritten every sweep (whole), and named once on stderr, not every sweep
    assert out.stderr.count("HTML report:") == out.stderr.count("prometheus textfile:") == 1
    assert "cloudops_assert" in (tmp_path / "r.prom").read_text()
    assert (tmp_path / "r.html").read_text().rstrip().endswith("</html>")
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no half-written file left


def _shells(netns: str) -> list[int]:
    """PIDs of the shells a watch keeps inside one host (``KeptShell``: the login shell with ``-s``)."""
    out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=True).stdout
    found = []
    for pid in (int(p) for p in out.split()):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1:2] == [b"-s"] and argv[0].endswith(b"sh"):
            found.append(pid)
    return found


def test_a_watch_keeps_one_shell_per_host_answering_as_a_session_of_its_own_would(hostlab: HostLab) -> None:
    import asyncio
    import signal
    import time

    from cloudops.probes import ssh

    plan = hostlab.up(2, site_services=False)
    names = [h.hostname for h in plan.hosts]
    config = ssh_config_path(hostlab.labdir)
    alone = {n: asyncio.run(ssh.probe(n, config=config, timeout=5)) for n in names}
    inp = _inputs(hostlab, names)
    with Kept() as kept:
        first, _ = assemble.run(inp, kept=kept)
        assert _reachable(first) == dict.fromkeys(names, "PASS")
        pids = [_shells(h.netns) for h in plan.hosts]
        assert [len(p) for p in pids] == [1, 1]
        for _ in range(2):
            rep, obs = assemble.run(inp, kept=kept)
            assert _reachable(rep) == dict.fromkeys(names, "PASS")
        assert [_shells(h.netns) for h in plan.hosts] == pids  # the same shell answered every sweep
        for n in names:  # what the kept shell says is what a session of its own says (the stable facts)
            kept_facts = obs[f"host:{n}"]
            stable = ("hostname", "kernel", "os", "cpus", "addresses", "links", "disks", "mem_total_kib",
                      "root_total", "ntp_synchronised")  # fmt: skip
            for field in stable:
                assert getattr(kept_facts, field) == getattr(alone[n], field), (n, field)

        # A shell that stops answering: the sweep gives up on that host at its timeout, and the shell is
        # never asked again (it may still be writing): the next sweep answers from a new one.
        stopped = pids[1][0]
        os.kill(stopped, signal.SIGSTOP)
        try:
            start = time.monotonic()
            rep, _ = assemble.run(inp, kept=kept)
            assert _reachable(rep) == {names[0]: "PASS", names[1]: "FAIL"}
            assert time.monotonic() - start < 10
        finally:
            os.kill(stopped, signal.SIGCONT)
        rep, _ = assemble.run(inp, kept=kept)
        assert _reachable(rep) == dict.fromkeys(names, "PASS")
        deadline = time.monotonic() + 5
        while stopped in _shells(plan.hosts[1].netns) and time.monotonic() < deadline:
            time.sleep(0.05)  # its channel was closed: once running again it reads the end of its input
        now = [_shells(h.netns) for h in plan.hosts]
        assert now[0] == pids[0] and len(now[1]) == 1 and now[1] != pids[1]

        # A shell that ended (killed on the host): the next sweep still answers, from a new shell.
        os.kill(now[0][0], signal.SIGKILL)
        rep, _ = assemble.run(inp, kept=kept)
        assert _reachable(rep) == dict.fromkeys(names, "PASS")
        again = _shells(plan.hosts[0].netns)
        assert len(again) == 1 and again != now[0]
    deadline = time.monotonic() + 5  # the watch's end closed them: each shell reads the end of its input
    while [_shells(h.netns) for h in plan.hosts] != [[], []] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [_shells(h.netns) for h in plan.hosts] == [[], []]


def test_a_program_of_the_kept_shells_script_that_reads_its_input_reads_nothing(hostlab: HostLab) -> None:
    """The kept shell reads its commands from the channel: a program of the script reading its standard
    input must not swallow them (it would take the marker's printf and wait for more, and the sweep time out)."""
    import asyncio

    from cloudops.probes.ssh_connect import Connector

    plan = hostlab.up(1, site_services=False)
    name = plan.hosts[0].hostname

    async def twice() -> list[str]:
        connector = Connector(ssh_config_path(hostlab.labdir), keep=True)
        try:
            conn, _ = await connector.connect(name, timeout=5)
            async with asyncio.timeout(10):
                return [await connector.run(name, conn, "echo before; cat; echo after") for _ in range(2)]
        finally:
            await connector.close()

    assert [answer.split() for answer in asyncio.run(twice())] == [["before", "after"]] * 2
