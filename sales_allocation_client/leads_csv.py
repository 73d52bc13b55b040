"""Import leads from a CSV file in batches, reporting bad rows by line number.

The first line names the columns: crm.lead field names (``name``, ``email_from``,
``planned_revenue``, ``tag_ids``, ...) or these friendlier aliases:

    country      ISO code (CN) or name (China)        -> country_id
    province     code or name, in the row's country   -> state_id   (also: state)
    tags         tag names separated by ";" or ","    -> tag_ids
    revenue      expected revenue                     -> planned_revenue
    email, company, contact, source, industry, team, salesperson (a login)

Each batch goes to Odoo's ``crm.lead.load`` (the importer of the web client): one call,
one transaction per batch, every lead created through ``crm.lead.create`` and so
allocated by the rules. ``load`` is all-or-nothing: when some rows of a batch are bad it
creates none and says which rows; those are reported with their line in the file and the
rest of the batch is sent again. A batch that hit a transaction conflict (another import
or claim locked the same rotation) was rolled back on the server and is resent whole.
"""
import csv
import random
import re
import time

from .client import OdooError, unwrap_message

ALIASES = {
    "country": "country_id",
    "province": "state_id",
    "state": "state_id",
    "tags": "tag_ids",
    "revenue": "planned_revenue",
    "email": "email_from",
    "company": "partner_name",
    "contact": "contact_name",
    "source": "source_id",
    "industry": "industry_id",
    "team": "team_id",
    "salesperson": "user_id",
}
# Relational columns resolved here (to database ids) rather than by load()'s name search,
# which knows neither country codes in context nor logins.
RESOLVED = {"country_id", "state_id", "user_id"}
CONFLICT_RETRIES = 5


class CsvError(Exception):
    """The file cannot be imported at all (missing header, unknown column)."""


class BadRow:
    __slots__ = ("line", "message")

    def __init__(self, line, message):
        self.line = line
        self.message = message

    def as_dict(self):
        return {"line": self.line, "message": self.message}

    def __repr__(self):
        return "line %d: %s" % (self.line, self.message)


class ImportResult:
    def __init__(self):
        self.ids = []
        self.bad_rows = []
        self.batches = 0
        self.conflicts_retried = 0

    def as_dict(self):
        return {
            "created": len(self.ids), "ids": self.ids, "batches": self.batches,
            "conflicts_retried": self.conflicts_retried,
            "bad_rows": [bad.as_dict() for bad in sorted(self.bad_rows, key=_line)],
        }


def _line(bad):
    return bad.line


def read_rows(stream):
    """Yield ``(line_number, header, values)``; the header comes first as line 1."""
    reader = csv.reader(stream)
    previous_line = 0
    for values in reader:
        start = previous_line + 1
        previous_line = reader.line_num
        yield start, values


