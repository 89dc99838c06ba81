import io
import logging

import secretscan


def make_logger(stream, name):
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(secretscan.RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def test_filter_redacts_messages_args_and_tracebacks(pat):
    out = io.StringIO()
    log = make_logger(out, "t1")
    log.info("calling with %s", pat)
    log.info("plain message")
    try:
        raise RuntimeError(f"upstream refused {pat}")
    except RuntimeError:
        log.exception("request failed")
    text = out.getvalue()
    assert pat not in text
    assert "INFO calling with [REDACTED:github-pat]" in text
    assert "INFO plain message" in text
    assert "RuntimeError: upstream refused [REDACTED:github-pat]" in text
    assert "Traceback" in text


def test_filter_keeps_clean_records_untouched():
    record = logging.LogRecord("n", logging.INFO, __file__, 1, "a %s c", ("b",), None)
    assert secretscan.RedactingFilter().filter(record)
    assert record.msg == "a %s c" and record.args == ("b",)
