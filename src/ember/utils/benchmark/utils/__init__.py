"""The pieces of ``torch.utils.benchmark`` (``common``, ``timer``, ``compare``)."""
