from flask.cli import AppGroup

workdays = AppGroup("workdays", help="The working-day calendar.")
