"""Team formation: who works with whom on which challenge."""
