"""The HTML report rendered by Debian's headless Chromium: assert on the DOM it built."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import skip_or_fail

from .conftest import CEPH, JUJU_STATUS, RECORDED

CHROMIUM = shutil.which("chromium")


class Dom(HTMLParser):
    """Elements with their attributes, in document order, and each element's text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str]] = []
        self.stack: list[dict[str, str]] = []
        self.text: dict[int, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = {"tag": tag, **{k: v or "" for k, v in attrs}, "_i": str(len(self.elements))}
        self.elements.append(el)
        if tag not in ("meta", "br", "img", "link", "input"):
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            i = int(el["_i"])
            self.text[i] = self.text.get(i, "") + data

    def find(self, **want: str) -> list[dict[str, str]]:
        def match(el: dict[str, str]) -> bool:
            for k, v in want.items():
                if k == "cls":
                    if v not in el.get("class", "").split():
                        return False
                elif el.get(k) != v:
                    return False
            return True

        return [el for el in self.elements if match(el)]

    def text_of(self, el: dict[str, str]) -> str:
        return " ".join(self.text.get(int(el["_i"]), "").split())


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with nothing of its own on the network, a throwaway profile."""
    assert CHROMIUM
    out = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp / 'chromium-profile'}", *args,
        ],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def dump_dom(page: Path, tmp: Path, *args: str) -> Dom:
    dom = Dom()
    dom.feed(chromium(tmp, *args, "--dump-dom", page.as_uri()).stdout)
    return dom


def report(tmp_path: Path, *recordings: Path) -> Path:
    page = tmp_path / "report.html"
    sources = [str(JUJU_STATUS), str(CEPH / "status_osd-down-noout.json"), *map(str, recordings)]
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", *(a for s in sources for a in ("--from", s)),
         "--html", str(page)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "CLOUDOPS_TARGETS"},  # recorded inputs only
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    return page


def test_report_dom(tmp_path: Path) -> None:
    if CHROMIUM is None:
        skip_or_fail("needs Debian's chromium (scripts/debian-packages.txt)")
    page = report(tmp_path)
    source = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", source), "no external assets"
    dom = dump_dom(page, tmp_path)

    # the layers as a stack, top layer first, hosts at the bottom
    layers = [el["data-layer"] for el in dom.find(tag="li", cls="layer")]
    assert layers == ["smoke", "magnum", "agents", "apis", "data", "deployment", "hosts"]
    (data,) = dom.find(tag="li", id="layer-data")
    assert data["data-verdict"] == "FAIL" and "cause-layer" in data["class"].split()

    # the probable cause, highlighted, with its consequences folded under it
    (where,) = dom.find(id="cause-where")
    assert (where["data-layer"], where["data-component"]) == ("data", "ceph")
    assert dom.text_of(dom.find(id="cause-message")[0]) == "0 of 1 OSDs up: no placement group can serve I/O"
    (folded,) = dom.find(tag="details", id="consequences")
    assert "open" not in folded
    assert dom.text_of(folded).startswith("7 consequence(s) folded under it")
    (highlighted,) = dom.find(tag="li", cls="probable-cause")
    assert highlighted["data-check"] == "data.ceph-osds-up"

    # every finding has its evidence one click away
    findings = dom.find(tag="li", cls="finding")
    evidence = dom.find(tag="details", cls="evidence")
    assert len(findings) == len(evidence) == 12 + 7 + 32  # the stack (12 data, 32 deployment) + the folded 7
    # the inline script ran in the browser and counted the stack's findings
    (counts,) = dom.find(id="counts")
    assert counts.get("data-ready") == "yes"
    assert dom.text_of(counts) == "1 FAIL, 14 WARN, 36 PASS"  # 7 WARN in the stack and the same 7 folded

    # a phone's browser lays it out at its own width
    (viewport,) = dom.find(tag="meta", name="viewport")
    assert viewport["content"] == "width=device-width, initial-scale=1"
    # a finding's message does not repeat the subject shown just before it ("glance/0: glance/0 active")
    subjects = [dom.text_of(el) for el in dom.find(tag="span", cls="subject")]
    messages = [dom.text_of(el) for el in dom.find(tag="span", cls="message")]
    shown = dict(zip(subjects, messages, strict=True))
    assert shown["glance/0"] == "active: Unit is ready"
    assert shown["machine 10"] == "started (Running)"
    assert shown["PG_AVAILABILITY"] == "HEALTH_WARN: Reduced data availability: 65 pgs stale"
    assert not [s for s, m in zip(subjects, messages, strict=True) if m.startswith((f"{s} ", f"{s}:"))]


# The report in a 420 px frame (a phone on call), every <details> opened, its width read from inside: the
# headless window itself is never narrower than 500 px, a frame is as wide as it is told.
FRAME = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:420px;height:900px;border:0"></iframe>
<script>
window.addEventListener('load', function () {{
  var doc = document.getElementById('page').contentDocument;
  doc.querySelectorAll('details').forEach(function (d) {{ d.open = true; }});
  var root = doc.documentElement;
  document.body.setAttribute('data-scroll-width', String(root.scrollWidth));
  document.body.setAttribute('data-client-width', String(root.clientWidth));
}});
</script></body></html>
"""


def png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the pixels hold (1: a blank page)."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_report_reads_at_420_px(tmp_path: Path) -> None:
    if CHROMIUM is None:
        skip_or_fail("needs Debian's chromium (scripts/debian-packages.txt)")
    # the RabbitMQ partition adds the longest unbroken names (partition:rabbit@juju-4d3a31-0-lxd-5)
    page = report(
        tmp_path, RECORDED / "rabbitmq" / "charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"
    )
    frame = tmp_path / "frame.html"
    frame.write_text(FRAME.format(src=page.name))
    dom = dump_dom(frame, tmp_path, "--allow-file-access-from-files", "--window-size=420,900")
    (body,) = dom.find(tag="body")
    client, scroll = int(body["data-client-width"]), int(body["data-scroll-width"])
    assert 390 <= client <= 420  # the frame's width, less a scroll bar
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px screen: it scrolls sideways"

    shot = tmp_path / "report-420.png"
    chromium(tmp_path, "--window-size=420,900", f"--screenshot={shot}", page.as_uri())
    width, height, colours = png_size_and_colours(shot.read_bytes())
    assert (width, height) == (420, 900)
    assert colours > 2  # the page drew something: badges, text, borders
