"""Preflight: the one pre-deploy gate, made of sub-gates that always run together.

``model`` holds the results (a check, a gate, the whole) and the waivers; ``gates`` the sub-gates — pure
where they judge files, thin over the existing probes where they look at the world (NetBox through
``cloudops.ipam``, hosts through assert's host probes); ``run`` runs them concurrently and journals a PASS
with the HEAD and the registry's hash, so a runbook can require "a preflight PASS for this HEAD".
"""
