"""The deployment files (deploy/) agree with the server they deploy.

No YAML parser is installed, so the files are read with regular expressions: they are
written in a regular shape (flow lists for commands, ``- name:`` entries for variables).
"""

from __future__ import annotations

import argparse
import pathlib
import re

from server.auth import TokenIssuer
from server.config import ServerConfig, add_serve_arguments
from server.node_supervisor import STOP_TIMEOUT_S

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"


def deploy_texts() -> dict[str, str]:
    files = sorted(p for p in DEPLOY.rglob("*") if p.is_file())
    assert files, "deploy/ is empty"
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}


def read(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


def one(pattern: str, text: str, what: str) -> str:
    found = re.findall(pattern, text, re.MULTILINE)
    assert len(found) == 1, f"expected one {what}, found {found}"
    return str(found[0])


def known_variables() -> set[str]:
    """The environment variables server/config.py reads (PLAZA_*, DATABASE_URL)."""
    source = read(ROOT / "server" / "config.py")
    names = set(re.findall(r'(?:_env|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]*)"', source))
    assert "PLAZA_HOST" in names and "DATABASE_URL" in names, names
    return names


def serve_options() -> set[str]:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    add_serve_arguments(parser)
    return {option for action in parser._actions for option in action.option_strings}


def test_every_plaza_variable_in_deploy_is_a_setting() -> None:
    known = known_variables()
    unknown = {
        f"{name} ({path})"
        for path, text in deploy_texts().items()
        for name in re.findall(r"\bPLAZA_[A-Z0-9][A-Z0-9_]*", text)
        if name not in known
    }
    assert not unknown, f"not read by server/config.py: {sorted(unknown)}"


def test_container_environments_name_only_settings() -> None:
    known = known_variables()
    plaza = read(K8S / "plaza.yaml")
    env = set(re.findall(r"^\s*- name: ([A-Z][A-Z0-9_]*)\s*$", plaza, re.MULTILINE))
    assert {"PLAZA_NODES", "PLAZA_NODE_INDEX", "DATABASE_URL"} <= env, env
    assert env <= known, sorted(env - known)
    compose = read(DEPLOY / "compose.yaml")
    plaza_service = compose.split("\n  plaza:\n", 1)[1].split("\nvolumes:", 1)[0]
    environment = plaza_service.split("    environment:\n", 1)[1]
    keys = set(re.findall(r"^      ([A-Z][A-Z0-9_]*):", environment, re.MULTILINE))
    assert "DATABASE_URL" in keys and "PLAZA_PUBLIC_WS_URL" in keys, keys
    assert keys <= known, sorted(keys - known)


def test_every_serve_option_in_deploy_exists() -> None:
    options = serve_options()
    used: dict[str, set[str]] = {}
    for path, text in deploy_texts().items():
        # Command lists: ["serve", "--host", "0.0.0.0", …]
        for args in re.findall(r'\[\s*"serve"\s*,([^\]]*)\]', text):
            for option in re.findall(r'"(--[a-z][a-z0-9-]*)', args):
                used.setdefault(option, set()).add(path)
        # Prose and comments: `plaza serve --nodes N --node-index …`
        for rest in re.findall(r"\bserve\b([^`\]\n]*)", text):
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest):
                used.setdefault(option, set()).add(path)
    assert {"--host", "--nodes", "--node-index", "--nats-url"} <= used.keys(), sorted(used)
    unknown = {option: sorted(paths) for option, paths in used.items() if option not in options}
    assert not unknown, f"not options of plaza serve: {unknown}"


def server_get_routes() -> set[str]:
    source = read(ROOT / "server" / "app.py")
    routes = set(re.findall(r'router\.add\(\s*"GET",\s*"([^"]+)"', source))
    assert "/healthz" in routes, routes
    return routes


def test_probes_and_healthcheck_ask_routes_of_the_server() -> None:
    routes = server_get_routes()
    probed: set[str] = set()
    for manifest in sorted(K8S.glob("*.yaml")):
        for path, port in re.findall(
            r"httpGet:\s*\n\s*path:\s*(\S+)\s*\n\s*port:\s*(\S+)", read(manifest)
        ):
            if manifest.name == "nats.yaml":
                # NATS's own monitoring endpoint, which -m 8222 turns on.
                assert port == "monitor" and path == "/healthz", (path, port)
                assert '"-m", "8222"' in read(manifest)
                continue
            assert port == "http", f"{manifest.name}: probe on port {port}"
            probed.add(path)
    assert probed == {"/healthz", "/readyz"}, probed
    assert probed <= routes

    dockerfile = read(DEPLOY / "Dockerfile")
    healthcheck = one(r"^HEALTHCHECK ((?:.*\\\n)*.*)$", dockerfile, "HEALTHCHECK")
    paths = set(re.findall(r"'(/[a-z][\w/-]*)'", healthcheck))
    assert paths == {"/healthz"}, paths
    assert "urllib.request" in healthcheck
    assert paths <= routes


