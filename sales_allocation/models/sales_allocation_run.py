# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The last runs of the scheduled actions (issue 15, item 4): when, how many leads
placed, how long. Each run method records itself with ``@recorded_run(job)``."""
import functools
import time

from odoo import _, api, fields, models

JOBS = [("backlog", "Backlog allocation"), ("reclaim", "Pool reclaim")]
# Runs kept per job: the monitor shows the latest ones, older ones are forgotten.
KEEP_RUNS = 50


def recorded_run(job):
    """Decorate a run method returning a summary dict: record when it ran, how long
    it took and what it did in ``sales.allocation.run`` (one row per run)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            date = fields.Datetime.now()
            started = time.time()
            result = method(self, *args, **kwargs)
            self.env["sales.allocation.run"].sudo()._record(
                job, date, time.time() - started, result)
            return result
        return wrapper
    return decorate


class SalesAllocationRun(models.Model):
    _name = "sales.allocation.run"
    _description = "Scheduled action run"
    _order = "date desc, id desc"
    _rec_name = "job"
    _log_access = False

    job = fields.Selection(JOBS, string="Scheduled Action", required=True, readonly=True,
                           index=True)
    date = fields.Datetime(string="Started", required=True, readonly=True)
    duration = fields.Float(string="Seconds", digits=(16, 2), readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True,
                                help="Leads the run looked at (backlog) or took back "
                                     "(reclaim).")
    placed_count = fields.Integer(string="Placed", readonly=True,
                                  help="Leads given an owner or a pool.")
    summary = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", string="Run By", readonly=True)

    @api.model
    def _record(self, job, date, seconds, result):
        result = result if isinstance(result, dict) else {}
        if job == "reclaim":
            leads, placed = result.get("reclaimed", 0), result.get("reallocated", 0)
            summary = _("%(warned)d warned, %(reclaimed)d taken back, %(reallocated)d "
                        "re-allocated") % dict(
                            {"warned": 0, "reclaimed": 0, "reallocated": 0}, **result)
        else:
            leads = result.get("leads", 0)
            placed = sum(result.get(key, 0) for key in ("assigned", "reassigned", "pool"))
            summary = _("%(leads)d leads: %(placed)d placed, %(unallocated)d still "
                        "waiting") % {"leads": leads, "placed": placed,
                                      "unallocated": result.get("unallocated", 0)}
        if result.get("conflict"):
            summary = _("gave up after transaction conflicts; the next run retries")
        self.create({"job": job, "date": date, "duration": round(seconds, 2),
                     "lead_count": leads, "placed_count": placed, "summary": summary,
                     "user_id": self.env.uid})
        self.env.cr.execute("""
            DELETE FROM sales_allocation_run WHERE job = %s AND id NOT IN (
                SELECT id FROM sales_allocation_run WHERE job = %s
                 ORDER BY date DESC, id DESC LIMIT %s)
        """, [job, job, KEEP_RUNS])
