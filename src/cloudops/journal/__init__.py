"""The journal (hash-chained records of every audit, approval and change) and as-executed session logs."""
