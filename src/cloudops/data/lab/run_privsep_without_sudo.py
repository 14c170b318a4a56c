"""Run an OpenStack console entry point whose oslo.privsep daemons start without sudo.

The lab's Neutron agents already run as root. oslo.privsep starts its daemons as
`sudo privsep-helper ...`; sudo resets PATH (so the venv's privsep-helper is not found) and drops the
environment (so the daemons could not be attributed to their lab). With an empty command prefix the
helper is found on the agent's own PATH (the services venv first) and inherits the agent's environment.
(Running privileged calls in-process instead breaks pyroute2 under eventlet: EBADF.) Usage:
    python run_privsep_without_sudo.py PROGRAM_NAME FIRST_IMPORT module:function [ARGS...]
FIRST_IMPORT is imported before anything else (e.g. neutron.cmd.eventlet, which monkey-patches eventlet).
"""

import importlib
import sys

importlib.import_module(sys.argv[2])

from oslo_privsep import priv_context  # type: ignore[import-not-found]  # noqa: E402

priv_context._HELPER_COMMAND_PREFIX = []

prog, target = sys.argv[1], sys.argv[3]
sys.argv = [prog, *sys.argv[4:]]
module_name, func_name = target.split(":")
sys.exit(getattr(importlib.import_module(module_name), func_name)())
