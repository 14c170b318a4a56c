"""The lab: a real, small OpenStack 2024.1 with MariaDB, RabbitMQ and Ceph on this machine (see docs/lab.md)."""
