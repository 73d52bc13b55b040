# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Region x product-line matrix: which cell takes a lead.

A ``Region`` names provinces (``state_ids``) and/or countries (``country_ids``).  A lead
belongs to the region naming its province (province level) and to the region naming its
country (country level); ``Territory.regions_of`` returns both, nearest first.  No two
regions may name the same province or the same country (``region_conflicts`` finds
them; the Odoo model refuses to save them).  Should conflicting data reach the engine
anyway, the region with the lowest id keeps the place, so the answer stays stable.

A product category covers its sub-categories: ``category_chain`` lists a category and
its parents, nearest first.

``Matrix.resolve(region_ids, chain)`` returns the most specific ``Cell``:

1. the region level comes first: a cell of the province-level region beats any cell of
   the country-level region, even one naming a nearer category;
2. within a region, the nearest category wins (a cell for the lead's own category
   beats one for its parent, which beats the grandparent's, ...);
3. when the province-level region has no cell for any category of the chain, the
   country-level region's cell applies;
4. no cell at all: ``None`` (the rule does not match; the allocator tries the next).

A lead without a product category has an empty chain and never matches a matrix.

``MatrixResolver`` is the ``matrix_resolver(rule, lead)`` that ``allocator.allocate``
calls for rules whose ``target_type`` is ``'matrix'``; it memoizes the answer per
(matrix, province, country, category), so a large batch resolves each combination once.
"""
from collections import namedtuple

__all__ = ["CELL_TARGETS", "Cell", "Matrix", "MatrixResolver", "Region", "Territory",
           "category_chain", "region_conflicts"]

CELL_TARGETS = ("user", "queue", "pool")

Region = namedtuple("Region", "id name state_ids country_ids")

# ``label`` and ``specialist_name`` are only carried into the decision's reasons.
Cell = namedtuple("Cell", "id region_id category_id target_type target_id "
                          "specialist_user_id label specialist_name")
Cell.__new__.__defaults__ = (None, "", "")

# How a matrix answered: ``region_rank`` 0 is the first region given (the lead's
# province-level region, or the grid row itself), ``category_rank`` 0 the category
# itself; both 0 means the cell names exactly this region and category.
Match = namedtuple("Match", "cell region_rank category_rank")


def region_conflicts(regions):
    """Places named by more than one region: a sorted list of
    ``(kind, place_id, region_ids)`` with ``kind`` ``'state'`` or ``'country'``."""
    owners = {}
    for region in regions:
        for kind, places in (("state", region.state_ids), ("country", region.country_ids)):
            for place_id in places:
                owners.setdefault((kind, place_id), set()).add(region.id)
    return sorted((kind, place_id, tuple(sorted(ids)))
                  for (kind, place_id), ids in owners.items() if len(ids) > 1)


class Territory(object):
    """Which regions a province and a country belong to.

    ``state_countries`` maps a province to its country; it is used when a lead has a
    province but no country, and to find the country-level regions of a region.
    """

    __slots__ = ("regions", "by_state", "by_country", "state_countries")

    def __init__(self, regions, state_countries=None):
        self.regions = {}
        self.by_state = {}
        self.by_country = {}
        for region in sorted(regions, key=lambda region: region.id):
            self.regions[region.id] = region
            for state_id in region.state_ids:
                self.by_state.setdefault(state_id, region.id)
            for country_id in region.country_ids:
                self.by_country.setdefault(country_id, region.id)
        self.state_countries = dict(state_countries or {})

    def regions_of(self, state_id, country_id):
        """The regions of a place, nearest first: (province-level, country-level),
        each only when it exists; never the same region twice."""
        if not country_id and state_id:
            country_id = self.state_countries.get(state_id)
        found = ()
        by_state = self.by_state.get(state_id) if state_id else None
        if by_state is not None:
            found = (by_state,)
        by_country = self.by_country.get(country_id) if country_id else None
        if by_country is not None and by_country != by_state:
            found += (by_country,)
        return found

    def fallbacks(self, region_id):
        """``region_id`` followed by the country-level regions its provinces fall
        back to: the row of a matrix grid resolves like a lead of that region."""
        region = self.regions.get(region_id)
        found = [region_id]
        if region is None:
            return tuple(found)
        for state_id in sorted(region.state_ids):
            fallback = self.by_country.get(self.state_countries.get(state_id))
            if fallback is not None and fallback not in found:
                found.append(fallback)
        return tuple(found)


def category_chain(category_id, parents):
    """``category_id`` and its ancestors, nearest first; ``parents`` maps a category
    to its parent (or ``None``).  Stops at a cycle instead of looping."""
    chain = []
    seen = set()
    while category_id and category_id not in seen:
        chain.append(category_id)
        seen.add(category_id)
        category_id = parents.get(category_id)
    return tuple(chain)


class Matrix(object):
    """The cells of one matrix, by (region, category)."""

    __slots__ = ("id", "name", "cells")

    def __init__(self, id, cells, name=""):
        self.id = id
        self.name = name
        self.cells = {}
        for cell in cells:
            if cell.target_type not in CELL_TARGETS:
                raise ValueError("cell %r: unknown target_type %r" % (
                    cell.id, cell.target_type))
            key = (cell.region_id, cell.category_id)
            if key in self.cells:
                raise ValueError("matrix %r: cells %r and %r share region %r and "
                                 "category %r" % (id, self.cells[key].id, cell.id,
                                                  cell.region_id, cell.category_id))
            self.cells[key] = cell

    def match(self, region_ids, chain):
        """The ``Match`` of the most specific cell, or ``None`` (see module doc)."""
        cells = self.cells
        for region_rank, region_id in enumerate(region_ids):
            for category_rank, category_id in enumerate(chain):
                cell = cells.get((region_id, category_id))
                if cell is not None:
                    return Match(cell, region_rank, category_rank)
        return None

    def resolve(self, region_ids, chain):
        """The most specific ``Cell`` for a lead, or ``None``."""
        found = self.match(region_ids, chain)
        return None if found is None else found.cell


_UNKNOWN = object()


def _answer(matrix, cell):
    extra = {"matrix_id": matrix.id, "cell_id": cell.id, "region_id": cell.region_id,
             "category_id": cell.category_id,
             "specialist_user_id": cell.specialist_user_id}
    if cell.label:
        extra["cell"] = cell.label
    if cell.specialist_name:
        extra["specialist"] = cell.specialist_name
    return (cell.target_type, cell.target_id, extra)


class MatrixResolver(object):
    """``resolver(rule, lead) -> (target_type, target_id, extra)`` or ``None``.

    ``matrices``: dict matrix id -> ``Matrix``; ``territory``: a ``Territory``;
    ``parents``: dict category id -> parent id.  The lead needs ``state_id``,
    ``country_id`` and ``product_category_id``; the rule ``matrix_id``.  ``extra``
    names the matrix, cell, region, category and specialist (``specialist_user_id``,
    to be added as a follower).  Answers are shared between leads: read-only.
    """

    __slots__ = ("matrices", "territory", "parents", "_chains", "_memo")

    def __init__(self, matrices, territory, parents):
        self.matrices = matrices
        self.territory = territory
        self.parents = parents
        self._chains = {}
        self._memo = {}

    def chain(self, category_id):
        chain = self._chains.get(category_id)
        if chain is None:
            chain = self._chains[category_id] = category_chain(category_id, self.parents)
        return chain

    def __call__(self, rule, lead):
        key = (rule.matrix_id, lead.state_id, lead.country_id, lead.product_category_id)
        answer = self._memo.get(key, _UNKNOWN)
        if answer is not _UNKNOWN:
            return answer
        answer = None
        matrix = self.matrices.get(rule.matrix_id)
        if matrix is not None and lead.product_category_id:
            cell = matrix.resolve(
                self.territory.regions_of(lead.state_id, lead.country_id),
                self.chain(lead.product_category_id))
            if cell is not None:
                answer = _answer(matrix, cell)
        self._memo[key] = answer
        return answer
