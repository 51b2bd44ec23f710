"""A private Jupyter server for the browser tests: JupyterLab 4 and Notebook 7 in one process.

``jupyter lab`` loads Notebook 7 as a server extension, so one server answers both
``/lab/tree/NB.ipynb`` and ``/notebooks/NB.ipynb``: one start-up (about 4 s on two
cores) instead of two.

Nothing outside a temporary directory is written: the settings overrides of the
environment (``<sys.prefix>/share/jupyter/lab/settings/overrides.json``) are read,
merged with ours and handed to the server as its own settings directory, so the
venv's file is never touched and two test runs side by side do not race on it.
User-level Jupyter and IPython configuration, data and runtime directories are
replaced by empty temporary ones, so a developer's settings cannot change what the
tests see.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What the tests need from the front ends: no news toast over the page, and widget
# state written into the notebook on save (the reopen test).
SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
}
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def merge_settings(base: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``base`` overrides with the plugin settings of ``extra`` merged in, key by key."""
    merged = {plugin: dict(values) if isinstance(values, Mapping) else values for plugin, values in base.items()}
    for plugin, values in extra.items():
        current = merged.get(plugin)
        merged[plugin] = {**(current if isinstance(current, Mapping) else {}), **values}
    return merged


def settings_dir(into: Path, prefix: str = sys.prefix) -> Path:
    """A copy of the environment's lab settings directory, with SETTINGS merged into its overrides."""
    source = Path(prefix, "share", "jupyter", "lab", "settings")
    into.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        for entry in source.iterdir():
            if entry.is_file():
                shutil.copy2(entry, into / entry.name)
    overrides = into / "overrides.json"
    base = json.loads(overrides.read_text(encoding="utf-8")) if overrides.exists() else {}
    overrides.write_text(json.dumps(merge_settings(base, SETTINGS), indent=2), encoding="utf-8")
    return into


class JupyterServer:
    """``jupyter lab`` on 127.0.0.1 with a free port and a random token, stopped by its PID."""

    def __init__(self, base: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.base = base
        self.root = base / "root"
        self.log_path = base / "server.log"
        self.token = secrets.token_hex(24)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_env = dict(env or {})
        self.env: dict[str, str] = {}
        """The environment of the server and of its kernels."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        settings = settings_dir(self.base / "app-settings")
        dirs = {name: self.base / name for name in ("config", "data", "runtime", "ipython", "user-settings", "workspaces")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        # tests/conftest.py turns boards off for the unit tests; the kernels here must draw them.
        env.pop("CELLFLUX_DISPLAY", None)
        env.update(
            CELLFLUX_STORE=":memory:",
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        self.env = env
        for attempt in range(3):
            self.port = free_port()
            args = [
                sys.executable, "-m", "jupyter", "lab",
                "--no-browser", "--allow-root",
                "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ]
            for app in ("LabApp", "JupyterNotebookApp"):
                args += [
                    f"--{app}.app_settings_dir={settings}",
                    f"--{app}.user_settings_dir={dirs['user-settings']}",
                    f"--{app}.workspaces_dir={dirs['workspaces']}",
                    # window.jupyterapp: the tests ask the app whether the kernel is ready.
                    f"--{app}.expose_app_in_browser=True",
                ]
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
            if self._wait_ready():
                return
            self.stop()
            if attempt == 2:
                raise RuntimeError(f"jupyter lab did not start; its log:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False  # e.g. the port was taken between free_port() and the bind
            try:
                self.api("GET", "/api/status")
                return True
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        return False

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A REST call with the token; the decoded JSON answer, or None."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def shutdown_kernels(self, timeout: float = 30.0) -> None:
        """Delete every session (which shuts its kernel down), then any kernel left."""
        for session in self.api("GET", "/api/sessions"):
            self._delete(f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self._delete(f"/api/kernels/{kernel['id']}")
        deadline = time.monotonic() + timeout
        while self.api("GET", "/api/kernels") and time.monotonic() < deadline:
            time.sleep(0.2)

    def _delete(self, path: str) -> None:
        try:
            self.api("DELETE", path)
        except urllib.error.HTTPError as error:
            if error.code != 404:  # already gone with its session
                raise

    def stop(self) -> None:
        """Shut the kernels down, then terminate the server by its PID, then kill it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            self.shutdown_kernels(timeout=10)
        except (OSError, urllib.error.URLError):
            pass  # the server is stopped below whatever state it is in
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
