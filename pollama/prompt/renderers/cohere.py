"""`cohere`: Cohere North / Command A 2026 (Cohere2 MoE) chat format.

A platform system turn carries the first system message and an "Available Tools" section (always
present); bodies sit in <|START_TEXT|>…<|END_TEXT|>, reasoning in <|START_THINKING|>, tool calls in an
<|START_ACTION|> JSON array and results in <|START_TOOL_RESULT|>. Tool call ids are renumbered 0, 1, …
across the conversation and results point at the number of their call. Whitespace is the template's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import arguments_value, marshal, tool_value, with_spaces
from pollama.prompt.renderers import Message, Think, Tool, register

BOS = "<BOS_TOKEN>"
SYSTEM_TURN = "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>"
USER_TURN = "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>"
CHATBOT_TURN = "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"
END_TURN = "<|END_OF_TURN_TOKEN|>"
START_TEXT, END_TEXT = "<|START_TEXT|>", "<|END_TEXT|>"
START_THINKING, END_THINKING = "<|START_THINKING|>", "<|END_THINKING|>"


def _tool_entry(tool: Tool) -> str:
    fn = tool.get("function") or {}
    params = with_spaces(marshal(tool_value(tool)["function"]["parameters"]))
    return (f'{{"name": {marshal(fn.get("name") or "")}, "description": {marshal(fn.get("description") or "")}, '
            f'"parameters": {params}, "responses": null}}')


def _tools_section(tools: Sequence[Tool]) -> str:
    entries = "".join("\n    " + _tool_entry(t) + ("," if i < len(tools) - 1 else "") + "\n\n"
                      for i, t in enumerate(tools))
    return "# Available Tools\n```json\n[\n" + (entries or "\n\n") + "\n]\n```"


def _tool_result(call_id: str, content: str) -> str:
    wrapped = with_spaces(marshal({"content": content}))
    return ('\n    {\n        "tool_call_id": "' + call_id + '",\n        "results": {\n\n            \n'
            '            "0": ' + wrapped + '\n\n        },\n        "is_error": null\n    }')


def _thinking(message: Message) -> str:
    thinking = message.get("thinking") or ""
    return START_THINKING + thinking + END_THINKING if thinking else ""


class _CallIds:
    """Sequential ids for tool calls; a result finds its call's number through the client's id."""

    def __init__(self) -> None:
        self._count = 0
        self._by_client_id: dict[str, str] = {}

    def next(self, client_id: str) -> str:
        number = str(self._count)
        self._count += 1
        if client_id:
            self._by_client_id.setdefault(client_id, number)
        return number

    def for_result(self, client_id: str) -> str:
        return self._by_client_id.get(client_id, client_id)


def _action(call: Mapping[str, Any], ids: _CallIds) -> str:
    fn = call.get("function") or {}
    args = with_spaces(marshal(arguments_value(fn.get("arguments"))))
    return ('\n\n    {"tool_call_id": "' + ids.next(call.get("id") or "") + '", "tool_name": "'
            + (fn.get("name") or "") + '", "parameters": ' + args + "}")


class CohereRenderer:
    leading_bos = BOS

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
        reasoning = think is None or bool(think)
        system, rest = "", list(messages)
        if rest and str(rest[0].get("role", "")).lower() == "system":
            system, rest = rest[0].get("content") or "", rest[1:]
        out = [SYSTEM_TURN, START_TEXT, system + "\n\n\n\n" if system else "", _tools_section(tools or []),
               END_TEXT, END_TURN]
        ids = _CallIds()
        prefill = False
        i = 0
        while i < len(rest):
            role = str(rest[i].get("role", "")).lower()
            if role == "tool":
                group = [rest[i]]
                while i + 1 < len(rest) and str(rest[i + 1].get("role", "")).lower() == "tool":
                    i += 1
                    group.append(rest[i])
                out.append(self._tool_results(group, ids))
            elif role in ("assistant", "chatbot"):
                prefill = i == len(rest) - 1 and not rest[i].get("tool_calls")
                out.append(self._assistant(rest[i], ids, prefill))
            elif role in ("system", "user"):
                turn = SYSTEM_TURN if role == "system" else USER_TURN
                out.append(turn + START_TEXT + (rest[i].get("content") or "") + END_TEXT + END_TURN)
            i += 1
        if not prefill:
            out.append(CHATBOT_TURN + START_THINKING + ("" if reasoning else END_THINKING))
        return "".join(out)

    @staticmethod
    def _assistant(message: Message, ids: _CallIds, prefill: bool) -> str:
        calls = message.get("tool_calls") or []
        if not calls:
            text = CHATBOT_TURN + _thinking(message) + START_TEXT + (message.get("content") or "")
            return text if prefill else text + END_TEXT + END_TURN
        actions = ",".join(_action(call, ids) for call in calls)
        return (CHATBOT_TURN + "\n            \n                " + _thinking(message) + "<|START_ACTION|>["
                + actions + "\n\n]<|END_ACTION|>" + END_TURN)

    @staticmethod
    def _tool_results(group: Sequence[Message], ids: _CallIds) -> str:
        results = ",".join(_tool_result(ids.for_result(m.get("tool_call_id") or ""), m.get("content") or "")
                           for m in group)
        return SYSTEM_TURN + "<|START_TOOL_RESULT|>[" + results + "\n\n]<|END_TOOL_RESULT|>" + END_TURN


register("cohere", CohereRenderer)
