"""The catalog: which events exist, how they are defined, and who organises them."""
