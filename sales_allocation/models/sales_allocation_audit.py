# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Audit of the configuration (issue 15, item 1): who changed what, and when.

Rules, queues, pools, matrices, cells and regions are ``mail.thread`` documents whose
configuration fields are tracked as Odoo tracks leads (old -> new value in the
chatter). Many2many fields, which Odoo 11 cannot track, and the member lines of a
queue (weight, cap, availability) are written as a note on their document.

Allocation never writes these models through the ORM (the rotation lives in
``sales_allocation_rotation``, written with SQL by ``sales.allocation.turns``), so
tracking adds nothing to an allocation run.

A rule also shows its last 30 days (``stat_*``): leads placed, passed over (with
the top reasons) and converted, read in one grouped query for all rules shown.
"""
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import html_escape

STAT_DAYS = 30
# Log events that place a lead.
PLACED_EVENTS = ("assigned", "reassigned", "pooled")


class AuditedMixin(models.AbstractModel):
    """Notes for the many2many fields listed in ``_audit_m2m`` (not tracked by Odoo 11)."""

    _name = "sales.allocation.audited"
    _description = "Configuration audit: notes for many2many changes"

    _audit_m2m = ()
    # Configuration fields defined in other files (working hours, matching, speed to
    # lead...): tracked as well when the model has them.
    _audit_also = ()

    @api.model
    def _message_get_auto_subscribe_fields(self, updated_fields, auto_follow_fields=None):
        """None: a rep named in a rule or a queue is configuration, not a document he
        works. Tracking his field must not make him a follower and mail him "you have
        been assigned to the rule" (what mail.thread does for a tracked user_id)."""
        return []

    @api.model
    def _get_tracked_fields(self, updated_fields):
        tracked = super(AuditedMixin, self)._get_tracked_fields(updated_fields)
        extra = [name for name in self._audit_also
                 if name in self._fields and name not in tracked
                 and self._fields[name].type not in ("one2many", "many2many")]
        if extra:
            tracked = dict(tracked, **self.fields_get(extra))
        return tracked

    @api.multi
    def write(self, vals):
        names = [name for name in self._audit_m2m if name in vals]
        if not names or self.env.context.get("mail_notrack") \
                or self.env.context.get("tracking_disable"):
            return super(AuditedMixin, self).write(vals)
        # The names whoever reads (a pool's claimers may be users of other companies).
        before = {record.id: {name: record[name].sudo().mapped("display_name")
                              for name in names}
                  for record in self}
        result = super(AuditedMixin, self).write(vals)
        for record in self:
            lines = []
            for name in names:
                old = before[record.id][name]
                new = record[name].sudo().mapped("display_name")
                if old != new:
                    lines.append(_("%(field)s: %(old)s → %(new)s") % {
                        "field": self._fields[name].get_description(self.env)["string"],
                        "old": ", ".join(old) or _("(none)"),
                        "new": ", ".join(new) or _("(none)")})
            if lines:
                record._audit_note(lines)
        return result

    @api.multi
    def _audit_note(self, lines):
        """Post ``lines`` (plain text) as one note in the chatter."""
        self.ensure_one()
        body = "<ul>%s</ul>" % "".join(
            "<li>%s</li>" % html_escape(line) for line in lines)
        self.message_post(body=body, subtype="mail.mt_note")


