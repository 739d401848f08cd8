"""Settings from the environment and a .env file; only the composition root loads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the bot. Tokens are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBRIEF_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite in data_dir
    allow_private_networks: bool = False  # tests turn this on for their loopback servers
    log_level: str = "INFO"
    poll_interval_minutes: int = 15
    fetch_timeout_seconds: float = Field(default=10.0, gt=0)  # connect and read, per request
    feed_max_bytes: int = Field(default=10_000_000, gt=0)  # a feed or page is cut here
    nlp_processes: int = 2
    # The most characters of an article the engine reads (its memory grows with the text:
    # a parser process peaks at about 320 MB with 50,000, 500 MB with 100,000); the whole
    # article is stored all the same. 50,000 characters is about 8,000 words.
    nlp_max_chars: int = Field(default=50_000, gt=0)
    # How long a process holds the feeds it polls and the articles it parses; a process that
    # died without releasing them (SIGKILL on another machine) loses them after this.
    feed_lease_seconds: float = Field(default=600.0, gt=0)
    # SIGTERM or SIGINT: how long a briefing being posted may take to finish the message it
    # is posting (a 429's wait included) before it is cut off; the rest is posted at the
    # next start. A second signal cuts it off at once.
    stop_grace_seconds: float = Field(default=10.0, ge=0)

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "NEWSBRIEF_DISCORD_TOKEN")
    )
    discord_guild_id: int | None = None  # sync commands to this guild only (development)
    discord_shards: int | None = None  # use AutoShardedClient when set
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "NEWSBRIEF_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "NEWSBRIEF_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "NEWSBRIEF_SLACK_SIGNING_SECRET"),
    )
    slack_managers: list[str] = Field(default_factory=list)  # user ids allowed to configure
    # HTTP mode with OAuth (many workspaces): the app's client id and secret.
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "NEWSBRIEF_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "NEWSBRIEF_SLACK_CLIENT_SECRET"),
    )
    slack_host: str = "0.0.0.0"  # where the HTTP-mode endpoint listens
    slack_port: int = 3000
    # Slack's Web API base URL, for a proxy or a test double; every Slack client uses it.
    slack_api_url: str = "https://slack.com/api/"

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, like https://slack.com/api/")
        # slack_sdk joins method names onto it: without the slash, "api" would be replaced.
        return value if value.endswith("/") else value + "/"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'newsbrief.db').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings now (never at import time); keyword arguments win over the environment."""
    return Settings(**overrides)
