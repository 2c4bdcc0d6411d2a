"""Ollama's model/renderers/ornith_test.go: every case, same inputs and expected prompts."""

from __future__ import annotations

from pollama.prompt.renderers import render


def test_matches_assistant_history_think_blocks():
    msgs = [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Now say bye."},
    ]
    want = (
        "<|im_start|>user\n"
        "Say hello.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
        "\n"
        "</think>\n"
        "\n"
        "Hello.<|im_end|>\n"
        "<|im_start|>user\n"
        "Now say bye.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
    )
    assert render("ornith", msgs, None, None) == want


def test_keeps_assistant_think_blocks_when_thinking_disabled():
    msgs = [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "thinking": "Keep it short.", "content": "Hello."},
        {"role": "user", "content": "Now say bye."},
    ]
    want = (
        "<|im_start|>user\n"
        "Say hello.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
        "Keep it short.\n"
        "</think>\n"
        "\n"
        "Hello.<|im_end|>\n"
        "<|im_start|>user\n"
        "Now say bye.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
        "\n"
        "</think>\n"
        "\n"
    )
    assert render("ornith", msgs, None, False) == want
