"""The region x product-line matrix: territories, category chains, resolution, and the
matrix rules inside ``allocate``."""
import itertools

import pytest

from engine import Lead, Member, Queue, Rule, allocate
from engine.matrix import (
    Cell, Matrix, MatrixResolver, Region, Territory, category_chain, region_conflicts)

# Countries and provinces.
CN, JP = 1, 2
ZJ, JS, SH, BJ, GD, OSAKA = 11, 12, 13, 21, 31, 201
STATE_COUNTRIES = {ZJ: CN, JS: CN, SH: CN, BJ: CN, GD: CN, OSAKA: JP}

# Regions: three province-level ones inside China, China as a whole, Japan.
EAST, NORTH, SOUTH, CHINA, JAPAN = 100, 101, 102, 103, 104
REGIONS = [
    Region(EAST, "East", {ZJ, JS, SH}, set()),
    Region(NORTH, "North", {BJ}, set()),
    Region(SOUTH, "South", {GD}, set()),
    Region(CHINA, "China", set(), {CN}),
    Region(JAPAN, "Japan", set(), {JP}),
]

# Product categories: All > Hardware > Servers > GPU servers; All > Software.
ALL, HARDWARE, SERVERS, GPU, SOFTWARE = 1000, 1001, 1002, 1003, 1004
PARENTS = {ALL: None, HARDWARE: ALL, SERVERS: HARDWARE, GPU: SERVERS, SOFTWARE: ALL}


def cell(id, region_id, category_id, target_type="user", target_id=None, **kw):
    return Cell(id, region_id, category_id, target_type,
                target_id if target_id is not None else id * 10, **kw)


def territory():
    return Territory(REGIONS, STATE_COUNTRIES)


def lead(id=1, state_id=None, country_id=None, category=None, **kw):
    return Lead(id, country_id=country_id, state_id=state_id,
                product_category_id=category, **kw)


# ---------------------------------------------------------------- territories

def test_regions_of_province_then_country():
    t = territory()
    assert t.regions_of(ZJ, CN) == (EAST, CHINA)
    assert t.regions_of(BJ, CN) == (NORTH, CHINA)


def test_regions_of_country_only():
    t = territory()
    assert t.regions_of(None, CN) == (CHINA,)
    assert t.regions_of(OSAKA, JP) == (JAPAN,)


def test_regions_of_province_without_country_uses_the_province_country():
    assert territory().regions_of(ZJ, None) == (EAST, CHINA)


def test_regions_of_unknown_place():
    t = territory()
    assert t.regions_of(None, None) == ()
    assert t.regions_of(None, 99) == ()
    assert t.regions_of(999, None) == ()


def test_regions_of_province_of_uncovered_country():
    t = Territory([Region(EAST, "East", {ZJ}, set())], STATE_COUNTRIES)
    assert t.regions_of(ZJ, CN) == (EAST,)
    assert t.regions_of(JS, CN) == ()


def test_region_naming_both_province_and_its_country_is_listed_once():
    t = Territory([Region(CHINA, "China", {ZJ}, {CN})], STATE_COUNTRIES)
    assert t.regions_of(ZJ, CN) == (CHINA,)


def test_fallbacks_of_a_grid_row():
    t = territory()
    assert t.fallbacks(EAST) == (EAST, CHINA)
    assert t.fallbacks(CHINA) == (CHINA,)
    assert t.fallbacks(999) == (999,)


def test_region_conflicts():
    regions = REGIONS + [Region(200, "Zhejiang again", {ZJ}, set()),
                         Region(201, "All of China", set(), {CN, JP})]
    assert region_conflicts(regions) == [
        ("country", CN, (CHINA, 201)),
        ("country", JP, (JAPAN, 201)),
        ("state", ZJ, (EAST, 200)),
    ]
    assert region_conflicts(REGIONS) == []


def test_conflicting_places_go_to_the_lowest_region_id():
    regions = [Region(7, "B", {ZJ}, {CN}), Region(5, "A", {ZJ}, {CN})]
    t = Territory(regions, STATE_COUNTRIES)
    assert t.regions_of(ZJ, CN) == (5,)
    # The order the regions come in does not matter.
    assert Territory(list(reversed(regions)), STATE_COUNTRIES).regions_of(ZJ, CN) == (5,)


