"""OCI distribution client: `pull` and `push` models, with Ollama's progress objects.

Works with registry.ollama.ai and with any standard registry (Docker distribution, Harbor, ...):
bearer-token and Basic auth, blobs served directly or redirected, resumable parallel downloads.
"""

from pollama.registry.errors import RegistryError
from pollama.registry.pull import pull
from pollama.registry.push import push

__all__ = ["RegistryError", "pull", "push"]
