# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SQL building blocks shared by every set-based write of the addon.

- encoders that carry Python values to PostgreSQL in one parameter per column
  (``array_literal``, ``int_array``, ``unnest_sql``) or one per value (``values_sql``),
  and ``copy_rows`` (COPY ... FROM STDIN);
- ``FOLLOW_SQL``, the end of a statement that makes users followers of leads;
- ``OPEN_LEAD_SQL``, what "an open lead" means in SQL, used by the queries that count
  open leads and by the partial index they read (``crm_lead.init``);
- ``without_jit``, for the transactions of the bulk runs;
- ``forget``, what the ORM cache must drop after a write in SQL.

User text (reasons, names) travels through these encoders: each escapes what its
format needs (quotes and backslashes in array literals; backslash, tab, newline and
carriage return in COPY text). PostgreSQL text cannot hold NUL characters: every
encoder refuses them with ``ValueError`` rather than truncating the text.
"""
import io

# An open lead: not archived, not won. Keep every query that counts open leads and the
# partial index crm_lead_sales_allocation_open_owner_idx on this very text: PostgreSQL
# uses a partial index only when the query's WHERE clause implies its predicate.
_OPEN_LEAD = "{a}active AND COALESCE({a}probability, 0) < 100"
OPEN_LEAD_SQL = _OPEN_LEAD.format(a="")


def open_lead_sql(alias=None):
    """``OPEN_LEAD_SQL`` for a table alias (``l.active AND ...``)."""
    return _OPEN_LEAD.format(a=alias + "." if alias else "")


def _check_text(value):
    if "\x00" in value:
        raise ValueError(
            "PostgreSQL text cannot contain NUL characters (\\x00 at position %d of %r%s): "
            "remove them from the text." % (
                value.index("\x00"), value[:80], "..." if len(value) > 80 else ""))
    return value


def _materialized(values):
    """``values`` as a sequence: the encoders read them more than once."""
    return values if isinstance(values, (list, tuple)) else list(values)


_TEXT_OR_NONE = frozenset((str, type(None)))
_INT_OR_NONE = frozenset((int, type(None)))


def values_sql(rows, casts):
    """A ``VALUES`` list for ``rows`` with typed placeholders, and its flat parameters."""
    row_sql = "(%s)" % ", ".join("%%s::%s" % cast for cast in casts)
    params = [value for row in rows for value in row]
    for value in params:
        if isinstance(value, str):
            _check_text(value)
    return ", ".join([row_sql] * len(rows)), params


def _quote_element(value):
    if value is None:
        return "NULL"
    if value.__class__ is int:
        return str(value)
    text = _check_text(str(value))
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def array_literal(values):
    """A PostgreSQL array literal (``{1,NULL,"a \\"b\\""}``) of ints and strings."""
    values = _materialized(values)
    if len(set(map(type, values)) - _TEXT_OR_NONE) > 1:
        # 1 == 1.0 == True: quoted once per value, they would all be quoted alike.
        return "{%s}" % ",".join(map(_quote_element, values))
    # A batch repeats a few texts (reasons, events) thousands of times: quote each once.
    quoted = {value: _quote_element(value) for value in set(values)}
    return "{%s}" % ",".join(map(quoted.__getitem__, values))


def int_array(values):
    """``array_literal`` of ints and None (nothing else), at C speed: no Python code
    runs per value."""
    values = _materialized(values)
    # Anything else would be written as is: "1,2" would become two elements, a bool
    # "True", and the arrays fed to one unnest() would no longer line up.
    if not _INT_OR_NONE.issuperset(map(type, values)):
        wrong = [value for value in values if type(value) not in _INT_OR_NONE]
        raise ValueError("int_array takes ints and None only, not %s%s" % (
            ", ".join("%.80r (%s)" % (value, type(value).__name__) for value in wrong[:3]),
            " and %d more" % (len(wrong) - 3) if len(wrong) > 3 else ""))
    return "{%s}" % ",".join(map(str, values)).replace("None", "NULL")


def unnest_sql(rows, casts):
    """``unnest(...)`` over ``rows`` column by column, and its named parameters
    (``column0``, ``column1``...): one array literal per column where ``values_sql``
    has one placeholder per value. For thousands of rows PostgreSQL parses and plans a
    VALUES list longer than the statement it feeds takes to run; an array literal is
    read in one go."""
    rows = _materialized(rows)
    widths = set(map(len, rows))
    if widths - {len(casts)}:
        # zip() would drop the values beyond the shortest row without a word.
        raise ValueError("unnest_sql: every row needs %d values (casts %s), not %s" % (
            len(casts), ", ".join(casts), ", ".join(map(str, sorted(widths)))))
    columns = list(zip(*rows)) if rows else [()] * len(casts)
    sql = "unnest(%s)" % ", ".join(
        "%%(column%d)s::%s[]" % (index, cast) for index, cast in enumerate(casts))
    return sql, {"column%d" % index: int_array(column) if cast == "int"
                 else array_literal(column)
                 for index, (column, cast) in enumerate(zip(columns, casts))}


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value):
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value.__class__ is int:
        return str(value)
    return _check_text(str(value)).translate(_COPY_ESCAPES)


def copy_rows(cr, table, columns, rows, constants=()):
    """Insert ``rows`` (tuples of None, numbers, strings) into ``table`` with one COPY;
    ``constants``: values of the last columns, the same for every row.

    No statement to parse and plan, no parameters to quote one by one: for thousands of
    rows this is PostgreSQL's fastest insert. Triggers and constraints run as for INSERT.
    """
    escaped = {}  # a batch repeats a few texts (reasons, events) thousands of times

    def text(value):
        if value.__class__ is str:
            result = escaped.get(value)
            if result is None:
                result = escaped[value] = copy_text(value)
            return result
        return copy_text(value)

    end = "".join("\t" + text(value) for value in constants) + "\n"
    data = "".join("\t".join(map(text, row)) + end for row in rows)
    cr.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns)),
                   io.StringIO(data))


# The end of a statement that makes users followers of leads: ``%s`` names a
# relation (a CTE) with columns ``id`` (the lead) and ``user_id``. A new follower gets
# the default subtypes of leads (as ``message_subscribe`` gives when none is named),
# read by the statement itself; a user already following the lead is left as he is.
FOLLOW_SQL = """
    added AS (
        INSERT INTO mail_followers (res_model, res_id, partner_id)
        SELECT 'crm.lead', source.id, u.partner_id
          FROM %s AS source
          JOIN res_users u ON u.id = source.user_id
        ON CONFLICT DO NOTHING
        RETURNING id
    )
    INSERT INTO mail_followers_mail_message_subtype_rel
           (mail_followers_id, mail_message_subtype_id)
    SELECT added.id, subtype.id
      FROM added CROSS JOIN mail_message_subtype subtype
     WHERE subtype."default"
       AND (subtype.res_model IS NULL OR subtype.res_model = 'crm.lead')
