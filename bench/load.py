"""Items 7 and 8: what they share: a real prefork server, XML-RPC clients with time
limits, client threads released together, a probe, percentiles.

The server is the one the RPC tests start (``tests/rpc/conftest.py``, see item 6), with
``--workers=4``, no cron thread (no scheduled action may run beside the measured ones)
and the bench's Odoo configuration (``SA_BENCH_ODOO_CONF``), so that it serves the code
the rest of the run measures.  Configuration written by the bench process reaches the
server's workers through Odoo's own cache signaling (``signal_changes``).

Every loop is bounded in count and in time: a client gives up a call after
``CALL_TIMEOUT`` seconds, a thread stops starting calls at its deadline, and joins wait
at most that long.
"""
import contextlib
import threading
import time
import xmlrpc.client

from .common import ODOO_CONF, environment
from .rpc import _rpc_module, _server_class

ADMIN = ("admin", "admin")
CALL_TIMEOUT = 300.0      # seconds: one XML-RPC call (a bulk call gets its own)
SERVER_ARGS = ["--limit-time-cpu=3600", "--limit-time-real=7200", "--log-level=warn",
               "--max-cron-threads=0"]


class _Transport(xmlrpc.client.Transport):
    """xmlrpc's transport with a socket timeout."""

    def __init__(self, timeout):
        super(_Transport, self).__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super(_Transport, self).make_connection(host)
        connection.timeout = self._timeout
        return connection


class Client(object):
    """One XML-RPC session (its own connection): one per thread."""

    def __init__(self, url, db, login=ADMIN[0], password=ADMIN[1], timeout=CALL_TIMEOUT):
        self.db, self.password = db, password
        common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common", allow_none=True,
                                           transport=_Transport(timeout))
        self.models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object",
                                                allow_none=True,
                                                transport=_Transport(timeout))
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            raise RuntimeError("XML-RPC login %r refused on %s" % (login, db))

    def execute(self, model, method, *args, **kw):
        return self.models.execute_kw(self.db, self.uid, self.password, model, method,
                                      list(args), kw)


def short_error(error):
    """The last line of a fault (the exception Odoo gave up on), or the client error."""
    if isinstance(error, xmlrpc.client.Fault):
        lines = [line for line in str(error.faultString).strip().splitlines()
                 if line.strip()]
        text = lines[-1] if lines else "fault %s" % error.faultCode
        # "psycopg2.extensions.TransactionRollbackError: could not serialize ..."
        head, _sep, tail = text.partition(": ")
        if tail and "." in head and " " not in head:
            text = tail
        return text.strip()[:100]
    return ("%s: %s" % (type(error).__name__, error))[:100]


class Call(object):
    """One create: wall-clock start and end (``time.time()``), its lead or its error."""
    __slots__ = ("start", "end", "lead_id", "error")

    def __init__(self, start, end, lead_id=None, error=None):
        self.start, self.end, self.lead_id, self.error = start, end, lead_id, error

    @property
    def seconds(self):
        return self.end - self.start


def _server(db, workers):
    base = _server_class()

    class BenchServer(base):
        def command(self):
            command = super(BenchServer, self).command()
            command[command.index("-c") + 1] = str(ODOO_CONF)
            return command

    return BenchServer(db, workers=workers, extra_args=SERVER_ARGS)


@contextlib.contextmanager
def server(db, workers=4):
    """A running prefork server on ``db`` (stopped on exit)."""
    process = _server(db, workers)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@contextlib.contextmanager
def configuring(db):
    """``env`` (superuser) whose changes are committed and then signaled to the running
    server's workers: their cached rules must not survive a change of configuration."""
    with environment(db, commit=True) as env:
        yield env
        registry = env.registry
    registry.cache_invalidated = True
    registry.signal_changes()


