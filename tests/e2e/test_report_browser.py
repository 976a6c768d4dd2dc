"""The ``--report`` page in a real headless browser (Debian ``chromium``): it draws the charts.

A short replay writes the report; chromium loads it from the file system with every
network feature off and takes a screenshot, which must exist, have the window's size
and show the charts: many distinct colours, a good share of non-white pixels, and
the colours of the total-capacity and serving lines and of the executed markers.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from autoscaler.simulation.html import COLOURS, render_report
from autoscaler.simulation.recommended import recommended_policy
from autoscaler.simulation.replay import ReplaySettings, replay
from autoscaler.simulation.report import baselines, summary
from autoscaler.simulation.workload import Trace, load_trace

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
TRACE = Path(__file__).resolve().parents[2].parent / "shared" / "traces" / "nab_elb_request_count_8c0756.csv"


def _png_pixels(path: Path) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB(A) PNG (what chromium writes) to an (h, w, 3) array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        row = _unfilter(kind, line, previous, channels)
        out[y], previous = row, row
    pixels: np.ndarray = out.reshape(height, width, channels)[:, :, :3]
    return pixels


def _unfilter(kind: int, line: np.ndarray, up: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 2:
        summed: np.ndarray = (line + up) & 0xFF
        return summed
    row = line.copy()
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        upper_left = up[i - bpp] if i >= bpp else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up[i]) // 2) & 0xFF
        else:  # Paeth
            p = left + up[i] - upper_left
            pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upper_left)
            pred = left if pa <= pb and pa <= pc else (up[i] if pb <= pc else upper_left)
            row[i] = (row[i] + pred) & 0xFF
    return row


def _has_colour(pixels: np.ndarray, hex_colour: str, tolerance: int = 12) -> bool:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return bool(np.any(np.all(np.abs(pixels - rgb) <= tolerance, axis=2)))


def test_chromium_renders_the_report_with_its_charts(tmp_path: Path) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    full = load_trace(TRACE)
    trace = Trace(name=full.name, start=full.start, demand=np.array(full.demand[:3000]))
    result = replay(trace, recommended_policy(), settings=ReplaySettings(), policy_name="recommended")
    page = tmp_path / "report.html"
    page.write_text(render_report(result, summary(result, baseline_figures=baselines(trace, result))))
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-sync", "--disable-component-update",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1400,1000",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
    pixels = _png_pixels(shot)
    assert pixels.shape == (1000, 1400, 3)
    colours = np.unique(pixels.reshape(-1, 3) @ np.array([65536, 256, 1]))
    assert colours.size > 100, f"only {colours.size} distinct colours: a blank page?"
    non_white = np.mean(np.any(pixels < 240, axis=2))
    assert non_white > 0.05, f"only {non_white:.1%} of the page is drawn"
    for name in ("total", "serving", "executed", "util"):
        assert _has_colour(pixels, COLOURS[name]), f"no {name} colour ({COLOURS[name]}) on the screenshot"
