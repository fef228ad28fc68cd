"""Run-time settings (an admin's saved value over app.config), below every domain package."""

from portal.settings.service import (
    SETTINGS,
    SPECS,
    SettingSpec,
    display,
    get_setting,
    has_own_setting,
    is_per_county,
    set_setting,
    setting_at,
    source_of,
)

__all__ = [
    "SETTINGS",
    "SPECS",
    "SettingSpec",
    "display",
    "get_setting",
    "has_own_setting",
    "is_per_county",
    "set_setting",
    "setting_at",
    "source_of",
]
