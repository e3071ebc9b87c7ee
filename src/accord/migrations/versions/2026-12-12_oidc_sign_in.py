"""sign-in through OpenID Connect providers: the accounts at providers that sign in as ours (one per issuer
and subject), and the sign-ins sent to a provider and not yet answered

Revision ID: 383374e56851
Revises: 2f6b8e0c4d17
Create Date: 2026-12-12 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import accord.db


revision = '383374e56851'
down_revision = '2f6b8e0c4d17'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oidc_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('affiliation', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('linked_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_oidc_identity_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identity')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_oidc_identity_issuer_subject'))
    )
    with op.batch_alter_table('oidc_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_identity_user_id'), ['user_id'], unique=False)

    op.create_table('oidc_login_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('nonce', sa.String(length=100), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('next_url', sa.String(length=2000), nullable=False),
    sa.Column('link_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', accord.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', accord.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_user_id'], ['user_account.id'], name=op.f('fk_oidc_login_request_link_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_login_request')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_oidc_login_request_state_hash'))
    )


def downgrade() -> None:
    op.drop_table('oidc_login_request')
    with op.batch_alter_table('oidc_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_identity_user_id'))

    op.drop_table('oidc_identity')
