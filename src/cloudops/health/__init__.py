"""The health sweep behind ``cloudops assert``: layers, the sweep runner, localisation, exit codes."""
