"""Members, businesses, the SHG / organisation hierarchy, storefronts, loans, savings and the income ledger."""
