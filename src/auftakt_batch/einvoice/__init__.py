"""E-invoices: the structured data behind each invoice PDF (Factur-X / ZUGFeRD, XRechnung)."""
