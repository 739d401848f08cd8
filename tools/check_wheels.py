"""Check that every locked package has a wheel for each platform and Python we support.

``uv sync --frozen --no-build`` (``make sync``) proves it for this machine only; this asks
uv to resolve the locked pins with building disabled for Linux x86_64 and aarch64 and
macOS x86_64 and arm64, for each supported Python. It reads package
metadata from the index, so it needs the network; run it after ``uv lock`` (``make wheels``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PLATFORMS = (
    "x86_64-manylinux_2_28",
    "aarch64-manylinux_2_28",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
)
PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")  # requires-python >= 3.11 to the newest


def main(argv: list[str]) -> int:
    uv = argv[0] if argv else ".uv/bin/uv"
    pins = subprocess.run(
        [uv, "export", "--frozen", "--all-groups", "--no-hashes", "--no-emit-project", "-q"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(pins, encoding="utf-8")
        for platform in PLATFORMS:
            for python in PYTHONS:
                result = subprocess.run(
                    [uv, "pip", "compile", str(requirements), "--no-deps", "--no-build",
                     "--python-platform", platform, "--python-version", python,
                     "-q", "-o", os.devnull],
                    capture_output=True,
                    text=True,
                )  # fmt: skip
                status = "ok" if result.returncode == 0 else "NEEDS A BUILD"
                print(f"{platform:24} Python {python}: {status}")
                if result.returncode != 0:
                    print(result.stderr.strip())
                    failed.append((platform, python))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
