"""consent registry: a consent record per subject label of a dataset

Revision ID: 8c41d2e7a915
Revises: 6d6020947745
Create Date: 2026-12-07 11:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import accord.db


revision = '8c41d2e7a915'
down_revision = '6d6020947745'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('consented_at', sa.Date(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('form_sha256', sa.String(length=64), nullable=True),
    sa.Column('form_type', sa.String(length=40), nullable=True),
    sa.Column('form_size', sa.Integer(), nullable=True),
    sa.Column('form_name', sa.String(length=200), nullable=True),
    sa.Column('withdraw_hash', sa.String(length=64), nullable=False),
    sa.Column('withdrawn_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removal_request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_consent_record_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_consent_record_dataset_id_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['removal_request_id'], ['removal_request.id'], name=op.f('fk_consent_record_removal_request_id_removal_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_record')),
    sa.UniqueConstraint('dataset_id', 'subject', name=op.f('uq_consent_record_dataset_id_subject')),
    sa.UniqueConstraint('withdraw_hash', name=op.f('uq_consent_record_withdraw_hash'))
    )


def downgrade() -> None:
    op.drop_table('consent_record')
