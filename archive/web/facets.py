"""Facets of large tables read from the counts kept as rows are written.

A column facet makes a pass over every row the page matches: on the whole captures table
four of them took 300 ms at 200,000 captures (issue 19), and a million rows take seconds.
``facet_counts`` holds, for the columns of :data:`archive.index.schema.FACETED`, how many
rows of the table hold each value, kept exact by triggers. A table page that shows the
whole table reads its facets there (the 31 largest counts, from an index); a page with
filters or a search counts the rows it matches, as Datasette's column facet does, within
``facet_time_limit_ms``.

A page filtered by one faceted value — the link a facet's value gives, ``?status=200`` —
reads the other facets of the tables of :data:`archive.index.schema.PAIRED` from
``facet_pairs`` (rows holding both values), so following a facet costs no pass either.

``metadata.yml`` names these facets ``{counted: column}``; the results look and link like
column facets (selecting a value filters the table by it).
"""

from __future__ import annotations

import re
from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from archive.index.schema import FACETED, PAIRED


class CountedFacet(ColumnFacet):
    """A column facet whose whole-table counts come from ``facet_counts``."""

    type = "counted"

    async def suggest(self) -> list:
        return []   # only configured in metadata.yml; the column facet suggests columns

    def _whole_table(self) -> bool:
        """Whether the page shows every row of the table (no filter, search or ``_where``):
        then its facets are the whole table's."""
        if not self.table or self.params:
            return False
        return re.fullmatch(rf"select .* from {re.escape(escape_sqlite(self.table))}\s*", self.sql,
                            re.S | re.I) is not None

    def _one_filter(self) -> tuple[str, str] | None:
        """(column, value) when the page shows the rows of a table of ``PAIRED`` holding one
        value of one faceted column, and nothing else narrows it; else None."""
        if self.table not in PAIRED or not isinstance(self.params, dict) or set(self.params) != {"p0"}:
            return None
        m = re.fullmatch(rf'select .* from {re.escape(escape_sqlite(self.table))} where "(\w+)" = :p0\s*',
                         self.sql, re.S | re.I)
        if m is None or m.group(1) not in FACETED[self.table]:
            return None
        return m.group(1), str(self.params["p0"])

    async def facet_results(self) -> tuple[list[dict], list[str]]:
        configs = self.get_configs()
        counted = [c for c in configs if self.table and (c["config"].get("column") or c["config"]["simple"])
                   in FACETED.get(self.table, ())]
        if not configs or len(counted) != len(configs):
            return await self._as_column_facets()
        whole = self._whole_table()
        chosen = None if whole else self._one_filter()
        if not whole and chosen is None:
            return await self._as_column_facets()
        limit = self.ds.setting("facet_time_limit_ms")
        try:
            if chosen is not None:
                # The value as stored: the filter compares the column with the text of the
                # query string as SQLite does (the column's affinity: '200' is 200).
                found = (await self.ds.execute(
                    self.database,
                    "select value, count from facet_counts where table_name = :table and column_name = :column "
                    "and cast(value as text) = :value limit 2",
                    {"table": self.table, "column": chosen[0], "value": chosen[1]},
                    custom_time_limit=limit)).rows
                if len(found) != 1:   # a value written otherwise ('200.0'): count the rows
                    return await self._as_column_facets()
                value, total = found[0]
        except QueryInterrupted:
            return await self._as_column_facets()
        except Exception:   # an index made before the counts existed: count the rows
            return await self._as_column_facets()
        results: list[dict] = []
        timed_out: list[str] = []
        size = self.get_facet_size()
        for source_and_config in counted:
            column = source_and_config["config"].get("column") or source_and_config["config"]["simple"]
            try:
                if chosen is None:
                    rows = list((await self.ds.execute(
                        self.database,
                        "select value, count from facet_counts where table_name = :table and column_name = :column "
                        "and count > 0 order by count desc, value limit :limit",
                        {"table": self.table, "column": column, "limit": size + 1},
                        truncate=False, custom_time_limit=limit)).rows)
                elif column == chosen[0]:
                    rows = [(value, total)]
                else:
                    rows = list((await self.ds.execute(
                        self.database,
                        "select other_value, count from facet_pairs where table_name = :table and column_name = "
                        ":column and value = :value and other_column = :other and count > 0 "
                        "order by count desc, other_value limit :limit",
                        {"table": self.table, "column": chosen[0], "value": value, "other": column,
                         "limit": size + 1},
                        truncate=False, custom_time_limit=limit)).rows)
            except QueryInterrupted:
                timed_out.append(column)
                continue
            except Exception:   # an index made before the counts existed: count the rows
                return await self._as_column_facets()
            results.append(self._result(column, source_and_config["source"], rows, size))
        return results, timed_out

    def _result(self, column: str, source: str, rows: list, size: int) -> dict[str, Any]:
        # As Datasette's column facet: a value the query string selects links to the page
        # without it, any other to the page filtered by it too.
        column_qs = f"{column}__exact" if column.startswith("_") else column
        pairs = self.get_querystring_pairs()
        results = []
        for value, count in rows[:size]:
            selected = (column_qs, str(value)) in pairs
            path = (path_with_removed_args(self.request, {column_qs: str(value)}) if selected
                    else path_with_added_args(self.request, {column_qs: value}))
            results.append({"value": value, "label": value, "count": count,
                            "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                            "selected": selected})
        return {
            "name": column,
            "type": ColumnFacet.type,
            "hideable": source != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_counted": column})),
            "results": results,
            "truncated": len(rows) > size,
        }

    async def _as_column_facets(self) -> tuple[list[dict], list[str]]:
        """Datasette's column facet over the rows the page matches."""
        results, timed_out = await super().facet_results()
        for r in results:
            r["type"] = ColumnFacet.type
        return results, timed_out
