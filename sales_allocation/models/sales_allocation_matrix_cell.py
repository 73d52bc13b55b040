# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# target_type -> the field holding the target.
TARGET_FIELDS = [("user", "user_id"), ("queue", "queue_id"), ("pool", "pool_id")]
CELL_TARGET_TYPES = [
    ("user", "Salesperson"),
    ("queue", "Round-robin queue"),
    ("pool", "Lead pool"),
]


class SalesAllocationMatrixCell(models.Model):
    """Where the leads of one region and one product line go.

    Exactly one target: a salesperson, a round-robin queue or a lead pool. A cell for a
    product category also covers its sub-categories (see ``engine.matrix``).
    """

    _name = "sales.allocation.matrix.cell"
    _description = "Allocation matrix cell"
    _order = "matrix_id, region_id, product_category_id, id"

    name = fields.Char(compute="_compute_name")
    matrix_id = fields.Many2one(
        "sales.allocation.matrix", required=True, ondelete="cascade",
        index=True)
    region_id = fields.Many2one(
        "sales.allocation.region", required=True, ondelete="cascade")
    product_category_id = fields.Many2one(
        "product.category", string="Product line", required=True, ondelete="cascade",
        help="Also covers the sub-categories of this category, unless they have a cell "
             "of their own.")
    target_type = fields.Selection(
        CELL_TARGET_TYPES, string="Send To", required=True, default="user")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", ondelete="restrict",
        help="The region owner for this product line.")
    queue_id = fields.Many2one(
        "sales.allocation.queue", ondelete="restrict")
    pool_id = fields.Many2one(
        "sales.allocation.pool", ondelete="restrict",
        help="The leads wait in this public pool until a salesperson claims them.")
    specialist_user_id = fields.Many2one(
        "res.users", string="Product Specialist", ondelete="set null",
        help="Follows every lead this cell places, beside its owner, to support the "
             "sale (区域主力 + 专家支援).")

    _sql_constraints = [
        ("matrix_region_category_uniq",
         "unique(matrix_id, region_id, product_category_id)",
         "This matrix already has a cell for this region and product line: edit that "
         "cell instead of adding a second one."),
    ]

    @api.depends("region_id", "product_category_id")
    def _compute_name(self):
        for cell in self:
            cell.name = "%s / %s" % (cell.region_id.name or "",
                                     cell.product_category_id.name or "")

    @api.constrains("target_type", "user_id", "queue_id", "pool_id")
    def _check_target(self):
        fields_by_type = dict(TARGET_FIELDS)
        for cell in self:
            chosen = [name for _type, name in TARGET_FIELDS if cell[name]]
            wanted = fields_by_type.get(cell.target_type)
            if chosen != [wanted]:
                raise ValidationError(_(
                    "Cell \"%(cell)s\" of matrix \"%(matrix)s\" must send its leads to "
                    "exactly one place: choose a salesperson, a queue or a pool (only the "
                    "one that \"Send To\" names).") % {
                        "cell": cell.name, "matrix": cell.matrix_id.name})

    @api.onchange("target_type")
    def _onchange_target_type(self):
        for target_type, name in TARGET_FIELDS:
            if target_type != self.target_type:
                self[name] = False

    @api.model
    def create(self, vals):
        return super(SalesAllocationMatrixCell, self).create(self._with_target_type(vals))

    @api.multi
    def write(self, vals):
        return super(SalesAllocationMatrixCell, self).write(self._with_target_type(vals))

    def _with_target_type(self, vals):
        """Callers over RPC or import may set only the target (e.g. ``queue_id``): the
        type follows, and the other targets are cleared. Several targets at once, or
        a type that contradicts its target, are left for ``_check_target`` to refuse."""
        given = [(target_type, name) for target_type, name in TARGET_FIELDS
                 if vals.get(name)]
        if len(given) != 1 or vals.get("target_type", given[0][0]) != given[0][0]:
            return vals
        vals = dict(vals, target_type=given[0][0])
        for _type, name in TARGET_FIELDS:
            if name != given[0][1]:
                vals[name] = False
        return vals

    @api.multi
    def _target_name(self):
        """The target's display name, for the grid and for reasons."""
        self.ensure_one()
        name = dict(TARGET_FIELDS).get(self.target_type)
        return self[name].display_name if name else ""
