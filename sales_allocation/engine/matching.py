# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rule matching over plain values.

A ``Rule`` carries the plain conditions of a ``sales.allocation.rule``; a ``Lead``
carries the values of a ``crm.lead`` those conditions look at.  Both are built by the
Odoo adapter from SQL rows, so they hold ids and strings, never records.

Every condition is optional (an empty set or ``None`` bound means "no condition") and
all conditions combine with AND.  A lead whose value is ``None``/``False`` for a
constrained field fails that condition.

``RuleIndex`` makes matching cheap for large batches: the conditions with few distinct
lead values (country, state, customer type, segment) form a cache key, and the rules
compatible with a key are computed once, the first time a lead with that key shows up
(in two steps: the rules of each (country, state) place are kept too, so a new key only
filters the short list of its place).  Each cached rule keeps only the checks the key
does not cover (tags, source, industry, revenue, stage), precompiled into one small
predicate, or ``None`` when nothing is left.  So per lead the allocator reads one dict
and tries a handful of rules, each for just the conditions it still has.
"""

__all__ = ["Rule", "Lead", "RuleIndex"]

TARGET_TYPES = ("user", "queue", "pool", "matrix")


class Rule(object):
    """The plain part of an allocation rule.

    ``has_domain`` says the rule also has a free Odoo domain: only the database can
    evaluate it, so the allocator asks ``domain_matcher`` for it (see ``allocate``).
    """

    __slots__ = (
        "id", "sequence", "target_type", "user_id", "queue_id", "pool_id",
        "matrix_id", "team_id", "name", "country_ids", "state_ids", "tag_ids",
        "source_ids", "industry_ids", "customer_types", "segments", "revenue_min",
        "revenue_max", "has_domain", "owner_continuity", "stage_ids", "match_policy",
    )

    def __init__(self, id, sequence, target_type, user_id=None, queue_id=None,
                 pool_id=None, matrix_id=None, team_id=None, name="",
                 country_ids=frozenset(), state_ids=frozenset(), tag_ids=frozenset(),
                 source_ids=frozenset(), industry_ids=frozenset(),
                 customer_types=frozenset(), segments=frozenset(), revenue_min=None,
                 revenue_max=None, has_domain=False, owner_continuity=False,
                 stage_ids=frozenset(), match_policy="owner"):
        if target_type not in TARGET_TYPES:
            raise ValueError("unknown target_type %r" % (target_type,))
        self.id = id
        self.sequence = sequence
        self.target_type = target_type
        self.user_id = user_id
        self.queue_id = queue_id
        self.pool_id = pool_id
        self.matrix_id = matrix_id
        self.team_id = team_id
        self.name = name
        # frozenset() also accepts the lists/tuples an SQL row may hold.
        self.country_ids = frozenset(country_ids)
        self.state_ids = frozenset(state_ids)
        self.tag_ids = frozenset(tag_ids)
        self.source_ids = frozenset(source_ids)
        self.industry_ids = frozenset(industry_ids)
        self.customer_types = frozenset(customer_types)
        self.segments = frozenset(segments)
        self.revenue_min = revenue_min
        self.revenue_max = revenue_max
        self.has_domain = bool(has_domain)
        self.owner_continuity = bool(owner_continuity)
        # Hand-off rules (trigger 'stage'): the stages whose entry they react to.
        self.stage_ids = frozenset(stage_ids)
        # What a match of the lead (``allocate``'s ``matches``) does under this rule:
        # 'owner' (its owner gets the lead), 'flag' (a duplicate to review), 'ignore'.
        self.match_policy = match_policy

    def __repr__(self):
        return "Rule(id=%r, sequence=%r, target_type=%r)" % (
            self.id, self.sequence, self.target_type)


class Lead(object):
    """The values of one lead that rules and owner continuity look at.

    ``partner_key`` is the commercial partner id, used for owner continuity.
    ``product_category_id`` (the product line) is what the matrix resolver reads;
    ``stage_id`` is the pipeline stage, checked by rules with ``stage_ids``.
    ``revenue`` ``False`` (an unset SQL value seen through the ORM) becomes ``None``
    so that it fails revenue conditions instead of counting as 0.
    """

    __slots__ = (
        "id", "country_id", "state_id", "tag_ids", "source_id", "industry_id",
        "customer_type", "segment", "revenue", "partner_key", "product_category_id",
        "stage_id",
    )

    def __init__(self, id, country_id=None, state_id=None, tag_ids=frozenset(),
                 source_id=None, industry_id=None, customer_type=None, segment=None,
                 revenue=0.0, partner_key=None, product_category_id=None, stage_id=None):
        self.id = id
        self.country_id = country_id
        self.state_id = state_id
        self.tag_ids = frozenset(tag_ids or ())
        self.source_id = source_id
        self.industry_id = industry_id
        self.customer_type = customer_type
        self.segment = segment
        self.revenue = None if revenue is False else revenue
        self.partner_key = partner_key
        self.product_category_id = product_category_id
        self.stage_id = stage_id

    def __repr__(self):
        return "Lead(id=%r)" % (self.id,)


def _accepts(allowed, value):
    """True when an ``in``-condition holds: no condition, or a set value inside it."""
    if not allowed:
        return True
    return value is not None and value is not False and value in allowed


def _both(first, second):
    return lambda lead: first(lead) and second(lead)


def compile_check(rule):
    """Return a predicate for the conditions outside the index key, or ``None``.

    Each condition gets its own one-line lambda and they are chained with ``and``,
    so a rule pays only for the conditions it has.  ``x in frozenset`` is already
    false for ``None`` (ids are positive), so no extra guard is needed there.
    """
    checks = []
    tags, sources, industries = rule.tag_ids, rule.source_ids, rule.industry_ids
    low, high = rule.revenue_min, rule.revenue_max
    stages = rule.stage_ids
    if stages:
        checks.append(lambda lead: lead.stage_id in stages)
    if tags:
        checks.append(lambda lead: not tags.isdisjoint(lead.tag_ids))
    if sources:
        checks.append(lambda lead: lead.source_id in sources)
    if industries:
        checks.append(lambda lead: lead.industry_id in industries)
    if low is not None and high is not None:
        checks.append(lambda lead: lead.revenue is not None
                      and low <= lead.revenue <= high)
    elif low is not None:
        checks.append(lambda lead: lead.revenue is not None and lead.revenue >= low)
    elif high is not None:
        checks.append(lambda lead: lead.revenue is not None and lead.revenue <= high)
    if not checks:
        return None
    check = checks[0]
    for other in checks[1:]:
        check = _both(check, other)
    return check


def _place_accepts(rule, country, state):
    return _accepts(rule.country_ids, country) and _accepts(rule.state_ids, state)


def _profile_accepts(rule, customer_type, segment):
    return (_accepts(rule.customer_types, customer_type)
            and _accepts(rule.segments, segment))


def index_key(lead):
    """The cache key of ``RuleIndex``: the lead fields with few distinct values."""
    return (lead.country_id, lead.state_id, lead.customer_type, lead.segment)


class RuleIndex(object):
    """Rules in (sequence, id) order, with the candidates of each lead key cached.

    ``make_entry(rule, check)`` turns each rule into what ``candidates`` returns
    (default: the pair ``(rule, check)``); returning ``None`` drops a rule that can
    never apply, so it costs nothing per lead.  ``check`` is ``None`` or a predicate
    ``check(lead) -> bool`` for the conditions the key does not cover.
    """

    __slots__ = ("rules", "_compiled", "_by_place", "_by_key", "cache")

    def __init__(self, rules, make_entry=None):
        self.rules = sorted(rules, key=lambda rule: (rule.sequence, rule.id))
        compiled = []
        for rule in self.rules:
            check = compile_check(rule)
            entry = (rule, check) if make_entry is None else make_entry(rule, check)
            if entry is not None:
                compiled.append((rule, check, entry))
        self._compiled = compiled
        # (country_id, state_id) -> the compiled rules accepting that place.  Many
        # keys share a place, so the long scan over all rules runs once per place.
        self._by_place = {}
        # key -> tuple of entries; the allocator reads it directly in its hot loop.
        self.cache = {}
        # key -> tuple of (rule, check) for ``matching``, whatever the entries are.
        self._by_key = {}

    def _at_place(self, country, state):
        place = (country, state)
        compiled = self._by_place.get(place)
        if compiled is None:
            compiled = self._by_place[place] = [
                item for item in self._compiled if _place_accepts(item[0], country, state)]
        return compiled

    def build(self, key):
        """Compute, cache and return the candidate entries for ``key``."""
        country, state, customer_type, segment = key
        found = tuple(entry for rule, _check, entry in self._at_place(country, state)
                      if _profile_accepts(rule, customer_type, segment))
        self.cache[key] = found
        return found

    def candidates(self, lead):
        """Entries of the rules whose key conditions accept ``lead``, in order."""
        key = index_key(lead)
        found = self.cache.get(key)
        if found is None:
            found = self.build(key)
        return found

    def matching(self, lead):
        """The rules whose plain conditions all accept ``lead``, in order.

        The free domain (``has_domain``) is not evaluated here: it needs the database.
        Meant for explanations, previews and finding the queues a batch can reach;
        ``allocate`` walks ``candidates``.  The rules a key accepts are cached as for
        ``candidates``, so a lead costs its checks, not a scan of the rules.
        """
        key = index_key(lead)
        pairs = self._by_key.get(key)
        if pairs is None:
            country, state, customer_type, segment = key
            pairs = self._by_key[key] = tuple(
                (rule, check) for rule, check, _entry in self._at_place(country, state)
                if _profile_accepts(rule, customer_type, segment))
        return [rule for rule, check in pairs if check is None or check(lead)]
