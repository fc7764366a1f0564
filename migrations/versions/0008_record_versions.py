"""record versions: optimistic concurrency for projects, needs and capacities; the operation's areas stamp and the
project_areas index by area (overlap detection around one project)

Revision ID: 0008_record_versions
Revises: 0007_session_security
Create Date: 2026-11-29 22:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_record_versions'
down_revision = '0007_session_security'
branch_labels = None
depends_on = None

TABLES = ("projects", "needs", "capacities")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('operations') as batch_op:
        batch_op.add_column(sa.Column('areas_stamp', sa.String(length=32), server_default='', nullable=False))
    op.create_index('ix_project_areas_admin_area_id', 'project_areas', ['admin_area_id'], unique=False)


def downgrade():
    op.drop_index('ix_project_areas_admin_area_id', table_name='project_areas')
    with op.batch_alter_table('operations') as batch_op:
        batch_op.drop_column('areas_stamp')
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('version')
