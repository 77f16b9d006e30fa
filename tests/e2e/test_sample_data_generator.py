"""The sample data generator, run as a developer runs it, reproduces the committed files byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT

SAMPLE_DIR = REPO_ROOT / "bot" / "data" / "sample"
GENERATOR = REPO_ROOT / "scripts" / "make_sample_data.py"


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), str(tmp_path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    generated = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in SAMPLE_DIR.iterdir())
    assert generated == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
