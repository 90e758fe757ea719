"""Fresh PostgreSQL databases for the tests, cheaply: a database a test used is emptied and handed
to the next test instead of being dropped and copied anew from the template.

``CREATE DATABASE … TEMPLATE`` copies every file of the migrated schema (≈ 300 relations): about
0.4 s on an idle machine and well over a second on a busy one, for each of the ≈ 300 PostgreSQL
tests. Emptying a used database costs a tenth of that: the rows the test wrote are deleted (large
tables truncated) with triggers off (``session_replication_role = replica``: the audit log's
append-only trigger and the foreign-key checks), and every sequence is set back to where the
template has it, so ids start where they would in a copy.

A database is reused only when it is indistinguishable from a copy of the template: its schema
(relations, columns, constraints, partitions, functions, triggers, types, settings) has the
template's fingerprint, as do the rows of the tables the template itself fills (``alembic_version``).
A test that changed the schema (a migration down and up, a partition created or detached) or whose
database cannot be emptied (no superuser on an external server) gets its database dropped, and the
next test a new copy of the template, as before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

#: Tables with at least this many rows are truncated rather than deleted from.
TRUNCATE_FROM_ROWS = 2000

_USER_NAMESPACES = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
    " AND n.nspname NOT LIKE 'pg_temp%'"
)

#: Everything of a database's schema a test could change, as one digest.
SCHEMA_FINGERPRINT = f"""
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'rel:' || n.nspname || '.' || c.relname || ':' || c.relkind::text || ':'
         || c.relpersistence::text || ':' || coalesce(c.relacl::text, '')
         || ':' || coalesce(pg_get_expr(c.relpartbound, c.oid), '') AS x
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_NAMESPACES}
  UNION ALL
  SELECT 'col:' || c.oid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid,
         a.atttypmod) || ':' || a.attnotnull::text || ':' || a.attidentity::text || ':'
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE {_USER_NAMESPACES} AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con:' || con.conname || ':' || con.conrelid::regclass::text || ':'
         || pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE {_USER_NAMESPACES}
  UNION ALL
  SELECT 'idx:' || i.indexrelid::regclass::text || ':' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_NAMESPACES}
  UNION ALL
  SELECT 'inh:' || inhrelid::regclass::text || '<' || inhparent::regclass::text
    FROM pg_inherits
  UNION ALL
  SELECT 'fn:' || p.oid::regprocedure::text || ':' || md5(coalesce(p.prosrc, ''))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_USER_NAMESPACES}
  UNION ALL
  SELECT 'trg:' || t.tgname || ':' || t.tgrelid::regclass::text || ':' || t.tgenabled::text
         || ':' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'type:' || n.nspname || '.' || t.typname || ':' || coalesce((SELECT string_agg(
         e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE {_USER_NAMESPACES} AND t.typtype IN ('e', 'd', 'c')
  UNION ALL
  SELECT 'ns:' || n.nspname FROM pg_namespace n WHERE {_USER_NAMESPACES}
  UNION ALL
  SELECT 'ext:' || extname || ':' || extversion FROM pg_extension
  UNION ALL
  SELECT 'set:' || coalesce(array_to_string(setconfig, ','), '') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT 'pol:' || polname || ':' || polrelid::regclass::text FROM pg_policy
) AS schema_parts
"""

TABLES = f"""
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE {_USER_NAMESPACES} AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  ORDER BY 1
"""

SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), start_value, last_value FROM pg_sequences
  ORDER BY 1
"""


@dataclass
class Template:
    """What a clean copy of the template looks like."""

    name: str
    fingerprint: str
    #: Tables the migrations leave empty (a test's rows are deleted from these).
    empty_tables: list[str]
    #: Tables the migrations fill: their rows are part of the fingerprint and never deleted.
    filled_tables: list[str]
    #: Sequence → its template state: (start value, last value or None when never used).
    sequences: dict[str, tuple[int, int | None]]


def _fingerprint(connection: Connection, filled_tables: list[str]) -> str:
    parts = [str(connection.execute(text(SCHEMA_FINGERPRINT)).scalar_one())]
    for table in filled_tables:
        rows = connection.execute(
            text(
                f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {table} t"
            )
        ).scalar_one()
        parts.append(f"{table}={rows}")
    return "|".join(parts)


def _nonempty(connection: Connection, tables: list[str]) -> list[str]:
    if not tables:
        return []
    probe = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {table})" for index, table in enumerate(tables)
    )
    return [tables[index] for index in connection.execute(text(probe)).scalars()]


