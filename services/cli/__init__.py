"""`perche`, the command: run everything or one service, load events, manage organisers,
fill a demo day, benchmark. It wires every service together (the composition root)."""

from services.cli.main import main

__all__ = ["main"]
