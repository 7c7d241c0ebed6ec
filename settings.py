"""Runtime configuration, read from the environment (or a `.env` file)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite://gridhub.sqlite3",
        description="sqlite://PATH (embedded default) or postgres://user@host:port/db",
    )
    cache_url: str = Field("memory://", description="memory:// or redis://host:port/db")
    demo_mode: bool = Field(False, description="allow demo users and demo secrets")
    jwt_secret: str | None = Field(None, description="HS256 secret for sign-in tokens")
    token_minutes: int = Field(60, ge=1, description="how long a sign-in token lasts")
    default_page_size: int = Field(20, ge=1)
    max_page_size: int = Field(500, ge=1, description="largest `first` a connection accepts")
    compiled_reads: bool = Field(True, description="answer plain reads with one SQL statement per root field")
    host: str = "127.0.0.1"
    port: int = 8000


def tortoise_config(database_url: str) -> dict:
    """The Tortoise config for one database; migrations live in models/migrations."""
    return {
        "connections": {"default": database_url},
        "apps": {
            "gridhub": {
                "models": ["models"],
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` CLI (makemigrations): `tortoise -c settings.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config(Settings().database_url)
