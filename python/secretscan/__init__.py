"""Find and redact secrets (API keys, tokens, private keys, passwords).

The engine is secretscan's Rust crate, compiled into this package:

>>> import secretscan
>>> secretscan.redact("nothing secret here")
'nothing secret here'

- :func:`redact` and :func:`scan` check one ``str`` or ``bytes`` with the
  built-in rules; the result has the input's type.
- :class:`Guard` decides per finding (by confidence or rule) whether a text
  passes, is redacted or is blocked.
- :class:`StreamRedactor` redacts a stream pushed piece by piece (an LLM's
  tokens); :func:`redact_stream` and :func:`aredact_stream` wrap any
  iterator or async iterator of chunks.
- :class:`RedactingFilter` redacts every record of a :mod:`logging` handler.
- :class:`KnownSecrets` redacts a deployment's own values (files, mounted
  Kubernetes Secrets, environment variables), re-read on use every ``poll``
  seconds so that a rotation is followed without a restart; pass it to
  :class:`Guard` (``known=``) to guard and stream with it.

Findings never hold the secret, only where it is, which rule found it, a
fingerprint and a masked preview. Large inputs are scanned with the GIL
released.
"""

from __future__ import annotations

import logging
import traceback
from typing import AnyStr, AsyncIterable, AsyncIterator, Iterable, Iterator, Optional

from ._secretscan import (
    Finding,
    Guard,
    KnownSecrets,
    KnownSecretsWarning,
    StreamRedactor,
    Verdict,
    __version__,
    redact,
    scan,
)

__all__ = [
    "Finding",
    "Guard",
    "KnownSecrets",
    "KnownSecretsWarning",
    "RedactingFilter",
    "StreamRedactor",
    "Verdict",
    "__version__",
    "aredact_stream",
    "redact",
    "redact_stream",
    "scan",
]


def redact_stream(
    chunks: Iterable[AnyStr], guard: Optional[Guard] = None
) -> Iterator[AnyStr]:
    """Yields the chunks of ``chunks`` redacted, as soon as each piece is safe.

    Only what could still be a secret is held back; the rest of each chunk
    is yielded at once (empty pieces are skipped). The pieces joined equal
    ``redact("".join(chunks))``. If ``chunks`` raises, the held-back bytes
    are dropped, not yielded: they may be the start of a cut-off secret.
    """
    stream = StreamRedactor(guard)
    for chunk in chunks:
        out = stream.push(chunk)
        if out:
            yield out
    tail = stream.finish()
    if tail:
        yield tail


async def aredact_stream(
    chunks: AsyncIterable[AnyStr], guard: Optional[Guard] = None
) -> AsyncIterator[AnyStr]:
    """:func:`redact_stream` for an async iterator (an async LLM client's
    stream of text deltas, say)."""
    stream = StreamRedactor(guard)
    async for chunk in chunks:
        out = stream.push(chunk)
        if out:
            yield out
    tail = stream.finish()
    if tail:
        yield tail


class RedactingFilter(logging.Filter):
    """A :class:`logging.Filter` that redacts every record it sees.

    Attach it to a handler (``handler.addFilter(RedactingFilter())``) so
    that everything the handler writes is redacted, whichever logger the
    record came from. The record's message is formatted with its arguments
    and redacted (``record.args`` is cleared), and so are the formatted
    exception and stack, which are stored on the record where
    :class:`logging.Formatter` looks for them. Records are never dropped.
    """

    def __init__(self, guard: Optional[Guard] = None, name: str = "") -> None:
        super().__init__(name)
        self._redact = guard.redact if guard is not None else redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted is not message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = self._redact(text.rstrip("\n"))
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True
