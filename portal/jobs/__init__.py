"""Background jobs (后台任务): long work run by the huey consumer, with progress kept in `Job`."""
