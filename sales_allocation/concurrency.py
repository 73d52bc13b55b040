# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Transaction conflicts in scheduled actions.

Odoo runs every transaction in REPEATABLE READ. Two transactions that change the same
rows (a queue's rotation, a pool lead being claimed while the reclaim runs) cannot both
commit: the later one fails with a serialization failure (or a deadlock, or a lock it
could not get). Over RPC, Odoo itself retries such a call up to five times
(``odoo.service.model.check``). A scheduled action gets no such help: ``ir.cron`` logs the
error with its traceback, rolls back and waits for the next interval.

``cron_retry`` gives scheduled actions the same treatment as RPC calls: on a conflict
the transaction is rolled back, the error is logged as a warning, and the method runs
again in a fresh transaction (a new snapshot), a few times with a random back-off. If it
still conflicts, it gives up quietly: the next run picks the work up, because every run
starts from what the database says is still due.

Only for methods that are the whole transaction (crons, and buttons that are the only
thing their RPC call does): the rollback discards whatever the caller did before.
"""
import functools
import logging
import random
import time

import psycopg2

from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

_logger = logging.getLogger(__name__)

CRON_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5


def is_conflict(error):
    """True for the PostgreSQL errors a retry in a new transaction can cure."""
    return (isinstance(error, psycopg2.OperationalError)
            and error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY)


def cron_retry(method):
    """Decorate a ``_cron_*`` method: retry transaction conflicts, never raise them.

    Returns the method's result, or ``{"conflict": True}`` when every attempt collided
    (the next scheduled run retries).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        name = "%s.%s" % (self._name, method.__name__)
        for attempt in range(1, CRON_ATTEMPTS + 1):
            try:
                return method(self, *args, **kwargs)
            except psycopg2.OperationalError as error:
                if not is_conflict(error):
                    raise
                self.env.cr.rollback()
                self.env.clear()
                if attempt == CRON_ATTEMPTS:
                    _logger.warning(
                        "%s: transaction conflict (%s) on every one of %d attempts; "
                        "rolled back, the next scheduled run will retry",
                        name, error.pgcode, CRON_ATTEMPTS)
                    return {"conflict": True}
                delay = random.uniform(0, BACKOFF_SECONDS * 2 ** attempt)
                _logger.info("%s: transaction conflict (%s), rolled back; attempt %d/%d "
                             "in %.2f s", name, error.pgcode, attempt + 1, CRON_ATTEMPTS,
                             delay)
                time.sleep(delay)
        return {"conflict": True}  # not reached

    return wrapper
