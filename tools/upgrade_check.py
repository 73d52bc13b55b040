"""The ORM half of tools/upgrade_check.sh: fill a database, snapshot it, compare.

Run by the venv's interpreter with the Odoo config of the code it must talk to:

    .venv/bin/python tools/upgrade_check.py -c CONF -d DB before SNAPSHOT.json
        (the PREVIOUS release's code) bring the database to a realistic state through the
        ORM (rules, queues, pools, claims, a release, owners set by hand, a reclaim run),
        commit, then write everything that must survive an upgrade to SNAPSHOT.json
    .venv/bin/python tools/upgrade_check.py -c CONF -d DB after SNAPSHOT.json
        (the CURRENT code, after `-u sales_allocation`) read the same fields of the same
        records again and print what was lost or changed; then allocate one new lead
        (rolled back) and check that it got an owner, a log row and its turn in the
        rotation

Exit status: 0 when every check passed, 1 otherwise. Nothing here edits the addon.
"""
import argparse
import json
import os
import sys
from collections import Counter

# This folder holds tools/odoo.py: drop it from the import path so that `import odoo`
# finds the Odoo package (as tools/odoo.py itself does).
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

MODULE = "sales_allocation"

# crm.lead: these fields, plus every stored field sales_allocation itself adds.
LEAD_FIELDS = [
    "name", "user_id", "team_id", "pool_id", "allocation_state", "allocation_rule_id",
    "allocation_reason", "allocation_date", "owner_activity_date", "reclaim_deadline",
    "reclaim_warn_date", "reclaim_timer", "reclaim_warned_deadline", "stage_id", "active",
    "type", "probability", "date_open",
]
# The other models whose every stored field (as the previous release has them) must
# survive. One2many fields are left out: their inverse many2one is compared.
MODELS = [
    "sales.allocation.rule",
    "sales.allocation.queue",
    "sales.allocation.queue.member",
    "sales.allocation.pool",
    "sales.allocation.log",
    "sales.allocation.region",
    "sales.allocation.matrix",
    "sales.allocation.matrix.cell",
]
# The rotation state, always read as these ORM fields (never as columns): a new release
# may store it elsewhere and keep these fields as computed ones.
FORCED_FIELDS = {
    "sales.allocation.queue": ["last_user_id"],
    "sales.allocation.queue.member": ["current_weight"],
}
# Never compared: the audit columns of the last write. A migration that rewrites a
# record through the ORM legitimately updates them.
IGNORED_FIELDS = {"id", "write_uid", "write_date", "__last_update", "display_name"}

# Fields (or whole models, field None) of the previous release that the current code may
# drop without failing this check. Each entry says why its data is not lost, e.g.
#     ("sales.allocation.queue.member", "current_weight"):
#         "moved to sales.allocation.rotation (migrations/11.0.2.0.0/post-rotation.py)",
# A field that still exists, even as a computed one, is compared and needs no entry.
ALLOWED_MISSING = {
}

# The new lead of the last check: a Beijing lead without product line, that the demo
# rule "华北区域" sends to the sequential queue "华北轮询（顺序）".
NEW_LEAD_QUEUE = "sales_allocation.sales_allocation_queue_north_demo"
MAX_DIFF_LINES = 80


def say(message):
    print("upgrade: %s" % message, flush=True)


def open_env(conf, db):
    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    registry = odoo.registry(db)
    return registry


# ------------------------------------------------------------------ the state to upgrade

