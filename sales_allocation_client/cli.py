"""Command line of the sales_allocation client: ``python -m sales_allocation_client``."""
import argparse
import ast
import json
import os
import sys

from .client import OdooAccessDenied, OdooClient, OdooError
from .leads_csv import CsvError, LeadImporter
from .transport import TransportError

EXIT_OK = 0
EXIT_PARTIAL = 1      # some rows / leads were refused, the rest went through
EXIT_USAGE = 2        # bad arguments (argparse uses 2 as well)
EXIT_FAILED = 3       # nothing done: cannot connect, login refused, Odoo error

POOL_LEAD_FIELDS = ["name", "partner_name", "state_id", "planned_revenue", "create_date",
                    "user_id", "reclaim_deadline", "pool_id"]
WHY_LEAD_FIELDS = ["name", "user_id", "team_id", "allocation_state", "allocation_rule_id",
                   "allocation_date", "allocation_reason", "pool_id"]
LOG_FIELDS = ["date", "event", "previous_user_id", "user_id", "rule_id", "queue_id",
              "author_id", "reason"]


class UsageError(Exception):
    """Arguments that parse but make no sense (e.g. a domain that is not a list)."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sales_allocation_client",
        description="Work with sales_allocation on an Odoo 11 server over XML-RPC: "
                    "import leads, list a pool, claim and release leads, explain an "
                    "allocation, run the allocation rules.",
        epilog="Connection settings default to the environment variables SA_URL, SA_DB, "
               "SA_LOGIN and SA_PASSWORD. Exit status: 0 done, 1 done but some rows or "
               "leads were refused, 2 bad arguments, 3 failed.")
    parser.add_argument("--url", default=os.environ.get("SA_URL", "http://localhost:8069"),
                        help="server URL (default: $SA_URL or http://localhost:8069)")
    parser.add_argument("--db", default=os.environ.get("SA_DB"),
                        help="database (default: $SA_DB)")
    parser.add_argument("--login", default=os.environ.get("SA_LOGIN", "admin"),
                        help="user login (default: $SA_LOGIN or admin)")
    parser.add_argument("--password", default=os.environ.get("SA_PASSWORD"),
                        help="password (default: $SA_PASSWORD)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for an answer (default 600)")
    parser.add_argument("--retries", type=int, default=4,
                        help="retries when the server cannot be reached (default 4)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON (for scripts)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    cmd = commands.add_parser(
        "import", help="create leads from a CSV file, in batches",
        description="Create leads from a CSV file whose first line names the columns "
                    "(crm.lead field names, or country, province, tags, revenue, email, "
                    "company, contact, source, industry, team, salesperson). Every lead "
                    "goes through the allocation rules. Bad rows are reported with their "
                    "line number; the others are imported.")
    cmd.add_argument("file", help="CSV file (UTF-8); - reads standard input")
    cmd.add_argument("--batch-size", type=int, default=200,
                     help="leads per call, one transaction each (default 200)")
    cmd.set_defaults(func=cmd_import)

    cmd = commands.add_parser("pools", help="list the lead pools you can see")
    cmd.set_defaults(func=cmd_pools)

    cmd = commands.add_parser("pool", help="list the leads of a pool",
                              description="List the leads waiting in a pool (or, with "
                                          "--mine, the pool leads you hold).")
    cmd.add_argument("pool", help="pool id or name")
    cmd.add_argument("--mine", action="store_true",
                     help="the pool's leads you hold, with their reclaim deadline")
    cmd.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    cmd.set_defaults(func=cmd_pool)

    cmd = commands.add_parser("claim", help="claim pool leads",
                              description="Claim pool leads, one call per lead: a refusal "
                                          "(limit, cooldown, taken) is reported and the "
                                          "other leads are still claimed.")
    cmd.add_argument("lead_ids", type=int, nargs="+", metavar="LEAD_ID")
    cmd.set_defaults(func=cmd_claim)

    cmd = commands.add_parser("release", help="give leads back to their pool")
    cmd.add_argument("lead_ids", type=int, nargs="+", metavar="LEAD_ID")
    cmd.add_argument("--reason", default="", help="why (kept in the allocation log)")
    cmd.set_defaults(func=cmd_release)

    cmd = commands.add_parser("why", help="show why a lead went to its owner (its log)")
    cmd.add_argument("lead_id", type=int, metavar="LEAD_ID")
    cmd.set_defaults(func=cmd_why)

    cmd = commands.add_parser(
        "allocate", help="run the allocation rules on the leads of a domain",
        description="Search the leads matching DOMAIN and run the allocation rules on "
                    "them (crm.lead action_allocate), in batches of one transaction each. "
                    "Needs sales manager or allocation manager rights.")
    cmd.add_argument("--domain", required=True,
                     help="an Odoo domain, e.g. \"[('allocation_state', '=', "
                          "'unallocated')]\"")
    cmd.add_argument("--batch-size", type=int, default=1000,
                     help="leads per call (default 1000)")
    cmd.add_argument("--dry-run", action="store_true",
                     help="only count the matching leads")
    cmd.set_defaults(func=cmd_allocate)
    return parser


# ---------------------------------------------------------------------- helpers

def _name(value):
    """A many2one as read over RPC ([id, name] or False) -> its name or ''."""
    return value[1] if value else ""


def _out(args, data, text_lines):
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    else:
        for line in text_lines:
            print(line)


def _existing(client, model, wanted):
    available = client.fields(model)
    return [name for name in wanted if name in available]


def parse_domain(text):
    """A domain typed on the command line -> a list, or UsageError saying what is wrong."""
    try:
        domain = ast.literal_eval(text.strip() or "[]")
    except (ValueError, SyntaxError) as error:
        raise UsageError(
            "the domain %r does not parse (%s): write a Python list of conditions, e.g. "
            "\"[('country_id.code', '=', 'CN')]\"" % (text, error.__class__.__name__))
    if not isinstance(domain, (list, tuple)):
        raise UsageError("the domain must be a list of conditions in brackets, not %r"
                         % (domain,))
    for term in domain:
        if isinstance(term, str) and term in ("&", "|", "!"):
            continue
        if not (isinstance(term, (list, tuple)) and len(term) == 3
                and isinstance(term[0], str)):
            raise UsageError("%r in the domain is neither a condition (field, operator, "
                             "value) nor one of '&', '|', '!'" % (term,))
    return [list(term) if isinstance(term, tuple) else term for term in domain]


def _resolve_pool(client, value):
    if value.isdigit():
        found = client.execute("sales.allocation.pool", "search_read",
                               [("id", "=", int(value))], fields=["name"])
    else:
        found = client.execute("sales.allocation.pool", "search_read",
                               [("name", "=ilike", value)], fields=["name"])
    if not found:
        raise UsageError("no pool %r that you can see: `pools` lists them" % value)
    if len(found) > 1:
        raise UsageError("%d pools are called %r: give the id (see `pools`)"
                         % (len(found), value))
    return found[0]


# ---------------------------------------------------------------------- commands

def cmd_import(client, args):
    if args.batch_size < 1:
        raise UsageError("--batch-size must be 1 or more")

    def progress(result):
        if not args.json:
            print("batch %d: %d leads created so far" % (result.batches, len(result.ids)),
                  file=sys.stderr)

    importer = LeadImporter(client, batch_size=args.batch_size, on_batch=progress)
    if args.file == "-":
        result = importer.run(sys.stdin)
    else:
        try:
            stream = open(args.file, newline="", encoding="utf-8-sig")
        except OSError as error:
            raise UsageError("cannot read %s: %s" % (args.file, error.strerror))
        with stream:
            result = importer.run(stream)
    lines = ["line %d: %s" % (bad.line, bad.message)
             for bad in sorted(result.bad_rows, key=lambda bad: bad.line)]
    lines.append("%d leads created in %d batches, %d bad rows"
                 % (len(result.ids), result.batches, len(result.bad_rows)))
    _out(args, result.as_dict(), lines)
    return EXIT_PARTIAL if result.bad_rows else EXIT_OK


def cmd_pools(client, args):
    pool_fields = _existing(client, "sales.allocation.pool",
                            ["name", "team_id", "company_id", "max_claims_per_day",
                             "max_open_leads"])
    pools = client.execute("sales.allocation.pool", "search_read", [], fields=pool_fields)
    waiting = {}
    if pools:
        groups = client.execute(
            "crm.lead", "read_group",
            [("pool_id", "in", [pool["id"] for pool in pools]), ("user_id", "=", False)],
            ["pool_id"], ["pool_id"])
        waiting = {group["pool_id"][0]: group["pool_id_count"] for group in groups
                   if group["pool_id"]}
    for pool in pools:
        pool["waiting"] = waiting.get(pool["id"], 0)
    lines = ["%6d  %-30s %-20s %5d waiting" % (pool["id"], pool["name"],
                                               _name(pool.get("team_id")), pool["waiting"])
             for pool in pools] or ["no pool that you can see"]
    _out(args, pools, lines)
    return EXIT_OK


def cmd_pool(client, args):
    pool = _resolve_pool(client, args.pool)
    domain = [("pool_id", "=", pool["id"])]
    domain.append(("user_id", "=", client.uid) if args.mine else ("user_id", "=", False))
    fields = _existing(client, "crm.lead", POOL_LEAD_FIELDS)
    leads = client.execute("crm.lead", "search_read", domain, fields=fields,
                           limit=args.limit, order="create_date, id")
    lines = ["pool %s: %d lead(s)%s" % (
        pool["name"], len(leads), " you hold" if args.mine else " waiting")]
    for lead in leads:
        extra = ("  reclaim %s" % lead["reclaim_deadline"]
                 if args.mine and lead.get("reclaim_deadline") else "")
        lines.append("%8d  %-40s %-16s %12.2f  since %s%s" % (
            lead["id"], (lead["name"] or "")[:40], _name(lead.get("state_id"))[:16],
            lead.get("planned_revenue") or 0.0, lead.get("create_date") or "", extra))
    _out(args, {"pool": pool, "leads": leads}, lines)
    return EXIT_OK


def _per_lead(args, call, verb):
    """``call(lead_id)`` for each lead; a refusal is reported and the others go on."""
    done, refused = [], []
    lines = []
    for lead_id in args.lead_ids:
        try:
            call(lead_id)
        except OdooError as error:
            refused.append({"id": lead_id, "message": error.message, "kind": error.kind})
            lines.append("lead %d: refused: %s" % (lead_id, error.message))
        else:
            done.append(lead_id)
            lines.append("lead %d: %s" % (lead_id, verb))
    _out(args, {verb: done, "refused": refused}, lines)
    if not done:
        return EXIT_FAILED
    return EXIT_PARTIAL if refused else EXIT_OK


def cmd_claim(client, args):
    return _per_lead(args, lambda lead_id: client.execute(
        "crm.lead", "action_claim", [lead_id]), "claimed")


def cmd_release(client, args):
    def release(lead_id):
        if not args.reason.strip():
            return client.execute("crm.lead", "action_release", [lead_id])
        # The reason goes through the release wizard, as in the web client.
        wizard = client.execute("sales.allocation.pool.release", "create", {
            "lead_ids": [(6, 0, [lead_id])], "reason": args.reason})
        return client.execute("sales.allocation.pool.release", "action_release", [wizard])

    return _per_lead(args, release, "released")


def cmd_why(client, args):
    fields = _existing(client, "crm.lead", WHY_LEAD_FIELDS)
    leads = client.execute("crm.lead", "read", [args.lead_id], fields)
    if not leads:
        raise UsageError("lead %d does not exist (or was deleted)" % args.lead_id)
    lead = leads[0]
    logs = client.execute("sales.allocation.log", "search_read",
                          [("lead_id", "=", args.lead_id)],
                          fields=_existing(client, "sales.allocation.log", LOG_FIELDS),
                          order="date, id")
    lines = [
        "lead %d: %s" % (lead["id"], lead["name"]),
        "owner: %s%s" % (_name(lead.get("user_id")) or "nobody",
                         " (pool %s)" % _name(lead["pool_id"]) if lead.get("pool_id") else ""),
        "state: %s, rule: %s" % (lead.get("allocation_state") or "-",
                                 _name(lead.get("allocation_rule_id")) or "-"),
        "reason: %s" % (lead.get("allocation_reason") or "-"),
        "history:",
    ]
    for log in logs:
        lines.append("  %s  %-11s %s -> %s  by %s: %s" % (
            log["date"], log["event"], _name(log.get("previous_user_id")) or "nobody",
            _name(log.get("user_id")) or "nobody", _name(log.get("author_id")) or "-",
            log.get("reason") or ""))
    if not logs:
        lines.append("  (no log rows you can see)")
    _out(args, {"lead": lead, "log": logs}, lines)
    return EXIT_OK


def cmd_allocate(client, args):
    if args.batch_size < 1:
        raise UsageError("--batch-size must be 1 or more")
    domain = parse_domain(args.domain)
    lead_ids = client.execute("crm.lead", "search", domain, order="id")
    if args.dry_run:
        _out(args, {"leads": len(lead_ids)},
             ["%d leads match; nothing was changed (--dry-run)" % len(lead_ids)])
        return EXIT_OK
    done = 0
    for start in range(0, len(lead_ids), args.batch_size):
        batch = lead_ids[start:start + args.batch_size]
        client.execute("crm.lead", "action_allocate", batch)
        done += len(batch)
        if not args.json:
            print("allocated %d/%d" % (done, len(lead_ids)), file=sys.stderr)
    states = {}
    if lead_ids:
        groups = client.execute("crm.lead", "read_group", [("id", "in", lead_ids)],
                                ["allocation_state"], ["allocation_state"])
        states = {group["allocation_state"] or "none": group["allocation_state_count"]
                  for group in groups}
    lines = ["%d leads allocated: %s" % (done, ", ".join(
        "%s %d" % (state, count) for state, count in sorted(states.items())) or "-")]
    _out(args, {"leads": done, "states": states}, lines)
    return EXIT_OK


# ---------------------------------------------------------------------- main

def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("no database: give --db or set SA_DB")
    if args.password is None:
        parser.error("no password: give --password or set SA_PASSWORD")
    try:
        client = OdooClient(args.url, args.db, args.login, args.password,
                            timeout=(10.0, args.timeout), retries=args.retries)
    except ValueError as error:
        parser.error(str(error))
    try:
        with client:
            client.authenticate()
            return args.func(client, args)
    except UsageError as error:
        print("error: %s" % error, file=sys.stderr)
        return EXIT_USAGE
    except CsvError as error:
        print("error: %s" % error, file=sys.stderr)
        return EXIT_FAILED
    except OdooAccessDenied as error:
        print("error: %s" % error, file=sys.stderr)
        return EXIT_FAILED
    except OdooError as error:
        print("error: Odoo refused: %s" % error.message, file=sys.stderr)
        return EXIT_FAILED
    except TransportError as error:
        print("error: %s" % error, file=sys.stderr)
        return EXIT_FAILED