class SalesAllocationRule(models.Model):
    _name = "sales.allocation.rule"
    _inherit = ["sales.allocation.rule", "sales.allocation.audited", "mail.thread"]
    _audit_m2m = ("country_ids", "state_ids", "tag_ids", "source_ids", "industry_ids",
                  "stage_ids")
    _audit_also = ("match_policy", "response_minutes", "response_grace_minutes",
                   "activity_type_id", "activity_summary", "activity_due_hours")

    name = fields.Char(track_visibility="onchange")
    sequence = fields.Integer(track_visibility="onchange")
    active = fields.Boolean(track_visibility="onchange")
    company_id = fields.Many2one(track_visibility="onchange")
    domain = fields.Char(track_visibility="onchange")
    customer_type = fields.Selection(track_visibility="onchange")
    customer_segment = fields.Selection(track_visibility="onchange")
    revenue_min = fields.Float(track_visibility="onchange")
    revenue_max = fields.Float(track_visibility="onchange")
    target_type = fields.Selection(track_visibility="onchange")
    user_id = fields.Many2one(track_visibility="onchange")
    queue_id = fields.Many2one(track_visibility="onchange")
    pool_id = fields.Many2one(track_visibility="onchange")
    matrix_id = fields.Many2one(track_visibility="onchange")
    trigger = fields.Selection(track_visibility="onchange")
    team_id = fields.Many2one(track_visibility="onchange")
    owner_continuity = fields.Boolean(track_visibility="onchange")

    stat_placed = fields.Integer(
        string="Placed (30 days)", compute="_compute_stats",
        help="Leads this rule placed in the last 30 days (owner or pool).")
    stat_skipped = fields.Integer(
        string="Passed Over (30 days)", compute="_compute_stats",
        help="Times in the last 30 days this rule matched a lead but its target could "
             "not take it (everybody capped, away or archived), so the next rule was "
             "tried.")
    stat_converted = fields.Integer(
        string="Converted (30 days)", compute="_compute_stats",
        help="Leads placed by this rule in the last 30 days that were converted into "
             "opportunities since.")
    stat_skip_reasons = fields.Char(
        string="Top Reasons (30 days)", compute="_compute_stats",
        help="Why members of this rule's queue were passed over in the last 30 days, "
             "most frequent first.")

    def _compute_stats(self):
        stats = self._stats([rule.id for rule in self if isinstance(rule.id, int)])
        whys = self.env["sales.allocation.reasons"]._why_labels()
        for rule in self:
            row = stats.get(rule.id, {})
            rule.stat_placed = row.get("placed", 0)
            rule.stat_converted = row.get("converted", 0)
            rule.stat_skipped = row.get("passed", 0)
            top = sorted(row.get("whys", {}).items(), key=lambda item: (-item[1], item[0]))
            rule.stat_skip_reasons = ", ".join(
                "%s (%d)" % (whys.get(why, why), count) for why, count in top[:3]) or False

    @api.model
    def _stats(self, rule_ids):
        """{rule id: {'placed', 'converted', 'passed', 'whys': {why: count}}} over the
        last ``STAT_DAYS`` days, in one grouped query over the log."""
        if not rule_ids:
            return {}
        since = fields.Datetime.to_string(
            fields.Datetime.from_string(fields.Datetime.now())
            - timedelta(days=STAT_DAYS))
        tokens = ["passed:%d" % rule_id for rule_id in rule_ids]
        self.env.cr.execute("""
            WITH recent AS (
                SELECT l.rule_id, l.event, l.lead_id, l.skip_codes
                  FROM sales_allocation_log l
                 WHERE l.date >= %(since)s
                   AND (l.rule_id IN %(ids)s OR (l.skip_codes IS NOT NULL
                        AND string_to_array(l.skip_codes, ' ') && %(tokens)s))
            )
            SELECT r.rule_id, 'placed', COUNT(*) FROM recent r
             WHERE r.rule_id IN %(ids)s AND r.event IN %(events)s GROUP BY r.rule_id
            UNION ALL
            SELECT r.rule_id, 'converted', COUNT(DISTINCT r.lead_id) FROM recent r
              JOIN crm_lead cl ON cl.id = r.lead_id AND cl.type = 'opportunity'
                                AND cl.date_conversion IS NOT NULL
             WHERE r.rule_id IN %(ids)s AND r.event IN %(events)s GROUP BY r.rule_id
            UNION ALL
            SELECT substr(t.token, 8)::int, 'passed', COUNT(*)
              FROM recent r, unnest(string_to_array(r.skip_codes, ' ')) AS t(token)
             WHERE t.token = ANY(%(tokens)s) GROUP BY t.token
            UNION ALL
            SELECT r.rule_id, 'why:' || t.token, COUNT(*)
              FROM recent r, unnest(string_to_array(r.skip_codes, ' ')) AS t(token)
             WHERE r.rule_id IN %(ids)s AND t.token NOT LIKE 'passed:%%'
             GROUP BY r.rule_id, t.token
        """, {"since": since, "ids": tuple(rule_ids), "tokens": tokens,
              "events": PLACED_EVENTS})
        stats = {}
        for rule_id, key, count in self.env.cr.fetchall():
            row = stats.setdefault(rule_id, {"whys": {}})
            if key.startswith("why:"):
                row["whys"][key[4:]] = count
            else:
                row[key] = count
        return stats


class SalesAllocationQueue(models.Model):
    _name = "sales.allocation.queue"
    _inherit = ["sales.allocation.queue", "sales.allocation.audited", "mail.thread"]
    _audit_also = ("respect_working_hours", "when_nobody_on_shift",
                   "resource_calendar_id")

    name = fields.Char(track_visibility="onchange")
    active = fields.Boolean(track_visibility="onchange")
    company_id = fields.Many2one(track_visibility="onchange")
    team_id = fields.Many2one(track_visibility="onchange")
    strategy = fields.Selection(track_visibility="onchange")


