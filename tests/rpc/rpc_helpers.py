"""Helpers for the XML-RPC tests of access, the client and concurrency.

They set up what a test needs as admin, over XML-RPC, through sales_allocation_client
(so the client is exercised by every test), and read the database directly only to
assert. Every name carries a random suffix: the RPC database is shared by all test
modules of a session, and a developer may run the tests twice on the same database.
"""
import collections
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sales_allocation_client import OdooClient  # noqa: E402

NO_MAIL = {"no_reset_password": True, "mail_create_nosubscribe": True,
           "tracking_disable": True}


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def client(server, login="admin", password="admin", **kwargs):
    """A logged-in OdooClient on the fixture's server (one per thread)."""
    result = OdooClient(server.url, server.db, login, password, **kwargs)
    result.authenticate()
    return result


def xmlid(admin, full_id):
    module, name = full_id.split(".")
    found = admin.execute("ir.model.data", "search_read",
                          [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    assert found, "no record %s" % full_id
    return found[0]["res_id"]


class User:
    def __init__(self, server, uid, login, password, name):
        self.server = server
        self.id = uid
        self.login = login
        self.password = password
        self.name = name

    def client(self, **kwargs):
        return client(self.server, self.login, self.password, **kwargs)

    def __repr__(self):
        return "<User %s id=%s>" % (self.login, self.id)


def make_user(server, admin, prefix, groups=("sales_team.group_sale_salesman",),
              company_id=None, company_ids=None, team_id=None):
    login = unique(prefix)
    group_ids = [xmlid(admin, "base.group_user")] + [xmlid(admin, group) for group in groups]
    vals = {"name": login, "login": login, "password": login, "email": login + "@example.com",
            "groups_id": [(6, 0, group_ids)], "tz": "Asia/Shanghai"}
    if company_id:
        vals["company_id"] = company_id
        vals["company_ids"] = [(6, 0, company_ids or [company_id])]
    if team_id:
        vals["sale_team_id"] = team_id
    uid = admin.execute("res.users", "create", vals, context=NO_MAIL)
    return User(server, uid, login, login, login)


def make_tag(admin, prefix):
    return admin.execute("crm.lead.tag", "create", {"name": unique(prefix)})


def make_queue(admin, prefix, user_ids, strategy="sequential", **vals):
    members = [(0, 0, {"user_id": uid, "sequence": index + 1})
               for index, uid in enumerate(user_ids)]
    return admin.execute("sales.allocation.queue", "create", dict(
        {"name": unique(prefix), "strategy": strategy, "member_ids": members}, **vals))


def make_rule(admin, prefix, tag_id, queue_id=None, user_id=None, sequence=1, **vals):
    rule = {"name": unique(prefix), "sequence": sequence, "tag_ids": [(6, 0, [tag_id])]}
    if queue_id:
        rule.update(target_type="queue", queue_id=queue_id)
    elif user_id:
        rule.update(target_type="user", user_id=user_id)
    rule.update(vals)
    return admin.execute("sales.allocation.rule", "create", rule)


def create_leads(admin, count, tag_id, prefix="lead", **vals):
    """Create leads one RPC call each (through crm.lead.create: allocated on create)."""
    return [admin.execute("crm.lead", "create", dict(
        {"name": "%s %d" % (prefix, index), "tag_ids": [(6, 0, [tag_id])]}, **vals),
        context=NO_MAIL) for index in range(count)]


def insert_backlog(server, count, tag_id, prefix):
    """``count`` unallocated, unowned leads with the tag, inserted in one SQL statement.

    The ORM creates about 100 leads a second; the kill tests need thousands.
    """
    rows = server.sql("""
        WITH new AS (
            INSERT INTO crm_lead (name, type, active, probability, company_id,
                                  allocation_state, create_date, write_date,
                                  create_uid, write_uid)
            SELECT %s || ' ' || n, 'lead', TRUE, 10,
                   (SELECT id FROM res_company ORDER BY id LIMIT 1),
                   'unallocated', now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %s) AS n
            RETURNING id
        ), tagged AS (
            INSERT INTO crm_lead_tag_rel (lead_id, tag_id) SELECT id, %s FROM new
        )
        SELECT id FROM new ORDER BY id
    """, (prefix, count, tag_id))
    return [row[0] for row in rows]


def run_threads(target, args_list, timeout=300):
    """Run ``target(*args)`` in one thread per args, all released at once.

    Returns the list of (result, exception) in args order.
    """
    barrier = threading.Barrier(len(args_list))
    outcomes = [None] * len(args_list)

    def runner(index, args):
        barrier.wait()
        try:
            outcomes[index] = (target(*args), None)
        except Exception as error:  # the test inspects it
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=runner, args=(index, args), daemon=True)
               for index, args in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread of the test hung for %s s" % timeout
    return outcomes


def insert_due_pool_leads(server, count, pool_id, owner_ids, prefix, days_idle=10):
    """``count`` leads of ``pool_id``, owned in turn by ``owner_ids``, idle for
    ``days_idle`` days and past their reclaim deadline, inserted with SQL.

    Returns {lead id: owner id}.
    """
    rows = server.sql("""
        WITH owners AS (
            SELECT row_number() OVER () - 1 AS pos, owner
              FROM unnest(%s::int[]) AS owner
        ), new AS (
            INSERT INTO crm_lead (name, type, active, probability, company_id, pool_id,
                                  user_id, allocation_state, owner_activity_date,
                                  date_open, reclaim_deadline, reclaim_timer,
                                  create_date, write_date, create_uid, write_uid)
            SELECT %s || ' ' || n, 'lead', TRUE, 10,
                   (SELECT id FROM res_company ORDER BY id LIMIT 1), %s,
                   (SELECT owner FROM owners WHERE pos = n %% %s), 'claimed',
                   now() at time zone 'UTC' - %s * interval '1 day',
                   now() at time zone 'UTC' - %s * interval '1 day',
                   now() at time zone 'UTC' - interval '1 hour', 'idle',
                   now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %s) AS n
            RETURNING id, user_id
        )
        SELECT id, user_id FROM new ORDER BY id
    """, (list(owner_ids), prefix, pool_id, len(owner_ids), days_idle, days_idle, count))
    return dict(rows)


def wait_until(predicate, timeout=60.0, interval=0.05, what="condition"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))


