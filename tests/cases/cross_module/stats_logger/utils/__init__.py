"""The project's helpers."""
