"""Executable runbooks: Markdown an operator reads, steps cloudops runs (``model``, ``parse``, ``render``,
``catalog``)."""
