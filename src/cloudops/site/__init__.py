"""The site registry: datacenters, roles, network planes, hosts and service VIPs.

Pure: models, loading with positions, validation, queries and exports. Keyed by stable identity
(hostname, plane name, CIDR, address), never by IDs that change on redeploy.
"""
