"""The stock JavaScript clients (tests/js/package.json, pinned by its package-lock.json),
installed with ``npm ci`` the first time a test needs them, and run with Node."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

JS = Path(__file__).parent / "js"
NODE_MODULES = JS / "node_modules"


def node_modules() -> Path:
    """tests/js/node_modules, installed from the lock file if it is not there yet."""
    installed = NODE_MODULES / ".package-lock.json"
    # Installed anew when the lock file changed since (a client added or upgraded).
    lock = JS / "package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        assert npm, "the JavaScript client tests need Node.js and npm"
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=JS,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return NODE_MODULES


async def start(script: str, *args: str) -> asyncio.subprocess.Process:
    """Start ``node tests/js/<script> args...`` with its stdout piped."""
    node_modules()
    node = shutil.which("node")
    assert node, "the JavaScript client tests need Node.js"
    return await asyncio.create_subprocess_exec(
        node, str(JS / script), *args, stdout=asyncio.subprocess.PIPE
    )
