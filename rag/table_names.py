"""What people call a table ("Table 2", "table A.1", "Appendix D") and finding it by that name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.records import Table


def table_label(table: Table) -> str:
    """What the report calls a table ("Table 2", "A.1"), never an internal id like "table-2"."""
    m = re.match(r"\s*((?:Table\s+)?[A-Z]?\.?\d+(?:\.\d+)*|Appendix\s+[A-Z])[.:]?", table.caption or "")
    return m.group(1) if m else (table.caption or table.id)


def find_table(tables: Iterable[Table], name: str, doc_id: str | None = None) -> Table | None:
    """"2", "table 2", "Table-2", "a.1", "Table A.1", "Appendix D" -> the table (of one document), case-blind."""
    want = re.sub(r"^(?:table|tab\.?)\s*[-\s]?\s*", "", name.strip(), flags=re.I).rstrip(".").lower()
    want = re.sub(r"^appendix\s+", "", want)
    for t in tables:
        if doc_id is not None and t.doc_id != doc_id:
            continue
        ids = {t.id.lower(), t.id.lower().removeprefix("table-"), table_label(t).lower().removeprefix("table ")}
        if want in ids:
            return t
    return None