def describe_template(url: str, name: str) -> Template:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            tables = list(connection.execute(text(TABLES)).scalars())
            filled = _nonempty(connection, tables)
            sequences = {
                str(row[0]): (int(row[1]), None if row[2] is None else int(row[2]))
                for row in connection.execute(text(SEQUENCES))
            }
            return Template(
                name,
                _fingerprint(connection, filled),
                [t for t in tables if t not in filled],
                filled,
                sequences,
            )
    finally:
        engine.dispose()


@dataclass
class DatabasePool:
    """The databases of one pytest process on one server: clean ones wait for the next test."""

    admin_url: str
    template: Template
    clean: list[str] = field(default_factory=list)
    #: How often a used database was emptied for reuse, and how often it had to be dropped.
    reused: int = 0
    dropped: int = 0

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(False)

    def take(self) -> str:
        """A database that is, to the test, a fresh copy of the template."""
        if self.clean:
            return self.clean.pop()
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template.name}")
        return name

    def give_back(self, name: str) -> None:
        """Empty the database for the next test, or drop it when it is no copy of the template."""
        if self._empty(name):
            self.reused += 1
            self.clean.append(name)
        else:
            self.dropped += 1
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        while self.clean:
            self._admin(f"DROP DATABASE IF EXISTS {self.clean.pop()} WITH (FORCE)")

    def _admin(self, statement: str) -> None:
        admin = create_engine(self.admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(statement))
        finally:
            admin.dispose()

    def _empty(self, name: str) -> bool:
        template = self.template
        engine = create_engine(self.url(name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                # Whatever the test left connected (a server thread, an undisposed engine) goes,
                # as DROP DATABASE … WITH (FORCE) would have made it go.
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                if _fingerprint(connection, template.filled_tables) != template.fingerprint:
                    return False
                written = _nonempty(connection, template.empty_tables)
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                large = [
                    table
                    for table in written
                    if connection.execute(
                        text(
                            f"SELECT count(*) FROM (SELECT 1 FROM {table}"
                            f" LIMIT {TRUNCATE_FROM_ROWS}) AS probe"
                        )
                    ).scalar_one()
                    >= TRUNCATE_FROM_ROWS
                ]
                if large:
                    connection.execute(text(f"TRUNCATE {', '.join(large)} CASCADE"))
                for table in written:
                    if table not in large:
                        connection.execute(text(f"DELETE FROM {table}"))
                self._reset_sequences(connection)
                # TRUNCATE … CASCADE reaches every table referring to a large one.
                if (
                    large
                    and template.filled_tables
                    and _fingerprint(connection, template.filled_tables) != template.fingerprint
                ):
                    return False
                return _nonempty(connection, template.empty_tables) == []
        except SQLAlchemyError:
            return False
        finally:
            engine.dispose()

    def _reset_sequences(self, connection: Connection) -> None:
        now = {str(row[0]): row[2] for row in connection.execute(text(SEQUENCES))}
        if set(now) != set(self.template.sequences):
            raise SQLAlchemyError("the sequences differ from the template's")
        for sequence, last in now.items():
            start, template_last = self.template.sequences[sequence]
            if last == template_last:
                continue
            if template_last is None:
                connection.execute(
                    text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": start}
                )
            else:
                connection.execute(
                    text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": template_last}
                )
