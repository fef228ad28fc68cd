"""TEMPORARY until the jurisdiction foundation (portal/jurisdictions) is merged: the one
install's county as the statistics see jurisdictions. Replaced by portal.jurisdictions.service."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

DEFAULT = "341822"


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent: str | None

    def as_json(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level, "parent": self.parent}


def default_county() -> str:
    return current_app.config.get("CERTIFICATE_COUNTY_CODE") or DEFAULT


def get(code: str) -> Place | None:
    if code != default_county():
        return None
    return Place(code, "本县", "county", None)


def counties_of(code: str) -> list[str]:
    return [code]


def ancestors(code: str) -> list[str]:
    return []


def is_single_county() -> bool:
    return True


def user_code(user) -> str:
    return default_county()


def all_counties() -> list[str]:
    return [default_county()]


def county_of(record) -> str:
    return default_county()
