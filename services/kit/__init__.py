"""The small kit every service is built on: connection, event store, endpoints, lifecycle."""
