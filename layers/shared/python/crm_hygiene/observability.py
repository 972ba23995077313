"""Logger, tracer and metrics in one place (STYLE point 8). Never log record bodies, emails, phones,
names or task tokens: log ids, counts and outcomes."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="crm-hygiene")
tracer = Tracer(service="crm-hygiene")
metrics = Metrics(namespace="CrmHygiene", service="crm-hygiene")
