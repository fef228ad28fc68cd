"""The city queue's filters (a GET form: no CSRF token needed)."""

from flask_wtf import FlaskForm
from wtforms.validators import Optional

from portal.city.service import KINDS
from portal.fields import Select


class CityQueueForm(FlaskForm):
    class Meta:
        csrf = False

    county = Select("县（市、区）", validators=[Optional()])
    kind = Select("事项", choices=[("", "全部"), *KINDS.items()], validators=[Optional()])

    def __init__(self, formdata, counties):
        super().__init__(formdata)
        self.county.choices = [("", "全部"), *((n.code, n.name) for n in counties)]
