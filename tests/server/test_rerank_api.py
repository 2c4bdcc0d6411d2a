"""/api/rerank and /v1/rerank over HTTP on tiny random rerankers (BERT, rank pooling, a classifier head): the
scores are llama.cpp's own, driven directly here through llama-cpp-python's low-level API on the same file and
the pair llama-server builds ([BOS] query [SEP] document for this vocabulary, or the model's rerank template);
ordering, top_n, return_documents, truncation, the 400s, and the capability checks both ways."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from pathlib import Path

import httpx
import llama_cpp as lc
import pytest
from fixtures.tiny_gguf import make_tiny_bert
from polling import wait_until
from prometheus_client.parser import text_string_to_metric_families
from server_proc import Server, ServerFactory

from pollama.runner.llama import setup_logging

ROUTES = ("/api/rerank", "/v1/rerank")
TEMPLATE = "[CLS] query : {query} [SEP] document : {document} [SEP]"
QUERY = "what is machine learning?"
DOCUMENTS = ["A machine is a physical system that uses power.", "Learning is acquiring new understanding.",
             "Machine learning is a field of study in artificial intelligence.", "Paris est une grande ville.",
             "ünïcödé and [SEP] in plain text"]


@pytest.fixture(scope="module")
def paths(tiny_llama: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rerank")
    return {"ranker": make_tiny_bert(root / "ranker.gguf", rank=True, seed=1),
            "ranker-tpl": make_tiny_bert(root / "tpl.gguf", rank=True, seed=2, rerank_template=TEMPLATE),
            "bert": make_tiny_bert(root / "bert.gguf"), "tiny": tiny_llama}


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, paths: dict[str, Path]) -> Server:
    return module_server({"OLLAMA_NUM_PARALLEL": "3"}, paths)


class Reference:
    """llama.cpp on its own: the model, a rank-pooling context, one (query, document) sequence at a time."""

    def __init__(self, path: Path) -> None:
        self.model = lc.llama_model_load_from_file(str(path).encode(), lc.llama_model_default_params())
        self.vocab = lc.llama_model_get_vocab(self.model)
        params = lc.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = 512
        params.embeddings = True
        params.pooling_type = lc.LLAMA_POOLING_TYPE_RANK
        self.ctx = lc.llama_init_from_model(self.model, params)
        self.batch = lc.llama_batch_init(512, 0, 1)

    def close(self) -> None:
        lc.llama_batch_free(self.batch)
        lc.llama_free(self.ctx)
        lc.llama_model_free(self.model)

    def tokenize(self, text: str, special: bool = False) -> list[int]:
        data = text.encode()
        buf = (lc.llama_token * (len(data) + 8))()
        n = lc.llama_tokenize(self.vocab, data, len(data), buf, len(buf), False, special)
        assert n >= 0
        return list(buf[:n])

    def pair(self, query: str, document: str, template: str | None) -> list[int]:
        """llama-server's pair: the template filled in, or (this vocabulary adds BOS and SEP, no EOS)
        [BOS] query [SEP] document."""
        if template is not None:
            return self.tokenize(template.replace("{query}", query).replace("{document}", document), special=True)
        assert lc.llama_vocab_get_add_bos(self.vocab) and lc.llama_vocab_get_add_sep(self.vocab)
        assert not lc.llama_vocab_get_add_eos(self.vocab)
        return ([lc.llama_vocab_bos(self.vocab)] + self.tokenize(query) + [lc.llama_vocab_sep(self.vocab)]
                + self.tokenize(document))

    def score(self, tokens: list[int]) -> float:
        b = self.batch
        for i, token in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, i, 1, 1
            b.seq_id[i][0] = 0
        b.n_tokens = len(tokens)
        assert lc.llama_decode(self.ctx, b) == 0
        score = float(ctypes.cast(lc.llama_get_embeddings_seq(self.ctx, 0), ctypes.POINTER(ctypes.c_float))[0])
        lc.llama_memory_seq_rm(lc.llama_get_memory(self.ctx), 0, -1, -1)
        return score


@pytest.fixture(scope="module")
def reference(paths: dict[str, Path]) -> Iterator[dict[str, Reference]]:
    setup_logging(False)  # llama.cpp's warnings only
    refs = {name: Reference(paths[name]) for name in ("ranker", "ranker-tpl")}
    yield refs
    for ref in refs.values():
        ref.close()


def rerank(http: httpx.Client, route: str, **body: object) -> dict:
    r = http.post(route, json={"model": "ranker", "query": QUERY, "documents": DOCUMENTS, **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("model, template", [("ranker", None), ("ranker-tpl", TEMPLATE)])
def test_scores_are_llama_cpps(http: httpx.Client, reference: dict[str, Reference], route: str, model: str,
                               template: str | None) -> None:
    ref = reference[model]
    pairs = [ref.pair(QUERY, d, template) for d in DOCUMENTS]
    want = [ref.score(p) for p in pairs]
    assert len(set(want)) == len(want)  # the documents are told apart
    body = rerank(http, route, model=model)
    results = body["results"]
    assert sorted(r["index"] for r in results) == list(range(len(DOCUMENTS)))
    for r in results:
        assert r["relevance_score"] == pytest.approx(want[r["index"]], abs=1e-5, rel=1e-5)
    assert [r["index"] for r in results] == sorted(range(len(want)), key=lambda i: -want[i])  # best first
    n = sum(len(p) for p in pairs)
    assert body["usage"] == {"prompt_tokens": n, "total_tokens": n}
    assert body["object"] == "list" and body["model"].startswith(model)


def test_api_route_reports_ollama_timings(http: httpx.Client) -> None:
    body = rerank(http, "/api/rerank")
    assert body["model"] == "ranker:latest"
    assert body["prompt_eval_count"] == body["usage"]["prompt_tokens"] > 0
    assert body["total_duration"] >= body["load_duration"] >= 0


def test_v1_route_echoes_the_model_asked_for(http: httpx.Client) -> None:
    assert rerank(http, "/v1/rerank")["model"] == "ranker"


@pytest.mark.parametrize("route", ROUTES)
def test_top_n_keeps_the_best(http: httpx.Client, route: str) -> None:
    ranked = [r["index"] for r in rerank(http, route)["results"]]
    assert [r["index"] for r in rerank(http, route, top_n=2)["results"]] == ranked[:2]
    assert rerank(http, route, top_n=0)["results"] == []
    assert len(rerank(http, route, top_n=99)["results"]) == len(DOCUMENTS)


@pytest.mark.parametrize("route", ROUTES)
def test_return_documents(http: httpx.Client, route: str) -> None:
    for r in rerank(http, route, return_documents=True)["results"]:
        assert r["document"] == {"text": DOCUMENTS[r["index"]]}
    assert all(set(r) == {"index", "relevance_score"} for r in rerank(http, route)["results"])


def test_a_document_too_long_is_cut_to_fit_or_refused(http: httpx.Client, reference: dict[str, Reference]) -> None:
    long_doc = " ".join(["machine learning"] * 40)
    short = {"options": {"num_ctx": 32}, "documents": [long_doc, "short"]}
    body = rerank(http, "/api/rerank", **short)
    pair = reference["ranker"].pair(QUERY, "short", None)
    assert body["usage"]["prompt_tokens"] == 32 + len(pair)
    r = http.post("/api/rerank", json={"model": "ranker", "query": QUERY, **short, "truncate": False})
    assert r.status_code == 400 and "exceeds the context length" in r.json()["error"]
    r = http.post("/api/rerank", json={"model": "ranker", "query": long_doc, **short})
    assert r.status_code == 400, r.text  # the query is never cut


@pytest.mark.parametrize("body, error", [
    ({"query": QUERY, "documents": []}, '"documents" must be a non-empty string array'),
    ({"query": QUERY}, '"documents" must be a non-empty string array'),
    ({"documents": DOCUMENTS}, '"query" must be provided'),
    ({"query": QUERY, "documents": DOCUMENTS, "top_n": -1}, '"top_n" must not be negative'),
    ({"query": QUERY, "documents": [1, 2]}, "cannot unmarshal"),
    ({"query": 5, "documents": DOCUMENTS}, "cannot unmarshal"),
    ({"query": QUERY, "documents": DOCUMENTS, "top_n": "2"}, "cannot unmarshal"),
])
def test_bad_requests_are_400(http: httpx.Client, body: dict, error: str) -> None:
    r = http.post("/api/rerank", json={"model": "ranker", **body})
    assert r.status_code == 400 and set(r.json()) == {"error"} and error in r.json()["error"], r.text
    r = http.post("/v1/rerank", json={"model": "ranker", **body})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    assert error in r.json()["error"]["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_unknown_or_missing_model(http: httpx.Client, route: str) -> None:
    r = http.post(route, json={"model": "nope", "query": QUERY, "documents": DOCUMENTS})
    assert r.status_code == 404
    r = http.post(route, json={"query": QUERY, "documents": DOCUMENTS})
    assert r.status_code == 400


def test_show_lists_rerank(http: httpx.Client) -> None:
    caps = {name: http.post("/api/show", json={"model": name}).json()["capabilities"]
            for name in ("ranker", "ranker-tpl", "bert", "tiny")}
    assert caps["ranker"] == caps["ranker-tpl"] == ["rerank"]
    assert "rerank" not in caps["bert"] and "rerank" not in caps["tiny"]


@pytest.mark.parametrize("model", ["bert", "tiny"])
def test_rerank_needs_a_reranker(http: httpx.Client, model: str) -> None:
    r = http.post("/api/rerank", json={"model": model, "query": QUERY, "documents": DOCUMENTS})
    assert r.status_code == 400 and r.json() == {"error": f'"{model}" does not support rerank'}


@pytest.mark.parametrize("path, body, verb", [
    ("/api/generate", {"prompt": "hi"}, "generate"),
    ("/api/chat", {"messages": [{"role": "user", "content": "hi"}]}, "chat"),
])
def test_a_reranker_does_not_generate(http: httpx.Client, path: str, body: dict, verb: str) -> None:
    r = http.post(path, json={"model": "ranker", "stream": False, **body})
    assert r.status_code == 400 and r.json() == {"error": f'"ranker" does not support {verb}'}


def test_a_reranker_has_no_embeddings(http: httpx.Client) -> None:
    r = http.post("/api/embed", json={"model": "ranker", "input": "hello"})
    assert r.status_code == 400 and r.json() == {"error": '"ranker" does not support embedding'}
    r = http.post("/v1/embeddings", json={"model": "ranker", "input": "hello"})
    assert r.status_code == 400 and r.json()["error"]["message"] == '"ranker" does not support embedding'
    assert rerank(http, "/api/rerank")["results"]  # and it still ranks


def test_tokenize_uses_the_rerankers_runner(http: httpx.Client, reference: dict[str, Reference]) -> None:
    rerank(http, "/api/rerank")  # loads its runner
    r = http.post("/api/tokenize", json={"model": "ranker", "content": QUERY})
    assert r.status_code == 200 and r.json()["tokens"] == reference["ranker"].tokenize(QUERY, special=True)
    assert rerank(http, "/api/rerank")["load_duration"] == 0  # the same runner served both


def test_request_log_and_metrics_count_the_pairs_tokens(srv: Server, http: httpx.Client) -> None:
    def prompt_tokens() -> float:
        families = text_string_to_metric_families(http.get("/metrics").text)
        return sum(s.value for f in families if f.name == "pollama_prompt_tokens" for s in f.samples
                   if s.labels.get("model") == "ranker:latest" and s.name.endswith("_total"))

    before = prompt_tokens()
    r = http.post("/api/rerank", headers={"X-Request-Id": "rerank-log-1"},
                  json={"model": "ranker", "query": QUERY, "documents": DOCUMENTS})
    n = r.json()["usage"]["prompt_tokens"]
    assert prompt_tokens() - before == n
    line: list[str] = []
    wait_until(lambda: line.extend(x for x in srv.logs().splitlines() if "id=rerank-log-1" in x) or line,
               timeout=15)
    assert f"prompt_eval_count={n} " in line[0] + " " and "route=/api/rerank" in line[0]
