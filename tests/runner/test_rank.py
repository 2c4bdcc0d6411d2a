"""The runner's rank op on a tiny reranker: one score per pair, the same alone or batched with others; a
reranker's runner refuses embeddings and an embedding model's runner refuses to rank; the pair's tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import llama_cpp as lc
import pytest
from fixtures.tiny_gguf import make_tiny_bert
from runner_helpers import Loop

from pollama.runner.client import RunnerError, RunnerProcess
from pollama.runner.llama import Model, setup_logging
from pollama.runner.protocol import RankRequest, RequestError, decode_request
from pollama.runner.rank import fit_pair, pair_tokens

DOCS = ["hello world", "a machine learns from data", "paris is a city in france", "cats and dogs"]


@pytest.fixture(scope="module")
def ranker_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("rank") / "ranker.gguf", rank=True)


@pytest.fixture(scope="module")
def ranker(loop: Loop, ranker_path: Path) -> Iterator[RunnerProcess]:
    r = loop.start(ranker_path, ctx=64, parallel=3, embedding=True)
    yield r
    loop.run(r.stop())


def test_scores_alone_and_batched_agree(loop: Loop, ranker: RunnerProcess) -> None:
    alone = [loop.run(ranker.rank("what is machine learning", d)) for d in DOCS]
    assert all(len(r.embedding) == 1 for r in alone)  # n_cls_out floats: this head has one

    async def together_() -> list:
        return await asyncio.gather(*(ranker.rank("what is machine learning", d) for d in DOCS))

    together = loop.run(together_())
    for a, b in zip(alone, together, strict=True):
        assert b.embedding[0] == pytest.approx(a.embedding[0], rel=1e-5, abs=1e-5)
        assert a.prompt_eval_count == b.prompt_eval_count > 0
    assert len({round(r.embedding[0], 4) for r in alone}) == len(DOCS)


def test_a_rerankers_runner_has_no_embeddings(loop: Loop, ranker: RunnerProcess) -> None:
    with pytest.raises(RunnerError, match="reranker") as e:
        loop.run(ranker.embed("hello"))
    assert e.value.status == 400


def test_an_embedding_runner_does_not_rank(loop: Loop, tiny_bert: Path) -> None:
    bert = loop.start(tiny_bert, ctx=64, embedding=True)
    try:
        with pytest.raises(RunnerError, match="does not rank") as e:
            loop.run(bert.rank("q", "d"))
        assert e.value.status == 400
    finally:
        loop.run(bert.stop())


def test_pair_tokens_and_fitting(ranker_path: Path) -> None:
    setup_logging(False)
    model = Model(ranker_path)
    cls, sep = lc.llama_vocab_bos(model.vocab), lc.llama_vocab_sep(model.vocab)
    q = model.tokenize("query", add_special=False, parse_special=False)
    d = model.tokenize("some document text", add_special=False, parse_special=False)
    assert pair_tokens(model, "query", "some document text") == [cls, *q, sep, *d]
    n = 2 + len(q) + len(d)
    assert fit_pair(model, "query", "some document text", n, False, "too long") == [cls, *q, sep, *d]
    assert fit_pair(model, "query", "some document text", n - 1, True, "too long") == [cls, *q, sep, *d[:-1]]
    with pytest.raises(RequestError, match="too long"):
        fit_pair(model, "query", "some document text", n - 1, False, "too long")
    with pytest.raises(RequestError, match="too long"):
        fit_pair(model, "query", "some document text", 2 + len(q), True, "too long")  # no room for the document


def test_rank_request_wire() -> None:
    req = decode_request(RankRequest("q", "d", truncate=False).encode())
    assert req == RankRequest("q", "d", truncate=False)
    with pytest.raises(RequestError, match="query must be a string"):
        decode_request(b'{"op": "rank", "query": 1, "document": "d"}')
