"""world/ is the pure core: it never imports server/ and does no I/O (DESIGN.md, Layout)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import world

WORLD_DIR = Path(world.__file__).resolve().parent
WORLD_FILES = sorted(WORLD_DIR.rglob("*.py"))
WORLD_MODULES = sorted(
    "world." + ".".join(p.relative_to(WORLD_DIR).with_suffix("").parts)
    for p in WORLD_FILES
    if p.name != "__init__.py"
)
# Modules whose import means sockets, files, processes or an event loop.
IO_MODULES = {
    "asyncio",
    "http",
    "io",
    "os",
    "pathlib",
    "selectors",
    "shutil",
    "socket",
    "ssl",
    "subprocess",
    "tempfile",
    "urllib",
}
# Calls that reach the file system or the terminal even without an import.
IO_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def imported_modules(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative imports inside the world package.
                if node.module:
                    names.append("world." + node.module)
                else:
                    names.extend("world." + alias.name for alias in node.names)
            else:
                names.append(node.module or "")
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def test_world_has_files() -> None:
    names = {p.name for p in WORLD_FILES}
    assert {"world.py", "codec.py", "deltas.py", "interest.py", "avatars.py", "city.py"} <= names
    assert "world.zones.seoul_plaza" in WORLD_MODULES


@pytest.mark.parametrize("path", WORLD_FILES, ids=lambda p: str(p.relative_to(WORLD_DIR)))
def test_world_never_imports_server(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offending = [n for n in imported_modules(tree) if n == "server" or n.startswith("server.")]
    assert offending == [], f"{path.name} imports {offending}"
    # importlib.import_module("server...") would dodge the import statements.
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not node.value.startswith("server."), f"{path.name}: {node.value!r}"


@pytest.mark.parametrize("path", WORLD_FILES, ids=lambda p: str(p.relative_to(WORLD_DIR)))
def test_world_does_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    io_imports = [n for n in imported_modules(tree) if top(n) in IO_MODULES]
    assert io_imports == [], f"{path.name} imports {io_imports}"
    calls = [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in IO_CALLS
    ]
    assert calls == [], f"{path.name} calls {calls}"
    # np.load / np.save / np.fromfile / np.tofile and friends.
    file_methods = {
        "load",
        "save",
        "savez",
        "loadtxt",
        "savetxt",
        "fromfile",
        "tofile",
        "genfromtxt",
    }
    attributes = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in file_methods
    ]
    assert attributes == [], f"{path.name} calls {attributes}"


def test_scanner_catches_offenders() -> None:
    """The scans above would notice the imports they are looking for."""
    tree = ast.parse(
        "import server.app\nfrom server import gateway\nimport os.path\nfrom . import deltas\n"
    )
    names = imported_modules(tree)
    assert "server.app" in names
    assert "server" in names
    assert "os" in {top(n) for n in names}
    assert "world.deltas" in names


def test_importing_world_loads_no_server_module() -> None:
    code = (
        "import sys\n"
        f"import {', '.join(WORLD_MODULES)}\n"
        "bad = sorted(m for m in sys.modules if m == 'server' or m.startswith('server.'))\n"
        "assert not bad, bad\n"
        "io = sorted(m for m in ('asyncio', 'websockets', 'asyncpg') if m in sys.modules)\n"
        "assert not io, io\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_brief_one_liner() -> None:
    code = (
        "import world.world, sys; "
        "assert not any(m == 'server' or m.startswith('server.') for m in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
