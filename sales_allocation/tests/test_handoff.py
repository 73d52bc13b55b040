# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Function hand-offs: rules with trigger convert / stage / won, through crm's own
paths (the conversion wizard, convert_opportunity, a stage change in the pipeline,
action_set_won)."""
from odoo.exceptions import ValidationError

from .common import AllocationCase


class TestHandoff(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestHandoff, cls).setUpClass()
        cls.new_stage = cls.env.ref("crm.stage_lead1")
        cls.qualified = cls.env.ref("crm.stage_lead2")
        cls.proposition = cls.env.ref("crm.stage_lead3")

    def setUp(self):
        super(TestHandoff, self).setUp()
        # New leads go to Rep A (the SDR).
        self.create_rule = self._rule("SA new leads", user=self.rep_a, sequence=10)

    def _sdr_lead(self, **vals):
        lead = self._lead("SA hand-off lead", type="lead", **vals)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        return lead

    def _assert_handed_off(self, lead, user, trigger_text, rule):
        self.assertEqual(self._db_owner(lead), user.id)
        lead.invalidate_cache()
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.previous_user_id, log.rule_id),
                         ("reassigned", user, self.rep_a, rule))
        self.assertIn(trigger_text, log.reason)
        self.assertEqual(lead.allocation_rule_id, rule)
        # The previous owner stays a follower, the new one joins.
        self.assertIn(self.rep_a.partner_id, lead.message_partner_ids)
        self.assertIn(user.partner_id, lead.message_partner_ids)

    # ------------------------------------------------------------------ convert

    def test_convert_through_the_wizard(self):
        rule = self._rule("SA qualified to AE", user=self.rep_b, trigger="convert")
        lead = self._sdr_lead(partner_name="SA Converted Ltd")
        wizard = self.env["crm.lead2opportunity.partner"].with_context(
            active_model="crm.lead", active_id=lead.id, active_ids=lead.ids).create({
                "name": "convert", "action": "create"})
        # The wizard proposes the current owner; crm assigns him after converting.
        self.assertEqual(wizard.user_id, self.rep_a)
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self._assert_handed_off(lead, self.rep_b, "the lead became an opportunity", rule)

    def test_convert_opportunity_method(self):
        rule = self._rule("SA qualified to AE queue", queue=self.seq_queue, trigger="convert")
        self._member(self.seq_queue, self.rep_a).available = False
        lead = self._sdr_lead()
        lead.convert_opportunity(False)
        self.assertEqual(lead.type, "opportunity")
        self._assert_handed_off(lead, self.rep_b, "the lead became an opportunity", rule)
        self.assertEqual(self._last_log(lead).queue_id, self.seq_queue)

    def test_convert_by_writing_the_type(self):
        rule = self._rule("SA qualified to AE", user=self.rep_b, trigger="convert")
        lead = self._sdr_lead()
        lead.write({"type": "opportunity"})
        self._assert_handed_off(lead, self.rep_b, "the lead became an opportunity", rule)

    def test_convert_rule_conditions_apply(self):
        self._rule("SA key accounts to AE", user=self.rep_b, trigger="convert",
                   customer_segment="key_account")
        small = self._sdr_lead(customer_segment="small_business")
        key = self._sdr_lead(customer_segment="key_account")
        logs_before = len(self._logs(small))
        (small | key).convert_opportunity(False)
        self.assertEqual(self._owners(small | key), [self.rep_a.id, self.rep_b.id])
        # No matching hand-off rule: nothing happens, nothing is logged.
        self.assertEqual(len(self._logs(small)), logs_before)
        self.assertEqual(small.allocation_rule_id, self.create_rule)

    # ------------------------------------------------------------------ stage

    def test_stage_change_in_the_pipeline(self):
        rule = self._rule("SA proposals to closer", user=self.rep_c, trigger="stage",
                          stage_ids=[(6, 0, self.proposition.ids)])
        lead = self._sdr_lead()
        lead.convert_opportunity(False)
        lead.write({"stage_id": self.qualified.id})
        self.assertEqual(self._db_owner(lead), self.rep_a.id, "not a watched stage")
        lead.write({"stage_id": self.proposition.id})
        self._assert_handed_off(lead, self.rep_c, "entered a new stage", rule)
        # Writing the same stage again is no entry: nothing more happens.
        count = len(self._logs(lead))
        lead.write({"stage_id": self.proposition.id, "description": "SA note"})
        self.assertEqual(len(self._logs(lead)), count)

    def test_stage_rules_pick_by_stage(self):
        self._rule("SA qualified to B", user=self.rep_b, trigger="stage", sequence=1,
                   stage_ids=[(6, 0, self.qualified.ids)])
        self._rule("SA proposition to C", user=self.rep_c, trigger="stage", sequence=2,
                   stage_ids=[(6, 0, self.proposition.ids)])
        lead_b, lead_c = self._sdr_lead(), self._sdr_lead()
        lead_b.write({"stage_id": self.qualified.id})
        lead_c.write({"stage_id": self.proposition.id})
        self.assertEqual(self._owners(lead_b | lead_c), [self.rep_b.id, self.rep_c.id])

    def test_stage_rule_needs_stages(self):
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                self._rule("SA no stage", user=self.rep_c, trigger="stage")

    # ------------------------------------------------------------------ won

    def test_won_to_customer_success(self):
        rule = self._rule("SA won to CS", user=self.rep_d, trigger="won")
        lead = self._sdr_lead(planned_revenue=1000)
        lead.convert_opportunity(False)
        lead.action_set_won()
        self.assertEqual(lead.probability, 100)
        self._assert_handed_off(lead, self.rep_d, "the opportunity was won", rule)

    def test_won_stage_by_drag_and_drop(self):
        rule = self._rule("SA won to CS", user=self.rep_d, trigger="won")
        won_stage = self.env["crm.stage"].search(
            [("probability", "=", 100), ("on_change", "=", True)], limit=1)
        lead = self._sdr_lead()
        lead.write({"stage_id": won_stage.id})
        self._assert_handed_off(lead, self.rep_d, "the opportunity was won", rule)

    # ------------------------------------------------------------------ separation

    def test_triggers_do_not_mix(self):
        """Hand-off rules never decide new leads; creation rules never hand off."""
        self._rule("SA first in line, but on conversion", user=self.rep_b,
                   trigger="convert", sequence=1)
        lead = self._sdr_lead()
        self.assertEqual(lead.allocation_rule_id, self.create_rule)
        self.create_rule.write({"user_id": self.rep_c.id})
        lead.write({"stage_id": self.qualified.id})
        lead.action_set_won()
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_skip_context_turns_hand_offs_off(self):
        self._rule("SA qualified to AE", user=self.rep_b, trigger="convert")
        lead = self._sdr_lead()
        lead.with_context(sales_allocation_skip=True).convert_opportunity(False)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_rule_edits_take_effect_at_once(self):
        """The hand-off watch is cached; writing a rule must refresh it."""
        lead = self._sdr_lead()
        lead.write({"stage_id": self.proposition.id})
        rule = self._rule("SA late stage rule", user=self.rep_c, trigger="stage",
                          stage_ids=[(6, 0, self.qualified.ids)])
        lead.write({"stage_id": self.qualified.id})
        self.assertEqual(self._db_owner(lead), self.rep_c.id)
        rule.active = False
        lead.write({"stage_id": self.proposition.id, "user_id": self.rep_a.id})
        lead.write({"stage_id": self.qualified.id})
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
