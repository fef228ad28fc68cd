"""The command line on a database that has not been created yet: answers or one clear line."""

import pytest

from portal import create_app


@pytest.fixture
def empty_runner(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/e.db",
        }
    )
    return app.test_cli_runner()


def test_workdays_add_answers_from_the_library_alone(empty_runner):
    result = empty_runner.invoke(args=["workdays", "add", "2025-09-26", "5"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "2025-10-10"


def test_publicity_close_says_what_to_do(empty_runner):
    result = empty_runner.invoke(args=["publicity", "close"])
    assert result.exit_code == 1
    assert "db upgrade" in result.stderr
    assert "Traceback" not in result.output
