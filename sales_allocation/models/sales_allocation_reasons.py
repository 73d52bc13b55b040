# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reason texts: why a lead belongs to its owner, in the reader's language.

The engine answers with reason codes and ids; ``sales.allocation.reasons`` turns them
into sentences, translated once per language (``_templates``) and formatted once per
distinct reasons tuple.
"""
from odoo import _, api, models, tools


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
        templates = self._templates()
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
        names = {
            "user": self.names("res.users", user_ids),
            "rule": self.names("sales.allocation.rule", rule_ids),
            "pool": self.names("sales.allocation.pool", pool_ids)
            if pool_ids and "sales.allocation.pool" in self.env else {},
            "queue": queue_names,
        }
        # The engine shares one reasons tuple between equal decisions; key by identity
        # (the decisions keep the tuples alive, so ids are not reused meanwhile).
        cache = {}
        texts = []
        for decision in decisions:
            text = cache.get(id(decision.reasons))
            if text is None:
                text = cache[id(decision.reasons)] = " ".join(
                    self._sentence(templates, names, code, params)
                    for code, params in decision.reasons)
            texts.append(text)
        return texts

    @staticmethod
    def _sentence(templates, names, code, params):
        values = {
            "rule": names["rule"].get(params.get("rule_id"), ""),
            "user": names["user"].get(params.get("user_id"), ""),
            "queue": names["queue"].get(params.get("queue_id"), ""),
            "pool": names["pool"].get(params.get("pool_id"), ""),
            "strategy": templates.get(params.get("strategy"), ""),
            "why": templates.get("why_%s" % params.get("why"), params.get("why", "")),
            "cell": params.get("cell", ""),
            "specialist": params.get("specialist", ""),
        }
        if code == "matrix" and params.get("specialist"):
            code = "matrix_specialist"
        template = templates.get(code)
        return template % values if template else ""

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