def run_cli(server, *args, login="admin", password="admin", stdin=None, check=None):
    env = dict(os.environ, SA_URL=server.url, SA_DB=server.db, SA_LOGIN=login,
               SA_PASSWORD=password)
    proc = subprocess.run(
        [sys.executable, "-m", "sales_allocation_client"] + list(args), cwd=str(ROOT),
        env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


# ---------------------------------------------------------------------------
# Load tests (test_intake_load_rpc.py, test_servers_rpc.py): clients that count every
# failure, a gate that keeps the server's listen backlog from overflowing, threads
# bounded in number of calls and in time.

LOAD_TIMEOUT = (60.0, 180.0)  # (connect, read) seconds; Odoo kills a request at 120 s
# The two refusals a claim may meet in the load tests (crm_lead_pool.py's texts).
CLAIM_REFUSALS = ("was already taken by", "Daily limit reached")
# Leads of the load tests: no creation message, the creator not made a follower.
INTAKE_CONTEXT = {"tracking_disable": True, "mail_create_nosubscribe": True}


def strict_client(server, login="admin", password="admin", timeout=LOAD_TIMEOUT):
    """A logged-in OdooClient that never resends a call Odoo gave up on.

    ``conflict_retries=0``: a serialization failure Odoo could not get past in its own
    five tries reaches the test as an error, to be counted. The transport still resends
    a request that provably never reached the server (connection refused, connect
    timeout), which says nothing about the addon.
    """
    return client(server, login, password, timeout=timeout, retries=3, conflict_retries=0)


class FifoGate:
    """A counting semaphore that serves its waiters in arrival order (a plain one lets
    the thread that just released take the slot again, and starves others for
    minutes under load)."""

    def __init__(self, slots):
        self._lock = threading.Lock()
        self._free = slots
        self._waiters = collections.deque()

    def acquire(self, timeout=None):
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            event = threading.Event()
            self._waiters.append(event)
        if event.wait(timeout):
            return True
        with self._lock:
            if event.is_set():  # handed over between the timeout and the lock
                return True
            self._waiters.remove(event)
            return False

    def release(self):
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot goes straight to the next one
            else:
                self._free += 1


def backlog_slots(workers):
    """Calls in flight to a prefork server that its listen backlog (8 x workers) takes
    without dropping any, with room for a few other connections (the test's own)."""
    return max(2, 8 * workers - 4)


def connection_gate(server):
    """The gate of the GatedClients of ``server``: backlog_slots(its workers) slots."""
    return FifoGate(backlog_slots(server.workers))


class GatedClient:
    """A client whose calls first take a slot of its server's gate.

    Odoo 11 serves every XML-RPC call on a new connection (HTTP/1.0), and its prefork
    server listens with a backlog of 8 x workers (hard-coded in PreforkServer). Past
    that the kernel drops handshakes and request segments; a worker that then waits
    more than 2 s for the request (its socket timeout) closes the connection, and the
    client sees "connection reset by peer". That is the test bench overflowing a queue,
    not the addon failing. So the calls to one server wait for one of backlog_slots()
    slots: the server still has requests queued for every worker all the time, and as
    many transactions contend as with any number of clients (one per worker).
    """

    def __init__(self, api, gate, wait=LOAD_TIMEOUT[1] + 60.0):
        self.api = api
        self.gate = gate
        self.wait = wait

    @property
    def url(self):
        return self.api.url

    def execute(self, model, method, *args, **kwargs):
        if not self.gate.acquire(timeout=self.wait):
            raise AssertionError("no free connection slot to %s within %.0f s"
                                 % (self.url, self.wait))
        try:
            return self.api.execute(model, method, *args, **kwargs)
        finally:
            self.gate.release()


class LoadControl:
    """When the workers of a load run stop starting calls: at ``deadline``
    (time.monotonic()), or once ``max_failures`` calls failed (the failures seen are
    enough to show; the rest would only make a broken run slow)."""

    def __init__(self, seconds, max_failures):
        import time

        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.max_failures = max_failures
        self.stopped_by = None
        self._failures = 0
        self._lock = threading.Lock()

    def should_stop(self):
        import time

        if self.stopped_by is None and time.monotonic() > self.deadline:
            self.stopped_by = "the %.0f s deadline" % self.seconds
        return self.stopped_by is not None

    def failed(self):
        with self._lock:
            self._failures += 1
            if self._failures >= self.max_failures and self.stopped_by is None:
                self.stopped_by = "%d failed calls" % self._failures


def run_bounded(target, args_list, control, join_grace):
    """Run ``target(control, *args)`` in one thread per args, released together by a
    barrier. Waits for the threads until ``join_grace`` s after the control's deadline
    (the targets stop starting calls at the deadline; a call then in flight ends
    within the client's read timeout).

    Returns (outcomes, seconds): outcomes as run_threads's, in args order; seconds
    from the release to the last thread's end. A thread still running then is
    reported as an outcome (None, AssertionError), not waited for (threads are
    daemons).
    """
    import time

    barrier = threading.Barrier(len(args_list) + 1)
    outcomes = [None] * len(args_list)

    def runner(index, args):
        try:
            barrier.wait(120)
        except threading.BrokenBarrierError as error:
            outcomes[index] = (None, error)
            return
        try:
            outcomes[index] = (target(control, *args), None)
        except Exception as error:  # the test inspects it
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=runner, args=(index, args), daemon=True)
               for index, args in enumerate(args_list)]
    for thread in threads:
        thread.start()
    barrier.wait(120)
    started = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, control.deadline + join_grace - time.monotonic()))
    seconds = time.monotonic() - started
    for index, thread in enumerate(threads):
        if thread.is_alive():
            outcomes[index] = (None, AssertionError(
                "thread %d still running %.0f s after the deadline" % (index, join_grace)))
    return outcomes, seconds


