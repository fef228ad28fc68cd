"""Reading the jurisdiction tree: tiny (a province has about a hundred counties) and read by every
scoped request, so each process keeps a copy for TREE_SECONDS. A stale copy can only make a
scope narrower (a city officer does not see a county added a moment ago), never wider: a county
officer's scope is their county and its ancestors, known from the account alone."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from stdnum import numdb

from portal.extensions import db
from portal.jurisdictions.models import Jurisdiction, JurisdictionLevel

TREE_SECONDS = 60
_KEY = "jurisdiction_tree"


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    level: JurisdictionLevel
    parent: str | None
    bureau_name: str
    host: str | None


def _load() -> dict[str, Node]:
    rows = db.session.execute(
        sa.select(Jurisdiction).execution_options(all_jurisdictions=True)
    ).scalars()
    return {
        row.code: Node(row.code, row.name, row.level, row.parent_code, row.bureau_name, row.host)
        for row in rows
    }


def tree() -> dict[str, Node]:
    store = current_app.extensions
    cached = store.get(_KEY)
    now = time.monotonic()
    if cached is None or cached[0] < now:
        cached = store[_KEY] = (now + TREE_SECONDS, _load())
    return cached[1]


def forget() -> None:
    """After this process changed the tree (a county added, renamed)."""
    if has_app_context():
        current_app.extensions.pop(_KEY, None)


def get(code: str) -> Node | None:
    return tree().get(code)


def ancestors(code: str) -> list[str]:
    nodes, chain = tree(), []
    parent = nodes[code].parent if code in nodes else None
    while parent:
        chain.append(parent)
        parent = nodes[parent].parent if parent in nodes else None
    return chain


def counties_of(code: str) -> list[str]:
    """A county: itself; a city: its counties; the province: all its counties (sorted)."""
    nodes = tree()
    node = nodes.get(code)
    if node is None:
        return []
    if node.level is JurisdictionLevel.COUNTY:
        return [code]
    children = [n.code for n in nodes.values() if n.parent == code]
    return sorted(c for child in children for c in counties_of(child))


def counties() -> list[Node]:
    return sorted(
        (n for n in tree().values() if n.level is JurisdictionLevel.COUNTY), key=lambda n: n.code
    )


def is_single_county() -> bool:
    """One county (the embedded default): pages show no county field anywhere."""
    return len(counties()) <= 1


def default_county() -> str:
    """The install's own county (config JURISDICTION_CODE): the home of the CLI and the jobs
    when none is named, and of a single-county install's everything."""
    return current_app.config["JURISDICTION_CODE"]


def official_name(code: str) -> str | None:
    """The division's name in python-stdnum's copy of GB/T 2260 (the newest one it knows)."""
    if len(code) != 6 or not code.isdigit():
        return None
    parts = numdb.get("cn/loc").info(code)
    if len(parts) < 2 or not parts[1][1]:
        return parts[0][1].get("province") if code.endswith("0000") and parts[0][1] else None
    name = parts[1][1].get("county", "")
    return name.split("]", 1)[-1] or None


def add(code: str, name: str, level: JurisdictionLevel, parent: str | None,
        bureau_name: str = "") -> Jurisdiction:  # fmt: skip
    """Add a division (flush only); its parent must exist."""
    row = Jurisdiction(
        code=code, name=name, level=level, parent_code=parent, bureau_name=bureau_name
    )
    db.session.add(row)
    db.session.flush()
    forget()
    return row


def default_tree(config) -> list[dict]:
    """The province, city and county of JURISDICTION_CODE, named from config or GB/T 2260."""
    county = config["JURISDICTION_CODE"]
    city, province = county[:4] + "00", county[:2] + "0000"
    rows = [
        (province, JurisdictionLevel.PROVINCE, None, config.get("PROVINCE_NAME"), ""),
        (city, JurisdictionLevel.CITY, province, config.get("CITY_NAME"), ""),
        (county, JurisdictionLevel.COUNTY, city, config.get("COUNTY_NAME"),
         config.get("BUREAU_NAME", "")),
    ]  # fmt: skip
    return [
        {"code": code, "name": name or official_name(code) or code, "level": level,
         "parent_code": parent, "bureau_name": bureau, "host": None}
        for code, level, parent, name, bureau in rows
    ]  # fmt: skip


def seed_default_tree(connection, config=None) -> None:
    """Insert the install's own tree where missing (Core: from create_all, a migration or a test
    that emptied the tables)."""
    if config is None:
        from portal.config import Defaults

        config = current_app.config if has_app_context() else vars(Defaults)
    table = Jurisdiction.__table__
    have = set(connection.scalars(sa.select(table.c.code)))
    missing = [row for row in default_tree(config) if row["code"] not in have]
    if missing:
        connection.execute(table.insert(), missing)


@sa.event.listens_for(Jurisdiction.__table__, "after_create")
def _seed_after_create(target, connection, **kw):
    seed_default_tree(connection)
