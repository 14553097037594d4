"""Built-in rule plugins. Installed as `orderset.plugins`; each module is one therapy."""
