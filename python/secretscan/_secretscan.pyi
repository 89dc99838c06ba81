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
    check: Optional[Literal["failed"]]
    """``"failed"`` when the rule's offline check failed: a ``low`` finding of
    the provider's exact shape, which redaction still removes."""
    glued: bool
    """True for a fixed-length token glued to the text after it
    (``AKIA…status=200``): ``low``, redacted at the token's exact length."""

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
        known: Optional[KnownSecrets] = None,
    ) -> None:
        """``known`` adds a deployment's own values, followed through
        rotations: each call uses the set as of that call. Known values'
        findings have confidence ``high``, so ``high`` decides for them."""
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

    def __init__(self, guard: Optional[Guard] = None) -> None:
        """A guard built with ``known=`` lends the stream its known values;
        a new set (a rotation) takes effect from the next ``push``."""
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

class KnownSecretsWarning(UserWarning):
    """A known-secrets source failed to load (its last good values are kept),
    or a value was refused as too short. Names sources and values, never a
    value."""

class KnownSecrets:
    """A deployment's own secret values, redacted wherever they appear as
    ``[REDACTED:known:<NAME>]`` (also base64, URL, JSON and hex encoded).

    A source is a file (one value, or ``NAME=value`` lines as in ``.env``),
    a directory (one file per key, as Kubernetes mounts a Secret; the
    ``..data`` symlink swap is followed), ``env:NAME`` or ``env:GLOB``.

    Hot reload, without a thread: each use (``redact``, ``names``, ``len``,
    a Guard's ``check``/``redact``/``scan``, a stream's ``push``) re-reads the
    sources when ``poll`` seconds have passed since the last read. A value
    that leaves its source (the old key after a rotation) stays redacted for
    ``keep_rotated`` seconds. A source that fails to load keeps its last good
    values, with a :class:`KnownSecretsWarning` (once per new failure on
    polls, each time on :meth:`reload`). Values shorter than ``min_len``
    bytes are refused with a warning that names them. No method returns or
    prints a value.

    Raises ValueError when a source cannot be loaded at construction (there
    is no last good set yet), for ``min_len`` below 8, or for a negative
    ``keep_rotated`` or ``poll``; TypeError for a single string instead of a
    list.
    """

    def __init__(
        self,
        sources: Sequence[Union[str, PathLike[str]]],
        *,
        min_len: int = 8,
        keep_rotated: float = 86400.0,
        poll: float = 2.0,
    ) -> None: ...
    def reload(self) -> bool:
        """Re-reads every source now, whatever ``poll`` says; returns whether
        the set of values changed. A failed source keeps its last good values
        and is reported as a :class:`KnownSecretsWarning`."""
    def names(self) -> list[str]:
        """The names of the values redacted now (current ones and rotated-out
        ones still in their window), sorted, each once."""
    @overload
    def redact(self, text: str, /) -> str: ...
    @overload
    def redact(self, text: bytes, /) -> bytes: ...
    def __len__(self) -> int:
        """The number of values redacted now."""
