"""Jury scores, one per juror, team and criterion."""
