"""Form fields and filters shared by every domain's forms."""

from wtforms import IntegerField, SelectField
from wtforms.validators import ValidationError


def strip(value):
    """Filter: surrounding blanks typed or pasted by people never count."""
    return value.strip() if isinstance(value, str) else value


class Select(SelectField):
    """A select whose "not one of the choices" message says what to do."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValueError as error:
            raise ValidationError("请从列表中选择") from error


# No form number needs more than an INTEGER column holds (4 bytes on PostgreSQL); a larger one
# would overflow the database or the float conversion inside WTForms' NumberRange (a 500)
# before any range check could answer.
MAX_INTEGER = 2**31 - 1


def check_magnitude(value):
    if value is not None and abs(value) > MAX_INTEGER:
        raise ValueError("数值过大")
    return value


def bounded_int(value) -> int:
    """The one integer conversion of every query and form value (`request.args.get(...,
    type=bounded_int)`, `coerce=bounded_int`, the Integer field): a ValueError for anything
    that is not an integer within ±MAX_INTEGER, so 2**64 is "not a number" (the default, or
    the field's message) and never reaches the database."""
    return check_magnitude(int(str(value).strip()))


class Integer(IntegerField):
    """An integer form field bounded by bounded_int, with a Chinese message."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = bounded_int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("请输入整数") from None
