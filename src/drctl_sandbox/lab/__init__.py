"""The lab: real PostgreSQL servers with streaming replication, their sample app, plan and failover."""
