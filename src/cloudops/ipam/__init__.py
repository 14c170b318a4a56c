"""IPAM: the registry and NetBox, its apex — the objects the registry implies, what NetBox holds, the
differences between them."""