def populate(env):
    """A database as admins have it after some weeks, made with the previous release."""
    ref = env.ref
    Lead = env["crm.lead"].with_context(mail_create_nolog=True)
    cn = ref("base.cn")

    def state(code):
        return ref("l10n_cn.state_%s" % code).id

    def user(name):
        return ref("%s.res_users_%s_demo" % (MODULE, name))

    def new_lead(name, province, **values):
        values.update(name="[upgrade check] %s" % name, type="lead", country_id=cn.id,
                      state_id=state(province))
        return Lead.create(values)

    # Allocated by the demo rules: weighted, sequential and least-loaded queues, the
    # key-account salesperson, the fallback queue, the matrix.
    allocated = Lead.browse()
    for index, province in enumerate(["ZJ", "JS", "AH", "SD", "FJ", "SH"]):
        allocated |= new_lead("east %d" % index, province)
    for index, province in enumerate(["BJ", "TJ", "HE", "NM", "SX"]):
        allocated |= new_lead("north %d" % index, province)
    for index, province in enumerate(["GD", "GX", "HI"]):
        allocated |= new_lead("south %d" % index, province)
    for index, province in enumerate(["SC", "YN"]):
        allocated |= new_lead("west %d" % index, province)
    allocated |= new_lead("key account", "SH", partner_name="上海升级检查有限公司",
                          customer_segment="key_account")
    allocated |= new_lead("matrix servers", "ZJ", product_category_id=ref(
        "%s.product_category_servers_demo" % MODULE).id)
    allocated |= new_lead("matrix gpu", "BJ", product_category_id=ref(
        "%s.product_category_gpu_servers_demo" % MODULE).id)
    # Owners set by hand: at creation, and later over an allocated lead.
    new_lead("manual at create", "GD", user_id=user("huangqiang").id)
    allocated[0].write({"user_id": user("liuyang").id})
    # One lost (archived) lead, one moved to another stage.
    allocated[1].action_set_lost()
    stages = env["crm.stage"].search([], order="sequence, id")
    if len(stages) > 1:
        allocated[2].write({"stage_id": stages[1].id})

    # Pools: the demo's (back to the pool) and one that re-allocates through a queue.
    east_pool = ref("%s.sales_allocation_pool_east_demo" % MODULE)
    north_pool = env["sales.allocation.pool"].create({
        "name": "[upgrade check] 华北公海", "team_id": ref("%s.crm_team_north_demo" % MODULE).id,
        "max_claims_per_day": 10, "max_open_leads": 0, "idle_days": 7,
        "max_hold_days": 20, "hold_goal": "won", "warn_days": 1, "cooldown_days": 2,
        "reclaim_action": "queue",
        "reclaim_queue_id": ref("%s.sales_allocation_queue_north_demo" % MODULE).id,
        "user_ids": [(6, 0, [user("zhaomin").id])],
    })
    east = [ref("%s.crm_lead_pool_suzhou_demo" % MODULE),
            ref("%s.crm_lead_pool_ningbo_demo" % MODULE)]
    east += [new_lead("east pool %d" % index, "ZJ", pool_id=east_pool.id)
             for index in range(4)]
    north = [new_lead("north pool %d" % index, "BJ", pool_id=north_pool.id)
             for index in range(3)]
    # Claims by reps, as the reps; one release.
    zhangwei, lina, wangfang, liuyang = (
        user("zhangwei"), user("lina"), user("wangfang"), user("liuyang"))
    (east[0] | east[1]).sudo(zhangwei).action_claim()
    east[2].sudo(lina).action_claim()
    east[3].sudo(wangfang).action_claim()
    east[3].sudo(wangfang).action_release()
    (north[0] | north[1]).sudo(liuyang).action_claim()
    # Idle owners (claimed and last worked days ago: the idle clock starts at the later
    # of the two): one lead due (back to the pool), one due through the queue, one
    # inside its warning window.
    due = east[0] | north[0]
    for leads, days in ((due, 10), (east[2], 6)):
        env.cr.execute("""
            UPDATE crm_lead
               SET owner_activity_date = (now() at time zone 'utc') - %s * interval '1 day',
                   date_open = (now() at time zone 'utc') - %s * interval '1 day'
             WHERE id IN %s
        """, [days, days, tuple(leads.ids)])
    touched = due | east[2]
    touched.invalidate_cache()
    touched.modified(["owner_activity_date"])
    touched.recompute()
    summary = env["sales.allocation.pool"]._reclaim()
    # The owners' digest: some log rows are marked notified.
    env["sales.allocation.log"]._cron_notify_owners()
    env["sales.allocation.log"].invalidate_cache()
    return summary


