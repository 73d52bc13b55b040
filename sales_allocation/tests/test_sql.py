# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The SQL encoders of ``sql.py`` carry any text to PostgreSQL and back unchanged.

Every test builds the literal, the parameters or the COPY data with one encoder, sends
it to PostgreSQL, reads the values back and compares them exactly: user text (reasons,
names) goes through these encoders by the thousand, and a quote, a backslash or a tab
must neither break the statement nor shift a value into its neighbour's column.
"""
import re

from odoo.tests.common import TransactionCase

from ..sql import (
    FOLLOW_SQL, OPEN_LEAD_SQL, array_literal, copy_rows, copy_text, int_array,
    open_lead_sql, unnest_sql, values_sql, without_jit,
)

# What each format escapes, what it spells specially, and what a careless encoder
# would take for a separator, a NULL or the end of the data.
HOSTILE = [
    "plain reason",
    "",
    " ",
    "  leading and trailing spaces  ",
    "NULL", "null", "None", "\\N", "N",
    "'", "''", "O'Brien's lead", "it''s",
    '"', '""', 'say "hi"', '\\"', '"\\',
    "\\", "\\\\", "trailing backslash\\", "\\\\\\", "\\t", "\\n", "\\r", "\\x00", "\\000",
    "\\.", "\\.\n", "line\n\\.\nafter the end-of-data marker",
    "a real\ttab", "\t", "\t\t", "new\nline", "\n", "\r", "\r\n", "carriage\rreturn",
    "\x0b\x0c\x08\x07\x1b\x7f control characters",
    "a,b", ",", "{}", "{", "}", "{a,b}", '{"a","b"}', "{NULL}", "{{1,2},{3}}", "[1:2]={x}",
    "(1,2)", ";", "%s", "%(column0)s", "%%", "$1", "E'\\n'", "$$dollar$$",
    "'); DROP TABLE crm_lead; --",
    "分配给销售代表：华东区", "销售线索\t公海池\n回收", "🎉👩‍💻 emoji and ZWJ",
    "\u00a0non-breaking\u2028line separator\ufeffBOM",
    "é (composed) vs e\u0301 (decomposed)",
]
# About 1 MB of the characters that need escaping, and of multi-byte ones.
LONG = ("长文本 \\ \" ' \t \n \r , { } NULL \\N 🎉 " * 40000)[:2 ** 20]
ALL_TEXT = HOSTILE + [LONG]


class TestSqlEncoders(TransactionCase):

    # ------------------------------------------------------------------ helpers

    def _rows(self, query, params=None):
        self.env.cr.execute(query, params)
        return self.env.cr.fetchall()

    def _text_array(self, literal, cast="text"):
        """The elements of ``literal`` cast to ``cast[]``, in their order."""
        return [value for value, _position in self._rows(
            "SELECT value, position FROM unnest(%s::" + cast + "[])"
            " WITH ORDINALITY AS t(value, position) ORDER BY position", [literal])]

    def assertSameValues(self, got, expected):
        """``assertEqual`` that names the first difference instead of printing 1 MB."""
        self.assertEqual(len(got), len(expected), "%d values back, %d sent" % (
            len(got), len(expected)))
        for index, (value, sent) in enumerate(zip(got, expected)):
            if value == sent and type(value) is type(sent):
                continue
            if isinstance(value, str) and isinstance(sent, str):
                at = next((i for i, (a, b) in enumerate(zip(value, sent)) if a != b),
                          min(len(value), len(sent)))
                self.fail("value %d differs at character %d of %d: got %r, sent %r" % (
                    index, at, len(sent), value[max(0, at - 20):at + 20],
                    sent[max(0, at - 20):at + 20]))
            self.fail("value %d: got %r, sent %r" % (index, value, sent))

    def _assert_refuses_nul(self, encode, *args):
        with self.assertRaisesRegex(ValueError, "NUL|ints and None only"):
            encode(*args)

    # ------------------------------------------------------------------ array_literal

    def test_array_literal_round_trips_hostile_text(self):
        values = ALL_TEXT + [None, "", None]
        self.assertSameValues(self._text_array(array_literal(values)), values)

    def test_array_literal_round_trips_through_varchar(self):
        self.assertSameValues(self._text_array(array_literal(HOSTILE), "varchar"), HOSTILE)

    def test_array_literal_keeps_the_word_null_apart_from_null(self):
        values = ["NULL", None, "null", "", None, "\\N"]
        self.assertEqual(self._rows(
            "SELECT value IS NULL, value FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS t(value, position) ORDER BY position", [array_literal(values)]), [
            (False, "NULL"), (True, None), (False, "null"), (False, ""), (True, None),
            (False, "\\N")])

    def test_array_literal_of_texts_repeated_many_times(self):
        # The encoder quotes each distinct value once and reuses it.
        values = [HOSTILE[index % len(HOSTILE)] for index in range(5000)] + [None] * 3
        self.assertSameValues(self._text_array(array_literal(values)), values)

    def test_array_literal_mixes_ints_text_and_none(self):
        values = [1, None, "1", -7, "a,b", 0, 2 ** 31 - 1, "{}", -2 ** 31]
        self.assertSameValues(self._text_array(array_literal(values)), [
            "1", None, "1", "-7", "a,b", "0", "2147483647", "{}", "-2147483648"])
        ints = [1, None, -7, 0, 2 ** 31 - 1, -2 ** 31, None]
        self.assertSameValues(self._text_array(array_literal(ints), "int"), ints)
        big = [2 ** 40, None, -2 ** 62]
        self.assertSameValues(self._text_array(array_literal(big), "bigint"), big)

    def test_array_literal_keeps_equal_values_of_other_types_apart(self):
        # 1 == True == 1.0 in Python: each is still written as itself.
        self.assertSameValues(
            self._text_array(array_literal([1, True, 1.0, "1", 0, False, 0.0, None])),
            ["1", "True", "1.0", "1", "0", "False", "0.0", None])

    def test_array_literal_reads_a_generator_once(self):
        self.assertSameValues(
            self._text_array(array_literal(text for text in HOSTILE)), HOSTILE)

    def test_empty_arrays(self):
        self.assertEqual(self._text_array(array_literal([])), [])
        self.assertEqual(self._text_array(int_array([]), "int"), [])

    # ------------------------------------------------------------------ int_array

    def test_int_array_round_trips_ints_and_none(self):
        values = [1, None, -5, 0, 2 ** 31 - 1, -2 ** 31, None, None, 42]
        self.assertSameValues(self._text_array(int_array(values), "int"), values)
        self.assertSameValues(self._text_array(int_array([None, None]), "int"),
                              [None, None])
        self.assertSameValues(self._text_array(int_array(iter([3, None, 4])), "int"),
                              [3, None, 4])

    def test_int_array_refuses_anything_but_ints(self):
        # Written as is, "1,2" would make two elements and shift every later one.
        for wrong in ("1,2", True, False, 1.5, "7", "NULL", b"1"):
            with self.assertRaisesRegex(ValueError, "ints and None only, not %s" % (
                    re.escape(repr(wrong)))):
                int_array([1, wrong, 3])

    # ------------------------------------------------------------------ values_sql

    def test_values_sql_round_trips_hostile_text(self):
        rows = [(index, text) for index, text in enumerate(ALL_TEXT + [None])]
        values, params = values_sql(rows, ["int", "text"])
        self.assertEqual(len(params), 2 * len(rows))
        got = self._rows("SELECT * FROM (VALUES " + values + ") AS v(position, value)"
                         " ORDER BY position", params)
        self.assertSameValues([row[1] for row in got], [row[1] for row in rows])
        self.assertEqual([row[0] for row in got], [row[0] for row in rows])

    def test_values_sql_keeps_its_types(self):
        rows = [(1, None, "1.5", "a\tb"), (None, 2 ** 40, None, "")]
        values, params = values_sql(rows, ["int", "bigint", "numeric", "varchar"])
        got = self._rows("SELECT v.a, v.b, v.c::text, v.d FROM (VALUES " + values +
                         ") AS v(a, b, c, d) ORDER BY v.a NULLS LAST", params)
        self.assertEqual(got, [(1, None, "1.5", "a\tb"), (None, 2 ** 40, None, "")])

    # ------------------------------------------------------------------ unnest_sql

    def _unnest(self, rows, casts):
        sql, params = unnest_sql(rows, casts)
        self.assertEqual(sorted(params), ["column%d" % index for index in range(len(casts))])
        columns = ", ".join("c%d" % index for index in range(len(casts)))
        return self._rows("SELECT " + columns + " FROM " + sql + " WITH ORDINALITY AS v(" +
                          columns + ", position) ORDER BY position", params)

    def test_unnest_sql_round_trips_hostile_rows(self):
        texts = ALL_TEXT + [None, ""]
        rows = [(index if index % 7 else None, text, texts[-1 - index], "allocated",
                 index * 3 if index % 5 else None)
                for index, text in enumerate(texts)]
        got = self._unnest(rows, ["int", "text", "text", "varchar", "int"])
        self.assertEqual(len(got), len(rows))
        for column in range(5):
            self.assertSameValues([row[column] for row in got],
                                  [row[column] for row in rows])

    def test_unnest_sql_without_rows(self):
        self.assertEqual(self._unnest([], ["int", "text"]), [])

    def test_unnest_sql_refuses_rows_of_the_wrong_width(self):
        for rows in ([(1, "a"), (2,)], [(1, "a", "b")], [(1,)]):
            with self.assertRaisesRegex(ValueError, "every row needs 2 values"):
                unnest_sql(rows, ["int", "text"])

    def test_unnest_sql_refuses_text_in_an_int_column(self):
        with self.assertRaisesRegex(ValueError, "ints and None only"):
            unnest_sql([(1, "a"), ("2,3", "b")], ["int", "text"])

    # ------------------------------------------------------------------ copy_text / copy_rows

    def test_copy_text_escapes_what_copy_reads_specially(self):
        self.assertEqual(copy_text(None), "\\N")
        self.assertEqual(copy_text("\\N"), "\\\\N")
        self.assertEqual(copy_text("NULL"), "NULL")
        self.assertEqual(copy_text(""), "")
        self.assertEqual(copy_text(7), "7")
        self.assertEqual(copy_text("a\tb\nc\rd\\"), "a\\tb\\nc\\rd\\\\")
        self.assertEqual(copy_text("\\t"), "\\\\t")

    def _copy_table(self):
        self.env.cr.execute("""
            CREATE TEMP TABLE sales_allocation_test_copy (
                position int, value text, label varchar, number int, amount numeric,
                moment timestamp, constant_text text, constant_int int
            ) ON COMMIT DROP
        """)
        return ("position", "value", "label", "number", "amount", "moment")

    def test_copy_rows_round_trips_hostile_text(self):
        columns = self._copy_table()
        texts = ALL_TEXT + [None, "", None]
        rows = [(index, text, texts[-1 - index], None if index % 3 else -index,
                 "12.50" if index % 2 else None, "2026-03-02 09:30:00" if index % 4 else None)
                for index, text in enumerate(texts)]
        constant = "constant\t\\N\n{NULL},\"'"
        copy_rows(self.env.cr, "sales_allocation_test_copy",
                  columns + ("constant_text", "constant_int"), rows,
                  constants=(constant, 7))
        got = self._rows("""
            SELECT position, value, label, number, amount::text, moment::text,
                   constant_text, constant_int
              FROM sales_allocation_test_copy ORDER BY position
        """)
        self.assertEqual(len(got), len(rows))
        for column in range(6):
            self.assertSameValues([row[column] for row in got],
                                  [row[column] for row in rows])
        self.assertEqual({row[6:] for row in got}, {(constant, 7)})

    def test_copy_rows_writes_a_repeated_text_each_time(self):
        columns = self._copy_table()[:2]
        rows = [(index, HOSTILE[index % 5]) for index in range(1000)]
        copy_rows(self.env.cr, "sales_allocation_test_copy", columns, rows)
        self.assertEqual(self._rows(
            "SELECT position, value FROM sales_allocation_test_copy ORDER BY position"),
            rows)

    def test_copy_rows_without_rows(self):
        columns = self._copy_table()[:2]
        copy_rows(self.env.cr, "sales_allocation_test_copy", columns, [])
        self.assertEqual(self._rows("SELECT count(*) FROM sales_allocation_test_copy"),
                         [(0,)])

    # ------------------------------------------------------------------ NUL

    def test_every_encoder_refuses_nul_characters(self):
        for text in ("\x00", "a\x00b", "trailing\x00", LONG + "\x00"):
            self._assert_refuses_nul(values_sql, [(1, text)], ["int", "text"])
            self._assert_refuses_nul(array_literal, ["ok", text, None])
            self._assert_refuses_nul(int_array, [1, text])
            self._assert_refuses_nul(unnest_sql, [(1, "ok"), (2, text)], ["int", "text"])
            self._assert_refuses_nul(unnest_sql, [(1, "ok"), (text, "ok")], ["int", "text"])
            self._assert_refuses_nul(copy_text, text)

    def test_a_refused_copy_writes_nothing_and_leaves_the_transaction_usable(self):
        columns = self._copy_table()[:2]
        with self.assertRaisesRegex(ValueError, "NUL"):
            copy_rows(self.env.cr, "sales_allocation_test_copy", columns,
                      [(1, "fine"), (2, "cut\x00here"), (3, "fine")])
        with self.assertRaisesRegex(ValueError, "NUL"):
            copy_rows(self.env.cr, "sales_allocation_test_copy", columns, [(1,)],
                      constants=("\x00",))
        self.assertEqual(self._rows("SELECT count(*) FROM sales_allocation_test_copy"),
                         [(0,)])
        copy_rows(self.env.cr, "sales_allocation_test_copy", columns, [(4, "fine")])
        self.assertEqual(self._rows("SELECT * FROM sales_allocation_test_copy"),
                         [(4, "fine", None, None, None, None, None, None)])

    def test_the_nul_message_says_where(self):
        with self.assertRaisesRegex(ValueError, r"NUL characters \(\\x00 at position 3 "
                                                r"of 'abc\\x00def'\)"):
            copy_text("abc\x00def")
        with self.assertRaisesRegex(ValueError, r"at position %d of '.*'\.\.\.\)" % (
                len(LONG))):
            array_literal([LONG + "\x00"])

    # ------------------------------------------------------------------ OPEN_LEAD_SQL

    def test_open_lead_sql_for_an_alias_is_open_lead_sql_on_that_alias(self):
        self.assertEqual(open_lead_sql(), OPEN_LEAD_SQL)
        self.assertEqual(open_lead_sql(None), OPEN_LEAD_SQL)
        self.assertEqual(open_lead_sql("l"), re.sub(
            r"\b(active|probability)\b", r"l.\1", OPEN_LEAD_SQL))
        self.assertEqual(open_lead_sql("l"), "l.active AND COALESCE(l.probability, 0) < 100")

    def test_open_lead_sql_with_an_alias_selects_the_same_leads(self):
        self.assertEqual(
            self._rows("SELECT id FROM crm_lead WHERE " + OPEN_LEAD_SQL + " ORDER BY id"),
            self._rows("SELECT l.id FROM crm_lead l JOIN res_users u ON u.id = l.create_uid"
                       " WHERE " + open_lead_sql("l") + " ORDER BY l.id"))

    def test_the_partial_index_is_built_on_open_lead_sql(self):
        predicate = "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = %s"
        [(installed,)] = self._rows(
            predicate, [self._index_oid("crm_lead_sales_allocation_open_owner_idx")])
        self.env.cr.execute("CREATE INDEX sales_allocation_test_open_idx ON crm_lead (user_id)"
                            " WHERE " + OPEN_LEAD_SQL)
        [(rebuilt,)] = self._rows(predicate, [self._index_oid("sales_allocation_test_open_idx")])
        self.assertEqual(installed, rebuilt)

    def _index_oid(self, name):
        [(oid,)] = self._rows("SELECT %s::regclass::oid", [name])
        return oid

    def test_counting_open_leads_with_an_alias_reads_the_partial_index(self):
        # Whether PostgreSQL can prove the index's predicate from the query's: with
        # the plain index on user_id out of the way (rolled back with the test) and no
        # sequential scan, the partial index is the only way left, if it applies. On a
        # small table either index costs the same, and the planner may pick either.
        self.env.cr.execute("DROP INDEX crm_lead_user_id_index")
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in self._rows(
            "EXPLAIN SELECT count(*) FROM crm_lead l WHERE l.user_id = %s AND " +
            open_lead_sql("l"), [self.env.uid]))
        self.assertIn("crm_lead_sales_allocation_open_owner_idx", plan)

    # ------------------------------------------------------------------ FOLLOW_SQL

    def test_follow_sql_subscribes_new_followers_once(self):
        user = self.env.ref("base.user_demo")
        lead = self.env["crm.lead"].with_context(
            sales_allocation_skip=True, mail_create_nosubscribe=True,
        ).create({"name": "Follow me", "user_id": False})
        subtypes = [row[0] for row in self._rows("""
            SELECT id FROM mail_message_subtype
             WHERE "default" AND (res_model IS NULL OR res_model = 'crm.lead')
        """)]
        self.assertTrue(subtypes)

        def follow():
            values, params = unnest_sql([(lead.id, user.id)], ["int", "int"])
            self.env.cr.execute(
                "WITH pairs AS (SELECT * FROM " + values + " AS v(id, user_id)), " +
                FOLLOW_SQL % "pairs", params)

        def followed():
            return self._rows("""
                SELECT f.partner_id, array_agg(rel.mail_message_subtype_id ORDER BY
                                               rel.mail_message_subtype_id)
                  FROM mail_followers f
                  LEFT JOIN mail_followers_mail_message_subtype_rel rel
                         ON rel.mail_followers_id = f.id
                 WHERE f.res_model = 'crm.lead' AND f.res_id = %s
                 GROUP BY f.partner_id
            """, [lead.id])

        follow()
        self.assertEqual(followed(), [(user.partner_id.id, sorted(subtypes))])
        follow()  # already a follower: left as he is
        self.assertEqual(followed(), [(user.partner_id.id, sorted(subtypes))])

    def test_without_jit_below_the_bulk_size_leaves_the_setting(self):
        cr = self.env.cr
        cr.execute("SET LOCAL jit = on")
        without_jit(cr, 10)
        cr.execute("SELECT current_setting('jit')")
        self.assertEqual(cr.fetchone()[0], "on")
        without_jit(cr)
        cr.execute("SELECT current_setting('jit')")
        self.assertEqual(cr.fetchone()[0], "off")
