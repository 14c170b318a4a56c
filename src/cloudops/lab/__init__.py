"""The lab: a real, small OpenStack 2024.1 over MariaDB, RabbitMQ and Ceph on this machine (docs/lab.md)."""