"""


# Bulk runs handle this many leads at least per transaction before they switch JIT off
# (one lead's create is left as the server is configured).
BULK_ROWS = 1000


def without_jit(cr, rows=BULK_ROWS):
    """Switch PostgreSQL's JIT compiler off until the end of the transaction
    (``SET LOCAL``) when a bulk run is about to handle ``rows`` leads or more.

    PostgreSQL (11 and later, on by default since 12) compiles every statement whose
    estimated cost passes ``jit_above_cost``: a batch of thousands of leads does. The
    addon's statements read and write their rows through indexes, which compiled
    expressions do not speed up, and the compilation itself takes 0.1-0.3 s per
    statement: the match query of a backlog batch of 10,000 leads ran in 0.15 s
    without it, 0.45 s with it. A server without JIT is left alone."""
    if rows >= BULK_ROWS:
        cr.execute("SELECT set_config('jit', 'off', true) "
                   "WHERE current_setting('jit', true) IS NOT NULL")


def forget(model, fnames=None, ids=None):
    """Make the ORM cache forget ``fnames`` (default: every field) of ``model``'s
    records ``ids`` (default: all of them) after a write in SQL.

    Never ``model.invalidate_cache()`` without field names: Odoo 11 then empties the
    cache of EVERY model, and the rest of the transaction reads its user, company,
    partners, stages and teams again. An allocating create did so for the next create
    of the same transaction: 4,600 instead of 2,800 record reads per 200 creates."""
    model.invalidate_cache(list(model._fields) if fnames is None else list(fnames), ids)
