# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The allocation run: ``sales.allocation.allocator.allocate(lead_ids, trigger)``.

Per batch: gather the facts (``sales.allocation.gather``), take the queues' turns and
let the engine decide (``sales.allocation.turns.take``: a short transaction of its own),
then write owners, log rows and followers (``sales.allocation.ledger.move``) in the
caller's transaction. Reason texts come from ``sales.allocation.reasons``.
"""
import logging
import time
from collections import Counter, defaultdict

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import split_every

from ..sql import without_jit
from .sales_allocation_ledger import LogRow, Move

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10000


class SalesAllocationAllocator(models.AbstractModel):
    _name = "sales.allocation.allocator"
    _description = "Lead allocation service"

    @api.model
    def allocate(self, lead_ids, trigger="create"):
        """Allocate the given leads; return a summary dict (counts per outcome).

        Leads are processed in batches so that memory stays flat and each batch holds
        the queues' turns only while the engine decides. The caller's transaction is
        kept: nothing commits here (scheduled actions commit between calls). New owners
        hear of their leads from the digest cron, one message per rep and run.
        """
        self._check_may_allocate(lead_ids)
        started = time.time()
        summary = {"assigned": 0, "reassigned": 0, "unallocated": 0, "pool": 0, "leads": 0}
        # Open leads per rep as this transaction sees them, once counted: each batch
        # brings them up to date with what it wrote, so the next does not count again.
        loads = {}
        for batch in split_every(self._batch_size(), list(lead_ids)):
            result = self._allocate_batch(list(batch), trigger=trigger, loads=loads)
            for key, count in result.items():
                summary[key] = summary.get(key, 0) + count
            summary["leads"] += len(batch)
        summary["seconds"] = round(time.time() - started, 3)
        if summary["leads"] > 1:
            _logger.info("sales_allocation: %(leads)d leads in %(seconds)ss: "
                         "%(assigned)d assigned, %(reassigned)d reassigned, "
                         "%(unallocated)d unallocated", summary)
        return summary

    @api.model
    def _check_may_allocate(self, lead_ids):
        """``allocate`` is public, so any logged-in user can call it over XML-RPC, and it
        writes with SQL, past the ORM's checks: check here what a write would."""
        if self.env.uid == SUPERUSER_ID:
            return
        leads = self.env["crm.lead"].browse(list(lead_ids))
        leads.check_access_rights("write")
        leads.check_access_rule("write")

    @api.model
    def _batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param(
            "sales_allocation.batch_size")
        if not value:
            # get_param answers False when unset, and int(False) is 0: batches of one.
            return DEFAULT_BATCH_SIZE
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return DEFAULT_BATCH_SIZE

    # ------------------------------------------------------------------ one batch

    @api.model
    def _allocate_batch(self, lead_ids, trigger="create", loads=None):
        """Allocate one batch; ``loads``: the open-lead counts (user id -> open leads)
        known from the batches before, updated here with what this one writes."""
        loads = {} if loads is None else loads
        without_jit(self.env.cr, len(lead_ids))
        gather = self.env["sales.allocation.gather"]
        turns = self.env["sales.allocation.turns"]
        flags = {}
        _facts, previous, companies, open_ids = gather._lead_facts(lead_ids, flags)
        plans = list(gather._plans(companies, trigger))
        # One customer, one owner: matches are looked for on new leads only, not on
        # hand-offs (the rule of a later stage chooses on purpose).
        matching = self.env["sales.allocation.match"]
        matches, followers = matching._find_batch(lead_ids) if trigger == "create" \
            else ({}, {})
        deciders = [gather._decider(plan, matches) for plan in plans]
        queue_set = turns.load(set().union(*[plan.queue_ids for plan in plans]),
                               take=True)

        # The engine asks for the loads of the matches' owners one match at a time:
        # they are read with the first question instead.
        hinted = {match.owner_id for match in matches.values() if match.owner_id}

        def decide(reserved):
            others = {}  # user id -> open leads reserved by other transactions

            def load_of(user_ids):
                missing = {user_id for user_id in user_ids if user_id not in loads}
                if missing:
                    missing |= hinted.difference(loads)
                    loads.update(dict.fromkeys(missing, 0))
                    loads.update(gather._open_lead_counts(missing))
                unknown = {user_id for user_id in user_ids if user_id not in others}
                if unknown:
                    unknown |= hinted.difference(others)
                    others.update(dict.fromkeys(unknown, 0))
                    others.update(reserved(unknown))
                return {user_id: loads[user_id] + others[user_id] for user_id in user_ids}

            # One owner per customer of the batch too (followers: its later leads).
            decisions = matching._decide(deciders, queue_set.queues, load_of, followers)
            if trigger != "create":
                decisions = self._handoff_decisions(decisions, previous, trigger)
            taken = Counter(decision.user_id for decision in decisions
                            if decision.user_id and decision.lead_id in open_ids
                            and decision.user_id != previous.get(decision.lead_id))
            return decisions, taken

        decisions = turns.take(queue_set, decide)
        assigned_at = fields.Datetime.now()
        # The rules' speed-to-lead deadlines, written with the owners.
        response = self.env["sales.allocation.response"]
        deadlines = response.deadlines(decisions, previous, assigned_at,
                                       queue_set.calendars)
        owners = self._apply(decisions, previous, queue_set.teams, queue_set.queues,
                             deadlines=deadlines, now=assigned_at)
        response.clear(decisions, previous, flags["timed"], deadlines)
        # After the owners: the rules' follow-up activities.
        self.env["sales.allocation.followup"].schedule(
            decisions, previous, assigned_at, queue_set.calendars)
        self.env["sales.allocation.worktime"].flag_held(decisions, flags["held"])
        # As _open_lead_counts would count them now: an open lead that changed owner
        # is one more for the new owner and one less for the old one.
        for lead_id, (before, after) in owners.items():
            if lead_id in open_ids:
                if before in loads:
                    loads[before] -= 1
                if after in loads:
                    loads[after] += 1
        self.env["sales.allocation.ledger"].follow(
            self._extra_followers(decisions, previous, trigger))
        return self._count(decisions, previous)

    @api.model
    def _handoff_decisions(self, decisions, previous, trigger):
        """A hand-off only acts where a rule of its trigger matched and the owner (or
        pool) changes; its reasons start with the hand-off that caused it."""
        handoff = (("handoff_%s" % trigger, {}),)
        return [decision._replace(reasons=handoff + decision.reasons)
                for decision in decisions
                if decision.rule_id and (decision.pool_id
                                         or decision.user_id != previous.get(
                                             decision.lead_id))]

    @api.model
    def _extra_followers(self, decisions, previous, trigger):
        """(lead, user) pairs to follow besides the new owners: a matrix cell's
        product specialist, and on a hand-off the previous owner (he keeps an eye on
        the deal he passed on)."""
        pairs = []
        for decision in decisions:
            if trigger != "create" and previous.get(decision.lead_id):
                pairs.append((decision.lead_id, previous[decision.lead_id]))
            for code, params in decision.reasons:
                if code == "matrix" and params.get("specialist_user_id"):
                    pairs.append((decision.lead_id, params["specialist_user_id"]))
        return pairs

    # ------------------------------------------------------------------ writing

    @api.model
    def _apply(self, decisions, previous, teams, queues, deadlines=None, now=None):
        """Write the decisions through the ledger (owners, log rows, followers), with
        the match columns of the leads a match decided or flagged
        (``sales.allocation.match._rows``).

        ``deadlines``: lead id -> the ledger's ``Move.response_deadline``
        (``sales.allocation.response.deadlines``). ``teams``: queue id -> its sales
        channel (a lead joins it unless the rule names one); ``queues``: the engine
        queues, for their names in the reasons.
        Returns the owner changes written: lead id -> (owner before, owner after).
        """
        if not decisions:
            return {}
        now = now or fields.Datetime.now()
        deadlines = deadlines or {}
        reasons = self.env["sales.allocation.reasons"]
        # What the reasons name, read once for their texts and the match columns.
        names = reasons.read_names(decisions, queues)
        details = reasons.details(decisions, queues, names=names)
        matched = self.env["sales.allocation.match"]._rows(decisions, names["match"],
                                                           names["user"])
        moves, kept = [], []
        for decision, (text, passed_over, skip_codes) in zip(decisions, details):
            lead_id, user_id, pool_id = decision.lead_id, decision.user_id, decision.pool_id
            before = previous.get(lead_id)
            if user_id:
                state = "allocated"
                event = "reassigned" if before and before != user_id else "assigned"
            elif pool_id:
                state, event = "pool", "pooled"
            elif before:
                # Nothing places it but it has an owner already: keep him, say so.
                kept.append(LogRow(lead_id, before, before, "unallocated", text,
                                   passed_over=passed_over, skip_codes=skip_codes))
                continue
            else:
                state = event = "unallocated"
            moves.append(Move(
                lead_id, user_id, before, event, state, text,
                team_id=decision.team_id or teams.get(decision.queue_id),
                rule_id=decision.rule_id, queue_id=decision.queue_id, pool_id=pool_id,
                passed_over=passed_over, skip_codes=skip_codes,
                match=matched.get(lead_id),
                response_deadline=deadlines.get(lead_id)))
        ledger = self.env["sales.allocation.ledger"]
        ledger.move(moves, now)
        ledger.log(kept, now)
        return {move.lead_id: (move.previous_user_id, move.user_id) for move in moves
                if move.previous_user_id != move.user_id}

    @api.model
    def _count(self, decisions, previous):
        counts = defaultdict(int)
        for decision in decisions:
            if decision.user_id:
                before = previous.get(decision.lead_id)
                counts["reassigned" if before and before != decision.user_id
                       else "assigned"] += 1
            elif decision.pool_id:
                counts["pool"] += 1
            else:
                counts["unallocated"] += 1
        return counts
