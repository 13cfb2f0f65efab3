"""The event schema, read from event_schema.json (the one definition the stack and the CLIs share).

pkgutil reads the file from the package whether it is a directory (tests) or the zip the stack
uploads as --extra-py-files (Glue) / spark.submit.pyFiles (EMR Serverless).
"""
from __future__ import annotations

import json
import pkgutil
from dataclasses import dataclass
from typing import Optional

from pyspark.sql import types as T

_SPARK_TYPES = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "timestamp": T.TimestampType(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    role: str
    categories: tuple = ()
    min: Optional[float] = None
    max: Optional[float] = None


@dataclass(frozen=True)
class EventSchema:
    table: str
    label: str
    columns: tuple

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"No column {name!r} in the event schema (columns: {[c.name for c in self.columns]})")

    def by_role(self, role: str) -> list:
        return [c for c in self.columns if c.role == role]

    @property
    def id_column(self) -> str:
        return self.by_role("id")[0].name

    @property
    def time_column(self) -> str:
        return self.by_role("time")[0].name

    @property
    def feature_columns(self) -> list:
        """Columns that become model features (and so may be imputed or dropped)."""
        return [c for c in self.columns if c.role in ("numeric", "onehot", "label_encoded")]

    def spark_type(self, column: Column) -> T.DataType:
        try:
            return _SPARK_TYPES[column.type]
        except KeyError:
            raise ValueError(f"Column {column.name!r} has unsupported type {column.type!r} (use one of {sorted(_SPARK_TYPES)})")

    def struct(self) -> T.StructType:
        """The typed schema of a clean event."""
        return T.StructType([T.StructField(c.name, self.spark_type(c)) for c in self.columns])

    def json_struct(self, corrupt_column: str) -> T.StructType:
        """What a JSON line is parsed with: timestamps as strings (parsed and checked afterwards),
        plus the column Spark fills with the raw line when it cannot parse it."""
        fields = [
            T.StructField(c.name, T.StringType() if c.type == "timestamp" else self.spark_type(c)) for c in self.columns
        ]
        return T.StructType(fields + [T.StructField(corrupt_column, T.StringType())])


def parse_schema(document: dict) -> EventSchema:
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            role=c["role"],
            categories=tuple(c.get("categories", ())),
            min=c.get("min"),
            max=c.get("max"),
        )
        for c in document["columns"]
    )
    schema = EventSchema(table=document["table"], label=document["label"], columns=columns)
    for role in ("id", "time", "label"):
        if len(schema.by_role(role)) != 1:
            raise ValueError(f"The event schema needs exactly one {role!r} column (got {[c.name for c in schema.by_role(role)]})")
    for c in columns:
        schema.spark_type(c)
    return schema


def load_schema() -> EventSchema:
    data = pkgutil.get_data(__package__ or "curate", "event_schema.json")
    if data is None:
        raise FileNotFoundError("event_schema.json is missing from the curate package")
    return parse_schema(json.loads(data))
