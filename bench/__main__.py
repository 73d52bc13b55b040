"""``make bench``: allocation at scale, one table measured in one run (issues 6 and 11).

    .venv/bin/python -m bench            small sizes, a quick run (a few minutes)
    .venv/bin/python -m bench --full     the issue's sizes
    .venv/bin/python -m bench --help     every size and option

It creates a throw-away database (``tools/db.sh create``; ``--from DB`` copies an
installed one instead), fills it with SQL COPY, measures, prints the table and drops
the database (``--keep`` keeps it).  Never point it at the ``make run`` database.

Items (see README.md, "Allocation at scale"):
1. the engine alone, on the synthetic data of ``bench/synthetic.py``;
2. the backlog scheduled action (``crm.lead._cron_allocate_backlog``) on the same data,
   against the raw-SQL owner UPDATE and a per-record ORM loop measured in the same run;
   its log rows and its digests (one message per rep, none per lead);
3. the pool's reclaim run (``sales.allocation.pool._cron_reclaim``) on a big table;
4. what allocation adds to one ORM ``create``;
5. the peak memory of item 2's process at two lead counts;
6. ``crm.lead.action_allocate`` on many ids in one XML-RPC call to a real server;
7. intake under load: on a real prefork server (4 workers), client threads (own
   connections, released together) create leads over XML-RPC (``crm.lead.create``)
   that one rule sends to one sequential queue of 4 reps, against the same creates of
   leads no rule matches, alternated in the same run (2 rounds each): failed creates,
   exact distribution with one log row each, both throughputs and their ratio, p99
   latency.  --full: 64 threads x 20 creates; quick: 32 x 5 (Odoo's prefork server
   queues 8 x workers = 32 connections: past that, connections wait for TCP's
   retransmissions, 1 to 63 s, which --full shows);
8. bulk runs don't hold intake up: while each of the backlog cron (item 2's dataset),
   the pool reclaim, ``action_allocate`` on many ids in one XML-RPC call and the
   territory rotation wizard runs (own transaction and process), a probe creates one
   lead every ~100 ms through the same queue: the longest create during the run
   (<= 1 s), the run's duration, and whether the run did its work;
9. speed-to-lead (issue 13, ``bench/response.py``): the speed-to-lead scheduled action
   (``sales.allocation.response._cron_run``) on item 3's big table with 1 % of its
   leads past their first-response deadline (<= 3 s) and with none (<= 0.1 s), each
   rolled back; and what working hours add to item 2's backlog run (<= 25 %): the run
   on a fresh copy of item 2's leads with the queues plain and respecting working hours
   on an always-on calendar, in pairs (after one run not counted), the median ratio;
10. matching (issue 14, ``bench/matching.py``): what matching the backlog (a fresh copy
   of item 2's leads, 20 % sharing a key with an existing lead) against the big table
   (its leads given emails over ``--match-domains`` company domains with a long tail,
   public domains, phones and company names; keys by the addon's code) adds to item 2's
   backlog run (<= 30 %; matching on vs off in pairs, the median ratio; a run on is
   stopped past 10 x the run off + 60 s), and to one ORM create (<= 25 %; an existing
   customer's email domain, phone and name; at most ~2 minutes of creates);
11. the diff simulation (issue 15, ``bench/simulation.py``): 20,000 leads replayed
   through an archived draft rule and the active rules (<= 10 s), nothing written.

Items 7 and 8 share one server and run last; ``--only 7,8`` runs just them (after the
dataset is created).  Item 9's working-hours pairs run before item 3 fills the big
table; its speed-to-lead run and item 10 after it (they fill it when item 3 did not run).
"""
import argparse
import os
import platform
import subprocess
import sys
import time
import traceback

from . import backlog, create, dataset, matching, reclaim, response, rpc, simulation
from .common import ODOO_CONF, PY, ROOT, Clock, db_tool, environment, vacuum

QUICK = dict(leads=10000, rules=50, reps=60, table=100000, rpc_leads=2000, rpc_reps=50,
             create_repeat=60, loop_sample=40, intake_threads=32, intake_creates=5,
             intake_reps=4, reclaim_due=2000, rotation_leads=2000, match_domains=5000)
FULL = dict(leads=100000, rules=50, reps=200, table=1000000, rpc_leads=20000,
            rpc_reps=50, create_repeat=200, loop_sample=200, intake_threads=64,
            intake_creates=20, intake_reps=4, reclaim_due=10000, rotation_leads=20000,
            match_domains=50000)
# What the sizes of items 7 and 8 are (the others: README.md and the items' modules).
SIZE_HELP = dict(
    intake_threads="item 7: client threads", intake_creates="item 7: creates per thread",
    intake_reps="item 7: reps in its queue",
    leads="items 1, 2, 5, 8a, 9 and 10: leads of the synthetic dataset",
    table="items 3, 9 and 10: leads in the big table",
    match_domains="item 10: company email domains of the big table's leads",
    create_repeat="items 4 and 10: timed creates of each kind",
    rpc_leads="items 6 and 8c: ids in the one XML-RPC call",
    reclaim_due="item 8b: due leads the reclaim takes back",
    rotation_leads="item 8d: leads the rotation moves")
