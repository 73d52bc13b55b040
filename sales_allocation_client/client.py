"""A small Odoo 11 XML-RPC client: login, ``execute_kw``, errors with Odoo's message.

    client = OdooClient("http://localhost:8069", "sales_allocation", "admin", "admin")
    client.execute("crm.lead", "search_count", [])
    client.execute("crm.lead", "action_claim", [42])   # OdooUserError: "... limit ..."

Odoo 11 reports errors as XML-RPC faults whose text depends on the exception: user
errors and access errors carry ``repr``-like tuples (``"('message', None)"``), anything
else a whole server traceback. ``OdooError`` extracts the message a person should read
(``.message``), keeps the exception's class name (``.kind``) and the raw text
(``.fault_string``).

A call that Odoo gave up on because of a transaction conflict (serialization failure,
deadlock, lock not available; Odoo itself already retried it five times) was rolled back
on the server, so it is safe to send again: ``execute`` does, a few times.
"""
import ast
import random
import re
import time
import xmlrpc.client
from urllib.parse import urlsplit

from .transport import DEFAULT_BACKOFF, DEFAULT_RETRIES, DEFAULT_TIMEOUT, RequestsTransport

# Methods that change nothing: safe to resend after a connection broke mid-call.
READ_ONLY_METHODS = frozenset([
    "read", "search", "search_read", "search_count", "read_group", "fields_get",
    "name_get", "name_search", "default_get", "check_access_rights", "exists",
])
# Odoo's fault codes (odoo/service/wsgi_server.py).
FAULT_APPLICATION = 1
FAULT_WARNING = 2
FAULT_ACCESS_DENIED = 3
FAULT_ACCESS_ERROR = 4

_CONFLICT_MARKERS = (
    "TransactionRollbackError", "could not serialize access", "deadlock detected",
    "could not obtain lock", "LockNotAvailable",
)
_EXCEPTION_LINE = re.compile(r"^(?P<kind>[A-Za-z_][\w.]*)(?:: (?P<text>.*))?$", re.S)


