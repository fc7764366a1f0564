"""overlap alerts keep their sentence's reason code and parameters, rendered in the reader's language

Revision ID: 0014_explanation_reasons
Revises: 0009_monitoring
Create Date: 2026-11-29 23:10:00

"""

from alembic import op
import sqlalchemy as sa


revision = '0014_explanation_reasons'
down_revision = '0009_monitoring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('overlap_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation_reason', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('overlap_alerts', schema=None) as batch_op:
        batch_op.drop_column('explanation_reason')
