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


class Integer(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("请输入整数") from error
