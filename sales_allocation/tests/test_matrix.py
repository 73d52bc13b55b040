# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Region x product-line matrix through the real create path: regions, resolution
(specificity, parent categories, gaps, conflicts), a queue and a pool inside a cell,
the product specialist, the grid the web client draws."""
from contextlib import contextmanager

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import AllocationCase


class MatrixCase(AllocationCase):
    """Regions East (Zhejiang, Shanghai) and China (country level); product lines
    All > Hardware > Servers > GPU servers, Hardware > Storage, All > Software."""

    @classmethod
    def setUpClass(cls):
        super(MatrixCase, cls).setUpClass()
        # Demo regions name the same provinces: they would refuse ours.
        cls.env["sales.allocation.region"].search([]).unlink()
        cls.Region = cls.env["sales.allocation.region"]
        cls.Cell = cls.env["sales.allocation.matrix.cell"]
        cls.east = cls.Region.create({
            "name": "SA East", "state_ids": [(6, 0, (cls.zhejiang | cls.shanghai).ids)]})
        cls.cn = cls.Region.create({"name": "SA China", "country_ids": [(6, 0, cls.china.ids)]})
        Category = cls.env["product.category"]
        cls.all = Category.create({"name": "SA All"})
        cls.hardware = Category.create({"name": "SA Hardware", "parent_id": cls.all.id})
        cls.servers = Category.create({"name": "SA Servers", "parent_id": cls.hardware.id})
        cls.gpu = Category.create({"name": "SA GPU servers", "parent_id": cls.servers.id})
        cls.storage = Category.create({"name": "SA Storage", "parent_id": cls.hardware.id})
        cls.software = Category.create({"name": "SA Software", "parent_id": cls.all.id})
        cls.matrix = cls.env["sales.allocation.matrix"].create({"name": "SA matrix"})

    @contextmanager
    def _refused(self, exception=ValidationError):
        """Assert that the block raises ``exception``, and undo what it wrote: the ORM
        inserts a record before its constraints refuse it."""
        with self.assertRaises(exception) as caught, mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                yield caught

    def _cell(self, region, category, **vals):
        return self.Cell.create(dict(vals, matrix_id=self.matrix.id, region_id=region.id,
                                     product_category_id=category.id))

    def _matrix_rules(self):
        """The matrix first; what it does not cover goes to Rep D."""
        rule = self._rule("SA matrix rule", target_type="matrix", matrix_id=self.matrix.id,
                          sequence=10)
        self._rule("SA everything else", user=self.rep_d, sequence=100)
        return rule

    def _zj(self, category, **vals):
        return self._lead("SA ZJ lead", country_id=self.china.id,
                          state_id=self.zhejiang.id,
                          product_category_id=category.id if category else False, **vals)


class TestRegions(MatrixCase):

    def test_province_in_two_regions_is_refused(self):
        with self._refused() as caught:
            self.Region.create({"name": "SA Zhejiang again",
                                "state_ids": [(6, 0, self.zhejiang.ids)]})
        self.assertIn("SA East", str(caught.exception))
        self.assertIn(self.zhejiang.name, str(caught.exception))
        # Adding it to an existing region is refused too.
        other = self.Region.create({"name": "SA North", "state_ids": [(6, 0, self.beijing.ids)]})
        with self._refused():
            other.write({"state_ids": [(4, self.shanghai.id)]})

    def test_country_in_two_regions_is_refused(self):
        with self._refused() as caught:
            self.Region.create({"name": "SA Greater China",
                                "country_ids": [(6, 0, self.china.ids)]})
        self.assertIn("SA China", str(caught.exception))

    def test_province_level_and_country_level_may_overlap(self):
        # A province region inside a country region is the point of the two levels.
        north = self.Region.create({"name": "SA North",
                                    "state_ids": [(6, 0, self.beijing.ids)]})
        self.assertEqual(north.level, "province")
        self.assertEqual(self.cn.level, "country")

    def test_region_naming_nothing_is_refused(self):
        with self._refused():
            self.Region.create({"name": "SA Nowhere"})

    def test_lead_region_and_search(self):
        zj = self._lead("SA ZJ", country_id=self.china.id, state_id=self.zhejiang.id)
        zj_no_country = self._lead("SA ZJ no country", state_id=self.zhejiang.id)
        bj = self._lead("SA BJ", country_id=self.china.id, state_id=self.beijing.id)
        cn = self._lead("SA CN", country_id=self.china.id)
        tx = self._lead("SA TX", country_id=self.usa.id, state_id=self.texas.id)
        nowhere = self._lead("SA nowhere")
        self.assertEqual([lead.region_id for lead in (zj, zj_no_country, bj, cn, tx, nowhere)],
                         [self.east, self.east, self.cn, self.cn,
                          self.Region.browse(), self.Region.browse()])
        mine = zj | zj_no_country | bj | cn | tx | nowhere
        Lead = self.Lead.with_context(active_test=False)
        self.assertEqual(Lead.search([("id", "in", mine.ids),
                                      ("region_id", "=", self.east.id)]), zj | zj_no_country)
        self.assertEqual(Lead.search([("id", "in", mine.ids),
                                      ("region_id", "=", self.cn.id)]), bj | cn)
        self.assertEqual(Lead.search([("id", "in", mine.ids),
                                      ("region_id", "=", False)]), tx | nowhere)
        self.assertEqual(Lead.search([("id", "in", mine.ids),
                                      ("region_id", "!=", self.east.id)]),
                         bj | cn | tx | nowhere)
        self.assertEqual(Lead.search([("id", "in", mine.ids),
                                      ("region_id", "ilike", "SA Ea")]), zj | zj_no_country)


class TestResolution(MatrixCase):

    def test_exact_cell(self):
        rule = self._matrix_rules()
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        lead = self._zj(self.servers)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        self.assertEqual(lead.allocation_rule_id, rule)
        self.assertIn("Matrix cell SA East / SA Servers applies.", lead.allocation_reason)
        self.assertEqual(self._last_log(lead).event, "assigned")

    def test_parent_category_covers_sub_categories_nearest_wins(self):
        self._matrix_rules()
        self._cell(self.east, self.hardware, user_id=self.rep_b.id)
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        self.assertEqual(self._db_owner(self._zj(self.gpu)), self.rep_a.id)
        self.assertEqual(self._db_owner(self._zj(self.storage)), self.rep_b.id)
        self.assertEqual(self._db_owner(self._zj(self.hardware)), self.rep_b.id)
        # Not the parent of the cell's category, nor a sibling branch.
        self.assertEqual(self._db_owner(self._zj(self.all)), self.rep_d.id)
        self.assertEqual(self._db_owner(self._zj(self.software)), self.rep_d.id)

    def test_province_region_beats_country_region(self):
        self._matrix_rules()
        self._cell(self.cn, self.gpu, user_id=self.rep_b.id)
        self._cell(self.east, self.all, user_id=self.rep_a.id)
        # Even a country-level cell naming the exact category loses.
        self.assertEqual(self._db_owner(self._zj(self.gpu)), self.rep_a.id)
        bj = self._lead("SA BJ", country_id=self.china.id, state_id=self.beijing.id,
                        product_category_id=self.gpu.id)
        self.assertEqual(self._db_owner(bj), self.rep_b.id)

    def test_gap_in_province_region_falls_back_to_country_region(self):
        self._matrix_rules()
        self._cell(self.east, self.software, user_id=self.rep_a.id)
        self._cell(self.cn, self.hardware, user_id=self.rep_b.id)
        self.assertEqual(self._db_owner(self._zj(self.servers)), self.rep_b.id)
        self.assertEqual(self._db_owner(self._zj(self.software)), self.rep_a.id)
        # A lead with a province but no country still finds the country's region.
        no_country = self._lead("SA ZJ no country", state_id=self.zhejiang.id,
                                product_category_id=self.storage.id)
        self.assertEqual(self._db_owner(no_country), self.rep_b.id)

    def test_no_cell_tries_the_next_rule(self):
        self._matrix_rules()
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        texas = self._lead("SA TX", country_id=self.usa.id, state_id=self.texas.id,
                           product_category_id=self.servers.id)
        no_line = self._zj(None)
        bj = self._lead("SA BJ", country_id=self.china.id, state_id=self.beijing.id,
                        product_category_id=self.servers.id)
        for lead in (texas, no_line, bj):
            self.assertEqual(self._db_owner(lead), self.rep_d.id, lead.name)
            self.assertNotIn("Matrix cell", lead.allocation_reason)

    def test_no_rule_after_a_gap_leaves_the_lead_unallocated(self):
        self._rule("SA matrix only", target_type="matrix", matrix_id=self.matrix.id)
        lead = self._zj(self.software)
        self.assertFalse(self._db_owner(lead))
        self.assertEqual(lead.allocation_state, "unallocated")

    def test_queue_inside_a_cell(self):
        self._matrix_rules()
        self._cell(self.east, self.hardware, queue_id=self.seq_queue.id)
        leads = self._leads(6, "SA queue cell", country_id=self.china.id,
                            state_id=self.shanghai.id, product_category_id=self.gpu.id)
        owners = self._owners(leads)
        self.assertEqual(owners, [self.rep_a.id, self.rep_b.id, self.rep_c.id] * 2)
        self.assertEqual(self.seq_queue.last_user_id, self.rep_c)
        log = self._last_log(leads[0])
        self.assertEqual(log.queue_id, self.seq_queue)
        self.assertIn('Queue "SA sequential"', leads[0].allocation_reason)
        # The sales channel of the queue is the lead's.
        self.assertEqual(leads[0].team_id, self.team)

    def test_full_queue_in_a_cell_falls_through(self):
        self._matrix_rules()
        queue = self._queue("SA capped", "sequential", self.rep_a, max_open_leads=1)
        self._cell(self.east, self.servers, queue_id=queue.id)
        first, second = self._zj(self.servers), self._zj(self.servers)
        self.assertEqual(self._owners(first | second), [self.rep_a.id, self.rep_d.id])

    def test_pool_cell(self):
        self._matrix_rules()
        pool = self.env["sales.allocation.pool"].create({"name": "SA matrix pool"})
        cell = self._cell(self.east, self.software, pool_id=pool.id)
        self.assertEqual(cell.target_type, "pool")
        lead = self._zj(self.software)
        self.assertFalse(self._db_owner(lead))
        self.assertEqual(lead.pool_id, pool)

    def test_specialist_follows_beside_the_owner(self):
        self._matrix_rules()
        self._cell(self.east, self.servers, user_id=self.rep_a.id,
                   specialist_user_id=self.rep_c.id)
        lead = self._zj(self.gpu)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        followers = lead.message_partner_ids
        self.assertIn(self.rep_a.partner_id, followers)
        self.assertIn(self.rep_c.partner_id, followers)
        self.assertIn("product specialist Rep C follows", lead.allocation_reason)
        # A lead the cell does not place does not get the specialist.
        other = self._zj(self.software)
        self.assertNotIn(self.rep_c.partner_id, other.message_partner_ids)

    def test_matrix_rule_keeps_its_own_conditions(self):
        self._matrix_rules().write({"customer_type": "company"})
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        company = self._zj(self.servers, partner_name="SA Corp")
        person = self._zj(self.servers, contact_name="SA Person")
        self.assertEqual(self._owners(company | person), [self.rep_a.id, self.rep_d.id])

    def test_batch_of_many_leads_resolves_per_combination(self):
        self._matrix_rules()
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        self._cell(self.cn, self.software, user_id=self.rep_b.id)
        Lead = self.Lead.with_context(sales_allocation_skip=True)
        leads = Lead.browse()
        for index in range(60):
            state = (self.zhejiang, self.beijing, self.shanghai)[index % 3]
            category = (self.gpu, self.software)[index % 2]
            leads |= Lead.create({"name": "SA batch %d" % index, "country_id": self.china.id,
                                  "state_id": state.id, "product_category_id": category.id})
        self.allocator.allocate(leads.ids)
        expected = []
        for index in range(60):
            state = index % 3
            if index % 2 == 1:
                expected.append(self.rep_b.id)       # software: China everywhere
            elif state in (0, 2):
                expected.append(self.rep_a.id)       # servers in East
            else:
                expected.append(self.rep_d.id)       # servers in Beijing: a gap
        self.assertEqual(self._owners(leads), expected)


class TestMatrixModel(MatrixCase):

    def test_cell_needs_exactly_one_target(self):
        with self._refused():
            self._cell(self.east, self.servers, target_type="user")
        with self._refused():
            self._cell(self.east, self.servers, user_id=self.rep_a.id,
                       queue_id=self.seq_queue.id)
        with self._refused():
            self._cell(self.east, self.servers, target_type="queue", user_id=self.rep_a.id)

    def test_target_type_follows_the_target_given(self):
        cell = self._cell(self.east, self.servers, queue_id=self.seq_queue.id)
        self.assertEqual(cell.target_type, "queue")
        cell.write({"user_id": self.rep_b.id})
        self.assertEqual((cell.target_type, cell.user_id, cell.queue_id),
                         ("user", self.rep_b, self.Queue.browse()))

    def test_duplicate_cell_is_refused(self):
        self._cell(self.east, self.servers, user_id=self.rep_a.id)
        with self._refused(IntegrityError):
            self._cell(self.east, self.servers, user_id=self.rep_b.id)

    def test_matrix_rule_needs_its_matrix(self):
        with self._refused() as caught:
            self._rule("SA no matrix", target_type="matrix")
        self.assertIn("choose the matrix", str(caught.exception))

    def test_product_line_on_import(self):
        result = self.Lead.load(["name", "product_category_id"],
                                [["SA imported", self.gpu.complete_name]])
        self.assertFalse(result["messages"], result["messages"])
        lead = self.Lead.browse(result["ids"])
        self.assertEqual(lead.product_category_id, self.gpu)

    def test_grid_shows_direct_inherited_and_gaps(self):
        self._cell(self.east, self.hardware, user_id=self.rep_a.id)
        self._cell(self.cn, self.software, queue_id=self.seq_queue.id,
                   specialist_user_id=self.rep_c.id)
        self.matrix.product_category_ids = self.servers | self.storage
        grid = self.matrix.get_grid()
        columns = [column["name"] for column in grid["columns"]]
        self.assertEqual(columns, ["SA Hardware", "SA Servers", "SA Storage", "SA Software"])
        rows = {row["name"]: row for row in grid["rows"]}
        self.assertEqual(set(rows), {"SA East", "SA China"})
        east = [(entry["state"], entry.get("target")) for entry in rows["SA East"]["cells"]]
        self.assertEqual(east, [
            ("direct", "Rep A"),            # its own cell
            ("inherited", "Rep A"),         # Hardware covers Servers
            ("inherited", "Rep A"),
            ("inherited", "SA sequential"),  # China's cell covers East
        ])
        self.assertEqual(rows["SA East"]["cells"][3]["source"], "SA China / SA Software")
        china = [entry["state"] for entry in rows["SA China"]["cells"]]
        self.assertEqual(china, ["gap", "gap", "gap", "direct"])
        self.assertEqual(rows["SA China"]["cells"][3]["specialist"], "Rep C")
        self.assertEqual(self.matrix.gap_count, 3)
        self.assertEqual(self.matrix.cell_count, 2)