def describe_error(error):
    """One line for a failed call: the exception class (Odoo's, when it is an
    OdooError) and its message, lines joined, cut at 300 characters."""
    kind = getattr(error, "kind", None) or type(error).__name__
    message = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return "%s: %s" % (kind, " | ".join(lines)[:300])


def format_failures(failures, limit=30):
    """``failures``: list of (who, what, error). Counts per distinct description, then
    the first ``limit`` failures, one per line."""
    if not failures:
        return "no failures"
    counts = collections.Counter(describe_error(error) for _who, _what, error in failures)
    lines = ["%d failed call(s):" % len(failures)]
    lines += ["  %4d x %s" % (count, text) for text, count in counts.most_common()]
    lines.append("first failures:")
    lines += ["  %s %s -> %s" % (who, what, describe_error(error))
              for who, what, error in failures[:limit]]
    return "\n".join(lines)


def merge_worker_results(outcomes, keys):
    """The workers' results, lists concatenated and "skipped" summed; a worker that
    raised counts as one failure."""
    merged = {key: [] for key in keys}
    merged["failed"], merged["skipped"] = [], 0
    for index, (result, error) in enumerate(outcomes):
        if error is not None:
            merged["failed"].append(("thread %d" % index, "worker", error))
            continue
        for key in keys:
            merged[key].extend(result[key])
        merged["failed"].extend(result["failed"])
        merged["skipped"] += result["skipped"]
    return merged