class OdooError(Exception):
    """An error raised by Odoo while serving a call.

    ``message``: what Odoo said, without the traceback; ``kind``: the exception class
    (``ValidationError``, ``AccessError``, ``ValueError``, ...); ``fault_code`` and
    ``fault_string``: the raw fault.
    """

    def __init__(self, message, kind=None, fault_code=None, fault_string=None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.fault_code = fault_code
        self.fault_string = fault_string

    def __str__(self):
        return self.message

    @property
    def is_conflict(self):
        """A transaction conflict the server gave up on; the call was rolled back."""
        return any(marker in (self.fault_string or "") for marker in _CONFLICT_MARKERS)

    @classmethod
    def from_fault(cls, fault):
        code, text = fault.faultCode, fault.faultString or ""
        if code == FAULT_ACCESS_DENIED:
            return OdooAccessDenied(
                "access denied: wrong login or password", "AccessDenied", code, text)
        if code in (FAULT_WARNING, FAULT_ACCESS_ERROR):
            kind = "AccessError" if code == FAULT_ACCESS_ERROR else "UserError"
            klass = OdooAccessError if code == FAULT_ACCESS_ERROR else OdooUserError
            return klass(unwrap_message(text), kind, code, text)
        # Application error: the fault string is a traceback that ends with
        # "module.ExceptionClass: message" (the message may span lines).
        kind, message = _exception_from_traceback(text)
        klass = OdooError
        if kind in ("ValidationError", "UserError", "Warning", "except_orm", "MissingError"):
            klass = OdooUserError
        elif kind == "AccessError":
            klass = OdooAccessError
        return klass(message, kind, code, text)


class OdooUserError(OdooError):
    """A UserError, ValidationError or MissingError: the caller must change something."""


class OdooAccessError(OdooError):
    """The user is not allowed to do this (access rights or record rules)."""


class OdooAccessDenied(OdooError):
    """Login failed."""


def _exception_from_traceback(text):
    """(class name, message) of the exception that ends a formatted traceback."""
    lines = text.rstrip().splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith('  File "'):
            # The frame's line, then (usually) its source line indented by 4 spaces.
            start = index + 1
            if start < len(lines) and lines[start].startswith("    "):
                start += 1
    tail = "\n".join(lines[start:]).strip() or text.strip()
    match = _EXCEPTION_LINE.match(tail)
    if not match:
        return None, tail
    kind = match.group("kind").rsplit(".", 1)[-1]
    return kind, unwrap_message(match.group("text") or kind)


def unwrap_message(text):
    """``"('message', None)"`` -> ``message``; anything else unchanged."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(value, tuple) and value and isinstance(value[0], str):
            return value[0]
    return text


class OdooClient:
    """One user's session on one database. Not thread-safe: use ``clone()`` per thread."""

    def __init__(self, url, db, login, password, timeout=DEFAULT_TIMEOUT,
                 retries=DEFAULT_RETRIES, backoff=DEFAULT_BACKOFF, conflict_retries=3,
                 context=None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the server URL must look like http://host:8069, not %r" % url)
        self.url = url.rstrip("/")
        self.db = db
        self.login_name = login
        self.password = password
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.conflict_retries = conflict_retries
        self.context = dict(context or {})
        self._host = parts.netloc
        self._prefix = parts.path.rstrip("/")
        self.transport = RequestsTransport(
            scheme=parts.scheme, timeout=timeout, retries=retries, backoff=backoff)
        self.uid = None
        self.conflicts_retried = 0

    # ------------------------------------------------------------------ low level

    def call(self, service, method, *params, idempotent=False):
        """One XML-RPC call to ``/xmlrpc/2/<service>``; faults become ``OdooError``."""
        body = xmlrpc.client.dumps(params, method, allow_none=True).encode("utf-8")
        try:
            result = self.transport.request(
                self._host, "%s/xmlrpc/2/%s" % (self._prefix, service), body,
                idempotent=idempotent)
        except xmlrpc.client.Fault as fault:
            raise OdooError.from_fault(fault) from None
        return result[0] if isinstance(result, tuple) and len(result) == 1 else result

    def version(self):
        return self.call("common", "version", idempotent=True)

    def authenticate(self):
        uid = self.call("common", "authenticate", self.db, self.login_name, self.password,
                        {}, idempotent=True)
        if not uid:
            raise OdooAccessDenied(
                "login %r refused on database %r: check the login and the password"
                % (self.login_name, self.db), "AccessDenied")
        self.uid = uid
        return uid

    def execute(self, model, method, *args, **kwargs):
        """``execute_kw(model, method, args, kwargs)``; the client's context is merged in.

        Resent when Odoo reports a transaction conflict it gave up on (rolled back, so
        safe), at most ``conflict_retries`` times with a random back-off.
        """
        if self.uid is None:
            self.authenticate()
        if self.context:
            kwargs["context"] = dict(self.context, **kwargs.get("context", {}))
        idempotent = method in READ_ONLY_METHODS
        attempt = 0
        while True:
            try:
                return self.call("object", "execute_kw", self.db, self.uid, self.password,
                                 model, method, list(args), kwargs, idempotent=idempotent)
            except OdooError as error:
                if not error.is_conflict or attempt >= self.conflict_retries:
                    raise
                attempt += 1
                self.conflicts_retried += 1
                time.sleep(random.uniform(0, self.backoff * 2 ** attempt))

    def clone(self):
        """A new client for the same user (its own connection pool), e.g. per thread."""
        other = OdooClient(self.url, self.db, self.login_name, self.password,
                           timeout=self.timeout, retries=self.retries, backoff=self.backoff,
                           conflict_retries=self.conflict_retries, context=self.context)
        other.uid = self.uid
        return other

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<OdooClient %s@%s/%s uid=%s>" % (self.login_name, self.url, self.db, self.uid)

    # ------------------------------------------------------------------ helpers

    def fields(self, model):
        """Names of the fields of ``model`` (to read only what this server has)."""
        return set(self.execute(model, "fields_get", attributes=["type"]))
