"""Secret-safe middleware for an agent loop: no key reaches the user, the
transcript or the model's context.

An agent loop has three doors a key walks out through:

1. the model's streamed answer, shown token by token to the user;
2. a tool's output (a shell command, a file read, an HTTP response), which
   goes into the model's context and from there into its answers;
3. the transcript and the logs, kept and shipped elsewhere.

`SecretShield` guards all three with one `secretscan.Guard`. The model and
the tool here are stand-ins (no network): the model echoes a key it saw,
the tool prints an environment with keys in it. Run it:

    python python/examples/agent_middleware.py
"""

from __future__ import annotations

import logging
import random
import string
import sys
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import secretscan

log = logging.getLogger("agent")


@dataclass
class SecretShield:
    """Wraps an agent loop's model stream and tool outputs."""

    # Redact keys by default; refuse a tool output outright when it holds a
    # key whose checksum proves it real (a live credential in a tool result
    # is an incident, not just noise).
    guard: secretscan.Guard = field(default_factory=lambda: secretscan.Guard(high="block"))
    transcript: list[dict] = field(default_factory=list)

    def model_stream(self, tokens: Iterable[str]) -> Iterator[str]:
        """Passes the model's tokens to the user as soon as they are safe,
        and records the redacted answer in the transcript."""
        answer = []
        for piece in secretscan.redact_stream(tokens, self.guard):
            answer.append(piece)
            yield piece
        self.transcript.append({"role": "assistant", "content": "".join(answer)})

    def tool_output(self, tool: str, output: str) -> str:
        """What the model gets to see of a tool's output."""
        verdict = self.guard.check(output)
        if verdict.blocked:
            rules = ", ".join(sorted({f.rule_id for f in verdict.findings}))
            log.warning("tool %s output withheld: %s", tool, rules)
            safe = f"[tool output withheld by secretscan: it contained {rules}]"
        else:
            if verdict.findings:
                log.info("tool %s output: %d secret(s) redacted", tool, len(verdict.findings))
            safe = verdict.text
        self.transcript.append({"role": "tool", "name": tool, "content": safe})
        return safe


# --- stand-ins for a model and tools ---------------------------------------


def fake_key(prefix: str, n: int, seed: int) -> str:
    """A key-shaped string made at run time (no key sits in this file)."""
    rng = random.Random(seed)
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def fake_github_pat(seed: int) -> str:
    """A GitHub token whose checksum verifies (confidence high)."""
    body = fake_key("", 30, seed)
    n, digits = zlib.crc32(body.encode()), ""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    for _ in range(6):
        n, d = divmod(n, 62)
        digits = alphabet[d] + digits
    return "ghp_" + body + digits


OPENAI_KEY = fake_key("sk-proj-", 48, 1) + "T3BlbkFJ" + fake_key("", 48, 2)
GITHUB_PAT = fake_github_pat(3)


def tool_env() -> str:
    return f"HOME=/home/app\nOPENAI_API_KEY={OPENAI_KEY}\nLANG=C.UTF-8\n"


def tool_git_remote() -> str:
    return f"origin\thttps://x-access-token:{GITHUB_PAT}@github.com/acme/app.git (fetch)\n"


def fake_model(context: list[str]) -> Iterator[str]:
    """Streams an answer token by token, as an LLM client does."""
    env = next(c for c in context if "OPENAI_API_KEY" in c)
    seen = env.split("OPENAI_API_KEY=")[1].split()[0]
    # The model repeats what its context showed it, and also a token the
    # user pasted into the chat earlier: only the stream guard stops that.
    answer = (
        f"I checked the environment. Your OpenAI key is {seen} and the deploy "
        f"looks fine. The token you pasted earlier, {GITHUB_PAT}, has repo scope."
    )
    rng = random.Random(7)
    i = 0
    while i < len(answer):
        n = rng.randint(1, 6)
        yield answer[i : i + n]
        i += n


def main(out=sys.stdout) -> SecretShield:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(secretscan.RedactingFilter())

    shield = SecretShield()
    context: list[str] = []
    tools: dict[str, Callable[[], str]] = {"env": tool_env, "git_remote": tool_git_remote}
    for name, tool in tools.items():
        raw = tool()
        log.debug("raw tool output: %s", raw)  # the filter redacts it if enabled
        context.append(shield.tool_output(name, raw))
    print("model context:", context, file=out)
    print("assistant: ", end="", file=out)
    for piece in shield.model_stream(fake_model(context)):
        print(piece, end="", file=out, flush=True)
    print(file=out)
    print("transcript:", shield.transcript, file=out)
    return shield


if __name__ == "__main__":
    main()
