"""Scheduled checks on the payroll that end in a metric the stack alarms on (``infra/stack.py``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Cron

from chalicelib import bootstrap

bp = Blueprint(__name__)
logger = Logger(service="spsr-payroll")
metrics = Metrics(namespace="SPSR", service="payroll")


@bp.schedule(Cron(0, 19, 3, "*", "?", "*"), name="payroll_unapproved_report")
def payroll_unapproved_report(event: Any) -> dict[str, Any]:
    """19:00 UTC on the 3rd (00:00 on the 4th in Tashkent): districts whose pre-payroll nobody has
    approved or rejected yet (metric ``UnapprovedPrepayrolls``), so payment is not held up."""
    from chalicelib.services.payroll import default_month  # the payroll code loads on first use (cold start)

    svc = bootstrap.services().payroll
    month = default_month(svc.clock.now())
    pending = svc.unapproved_districts(month)
    metrics.add_metric(name="UnapprovedPrepayrolls", unit=MetricUnit.Count, value=len(pending))
    metrics.flush_metrics()
    logger.info("unapproved pre-payrolls", extra={"month": month, "districts": pending})
    return {"month": month, "unapproved": pending}
