"""The schema is built by migrating; migrations and models must agree."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.extensions import db, include_name


def test_migrations_have_a_single_head(app):
    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}),
                                db.metadata)
    assert diff == []


def test_regions_are_loaded_by_the_migration():
    from models.orgs import Region
    from sqlalchemy import func, select

    counts = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert counts == {"province": 1, "city": 10, "county": 107}
