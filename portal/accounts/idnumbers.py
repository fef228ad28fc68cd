"""Resident ID numbers (居民身份证号码) and unified social credit codes, via python-stdnum."""

import functools
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

MIN_BIRTH_YEAR = 1930
MIN_AGE = 16


@functools.lru_cache(maxsize=8192)
def _place_known(area: str, year: int) -> bool:
    """Was the area code assigned in that birth year (stdnum's lookup, slow: cached, so that a
    5,000-row list checks in a second)?"""
    try:
        ric.get_birth_place(f"{area}{year:04d}01010000")
    except (ValidationError, KeyError):  # stdnum raises KeyError on some area codes
        return False
    return True


def clean_id_number(value: str, today: date | None = None) -> str:
    """Return the compact upper-case number, or raise ValueError with a Chinese message.

    The checks of stdnum's ric.validate (length, digits, check digit, birth date, area code
    assigned in the birth year), with the area lookup cached."""
    value = (value or "").strip().replace(" ", "").upper()
    if len(value) != 18:
        raise ValueError("身份证号码应为18位")
    try:
        if not value[:-1].isdigit() or value[-1] != ric.calc_check_digit(value):
            raise ValidationError()
        ric.get_birth_date(value)
    except ValidationError as error:
        raise ValueError("身份证号码无效，请核对校验位、出生日期和地区码") from error
    if not _place_known(value[:6], ric.get_birth_date(value).year):
        raise ValueError("身份证号码无效，请核对校验位、出生日期和地区码")
    born = ric.get_birth_date(value)
    today = today or date.today()
    if born.year < MIN_BIRTH_YEAR or born > date(
        today.year - MIN_AGE, today.month, min(today.day, 28)
    ):
        raise ValueError("身份证号码中的出生日期不在合理范围内")
    return value


def birth_date(value: str) -> date:
    return ric.get_birth_date(value)


def make_id_number(born: date, sequence: int, area: str | None = None) -> str:
    """A checksummed number for demo data and tests, with 广德's area code valid at birth."""
    if area is None:
        area = "342523" if born.year < 2000 else "341822" if born.year < 2019 else "341882"
    body = f"{area}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function skips the last digit


def clean_uscc(value: str) -> str:
    value = (value or "").strip().replace(" ", "").upper()
    if len(value) != 18:
        raise ValueError("统一社会信用代码应为18位")
    try:
        return uscc.validate(value)
    except ValidationError as error:
        raise ValueError("统一社会信用代码无效，请核对") from error


def make_uscc(prefix17: str) -> str:
    return prefix17 + uscc.calc_check_digit(prefix17)
