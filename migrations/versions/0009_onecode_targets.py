"""onecode: a code points at a typed target (equipment_codes -> codes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:10:00

Existing codes keep their strings (printed labels keep working) and become
('equipment', equipment_id). The foreign key to `equipment` goes: a target may be a
device or, later, a cylinder; the target's own domain keeps the reference sound.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'active'")


def upgrade():
    with op.batch_alter_table('equipment_codes', schema=None) as batch_op:
        batch_op.drop_index('uq_equipment_codes_active_equipment', postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)
        batch_op.drop_index(batch_op.f('ix_equipment_codes_equipment_id'))
        batch_op.drop_constraint('fk_equipment_codes_equipment_id_equipment', type_='foreignkey')
    op.rename_table('equipment_codes', 'codes')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE codes RENAME CONSTRAINT pk_equipment_codes TO pk_codes')
    # The default fills the existing rows (a catalogue-only change on PostgreSQL, no rewrite),
    # then goes: every new code names its type.
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_type', sa.String(length=32), nullable=False,
                                      server_default='equipment'))
        batch_op.alter_column('equipment_id', new_column_name='target_id', existing_type=sa.Integer(),
                              existing_nullable=False)
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.alter_column('target_type', server_default=None, existing_type=sa.String(length=32),
                              existing_nullable=False)
        batch_op.create_index('ix_codes_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index('uq_codes_active_target', ['target_type', 'target_id'], unique=True,
                              postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)


def downgrade():
    op.execute("DELETE FROM codes WHERE target_type <> 'equipment'")
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.drop_index('uq_codes_active_target', postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)
        batch_op.drop_index('ix_codes_target')
        batch_op.drop_column('target_type')
        batch_op.alter_column('target_id', new_column_name='equipment_id', existing_type=sa.Integer(),
                              existing_nullable=False)
    op.rename_table('codes', 'equipment_codes')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE equipment_codes RENAME CONSTRAINT pk_codes TO pk_equipment_codes')
    with op.batch_alter_table('equipment_codes', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_equipment_codes_equipment_id_equipment', 'equipment', ['equipment_id'], ['id'])
        batch_op.create_index('ix_equipment_codes_equipment_id', ['equipment_id'], unique=False)
        batch_op.create_index('uq_equipment_codes_active_equipment', ['equipment_id'], unique=True,
                              postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)
