"""What every part of the benchmark needs: an Odoo environment, fast SQL, clocks.

Nothing here is measured; it only keeps the measuring code short.
"""
import contextlib
import os
import resource
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# SA_BENCH_ODOO_CONF: another Odoo configuration, e.g. one whose addons path holds a
# snapshot of the addon (the RPC item always serves with the repository's).
ODOO_CONF = Path(os.environ.get("SA_BENCH_ODOO_CONF") or ROOT / ".run" / "odoo.conf")
PY = ROOT / ".venv" / "bin" / "python"
DB_TOOL = ROOT / "tools" / "db.sh"


def load_odoo(log_level="warn"):
    """Import and configure Odoo once per process (the repository's config file)."""
    import odoo
    if not getattr(load_odoo, "done", False):
        odoo.tools.config.parse_config(
            ["-c", str(ODOO_CONF), "--log-level=%s" % log_level])
        odoo.modules.module.initialize_sys_path()
        load_odoo.done = True
    return odoo


@contextlib.contextmanager
def environment(db, commit=False, context=None):
    """``env`` as the superuser on a new cursor of ``db``.

    The transaction is rolled back at the end unless ``commit``: most measurements leave
    the data as they found it, so that the next one starts from the same state.
    """
    odoo = load_odoo()
    registry = odoo.registry(db)
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, dict(context or {}))
        try:
            yield env
        except BaseException:
            cr.rollback()
            raise
        if commit:
            cr.commit()
        else:
            cr.rollback()


def copy_rows(cr, table, columns, rows):
    """Insert ``rows`` with one COPY (the addon's helper): far faster than INSERT."""
    from odoo.addons.sales_allocation.sql import copy_rows as addon_copy_rows
    addon_copy_rows(cr, table, columns, rows)


def reserve_ids(cr, sequence, count):
    """``count`` fresh ids from a table's sequence (rows then go in with COPY)."""
    cr.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
    return [row[0] for row in cr.fetchall()]


def vacuum(db, *tables):
    """VACUUM ANALYZE outside any transaction, so each measurement starts on a clean
    table and up-to-date statistics, not on the dead rows of the previous one."""
    import psycopg2
    conn = psycopg2.connect(dbname=db)
    try:
        conn.autocommit = True
        with conn.cursor() as cr:
            for table in tables:
                cr.execute("VACUUM ANALYZE %s" % table)
    finally:
        conn.close()


def rss_mb():
    """Current resident memory of this process, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1048576.0


def peak_rss_mb():
    """Highest resident memory this process has had so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Clock(object):
    """Wall and CPU seconds of a block: ``with Clock() as clock: ...; clock.wall``."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def db_tool(*args):
    """Run tools/db.sh (create, copy, drop); its output goes to ours."""
    subprocess.run([str(DB_TOOL)] + list(args), check=True, cwd=str(ROOT))


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0