# ---------------------------------------------------------------- categories

def test_category_chain_nearest_first():
    assert category_chain(GPU, PARENTS) == (GPU, SERVERS, HARDWARE, ALL)
    assert category_chain(ALL, PARENTS) == (ALL,)
    assert category_chain(None, PARENTS) == ()
    # A category the map does not know is its own chain.
    assert category_chain(5555, PARENTS) == (5555,)


def test_category_chain_stops_at_a_cycle():
    assert category_chain(1, {1: 2, 2: 3, 3: 1}) == (1, 2, 3)


# ---------------------------------------------------------------- resolution

def test_exact_cell():
    m = Matrix(1, [cell(1, EAST, SERVERS)])
    assert m.resolve((EAST, CHINA), (SERVERS, HARDWARE, ALL)).id == 1


def test_parent_category_covers_sub_categories():
    m = Matrix(1, [cell(1, EAST, HARDWARE)])
    assert m.resolve((EAST, CHINA), category_chain(GPU, PARENTS)).id == 1
    assert m.resolve((EAST, CHINA), category_chain(SERVERS, PARENTS)).id == 1
    # ...but not its siblings or its parent.
    assert m.resolve((EAST, CHINA), category_chain(SOFTWARE, PARENTS)) is None
    assert m.resolve((EAST, CHINA), category_chain(ALL, PARENTS)) is None


def test_nearest_category_wins_within_a_region():
    m = Matrix(1, [cell(1, EAST, ALL), cell(2, EAST, HARDWARE), cell(3, EAST, GPU)])
    assert m.resolve((EAST,), category_chain(GPU, PARENTS)).id == 3
    assert m.resolve((EAST,), category_chain(SERVERS, PARENTS)).id == 2
    assert m.resolve((EAST,), category_chain(SOFTWARE, PARENTS)).id == 1


def test_province_level_region_beats_country_level():
    m = Matrix(1, [cell(1, CHINA, SERVERS), cell(2, EAST, SERVERS)])
    assert m.resolve((EAST, CHINA), (SERVERS, HARDWARE, ALL)).id == 2


def test_province_level_parent_category_beats_country_level_exact_category():
    m = Matrix(1, [cell(1, CHINA, GPU), cell(2, EAST, ALL)])
    assert m.resolve((EAST, CHINA), category_chain(GPU, PARENTS)).id == 2


def test_gap_in_province_region_falls_back_to_country_region():
    m = Matrix(1, [cell(1, EAST, SOFTWARE), cell(2, CHINA, HARDWARE)])
    assert m.resolve((EAST, CHINA), category_chain(GPU, PARENTS)).id == 2
    assert m.resolve((EAST, CHINA), category_chain(SOFTWARE, PARENTS)).id == 1


def test_no_cell_anywhere_is_none():
    m = Matrix(1, [cell(1, NORTH, SERVERS), cell(2, EAST, SOFTWARE)])
    assert m.resolve((EAST, CHINA), category_chain(SERVERS, PARENTS)) is None
    assert m.resolve((), category_chain(SERVERS, PARENTS)) is None
    assert m.resolve((EAST, CHINA), ()) is None
    assert Matrix(2, []).resolve((EAST, CHINA), (SERVERS,)) is None


def test_match_reports_how_specific_the_answer_is():
    m = Matrix(1, [cell(1, EAST, HARDWARE), cell(2, CHINA, SOFTWARE)])
    assert m.match((EAST, CHINA), category_chain(HARDWARE, PARENTS))[1:] == (0, 0)
    assert m.match((EAST, CHINA), category_chain(GPU, PARENTS))[1:] == (0, 2)
    found = m.match((EAST, CHINA), category_chain(SOFTWARE, PARENTS))
    assert (found.cell.id, found.region_rank, found.category_rank) == (2, 1, 0)


def test_duplicate_cells_are_refused():
    with pytest.raises(ValueError, match="share region"):
        Matrix(1, [cell(1, EAST, SERVERS), cell(2, EAST, SERVERS)])


def test_unknown_cell_target_is_refused():
    with pytest.raises(ValueError, match="target_type"):
        Matrix(1, [cell(1, EAST, SERVERS, target_type="matrix")])


