# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""11.0.2.0.0: the rotation state moves to sales_allocation_rotation.

Before, each queue kept ``last_user_id`` and each member ``current_weight`` as columns
of their own rows, locked by every allocation for its whole transaction. The turns now
keep them in one row per queue (``sales.allocation.turns``); the fields stay on the
queue and the member as computed ones. Copy the state, then drop the old columns.
"""


def _has_column(cr, table, column):
    cr.execute("""
        SELECT 1 FROM information_schema.columns
         WHERE table_name = %s AND column_name = %s
    """, [table, column])
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    has_last = _has_column(cr, "sales_allocation_queue", "last_user_id")
    has_weight = _has_column(cr, "sales_allocation_queue_member", "current_weight")
    if not (has_last or has_weight):
        return
    last_user = "q.last_user_id" if has_last else "NULL"
    weights = """COALESCE((SELECT jsonb_object_agg(m.id::text, m.current_weight)
                             FROM sales_allocation_queue_member m
                            WHERE m.queue_id = q.id
                              AND COALESCE(m.current_weight, 0) <> 0), '{}'::jsonb)
    """ if has_weight else "'{}'::jsonb"
    cr.execute("""
        INSERT INTO sales_allocation_rotation (queue_id, last_user_id, weights)
        SELECT q.id, """ + last_user + ", " + weights + """
          FROM sales_allocation_queue q
        ON CONFLICT (queue_id) DO UPDATE
           SET last_user_id = EXCLUDED.last_user_id, weights = EXCLUDED.weights
    """)
    if has_last:
        cr.execute("ALTER TABLE sales_allocation_queue DROP COLUMN last_user_id")
    if has_weight:
        cr.execute("ALTER TABLE sales_allocation_queue_member DROP COLUMN current_weight")
