"""The core: database, settings, accounts, money, security, languages, notifications, the ledger.

It imports no feature package (catalog, orders, vendors, payments) and nothing of the app around it;
`make lint` checks that (import-linter, .importlinter)."""
