"""Test tokens are assembled at run time: no complete credential sits in
the repository (a scanner or push protection would rightly flag it)."""

import random
import string
import zlib

import pytest

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def base62(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        digits.append(BASE62[n % 62])
        n //= 62
    return "".join(reversed(digits))


def github_pat(seed: int = 1) -> str:
    """ghp_ + 30 random characters + their CRC32 in 6 base62 digits: a
    token whose checksum verifies, so its finding has confidence high."""
    rng = random.Random(seed)
    entropy = "".join(rng.choice(ALNUM) for _ in range(30))
    return "ghp_" + entropy + base62(zlib.crc32(entropy.encode()), 6)


def anthropic_key(seed: int = 1) -> str:
    """An Anthropic API key's shape (no checksum: confidence medium)."""
    rng = random.Random(seed)
    alphabet = ALNUM + "-_"
    return "sk-ant-api03-" + "".join(rng.choice(alphabet) for _ in range(93)) + "AA"


@pytest.fixture
def pat() -> str:
    return github_pat()


@pytest.fixture
def ant() -> str:
    return anthropic_key()
