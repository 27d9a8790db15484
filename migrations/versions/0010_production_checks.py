"""production checks: Order 73 daily records of production units (no device), their default list

Revision ID: 0010
Revises: 0008 (re-chained to 0009 when merged)
Create Date: 2026-12-02 01:00:00

A production unit's daily check (日管控, 总局令第73号) has no device: `daily_checks.equipment_id`
becomes nullable and such records are unique per 质量安全员 and day (partial index). The
platform's default production-quality checklist is stored under kind_code 'PROD'.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PRODUCTION_ITEMS = [
    ("p1", "设计文件、工艺文件经审核批准，现场使用的文件为有效版本"),
    ("p2", "原材料、零部件进货验收记录齐全，材质证明与实物相符，标识可追溯"),
    ("p3", "焊接按评定合格的工艺施焊，焊工持证且在合格项目范围内作业"),
    ("p4", "无损检测、理化检验按规定比例和标准实施，报告及时、结论明确"),
    ("p5", "安装、改造、修理、维保过程按作业指导书施工，过程记录完整"),
    ("p6", "出厂检验（或自检）按规定项目实施，不合格的产品未出厂、未交付"),
    ("p7", "不合格品已标识、隔离并按程序评审处置，纠正措施已落实"),
    ("p8", "作业人员、检验检测人员持证上岗，证书在有效期内"),
    ("p9", "计量器具、检测设备在检定（校准）有效期内，状态标识清楚"),
    ("p10", "生产（作业）现场安全防护到位，无违章指挥、违章作业"),
]


def upgrade():
    with op.batch_alter_table('daily_checks', schema=None) as batch_op:
        batch_op.alter_column('equipment_id', existing_type=sa.Integer(), nullable=True)
    op.create_index('uq_daily_checks_production_officer_day', 'daily_checks', ['officer_person_id', 'check_date'],
                    unique=True, postgresql_where=sa.text('equipment_id IS NULL'),
                    sqlite_where=sa.text('equipment_id IS NULL'))
    checklists = sa.table("checklists", sa.column("unit_id"), sa.column("kind_code"), sa.column("name"),
                          sa.column("items", sa.JSON), sa.column("created_at"), sa.column("updated_at"))
    now = sa.func.now()
    op.execute(checklists.insert().values(
        unit_id=None, kind_code="PROD", name="生产单位质量安全风险管控清单", created_at=now, updated_at=now,
        items=[{"key": k, "text": t} for k, t in PRODUCTION_ITEMS]))


def downgrade():
    op.execute("DELETE FROM checklists WHERE kind_code = 'PROD'")
    op.execute("DELETE FROM daily_checks WHERE equipment_id IS NULL")
    op.drop_index('uq_daily_checks_production_officer_day', table_name='daily_checks')
    with op.batch_alter_table('daily_checks', schema=None) as batch_op:
        batch_op.alter_column('equipment_id', existing_type=sa.Integer(), nullable=False)