def _brute_force(cells, regions, chain):
    """Reference: sort every applicable cell by (region rank, category rank)."""
    ranked = []
    for c in cells:
        if c.region_id in regions and c.category_id in chain:
            ranked.append((regions.index(c.region_id), chain.index(c.category_id), c.id))
    return min(ranked)[2] if ranked else None


def test_resolution_agrees_with_brute_force_on_every_layout():
    """Every layout of up to 4 cells over 2 region levels x 5 categories, for leads of
    every category in a covered province, in the country only, and elsewhere."""
    slots = list(itertools.product((EAST, CHINA), (ALL, HARDWARE, SERVERS, GPU, SOFTWARE)))
    t = territory()
    checked = 0
    for size in range(0, 5):
        for chosen in itertools.combinations(slots, size):
            cells = [cell(i + 1, region_id, category_id)
                     for i, (region_id, category_id) in enumerate(chosen)]
            m = Matrix(1, cells)
            for state_id, country_id in ((ZJ, CN), (None, CN), (BJ, CN)):
                regions = t.regions_of(state_id, country_id)
                for category in PARENTS:
                    chain = category_chain(category, PARENTS)
                    found = m.resolve(regions, chain)
                    assert (found.id if found else None) == _brute_force(
                        cells, list(regions), list(chain)), (chosen, state_id, category)
                    checked += 1
    # 1 + 10 + 45 + 120 + 210 layouts, 3 places, 5 categories.
    assert checked == 386 * 3 * 5


# ---------------------------------------------------------------- resolver

def _resolver(cells, matrix_id=1):
    return MatrixResolver({matrix_id: Matrix(matrix_id, cells)}, territory(), PARENTS)


def _matrix_rule(id=1, matrix_id=1, sequence=10, **kw):
    return Rule(id, sequence, "matrix", matrix_id=matrix_id, **kw)


def test_resolver_answers_target_and_extra():
    resolver = _resolver([cell(1, EAST, SERVERS, "queue", 7, specialist_user_id=55,
                               label="East / Servers", specialist_name="Wang")])
    target_type, target_id, extra = resolver(_matrix_rule(), lead(1, ZJ, CN, GPU))
    assert (target_type, target_id) == ("queue", 7)
    assert extra == {"matrix_id": 1, "cell_id": 1, "region_id": EAST,
                     "category_id": SERVERS, "specialist_user_id": 55,
                     "cell": "East / Servers", "specialist": "Wang"}


def test_resolver_without_category_or_matrix_is_none():
    resolver = _resolver([cell(1, EAST, ALL)])
    assert resolver(_matrix_rule(), lead(1, ZJ, CN, None)) is None
    assert resolver(_matrix_rule(matrix_id=2), lead(1, ZJ, CN, SERVERS)) is None


def test_resolver_memoizes_per_place_and_category():
    resolver = _resolver([cell(1, EAST, ALL), cell(2, CHINA, ALL)])
    first = resolver(_matrix_rule(), lead(1, ZJ, CN, GPU))
    assert resolver(_matrix_rule(), lead(2, ZJ, CN, GPU)) is first
    assert resolver(_matrix_rule(), lead(3, None, CN, GPU))[2]["cell_id"] == 2
    assert len(resolver._memo) == 2


# ---------------------------------------------------------------- inside allocate

def test_allocate_through_a_user_cell():
    rules = [_matrix_rule()]
    resolver = _resolver([cell(1, EAST, SERVERS, "user", 501)])
    [decision] = allocate([lead(1, ZJ, CN, GPU)], rules, {}, matrix_resolver=resolver)
    assert (decision.user_id, decision.rule_id) == (501, 1)
    codes = [code for code, _params in decision.reasons]
    assert codes == ["rule", "matrix"]
    assert decision.reasons[1][1]["cell_id"] == 1


def test_allocate_queue_inside_a_cell_rotates():
    queue = Queue(7, "sequential", [Member(501), Member(502), Member(503)])
    resolver = _resolver([cell(1, EAST, HARDWARE, "queue", 7)])
    leads = [lead(i, ZJ, CN, SERVERS) for i in range(1, 7)]
    decisions = allocate(leads, [_matrix_rule()], {7: queue}, matrix_resolver=resolver)
    assert [d.user_id for d in decisions] == [501, 502, 503, 501, 502, 503]
    assert all(d.queue_id == 7 for d in decisions)
    assert [code for code, _p in decisions[0].reasons] == ["rule", "matrix", "queue"]


