"""custodian short name and contact on datasets

Revision ID: 5eed5c0a7a11
Revises: 0954a4fa0a71
Create Date: 2026-12-06 12:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5eed5c0a7a11'
down_revision = '0954a4fa0a71'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custodian_short', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('custodian_contact', sa.String(length=300), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_column('custodian_contact')
        batch_op.drop_column('custodian_short')
