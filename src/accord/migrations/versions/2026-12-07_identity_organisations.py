"""registered organisations (their mail domains count as institutional)

Revision ID: 0a9e5d7c3b21
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-07 02:30:00
"""
from alembic import op
import sqlalchemy as sa

import accord.db


revision = '0a9e5d7c3b21'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('registered_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('domain', name=op.f('uq_organisation_domain'))
    )


def downgrade() -> None:
    op.drop_table('organisation')
