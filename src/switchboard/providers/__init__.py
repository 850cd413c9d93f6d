"""Model providers: one module per wire protocol, all behind the `Provider` protocol."""
