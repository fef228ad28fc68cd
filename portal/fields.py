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


class Integer(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("请输入整数") from error
        try:
            check_magnitude(self.data)
        except ValueError:
            self.data = None
            raise
