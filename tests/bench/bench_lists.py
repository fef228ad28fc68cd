"""Timing of a qualified-list import (not a test: run it by hand, it asserts nothing).

    python tests/bench/bench_lists.py [--rows 5000] [--matched 0.8]

Builds a throwaway SQLite database with `rows` professionals (a share `matched` of them on
record), an accepted plan, and a list in the seed 001 附件2 layout written by the page's own
template; then times the check alone and the whole import (prepared claims in new drafts), and
a second import of the same file (which changes nothing).
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--matched", type=float, default=0.8)
    args = parser.parse_args()

    from portal import create_app
    from portal.accounts.idnumbers import make_id_number
    from portal.accounts.models import PersonStatus, Professional
    from portal.extensions import db
    from portal.providers import lists
    from portal.providers.models import PlanForm, PlanState, TrainingPlan
    from portal.units.models import Provider

    folder = tempfile.mkdtemp(prefix="bench-lists-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "UPLOAD_FOLDER": folder,
        }
    )
    with app.test_request_context():
        db.create_all()
        provider = Provider(name="基准测试基地")
        db.session.add(provider)
        db.session.flush()
        end = date.today() - timedelta(days=1)
        plan = TrainingPlan(
            provider_id=provider.id, title="基准培训", subject="professional",
            start_date=end - timedelta(days=1), end_date=end, days=2, hours_per_day=6,
            form=PlanForm.FACE, state=PlanState.ACCEPTED, filing_no="BA2099-0001",
            filed_on=end - timedelta(days=60),
        )  # fmt: skip
        db.session.add(plan)
        rows = []
        for n in range(args.rows):
            born = date(1960 + n % 40, 1 + n % 12, 1 + n % 28)
            id_number = make_id_number(born, n)
            name = f"学员{n}"
            if n < args.rows * args.matched:
                db.session.add(
                    Professional(id_number=id_number, name=name, status=PersonStatus.CONFIRMED)
                )
            rows.append((name, "某单位", id_number, "中级", plan.hours, "合格"))
        db.session.commit()
        content = lists.template(plan, rows)

        started = time.perf_counter()
        clean, errors, count = lists.check_list(plan, content, "list.xlsx")
        checked = time.perf_counter() - started
        started = time.perf_counter()
        summary = lists.import_list(None, plan, content, "list.xlsx")
        db.session.commit()
        imported = time.perf_counter() - started
        started = time.perf_counter()
        again = lists.import_list(None, plan, content, "list.xlsx")
        db.session.commit()
        repeated = time.perf_counter() - started
    print(f"rows {count}, file {len(content) // 1024} KB, row errors {len(errors)}")
    print(f"check only        {checked:6.2f} s")
    print(f"import            {imported:6.2f} s  matched {summary.matched}, "
          f"unmatched {summary.unmatched}")  # fmt: skip
    print(f"import again      {repeated:6.2f} s  unchanged {again.unchanged}")


if __name__ == "__main__":
    main()
