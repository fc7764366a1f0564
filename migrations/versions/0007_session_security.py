"""server-side sign-in sessions, API token expiry, failed and throttled sign-ins in the audit log

Revision ID: 0007_session_security
Revises: 0006_allocation_runs
Create Date: 2026-11-29 23:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = '0007_session_security'
down_revision = '0006_allocation_runs'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('create', 'update', 'archive', 'restore', 'delete', 'sign_in')
NEW_ACTIONS = OLD_ACTIONS + ('sign_in_failed', 'sign_in_throttled')


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash')),
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))

    _change_actions(OLD_ACTIONS, NEW_ACTIONS)


def downgrade():
    op.execute(sa.text("DELETE FROM audit_entries WHERE action IN ('sign_in_failed', 'sign_in_throttled')"))
    _change_actions(NEW_ACTIONS, OLD_ACTIONS)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')


def _change_actions(old, new):
    """The action column is a VARCHAR with a named CHECK listing the values: replace the CHECK."""
    values = ", ".join(f"'{value}'" for value in new)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_audit_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_audit_action'), sa.text(f"action IN ({values})"))
