"""applications as events

Revision ID: 9c3d2a61e4b7
Revises: 7a1c0e5b2f10
Create Date: 2026-11-23 17:20:00
"""
import sqlalchemy as sa
from alembic import op

import accord.db

revision = '9c3d2a61e4b7'
down_revision = '7a1c0e5b2f10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('created_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('failed_checks', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['user_account.id'], name=op.f('fk_application_applicant_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_application_dataset_id_dataset'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application'))
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index('ix_application_queue', ['dataset_id', 'status', 'submitted_at'], unique=False)

    op.create_table('application_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_application_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_application_event_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_event')),
    sa.UniqueConstraint('application_id', 'seq', name=op.f('uq_application_event_application_id_seq'))
    )


def downgrade() -> None:
    op.drop_table('application_event')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_queue')
        batch_op.drop_index(batch_op.f('ix_application_applicant_id'))
    op.drop_table('application')
