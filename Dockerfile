# pollama in a container: `docker build -t pollama .`, then
#   docker run -d -p 11434:11434 -v pollama-models:/models pollama
# The model store is the volume /models; the server listens on every interface of the container.
# `docker run ... pollama rpc --host 0.0.0.0` runs an RPC server instead (only on a trusted network).

# ---- build: llama-cpp-python compiled portable (no -march=native) with the RPC backend, then pollama ----
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/pollama
ENV PATH=/opt/pollama/bin:$PATH
# the same flags as scripts/install.sh: GGML_NATIVE=OFF runs on any x86-64 host (a native build can
# enable AMX, which crashes on quantized models), GGML_RPC=ON for `pollama rpc` and OLLAMA_RPC_SERVERS
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_RPC=ON" FORCE_CMAKE=1 \
    pip install --no-cache-dir "llama-cpp-python==0.3.36"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pollama ./pollama
RUN pip install --no-cache-dir .

# ---- run: the virtualenv only, as a non-root user ----
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 pollama \
 && mkdir /models && chown pollama:pollama /models
COPY --from=build /opt/pollama /opt/pollama
ENV PATH=/opt/pollama/bin:$PATH \
    OLLAMA_HOST=0.0.0.0:11434 \
    OLLAMA_MODELS=/models
USER pollama
VOLUME ["/models"]
EXPOSE 11434
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:11434/', timeout=4)"]
ENTRYPOINT ["pollama"]
CMD ["serve"]
