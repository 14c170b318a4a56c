"""The sweep runner with real threads, coroutines and clocks: bounded waits, crashes become findings."""

from __future__ import annotations

import asyncio
import threading
import time

from cloudops.checks import make
from cloudops.findings import Verdict
from cloudops.health.layers import Layer
from cloudops.health.sweep import NotChecked, Probe, fan_out, run_sweep


def ok(obs: object) -> list:  # type: ignore[type-arg]
    return [make("test.ok", Verdict.PASS, Layer.DATA, "x", str(obs))]


def test_blocking_probe_is_abandoned_at_its_timeout() -> None:
    release = threading.Event()

    def hang(_: object) -> str:
        release.wait(30)
        return "late"

    start = time.monotonic()
    result = run_sweep(
        [
            Probe("hang", Layer.HOSTS, "host:h", hang, ok, timeout=0.3, host="h"),
            Probe("fast", Layer.DATA, "x", lambda _: "fine", ok),
        ]
    )
    elapsed = time.monotonic() - start
    release.set()
    assert elapsed < 1.5
    by = {f.subject: f for f in result.findings}
    assert by["hang"].verdict == Verdict.UNKNOWN
    assert by["hang"].message == "could not check: hang gave no answer within 0.3s"
    assert by["hang"].host == "h"
    assert by["x"].verdict == Verdict.PASS


def test_async_probe_timeout_and_crash_and_dependency() -> None:
    async def slow(_: object) -> str:
        await asyncio.sleep(10)
        return "never"

    def crash(_: object) -> str:
        raise RuntimeError("boom")

    def needs_token(inputs: dict) -> str:  # type: ignore[type-arg]
        if inputs["token"] != "ok":
            raise NotChecked("no Keystone token")
        return "listed"

    probes = [
        Probe("slow", Layer.HOSTS, "host:a", slow, ok, timeout=0.2),
        Probe("crash", Layer.DATA, "amqp", crash, ok),
        Probe("token", Layer.APIS, "identity", lambda _: "refused", ok),
        Probe("list", Layer.AGENTS, "compute", needs_token, ok, needs=("token",)),
        Probe("after-crash", Layer.AGENTS, "network", lambda _: "x", ok, needs=("crash",)),
    ]
    start = time.monotonic()
    result = run_sweep(probes)
    assert time.monotonic() - start < 1.5
    msgs = {f.subject: (f.verdict, f.message) for f in result.findings if f.verdict != Verdict.PASS}
    assert msgs == {
        "slow": (Verdict.UNKNOWN, "could not check: slow gave no answer within 0.2s"),
        "crash": (Verdict.UNKNOWN, "could not check: crash failed: RuntimeError: boom"),
        "list": (Verdict.UNKNOWN, "not checked: no Keystone token"),
        "after-crash": (Verdict.UNKNOWN, "not checked: needs crash, which gave no observation"),
    }


def test_concurrency_is_bounded_and_parallel() -> None:
    lock = threading.Lock()
    live = [0, 0]

    def work(_: object) -> int:
        with lock:
            live[0] += 1
            live[1] = max(live[1], live[0])
        time.sleep(0.2)
        with lock:
            live[0] -= 1
        return 1

    probes = [Probe(f"p{i}", Layer.HOSTS, f"host:{i}", work, ok) for i in range(12)]
    start = time.monotonic()
    run_sweep(probes, concurrency=4)
    elapsed = time.monotonic() - start
    assert live[1] == 4
    assert 0.55 < elapsed < 1.5  # 12 probes of 0.2 s, four at a time: three rounds


def test_a_crashing_check_is_a_finding() -> None:
    def bad(_: object) -> list:  # type: ignore[type-arg]
        raise KeyError("state")

    (f,) = run_sweep([Probe("p", Layer.DATA, "ceph", lambda _: 1, bad)]).findings
    assert (f.verdict, f.message) == (Verdict.UNKNOWN, "check crashed on p: KeyError: 'state'")


