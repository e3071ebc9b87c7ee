"""entitlement: a revocation made permanent or lifted

Revision ID: 3b7e9f1c2d40
Revises: 0a9e5d7c3b21
Create Date: 2026-12-07 02:20:00
"""
from alembic import op
import sqlalchemy as sa
import accord.db


revision = '3b7e9f1c2d40'
down_revision = '0a9e5d7c3b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standing', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('standing_at', accord.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('standing_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('standing_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_entitlement_standing_by_id_user_account'), 'user_account',
                                    ['standing_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_entitlement_standing_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('standing_reason')
        batch_op.drop_column('standing_by_id')
        batch_op.drop_column('standing_at')
        batch_op.drop_column('standing')
