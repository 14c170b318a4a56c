"""One lab being worked on: its layout, its supervisor, its secrets, and the checked helpers every
component module uses (start a process, wait for it, run a bounded command, mark a step done)."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cloudops.lab.failure import LabFailure, tail
from cloudops.lab.layout import LabLayout
from cloudops.lab.procs import http_answers, pid_alive, port_in_use, run_bounded, run_streaming, supervisor

if TYPE_CHECKING:
    from cloudops.lab.netbox import NetBoxLab
    from cloudops.lab.sshd import HostLab

ISOLATE_SCRIPT = "isolate.py"

SECRET_NAMES = ("db", "rabbit", "admin", "member", "service")


class Lab:
    """One lab: one layout (its directory and base port), one supervisor recording every process it starts
    (``<lab dir>/run``), and its parts — the core services (``lifecycle``), the namespace hosts
    (``hosts``) and NetBox (``netbox``) — all built from that layout."""

    def __init__(self, layout: LabLayout, say: Callable[[str], None] | None = None) -> None:
        self.layout = layout
        self.sup = supervisor(layout.root)  # the one of this lab directory: <root>/run
        self.say = say or (lambda _msg: None)

    @cached_property
    def hosts(self) -> HostLab:
        """The namespace hosts: their files hang from the lab's directory, their sshd in its run/."""
        from cloudops.lab.sshd import HostLab

        return HostLab(self.layout.hosts_dir)

    @cached_property
    def netbox(self) -> NetBoxLab:
        """The lab's NetBox, on the lab's ports (base + 50 …), its processes in the lab's run/."""
        from cloudops.lab.netbox import NetBoxLab

        return NetBoxLab(self.layout.root, base_port=self.layout.netbox_port_base)

    # -- secrets (generated once per lab, kept in the lab dir with mode 0600) --------------------------
    @property
    def secrets(self) -> dict[str, str]:
        path = self.layout.root / "secrets.json"
        if path.exists():
            data: dict[str, str] = json.loads(path.read_text())
            return data
        self.layout.root.mkdir(parents=True, exist_ok=True)
        data = {name: secrets.token_hex(12) for name in SECRET_NAMES}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        return data

    # -- one-time steps ------------------------------------------------------------------------------
    def done(self, step: str) -> bool:
        return (self.layout.state_dir / step).exists()

    def mark(self, step: str) -> None:
        self.layout.state_dir.mkdir(parents=True, exist_ok=True)
        (self.layout.state_dir / step).write_text(f"{time.time():.0f}\n")

    # -- isolation from the host -----------------------------------------------------------------------
    def isolated(self, argv: Sequence[str]) -> list[str]:
        """``argv`` with every program of the services venv run through the isolation launcher.

        The launcher goes right before the first argv element that lives in the services venv, so it
        also applies inside wrapper chains (a lab host's nsenter/unshare/sh prefix). Every OpenStack
        program the lab runs is in that venv; so this is where "the lab reads nothing of the host" holds
        (data/lab/isolate.py says what is hidden). Programs of Debian packages run as they are.
        """
        venv = str(self.layout.services_venv) + "/"
        for i, arg in enumerate(argv):
            if str(arg).startswith(venv):
                iso = self.layout.isolation_dir
                return [
                    *map(str, argv[:i]),
                    "/usr/bin/python3", "-I", "-S", str(self._isolate_script()),
                    str(iso / "stage"), str(iso / "home"), "--",
                    *map(str, argv[i:]),
                ]  # fmt: skip
        return [str(a) for a in argv]

    def _isolate_script(self) -> Path:
        iso = self.layout.isolation_dir
        script = iso / ISOLATE_SCRIPT
        text = (resources.files("cloudops") / "data" / "lab" / ISOLATE_SCRIPT).read_bytes()
        if not script.exists() or script.read_bytes() != text:
            (iso / "stage").mkdir(parents=True, exist_ok=True)
            tmp = script.with_suffix(".tmp")
            tmp.write_bytes(text)
            tmp.replace(script)
        return script

    # -- processes -------------------------------------------------------------------------------------
    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        component: str | None = None,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> bool:
        """Start ``name`` unless its recorded process runs. Refuses a busy port. True when started now."""
        if self.sup.alive(name):
            return False
        component = component or name
        log = self.layout.log(name)
        if port is not None and port_in_use(port):
            raise LabFailure(
                component,
                f"port 127.0.0.1:{port} is already in use by a process this lab did not record",
                log=log,
                fix=f"stop what listens there (ss -ltnp 'sport = :{port}') or choose another base port "
                "with CLOUDOPS_LAB_PORT_BASE",
            )
        self.sup.forget(name)
        self.sup.spawn(name, component, self.isolated(argv), log, env=env, cwd=cwd, port=port)
        return True

    def wait(
        self,
        name: str,
        check: Callable[[], bool],
        *,
        timeout: float,
        what: str,
        fix: str,
        interval: float = 0.25,
    ) -> None:
        """Wait for ``check`` while the process ``name`` lives; fail with its log's tail otherwise."""
        rec = self.sup.record(name)
        log = rec.log if rec else self.layout.log(name)
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return
            if rec is not None and not pid_alive(rec.pid, rec.start_ticks):
                raise LabFailure(rec.component, f"exited before {what}: {tail(log)}", log=log, fix=fix)
            if time.monotonic() >= deadline:
                raise LabFailure(
                    rec.component if rec else name, f"no {what} within {timeout:.0f} s", log=log, fix=fix
                )
            time.sleep(interval)

    def wait_http(self, name: str, url: str, *, timeout: float = 90.0) -> None:
        self.wait(
            name,
            lambda: http_answers(url),
            timeout=timeout,
            what=f"answer at {url}",
            fix="read the log; restart with `cloudops lab down && cloudops lab up`",
            interval=0.5,
        )

    def run(
        self,
        component: str,
        argv: Sequence[str],
        *,
        timeout: float = 180.0,
        fix: str = "read the log, then run `cloudops lab up` again (it resumes)",
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        log_name: str | None = None,
        log_output: bool = True,
        mask: Sequence[str] = (),
        on_line: Callable[[str], None] | None = None,
    ) -> str:
        """Run a one-shot command (db sync, bootstrap, ...), output appended to the component's log;
        ``on_line`` hears each line of its output as it comes (progress of long work)."""
        log = self.layout.log(log_name or component)
        log.parent.mkdir(parents=True, exist_ok=True)
        full_env = self.sup.member_env(env)
        if on_line is not None:
            res = run_streaming(self.isolated(argv), timeout=timeout, env=full_env, on_line=on_line)
        else:
            res = run_bounded(self.isolated(argv), timeout=timeout, env=full_env, input_text=input_text)
        shown = " ".join("***" if str(a) in mask else str(a) for a in argv)
        output = f"{res.stdout}{res.stderr}" if log_output else f"(output not logged){res.stderr}"
        with log.open("a") as fh:
            fh.write(f"\n$ {shown}\n{output}(rc={res.returncode})\n")
        if res.returncode != 0:
            short = " ".join(Path(str(argv[0])).name.split()) + (" " + str(argv[1]) if len(argv) > 1 else "")
            last = (res.stderr.strip().splitlines() or res.stdout.strip().splitlines() or [""])[-1][:200]
            raise LabFailure(component, f"`{short}` failed (rc={res.returncode}): {last}", log=log, fix=fix)
        return res.stdout