def latency_summary(latencies):
    if not latencies:
        return "no calls"
    ordered = sorted(latencies)

    def at(fraction):
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return "latency (gate wait included) p50 %.2f s, p95 %.2f s, max %.2f s" % (
        at(0.5), at(0.95), ordered[-1])


def make_users(server, admin, prefix, count, **kwargs):
    """``count`` users made by make_user (over XML-RPC as admin), one call each."""
    return [make_user(server, admin, prefix, **kwargs) for _index in range(count)]


def make_weighted_queue(admin, prefix, weights_by_user, strategy="weighted", **vals):
    """A queue whose members, in this order, have these weights."""
    members = [(0, 0, {"user_id": uid, "sequence": index + 1, "weight": weight})
               for index, (uid, weight) in enumerate(weights_by_user)]
    return admin.execute("sales.allocation.queue", "create", dict(
        {"name": unique(prefix), "strategy": strategy, "member_ids": members}, **vals))


# -- intake -----------------------------------------------------------------------

def intake_worker(control, apis, who, count, vals):
    """Create ``count`` leads with ``vals`` (names numbered), call i through
    ``apis[i % len(apis)]``, until ``control`` says stop.

    Returns {"ids", "latencies", "failed": [(who, what, error)], "skipped"}.
    """
    import time

    result = {"ids": [], "failed": [], "skipped": 0, "latencies": []}
    for index in range(count):
        if control.should_stop():
            result["skipped"] = count - index
            break
        api = apis[index % len(apis)]
        started = time.monotonic()
        try:
            result["ids"].append(api.execute(
                "crm.lead", "create", dict(vals, name="%s %s #%d" % (vals["name"], who, index)),
                context=dict(INTAKE_CONTEXT)))
        except Exception as error:  # every failure is counted and shown
            result["failed"].append((who, "create #%d via %s" % (index, api.url), error))
            control.failed()
        result["latencies"].append(time.monotonic() - started)
    return result


def intake_rows(server, tag_id):
    """Every lead with the tag: (id, owner, [log events], [log users], [log rules])."""
    return server.sql("""
        SELECT l.id, l.user_id,
               COALESCE(array_agg(g.event ORDER BY g.id)
                        FILTER (WHERE g.id IS NOT NULL), '{}'),
               COALESCE(array_agg(g.user_id ORDER BY g.id)
                        FILTER (WHERE g.id IS NOT NULL), '{}'),
               COALESCE(array_agg(g.rule_id ORDER BY g.id)
                        FILTER (WHERE g.id IS NOT NULL), '{}')
          FROM crm_lead l
          JOIN crm_lead_tag_rel t ON t.lead_id = l.id AND t.tag_id = %s
          LEFT JOIN sales_allocation_log g ON g.lead_id = l.id
         GROUP BY l.id ORDER BY l.id""", (tag_id,))


def intake_state(server, tag_id, rule_id, expected):
    """What the database holds for the tag, in one line (shown beside failed calls)."""
    rows = intake_rows(server, tag_id)
    bad = sum(1 for row in rows if row[1] is None or row[2] != ["assigned"]
              or row[3] != [row[1]] or row[4] != [rule_id])
    per_rep = collections.Counter(row[1] for row in rows)
    return ("in the database: %d leads with the tag, per rep %s (expected %s), %d of "
            "them without exactly one 'assigned' log row naming their owner and the rule"
            % (len(rows), dict(per_rep), expected, bad))


def check_intake(server, tag_id, created_ids, expected_total, rule_id):
    """The leads with the tag are exactly ``created_ids``, ``expected_total`` of them,
    each with exactly one log row: 'assigned', to its owner, by ``rule_id``.
    Returns Counter(owner)."""
    rows = intake_rows(server, tag_id)
    assert len(created_ids) == expected_total, (
        "%d leads created, %d expected" % (len(created_ids), expected_total))
    assert sorted(row[0] for row in rows) == sorted(created_ids), (
        "the leads with the tag in the database are not the ones the calls returned")
    bad = [row for row in rows if row[1] is None or row[2] != ["assigned"]
           or row[3] != [row[1]] or row[4] != [rule_id]]
    assert not bad, (
        "%d of %d leads without exactly one 'assigned' log row naming their owner and "
        "the rule %s; (id, owner, events, log users, log rules) of the first ones:\n%s"
        % (len(bad), len(rows), rule_id, "\n".join(map(str, bad[:20]))))
    return collections.Counter(row[1] for row in rows)


# -- claims -------------------------------------------------------------------------

