"""Settings: read from the environment, checked, and never showing a token."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import load_settings


def test_download_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIEF_FETCH_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("NEWSBRIEF_FEED_MAX_BYTES", "123456")
    settings = load_settings()
    assert (settings.fetch_timeout_seconds, settings.feed_max_bytes) == (2.5, 123456)


@pytest.mark.parametrize("name", ["NEWSBRIEF_FETCH_TIMEOUT_SECONDS", "NEWSBRIEF_FEED_MAX_BYTES"])
def test_a_limit_must_be_positive(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValidationError):
        load_settings()


def test_tokens_do_not_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-discord-token-value")
    settings = load_settings()
    assert settings.discord_token is not None
    assert "secret-discord-token-value" not in repr(settings) + str(settings)


async def test_the_runtime_downloads_within_the_settings(tmp_path: Path) -> None:
    from bot.runtime import build_runtime

    settings = load_settings(data_dir=tmp_path, fetch_timeout_seconds=3, feed_max_bytes=4096)
    runtime = await build_runtime(settings, {}, nlp_processes=0)
    try:
        assert (runtime.config.fetch_timeout, runtime.config.feed_max_bytes) == (3, 4096)
    finally:
        await runtime.aclose()
