"""cloudops: run a multi-tenant OpenStack cloud with discipline — verify before mutate.

The package is a library first; ``cloudops.cli`` is a thin shell over it. Importing this package is
cheap on purpose: heavy dependencies (pydantic, openstacksdk, asyncssh, ...) load inside the function
that needs them, so ``cloudops --help`` stays fast.
"""

__version__ = "0.1.0"
