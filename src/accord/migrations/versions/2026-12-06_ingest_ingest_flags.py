"""ingest report: flagged files of a version

Revision ID: 7c1d2e3f4a5b
Revises: 5eed5c0a7a11
Create Date: 2026-12-06 13:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7c1d2e3f4a5b'
down_revision = '5eed5c0a7a11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ingest_flags', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('ingest_flag_count', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.drop_column('ingest_flag_count')
        batch_op.drop_column('ingest_flags')
