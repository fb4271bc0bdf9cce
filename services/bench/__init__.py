"""`perche bench ...`: throughput against a bare baseline measured in the same run.

`registration` and `ical` are the benches, `baseline` the bare side of the registration
bench, `load` the HTTP load generator they share. Like `services.cli`, a composition root."""
