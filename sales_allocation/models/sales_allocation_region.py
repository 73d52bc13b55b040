# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.matrix import Region, Territory, region_conflicts


class SalesAllocationRegion(models.Model):
    """A sales territory: provinces (province level) or whole countries (country level).

    A lead belongs to the region naming its province, or else to the region naming its
    country; matrices use both (see ``engine.matrix``).
    """

    _name = "sales.allocation.region"
    _description = "Sales region"
    _order = "sequence, name, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10, help="Order of the rows in matrix grids.")
    country_ids = fields.Many2many(
        "res.country", "sales_allocation_region_country_rel", "region_id", "country_id",
        string="Countries",
        help="Whole countries: leads of these countries whose province belongs to no "
             "region are in this region.")
    state_ids = fields.Many2many(
        "res.country.state", "sales_allocation_region_state_rel", "region_id",
        "state_id", string="Provinces",
        help="Leads of these provinces are in this region.")
    level = fields.Selection(
        [("province", "Provinces"), ("country", "Countries")],
        compute="_compute_level",
        help="Provinces: a province-level region, more specific than a country-level "
             "one naming the same country.")
    note = fields.Text(translate=True)

    @api.depends("state_ids")
    def _compute_level(self):
        for region in self:
            region.level = "province" if region.state_ids else "country"

    # "name" is always given on create: without it, a region created without any
    # place would not be checked (constraints run for the fields written).
    @api.constrains("name", "country_ids", "state_ids")
    def _check_places(self):
        for region in self:
            if not region.country_ids and not region.state_ids:
                raise ValidationError(_(
                    "Region \"%s\" names no province and no country, so no lead can be in "
                    "it. Add its provinces or countries.") % region.name)
        conflicts = region_conflicts(self._engine_regions())
        mine = set(self.ids)
        conflicts = [conflict for conflict in conflicts if mine & set(conflict[2])]
        if conflicts:
            raise ValidationError(self._conflict_message(conflicts))

    def _conflict_message(self, conflicts):
        regions = {region.id: region.name for region in self._engine_regions()}
        places = {
            "state": dict(self.env["res.country.state"].sudo().browse(
                [c[1] for c in conflicts if c[0] == "state"]).name_get()),
            "country": dict(self.env["res.country"].sudo().browse(
                [c[1] for c in conflicts if c[0] == "country"]).name_get()),
        }
        lines = []
        for kind, place_id, region_ids in conflicts:
            names = ", ".join("\"%s\"" % regions.get(region_id, region_id)
                              for region_id in region_ids)
            values = {"place": places[kind][place_id], "regions": names}
            if kind == "state":
                lines.append(_("Province %(place)s is named by the regions %(regions)s.")
                             % values)
            else:
                lines.append(_("Country %(place)s is named by the regions %(regions)s.")
                             % values)
        return _("A province or a country can belong to one region only, so that every "
                 "lead has one region.\n%s\nRemove it from all regions but one.") % (
                     "\n".join(lines))

    @api.model
    def _all(self):
        """Every region (a few dozen at most), as superuser: the territory is global."""
        return self.sudo().search([], limit=None)

    @api.model
    def _engine_regions(self):
        """Every region as the engine's plain ``Region`` (two queries)."""
        cr = self.env.cr
        states, countries = defaultdict(set), defaultdict(set)
        cr.execute("SELECT region_id, state_id FROM sales_allocation_region_state_rel")
        for region_id, state_id in cr.fetchall():
            states[region_id].add(state_id)
        cr.execute("SELECT region_id, country_id FROM sales_allocation_region_country_rel")
        for region_id, country_id in cr.fetchall():
            countries[region_id].add(country_id)
        cr.execute("SELECT id, name FROM sales_allocation_region")
        return [Region(region_id, name, frozenset(states[region_id]),
                       frozenset(countries[region_id]))
                for region_id, name in cr.fetchall()]

    @api.model
    def _engine_territory(self):
        """The engine's ``Territory`` of all regions, with each province's country."""
        regions = self._engine_regions()
        self.env.cr.execute("SELECT id, country_id FROM res_country_state")
        return Territory(regions, dict(self.env.cr.fetchall()))

    @api.multi
    def _lead_domain(self):
        """Domain of the leads whose region (the nearest one) is one of these.

        The same rule as ``Territory.regions_of``: the province's region, else the
        region of the country (the lead's, or its province's when it has none).
        """
        claimed = self._all().mapped("state_ids").ids
        countries = self.mapped("country_ids").ids
        return ["|", ("state_id", "in", self.mapped("state_ids").ids),
                "&", ("state_id", "not in", claimed),
                "|", ("country_id", "in", countries),
                "&", ("country_id", "=", False), ("state_id.country_id", "in", countries)]

    @api.model
    def _no_region_lead_domain(self):
        """Domain of the leads that belong to no region."""
        regions = self._all()
        claimed = regions.mapped("state_ids").ids
        countries = regions.mapped("country_ids").ids
        return ["&", ("state_id", "not in", claimed),
                "|", "&", ("country_id", "!=", False), ("country_id", "not in", countries),
                "&", ("country_id", "=", False),
                "|", ("state_id", "=", False), ("state_id.country_id", "not in", countries)]