def check_populated(env, summary):
    """The state must hold what the upgrade is meant to carry; else the check is void."""
    problems = []
    Log = env["sales.allocation.log"]
    events = Counter(row["event"] for row in Log.search_read([], ["event"]))
    for event in ("assigned", "manual", "pooled", "claimed", "released", "reclaimed",
                  "warned"):
        if not events.get(event):
            problems.append("no log row of event %r" % event)
    if not summary.get("reclaimed") or not summary.get("warned") \
            or not summary.get("reallocated"):
        problems.append("the reclaim run did too little: %r" % summary)
    queues = env["sales.allocation.queue"].with_context(active_test=False).search([])
    if not queues.filtered("last_user_id"):
        problems.append("no queue has a last_user_id")
    if not queues.mapped("member_ids").filtered("current_weight"):
        problems.append("no queue member has a current_weight")
    Lead = env["crm.lead"].with_context(active_test=False)
    for field in ("reclaim_deadline", "reclaim_warn_date", "reclaim_timer",
                  "reclaim_warned_deadline"):
        if not Lead.search_count([(field, "!=", False)]):
            problems.append("no lead has %s" % field)
    say("state made with the previous release: reclaim run %s; log rows by event: %s" % (
        {key: summary[key] for key in ("warned", "reclaimed", "reallocated")},
        ", ".join("%s %d" % item for item in sorted(events.items()))))
    return problems


# ------------------------------------------------------------------ snapshot

def stored_fields(model):
    names = []
    for name, field in model._fields.items():
        if name in IGNORED_FIELDS or field.type == "one2many" or not field.store:
            continue
        names.append(name)
    return names


def field_list(env, model_name):
    model = env[model_name]
    if model_name == "crm.lead":
        names = list(LEAD_FIELDS)
        names += [name for name in stored_fields(model)
                  if getattr(model._fields[name], "_module", None) == MODULE
                  and name not in names]
    else:
        names = stored_fields(model)
    names += [name for name in FORCED_FIELDS.get(model_name, []) if name not in names]
    return sorted(set(names), key=names.index)


def normalize(value, field_type):
    if field_type == "many2one":
        return value[0] if value else False
    if field_type in ("many2many", "one2many"):
        return sorted(value or [])
    if field_type in ("float", "monetary") and value is not False:
        return round(value, 6)
    return value


def read_model(env, model_name, field_names, ids=None):
    """{id: {field: value}} through the ORM (search_read, archived records too)."""
    model = env[model_name].with_context(active_test=False, lang="en_US")
    types = {name: model._fields[name].type for name in field_names}
    domain = [("id", "in", list(ids))] if ids is not None else []
    rows = model.search_read(domain, field_names, order="id")
    return {str(row["id"]): {name: normalize(row[name], types[name]) for name in field_names}
            for row in rows}


def snapshot(env):
    result = {"models": {}}
    for model_name in ["crm.lead"] + MODELS:
        if model_name not in env:
            continue
        names = field_list(env, model_name)
        result["models"][model_name] = {
            "fields": names,
            "types": {name: env[model_name]._fields[name].type for name in names},
            "records": read_model(env, model_name, names),
        }
    module = env["ir.module.module"].search([("name", "=", MODULE)])
    result["module_version"] = module.latest_version
    return result


# ------------------------------------------------------------------ compare

def short(value):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 70 else text[:67] + "..."


def compare(env, before):
    """Lines describing what was lost or changed, and counts per model."""
    problems, notes = [], []
    for model_name, data in before["models"].items():
        if model_name not in env:
            if (model_name, None) in ALLOWED_MISSING:
                notes.append("%s no longer exists (allowed: %s)" % (
                    model_name, ALLOWED_MISSING[(model_name, None)]))
            else:
                problems.append("%s: the model no longer exists (%d records lost)" % (
                    model_name, len(data["records"])))
            continue
        model = env[model_name]
        present = []
        for name in data["fields"]:
            if name in model._fields:
                present.append(name)
            elif (model_name, name) in ALLOWED_MISSING:
                notes.append("%s.%s no longer exists (allowed: %s)" % (
                    model_name, name, ALLOWED_MISSING[(model_name, name)]))
            else:
                problems.append("%s.%s: the field no longer exists" % (model_name, name))
        old_records = data["records"]
        new_records = read_model(env, model_name, present, ids=[int(i) for i in old_records])
        changed = 0
        for record_id, old_values in sorted(old_records.items(), key=lambda i: int(i[0])):
            label = "%s %s" % (model_name, record_id)
            if old_values.get("name"):
                label += " (%s)" % short(old_values["name"])[1:-1][:40]
            new_values = new_records.get(record_id)
            if new_values is None:
                problems.append("%s: the record is gone" % label)
                continue
            for name in present:
                if old_values.get(name) != new_values.get(name):
                    changed += 1
                    problems.append("%s: %s %s -> %s" % (
                        label, name, short(old_values.get(name)), short(new_values.get(name))))
        added = model.with_context(active_test=False).search_count([]) - len(new_records)
        say("compared %-30s %4d records x %2d fields: %s%s" % (
            model_name, len(old_records), len(present),
            "%d values changed, %d records gone" % (
                changed, len(old_records) - len(new_records))
            if changed or len(new_records) != len(old_records) else "same",
            ", %d new records (ignored)" % added if added > 0 else ""))
    return problems, notes


