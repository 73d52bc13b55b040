"""Items 2 and 5: the backlog run through the real code path, and its baselines.

The run itself happens in a fresh process (``python -m bench.backlog DB LIMIT MODE``) so
that its peak memory is its own: the parent's high-water mark from generating data would
hide it.  The child loads the registry, warms what a running server has warm (the
compiled rules), notes its resident memory, calls ``crm.lead._cron_allocate_backlog``
as the scheduled action does (superuser, then commit), and prints one JSON line.

The baselines run in the parent, on the same rows, and are rolled back:
- ``raw_sql_rate``: ``UPDATE crm_lead SET user_id = v.u FROM (VALUES ...)``, one
  statement per batch of the allocator's size: the ceiling for writing owners;
- ``orm_loop_rate``: ``lead.write({'user_id': u})`` per record, tracking on, as a server
  action does it, on a sample.
"""
import json
import os
import subprocess
import sys
import threading

from .common import PY, ROOT, Clock, environment, peak_rss_mb, rss_mb


def raw_sql_rate(env, lead_ids, user_ids, batch_size):
    """Rows per second of the raw owner UPDATE on ``lead_ids`` (the caller rolls back)."""
    cr = env.cr
    with Clock() as clock:
        for start in range(0, len(lead_ids), batch_size):
            batch = lead_ids[start:start + batch_size]
            rows = [(lead_id, user_ids[index % len(user_ids)])
                    for index, lead_id in enumerate(batch, start)]
            values = ", ".join(["(%s, %s)"] * len(rows))
            cr.execute("UPDATE crm_lead SET user_id = v.u FROM (VALUES " + values +
                       ") AS v(id, u) WHERE crm_lead.id = v.id",
                       [value for row in rows for value in row])
    return dict(rows=len(lead_ids), seconds=clock.wall, per_second=len(lead_ids) / clock.wall)


def orm_loop_rate(env, lead_ids, user_ids):
    """Leads per second of a per-record ``write`` loop with mail tracking on."""
    leads = env["crm.lead"].browse(lead_ids)
    with Clock() as clock:
        for index, lead in enumerate(leads):
            lead.write({"user_id": user_ids[index % len(user_ids)]})
    return dict(rows=len(lead_ids), seconds=clock.wall, per_second=len(lead_ids) / clock.wall)


def run_backlog(db, limit, commit, timeout=None):
    """Run the backlog allocation in a child process; its JSON result as a dict.

    ``timeout`` (seconds): PostgreSQL cancels any statement of the child running longer
    (``statement_timeout``) and the child is killed past it, raising
    ``subprocess.SubprocessError`` (items 9 and 10: a run far past its target)."""
    command = [str(PY), "-m", "bench.backlog", db, str(limit or 0),
               "commit" if commit else "rollback"]
    env = None
    if timeout:
        env = dict(os.environ, PGOPTIONS="%s -c statement_timeout=%d" % (
            os.environ.get("PGOPTIONS", ""), int(timeout * 1000)))
    process = subprocess.run(command, cwd=str(ROOT), stdout=subprocess.PIPE, check=True,
                             env=env, timeout=timeout and timeout + 60)
    return json.loads(process.stdout.decode().strip().splitlines()[-1])


def _count(cr, table):
    cr.execute("SELECT count(*), COALESCE(max(id), 0) FROM %s" % table)
    return cr.fetchone()


def _matched(cr):
    """Leads whose allocation used a match (item 10 compares it before and after)."""
    cr.execute("SELECT count(*) FROM crm_lead WHERE match_reason IS NOT NULL")
    return cr.fetchone()[0]


def _child(db, limit, mode):
    with environment(db, commit=(mode == "commit")) as env:
        cr = env.cr
        company_id = env.user.company_id.id
        env["sales.allocation.rule"]._engine_rules(company_id)  # warm, as on a server
        batch_size = env["sales.allocation.allocator"]._batch_size()
        messages_before, last_message = _count(cr, "mail_message")
        logs_before, _last = _count(cr, "sales_allocation_log")
        matched_before = _matched(cr)
        followers_before, _last = _count(cr, "mail_followers")
        queries_before = cr.sql_log_count
        rss_before, peak_before = rss_mb(), peak_rss_mb()
        # The scheduled action commits after each batch; the pairs of this item run it
        # on the same rows and roll it back. Its commits are held back (the flag the
        # test runners set) and the run is committed once at the end when asked.
        threading.current_thread().testing = True
        try:
            with Clock() as run:
                summary = env["crm.lead"]._cron_allocate_backlog(limit=limit or None)
        finally:
            threading.current_thread().testing = False
        peak_after = peak_rss_mb()
        queries = cr.sql_log_count - queries_before
        messages_run = _count(cr, "mail_message")[0] - messages_before
        logs = _count(cr, "sales_allocation_log")[0] - logs_before
        followers = _count(cr, "mail_followers")[0] - followers_before
        matched = _matched(cr) - matched_before
        commit_seconds = 0.0
        if mode == "commit":
            with Clock() as committing:
                cr.commit()
            commit_seconds = committing.wall
        # The digest cron: one message per rep and run, however many leads he got.
        with Clock() as digest_clock:
            digests = env["sales.allocation.log"]._cron_notify_owners()
        cr.execute("SELECT count(*), count(DISTINCT author_id), "
                   "       count(*) FILTER (WHERE model = 'crm.lead') "
                   "  FROM mail_message WHERE id > %s", [last_message])
        digest_messages, _authors, lead_messages = cr.fetchone()
        digest_messages -= messages_run
        summary.pop("seconds", None)
        leads = summary.get("leads", 0)
        seconds = run.wall + commit_seconds
        return dict(
            limit=limit, leads=leads, summary=summary, batch_size=batch_size,
            seconds=seconds, cpu_seconds=run.cpu, commit_seconds=commit_seconds,
            per_second=leads / seconds if seconds else 0.0,
            queries=queries, log_rows=logs, followers=followers, matched=matched,
            messages_during_run=messages_run, lead_messages=lead_messages,
            digest_reps=len(digests), digest_messages=digest_messages,
            digest_seconds=digest_clock.wall,
            rss_before_mb=rss_before, peak_before_mb=peak_before,
            peak_after_mb=peak_after, growth_mb=max(0.0, peak_after - rss_before))


if __name__ == "__main__":
    result = _child(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    sys.stdout.write(json.dumps(result) + "\n")
