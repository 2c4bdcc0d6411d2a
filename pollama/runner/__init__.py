"""The model runner: a child process that owns one loaded model (see `python -m pollama.runner --help`).

`pollama.runner.client.RunnerProcess` starts and talks to it. Importing this package does not load
llama.cpp; only the runner process itself does.
"""

__all__: list[str] = []
