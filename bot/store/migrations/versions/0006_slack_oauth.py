"""Slack OAuth (HTTP mode, many workspaces): the installation and OAuth-state tables of
slack_sdk's SQLAlchemy stores, in the bot's own database and under Alembic like the rest.
The columns are slack_sdk's (3.x) as its stores read and write them; a database where an
earlier version created them with ``create_all`` keeps its tables (and installations).

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
STATES = "slack_oauth_states"


def _bot_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
    ]


def _team_bot_columns() -> list[sa.Column[object]]:
    """The workspace and its bot token, as both tables hold them."""
    return [
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if INSTALLATIONS not in existing:
        op.create_table(
            INSTALLATIONS,
            *_bot_columns(),
            sa.Column("enterprise_url", sa.String(200)),
            *_team_bot_columns(),
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("user_token", sa.String(200)),
            sa.Column("user_scopes", sa.String(1000)),
            sa.Column("user_refresh_token", sa.String(200)),
            sa.Column("user_token_expires_at", sa.DateTime),
            sa.Column("incoming_webhook_url", sa.String(200)),
            sa.Column("incoming_webhook_channel", sa.String(200)),
            sa.Column("incoming_webhook_channel_id", sa.String(200)),
            sa.Column("incoming_webhook_configuration_url", sa.String(200)),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("token_type", sa.String(32)),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index(
            f"{INSTALLATIONS}_idx",
            INSTALLATIONS,
            ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
        )
    if BOTS not in existing:
        op.create_table(
            BOTS,
            *_bot_columns(),
            *_team_bot_columns(),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index(
            f"{BOTS}_idx", BOTS, ["client_id", "enterprise_id", "team_id", "installed_at"]
        )
    if STATES not in existing:
        op.create_table(
            STATES,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("state", sa.String(200), nullable=False),
            sa.Column("expire_at", sa.DateTime, nullable=False),
        )


def downgrade() -> None:
    op.drop_table(STATES)
    op.drop_index(f"{BOTS}_idx", table_name=BOTS)
    op.drop_table(BOTS)
    op.drop_index(f"{INSTALLATIONS}_idx", table_name=INSTALLATIONS)
    op.drop_table(INSTALLATIONS)
