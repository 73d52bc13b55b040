# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Allocate a batch of leads: one ``Decision`` per lead, none dropped.

For each lead the rules are walked in (sequence, id) order; the first rule that
matches AND whose target can take the lead decides.  A rule matches when its plain
conditions hold (see ``matching``), when its free domain holds (``has_domain``; asked
to ``domain_matcher``) and, for a matrix rule, when ``matrix_resolver`` returns a
target.  Then, in this order:

1. Owner continuity: the rule has ``owner_continuity``, the lead's customer
   (``partner_key``) already has an owner in ``continuity``, the owner is not archived
   and, if the target is a queue he belongs to, he is available there.  The owner gets
   the lead; caps are ignored (a customer keeps his salesperson).
2. Target ``user``: the user, unless archived; then the next rule is tried.
3. Target ``queue``: the queue's rotation picks a member (``rotation.pick``); when
   nobody is eligible the next rule is tried, unless the queue holds leads for the
   next shift (``Queue.hold``) and at least one member is only away (on leave, off
   shift): the lead is then held, a decision without user nor pool whose rule and
   queue are set, ending with ``held``.
4. Target ``pool``: the lead goes to the pool, without an owner.

When no rule places the lead, the decision has no user and no rule ("unallocated").
Whenever a lead is given to a user and its customer has no (active) owner yet, that
user is recorded in ``continuity``, so later leads of the customer in the same batch
follow him.  The adapter may persist the dict or drop it.

Reasons are structured ``(code, params)`` pairs, in the order things happened; the Odoo
side turns them into translated text.  Codes and params:

``'rule'``          {'rule_id'}                         the rule that decided
``'matrix'``        the resolver's extra dict           the matrix cell that decided
``'continuity'``    {'user_id'}                         given to the customer's owner
``'queue'``         {'queue_id', 'strategy', 'user_id'} picked by the queue rotation
``'skipped'``       {'queue_id', 'user_id', 'why'}      one per member a consulted queue
                                                        could not use; why is
                                                        'archived', 'unavailable',
                                                        'on_leave', 'off_shift', 'cap'
``'user_archived'`` {'rule_id', 'user_id'}              a user rule passed over
``'queue_full'``    {'rule_id', 'queue_id'}             a queue rule passed over
``'pool'``          {'pool_id'}                         sent to a pool
``'held'``          {'rule_id', 'queue_id'}             waits for a member's shift
``'unallocated'``   {}                                  no rule placed the lead

A decision's reasons read in order: what the rules passed over said (``skipped`` of
their queue, then ``queue_full``; or ``user_archived``), then for the deciding rule
``rule``, ``matrix`` if it is a matrix rule, and ``continuity``, ``queue`` followed by
its ``skipped``, ``pool``, or nothing more for a user target; or ``unallocated`` last.
Reason tuples and their dicts are shared between decisions whenever they are equal
(most decisions of a batch reuse a handful of tuples), so treat them as read-only.

Matches (issue 14): ``matches`` maps a lead id to the ``dedupe.Candidate`` of its
strongest match (an open lead with an owner).  The deciding rule's ``match_policy``
says what it does, after owner continuity (a customer linked to the lead is the
surer sign) and before the target: ``'owner'`` gives the lead to the match's
owner (``match``; caps ignored, as for continuity) unless he is archived, away in the
rule's queue or over his cap there: then ``match_fallback`` (with ``why``) and the
rule's target as usual; ``'flag'`` keeps the target and adds ``duplicate``;
``'ignore'`` does nothing.  Their params: {'lead_id', 'user_id', 'strength'}.

