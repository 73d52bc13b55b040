# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Demo history (issue 15, item 5): about three months of leads before the install,
created, allocated, pooled, claimed, reclaimed, released, reassigned, converted, won and
lost, over the demo reps, regions, product lines and sources, so that the dashboards,
fairness over time, territory and speed-to-lead analyses show real shapes on a fresh
database.

Called once from ``demo/sales_allocation_history_demo.xml``. Deterministic (a fixed
seed; dates relative to the install day), written set-based: the leads and the log rows
in one COPY each (``sql.copy_rows``), the owners as followers in one statement
(``ledger.follow``). No ORM create, no tracking, no mail.

What the tests and the live demo rely on is kept: every history event happens before
today (Asia/Shanghai), so no daily claim limit or cap counts it; no history lead waits
in a pool, for an allocation or for a timer (no reclaim or response deadline on the
lead); the log rows are marked notified (no digest flood); every demo rep owns the same
small number of open history leads (``OPEN_PER_REP``), far below the queues' and the
pool's limits, so least-loaded rotation and caps decide as without the history; the
leads carry no e-mail or phone (no customer matches).
"""
import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytz

from odoo import _, api, fields, models

from ..sql import copy_rows, forget

SEED = 15
DAYS = 91
OPEN_PER_REP = 4
SHANGHAI = pytz.timezone("Asia/Shanghai")

REPS = ("zhangwei", "lina", "wangfang", "liuyang", "chenjing", "yanglei", "zhaomin",
        "huangqiang")
# How quickly each rep answers (median minutes) and how well he closes (won share).
REP_SPEED = {"zhangwei": 18, "lina": 9, "wangfang": 35, "liuyang": 14, "chenjing": 22,
             "yanglei": 45, "zhaomin": 12, "huangqiang": 28}
REP_SKILL = {"zhangwei": 1.3, "lina": 1.1, "wangfang": 0.8, "liuyang": 1.0,
             "chenjing": 1.2, "yanglei": 0.7, "zhaomin": 1.0, "huangqiang": 1.4}

# region xml id -> (share of the leads, [(province xml id, [cities])])
REGIONS = (
    ("east", 0.38, (("SH", ("上海",)), ("ZJ", ("杭州", "宁波", "温州")),
                    ("JS", ("南京", "苏州", "无锡")), ("AH", ("合肥",)),
                    ("FJ", ("福州", "厦门")), ("SD", ("济南", "青岛")))),
    ("north", 0.24, (("BJ", ("北京",)), ("TJ", ("天津",)), ("HE", ("石家庄", "唐山")),
                     ("SX", ("太原",)), ("NM", ("呼和浩特",)))),
    ("south", 0.22, (("GD", ("广州", "深圳", "东莞", "佛山")), ("GX", ("南宁",)),
                     ("HI", ("海口",)))),
    ("west", 0.09, (("SC", ("成都",)), ("CQ", ("重庆",)), ("YN", ("昆明",)),
                    ("GZ", ("贵阳",)))),
    ("china", 0.07, (("HB", ("武汉",)), ("HN", ("长沙",)), ("SN", ("西安",)),
                     ("LN", ("沈阳", "大连")))),
)
# product line -> (share, revenue range in yuan, needs, won factor)
PRODUCTS = (
    ("servers", 0.33, (50000, 900000), ("服务器采购", "机房扩容", "私有云建设"), 1.0),
    ("gpu_servers", 0.14, (300000, 3000000), ("GPU 服务器", "AI 训练集群", "推理平台"),
     0.7),
    ("storage", 0.21, (80000, 1200000), ("存储扩容", "数据备份", "灾备系统"), 1.1),
    ("software", 0.32, (10000, 200000), ("办公套件", "CRM 系统", "SaaS 试用", "云服务"),
     1.3),
)
SOURCES = (("website", 0.3), ("baidu", 0.22), ("expo", 0.12), ("wechat", 0.18),
           ("phone", 0.1), ("partner", 0.08))
SEGMENTS = (("key_account", 0.12), ("mid_market", 0.38), ("small_business", 0.5))
COMPANY_WORDS = ("华信", "恒通", "瑞丰", "新元", "中科", "长城", "博远", "金桥", "宏达",
                 "天成", "启明", "鼎盛", "海纳", "明德", "正泰", "远景")
COMPANY_KINDS = ("科技有限公司", "制造有限公司", "物流有限公司", "医院", "教育集团",
                 "银行", "电子有限公司", "零售有限公司", "信息技术有限公司")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林"
RELEASE_NOTES = ("客户预算取消", "客户只通过代理商采购", "联系不上客户", "非目标客户")

LEAD_COLUMNS = (
    "id", "name", "type", "active", "partner_name", "contact_name", "city",
    "country_id", "state_id", "team_id", "user_id", "stage_id", "probability",
    "planned_revenue", "product_category_id", "source_id", "customer_segment",
    "priority", "create_date", "write_date", "date_open", "date_closed",
    "date_conversion", "date_last_stage_update", "date_deadline", "lost_reason",
    "allocation_state", "allocation_rule_id", "allocation_date", "allocation_reason",
    "pool_id", "owner_activity_date", "day_open", "day_close",
    "company_id", "create_uid", "write_uid",
    "opt_out", "color", "message_bounce", "allocation_held", "response_warned",
    "match_flagged")
LOG_COLUMNS = (
    "date", "lead_id", "event", "user_id", "previous_user_id", "rule_id", "queue_id",
    "team_id", "pool_id", "reason", "response_deadline", "response_date",
    "response_lapsed", "response_reassigned", "author_id", "notified")


def _pick(rng, weighted):
    """A key of ``weighted`` ((key, weight, ...) rows), by weight."""
    total = sum(row[1] for row in weighted)
    point = rng.random() * total
    for row in weighted:
        point -= row[1]
        if point <= 0:
            return row
    return weighted[-1]


def _str(value):
    return fields.Datetime.to_string(value) if value else None


class SalesAllocationDemo(models.AbstractModel):
    _name = "sales.allocation.demo"
    _description = "Lead allocation: demo history"

    @api.model
    def _generate_history(self, days=DAYS, seed=SEED):
        """Write ``days`` days of lead history before today; returns the lead count."""
        rng = random.Random(seed)
        ctx = self._history_context()
        end = ctx["end"]
        start = end - timedelta(days=days)
        leads, logs = [], []
        rotation = defaultdict(int)       # queue -> turns taken
        received = defaultdict(int)       # user id -> leads received (least loaded)
        day = start
        while day < end:
            local = pytz.utc.localize(day).astimezone(SHANGHAI)
            growth = 1.0 + 0.5 * (day - start).days / float(days)
            base = 4 if local.weekday() >= 5 else 15
            for _index in range(int(rng.gauss(base * growth, 2.5) + 0.5)):
                created = day + timedelta(minutes=rng.triangular(0, 11 * 60, 2.5 * 60))
                if created >= end:
                    continue
                lead = self._history_lead(rng, ctx, created)
                self._history_route(rng, ctx, lead, rotation, received)
                leads.append(lead)
            day += timedelta(days=1)
        self._history_outcomes(rng, ctx, leads)
        self._history_write(ctx, leads, logs)
        return len(leads)

    # ------------------------------------------------------------------ set-up

    @api.model
    def _history_context(self):
        ref = self.env.ref
        xid = "sales_allocation.%s".__mod__
        users = {login: ref(xid("res_users_%s_demo" % login)) for login in REPS}
        queues = {key: ref(xid("sales_allocation_queue_%s_demo" % key))
                  for key in ("east", "north", "south", "national")}
        today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
        ctx = {
            # Midnight today in Shanghai, in UTC: every history event is before it.
            "end": today.astimezone(pytz.utc).replace(tzinfo=None)
            - timedelta(minutes=30),
            "users": users,
            "login": {user.id: login for login, user in users.items()},
            "queues": queues,
            "members": {key: [(m.user_id.id, m.weight or 1) for m in
                              queue.member_ids.sorted("sequence")]
                        for key, queue in queues.items()},
            "rules": {key: ref(xid("sales_allocation_rule_%s_demo" % key))
                      for key in ("east", "north", "south", "fallback", "matrix")},
            "pool": ref(xid("sales_allocation_pool_east_demo")),
            "products": {key: ref(xid("product_category_%s_demo" % key)).id
                         for key, *_rest in PRODUCTS},
            "sources": {key: ref(xid("utm_source_%s_demo" % key)).id
                        for key, _weight in SOURCES},
            "states": {code: ref("l10n_cn.state_%s" % code).id
                       for _region, _share, provinces in REGIONS
                       for code, _cities in provinces},
            "china": ref("base.cn").id,
            "stages": [ref("crm.stage_lead%d" % index) for index in (1, 2, 3, 4)],
            "lost_reasons": [ref("crm.lost_reason_%d" % index).id for index in (1, 2, 3)],
            "company": self.env.user.company_id.id,
            "admin": self.env.uid,
            "templates": self.env["sales.allocation.reasons"]._templates(),
            "cells": {},
        }
        for cell in ref(xid("sales_allocation_matrix_demo")).cell_ids:
            region = cell.region_id.get_external_id().get(cell.region_id.id, "")
            product = cell.product_category_id.get_external_id().get(
                cell.product_category_id.id, "")
            key = (region.split("sales_allocation_region_")[-1][:-len("_demo")],
                   product.split("product_category_")[-1][:-len("_demo")])
            ctx["cells"][key] = cell
        return ctx

    # ------------------------------------------------------------------ one lead

    @api.model
    def _history_lead(self, rng, ctx, created):
        region, _share, provinces = _pick(rng, REGIONS)
        province, cities = rng.choice(provinces)
        city = rng.choice(cities)
        product, _share, (low, high), needs, _won = _pick(rng, PRODUCTS)
        segment = _pick(rng, SEGMENTS)[0]
        company = "%s%s%s" % (city, rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS))
        scale = {"key_account": 1.0, "mid_market": 0.45, "small_business": 0.15}[segment]
        revenue = round(rng.uniform(low, high) * scale / 1000.0) * 1000 or 5000
        return {
            "region": region, "product": product, "segment": segment,
            "name": "%s - %s" % (company, rng.choice(needs)),
            "partner_name": company, "city": city,
            "contact_name": "%s%s" % (rng.choice(SURNAMES), rng.choice(("先生", "女士"))),
            "state_id": ctx["states"][province], "revenue": float(revenue),
            "source_id": ctx["sources"][_pick(rng, SOURCES)[0]],
            "created": created, "events": [],
        }

    @api.model
    def _history_target(self, ctx, lead):
        """(rule, queue key or None, user id or None, reason start) as the demo's
        matrix and region rules would route the lead (a simplified resolver)."""
        templates = ctx["templates"]
        rules = ctx["rules"]
        product = lead["product"]
        for region, line in ((lead["region"], product),
                             (lead["region"], "servers" if product == "gpu_servers"
                              else None),
                             ("china", product)):
            cell = ctx["cells"].get((region, line))
            if cell:
                text = templates["matrix"] % {"cell": cell.name}
                if cell.target_type == "queue":
                    key = next(k for k, q in ctx["queues"].items() if q == cell.queue_id)
                    return rules["matrix"], key, None, text
                return rules["matrix"], None, cell.user_id.id, text
        key = {"east": "east", "north": "north", "south": "south"}.get(
            lead["region"], "fallback")
        rule = rules[key]
        text = templates["rule"] % {"rule": rule.name}
        return rule, "national" if key == "fallback" else key, None, text

    @api.model
    def _history_turn(self, rng, ctx, key, rotation, received, away=()):
        """The member of queue ``key`` whose turn it is (by its strategy)."""
        members = [(user, weight) for user, weight in ctx["members"][key]
                   if user not in away] or ctx["members"][key]
        strategy = ctx["queues"][key].strategy
        rotation[key] += 1
        if strategy == "sequential":
            return members[rotation[key] % len(members)][0]
        if strategy == "weighted":
            return _pick(rng, members)[0]
        least = min(received[user] for user, _weight in members)
        return rng.choice([user for user, _weight in members if received[user] == least])

    @api.model
    def _history_route(self, rng, ctx, lead, rotation, received):
        """The lead's events: allocation, then perhaps a lapse, release, reclaim."""
        templates = ctx["templates"]
        created = lead["created"]
        events = lead["events"]
        now = created + timedelta(seconds=rng.randint(1, 20))
        pool = ctx["pool"]
        east = [user for user, _weight in ctx["members"]["east"]]
        # A rep on leave for ten days in the middle: his queue mates take his share.
        away = set()
        offset = (created - (ctx["end"] - timedelta(days=DAYS))).days
        if 40 <= offset < 50:
            away.add(ctx["users"]["wangfang"].id)
        if lead["region"] == "east" and lead["segment"] == "small_business" \
                and rng.random() < 0.45:
            # Small East China accounts go to the public pool, where reps claim them.
            events.append(self._event(now, "pooled", None, None, pool=pool.id,
                                      team=pool.team_id.id,
                                      reason=templates["pool"] % {"pool": pool.name}))
            self._history_claims(rng, ctx, lead, now, east, away)
            return
        rule, key, user, text = self._history_target(ctx, lead)
        queue = ctx["queues"][key] if key else None
        if key:
            user = self._history_turn(rng, ctx, key, rotation, received, away)
            text = "%s %s" % (text, templates["queue"] % {
                "queue": queue.name, "strategy": templates[queue.strategy],
                "user": self._name_of(ctx, user)})
        else:
            text = "%s %s" % (text, templates["user"] % {"user": self._name_of(ctx, user)})
        received[user] += 1
        team = queue.team_id.id if queue and queue.team_id else None
        event = self._event(now, "assigned", user, None, rule=rule.id,
                            queue=queue.id if queue else None, team=team, reason=text)
        events.append(event)
        lead["rule_id"] = rule.id
        self._history_response(rng, ctx, event)
        if event["response_lapsed"] and key:
            # Speed-to-lead: nobody answered in time, the next member takes it.
            mates = [m for m, _w in ctx["members"][key] if m != user]
            if mates:
                nxt = rng.choice(mates)
                received[nxt] += 1
                event["response_reassigned"] = True
                later = self._event(
                    event["response_deadline"], "reassigned", nxt, user, rule=rule.id,
                    queue=queue.id, team=team, reason=_(
                        "No first response in %(minutes)d working minutes.") % {
                        "minutes": 60} + " " + _("Queue \"%(queue)s\" gave it to "
                                                 "%(user)s.") % {
                        "queue": queue.name, "user": self._name_of(ctx, nxt)})
                events.append(later)
                self._history_response(rng, ctx, later, lapse=0.0)
                user = nxt
        if lead["region"] == "east" and rng.random() < 0.06:
            # Released into the public pool after a few days, claimed by another rep.
            when = now + timedelta(days=rng.uniform(1, 6))
            events.append(self._event(
                when, "released", None, user, pool=pool.id, team=pool.team_id.id,
                reason="%s %s" % (_("Released by %s.") % self._name_of(ctx, user),
                                  rng.choice(RELEASE_NOTES))))
            self._history_claims(rng, ctx, lead, when, [m for m in east if m != user],
                                 away)

    @api.model
    def _history_claims(self, rng, ctx, lead, since, claimants, away):
        """Claimed from the pool after a while; sometimes reclaimed for idling and
        claimed again by somebody else."""
        pool = ctx["pool"]
        events = lead["events"]
        claimant = None
        for attempt in range(2):
            candidates = [user for user in claimants
                          if user not in away and user != claimant] or claimants
            when = since + timedelta(hours=rng.uniform(2, 72))
            claimant = rng.choice(candidates)
            events.append(self._event(
                when, "claimed", claimant, None, pool=pool.id, team=pool.team_id.id,
                reason=_("Claimed from pool \"%(pool)s\" by %(user)s.") % {
                    "pool": pool.name, "user": self._name_of(ctx, claimant)}))
            if attempt or rng.random() > 0.22:
                return
            since = when + timedelta(days=rng.uniform(9, 12))
            events.append(self._event(
                since, "reclaimed", None, claimant, pool=pool.id, team=pool.team_id.id,
                reason=_("idle %(days)d working days, limit %(limit)d") % {
                    "days": pool.idle_days, "limit": pool.idle_days}))

    @api.model
    def _history_response(self, rng, ctx, event, lapse=None):
        """A first-response deadline of 60 minutes (clock time, for the demo) and the
        owner's first response, at his usual speed."""
        median = REP_SPEED[ctx["login"][event["user_id"]]]
        minutes = rng.lognormvariate(0, 0.8) * median
        lapsed = rng.random() < (0.06 if lapse is None else lapse) or minutes > 75
        event["response_deadline"] = event["date"] + timedelta(minutes=60)
        if lapsed and lapse is None:
            event["response_lapsed"] = True
        else:
            event["response_date"] = event["date"] + timedelta(minutes=min(minutes, 59))

    @staticmethod
    def _event(date, event, user, previous, rule=None, queue=None, team=None, pool=None,
               reason=None):
        return {"date": date, "event": event, "user_id": user, "previous_user_id": previous,
                "rule_id": rule, "queue_id": queue, "team_id": team, "pool_id": pool,
                "reason": reason, "response_deadline": None, "response_date": None,
                "response_lapsed": False, "response_reassigned": False}

    @staticmethod
    def _name_of(ctx, user_id):
        return next(user.name for user in ctx["users"].values() if user.id == user_id)

    # ------------------------------------------------------------------ outcomes

    @api.model
    def _history_outcomes(self, rng, ctx, leads):
        """Converted, won or lost; the ``OPEN_PER_REP`` newest leads of each rep stay
        open. Events past the end of the history are dropped."""
        end = ctx["end"]
        stages = ctx["stages"]
        for lead in leads:
            kept = [e for e in lead["events"] if e["date"] < end]
            if kept[-1]["user_id"] is None:
                # Left in the pool at the end: the next claim comes sooner, so that no
                # history lead waits in the pool.
                claim = lead["events"][len(kept)]
                claim["date"] = kept[-1]["date"] + (end - kept[-1]["date"]) / 2
                kept.append(claim)
            lead["events"] = kept
            owner_event = lead["events"][-1]
            lead["owner"] = owner_event["user_id"]
            lead["owned_since"] = owner_event["date"]
        open_ids = set()
        newest = defaultdict(list)
        for index, lead in enumerate(leads):
            if lead["owner"]:
                newest[lead["owner"]].append(index)
        for indexes in newest.values():
            open_ids.update(indexes[-OPEN_PER_REP:])
        product_factor = {key: factor for key, *_rest, factor in PRODUCTS}
        for index, lead in enumerate(leads):
            owned = lead["owned_since"]
            skill = REP_SKILL.get(ctx["login"].get(lead["owner"]), 1.0)
            converted = rng.random() < 0.5 * min(skill, 1.3)
            lead.update(type="lead", active=True, stage=stages[0], probability=10.0,
                        date_conversion=None, date_closed=None, lost_reason=None,
                        deadline=None)
            if index in open_ids:
                if converted:
                    stage = rng.choice(stages[1:3])
                    lead.update(type="opportunity", stage=stage,
                                probability=stage.probability,
                                date_conversion=owned + timedelta(hours=rng.uniform(1, 20)),
                                deadline=(end + timedelta(days=rng.randint(7, 45))).date())
                lead["changed"] = lead["date_conversion"] or owned
                continue
            won_share = 0.38 * skill * product_factor[lead["product"]]
            if converted:
                conversion = owned + timedelta(days=rng.uniform(0.2, 8))
                closed = conversion + timedelta(days=rng.uniform(3, 35))
                if closed >= end:
                    closed = conversion + (end - conversion) * rng.random()
                if conversion >= end:
                    conversion = owned + (end - owned) * 0.3
                    closed = owned + (end - owned) * 0.6
                lead.update(type="opportunity", date_conversion=conversion,
                            date_closed=closed)
                if rng.random() < won_share:
                    lead.update(stage=stages[3], probability=100.0)
                else:
                    lead.update(stage=rng.choice(stages[1:3]), active=False,
                                probability=0.0,
                                lost_reason=rng.choice(ctx["lost_reasons"]))
            else:
                closed = owned + timedelta(days=rng.uniform(1, 20))
                if closed >= end:
                    closed = owned + (end - owned) * rng.random()
                lead.update(active=False, probability=0.0, date_closed=closed,
                            lost_reason=rng.choice(ctx["lost_reasons"]))
            lead["changed"] = lead["date_closed"]

    # ------------------------------------------------------------------ writing

    @api.model
    def _history_write(self, ctx, leads, logs):
        cr = self.env.cr
        if not leads:
            return
        cr.execute("SELECT nextval('crm_lead_id_seq') FROM generate_series(1, %s)",
                   [len(leads)])
        ids = sorted(row[0] for row in cr.fetchall())
        teams = {user.id: user.sale_team_id.id or None for user in ctx["users"].values()}
        states = {"assigned": "allocated", "reassigned": "allocated",
                  "claimed": "claimed"}
        lead_rows = []
        for lead_id, lead in zip(ids, leads):
            last = lead["events"][-1]
            owner = lead["owner"]
            created = lead["created"]
            closed = lead["date_closed"]
            lead_rows.append((
                lead_id, lead["name"], lead["type"], lead["active"], lead["partner_name"],
                lead["contact_name"], lead["city"], ctx["china"], lead["state_id"],
                last["team_id"] or teams.get(owner), owner, lead["stage"].id,
                lead["probability"], lead["revenue"], ctx["products"][lead["product"]],
                lead["source_id"], lead["segment"],
                "2" if lead["segment"] == "key_account" else "1",
                _str(created), _str(lead["changed"]), _str(lead["owned_since"]),
                _str(closed), _str(lead["date_conversion"]), _str(lead["changed"]),
                lead["deadline"] and fields.Date.to_string(lead["deadline"]),
                lead["lost_reason"],
                states.get(last["event"], "allocated"), lead.get("rule_id"),
                _str(last["date"]), last["reason"],
                next((e["pool_id"] for e in lead["events"] if e["pool_id"]), None),
                _str(lead["changed"]),
                (lead["owned_since"] - created).total_seconds() / 86400.0,
                (closed - created).total_seconds() / 86400.0 if closed else None,
                ctx["company"], ctx["admin"], ctx["admin"],
                False, 0, 0, False, False, False))
            for event in lead["events"]:
                logs.append((
                    _str(event["date"]), lead_id, event["event"], event["user_id"],
                    event["previous_user_id"], event["rule_id"], event["queue_id"],
                    event["team_id"] or teams.get(event["user_id"]), event["pool_id"],
                    event["reason"], _str(event["response_deadline"]),
                    _str(event["response_date"]), event["response_lapsed"],
                    event["response_reassigned"],
                    event["user_id"] if event["event"] == "claimed" else ctx["admin"],
                    True))
        copy_rows(cr, "crm_lead", LEAD_COLUMNS, lead_rows)
        # Log ids in the order of the events' dates, as the real runs write them.
        logs.sort(key=lambda row: (row[0], row[1]))
        copy_rows(cr, "sales_allocation_log", LOG_COLUMNS, logs)
        self.env["sales.allocation.ledger"].follow(
            [(lead_id, lead["owner"]) for lead_id, lead in zip(ids, leads)
             if lead["owner"]])
        forget(self.env["crm.lead"])
        forget(self.env["sales.allocation.log"])
        # Thirty times more leads than the planner last saw: give it their statistics,
        # or it picks other indexes than on a live database until autovacuum passes.
        cr.execute("ANALYZE crm_lead")
        cr.execute("ANALYZE sales_allocation_log")