def run_clients(url, db, n_threads, per_thread, values_of, deadline, workers=4):
    """``n_threads`` threads, each with its own client (logged in beforehand), released
    together by a barrier, each creating ``per_thread`` leads (``values_of(thread,
    index)``) one after the other.

    Odoo 11 serves each XML-RPC call on a new connection and its prefork server's
    listen backlog is 8 x workers: more clients than that at once get their
    connections dropped, which is not what is measured. The calls take a slot of the
    RPC tests' gate first (``rpc_helpers.FifoGate``, in arrival order), as a proxy in
    front of Odoo would queue them; the gate's wait counts in the latency.

    Returns (calls, seconds from the release to the last answer).  A thread starts no
    call after ``deadline`` seconds; the ones it did not make count as failed.
    """
    helpers = _rpc_module("rpc_helpers")
    gate = helpers.FifoGate(helpers.backlog_slots(workers))
    barrier = threading.Barrier(n_threads + 1)
    calls = [[] for _thread in range(n_threads)]
    # Logged in one after the other beforehand: a burst of logins is not the measure.
    clients = []
    for _thread in range(n_threads):
        try:
            clients.append((Client(url, db), None))
        except Exception as exc:  # the creates of a client that could not log in fail
            clients.append((None, short_error(exc)))

    def work(thread):
        client, error = clients[thread]
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            error = error or "the threads were not released together"
        stop_at = time.monotonic() + deadline
        for index in range(per_thread):
            start = time.time()
            if error or time.monotonic() > stop_at:
                calls[thread].append(Call(start, start, error=error or "not started: "
                                          "deadline of %.0f s" % deadline))
                continue
            if not gate.acquire(timeout=deadline + CALL_TIMEOUT):
                calls[thread].append(Call(start, time.time(), error="no connection slot"))
                continue
            try:
                lead_id = client.execute("crm.lead", "create", values_of(thread, index))
                calls[thread].append(Call(start, time.time(), lead_id=lead_id))
            except Exception as exc:
                calls[thread].append(Call(start, time.time(), error=short_error(exc)))
            finally:
                gate.release()

    threads = [threading.Thread(target=work, args=(thread,), daemon=True)
               for thread in range(n_threads)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    released = time.time()
    join_until = time.monotonic() + deadline + CALL_TIMEOUT + 30
    for thread in threads:
        thread.join(max(0.0, join_until - time.monotonic()))
    done = [call for thread_calls in calls for call in thread_calls]
    missing = n_threads * per_thread - len(done)
    done += [Call(released, released, error="still running at the join deadline")
             ] * max(0, missing)
    ends = [call.end for call in done if call.lead_id]
    seconds = (max(ends) - released) if ends else 0.0
    return done, seconds


class Probe(object):
    """One thread creating one lead every ``interval`` seconds (start to start; right
    after the previous one when that took longer), from ``start()`` to ``stop()``."""

    def __init__(self, url, db, values_of, interval=0.1, max_seconds=3600.0):
        self.client = Client(url, db)
        self.values_of = values_of
        self.interval = interval
        self.max_calls = int(max_seconds / interval) + 1
        self.max_seconds = max_seconds
        self.calls = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        began = time.monotonic()
        next_at = began
        for index in range(self.max_calls):
            if self._stop.is_set() or time.monotonic() - began > self.max_seconds:
                break
            start = time.time()
            try:
                lead_id = self.client.execute("crm.lead", "create", self.values_of(index))
                self.calls.append(Call(start, time.time(), lead_id=lead_id))
            except Exception as exc:
                self.calls.append(Call(start, time.time(), error=short_error(exc)))
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        """Stop starting creates; wait for the one in flight (bounded)."""
        self._stop.set()
        self._thread.join(CALL_TIMEOUT + 10)

    def during(self, start, end):
        """The creates that ran while [start, end] did: started before its end, ended
        after its start (the ones started after the end are ignored)."""
        return [call for call in self.calls if call.start <= end and call.end >= start]


def percentile(values, fraction):
    """The nearest-rank percentile (0 < fraction <= 1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]
