from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        "账号",
        validators=[DataRequired("请输入账号"), Length(max=64)],
        description="专业技术人员请使用身份证号码登录",
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
