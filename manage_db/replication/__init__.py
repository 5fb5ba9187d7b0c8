"""Standbys: which server a command reached, the standbys a primary feeds and their replay lag,
and ``replica_wait`` (an upgrade that returns once the standbys have replayed it).

- ``model``: ``Standby`` (one row of ``pg_stat_replication``), ``ServerRole`` (what a connection
  reached: a primary, or a standby and its lag);
- ``dao``: the catalog reads and the WAL flush;
- ``service``: waiting for the standbys, describing the server a read ran on;
- ``notifier``: the console's progress lines and the JSON of a server.

See docs/ha.md.
"""
