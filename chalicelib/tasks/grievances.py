"""The grievances' daily schedule: escalate the ones past their deadline, count the overdue ones."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Cron

from chalicelib import bootstrap

bp = Blueprint(__name__)
logger = Logger(service="spsr-grievances")
metrics = Metrics(namespace="SPSR", service="grievances")


@bp.schedule(Cron(5, 19, "*", "*", "?", "*"), name="grievance_sweep")  # 00:05 in Tashkent (UTC+5)
def grievance_sweep(event: Any) -> dict[str, Any]:
    """Escalates every grievance past its last day at the district to the region (each escalation in
    the audit trail) and publishes the open ones past their last day (metric ``OverdueGrievances``)."""
    services = bootstrap.services()
    swept = services.grievances.sweep()
    for grievance_id, version in swept.escalated:
        services.audit.record(actor="system:grievance_sweep", role="system", action="grievance.escalate",
                              record_id=grievance_id, request_id=f"grievance_sweep:{grievance_id}:v{version}")
    metrics.add_metric(name="OverdueGrievances", unit=MetricUnit.Count, value=swept.overdue)
    metrics.add_metric(name="EscalatedGrievances", unit=MetricUnit.Count, value=len(swept.escalated))
    metrics.flush_metrics()
    logger.info("grievance sweep", extra={"escalated": len(swept.escalated), "overdue": swept.overdue})
    return {"escalated": len(swept.escalated), "overdue": swept.overdue}
