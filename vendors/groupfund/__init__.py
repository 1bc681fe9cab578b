"""The SHG's own books: its meetings, its fund (pooled savings, internal loans, interest, fines, bank and cash in
hand), the cash book and each member's passbook. Every movement is a balanced ledger entry (market.core.ledger)."""
