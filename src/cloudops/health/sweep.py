"""The sweep runner: the one place where concurrency lives.

Probes are written plainly (a blocking read, or a coroutine); the runner runs them concurrently, bounded
by a semaphore, each under its own timeout, and never waits for a probe longer than that bound: a blocking
read runs in a daemon thread that is abandoned when its time is up. A probe may need others' observations
(every OpenStack call needs the Keystone session): it starts when they are in. A crashing probe or check
becomes an UNKNOWN finding and the sweep goes on (hotsos's habit).

The client libraries the probes use are loaded before the clock starts (``Probe.load``): importing
keystoneauth1 or asyncssh costs more CPU than a local API call, and inside a probe it would be reported as
the service's latency and serialise, under the GIL, with every other probe's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes import NotChecked

__all__ = ["NotChecked", "Probe", "ProbeRun", "SweepResult", "fan_out", "run_sweep"]

T = TypeVar("T")
R = TypeVar("R")


Read = Callable[[Mapping[str, Any]], Any]
Check = Callable[[Any], list[Finding]]


@dataclass(frozen=True)
class Probe:
    """One read and the check over its observation.

    ``read`` gets the observations of ``needs`` by name; it may be a plain function (run in a thread) or
    return an awaitable. ``check`` is pure.
    """

    name: str
    layer: Layer
    component: str
    read: Read
    check: Check
    timeout: float = 10.0
    needs: tuple[str, ...] = ()
    host: str | None = None
    check_id: str | None = None  # the id of its UNKNOWN finding when it cannot run (default layer.name)
    # Imports the libraries ``read`` uses (no network); run once per sweep before the clock starts. A
    # loader that fails is not reported itself: the read meets the same error and becomes the finding.
    load: Callable[[], object] | None = None
    # What silence means. For a service whose answering IS the check (an API, a host, a database) no
    # answer within the bound is a FAIL; for a read that only feeds a judgement it is UNKNOWN.
    timeout_verdict: Verdict = Verdict.UNKNOWN


@dataclass(frozen=True)
class ProbeRun:
    name: str
    layer: str
    seconds: float
    outcome: str  # ok | timeout | error | not-checked


@dataclass(repr=False)
class SweepResult:
    """What a sweep found. Its repr is short: asyncio formats a finished main task's result into an error
    message it then throws away (``signal.signal`` handing back its SIGINT handler), which for a thousand
    hosts' observations cost more than checking them."""

    findings: list[Finding] = field(default_factory=list)
    runs: list[ProbeRun] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0  # loading the probes' client libraries, before the sweep's clock

    def __repr__(self) -> str:
        return (
            f"SweepResult(findings={len(self.findings)}, runs={len(self.runs)}, "
            f"observations={len(self.observations)}, seconds={self.seconds:.3f})"
        )


Progress = Callable[[ProbeRun], None]


def run_sweep(
    probes: Sequence[Probe],
    *,
    concurrency: int = 32,
    progress: Progress | None = None,
    runner: asyncio.Runner | None = None,
) -> SweepResult:
    """Run every probe and check; return all findings (never raises for a probe's sake).

    ``runner``: the event loop to run on, kept by a caller that sweeps again (``health.watch``) so that
    what the probes keep open between sweeps (SSH connections) stays usable; else a loop of its own."""
    load_seconds = load_libraries(probes)
    sweep = _sweep(probes, concurrency, progress)
    result = runner.run(sweep) if runner is not None else asyncio.run(sweep)
    result.load_seconds = load_seconds
    return result


def load_libraries(probes: Sequence[Probe]) -> float:
    """Run each distinct loader once, in order; return the seconds it took."""
    start = time.monotonic()
    for load in dict.fromkeys(p.load for p in probes if p.load is not None):
        with contextlib.suppress(Exception):  # the probe's read reports it
            load()
    return time.monotonic() - start


