"""overlap listing indexes: a narrow covering index for the alerts list, inbox and badge; double counts; sensitive projects

Revision ID: 0017_overlap_listing_indexes
Revises: 0016_lead_time_period_declines
Create Date: 2026-11-30 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_overlap_listing_indexes"
down_revision = "0016_lead_time_period_declines"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_overlap_alerts_listing",
        "overlap_alerts",
        ["operation_id", "organisation_a_id", "organisation_b_id"],
        postgresql_include=[
            "id",
            "state",
            "score",
            "project_a_id",
            "project_b_id",
            "sector_id",
            "shared_area_id",
            "kind",
            "changed_at",
        ],
    )
    op.create_index(
        "ix_overlap_alerts_double_counts",
        "overlap_alerts",
        ["operation_id"],
        postgresql_where=sa.text("kind = 'double_count'"),
        sqlite_where=sa.text("kind = 'double_count'"),
    )
    op.create_index(
        "ix_projects_sensitive",
        "projects",
        ["id"],
        postgresql_where=sa.text("sensitive"),
        sqlite_where=sa.text("sensitive"),
    )


def downgrade():
    op.drop_index("ix_projects_sensitive", table_name="projects")
    op.drop_index("ix_overlap_alerts_double_counts", table_name="overlap_alerts")
    op.drop_index("ix_overlap_alerts_listing", table_name="overlap_alerts")
