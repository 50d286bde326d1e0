"""Small, slow, obvious versions of tokkit's algorithms.

They are the oracles the Rust engine is property-tested against, and documentation:
each says in a screenful what the fast code does. Never use them for real work.
"""