# ------------------------------------------------------------------ a new lead

def check_new_lead(env, before):
    """One lead allocated by the current code right after the upgrade (rolled back)."""
    problems = []
    queue = env.ref(NEW_LEAD_QUEUE)
    members = [member.user_id.id for member in queue.member_ids.sorted(
        lambda m: (m.sequence, m.id)) if member.available and member.user_id.active]
    last = before["models"]["sales.allocation.queue"]["records"][str(queue.id)]["last_user_id"]
    expected = members[0]
    if last in members:
        expected = members[(members.index(last) + 1) % len(members)]
    lead = env["crm.lead"].create({
        "name": "[upgrade check] new lead after the upgrade", "type": "lead",
        "country_id": env.ref("base.cn").id,
        "state_id": env.ref("l10n_cn.state_BJ").id,
    })
    lead.invalidate_cache()
    logs = env["sales.allocation.log"].search([("lead_id", "=", lead.id)])
    say("new lead %d: allocation_state %s, owner %s, rule %s, log rows %s" % (
        lead.id, lead.allocation_state, lead.user_id.name, lead.allocation_rule_id.name,
        [log.event for log in logs]))
    if lead.allocation_state != "allocated" or not lead.user_id:
        problems.append("the new lead was not allocated (state %r, owner %r)" % (
            lead.allocation_state, lead.user_id.name))
    if not logs.filtered(lambda log: log.event == "assigned" and log.user_id == lead.user_id):
        problems.append("the new lead has no 'assigned' log row for its owner")
    if lead.user_id and lead.user_id.id != expected:
        problems.append(
            "the rotation of queue %s did not continue where it stood before the upgrade: "
            "last user %r, so the next lead should go to user %d, it went to %d" % (
                queue.id, last, expected, lead.user_id.id))
    return problems


# ------------------------------------------------------------------ commands

def cmd_before(registry, path):
    with api.Environment.manage(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        summary = populate(env)
        problems = check_populated(env, summary)
        cr.commit()
    if problems:
        for line in problems:
            say("FAIL (state before the upgrade): %s" % line)
        return 1
    with api.Environment.manage(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        data = snapshot(env)
    with open(path, "w") as out:
        json.dump(data, out, ensure_ascii=False, indent=1, sort_keys=True)
    say("snapshot of %s written to %s" % (", ".join(
        "%d %s" % (len(model["records"]), name) for name, model in data["models"].items()),
        os.path.relpath(path)))
    return 0


def cmd_after(registry, path):
    with open(path) as data:
        before = json.load(data)
    with api.Environment.manage(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", MODULE)])
        say("sales_allocation %s -> %s (%s)" % (
            before.get("module_version"), module.latest_version, module.state))
        problems, notes = compare(env, before)
        for line in notes:
            say("note: %s" % line)
        if problems:
            say("FAIL: %d values lost or changed by the upgrade:" % len(problems))
            for line in problems[:MAX_DIFF_LINES]:
                print("    " + line)
            if len(problems) > MAX_DIFF_LINES:
                print("    ... and %d more" % (len(problems) - MAX_DIFF_LINES))
        else:
            say("nothing lost or changed")
        lead_problems = check_new_lead(env, before)
        for line in lead_problems:
            say("FAIL (new lead): %s" % line)
        cr.rollback()
    return 1 if problems or lead_problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("command", choices=["before", "after"])
    parser.add_argument("snapshot")
    args = parser.parse_args()
    registry = open_env(args.config, args.database)
    if args.command == "before":
        return cmd_before(registry, os.path.abspath(args.snapshot))
    return cmd_after(registry, os.path.abspath(args.snapshot))


if __name__ == "__main__":
    sys.exit(main())
