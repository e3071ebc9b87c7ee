"""download log

Revision ID: 5d1f0c2b7e93
Revises: 4457390a1338
Create Date: 2026-11-23 17:30:00
"""
from alembic import op
import sqlalchemy as sa
import accord.db


revision = '5d1f0c2b7e93'
down_revision = '4457390a1338'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('download_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('object', sa.String(length=200), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entitlement_id'], ['entitlement.id'], name=op.f('fk_download_log_entitlement_id_entitlement'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_download_log_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_version.id'], name=op.f('fk_download_log_version_id_dataset_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_download_log'))
    )
    with op.batch_alter_table('download_log', schema=None) as batch_op:
        batch_op.create_index('ix_download_log_user_at', ['user_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('download_log', schema=None) as batch_op:
        batch_op.drop_index('ix_download_log_user_at')
    op.drop_table('download_log')
