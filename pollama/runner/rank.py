"""A reranker's input: one (query, document) pair as the tokens llama.cpp's server scores for it.

llama-server's format_prompt_rerank: a model with a `rerank` chat template gets the template with `{query}`
and then `{document}` replaced, tokenized with special-token text parsed and nothing added; any other gets
[BOS] query [EOS] [SEP] document [EOS], each of those tokens only where the vocabulary adds it (EOS falls back
to SEP), the texts tokenized as plain text.
"""

from __future__ import annotations

import llama_cpp as lc

from pollama.runner.llama import Model
from pollama.runner.protocol import RequestError

__all__ = ["pair_tokens", "fit_pair"]

_TRIES = 4  # shortenings of a document before giving up on fitting its pair


def pair_tokens(model: Model, query: str, document: str) -> list[int]:
    """The tokens llama.cpp's server scores for (query, document)."""
    if model.rerank_template is not None:
        prompt = model.rerank_template.replace("{query}", query).replace("{document}", document)
        return model.tokenize(prompt, add_special=False, parse_special=True)
    vocab = model.vocab
    eos = lc.llama_vocab_eos(vocab)
    if eos == lc.LLAMA_TOKEN_NULL:
        eos = lc.llama_vocab_sep(vocab)
    add_eos = lc.llama_vocab_get_add_eos(vocab)
    tokens = [lc.llama_vocab_bos(vocab)] if lc.llama_vocab_get_add_bos(vocab) else []
    tokens += model.tokenize(query, add_special=False, parse_special=False)
    tokens += [eos] if add_eos else []
    tokens += [lc.llama_vocab_sep(vocab)] if lc.llama_vocab_get_add_sep(vocab) else []
    tokens += model.tokenize(document, add_special=False, parse_special=False)
    tokens += [eos] if add_eos else []
    return tokens


def fit_pair(model: Model, query: str, document: str, n_ctx: int, truncate: bool,
             too_long: str) -> list[int]:
    """The pair's tokens, at most `n_ctx` of them: with `truncate` the document is cut at a token boundary
    until the pair fits (the query never is); otherwise, or if even that cannot fit it, RequestError(too_long)."""
    tokens = pair_tokens(model, query, document)
    for _ in range(_TRIES):
        excess = len(tokens) - n_ctx
        if excess <= 0 or not truncate:
            break
        doc = model.tokenize(document, add_special=False, parse_special=False)
        if excess >= len(doc):
            break
        document = model.detokenize(doc[: len(doc) - excess])
        tokens = pair_tokens(model, query, document)
    if len(tokens) > n_ctx:
        raise RequestError(too_long)
    if not tokens:
        raise RequestError("Input content cannot be empty")
    return tokens
