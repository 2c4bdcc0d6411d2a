"""The container image and the Kubernetes example cannot be built or run here (no Docker, no cluster): check
the facts they must keep, against the files the rest of the project uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _install_cmake_args() -> str:
    m = re.search(r'^LLAMA_CMAKE_ARGS="([^"]+)"', (ROOT / "scripts" / "install.sh").read_text(), re.M)
    assert m
    return m[1]


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+", text, re.M)
    assert len(stages) == 2 and "AS build" in text and "COPY --from=build /opt/pollama /opt/pollama" in text
    assert f'CMAKE_ARGS="{_install_cmake_args()}"' in text  # portable, with RPC: as scripts/install.sh builds it
    version = re.search(r'"llama-cpp-python==([0-9.]+)"', (ROOT / "pyproject.toml").read_text())
    assert version and f'"llama-cpp-python=={version[1]}"' in text
    run_stage = text.split("COPY --from=build")[1]
    assert re.search(r"^USER pollama$", run_stage, re.M) and "useradd" in text  # not root
    assert "OLLAMA_HOST=0.0.0.0:11434" in run_stage and "OLLAMA_MODELS=/models" in run_stage
    assert 'VOLUME ["/models"]' in run_stage and "EXPOSE 11434" in run_stage
    assert 'ENTRYPOINT ["pollama"]' in text and 'CMD ["serve"]' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*"):][:4] == ["*", "!pyproject.toml", "!README.md", "!pollama/"]


def _manifests() -> dict[str, dict[str, Any]]:
    docs = list(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "pollama.yaml").read_text()))
    return {d["kind"]: d for d in docs}


def test_kubernetes_example() -> None:
    m = _manifests()
    assert set(m) == {"PersistentVolumeClaim", "Deployment", "Service"}
    pvc, deploy, service = m["PersistentVolumeClaim"], m["Deployment"], m["Service"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]  # every replica mounts the one store
    pod = deploy["spec"]["template"]["spec"]
    assert deploy["spec"]["replicas"] >= 2
    assert deploy["spec"]["selector"]["matchLabels"] == deploy["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"] == deploy["spec"]["template"]["metadata"]["labels"]
    (volume,) = pod["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["OLLAMA_HOST"] == "0.0.0.0:11434" and env["OLLAMA_NOPRUNE"] == "1"
    (mount,) = container["volumeMounts"]
    assert mount["name"] == volume["name"] and mount["mountPath"] == env["OLLAMA_MODELS"]
    (port,) = container["ports"]
    assert port["containerPort"] == 11434 and service["spec"]["ports"][0]["targetPort"] == port["name"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/", "port": port["name"]}
