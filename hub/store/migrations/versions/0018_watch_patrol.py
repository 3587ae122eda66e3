"""watch and patrol (issue 19): helpers' observations settle the 1+1+N watch, false alarms recorded

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

``welfare_enrolments.deadline``: the local time by which any evidence (kiosk tap, helper observation, patrol visit)
settles the day (NULL = the window's end, as before). ``welfare_observations``: every HelperObservation record as
taken by the watch, by local day; ``welfare_false_alarms``: false alarms closed by staff, with the reason.
``patrol_checkpoints`` / ``patrol_routes``: admin-defined checkpoints (QR, radius, checklist) and a route per grid;
``checkpoint_visits`` / ``patrol_sessions``: the tablets' CheckpointVisit and PatrolLog records as taken;
``volunteer_hours``: the hour ledger (system, certified, redemption; half-hour units).
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("welfare_enrolments") as batch:
        batch.add_column(sa.Column("deadline", sa.Time))
    op.create_table(
        "welfare_observations",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64)),
        sa.Column("resident_key", sa.String(64), nullable=False),
        sa.Column("enrolment_id", sa.String(36)),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("counted_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("verdict", sa.String(12), nullable=False),
        sa.Column("via", sa.String(12), nullable=False),
        sa.Column("signs", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("case_id", sa.String(36)),
        sa.Column("taken_at", TS, nullable=False),
    )
    op.create_index("ix_welfare_observations_resident_day", "welfare_observations", ["resident_key", "day"])
    op.create_index("ix_welfare_observations_day", "welfare_observations", ["day"])
    op.create_table(
        "welfare_false_alarms",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("enrolment_id", sa.String(36), nullable=False),
        sa.Column("resident_key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("away_until", sa.Date),
        sa.Column("case_ids", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_index("ix_welfare_false_alarms_resident_day", "welfare_false_alarms", ["resident_key", "day"])
    op.create_table(
        "patrol_checkpoints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(18), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("radius_m", sa.Float, nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_patrol_checkpoints_grid", "patrol_checkpoints", ["grid_code"])
    op.create_table(
        "patrol_routes",
        sa.Column("grid_code", sa.String(18), primary_key=True),
        sa.Column("checkpoint_ids", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "checkpoint_visits",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("checkpoint_id", sa.String(36), nullable=False),
        sa.Column("grid_code", sa.String(18)),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64)),
        sa.Column("visited_at", TS, nullable=False),
        sa.Column("distance_m", sa.Float),
        sa.Column("within_radius", sa.Boolean, nullable=False),
        sa.Column("failed_items", sa.JSON, nullable=False),
        sa.Column("report_ids", sa.JSON, nullable=False),
        sa.Column("patrol_started_at", TS),
        sa.Column("taken_at", TS, nullable=False),
    )
    op.create_index("ix_checkpoint_visits_grid_time", "checkpoint_visits", ["grid_code", "visited_at"])
    op.create_index("ix_checkpoint_visits_device_time", "checkpoint_visits", ["device_id", "visited_at"])
    op.create_table(
        "patrol_sessions",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64)),
        sa.Column("grid_code", sa.String(18)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=False),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("fixes", sa.Integer, nullable=False),
        sa.Column("checkpoint_ids", sa.JSON, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("taken_at", TS, nullable=False),
    )
    op.create_index("ix_patrol_sessions_grid_time", "patrol_sessions", ["grid_code", "started_at"])
    op.create_table(
        "volunteer_hours",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("source_id", sa.String(36), unique=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_volunteer_hours_person", "volunteer_hours", ["person_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_volunteer_hours_person", table_name="volunteer_hours")
    op.drop_table("volunteer_hours")
    op.drop_index("ix_patrol_sessions_grid_time", table_name="patrol_sessions")
    op.drop_table("patrol_sessions")
    op.drop_index("ix_checkpoint_visits_device_time", table_name="checkpoint_visits")
    op.drop_index("ix_checkpoint_visits_grid_time", table_name="checkpoint_visits")
    op.drop_table("checkpoint_visits")
    op.drop_table("patrol_routes")
    op.drop_index("ix_patrol_checkpoints_grid", table_name="patrol_checkpoints")
    op.drop_table("patrol_checkpoints")
    op.drop_index("ix_welfare_false_alarms_resident_day", table_name="welfare_false_alarms")
    op.drop_table("welfare_false_alarms")
    op.drop_index("ix_welfare_observations_day", table_name="welfare_observations")
    op.drop_index("ix_welfare_observations_resident_day", table_name="welfare_observations")
    op.drop_table("welfare_observations")
    with op.batch_alter_table("welfare_enrolments") as batch:
        batch.drop_column("deadline")
