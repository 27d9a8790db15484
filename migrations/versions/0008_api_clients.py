"""api clients: machine callers of /open/v1, their signing keys; audit entries name the client

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:20:00

Adding a nullable column to audit_entries rewrites no row, so the append-only trigger
(migration 0001) is not involved; the hash chain covers the column only when it is set.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('scopes', JSON, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_person_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_api_clients_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients'))
    )
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_clients_unit_id'), ['unit_id'], unique=False)

    op.create_table('api_client_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_client_keys_client_id_api_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_api_client_keys_key_id'))
    )
    with op.batch_alter_table('api_client_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_client_keys_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_client_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_client_id'), ['actor_client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_client_id'))
        batch_op.drop_column('actor_client_id')

    with op.batch_alter_table('api_client_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_client_keys_client_id'))
    op.drop_table('api_client_keys')
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_clients_unit_id'))
    op.drop_table('api_clients')