PROTECTED_DBS = {"sales_allocation"}  # the `make run` default


def say(message):
    sys.stderr.write("bench: %s\n" % message)
    sys.stderr.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Items ("):],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the issue's sizes: %s" % (
        ", ".join("%s=%s" % item for item in sorted(FULL.items()))))
    for name, value in sorted(QUICK.items()):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=None,
                            help="%sdefault %s (--full: %s)" % (
                                SIZE_HELP[name] + "; " if name in SIZE_HELP else "",
                                value, FULL[name]))
    parser.add_argument("--engine-repeat", type=int, default=3,
                        help="engine runs; the best counts (default 3)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="items 2, 9 and 10: pairs of backlog runs; the median "
                             "counts (default 3)")
    parser.add_argument("--raw-runs", type=int, default=3,
                        help="item 6: runs of the raw-SQL baseline; the median counts "
                             "(default 3)")
    parser.add_argument("--intake-rounds", type=int, default=2,
                        help="item 7: rounds of each kind (no rule, rule), alternated; "
                             "the medians count (default 2)")
    parser.add_argument("--probe-ms", type=int, default=100,
                        help="item 8: the probe creates one lead every this many ms "
                             "(default 100)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="set sales_allocation.batch_size for the run "
                             "(default: the module's)")
    parser.add_argument("--db", default="sales_allocation_bench",
                        help="the throw-away database (dropped and re-created)")
    parser.add_argument("--from", dest="template", default=None,
                        help="copy this installed database instead of a fresh install")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9,10,11",
                        help="comma-separated items to run (default all; 2 and 5 go "
                             "together; 7 and 8 share a server)")
    parser.add_argument("--markdown", default=None,
                        help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    args.only = {int(item) for item in args.only.split(",") if item.strip()}
    if args.only & {2, 5}:
        args.only |= {2, 5}
    sizes = FULL if args.full else QUICK
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.db in PROTECTED_DBS:
        parser.error("%s is the `make run` database: give the bench its own --db" % args.db)
    if args.rpc_leads % args.rpc_reps:
        parser.error("--rpc-leads must be a multiple of --rpc-reps (exact rotation)")
    if (args.intake_threads * args.intake_creates) % args.intake_reps:
        parser.error("--intake-threads x --intake-creates must be a multiple of "
                     "--intake-reps (exact rotation)")
    return args


class Table(object):
    def __init__(self):
        self.rows = []

    def add(self, item, measure, value, target="", ok=None):
        status = "" if ok is None else ("PASS" if ok else "MISS")
        if isinstance(ok, str):
            status = ok
        self.rows.append((str(item), measure, value, target, status))

    def text(self):
        head = ("#", "measure", "value", "target", "")
        widths = [max(len(row[i]) for row in self.rows + [head]) for i in range(5)]

        def line(row):
            return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

        return "\n".join([line(head), line(["-" * w for w in widths])] +
                         [line(row) for row in self.rows])

    def markdown(self):
        lines = ["| # | measure | value | target | |", "|---|---|---|---|---|"]
        lines += ["| %s |" % " | ".join(cell.replace("|", "/") for cell in row)
                  for row in self.rows]
        return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        ram_kb = int(info.readline().split()[1])
    return "%d cores (nproc), %.0f GiB RAM, %s; Python %s" % (
        os.cpu_count(), ram_kb / 1048576.0, cpu, platform.python_version())


def update_module(db):
    import subprocess
    subprocess.run([str(PY), str(ROOT / "tools" / "odoo.py"), "-c", str(ODOO_CONF),
                    "-d", db, "-u", "sales_allocation", "--stop-after-init",
                    "--log-level=warn"], check=True, cwd=str(ROOT))


def n(value):
    return "{:,.0f}".format(value)


def item_engine(args, table):
    from odoo.addons.sales_allocation.engine.allocator import allocate
    best_cpu = best_wall = None
    for _run in range(args.engine_repeat):
        data = dataset.engine_data(args.leads, args.rules, args.reps)
        with Clock() as clock:
            decisions = allocate(**data)
        best_cpu = min(best_cpu or clock.cpu, clock.cpu)
        best_wall = min(best_wall or clock.wall, clock.wall)
    rate = len(decisions) / best_cpu
    table.add(1, "engine alone: decisions/s (%s leads x %d rules x %d reps; best of %d, "
              "CPU time)" % (n(args.leads), args.rules, args.reps, args.engine_repeat),
              "%s/s (wall %s/s)" % (n(rate), n(len(decisions) / best_wall)),
              ">= 200,000/s", rate >= 200000)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.time()
    table = Table()
    load_before = os.getloadavg()
    from .common import load_odoo
    load_odoo()

    if 1 in args.only:
        say("1/8 engine alone")
        item_engine(args, table)
    if not args.only - {1}:
        print(table.text())
        return 0

    db = args.db
    db_tool("drop", db)
    if args.template:
        db_tool("copy", args.template, db)
        say("updating sales_allocation in %s to the code of this checkout" % db)
        update_module(db)
    else:
        db_tool("create", db)
    try:
        run_database_items(args, db, table)
    finally:
        if not args.keep:
            db_tool("drop", db)
    load_after = os.getloadavg()
    footer = ("Machine: %s. Load average %.1f before, %.1f after. Run took %.0f s "
              "(`%s`)." % (machine(), load_before[0], load_after[0], time.time() - started,
                           " ".join(["make bench"] + (["BENCH_ARGS=--full"] if args.full
                                                      else []))))
    print(table.text())
    print()
    print(footer)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(table.markdown() + "\n\n" + footer + "\n")
    return 1 if any(row[4] in ("MISS", "ERROR") for row in table.rows) else 0


def run_database_items(args, db, table):
    data = dataset.engine_data(args.leads, args.rules, args.reps)
    say("creating %d reps, %d queues, %d rules and %s leads in %s" % (
        args.reps, len(data["queues"]), len(data["rules"]), n(args.leads), db))
    with environment(db, commit=True) as env:
        if args.batch_size:
            env["ir.config_parameter"].set_param("sales_allocation.batch_size",
                                                 str(args.batch_size))
        done = dataset.install(env, data, args.reps)
        with Clock() as clock:
            lead_ids = dataset.insert_leads(env, done, data["leads"])
        say("%s leads inserted with COPY in %.1f s" % (n(len(lead_ids)), clock.wall))
        batch_size = env["sales.allocation.allocator"]._batch_size()
        rep_ids = sorted(done.users.values())
    vacuum(db, "crm_lead", "res_partner", "crm_lead_tag_rel")

    steps = [
        ((2, 5), item_backlog, (args, db, table, lead_ids, rep_ids, batch_size)),
        ((4,), item_create, (args, db, table, done, data)),
        ((6,), item_rpc, (args, db, table, done, batch_size)),
        # Before item 3's big table: item 2's conditions.
        ((9,), item_worktime, (args, db, table, done, data)),
        ((3,), item_reclaim, (args, db, table, done)),
        # On item 3's big table (filled here when item 3 did not run).
        ((9,), item_response, (args, db, table, done)),
        ((10,), item_matching, (args, db, table, done, data)),
        ((11,), item_simulation, (args, db, table)),
        # Last: they change the rules and add leads, which the items above must not see.
        ((7, 8), item_load, (args, db, table, done, data)),
    ]
    for items, function, arguments in steps:
        if not args.only & set(items):
            continue
        try:
            function(*arguments)
        except Exception as error:  # one broken item must not hide the others' rows
            traceback.print_exc()
            table.add(items[0], "%s failed" % function.__name__,
                      "%s: %s" % (type(error).__name__, str(error)[:80]), "", "ERROR")
    table.rows.sort(key=lambda row: int(row[0]))


def raw_baseline(args, db, lead_ids, user_ids, batch_size):
    """The raw-SQL owner UPDATE on ``lead_ids``, rolled back, ``--raw-runs`` times:
    the median run (a shared machine makes single runs of a few seconds noisy)."""
    runs = []
    for _run in range(args.raw_runs):
        with environment(db) as env:
            runs.append(backlog.raw_sql_rate(env, lead_ids, user_ids, batch_size))
        vacuum(db, "crm_lead")
    return sorted(runs, key=lambda run: run["per_second"])[len(runs) // 2]


def item_backlog(args, db, table, lead_ids, rep_ids, batch_size):
    say("2/8 baseline: per-record ORM write loop on %d leads" % args.loop_sample)
    with environment(db) as env:
        loop = backlog.orm_loop_rate(env, lead_ids[:args.loop_sample], rep_ids)
    vacuum(db, "crm_lead", "mail_message", "mail_tracking_value", "mail_followers")

    # ---- item 5: a smaller run first (rolled back) -----------------------------------------
    small = max(1, args.leads // 4)
    say("5/8 backlog run on %s leads (child process, rolled back)" % n(small))
    run_small = backlog.run_backlog(db, small, commit=False)
    vacuum(db, "crm_lead", "sales_allocation_log", "mail_followers")

    # ---- item 2: raw SQL and the backlog run back to back on the same rows, in pairs; -----
    # the median pair counts (a shared machine drifts), the last run is committed.
    pairs = []
    for index in range(args.pairs):
        last = index == args.pairs - 1
        say("2/8 pair %d/%d: raw SQL UPDATE on %s rows, then the backlog run (child "
            "process, %s)" % (index + 1, args.pairs, n(len(lead_ids)),
                              "committed" if last else "rolled back"))
        with environment(db) as env:
            raw = backlog.raw_sql_rate(env, lead_ids, rep_ids, batch_size)
        vacuum(db, "crm_lead")
        run = backlog.run_backlog(db, 0, commit=last)
        vacuum(db, "crm_lead", "sales_allocation_log", "mail_followers",
               "mail_followers_mail_message_subtype_rel")
        pairs.append((run["per_second"] / raw["per_second"], raw, run))
    committed = pairs[-1][2]
    ratios = sorted(pair[0] for pair in pairs)
    ratio, raw, run = sorted(pairs, key=lambda pair: pair[0])[len(pairs) // 2]

    rate = run["per_second"]
    table.add(2, "backlog cron (_cron_allocate_backlog): leads/s (%s leads, batches of "
              "%d, %d queries, log rows included)" % (n(run["leads"]), run["batch_size"],
                                                      run["queries"]),
              "%s/s (%.1f s%s)" % (n(rate), run["seconds"], " incl. commit"
                                   if run["commit_seconds"] else ""), "", "INFO")
    table.add(2, "  vs raw SQL UPDATE ... FROM (VALUES ...) on the same rows "
              "(%s rows/s; median of %d pairs, all: %s)" % (
                  n(raw["per_second"]), len(pairs),
                  " ".join("%.3f" % value for value in ratios)),
              "%.3f x" % ratio, ">= 0.25 x", ratio >= 0.25)
    table.add(2, "  vs per-record lead.write({'user_id': u}), tracking on (%.1f leads/s "
              "on %d)" % (loop["per_second"], loop["rows"]),
              "%.0f x" % (rate / loop["per_second"]), ">= 100 x",
              rate >= 100 * loop["per_second"])
    run = committed  # its log, its digests, its memory
    complete = run["log_rows"] == run["leads"]
    digest_ok = (run["messages_during_run"] == 0
                 and run["digest_messages"] == run["digest_reps"])
    table.add(2, "  log rows / leads; mail_message rows: during the run, digests / reps",
              "%s / %s; %d, %d / %d" % (
                  n(run["log_rows"]), n(run["leads"]), run["messages_during_run"],
                  run["digest_messages"], run["digest_reps"]),
              "log complete; 0; one per rep", complete and digest_ok)
    grow_small, grow_full = run_small["growth_mb"], run["growth_mb"]
    table.add(5, "peak RSS growth of the backlog process: %s vs %s leads" % (
        n(run_small["leads"]), n(run["leads"])),
        "+%.0f MB vs +%.0f MB" % (grow_small, grow_full),
        "flat (<= 1.25 x + 10 MB)", grow_full <= 1.25 * grow_small + 10)


def item_create(args, db, table, done, data):
    say("4/8 one ORM create with and without allocation, %d times each" % (
        args.create_repeat))
    with environment(db) as env:
        values = create.lead_values(done, data["leads"], 50)
        overhead = create.create_overhead(env, values, args.create_repeat)
    table.add(4, "allocation added to one ORM create (median of %d; create alone "
              "%.1f ms, with allocation %.1f ms)" % (
                  overhead["repeat"], overhead["create_seconds"] * 1000,
                  overhead["allocating_seconds"] * 1000),
              "%+.0f %%" % (overhead["overhead"] * 100), "<= 25 %",
              overhead["overhead"] <= 0.25)


def item_rpc(args, db, table, done, batch_size):
    say("6/8 action_allocate on %s ids in one XML-RPC call" % n(args.rpc_leads))
    with environment(db, commit=True) as env:
        rpc_ids, rpc_reps = rpc.setup(env, done, args.rpc_leads, args.rpc_reps)
    vacuum(db, "crm_lead")
    rpc_raw = raw_baseline(args, db, rpc_ids, rpc_reps, batch_size)
    call = rpc.allocate_over_rpc(db, rpc_ids)
    with environment(db) as env:
        turns = rpc.rotation(env, rpc_ids, rpc_reps)
    table.add(6, "action_allocate, %s ids in one XML-RPC call, %d reps, one sequential "
              "queue: leads/s" % (n(len(rpc_ids)), len(rpc_reps)),
              "%s/s (%.1f s)" % (n(call["per_second"]), call["seconds"]), "", "INFO")
    table.add(6, "  vs raw SQL on the same rows (%s rows/s, median of %d)" % (
        n(rpc_raw["per_second"]), args.raw_runs),
              "%.3f x" % (call["per_second"] / rpc_raw["per_second"]), ">= 0.25 x",
              call["per_second"] >= 0.25 * rpc_raw["per_second"])
    table.add(6, "  rotation: leads per rep (min-max), strictly cyclic",
              "%d-%d, %s" % (turns["low"], turns["high"],
                             "cyclic" if turns["cyclic"] else "NOT cyclic"),
              "exactly %d each" % turns["share"], turns["exact"])


def item_reclaim(args, db, table, done):
    say("3/8 reclaim run with %s leads in the table" % n(args.table))
    with environment(db) as env:
        ready = reclaim.reclaim_method(env)
    targets = (("1 % due", "<= 3 s", 3.0), ("none due", "<= 0.1 s", 0.1))
    if not ready:
        for due, target, _limit in targets:
            table.add(3, "reclaim run, %s leads in the table, %s" % (n(args.table), due),
                      reclaim.PENDING, target, "PENDING")
        return
    with environment(db, commit=True) as env:
        with Clock() as clock:
            n_due = reclaim.fill_table(env, done, args.table, 0.01)
    say("table filled to %s leads with COPY in %.0f s (%s due)" % (
        n(args.table), clock.wall, n(n_due)))
    vacuum(db, "crm_lead")
    runs = []
    for _due, _target, _limit in targets:
        with environment(db) as env:
            runs.append(reclaim.run_reclaim(env))
        vacuum(db, "crm_lead", "sales_allocation_log")
    for (due, target, limit), (seconds, summary) in zip(targets, runs):
        expected = n_due if due == "1 % due" else 0
        table.add(3, "pool reclaim cron (_cron_reclaim), %s leads in the table, %s: "
                  "%s reclaimed, %s warned" % (n(args.table), due,
                                               n(summary.get("reclaimed", 0)),
                                               n(summary.get("warned", 0))),
                  "%.2f s" % seconds, target,
                  seconds <= limit and summary.get("reclaimed") == expected)


# ---------------------------------------------------------------- items 9 and 10

def fresh_backlog(db, done, data, prefix):
    """Every active unallocated lead put aside, a fresh copy of item 2's leads in their
    place (as item 8a does); their ids."""
    from .bulk import put_aside_unallocated
    with environment(db, commit=True) as env:
        put_aside_unallocated(env)
        lead_ids = dataset.insert_leads(env, done, data["leads"], prefix=prefix)
    vacuum(db, "crm_lead", "crm_lead_tag_rel")
    return lead_ids


def put_aside(db):
    from .bulk import put_aside_unallocated
    with environment(db, commit=True) as env:
        put_aside_unallocated(env)


class TimedOut(Exception):
    """A backlog run stopped past ``BUDGET`` x the other run of its pair."""


BUDGET = 10  # a run "on" is stopped past this many times the run "off" (+ 60 s)


def backlog_pairs(args, db, label, switch):
    """``--pairs`` pairs of backlog runs (child process, rolled back), ``switch(env,
    True)`` before one and ``switch(env, False)`` before the other, alternating which
    goes first (the first pair "off" first), after one run not counted; [(ratio on /
    off seconds, on run, off run, which went first)], the median pair first.  A run
    "on" is stopped past ``BUDGET`` times the run "off" of the first pair
    (``TimedOut``, the budget in its message)."""
    say("%s: one backlog run first, not counted (cold caches)" % label)
    with environment(db, commit=True) as env:
        switch(env, False)
    backlog.run_backlog(db, 0, commit=False)
    vacuum(db, "crm_lead", "sales_allocation_log", "mail_followers",
           "mail_followers_mail_message_subtype_rel")
    pairs, budget = [], None
    for index in range(args.pairs):
        runs = {}
        for on in ((True, False) if index % 2 else (False, True)):
            say("%s pair %d/%d: backlog run, %s" % (
                label, index + 1, args.pairs, "on" if on else "off"))
            with environment(db, commit=True) as env:
                switch(env, on)
            try:
                runs[on] = backlog.run_backlog(db, 0, commit=False,
                                               timeout=budget if on else None)
            except subprocess.SubprocessError:
                vacuum(db, "crm_lead")
                raise TimedOut("%.0f s" % budget)
            vacuum(db, "crm_lead", "sales_allocation_log", "mail_followers",
                   "mail_followers_mail_message_subtype_rel")
            if budget is None and not on:
                budget = BUDGET * runs[False]["seconds"] + 60
        pairs.append((runs[True]["seconds"] / runs[False]["seconds"], runs[True],
                      runs[False], "on" if index % 2 else "off"))
    ordered = sorted(pairs, key=lambda pair: pair[0])
    return [ordered[len(ordered) // 2]] + pairs


def pairs_text(pairs):
    """``0.830 (off first) 1.613 (on first)``: the ratios in the order they ran."""
    return " ".join("%.3f (%s first)" % (pair[0], pair[3]) for pair in pairs)


def outcome(run):
    """What a backlog run decided (its summary's counts)."""
    return tuple(sorted((key, value) for key, value in run["summary"].items()
                        if key not in ("seconds", "conflict")))


def item_worktime(args, db, table, done, data):
    say("9/10 working hours: backlog runs with the queues plain and respecting working "
        "hours, %d pairs" % args.pairs)
    lead_ids = fresh_backlog(db, done, data, "Bench working-hours lead")
    queue_ids = sorted(done.queues.values())
    with environment(db, commit=True) as env:
        calendar_id = response.always_on_calendar(env).id

    def switch(env, on):
        response.set_working_hours(env, queue_ids, on, calendar_id)
    try:
        pairs = backlog_pairs(args, db, "9/10 working hours", switch)
    finally:
        with environment(db, commit=True) as env:
            switch(env, False)
        put_aside(db)
    (ratio, on, off), pairs = pairs[0][:3], pairs[1:]
    same = all(outcome(pair[1]) == outcome(pair[2]) for pair in pairs)
    table.add(9, "working hours: backlog cron with the queues respecting working hours "
              "(always-on calendar) vs plain, %s leads (plain %.1f s, with %.1f s; median "
              "of %d pairs, in order: %s)%s" % (
                  n(len(lead_ids)), off["seconds"], on["seconds"], len(pairs),
                  pairs_text(pairs),
                  "" if same else "; OUTCOMES DIFFER: %s vs %s" % (
                      dict(outcome(on)), dict(outcome(off)))),
              "%+.0f %%" % ((ratio - 1) * 100), "<= 25 %", ratio <= 1.25 and same)


def ensure_table(db, done, size):
    """Item 3's big table, filled here when item 3 did not run."""
    with environment(db, commit=True) as env:
        with Clock() as clock:
            n_due = reclaim.fill_table(env, done, size, 0.01)
    if n_due:
        say("table filled to %s leads with COPY in %.0f s" % (n(size), clock.wall))
        vacuum(db, "crm_lead")


def item_response(args, db, table, done):
    say("9/10 speed-to-lead run with %s leads in the table" % n(args.table))
    ensure_table(db, done, args.table)
    with environment(db, commit=True) as env:
        with Clock() as clock:
            setup = response.setup_deadlines(env, done, args.table)
    say("%s due deadlines (%s of them warned) and %s running ones written in %.0f s" % (
        n(len(setup["due"])), n(len(setup["warned"])), n(len(setup["waiting"])),
        clock.wall))
    vacuum(db, "crm_lead", "sales_allocation_log")
    runs = []
    try:
        with environment(db) as env:
            runs.append(response.run_response(env))
        vacuum(db, "crm_lead", "sales_allocation_log", "mail_activity")
        with environment(db, commit=True) as env:
            response.postpone(env, setup["due"])
        vacuum(db, "crm_lead")
        with environment(db) as env:
            runs.append(response.run_response(env))
    finally:
        with environment(db, commit=True) as env:
            response.clear_deadlines(env, setup["due"] + setup["waiting"])
        vacuum(db, "crm_lead")
    n_warned = len(setup["due"]) - len(setup["warned"])
    for (due, target, limit, warned, moved), (seconds, summary) in zip(
            (("1 % due", "<= 3 s", 3.0, n_warned, len(setup["warned"])),
             ("none due", "<= 0.1 s", 0.1, 0, 0)), runs):
        done_ok = (summary.get("warned") == warned and summary.get("reassigned") == moved
                   and not summary.get("cleared"))
        table.add(9, "speed-to-lead cron (response._cron_run), %s leads in the table, "
                  "%s leads with a running deadline, %s: %s warned (of %s), %s "
                  "reassigned (of %s), %s cleared" % (
                      n(args.table), n(len(setup["due"]) + len(setup["waiting"])), due,
                      n(summary.get("warned", 0)), n(warned),
                      n(summary.get("reassigned", 0)), n(moved),
                      n(summary.get("cleared", 0))),
                  "%.2f s" % seconds, target, seconds <= limit and done_ok)


def item_simulation(args, db, table):
    n_leads = 20000
    say("11/11 diff simulation of %s leads (rolled back)" % n(n_leads))
    with environment(db) as env:
        seconds, replayed, changes, unchanged = simulation.run_diff_simulation(
            env, n_leads)
    table.add(11, "diff simulation (sales.allocation.simulation.action_run): %s leads "
              "through an archived draft vs the active rules, %s would change owner; "
              "nothing written" % (n(replayed), n(changes)),
              "%.1f s" % seconds, "<= 10 s, no write",
              seconds <= 10 and unchanged and replayed >= n_leads and changes > 0)


def item_matching(args, db, table, done, data):
    say("10/10 matching: the big table's contacts, a backlog sharing keys with it")
    ensure_table(db, done, args.table)
    ranks = matching.Ranks(args.match_domains)
    with environment(db, commit=True) as env:
        original = matching.matching_param(env)
        existing_ids = matching.table_lead_ids(env)
        existing = matching.existing_contacts(existing_ids, ranks)
        with Clock() as clock:
            matching.write_contacts(env, existing)
        stats = matching.key_stats(env, existing_ids)
    say("10/10 contacts and keys of %s existing leads written in %.0f s: %s" % (
        n(len(existing)), clock.wall, stats))
    lead_ids = fresh_backlog(db, done, data, "Bench matching lead")
    with environment(db, commit=True) as env:
        contacts, shared = matching.backlog_contacts(lead_ids, existing, ranks)
        matching.write_contacts(env, contacts)
    vacuum(db, "crm_lead")
    head = ("matching: backlog cron, %s leads (%s sharing a key with one of %s existing "
            "leads over %s company domains), matching on vs off" % (
                n(len(lead_ids)), n(shared), n(len(existing)), n(args.match_domains)))
    try:
        try:
            pairs = backlog_pairs(args, db, "10/10 matching", matching.set_matching)
        except TimedOut as error:
            pairs = None
            table.add(10, head + " (the run on stopped: over %d x the run off + 60 s)"
                      % BUDGET, "> %s" % error, "<= 30 %", False)
        say("10/10 one ORM create with matching on and off, %d times each" % (
            args.create_repeat))
        with environment(db) as env:
            values = matching.create_values(
                create.lead_values(done, data["leads"], 50), existing, ranks)
            overhead = matching.create_overhead(env, values, args.create_repeat)
    finally:
        with environment(db, commit=True) as env:
            matching.restore_matching(env, original)
        put_aside(db)
    if pairs:
        (ratio, on, off), pairs = pairs[0][:3], pairs[1:]
        matched_ok = all(pair[1]["matched"] > 0 and pair[2]["matched"] == 0
                         for pair in pairs)
        table.add(10, head + " (off %.1f s, on %.1f s; %s matched; median of %d pairs, "
                  "in order: %s)" % (off["seconds"], on["seconds"], n(on["matched"]),
                                     len(pairs), pairs_text(pairs)),
                  "%+.0f %%" % ((ratio - 1) * 100), "<= 30 %",
                  ratio <= 1.30 and matched_ok)
    table.add(10, "  matching added to one ORM create (median of %d%s; off %.1f ms, on "
              "%.1f ms; %d of them matched)" % (
                  overhead["repeat"], "; stopped past its time budget"
                  if overhead["stopped"] else "", overhead["off_seconds"] * 1000,
                  overhead["on_seconds"] * 1000, overhead["matched"]),
              "%+.0f %%" % (overhead["overhead"] * 100), "<= 25 %",
              overhead["overhead"] <= 0.25 and overhead["matched"] > 0)


# ---------------------------------------------------------------- items 7 and 8

def guarded(table, item, function, *arguments):
    """``function(*arguments)``; an error becomes an ERROR row of ``item``."""
    try:
        function(*arguments)
    except Exception as error:  # one broken item must not hide the others' rows
        traceback.print_exc()
        table.add(item, "%s failed" % function.__name__,
                  "%s: %s" % (type(error).__name__, str(error)[:80]), "", "ERROR")


def item_load(args, db, table, done, data):
    """Items 7 and 8 on one prefork server with 4 workers."""
    from . import intake, load
    config = intake.setup(db, done, args.intake_reps)
    say("7-8/8 starting a prefork server (4 workers) on %s" % db)
    with load.server(db, workers=4) as server:
        for item, function, arguments in (
                (7, item_intake, (args, db, table, server, config)),
                (8, item_bulk, (args, db, table, server, done, data, config))):
            if item in args.only:
                with Clock() as clock:
                    guarded(table, item, function, *arguments)
                say("%d/8 took %.0f s" % (item, clock.wall))


def errors_text(errors, limit=2):
    """``could not serialize access ... x3; ...`` for a Counter of error texts."""
    parts = ["%s x%d" % (text, count) for text, count in errors.most_common(limit)]
    if len(errors) > limit:
        parts.append("...")
    return "; ".join(parts)


def seconds_text(seconds):
    return "%.0f ms" % (seconds * 1000) if seconds < 1 else "%.1f s" % seconds


def item_intake(args, db, table, server, config):
    from . import intake
    threads, creates, rounds = args.intake_threads, args.intake_creates, args.intake_rounds
    say("7/8 intake under load: %d threads x %d creates, %d rounds of each kind "
        "(no rule, rule), alternated" % (threads, creates, rounds))

    def progress(result):
        say("7/8   round %d (%s): %d created in %.1f s, %.1f leads/s, %d failed" % (
            result["number"] + 1, result["kind"], len(result["lead_ids"]),
            result["seconds"], result["per_second"], sum(result["errors"].values())))

    results = intake.run(server.url, db, config, threads, creates, rounds, deadline=300,
                         progress=progress)
    share = threads * creates // args.intake_reps
    with environment(db) as env:
        checks = [intake.check_distribution(env, config, result["lead_ids"], share)
                  for result in results if result["kind"] == "rule"]
    stats = intake.summary(results)
    rule, none = stats["rule"], stats["none"]
    failed = rule["failed"] + none["failed"]
    value = "%d" % failed
    if failed:
        value += " (allocated %d, no rule %d: %s)" % (
            rule["failed"], none["failed"], errors_text(rule["errors"] + none["errors"]))
    table.add(7, "intake under load: failed creates (%d threads x %d creates a round, own "
              "connections, released together; %d rounds of each kind, alternated; "
              "4 workers)" % (threads, creates, rounds), value, "0", failed == 0)
    leads = sum(len(result["lead_ids"]) for result in results if result["kind"] == "rule")
    table.add(7, "  distribution per rule round: leads per rep (min-max), %d reps in one "
              "sequential queue; log rows / leads" % args.intake_reps,
              "%d-%d; %s / %s" % (min(check["low"] for check in checks),
                                  max(check["high"] for check in checks),
                                  n(sum(check["log_rows"] for check in checks)), n(leads)),
              "exactly %d each, one log row each" % share,
              all(check["exact"] and check["logs_ok"] for check in checks))
    table.add(7, "  allocated creates: leads/s (one rule on a tag; median of %d rounds: %s)"
              % (rounds, " ".join("%.1f" % rate for rate in rule["rates"])),
              "%.1f/s" % rule["per_second"], "", "INFO")
    table.add(7, "  no-rule creates: leads/s (no rule matches: nothing to decide; median of "
              "%d rounds: %s)" % (rounds, " ".join("%.1f" % rate for rate in none["rates"])),
              "%.1f/s" % none["per_second"], "", "INFO")
    ratio = rule["per_second"] / none["per_second"] if none["per_second"] else 0.0
    table.add(7, "  ratio allocated / no-rule throughput", "%.2f x" % ratio, ">= 0.8 x",
              ratio >= 0.8)
    table.add(7, "  p99 latency of allocated creates (p50 %s; no-rule: p99 %s, p50 %s)" % (
        seconds_text(rule["p50"]), seconds_text(none["p99"]), seconds_text(none["p50"])),
        seconds_text(rule["p99"]), "", "INFO")


def item_bulk(args, db, table, server, done, data, config):
    """Item 8: each bulk run under the probe; one row each."""
    from . import bulk, intake
    interval = args.probe_ms / 1000.0
    timeout = 3600
    runs = []  # (label, what ran, its seconds, probe report, what the run failed to do)

    def probed(label, what, queue_id, probe_values, run, check):
        result, during = bulk.under_probe(server.url, db, probe_values, run, interval)
        with environment(db) as env:
            probe = bulk.probe_report(env, during, queue_id)
            problem = check(env, result)
        seconds = result["end"] - result["start"]
        runs.append((label, what() if callable(what) else what, seconds, probe, problem))
        say("8/8   %s: run %.1f s%s; longest probe create %.2f s (%d creates, %d failed)"
            % (label, seconds, " (%s)" % problem if problem else "", probe["longest"],
               probe["count"], probe["failed"]))

    def plain_probe(index):  # no country, state, tag or source: the catch-all only
        return {"name": "Bench probe %d" % index, "email_from": "probe@example.com"}

    def tagged_probe(index):  # item 7's rule: item 7's queue
        return intake.lead_values("Bench probe %d" % index, config["tag"])

    def gave_up(summary):
        return "gave up: transaction conflict on every attempt" if summary.get(
            "conflict") else None

    def backlog_run():
        lead_ids, queue_id = bulk.setup_backlog(db, done, data["leads"])
        count = len(lead_ids)
        say("8/8 a. backlog cron on %s leads (child process) under the probe" % n(count))
        shared = []

        def check(env, result):
            summary = result["summary"]
            shared.append(bulk.through_queue(env, lead_ids, queue_id))
            if not shared[0]:
                return "none of its leads went through the probe's queue"
            return gave_up(summary) or (None if summary.get("leads") == count else
                                        "%s of %s leads decided" % (
                                            n(summary.get("leads", 0)), n(count)))
        probed("a", lambda: "backlog cron (_cron_allocate_backlog), own process, %s "
               "leads, %s via the probe's queue" % (
                   n(count), n(shared[0] if shared else 0)), queue_id, plain_probe,
               lambda: bulk.child_run(db, "backlog", {}, timeout), check)

    def reclaim_run():
        count = bulk.setup_reclaim(db, done, config, args.reclaim_due)
        say("8/8 b. reclaim cron, %s due leads (child process) under the probe" % n(count))

        def check(env, result):
            summary = result["summary"]
            return gave_up(summary) or (None if summary.get("reclaimed") == count else
                                        "%s of %s reclaimed" % (
                                            n(summary.get("reclaimed", 0)), n(count)))
        probed("b", "pool reclaim cron (_cron_reclaim), own process, %s due leads back "
               "through the queue" % n(count), config["queue"], tagged_probe,
               lambda: bulk.child_run(db, "reclaim", {}, timeout), check)

    def rpc_run():
        lead_ids = bulk.setup_action_allocate(db, done, config, args.rpc_leads)
        say("8/8 c. action_allocate on %s ids in one XML-RPC call under the probe" % n(
            len(lead_ids)))

        def check(env, result):
            owned = bulk.leads_owned(env, lead_ids, config["reps"])
            return None if owned == len(lead_ids) else "%s of %s allocated" % (
                n(owned), n(len(lead_ids)))
        probed("c", "action_allocate, %s ids in one XML-RPC call" % n(len(lead_ids)),
               config["queue"], tagged_probe,
               lambda: bulk.rpc_run(server.url, db, lead_ids, timeout), check)

    def rotation_run():
        wizard, moved, lead_ids = bulk.setup_rotation(db, done, config,
                                                      args.rotation_leads)
        say("8/8 d. territory rotation of %s leads (child process) under the probe" % n(
            moved))

        def check(env, result):
            owned = bulk.leads_owned(env, lead_ids, config["reps"])
            return None if owned == len(lead_ids) else "%s of %s moved" % (
                n(owned), n(len(lead_ids)))
        probed("d", "territory rotation wizard, own process, a region's %s leads to the "
               "queue" % n(moved), config["queue"], tagged_probe,
               lambda: bulk.child_run(db, "rotation", wizard, timeout), check)

    def intake_rule_again():  # b-d: item 7's rule and queue
        bulk.intake_rule(db, config)

    for step in (backlog_run, intake_rule_again, reclaim_run, rpc_run, rotation_run):
        guarded(table, 8, step)

    for index, (label, what, seconds, probe, problem) in enumerate(runs):
        head = ("intake during bulk runs: longest probe create (1 every %d ms, same "
                "queue); " % args.probe_ms) if index == 0 else "  "
        value = "%.2f s (run %.1f s)" % (probe["longest"], seconds)
        if not probe["count"]:
            value = "no probe create during the run (run %.1f s)" % seconds
        if probe["failed"]:
            value += "; %d failed: %s" % (probe["failed"], "; ".join(probe["errors"])[:60])
        if problem:
            value += "; run: %s" % problem
        ok = (probe["count"] > 0 and not probe["failed"] and probe["longest"] <= 1.0
              and not problem)
        table.add(8, "%s%s. %s (%d probes, %d through the queue)" % (
            head, label, what, probe["count"], probe["through"]), value, "<= 1 s", ok)


if __name__ == "__main__":
    sys.exit(main())
