"""Type stubs for the native module (src/python.rs)."""

from os import PathLike
from typing import Dict, Literal, Optional, Sequence, Union, overload

__version__: str

Action = Literal["allow", "redact", "block"]

class Finding:
    """A secret found in a text. It does not hold the secret itself."""

    rule_id: str
    """The id of the rule that found it."""
    start: int
    """Where the secret starts, as an index into the input (code points for
    a str, bytes for bytes): ``text[f.start:f.end]`` is the secret."""
    end: int
    """Where the secret ends (exclusive)."""
    line: int
    """1-based line of the secret's first character."""
    column: int
    """1-based byte column of the secret's first byte."""
    confidence: Literal["low", "medium", "high"]
    fingerprint: str
    """16 hex digits of the secret's SHA-256: which key, not the key."""
    preview: str
    """The secret masked: a few leading characters, then an ellipsis."""

class Verdict:
    """What a Guard decided about one text."""

    decision: Literal["clean", "redacted", "blocked"]
    text: Optional[Union[str, bytes]]
    """The text to pass on: the input itself when clean, the redacted text
    when redacted, None when blocked."""
    findings: list[Finding]
    """The findings the decision rests on (allowed ones are left out)."""
    @property
    def blocked(self) -> bool: ...
    @property
    def clean(self) -> bool: ...

@overload
def redact(text: str, /) -> str: ...
@overload
def redact(text: bytes, /) -> bytes: ...
def scan(text: Union[str, bytes], /) -> list[Finding]:
    """The secrets in ``text`` found by the built-in rules, in order."""

class Guard:
    """Decides per finding whether a text passes, is redacted or is blocked.

    By the finding's confidence (``low``, ``medium``, ``high``) or by its
    rule id (``rules={"aws-access-key-id": "block"}``). ``rule_files`` adds
    TOML rule files to the built-in rules (or replaces them with
    ``builtin=False``). Raises ValueError for an unknown action or rule id
    or an invalid rule file.
    """

    def __init__(
        self,
        *,
        low: Action = "redact",
        medium: Action = "redact",
        high: Action = "redact",
        rules: Optional[Dict[str, Action]] = None,
        rule_files: Sequence[Union[str, PathLike[str]]] = (),
        builtin: bool = True,
    ) -> None: ...
    def check(self, text: Union[str, bytes], /) -> Verdict:
        """Checks one text against the policy."""
    @overload
    def redact(self, text: str, /) -> str: ...
    @overload
    def redact(self, text: bytes, /) -> bytes: ...
    def scan(self, text: Union[str, bytes], /) -> list[Finding]: ...

class StreamRedactor:
    """Redacts a stream pushed in pieces, holding back only what could
    still be a secret. A stream is of str or of bytes, as its first chunk."""

    def __init__(self, guard: Optional[Guard] = None) -> None: ...
    @overload
    def push(self, chunk: str, /) -> str: ...
    @overload
    def push(self, chunk: bytes, /) -> bytes: ...
    def finish(self) -> Union[str, bytes]:
        """Ends the stream; returns everything still held back, redacted."""
    @property
    def held_back(self) -> int:
        """Bytes pushed but not yet returned."""
    @property
    def redacted(self) -> int:
        """How many secrets were redacted so far."""
    @property
    def finished(self) -> bool: ...