def test_libraries_load_once_before_the_clock_and_a_failing_loader_is_the_reads_to_report() -> None:
    events: list[str] = []

    def load_slow() -> None:
        events.append("load")
        time.sleep(0.3)  # an import that costs more than the probe itself

    def load_missing() -> None:
        events.append("load-missing")
        raise ModuleNotFoundError("No module named 'pymysql'")

    def read(_: object) -> str:
        events.append("read")
        return "fine"

    def read_missing(_: object) -> str:
        import importlib

        return str(importlib.import_module("cloudops_no_such_client"))

    result = run_sweep(
        [
            Probe("a", Layer.DATA, "ceph", read, ok, load=load_slow),
            Probe("b", Layer.DATA, "ceph", read, ok, load=load_slow),  # the same loader: loaded once
            Probe("db", Layer.DATA, "database", read_missing, ok, load=load_missing),
        ]
    )
    assert events[:2] == ["load", "load-missing"] and events[2:] == ["read", "read"]
    assert result.load_seconds >= 0.3
    # neither the sweep nor a probe is charged with the import
    assert result.seconds < 0.25
    assert max(r.seconds for r in result.runs) < 0.25
    by = {f.subject: f for f in result.findings}
    assert by["db"].verdict == Verdict.UNKNOWN
    assert by["db"].message == (
        "could not check: db failed: ModuleNotFoundError: No module named 'cloudops_no_such_client'"
    )


def test_a_probe_fans_out_through_the_sweep_in_order_bounded_and_under_its_own_timeout() -> None:
    """A probe's reads known only from another's observation (the catalog's version documents) run
    through the sweep: concurrently in abandonable threads, at most ``limit`` at once, in the items'
    order; the probe's timeout bounds them all; one that raises fails the probe, not the sweep."""
    release = threading.Event()

    def fetch(url: str) -> str:
        if url == "hang":
            release.wait(30)
        elif url == "broken":
            raise ConnectionError("refused")
        else:
            time.sleep(0.2 if url != "u0" else 0.3)  # the first finishes last: order is the items'
        return url.upper()

    def fanning(urls: list[str]):  # type: ignore[no-untyped-def]
        async def read(_: object) -> list[str]:
            return await fan_out(fetch, urls, limit=3)

        return read

    start = time.monotonic()
    result = run_sweep(
        [
            Probe("docs", Layer.APIS, "catalog", fanning([f"u{i}" for i in range(6)]), ok, timeout=5),
            Probe("stuck", Layer.APIS, "catalog2", fanning(["u9", "hang"]), ok, timeout=0.5),
            Probe("refused", Layer.APIS, "catalog3", fanning(["broken"]), ok, timeout=5),
        ]
    )
    elapsed = time.monotonic() - start
    release.set()
    assert result.observations["docs"] == ["U0", "U1", "U2", "U3", "U4", "U5"]
    assert elapsed < 1.5  # six of ~0.2 s three at a time (two rounds), and the stuck one cut at 0.5 s
    msgs = {f.subject: (f.verdict, f.message) for f in result.findings if f.verdict != Verdict.PASS}
    assert msgs == {
        "stuck": (Verdict.UNKNOWN, "could not check: stuck gave no answer within 0.5s"),
        "refused": (Verdict.UNKNOWN, "could not check: refused failed: ConnectionError: refused"),
    }


def test_fan_out_holds_its_limit() -> None:
    lock = threading.Lock()
    live = [0, 0]

    def work(i: int) -> int:
        with lock:
            live[0] += 1
            live[1] = max(live[1], live[0])
        time.sleep(0.1)
        with lock:
            live[0] -= 1
        return i * i

    start = time.monotonic()
    assert asyncio.run(fan_out(work, list(range(8)), limit=2)) == [i * i for i in range(8)]
    assert live[1] == 2
    assert 0.35 < time.monotonic() - start < 1.2  # eight of 0.1 s, two at a time: four rounds
