"""audit log: which dataset an event is about (the curators' view), with indexes for browsing and for an
object's history

Events written from now on carry it (audit.record writes it into the hashed data as well); older ones get it
here from what they name: their data's dataset_id, a dataset object, or the row of the object they name. The
hash chain is untouched: the column is not part of any event's hash.

Revision ID: 2f6b8e0c4d17
Revises: 84367fa6d981
Create Date: 2026-12-10 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '2f6b8e0c4d17'
down_revision = '84367fa6d981'
branch_labels = None
depends_on = None

# object_type -> the SQL giving the dataset of the row named by audit_event.object_id
BY_OBJECT = {
    'dataset_version': "SELECT t.dataset_id FROM dataset_version t",
    'application': "SELECT t.dataset_id FROM application t",
    'entitlement': "SELECT t.dataset_id FROM entitlement t",
    'removal_request': "SELECT t.dataset_id FROM removal_request t",
    'deletion_notice': "SELECT t.dataset_id FROM deletion_notice t",
    'anonymisation': "SELECT t.dataset_id FROM anonymisation t",
    'consent_record': "SELECT t.dataset_id FROM consent_record t",
    'training_certificate': "SELECT COALESCE(t.dataset_id, (SELECT a.dataset_id FROM application a"
    " WHERE a.id = t.application_id)) FROM training_certificate t",
}


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dataset_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_event_dataset_id', ['dataset_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_actor', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
    backfill()


def backfill() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        named = (
            "CAST(data->>'dataset_id' AS INTEGER)",
            "json_typeof(data->'dataset_id') = 'number'",
        )
    else:
        named = ("json_extract(data, '$.dataset_id')", "json_type(data, '$.dataset_id') = 'integer'")
    op.execute(f"UPDATE audit_event SET dataset_id = {named[0]} WHERE {named[1]}")
    op.execute(
        "UPDATE audit_event SET dataset_id = CAST(object_id AS INTEGER) "
        "WHERE dataset_id IS NULL AND object_type = 'dataset' "
        "AND object_id IN (SELECT CAST(id AS VARCHAR(100)) FROM dataset)"
    )
    for object_type, query in BY_OBJECT.items():
        op.execute(
            f"UPDATE audit_event SET dataset_id = ({query} WHERE CAST(t.id AS VARCHAR(100)) = audit_event.object_id) "
            f"WHERE dataset_id IS NULL AND object_type = '{object_type}'"
        )


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index('ix_audit_event_at')
        batch_op.drop_index('ix_audit_event_actor')
        batch_op.drop_index('ix_audit_event_dataset_id')
        batch_op.drop_column('dataset_id')
