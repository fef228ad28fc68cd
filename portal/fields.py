"""Form fields and filters shared by every domain's forms."""

from markupsafe import Markup, escape
from wtforms import IntegerField, SelectField, widgets
from wtforms.validators import ValidationError


def strip(value):
    """Filter: surrounding blanks typed or pasted by people never count."""
    return value.strip() if isinstance(value, str) else value


class SelectWidget(widgets.Select):
    """WTForms' select, each plain option written out directly: the same HTML as WTForms'
    (tests/test_fields.py compares them), in a fraction of its time; a filter row's selects
    cost a few tenths of a millisecond a page."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        value = escape(value).replace(Markup('"'), Markup("&quot;"))  # as html_params
        label = escape(choice.label or choice.value)
        selected = " selected" if choice.selected else ""  # sorted before value, as there
        option = f'<option{selected} value="{value}">{label}</option>'
        return Markup(option)  # nosec B704 (the value and the label escaped above)

    @classmethod
    def _dispatch_render_option(cls):
        return cls.render_option  # the current signature (WTForms inspects it on each call)


class Select(SelectField):
    """A select whose "not one of the choices" message says what to do."""

    widget = SelectWidget()

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
