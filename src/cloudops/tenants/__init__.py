"""Tenants: a tenant spec in the ops repository (``spec``), compared with the live cloud by name and turned
into gate changes (``plan``, pure), read and changed through the gate's adapters (``actions``)."""
