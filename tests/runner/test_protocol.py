"""The runner's wire protocol on its own: requests survive the trip as the same dataclass, malformed lines are
refused with the runner's words, and reply lines decode into the reply types."""

from __future__ import annotations

import json

import pytest

from pollama.runner.protocol import (
    CompletionRequest,
    DetokenizeRequest,
    Embedded,
    EmbedRequest,
    ErrorReply,
    Finished,
    InfoRequest,
    Piece,
    RequestError,
    TokenizeRequest,
    completion_reply,
    decode_request,
    piece_line,
)


@pytest.mark.parametrize("req", [
    CompletionRequest(options={"temperature": 0}, prompt="hi"),
    CompletionRequest(tokens=[1, 2, 3], grammar="root ::= \"x\"", grammar_trigger="</think>", logprobs=True,
                      top_logprobs=3, truncate=False),
    EmbedRequest("text", truncate=False),
    TokenizeRequest("<s>", special=False, add_special=True),
    DetokenizeRequest([5, 6]),
    InfoRequest(),
])
def test_requests_round_trip(req: object) -> None:
    line = req.encode()  # type: ignore[attr-defined]
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_request(line.rstrip(b"\n")) == req


@pytest.mark.parametrize("line, message", [
    (b"not json", "invalid request: "),
    (b"[1]", "request must be a JSON object"),
    (b'{"op": "dance"}', "unknown op: 'dance'"),
    (b'{"op": "completion", "prompt": 5}', "prompt must be a string"),
    (b'{"op": "completion", "tokens": ["a"]}', "tokens must be a list of token ids"),
    (b'{"op": "completion", "prompt": "x", "options": [1]}', "options must be an object"),
    (b'{"op": "completion", "prompt": "x", "grammar": 1}', "grammar must be a string"),
    (b'{"op": "completion", "prompt": "x", "grammar": "g", "grammar_trigger": 1}',
     "grammar_trigger must be a string"),
    (b'{"op": "completion", "prompt": "x", "top_logprobs": 21}', "top_logprobs must be between 0 and 20"),
    (b'{"op": "completion", "prompt": "x", "top_logprobs": true}', "top_logprobs must be between 0 and 20"),
    (b'{"op": "embed", "content": null}', "content must be a string"),
    (b'{"op": "tokenize"}', "content must be a string"),
    (b'{"op": "detokenize", "tokens": "1 2"}', "tokens must be a list of token ids"),
])
def test_malformed_requests_are_refused(line: bytes, message: str) -> None:
    with pytest.raises(RequestError) as err:
        decode_request(line)
    assert str(err.value).startswith(message)


def test_completion_request_defaults_and_trigger_needs_a_grammar() -> None:
    req = decode_request(b'{"op": "completion", "prompt": "x", "grammar_trigger": "</think>", "top_logprobs": 2}')
    assert req == CompletionRequest(options={}, prompt="x", logprobs=True, top_logprobs=2)
    tokens_win = decode_request(b'{"op": "completion", "prompt": "x", "tokens": [7]}')
    assert isinstance(tokens_win, CompletionRequest) and (tokens_win.prompt, tokens_win.tokens) == (None, [7])


def test_reply_lines_decode() -> None:
    assert completion_reply(json.loads(piece_line("héllo"))) == Piece("héllo")
    lp = [{"token": "a", "logprob": -0.5, "bytes": [97]}]
    assert completion_reply(json.loads(piece_line("a", lp))) == Piece("a", lp)
    for logprobs in (None, lp):  # the counts so far ride on every piece (a cut generation still counts them)
        assert completion_reply(json.loads(piece_line('"b"', logprobs, 3, 11))) == Piece('"b"', logprobs, 3, 11)
    done = Finished(done_reason="length", prompt_eval_count=3, eval_count=2, context=[1, 2, 3, 4, 5])
    assert "stop_sequence" not in json.loads(done.encode())
    assert completion_reply(json.loads(done.encode())) == done
    stopped = Finished(stop_sequence="END")
    assert completion_reply(json.loads(stopped.encode())) == stopped
    assert json.loads(Embedded([0.5], 1).encode()) == {"embedding": [0.5], "prompt_eval_count": 1, "done": True}
    assert json.loads(ErrorReply("no", 400).encode()) == {"error": "no", "status": 400}
    assert json.loads(ErrorReply("boom").encode()) == {"error": "boom"}
