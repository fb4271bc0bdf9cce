"""Results, published when the organisers say so."""
