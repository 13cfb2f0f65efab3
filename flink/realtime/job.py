"""Run flink/realtime/analytics.sql: the same statements on Managed Service for Apache Flink and in the tests.

Only two placeholders differ between the two: ``${source}``, the connector options of the events
table, and ``${sink_root}``, the URI under which each result table gets its folder.
"""
from __future__ import annotations

import re
from pathlib import Path

SQL_FILE = Path(__file__).with_name("analytics.sql")
PLACEHOLDERS = ("source", "sink_root")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_]+)\}")


def sql_options(options: dict[str, str]) -> str:
    """``'key' = 'value'`` pairs for a WITH clause; a quote inside a value is doubled, as SQL wants."""
    if not options:
        raise ValueError("The source needs at least its 'connector' option")
    return ",\n  ".join(f"'{k}' = '{str(v).replace(chr(39), chr(39) * 2)}'" for k, v in options.items())


def statements(source: dict[str, str], sink_root: str, sql: str | None = None) -> list[str]:
    """The statements of the SQL file with the placeholders filled in, comments dropped."""
    if not re.fullmatch(r"[a-z0-9]+://\S+/", sink_root):
        raise ValueError(f"sink_root must be a URI ending with '/' (got {sink_root!r})")
    text = SQL_FILE.read_text(encoding="utf-8") if sql is None else sql
    values = {"source": sql_options(source), "sink_root": sink_root}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"Unknown placeholder ${{{name}}} in the SQL (known: {', '.join(PLACEHOLDERS)})")
        return values[name]

    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    body = re.sub(r"\s--[^'\n]*$", "", _PLACEHOLDER.sub(fill, body), flags=re.M)
    return [s.strip() for s in body.split(";") if s.strip()]


def submit(table_env, source: dict[str, str], sink_root: str, sql: str | None = None):
    """Create the tables and views, then run every INSERT as one job; returns its TableResult."""
    inserts = []
    for statement in statements(source, sink_root, sql):
        if statement.upper().startswith("INSERT"):
            inserts.append(statement)
        else:
            table_env.execute_sql(statement)
    if not inserts:
        raise ValueError("The SQL has no INSERT: nothing would run")
    statement_set = table_env.create_statement_set()
    for insert in inserts:
        statement_set.add_insert_sql(insert)
    return statement_set.execute()
