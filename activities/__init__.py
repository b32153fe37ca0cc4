"""Every side effect of the order process: form checks, the read model, messages."""