async def _sweep(probes: Sequence[Probe], concurrency: int, progress: Progress | None) -> SweepResult:
    names = [p.name for p in probes]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate probe names in {names}")
    known = set(names)
    components = {p.name: p.component for p in probes}
    result = SweepResult()
    done: dict[str, asyncio.Event] = {p.name: asyncio.Event() for p in probes}
    sem = asyncio.Semaphore(max(1, concurrency))
    start = time.monotonic()

    async def one(p: Probe) -> None:
        try:
            for need in p.needs:
                if need in known:
                    await done[need].wait()
            t0 = time.monotonic()
            outcome, findings = await _run_probe(p, result.observations, sem, components)
            run = ProbeRun(p.name, p.layer.key, time.monotonic() - t0, outcome)
            result.runs.append(run)
            result.findings.extend(findings)
            if progress:
                progress(run)
        finally:
            done[p.name].set()

    await asyncio.gather(*(one(p) for p in probes))
    result.seconds = time.monotonic() - start
    return result


async def _run_probe(
    p: Probe, observations: dict[str, Any], sem: asyncio.Semaphore, components: Mapping[str, str]
) -> tuple[str, list[Finding]]:
    needed = sorted({components[n] for n in p.needs if n in components})
    missing = [n for n in p.needs if n not in observations]
    if missing:
        why = f"not checked: needs {', '.join(missing)}, which gave no observation"
        return "not-checked", [_unknown(p, why, needed)]
    inputs = {n: observations[n] for n in p.needs}
    async with sem:
        try:
            async with asyncio.timeout(p.timeout):  # no task of its own, as wait_for would make
                obs = await _call(p.read, inputs)
        except TimeoutError:
            if p.timeout_verdict == Verdict.FAIL:
                msg = f"no answer within {p.timeout:g}s"
                return "timeout", [_unknown(p, msg, verdict=Verdict.FAIL)]
            return "timeout", [_unknown(p, f"could not check: {p.name} gave no answer within {p.timeout:g}s")]
        except NotChecked as exc:
            return "not-checked", [_unknown(p, f"not checked: {exc}", needed)]
        except Exception as exc:  # a crashing probe becomes a finding; the sweep goes on
            return "error", [_unknown(p, f"could not check: {p.name} failed: {type(exc).__name__}: {exc}")]
    observations[p.name] = obs
    try:
        return "ok", list(p.check(obs))
    except Exception as exc:  # a crashing check, likewise
        return "error", [_unknown(p, f"check crashed on {p.name}: {type(exc).__name__}: {exc}")]


def _unknown(
    p: Probe, message: str, needed: list[str] | None = None, verdict: Verdict = Verdict.UNKNOWN
) -> Finding:
    evidence: dict[str, Any] = {"probe": p.name, "timeout": p.timeout}
    if needed:
        evidence["needs"] = needed  # the components it could not be checked without (localisation)
    return make(
        p.check_id or f"{p.layer.key}.{p.name.split(':')[0]}",
        verdict,
        p.layer,
        p.component,
        message,
        subject=p.name,
        host=p.host,
        evidence=evidence,
    )


def _call(read: Read, inputs: Mapping[str, Any]) -> Awaitable[Any]:
    """A coroutine function runs on the loop; a plain one in a daemon thread the sweep can abandon."""
    if asyncio.iscoroutinefunction(read):
        coro: Awaitable[Any] = read(inputs)
        return coro
    fut: Future[Any] = Future()

    def target() -> None:
        # An abandoned probe (timed out, its future cancelled) finishes into the void.
        try:
            value = read(inputs)
        except BaseException as exc:
            with contextlib.suppress(InvalidStateError):
                fut.set_exception(exc)
            return
        with contextlib.suppress(InvalidStateError):
            fut.set_result(value)

    threading.Thread(target=target, name="cloudops-probe", daemon=True).start()
    return asyncio.wrap_future(fut)


async def fan_out(call: Callable[[T], R], items: Sequence[T], *, limit: int = 16) -> list[R]:
    """Inside a probe's read (a coroutine function): ``call`` on every item at once, each in a thread the
    sweep can abandon as it abandons a blocking read, at most ``limit`` at a time; the results in the
    items' order. For a probe whose reads are known only from another's observation (the catalog's
    version documents): the probe's own timeout bounds them all, and a call that raises fails the probe."""
    sem = asyncio.Semaphore(max(1, limit))

    async def one(item: T) -> R:
        async with sem:
            value: R = await _call(lambda _inputs: call(item), {})
            return value

    return list(await asyncio.gather(*(one(item) for item in items)))