class LeadImporter:
    """Reads a CSV file and creates its leads through ``client`` in batches."""

    def __init__(self, client, batch_size=200, on_batch=None):
        if batch_size < 1:
            raise ValueError("the batch size must be 1 or more")
        self.client = client
        self.batch_size = batch_size
        self.on_batch = on_batch or (lambda result: None)
        self._countries = None
        self._states = {}
        self._users = {}

    # ------------------------------------------------------------------ header

    def _columns(self, header):
        """Map the header to field names; unknown columns are a CsvError."""
        lead_fields = self.client.execute(
            "crm.lead", "fields_get", attributes=["type", "readonly", "string"])
        columns, unknown, seen = [], [], {}
        for raw in header:
            name = raw.strip()
            field = ALIASES.get(name.lower(), name)
            base = field.split("/")[0]
            if base not in lead_fields or base == "id":
                unknown.append(raw)
                continue
            if field in seen:
                raise CsvError("columns %r and %r both set the field %s: keep one"
                               % (seen[field], raw, field))
            seen[field] = raw
            columns.append(field)
        if unknown:
            raise CsvError(
                "unknown column(s) %s: use crm.lead field names or one of %s"
                % (", ".join(repr(name) for name in unknown), ", ".join(sorted(ALIASES))))
        if "name" not in columns:
            raise CsvError("the header has no 'name' column: every lead needs a subject "
                           "(the first line of the file must name the columns)")
        return columns

    # ------------------------------------------------------------------ values

    def _country_id(self, value):
        if self._countries is None:
            self._countries = {}
            for country in self.client.execute(
                    "res.country", "search_read", [], fields=["code", "name"],
                    context={"lang": "en_US"}):
                self._countries[(country["code"] or "").upper()] = country["id"]
                self._countries[country["name"].upper()] = country["id"]
        country_id = self._countries.get(value.strip().upper())
        if not country_id:
            raise ValueError("unknown country %r (use an ISO code such as CN)" % value)
        return country_id

    def _state_id(self, value, country_id):
        if not country_id:
            raise ValueError("province %r needs a country column on the same row" % value)
        if country_id not in self._states:
            states = {}
            for state in self.client.execute(
                    "res.country.state", "search_read", [("country_id", "=", country_id)],
                    fields=["code", "name"]):
                states[(state["code"] or "").upper()] = state["id"]
                states[state["name"].upper()] = state["id"]
            self._states[country_id] = states
        state_id = self._states[country_id].get(value.strip().upper())
        if not state_id:
            raise ValueError("unknown province %r in this country" % value)
        return state_id

    def _user_id(self, value):
        login = value.strip()
        if login not in self._users:
            users = self.client.execute(
                "res.users", "search_read", [("login", "=", login)], fields=["id"])
            self._users[login] = users[0]["id"] if users else None
        if not self._users[login]:
            raise ValueError("no user with login %r" % login)
        return self._users[login]

    def _convert(self, columns, values):
        """One CSV row -> the row of strings ``load`` takes (ids as strings)."""
        row = dict(zip(columns, (value.strip() for value in values)))
        if not row.get("name"):
            raise ValueError("the name (subject of the lead) is empty")
        country_id = self._country_id(row["country_id"]) if row.get("country_id") else None
        out = []
        for field in columns:
            value = row[field]
            if field in RESOLVED and value:
                if field == "country_id":
                    value = country_id
                elif field == "state_id":
                    value = self._state_id(value, country_id)
                else:
                    value = self._user_id(value)
                value = str(value)
            elif field == "tag_ids" and value:
                value = ",".join(tag.strip() for tag in value.replace(";", ",").split(",")
                                 if tag.strip())
            out.append(value)
        return out

    @staticmethod
    def _load_fields(columns):
        return [field + "/.id" if field in RESOLVED else field for field in columns]

    # ------------------------------------------------------------------ run

    def run(self, stream):
        result = ImportResult()
        rows = read_rows(stream)
        header = None
        for line, values in rows:
            if any(value.strip() for value in values):
                header = values
                break
        if header is None:
            raise CsvError("the file is empty: the first line must name the columns")
        columns = self._columns(header)
        fields = self._load_fields(columns)
        batch = []
        for line, values in rows:
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                result.bad_rows.append(BadRow(line, "%d values, but the header has %d "
                                                    "columns" % (len(values), len(header))))
                continue
            try:
                batch.append((line, self._convert(columns, values)))
            except ValueError as error:
                result.bad_rows.append(BadRow(line, str(error)))
                continue
            if len(batch) >= self.batch_size:
                self._send(fields, batch, result)
                batch = []
        if batch:
            self._send(fields, batch, result)
        return result

    def _send(self, fields, batch, result):
        """Load one batch; drop the rows Odoo refuses and resend the rest."""
        conflicts = 0
        while batch:
            answer = self.client.execute("crm.lead", "load", fields, [row for _l, row in batch])
            errors = [message for message in answer.get("messages", [])
                      if message.get("type") == "error"]
            if not errors:
                result.ids.extend(answer["ids"] or [])
                result.batches += 1
                self.on_batch(result)
                return
            if any(_is_conflict(message.get("message", "")) for message in errors):
                # The whole batch was rolled back: resend it as it is.
                conflicts += 1
                result.conflicts_retried += 1
                if conflicts > CONFLICT_RETRIES:
                    raise OdooError("the batch starting at line %d kept colliding with "
                                    "other work on the server; try again later"
                                    % batch[0][0], "TransactionConflict")
                time.sleep(random.uniform(0, 0.2 * 2 ** conflicts))
                continue
            bad = {}
            for message in errors:
                index = message.get("record")
                if index is None or not 0 <= index < len(batch):
                    # Not tied to a row: nothing in this batch can be trusted to work.
                    raise OdooError("Odoo refused the batch starting at line %d: %s"
                                    % (batch[0][0], message.get("message")), "ImportError")
                text = _clean_message(message.get("message") or "refused")
                if message.get("field"):
                    text = "%s: %s" % (message["field"], text)
                bad.setdefault(index, []).append(text)
            for index, texts in sorted(bad.items()):
                result.bad_rows.append(BadRow(batch[index][0], "; ".join(texts)))
            batch = [row for index, row in enumerate(batch) if index not in bad]


def _clean_message(text):
    """load() wraps exceptions as "Unknown error during import: <class 'X'>: ('msg', None)"."""
    match = re.match(r"^.*?: <class '[\w.]+'>: (?P<rest>.*)$", text, re.S)
    return unwrap_message(match.group("rest")) if match else text


def _is_conflict(text):
    text = text or ""
    return ("could not serialize access" in text or "deadlock detected" in text
            or "could not obtain lock" in text)
