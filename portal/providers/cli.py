"""`flask --app portal providers ...`: the plans as JSON, and the list and courseware imports
(the same services as the pages' background jobs, run here synchronously). Exit 2 on a file that
cannot be read or an unknown plan; exit 1 when row errors kept a file from being imported (the
JSON summary says which rows). --received and --unmatched write the pages' two workbooks: the
rows received with their outcome, and the rows not taken in the upload layout."""

import json
import sys
from pathlib import Path

import click

from portal.cli_support import needs_schema, read_file, refusals_exit
from portal.extensions import db
from portal.providers import lists, overdue, service, study_end
from portal.providers.models import PlanState
from portal.refusal import INVALID, Refusal


@click.group("providers")
def providers():
    """培训计划备案、合格人员名单与网络课件学习记录。"""


def _echo(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@providers.command("plans")
@click.option("--state", type=click.Choice([s.value for s in PlanState]), default=None)
@needs_schema
def plans(state):
    """List plans as JSON: number, provider, title, dates, state."""
    chosen = PlanState(state) if state else None
    _echo([service.as_json(plan) for plan in service.plans(None, chosen)])


def _write(path: str | None, data: bytes) -> None:
    if path:
        try:
            Path(path).write_bytes(data)
        except OSError:
            raise Refusal(f"无法写入文件“{path}”。", INVALID) from None


def _finish(summary, received, unmatched, plan=None) -> None:
    courseware = plan is None
    caption = f"{'网络课件学习记录' if courseware else '合格人员名单'}的接收结果（命令行导入）"
    _write(received, lists.outcome_workbook(summary, courseware=courseware, caption=caption))
    _write(unmatched, lists.unmatched_workbook(summary, plan))
    _echo(summary.as_json())
    if summary.imported:
        db.session.commit()
    else:
        db.session.rollback()
        sys.exit(1)


@providers.command("import-list")
@click.argument("plan_no")
@click.argument("path", metavar="FILE.xlsx")
@click.option("--clean-rows", is_flag=True, help="有错误时只导入无误的行")
@click.option("--received", metavar="OUT.xlsx", help="写出接收结果（每行的处理结果）")
@click.option("--unmatched", metavar="OUT.xlsx", help="写出未匹配与有误的记录（名单格式）")
@needs_schema
@refusals_exit
def import_list(plan_no, path, clean_rows, received, unmatched):
    """Import a plan's qualified list (seed 001 附件2) and print a JSON summary."""
    plan = service.plan_by_number(plan_no)
    summary = lists.import_list(None, plan, read_file(path), path, clean_rows=clean_rows)
    _finish(summary, received, unmatched, plan)


@providers.command("import-courseware")
@click.argument("path", metavar="FILE.xlsx|FILE.csv")
@click.option("--clean-rows", is_flag=True, help="有错误时只导入无误的行")
@click.option("--received", metavar="OUT.xlsx", help="写出接收结果（每行的处理结果）")
@click.option("--unmatched", metavar="OUT.xlsx", help="写出未匹配与有误的记录")
@needs_schema
@refusals_exit
def import_courseware(path, clean_rows, received, unmatched):
    """Import courseware completions (Excel or CSV) and print a JSON summary."""
    summary = lists.import_courseware(None, read_file(path), path, clean_rows=clean_rows)
    _finish(summary, received, unmatched)


@providers.command("overdue-lists")
@click.option("--remind", is_flag=True, help="提醒报送单位（每项只提醒一次）")
@needs_schema
@refusals_exit
def overdue_lists(remind):
    """Filed trainings whose qualified list is 30 days overdue, as JSON (issue 22.1)."""
    items = overdue.overdue_lists()
    reminded = overdue.remind() if remind else 0
    db.session.commit()
    out = {
        "overdue": [
            {"filing_no": i.plan.filing_no, "title": i.plan.title, "organiser": i.plan.organiser_name,
             "end_date": i.plan.end_date.isoformat(), "days_overdue": i.days}
            for i in items
        ],
        "reminded": reminded,
    }  # fmt: skip
    click.echo(json.dumps(out, ensure_ascii=False))


@providers.command("study-end")
@click.argument("year", type=int)
@click.argument("day", required=False, type=click.DateTime(formats=["%Y-%m-%d"]))
@needs_schema
@refusals_exit
def study_end_command(year, day):
    """Set (or without DAY remove) when YEAR's online 公需 study ends; JSON of every year."""
    ends = study_end.set_study_end(None, year, day.date() if day else None)
    db.session.commit()
    click.echo(json.dumps({str(y): d.isoformat() for y, d in ends.items()}, ensure_ascii=False))
