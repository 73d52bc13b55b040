"""Item 6: ``crm.lead.action_allocate`` on many ids in ONE XML-RPC call.

A dedicated configuration: one sequential queue of ``n_reps`` reps and one catch-all
rule (every other rule archived), and ``n_leads`` new unallocated leads.  The server is
the one the RPC tests start (``tests/rpc/conftest.py``: tools/odoo.py, prefork workers),
with longer time limits so that a slow run is measured, not killed.  The rotation must
come out exact: ``n_leads / n_reps`` leads each.
"""
import importlib.util

from .common import ROOT, Clock
from .dataset import insert_leads, plain_leads


def _rpc_module(name):
    """A module of tests/rpc (the RPC tests' server and helpers), loaded from its file."""
    path = ROOT / "tests" / "rpc" / ("%s.py" % name)
    spec = importlib.util.spec_from_file_location("sales_allocation_rpc_%s" % name,
                                                  str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _server_class():
    return _rpc_module("conftest").OdooServer


def setup(env, done, n_leads, n_reps):
    """The one-queue configuration and its leads; returns (lead ids, rep user ids)."""
    env.cr.execute("SELECT id FROM res_users WHERE id IN %s AND active ORDER BY id",
                   [tuple(done.users.values())])
    reps = [row[0] for row in env.cr.fetchall()][:n_reps]
    if len(reps) < n_reps:
        raise SystemExit("bench: item 6 needs %d active reps, the data has %d: raise --reps"
                         % (n_reps, len(reps)))
    env["sales.allocation.rule"].search([]).write({"active": False})
    queue = env["sales.allocation.queue"].create({
        "name": "Bench RPC queue", "strategy": "sequential",
        "member_ids": [(0, 0, {"user_id": user_id, "sequence": position})
                       for position, user_id in enumerate(reps)],
    })
    env["sales.allocation.rule"].create({
        "name": "Bench RPC: everything", "sequence": 1, "target_type": "queue",
        "queue_id": queue.id,
    })
    lead_ids = insert_leads(env, done, plain_leads(n_leads), prefix="Bench RPC lead")
    return lead_ids, reps


def allocate_over_rpc(db, lead_ids):
    """Start a server, make the one call, stop the server; seconds of the call."""
    server = _server_class()(db, workers=2, extra_args=[
        "--limit-time-cpu=3600", "--limit-time-real=7200", "--log-level=warn"])
    server.start()
    try:
        client = server.admin()
        with Clock() as clock:
            result = client.execute("crm.lead", "action_allocate", lead_ids)
    finally:
        server.stop()
    return dict(result=result, seconds=clock.wall, per_second=len(lead_ids) / clock.wall,
                log=str(server.log_path))


def rotation(env, lead_ids, reps):
    """Leads per rep after the call, and whether each rep got exactly his share."""
    env.cr.execute("""
        SELECT user_id, count(*) FROM crm_lead WHERE id IN %s GROUP BY user_id
    """, [tuple(lead_ids)])
    counts = dict(env.cr.fetchall())
    share = len(lead_ids) // len(reps)
    # In lead order the owners repeat with a period of exactly len(reps), all different.
    env.cr.execute("SELECT user_id FROM crm_lead WHERE id IN %s ORDER BY id",
                   [tuple(lead_ids)])
    owners = [row[0] for row in env.cr.fetchall()]
    period = len(reps)
    cyclic = (len(set(owners[:period])) == period and all(
        owner == owners[index % period] for index, owner in enumerate(owners)))
    exact = (cyclic and len(lead_ids) % period == 0 and set(counts) == set(reps)
             and all(count == share for count in counts.values()))
    return dict(counts=counts, share=share, exact=exact, cyclic=cyclic,
                low=min(counts.values()) if counts else 0,
                high=max(counts.values()) if counts else 0)