def test_allocate_full_cell_queue_falls_through_to_next_rule():
    queue = Queue(7, "sequential", [Member(501, max_open=1, load=1)])
    resolver = _resolver([cell(1, EAST, SERVERS, "queue", 7)])
    rules = [_matrix_rule(), Rule(2, 20, "user", user_id=900)]
    [decision] = allocate([lead(1, ZJ, CN, SERVERS)], rules, {7: queue},
                          matrix_resolver=resolver)
    assert (decision.user_id, decision.rule_id) == (900, 2)
    codes = [code for code, _p in decision.reasons]
    # The cell that could not take the lead is not claimed as the reason.
    assert codes == ["skipped", "queue_full", "rule"]


def test_allocate_pool_cell():
    resolver = _resolver([cell(1, EAST, SERVERS, "pool", 3)])
    [decision] = allocate([lead(1, ZJ, CN, SERVERS)], [_matrix_rule()], {},
                          matrix_resolver=resolver)
    assert (decision.user_id, decision.pool_id) == (None, 3)


def test_allocate_gap_tries_the_next_rule():
    resolver = _resolver([cell(1, NORTH, SERVERS, "user", 501)])
    rules = [_matrix_rule(), Rule(2, 20, "user", user_id=900)]
    decisions = allocate([lead(1, ZJ, CN, SERVERS), lead(2, BJ, CN, SERVERS),
                          lead(3, BJ, CN, None)], rules, {}, matrix_resolver=resolver)
    assert [(d.user_id, d.rule_id) for d in decisions] == [(900, 2), (501, 1), (900, 2)]


def test_allocate_archived_cell_user_falls_through():
    resolver = _resolver([cell(1, EAST, SERVERS, "user", 501)])
    rules = [_matrix_rule(), Rule(2, 20, "user", user_id=900)]
    [decision] = allocate([lead(1, ZJ, CN, SERVERS)], rules, {}, matrix_resolver=resolver,
                          user_active={501: False, 900: True})
    assert decision.user_id == 900
    assert decision.reasons[0] == ("user_archived", {"rule_id": 1, "user_id": 501})


def test_matrix_rule_keeps_its_plain_conditions():
    resolver = _resolver([cell(1, EAST, SERVERS, "user", 501)])
    rules = [_matrix_rule(customer_types={"company"}), Rule(2, 20, "user", user_id=900)]
    decisions = allocate([lead(1, ZJ, CN, SERVERS, customer_type="company"),
                          lead(2, ZJ, CN, SERVERS, customer_type="individual")],
                         rules, {}, matrix_resolver=resolver)
    assert [d.user_id for d in decisions] == [501, 900]


def test_matrix_rule_without_resolver_never_matches():
    rules = [_matrix_rule(), Rule(2, 20, "user", user_id=900)]
    [decision] = allocate([lead(1, ZJ, CN, SERVERS)], rules, {})
    assert decision.rule_id == 2


def test_owner_continuity_inside_a_matrix_rule():
    queue = Queue(7, "sequential", [Member(501), Member(502)])
    resolver = _resolver([cell(1, EAST, SERVERS, "queue", 7)])
    rules = [_matrix_rule(owner_continuity=True)]
    decisions = allocate([lead(1, ZJ, CN, SERVERS, partner_key=42)], rules, {7: queue},
                         continuity={42: 502}, matrix_resolver=resolver)
    assert decisions[0].user_id == 502
    assert [code for code, _p in decisions[0].reasons] == ["rule", "matrix", "continuity"]


# ---------------------------------------------------------------- stage condition

def test_stage_ids_condition():
    rules = [Rule(1, 10, "user", user_id=501, stage_ids={5, 6}),
             Rule(2, 20, "user", user_id=900)]
    decisions = allocate([Lead(1, stage_id=5), Lead(2, stage_id=7), Lead(3)], rules, {})
    assert [d.user_id for d in decisions] == [501, 900, 900]


def test_lead_and_rule_defaults_stay_backward_compatible():
    assert Lead(1).product_category_id is None
    assert Lead(1).stage_id is None
    assert Rule(1, 10, "user", user_id=1).stage_ids == frozenset()
