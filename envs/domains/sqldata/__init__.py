"""Data wrangling over a messy SQLite sales database.

This folder holds the tools and the Domain class in :mod:`.domain`, the sales database and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.sqldata.domain import (
    TRANSFORMS,
    Scalar,
    SqlDataDomain,
    create_summary_table,
    delete_duplicates,
    delete_rows,
    describe_table,
    fill_nulls,
    list_tables,
    preview_rows,
    run_query,
    save_query_as_table,
    transform_column,
    update_rows,
)
from nexgym.envs.domains.sqldata.tasks import SalesWorld

__all__ = [
    "TRANSFORMS",
    "SalesWorld",
    "Scalar",
    "SqlDataDomain",
    "create_summary_table",
    "delete_duplicates",
    "delete_rows",
    "describe_table",
    "fill_nulls",
    "list_tables",
    "preview_rows",
    "run_query",
    "save_query_as_table",
    "transform_column",
    "update_rows",
]
