"""Cheap questions about a module's text, asked before it is parsed (the flake8 entry point asks
them before it imports the rules: this module imports nothing but ``re``)."""

from __future__ import annotations

import re

_LOG_METHOD_CALL = re.compile(r"\.\s*log\w*\s*\(")
_LOGGER_BEFORE = re.compile(r"(?:[Ll]ogger|[Tt]racker)\w*\s*$")


def calls_a_handed_logger(source: str) -> bool:
    """The text calls a log method of something named for a logger or tracker
    (``logger.log(...)``, ``self.logger.log_metrics(...)``): a module that never names wandb may
    log to it through a project logger its callers hand it (the project view decides). A few
    rules also run on such a module (``Rule.handed``)."""
    for match in _LOG_METHOD_CALL.finditer(source):
        if _LOGGER_BEFORE.search(source, max(0, match.start() - 40), match.start()):
            return True
    return False
