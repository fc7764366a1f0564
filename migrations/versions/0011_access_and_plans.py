"""access and plans: area access (security assessments), capacity throughput and clearances, plans over periods

Revision ID: 0011_access_and_plans
Revises: 0008_record_versions
Create Date: 2026-11-29 23:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_access_and_plans'
down_revision = '0008_record_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'area_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('admin_area_id', sa.Integer(), nullable=False),
        sa.Column(
            'level',
            sa.Enum(
                'open', 'restricted', 'no_go', name='access_level', native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('clearances', sa.String(length=200), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name=op.f('ck_area_access_end_after_start')),
        sa.CheckConstraint(
            "level <> 'restricted' OR clearances <> ''", name=op.f('ck_area_access_restricted_names_clearances')
        ),
        sa.ForeignKeyConstraint(
            ['admin_area_id'],
            ['admin_areas.id'],
            name=op.f('fk_area_access_admin_area_id_admin_areas'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_area_access_created_by_id_users'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['operation_id'], ['operations.id'], name=op.f('fk_area_access_operation_id_operations'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_area_access')),
    )
    with op.batch_alter_table('area_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_access_admin_area_id'), ['admin_area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_access_operation_id'), ['operation_id'], unique=False)

    with op.batch_alter_table('capacities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('throughput', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('clearances', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('capacities', schema=None) as batch_op:
        batch_op.alter_column('clearances', server_default=None)

    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_kind', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('periods', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('access', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.alter_column('period_kind', server_default=None)
        batch_op.alter_column('periods', server_default=None)
        batch_op.alter_column('access', server_default=None)

    with op.batch_alter_table('allocation_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.Date(), nullable=True))
        batch_op.drop_constraint('uq_allocation_assignments_run_id_need_id_capacity_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_allocation_assignments_run_id_need_id_capacity_id_period'),
            ['run_id', 'need_id', 'capacity_id', 'period'],
        )


def downgrade():
    with op.batch_alter_table('allocation_assignments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_allocation_assignments_run_id_need_id_capacity_id_period', type_='unique')
        batch_op.create_unique_constraint(
            'uq_allocation_assignments_run_id_need_id_capacity_id', ['run_id', 'need_id', 'capacity_id']
        )
        batch_op.drop_column('period')
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.drop_column('access')
        batch_op.drop_column('periods')
        batch_op.drop_column('period_kind')
    with op.batch_alter_table('capacities', schema=None) as batch_op:
        batch_op.drop_column('clearances')
        batch_op.drop_column('throughput')
    with op.batch_alter_table('area_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_access_operation_id'))
        batch_op.drop_index(batch_op.f('ix_area_access_admin_area_id'))
    op.drop_table('area_access')