class SalesAllocationQueueMember(models.Model):
    """Changes of member lines are noted on their queue's chatter."""

    _inherit = "sales.allocation.queue.member"

    # The member fields whose changes the queue's chatter notes (those of other files,
    # such as the daily and weekly caps, when present).
    _audit_fields = ("user_id", "weight", "max_open_leads", "max_new_per_day",
                     "max_new_per_week", "available")
    # Caps: 0 reads "no cap".
    _audit_caps = ("max_open_leads", "max_new_per_day", "max_new_per_week")

    def _audit_value(self, name):
        field = self._fields[name]
        value = self[name]
        if field.type == "many2one":
            # A member may be a user of another company: his name, whoever reads.
            return value.sudo().display_name or ""
        if field.type == "boolean":
            return _("yes") if value else _("no")
        if name in self._audit_caps and not value:
            return _("no cap")
        return "%s" % value

    def _audit_label(self, name):
        return self._fields[name].get_description(self.env)["string"]

    @api.model
    def create(self, vals):
        member = super(SalesAllocationQueueMember, self).create(vals)
        if not self._audit_off():
            member.queue_id._audit_note([_("Member added: %(user)s (%(values)s)") % {
                "user": member.user_id.sudo().display_name,
                "values": ", ".join("%s %s" % (member._audit_label(name),
                                               member._audit_value(name))
                                    for name in self._audit_fields[1:]
                                    if name in self._fields)}])
        return member

    @api.multi
    def write(self, vals):
        names = [name for name in self._audit_fields if name in vals
                 and name in self._fields]
        if not names or self._audit_off():
            return super(SalesAllocationQueueMember, self).write(vals)
        before = {member.id: {name: member._audit_value(name) for name in names}
                  for member in self}
        result = super(SalesAllocationQueueMember, self).write(vals)
        notes = {}
        for member in self:
            for name in names:
                old, new = before[member.id][name], member._audit_value(name)
                if old != new:
                    notes.setdefault(member.queue_id, []).append(
                        _("%(user)s: %(field)s %(old)s → %(new)s") % {
                            "user": member.user_id.sudo().display_name,
                            "field": member._audit_label(name), "old": old, "new": new})
        for queue, lines in notes.items():
            queue._audit_note(lines)
        return result

    @api.multi
    def unlink(self):
        notes = {}
        if not self._audit_off():
            for member in self:
                notes.setdefault(member.queue_id, []).append(
                    _("Member removed: %s") % member.user_id.sudo().display_name)
        result = super(SalesAllocationQueueMember, self).unlink()
        for queue, lines in notes.items():
            if queue.exists():
                queue._audit_note(lines)
        return result

    def _audit_off(self):
        context = self.env.context
        return context.get("mail_notrack") or context.get("tracking_disable")


class SalesAllocationPool(models.Model):
    _name = "sales.allocation.pool"
    _inherit = ["sales.allocation.pool", "sales.allocation.audited", "mail.thread"]
    _audit_m2m = ("user_ids",)
    _audit_also = ("allow_matched_claims", "mask_contacts", "protect_days")

    name = fields.Char(track_visibility="onchange")
    active = fields.Boolean(track_visibility="onchange")
    company_id = fields.Many2one(track_visibility="onchange")
    team_id = fields.Many2one(track_visibility="onchange")
    max_claims_per_day = fields.Integer(track_visibility="onchange")
    max_open_leads = fields.Integer(track_visibility="onchange")
    idle_days = fields.Integer(track_visibility="onchange")
    max_hold_days = fields.Integer(track_visibility="onchange")
    hold_goal = fields.Selection(track_visibility="onchange")
    warn_days = fields.Integer(track_visibility="onchange")
    cooldown_days = fields.Integer(track_visibility="onchange")
    reclaim_action = fields.Selection(track_visibility="onchange")
    reclaim_queue_id = fields.Many2one(track_visibility="onchange")


class SalesAllocationMatrix(models.Model):
    _name = "sales.allocation.matrix"
    _inherit = ["sales.allocation.matrix", "sales.allocation.audited", "mail.thread"]
    _audit_m2m = ("product_category_ids",)

    name = fields.Char(track_visibility="onchange")
    company_id = fields.Many2one(track_visibility="onchange")


class SalesAllocationMatrixCell(models.Model):
    _name = "sales.allocation.matrix.cell"
    _inherit = ["sales.allocation.matrix.cell", "sales.allocation.audited", "mail.thread"]

    matrix_id = fields.Many2one(track_visibility="onchange")
    region_id = fields.Many2one(track_visibility="onchange")
    product_category_id = fields.Many2one(track_visibility="onchange")
    target_type = fields.Selection(track_visibility="onchange")
    user_id = fields.Many2one(track_visibility="onchange")
    queue_id = fields.Many2one(track_visibility="onchange")
    pool_id = fields.Many2one(track_visibility="onchange")
    specialist_user_id = fields.Many2one(track_visibility="onchange")


class SalesAllocationRegion(models.Model):
    _name = "sales.allocation.region"
    _inherit = ["sales.allocation.region", "sales.allocation.audited", "mail.thread"]
    _audit_m2m = ("country_ids", "state_ids")

    name = fields.Char(track_visibility="onchange")
    sequence = fields.Integer(track_visibility="onchange")
