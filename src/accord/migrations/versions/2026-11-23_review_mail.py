"""review mail preference and escalation mark

Revision ID: 3e8b6a0d9c21
Revises: 5d1f0c2b7e93
Create Date: 2026-11-23 18:05:00
"""
from alembic import op
import sqlalchemy as sa
import accord.db


revision = '3e8b6a0d9c21'
down_revision = '5d1f0c2b7e93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', accord.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_mail', sa.String(length=10), server_default='each', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('review_mail')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
