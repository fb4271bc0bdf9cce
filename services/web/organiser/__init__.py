"""The organiser's own pages: session and dashboard, the event editor, the mails sent."""
