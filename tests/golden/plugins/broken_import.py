"""A plugin that cannot be imported: named in a comparison, it is a failure with its reason."""
raise ImportError("needs the moon module")
