from cloudops.cli import entry

entry()
