"""The web front: pages, JSON API and feeds. Holds no state; every instance is alike."""
