"""Perche's services: one package each, plus the kit they all use."""
