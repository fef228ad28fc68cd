"""`flask --app portal jobs worker`: the huey consumer (jobs and the periodic schedule)."""

import json
import logging

import click
from flask.cli import AppGroup

from portal.cli_support import needs_schema
from portal.jobs import queue, service

jobs = AppGroup("jobs", help="后台任务 (background jobs) and the periodic schedule.")


@jobs.command("worker")
@click.option("--workers", default=2, show_default=True, help="并行执行任务的线程数")
@needs_schema
def worker(workers):
    """Run the job consumer in the foreground until stopped (Ctrl+C / SIGTERM)."""
    if queue.huey.immediate:
        raise click.UsageError("JOBS_IMMEDIATE 已开启：任务在请求内执行，不需要后台进程。")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    click.echo(f"== 后台任务进程启动（{queue.backend_name()}，{workers} 个线程）", err=True)
    failed = service.sweep()  # jobs left running by a consumer that died (issue 23.5)
    if failed:
        click.echo(f"== 已将 {len(failed)} 个无人执行的任务标为失败：{failed}", err=True)
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@jobs.command("sweep")
@needs_schema
def sweep():
    """Fail the jobs left running by a consumer on this host that is gone (as every consumer
    does when it starts); JSON out."""
    click.echo(json.dumps({"failed": service.sweep()}))


@jobs.command("schedule")
@needs_schema
def schedule():
    """The periodic tasks as JSON: when each runs, its last run and the next one."""
    rows = []
    for state in service.schedule_state():
        last = state.last
        rows.append(
            {
                "kind": state.entry.kind,
                "title": state.entry.title,
                "when": state.entry.when,
                "next_run": state.next_run.isoformat() if state.next_run else None,
                "last_run": None
                if last is None
                else {
                    "state": last.state.value,
                    "finished_at": last.finished_at.isoformat() if last.finished_at else None,
                    "message": last.message,
                },
            }
        )
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