def claim_plan(rng, hot, cold):
    """A rep's five claim tries: [hot, cold, hot, cold, hot], three distinct leads of
    ``hot`` (the few everybody wants) and his two ``cold`` ones, nobody else's.

    With a daily limit of 2 every rep ends with exactly two claims, whatever the
    timing: a first try that wins is followed by one cold lead (the third success is
    refused by the limit); a first try that loses (taken) by two free cold leads or a
    hot one and a cold one.
    """
    first, second, third = rng.sample(hot, 3)
    return [first, cold[0], second, cold[1], third]


def claim_worker(control, apis, who, plan):
    """Claim the leads of ``plan``, one call each, try i through ``apis[i % len]``,
    until ``control`` says stop.

    Returns {"claimed", "refused": [message], "failed": [(who, what, error)],
    "skipped"}: a refusal is a UserError saying taken or daily limit; anything else
    (a serialization failure, another fault, a transport error) is a failure.
    """
    from sales_allocation_client import OdooError

    result = {"claimed": [], "refused": [], "failed": [], "skipped": 0}
    for index, lead_id in enumerate(plan):
        if control.should_stop():
            result["skipped"] = len(plan) - index
            break
        api = apis[index % len(apis)]
        what = "claim lead %d via %s" % (lead_id, api.url)
        try:
            answer = api.execute("crm.lead", "action_claim", [lead_id])
            if answer is not True:
                raise AssertionError("action_claim answered %r" % (answer,))
        except OdooError as error:
            if error.kind == "UserError" and any(text in error.message
                                                 for text in CLAIM_REFUSALS):
                result["refused"].append(error.message)
            else:
                result["failed"].append((who, what, error))
                control.failed()
            continue
        except Exception as error:  # transport errors and the like: failures too
            result["failed"].append((who, what, error))
            control.failed()
            continue
        result["claimed"].append(lead_id)
    return result


def refusal_counts(messages):
    return dict(collections.Counter(
        text for message in messages for text in CLAIM_REFUSALS if text in message))


def replay_claims(rows):
    """Replay claim/release/reclaim log rows (lead, event, user, previous user; in id
    order); fail on any move that starts from the wrong owner (a lead with two owners).
    Returns {lead: final owner} (None: back in the pool)."""
    owner = {}
    for lead_id, event, user_id, previous_id in rows:
        current = owner.get(lead_id)
        if event == "claimed":
            assert current is None and previous_id is None, (
                "lead %s claimed by %s while %s held it" % (lead_id, user_id, current))
            owner[lead_id] = user_id
        elif event in ("released", "reclaimed"):
            assert current is not None and previous_id == current, (
                "lead %s %s from %s but %s held it" % (lead_id, event, previous_id, current))
            owner[lead_id] = None
    return owner


def check_claims(server, lead_ids, reps, results, daily_limit):
    """After claims (no release) on ``lead_ids``: the log replays without a lead ever
    having two owners; the owners in crm_lead are the replay's; every claim a rep was
    told succeeded is logged exactly once, and nothing else; and each rep has exactly
    ``daily_limit`` claims (certain with claim_plan's plans).

    ``results``: {rep id: claim_worker result}.
    """
    rows = server.sql("""
        SELECT lead_id, event, user_id, previous_user_id FROM sales_allocation_log
         WHERE lead_id IN %s AND event IN ('claimed', 'released', 'reclaimed')
         ORDER BY id""", (tuple(lead_ids),))
    final = replay_claims(rows)
    owners = dict(server.sql("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                             (tuple(lead_ids),)))
    mismatched = {lead: (owners.get(lead), final.get(lead)) for lead in lead_ids
                  if owners.get(lead) != final.get(lead)}
    assert not mismatched, (
        "crm_lead.user_id differs from the replayed claim log (lead: (owner, replay)): %s"
        % mismatched)
    logged = collections.Counter(
        (lead, user) for lead, event, user, _prev in rows if event == "claimed")
    told = collections.Counter((lead, rep_id) for rep_id, result in results.items()
                               for lead in result["claimed"])
    assert logged == told, (
        "claims logged but not answered True: %s; answered True but not logged once: %s"
        % (dict(logged - told), dict(told - logged)))
    per_rep = collections.Counter(
        user for _lead, event, user, _prev in rows if event == "claimed")
    wrong = {rep.login: per_rep.get(rep.id, 0) for rep in reps
             if per_rep.get(rep.id, 0) != daily_limit}
    assert not wrong, (
        "reps with other than exactly %d claims (the daily limit; more: the limit did "
        "not hold): %s" % (daily_limit, wrong))
