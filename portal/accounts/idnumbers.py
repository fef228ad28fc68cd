"""Resident ID numbers (居民身份证号码) and unified social credit codes, via python-stdnum."""

from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

MIN_BIRTH_YEAR = 1930
MIN_AGE = 16


def clean_id_number(value: str, today: date | None = None) -> str:
    """Return the compact upper-case number, or raise ValueError with a Chinese message."""
    value = (value or "").strip().replace(" ", "").upper()
    if len(value) != 18:
        raise ValueError("身份证号码应为18位")
    try:
        ric.validate(value)
    except ValidationError as error:
        raise ValueError("身份证号码无效，请核对校验位、出生日期和地区码") from error
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