def test_signing_key_mount_is_where_the_issuer_reads_it(tmp_path: pathlib.Path) -> None:
    # Where TokenIssuer really keeps its key, relative to the data folder.
    TokenIssuer.load_or_create(tmp_path)
    created = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert len(created) == 1, created
    key_relative = pathlib.PurePosixPath(created[0].as_posix())

    plaza = read(K8S / "plaza.yaml")
    data_dir = one(r"- name: PLAZA_DATA_DIR\s*\n\s*value:\s*(\S+)", plaza, "PLAZA_DATA_DIR")
    mount = one(r"- name: signing-key\s*\n\s*mountPath:\s*(\S+)", plaza, "signing-key mount")
    volume = plaza.split("- name: signing-key\n          secret:", 1)[1]
    secret = one(r"^\s*secretName:\s*(\S+)", volume, "secretName")
    key, file_name = re.findall(r"- key:\s*(\S+)\s*\n\s*path:\s*(\S+)", volume)[0]
    mounted = pathlib.PurePosixPath(mount) / file_name
    assert mounted == pathlib.PurePosixPath(data_dir) / key_relative, mounted
    assert re.search(r"name: signing-key\s*\n\s*mountPath: \S+\s*\n\s*readOnly: true", plaza)

    # The image's data folder is the same, and the example Secret has that name and key.
    assert one(r"PLAZA_DATA_DIR=(\S+)", read(DEPLOY / "Dockerfile"), "data dir") == data_dir
    example = read(K8S / "secret.example.yaml")
    assert f"name: {secret}\n" in example
    assert re.search(rf"^  {re.escape(key)}: \|$", example, re.MULTILINE)


def makefile_recipe(target: str) -> list[str]:
    makefile = read(ROOT / "Makefile")
    recipe = one(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, f"{target} recipe")
    return [line.strip() for line in recipe.splitlines()]


def test_dockerfile_builds_the_web_client_as_the_makefile_does() -> None:
    makefile = read(ROOT / "Makefile")
    web_dir = one(r"^WEB := (\S+)$", makefile, "WEB")
    # `cd $(WEB) && <command>` in the targets that install and build the client.
    commands = [
        line.split("&& ", 1)[1]
        for line in makefile_recipe("$(WEB_STAMP)") + makefile_recipe("web")
        if line.startswith("cd $(WEB) && ")
    ]
    assert any(c.startswith("npm ci") for c in commands), commands
    assert any(c.startswith("node ") for c in commands), commands

    dockerfile = read(DEPLOY / "Dockerfile")
    web_stage = dockerfile.split(" AS web\n", 1)[1].split("\nFROM ", 1)[0]
    assert one(r"^WORKDIR (\S+)$", web_stage, "web WORKDIR").endswith("/" + web_dir)
    runs = re.findall(r"^RUN (.+)$", web_stage, re.MULTILINE)
    assert runs == commands, (runs, commands)

    # The bundle lands where the server looks for it: the source tree's clients/web/dist,
    # installed in place so that server/config.py's default still points there.
    web_root = ServerConfig().web_root.relative_to(ROOT).as_posix()
    server_stage = dockerfile.split("\nFROM python:3.11-slim\n", 1)[1]
    workdir = one(r"^WORKDIR (/opt/\S+)$", server_stage, "install WORKDIR")
    assert re.search(r"^RUN pip install -e \. ", server_stage, re.MULTILINE)
    copies = re.findall(r"^COPY --from=web (\S+) (\S+)$", server_stage, re.MULTILINE)
    assert len(copies) == 1, copies
    source, target = copies[0]
    assert source.rstrip("/").endswith("/" + web_root), source
    assert target.rstrip("/") == web_root, (workdir, target)
    assert workdir != "/var/lib/plaza"
    zones = ServerConfig().zones_dir.relative_to(ROOT).as_posix()
    assert re.search(rf"^COPY {zones.split('/')[0]}/ ", server_stage, re.MULTILINE)


def test_ports_are_the_servers_defaults() -> None:
    config = ServerConfig()
    expose = one(r"^EXPOSE (.+)$", read(DEPLOY / "Dockerfile"), "EXPOSE").split()
    assert expose == [str(config.http_port), str(config.ws_port)]
    plaza = read(K8S / "plaza.yaml")
    assert f"- name: http\n              containerPort: {config.http_port}\n" in plaza
    assert f"- name: ws\n              containerPort: {config.ws_port}\n" in plaza
    compose = read(DEPLOY / "compose.yaml")
    for port in (config.http_port, config.ws_port):
        assert f'"{port}:{port}"' in compose


def test_replicas_equal_nodes_and_stops_are_graceful() -> None:
    plaza = read(K8S / "plaza.yaml")
    replicas = one(r"^  replicas: (\d+)$", plaza, "replicas")
    nodes = one(r'- name: PLAZA_NODES\s*\n\s*value: "(\d+)"', plaza, "PLAZA_NODES")
    assert replicas == nodes, "the StatefulSet's replicas and PLAZA_NODES must be equal"
    assert "fieldPath: metadata.labels['apps.kubernetes.io/pod-index']" in plaza
    assert "enableServiceLinks: false" in plaza

    grace = int(one(r"terminationGracePeriodSeconds: (\d+)", plaza, "grace period"))
    assert grace > STOP_TIMEOUT_S
    stop = one(r"stop_grace_period: (\d+)s", read(DEPLOY / "compose.yaml"), "stop grace")
    assert int(stop) > STOP_TIMEOUT_S


def test_kustomization_lists_the_manifests_but_not_the_example_secret() -> None:
    kustomization = read(K8S / "kustomization.yaml")
    listed = re.findall(r"^  - (\S+\.yaml)$", kustomization, re.MULTILINE)
    # Applying the folder must never replace real Secrets with the example's placeholders.
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(manifests - {"secret.example.yaml"}), listed
    example = read(K8S / "secret.example.yaml")
    assert "REPLACE_WITH" in example
    assert "BEGIN PRIVATE KEY" not in example