``Decision`` fields: ``lead_id``; ``user_id`` (the new owner, ``None`` for a pool or
unallocated); ``rule_id`` (``None`` when unallocated); ``queue_id`` (the queue whose
rotation picked, ``None`` otherwise, owner continuity included); ``pool_id``;
``team_id`` (the deciding rule's); ``reasons``.
"""
from collections import namedtuple

from .matching import RuleIndex
from .rotation import AWAY, Rotation

__all__ = ["Decision", "allocate", "REASON_CODES"]

# What a match did (see "Matches" above).
MATCH_REASON_CODES = ("match", "match_fallback", "duplicate")

REASON_CODES = ("rule", "matrix", "continuity", "queue", "skipped", "user_archived",
                "queue_full", "pool", "unallocated", "held")
REASON_CODES += MATCH_REASON_CODES

Decision = namedtuple(
    "Decision", "lead_id user_id rule_id queue_id pool_id team_id reasons")

_USER, _QUEUE, _POOL, _MATRIX = range(4)
_KINDS = {"user": _USER, "queue": _QUEUE, "pool": _POOL, "matrix": _MATRIX}
# The targets a matrix cell may point to.
_CELL_KINDS = {"user": _USER, "queue": _QUEUE, "pool": _POOL}
_TARGET_FIELD = {_USER: "user_id", _QUEUE: "queue_id", _POOL: "pool_id",
                 _MATRIX: "matrix_id"}
_UNALLOCATED = (("unallocated", {}),)


def _tail(kind, rule_id, target_id):
    """The reasons that end a decision through a rule's target: why a user or queue
    target could not take the lead (the walk goes on), or the pool it went to."""
    if kind == _USER:
        return (("user_archived", {"rule_id": rule_id, "user_id": target_id}),)
    if kind == _QUEUE:
        return (("queue_full", {"rule_id": rule_id, "queue_id": target_id}),)
    if kind == _POOL:
        return (("pool", {"pool_id": target_id}),)
    return None


class _Plan(object):
    """What the allocator needs about one rule, prepared once per call.

    ``hot`` marks the common case, a plain queue rule: the allocate loop picks in
    its queue directly; every other rule goes through ``_Batch.place`` first.
    """

    __slots__ = ("rule", "rule_id", "team_id", "check", "has_domain", "continuity",
                 "kind", "target_id", "pick", "hot", "head", "tail", "bodies",
                 "match_policy")

    def __init__(self, rule, check, rotation):
        self.rule = rule
        self.rule_id = rule.id
        self.team_id = rule.team_id
        self.check = check
        self.has_domain = rule.has_domain
        self.continuity = rule.owner_continuity
        self.match_policy = getattr(rule, "match_policy", "owner")
        self.kind = _KINDS[rule.target_type]
        self.target_id = getattr(rule, _TARGET_FIELD[self.kind])
        self.pick = rotation.picker(self.target_id) if self.kind == _QUEUE else None
        self.hot = self.kind == _QUEUE and not self.has_domain
        # Leading reasons of every decision this rule makes.
        self.head = (("rule", {"rule_id": rule.id}),)
        self.tail = _tail(self.kind, rule.id, self.target_id)
        # user_id -> (skipped, reasons) of a decision through this rule's queue:
        # shared by all its decisions while the queue's skipped tuple is the same.
        self.bodies = {}


class _Batch(object):
    """State of one ``allocate`` call, and the paths that are not the hot one."""

    def __init__(self, queues, continuity, domain_matcher, matrix_resolver,
                 user_active, load_of=None, matches=None):
        self.queues = queues
        self.matches = matches or {}
        self.rotation = Rotation(queues, user_active, load_of)
        self.archived = self.rotation.archived
        self.continuity = continuity
        self.domain_matcher = domain_matcher
        self.matrix_resolver = matrix_resolver
        self.domains = {}
        self.skip_reasons = {}

    def make_plan(self, rule, check):
        """``RuleIndex`` entry of a rule; ``None`` for one that can never match."""
        if rule.target_type == "matrix" and self.matrix_resolver is None:
            return None
        if rule.has_domain and self.domain_matcher is None:
            return None
        return _Plan(rule, check, self.rotation)

    def in_domain(self, plan, lead_id):
        """Whether the lead satisfies the rule's free domain (asked once per rule)."""
        ids = self.domains.get(plan.rule_id)
        if ids is None:
            ids = self.domains[plan.rule_id] = frozenset(
                self.domain_matcher(plan.rule_id))
        return lead_id in ids

    def skipped(self, queue_id, skipped):
        """The 'skipped' reasons for ``skipped``, shared while it does not change."""
        cached = self.skip_reasons.get(queue_id)
        if cached is None or cached[0] is not skipped:
            cached = self.skip_reasons[queue_id] = (skipped, tuple(
                ("skipped", {"queue_id": queue_id, "user_id": user_id, "why": why})
                for user_id, why in skipped))
        return cached[1]

    def queue_reasons(self, head, queue_id, user_id, skipped):
        return head + (("queue", {
            "queue_id": queue_id, "strategy": self.queues[queue_id].strategy,
            "user_id": user_id}),) + self.skipped(queue_id, skipped)

    def owner(self, kind, target_id, lead):
        """The customer's owner if owner continuity gives him this lead, else None."""
        owner = self.continuity.get(lead.partner_key)
        if owner is None or owner in self.archived:
            return None
        if kind == _QUEUE:
            member = self.rotation.member(target_id, owner)
            if member is not None and (not member.available
                                       or member.absence is not None):
                return None
        return owner

    def place(self, plan, lead, prefix):
        """Apply a rule whose plain conditions ``lead`` meets, off the hot path.

        Returns a ``Decision``; or a reasons prefix to carry to the next rule (the
        very ``prefix`` object when the rule does not match after all, a longer one
        when its target cannot take the lead); or ``None`` when the rule is a plain
        queue rule whose rotation the caller runs itself.
        """
        if plan.has_domain and not self.in_domain(plan, lead.id):
            return prefix
        kind, target_id, head, tail = plan.kind, plan.target_id, plan.head, plan.tail
        if kind == _MATRIX:
            cell = self.matrix_resolver(plan.rule, lead)
            if cell is None:
                return prefix
            target_type, target_id, extra = cell
            kind = _CELL_KINDS[target_type]
            head = head + (("matrix", extra or {}),)
            tail = _tail(kind, plan.rule_id, target_id)
        if plan.continuity and lead.partner_key is not None:
            owner = self.owner(kind, target_id, lead)
            if owner is not None:
                self.rotation.charge(owner)
                return self.decide(lead, owner, plan, None, None, prefix + head + (
                    ("continuity", {"user_id": owner}),))
        plain = True
        match = self.matches.get(lead.id)
        if match is not None and plan.match_policy != "ignore":
            placed = self.place_match(plan, kind, target_id, lead, prefix, head, match)
            if placed.__class__ is Decision:
                return placed
            head, plain = placed, False
        if kind == _QUEUE:
            if plan.kind == _QUEUE and plain:
                return None
            member, skipped = self.rotation.pick(target_id)
            if member is None:
                if self.holds(target_id, skipped):
                    return self.hold(lead, plan, target_id, prefix + head, skipped)
                return prefix + self.skipped(target_id, skipped) + tail
            return self.decide(lead, member.user_id, plan, target_id, None, (
                prefix + self.queue_reasons(
                    head, target_id, member.user_id, skipped)))
        if kind == _USER:
            if target_id in self.archived:
                return prefix + tail
            self.rotation.charge(target_id)
            return self.decide(lead, target_id, plan, None, None, prefix + head)
        return self.decide(lead, None, plan, None, target_id, prefix + head + tail)

    def holds(self, queue_id, skipped):
        """Whether a queue nobody could take a lead from holds it for a shift."""
        queue = self.queues.get(queue_id)
        return queue is not None and queue.hold and any(
            why in AWAY for _user_id, why in skipped)

    def hold(self, lead, plan, queue_id, reasons, skipped):
        """The decision of a lead held for the next shift of ``queue_id``."""
        return Decision(lead.id, None, plan.rule_id, queue_id, None, plan.team_id,
                        reasons + self.skipped(queue_id, skipped) + ((
                            "held", {"rule_id": plan.rule_id, "queue_id": queue_id}),))

    def place_match(self, plan, kind, target_id, lead, prefix, head, match):
        """A match under ``plan``'s policy: the ``Decision`` giving the lead to the
        match's owner, or the rule's ``head`` reasons to go on with."""
        params = {"lead_id": match.lead_id, "user_id": match.owner_id,
                  "strength": match.strength}
        if plan.match_policy == "flag":
            return head + (("duplicate", params),)
        why = self.match_refusal(kind, target_id, match.owner_id)
        if why is None:
            self.rotation.charge(match.owner_id)
            return self.decide(lead, match.owner_id, plan, None, None,
                               prefix + head + (("match", params),))
        return head + (("match_fallback", dict(params, why=why)),)

    def match_refusal(self, kind, target_id, user_id):
        """Why the match's owner cannot get the lead, or ``None``: archived, or in
        the rule's queue unavailable, away or at his cap of open leads."""
        if user_id is None or user_id in self.archived:
            return "archived"
        if kind == _QUEUE:
            member = self.rotation.member(target_id, user_id)
            if member is not None:
                absence = getattr(member, "absence", None)
                if not member.available:
                    return "unavailable"
                if absence is not None:
                    return getattr(absence, "code", "unavailable")
                self.rotation.fetch_loads([user_id])
                if 0 < member.max_open <= member.load:
                    return "cap"
                new_left = getattr(member, "new_left", None)
                if new_left is not None and new_left <= 0:
                    return "new_cap"
        return None

    def decide(self, lead, user_id, plan, queue_id, pool_id, reasons):
        if user_id is not None:
            self.follow(lead.partner_key, user_id)
        return Decision(lead.id, user_id, plan.rule_id, queue_id, pool_id,
                        plan.team_id, reasons)

    def follow(self, partner_key, user_id):
        """Record ``user_id`` as the customer's owner if he has no active one."""
        if partner_key is not None:
            owner = self.continuity.get(partner_key)
            if owner is None or owner in self.archived:
                self.continuity[partner_key] = user_id


def allocate(leads, rules, queues, continuity=None, domain_matcher=None,
             matrix_resolver=None, user_active=None, load_of=None, matches=None):
    """Decide an owner (or pool) for every lead; returns a list of ``Decision``.

    ``leads``: iterable of ``Lead`` (materialized: ``domain_matcher`` answers for the
    whole batch).  ``rules``: iterable of ``Rule``.  ``queues``: dict queue id ->
    ``Queue``, whose rotation state is updated in place.  ``continuity``: dict
    partner_key -> owner user id, updated in place.  ``domain_matcher(rule_id)``: the
    ids of the batch's leads that satisfy the rule's free domain; called at most once
    per rule, and only for a rule a lead reached with its plain conditions met.
    Without it, rules with a domain never match.  ``matrix_resolver(rule, lead)``:
    ``(target_type, target_id, extra)`` or ``None``; without it, matrix rules never
    match.  ``user_active``: dict user id -> bool, ``False`` for archived users.
    ``load_of(user_ids)``: dict user id -> open leads, asked only for the loads a
    decision reads (``rotation``, "Lazy loads"); the members' ``load`` then start at 0.
    ``matches``: dict lead id -> ``dedupe.Candidate``, see "Matches" above.
    """
    leads = list(leads)
    if continuity is None:
        continuity = {}
    matches = matches or {}
    batch = _Batch(queues, continuity, domain_matcher, matrix_resolver, user_active,
                   load_of, matches)
    index = RuleIndex(rules, batch.make_plan)
    cache, build = index.cache, index.build
    place, follow, skipped_reasons = batch.place, batch.follow, batch.skipped
    archived = batch.archived
    new_decision = tuple.__new__  # what Decision(...) does, minus a Python call

    decisions = []
    append = decisions.append
    for lead in leads:
        # matching.index_key(lead), inlined: this loop runs once per lead.
        key = (lead.country_id, lead.state_id, lead.customer_type, lead.segment)
        plans = cache.get(key)
        if plans is None:
            plans = build(key)
        prefix = ()
        for plan in plans:
            check = plan.check
            if check is not None and not check(lead):
                continue
            if not plan.hot or (plan.continuity and lead.partner_key in continuity) or (
                    matches and lead.id in matches):
                placed = place(plan, lead, prefix)
                if placed is not None:
                    if placed.__class__ is Decision:
                        append(placed)
                        break
                    prefix = placed
                    continue
            # A queue rule: its rotation picks (the common case, kept inline).
            member, skipped = plan.pick()
            if member is None:
                if batch.holds(plan.target_id, skipped):
                    append(batch.hold(lead, plan, plan.target_id, prefix + plan.head,
                                      skipped))
                    break
                prefix = prefix + skipped_reasons(plan.target_id, skipped) + plan.tail
                continue
            user_id = member.user_id
            # Reasons only change with the user and the queue's skipped tuple.
            body = plan.bodies.get(user_id)
            if body is None or body[0] is not skipped:
                body = plan.bodies[user_id] = (skipped, batch.queue_reasons(
                    plan.head, plan.target_id, user_id, skipped))
            partner = lead.partner_key
            if partner is not None and (
                    partner not in continuity or continuity[partner] in archived):
                follow(partner, user_id)
            append(new_decision(Decision, (
                lead.id, user_id, plan.rule_id, plan.target_id, None, plan.team_id,
                prefix + body[1])))
            break
        else:
            append(new_decision(Decision, (
                lead.id, None, None, None, None, None, prefix + _UNALLOCATED)))
    batch.rotation.flush()
    return decisions
