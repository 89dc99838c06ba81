import io
import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import agent_middleware  # noqa: E402


def test_agent_middleware_lets_no_key_through():
    out = io.StringIO()
    shield = agent_middleware.main(out)
    text = out.getvalue()
    for key in (agent_middleware.OPENAI_KEY, agent_middleware.GITHUB_PAT):
        assert key not in text
        assert key not in repr(shield.transcript)
    # The OpenAI key (format only) was redacted in the tool output and so
    # never reached the model; the verified GitHub token blocked its tool.
    assert "OPENAI_API_KEY=[REDACTED:openai-api-key]" in text
    assert "[tool output withheld by secretscan: it contained github-pat]" in text
    assert shield.transcript[-1]["role"] == "assistant"
    # The token the model recalled was redacted in the stream itself.
    assert "The token you pasted earlier, [REDACTED:github-pat], has" in text


def test_agent_middleware_runs_as_a_script():
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "agent_middleware.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert agent_middleware.OPENAI_KEY not in run.stdout + run.stderr
    assert "withheld" in run.stderr  # the warning, through the filter
