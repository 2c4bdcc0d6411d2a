"""One pollama server for the client-compatibility suite, with tiny random-weight models on it.

Models: `tiny` (SmolLM2's template, no tools), `tiny-tools` (a Qwen-style template that describes
tools and answers in <tool_call> tags), `tiny-think` (a template with a <think> block), `tinybert`
(an embedding model). The official clients only ever get the server's base URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.tiny_gguf import make_tiny_bert, make_tiny_llama
from model_upload import create_from_gguf
from server_proc import Server

TOOLS_TEMPLATE = """\
{%- if tools %}<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}{% else %}You are a helpful assistant.{% endif %}

# Tools

You may call one or more functions to assist with the user query.

<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> \
XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{% elif messages[0].role == 'system' %}<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% elif message.role == 'assistant' %}<|im_start|>assistant
{% if message.content %}{{ message.content }}{% endif %}
{%- if message.tool_calls %}{% for tool_call in message.tool_calls %}
<tool_call>
{"name": "{{ tool_call.function.name }}", "arguments": {{ tool_call.function.arguments | tojson }}}
</tool_call>{% endfor %}{% endif %}<|im_end|>
{% elif message.role == 'tool' %}<|im_start|>user
<tool_response>
{{ message.content }}
</tool_response><|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""

THINK_TEMPLATE = """\
{%- for message in messages %}<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% if enable_thinking is defined and enable_thinking is false %}<think>

</think>

{% else %}<think>
{% endif %}{% endif %}"""


@pytest.fixture(scope="session")
def gguf_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compat-gguf")
    return {
        "tiny": make_tiny_llama(root / "tiny.gguf"),
        "tiny-tools": make_tiny_llama(root / "tools.gguf", chat_template=TOOLS_TEMPLATE, seed=1),
        "tiny-think": make_tiny_llama(root / "think.gguf", chat_template=THINK_TEMPLATE, seed=2),
        "tinybert": make_tiny_bert(root / "bert.gguf"),
    }


@pytest.fixture(scope="session")
def compat_server(tmp_path_factory: pytest.TempPathFactory, gguf_files: dict[str, Path]) -> Iterator[Server]:
    env = {"OLLAMA_NUM_PARALLEL": "2", "OLLAMA_MAX_LOADED_MODELS": "4", "OLLAMA_KEEP_ALIVE": "10m"}
    with Server(tmp_path_factory.mktemp("compat") / "models", env) as srv:
        with srv.client() as http:
            for name, path in gguf_files.items():
                create_from_gguf(http, name, path)
        yield srv


@pytest.fixture()
def base_url(compat_server: Server) -> str:
    return compat_server.url
