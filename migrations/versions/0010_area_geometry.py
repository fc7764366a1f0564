"""admin area boundaries: the COD-AB geometry as loaded and its simplified copy for the web

Revision ID: 0010_area_geometry
Revises: 0012_notifications_contacts
Create Date: 2026-11-29 23:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_area_geometry'
down_revision = '0012_notifications_contacts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_areas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('boundary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('boundary_web', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('admin_areas', schema=None) as batch_op:
        batch_op.drop_column('boundary_web')
        batch_op.drop_column('boundary')
