"""Extensions, created unbound and bound to the app in `create_app`."""
from __future__ import annotations

import re

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The partitions of a table partitioned on PostgreSQL (`<table>_<yyyymm>`, `<table>_default`) are
# made by migrations and jobs, not by models: autogenerate and the models-match-migrations test
# leave them out.
_PARTITION = re.compile(r"^filling_records_(\d{6}|default)$")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter: every table but a partition of a partitioned one."""
    return not (type_ == "table" and name is not None and _PARTITION.match(name))


db = SQLAlchemy(model_class=Base)
migrate = Migrate(include_name=include_name)
