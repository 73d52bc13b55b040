# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reason texts: why a lead belongs to its owner, in the reader's language.

The engine answers with reason codes and ids; ``sales.allocation.reasons`` turns them
into sentences, translated once per language (``_templates``) and formatted once per
distinct reasons tuple.
"""
from odoo import _, api, models, tools

# Members passed over that a reason names; the log row's ``passed_over`` lists all.
MAX_NAMED_SKIPS = 3


class SalesAllocationReasons(models.AbstractModel):
    _name = "sales.allocation.reasons"
    _description = "Lead allocation: reason texts"

    @api.model
    def manual(self):
        """The reason of an owner set by hand by the current user."""
        return _("Salesperson set by hand by %s.") % self.env.user.name

    @api.model
    @tools.ormcache("self.env.context.get('lang')")
    def _templates(self):
        """Translated sentence templates, looked up once per language, not per lead
        (cached until translations change: that clears the registry's caches).
        Shared: read it, never change it."""
        return {
            "rule": _("Rule \"%(rule)s\" matched."),
            "continuity": _("Kept with %(user)s, who already owns an open lead of this "
                            "customer."),
            "queue": _("Queue \"%(queue)s\" (%(strategy)s) chose %(user)s."),
            "skipped": _("Skipped %(user)s: %(why)s."),
            "user": _("Sent to %(user)s."),
            "user_archived": _("Rule \"%(rule)s\" matched but %(user)s is archived."),
            "queue_full": _("Rule \"%(rule)s\" matched but nobody in queue \"%(queue)s\" "
                            "could take the lead."),
            "pool": _("Placed in pool \"%(pool)s\"."),
            "unallocated": _("No rule placed this lead: it waits for the backlog run."),
            "why_archived": _("archived"),
            "why_unavailable": _("unavailable"),
            "why_cap": _("cap of open leads reached"),
            "why_new_cap": _("daily or weekly cap of new leads reached"),
            "why_cooldown": _("in cooldown on this lead"),
            # Working hours (issue 13); the details come from sales.allocation.worktime.
            "why_on_leave": _("on leave"),
            "why_off_shift": _("off shift"),
            "away_on_leave_until": _("on leave until %(until)s"),
            "away_off_shift_hours": _("off shift (%(hours)s %(tz)s)"),
            "held": _("Nobody in queue \"%(queue)s\" is on shift: the lead is held for "
                      "the next shift (the backlog run places it)."),
            "why_excluded": _("excluded"),
            # Why not me (issue 15): a reason names a few members passed over, the
            # log row lists them all.
            "skipped_more": _("%(count)d more passed over: see the allocation log."),
            "passed_over": _("%(user)s (queue \"%(queue)s\"): %(why)s"),
            # Matching before routing (issue 14): sales.allocation.match.
            "match": _("Same %(strength)s as %(match)s (%(user)s): the lead goes to the "
                       "owner of that customer."),
            "match_fallback": _("Same %(strength)s as %(match)s, but %(user)s cannot "
                                "take the lead (%(why)s): the rule's usual target "
                                "decides."),
            "duplicate": _("Possible duplicate of %(match)s (%(user)s): same "
                           "%(strength)s; flagged for review."),
            "strength_email": _("email address"),
            "strength_domain": _("email domain"),
            "strength_phone": _("phone number"),
            "strength_company": _("company name"),
            "strength_vat": _("VAT number"),
            "sequential": _("sequential"),
            "weighted": _("weighted"),
            "least_loaded": _("least loaded"),
            "matrix": _("Matrix cell %(cell)s applies."),
            "matrix_specialist": _("Matrix cell %(cell)s applies; product specialist "
                                   "%(specialist)s follows the lead."),
            "handoff_convert": _("Hand-off: the lead became an opportunity."),
            "handoff_stage": _("Hand-off: the opportunity entered a new stage."),
            "handoff_won": _("Hand-off: the opportunity was won."),
            "rotation": _("Territory rotation: taken over from %(user)s."),
        }

    @api.model
    def texts(self, decisions, queues):
        """One readable sentence per decision, in the acting user's language."""
        return [detail[0] for detail in self.details(decisions, queues)]

    @api.model
    def read_names(self, decisions, queues):
        """What the reasons of ``decisions`` name, read once for the whole batch:
        {"user"|"rule"|"pool"|"queue"|"match": id -> name, "absence": (queue id, user
        id) -> why the member is away}. ``details`` takes it; so does the writer of
        the match columns (``sales.allocation.match._rows``)."""
        user_ids, rule_ids, pool_ids, queue_ids = set(), set(), set(), set()
        # The engine shares one reasons tuple between equal decisions: read each once.
        distinct = {id(decision.reasons): decision.reasons for decision in decisions}
        for reasons in distinct.values():
            for _code, params in reasons:
                if params.get("user_id"):
                    user_ids.add(params["user_id"])
                if params.get("rule_id"):
                    rule_ids.add(params["rule_id"])
                if params.get("pool_id"):
                    pool_ids.add(params["pool_id"])
                if params.get("queue_id"):
                    queue_ids.add(params["queue_id"])
        queue_names = {queue.id: queue.name for queue in queues.values()}
        # Queues that were not loaded (archived) are named too.
        queue_names.update(self.names(
            "sales.allocation.queue", queue_ids - set(queue_names)))
        return {
            "user": self.names("res.users", user_ids),
            "rule": self.names("sales.allocation.rule", rule_ids),
            "pool": self.names("sales.allocation.pool", pool_ids)
            if pool_ids and "sales.allocation.pool" in self.env else {},
            "queue": queue_names,
            "absence": self._absence_texts(self._templates(), queues),
            "match": self.env["sales.allocation.match"]._reason_names(distinct.values()),
        }

    @api.model
    def details(self, decisions, queues, names=None):
        """Per decision ``(text, passed_over, codes)``: the reason, shortened to name
        at most ``MAX_NAMED_SKIPS`` members passed over; the full list of the members
        passed over, one per line (or None); and the machine codes of the log row
        (``skip_codes``: the whys of the deciding rule's queue, ``passed:<rule id>``
        per rule passed over; or None). Formatted once per distinct reasons tuple.
        ``names``: what ``read_names`` answered, when the caller has read them for
        more than the texts."""
        templates = self._templates()
        if names is None:
            names = self.read_names(decisions, queues)
        # The engine shares one reasons tuple between equal decisions; key by identity
        # (the decisions keep the tuples alive, so ids are not reused meanwhile).
        cache, memo = {}, {}
        details = []
        for decision in decisions:
            detail = cache.get(id(decision.reasons))
            if detail is None:
                detail = cache[id(decision.reasons)] = self._detail(
                    templates, names, decision.reasons, memo)
            details.append(detail)
        return details

    def _detail(self, templates, names, reasons, memo=None):
        """``(text, passed_over, codes)`` of one reasons tuple (see ``details``).
        ``memo``: (code, id of params) -> sentence, for the reasons tuples of one
        batch: a rule's reason (its params shared by the tuples of all its leads) is
        formatted once, whatever follows it (a match differs lead by lead)."""
        sentences, passed, codes = [], [], []
        skips = 0
        for code, params in reasons:
            if code == "skipped":
                skips += 1
                values = self._values(templates, names, params)
                passed.append(templates["passed_over"] % values)
                codes.append(params.get("why") or "")
                if skips <= MAX_NAMED_SKIPS:
                    sentences.append(templates["skipped"] % values)
                elif skips == MAX_NAMED_SKIPS + 1:
                    sentences.append(None)  # "N more passed over", N known at the end
                continue
            if code in ("queue_full", "user_archived") and params.get("rule_id"):
                codes.append("passed:%d" % params["rule_id"])
            elif code == "rule":
                # Only the deciding rule's own queue counts toward its whys.
                codes = [token for token in codes if token.startswith("passed:")]
            sentence = memo.get((code, id(params))) if memo is not None else None
            if sentence is None:
                sentence = self._sentence(templates, names, code, params)
                if memo is not None:
                    memo[(code, id(params))] = sentence
            sentences.append(sentence)
        more = max(skips - MAX_NAMED_SKIPS, 0)
        text = " ".join(
            templates["skipped_more"] % {"count": more} if sentence is None else sentence
            for sentence in sentences)
        return (text, "\n".join(passed) or None,
                " ".join(token for token in codes if token) or None)

    @api.model
    def _absence_texts(self, templates, queues):
        """(queue id, user id) -> why the member is away ("on leave until Feb 2"), for
        the members the working hours took out of this run (``Member.absence``)."""
        text = self.env["sales.allocation.worktime"].absence_text
        return {(queue.id, member.user_id): text(member.absence, templates)
                for queue in queues.values() for member in queue.members
                if getattr(member, "absence", None) is not None}

    @api.model
    def passed_over_details(self, skipped_by_key, queue_names):
        """key -> ``(text, passed_over, codes)`` for tuples of 'skipped' reasons alone
        (the reclaim's re-allocation, which picks outside ``engine.allocate``)."""
        templates = self._templates()
        names = {"rule": {}, "pool": {}, "queue": queue_names, "user": self.names(
            "res.users", {params["user_id"] for reasons in skipped_by_key.values()
                          for _code, params in reasons})}
        return {key: self._detail(templates, names, reasons) if reasons
                else ("", None, None) for key, reasons in skipped_by_key.items()}

    @api.model
    def _why_labels(self):
        """why code -> its translated label ('cap' -> 'cap of open leads reached')."""
        return {key[4:]: label for key, label in self._templates().items()
                if key.startswith("why_")}

    @classmethod
    def _sentence(cls, templates, names, code, params):
        values = cls._values(templates, names, params)
        if code == "matrix" and params.get("specialist"):
            code = "matrix_specialist"
        template = templates.get(code)
        return template % values if template else ""

    @staticmethod
    def _values(templates, names, params):
        return {
            "rule": names["rule"].get(params.get("rule_id"), ""),
            "user": names["user"].get(params.get("user_id"), ""),
            "queue": names["queue"].get(params.get("queue_id"), ""),
            "pool": names["pool"].get(params.get("pool_id"), ""),
            "strategy": templates.get(params.get("strategy"), ""),
            "why": names.get("absence", {}).get(
                (params.get("queue_id"), params.get("user_id")))
            or templates.get("why_%s" % params.get("why"), params.get("why", "")),
            "cell": params.get("cell", ""),
            "specialist": params.get("specialist", ""),
            "match": names.get("match", {}).get(params.get("lead_id"), ""),
            "strength": templates.get("strength_%s" % params.get("strength"), ""),
        }

    @api.model
    def names(self, model, ids):
        if not ids:
            return {}
        if model == "res.users":
            # What name_get gives (the partner's name), without computing the related
            # field through the ORM: one join instead of two reads per batch.
            self.env.cr.execute("""
                SELECT u.id, COALESCE(p.name, '') FROM res_users u
                  JOIN res_partner p ON p.id = u.partner_id WHERE u.id IN %s
            """, [tuple(ids)])
            return dict(self.env.cr.fetchall())
        # prefetch_fields=False: read the name only, not every column of the model (for
        # res.users that is ~70 fields and costs more than the whole batch's reasons).
        records = self.env[model].sudo().with_context(
            active_test=False, prefetch_fields=False).browse(list(ids))
        return dict(records.name_get())
