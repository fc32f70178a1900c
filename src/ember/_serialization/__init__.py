"""The pieces behind ``ember.save`` / ``ember.load`` (see ``ember.serialization``).

- ``_zip``: the zip container PyTorch writes (uncompressed records, data aligned
  to 64 bytes, data descriptors, zip64) and a reader for it.
- ``_pickling``: a pickler that writes tensors, dtypes, devices and sizes under
  PyTorch's own global names, with tensor data as persistent storages.
- ``_storage``: loaded storages, ``map_location``, and the ``persistent_load`` that
  reads each storage once.
- ``_rebuild``: the functions PyTorch's rebuild globals map to, and that mapping.
- ``_unpickling``: the weights-only (restricted) unpickler and the full one.
- ``_legacy``: PyTorch's pre-1.6 format (a stream of pickles and raw storages).
"""
