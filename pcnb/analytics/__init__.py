"""Pipeline analytics over pcnb frames: pure polars functions, no I/O.

Metric numbering (M1..M18) follows the analytics issue; definitions come from process-mining
practice (pm4py) and how US regulators and labs measure interconnection timelines. The README's
metric table states each metric's definition, unit, censoring rule and minimum-n rule; every
metric is point-in-time at ``as_of`` (:mod:`pcnb.analytics.asof`).
"""

from pcnb.analytics import namespace as _namespace  # noqa: E402,F401  registers df.pc
from pcnb.analytics.backlog import backlog_over_time, backlog_summary, response_summary, response_times, thread_state
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.conformance import ProcessModel, conformance, conformance_over_time, deviation_impact, deviations
from pcnb.analytics.intervals import status_intervals, with_business_hours
from pcnb.analytics.minn import MIN_N
from pcnb.analytics.process_map import ProcessMap, process_map
from pcnb.analytics.quality import data_quality
from pcnb.analytics.rework import rework, rework_by, rework_pairs, rework_projects, rework_rounds
from pcnb.analytics.segments import project_attributes, segmented, size_bin
from pcnb.analytics.sla import due_dates, sla_compliance, sla_summary
from pcnb.analytics.survival import cumulative_incidence, km_median, km_quantile
from pcnb.analytics.throughput import aging_wip, arrivals_net_flow, throughput, wip_by_day
from pcnb.analytics.time_in_status import (
    cycle_time,
    outcome_incidence,
    time_in_status,
    time_to_outcome,
    utility_held_time,
)
from pcnb.analytics.variants import event_variants, in_variant, project_variants, summarize, variants

__all__ = [
    "MIN_N", "Calendar", "ProcessMap", "ProcessModel", "aging_wip", "arrivals_net_flow",
    "backlog_over_time", "backlog_summary",
    "cumulative_incidence", "cycle_time", "data_quality", "due_dates", "km_median", "km_quantile", "outcome_incidence",
    "project_attributes", "response_summary", "response_times", "segmented", "size_bin", "sla_compliance",
    "sla_summary", "status_intervals", "thread_state", "throughput", "time_in_status", "time_to_outcome",
    "utility_held_time", "wip_by_day", "with_business_hours",
    # process mining (issue 31)
    "conformance", "conformance_over_time", "deviation_impact", "deviations", "event_variants", "in_variant",
    "process_map", "project_variants", "rework", "rework_by", "rework_pairs", "rework_projects", "rework_rounds",
    "summarize", "variants",
]
