"""structlog JSON logging for every process, stdlib loggers (aiokafka,
uvicorn) included, so operators read one format."""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import orjson
import structlog
import structlog.tracebacks

from hub.pii import mask_processor

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    # Tracebacks as data, without local variables: they hold customers' messages.
    structlog.processors.ExceptionRenderer(
        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)),
    mask_processor,
]


def _render(_logger: Any, _name: str, event_dict: dict) -> str:
    # Non-string keys would make orjson raise and the line would be lost.
    return orjson.dumps(event_dict, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def logging_dict_config(level: str = "INFO") -> dict:
    """A logging.config dict routing stdlib records through structlog's JSON renderer."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, _render],
                "foreign_pre_chain": _SHARED,
            }
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # aiokafka's INFO is chatty but says when groups join: keep it for DEBUG runs.
            "aiokafka": {"level": "DEBUG" if level == "DEBUG" else "WARNING"},
            "uvicorn.access": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_dict_config(level))
    structlog.configure(
        # Level first: a line below the level costs a level check, not the whole chain.
        processors=[structlog.stdlib.filter_by_level, *_SHARED,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
