"""The audience Q&A of an event: questions, votes and their moderation."""
