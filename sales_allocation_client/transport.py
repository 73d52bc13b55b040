"""An ``xmlrpc.client`` transport that sends its requests through ``requests``.

Why not the standard library's transport: it opens a new connection per proxy, has no
timeout, and a dropped connection surfaces as a bare ``OSError``. This one:

- keeps one ``requests.Session`` (a connection pool), so calls reuse a kept-alive
  connection when the server (or the proxy in front of Odoo) allows it;
- puts a timeout on connecting and on waiting for the answer;
- retries when the request could not have reached Odoo (connection refused, connect
  timeout): a restarting server is waited for, with exponential back-off;
- retries other connection failures (reset, dropped mid-answer) only for calls the caller
  marks idempotent, because Odoo may have committed a non-idempotent call whose answer was
  lost;
- raises ``TransportError`` (with the URL and the cause) instead of a bare socket error.

Faults (errors raised by Odoo) are left to ``xmlrpc.client``: they come out as
``xmlrpc.client.Fault``, which ``client.OdooClient`` turns into ``OdooError``.
"""
import time
import xmlrpc.client

import requests

DEFAULT_TIMEOUT = (10.0, 600.0)  # (connect, read) seconds
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 0.5


class TransportError(Exception):
    """The server could not be reached, or the connection broke."""

    def __init__(self, message, url=None, cause=None, attempts=1):
        super().__init__(message)
        self.url = url
        self.cause = cause
        self.attempts = attempts


def request_not_sent(error):
    """True when ``error`` proves that the request never reached the server.

    Only then is a retry safe for any call: a connect timeout, or a connection refused /
    unresolvable host (urllib3 wraps those in a ``NewConnectionError``).
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    cause = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        name = type(cause).__name__
        if name in ("NewConnectionError", "ConnectTimeoutError", "ConnectionRefusedError"):
            return True
        reason = getattr(cause, "reason", None)
        nested = cause.args[0] if getattr(cause, "args", None) else None
        cause = reason if isinstance(reason, BaseException) else (
            nested if isinstance(nested, BaseException) else cause.__cause__)
    return False


class RequestsTransport(xmlrpc.client.Transport):
    """``xmlrpc.client.Transport`` over a ``requests.Session``.

    Usable as ``ServerProxy(url, transport=RequestsTransport(scheme=...))``; the
    ``OdooClient`` calls ``request(..., idempotent=True)`` directly for read-only calls.
    One transport may be shared by the threads of a process only if each thread makes its
    own (``requests.Session`` is not documented as thread-safe); ``OdooClient.clone()``
    does that.
    """

    user_agent = "sales_allocation_client (requests %s)" % requests.__version__

    def __init__(self, scheme="http", timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES,
                 backoff=DEFAULT_BACKOFF, session=None, use_builtin_types=False, sleep=None):
        super().__init__(use_builtin_types=use_builtin_types)
        if scheme not in ("http", "https"):
            raise ValueError("scheme must be http or https, not %r" % scheme)
        self.scheme = scheme
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.update({
            "Content-Type": "text/xml",
            "User-Agent": self.user_agent,
        })
        self._sleep = sleep or time.sleep
        # Counters for callers who care (tests, --verbose): requests made, retries done.
        self.requests_sent = 0
        self.retries_done = 0

    def request(self, host, handler, request_body, verbose=False, idempotent=False):
        url = "%s://%s%s" % (self.scheme, host, handler)
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests_sent += 1
                response = self.session.post(url, data=request_body, timeout=self.timeout)
                break
            except requests.exceptions.ReadTimeout as error:
                if idempotent and attempt <= self.retries:
                    self._wait(attempt)
                    continue
                raise TransportError(
                    "%s did not answer within %s s; the call may still complete on the "
                    "server." % (url, self._read_timeout()), url, error, attempt)
            except requests.exceptions.ConnectionError as error:
                retryable = idempotent or request_not_sent(error)
                if retryable and attempt <= self.retries:
                    self._wait(attempt)
                    continue
                raise TransportError(
                    "cannot reach %s after %d attempt(s): %s" % (url, attempt, error),
                    url, error, attempt)
        if response.status_code != 200:
            raise xmlrpc.client.ProtocolError(
                url, response.status_code, response.reason, dict(response.headers))
        return self._parse(response)

    def _parse(self, response):
        parser, unmarshaller = self.getparser()
        parser.feed(response.content)
        parser.close()
        return unmarshaller.close()

    def _wait(self, attempt):
        self.retries_done += 1
        self._sleep(self.backoff * (2 ** (attempt - 1)))

    def _read_timeout(self):
        return self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout

    def close(self):
        self.session.close()
