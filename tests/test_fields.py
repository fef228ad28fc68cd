"""The project's select widget writes the same HTML as WTForms' own (portal.fields.SelectWidget
writes plain options directly, for speed)."""

import pytest
from wtforms import Form, SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

from portal.fields import Select, SelectWidget

CHOICES = [
    ("", "全部"),
    ("a&b", '含"引号"<和>尖括号'),
    (3, "三"),
    (True, "是"),
    ("x", ""),  # no label: the value is shown
    ("rk", "带属性", {"disabled": True, "data_note": "n"}),
]


@pytest.mark.parametrize("data", ["", "a&b", 3, "3", True, "x", "rk", "无"])
@pytest.mark.parametrize("kwargs", [{}, {"class_": "wide", "aria_invalid": "true"}])
def test_the_select_writes_what_wtforms_writes(data, kwargs):
    class F(Form):
        plain = SelectField(choices=CHOICES, validate_choice=False)
        grouped = SelectField(choices=[
            SelectChoice(value, label, *rest, optgroup="甲组" if n < 3 else "乙组")
            for n, (value, label, *rest) in enumerate(CHOICES)
        ])  # fmt: skip
        several = SelectMultipleField(choices=CHOICES)

    form = F(data={"plain": data, "grouped": data, "several": [data, "x"]})
    for field, theirs in (
        (form.plain, widgets.Select()),
        (form.grouped, widgets.Select()),
        (form.several, widgets.Select(multiple=True)),
    ):
        mine = SelectWidget(multiple=theirs.multiple)
        assert mine(field, **kwargs) == theirs(field, **kwargs)
        assert "<option" in mine(field)


def test_the_projects_selects_use_it():
    class F(Form):
        kind = Select(choices=CHOICES[:3])

    assert isinstance(F().kind.widget, SelectWidget)
    assert str(F(data={"kind": "a&b"}).kind()).count(" selected ") == 1
