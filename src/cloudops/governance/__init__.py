"""Repository governance: lint rules, design decisions, the security ledger, the changelog, delivery."""
