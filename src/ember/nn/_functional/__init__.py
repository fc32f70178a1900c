"""The pieces of ``ember.nn.functional``, one module per family of ops."""
