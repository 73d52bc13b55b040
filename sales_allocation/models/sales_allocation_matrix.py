# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, fields, models

from ..engine.matrix import Cell, Matrix, MatrixResolver, category_chain


class MatrixData(object):
    """What the allocator needs about the matrices of one batch, read once."""

    __slots__ = ("resolver", "queue_ids", "user_ids")

    def __init__(self, resolver, queue_ids, user_ids):
        self.resolver = resolver
        self.queue_ids = queue_ids
        self.user_ids = user_ids


class SalesAllocationMatrix(models.Model):
    """Regions as rows, product lines as columns: each cell names who gets the leads.

    An assignment rule with "Send To" = matrix hands its leads to the most specific
    cell (see ``engine.matrix``); with no cell for a lead the next rule is tried.
    """

    _name = "sales.allocation.matrix"
    _description = "Region x product line allocation matrix"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env["res.company"]._company_default_get(
            "sales.allocation.matrix"))
    product_category_ids = fields.Many2many(
        "product.category", "sales_allocation_matrix_category_rel", "matrix_id",
        "category_id", string="Product lines",
        help="The columns of the grid. Categories that have a cell are shown too.")
    cell_ids = fields.One2many(
        "sales.allocation.matrix.cell", "matrix_id", string="Cells", copy=True)
    cell_count = fields.Integer(compute="_compute_coverage", string="Cells")
    gap_count = fields.Integer(
        compute="_compute_coverage", string="Gaps",
        help="Region and product line pairs no cell covers, not even through a parent "
             "category or the country's region: such leads go to the next rule.")
    rule_ids = fields.One2many(
        "sales.allocation.rule", "matrix_id", string="Rules",
        help="The assignment rules that send leads to this matrix.")

    @api.depends("cell_ids", "product_category_ids")
    def _compute_coverage(self):
        for matrix in self:
            if not matrix.id:
                matrix.cell_count = len(matrix.cell_ids)
                matrix.gap_count = 0
                continue
            grid = matrix.get_grid()
            matrix.cell_count = grid["cell_count"]
            matrix.gap_count = grid["gap_count"]

    @api.multi
    def get_grid(self):
        """The grid the web client draws: regions as rows, product lines as columns.

        Every entry says how that region and product line is covered: ``direct`` (a
        cell of its own), ``inherited`` (a parent category's cell, or the country-level
        region's: the entry names the cell that applies), or ``gap``.
        """
        self.ensure_one()
        data = self._engine_data([self.id])
        matrix = data["matrices"][self.id]
        territory = data["territory"]
        regions = self.env["sales.allocation.region"]._all()
        cells = self.cell_ids
        categories = (self.product_category_ids | cells.mapped("product_category_id"))
        categories = categories.sorted(lambda category: (category.complete_name or "",
                                                         category.id))
        by_id = {cell.id: cell for cell in cells}
        region_names = {region.id: region.name for region in regions}
        rows = []
        for region in regions:
            fallbacks = territory.fallbacks(region.id)
            entries = []
            for category in categories:
                found = matrix.match(fallbacks, category_chain(category.id,
                                                               data["parents"]))
                entries.append(self._grid_entry(found, by_id, region_names, category))
            rows.append({
                "id": region.id,
                "name": region.name,
                "level": region.level,
                "cells": entries,
            })
        return {
            "id": self.id,
            "name": self.name,
            "cell_count": len(cells),
            "gap_count": sum(1 for row in rows for entry in row["cells"]
                             if entry["state"] == "gap"),
            "columns": [{"id": category.id, "name": category.name,
                         "full_name": category.complete_name} for category in categories],
            "rows": rows,
        }

    @staticmethod
    def _grid_entry(found, cells, region_names, category):
        if found is None:
            return {"state": "gap", "category_id": category.id}
        cell = cells[found.cell.id]
        entry = {
            "state": "direct" if not found.region_rank and not found.category_rank
            else "inherited",
            "category_id": category.id,
            "cell_id": cell.id,
            "target_type": cell.target_type,
            "target": cell._target_name(),
            "specialist": cell.specialist_user_id.name or "",
        }
        if entry["state"] == "inherited":
            entry["source"] = "%s / %s" % (region_names.get(cell.region_id.id, ""),
                                           cell.product_category_id.name)
        return entry

    @api.model
    def _engine_data(self, matrix_ids):
        """Engine matrices (with cell labels), the territory and the category tree."""
        cr = self.env.cr
        matrices = {}
        if matrix_ids:
            cr.execute("""
                SELECT c.id, c.matrix_id, c.region_id, c.product_category_id,
                       c.target_type, c.user_id, c.queue_id, c.pool_id,
                       c.specialist_user_id,
                       r.name, pc.name, sp.name
                  FROM sales_allocation_matrix_cell c
                  JOIN sales_allocation_region r ON r.id = c.region_id
                  JOIN product_category pc ON pc.id = c.product_category_id
                  LEFT JOIN res_users su ON su.id = c.specialist_user_id
                  LEFT JOIN res_partner sp ON sp.id = su.partner_id
                 WHERE c.matrix_id IN %s
                 ORDER BY c.id
            """, [tuple(matrix_ids)])
            cells = defaultdict(list)
            for (cell_id, matrix_id, region_id, category_id, target_type, user_id,
                 queue_id, pool_id, specialist_id, region_name, category_name,
                 specialist_name) in cr.fetchall():
                target_id = {"user": user_id, "queue": queue_id, "pool": pool_id}.get(
                    target_type)
                cells[matrix_id].append(Cell(
                    cell_id, region_id, category_id, target_type, target_id,
                    specialist_user_id=specialist_id,
                    label="%s / %s" % (region_name, category_name),
                    specialist_name=specialist_name or ""))
            matrices = {matrix_id: Matrix(matrix_id, cells[matrix_id])
                        for matrix_id in matrix_ids}
        cr.execute("SELECT id, parent_id FROM product_category")
        parents = dict(cr.fetchall())
        return {
            "matrices": matrices,
            "territory": self.env["sales.allocation.region"]._engine_territory(),
            "parents": parents,
        }

    @api.model
    def _matrix_data(self, matrix_ids):
        """The allocator's ``MatrixData`` for these matrices, or ``None`` without any."""
        matrix_ids = sorted({matrix_id for matrix_id in matrix_ids if matrix_id})
        if not matrix_ids:
            return None
        data = self._engine_data(matrix_ids)
        queue_ids, user_ids = set(), set()
        for matrix in data["matrices"].values():
            for cell in matrix.cells.values():
                if cell.target_type == "queue":
                    queue_ids.add(cell.target_id)
                elif cell.target_type == "user":
                    user_ids.add(cell.target_id)
        resolver = MatrixResolver(data["matrices"], data["territory"], data["parents"])
        return MatrixData(resolver, queue_ids, user_ids)
