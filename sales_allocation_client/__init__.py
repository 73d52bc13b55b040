"""sales_allocation_client: talk to sales_allocation on Odoo 11 over XML-RPC.

The transport runs on ``requests`` (connection reuse, timeouts, retries); errors raised by
Odoo come out as ``OdooError`` with Odoo's own message. Command line:
``python -m sales_allocation_client --help``.
"""
from .client import (  # noqa: F401
    OdooAccessDenied, OdooAccessError, OdooClient, OdooError, OdooUserError)
from .leads_csv import BadRow, CsvError, ImportResult, LeadImporter  # noqa: F401
from .transport import RequestsTransport, TransportError  # noqa: F401
