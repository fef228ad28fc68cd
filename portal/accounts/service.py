"""Account operations: authentication. Services flush, never commit."""

from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import User
from portal.extensions import db


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(db.select(User).filter_by(username=username.strip().upper()))
    if user is None:
        user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user
