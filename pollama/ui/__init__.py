"""The web chat page served at /ui (pollama.server.ui): plain ES modules, CSS and the pinned libraries in
vendor/, shipped as they are (no build step)."""
