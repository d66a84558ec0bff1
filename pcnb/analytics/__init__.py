"""Pipeline analytics over pcnb frames: pure polars functions, no I/O.

Metric numbering (M1..M18) follows the analytics issue; definitions come from process-mining
practice (pm4py) and how US regulators and labs measure interconnection timelines.
"""

from pcnb.analytics import namespace as _namespace  # noqa: E402,F401  registers df.pc
from pcnb.analytics.backlog import backlog_over_time
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.quality import data_quality
from pcnb.analytics.segments import project_attributes, segmented, size_bin
from pcnb.analytics.sla import due_dates, sla_compliance, sla_summary
from pcnb.analytics.throughput import aging_wip, arrivals_net_flow, throughput, wip_by_day
from pcnb.analytics.time_in_status import cycle_time, time_in_status, utility_held_time

__all__ = [
    "Calendar", "aging_wip", "arrivals_net_flow", "backlog_over_time", "cycle_time", "data_quality", "due_dates",
    "project_attributes", "segmented", "size_bin", "sla_compliance", "sla_summary", "status_intervals",
    "throughput", "time_in_status", "utility_held_time", "wip_by_day",
]
