"""The inference core every API surface shares (as Ollama's server/routes.go shares prompt.go and its
runner): checks, prompt rendering and fitting, the runner's output parsed into typed events.

    route (/api, /v1 OpenAI, /v1/messages Anthropic)   parses its request, resolves the model
      -> inference.generate / inference.chat            yields Delta ... Done   (events.py)
           prompt.py   render the prompt, fit it to the context
           output.py   split the output into thinking / content / tool calls
           -> scheduler (pollama.sched) -> runner (pollama.runner.protocol)
      <- the route's encoder turns the events into its own wire shape (pollama.server.streaming)
"""

from pollama.inference.events import Delta, Done, Event, Metrics, merge
from pollama.inference.stream import chat, embed_texts, generate, resolve_model

__all__ = ["Delta", "Done", "Event", "Metrics", "merge", "chat", "embed_texts", "generate", "resolve_model"]
