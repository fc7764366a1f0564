"""publication withdrawal: a coordinator withdraws a published allocation run (who, when, why)

Revision ID: 0015_publication_withdrawal
Revises: 0010_area_geometry
Create Date: 2026-11-30 00:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_publication_withdrawal'
down_revision = '0010_area_geometry'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.String(length=500), nullable=False, server_default=''))
        batch_op.create_foreign_key(
            batch_op.f('fk_allocation_runs_withdrawn_by_id_users'),
            'users',
            ['withdrawn_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.alter_column('withdrawal_reason', server_default=None)


def downgrade():
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_allocation_runs_withdrawn_by_id_users'), type_='foreignkey')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
