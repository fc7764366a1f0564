"""lead time and per-period declines: a need's lead time to mobilise (days), a forbidden pair's period

Revision ID: 0016_lead_time_period_declines
Revises: 0015_publication_withdrawal
Create Date: 2026-11-30 02:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_lead_time_period_declines'
down_revision = '0015_publication_withdrawal'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_time', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(batch_op.f('ck_needs_lead_time_range'), 'lead_time >= 0 AND lead_time <= 3650')
    with op.batch_alter_table('allocation_forbidden_pairs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.Date(), nullable=True))
        batch_op.drop_constraint(
            batch_op.f('uq_allocation_forbidden_pairs_operation_id_need_id_capacity_id'), type_='unique'
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_allocation_forbidden_pairs_operation_id_need_id_capacity_id_period'),
            ['operation_id', 'need_id', 'capacity_id', 'period'],
        )


def downgrade():
    with op.batch_alter_table('allocation_forbidden_pairs', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_allocation_forbidden_pairs_operation_id_need_id_capacity_id_period'), type_='unique'
        )
    op.execute('DELETE FROM allocation_forbidden_pairs WHERE period IS NOT NULL')
    with op.batch_alter_table('allocation_forbidden_pairs', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_allocation_forbidden_pairs_operation_id_need_id_capacity_id'),
            ['operation_id', 'need_id', 'capacity_id'],
        )
        batch_op.drop_column('period')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_needs_lead_time_range'), type_='check')
        batch_op.drop_column('lead_time')
